// The service's own work (batching, acknowledging after the commit, resending notifications
// until receipted, storing what was received at stop) with the fake MQTT client, the fake clock
// and a real SQLite case store, all on the test thread: nothing waits for time.
#include "fb/backend/service.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "failing_store.hpp"
#include "service_fixture.hpp"

namespace fb::backend {
namespace {

using namespace std::chrono_literals;
using test::FakeMqtt;
using test::kVinA;
using test::kVinB;

class ServiceTest : public test::ServiceFixture {
 protected:
  /// Another instance on the same store, with a fake broker and an executor of its own (run it
  /// with test::run_ready(other.io)); stopped when destroyed.
  struct OtherInstance {
    boost::asio::io_context io;
    boost::asio::any_io_executor strand = boost::asio::make_strand(io);
    std::shared_ptr<FakeMqtt::State> mqtt = std::make_shared<FakeMqtt::State>();
    std::unique_ptr<Service> service;
    ~OtherInstance() {
      try {
        if (service) service->stop();
        test::run_ready(io);
      } catch (...) {  // a destructor: the test's own assertions have reported what matters
      }
    }
  };
  /// The first of two instances ("fb-backend-a"): resends after 60 s, a 15 s lease.
  static ServiceOptions two_instances() {
    return ServiceOptions{.notification_check = 1s,
                          .notification_resend_base = 60s,
                          .notification_resend_max = 600s,
                          .instance = "fb-backend-a",
                          .shared_group = "backends",
                          .lease_ttl = 15s};
  }
  /// Starts it, named `name`, connected to its broker.
  std::unique_ptr<OtherInstance> start_other(ServiceOptions options, const std::string& name) {
    auto other = std::make_unique<OtherInstance>();
    auto rules = load_rules(test::kRulesDir);
    auto store = test::open_case_store(dir_ / "cases.db");
    EXPECT_TRUE(rules && store);
    if (!rules || !store) return nullptr;
    options.instance = name;
    other->service = std::make_unique<Service>(other->strand, clock_, options, std::move(*store), std::move(*rules),
                                               std::make_unique<FakeMqtt>(other->strand, other->mqtt));
    EXPECT_TRUE(other->service->start());
    test::set_connected(*other->mqtt, true);
    test::run_ready(other->io);
    return other;
  }

  /// The next start() wraps the store in one that fails on demand: failing_, once started.
  void wrap_with_failing_store() {
    wrap_store = [this](std::unique_ptr<CaseStore> real) -> std::unique_ptr<CaseStore> {
      auto s = std::make_unique<test_support::FailingStore>(std::move(real));
      failing_ = s.get();
      return s;
    };
  }
  test_support::FailingStore* failing_ = nullptr;  // owned by the service

