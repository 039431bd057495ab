// The agent against the fake MQTT client and the fake clock, all on the test thread: every
// step is driven (run_ready / run_for), nothing waits for wall-clock time.
#include "fb/agent/agent.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "../common/report_fixture.hpp"
#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/agent/message_expiry.hpp"
#include "fb/agent/scripted_driver.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/series_codec.hpp"
#include "fb/common/sqlite.hpp"
#include "fb/common/topics.hpp"
#include "fb/mqtt/options.hpp"
#include "process.hpp"
#include "wire_fixtures.hpp"

namespace fb::agent {
namespace {

using namespace std::chrono_literals;
using test::FakeMqtt;

using test::kVinA;

// Records listener events (they run on the test thread, as the executor does).
class Events final : public AgentListener {
 public:
  void report_changed(const ReportView& r) override {
    statuses.push_back(r.status);
    views.push_back(r);
  }
  void report_sent(const std::string& id) override { sent.push_back(id); }
  void notification_received(const InboxEntry& n) override { notifications.push_back(n); }
  void connection_changed(bool up) override { connections.push_back(up); }
  void link_problem(const Error& e) override { link_problems.push_back(e); }
  void storage_problem(const Error& e) override { problems.push_back(e); }
  void report_dropped(const ReportView& r) override { dropped.push_back(r); }

  std::vector<ReportStatus> statuses;
  std::vector<ReportView> dropped;
  std::vector<ReportView> views;
  std::vector<std::string> sent;
  std::vector<InboxEntry> notifications;
  std::vector<bool> connections;
  std::vector<Error> link_problems;
  std::vector<Error> problems;
};

class AgentTest : public ::testing::Test {
 protected:
  std::unique_ptr<Agent> make_agent(SendScheduler::Policy policy = {}) {
    mqtt_ = std::make_shared<FakeMqtt::State>();
    AgentConfig c;
    c.vehicle = {kVinA, "Aurora EV", 2026, "HU-3.2.1"};
    c.database = dir_ / "car.db";
    c.sending = policy;
    c.storage = storage_;
    if (with_vehicle_state_) c.parked = [this] { return parked_; };
    c.mqtt.will = will_;
    c.recorder = recorder_.get();
    auto a = Agent::open(strand_, clock_, c, std::make_unique<FakeMqtt>(strand_, mqtt_));
    EXPECT_TRUE(a) << a.error().what();
    (*a)->add_listener(&events_);
    return std::move(*a);
  }
  std::unique_ptr<Agent> started_agent(SendScheduler::Policy policy = {}) {
    auto a = make_agent(policy);
    EXPECT_TRUE(a->start());
    run();
    return a;
  }
  void run() { test::run_ready(io_); }
  void connect() {
    test::set_connected(*mqtt_, true);
    run();
  }

  Result<std::string> submit(Agent& a) { return submit(a, draft()); }
  Result<std::string> submit(Agent& a, Draft d) {
    std::optional<Result<std::string>> result;
    a.submit(std::move(d), [&](Result<std::string> r) { result = std::move(r); });
    EXPECT_FALSE(result) << "a completion ran inline";
    run();
    EXPECT_TRUE(result) << "no completion";
    return result ? *result : fail(StorageErrc::internal, "no completion");
  }
  std::vector<ReportView> reports(Agent& a) {
    std::vector<ReportView> out;
    a.reports([&](Result<std::vector<ReportView>> r) { out = r.value_or(std::vector<ReportView>{}); });
    run();
    return out;
  }
  std::vector<TimelineEvent> timeline(Agent& a, const std::string& report_id) {
    std::vector<TimelineEvent> out;
    a.timeline(report_id,
               [&](Result<std::vector<TimelineEvent>> t) { out = t.value_or(std::vector<TimelineEvent>{}); });
    run();
    return out;
  }
  AgentStats stats(Agent& a) {
    AgentStats out;
    a.stats([&](AgentStats s) { out = s; });
    run();
    return out;
  }
  static Draft draft(const std::string& text = "刹车异响 brake squeal") {
    Draft d;
    d.category = wire::CATEGORY_NOISE;
    d.text = text;
    d.language = "zh-CN";
    return d;
  }
  void deliver(const wire::Envelope& env) {
    test::deliver_to_inbox(*mqtt_, kVinA, env);
    run();
  }
  FakeMqtt::Published complete_next(Error e = {}) {
    auto p = test::complete_next(*mqtt_, std::move(e));
    run();
    return p;
  }
  // The backend's first notification of a report's case: received.
  static wire::Envelope received_notification(const std::string& report_id, const std::string& case_number) {
    auto note = codec::new_envelope(1);
    note.mutable_notification()->set_report_id(report_id);
    note.mutable_notification()->set_case_number(case_number);
    note.mutable_notification()->set_status(wire::CASE_STATUS_RECEIVED);
    note.mutable_notification()->set_title("Feedback received");
    return note;
  }
  // A later notification of a report's case, stamped by the backend `after_ms` past the car's now.
  wire::Envelope case_update(const std::string& report_id, const std::string& case_number, wire::CaseStatus status,
                             std::int64_t after_ms = 1) const {
    auto note = codec::new_envelope(clock_.epoch_ms() + after_ms);
    note.mutable_notification()->set_report_id(report_id);
    note.mutable_notification()->set_case_number(case_number);
    note.mutable_notification()->set_status(status);
    return note;
  }
  static wire::Envelope ack_for(const FakeMqtt::Published& p, const std::string& number) {
    return test::accepted_ack_for(p.payload, number);
  }

  test::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  test::FakeClock clock_;
  std::shared_ptr<FakeMqtt::State> mqtt_;
  Events events_;
  CarStore::Options storage_;
  bool with_vehicle_state_ = true;
  bool parked_ = true;
  std::optional<mqtt::Will> will_;
  std::unique_ptr<SnapshotRecorder> recorder_;  // set by tests that capture snapshots
};

// A queued payload that no longer opens (here: bytes that look sealed, in a store without keys)
// is neither sent nor deleted, and the driver hears of it at the first attempt.
TEST_F(AgentTest, AQueuedPayloadThatCannotBeReadIsKeptAndReportedAsAStorageProblem) {
  auto agent = started_agent();
  auto id = submit(*agent);
  ASSERT_TRUE(id) << id.error().what();
  {
    auto raw = sql::Database::open(dir_ / "car.db");
    ASSERT_TRUE(raw);
    auto garble = raw->prepare("UPDATE outbox SET payload = CAST(? AS BLOB) WHERE id = ?");
    ASSERT_TRUE(garble);
    garble->bind(1, "fbE1" + std::string(64, 'x')).bind(2, *id);
    ASSERT_TRUE(garble->run());
  }
  connect();
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
  ASSERT_EQ(events_.problems.size(), 1u);
  EXPECT_EQ(events_.problems.front().code.category(), storage_category()) << events_.problems.front().what();
  ASSERT_EQ(reports(*agent).size(), 1u);
  EXPECT_EQ(reports(*agent).front().status, ReportStatus::queued);
}

TEST_F(AgentTest, AcksThatArriveTogetherAreAppliedTogetherAndBeforeWhatFollows) {
  auto agent = started_agent();
  connect();
  std::vector<std::string> ids;
  ids.reserve(3);
  for (int i = 0; i < 3; ++i) ids.push_back(*submit(*agent, draft("report " + std::to_string(i))));
  std::vector<FakeMqtt::Published> sent;
  while (test::pending_publishes(*mqtt_) > 0) sent.push_back(complete_next());
  ASSERT_EQ(sent.size(), 3u);
  // All read by the client before the strand runs: one group. The notification after them is
  // applied after them (its newer status stays).
  for (std::size_t i = 0; i < 3; ++i)
    test::deliver_to_inbox(*mqtt_, kVinA, ack_for(sent[i], "FB-2026-00020" + std::to_string(i)));
  auto note = case_update(ids[1], "FB-2026-000201", wire::CASE_STATUS_IN_PROGRESS);
  note.mutable_notification()->set_title("in progress");
  test::deliver_to_inbox(*mqtt_, kVinA, note);
  events_ = Events{};
  run();
  EXPECT_EQ(stats(*agent).acks, 3u);
  EXPECT_EQ(stats(*agent).outbox, 1u);  // only the notification's receipt
  auto list = reports(*agent);
  ASSERT_EQ(list.size(), 3u);
  for (const auto& r : list) {
    const auto i = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), r.report_id) - ids.begin());
    ASSERT_LT(i, 3u);
    EXPECT_EQ(r.case_number, "FB-2026-00020" + std::to_string(i));
    EXPECT_EQ(r.status, i == 1 ? ReportStatus::in_progress : ReportStatus::acknowledged) << i;
  }
  test::run_for(io_, clock_, 1h);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 1u) << "only the receipt; no acknowledged report sent again";
}

