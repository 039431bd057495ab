// A clock the test moves by hand. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>

#include "fb/common/clock.hpp"

namespace fb::test {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t epoch_ms = 1'780'000'000'000)  // 2026-05-28
      : wall_ms_(epoch_ms), steady_ns_(0) {}
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(wall_ms_.load()));
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(steady_ns_.load()));
  }
  void advance(std::chrono::milliseconds d) {
    wall_ms_ += d.count();
    steady_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }

 private:
  std::atomic<std::int64_t> wall_ms_;
  std::atomic<std::int64_t> steady_ns_;
};

}  // namespace fb::test
