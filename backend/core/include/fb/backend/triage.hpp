// Triage: classify a report (type, priority, vehicle system, confidence, explanation); routing it
// to a team is routing.hpp. Rules are data (deploy/rules/classifier.json: bilingual lexicons, DTC
// map, safety terms, thresholds) combined with a linear model trained from data/triage
// (triage_model.hpp, deploy/rules/classifier-model.txt); see docs/classification.md.
// The Classifier is immutable after load and safe to share between threads.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "fb/backend/routing.hpp"  // Route, Router, for users that include only this header
#include "fb/backend/triage_model.hpp"
#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"
#include "feedback.pb.h"

namespace fb::backend {

// CaseType, Priority, VehicleSystem and the category keys ("driving_feel") the rule files use
// are vocabularies (fb/common/vocabulary.hpp); loading refuses any other name.

struct Classification {
  CaseType type = CaseType::usage_experience;
  Priority priority = Priority::medium;
  VehicleSystem system = VehicleSystem::other;
  double confidence = 1.0;            // in [0, 1]: the lower of the type's and the system's
  bool needs_human_triage = false;    // confidence below the rule file's threshold
  bool safety = false;                // high because of a safety term or a safety DTC: never answered automatically
  std::vector<std::string> evidence;  // what decided it, e.g. "system:lexicon:变速箱", "priority:dtc:C0035"
};

/// The feature ids of one report (sorted, unique) and, for explanations, what each one is.
/// The views point into the report and the Classifier: valid while both live, until the next
/// Classifier::features call with this object.
struct ReportFeatures {
  struct Origin {
    char kind = 0;                     // 'U', 'B', 'T' n-gram; 'L' lexicon; 'C' category; 'D' DTC ...
    std::uint32_t begin = 0, end = 0;  // bytes of the text for n-grams
    std::string_view name;             // for the others (points into the Classifier or the report)
  };
  std::string text;  // the report's text as the features read it (fold_width): what begin/end index
  std::vector<std::pair<std::uint32_t, Origin>> features;
  struct Hit {
    int group;  // Classifier::LexiconGroup
    int label;  // index into the group's vocabulary (-1 for safety and lamp)
    std::string_view phrase;
  };
  std::vector<Hit> lexicon_hits;
  std::vector<std::pair<std::string_view, VehicleSystem>> dtc_systems;  // dtc -> mapped system
  std::optional<std::string_view> safety_dtc;
  bool moving = false;
  bool zh = false;  // language: the report's tag, else the share of CJK characters
};

class Classifier {
 public:
  /// Rule file version 2. A "model" key names the model file, relative to the rule file's
  /// directory (origin); without it the rules decide alone.
  /// Errors: ConfigErrc::unsupported_version / invalid_value naming the key; the model file's
  /// errors (LinearModel::parse).
  static Result<Classifier> load(const nlohmann::json& rules, const std::string& origin);
  Classification classify(const wire::Report& report) const;

  /// The features training and inference share.
  void features(const wire::Report& report, ReportFeatures& out) const;
  /// A copy that uses `model` (training builds the features first, then swaps the model in).
  Classifier with_model(LinearModel model) const;
  bool has_model() const { return model_ != nullptr; }

  enum LexiconGroup { kTypeGroup = 0, kSystemGroup = 1, kSafetyGroup = 2, kLampGroup = 3 };

 private:
  struct Entry {
    int group, label;
    std::string phrase;
  };
  std::vector<Entry> entries_;
  std::unordered_map<std::uint64_t, std::vector<int>> phrases_;     // phrase hash -> entries
  std::unordered_map<std::uint64_t, int> prefixes_;                 // every phrase prefix hash
  std::vector<std::pair<std::string, VehicleSystem>> dtc_systems_;  // prefix -> system
  std::vector<std::string> safety_dtcs_;                            // prefixes
  std::map<wire::Category, CaseType> category_types_;
  std::map<wire::Category, VehicleSystem> category_systems_;
  std::map<CaseType, Priority> type_priority_;
  std::vector<VehicleSystem> high_priority_systems_;
  double rule_weight_ = 1.0;       // a lexicon hit's score (added to the model's)
  double category_weight_ = 1.5;   // the driver's category
  double dtc_weight_ = 2.0;        // a DTC's mapped system
  double confidence_scale_ = 1.0;  // softmax temperature over the scores
  double confidence_threshold_ = 0.5;
  double model_high_priority_ = 0.5;  // the model's probability of `high` that makes it high
  std::shared_ptr<const LinearModel> model_;

  void add_phrase(int group, int label, const std::string& phrase);
};

/// Lowercases ASCII letters only; other bytes (Chinese) unchanged.
std::string ascii_lower(std::string_view s);

/// A corpus item as the report the car would send (text, language, category, DTCs, speed).
wire::Report to_report(const LabelledReport& item);

/// The first line of a trained model file.
inline constexpr std::string_view kModelComment =
    "fb triage model: averaged perceptron over hashed features; written by fb-backend train-classifier from "
    "data/triage/train.jsonl and deploy/rules/classifier.json; do not edit (docs/classification.md)";

struct TrainOptions {
  int epochs = 12;
  std::uint64_t seed = 20261202;
};
/// Trains the linear model (averaged perceptron per decision, fixed seed and order) on `corpus`
/// with `rules`' features. Same inputs, same model, byte for byte (LinearModel::serialize).
LinearModel train_model(const Classifier& rules, const std::vector<LabelledReport>& corpus,
                        const TrainOptions& options = {});

/// Quality on a labelled set, per language ("zh", "en"), per language and source ("en/nhtsa",
/// "zh/written") and overall ("all").
struct EvalScores {
  std::size_t items = 0;
  double system_accuracy = 0;
  double type_accuracy = 0;
  double type_macro_f1 = 0;      // over the types present in the set (labelled or predicted)
  double priority_accuracy = 0;  // over items with a labelled priority
  std::size_t priority_labelled = 0;
  std::size_t safety_items = 0;
  double safety_recall = 0;   // safety-relevant items given priority high
  double high_precision = 0;  // of the items given high, the safety-relevant share
  double needs_human_share = 0;
  double accuracy_when_confident = 0;  // system and type both right, among confident items
};
std::map<std::string, EvalScores> evaluate(const Classifier& classifier, const std::vector<LabelledReport>& corpus);
nlohmann::json to_json(const EvalScores& s);

/// The batch command: JSON Lines in (`{"id","text","lang"?,"dtcs"?,"category"?,"speed_kmh"?}`),
/// one line out per line in, in order (`{"id","type","priority","system","team","confidence"}`,
/// plus "needs_human_triage" and "explanation" with `explain`); a bad line gives
/// `{"id":...,"error":"..."}` and the run goes on. Returns the number of bad lines.
std::size_t classify_stream(std::istream& in, std::ostream& out, const Classifier& classifier, const Router& router,
                            bool explain = false);

}  // namespace fb::backend
