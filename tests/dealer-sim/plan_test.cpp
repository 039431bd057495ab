// The simulated dealer's decisions from a visit's JSON (docs/visits.md), without a server.
#include <gtest/gtest.h>

#include "fb/dealer_sim/http_client.hpp"
#include "fb/dealer_sim/plan.hpp"
#include "money_fixture.hpp"

namespace fb::dealer {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1'800'000'000'000;

using test_support::money;

json visit(const std::string& state, json stages = json::array(), json approvals = json::array(),
           std::int64_t approved_extra = 0) {
  return {{"id", "v-1"},
          {"case_number", "FB-2026-000001"},
          {"state", state},
          {"dealer_code", "SH-001"},
          {"estimate", money(80000)},
          {"approved_extra", money(approved_extra)},
          {"stages", std::move(stages)},
          {"approvals", std::move(approvals)},
          {"car_evidence", {{"dtcs", {"P0700", "C0035"}}, {"snapshot_reports", {"r-1"}}, {"auto_reports", 1}}}};
}

json quality(bool passed) { return {{"stage", "quality_check"}, {"at_ms", kNow}, {"detail", {{"passed", passed}}}}; }

std::int64_t repair_total(const json& body) {
  std::int64_t total = body["labour"]["minor"].get<std::int64_t>();
  for (const auto& p : body["parts"]) total += p["quantity"].get<int>() * p["unit_price"]["minor"].get<std::int64_t>();
  return total;
}

TEST(DealerPlan, StagesFollowTheContractOrderFromBookedToHandedOver) {
  EXPECT_EQ(next_stage(visit("booked")), "checked_in");
  EXPECT_EQ(next_stage(visit("checked_in")), "inspection");
  EXPECT_EQ(next_stage(visit("inspection")), "diagnosis");
  EXPECT_EQ(next_stage(visit("diagnosis")), "repair");
  EXPECT_EQ(next_stage(visit("repair")), "quality_check");
  EXPECT_EQ(next_stage(visit("quality_check", {quality(true)})), "handed_over");
  for (const std::string s : {"proposed", "reschedule_requested", "handed_over", "declined", "cancelled", ""}) {
    EXPECT_EQ(next_stage(visit(s)), std::nullopt) << s;
    EXPECT_EQ(plan_step(visit(s), {}, kNow).kind, Step::Kind::none) << s;
  }
}

TEST(DealerPlan, OnlyTheLatestQualityCheckDecidesWhetherTheCarGoesBackToRepair) {
  // The backend puts a visit whose quality check failed back in repair: rework, then check again.
  EXPECT_EQ(next_stage(visit("repair", {quality(false)})), "repair");
  EXPECT_EQ(next_stage(visit("repair", {quality(false), {{"stage", "repair"}}})), "quality_check");
  EXPECT_EQ(next_stage(visit("quality_check", {quality(false), {{"stage", "repair"}}, quality(true)})), "handed_over");
  // A visit left at quality_check with a failed entry also goes back to repair.
  EXPECT_EQ(next_stage(visit("quality_check", {quality(false)})), "repair");
}

TEST(DealerPlan, EveryStageButHandoverCarriesAReadyTimeAheadOfNow) {
  PlanOptions o;
  o.ready_in_ms = std::int64_t{90} * 60 * 1000;
  for (const std::string s : {"booked", "checked_in", "inspection", "diagnosis", "repair"}) {
    const auto step = plan_step(visit(s), o, kNow);
    ASSERT_EQ(step.kind, Step::Kind::enter_stage) << s;
    EXPECT_EQ(step.body["ready_at_ms"], kNow + o.ready_in_ms) << s;
  }
  const auto handover = plan_step(visit("quality_check", {quality(true)}), o, kNow);
  EXPECT_EQ(handover.body["stage"], "handed_over");
  EXPECT_FALSE(handover.body.contains("ready_at_ms"));
}

TEST(DealerPlan, DiagnosisHasFindingsAndReadsTheCarsOwnDtcs) {
  const auto step = plan_step(visit("inspection"), {}, kNow);
  EXPECT_EQ(step.body["stage"], "diagnosis");
  EXPECT_EQ(step.body["dtcs"], json({"P0700", "C0035"}));
  EXPECT_NE(step.body["findings"].get<std::string>().find("P0700"), std::string::npos);

  auto no_codes = visit("inspection");
  no_codes.erase("car_evidence");
  const auto plain = plan_step(no_codes, {}, kNow);
  EXPECT_EQ(plain.body["dtcs"], json::array());
  EXPECT_FALSE(plain.body["findings"].get<std::string>().empty());
}

TEST(DealerPlan, ARepairWithoutExtraCostBillsExactlyTheEstimate) {
  const auto step = plan_step(visit("diagnosis"), {}, kNow);
  ASSERT_EQ(step.kind, Step::Kind::enter_stage);
  EXPECT_EQ(step.body["stage"], "repair");
  EXPECT_EQ(repair_total(step.body), 80000);
  EXPECT_EQ(step.body["labour"]["currency"], "CNY");
  EXPECT_FALSE(step.body["parts"].empty());
}

TEST(DealerPlan, ExtraCostIsAskedFirstThenWaitedForThenRepairedWithinWhatTheDriverApproved) {
  PlanOptions o;
  o.extra_cost_minor = 25000;
  o.extra_reason = "Brake discs scored";

  const auto ask = plan_step(visit("diagnosis"), o, kNow);
  ASSERT_EQ(ask.kind, Step::Kind::ask_approval);
  EXPECT_EQ(ask.body["amount"], money(25000));
  EXPECT_EQ(ask.body["reason"], "Brake discs scored");

  const json requested = {{{"id", "a-1"}, {"amount", money(25000)}, {"state", "requested"}}};
  EXPECT_EQ(plan_step(visit("diagnosis", json::array(), requested), o, kNow).kind, Step::Kind::wait_for_driver);

  const json approved = {{{"id", "a-1"}, {"amount", money(25000)}, {"state", "approved"}}};
  const auto repair = plan_step(visit("diagnosis", json::array(), approved, 25000), o, kNow);
  ASSERT_EQ(repair.kind, Step::Kind::enter_stage);
  EXPECT_EQ(repair_total(repair.body), 105000);

  // Refused: the repair stays within the estimate and is not asked again.
  const json refused = {{{"id", "a-1"}, {"amount", money(25000)}, {"state", "refused"}}};
  const auto within = plan_step(visit("diagnosis", json::array(), refused, 0), o, kNow);
  ASSERT_EQ(within.kind, Step::Kind::enter_stage);
  EXPECT_EQ(repair_total(within.body), 80000);
}

TEST(DealerPlan, AnExtraCostAlreadyCoveredByAnEarlierApprovalIsNotAskedAgain) {
  PlanOptions o;
  o.extra_cost_minor = 10000;
  const json approved = {{{"id", "a-1"}, {"amount", money(30000)}, {"state", "approved"}}};
  const auto step = plan_step(visit("diagnosis", json::array(), approved, 30000), o, kNow);
  ASSERT_EQ(step.kind, Step::Kind::enter_stage);
  EXPECT_EQ(repair_total(step.body), 90000);
  EXPECT_EQ(repair_allowance(visit("diagnosis", json::array(), approved, 30000)), 110000);
}

TEST(DealerPlan, ReworkAfterAFailedQualityCheckIsNotBilledAndEarlierRepairsCountAgainstTheAllowance) {
  const json repaired = {{"stage", "repair"}, {"detail", {{"total", money(80000)}}}};
  const auto v = visit("repair", {repaired, quality(false)});
  EXPECT_EQ(repair_allowance(v), 0);
  const auto step = plan_step(v, {}, kNow);
  ASSERT_EQ(step.kind, Step::Kind::enter_stage);
  EXPECT_EQ(step.body["stage"], "repair");
  EXPECT_EQ(repair_total(step.body), 0);
  EXPECT_EQ(repair_allowance(visit("diagnosis", json::array(), json::array(), 5000)), 85000);
}

TEST(DealerPlan, TheQualityCheckFailsOnlyOnceWhenAsked) {
  PlanOptions o;
  o.fail_quality_once = true;
  const auto first = plan_step(visit("repair"), o, kNow);
  EXPECT_EQ(first.body["stage"], "quality_check");
  EXPECT_EQ(first.body["passed"], false);
  const auto again = plan_step(visit("repair", {quality(false), {{"stage", "repair"}}}), o, kNow);
  EXPECT_EQ(again.body["passed"], true);
  EXPECT_EQ(plan_step(visit("repair"), {}, kNow).body["passed"], true);
}

TEST(DealerApiUrl, HostAndPortAreReadAndNonsenseIsRefused) {
  auto e = parse_api_url("http://127.0.0.1:8080/");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, "8080");
  auto d = parse_api_url("http://backend.local");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, "80");
  for (const std::string bad : {"https://x:1", "127.0.0.1:8080", "http://:8080", "http://x:80a", "http://x:"}) {
    auto r = parse_api_url(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, DealerErrc::bad_url) << bad;
  }
}

}  // namespace
}  // namespace fb::dealer
