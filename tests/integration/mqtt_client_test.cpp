// The Paho client against the real broker, in both protocol versions: what the agent and the
// backend rely on.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "broker_fixture.hpp"
#include "fb/common/topics.hpp"
#include "fb/mqtt/tcp_nodelay.hpp"

namespace fb::test {
namespace {

using mqtt::QoS;

class MqttBroker : public MqttBrokerTest {};

TEST_P(MqttBroker, AnswersToAPersistentSessionsBacklogAreNotRefused) {
  constexpr int kBacklog = 3000;
  {
    Events e;
    TestClient backend(io_, options("fb-backend", pki_->backend()), e);  // creates the persistent session
    backend.on_io([](mqtt::Client& c) {
      c.subscribe(std::string(topics::all_reports), QoS::at_least_once);
      return 0;
    });
    ASSERT_TRUE(backend.start());
    ASSERT_TRUE(e.wait([&] { return e.connects == 1; }));
    backend.stop();
  }
  {
    Events e;
    TestClient car(io_, options(kVin, pki_->vehicle(kVin)), e);
    ASSERT_TRUE(car.start());
    ASSERT_TRUE(e.wait([&] { return e.connects == 1; }));
    for (int i = 0; i < kBacklog; ++i) {
      auto err = car.publish(topics::reports(kVin), "report " + std::to_string(i));
      ASSERT_FALSE(err.code) << err.what();
    }
    car.stop();
  }
  // The backlog starts arriving right after CONNACK, before the re-subscription's SUBACK; a
  // backend answers each message at once and none of those answers may be refused.
  std::mutex mu;
  std::condition_variable cv;
  int received = 0, completed = 0, failed = 0;
  std::optional<Error> first_failure;
  Events e;
  TestClient backend(io_, options("fb-backend", pki_->backend()), e);
  backend.on_io([&](mqtt::Client& c) {
    c.on_message([&, client = &c](const mqtt::Message&) {
      {
        std::lock_guard lock(mu);
        ++received;
      }
      client->publish(topics::inbox(kVin), "answer", QoS::at_least_once, [&](const Error& err) {
        std::lock_guard lock(mu);
        ++completed;
        if (err.code && ++failed == 1) first_failure = err;
        cv.notify_all();
      });
    });
    c.subscribe(std::string(topics::all_reports), QoS::at_least_once);
    return 0;
  });
  ASSERT_TRUE(backend.start());
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kBrokerWait, [&] { return received >= kBacklog && completed >= kBacklog; }))
      << received << " received, " << completed << " completed";
  EXPECT_EQ(failed, 0) << first_failure->what();
  lock.unlock();
  backend.stop();
}

// Paho C leaves Nagle on and has no option for it: the wrapper finds Paho's socket and sets it,
// or every QoS 1 exchange waits ~40 ms for a delayed ACK.
TEST_P(MqttBroker, TheClientsSocketToTheBrokerHasNagleOff) {
  Events e;
  TestClient car(io_, options(kVin, pki_->vehicle(kVin)), e);
  ASSERT_TRUE(car.start());
  ASSERT_TRUE(e.wait([&] { return e.connects == 1; }));
  int sockets = 0, without_delay = 0;
  mqtt::for_each_socket_to("127.0.0.1", broker_->port(), [&](int fd) {
    ++sockets;
    int on = 0;
    socklen_t len = sizeof on;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0 && on != 0) ++without_delay;
  });
  EXPECT_EQ(sockets, 1);
  EXPECT_EQ(without_delay, sockets);
  car.stop();
}

