// Diagnostic snapshots: a ring of the last seconds of each allowed vehicle signal, and a recorder
// that, tapped at time T, produces the signals over [T - pre, T + post] once T + post has passed.
//
// Window rule: both ends are inclusive. A snapshot tapped at T holds every sample with
// T - pre <= t_ms <= T + post (defaults: pre 60 s, post 30 s), with t_ms made relative to T.
//
// Threads: SignalRing and SnapshotRecorder are not thread-safe; they belong to one executor (a
// strand), where the recorder's completions run too, never inline inside tap().
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fb/agent/signals.hpp"
#include "fb/async/timer.hpp"
#include "fb/common/clock.hpp"
#include "fb/common/error.hpp"
#include "feedback.pb.h"

namespace fb::agent {

/// The last `history` of each allowed signal, at the rate it arrives. Memory is bounded by the
/// allow-list times max_samples_per_signal.
class SignalRing {
 public:
  struct Config {
    std::chrono::milliseconds history{60000};
    std::set<std::string> allowed;              // VSS paths kept; samples of others are dropped and counted
    std::size_t max_samples_per_signal = 6000;  // 100 Hz for 60 s; above it the oldest go
  };
  struct Stats {
    std::uint64_t not_allowed = 0;  // samples dropped because their signal is not allowed
    std::uint64_t overflowed = 0;   // samples evicted by max_samples_per_signal before their time
    std::uint64_t not_finite = 0;   // samples dropped because their value is NaN or infinite
  };
  struct Point {
    std::int64_t t_ms;
    double value;
  };

  explicit SignalRing(Config config) : config_(std::move(config)) {}

  /// Keeps the sample if its signal is allowed and its value finite, then forgets that signal's samples older than
  /// (newest t_ms seen on any signal) - history. A sample exactly `history` old is kept.
  void add(const SignalSample& sample);
  /// Forgets every signal's samples with t_ms < now_ms - history.
  void evict_older_than(std::int64_t now_ms);
  /// Samples of `path` with from_ms <= t_ms <= to_ms, in arrival order.
  std::vector<Point> range(const std::string& path, std::int64_t from_ms, std::int64_t to_ms) const;

  const Config& config() const { return config_; }
  const Stats& stats() const { return stats_; }
  /// Samples held, all signals.
  std::size_t size() const;
  /// The paths that have samples, sorted.
  std::vector<std::string> paths() const;

 private:
  Config config_;
  Stats stats_;
  std::int64_t newest_ms_ = INT64_MIN;
  std::map<std::string, std::deque<Point>> series_;
};

/// What a tap produces. `signals` is the wire's DiagnosticSnapshot, with window and sample times
/// relative to the tap (read its series with series::decode); the lead's report builder puts the rest beside it in the
/// Report (dtcs, ecu_software).
struct Snapshot {
  std::int64_t tap_ms = 0;  // steady_ms() of the tap
  wire::DiagnosticSnapshot signals;
  std::vector<std::string> dtcs;                    // active at the tap or at completion, sorted
  std::map<std::string, std::string> ecu_software;  // ECU name -> software version
};

/// Records snapshots from a SignalRing it owns: feed it samples (add), tap it, and each tap's
/// completion runs once the post-tap window (plus `settle`, for samples still on their way) has
/// passed on the clock. Taps may overlap; each waits on its own, blocking nothing.
class SnapshotRecorder {
 public:
  struct Config {
    SignalRing::Config ring;
    std::chrono::milliseconds pre{60000};
    std::chrono::milliseconds post{30000};
    std::chrono::milliseconds settle{100};
    std::map<std::string, std::string> ecu_software;
    /// The series' wire form: compact (fb/common/series_codec.hpp, each signal at its
    /// series::resolution_for) or, false, the legacy t_ms/values form.
    bool compact = true;
    /// Asked at the tap and at completion; empty: no DTCs.
    std::function<std::vector<std::string>()> active_dtcs;
  };
  using Completion = std::function<void(Snapshot)>;
  /// Margin of the ring's history beyond a full window, for samples stamped a little ahead of
  /// the recorder's clock.
  static constexpr std::chrono::milliseconds kRingSlack{1000};

  /// The ring is grown to hold pre + post + settle + kRingSlack when its configured history is
  /// shorter (its per-signal bound grows in proportion): each tap reads its whole window from the
  /// ring at completion, so N overlapping taps cost N bookkeeping entries, not N copies of the
  /// pre-tap window. Errors: ConfigErrc::invalid_value when a window or settle time is negative,
  /// or the ring's history or per-signal bound is not positive.
  static Result<std::unique_ptr<SnapshotRecorder>> create(boost::asio::any_io_executor executor, const Clock& clock,
                                                          Config config);

  /// A sample from a SignalSource (on the recorder's executor).
  void add(const SignalSample& sample) { ring_.add(sample); }
  /// Starts a snapshot around `tap_ms` (usually steady_ms(clock), the moment of the driver's tap);
  /// `done` runs on the executor at tap_ms + post + settle. Returns the tap's id.
  std::uint64_t tap(std::int64_t tap_ms, Completion done);
  /// Drops a pending tap; its completion does not run. False if it is unknown or done.
  bool cancel(std::uint64_t id);
  std::size_t pending() const { return pending_.size(); }
  const Config& config() const { return config_; }
  const SignalRing& ring() const { return ring_; }

 private:
  struct Pending {
    std::uint64_t id;
    std::int64_t tap_ms;
    std::set<std::string> dtcs;
    Completion done;
    std::unique_ptr<Timer> timer;
  };
  SnapshotRecorder(boost::asio::any_io_executor executor, const Clock& clock, Config config);
  void complete(std::uint64_t id);

  boost::asio::any_io_executor executor_;
  const Clock& clock_;
  Config config_;
  SignalRing ring_;
  std::uint64_t next_id_ = 1;
  std::list<Pending> pending_;
};

/// The wire encoding's size in bytes (what the snapshot adds to a Report).
std::size_t encoded_size(const wire::DiagnosticSnapshot& snapshot);

}  // namespace fb::agent
