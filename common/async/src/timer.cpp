#include "fb/async/timer.hpp"

namespace fb {

// Owner: the timer's executor. A wake-up posted by the clock carries the generation it was
// armed with; a handler runs only if that is still current (not cancelled, re-armed, or the
// timer destroyed), checked on the executor.
struct Timer::Shared {
  std::uint64_t generation = 0;
  Handler handler;
  Timer* timer = nullptr;
};

Timer::Timer(boost::asio::any_io_executor executor, const Clock& clock)
    : executor_(std::move(executor)), clock_(clock), shared_(std::make_shared<Shared>()) {
  shared_->timer = this;
}

Timer::~Timer() {
  alarm_.reset();
  work_ = {};
  ++shared_->generation;
  shared_->handler = nullptr;
  shared_->timer = nullptr;
}

void Timer::arm_at(Clock::SteadyTime deadline, Handler expired) {
  shared_->handler = std::move(expired);
  if (deadline_ == deadline && alarm_) return;
  alarm_.reset();
  deadline_ = deadline;
  work_ = boost::asio::prefer(executor_, boost::asio::execution::outstanding_work.tracked);
  const auto generation = ++shared_->generation;
  alarm_ = clock_.set_alarm(deadline, [executor = executor_, weak = std::weak_ptr<Shared>(shared_), generation] {
    boost::asio::post(executor, [weak, generation] {
      auto shared = weak.lock();
      if (!shared || !shared->timer || shared->generation != generation) return;
      shared->timer->fire();
    });
  });
}

void Timer::arm_after(std::chrono::steady_clock::duration delay, Handler expired) {
  arm_at(clock_.steady_now() + delay, std::move(expired));
}

void Timer::cancel() {
  alarm_.reset();
  deadline_.reset();
  work_ = {};
  ++shared_->generation;
  shared_->handler = nullptr;
}

void Timer::fire() {
  alarm_.reset();
  deadline_.reset();
  work_ = {};
  ++shared_->generation;
  auto handler = std::move(shared_->handler);
  shared_->handler = nullptr;
  if (handler) handler();
}

}  // namespace fb
