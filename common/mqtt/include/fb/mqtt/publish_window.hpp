// The publishes of one client: at most max_inflight handed to the transport and not yet
// acknowledged, up to max_queued more waiting in order for a slot, each in-flight one failed
// after publish_timeout without an answer. Slots belong to a connection (a generation): when the
// link goes down the queued publishes fail and the slots are freed, while the in-flight ones stay
// pending (the library may still resend and complete them on the next connection).
//
// Threads: belongs to its executor: call every member there. Every completion is posted there,
// never run inside the call that caused it, exactly once per publish. The timeout is an
// fb::Timer on `clock`.
//
// Errors given to completions: not_connected (link down), publish_failed (queue full, the
// transport's failure, no answer in time), shutting_down (after stop()).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

#include "fb/async/timer.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::mqtt {

class PublishWindow {
 public:
  using Done = Sender::PublishHandler;
  /// Hands one publish to the transport; the owner reports its outcome with acked(id, ...).
  using Send = std::function<void(std::uint64_t id, const std::string& topic, const std::string& payload, QoS qos,
                                  const PublishProps& props)>;

  struct Limits {
    std::size_t max_inflight = 64;
    std::size_t max_queued = 10000;
    std::chrono::milliseconds publish_timeout{30000};
  };

  PublishWindow(const boost::asio::any_io_executor& executor, const Clock& clock, Limits limits, Send send);

  /// A new connection: publishes go out from now on.
  void link_up();
  /// The link is down: queued publishes fail with `why`, in-flight slots are freed.
  void link_down(const Error& why);
  void publish(std::string topic, std::string payload, QoS qos, Done done, PublishProps props = {});
  /// The transport's outcome for `id`. Ignored for an id no longer pending (timed out, stopped).
  void acked(std::uint64_t id, Error error);
  /// Every pending and queued publish fails with shutting_down, and so does every later one.
  /// Idempotent.
  void stop();

  bool link_up_now() const { return link_up_; }
  std::size_t inflight() const { return inflight_; }
  std::size_t queued() const { return queue_.size(); }
  /// Handed to the transport and not answered, of this connection and earlier ones.
  std::size_t pending() const { return pending_.size(); }
  std::uint64_t timeouts() const { return timeouts_; }

 private:
  struct Outgoing {
    std::string topic;
    std::string payload;
    QoS qos;
    Done done;
    PublishProps props;
  };
  struct Pending {
    Done done;
    std::uint64_t generation;
    Clock::SteadyTime deadline;
  };

  void send(Outgoing out);
  void pump();
  void finish(std::map<std::uint64_t, Pending>::iterator it, Error error);
  void expire();
  void arm_timeout();
  void complete(Done done, Error error);

  boost::asio::any_io_executor executor_;
  const Clock& clock_;
  const Limits limits_;
  Send send_;
  Timer timeout_;
  bool link_up_ = false;
  bool stopped_ = false;
  std::uint64_t generation_ = 0;
  std::uint64_t next_id_ = 0;
  std::size_t inflight_ = 0;                  // pending publishes of the current generation
  std::map<std::uint64_t, Pending> pending_;  // by id, which is also deadline order
  std::deque<Outgoing> queue_;
  std::uint64_t timeouts_ = 0;
};

}  // namespace fb::mqtt
