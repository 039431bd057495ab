// Knowledge base (知识库): known problems with a ready answer and a temporary workaround, matched
// at triage so that the driver gets the answer at once. Data, not code: deploy/rules/knowledge.json
// (format in docs/classification.md). Immutable after load; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"

namespace fb::backend {

/// A software version as its dotted numeric parts ("2.4.1" -> {2, 4, 1}); missing parts are 0,
/// so "2.4" == "2.4.0". Nullopt for anything but digits and dots ("2.4.1-rc1", "", "2..4").
std::optional<std::vector<unsigned>> parse_version(std::string_view text);
/// <0, 0, >0 like strcmp, on parsed versions.
int compare_versions(const std::vector<unsigned>& a, const std::vector<unsigned>& b);

struct KnowledgeQuery {
  std::string_view text;                // the driver's words, any mix of zh and en
  std::string_view language;            // the driver's language ("zh-CN", "en"): picks the answer's
  std::optional<VehicleSystem> system;  // from triage, if known
  std::span<const std::string> dtcs;    // e.g. "U0184"
  std::string_view model;               // e.g. "Aurora EV"; empty if unknown
  std::string_view software_version;    // e.g. "2.4.0"; empty if unknown
};

struct KnowledgeMatch {
  std::string article_id;
  std::string language;  // "zh" or "en": the language of answer and workaround
  std::string answer;
  std::string workaround;  // empty when the article has none
  double score = 0;        // sum of the evidence weights (see knowledge_base.cpp); higher is more specific
  std::string why;         // the evidence, e.g. "keyword:屏幕卡死; dtc:U0184; software:2.3.5 <= 2.4.0"
};

class KnowledgeBase {
 public:
  /// Errors: ConfigErrc::unsupported_version / invalid_value with "<origin>: article '<id>': <problem>"
  /// (or "article #<n>" before the id is known).
  static Result<KnowledgeBase> load(const nlohmann::json& doc, const std::string& origin);
  /// Errors: file_not_found, parse_error ("file:line:col"), and those of load().
  static Result<KnowledgeBase> load_file(const std::filesystem::path& path);

  /// The best applicable article, or nullopt. An article applies when none of its `unless`
  /// words is in the text ("brakes squeal" is harmless, "brakes squeal and failed" is not),
  /// the model and software version are within its scope (an article limited to some models or versions never applies
  /// when the report's model or version is unknown) and at least one symptom keyword or DTC
  /// matches; the system alone is not enough. Among several, the highest score wins, then the
  /// narrower scope, then the file's order.
  std::optional<KnowledgeMatch> match(const KnowledgeQuery& q) const;

  std::size_t size() const { return articles_.size(); }

 private:
  struct Text {
    std::string zh;
    std::string en;
  };
  struct Article {
    std::string id;
    std::vector<std::string> keywords_zh;  // substrings of the ASCII-lowercased text
    std::vector<std::string> keywords_en;  // whole words or phrases (see contains_word)
    std::vector<std::string> dtcs;         // exact codes, or prefixes ending in '*'
    std::vector<std::string> unless_zh;    // any of these in the text: the article does not apply
    std::vector<std::string> unless_en;
    std::vector<VehicleSystem> systems;
    std::vector<std::string> models;  // lowercased; empty = every model
    std::optional<std::vector<unsigned>> min_version, max_version;
    std::string min_text, max_text;
    Text answer;
    Text workaround;
  };
  std::vector<Article> articles_;
};

}  // namespace fb::backend
