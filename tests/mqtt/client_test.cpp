// The client logic composed over a fake transport, driven on this thread by a fake clock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "errc_fixture.hpp"
#include "fake_clock.hpp"
#include "fake_transport.hpp"
#include "fb/mqtt/transport.hpp"

namespace fb::mqtt {
namespace {

using namespace std::chrono_literals;

using test_support::not_connected;
using test_support::publish_failed;
using test_support::shutting_down;
using test_support::subscribe_failed;
const auto connect_failed = make_error_code(MqttErrc::connect_failed);

ClientOptions fake_options() {
  ClientOptions o;
  o.server_uri = "tcp://broker.test:1883";
  o.client_id = "car-1";
  o.reconnect_min = 250ms;
  o.reconnect_max = 1000ms;
  o.connect_timeout = 10s;
  o.max_inflight = 2;
  o.max_queued = 2;
  o.publish_timeout = 5s;
  o.max_undelivered = 3;
  return o;
}

class ClientTest : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  test::FakeClock clock;
  test::FakeTransport* fake = nullptr;  // owned by client
  std::unique_ptr<Client> client;
  std::vector<std::pair<bool, Error>> connection;
  std::vector<Message> messages;
  std::map<std::string, std::vector<Error>> outcomes;
  bool stopped = false;  // set once stop() returned: no handler may run after

  void make(ClientOptions o = fake_options()) {
    auto t = std::make_unique<test::FakeTransport>();
    fake = t.get();
    // Every wait at its ceiling: the backoff's timing is exact here (its jitter is
    // reconnect_loop_test's).
    client = make_client(io.get_executor(), clock, std::move(o), std::move(t),
                         [](std::chrono::milliseconds ceiling) { return ceiling; });
    client->on_connection([this](bool up, Error e) {
      EXPECT_FALSE(stopped) << "connection handler after stop()";
      connection.emplace_back(up, std::move(e));
    });
    client->on_message([this](Message m) {
      EXPECT_FALSE(stopped) << "message handler after stop()";
      messages.push_back(std::move(m));
    });
  }

  /// A client with a will it says itself on a clean stop (on_clean_stop), connected.
  void connect_with_clean_stop_will(ClientOptions o) {
    o.will = Will{"vehicles/car-1/status", "offline", QoS::at_least_once, true, true};
    make(o);
    ASSERT_TRUE(client->start());
    fake->connack();
    run();
    ASSERT_TRUE(client->connected());
  }

