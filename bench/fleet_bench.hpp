// The fleet curve (issue 12): ingest rate and the backend's memory as the number of connected cars
// grows (1, 10, 100, 1,000 simulated cars, each its own TLS connection with its own certificate).
// For each size a fresh fb-backend process (SQLite, the shipped rules, no per-VIN rate limit, no
// merging) serves the broker; the cars connect, subscribe to their inboxes, and then publish a
// fixed total of reports between them as fast as the broker takes them. Timed from the first
// publish to the last report's ack at its car: the rate a fleet sees. The backend's RSS is read
// from /proc at the end (VmRSS) and as its peak (VmHWM). Baseline of each point: the same measure
// with one car.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "fb/common/error.hpp"

namespace fb::bench {

struct FleetPoint {
  std::size_t cars = 0;
  std::size_t reports = 0;
  double connect_s = 0;        // every car connected and subscribed, all starting at once
  double seconds = 0;          // first publish -> last ack received
  double backend_rss_mb = 0;   // VmRSS of fb-backend once every ack is in
  double backend_peak_mb = 0;  // VmHWM of fb-backend then
  std::size_t failed = 0;      // publishes the client refused or the broker did not PUBACK
  /// CPU seconds (user + system) spent in the timed window by fb-backend, the broker and the
  /// cars (this process: their Paho clients), to say which of them a slower point waits for.
  double backend_cpu_s = 0, broker_cpu_s = 0, cars_cpu_s = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(reports) / seconds : 0; }
};

struct FleetCurveOptions {
  std::vector<std::size_t> cars{1, 10, 100, 1000};
  std::size_t reports = 2000;  // per point, shared between its cars
  std::string broker_uri;      // ssl://127.0.0.1:<port>
  std::filesystem::path pki_dir;
  std::filesystem::path work_dir;
  std::string backend_bin;
  std::string rules_dir;
  std::function<double()> broker_cpu;  // the broker's CPU seconds so far (user + system)
  /// The VIN of car `i` (certificates must exist under pki_dir/vehicles) and an encoded report of
  /// it with a fresh report id.
  std::function<std::string(std::size_t)> vin;
  std::function<Result<std::string>(const std::string& vin, int i)> report;
};

/// Runs the curve; call from one thread. Errors: the backend not starting, a car not connecting,
/// acks missing after 10 minutes.
Result<std::vector<FleetPoint>> measure_fleet_curve(const FleetCurveOptions& o);

/// Writes `dir`/fleet.csv (bench/plot.sh draws it). Errors: StorageErrc::io.
Result<void> write_fleet_csv(const std::filesystem::path& dir, const std::vector<FleetPoint>& points);

}  // namespace fb::bench
