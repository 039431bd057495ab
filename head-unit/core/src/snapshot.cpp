#include "fb/agent/snapshot.hpp"

#include <algorithm>
#include <cmath>

#include "fb/common/series_codec.hpp"

namespace fb::agent {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// ---- SignalRing ----

void SignalRing::add(const SignalSample& sample) {
  if (!config_.allowed.contains(sample.path)) {
    ++stats_.not_allowed;
    return;
  }
  if (!std::isfinite(sample.value)) {
    ++stats_.not_finite;
    return;
  }
  newest_ms_ = std::max(newest_ms_, sample.t_ms);
  auto& series = series_[sample.path];
  series.push_back({sample.t_ms, sample.value});
  while (series.size() > config_.max_samples_per_signal) {
    series.pop_front();
    ++stats_.overflowed;
  }
  const auto oldest_kept = newest_ms_ - config_.history.count();
  while (!series.empty() && series.front().t_ms < oldest_kept) series.pop_front();
}

void SignalRing::evict_older_than(std::int64_t now_ms) {
  const auto oldest_kept = now_ms - config_.history.count();
  for (auto& [path, series] : series_) {
    while (!series.empty() && series.front().t_ms < oldest_kept) series.pop_front();
  }
}

std::vector<SignalRing::Point> SignalRing::range(const std::string& path, std::int64_t from_ms,
                                                 std::int64_t to_ms) const {
  std::vector<Point> out;
  const auto it = series_.find(path);
  if (it == series_.end()) return out;
  for (const auto& p : it->second) {
    if (p.t_ms >= from_ms && p.t_ms <= to_ms) out.push_back(p);
  }
  return out;
}

std::size_t SignalRing::size() const {
  std::size_t n = 0;
  for (const auto& [path, series] : series_) n += series.size();
  return n;
}

std::vector<std::string> SignalRing::paths() const {
  std::vector<std::string> out;
  for (const auto& [path, series] : series_) {
    if (!series.empty()) out.push_back(path);
  }
  return out;
}

// ---- SnapshotRecorder ----

Result<std::unique_ptr<SnapshotRecorder>> SnapshotRecorder::create(asio::any_io_executor executor, const Clock& clock,
                                                                   Config config) {
  if (config.pre < milliseconds::zero() || config.post < milliseconds::zero() || config.settle < milliseconds::zero()) {
    return fail(ConfigErrc::invalid_value, "snapshot: pre, post and settle must not be negative");
  }
  if (config.ring.history <= milliseconds::zero() || config.ring.max_samples_per_signal == 0) {
    return fail(ConfigErrc::invalid_value, "snapshot: the ring's history and samples per signal must be positive");
  }
  // Every pending tap reads its whole window from the one ring at completion, so the ring must
  // still hold tap - pre at tap + post + settle; the extra second covers samples stamped a little
  // ahead of the recorder's clock. The per-signal bound grows in proportion, keeping its rate.
  const auto needed = config.pre + config.post + config.settle + kRingSlack;
  if (needed > config.ring.history) {
    const auto scaled = (config.ring.max_samples_per_signal * static_cast<std::size_t>(needed.count()) +
                         static_cast<std::size_t>(config.ring.history.count()) - 1) /
                        static_cast<std::size_t>(config.ring.history.count());
    config.ring.max_samples_per_signal = scaled;
    config.ring.history = needed;
  }
  return std::unique_ptr<SnapshotRecorder>(new SnapshotRecorder(std::move(executor), clock, std::move(config)));
}

SnapshotRecorder::SnapshotRecorder(asio::any_io_executor executor, const Clock& clock, Config config)
    : executor_(std::move(executor)),
      clock_(clock),
      config_(std::move(config)),
      ring_(config_.ring) {}

std::uint64_t SnapshotRecorder::tap(std::int64_t tap_ms, Completion done) {
  // Nothing of the ring is copied now: the whole window is read at completion (the ring is
  // sized for it in create()), so overlapping taps cost no memory beyond their bookkeeping.
  Pending p{next_id_++, tap_ms, {}, std::move(done), std::make_unique<Timer>(executor_, clock_)};
  if (config_.active_dtcs) {
    for (auto& code : config_.active_dtcs()) p.dtcs.insert(std::move(code));
  }
  const auto id = p.id;
  const auto due = Clock::SteadyTime(milliseconds(tap_ms) + config_.post + config_.settle);
  pending_.push_back(std::move(p));
  pending_.back().timer->arm_at(due, [this, id] { complete(id); });
  return id;
}

bool SnapshotRecorder::cancel(std::uint64_t id) {
  const auto it = std::find_if(pending_.begin(), pending_.end(), [id](const Pending& p) { return p.id == id; });
  if (it == pending_.end()) return false;
  pending_.erase(it);  // destroying its timer means the completion never runs
  return true;
}

void SnapshotRecorder::complete(std::uint64_t id) {
  const auto it = std::find_if(pending_.begin(), pending_.end(), [id](const Pending& p) { return p.id == id; });
  if (it == pending_.end()) return;
  Pending p = std::move(*it);
  pending_.erase(it);

  Snapshot s;
  s.tap_ms = p.tap_ms;
  s.ecu_software = config_.ecu_software;
  s.signals.set_window_start_ms(-config_.pre.count());
  s.signals.set_window_end_ms(config_.post.count());
  for (const auto& path : ring_.paths()) {
    const auto window = ring_.range(path, p.tap_ms - config_.pre.count(), p.tap_ms + config_.post.count());
    if (window.empty()) continue;
    std::vector<series::Point> points;
    points.reserve(window.size());
    for (const auto& point : window) points.push_back({point.t_ms - p.tap_ms, point.value});
    auto* out = s.signals.add_signals();
    if (config_.compact) {
      // The ring holds finite values only, so this fails only for a value beyond 2^53 steps of
      // its resolution: that series goes in the legacy form rather than not at all.
      if (auto compact = series::encode(path, points, series::resolution_for(path))) {
        *out = std::move(*compact);
        continue;
      }
    }
    out->set_path(path);
    for (const auto& point : points) {
      out->add_t_ms(point.t_ms);
      out->add_values(point.value);
    }
  }
  if (config_.active_dtcs) {
    for (auto& code : config_.active_dtcs()) p.dtcs.insert(std::move(code));
  }
  s.dtcs.assign(p.dtcs.begin(), p.dtcs.end());
  p.done(std::move(s));
}

std::size_t encoded_size(const wire::DiagnosticSnapshot& snapshot) { return snapshot.ByteSizeLong(); }

}  // namespace fb::agent