TEST_P(MqttBroker, EveryPublishCompletesExactlyOnceEvenAcrossStop) {
  Events e;
  TestClient car(io_, options(kVin, pki_->vehicle(kVin)), e);
  // Before start: refused, not queued.
  EXPECT_EQ(car.publish(topics::reports(kVin), "early").code, make_error_code(MqttErrc::not_connected));

  ASSERT_TRUE(car.start());
  ASSERT_TRUE(e.wait([&] { return e.connects == 1; }));
  constexpr int kMany = 500;                  // far above max_inflight: most wait in the client's queue
  std::vector<std::atomic<int>> each(kMany);  // completions of each publish
  std::atomic<int> completions = 0;
  std::atomic<int> shutting_down = 0;
  std::promise<void> all_done;
  car.on_io([&](mqtt::Client& c) {
    for (int i = 0; i < kMany; ++i) {
      c.publish(topics::reports(kVin), std::string(1000, 'x'), QoS::at_least_once, [&, i](const Error& err) {
        if (err.code == make_error_code(MqttErrc::shutting_down)) ++shutting_down;
        ++each[i];
        if (++completions == kMany) all_done.set_value();
      });
    }
    c.stop();  // what was not acknowledged yet completes with shutting_down
    return 0;
  });
  ASSERT_EQ(all_done.get_future().wait_for(kBrokerWait), std::future_status::ready);
  // A second completion of one would come through the client's executor: let it run dry first.
  car.on_io([](mqtt::Client&) { return 0; });
  for (int i = 0; i < kMany; ++i) EXPECT_EQ(each[i].load(), 1) << "publish " << i;
  EXPECT_EQ(completions, kMany);
  EXPECT_GT(shutting_down, 0);
}

TEST_P(MqttBroker, UnreadableCertificateFilesAreAClearError) {
  auto files = pki_->vehicle(kVin);
  files.key_file = dir_ / "missing.key";
  Events e;
  TestClient car(io_, options(kVin, files), e);
  auto r = car.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(MqttErrc::tls_setup));
  EXPECT_NE(r.error().detail.find("missing.key"), std::string::npos);
}

// The benchmark's plain-TCP listener (tls_vs_plain): a password login there, and none without the
// right password; the certificate stays the identity on the TLS listener of the same broker.
TEST_P(MqttBroker, ThePlainListenerTakesItsPasswordOnlyAndLeavesTlsAsItWas) {
  Broker plain(dir_ / "plain-broker", *pki_, /*plain_listener=*/true);
  ASSERT_FALSE(plain.plain_uri().empty());
  auto login = client_options(plain, "fb-backend", {});
  login.server_uri = plain.plain_uri();
  login.version = GetParam();
  login.username = "fb-backend";
  login.password = plain.plain_password();
  Events e;
  TestClient backend(io_, login, e);
  backend.on_io([](mqtt::Client& c) {
    c.subscribe(std::string(topics::all_reports), QoS::at_least_once);
    return 0;
  });
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(e.wait([&] { return e.connects == 1; }));

  auto wrong = login;
  wrong.client_id = "fb-backend-wrong";
  wrong.password = "not-" + login.password;
  Events w;
  TestClient intruder(io_, wrong, w);
  ASSERT_TRUE(intruder.start());
  ASSERT_TRUE(w.wait([&] { return !w.failures.empty(); }));
  EXPECT_EQ(w.connects, 0);
  intruder.stop();

  Events c;
  TestClient car(io_, client_options(plain, kVin, pki_->vehicle(kVin)), c);
  ASSERT_TRUE(car.start());
  ASSERT_TRUE(c.wait([&] { return c.connects == 1; }));
  ASSERT_FALSE(car.publish(topics::reports(kVin), "over TLS").code);
  ASSERT_TRUE(e.wait([&] { return !e.messages.empty(); }));  // the ACL let the password login read it
  EXPECT_EQ(e.messages.front().payload, "over TLS");
  car.stop();
  backend.stop();
}

