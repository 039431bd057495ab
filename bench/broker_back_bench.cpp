#include "broker_back_bench.hpp"

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <spdlog/fmt/fmt.h>

#include "fb/agent/agent.hpp"
#include "fb/async/io_thread.hpp"
#include "fb/mqtt/reconnect_loop.hpp"

namespace fb::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
constexpr auto kSendTimeout = 120s;  // well above the backoff's 30 s cap

// The agent's events, for the measuring thread. Listener calls come on the agent's thread.
class LinkRecorder final : public agent::AgentListener {
 public:
  void report_sent(const std::string& id) override {
    std::lock_guard lock(mu_);
    sent_.try_emplace(id, Clock::now());
    cv_.notify_all();
  }
  void connection_changed(bool up) override {
    std::lock_guard lock(mu_);
    connected_ = up;
    cv_.notify_all();
  }
  bool wait_connected(bool up) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return connected_ == up; });
  }
  std::optional<TimePoint> wait_sent(const std::string& id) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kSendTimeout, [&] { return sent_.contains(id); })) return std::nullopt;
    return sent_.at(id);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, TimePoint> sent_;
  bool connected_ = false;
};

Result<void> measure(test::Broker& broker, const test::Pki& pki, const std::filesystem::path& db,
                     const std::string& vin, int rounds, std::chrono::milliseconds outage, bool signal, Samples& out) {
  LinkRecorder recorder;  // outlives the agent that calls it
  IoThread io;
  auto config = agent::make_agent_config({vin, "Aurora EV", 2026, "HU-3.2.1"}, broker.uri(), pki.dir(), db);
  auto& clock = SystemClock::instance();
  auto opened = agent::Agent::open(io.strand(), clock, config, mqtt::make_paho_client(io.strand(), clock, config.mqtt));
  if (!opened) return fail(opened.error());
  auto& car = **opened;
  car.add_listener(&recorder);
  if (auto r = io.call([&] { return car.start(); }); !r) return fail(r.error());
  Result<void> result;
  for (int i = 0; i < rounds && result; ++i) {
    if (!recorder.wait_connected(true)) {
      result = fail(MqttErrc::connect_failed, "the car did not connect");
      break;
    }
    // Each round is one outage of a broker that had been up: the link holds first. Killed at
    // once, round after round, it is a broker that drops every link right after it comes up,
    // and the car backs off further each time (mqtt::ReconnectLoop).
    std::this_thread::sleep_for(mqtt::ReconnectLoop::kStableLink);
    broker.stop(false);  // a crash
    if (!recorder.wait_connected(false)) {
      result = fail(MqttErrc::connect_failed, "the car did not notice the broker's crash");
      break;
    }
    agent::Draft d;
    d.category = wire::CATEGORY_NOISE;
    d.text = "queued while the broker was down, round " + std::to_string(i);
    d.language = "en";
    std::promise<Result<std::string>> saved;
    car.submit(d, [&saved](Result<std::string> id) { saved.set_value(std::move(id)); });
    auto id = saved.get_future().get();
    if (!id) {
      result = fail(id.error());
      break;
    }
    std::this_thread::sleep_for(outage);  // the car's backoff grows meanwhile
    broker.start();                       // returns once mosquitto logs "running"
    const auto back = Clock::now();
    if (signal) car.network_up();
    const auto sent = recorder.wait_sent(*id);
    if (!sent) {
      result = fail(MqttErrc::publish_failed, "the queued report was not sent within 2 minutes");
      break;
    }
    out.add(*sent - back);
  }
  io.call([&] { car.stop(); });
  io.join();  // the agent's last completions run before it is destroyed
  return result;
}

}  // namespace

Result<BrokerBack> measure_first_send_after_broker_back(const test::Pki& pki, const std::filesystem::path& dir,
                                                        const std::string& vin, int rounds,
                                                        std::chrono::milliseconds outage) {
  test::Broker broker((dir / "broker").string(), pki);
  BrokerBack result;
  if (auto r = measure(broker, pki, dir / "with-signal.db", vin, rounds, outage, true, result.with_signal); !r) {
    return fail(r.error());
  }
  if (auto r = measure(broker, pki, dir / "backoff-only.db", vin, rounds, outage, false, result.backoff_only); !r) {
    return fail(r.error());
  }
  return result;
}

void print_broker_back(const BrokerBack& r, int rounds, std::chrono::milliseconds outage) {
  fmt::print(
      "  {} rounds per mode: broker killed, a report queued, broker restarted after {:.1f} s; timed from the "
      "restarted broker's \"running\" to the report's PUBACK\n",
      rounds, std::chrono::duration<double>(outage).count());
  for (const auto& [name, s] : {std::pair{"with Agent::network_up()", &r.with_signal},
                                std::pair{"backoff only (no signal)", &r.backoff_only}}) {
    fmt::print("    {:<26} p50 {:7.3f} s   max {:7.3f} s\n", name, s->percentile_ms(0.5) / 1000, s->max_ms() / 1000);
  }
}

}  // namespace fb::bench
