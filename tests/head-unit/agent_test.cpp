#include "fb/agent/agent.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>

#include "fake_mqtt.hpp"
#include "wire_fixtures.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"
#include "process.hpp"

namespace fb::agent {
namespace {

using namespace std::chrono_literals;
using test::FakeMqtt;

constexpr const char* kVin = "LSVAX60E5K2000001";

// Records listener events; waits on them with a deadline instead of sleeping.
class Events final : public AgentListener {
 public:
  void report_changed(const ReportView& r) override {
    std::lock_guard lock(mu_);
    statuses_.push_back(r.status);
    cv_.notify_all();
  }
  void notification_received(const InboxEntry& n) override {
    std::lock_guard lock(mu_);
    notifications_.push_back(n);
    cv_.notify_all();
  }
  void storage_problem(const Error& e) override {
    std::lock_guard lock(mu_);
    problems_.push_back(e);
    cv_.notify_all();
  }
  bool wait_status(ReportStatus s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return std::find(statuses_.begin(), statuses_.end(), s) != statuses_.end(); });
  }
  std::size_t notifications() {
    std::lock_guard lock(mu_);
    return notifications_.size();
  }
  std::vector<Error> problems() {
    std::lock_guard lock(mu_);
    return problems_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReportStatus> statuses_;
  std::vector<InboxEntry> notifications_;
  std::vector<Error> problems_;
};

class AgentTest : public ::testing::Test {
 protected:
  std::unique_ptr<Agent> make_agent(SendScheduler::Policy policy = {}) {
    mqtt_ = std::make_shared<FakeMqtt::State>();
    AgentConfig c;
    c.vehicle = {kVin, "Aurora EV", 2026, "HU-3.2.1"};
    c.database = dir_ / "car.db";
    c.sending = policy;
    auto a = Agent::open(c, std::make_unique<FakeMqtt>(mqtt_), SystemClock::instance());
    EXPECT_TRUE(a) << a.error().what();
    (*a)->add_listener(&events_);
    return std::move(*a);
  }
  static Draft draft(const std::string& text = "刹车异响 brake squeal") {
    Draft d;
    d.category = wire::CATEGORY_NOISE;
    d.text = text;
    d.language = "zh-CN";
    return d;
  }
  void deliver(const wire::Envelope& env) { test::deliver_to_inbox(*mqtt_, kVin, env); }
  static wire::Envelope ack_for(const FakeMqtt::Published& p, const std::string& number) {
    return test::accepted_ack_for(p.payload, number);
  }

  test::TempDir dir_;
  std::shared_ptr<FakeMqtt::State> mqtt_;
  Events events_;
};

TEST_F(AgentTest, AReportSavedOfflineIsSentOnceConnected) {
  auto agent = make_agent();
  ASSERT_TRUE(agent->start());
  auto id = agent->submit_sync(draft());
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
  EXPECT_EQ(mqtt_->subscriptions, std::vector<std::string>{topics::inbox(kVin)});

  test::set_connected(*mqtt_, true);
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 1));
  auto sent = test::complete_next(*mqtt_);
  EXPECT_EQ(sent.topic, topics::reports(kVin));
  auto env = codec::decode(sent.payload);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->report().report_id(), *id);
  EXPECT_EQ(env->report().text(), "刹车异响 brake squeal");
}

TEST_F(AgentTest, TheBackendsAckEmptiesTheOutboxAndUpdatesMyReports) {
  auto agent = make_agent();
  ASSERT_TRUE(agent->start());
  test::set_connected(*mqtt_, true);
  ASSERT_TRUE(agent->submit_sync(draft()));
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 1));
  auto sent = test::complete_next(*mqtt_);
  deliver(ack_for(sent, "FB-2026-000123"));
  ASSERT_TRUE(events_.wait_status(ReportStatus::acknowledged));
  EXPECT_EQ(agent->stats_sync().outbox, 0u);
  auto reports = agent->reports_sync();
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ(reports->front().case_number, "FB-2026-000123");
}