TEST_P(MqttBroker, ReconnectsAndResubscribesAfterABrokerRestart) {
  Events e;
  TestClient car(io_, options(kVin, pki_->vehicle(kVin)), e);
  car.on_io([](mqtt::Client& c) {
    c.subscribe(topics::inbox(kVin), QoS::at_least_once);
    return 0;
  });
  ASSERT_TRUE(car.start());
  ASSERT_TRUE(e.wait([&] { return e.connects == 1; }));
  broker_->stop();
  ASSERT_TRUE(e.wait([&] { return e.disconnects >= 1; }));
  EXPECT_EQ(car.publish(topics::reports(kVin), "offline").code, make_error_code(MqttErrc::not_connected));
  broker_->start();
  ASSERT_TRUE(e.wait([&] { return e.connects == 2; }));

  Events be;
  TestClient backend(io_, options("fb-backend", pki_->backend()), be);
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(be.wait([&] { return be.connects == 1; }));
  ASSERT_FALSE(backend.publish(topics::inbox(kVin), "hello again").code);
  ASSERT_TRUE(e.wait([&] { return !e.messages.empty(); }));
  std::lock_guard lock(e.mu);
  EXPECT_EQ(e.messages[0].payload, "hello again");
}

// The Message Expiry Interval reaches the broker: a message still queued for an offline
// subscriber when its interval has passed is dropped (MQTT 5), while 3.1.1 ignores it.
TEST_P(MqttBroker, AMessageThatExpiresWhileItsSubscriberIsAwayIsDroppedOnMqtt5Only) {
  const auto backend_options = options("fb-backend", pki_->backend());
  const auto subscribe = [](mqtt::Client& c) {
    c.subscribe(std::string(topics::all_reports), QoS::at_least_once);
    return 0;
  };
  {
    Events e;
    TestClient backend(io_, backend_options, e);  // creates the persistent session
    backend.on_io(subscribe);
    ASSERT_TRUE(backend.start());
    ASSERT_TRUE(e.wait([&] { return e.connects == 1; }));
    backend.stop();
  }
  {
    Events e;
    TestClient car(io_, options(kVin, pki_->vehicle(kVin)), e);
    ASSERT_TRUE(car.start());
    ASSERT_TRUE(e.wait([&] { return e.connects == 1; }));
    ASSERT_FALSE(car.publish(topics::reports(kVin), "short-lived", QoS::at_least_once,
                             mqtt::PublishProps{.message_expiry = std::chrono::seconds(1)})
                     .code);
    ASSERT_FALSE(car.publish(topics::reports(kVin), "long-lived", QoS::at_least_once,
                             mqtt::PublishProps{.message_expiry = std::chrono::hours(1)})
                     .code);
    ASSERT_FALSE(car.publish(topics::reports(kVin), "last").code);
    car.stop();
  }
  // Broker time must pass: the interval is counted by the broker's clock, in whole seconds.
  std::this_thread::sleep_for(2500ms);
  Events e;
  TestClient backend(io_, backend_options, e);
  backend.on_io(subscribe);
  ASSERT_TRUE(backend.start());
  ASSERT_TRUE(e.wait([&] {
    return !e.messages.empty() && e.messages.back().payload == "last";  // the queue is in order
  }));
  std::vector<std::string> payloads;
  {
    std::lock_guard lock(e.mu);
    for (const auto& m : e.messages) payloads.push_back(m.payload);
  }
  if (GetParam() == mqtt::ProtocolVersion::v5) {
    EXPECT_EQ(payloads, (std::vector<std::string>{"long-lived", "last"}));
  } else {
    EXPECT_EQ(payloads, (std::vector<std::string>{"short-lived", "long-lived", "last"}));
  }
  backend.stop();
}

std::string version_name(const ::testing::TestParamInfo<mqtt::ProtocolVersion>& info) {
  return info.param == mqtt::ProtocolVersion::v5 ? "Mqtt5" : "Mqtt311";
}

INSTANTIATE_TEST_SUITE_P(Versions, MqttBroker,
                         ::testing::Values(mqtt::ProtocolVersion::v3_1_1, mqtt::ProtocolVersion::v5), version_name);

}  // namespace
}  // namespace fb::test