  void start(const std::vector<std::string>& filters = {}) {
    make();
    for (auto& f : filters) client->subscribe(f, QoS::at_least_once);
    ASSERT_TRUE(client->start());
    ASSERT_EQ(fake->connects.size(), 1u);
  }
  void start_connected(const std::vector<std::string>& filters = {"cmd/#"}) {
    start(filters);
    fake->connack();
    run();
    for (std::size_t i = 0; i < filters.size(); ++i) {
      fake->suback(i);
      run();
    }
    ASSERT_TRUE(client->connected());
  }
  void publish(const std::string& topic, QoS qos = QoS::at_least_once) {
    client->publish(topic, "p", qos, [this, topic](Error e) { outcomes[topic].push_back(std::move(e)); });
  }
  void stop() {
    client->stop();
    stopped = true;
  }
  void run() { test::run_ready(io); }
  void advance(std::chrono::steady_clock::duration d) { test::run_for(io, clock, d); }
  // Exactly one completion so far; its code.
  std::error_code outcome(const std::string& topic) {
    auto& v = outcomes[topic];
    EXPECT_EQ(v.size(), 1u) << topic;
    return v.empty() ? std::error_code(-1, std::generic_category()) : v.front().code;
  }
};

TEST_F(ClientTest, ReportsConnectedOnlyOnceEverySubscriptionIsAcknowledgedInOrder) {
  start({"a/#", "b/#"});
  fake->connack();
  run();
  ASSERT_EQ(fake->subscribes.size(), 1u);
  EXPECT_EQ(fake->subscribes[0].filter, "a/#");
  EXPECT_FALSE(client->connected());
  fake->suback(0);
  run();
  ASSERT_EQ(fake->subscribes.size(), 2u);
  EXPECT_TRUE(connection.empty());
  fake->suback(1);
  run();
  EXPECT_TRUE(client->connected());
  ASSERT_EQ(connection.size(), 1u);
  EXPECT_TRUE(connection[0].first);
  EXPECT_EQ(client->stats().connects, 1u);
}

TEST_F(ClientTest, AFailedConnectIsReportedAndRetriedAfterExactlyTheBackoff) {
  start();
  fake->refuse_connect();
  run();
  ASSERT_EQ(connection.size(), 1u);
  EXPECT_FALSE(connection[0].first);
  EXPECT_EQ(connection[0].second.code, connect_failed);
  advance(249ms);
  EXPECT_EQ(fake->connects.size(), 1u);
  advance(1ms);
  EXPECT_EQ(fake->connects.size(), 2u);
  fake->refuse_connect();
  advance(499ms);
  EXPECT_EQ(fake->connects.size(), 2u);  // doubled
  advance(1ms);
  EXPECT_EQ(fake->connects.size(), 3u);
  fake->connack();
  run();
  EXPECT_TRUE(client->connected());  // no filters
  EXPECT_EQ(client->stats().connect_failures, 2u);
  advance(mqtt::ReconnectLoop::kStableLink);  // the link holds
  fake->lose();
  run();
  EXPECT_EQ(fake->connects.size(), 4u);  // a lost link is retried at once
  fake->refuse_connect();
  advance(249ms);
  EXPECT_EQ(fake->connects.size(), 4u);
  advance(1ms);
  EXPECT_EQ(fake->connects.size(), 5u);  // back to the minimum after the success
}

TEST_F(ClientTest, ALossBeforeTheConnackIsHandledIsRetriedNotReportedConnected) {
  start({"cmd/#"});
  fake->lose("reset by peer");
  fake->connack();  // Paho completed the token, but the link is already gone
  run();
  EXPECT_FALSE(client->connected());
  EXPECT_TRUE(fake->subscribes.empty());
  ASSERT_EQ(connection.size(), 1u);
  EXPECT_FALSE(connection[0].first);
  publish("x");
  run();
  EXPECT_EQ(outcome("x"), not_connected);
  advance(250ms);
  EXPECT_EQ(fake->connects.size(), 2u);
}

TEST_F(ClientTest, ALossWhileSubscribingIsRetriedNotReportedConnected) {
  start({"cmd/#"});
  fake->connack();
  run();
  fake->lose();
  fake->suback(0);  // stale answer of the lost link
  run();
  EXPECT_FALSE(client->connected());
  ASSERT_EQ(connection.size(), 1u);
  EXPECT_FALSE(connection[0].first);
  advance(250ms);
  ASSERT_EQ(fake->connects.size(), 2u);
  fake->connack();
  run();
  ASSERT_EQ(fake->subscribes.size(), 2u);  // subscribed again on the new link
  fake->suback(1);
  run();
  EXPECT_TRUE(client->connected());
}

TEST_F(ClientTest, AConnectedEventBeforeTheConnectCompletesOpensTheLink) {
  start({"cmd/#"});
  fake->connected_event();
  run();
  EXPECT_EQ(fake->subscribes.size(), 1u);
  publish("early");
  EXPECT_EQ(fake->publishes.size(), 1u);
  fake->connack();  // the token, second: nothing new
  run();
  EXPECT_EQ(fake->subscribes.size(), 1u);
}

TEST_F(ClientTest, ABacklogMessageBeforeTheSubackIsDeliveredAndItsAnswerAccepted) {
  start({"reports/#"});
  fake->connack(true);
  fake->deliver("reports/1", "backlog");
  run();
  ASSERT_EQ(messages.size(), 1u);
  client->publish("inbox/1", "answer", QoS::at_least_once,
                  [this](const Error& e) { outcomes["inbox/1"].push_back(e); });
  ASSERT_EQ(fake->publishes.size(), 1u);
  fake->puback(0);
  run();
  EXPECT_EQ(outcome("inbox/1"), std::error_code());
  EXPECT_FALSE(client->connected());  // still waiting for the SUBACK
}

TEST_F(ClientTest, ARefusedSubscriptionIsReportedAndTheConnectRetriedWithBackoff) {
  start({"ok/#", "forbidden/#"});
  fake->connack();
  run();
  fake->suback(0);
  run();
  fake->refuse_subscribe(1);
  run();
  EXPECT_FALSE(client->connected());
  ASSERT_EQ(connection.size(), 1u);
  EXPECT_EQ(connection[0].second.code, subscribe_failed);
  ASSERT_EQ(fake->disconnects.size(), 1u);  // the link is dropped first
  advance(1s);
  EXPECT_EQ(fake->connects.size(), 1u);  // not before the disconnect finished
  fake->finish_disconnect();
  advance(249ms);
  EXPECT_EQ(fake->connects.size(), 1u);
  advance(1ms);
  EXPECT_EQ(fake->connects.size(), 2u);
}

TEST_F(ClientTest, NoConnackInTimeDropsTheAttemptAndRetries) {
  start();
  advance(11s - 1ms);
  EXPECT_TRUE(fake->disconnects.empty());
  advance(1ms);
  ASSERT_EQ(fake->disconnects.size(), 1u);
  ASSERT_EQ(connection.size(), 1u);
  EXPECT_EQ(connection[0].second.code, connect_failed);
  fake->finish_disconnect();
  fake->connack();  // too late
  advance(250ms);
  EXPECT_EQ(fake->connects.size(), 2u);
  EXPECT_FALSE(client->connected());
}

// The transport never says it let go of an abandoned link: the client does not wait for ever
// (the car would stay offline for good); past the bound, the next attempt starts on a fresh link
// and the late word changes nothing.
TEST_F(ClientTest, AnAbandonedLinkTheTransportNeverReleasesStillLeadsToTheNextAttempt) {
  start();
  advance(11s);  // no CONNACK: abandoned
  ASSERT_EQ(fake->disconnects.size(), 1u);
  EXPECT_EQ(fake->network_ups, 0);
  advance(11s - 1ms);  // the disconnect's 1 s and a connect timeout
  EXPECT_EQ(fake->connects.size(), 1u) << "went ahead before the transport could answer";
  advance(1ms);
  EXPECT_EQ(fake->network_ups, 1) << "the next attempt on a fresh link";
  advance(250ms);
  ASSERT_EQ(fake->connects.size(), 2u);
  fake->finish_disconnect();  // too late
  advance(1s);
  EXPECT_EQ(fake->connects.size(), 2u);
  fake->connack();
  run();
  EXPECT_TRUE(client->connected());
}

TEST_F(ClientTest, APublishWithoutPubackTimesOutOnceAndItsSlotGoesToTheQueuedOne) {
  start_connected();
  publish("a");
  publish("b");
  publish("c");  // queued
  ASSERT_EQ(fake->publishes.size(), 2u);
  advance(5s - 1ms);
  EXPECT_TRUE(outcomes.empty());
  fake->puback(1);
  advance(1ms);
  EXPECT_EQ(outcome("a"), publish_failed);
  EXPECT_EQ(outcome("b"), std::error_code());
  EXPECT_EQ(client->stats().publish_timeouts, 1u);
  ASSERT_EQ(fake->publishes.size(), 3u);
  EXPECT_EQ(fake->publishes[2].topic, "c");
  fake->puback(0);  // the late PUBACK
  run();
  EXPECT_EQ(outcomes["a"].size(), 1u);
}

TEST_F(ClientTest, ALostLinkFailsQueuedPublishesAndIsReported) {
  start_connected();
  for (auto t : {"a", "b", "c"}) publish(t);
  fake->lose("keep-alive timeout");
  run();
  EXPECT_EQ(outcome("c"), not_connected);
  EXPECT_TRUE(outcomes["a"].empty());  // in flight: the library may still complete it
  ASSERT_EQ(connection.size(), 2u);
  EXPECT_FALSE(connection[1].first);
  EXPECT_EQ(connection[1].second.detail, "keep-alive timeout");
  fake->puback(0);
  run();
  EXPECT_EQ(outcome("a"), std::error_code());
}

TEST_F(ClientTest, CompletionsNeverRunInsideTheCallThatStartedThem) {
  make();
  bool returned = false;
  bool seen_returned = false;
  client->publish("t", "p", QoS::at_least_once, [&](const Error&) { seen_returned = returned; });
  returned = true;
  run();
  EXPECT_TRUE(seen_returned);
}

TEST_F(ClientTest, QosAndPayloadReachTheTransport) {
  start_connected();
  EXPECT_EQ(fake->subscribes[0].qos, QoS::at_least_once);
  client->subscribe("telemetry/#", QoS::at_most_once);  // applied at once while connected
  ASSERT_EQ(fake->subscribes.size(), 2u);
  EXPECT_EQ(fake->subscribes[1].qos, QoS::at_most_once);
  publish("zero", QoS::at_most_once);
  publish("one", QoS::at_least_once);
  EXPECT_EQ(fake->publishes[0].qos, QoS::at_most_once);
  EXPECT_EQ(fake->publishes[1].qos, QoS::at_least_once);
  EXPECT_EQ(fake->publishes[1].payload, "p");
}

TEST_F(ClientTest, MqttFiveOptionsReachTheConnect) {
  auto o = fake_options();
  o.version = ProtocolVersion::v5;
  o.clean_session = false;
  o.session_expiry = std::chrono::hours(24);
  make(o);
  ASSERT_TRUE(client->start());
  ASSERT_EQ(fake->connects.size(), 1u);
  const auto& p = fake->connects[0].params;
  EXPECT_EQ(p.version, ProtocolVersion::v5);
  EXPECT_FALSE(p.clean_start);
  EXPECT_EQ(p.session_expiry, std::chrono::hours(24));
}

TEST_F(ClientTest, RetainAndMessageExpiryReachTheTransport) {
  start_connected();
  client->publish("status", "online", QoS::at_least_once, PublishProps{.retain = true}, [](const Error&) {});
  client->publish("report", "r", QoS::at_least_once, PublishProps{.message_expiry = std::chrono::seconds(90)},
                  [](const Error&) {});
  publish("plain");
  ASSERT_EQ(fake->publishes.size(), 2u);  // max_inflight 2: "plain" waits for a slot
  EXPECT_TRUE(fake->publishes[0].props.retain);
  EXPECT_EQ(fake->publishes[0].props.message_expiry, std::chrono::seconds(0));
  EXPECT_FALSE(fake->publishes[1].props.retain);
  EXPECT_EQ(fake->publishes[1].props.message_expiry, std::chrono::seconds(90));
  fake->puback(0);
  run();
  ASSERT_EQ(fake->publishes.size(), 3u);  // queued publishes keep their properties too
  EXPECT_FALSE(fake->publishes[2].props.retain);
  EXPECT_EQ(fake->publishes[2].props.message_expiry, std::chrono::seconds(0));
}

TEST_F(ClientTest, TheWillGoesWithEveryConnect) {
  auto o = fake_options();
  o.will = Will{"vehicles/car-1/status", "offline", QoS::at_least_once, true};
  make(o);
  ASSERT_TRUE(client->start());
  fake->refuse_connect();
  advance(250ms);
  ASSERT_EQ(fake->connects.size(), 2u);
  for (const auto& c : fake->connects) {
    ASSERT_TRUE(c.params.will);
    EXPECT_EQ(c.params.will->topic, "vehicles/car-1/status");
    EXPECT_EQ(c.params.will->payload, "offline");
    EXPECT_TRUE(c.params.will->retain);
  }
}

// The broker drops the will on a DISCONNECT: with on_clean_stop the client says it itself, and
// waits for the broker to have it before it disconnects.
TEST_F(ClientTest, ACleanStopWhileConnectedPublishesTheWillItselfAndWaitsForItsPubackBeforeClosing) {
  ASSERT_NO_FATAL_FAILURE(connect_with_clean_stop_will(fake_options()));
  int closes_at_publish = -1;
  // The PUBACK comes from the library's thread, a little later, while stop() waits for it: a
  // stop that did not wait would close the transport before it.
  std::atomic<bool> acked = false;
  std::optional<bool> acked_at_close;
  std::thread library;
  fake->on_publish = [&](test::FakeTransport::Publish& p) {
    closes_at_publish = fake->closes;
    ASSERT_FALSE(library.joinable()) << "the will was published twice";
    library = std::thread([&acked, done = std::move(p.done)] {
      std::this_thread::sleep_for(50ms);  // the round trip to the broker
      acked = true;
      done(Error{});
    });
  };
  fake->on_close = [&] { acked_at_close = acked.load(); };
  stop();
  ASSERT_TRUE(library.joinable()) << "the will was not published";
  library.join();
  ASSERT_TRUE(acked_at_close);
  EXPECT_TRUE(*acked_at_close) << "the transport was closed before the will's PUBACK";
  ASSERT_EQ(fake->publishes.size(), 1u);
  EXPECT_EQ(fake->publishes[0].topic, "vehicles/car-1/status");
  EXPECT_EQ(fake->publishes[0].payload, "offline");
  EXPECT_EQ(fake->publishes[0].qos, QoS::at_least_once);
  EXPECT_TRUE(fake->publishes[0].props.retain);
  EXPECT_EQ(closes_at_publish, 0) << "published after the transport was closed";
  EXPECT_EQ(fake->closes, 1);
}

// A broker that never answers the will's publish: stop() gives up after connect_timeout and
// closes the transport all the same.
TEST_F(ClientTest, ACleanStopWhoseWillIsNeverAcknowledgedStillClosesAfterTheConnectTimeout) {
  auto o = fake_options();
  o.connect_timeout = 1s;  // the wait blocks on the library's thread: real time
  ASSERT_NO_FATAL_FAILURE(connect_with_clean_stop_will(o));
  const auto t0 = std::chrono::steady_clock::now();
  stop();
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(fake->publishes.size(), 1u);
  EXPECT_EQ(fake->closes, 1);
  EXPECT_GE(waited, 1s) << "it waited for the PUBACK";
  EXPECT_LT(waited, 6s);
}

TEST_F(ClientTest, ACleanStopPublishesNothingWithoutOnCleanStopOrWhileNotConnected) {
  auto o = fake_options();
  o.will = Will{"vehicles/car-1/status", "offline", QoS::at_least_once, true, false};
  make(o);
  ASSERT_TRUE(client->start());
  fake->connack();
  run();
  stop();
  EXPECT_TRUE(fake->publishes.empty());

  stopped = false;
  o.will->on_clean_stop = true;
  make(o);
  ASSERT_TRUE(client->start());
  fake->refuse_connect();
  run();
  stop();  // offline: nobody to tell, and no wait for an answer that cannot come
  EXPECT_TRUE(fake->publishes.empty());
}

TEST_F(ClientTest, NetworkUpCutsTheBackoffShortAndResetsIt) {
  start();
  for (auto wait : {250ms, 500ms, 1000ms}) {
    fake->refuse_connect();
    advance(wait);
  }
  ASSERT_EQ(fake->connects.size(), 4u);
  fake->refuse_connect();  // now waiting 1000 ms (the cap)
  advance(10ms);
  client->network_up();
  EXPECT_EQ(fake->connects.size(), 5u);  // at once
  fake->connack();
  run();
  EXPECT_TRUE(client->connected());
  client->network_up();  // connected: nothing to do
  EXPECT_EQ(fake->connects.size(), 5u);
  advance(mqtt::ReconnectLoop::kStableLink);  // the link holds
  fake->lose();
  run();
  ASSERT_EQ(fake->connects.size(), 6u);
  fake->refuse_connect();
  advance(249ms);
  EXPECT_EQ(fake->connects.size(), 6u);
  advance(1ms);
  EXPECT_EQ(fake->connects.size(), 7u);  // the backoff is at its minimum again
}

TEST_F(ClientTest, NetworkUpDuringAnAttemptRetriesAtOnceIfThatAttemptFails) {
  start();
  fake->refuse_connect();
  advance(250ms);
  ASSERT_EQ(fake->connects.size(), 2u);
  client->network_up();  // the attempt under way may be on the network that went away
  EXPECT_EQ(fake->connects.size(), 2u);
  fake->refuse_connect();
  run();
  EXPECT_EQ(fake->connects.size(), 3u);
}

TEST_F(ClientTest, NetworkUpBeforeStartOrAfterStopDoesNothing) {
  make();
  client->network_up();
  EXPECT_TRUE(fake->connects.empty());
  ASSERT_TRUE(client->start());
  fake->refuse_connect();
  run();
  stop();
  client->network_up();
  advance(5s);
  EXPECT_EQ(fake->connects.size(), 1u);
}

TEST_F(ClientTest, MessagesBeyondMaxUndeliveredAreDroppedAndCounted) {
  start_connected();
  for (int i = 0; i < 5; ++i) fake->deliver("cmd/x", std::to_string(i));
  run();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[2].payload, "2");
  EXPECT_EQ(client->stats().dropped_undelivered, 2u);
  fake->deliver("cmd/x", "after");  // room again once delivered
  run();
  EXPECT_EQ(messages.size(), 4u);
}