/// Commit records in the WAL file at `wal` that belong to its current generation (their salts
/// match the header's): one per transaction since the last checkpoint reset it.
std::size_t wal_commits(const std::filesystem::path& wal) {
  std::ifstream in(wal, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto u32 = [&](std::size_t at) {
    return (std::uint32_t{static_cast<unsigned char>(bytes[at])} << 24) |
           (std::uint32_t{static_cast<unsigned char>(bytes[at + 1])} << 16) |
           (std::uint32_t{static_cast<unsigned char>(bytes[at + 2])} << 8) |
           std::uint32_t{static_cast<unsigned char>(bytes[at + 3])};
  };
  if (bytes.size() < 32) return 0;
  const std::size_t page = u32(8);
  std::size_t commits = 0;
  for (std::size_t at = 32; at + 24 + page <= bytes.size(); at += 24 + page) {
    if (bytes.compare(at + 8, 8, bytes, 16, 8) != 0) break;  // an older generation's frames
    if (u32(at + 4) != 0) ++commits;
  }
  return commits;
}

TEST_F(AgentTest, NotificationsThatArriveTogetherAreOneCommitInTheOrderTheBackendSentThem) {
  auto agent = started_agent();
  connect();
  const auto id = *submit(*agent, draft("rattle"));
  deliver(ack_for(complete_next(), "FB-2026-000401"));
  const auto wal = dir_ / "car.db-wal";
  const auto before = wal_commits(wal);
  ASSERT_GT(before, 0u) << "the WAL holds this run's commits";
  // Eight case updates waiting in the car's session, read before the strand runs (a reconnect).
  std::vector<std::string> message_ids;
  for (int i = 1; i <= 8; ++i) {
    auto note = case_update(id, "FB-2026-000401", i == 8 ? wire::CASE_STATUS_RESOLVED : wire::CASE_STATUS_IN_PROGRESS,
                            i);
    note.mutable_notification()->set_title("update " + std::to_string(i));
    message_ids.push_back(note.message_id());
    test::deliver_to_inbox(*mqtt_, kVinA, note);
  }
  events_ = Events{};
  run();
  EXPECT_EQ(wal_commits(wal) - before, 1u) << "one transaction, one fsync";
  EXPECT_EQ(stats(*agent).notifications, 8u);
  ASSERT_EQ(events_.notifications.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(events_.notifications[i].message_id, message_ids[i]) << i;
  EXPECT_EQ(reports(*agent).at(0).status, ReportStatus::resolved);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 8u) << "a delivered receipt each, sent after the commit";
  EXPECT_TRUE(events_.problems.empty());
}

// One update of a group that the store refuses (a trigger planted on the file stands for a fault
// of that row alone) holds back only itself: the group is applied one by one, the others are
// stored and receipted, and the refused one, with no receipt, is stored when the backend resends it.
TEST_F(AgentTest, AnUpdateTheStoreRefusesHoldsBackOnlyItselfFromTheUpdatesReadWithIt) {
  auto agent = started_agent();
  connect();
  const auto id = *submit(*agent, draft("rattle"));
  deliver(ack_for(complete_next(), "FB-2026-000402"));
  std::vector<wire::Envelope> notes;
  for (int i = 1; i <= 3; ++i) {
    notes.push_back(case_update(id, "FB-2026-000402", wire::CASE_STATUS_IN_PROGRESS, i));
    notes.back().mutable_notification()->set_title("update " + std::to_string(i));
  }
  auto other = sql::Database::open(dir_ / "car.db");
  ASSERT_TRUE(other) << other.error().what();
  ASSERT_TRUE(other->exec("CREATE TRIGGER refuse BEFORE INSERT ON inbox WHEN NEW.message_id = '" +
                          notes[1].message_id() + "' BEGIN SELECT RAISE(ABORT, 'planted'); END"));
  for (const auto& note : notes) test::deliver_to_inbox(*mqtt_, kVinA, note);
  events_ = Events{};
  run();
  ASSERT_EQ(events_.notifications.size(), 2u);
  EXPECT_EQ(events_.notifications[0].message_id, notes[0].message_id());
  EXPECT_EQ(events_.notifications[1].message_id, notes[2].message_id());
  EXPECT_EQ(test::pending_publishes(*mqtt_), 2u) << "a receipt for each stored update, none for the refused one";
  ASSERT_EQ(events_.problems.size(), 1u) << "the refused update is reported once";
  EXPECT_NE(events_.problems[0].what().find("planted"), std::string::npos) << events_.problems[0].what();

  ASSERT_TRUE(other->exec("DROP TRIGGER refuse"));
  events_ = Events{};
  deliver(notes[1]);  // the backend's resend: no receipt came
  ASSERT_EQ(events_.notifications.size(), 1u);
  EXPECT_EQ(events_.notifications[0].message_id, notes[1].message_id());
  EXPECT_TRUE(events_.notifications[0].superseded) << "update 3 is newer: not news";
  EXPECT_EQ(stats(*agent).notifications, 3u);
  EXPECT_EQ(stats(*agent).superseded_notifications, 1u);
}

// A notification the backend wrote before one the car already applied (a resend after a
// reconnect) is stored, on the timeline too, and marked superseded: the app raises no banner for
// it (a stale "in progress" after "resolved" is not news). A team's message is never superseded.
TEST_F(AgentTest, ANotificationOlderThanOneAlreadyAppliedIsMarkedSupersededButATeamsMessageNever) {
  auto agent = started_agent();
  connect();
  const auto id = *submit(*agent, draft("rattle"));
  deliver(ack_for(complete_next(), "FB-2026-000403"));
  auto older = case_update(id, "FB-2026-000403", wire::CASE_STATUS_IN_PROGRESS, 3);
  older.mutable_notification()->set_milestone(wire::MILESTONE_IN_PROGRESS);
  auto message = case_update(id, "FB-2026-000403", wire::CASE_STATUS_IN_PROGRESS, 2);
  message.mutable_notification()->set_milestone(wire::MILESTONE_MESSAGE);
  auto newer = case_update(id, "FB-2026-000403", wire::CASE_STATUS_RESOLVED, 4);
  newer.mutable_notification()->set_milestone(wire::MILESTONE_RESOLVED);
  events_ = Events{};
  deliver(newer);
  deliver(older);
  deliver(message);
  ASSERT_EQ(events_.notifications.size(), 3u);
  EXPECT_FALSE(events_.notifications[0].superseded);
  EXPECT_TRUE(events_.notifications[1].superseded);
  EXPECT_FALSE(events_.notifications[2].superseded) << "a team's message is news whenever it comes";
  EXPECT_EQ(reports(*agent).at(0).status, ReportStatus::resolved);
  EXPECT_EQ(stats(*agent).superseded_notifications, 1u);
  const auto steps = timeline(*agent, id);
  EXPECT_TRUE(std::any_of(steps.begin(), steps.end(), [](const TimelineEvent& e) {
    return e.kind == TimelineKind::in_progress;
  })) << "its step is still history";
}

TEST_F(AgentTest, OpeningTheAgentForgetsFinishedReportsPastTheHistory) {
  storage_.history = 24h;
  std::string closed_id;
  std::string open_id;
  {
    auto agent = started_agent();
    connect();
    closed_id = *submit(*agent, draft("closed long ago"));
    open_id = *submit(*agent, draft("still being worked on"));
    const auto first = complete_next();
    const auto second = complete_next();
    deliver(ack_for(first, "FB-2026-000301"));
    deliver(ack_for(second, "FB-2026-000302"));
    auto note = case_update(closed_id, "FB-2026-000301", wire::CASE_STATUS_CLOSED);
    deliver(note);
    ASSERT_EQ(reports(*agent).size(), 2u);
    agent->stop();
    run();
  }
  clock_.advance(25h);
  auto reopened = make_agent();
  const auto list = reports(*reopened);
  ASSERT_EQ(list.size(), 1u) << "the closed report is past its day of history";
  EXPECT_EQ(list[0].report_id, open_id);
}

TEST_F(AgentTest, AStartOnAnRtcSteppedYearsAheadKeepsTheHistoryTheBackendHasNotPassed) {
  storage_.history = 24h;
  storage_.clock_lead = 1h;
  std::string closed_id;
  {
    auto agent = started_agent();
    connect();
    closed_id = *submit(*agent, draft("closed yesterday"));
    deliver(ack_for(complete_next(), "FB-2026-000321"));
    auto note = case_update(closed_id, "FB-2026-000321", wire::CASE_STATUS_CLOSED);
    deliver(note);
    agent->stop();
    run();
  }
  // Two years on by the RTC, a few minutes by the backend's last word: still in My reports.
  clock_.set_wall_ms(clock_.epoch_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(2 * 365 * 24h).count());
  auto reopened = make_agent();
  const auto list = reports(*reopened);
  ASSERT_EQ(list.size(), 1u) << "a stepped clock must not erase the driver's history";
  EXPECT_EQ(list[0].report_id, closed_id);
}

TEST_F(AgentTest, AHeadUnitWhoseClockIsSetAfterStartForgetsItsHistoryThen) {
  storage_.history = 24h;
  const auto valid_ms = clock_.epoch_ms();
  {
    auto agent = started_agent();
    connect();
    const auto id = *submit(*agent, draft("closed long ago"));
    deliver(ack_for(complete_next(), "FB-2026-000311"));
    auto note = case_update(id, "FB-2026-000311", wire::CASE_STATUS_CLOSED);
    deliver(note);
    agent->stop();
    run();
  }
  // The next start: the real-time clock is back in 2000 until GNSS sets it.
  clock_.set_wall_ms(946'684'800'000);
  auto agent = started_agent();
  ASSERT_EQ(reports(*agent).size(), 1u) << "nothing is old on an unset clock";
  clock_.set_wall_ms(valid_ms + std::chrono::duration_cast<std::chrono::milliseconds>(25h).count());
  test::run_for(io_, clock_, 2min);  // the agent looks at the clock each minute while it is unset
  EXPECT_TRUE(reports(*agent).empty()) << "forgotten once the clock was set";
}

TEST_F(AgentTest, AReportSavedOfflineIsSentOnceConnected) {
  auto agent = started_agent();
  auto id = submit(*agent);
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
  ASSERT_EQ(mqtt_->subscriptions.size(), 1u);
  EXPECT_EQ(mqtt_->subscriptions[0].first, topics::inbox(kVinA));
  EXPECT_EQ(mqtt_->subscriptions[0].second, mqtt::QoS::at_least_once);

  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  auto sent = complete_next();
  EXPECT_EQ(sent.topic, topics::reports(kVinA));
  EXPECT_EQ(sent.qos, mqtt::QoS::at_least_once);
  auto env = codec::decode(sent.payload);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->report().report_id(), *id);
  EXPECT_EQ(env->report().text(), "刹车异响 brake squeal");
  EXPECT_EQ(events_.sent, std::vector<std::string>({*id}));
}

TEST_F(AgentTest, PubacksThatComeTogetherAreRecordedTogetherBeforeTheAcksThatFollow) {
  auto agent = started_agent();
  std::vector<std::string> ids;
  ids.reserve(3);
  for (int i = 0; i < 3; ++i) ids.push_back(*submit(*agent, draft("report " + std::to_string(i))));
  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 3u);
  std::vector<FakeMqtt::Published> published;
  published.reserve(3);
  for (int i = 0; i < 3; ++i) published.push_back(test::complete_next(*mqtt_));  // three PUBACKs, then the strand runs
  for (int i = 0; i < 3; ++i)
    test::deliver_to_inbox(*mqtt_, kVinA, ack_for(published[i], "FB-2026-00000" + std::to_string(i)));
  run();
  auto sent = events_.sent;
  std::ranges::sort(sent);
  std::ranges::sort(ids);
  EXPECT_EQ(sent, ids);
  for (const auto& id : ids) {
    std::vector<TimelineKind> kinds;
    agent->timeline(id, [&](Result<std::vector<TimelineEvent>> t) {
      ASSERT_TRUE(t) << t.error().what();
      for (const auto& e : *t) kinds.push_back(e.kind);
    });
    run();
    EXPECT_EQ(kinds, (std::vector<TimelineKind>{TimelineKind::queued, TimelineKind::sent, TimelineKind::delivered,
                                                TimelineKind::received}))
        << id;
  }
}

