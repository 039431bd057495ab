// First-cut triage: classify a report (type, priority, vehicle system) and route it to a team.
// Rules are data (deploy/rules/classifier.json, routing.json); see docs/classification.md.
// Classifier and Router are immutable after load and safe to share between threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"
#include "feedback.pb.h"

namespace fb::backend {

// CaseType, Priority, VehicleSystem and the category keys ("driving_feel") the rule files use
// are vocabularies (fb/common/vocabulary.hpp); loading refuses any other name.

struct Classification {
  CaseType type = CaseType::usage_experience;
  Priority priority = Priority::medium;
  VehicleSystem system = VehicleSystem::unknown;
  std::vector<std::string> evidence;  // what decided it, e.g. "type:keyword:换挡", "priority:dtc:C0035"
};

class Classifier {
 public:
  /// Errors: ConfigErrc::unsupported_version / invalid_value naming the key.
  static Result<Classifier> load(const nlohmann::json& rules, const std::string& origin);
  Classification classify(const wire::Report& report) const;

 private:
  struct Keywords {
    std::vector<std::string> zh;  // substrings of the ASCII-lowercased text (Chinese has no word breaks)
    std::vector<std::string> en;  // lowercase whole words or phrases (suffixes s/es/d/ed/ing allowed)
  };
  std::vector<std::pair<CaseType, Keywords>> types_;
  std::map<wire::Category, CaseType> category_types_;
  std::map<CaseType, Priority> type_priority_;
  Keywords high_priority_;
  std::vector<std::string> high_priority_dtcs_;  // prefixes
  std::vector<std::pair<VehicleSystem, Keywords>> systems_;
  std::vector<std::pair<std::string, VehicleSystem>> dtc_systems_;  // prefix -> system
  std::map<wire::Category, VehicleSystem> category_systems_;
  VehicleSystem default_system_ = VehicleSystem::unknown;
  double category_weight_ = 1.5;
  double safety_weight_ = 2.0;  // a safety keyword counts this much towards product_fault

  /// The first keyword found in the ASCII-lowercased text.
  static std::optional<std::string> match(const Keywords& k, std::string_view lower);
  static Result<Keywords> load_keywords(const nlohmann::json& j, const std::string& where);
};

/// Teams are configuration, not an enum: routing.json defines them (id and display names), so a
/// team is added without a build. Loading checks each id's shape (fb::is_vocabulary_key), that
/// it has a name in English and Chinese, and that every rule names a defined team.
struct Route {
  std::string team;                               // team id, e.g. "after_sales"
  std::map<std::string, std::string> team_names;  // language -> display name
  int first_reply_hours = 24;
  int rule_index = -1;  // which rule matched; -1 = default team
};

class Router {
 public:
  static Result<Router> load(const nlohmann::json& rules, const std::string& origin);
  Route route(const Classification& c) const;
  /// A team's display name in `language` ("zh", "en"), or its id when it has none.
  std::string team_name(const std::string& team, const std::string& language) const;

 private:
  struct Rule {
    std::vector<CaseType> types;
    std::vector<Priority> priorities;
    std::vector<VehicleSystem> systems;
    std::string team;
  };
  std::map<std::string, std::map<std::string, std::string>> teams_;
  std::vector<Rule> rules_;
  std::string default_team_;
  std::map<Priority, int> first_reply_hours_;
};

/// Lowercases ASCII letters only; other bytes (Chinese) unchanged.
std::string ascii_lower(std::string_view s);
/// True when `word` (lowercase) occurs in `lower` at a word start and ends at a word end,
/// allowing the suffixes s, es, d, ed, ing.
bool contains_word(std::string_view lower, std::string_view word);

}  // namespace fb::backend
