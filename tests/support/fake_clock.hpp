// A clock the test moves by hand, with alarms that fire when it is advanced. Thread-safe.
//
// Timers (fb::Timer) post their handlers to their executor when the clock reaches them; a test
// that runs its io_context on its own thread drives everything with run_for() below: no sleeps,
// no waits for wall-clock time.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "fb/common/clock.hpp"

namespace fb::test {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t epoch_ms = 1'780'000'000'000)  // 2026-05-28
      : state_(std::make_shared<State>()) {
    state_->wall_ms = epoch_ms;
  }

  std::chrono::system_clock::time_point wall_now() const override {
    std::lock_guard lock(state_->mu);
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(state_->wall_ms));
  }
  SteadyTime steady_now() const override {
    std::lock_guard lock(state_->mu);
    return state_->steady;
  }

  std::unique_ptr<Alarm> set_alarm(SteadyTime deadline, std::function<void()> wake) const override {
    std::lock_guard lock(state_->mu);
    const auto id = ++state_->next_id;
    if (deadline <= state_->steady) {
      wake();  // already due, as a real clock would find it at once; it only posts
      return std::make_unique<FakeAlarm>(state_, deadline, id);
    }
    state_->alarms.emplace(std::make_pair(deadline, id), std::move(wake));
    return std::make_unique<FakeAlarm>(state_, deadline, id);
  }

  /// Moves both clocks forward by `d` and wakes every alarm due by then, in deadline order.
  void advance(std::chrono::steady_clock::duration d) {
    std::lock_guard lock(state_->mu);
    state_->steady += d;
    state_->wall_ms += std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    while (!state_->alarms.empty() && state_->alarms.begin()->first.first <= state_->steady) {
      auto wake = std::move(state_->alarms.begin()->second);
      state_->alarms.erase(state_->alarms.begin());
      wake();  // only posts
    }
  }

  /// Steps the wall clock alone to `epoch_ms` (the car's clock set, or corrected either way):
  /// the monotonic clock and the alarms do not move.
  void set_wall_ms(std::int64_t epoch_ms) {
    std::lock_guard lock(state_->mu);
    state_->wall_ms = epoch_ms;
  }

  /// The earliest pending alarm, if any.
  std::optional<SteadyTime> next_alarm() const {
    std::lock_guard lock(state_->mu);
    if (state_->alarms.empty()) return std::nullopt;
    return state_->alarms.begin()->first.first;
  }
  std::size_t pending_alarms() const {
    std::lock_guard lock(state_->mu);
    return state_->alarms.size();
  }

 private:
  struct State {
    mutable std::mutex mu;
    std::int64_t wall_ms = 0;
    SteadyTime steady{};
    std::uint64_t next_id = 0;
    std::map<std::pair<SteadyTime, std::uint64_t>, std::function<void()>> alarms;
  };
  class FakeAlarm final : public Alarm {
   public:
    FakeAlarm(std::shared_ptr<State> s, SteadyTime d, std::uint64_t id) : s_(std::move(s)), key_(d, id) {}
    ~FakeAlarm() override {
      std::lock_guard lock(s_->mu);
      s_->alarms.erase(key_);
    }

   private:
    std::shared_ptr<State> s_;
    std::pair<SteadyTime, std::uint64_t> key_;
  };

  std::shared_ptr<State> state_;
};

/// Runs every handler that is ready on `io` (on this thread) until none is left.
template <typename Context>
std::size_t run_ready(Context& io) {
  std::size_t n = 0;
  io.restart();
  while (std::size_t ran = io.poll()) {
    n += ran;
    io.restart();
  }
  return n;
}

/// run_ready() for at most `limit` handlers: false when some were still ready then (a handler
/// that re-arms itself at once, forever, would make run_ready() never return).
template <typename Context>
bool run_ready_at_most(Context& io, std::size_t limit) {
  for (std::size_t n = 0; n < limit;) {
    io.restart();
    const auto ran = io.poll_one();
    if (ran == 0) return true;
    n += ran;
  }
  return false;
}

/// Advances `clock` by `d` step by step, to each alarm's deadline in turn, running what became
/// ready on `io` after each step: timers armed by earlier handlers fire in the same call when
/// they fall within `d`, exactly as they would in real time.
template <typename Context>
void run_for(Context& io, FakeClock& clock, std::chrono::steady_clock::duration d) {
  run_ready(io);
  const auto end = clock.steady_now() + d;
  for (;;) {
    auto next = clock.next_alarm();
    if (!next || *next > end) break;
    const auto step = std::max(std::chrono::steady_clock::duration::zero(), *next - clock.steady_now());
    clock.advance(step);
    run_ready(io);
  }
  clock.advance(end - clock.steady_now());
  run_ready(io);
}

}  // namespace fb::test
