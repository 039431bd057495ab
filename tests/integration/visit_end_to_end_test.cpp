// A whole dealer service visit with real parts (docs/visits.md): Mosquitto with mutual TLS, the
// fb-backend binary with its HTTP API, an in-process car on real Paho and SQLite. The service
// team proposes, the car picks a slot, the dealer enters every stage through the API, the car
// approves extra cost, hears of each stage, answers the survey with a low score, and the
// follow-up case for after-sales comes back to it. Every wait is on a signal with a deadline.
#include <gtest/gtest.h>

#include <future>

#include "harness.hpp"
#include "http_client.hpp"

namespace fb::test {
namespace {

using json = nlohmann::json;

class VisitEndToEnd : public IntegrationTest {
 protected:
  /// Waits until the car's inbox has a notification for `report_id` that `pred` accepts; each
  /// arrival is the signal to look again.
  template <typename Pred>
  std::optional<agent::InboxEntry> wait_inbox(Car& car, const std::string& report_id, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    for (int seen = car.notifications(report_id);; seen = car.notifications(report_id)) {
      for (const auto& n : car.inbox())
        if (n.report_id == report_id && pred(n)) return n;
      if (std::chrono::steady_clock::now() > deadline || !car.wait_notifications(report_id, seen + 1))
        return std::nullopt;
    }
  }
  std::optional<agent::InboxEntry> wait_stage(Car& car, const std::string& report_id, wire::VisitStage stage) {
    return wait_inbox(car, report_id, [&](const agent::InboxEntry& n) { return n.visit && n.visit->stage() == stage; });
  }
  /// The car answers a visit update; the reply's message id once it is queued.
  static std::string answer(Car& car, const std::string& visit_id, agent::VisitAnswer a) {
    std::promise<Result<std::string>> done;
    car.agent().answer_visit(visit_id, std::move(a), [&](Result<std::string> r) { done.set_value(std::move(r)); });
    auto id = done.get_future().get();
    if (!id) throw std::runtime_error(id.error().what());
    return *id;
  }
};

TEST_F(VisitEndToEnd, AVisitFromProposalToFollowUpReachesTheCarAtEveryStep) {
  const std::string tokens = dir_ / "tokens.txt";
  const auto admin = add_api_token(tokens, "admin", "-", "li.na");
  const auto dealer = add_api_token(tokens, "dealer", "SH-001", "wang");
  const auto port = free_port();
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db",
                         {"--http", "127.0.0.1:" + std::to_string(port), "--tokens", tokens});
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db");
  ASSERT_TRUE(car.wait_connected());
  const auto report = car.submit("harsh shift from 2nd to 3rd when cold", "en", wire::CATEGORY_DRIVING_FEEL);
  ASSERT_TRUE(car.wait_notified({report}));
  const auto number = car.case_number(report);
  ASSERT_FALSE(number.empty());

