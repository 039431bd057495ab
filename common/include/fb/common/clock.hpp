// Time as an interface, so tests drive it: reading the time, and alarms that timers wait on.
// Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace fb {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  /// Wall-clock time, for timestamps that leave the process.
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
  /// Monotonic time, for timeouts and backoff.
  virtual SteadyTime steady_now() const = 0;

  /// A pending alarm; destroying it cancels it: once the destructor has returned, its wake-up
  /// is neither running nor will it run.
  class Alarm {
   public:
    virtual ~Alarm() = default;
  };
  /// Calls `wake` once, when steady_now() has reached `deadline`, on a thread of the clock's
  /// choosing (SystemClock: its "clock-alarms" thread; a fake clock: the thread that advances
  /// it). `wake` must only hand over (post to an executor) and return; it must not touch the
  /// clock. Used through fb::Timer (fb/async/timer.hpp), not directly.
  virtual std::unique_ptr<Alarm> set_alarm(SteadyTime deadline, std::function<void()> wake) const = 0;

  /// wall_now() as Unix epoch milliseconds.
  std::int64_t epoch_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(wall_now().time_since_epoch()).count();
  }
};

/// The real clocks. Alarms are kept by one thread, "clock-alarms", started on the first
/// set_alarm() and stopped with the clock; it only calls the wake-ups, which post.
class SystemClock final : public Clock {
 public:
  SystemClock();
  ~SystemClock() override;
  SystemClock(const SystemClock&) = delete;
  SystemClock& operator=(const SystemClock&) = delete;

  std::chrono::system_clock::time_point wall_now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Alarm> set_alarm(SteadyTime deadline, std::function<void()> wake) const override;

  /// A process-wide instance.
  static SystemClock& instance();

 private:
  struct Alarms;
  std::shared_ptr<Alarms> alarms_;
};

/// The UTC calendar year of Unix epoch milliseconds (case numbers, default model years).
int utc_year(std::int64_t epoch_ms);

}  // namespace fb
