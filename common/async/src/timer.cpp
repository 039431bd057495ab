#include "fb/async/timer.hpp"

namespace fb {

// Owner: the timer's executor. A wake-up posted by the clock carries the generation of the
// alarm that sent it; it counts only if that alarm is still the current one (not cancelled,
// replaced, or the timer destroyed), checked on the executor.
struct Timer::Shared {
  std::uint64_t generation = 0;
  Timer* timer = nullptr;
};

Timer::Timer(boost::asio::any_io_executor executor, const Clock& clock)
    : executor_(std::move(executor)),
      clock_(clock),
      shared_(std::make_shared<Shared>()) {
  shared_->timer = this;
}

Timer::~Timer() {
  alarm_.reset();
  ++shared_->generation;
  shared_->timer = nullptr;
}

void Timer::arm_at(Clock::SteadyTime deadline, Handler expired) {
  handler_ = std::move(expired);
  deadline_ = deadline;
  if (!work_) work_ = boost::asio::prefer(executor_, boost::asio::execution::outstanding_work.tracked);
  // A deadline that moves later (a window's oldest entry acknowledged, a backoff restarted)
  // keeps the alarm already set: it wakes us early and set_alarm_for_deadline() sets the next.
  // Re-arming stays cheap however often it happens.
  if (alarm_ && alarm_deadline_ <= deadline) return;
  set_alarm_for_deadline();
}

void Timer::arm_after(std::chrono::steady_clock::duration delay, Handler expired) {
  arm_at(clock_.steady_now() + delay, std::move(expired));
}

void Timer::cancel() {
  alarm_.reset();
  ++shared_->generation;
  deadline_.reset();
  handler_ = nullptr;
  work_ = {};
}

void Timer::set_alarm_for_deadline() {
  alarm_.reset();
  alarm_deadline_ = *deadline_;
  const auto generation = ++shared_->generation;
  alarm_ = clock_.set_alarm(alarm_deadline_, [executor = executor_, weak = std::weak_ptr<Shared>(shared_), generation] {
    boost::asio::post(executor, [weak, generation] {
      auto shared = weak.lock();
      if (!shared || !shared->timer || shared->generation != generation) return;
      shared->timer->woken();
    });
  });
}

void Timer::woken() {
  alarm_.reset();
  if (!deadline_) return;
  if (clock_.steady_now() < *deadline_) {
    set_alarm_for_deadline();  // woken early by an alarm kept for an earlier deadline
    return;
  }
  deadline_.reset();
  work_ = {};
  auto handler = std::exchange(handler_, nullptr);
  if (handler) handler();
}

}  // namespace fb