TEST_F(AgentTest, TheBackendsAckEmptiesTheOutboxAndUpdatesMyReports) {
  auto agent = started_agent();
  connect();
  ASSERT_TRUE(submit(*agent));
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  auto sent = complete_next();
  deliver(ack_for(sent, "FB-2026-000123"));
  EXPECT_EQ(events_.statuses.back(), ReportStatus::acknowledged);
  EXPECT_EQ(stats(*agent).outbox, 0u);
  auto list = reports(*agent);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list.front().case_number, "FB-2026-000123");
  test::run_for(io_, clock_, 1h);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "an acknowledged report was sent again";
}

TEST_F(AgentTest, WithoutAnAckTheReportIsSentAgainExactlyAfterTheAckTimeout) {
  auto agent = started_agent(SendScheduler::Policy{.ack_timeout = 30s, .jitter = 0});
  connect();
  ASSERT_TRUE(submit(*agent));
  auto first = complete_next();
  test::run_for(io_, clock_, 30s - 1ms);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "sent again before the ack timeout";
  test::run_for(io_, clock_, 1ms);
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u) << "not sent again after the ack timeout";
  auto second = complete_next();
  EXPECT_EQ(first.payload, second.payload);  // byte-identical: the backend de-duplicates
}

TEST_F(AgentTest, AFailedPublishIsRetriedAfterItsBackoffWhichDoubles) {
  auto agent = started_agent(SendScheduler::Policy{.retry_after_failure = 1s, .jitter = 0});
  connect();
  ASSERT_TRUE(submit(*agent));
  complete_next(Error(MqttErrc::publish_failed, "test"));
  test::run_for(io_, clock_, 999ms);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
  test::run_for(io_, clock_, 1ms);
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  complete_next(Error(MqttErrc::publish_failed, "test"));
  test::run_for(io_, clock_, 1999ms);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "the second retry did not back off further";
  test::run_for(io_, clock_, 1ms);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 1u);
  EXPECT_EQ(stats(*agent).publish_failures, 2u);
}

TEST_F(AgentTest, AReconnectSendsAgainWhatWasInFlightOnTheOldLink) {
  auto agent = started_agent();
  connect();
  auto id = submit(*agent);
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  test::set_connected(*mqtt_, false);  // lost before the PUBACK
  run();
  complete_next(Error(MqttErrc::not_connected, "lost"));
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "published while offline";
  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  EXPECT_EQ(codec::decode(complete_next().payload)->report().report_id(), *id);
  EXPECT_EQ(events_.connections, (std::vector<bool>{true, false, true}));
}

TEST_F(AgentTest, AReportWhosePublishesFailedGoesOutTheMomentTheLinkIsBackNotAfterItsBackoff) {
  auto agent = started_agent(SendScheduler::Policy{.retry_after_failure = 10s, .jitter = 0});
  connect();
  auto id = submit(*agent);
  complete_next(Error(MqttErrc::publish_failed, "broker going down"));
  test::run_for(io_, clock_, 10s);
  complete_next(Error(MqttErrc::publish_failed, "broker going down"));  // next try in 20 s
  test::set_connected(*mqtt_, false);
  run();
  test::run_for(io_, clock_, 1s);
  connect();  // the broker is back after 1 s
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u) << "waited for the old backoff";
  EXPECT_EQ(codec::decode(complete_next().payload)->report().report_id(), *id);
}

TEST_F(AgentTest, NetworkUpReachesTheClientOnTheAgentsExecutorWhileRunning) {
  auto agent = make_agent();
  agent->network_up();
  run();
  EXPECT_EQ(mqtt_->network_ups, 0u) << "before start there is no link to hurry";
  ASSERT_TRUE(agent->start());
  agent->network_up();
  EXPECT_EQ(mqtt_->network_ups, 0u) << "ran inline, off the executor";
  run();
  EXPECT_EQ(mqtt_->network_ups, 1u);
  agent->stop();
  agent->network_up();
  run();
  EXPECT_EQ(mqtt_->network_ups, 1u);
}

TEST_F(AgentTest, WithAWillEveryConnectPublishesOnlineRetainedOnTheWillsTopic) {
  will_ = mqtt::Will{topics::status(kVinA), "offline", mqtt::QoS::at_least_once, true};
  auto agent = started_agent();
  ASSERT_TRUE(submit(*agent));
  for (int round = 0; round < 2; ++round) {
    connect();
    ASSERT_EQ(test::pending_publishes(*mqtt_), 2u);
    const auto& status = mqtt_->published.front();
    EXPECT_EQ(status.topic, topics::status(kVinA));
    EXPECT_EQ(status.payload, "online");
    EXPECT_TRUE(status.props.retain);
    EXPECT_EQ(mqtt_->published.back().topic, topics::reports(kVinA));
    EXPECT_FALSE(mqtt_->published.back().props.retain);
    EXPECT_EQ(mqtt_->published.back().props.message_expiry,
              std::chrono::duration_cast<std::chrono::seconds>(storage_.ttl_normal))
        << "a normal report expires on the broker with its time to live";
    test::set_connected(*mqtt_, false);
    run();
    while (test::pending_publishes(*mqtt_) > 0) complete_next(Error(MqttErrc::not_connected, "lost"));
  }
}

TEST(AgentConfig, ACarsWillIsItsRetainedOfflineStatus) {
  const auto c = make_agent_config({kVinA, "Aurora EV", 2026, "HU-3.2.1"}, "ssl://127.0.0.1:8883", "/pki", "car.db");
  ASSERT_TRUE(c.mqtt.will);
  EXPECT_EQ(c.mqtt.will->topic, "vehicles/" + std::string(kVinA) + "/status");
  EXPECT_EQ(c.mqtt.will->payload, "offline");
  EXPECT_TRUE(c.mqtt.will->retain);
  EXPECT_EQ(c.mqtt.will->qos, mqtt::QoS::at_least_once);
  const auto checked = mqtt::check_options(c.mqtt);  // the will topic passes; the TLS files are missing
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, make_error_code(MqttErrc::tls_setup));
}

TEST(MessageExpiry, IsTheWholeSecondsLeftRoundedUpAndNoneOnceExpired) {
  EXPECT_EQ(message_expiry(0, 5'000), 0s) << "0: never expires";
  EXPECT_EQ(message_expiry(10'000, 5'000), 5s);
  EXPECT_EQ(message_expiry(10'000, 9'001), 1s) << "999 ms left still get a second";
  EXPECT_EQ(message_expiry(10'001, 5'000), 6s);
  EXPECT_EQ(message_expiry(10'000, 10'000), std::nullopt);
  EXPECT_EQ(message_expiry(10'000, 20'000), std::nullopt);
}

TEST_F(AgentTest, ANotificationIsShownOnceAndReceiptedEveryTime) {
  auto agent = started_agent();
  connect();
  auto id = submit(*agent);
  auto sent = complete_next();
  deliver(ack_for(sent, "FB-2026-000123"));

  auto note = received_notification(*id, "FB-2026-000123");
  deliver(note);
  deliver(note);  // the backend re-sent it (our first receipt was lost)
  ASSERT_EQ(test::pending_publishes(*mqtt_), 2u);
  auto r1 = complete_next();
  auto r2 = complete_next();
  EXPECT_EQ(r1.topic, topics::receipts(kVinA));
  EXPECT_EQ(codec::decode(r2.payload)->receipt().notification_id(), note.message_id());
  auto s = stats(*agent);
  EXPECT_EQ(s.notifications, 1u);
  EXPECT_EQ(s.duplicate_notifications, 1u);
  EXPECT_EQ(s.outbox, 0u);  // receipts leave the outbox once the broker has them
  EXPECT_EQ(events_.notifications.size(), 1u);
  EXPECT_EQ(reports(*agent).front().status, ReportStatus::received);
}

TEST_F(AgentTest, AnAckCarryingTheNotificationShowsItOnceAndSendsNoReceipt) {
  auto agent = started_agent();
  connect();
  auto id = submit(*agent);
  auto sent = complete_next();
  EXPECT_TRUE(codec::decode(sent.payload)->report().ack_carries_notification());  // the car says it reads it

  auto ack = ack_for(sent, "FB-2026-000123");
  auto note = received_notification(*id, "FB-2026-000123");
  *ack.mutable_ack()->mutable_accepted()->mutable_notification() = codec::carry(note);
  deliver(ack);
  auto duplicate = ack;
  duplicate.mutable_ack()->mutable_accepted()->set_duplicate(true);
  deliver(duplicate);  // the report was re-sent before the first ack came

  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);  // no delivered receipt: the ack confirmed it
  ASSERT_EQ(events_.notifications.size(), 1u);
  EXPECT_EQ(events_.notifications.front().message_id, note.message_id());
  auto s = stats(*agent);
  EXPECT_EQ(s.acks, 1u);
  EXPECT_EQ(s.notifications, 1u);
  EXPECT_EQ(s.duplicate_notifications, 1u);
  EXPECT_EQ(s.outbox, 0u);
  EXPECT_EQ(reports(*agent).front().status, ReportStatus::received);
}

TEST_F(AgentTest, AQueuedReportSurvivesTheAppBeingClosed) {
  std::string id;
  {
    auto agent = started_agent();
    id = *submit(*agent);
    agent->stop();
    run();
  }  // closed before it was ever sent
  auto agent = started_agent();
  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  EXPECT_EQ(codec::decode(complete_next().payload)->report().report_id(), id);
}

TEST_F(AgentTest, StopFailsWhatIsInFlightAndKeepsItQueued) {
  std::string id;
  {
    auto agent = started_agent();
    connect();
    id = *submit(*agent);
    ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
    agent->stop();
    EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
    run();  // the shutting_down completion
    EXPECT_EQ(stats(*agent).publish_failures, 1u);
    EXPECT_EQ(stats(*agent).outbox, 1u);
    EXPECT_EQ(clock_.pending_alarms(), 0u) << "a timer outlived stop()";
  }
  auto agent = started_agent();
  EXPECT_EQ(stats(*agent).outbox, 1u);
  EXPECT_EQ(reports(*agent).front().report_id, id);
}

TEST_F(AgentTest, ALinkThatCannotStartLeavesTheAgentWorkingOffline) {
  auto agent = make_agent();
  mqtt_->start_error = Error(MqttErrc::tls_setup, "cannot read '/nonexistent/ca.crt'");
  ASSERT_TRUE(agent->start()) << "a link problem is not a failed start";
  run();
  ASSERT_EQ(events_.link_problems.size(), 1u);
  EXPECT_EQ(events_.link_problems[0].code, make_error_code(MqttErrc::tls_setup));
  ASSERT_TRUE(submit(*agent));
  EXPECT_EQ(reports(*agent).front().status, ReportStatus::queued);
}

TEST_F(AgentTest, AnInvalidDraftIsNotSaved) {
  auto agent = started_agent();
  Draft d = draft();
  d.language = "";
  auto r = submit(*agent, d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::missing_field));
  EXPECT_TRUE(reports(*agent).empty());
}