TEST_F(ClientTest, AdmissionRunsBeforeTheUndeliveredBoundSoRefusedMessagesTakeNoRoom) {
  make();
  client->set_admission([](const Message& m) { return m.qos == QoS::at_least_once && !m.retained; });
  client->subscribe("cmd/#", QoS::at_least_once);
  ASSERT_TRUE(client->start());
  fake->connack();
  run();
  fake->suback(0);
  run();
  // Without running the executor: a flood of refused ones, then three wanted (the bound is 3).
  for (int i = 0; i < 10; ++i) fake->deliver("cmd/x", "flood", QoS::at_most_once);
  fake->deliver("cmd/x", "replayed", QoS::at_least_once, true);
  for (int i = 0; i < 3; ++i) fake->deliver("cmd/x", std::to_string(i));
  run();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].payload, "0");
  EXPECT_EQ(client->stats().dropped_undelivered, 0u);
  EXPECT_EQ(client->stats().refused_by_admission, 11u);
}

TEST_F(ClientTest, WithAnIntakeMessagesGoThereOnTheReceiveThreadAndNothingCountsAgainstTheBound) {
  make();
  std::vector<Message> taken;
  client->set_intake([&](Message m) { taken.push_back(std::move(m)); });
  client->subscribe("cmd/#", QoS::at_least_once);
  ASSERT_TRUE(client->start());
  fake->connack();
  run();
  fake->suback(0);
  run();
  for (int i = 0; i < 5; ++i) fake->deliver("cmd/x", std::to_string(i), QoS::at_least_once, i == 4);
  ASSERT_EQ(taken.size(), 5u);  // at once, in order, before the executor runs
  EXPECT_EQ(taken[3].payload, "3");
  EXPECT_TRUE(taken[4].retained);
  run();
  EXPECT_TRUE(messages.empty()) << "the handler got a message the intake took";
  EXPECT_EQ(client->stats().dropped_undelivered, 0u);
}

