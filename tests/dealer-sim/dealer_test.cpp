// The simulated dealer's loop against a fake workshop API that keeps the contract's rules
// (stage order, approval_required, the driver's answer after some polls) and a fake clock:
// no server, no sleeps.
#include <gtest/gtest.h>

#include <sstream>

#include "fake_clock.hpp"
#include "fb/dealer_sim/dealer.hpp"
#include "money_fixture.hpp"

namespace fb::dealer {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

using test_support::money;

json listed_visit(const std::string& id, const std::string& state) {
  return {{"id", id},
          {"case_number", "FB-2026-000001"},
          {"state", state},
          {"dealer_code", "SH-001"},
          {"estimate", money(80000)},
          {"approved_extra", money(0)},
          {"stages", json::array()},
          {"approvals", json::array()},
          {"car_evidence", {{"dtcs", {"P0700"}}}}};
}

class FakeWorkshop final : public Api {
 public:
  std::vector<json> visits;
  std::vector<std::string> entered;  // "<visit> <stage>" in order
  std::vector<json> approvals_asked;
  std::string driver_answer;  // "approved" or "refused": given after `answer_after` polls
  int answer_after = 3;
  std::string book_after_polls;  // a proposed visit the driver books after `answer_after` polls
  bool refuse_everything = false;
  int polls = 0;
  std::int64_t utc_offset_ms = std::int64_t{8} * 3600 * 1000;  // GET /api/v1/me: the service region's clock
  std::int64_t spent_ = 0;                                     // the repair cost so far (each test bills one visit)

  Result<ApiAnswer> get(const std::string& target) override {
    if (target == "/api/v1/me") {
      return ApiAnswer{
          200, {{"name", "pudong.4s"}, {"role", "dealer"}, {"team", "SH-001"}, {"utc_offset_ms", utc_offset_ms}}};
    }
    ++polls;
    if (polls >= answer_after) drive();
    if (target == "/api/v1/visits") return ApiAnswer{200, {{"items", visits}}};
    if (auto* v = find(target.substr(target.rfind('/') + 1))) return ApiAnswer{200, *v};
    return fail(DealerErrc::http, "GET " + target + ": 404");
  }

  Result<ApiAnswer> post(const std::string& target, const json& body) override {
    const auto rest = target.substr(std::string("/api/v1/visits/").size());
    auto* v = find(rest.substr(0, rest.find('/')));
    if (!v) return fail(DealerErrc::http, "POST " + target + ": 404");
    if (target.ends_with("/approvals")) {
      approvals_asked.push_back(body);
      (*v)["approvals"].push_back({{"id", "a-1"}, {"amount", body["amount"]}, {"state", "requested"}});
      return ApiAnswer{201, (*v)["approvals"].back()};
    }
    const std::string stage = body["stage"];
    if (refuse_everything)
      return fail(DealerErrc::conflict, "POST " + target + ": 409 approval_required: 95000 > 80000");
    if (stage != allowed_next(*v)) return fail(DealerErrc::conflict, "invalid_stage " + stage);
    json detail = body;
    detail.erase("stage");
    if (stage == "repair") {
      std::int64_t total = body["labour"]["minor"];
      for (const auto& p : body["parts"])
        total += p["quantity"].get<int>() * p["unit_price"]["minor"].get<std::int64_t>();
      // Costs add up over repair rounds, as the store keeps them.
      if (spent_ + total >
          (*v)["estimate"]["minor"].get<std::int64_t>() + (*v)["approved_extra"]["minor"].get<std::int64_t>()) {
        return fail(DealerErrc::conflict, "approval_required");
      }
      spent_ += total;
      detail["total"] = money(total);
    }
    (*v)["stages"].push_back({{"stage", stage}, {"detail", detail}});
    (*v)["state"] = stage == "quality_check" && !body["passed"].get<bool>() ? "repair" : stage;
    entered.push_back((*v)["id"].get<std::string>() + " " + stage +
                      (stage == "quality_check" ? (body["passed"] ? "+" : "-") : ""));
    return ApiAnswer{200, *v};
  }

  json* find(const std::string& id) {
    for (auto& v : visits) {
      if (v["id"] == id) return &v;
    }
    return nullptr;
  }