TEST_F(AgentTest, GarbageOnTheInboxIsCountedAndIgnored) {
  auto agent = started_agent();
  test::deliver(*mqtt_, mqtt::Message{topics::inbox(kVinA), "\x01\x02garbage"});
  run();
  connect();
  ASSERT_TRUE(submit(*agent));
  EXPECT_EQ(test::pending_publishes(*mqtt_), 1u);  // still working
  EXPECT_EQ(stats(*agent).bad_messages, 1u);
}

TEST_F(AgentTest, ACorruptQueueFileIsReportedAndReplaced) {
  std::ofstream(dir_ / "car.db", std::ios::binary) << std::string(5000, '\x7f');
  auto agent = started_agent();
  ASSERT_TRUE(submit(*agent));
  ASSERT_EQ(events_.problems.size(), 1u);
  EXPECT_EQ(events_.problems[0].code, make_error_code(StorageErrc::corrupt));
  EXPECT_NE(events_.problems[0].detail.find(".corrupt-"), std::string::npos);
}

TEST_F(AgentTest, AnErasureStopsSendingTheDriversQueuedReportsAndDeletesTheSetAsideStore) {
  std::ofstream(dir_ / "car.db", std::ios::binary) << std::string(5000, '\x7f');  // set aside at open
  auto agent = started_agent();
  auto id = submit(*agent);
  ASSERT_TRUE(id) << id.error().what();
  const auto set_aside = [&] {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      n += e.path().filename().string().starts_with("car.db.corrupt-");
    }
    return n;
  };
  ASSERT_EQ(set_aside(), 1u);

  std::optional<Result<Erased>> erased;
  agent->erase_personal_data([&](Result<Erased> r) { erased = std::move(r); });
  EXPECT_FALSE(erased) << "a completion ran inline";
  run();
  ASSERT_TRUE(erased && *erased) << (erased ? erased->error().what() : "no completion");
  EXPECT_EQ((*erased)->unsent, std::vector<std::string>{*id});
  EXPECT_EQ(set_aside(), 0u);
  EXPECT_TRUE(reports(*agent).empty());
  EXPECT_EQ(stats(*agent).outbox, 0u);

  connect();
  test::run_for(io_, clock_, 1h);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "an erased report was sent";
  // The car keeps working: the next report goes out.
  ASSERT_TRUE(submit(*agent));
  EXPECT_EQ(test::pending_publishes(*mqtt_), 1u);
}

TEST_F(AgentTest, ANotificationReceivedBeforeAnErasureIsErasedWithTheRest) {
  auto agent = started_agent();
  connect();
  const auto id = *submit(*agent, draft("rattle"));
  deliver(ack_for(complete_next(), "FB-2026-000501"));
  auto note = case_update(id, "FB-2026-000501", wire::CASE_STATUS_IN_PROGRESS);
  note.mutable_notification()->set_text("We will call you on the number you gave");
  // Read by the client before the driver asks for the erasure; the strand runs both after.
  test::deliver_to_inbox(*mqtt_, kVinA, note);
  std::optional<Result<Erased>> erased;
  agent->erase_personal_data([&](Result<Erased> r) { erased = std::move(r); });
  run();
  ASSERT_TRUE(erased && *erased) << (erased ? erased->error().what() : "no completion");
  EXPECT_EQ((*erased)->inbox, 1u) << "the notification received before the erasure";
  std::optional<Result<std::vector<InboxEntry>>> inbox;
  agent->inbox([&](Result<std::vector<InboxEntry>> r) { inbox = std::move(r); });
  run();
  ASSERT_TRUE(inbox && *inbox);
  EXPECT_TRUE((*inbox)->empty()) << "a notification outlived the erasure";

  // The backend writes about the erased report again: receipted, counted apart, not news.
  const auto before = stats(*agent);
  const auto told = events_.notifications.size();
  auto later = case_update(id, "FB-2026-000501", wire::CASE_STATUS_RESOLVED);
  test::deliver_to_inbox(*mqtt_, kVinA, later);
  run();
  EXPECT_EQ(events_.notifications.size(), told) << "the app was told of it";
  const auto after = stats(*agent);
  EXPECT_EQ(after.erased_report_notifications, before.erased_report_notifications + 1);
  EXPECT_EQ(after.duplicate_notifications, before.duplicate_notifications);
  EXPECT_EQ(after.notifications, before.notifications);
}

TEST_F(AgentTest, AClientOnAnotherExecutorIsRefused) {
  boost::asio::io_context other;
  mqtt_ = std::make_shared<FakeMqtt::State>();
  AgentConfig c;
  c.vehicle = {kVinA, "Aurora EV", 2026, "HU-3.2.1"};
  c.database = dir_ / "car.db";
  auto a = Agent::open(strand_, clock_, c, std::make_unique<FakeMqtt>(other.get_executor(), mqtt_));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, make_error_code(MqttErrc::invalid_argument));
}

// ---- Service visits and live callbacks (issue 13) ------------------------------------------------

class AgentVisitTest : public AgentTest {
 protected:
  // A started, connected agent with one report the backend accepted; nothing left to publish.
  void SetUp() override {
    agent_ = started_agent();
    connect();
    report_id_ = *submit(*agent_);
    deliver(ack_for(complete_next(), "FB-2026-000123"));
  }
  wire::Envelope visit(std::int64_t sent_at, wire::VisitStage stage) {
    auto env = codec::new_envelope(sent_at);
    auto* n = env.mutable_notification();
    n->set_report_id(report_id_);
    n->set_case_number("FB-2026-000123");
    n->set_status(stage == wire::VISIT_HANDED_OVER ? wire::CASE_STATUS_CLOSED : wire::CASE_STATUS_APPOINTMENT);
    n->set_title("Service visit");
    auto* v = n->mutable_visit();
    v->set_visit_id("visit-7");
    v->set_stage(stage);
    auto* s = v->add_slots();
    s->set_slot_id("s1");
    s->set_dealer_name("Shanghai Pudong");
    return env;
  }
  Result<std::string> answer(VisitAnswer a) {
    std::optional<Result<std::string>> result;
    agent_->answer_visit("visit-7", std::move(a), [&](Result<std::string> r) { result = std::move(r); });
    EXPECT_FALSE(result) << "a completion ran inline";
    run();
    return result ? *result : fail(StorageErrc::internal, "no completion");
  }
  Result<std::string> call_me() {
    std::optional<Result<std::string>> result;
    agent_->request_callback(report_id_, "", [&](Result<std::string> r) { result = std::move(r); });
    EXPECT_FALSE(result) << "a completion ran inline";
    run();
    return result ? *result : fail(StorageErrc::internal, "no completion");
  }

  std::unique_ptr<Agent> agent_;
  std::string report_id_;
};

TEST_F(AgentVisitTest, AVisitAnswerIsSentOnTheReceiptsTopicAndShownPendingUntilTheBooking) {
  deliver(visit(2000, wire::VISIT_PROPOSED));
  complete_next();  // delivered receipt
  ASSERT_FALSE(events_.views.empty());
  ASSERT_TRUE(events_.views.back().visit);
  EXPECT_EQ(events_.views.back().visit->latest.stage(), wire::VISIT_PROPOSED);
  ASSERT_TRUE(events_.notifications.back().visit);

  events_.views.clear();
  auto id = answer({wire::VisitReply::PICK_SLOT, "s1", "", ""});
  ASSERT_TRUE(id) << id.error().what();
  ASSERT_EQ(events_.views.size(), 1u);  // the report shows the answer on its way
  ASSERT_TRUE(events_.views.back().visit->pending);
  EXPECT_EQ(events_.views.back().visit->pending->message_id, *id);
  auto sent = complete_next();
  EXPECT_EQ(sent.topic, topics::receipts(kVinA));
  EXPECT_EQ(codec::decode(sent.payload)->visit_reply().slot_id(), "s1");
  EXPECT_EQ(stats(*agent_).answers, 1u) << "the broker's PUBACK is not the backend's";

  EXPECT_EQ(answer({wire::VisitReply::PICK_SLOT, "s1", "", ""}).error().code,
            make_error_code(AgentErrc::answer_pending));
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
  // The backend's order: what the answer caused (the booking), then AnswerStored, which ends the
  // wait (an update alone may have been written before the backend had the answer).
  clock_.advance(1s);
  deliver(visit(3000, wire::VISIT_BOOKED));
  EXPECT_TRUE(reports(*agent_).front().visit->pending);
  complete_next();  // the booking's delivered receipt
  EXPECT_EQ(stats(*agent_).answers, 1u);
  events_.views.clear();
  deliver(test::answer_stored_for(sent.payload));
  EXPECT_EQ(stats(*agent_).outbox, 0u);
  EXPECT_FALSE(reports(*agent_).front().visit->pending);
  ASSERT_FALSE(events_.views.empty()) << "the report's view is not told the wait ended";
  EXPECT_FALSE(events_.views.back().visit->pending);
}

