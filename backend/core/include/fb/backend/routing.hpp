// Routing (路由) and SLA targets: which team owns a classified case, which teams work with it,
// and the clock it runs on. Loaded from an operator-edited, line-oriented file
// (deploy/rules/routing.conf, format in docs/classification.md):
//
//   team after_sales en="the after-sales service team" zh="售后服务团队"
//   sla high first_response=4h resolution=3d progress_every=24h
//   route type=product_fault priority=high system=brakes,steering region=CN -> rnd_tech_support + after_sales
//   default -> after_sales
//
// Every load error names the file, the line and the problem ("routing.conf:12: unknown team
// 'foo'"), and the backend refuses to start on one rather than misroute.
// Router is immutable after load and safe to share between threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"

namespace fb::backend {

/// Service-level targets for one priority. Escalation is implied at 50 % and 100 % of each
/// target (sla_stage()).
struct Sla {
  std::chrono::minutes first_response{0};  // at most 24 h; load refuses more
  std::chrono::minutes resolution{0};
  std::chrono::minutes progress_every{0};  // silence after which the driver gets a progress update
};

/// How far `elapsed` is into `target`: before half, past half (escalate to the team lead),
/// past the target (breached: escalate further).
enum class SlaStage { on_track, half_elapsed, breached };
SlaStage sla_stage(std::chrono::minutes elapsed, std::chrono::minutes target);

/// What a rule may look at. Empty model or region means unknown: it matches only rules that
/// do not restrict that field.
struct RouteQuery {
  CaseType type = CaseType::usage_experience;
  Priority priority = Priority::medium;
  VehicleSystem system{};
  std::string model;   // e.g. "Aurora EV"; compared case-insensitively
  std::string region;  // e.g. "CN"; compared case-insensitively
};

/// Teams are configuration, not an enum: routing.conf defines them (id and display names in
/// en and zh), so a team is added without a build.
struct Route {
  std::string team;                               // primary team id, e.g. "after_sales"
  std::map<std::string, std::string> team_names;  // language -> display name of `team`
  std::vector<std::string> collaborators;         // further team ids, in the file's order
  Sla sla;
  int first_reply_hours = 24;  // sla.first_response rounded up to whole hours
  int rule_line = 0;           // line of the rule that matched (the default rule's line if none did)
  int rule_index = -1;         // which `route` rule matched; -1 = the default
};

class Router {
 public:
  /// Parses routing.conf text; `origin` is the file name used in errors.
  /// Errors: ConfigErrc::invalid_value, detail "<origin>:<line>: <problem>" (or "<origin>: <problem>"
  /// for something missing from the whole file).
  static Result<Router> load(std::string_view text, const std::string& origin);
  /// Reads and parses a file. Errors: file_not_found, and those of load().
  static Result<Router> load_file(const std::filesystem::path& path);

  Route route(const RouteQuery& q) const;
  /// Convenience for triage's Classification (anything with type, priority and system).
  template <typename C>
  requires requires(const C& c) {
    c.type;
    c.priority;
    c.system;
  }
  Route route(const C& c, std::string model = {}, std::string region = {}) const {
    return route(RouteQuery{c.type, c.priority, c.system, std::move(model), std::move(region)});
  }

  const Sla& sla(Priority p) const { return sla_.at(p); }
  bool has_team(const std::string& id) const { return teams_.contains(id); }
  /// The team's display name in `language` ("zh-CN" uses zh; anything else en); the id if unknown.
  std::string team_name(const std::string& id, std::string_view language) const;

 private:
  struct Rule {
    std::vector<CaseType> types;  // empty = any
    std::vector<Priority> priorities;
    std::vector<VehicleSystem> systems;
    std::vector<std::string> models;  // lowercased
    std::vector<std::string> regions;
    std::string team;
    std::vector<std::string> collaborators;
    int line = 0;
  };
  std::map<std::string, std::map<std::string, std::string>> teams_;
  std::vector<Rule> rules_;
  Rule default_;
  std::map<Priority, Sla> sla_;
};

/// "90m", "4h", "3d", "1d12h" -> minutes; nullopt for anything else (no sign, no zero-length).
std::optional<std::chrono::minutes> parse_duration(std::string_view text);

}  // namespace fb::backend
