// A report's timeline and the driver's actions on its case (reply, reopen, rating, visit
// answer), through the agent with the fake MQTT client and the fake clock, on the test thread.
#include <gtest/gtest.h>

#include <optional>

#include "../common/report_fixture.hpp"
#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/agent/agent.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"
#include "process.hpp"
#include "wire_fixtures.hpp"

namespace fb::agent {
namespace {

using namespace std::chrono_literals;
using test::FakeMqtt;

using test::kVinA;
constexpr const char* kCase = "FB-2026-000123";

class Views final : public AgentListener {
 public:
  void report_changed(const ReportView& r) override { views.push_back(r); }
  std::vector<ReportView> views;
};

class TimelineTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start() {
    mqtt_ = std::make_shared<FakeMqtt::State>();
    AgentConfig c;
    c.vehicle = {kVinA, "Aurora EV", 2026, "HU-3.2.1"};
    c.database = dir_ / "car.db";
    c.sending = SendScheduler::Policy{.retry_after_failure = 1s};
    c.parked = [] { return true; };
    auto a = Agent::open(strand_, clock_, c, std::make_unique<FakeMqtt>(strand_, mqtt_));
    ASSERT_TRUE(a) << a.error().what();
    agent_ = std::move(*a);
    agent_->add_listener(&views_);
    ASSERT_TRUE(agent_->start());
    run();
    test::set_connected(*mqtt_, true);
    run();
  }
  void restart() {
    agent_->stop();
    run();
    agent_.reset();
    start();
  }
  void run() { test::run_ready(io_); }
  FakeMqtt::Published complete_next(Error e = {}) {
    auto p = test::complete_next(*mqtt_, std::move(e));
    run();
    return p;
  }
  void deliver(const wire::Envelope& env) {
    test::deliver_to_inbox(*mqtt_, kVinA, env);
    run();
  }
  /// A report the backend accepted; nothing left to publish.
  std::string accepted_report() {
    Draft d;
    d.category = wire::CATEGORY_NOISE;
    d.text = "刹车异响 brake squeal";
    d.language = "zh-CN";
    std::optional<Result<std::string>> id;
    agent_->submit(d, [&](Result<std::string> r) { id = std::move(r); });
    run();
    EXPECT_TRUE(id && *id);
    clock_.advance(1s);
    auto sent = complete_next();
    clock_.advance(1s);
    deliver(test::accepted_ack_for(sent.payload, kCase));
    return id && *id ? **id : std::string();
  }
  /// A notification the backend wrote `offset` after the test's start.
  wire::Envelope notification(const std::string& report_id, wire::CaseStatus status, std::chrono::milliseconds offset,
                              wire::Milestone milestone = wire::MILESTONE_UNSPECIFIED) {
    auto env = codec::new_envelope(start_ms_ + offset.count());
    auto* n = env.mutable_notification();
    n->set_report_id(report_id);
    n->set_case_number(kCase);
    n->set_status(status);
    n->set_milestone(milestone);
    n->set_title(std::string(wire::Milestone_Name(milestone)));
    n->set_text("text of " + std::string(wire::CaseStatus_Name(status)));
    return env;
  }
  /// The car's clock passes every notification the tests' backend wrote so far (at most a
  /// minute after the start): the driver acts after reading them.
  void later() { clock_.advance(2min); }
  /// Delivers and confirms its delivered receipt.
  void deliver_and_receipt(const wire::Envelope& env) {
    deliver(env);
    complete_next();
  }
  std::vector<TimelineEvent> timeline(const std::string& report_id) {
    std::vector<TimelineEvent> out;
    agent_->timeline(report_id, [&](Result<std::vector<TimelineEvent>> r) {
      ASSERT_TRUE(r) << r.error().what();
      out = std::move(*r);
    });
    run();
    return out;
  }
  static std::vector<TimelineKind> kinds(const std::vector<TimelineEvent>& events) {
    std::vector<TimelineKind> out;
    out.reserve(events.size());
    for (const auto& e : events) out.push_back(e.kind);
    return out;
  }
  ReportView report(const std::string& id) {
    std::optional<ReportView> out;
    agent_->reports([&](Result<std::vector<ReportView>> r) {
      for (const auto& v : r.value_or(std::vector<ReportView>{}))
        if (v.report_id == id) out = v;
    });
    run();
    EXPECT_TRUE(out);
    return out.value_or(ReportView{});
  }
  template <typename Call>
  Result<std::string> act(Call call) {
    std::optional<Result<std::string>> result;
    call([&](Result<std::string> r) { result = std::move(r); });
    EXPECT_FALSE(result) << "a completion ran inline";
    run();
    return result ? *result : fail(StorageErrc::internal, "no completion");
  }
  Result<std::string> reopen(const std::string& id, const std::string& reason = "still squeals") {
    return act([&](auto done) { agent_->reopen(id, reason, done); });
  }
  Result<std::string> reply(const std::string& id, const std::string& text) {
    return act([&](auto done) { agent_->reply(id, text, done); });
  }
  Result<std::string> rate(const std::string& id, int score, const std::string& comment = "") {
    return act([&](auto done) { agent_->rate(id, score, comment, done); });
  }
  std::size_t outbox() {
    AgentStats s;
    agent_->stats([&](AgentStats x) { s = x; });
    run();
    return s.outbox;
  }

