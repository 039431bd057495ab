#include "fb/mqtt/reconnect_loop.hpp"

#include <algorithm>
#include <memory>
#include <random>
#include <utility>

namespace fb::mqtt {

ReconnectLoop::Jitter ReconnectLoop::uniform_jitter() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine](std::chrono::milliseconds ceiling) {
    std::uniform_int_distribution<std::chrono::milliseconds::rep> draw(0, std::max<std::int64_t>(ceiling.count(), 0));
    return std::chrono::milliseconds(draw(*engine));
  };
}

ReconnectLoop::ReconnectLoop(boost::asio::any_io_executor executor, const Clock& clock, std::chrono::milliseconds base,
                             std::chrono::milliseconds cap, std::function<void()> attempt, Jitter jitter,
                             std::chrono::milliseconds stable)
    : clock_(clock),
      timer_(std::move(executor), clock),
      base_(base),
      cap_(std::max(base, cap)),
      stable_(stable),
      attempt_(std::move(attempt)),
      jitter_(std::move(jitter)),
      ceiling_(base) {}

void ReconnectLoop::start() {
  if (state_ != State::idle) return;
  attempt_now();
}

void ReconnectLoop::connected() {
  if (state_ != State::connecting) return;
  state_ = State::connected;
  connected_at_ = clock_.steady_now();
  reset();
}

bool ReconnectLoop::link_was_stable() const {
  return state_ == State::connected && clock_.steady_now() - connected_at_ >= stable_;
}

void ReconnectLoop::failed() {
  if (state_ != State::connecting && state_ != State::connected) return;
  if (link_was_stable()) quick_losses_ = 0;
  state_ = State::waiting;
  if (std::exchange(retry_at_once_, false)) {
    last_wait_ = std::chrono::milliseconds(0);
  } else {
    last_wait_ = std::clamp(jitter_(ceiling_), std::chrono::milliseconds(0), ceiling_);
    grow_ceiling();
  }
  // Even a zero wait goes through the timer: the attempt never runs inside failed().
  timer_.arm_after(last_wait_, [this] { attempt_now(); });
}

void ReconnectLoop::lost() {
  if (state_ != State::connected) return;
  if (link_was_stable()) {
    quick_losses_ = 0;
    return attempt_now();
  }
  // Lost within stable_ of coming up: the first such link in a row is retried at once, as any
  // lost link; the n-th after it waits as the n-th failure would.
  if (quick_losses_++ == 0) return attempt_now();
  ceiling_ = base_;
  for (int i = 2; i < quick_losses_ && ceiling_ < cap_; ++i) grow_ceiling();
  failed();
}

void ReconnectLoop::network_up() {
  switch (state_) {
    case State::waiting:
      timer_.cancel();
      reset();
      return attempt_now();
    case State::connecting:
      reset();
      retry_at_once_ = true;
      return;
    default: return;
  }
}

void ReconnectLoop::stop() {
  state_ = State::stopped;
  timer_.cancel();
}

void ReconnectLoop::grow_ceiling() {
  ceiling_ = ceiling_ >= cap_ / 2 ? cap_ : ceiling_ * 2;  // no overflow near the cap
}

void ReconnectLoop::reset() {
  ceiling_ = base_;
  retry_at_once_ = false;
}

void ReconnectLoop::attempt_now() {
  state_ = State::connecting;
  // Last: the attempt may report back (failed(), stop()) before it returns.
  attempt_();
}

}  // namespace fb::mqtt
