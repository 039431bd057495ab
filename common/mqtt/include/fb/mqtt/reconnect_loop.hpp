// When to try connecting: at once on start and after losing an established link; after a failed
// attempt, only once a backoff has passed, which doubles from min to max with each failure in a
// row and returns to min once an attempt succeeds. Paho's own automatic reconnect does not retry
// a first connect that fails, hence this loop.
//
// Threads: belongs to its executor: call every member there. `attempt` runs there too: inline in
// start() and lost(), from the timer after a backoff. Its timer is an fb::Timer on `clock`.
// No errors: it only schedules.
#pragma once

#include <chrono>
#include <functional>

#include "fb/async/timer.hpp"

namespace fb::mqtt {

class ReconnectLoop {
 public:
  enum class State {
    idle,        // not started
    connecting,  // an attempt is under way; the owner reports connected() or failed()
    connected,   // the last attempt succeeded; the owner reports lost() or failed()
    waiting,     // backing off before the next attempt
    stopped,
  };

  ReconnectLoop(boost::asio::any_io_executor executor, const Clock& clock, std::chrono::milliseconds min,
                std::chrono::milliseconds max, std::function<void()> attempt);

  /// idle -> connecting: the first attempt, now.
  void start();
  /// connecting -> connected; the backoff returns to min.
  void connected();
  /// connecting or connected -> waiting: the next attempt after backoff(), which then doubles.
  void failed();
  /// connected -> connecting: an established link went down; try again now.
  void lost();
  /// Any -> stopped: no attempt after this. Idempotent.
  void stop();

  State state() const { return state_; }
  /// What the next failure will wait.
  std::chrono::milliseconds backoff() const { return backoff_; }

 private:
  void attempt_now();

  Timer timer_;
  const std::chrono::milliseconds min_;
  const std::chrono::milliseconds max_;
  std::function<void()> attempt_;
  std::chrono::milliseconds backoff_;
  State state_ = State::idle;
};

}  // namespace fb::mqtt