  // Completes every waiting publish (PUBACK); returns them.
  std::vector<FakeMqtt::Published> complete_all(const Error& e = {}) {
    std::vector<FakeMqtt::Published> out;
    while (test::pending_publishes(*mqtt_) > 0) out.push_back(test::complete_next(*mqtt_, e));
    run();
    return out;
  }
  static std::vector<wire::Envelope> of_kind(const std::vector<FakeMqtt::Published>& ps, bool notifications) {
    std::vector<wire::Envelope> out;
    for (const auto& p : ps) {
      auto env = codec::decode(p.payload);
      EXPECT_TRUE(env) << "unreadable publish on " << p.topic;
      if (env && (notifications ? env->has_notification() : env->has_ack())) out.push_back(*env);
    }
    return out;
  }
};

TEST_F(ServiceTest, ItSubscribesToEveryCarsReportsAndReceiptsWithQos1) {
  start();
  ASSERT_EQ(mqtt_->subscriptions.size(), 2u);
  EXPECT_EQ(mqtt_->subscriptions[0].first, std::string(topics::all_reports));
  EXPECT_EQ(mqtt_->subscriptions[1].first, std::string(topics::all_receipts));
  for (const auto& [filter, qos] : mqtt_->subscriptions) EXPECT_EQ(qos, mqtt::QoS::at_least_once) << filter;
}

TEST_F(ServiceTest, ReportsArrivingTogetherAreStoredInOneBatchAndEachIsAcknowledged) {
  start();
  for (int i = 0; i < 5; ++i) send_report(i % 2 ? kVinA : kVinB, "刹车异响 " + std::to_string(i));
  run();
  const auto s = service_->stats();
  EXPECT_EQ(s.received, 5u);
  EXPECT_EQ(s.ingest.batches, 1u);
  EXPECT_EQ(s.largest_batch, 5u);
  auto published = complete_all();
  const auto acks = of_kind(published, false);
  ASSERT_EQ(acks.size(), 5u);
  for (const auto& a : acks) EXPECT_TRUE(a.ack().has_accepted()) << a.ShortDebugString();
  EXPECT_EQ(of_kind(published, true).size(), 5u);
  EXPECT_EQ(service_->stats().published, 10u);
}

TEST_F(ServiceTest, MaxBatchSplitsABurstIntoSeveralTransactions) {
  start(ServiceOptions{.max_batch = 2});
  for (int i = 0; i < 5; ++i) send_report(kVinA, "burst " + std::to_string(i));
  run();
  EXPECT_EQ(service_->stats().ingest.batches, 3u);
  EXPECT_EQ(service_->stats().largest_batch, 2u);
  EXPECT_EQ(service_->stats().ingest.accepted, 5u);
}

TEST_F(ServiceTest, BeyondMaxPendingTheReceiveThreadWaitsForRoomAndNothingIsDropped) {
  start(ServiceOptions{.max_pending = 2});
  // Five arrive from the receive thread while the service has stored none: the third waits for
  // room (the broker holds the rest) until the service's strand takes a batch.
  std::thread receive([&] {
    for (int i = 0; i < 5; ++i) send_report(kVinA, "burst " + std::to_string(i));
  });
  // Nothing drains yet, so the third push must wait: seen before the service runs at all.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (service_->stats().backpressure_waits == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_GT(service_->stats().backpressure_waits, 0u) << "the receive thread never waited for room";
  EXPECT_EQ(service_->stats().ingest.accepted, 0u);
  while (service_->stats().ingest.accepted < 5 && std::chrono::steady_clock::now() < deadline + 10s) {
    io_.run_one_for(100ms);  // a drain, when the receive thread has posted one
    io_.restart();
  }
  receive.join();
  run();
  EXPECT_EQ(service_->stats().ingest.accepted, 5u);
  EXPECT_EQ(service_->stats().dropped_overload, 0u);
  EXPECT_GT(service_->stats().backpressure_waits, 0u);
  EXPECT_EQ(of_kind(complete_all(), false).size(), 5u);
}

TEST_F(ServiceTest, ANotificationIsResentWithBackoffUntilTheCarReceiptsIt) {
  start(ServiceOptions{.notification_check = 1s, .notification_resend_base = 60s, .notification_resend_max = 600s});
  send_report(kVinA, "换挡顿挫");
  run();
  const auto first = of_kind(complete_all(), true);
  ASSERT_EQ(first.size(), 1u);

  test::run_for(io_, clock_, 59s);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "resent before the backoff";
  test::run_for(io_, clock_, 2s);  // due at 60 s, found by the next check
  auto again = of_kind(complete_all(), true);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].message_id(), first[0].message_id()) << "a resend keeps its id: the car de-duplicates";

  test::run_for(io_, clock_, 119s);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "the second resend did not back off to 120 s";
  test::run_for(io_, clock_, 2s);
  ASSERT_EQ(of_kind(complete_all(), true).size(), 1u);

  auto receipt = codec::new_envelope(clock_.epoch_ms());
  receipt.mutable_receipt()->set_notification_id(first[0].message_id());
  receipt.mutable_receipt()->set_kind(wire::RECEIPT_DELIVERED);
  test::deliver(*mqtt_, mqtt::Message{topics::receipts(kVinA), codec::encode(receipt)});
  run();
  test::run_for(io_, clock_, 1h);
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "resent after the car's receipt";
  EXPECT_EQ(service_->stats().ingest.receipts, 1u);
}

TEST_F(ServiceTest, ANotificationWhosePublishFailedGoesOutOnTheNextCheck) {
  start(ServiceOptions{.notification_check = 1s});
  send_report(kVinA, "door rattle on rough roads");
  run();
  complete_all(Error(MqttErrc::publish_failed, "test"));
  EXPECT_EQ(service_->stats().publish_failures, 2u);
  test::run_for(io_, clock_, 1s);
  const auto resent = complete_all();
  ASSERT_EQ(of_kind(resent, true).size(), 1u);
  EXPECT_EQ(of_kind(resent, false).size(), 0u) << "acks are not resent: the car sends its report again";
}

