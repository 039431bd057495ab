// A one-shot timer on an executor whose time comes from a fb::Clock, so that a fake clock in
// tests drives every timer of ours (retries, ack timeouts, resends, reconnect backoff, SLAs).
//
// Threads: a Timer belongs to its executor (usually a strand): arm, cancel and destroy it only
// there. The handler runs there too, never inline inside arm_*().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "fb/asio.hpp"
#include "fb/common/clock.hpp"

namespace fb {

class Timer {
 public:
  using Handler = std::function<void()>;

  Timer(boost::asio::any_io_executor executor, const Clock& clock);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  /// While armed, the timer counts as outstanding work of its executor's context (as an Asio
  /// timer does): io_context::run() does not return while a timer waits.
  /// Runs `expired` on the executor once the clock's steady time reaches `deadline`. Re-arming
  /// or cancel() before that means this handler never runs. A deadline in the past expires at
  /// once (the handler is still posted, not called here). Re-arming with the deadline already
  /// armed, or a later one, is cheap: the alarm already set is kept and the timer re-checks its
  /// deadline when woken.
  void arm_at(Clock::SteadyTime deadline, Handler expired);
  void arm_after(std::chrono::steady_clock::duration delay, Handler expired);
  /// The armed handler will not run. Idempotent.
  void cancel();

  /// The armed deadline; nullopt when idle (never armed, expired, or cancelled).
  std::optional<Clock::SteadyTime> deadline() const { return deadline_; }
  const boost::asio::any_io_executor& get_executor() const { return executor_; }

 private:
  struct Shared;
  void set_alarm_for_deadline();
  void woken();

  boost::asio::any_io_executor executor_;
  const Clock& clock_;
  std::shared_ptr<Shared> shared_;  // outlives the timer while a wake-up is posted
  Handler handler_;
  std::unique_ptr<Clock::Alarm> alarm_;
  Clock::SteadyTime alarm_deadline_{};  // when the alarm in alarm_ rings
  boost::asio::any_io_executor work_;   // the executor with outstanding work tracked, while armed
  std::optional<Clock::SteadyTime> deadline_;
};

}  // namespace fb