TEST_F(ClientTest, InvalidOptionsFailStartAndLeaveNothingRunning) {
  auto o = fake_options();
  o.server_uri = "broker:1883";
  make(o);
  auto r = client->start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(MqttErrc::invalid_argument));
  EXPECT_TRUE(fake->connects.empty());
  EXPECT_EQ(clock.pending_alarms(), 0u);
}

// stop() in each state: every publish completes once, with shutting_down where it was still
// pending; no handler runs after stop(); late answers and timers change nothing.
class StopTest : public ClientTest {
 protected:
  void stop_and_check() {
    stop();
    EXPECT_EQ(fake ? fake->closes : 1, 1);
    const auto connects = fake ? fake->connects.size() : 0;
    // Whatever the transport still had in hand, answered after the fact.
    if (fake) {
      fake->closed = false;  // even if it answered anyway
      for (std::size_t i = 0; i < fake->connects.size(); ++i) {
        if (fake->connects[i].done) fake->answer_connect({}, false, i);
      }
      for (std::size_t i = 0; i < fake->subscribes.size(); ++i) {
        if (fake->subscribes[i].done) fake->suback(i);
      }
      for (std::size_t i = 0; i < fake->publishes.size(); ++i) {
        if (fake->publishes[i].done) fake->puback(i);
      }
      fake->lose();
      fake->deliver("cmd/x", "late");
    }
    advance(1min);
    if (fake) {
      EXPECT_EQ(fake->connects.size(), connects);
    }
    EXPECT_FALSE(client->connected());
    for (auto& [topic, v] : outcomes) EXPECT_EQ(v.size(), 1u) << topic;
    client->stop();  // idempotent
    publish("after");
    run();
    EXPECT_EQ(outcome("after"), shutting_down);
    EXPECT_EQ(clock.pending_alarms(), 0u);
  }
};