TEST_F(ServiceTest, NothingIsResentWhileTheBrokerIsAway) {
  start(ServiceOptions{.notification_check = 1s, .notification_resend_base = 10s});
  send_report(kVinA, "noise");
  run();
  complete_all();
  test::set_connected(*mqtt_, false);
  run();
  test::run_for(io_, clock_, 1h);
  EXPECT_EQ(mqtt_->published_topics.size(), 2u) << "published while disconnected";
  test::set_connected(*mqtt_, true);
  run();
  EXPECT_EQ(test::pending_publishes(*mqtt_), 1u) << "the due notification is sent on reconnect";
}

TEST_F(ServiceTest, StopStoresWhatWasReceivedButNotYetDrained) {
  start();
  // The receive thread hands three messages over (this thread is the executor's only thread); the
  // drain they posted has not run yet.
  for (int i = 0; i < 3; ++i) {
    mqtt_->intake(mqtt::Message{topics::reports(kVinA), codec::encode(test::valid_report_envelope(kVinA, "late"))});
  }
  EXPECT_EQ(service_->stats().received, 0u);
  service_->stop();
  EXPECT_EQ(service_->stats().ingest.accepted, 3u);
  EXPECT_EQ(mqtt_->stops, 1u);
  run();
  EXPECT_EQ(clock_.pending_alarms(), 0u) << "the resend timer outlived stop()";
}

TEST_F(ServiceTest, AClientOnAStrandOfItsOwnIsCalledThereAndHandsOverToTheService) {
  // As fb-backend runs it: the client on another strand of the same context.
  auto client_strand = boost::asio::make_strand(io_);
  mqtt_ = std::make_shared<FakeMqtt::State>();
  auto rules = load_rules(test::kRulesDir);
  auto store = open_sqlite_case_store(dir_ / "cases.db");
  ASSERT_TRUE(rules && store);
  service_ = std::make_unique<Service>(strand_, clock_, ServiceOptions{}, std::move(*store), std::move(*rules),
                                       std::make_unique<FakeMqtt>(client_strand, mqtt_));
  ASSERT_TRUE(service_->start());
  test::set_connected(*mqtt_, true);
  run();
  send_report(kVinA, "door rattle on rough roads");
  run();
  EXPECT_EQ(service_->stats().ingest.accepted, 1u);
  ASSERT_EQ(of_kind(complete_all(), false).size(), 1u) << "no ack reached the client";
  EXPECT_EQ(service_->stats().published, 2u);
  service_->stop();
  EXPECT_EQ(mqtt_->stops, 0u) << "the client was stopped off its strand";
  run();
  EXPECT_EQ(mqtt_->stops, 1u);
}

TEST_F(ServiceTest, AClientThatCannotStartFailsTheStartAndLeavesNothingRunning) {
  mqtt_ = std::make_shared<FakeMqtt::State>();
  mqtt_->start_error = Error(MqttErrc::tls_setup, "cannot read 'ca.crt'");
  auto rules = load_rules(test::kRulesDir);
  auto store = open_sqlite_case_store(dir_ / "cases.db");
  ASSERT_TRUE(rules && store);
  service_ = std::make_unique<Service>(strand_, clock_, ServiceOptions{}, std::move(*store), std::move(*rules),
                                       std::make_unique<FakeMqtt>(strand_, mqtt_));
  auto r = service_->start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(MqttErrc::tls_setup));
  EXPECT_EQ(clock_.pending_alarms(), 0u);
}