// An update the backend wrote before it had the answer (a reminder of the proposal) must not let
// the driver answer again while the first answer is on its way; once the backend has it and no
// update has come since, the next update ends the wait.
TEST_F(AgentVisitTest, AnUpdateArrivingWhileTheAnswerIsStillQueuedKeepsTheWait) {
  deliver(visit(2000, wire::VISIT_PROPOSED));
  complete_next();  // delivered receipt
  ASSERT_TRUE(answer({wire::VisitReply::PICK_SLOT, "s1", "", ""}));
  const auto sent = complete_next();
  clock_.advance(1s);
  deliver(visit(2500, wire::VISIT_PROPOSED));  // a reminder, written before the backend had it
  complete_next();
  EXPECT_TRUE(reports(*agent_).front().visit->pending);
  EXPECT_EQ(answer({wire::VisitReply::PICK_SLOT, "s1", "", ""}).error().code,
            make_error_code(AgentErrc::answer_pending));
  deliver(test::answer_stored_for(sent.payload));
  EXPECT_FALSE(reports(*agent_).front().visit->pending) << "an update came after the answer: the wait is over";
}

// The backend sends no visit update for an answer to an extra cost: its AnswerStored ends the wait.
TEST_F(AgentVisitTest, AnAnswerToAnExtraCostWaitsOnlyForAnswerStored) {
  auto repair = visit(4000, wire::VISIT_REPAIR);
  const auto approval = codec::new_envelope(1).message_id();
  repair.mutable_notification()->mutable_visit()->mutable_extra_cost()->set_approval_id(approval);
  deliver(repair);
  complete_next();  // delivered receipt
  ASSERT_TRUE(answer({wire::VisitReply::APPROVE_EXTRA, "", approval, ""}));
  EXPECT_TRUE(reports(*agent_).front().visit->pending);
  deliver(test::answer_stored_for(complete_next().payload));
  EXPECT_FALSE(reports(*agent_).front().visit->pending);
}

TEST_F(AgentVisitTest, AnAnswerConfirmedBeforeAnyUpdateWaitsForTheNextOne) {
  deliver(visit(2000, wire::VISIT_PROPOSED));
  complete_next();  // delivered receipt
  ASSERT_TRUE(answer({wire::VisitReply::PICK_SLOT, "s1", "", ""}));
  deliver(test::answer_stored_for(complete_next().payload));
  EXPECT_TRUE(reports(*agent_).front().visit->pending) << "the booking is still on its way";
  deliver(visit(3000, wire::VISIT_BOOKED));
  EXPECT_FALSE(reports(*agent_).front().visit->pending);
}

TEST_F(AgentVisitTest, CallMeIsRefusedWhileNotParkedAndSentFirstWhenParked) {
  parked_ = false;
  auto refused = call_me();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(AgentErrc::not_parked));
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
  EXPECT_FALSE(reports(*agent_).front().callback);

  parked_ = true;
  auto id = call_me();
  ASSERT_TRUE(id) << id.error().what();
  ASSERT_TRUE(events_.views.back().callback);
  EXPECT_EQ(events_.views.back().callback->state, wire::CALLBACK_STATE_UNSPECIFIED);
  auto sent = complete_next();
  EXPECT_EQ(sent.topic, topics::receipts(kVinA));
  auto env = codec::decode(sent.payload);
  ASSERT_TRUE(env && env->has_callback_request());
  EXPECT_EQ(env->message_id(), *id);
  EXPECT_EQ(call_me().error().code, make_error_code(AgentErrc::callback_open));

  auto picked = codec::new_envelope(5000);
  picked.mutable_notification()->set_report_id(report_id_);
  picked.mutable_notification()->set_status(wire::CASE_STATUS_IN_PROGRESS);
  picked.mutable_notification()->mutable_callback()->set_callback_id(*id);
  picked.mutable_notification()->mutable_callback()->set_state(wire::CALLBACK_PICKED_UP);
  deliver(picked);
  EXPECT_EQ(events_.views.back().callback->state, wire::CALLBACK_PICKED_UP);
  ASSERT_TRUE(events_.notifications.back().callback);
}

TEST_F(AgentVisitTest, ACallbackRequestSurvivesARestartAndIsSentThen) {
  auto id = call_me();
  ASSERT_TRUE(id);
  agent_->stop();
  run();  // the shutting_down completion of the request in flight
  agent_.reset();
  agent_ = started_agent();
  connect();
  auto sent = complete_next();
  EXPECT_EQ(codec::decode(sent.payload)->message_id(), *id);
}

// A backend that stops between the broker's PUBACK and its commit must not lose what the driver
// said: the answer stays queued until AnswerStored, through restarts, and goes again after each
// ack timeout, byte-identical (the backend applies a message id once).
TEST_F(AgentVisitTest, ADriversAnswerStaysQueuedPastThePubackAndIsSentAgainUntilTheBackendStoresIt) {
  auto id = call_me();
  ASSERT_TRUE(id) << id.error().what();
  const auto first = complete_next();
  EXPECT_EQ(stats(*agent_).answers, 1u);

  agent_->stop();
  run();
  agent_.reset();
  agent_ = started_agent(SendScheduler::Policy{.ack_timeout = 30s, .jitter = 0});
  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u) << "not sent again after the restart";
  EXPECT_EQ(complete_next().payload, first.payload);
  test::run_for(io_, clock_, 30s - 1ms);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "sent again before the ack timeout";
  test::run_for(io_, clock_, 1ms);
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u) << "not sent again after the ack timeout";
  const auto third = complete_next();
  EXPECT_EQ(third.payload, first.payload);

  // Stamped two hours on: the backend's clock for the history moves with it, as with an ack.
  const auto stamped = clock_.epoch_ms() + std::chrono::milliseconds(2h).count();
  deliver(test::answer_stored_for(third.payload, false, stamped));
  auto s = stats(*agent_);
  EXPECT_EQ(s.outbox, 0u);
  EXPECT_EQ(s.answers, 0u);
  EXPECT_EQ(s.answers_stored, 1u);
  EXPECT_EQ(sql::Database::open(dir_ / "car.db")->query_int("SELECT newest_ms FROM backend_clock").value(), stamped);
  test::run_for(io_, clock_, 10min);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "sent again after AnswerStored";
  deliver(test::answer_stored_for(first.payload));  // the backend confirmed a resend too
  EXPECT_EQ(stats(*agent_).answers_stored, 1u);
  EXPECT_EQ(stats(*agent_).bad_messages, 0u);
}

// A refusal (a slot gone while the car was offline, a visit the backend no longer has) must not
// leave the driver stuck: the visit takes an answer again, the callback shows as cancelled so a new
// one may be asked, and the timeline says the request was refused.
TEST_F(AgentVisitTest, ARefusedAnswerLeavesTheOutboxAndEndsWhatItLeftWaiting) {
  deliver(visit(2000, wire::VISIT_PROPOSED));
  complete_next();  // delivered receipt
  ASSERT_TRUE(answer({wire::VisitReply::PICK_SLOT, "s1", "", ""}));
  const auto picked = complete_next();
  auto callback = call_me();
  ASSERT_TRUE(callback) << callback.error().what();
  const auto asked = complete_next();
  ASSERT_TRUE(reports(*agent_).front().visit->pending);

  events_.views.clear();
  deliver(test::answer_stored_for(picked.payload, /*refused=*/true));
  deliver(test::answer_stored_for(asked.payload, /*refused=*/true));
  auto s = stats(*agent_);
  EXPECT_EQ(s.outbox, 0u);
  EXPECT_EQ(s.answers_refused, 2u);
  ASSERT_FALSE(events_.views.empty()) << "the report's view is not told";
  const auto view = reports(*agent_).front();
  EXPECT_FALSE(view.visit->pending);
  ASSERT_TRUE(view.callback);
  EXPECT_EQ(view.callback->state, wire::CALLBACK_CANCELLED);
  std::vector<TimelineEvent> timeline;
  agent_->timeline(report_id_, [&](Result<std::vector<TimelineEvent>> t) {
    if (t) timeline = std::move(*t);
  });
  run();
  EXPECT_EQ(std::count_if(timeline.begin(), timeline.end(),
                          [](const TimelineEvent& e) {
                            return e.kind == TimelineKind::action_refused && e.detail == "answer_refused";
                          }),
            2);
  EXPECT_TRUE(answer({wire::VisitReply::DECLINE, "", "", ""})) << "the visit still waits for the refused answer";
  EXPECT_TRUE(call_me()) << "the refused callback request still counts as open";
}

TEST_F(AgentVisitTest, AnAnswerStoredNamingAReportDoesNotDropIt) {
  ASSERT_TRUE(submit(*agent_));
  const auto sent = complete_next();
  auto wrong = codec::new_envelope(1);
  wrong.mutable_answer_stored()->set_answer_id(codec::decode(sent.payload)->report().report_id());
  deliver(wrong);
  EXPECT_EQ(stats(*agent_).outbox, 1u) << "a report leaves at its Ack only";
  EXPECT_EQ(stats(*agent_).answers_stored, 0u);
}

class AgentWithoutVehicleStateTest : public AgentVisitTest {
 protected:
  void SetUp() override {
    with_vehicle_state_ = false;
    AgentVisitTest::SetUp();
  }
};

TEST_F(AgentWithoutVehicleStateTest, CallMeIsRefusedWhenTheAgentCannotTellParked) {
  auto r = call_me();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(AgentErrc::not_parked));
}

TEST_F(AgentVisitTest, TheHandoverSurveyIsAnsweredAndMyReportsSaysSo) {
  const auto handover = visit(4000, wire::VISIT_HANDED_OVER);
  deliver(handover);
  complete_next();
  EXPECT_EQ(reports(*agent_).front().survey_request_id, handover.message_id());
  std::optional<Result<void>> done;
  agent_->answer_survey(handover.message_id(), 2, "slow", [&](Result<void> r) { done = std::move(r); });
  run();
  ASSERT_TRUE(done && *done);
  EXPECT_TRUE(events_.views.back().survey_answered);
  EXPECT_EQ(codec::decode(complete_next().payload)->survey().score(), 2u);
}

