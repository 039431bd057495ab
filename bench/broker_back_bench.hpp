// fb-bench's phase 3: how soon a report queued while the broker was down leaves the car once the
// broker is back, with the "network up" signal (Agent::network_up()) and, for comparison, with
// the reconnect backoff alone. See bench/README.md.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "bench_support.hpp"
#include "broker.hpp"

namespace fb::bench {

struct BrokerBack {
  /// From the restarted broker's "running" line to the PUBACK of the report queued meanwhile
  /// (the agent's report_sent), Agent::network_up() called right after the restart.
  Samples with_signal;
  /// The same without the signal: the agent waits out its jittered backoff.
  Samples backoff_only;
};

/// Starts a broker of its own in `dir` (with `pki`, which has a certificate for `vin`) and an
/// agent on real Paho and SQLite with the production reconnect options; per round, crashes the
/// broker (SIGKILL), queues a report, waits `outage`, restarts the broker. Errors: a broker or
/// agent that does not come up, a report not sent within 2 minutes.
Result<BrokerBack> measure_first_send_after_broker_back(const test::Pki& pki, const std::filesystem::path& dir,
                                                        const std::string& vin, int rounds,
                                                        std::chrono::milliseconds outage);

/// Rounds and outage of the phase: 5 rounds of 3 s per mode, 2 of 2 s with --quick.
inline int broker_back_rounds(bool quick) { return quick ? 2 : 5; }
inline std::chrono::milliseconds broker_back_outage(bool quick) {
  return quick ? std::chrono::seconds(2) : std::chrono::seconds(3);
}

/// Prints the phase's rows (p50 and max of each mode).
void print_broker_back(const BrokerBack& result, int rounds, std::chrono::milliseconds outage);

/// The target of the issue: the first queued report out within 1 s of the broker's return.
inline constexpr double kBrokerBackTargetS = 1.0;

}  // namespace fb::bench
