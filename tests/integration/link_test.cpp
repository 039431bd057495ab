// The car's link to a real broker when the broker or the car goes away: a report queued while
// the broker is down goes out as soon as the broker is back and the network is said to be up;
// the car's retained status says "offline" once its process dies or stops and "online" once it
// is back.
#include <gtest/gtest.h>
#include <signal.h>

#include <ranges>

#include "fb/mqtt/paho_transport.hpp"
#include "harness.hpp"

namespace fb::test {
namespace {

using Steady = std::chrono::steady_clock;

// Records what the agent says, for the test thread to wait on.
class Recorder final : public agent::AgentListener {
 public:
  void report_sent(const std::string& id) override {
    std::lock_guard lock(mu_);
    sent_[id] = Steady::now();
    cv_.notify_all();
  }
  void connection_changed(bool up) override {
    std::lock_guard lock(mu_);
    connected_ = up;
    if (!up) ++downs_;
    cv_.notify_all();
  }
  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(); });
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Steady::time_point> sent_;
  bool connected_ = false;
  int downs_ = 0;  // lost links and failed attempts
};

// Retained status messages on vehicles/+/status, read with the backend's identity.
class StatusWatcher {
 public:
  StatusWatcher(const Broker& broker, const Pki& pki)
      : client_(mqtt::make_paho_client(io_.strand(), SystemClock::instance(),
                                       client_options(broker, "fb-backend", pki.backend()))) {
    client_->on_message([this](mqtt::Message m) {
      std::lock_guard lock(mu_);
      seen_.push_back(std::move(m));
      cv_.notify_all();
    });
    client_->subscribe(std::string(topics::all_status), mqtt::QoS::at_least_once);
    EXPECT_TRUE(io_.call([&] { return client_->start(); }));
  }
  ~StatusWatcher() {
    io_.call([&] { client_->stop(); });
    io_.join();
  }
  /// Waits until the last status seen for `vin` is `status`.
  bool wait_for(const std::string& vin, std::string_view status) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] {
      for (const auto& m : std::views::reverse(seen_)) {
        if (m.topic == topics::status(vin)) return m.payload == status;
      }
      return false;
    });
  }
  std::string seen() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& m : seen_) out += m.topic + " " + m.payload + "\n";
    return out;
  }

 private:
  IoThread io_;
  std::unique_ptr<mqtt::Client> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<mqtt::Message> seen_;
};

class CarLink : public IntegrationTest {};

// The car's reconnect backoff is a minute and never shorter (its jitter pinned to the ceiling):
// without network_up() the report could not leave within the test's bound.
TEST_F(CarLink, AReportQueuedWhileTheBrokerIsDownLeavesRightAfterItIsBackAndTheNetworkIsUp) {
  Recorder rec;
  IoThread io;
  auto config = agent::make_agent_config({kVinA, "Aurora EV", 2026, "HU-3.2.1"}, broker_->uri(), pki_->dir(),
                                         dir_ / "car.db");
  config.mqtt.reconnect_min = 60s;
  config.mqtt.reconnect_max = 60s;
  auto& clock = SystemClock::instance();
  auto client = mqtt::make_client(io.strand(), clock, config.mqtt, mqtt::TransportFactory(&mqtt::make_paho_transport),
                                  [](std::chrono::milliseconds ceiling) { return ceiling; });
  auto opened = agent::Agent::open(io.strand(), clock, config, std::move(client));
  ASSERT_TRUE(opened) << opened.error().what();
  auto& agent = **opened;
  agent.add_listener(&rec);
  ASSERT_TRUE(io.call([&] { return agent.start(); }));
  ASSERT_TRUE(rec.wait([&] { return rec.connected_; }));

  broker_->stop(false);  // a crash: no goodbye to anyone
  ASSERT_TRUE(rec.wait([&] { return rec.downs_ >= 2; })) << "the link was lost and the retry failed";
  agent::Draft d;
  d.category = wire::CATEGORY_NOISE;
  d.text = "rattle from the dashboard while the broker is down";
  d.language = "en";
  std::promise<Result<std::string>> saved;
  agent.submit(d, [&](Result<std::string> r) { saved.set_value(std::move(r)); });
  const auto id = saved.get_future().get();
  ASSERT_TRUE(id) << id.error().what();

  broker_->start();
  const auto back = Steady::now();
  agent.network_up();
  ASSERT_TRUE(rec.wait([&] { return rec.sent_.contains(*id); }, 20s))
      << "not sent within 20 s of the broker's return (the backoff alone would wait 60 s)";
  Steady::time_point sent;
  {
    std::lock_guard lock(rec.mu_);
    sent = rec.sent_.at(*id);
  }
  const auto took = std::chrono::duration<double>(sent - back).count();
  RecordProperty("first_send_after_broker_back_s", std::to_string(took));
  std::cout << "first send after the broker was back: " << took << " s\n";
  EXPECT_GT(took, 0.0);

  io.call([&] { agent.stop(); });
  io.join();
}