// The scripted driver of fb-car follow: a whole visit from the car's side, each answer once.
TEST_F(AgentTest, TheScriptedDriverPlaysAWholeVisitAndAnswersEachStepOnce) {
  auto agent = make_agent();
  ScriptedDriver driver(*agent, DriverScript{.pick_first_slot = true,
                                             .approve_extra = true,
                                             .survey_score = 2,
                                             .survey_comment = "took long",
                                             .callback_report = "",
                                             .callback_phone = ""});
  std::vector<std::string> actions;
  driver.on_action = [&](const std::string& line) { actions.push_back(line); };
  ASSERT_TRUE(agent->start());
  driver.start();
  run();
  connect();
  auto id = *submit(*agent);
  deliver(ack_for(complete_next(), "FB-2026-000123"));

  std::vector<wire::Envelope> replies;
  auto drain = [&] {
    while (test::pending_publishes(*mqtt_) > 0) {
      const auto sent = complete_next();
      auto env = codec::decode(sent.payload);
      if (env && !env->has_receipt()) {
        replies.push_back(*env);
        deliver(test::answer_stored_for(sent.payload));  // the backend has it
      }
    }
  };
  std::int64_t sent_at = 1000;
  auto update = [&](wire::VisitStage stage, wire::CaseStatus status, auto&& edit) {
    auto env = codec::new_envelope(sent_at += 1000);
    env.mutable_notification()->set_report_id(id);
    env.mutable_notification()->set_status(status);
    auto* v = env.mutable_notification()->mutable_visit();
    v->set_visit_id("visit-7");
    v->set_stage(stage);
    edit(*v);
    deliver(env);
    drain();
    return env;
  };
  const auto nothing = [](wire::VisitUpdate&) {};
  update(wire::VISIT_PROPOSED, wire::CASE_STATUS_APPOINTMENT, [](wire::VisitUpdate& v) {
    v.add_slots()->set_slot_id("s1");
    v.add_slots()->set_slot_id("s2");
  });
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].visit_reply().action(), wire::VisitReply::PICK_SLOT);
  EXPECT_EQ(replies[0].visit_reply().slot_id(), "s1");
  for (auto stage : {wire::VISIT_BOOKED, wire::VISIT_CHECKED_IN, wire::VISIT_INSPECTION, wire::VISIT_DIAGNOSIS}) {
    update(stage, wire::CASE_STATUS_APPOINTMENT, nothing);
  }
  const auto extra = [](wire::VisitUpdate& v) {
    v.mutable_extra_cost()->set_approval_id("a1");
    v.mutable_extra_cost()->mutable_amount()->set_minor(35000);
  };
  update(wire::VISIT_REPAIR, wire::CASE_STATUS_APPOINTMENT, extra);
  update(wire::VISIT_REPAIR, wire::CASE_STATUS_APPOINTMENT, extra);  // asked again: answered once
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].visit_reply().action(), wire::VisitReply::APPROVE_EXTRA);
  EXPECT_EQ(replies[1].visit_reply().approval_id(), "a1");
  update(wire::VISIT_QUALITY_CHECK, wire::CASE_STATUS_APPOINTMENT, nothing);
  EXPECT_FALSE(driver.survey_answered());
  const auto handover = update(wire::VISIT_HANDED_OVER, wire::CASE_STATUS_CLOSED, nothing);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[2].survey().notification_id(), handover.message_id());
  EXPECT_EQ(replies[2].survey().score(), 2u);
  EXPECT_EQ(replies[2].survey().comment(), "took long");
  EXPECT_TRUE(driver.survey_answered());
  EXPECT_EQ(actions.size(), 3u);
  EXPECT_EQ(stats(*agent).outbox, 0u);
}

TEST_F(AgentTest, TheScriptedDriverAsksForACallbackOnceTheReportHasACase) {
  auto agent = make_agent();
  auto id = *submit(*agent);  // saved before the agent starts, sent once connected
  // Named as fb-car shows it (a time-ordered id's first characters are its minute's).
  ScriptedDriver scripted(*agent, DriverScript{.callback_report = std::string(short_id(id))});
  auto* driver = &scripted;
  std::vector<Error> errors;
  driver->on_error = [&](const Error& e) { errors.push_back(e); };
  ASSERT_TRUE(agent->start());
  driver->start();
  connect();
  run();
  EXPECT_TRUE(driver->callback_id().empty());  // no case yet: not asked
  deliver(ack_for(complete_next(), "FB-2026-000123"));
  ASSERT_FALSE(driver->callback_id().empty());
  auto request = codec::decode(complete_next().payload);
  ASSERT_TRUE(request && request->has_callback_request());
  EXPECT_EQ(request->message_id(), driver->callback_id());
  EXPECT_EQ(request->callback_request().report_id(), id);

  auto logged = codec::new_envelope(9000);
  logged.mutable_notification()->set_report_id(id);
  logged.mutable_notification()->mutable_callback()->set_callback_id(driver->callback_id());
  logged.mutable_notification()->mutable_callback()->set_state(wire::CALLBACK_LOGGED);
  deliver(logged);
  EXPECT_TRUE(driver->callback_logged());
  EXPECT_TRUE(errors.empty());
  agent->stop();
  run();
}

TEST_F(AgentTest, TheScriptedDriverAsksForOneCallbackAboutAnyReportWithACase) {
  auto agent = make_agent();
  ScriptedDriver driver(*agent, DriverScript{.callback_report = DriverScript::kAnyReport});
  std::vector<Error> errors;
  driver.on_error = [&](const Error& e) { errors.push_back(e); };
  ASSERT_TRUE(agent->start());
  driver.start();
  connect();
  int requests = 0;
  for (const char* number : {"FB-2026-000001", "FB-2026-000002"}) {
    ASSERT_TRUE(submit(*agent));
    while (test::pending_publishes(*mqtt_) > 0) {  // the callback request goes first (priority)
      auto sent = complete_next();
      auto env = codec::decode(sent.payload);
      if (env->has_report()) deliver(ack_for(sent, number));
      requests += env->has_callback_request();
    }
  }
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(driver.callback_id().empty());
  EXPECT_EQ(requests, 1);
}

// ---- The queue that survives anything (issue 8) -------------------------------------------------

Draft idea(const std::string& text = "希望增加保养预约功能") {
  Draft d;
  d.category = wire::CATEGORY_IDEA;
  d.text = text;
  d.language = "zh-CN";
  return d;
}

std::string report_id_of(const FakeMqtt::Published& p) { return codec::decode(p.payload)->report().report_id(); }

TEST_F(AgentTest, ASafetyReportIsSentBeforeOlderOnes) {
  auto agent = started_agent(SendScheduler::Policy{.max_inflight = 1});
  auto normal = submit(*agent);
  auto low = submit(*agent, idea());
  clock_.advance(1s);
  Draft lamp = draft("ABS warning light on");
  lamp.category = wire::CATEGORY_WARNING_LAMP;
  auto safety = submit(*agent, lamp);
  ASSERT_TRUE(normal && low && safety);
  connect();
  std::vector<std::string> order;
  while (test::pending_publishes(*mqtt_) > 0) {
    auto p = complete_next();
    order.push_back(report_id_of(p));
    deliver(ack_for(p, "FB-2026-0000" + std::to_string(order.size())));
  }
  EXPECT_EQ(order, (std::vector<std::string>{*safety, *normal, *low}));
}

TEST_F(AgentTest, ReportsThatExpireWhileOfflineAreDroppedAndOnlyTheLiveOnesAreSentOnReconnect) {
  storage_.ttl_low = 1h;
  storage_.ttl_normal = 24h;
  auto agent = started_agent();
  auto stale = submit(*agent, idea());
  auto live = submit(*agent);
  ASSERT_TRUE(stale && live);
  test::run_for(io_, clock_, 59min);
  EXPECT_TRUE(events_.dropped.empty());
  test::run_for(io_, clock_, 2min);  // the idea's hour is up while the car is offline
  ASSERT_EQ(events_.dropped.size(), 1u);
  EXPECT_EQ(events_.dropped[0].report_id, *stale);
  EXPECT_EQ(events_.dropped[0].status, ReportStatus::dropped);
  EXPECT_EQ(events_.dropped[0].drop_reason, DropReason::expired);
  EXPECT_EQ(events_.views.back().report_id, *stale);  // report_changed follows with the same row
  EXPECT_EQ(stats(*agent).expired, 1u);
  EXPECT_EQ(stats(*agent).outbox, 1u);

  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  EXPECT_EQ(report_id_of(complete_next()), *live);
  auto rows = reports(*agent);
  auto row = std::find_if(rows.begin(), rows.end(), [&](auto& r) { return r.report_id == *stale; });
  ASSERT_NE(row, rows.end());
  EXPECT_EQ(row->drop_reason, DropReason::expired);
}

TEST_F(AgentTest, AReportWhoseTimeRanOutBeforeTheTimerFiredIsNotSentOnReconnect) {
  storage_.ttl_normal = 1h;
  auto agent = started_agent();
  auto stale = submit(*agent);
  ASSERT_TRUE(stale);
  clock_.advance(2h);  // the clock jumps (e.g. the car slept): no handler has run yet
  connect();
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
  ASSERT_EQ(events_.dropped.size(), 1u);
  EXPECT_EQ(events_.dropped[0].report_id, *stale);
}