TEST_F(ServiceTest, TheSlaTimerEscalatesAndSendsProgressUpdatesOnTheClock) {
  ServiceOptions options;
  options.sla_check = 1h;
  options.notification_check = 1h;
  start(options);
  send_report(kVinA, "中控屏幕死机 screen freezes");  // medium: first response within 24 h
  run();
  auto first = of_kind(complete_all(), true);
  ASSERT_EQ(first.size(), 1u);
  test::run_for(io_, clock_, 12h - 1s);
  EXPECT_EQ(service_->stats().escalations, 0u);
  test::run_for(io_, clock_, 1s);
  EXPECT_EQ(service_->stats().escalations, 1u);  // 50 % of the first response
  test::run_for(io_, clock_, 12h);
  EXPECT_EQ(service_->stats().escalations, 2u);  // 100 %
  EXPECT_EQ(service_->stats().progress_updates, 0u);
  test::run_for(io_, clock_, 24h);  // 48 h without a word to the driver
  EXPECT_EQ(service_->stats().progress_updates, 1u);
  std::vector<wire::Envelope> updates;  // besides resends of the unreceipted first notification
  for (auto& n : of_kind(complete_all(), true)) {
    if (n.message_id() != first[0].message_id()) updates.push_back(n);
  }
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].notification().status(), wire::CASE_STATUS_RECEIVED);
  EXPECT_NE(updates[0].notification().title().find("进展"), std::string::npos) << updates[0].notification().title();
}

// A pass that fails rolls back: its deadline stays past. Re-armed from the store's deadline it ran
// again at once, a busy loop on the service's strand (a core, and a log line each time, while
// the disk is full). It waits the check interval instead, and escalates once the store is back.
TEST_F(ServiceTest, AFailingSlaPassIsTriedAgainAtTheCheckIntervalNotAtOnce) {
  wrap_with_failing_store();
  ServiceOptions options;
  options.sla_check = 1min;
  options.notification_check = 1h;
  start(options);
  send_report(kVinA, "中控屏幕死机 screen freezes");  // medium: 50 % of the first response at 12 h
  run();
  complete_all();
  test::run_for(io_, clock_, 12h - 1s);
  ASSERT_EQ(service_->stats().escalations, 0u);
  failing_->fail_sla = 1000;  // more than a busy loop needs to show itself, so the test ends either way
  const auto passes = failing_->sla_passes;
  test::run_for(io_, clock_, 1s);  // due: the pass fails
  EXPECT_EQ(failing_->sla_passes - passes, 1) << "a failed pass ran again at once";
  // Changes from the console come often (each re-arms the SLA timer): the retry stays set.
  for (int i = 0; i < 5; ++i) {
    test::run_for(io_, clock_, 10s);
    service_->update<bool>([](CaseStore&, const NoticeRenderer&) -> Result<bool> { return true; }, [](Result<bool>) {});
    run();
  }
  test::run_for(io_, clock_, 10s - 1ms);
  EXPECT_EQ(failing_->sla_passes - passes, 1);
  test::run_for(io_, clock_, 1ms);
  EXPECT_EQ(failing_->sla_passes - passes, 2) << "tried again at the check interval";
  failing_->fail_sla = 0;
  test::run_for(io_, clock_, 1min);
  EXPECT_EQ(service_->stats().escalations, 1u) << "the store back, the escalation goes out";
}

// The broker took a notification but the store could not record it (a full disk): it is still
// due there, and each check (every 2 s in production) published it again to a car that already
// has it. It stays in flight instead, and is recorded by the next flush once the store is back.
TEST_F(ServiceTest, ASentNotificationTheStoreCannotRecordIsNotSentAgainUntilItIsRecorded) {
  wrap_with_failing_store();
  start(ServiceOptions{.notification_check = 1s, .notification_resend_base = 60s, .notification_resend_max = 600s});
  failing_->fail_reschedule = 1000;
  send_report(kVinA, "换挡顿挫");
  run();
  ASSERT_EQ(of_kind(complete_all(), true).size(), 1u);
  test::run_for(io_, clock_, 30s);
  EXPECT_TRUE(of_kind(complete_all(), true).empty()) << "sent again while its send was not recorded";
  failing_->fail_reschedule = 0;
  test::run_for(io_, clock_, 1s);  // the timer's flush records it, from now
  test::run_for(io_, clock_, 59s);
  EXPECT_TRUE(of_kind(complete_all(), true).empty()) << "resent before the backoff from the recorded send";
  test::run_for(io_, clock_, 2s);
  EXPECT_EQ(of_kind(complete_all(), true).size(), 1u) << "resent after it, as any unreceipted notification";
}