TEST_F(AgentTest, WithoutAnAckTheReportIsSentAgain) {
  auto agent = make_agent(SendScheduler::Policy{.ack_timeout = 50ms});
  ASSERT_TRUE(agent->start());
  test::set_connected(*mqtt_, true);
  ASSERT_TRUE(agent->submit_sync(draft()));
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 1));
  auto first = test::complete_next(*mqtt_);
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 1)) << "not re-sent after the ack timeout";
  auto second = test::complete_next(*mqtt_);
  EXPECT_EQ(first.payload, second.payload);  // byte-identical: the backend de-duplicates
}

TEST_F(AgentTest, ANotificationIsShownOnceAndReceiptedEveryTime) {
  auto agent = make_agent();
  ASSERT_TRUE(agent->start());
  test::set_connected(*mqtt_, true);
  auto id = agent->submit_sync(draft());
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 1));
  auto sent = test::complete_next(*mqtt_);
  deliver(ack_for(sent, "FB-2026-000123"));

  auto note = codec::new_envelope(1);
  note.mutable_notification()->set_report_id(*id);
  note.mutable_notification()->set_case_number("FB-2026-000123");
  note.mutable_notification()->set_status(wire::CASE_STATUS_RECEIVED);
  note.mutable_notification()->set_title("Feedback received");
  deliver(note);
  deliver(note);  // the backend re-sent it (our first receipt was lost)
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 2));
  auto r1 = test::complete_next(*mqtt_);
  auto r2 = test::complete_next(*mqtt_);
  EXPECT_EQ(r1.topic, topics::receipts(kVin));
  EXPECT_EQ(codec::decode(r2.payload)->receipt().notification_id(), note.message_id());
  auto stats = agent->stats_sync();
  EXPECT_EQ(stats.notifications, 1u);
  EXPECT_EQ(stats.duplicate_notifications, 1u);
  EXPECT_EQ(stats.outbox, 0u);  // receipts leave the outbox once the broker has them
  EXPECT_EQ(events_.notifications(), 1u);
  EXPECT_EQ(agent->reports_sync()->front().status, ReportStatus::received);
}

TEST_F(AgentTest, AQueuedReportSurvivesTheAppBeingClosed) {
  std::string id;
  {
    auto agent = make_agent();
    ASSERT_TRUE(agent->start());
    id = *agent->submit_sync(draft());
  }  // closed before it was ever sent
  auto agent = make_agent();
  ASSERT_TRUE(agent->start());
  test::set_connected(*mqtt_, true);
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 1));
  EXPECT_EQ(codec::decode(test::complete_next(*mqtt_).payload)->report().report_id(), id);
}

TEST_F(AgentTest, AnInvalidDraftIsNotSaved) {
  auto agent = make_agent();
  ASSERT_TRUE(agent->start());
  Draft d = draft();
  d.language = "";
  auto r = agent->submit_sync(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::missing_field));
  EXPECT_TRUE(agent->reports_sync()->empty());
}

TEST_F(AgentTest, GarbageOnTheInboxIsCountedAndIgnored) {
  auto agent = make_agent();
  ASSERT_TRUE(agent->start());
  mqtt_->on_message(mqtt::Message{topics::inbox(kVin), "\x01\x02garbage"});
  test::set_connected(*mqtt_, true);
  ASSERT_TRUE(agent->submit_sync(draft()));
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 1));  // still working
  EXPECT_EQ(agent->stats_sync().bad_messages, 1u);
}

TEST_F(AgentTest, ACorruptQueueFileIsReportedAndReplaced) {
  std::ofstream(dir_ / "car.db", std::ios::binary) << std::string(5000, '\x7f');
  auto agent = make_agent();
  ASSERT_TRUE(agent->start());
  ASSERT_TRUE(agent->submit_sync(draft()));
  auto problems = events_.problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].code, make_error_code(StorageErrc::corrupt));
  EXPECT_NE(problems[0].detail.find(".corrupt-"), std::string::npos);
}

}  // namespace
}  // namespace fb::agent
