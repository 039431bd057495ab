// `fb-car stream`: a steady producer for the fault-injection test and the benchmarks. It queues
// `count` reports whose report ids follow from (seed, index), so that a process restarted on the
// same store finds the ones it queued before (they are in its store), queues only the rest with
// the same ids, and exits once the backend has acknowledged every one of them.
//
// Its stdout is what a test reads, one line per event, each flushed as it is written:
//   stream <in store> <acknowledged> <count>   first: what the store held of the stream
//   connected | offline                        the link came up / went down
//   saved <index>                              the report is committed (durable)
//   acked <index>                              the backend's ack is applied (once per process)
//   rejected <index> <reason>                  the backend refused it (exit 1)
//   done <count>                               every report acknowledged (exit 0)
// Exit 4 when the store holds a later report without an earlier one: a report was lost.
//
// Threads: the calling thread runs the io_context; the agent, the stream and (with a snapshot
// config) the simulated drive and its recorder live on one strand.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fb/agent/agent.hpp"
#include "fb/agent/snapshot.hpp"

namespace fb::car {

struct StreamOptions {
  std::size_t count = 1000;
  double rate = 0;  // reports per second; 0: as fast as the store commits them
  std::uint32_t seed = 1;
  /// Set: a simulated drive feeds a snapshot recorder made with this config, and every report
  /// carries a diagnostic snapshot (diagnostics consent given), held until its post-tap window
  /// has passed.
  std::optional<agent::SnapshotRecorder::Config> snapshot;
  /// Driving time before the first report (with `snapshot`: fills the ring's pre-tap history).
  std::chrono::milliseconds drive_before{0};
};

/// The report id of a stream's `index`-th report: a UUID that carries the seed and the index.
std::string stream_report_id(std::uint32_t seed, std::size_t index);
/// The index of a report id made by stream_report_id() with `seed`; nullopt for any other id.
std::optional<std::size_t> stream_index(std::uint32_t seed, std::string_view report_id);

/// Runs the stream on `config`'s store and broker until every report is acknowledged, or
/// SIGINT/SIGTERM. Returns the process exit code (see above).
int run_stream(agent::AgentConfig config, const StreamOptions& options);

}  // namespace fb::car