  test::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  test::FakeClock clock_;
  const std::int64_t start_ms_ = clock_.epoch_ms();
  std::shared_ptr<FakeMqtt::State> mqtt_;
  Views views_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(TimelineTest, StepsShowInTheOrderTheyHappenedEvenWhenNotificationsArriveOutOfOrder) {
  const auto id = accepted_report();
  // The backend wrote assigned, in progress, workaround, resolved; they arrive shuffled.
  deliver_and_receipt(notification(id, wire::CASE_STATUS_RESOLVED, 60s, wire::MILESTONE_RESOLVED));
  deliver_and_receipt(notification(id, wire::CASE_STATUS_IN_PROGRESS, 30s, wire::MILESTONE_WORKAROUND));
  deliver_and_receipt(notification(id, wire::CASE_STATUS_IN_PROGRESS, 10s, wire::MILESTONE_ASSIGNED));
  deliver_and_receipt(notification(id, wire::CASE_STATUS_IN_PROGRESS, 20s));  // an older backend: by status

  const auto events = timeline(id);
  EXPECT_EQ(kinds(events),
            (std::vector<TimelineKind>{TimelineKind::queued, TimelineKind::sent, TimelineKind::delivered,
                                       TimelineKind::received, TimelineKind::assigned, TimelineKind::in_progress,
                                       TimelineKind::workaround, TimelineKind::resolved}));
  EXPECT_EQ(events[0].at_ms, start_ms_);
  EXPECT_EQ(events[1].at_ms, start_ms_);                         // the publish began at once
  EXPECT_EQ(events[2].at_ms, start_ms_ + 1000);                  // the broker's PUBACK a second later
  EXPECT_EQ(events[6].text, "text of CASE_STATUS_IN_PROGRESS");  // the team's words are kept
  // The newest notification decides the status, whatever order they came in.
  EXPECT_EQ(report(id).status, ReportStatus::resolved);
}

TEST_F(TimelineTest, TheTimelineSurvivesARestartAndADuplicateNotificationAddsNoStep) {
  const auto id = accepted_report();
  const auto progress = notification(id, wire::CASE_STATUS_IN_PROGRESS, 10s, wire::MILESTONE_IN_PROGRESS);
  deliver_and_receipt(progress);
  const auto before = kinds(timeline(id));
  ASSERT_EQ(before.size(), 5u);
  restart();
  deliver_and_receipt(progress);  // re-sent by the backend after the restart
  EXPECT_EQ(kinds(timeline(id)), before);
}

TEST_F(TimelineTest,
       AReopenIsQueuedDurablySentAgainAfterAFailureAndARestartUntilTheBackendHasItAndRefusedWhileNotResolved) {
  const auto id = accepted_report();
  deliver_and_receipt(notification(id, wire::CASE_STATUS_IN_PROGRESS, 10s));
  EXPECT_FALSE(actions_of(report(id)).reopen);
  auto refused = reopen(id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(AgentErrc::not_reopenable));
  EXPECT_EQ(reopen(id, std::string("a\0b", 3)).error().code, make_error_code(WireErrc::invalid_field));  // U+0000
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);

  deliver_and_receipt(notification(id, wire::CASE_STATUS_RESOLVED, 20s, wire::MILESTONE_RESOLVED));
  EXPECT_TRUE(actions_of(report(id)).reopen);
  later();
  auto asked = reopen(id, "still squeals");
  ASSERT_TRUE(asked) << asked.error().what();
  EXPECT_TRUE(views_.views.back().reopen_pending);
  EXPECT_FALSE(actions_of(views_.views.back()).reopen);
  EXPECT_EQ(reopen(id).error().code, make_error_code(AgentErrc::not_reopenable));  // one on its way