  boost::asio::io_context io;
  HttpClient http(io, static_cast<std::uint16_t>(port));
  const auto post = [&](const std::string& target, const std::string& token, const json& body) {
    return http.post(target, token, body.dump());
  };
  for (const auto& [to, extra] : std::initializer_list<std::pair<const char*, json>>{
           {"acknowledged", json::object()}, {"assigned", {{"assignee", "li.na"}}}, {"in_progress", json::object()}}) {
    json body = extra;
    body["to"] = to;
    body["reason"] = "working on it";
    auto r = post("/api/v1/cases/" + number + "/transitions", admin, body);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  const auto now_ms = SystemClock::instance().epoch_ms();
  const std::int64_t day = std::int64_t{24} * 3'600'000;
  auto proposed = post("/api/v1/cases/" + number + "/visits", admin,
                       {{"slots",
                         {{{"dealer_code", "SH-001"},
                           {"dealer_name", "Pudong 4S"},
                           {"start_ms", now_ms + 2 * day},
                           {"end_ms", now_ms + 2 * day + 7'200'000},
                           {"work", "gearbox check"}},
                          {{"dealer_code", "SH-001"},
                           {"dealer_name", "Pudong 4S"},
                           {"start_ms", now_ms + 3 * day},
                           {"end_ms", now_ms + 3 * day + 7'200'000},
                           {"work", "gearbox check"}}}},
                        {"estimate", {{"minor", 80000}, {"currency", "CNY"}}}});
  ASSERT_EQ(proposed.status, 201) << proposed.body;
  const std::string visit = proposed.json()["id"];

  auto offer = wait_stage(car, report, wire::VISIT_PROPOSED);
  ASSERT_TRUE(offer) << "the proposal never reached the car";
  ASSERT_EQ(offer->visit->slots_size(), 2);
  agent::VisitAnswer pick;
  pick.action = wire::VisitReply::PICK_SLOT;
  pick.slot_id = offer->visit->slots(0).slot_id();
  const auto picked = answer(car, visit, pick);
  auto booked = wait_stage(car, report, wire::VISIT_BOOKED);
  ASSERT_TRUE(booked) << "the booking was never confirmed to the car";
  EXPECT_EQ(booked->visit->booked().slot_id(), pick.slot_id);

  const auto stage = [&](const json& body) { return post("/api/v1/visits/" + visit + "/stages", dealer, body); };
  const auto ready = now_ms + 2 * day + std::int64_t{6} * 3'600'000;
  const std::pair<json, wire::VisitStage> steps[] = {
      {{{"stage", "checked_in"}, {"ready_at_ms", ready}}, wire::VISIT_CHECKED_IN},
      {{{"stage", "inspection"}}, wire::VISIT_INSPECTION},
      {{{"stage", "diagnosis"}, {"findings", "adaptation values off; valve body worn"}, {"dtcs", {"P0700"}}},
       wire::VISIT_DIAGNOSIS},
  };
  for (const auto& [body, expected] : steps) {
    auto r = stage(body);
    ASSERT_EQ(r.status, 200) << body.dump() << ": " << r.body;
    auto told = wait_stage(car, report, expected);
    ASSERT_TRUE(told) << body.dump() << " never reached the car";
    EXPECT_EQ(told->visit->ready_at_ms(), ready);
  }

  const json repair = {
      {"stage", "repair"},
      {"parts", {{{"name", "valve body"}, {"quantity", 1}, {"unit_price", {{"minor", 70000}, {"currency", "CNY"}}}}}},
      {"labour", {{"minor", 30000}, {"currency", "CNY"}}}};
  ASSERT_EQ(stage(repair).status, 409);  // 1000 CNY against an 800 CNY estimate
  auto asked = post("/api/v1/visits/" + visit + "/approvals", dealer,
                    {{"amount", {{"minor", 20000}, {"currency", "CNY"}}}, {"reason", "valve body instead of a reset"}});
  ASSERT_EQ(asked.status, 201) << asked.body;
  auto prompt = wait_inbox(car, report,
                           [](const agent::InboxEntry& n) { return n.visit && n.visit->has_extra_cost(); });
  ASSERT_TRUE(prompt) << "the approval request never reached the car";
  agent::VisitAnswer approve;
  approve.action = wire::VisitReply::APPROVE_EXTRA;
  approve.approval_id = prompt->visit->extra_cost().approval_id();
  const auto reply = answer(car, visit, approve);
  ASSERT_TRUE(backend.process().wait_for_line("answer " + reply + " from " + std::string(kVinA) + " applied", kWait));
  auto repaired = stage(repair);
  ASSERT_EQ(repaired.status, 200) << repaired.body;
  ASSERT_TRUE(wait_stage(car, report, wire::VISIT_REPAIR));
  ASSERT_EQ(stage({{"stage", "quality_check"}, {"passed", true}}).status, 200);
  ASSERT_TRUE(wait_stage(car, report, wire::VISIT_QUALITY_CHECK));
  ASSERT_EQ(stage({{"stage", "handed_over"}}).status, 200);
  auto handover = wait_stage(car, report, wire::VISIT_HANDED_OVER);
  ASSERT_TRUE(handover) << "the handover never reached the car";
  EXPECT_EQ(handover->status, wire::CASE_STATUS_CLOSED);
  EXPECT_NE(handover->text.find("1000.00 CNY"), std::string::npos) << handover->text;

  std::promise<Result<void>> answered;
  car.agent().answer_survey(handover->message_id, 2, "waited an hour at pick-up",
                            [&](Result<void> r) { answered.set_value(std::move(r)); });
  ASSERT_TRUE(answered.get_future().get());
  auto follow = wait_inbox(car, report, [&](const agent::InboxEntry& n) { return n.case_number != number; });
  ASSERT_TRUE(follow) << "the follow-up never reached the car";

  auto seen = http.get("/api/v1/visits/" + visit, admin).json();
  EXPECT_EQ(seen["state"], "handed_over");
  EXPECT_EQ(seen["survey"]["score"], 2);
  EXPECT_EQ(seen["follow_up_case"], follow->case_number);
  EXPECT_EQ(seen["car_evidence"]["dealer_dtcs_confirmed"], json::array());  // the car reported no DTC
  auto follow_up = http.get("/api/v1/cases/" + follow->case_number, admin).json();
  EXPECT_EQ(follow_up["case"]["team"], "after_sales");
  EXPECT_EQ(follow_up["case"]["first_reply_due_ms"].get<std::int64_t>() -
                follow_up["case"]["created_ms"].get<std::int64_t>(),
            std::int64_t{24} * 3'600'000);
  std::vector<int> stages;
  for (const auto& n : car.inbox())
    if (n.report_id == report && n.visit) stages.push_back(n.visit->stage());
  std::sort(stages.begin(), stages.end());
  stages.erase(std::unique(stages.begin(), stages.end()), stages.end());
  EXPECT_EQ(stages, (std::vector<int>{wire::VISIT_PROPOSED, wire::VISIT_BOOKED, wire::VISIT_CHECKED_IN,
                                      wire::VISIT_INSPECTION, wire::VISIT_DIAGNOSIS, wire::VISIT_REPAIR,
                                      wire::VISIT_QUALITY_CHECK, wire::VISIT_HANDED_OVER}));

  // Each of the driver's three answers (the slot, the extra cost, the survey) left the car's
  // outbox only at the backend's AnswerStored, none refused.
  const auto stored = car.wait_answers_stored(3);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_TRUE(stored.contains(picked));
  EXPECT_TRUE(stored.contains(reply));
  for (const auto& [id, refused] : stored) EXPECT_FALSE(refused) << id;
}

}  // namespace
}  // namespace fb::test
