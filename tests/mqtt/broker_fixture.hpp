// The MQTT client against a real Mosquitto (TLS, client certificates, ACL: tests/support's
// Broker and Pki), for each protocol version. Clients live on an io_context that runs on a
// thread the fixture owns; the test waits for what they report, with deadlines.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "broker.hpp"
#include "broker_test.hpp"
#include "fb/async/io_thread.hpp"
#include "fb/common/clock.hpp"
#include "fb/mqtt/client.hpp"
#include "process.hpp"

namespace fb::test {

using namespace std::chrono_literals;
inline constexpr auto kBrokerWait = 30s;
inline constexpr const char* kVin = "WVWZZZ1JZ3W386752";

/// Counts what a client reports, for the test thread to wait on.
struct Events {
  std::mutex mu;
  std::condition_variable cv;
  int connects = 0;
  int disconnects = 0;
  std::vector<Error> failures;  // connection handler's errors
  std::vector<mqtt::Message> messages;

  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = kBrokerWait) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(); });
  }
};

/// A client on `io` reporting into `events`. stop() and destruction happen on `io`.
class TestClient {
 public:
  TestClient(IoThread& io, mqtt::ClientOptions options, Events& events) : io_(io) {
    io_.call([&] {
      client_ = mqtt::make_paho_client(io_.strand(), SystemClock::instance(), std::move(options));
      client_->on_connection([&events](bool up, const Error& why) {
        std::lock_guard lock(events.mu);
        (up ? events.connects : events.disconnects)++;
        if (why.code) events.failures.push_back(why);
        events.cv.notify_all();
      });
      client_->on_message([&events](mqtt::Message m) {
        std::lock_guard lock(events.mu);
        events.messages.push_back(std::move(m));
        events.cv.notify_all();
      });
      return 0;
    });
  }
  ~TestClient() {
    io_.call([&] {
      client_.reset();
      return 0;
    });
  }
  /// Runs `f(client)` on the client's executor and returns its result.
  template <typename F>
  auto on_io(F f) {
    return io_.call([&] { return f(*client_); });
  }
  Result<void> start() {
    return on_io([](mqtt::Client& c) { return c.start(); });
  }
  void stop() {
    on_io([](mqtt::Client& c) {
      c.stop();
      return 0;
    });
  }
  /// Publishes and waits for the completion.
  Error publish(const std::string& topic, const std::string& payload, mqtt::QoS qos = mqtt::QoS::at_least_once,
                mqtt::PublishProps props = {}) {
    std::promise<Error> done;
    on_io([&](mqtt::Client& c) {
      c.publish(topic, payload, qos, props, [&done](Error e) { done.set_value(std::move(e)); });
      return 0;
    });
    return done.get_future().get();
  }

 private:
  IoThread& io_;
  std::unique_ptr<mqtt::Client> client_;
};

struct OneCar {
  static std::vector<std::string> vins() { return {kVin}; }
};

/// One PKI for the suite, one broker per test; GetParam() is the protocol version.
class MqttBrokerTest : public BrokerTest<OneCar, ::testing::TestWithParam<mqtt::ProtocolVersion>> {
 protected:
  mqtt::ClientOptions options(const std::string& client_id, const mqtt::TlsFiles& tls) const {
    auto o = client_options(*broker_, client_id, tls);
    o.version = GetParam();
    return o;
  }

  IoThread io_;
};

}  // namespace fb::test
