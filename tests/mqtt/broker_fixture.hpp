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
#include "fb/common/clock.hpp"
#include "fb/mqtt/client.hpp"
#include "process.hpp"

namespace fb::test {

using namespace std::chrono_literals;
inline constexpr auto kBrokerWait = 30s;
inline constexpr const char* kVin = "WVWZZZ1JZ3W386752";

/// An io_context on its own thread; run() executes a function there and returns its result.
class IoThread {
 public:
  IoThread() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    thread_.join();
  }
  template <typename F>
  auto run(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

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
    io_.run([&] {
      client_ = mqtt::make_paho_client(io_.executor(), SystemClock::instance(), std::move(options));
      client_->on_connection([&events](bool up, Error why) {
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
    io_.run([&] {
      client_.reset();
      return 0;
    });
  }
  /// Runs `f(client)` on the client's executor and returns its result.
  template <typename F>
  auto on_io(F f) {
    return io_.run([&] { return f(*client_); });
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
  Error publish(const std::string& topic, const std::string& payload, mqtt::QoS qos = mqtt::QoS::at_least_once) {
    std::promise<Error> done;
    on_io([&](mqtt::Client& c) {
      c.publish(topic, payload, qos, [&done](Error e) { done.set_value(std::move(e)); });
      return 0;
    });
    return done.get_future().get();
  }

 private:
  IoThread& io_;
  std::unique_ptr<mqtt::Client> client_;
};

/// One PKI for the suite, one broker per test; GetParam() is the protocol version.
class BrokerTest : public ::testing::TestWithParam<mqtt::ProtocolVersion> {
 protected:
  static void SetUpTestSuite() {
    pki_dir_ = new TempDir("fbmqttpki");
    pki_ = new Pki(pki_dir_->path() + "/pki", {kVin});
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete pki_dir_;
  }
  void SetUp() override {
    // The broker drops privileges to "mosquitto" when run as root: it must reach its run dir.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
    broker_ = std::make_unique<Broker>(dir_ / "broker", *pki_);
  }
  mqtt::ClientOptions options(const std::string& client_id, const mqtt::TlsFiles& tls) const {
    auto o = client_options(*broker_, client_id, tls);
    o.version = GetParam();
    return o;
  }

  static TempDir* pki_dir_;
  static Pki* pki_;
  TempDir dir_{"fbmqttit"};
  std::unique_ptr<Broker> broker_;
  IoThread io_;
};
inline TempDir* BrokerTest::pki_dir_ = nullptr;
inline Pki* BrokerTest::pki_ = nullptr;

}  // namespace fb::test