TEST_F(StopTest, WhileIdle) {
  make();
  publish("a");
  stop();
  run();
  EXPECT_EQ(outcome("a"), not_connected);
  EXPECT_EQ(fake->closes, 0);  // never started: nothing to close
  fake = nullptr;
  stop_and_check();
}

TEST_F(StopTest, WhileConnecting) {
  start({"cmd/#"});
  stop_and_check();
  EXPECT_TRUE(connection.empty());
}

TEST_F(StopTest, WhileSubscribingWithAPublishInFlight) {
  start({"cmd/#"});
  fake->connack();
  run();
  publish("a");
  stop_and_check();
  EXPECT_EQ(outcome("a"), shutting_down);
}

TEST_F(StopTest, WhileConnectedWithPublishesInFlightAndQueued) {
  start_connected();
  for (auto t : {"a", "b", "c", "d"}) publish(t);
  stop_and_check();
  for (auto t : {"a", "b", "c", "d"}) EXPECT_EQ(outcome(t), shutting_down) << t;
}

TEST_F(StopTest, WhileWaitingForTheRetry) {
  start();
  fake->refuse_connect();
  run();
  stop_and_check();
  EXPECT_EQ(fake->connects.size(), 1u);
}

TEST_F(StopTest, FromTheConnectionHandler) {
  start();
  client->on_connection([this](bool, const Error&) {
    EXPECT_FALSE(stopped);
    stop();
  });
  fake->refuse_connect();
  run();
  EXPECT_TRUE(stopped);
  stop_and_check();
  EXPECT_EQ(fake->connects.size(), 1u);
}

}  // namespace
}  // namespace fb::mqtt