 private:
  // The store's order, written out again here so the test does not trust the plan's: a failed
  // quality check leaves the visit in repair, where more repair or a new check may follow.
  static std::string allowed_next(const json& v) {
    const std::string s = v["state"];
    if (s == "booked") return "checked_in";
    if (s == "checked_in") return "inspection";
    if (s == "inspection") return "diagnosis";
    if (s == "diagnosis") return "repair";
    if (s == "repair") return v["stages"].back()["stage"] == "quality_check" ? "repair" : "quality_check";
    if (s == "quality_check") return "handed_over";
    return "-";
  }
  void drive() {
    for (auto& v : visits) {
      if (v["id"] == book_after_polls && v["state"] == "proposed") v["state"] = "booked";
      for (auto& a : v["approvals"]) {
        if (a["state"] != "requested" || driver_answer.empty()) continue;
        a["state"] = driver_answer;
        if (driver_answer == "approved") v["approved_extra"] = a["amount"];
      }
    }
  }
};

/// What the visit's repair entries charged in all.
std::int64_t charged_for_repairs(const json& visit) {
  std::int64_t total = 0;
  for (const auto& s : visit["stages"]) {
    if (s["stage"] == "repair") total += s["detail"]["total"]["minor"].get<std::int64_t>();
  }
  return total;
}

class DealerLoop : public ::testing::Test {
 protected:
  Result<int> run(const DealerOptions& o) {
    Dealer dealer(
        api_, o, clock_,
        [this](std::chrono::milliseconds d) {
          clock_.advance(d);
          ++sleeps_;
        },
        out_);
    return dealer.run();
  }
  FakeWorkshop api_;
  test::FakeClock clock_;
  std::ostringstream out_;
  int sleeps_ = 0;
};

TEST_F(DealerLoop, ABookedVisitGoesThroughEveryStageInOrderAndOneStillProposedIsLeftAlone) {
  api_.visits = {listed_visit("v-1", "booked"), listed_visit("v-2", "proposed")};
  auto handed = run({});
  ASSERT_TRUE(handed) << handed.error().what();
  EXPECT_EQ(*handed, 1);
  EXPECT_EQ(api_.entered, (std::vector<std::string>{"v-1 checked_in", "v-1 inspection", "v-1 diagnosis", "v-1 repair",
                                                    "v-1 quality_check+", "v-1 handed_over"}));
  EXPECT_EQ(api_.find("v-2")->at("state"), "proposed");
  EXPECT_EQ(charged_for_repairs(*api_.find("v-1")), 80000);
  EXPECT_NE(out_.str().find("FB-2026-000001 visit v-1: handed_over"), std::string::npos) << out_.str();
  EXPECT_GE(sleeps_, 6) << "a pause after each step";
  // Ready two hours after 20:26 UTC on the fake clock: 06:26 the next morning in Beijing, the time
  // the driver's notice prints, whatever this machine's zone.
  EXPECT_NE(out_.str().find("checked_in, ready at 06:26 (UTC+08:00)"), std::string::npos) << out_.str();
}

// A region west of UTC with minutes in its offset: 22:26 UTC is 18:56 at UTC-03:30.
TEST_F(DealerLoop, ReadyTimesArePrintedOnTheRegionsClockWhateverItsOffset) {
  api_.utc_offset_ms = -std::int64_t{210} * 60 * 1000;
  api_.visits = {listed_visit("v-1", "booked")};
  ASSERT_TRUE(run({}));
  EXPECT_NE(out_.str().find("checked_in, ready at 18:56 (UTC-03:30)"), std::string::npos) << out_.str();
}

TEST_F(DealerLoop, ExtraCostIsAskedOnceThenTheDealerWaitsForTheDriverAndRepairsWithinTheApproval) {
  api_.visits = {listed_visit("v-1", "booked")};
  api_.driver_answer = "approved";
  api_.answer_after = 12;  // several polls after the request
  DealerOptions o;
  o.plan.extra_cost_minor = 25000;
  auto handed = run(o);
  ASSERT_TRUE(handed) << handed.error().what();
  ASSERT_EQ(api_.approvals_asked.size(), 1u);
  EXPECT_EQ(api_.approvals_asked[0]["amount"], money(25000));
  EXPECT_EQ(charged_for_repairs(*api_.find("v-1")), 105000);
  EXPECT_EQ(api_.find("v-1")->at("state"), "handed_over");
  EXPECT_NE(out_.str().find("waiting for the driver"), std::string::npos) << out_.str();
}

TEST_F(DealerLoop, ARefusedExtraCostLeavesTheRepairAtTheEstimate) {
  api_.visits = {listed_visit("v-1", "booked")};
  api_.driver_answer = "refused";
  DealerOptions o;
  o.plan.extra_cost_minor = 25000;
  ASSERT_TRUE(run(o));
  EXPECT_EQ(api_.approvals_asked.size(), 1u);
  EXPECT_EQ(charged_for_repairs(*api_.find("v-1")), 80000);
}

TEST_F(DealerLoop, AFailedQualityCheckSendsTheCarBackToRepairOnce) {
  api_.visits = {listed_visit("v-1", "booked")};
  DealerOptions o;
  o.plan.fail_quality_once = true;
  ASSERT_TRUE(run(o));
  EXPECT_EQ(api_.entered,
            (std::vector<std::string>{"v-1 checked_in", "v-1 inspection", "v-1 diagnosis", "v-1 repair",
                                      "v-1 quality_check-", "v-1 repair", "v-1 quality_check+", "v-1 handed_over"}));
  EXPECT_EQ(charged_for_repairs(*api_.find("v-1")), 80000) << "the rework is not billed again";
}

TEST_F(DealerLoop, OneVisitByIdIsWaitedForUntilTheDriverBooksItAndNoOtherIsTouched) {
  api_.visits = {listed_visit("v-1", "proposed"), listed_visit("v-2", "booked")};
  api_.book_after_polls = "v-1";
  api_.answer_after = 4;
  DealerOptions o;
  o.visit_id = "v-1";
  auto handed = run(o);
  ASSERT_TRUE(handed) << handed.error().what();
  EXPECT_EQ(*handed, 1);
  EXPECT_EQ(api_.find("v-1")->at("state"), "handed_over");
  EXPECT_EQ(api_.find("v-2")->at("state"), "booked");
}

TEST_F(DealerLoop, WaitingForHandoversEndsInATimeoutOnTheClock) {
  api_.visits = {listed_visit("v-1", "proposed")};
  DealerOptions o;
  o.until_handed_over = 1;
  o.timeout = 10s;
  o.step = 500ms;
  const auto start = clock_.steady_now();
  auto r = run(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DealerErrc::timeout);
  EXPECT_GE(clock_.steady_now() - start, 10s);
  EXPECT_LE(clock_.steady_now() - start, 10500ms);
}

TEST_F(DealerLoop, ARefusedStageStopsTheRunWithTheApisDetail) {
  api_.visits = {listed_visit("v-1", "booked")};
  api_.refuse_everything = true;
  auto r = run({});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DealerErrc::conflict);
  EXPECT_NE(r.error().detail.find("approval_required"), std::string::npos) << r.error().detail;
}

}  // namespace
}  // namespace fb::dealer
