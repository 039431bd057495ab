// A latency histogram with fixed bucket bounds, for Prometheus-style metrics. Lock-free:
// observe() from one or many threads, snapshot() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>

namespace fb {

class LatencyHistogram {
 public:
  /// Upper bounds in milliseconds (le); a last bucket counts everything above.
  static constexpr std::array<double, 12> kBoundsMs{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000};

  void observe(double ms) {
    std::size_t i = 0;
    while (i < kBoundsMs.size() && ms > kBoundsMs[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    // A double sum kept in micro-units: exact enough for a mean, lock-free.
    sum_us_.fetch_add(static_cast<std::uint64_t>(ms * 1000.0), std::memory_order_relaxed);
  }

  struct Snapshot {
    std::array<std::uint64_t, kBoundsMs.size() + 1> buckets{};  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum_ms = 0;
  };
  Snapshot snapshot() const {
    Snapshot s;
    for (std::size_t i = 0; i < buckets_.size(); ++i) s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    s.count = count_.load(std::memory_order_relaxed);
    s.sum_ms = static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1000.0;
    return s;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsMs.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_us_{0};
};

}  // namespace fb
