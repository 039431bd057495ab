// Time as an interface, so tests drive it. Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace fb {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time, for timestamps that leave the process.
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
  /// Monotonic time, for timeouts and backoff.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;

  /// wall_now() as Unix epoch milliseconds.
  std::int64_t epoch_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(wall_now().time_since_epoch()).count();
  }
};

/// The real clocks.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point wall_now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }
  /// A process-wide instance.
  static SystemClock& instance();
};

}  // namespace fb
