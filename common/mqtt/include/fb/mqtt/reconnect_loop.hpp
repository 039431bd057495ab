// When to try connecting: at once on start and after losing an established link; after a failed
// attempt, only once a backoff has passed. The backoff has full jitter (as AWS's "Exponential
// Backoff and Jitter"): after the n-th failure in a row it waits a time drawn uniformly from
// [0, min(cap, base * 2^(n-1))], so that many cars losing one broker do not all come back in the
// same instant; a success starts the count again. A link that drops within `stable` of coming up
// (two clients taking one client id from each other, a broker that disconnects at once) is
// retried at once the first time; the n-th such link after it waits as the n-th failure would,
// instead of reconnecting in a loop. network_up() cuts a wait short: the operating system says
// the network is back, so the next attempt is now. Paho's own automatic reconnect does not retry
// a first connect that fails, hence this loop.
//
// Threads: belongs to its executor: call every member there. `attempt` runs there too: inline in
// start(), lost() and network_up(), from the timer otherwise. Its timer is an fb::Timer on
// `clock`; its randomness comes from `jitter` (tests pass a fixed one). No errors: it only
// schedules.
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

  /// Draws a wait from [0, ceiling], uniformly. A value outside that range is clamped into it.
  using Jitter = std::function<std::chrono::milliseconds(std::chrono::milliseconds ceiling)>;
  /// A uniform draw from a std::mt19937_64 seeded from std::random_device (one per loop).
  static Jitter uniform_jitter();

  /// How long a link must stay up before its loss counts as the loss of an established link.
  static constexpr std::chrono::milliseconds kStableLink{5000};

  /// `base` is the first ceiling, `cap` the largest (a cap below base is taken as base).
  ReconnectLoop(boost::asio::any_io_executor executor, const Clock& clock, std::chrono::milliseconds base,
                std::chrono::milliseconds cap, std::function<void()> attempt, Jitter jitter = uniform_jitter(),
                std::chrono::milliseconds stable = kStableLink);

  /// idle -> connecting: the first attempt, now.
  void start();
  /// connecting -> connected; the ceiling returns to base.
  void connected();
  /// connecting or connected -> waiting: the next attempt after a wait drawn below ceiling(),
  /// which then doubles up to the cap. Right after network_up() in connecting: no wait.
  void failed();
  /// connected -> connecting: a link went down; try again now. The n-th link in a row after one
  /// that went down within `stable` of coming up, if it too went down that soon -> waiting, as
  /// failed() with the ceiling of the n-th failure.
  void lost();
  /// The network is up again (e.g. the OS reports connectivity). waiting -> connecting now, the
  /// ceiling back to base. connecting: the attempt under way goes on (it may have been started on
  /// the network that went away), and if it fails the next one starts without a wait, the
  /// ceiling back to base. connected, idle, stopped: nothing (a dead link is the keep-alive's to
  /// find).
  void network_up();
  /// Any -> stopped: no attempt after this. Idempotent.
  void stop();

  State state() const { return state_; }
  /// The upper bound of the next failure's wait: min(cap, base * 2^failures in a row).
  std::chrono::milliseconds ceiling() const { return ceiling_; }
  /// The wait the last failed() drew (zero before any).
  std::chrono::milliseconds last_wait() const { return last_wait_; }

 private:
  void attempt_now();
  void reset();
  void grow_ceiling();  // doubles the ceiling, up to the cap
  bool link_was_stable() const;

  const Clock& clock_;
  Timer timer_;
  const std::chrono::milliseconds base_;
  const std::chrono::milliseconds cap_;
  const std::chrono::milliseconds stable_;
  std::function<void()> attempt_;
  Jitter jitter_;
  std::chrono::milliseconds ceiling_;
  std::chrono::milliseconds last_wait_{0};
  bool retry_at_once_ = false;        // network_up() while connecting
  Clock::SteadyTime connected_at_{};  // when connected() was last reported
  int quick_losses_ = 0;              // links in a row lost within stable_ of coming up (0: the last held)
  State state_ = State::idle;
};

}  // namespace fb::mqtt