  // The first publish fails; the request is kept and sent again, byte for byte, across a restart.
  auto first = complete_next(Error(MqttErrc::publish_failed, "test"));
  restart();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  auto again = complete_next();
  EXPECT_EQ(again.topic, topics::receipts(kVinA));
  EXPECT_EQ(again.payload, first.payload);
  auto env = codec::decode(again.payload);
  ASSERT_TRUE(env && env->has_reopen_request());
  EXPECT_EQ(env->message_id(), *asked);
  EXPECT_EQ(env->reopen_request().report_id(), id);
  EXPECT_EQ(env->reopen_request().reason(), "still squeals");
  EXPECT_EQ(outbox(), 1u) << "the broker's PUBACK is not the backend's";

  // The backend reopens the case: the wait ends, the step shows; then its AnswerStored.
  auto reopened = notification(id, wire::CASE_STATUS_IN_PROGRESS, 10min, wire::MILESTONE_REOPENED);
  reopened.mutable_notification()->mutable_action_result()->set_action_id(*asked);
  reopened.mutable_notification()->mutable_action_result()->set_accepted(true);
  deliver_and_receipt(reopened);
  EXPECT_FALSE(report(id).reopen_pending);
  EXPECT_EQ(outbox(), 1u);
  deliver(test::answer_stored_for(again.payload));
  EXPECT_EQ(outbox(), 0u);
  const auto steps = kinds(timeline(id));
  EXPECT_EQ(std::vector<TimelineKind>(steps.end() - 2, steps.end()),
            (std::vector<TimelineKind>{TimelineKind::reopen_asked, TimelineKind::reopened}));
}

TEST_F(TimelineTest, AReopenTheBackendRefusesShowsWhyAndMayBeAskedAgain) {
  const auto id = accepted_report();
  deliver_and_receipt(notification(id, wire::CASE_STATUS_CLOSED, 20s, wire::MILESTONE_CLOSED));
  later();
  auto asked = reopen(id);
  ASSERT_TRUE(asked);
  complete_next();
  auto no = notification(id, wire::CASE_STATUS_CLOSED, 10min, wire::MILESTONE_MESSAGE);
  no.mutable_notification()->mutable_action_result()->set_action_id(*asked);
  no.mutable_notification()->mutable_action_result()->set_reason("not_reopenable");
  deliver_and_receipt(no);
  const auto events = timeline(id);
  ASSERT_EQ(events.back().kind, TimelineKind::action_refused);
  EXPECT_EQ(events.back().detail, "not_reopenable");
  EXPECT_FALSE(report(id).reopen_pending);
  EXPECT_TRUE(reopen(id));
}

TEST_F(TimelineTest, TheBackendsRefusalOfAnotherAnswerDoesNotEndAReopenOnItsWay) {
  const auto id = accepted_report();
  deliver_and_receipt(notification(id, wire::CASE_STATUS_RESOLVED, 20s, wire::MILESTONE_RESOLVED));
  later();
  ASSERT_TRUE(reopen(id));
  const auto reopen_sent = complete_next();
  ASSERT_TRUE(reply(id, "and it squeaks too"));
  const auto reply_sent = complete_next();
  deliver(test::answer_stored_for(reply_sent.payload, /*refused=*/true));
  EXPECT_TRUE(report(id).reopen_pending) << "the reply's refusal is no news of the reopen";
  deliver(test::answer_stored_for(reopen_sent.payload, /*refused=*/true));
  EXPECT_FALSE(report(id).reopen_pending) << "its own refusal ends it";
}

TEST_F(TimelineTest, AReplyIsQueuedShownAtOnceAndRefusedWithoutACaseOrOnceClosed) {
  const auto id = accepted_report();
  EXPECT_EQ(reply(id, "").error().code, make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(reply(id, std::string("a\0b", 3)).error().code, make_error_code(WireErrc::invalid_field));  // U+0000
  EXPECT_EQ(reply("no-such-report", "hi").error().code, make_error_code(StorageErrc::not_found));
  deliver_and_receipt(notification(id, wire::CASE_STATUS_WAITING_FOR_DRIVER, 10s));
  EXPECT_TRUE(actions_of(report(id)).reply);
  later();
  auto sent = reply(id, "只在冷车时 only when cold");
  ASSERT_TRUE(sent) << sent.error().what();
  const auto events = timeline(id);
  EXPECT_EQ(events.back().kind, TimelineKind::driver_reply);
  EXPECT_EQ(events.back().text, "只在冷车时 only when cold");
  EXPECT_TRUE(events.back().mine());
  auto published = complete_next();
  auto env = codec::decode(published.payload);
  ASSERT_TRUE(env && env->has_driver_message());
  EXPECT_EQ(env->message_id(), *sent);
  EXPECT_EQ(env->driver_message().text(), "只在冷车时 only when cold");

  deliver_and_receipt(notification(id, wire::CASE_STATUS_CLOSED, 10min));
  EXPECT_FALSE(actions_of(report(id)).reply);
  EXPECT_EQ(reply(id, "hello?").error().code, make_error_code(AgentErrc::case_closed));
}

TEST_F(TimelineTest, TheOutcomeIsRatedOnlyAfterResolutionAndOnce) {
  const auto id = accepted_report();
  deliver_and_receipt(notification(id, wire::CASE_STATUS_IN_PROGRESS, 10s));
  EXPECT_FALSE(actions_of(report(id)).rate);
  EXPECT_EQ(rate(id, 5).error().code, make_error_code(AgentErrc::not_resolved));

  const auto resolved = notification(id, wire::CASE_STATUS_RESOLVED, 20s, wire::MILESTONE_RESOLVED);
  deliver_and_receipt(resolved);
  EXPECT_TRUE(actions_of(report(id)).rate);
  EXPECT_EQ(rate(id, 6).error().code, make_error_code(WireErrc::invalid_field));
  later();
  auto rated = rate(id, 4, "fixed, but slow");
  ASSERT_TRUE(rated) << rated.error().what();
  auto env = codec::decode(complete_next().payload);
  ASSERT_TRUE(env && env->has_survey());
  EXPECT_EQ(env->survey().notification_id(), resolved.message_id());
  EXPECT_EQ(env->survey().score(), 4u);
  EXPECT_EQ(timeline(id).back().kind, TimelineKind::rated);
  EXPECT_EQ(timeline(id).back().detail, "4");
  EXPECT_FALSE(actions_of(report(id)).rate);
  EXPECT_EQ(rate(id, 5).error().code, make_error_code(AgentErrc::already_answered));
}

TEST_F(TimelineTest, AnAppointmentProposalIsAcceptedOrDeclinedThroughTheQueue) {
  const auto id = accepted_report();
  auto proposal = notification(id, wire::CASE_STATUS_APPOINTMENT, 10s, wire::MILESTONE_APPOINTMENT);
  auto* v = proposal.mutable_notification()->mutable_visit();
  v->set_visit_id("visit-7");
  v->set_stage(wire::VISIT_PROPOSED);
  v->add_slots()->set_slot_id("s1");
  deliver_and_receipt(proposal);
  EXPECT_TRUE(actions_of(report(id)).answer_visit);
  later();
  auto accepted = act([&](auto done) {
    agent_->answer_visit("visit-7", VisitAnswer{wire::VisitReply::PICK_SLOT, "s1", "", ""}, done);
  });
  ASSERT_TRUE(accepted) << accepted.error().what();
  EXPECT_FALSE(actions_of(views_.views.back()).answer_visit);  // the answer is on its way
  const auto picked = complete_next();
  EXPECT_EQ(codec::decode(picked.payload)->visit_reply().slot_id(), "s1");
  deliver(test::answer_stored_for(picked.payload));
  const auto events = timeline(id);
  EXPECT_EQ(events[events.size() - 2].kind, TimelineKind::appointment);
  EXPECT_EQ(events.back().kind, TimelineKind::visit_answer);
  EXPECT_EQ(events.back().detail, "pick_slot");

  // A new proposal (other slots) may be declined.
  auto second = proposal;
  second.set_message_id(codec::new_envelope(0).message_id());
  second.set_sent_at_ms(start_ms_ + 20'000);
  deliver_and_receipt(second);
  later();
  auto declined = act([&](auto done) {
    agent_->answer_visit("visit-7", VisitAnswer{wire::VisitReply::DECLINE, "", "", "busy"}, done);
  });
  ASSERT_TRUE(declined) << declined.error().what();
  EXPECT_EQ(codec::decode(complete_next().payload)->visit_reply().action(), wire::VisitReply::DECLINE);
  EXPECT_EQ(timeline(id).back().detail, "decline");
}

}  // namespace
}  // namespace fb::agent