TEST_F(ServiceTest, ATransitionNotifiesTheCarAtOnce) {
  start();
  send_report(kVinA, "中控屏幕死机 screen freezes");
  run();
  complete_all();
  auto cases = service_->stats().ingest.accepted;
  ASSERT_EQ(cases, 1u);
  std::optional<Result<TransitionOutcome>> result;
  service_->transition(
      TransitionRequest{"FB-2026-000001", CaseState::acknowledged, "wang@planning", "seen", 0, {}, {}, {}},
      [&](Result<TransitionOutcome> r) { result = std::move(r); });
  run();
  ASSERT_TRUE(result && *result) << (result ? result->error().what() : "no answer");
  auto notes = of_kind(complete_all(), true);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].notification().case_number(), "FB-2026-000001");

  service_->transition(TransitionRequest{"FB-2026-000001", CaseState::closed, "wang@planning", "done", 0, {}, {}, {}},
                       [&](Result<TransitionOutcome> r) { result = std::move(r); });
  run();
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, make_error_code(CaseErrc::invalid_transition));
}

// Several instances on one store (issue 12): the timers (here, notification resends) run on the
// instance holding the store's lease, and another takes them over once that lease lapses.
TEST_F(ServiceTest, OnlyTheLeaseHolderResendsAndAnotherInstanceTakesOverWhenItDies) {
  const auto a_options = two_instances();
  start(a_options);
  EXPECT_EQ(mqtt_->subscriptions.front().first, "$share/backends/" + std::string(topics::all_reports));

  auto b = start_other(a_options, "fb-backend-b");
  ASSERT_TRUE(b);
  auto& io_b = b->io;
  auto& mqtt_b = b->mqtt;

  send_report(kVinA, "换挡顿挫");
  run();
  const auto first = of_kind(complete_all(), true);
  ASSERT_EQ(first.size(), 1u);
  bool a_alive = true;
  std::size_t resent_by_a = 0, resent_by_b = 0;
  const auto run_both_for = [&](std::chrono::seconds d) {
    for (auto t = 0ms; t < d; t += 500ms) {
      clock_.advance(500ms);
      if (a_alive) {
        run();
        resent_by_a += of_kind(complete_all(), true).size();
      }
      test::run_ready(io_b);
      while (test::pending_publishes(*mqtt_b) > 0) {
        auto p = test::complete_next(*mqtt_b);
        auto env = codec::decode(p.payload);
        ASSERT_TRUE(env);
        EXPECT_EQ(env->message_id(), first[0].message_id());
        ++resent_by_b;
      }
      test::run_ready(io_b);
    }
  };
  run_both_for(62s);  // due at 60 s
  EXPECT_EQ(resent_by_a, 1u) << "the holder (the first to start) resends";
  EXPECT_EQ(resent_by_b, 0u) << "the other instance only receives";

  a_alive = false;  // killed: its timers never run again, it releases nothing
  run_both_for(100s);
  EXPECT_EQ(resent_by_b, 0u) << "next due at 180 s, whoever holds the timers";
  run_both_for(30s);
  EXPECT_EQ(resent_by_b, 1u) << "the second instance took the lease over and resends";
  EXPECT_EQ(resent_by_a, 1u);
}

// The lease holder loses the broker (its database still works): it gives the timers up, so that a
// connected instance resends in its place.
TEST_F(ServiceTest, ALeaseHolderCutOffFromTheBrokerGivesTheTimersUp) {
  const auto options = two_instances();
  start(options);
  auto b = start_other(options, "fb-backend-b");
  ASSERT_TRUE(b);
  auto& io_b = b->io;
  auto& mqtt_b = b->mqtt;

  send_report(kVinA, "换挡顿挫");
  run();
  ASSERT_EQ(of_kind(complete_all(), true).size(), 1u);
  test::set_connected(*mqtt_, false);  // a's broker connection drops; its store does not
  run();
  std::size_t resent_by_b = 0;
  for (auto t = 0ms; t < 65s; t += 500ms) {
    clock_.advance(500ms);
    run();
    EXPECT_EQ(test::pending_publishes(*mqtt_), 0u) << "a has no broker";
    test::run_ready(io_b);
    while (test::pending_publishes(*mqtt_b) > 0) {
      test::complete_next(*mqtt_b);
      ++resent_by_b;
    }
    test::run_ready(io_b);
  }
  EXPECT_EQ(resent_by_b, 1u) << "b took the timers over from the disconnected holder and resent at 60 s";
}

}  // namespace
}  // namespace fb::backend