// The store cannot write the expiry (another connection holds the file's write lock): the agent
// tells its listeners and tries again 30 s later, not at once and again and again.
TEST_F(AgentTest, AnExpiryTheStoreCannotWriteIsTriedAgainThirtySecondsLaterWithoutSpinning) {
  storage_.ttl_normal = 1h;
  storage_.busy_timeout = 0ms;
  auto agent = started_agent();
  ASSERT_TRUE(submit(*agent));
  auto other = sql::Database::open(dir_ / "car.db");
  ASSERT_TRUE(other) << other.error().what();
  ASSERT_TRUE(other->exec("BEGIN IMMEDIATE"));
  clock_.advance(2h);
  ASSERT_TRUE(test::run_ready_at_most(io_, 10'000)) << "the expiry timer fires again and again";
  EXPECT_TRUE(events_.dropped.empty());
  ASSERT_FALSE(events_.problems.empty());
  EXPECT_EQ(events_.problems.back().code, make_error_code(StorageErrc::busy));
  ASSERT_TRUE(other->exec("ROLLBACK"));
  test::run_for(io_, clock_, 30s - 1ms);
  EXPECT_TRUE(events_.dropped.empty()) << "tried again before 30 s";
  test::run_for(io_, clock_, 1ms);
  EXPECT_EQ(events_.dropped.size(), 1u) << "not tried again after 30 s";
}

// A report whose case notification came before its ack (the ack was lost) has left `queued`:
// at its expiry the store removes its queued copy without a report to show as dropped. The agent
// forgets it too, instead of finding its expiry due again at once, forever (review).
TEST_F(AgentTest, AReportWhoseCaseMovedOnBeforeItsAckLeavesTheLineAtItsExpiryWithoutSpinning) {
  storage_.ttl_normal = 1h;
  auto agent = started_agent();
  auto id = submit(*agent);
  ASSERT_TRUE(id);
  auto note = received_notification(*id, "FB-2026-000321");
  deliver(note);
  ASSERT_EQ(reports(*agent).front().status, ReportStatus::received);

  clock_.advance(2h);
  ASSERT_TRUE(test::run_ready_at_most(io_, 10'000)) << "the expiry timer fires again and again";
  EXPECT_TRUE(events_.dropped.empty()) << "its case is open: nothing to tell the driver";
  EXPECT_EQ(reports(*agent).front().status, ReportStatus::received);
  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  EXPECT_EQ(complete_next().topic, topics::receipts(kVinA)) << "only the notification's receipt goes out";
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
}

// ---- Time to live and the car's clock (car_store.hpp): the wall clock stepped alone -------------

TEST_F(AgentTest, AReportQueuedWhileTheClockIsUnsetStartsItsTimeToLiveWhenTheClockIsSet) {
  storage_.ttl_normal = 1h;
  const auto set = clock_.epoch_ms();
  clock_.set_wall_ms(946'684'800'000);  // the RTC at boot: 2000-01-01
  auto agent = started_agent();
  auto id = submit(*agent);
  ASSERT_TRUE(id);
  test::run_for(io_, clock_, 3h);
  EXPECT_TRUE(events_.dropped.empty()) << "an unset clock tells no age";
  clock_.set_wall_ms(set);  // NTP or GNSS: 26 years ahead at once
  test::run_for(io_, clock_, 1min);
  EXPECT_TRUE(events_.dropped.empty()) << "the jump to a set clock is not time that passed";
  test::run_for(io_, clock_, 58min);
  EXPECT_TRUE(events_.dropped.empty());
  test::run_for(io_, clock_, 2min);  // its hour, counted from the first set time, is up
  ASSERT_EQ(events_.dropped.size(), 1u);
  EXPECT_EQ(events_.dropped[0].report_id, *id);
  EXPECT_EQ(events_.dropped[0].drop_reason, DropReason::expired);
}

TEST_F(AgentTest, ABackwardStepDropsNothingEarlyAndLeavesAtMostAFullTimeToLive) {
  storage_.ttl_normal = 2h;
  auto agent = started_agent();
  auto id = submit(*agent);
  ASSERT_TRUE(id);
  test::run_for(io_, clock_, 30min);
  clock_.set_wall_ms(clock_.epoch_ms() - std::int64_t{24} * 3600 * 1000);  // a day back
  test::run_for(io_, clock_, 3h);
  EXPECT_TRUE(events_.dropped.empty()) << "dropped early";
  // The old expiry timer fired 1.5 h after the step: from there, a full 2 h, not a day more.
  test::run_for(io_, clock_, 31min);
  ASSERT_EQ(events_.dropped.size(), 1u) << "lived on for the day the clock went back";
  EXPECT_EQ(events_.dropped[0].report_id, *id);
}

TEST_F(AgentTest, AForwardStepBeyondTheTimeToLiveDropsTheReportAndTellsTheListenersNotSending) {
  storage_.ttl_normal = 2h;
  auto agent = started_agent();
  auto id = submit(*agent);
  ASSERT_TRUE(id);
  clock_.set_wall_ms(clock_.epoch_ms() +
                     std::int64_t{3} * 3600 * 1000);  // a sleep, or a correction: the same to the car
  connect();
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
  ASSERT_EQ(events_.dropped.size(), 1u);
  EXPECT_EQ(events_.dropped[0].report_id, *id);
  EXPECT_EQ(events_.dropped[0].drop_reason, DropReason::expired);
}

TEST_F(AgentTest, AnEvictedReportIsToldToListenersAndNeverSentAndAFullQueueRefusesLessUrgentOnes) {
  storage_.max_reports = 1;
  auto agent = started_agent();
  auto evicted = submit(*agent, idea());
  auto kept = submit(*agent);
  ASSERT_TRUE(evicted && kept);
  ASSERT_EQ(events_.dropped.size(), 1u);
  EXPECT_EQ(events_.dropped[0].report_id, *evicted);
  EXPECT_EQ(events_.dropped[0].drop_reason, DropReason::evicted_for_space);
  EXPECT_EQ(stats(*agent).evicted, 1u);

  auto refused = submit(*agent, idea("another idea"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(AgentErrc::queue_full));
  EXPECT_TRUE(events_.problems.empty());  // the caller's to show, not a storage fault

  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  EXPECT_EQ(report_id_of(complete_next()), *kept);
}

TEST_F(AgentTest, ReportsSubmittedTogetherShareOneCommitAndAreSavedBeforeWhatIsAskedAfterThem) {
  auto agent = started_agent();
  std::vector<Result<std::string>> done;
  for (int i = 0; i < 5; ++i) {
    agent->submit(draft("burst " + std::to_string(i)), [&](Result<std::string> r) { done.push_back(std::move(r)); });
  }
  std::optional<std::size_t> listed;
  agent->reports([&](Result<std::vector<ReportView>> r) { listed = r ? r->size() : 0; });
  EXPECT_TRUE(done.empty()) << "a completion ran inline";
  run();
  ASSERT_EQ(done.size(), 5u);
  std::set<std::string> ids;
  for (const auto& r : done) {
    ASSERT_TRUE(r) << r.error().what();
    ids.insert(*r);
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(listed, 5u);  // asked after the submits: the burst is committed by then
  EXPECT_EQ(stats(*agent).report_commits, 1u);

  ASSERT_TRUE(submit(*agent));  // alone: a commit of its own
  EXPECT_EQ(stats(*agent).report_commits, 2u);
  EXPECT_EQ(stats(*agent).outbox, 6u);
}

TEST_F(AgentTest, AReportSubmittedAfterAnotherCallIsCommittedAfterItNotWithTheBatchBefore) {
  auto agent = started_agent();
  // A report whose flush is posted, then the driver's draft saved, then that draft sent: the
  // second report must not join the first one's batch, which runs before the save.
  agent->submit(draft("an auto-report"), nullptr);
  SavedDraft saved{"draft-1", "noise", "rattle behind the dashboard", {}, {}, 1000};
  agent->save_draft(saved, [](Result<void> r) { EXPECT_TRUE(r) << r.error().what(); });
  auto completing = draft("rattle behind the dashboard");
  completing.draft_id = "draft-1";
  std::optional<Result<std::string>> sent;
  agent->submit(completing, [&](Result<std::string> r) { sent = std::move(r); });
  run();
  ASSERT_TRUE(sent && *sent);
  std::optional<std::size_t> left;
  agent->drafts([&](Result<std::vector<SavedDraft>> d) { left = d ? d->size() : 99; });
  run();
  EXPECT_EQ(left, 0u) << "the draft came back: its report was committed before it was saved";
  EXPECT_EQ(stats(*agent).report_commits, 2u);
}

TEST_F(AgentTest, ABurstThatFillsTheDiskSavesWhatFitsAndTellsEachOfTheOthers) {
  storage_.max_pages = 32;
  auto agent = started_agent();
  std::vector<Result<std::string>> done;
  for (int i = 0; i < 60; ++i) {
    agent->submit(draft(std::string(1500, 'x') + std::to_string(i)),
                  [&](Result<std::string> r) { done.push_back(std::move(r)); });
  }
  run();
  ASSERT_EQ(done.size(), 60u);
  // The burst as one commit does not fit: each report is then tried alone, in order.
  const auto saved = std::ranges::find_if(done, [](const auto& r) { return !r.has_value(); }) - done.begin();
  ASSERT_GT(saved, 0) << "nothing of the burst was saved";
  ASSERT_LT(saved, 60) << "the page limit was never reached";
  for (auto i = static_cast<std::size_t>(saved); i < done.size(); ++i) {
    ASSERT_FALSE(done[i]);
    EXPECT_EQ(done[i].error().code, make_error_code(StorageErrc::full)) << done[i].error().what();
  }
  EXPECT_EQ(stats(*agent).outbox, static_cast<std::size_t>(saved));
  EXPECT_FALSE(events_.problems.empty());
}

TEST_F(AgentTest, ADiskFullTellsTheDriverKeepsTheQueueAndTakesReportsAgainOnceAcksFreeSpace) {
  storage_.max_pages = 32;  // a full disk, as SQLite sees one (SQLITE_FULL)
  storage_.ack_reserve_bytes = 8 << 10;
  auto agent = started_agent();
  std::vector<std::string> saved;
  Result<std::string> r;
  for (int i = 0; i < 200; ++i) {
    r = submit(*agent, draft(std::string(1500, 'x') + std::to_string(i)));
    if (!r) break;
    saved.push_back(*r);
  }
  ASSERT_FALSE(r) << "the page limit was never reached";
  EXPECT_EQ(r.error().code, make_error_code(StorageErrc::full));
  ASSERT_EQ(events_.problems.size(), 1u);
  EXPECT_EQ(events_.problems[0].code, make_error_code(StorageErrc::full));
  EXPECT_NE(events_.problems[0].detail.find("reports saved before it are kept"), std::string::npos);
  EXPECT_EQ(stats(*agent).outbox, saved.size());

  // Online: everything saved goes out and each ack frees its row.
  connect();
  std::vector<std::string> sent;
  while (test::pending_publishes(*mqtt_) > 0) {
    auto p = complete_next();
    sent.push_back(report_id_of(p));
    deliver(ack_for(p, "FB-2026-" + std::to_string(100000 + sent.size())));
  }
  std::ranges::sort(sent);  // one fake time for all: their order is by id
  std::ranges::sort(saved);
  EXPECT_EQ(sent, saved);
  EXPECT_EQ(stats(*agent).outbox, 0u);
  auto again = submit(*agent, draft(std::string(1500, 'y')));
  ASSERT_TRUE(again) << again.error().what();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  EXPECT_EQ(report_id_of(complete_next()), *again);
}

TEST_F(AgentTest, ARecoveredQueueIsSentAndTheRecoveryIsReported) {
  std::string queued;
  {
    auto agent = started_agent();
    auto id = submit(*agent);
    ASSERT_TRUE(id);
    queued = *id;
    agent->stop();
    run();
  }
  // Damage the header only: the rows are all still there.
  {
    std::fstream f(dir_ / "car.db", std::ios::in | std::ios::out | std::ios::binary);
    f.write(std::string(100, '\x5a').data(), 100);
  }
  events_ = Events{};
  auto agent = started_agent();
  ASSERT_EQ(events_.problems.size(), 1u);
  EXPECT_EQ(events_.problems[0].code, make_error_code(StorageErrc::corrupt));
  EXPECT_NE(events_.problems[0].detail.find("recovered"), std::string::npos) << events_.problems[0].detail;
  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  EXPECT_EQ(report_id_of(complete_next()), queued);
}

// ---- Reports that wait for their diagnostic snapshot (issue 8) --------------------------------

class AgentSnapshotTest : public AgentTest {
 protected:
  void SetUp() override {
    SnapshotRecorder::Config c;
    c.ring.allowed = {vss::kSpeed};
    c.post = 2s;
    c.settle = 100ms;
    c.ecu_software = {{"TCU", "TCU-4.2.0"}};
    c.active_dtcs = [] { return std::vector<std::string>{"P0700"}; };
    recorder_ = std::move(*SnapshotRecorder::create(strand_, clock_, c));
  }
  // One Vehicle.Speed sample every 100 ms from now for `d`, the clock moving with them.
  void drive_for(std::chrono::milliseconds d) {
    const auto end = steady_ms(clock_) + d.count();
    while (steady_ms(clock_) < end) {
      recorder_->add({vss::kSpeed, steady_ms(clock_), 42.0});
      test::run_for(io_, clock_, 100ms);
    }
  }
  static Draft capturing(bool diagnostics = true) {
    auto d = draft("换挡顿挫 harsh shift");
    d.category = wire::CATEGORY_DRIVING_FEEL;
    d.consent.set_diagnostics(diagnostics);
    d.capture_snapshot = true;
    return d;
  }
  static SnapshotState snapshot_of(const std::vector<ReportView>& views, const std::string& id) {
    for (const auto& v : views) {
      if (v.report_id == id) return v.snapshot;
    }
    ADD_FAILURE() << "report " << id << " not in My reports";
    return SnapshotState::none;
  }
};

TEST_F(AgentSnapshotTest, AHeldReportWaitsForItsWindowWhileOtherReportsKeepSending) {
  auto agent = started_agent();
  connect();
  drive_for(5s);
  auto held = submit(*agent, capturing());
  ASSERT_TRUE(held) << held.error().what();
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "sent before its post-tap window";
  EXPECT_EQ(snapshot_of(reports(*agent), *held), SnapshotState::waiting);
  EXPECT_EQ(reports(*agent).front().status, ReportStatus::queued);

  auto other = submit(*agent);
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u) << "a held report blocked another";
  EXPECT_EQ(codec::decode(complete_next().payload)->report().report_id(), *other);

  drive_for(2s);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "released before post + settle";
  test::run_for(io_, clock_, 100ms);
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  auto env = codec::decode(complete_next().payload);
  ASSERT_TRUE(env);
  const auto& r = env->report();
  EXPECT_EQ(r.report_id(), *held);
  EXPECT_FALSE(r.snapshot_lost());
  ASSERT_EQ(r.snapshot().signals_size(), 1);
  EXPECT_TRUE(series::is_compact(r.snapshot().signals(0)));
  auto points = series::decode(r.snapshot().signals(0));
  ASSERT_TRUE(points);
  EXPECT_EQ(points->size(), 70u) << "5 s before the tap (the window holds 60 s) and 2 s after, at 10 Hz";
  EXPECT_EQ(std::vector<std::string>(r.dtcs().begin(), r.dtcs().end()), std::vector<std::string>{"P0700"});
  EXPECT_EQ(r.ecu_software().at("TCU"), "TCU-4.2.0");
  EXPECT_EQ(snapshot_of(reports(*agent), *held), SnapshotState::attached);
}

// While held it is not in the scheduler, so its expiry was not armed; once released offline with
// nothing else queued, it must still leave at its time to live, not at the next reconnect.
TEST_F(AgentSnapshotTest, AReportReleasedFromItsHoldWhileOfflineExpiresOnTime) {
  storage_.ttl_normal = 1h;
  auto agent = started_agent();
  drive_for(5s);
  auto held = submit(*agent, capturing());
  ASSERT_TRUE(held) << held.error().what();
  drive_for(3s);
  EXPECT_EQ(snapshot_of(reports(*agent), *held), SnapshotState::attached);
  test::run_for(io_, clock_, 58min);
  EXPECT_TRUE(events_.dropped.empty());
  test::run_for(io_, clock_, 2min);
  ASSERT_EQ(events_.dropped.size(), 1u) << "its time to live ran out without it leaving";
  EXPECT_EQ(events_.dropped[0].report_id, *held);
  EXPECT_EQ(events_.dropped[0].drop_reason, DropReason::expired);
}

TEST_F(AgentSnapshotTest, AHeldReportWhoseRecordingWasLostIsSentFlaggedAfterARestart) {
  std::string id;
  {
    auto agent = started_agent();
    drive_for(1s);
    id = *submit(*agent, capturing());
    agent->stop();
    run();
  }  // the process ends while the report waits for its window
  EXPECT_EQ(recorder_->pending(), 0u) << "stop() left a tap behind";
  auto agent = started_agent();
  EXPECT_EQ(snapshot_of(reports(*agent), id), SnapshotState::lost);
  connect();
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  auto env = codec::decode(complete_next().payload);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->report().report_id(), id);
  EXPECT_TRUE(env->report().snapshot_lost());
  EXPECT_FALSE(env->report().has_snapshot());
  EXPECT_TRUE(codec::validate_report(env->report()));
}

// A release that fails (here the disk filled while the report waited: its snapshot makes it
// larger) must not leave the report held for the rest of the run: it is tried again once acks
// free space, and the report goes out.
TEST_F(AgentSnapshotTest, AHeldReportWhoseReleaseFailedIsReleasedOnceSpaceIsFree) {
  storage_.max_pages = 32;
  // Room for the acks of the reports the fill below puts in 32 pages: 8 KiB stopped covering
  // them when reports stopped writing a "queued" row (79e5a29) and more of them fit.
  storage_.ack_reserve_bytes = 16 << 10;
  auto agent = started_agent();
  // A long window of speeds changing every 25 ms: the snapshot is a few KiB, so its release
  // needs more pages than the fill below leaves free, whatever the store's page layout.
  const auto end = steady_ms(clock_) + 50'000;
  for (int i = 0; steady_ms(clock_) < end; ++i) {
    for (int k = 0; k < 4; ++k) {
      recorder_->add(
          {vss::kSpeed, steady_ms(clock_) + std::int64_t{25} * k, 10.0 + ((i * 4 + k) * 7919 % 1000) / 10.0});
    }
    test::run_for(io_, clock_, 100ms);
  }
  auto held = submit(*agent, capturing());
  ASSERT_TRUE(held) << held.error().what();
  std::size_t fillers = 0;
  for (std::size_t size : {1500, 400, 100, 10}) {  // smaller and smaller: no room left anywhere
    for (int i = 0; i < 400; ++i) {
      auto r = submit(*agent, draft(std::string(size, 'x') + std::to_string(i)));
      if (!r) break;
      ++fillers;
    }
  }
  ASSERT_EQ(events_.problems.size(), 4u) << "the page limit was never reached";
  drive_for(3s);  // the tap completes: its release needs more room than is left
  ASSERT_EQ(events_.problems.size(), 5u) << "the release did not fail: the test shows nothing";
  EXPECT_EQ(events_.problems[4].code, make_error_code(StorageErrc::full));
  EXPECT_EQ(snapshot_of(reports(*agent), *held), SnapshotState::waiting);

  connect();
  bool held_sent = false;
  for (std::size_t n = 0; n < fillers + 1 && test::pending_publishes(*mqtt_) > 0; ++n) {
    auto p = complete_next();
    if (report_id_of(p) == *held) {
      held_sent = true;
      const auto env = codec::decode(p.payload);
      ASSERT_TRUE(env);
      EXPECT_TRUE(env->report().has_snapshot()) << "the snapshot was kept for the retry";
    }
    deliver(ack_for(p, "FB-2026-" + std::to_string(100000 + n)));
  }
  EXPECT_TRUE(held_sent) << "the held report stayed held after space was freed";
  EXPECT_EQ(stats(*agent).outbox, 0u);
  EXPECT_EQ(snapshot_of(reports(*agent), *held), SnapshotState::attached);
}

TEST_F(AgentSnapshotTest, WithoutDiagnosticsConsentNothingIsRecordedOrHeld) {
  auto agent = started_agent();
  connect();
  drive_for(1s);
  auto id = submit(*agent, capturing(/*diagnostics=*/false));
  ASSERT_TRUE(id);
  EXPECT_EQ(recorder_->pending(), 0u);
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  auto env = codec::decode(complete_next().payload);
  EXPECT_FALSE(env->report().has_snapshot());
  EXPECT_FALSE(env->report().snapshot_lost());
  EXPECT_EQ(snapshot_of(reports(*agent), *id), SnapshotState::none);
}

}  // namespace
}  // namespace fb::agent
