#include "fb/mqtt/reconnect_loop.hpp"

#include <algorithm>
#include <utility>

namespace fb::mqtt {

ReconnectLoop::ReconnectLoop(boost::asio::any_io_executor executor, const Clock& clock, std::chrono::milliseconds min,
                             std::chrono::milliseconds max, std::function<void()> attempt)
    : timer_(std::move(executor), clock),
      min_(min),
      max_(std::max(min, max)),
      attempt_(std::move(attempt)),
      backoff_(min) {}

void ReconnectLoop::start() {
  if (state_ != State::idle) return;
  attempt_now();
}

void ReconnectLoop::connected() {
  if (state_ != State::connecting) return;
  state_ = State::connected;
  backoff_ = min_;
}

void ReconnectLoop::failed() {
  if (state_ != State::connecting && state_ != State::connected) return;
  state_ = State::waiting;
  timer_.arm_after(backoff_, [this] { attempt_now(); });
  backoff_ = std::min(backoff_ * 2, max_);
}

void ReconnectLoop::lost() {
  if (state_ != State::connected) return;
  attempt_now();
}

void ReconnectLoop::stop() {
  state_ = State::stopped;
  timer_.cancel();
}

void ReconnectLoop::attempt_now() {
  state_ = State::connecting;
  // Last: the attempt may report back (failed(), stop()) before it returns.
  attempt_();
}

}  // namespace fb::mqtt