TEST_F(CarLink, TheCarsRetainedStatusIsOfflineWhenItsProcessDiesAndOnlineWhenItIsBack) {
  // One car per protocol version: each starts with no retained status of its own.
  for (const auto& [version, vin] : {std::pair<std::string, std::string>{"3.1.1", kVinA}, {"5", kVinB}}) {
    SCOPED_TRACE("MQTT " + version);
    const auto db = dir_ / ("cli-car-" + vin + ".db");
    const std::vector<std::string> car{kCarBin, "--vin",     vin,    "--broker", broker_->uri(),
                                       "--pki", pki_->dir(), "--db", db,         "--mqtt-version",
                                       version, "--wait",    "120",  "listen"};
    // One watcher at a time: the broker makes the certificate's CN the client id, so two
    // fb-backend clients would take each other's session over.
    auto watcher = std::make_unique<StatusWatcher>(*broker_, *pki_);
    {
      Process p("fb-car", car);
      ASSERT_TRUE(p.wait_for_line("connected to broker", kWait)) << p.output();
      ASSERT_TRUE(watcher->wait_for(vin, "online")) << watcher->seen();
      p.kill_and_wait(SIGKILL);  // no DISCONNECT: the broker publishes the will
      ASSERT_TRUE(watcher->wait_for(vin, "offline")) << watcher->seen();
    }
    watcher.reset();
    watcher = std::make_unique<StatusWatcher>(*broker_, *pki_);  // subscribes after the fact: retained
    ASSERT_TRUE(watcher->wait_for(vin, "offline")) << watcher->seen();
    Process p("fb-car", car);
    ASSERT_TRUE(p.wait_for_line("connected to broker", kWait)) << p.output();
    ASSERT_TRUE(watcher->wait_for(vin, "online")) << watcher->seen();
    // A clean stop sends DISCONNECT (no will), after the car has said "offline" itself.
    p.kill_and_wait(SIGTERM);
    ASSERT_TRUE(watcher->wait_for(vin, "offline")) << watcher->seen();
  }
}

// The broker drops the will on a DISCONNECT: on a clean stop the car publishes "offline" itself
// and has its PUBACK before it disconnects, so that a subscriber arriving afterwards gets
// "offline" retained, not the "online" of the car's last connect.
TEST_F(CarLink, AfterACleanStopTheCarsRetainedStatusIsOffline) {
  for (const auto& [version, vin] : {std::pair{mqtt::ProtocolVersion::v3_1_1, std::string(kVinA)},
                                     {mqtt::ProtocolVersion::v5, std::string(kVinB)}}) {
    SCOPED_TRACE(vin);
    Recorder rec;
    IoThread io;
    auto config = agent::make_agent_config({vin, "Aurora EV", 2026, "HU-3.2.1"}, broker_->uri(), pki_->dir(),
                                           dir_ / ("clean-stop-" + vin + ".db"));
    config.mqtt.version = version;
    auto& clock = SystemClock::instance();
    auto opened = agent::Agent::open(io.strand(), clock, config,
                                     mqtt::make_paho_client(io.strand(), clock, config.mqtt));
    ASSERT_TRUE(opened) << opened.error().what();
    auto& agent = **opened;
    agent.add_listener(&rec);
    ASSERT_TRUE(io.call([&] { return agent.start(); }));
    ASSERT_TRUE(rec.wait([&] { return rec.connected_; }));
    {
      // One watcher at a time (see below), and gone before the stop: what the next one gets
      // is what the broker kept, not what it forwarded live.
      StatusWatcher watcher(*broker_, *pki_);
      ASSERT_TRUE(watcher.wait_for(vin, "online")) << watcher.seen();
    }
    io.call([&] { agent.stop(); });
    io.join();
    StatusWatcher after(*broker_, *pki_);  // subscribes after the fact: the retained status
    EXPECT_TRUE(after.wait_for(vin, "offline")) << after.seen();
  }
}

// fb-car's documented way to say the network is up: SIGUSR1.
TEST_F(CarLink, TheCommandLineCarReconnectsOnSigusr1AndSendsWhatItQueuedOffline) {
  broker_->stop();
  const std::vector<std::string> car{kCarBin,      "--vin",        kVinA,
                                     "--broker",   broker_->uri(), "--pki",
                                     pki_->dir(),  "--db",         dir_ / "cli-car.db",
                                     "--wait",     "120",          "send",
                                     "--category", "noise",        "--lang",
                                     "en",         "--text",       "squeak from the left door"};
  Process p("fb-car", car);
  ASSERT_TRUE(p.wait_for_line("saved report", kWait)) << p.output();
  ASSERT_TRUE(p.wait_for_line("offline: reports stay queued", kWait)) << p.output();
  broker_->start();
  ::kill(p.pid(), SIGUSR1);
  ASSERT_TRUE(p.wait_for_line("network up: reconnecting now", kWait)) << p.output();
  ASSERT_TRUE(p.wait_for_line("taken by the broker", kWait)) << p.output();
  p.kill_and_wait(SIGTERM);
}

}  // namespace
}  // namespace fb::test
