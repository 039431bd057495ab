#include "fleet_bench.hpp"

#include <signal.h>
#include <spdlog/fmt/fmt.h>

#include <array>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "bench_support.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"
#include "process.hpp"

namespace fb::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kConnectTimeout = 120s;  // a thousand TLS handshakes at once on two cores
constexpr auto kAckTimeout = 600s;

/// Acks received by the cars, counted once per report id, and publishes that failed (they will
/// get no ack). Written on the cars' client threads.
class AckCounter {
 public:
  explicit AckCounter(std::size_t expected) : expected_(expected) {}
  void on_message(const mqtt::Message& m) {
    auto env = codec::decode(m.payload);
    if (!env || !env->has_ack()) return;
    std::lock_guard lock(mu_);
    if (ids_.insert(env->ack().report_id()).second) notify_when_done();
  }
  void on_publish_failed() {
    std::lock_guard lock(mu_);
    ++failed_;
    notify_when_done();
  }
  /// Until every report has its ack or has failed.
  bool wait_all(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return ids_.size() + failed_ >= expected_; });
  }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return ids_.size();
  }
  std::size_t failed() {
    std::lock_guard lock(mu_);
    return failed_;
  }

 private:
  void notify_when_done() {
    if (ids_.size() + failed_ >= expected_) cv_.notify_all();
  }
  const std::size_t expected_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<std::string> ids_;
  std::size_t failed_ = 0;
};

Result<FleetPoint> measure_point(const FleetCurveOptions& o, std::size_t cars) {
  FleetPoint point;
  point.cars = cars;
  point.reports = std::max(o.reports, cars);

  const auto dir = o.work_dir / fmt::format("fleet-{}", cars);
  std::filesystem::create_directories(dir);
  const auto config = dir / "backend.json";
  std::ofstream(config) << R"({"version": 1, "rate_limit": {"per_second": 0}, "grouping": {"merge_window_hours": 0}})";
  test::Process backend("backend", {o.backend_bin, "--config", config.string(), "--broker", o.broker_uri, "--pki",
                                    o.pki_dir.string(), "--db", (dir / "cases.db").string(), "--rules", o.rules_dir,
                                    "--log-level", "info", "serve"});
  if (!backend.wait_for_line("backend ready", 30s)) {
    return fail(StorageErrc::io, "fb-backend did not become ready: " + backend.output());
  }

  // Reports first, so that building them is not timed.
  std::vector<std::vector<std::string>> payloads(cars);
  for (std::size_t i = 0; i < point.reports; ++i) {
    const auto car = i % cars;
    auto payload = o.report(o.vin(car), static_cast<int>(i));
    if (!payload) return fail(payload.error());
    payloads[car].push_back(std::move(*payload));
  }

  AckCounter acks(point.reports);  // before the clients: their handlers count into it
  std::vector<std::unique_ptr<WrapperClient>> clients;
  clients.reserve(cars);
  const auto connect_start = Clock::now();
  for (std::size_t car = 0; car < cars; ++car) {
    const auto vin = o.vin(car);
    mqtt::ClientOptions options;
    options.server_uri = o.broker_uri;
    options.client_id = vin;
    options.tls = mqtt::tls_files_in(o.pki_dir / "vehicles" / vin);
    options.clean_session = true;
    options.max_queued = payloads[car].size() + 1;
    options.connect_timeout = std::chrono::duration_cast<std::chrono::seconds>(kConnectTimeout);
    auto c = WrapperClient::start(options, {topics::inbox(vin)},
                                  [&acks](const mqtt::Message& m) { acks.on_message(m); });
    if (!c) return fail(c.error());
    clients.push_back(std::move(*c));
  }
  for (auto& c : clients) {
    if (auto r = c->wait_connected(kConnectTimeout); !r) return fail(r.error());
  }
  point.connect_s = std::chrono::duration<double>(Clock::now() - connect_start).count();

  const auto cpu_at = [&] {
    return std::array{process_cpu_seconds(backend.pid()), o.broker_cpu ? o.broker_cpu() : 0.0, own_cpu_seconds()};
  };
  const auto cpu_before = cpu_at();
  const auto t0 = Clock::now();
  for (std::size_t car = 0; car < cars; ++car) {
    const auto topic = topics::reports(o.vin(car));
    for (auto& payload : payloads[car]) {
      clients[car]->publish(topic, std::move(payload), [&acks](const Error& e) {
        if (e.code) acks.on_publish_failed();
      });
    }
  }
  const bool all = acks.wait_all(kAckTimeout);
  point.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto cpu_after = cpu_at();
  point.backend_cpu_s = cpu_after[0] - cpu_before[0];
  point.broker_cpu_s = cpu_after[1] - cpu_before[1];
  point.cars_cpu_s = cpu_after[2] - cpu_before[2];
  point.backend_rss_mb = rss_mb(backend.pid());
  point.backend_peak_mb = peak_rss_mb(backend.pid());
  clients.clear();  // before `acks` goes: their handlers run on the clients' threads
  point.failed = acks.failed();
  backend.signal_until_exit(SIGTERM, 500ms, 20);
  if (!all) {
    return fail(MqttErrc::not_connected, fmt::format("{} cars: {} of {} acks within {} s", cars, acks.count(),
                                                     point.reports, kAckTimeout.count()));
  }
  return point;
}

}  // namespace

Result<std::vector<FleetPoint>> measure_fleet_curve(const FleetCurveOptions& o) {
  std::vector<FleetPoint> points;
  for (auto cars : o.cars) {
    auto p = measure_point(o, cars);
    if (!p) return fail(p.error());
    points.push_back(*p);
  }
  return points;
}

Result<void> write_fleet_csv(const std::filesystem::path& dir, const std::vector<FleetPoint>& points) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream out(dir / "fleet.csv");
  out << "cars,reports,connect_s,reports_per_s,backend_rss_mb,backend_peak_mb,backend_cpu_s,broker_cpu_s,cars_cpu_s,"
         "seconds\n";
  for (const auto& p : points) {
    out << fmt::format("{},{},{:.3f},{:.1f},{:.1f},{:.1f},{:.3f},{:.3f},{:.3f},{:.3f}\n", p.cars, p.reports,
                       p.connect_s, p.rate(), p.backend_rss_mb, p.backend_peak_mb, p.backend_cpu_s, p.broker_cpu_s,
                       p.cars_cpu_s, p.seconds);
  }
  out.flush();
  if (!out) return fail(StorageErrc::io, (dir / "fleet.csv").string() + ": cannot write");
  return {};
}

}  // namespace fb::bench
