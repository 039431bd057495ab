#include "fb/backend/routing.hpp"

#include <gtest/gtest.h>

#include <string>

#include "fb/backend/rules.hpp"
#include "paths.hpp"

namespace fb::backend {
namespace {

using namespace std::chrono_literals;

constexpr const char* kValid = R"(# a small but complete file
team rnd en="R&D" zh="研发"
team after_sales en="after-sales" zh="售后"   # trailing comment
team planning en="product planning" zh="产品规划"

sla high   first_response=4h  resolution=3d progress_every=12h
sla medium first_response=1d  resolution=14d progress_every=2d
sla low    first_response=24h resolution=30d progress_every=1d12h

route type=product_fault priority=high system=brakes,steering region=CN -> rnd + after_sales + planning
route type=product_fault model="Aurora EV" -> rnd + planning
route type=product_fault -> rnd
route type=suggestion,usage_experience system=* -> planning
default -> after_sales
)";

Router load_valid() {
  auto r = Router::load(kValid, "routing.conf");
  EXPECT_TRUE(r) << r.error().what();
  return std::move(*r);
}

RouteQuery query(CaseType t, Priority p, VehicleSystem s, std::string model = {}, std::string region = {}) {
  return RouteQuery{t, p, s, std::move(model), std::move(region)};
}

TEST(Routing, FirstMatchingRuleWinsWithItsCollaborators) {
  auto router = load_valid();
  auto r = router.route(query(CaseType::product_fault, Priority::high, VehicleSystem::brakes, "Aurora", "cn"));
  EXPECT_EQ(r.team, "rnd");
  EXPECT_EQ(r.collaborators, (std::vector<std::string>{"after_sales", "planning"}));
  EXPECT_EQ(r.rule_index, 0);
  EXPECT_EQ(r.rule_line, 10);
  EXPECT_EQ(r.team_names.at("zh"), "研发");

  // Same fault outside CN: the region condition fails, the model rule matches (case-insensitively).
  r = router.route(query(CaseType::product_fault, Priority::high, VehicleSystem::brakes, "aurora ev", "DE"));
  EXPECT_EQ(r.rule_index, 1);
  EXPECT_EQ(r.collaborators, (std::vector<std::string>{"planning"}));

  // An unknown region or model matches only rules that do not ask for one.
  r = router.route(query(CaseType::product_fault, Priority::high, VehicleSystem::brakes));
  EXPECT_EQ(r.rule_index, 2);
  EXPECT_TRUE(r.collaborators.empty());

  r = router.route(query(CaseType::usage_experience, Priority::medium, VehicleSystem::infotainment));
  EXPECT_EQ(r.team, "planning");
  r = router.route(query(CaseType::service_complaint, Priority::medium, VehicleSystem::charges));
  EXPECT_EQ(r.team, "after_sales");
  EXPECT_EQ(r.rule_index, -1);
  EXPECT_EQ(r.rule_line, 14);
}

TEST(Routing, SlaPerPriorityComesWithTheRoute) {
  auto router = load_valid();
  auto r = router.route(query(CaseType::product_fault, Priority::high, VehicleSystem::engine));
  EXPECT_EQ(r.sla.first_response, 4h);
  EXPECT_EQ(r.sla.resolution, 72h);
  EXPECT_EQ(r.sla.progress_every, 12h);
  EXPECT_EQ(r.first_reply_hours, 4);
  EXPECT_EQ(router.sla(Priority::medium).first_response, 24h);
  EXPECT_EQ(router.sla(Priority::low).progress_every, 36h);
  EXPECT_EQ(router.team_name("after_sales", "zh-Hans-CN"), "售后");
  EXPECT_EQ(router.team_name("after_sales", "de"), "after-sales");
}

TEST(Routing, FirstReplyHoursRoundUp) {
  std::string text = kValid;
  text.replace(text.find("first_response=4h"), 17, "first_response=90m");
  auto router = Router::load(text, "routing.conf");
  ASSERT_TRUE(router) << router.error().what();
  EXPECT_EQ(router->route(query(CaseType::suggestion, Priority::high, VehicleSystem::body)).first_reply_hours, 2);
}

TEST(Routing, SlaStagesEscalateAtHalfAndFullTarget) {
  EXPECT_EQ(sla_stage(0min, 4h), SlaStage::on_track);
  EXPECT_EQ(sla_stage(119min, 4h), SlaStage::on_track);
  EXPECT_EQ(sla_stage(120min, 4h), SlaStage::half_elapsed);
  EXPECT_EQ(sla_stage(239min, 4h), SlaStage::half_elapsed);
  EXPECT_EQ(sla_stage(240min, 4h), SlaStage::breached);
  EXPECT_EQ(sla_stage(3min, 5min), SlaStage::half_elapsed);  // 2.5 min is half: no integer truncation
}

TEST(Routing, DurationsAreNumbersWithUnits) {
  EXPECT_EQ(parse_duration("90m"), 90min);
  EXPECT_EQ(parse_duration("4h"), 4h);
  EXPECT_EQ(parse_duration("3d"), 72h);
  EXPECT_EQ(parse_duration("1d12h"), 36h);
  for (const char* bad : {"", "4", "h", "4 h", "-4h", "0h", "4H", "4hours", "1.5h", "4h30"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

/// The error for kValid with `from` replaced by `to` (first occurrence).
std::string error_after(const std::string& from, const std::string& to) {
  std::string text = kValid;
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  text.replace(pos, from.size(), to);
  auto r = Router::load(text, "routing.conf");
  if (r) return "loaded";
  EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::invalid_value));
  return r.error().detail;
}

TEST(Routing, ErrorsNameFileLineAndProblem) {
  EXPECT_EQ(error_after("", ""), "loaded");
  EXPECT_EQ(error_after("-> rnd\n", "-> rnd_team\n"), "routing.conf:12: unknown team 'rnd_team'");
  EXPECT_EQ(error_after("+ planning\n", "+ foo\n"), "routing.conf:10: unknown team 'foo'");
  EXPECT_EQ(error_after("default -> after_sales", "default -> aftersales"),
            "routing.conf:14: unknown team 'aftersales'");
  EXPECT_EQ(error_after("team planning", "team rnd"), "routing.conf:4: duplicate team 'rnd' (first on line 2)");
  EXPECT_EQ(error_after("team rnd en=\"R&D\" zh=\"研发\"", "team rnd en=\"R&D\""),
            "routing.conf:2: team 'rnd' has no zh= name");
  EXPECT_EQ(error_after("team rnd", "team R&D"), "routing.conf:2: team id 'R&D' is not lowercase snake_case");
  EXPECT_EQ(error_after("system=brakes,steering", "system=brakes,steerin"),
            "routing.conf:10: unknown vehicle system 'steerin' in system=");
  EXPECT_EQ(error_after("type=product_fault -> rnd\n", "type=product_faults -> rnd\n"),
            "routing.conf:12: unknown case type 'product_faults' in type=");
  EXPECT_EQ(error_after("priority=high", "priority=urgent"), "routing.conf:10: unknown priority 'urgent' in priority=");
  EXPECT_EQ(error_after("region=CN", "regio=CN"),
            "routing.conf:10: unknown condition 'regio' (type, priority, system, model, region)");
  EXPECT_EQ(error_after("region=CN", "region=CN type=suggestion"), "routing.conf:10: condition 'type' given twice");
  EXPECT_EQ(error_after("region=CN", "region="), "routing.conf:10: expected condition key=value, got 'region='");
  EXPECT_EQ(error_after("resolution=3d", "resolution=3days"),
            "routing.conf:6: malformed duration resolution=3days (e.g. 90m, 4h, 3d, 1d12h)");
  EXPECT_EQ(error_after("first_response=24h", "first_response=25h"),
            "routing.conf:8: first_response=25h is over the 24h limit");
  EXPECT_EQ(error_after("first_response=4h", "first_response=2d"),
            "routing.conf:6: first_response=2d is over the 24h limit");
  EXPECT_EQ(error_after("sla high   first_response=4h", "sla high   first_response=1d"), "loaded");
  EXPECT_EQ(error_after("first_response=1d", "first_response=2h"),
            "routing.conf:6: first_response for high (4h) is slower than for medium (2h)");
  EXPECT_EQ(error_after(" progress_every=12h", ""), "routing.conf:6: sla high needs progress_every=");
  EXPECT_EQ(error_after("progress_every=12h", "progress=12h"),
            "routing.conf:6: unknown sla field 'progress' (first_response, resolution, progress_every)");
  EXPECT_EQ(error_after("resolution=3d", "resolution=3h"), "routing.conf:6: resolution is shorter than first_response");
  EXPECT_EQ(error_after("sla medium", "sla high"), "routing.conf:7: second sla for high (first on line 6)");
  EXPECT_EQ(error_after("sla low", "sla lowest"), "routing.conf:8: unknown priority 'lowest'");
  EXPECT_EQ(error_after("sla low    first_response=24h resolution=30d progress_every=1d12h\n", ""),
            "routing.conf: no sla for priority 'low'");
  EXPECT_EQ(error_after("default -> after_sales\n", ""), "routing.conf: no default rule (default -> <team>)");
  EXPECT_EQ(error_after("default -> after_sales\n", "default -> after_sales\nroute type=suggestion -> rnd\n"),
            "routing.conf:15: route after the default on line 14 would never match");
  EXPECT_EQ(error_after("default -> after_sales\n", "default -> after_sales\ndefault -> rnd\n"),
            "routing.conf:15: second default (first on line 14)");
  EXPECT_EQ(error_after("default -> after_sales", "default type=suggestion -> after_sales"),
            "routing.conf:14: default takes no conditions: default -> <team>");
  EXPECT_EQ(error_after("-> rnd\n", "rnd\n"), "routing.conf:12: expected '-> <team>'");
  EXPECT_EQ(error_after("-> rnd\n", "-> rnd +\n"), "routing.conf:12: expected a team after '+'");
  EXPECT_EQ(error_after("-> rnd\n", "-> rnd planning\n"),
            "routing.conf:12: expected '+' between teams, got 'rnd planning'");
  EXPECT_EQ(error_after("-> rnd\n", "-> rnd + rnd\n"), "routing.conf:12: team 'rnd' listed twice");
  EXPECT_EQ(error_after("-> rnd\n", "->\n"), "routing.conf:12: expected a team after '->'");
  EXPECT_EQ(error_after("model=\"Aurora EV\"", "model=\"Aurora EV"), "routing.conf:11: unterminated quote");
  EXPECT_EQ(error_after("route type=suggestion", "rout type=suggestion"),
            "routing.conf:13: unknown directive 'rout' (team, sla, route, default)");

  auto empty = Router::load("# nothing\n\n", "routing.conf");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().detail, "routing.conf: no team defined (team <id> en=\"...\" zh=\"...\")");
}

TEST(Routing, QuotedNamesKeepSpacesAndEscapes) {
  auto r = Router::load(R"(team a en="the \"A\" team # not a comment" zh="甲 队"
sla high first_response=1h resolution=1d progress_every=1h
sla medium first_response=1h resolution=1d progress_every=1h
sla low first_response=1h resolution=1d progress_every=1h
default -> a)",
                        "x.conf");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->team_name("a", "en"), "the \"A\" team # not a comment");
  EXPECT_EQ(r->team_name("a", "zh"), "甲 队");
}

// The deployed file: the backend loads it through load_rules and refuses to start without it.
TEST(Routing, TheDeployedFileRoutesSafetyFaultsToRndWithAfterSales) {
  auto rules = load_rules(test::kRulesDir);
  ASSERT_TRUE(rules) << rules.error().what();
  auto r = rules->router.route(query(CaseType::product_fault, Priority::high, VehicleSystem::brakes));
  EXPECT_EQ(r.team, "rnd_tech_support");
  EXPECT_EQ(r.collaborators, (std::vector<std::string>{"after_sales"}));
  EXPECT_LE(r.sla.first_response, 4h);
  for (const auto& [p, key] : vocabulary<Priority>()) {
    EXPECT_LE(rules->router.sla(p).first_response, 24h) << key;
  }
  EXPECT_EQ(rules->router.route(query(CaseType::service_complaint, Priority::medium, VehicleSystem::charges)).team,
            "after_sales");
}

TEST(Routing, AMissingFileNamesThePath) {
  auto r = Router::load_file("/nonexistent/routing.conf");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::file_not_found));
  EXPECT_NE(r.error().detail.find("/nonexistent/routing.conf"), std::string::npos);
}

}  // namespace
}  // namespace fb::backend
