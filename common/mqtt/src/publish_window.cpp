#include "fb/mqtt/publish_window.hpp"

#include <utility>
#include <vector>

namespace fb::mqtt {

PublishWindow::PublishWindow(const boost::asio::any_io_executor& executor, const Clock& clock, Limits limits, Send send)
    : executor_(executor),
      clock_(clock),
      limits_(limits),
      send_(std::move(send)),
      timeout_(executor, clock) {}

void PublishWindow::link_up() {
  if (stopped_) return;
  link_up_ = true;
  ++generation_;
  inflight_ = 0;
}

void PublishWindow::link_down(const Error& why) {
  if (!link_up_) return;
  link_up_ = false;
  ++generation_;
  inflight_ = 0;
  auto queued = std::exchange(queue_, {});
  for (auto& q : queued) complete(std::move(q.done), why);
}

void PublishWindow::publish(std::string topic, std::string payload, QoS qos, Done done, PublishProps props) {
  if (stopped_) return complete(std::move(done), Error(MqttErrc::shutting_down));
  // Allowed from CONNACK on: a persistent session's backlog arrives before our SUBACKs, and
  // the answers to it must not be refused.
  if (!link_up_) return complete(std::move(done), Error(MqttErrc::not_connected));
  Outgoing out{std::move(topic), std::move(payload), qos, std::move(done), props};
  if (inflight_ < limits_.max_inflight && queue_.empty()) return send(std::move(out));
  if (queue_.size() >= limits_.max_queued) {
    return complete(std::move(out.done),
                    Error(MqttErrc::publish_failed, "client queue full (" + std::to_string(limits_.max_queued) + ")"));
  }
  queue_.push_back(std::move(out));
}

void PublishWindow::acked(std::uint64_t id, Error error) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  finish(it, std::move(error));
  pump();
  arm_timeout();
}

void PublishWindow::stop() {
  if (stopped_) return;
  stopped_ = true;
  link_up_ = false;
  timeout_.cancel();
  inflight_ = 0;
  const Error err(MqttErrc::shutting_down);
  auto pending = std::exchange(pending_, {});
  for (auto& [id, p] : pending) complete(std::move(p.done), err);
  auto queued = std::exchange(queue_, {});
  for (auto& q : queued) complete(std::move(q.done), err);
}

void PublishWindow::send(Outgoing out) {
  const auto id = ++next_id_;
  pending_.emplace(id, Pending{std::move(out.done), generation_, clock_.steady_now() + limits_.publish_timeout});
  ++inflight_;
  arm_timeout();
  send_(id, out.topic, out.payload, out.qos, out.props);
}

void PublishWindow::pump() {
  while (link_up_ && inflight_ < limits_.max_inflight && !queue_.empty()) {
    auto next = std::move(queue_.front());
    queue_.pop_front();
    send(std::move(next));
  }
}

void PublishWindow::finish(std::map<std::uint64_t, Pending>::iterator it, Error error) {
  // A slot taken on an earlier connection was already freed when that link went down.
  if (it->second.generation == generation_ && inflight_ > 0) --inflight_;
  auto done = std::move(it->second.done);
  pending_.erase(it);
  complete(std::move(done), std::move(error));
}

void PublishWindow::expire() {
  const auto now = clock_.steady_now();
  while (!pending_.empty() && pending_.begin()->second.deadline <= now) {
    ++timeouts_;
    finish(pending_.begin(),
           Error(MqttErrc::publish_failed,
                 "no answer from the broker within " + std::to_string(limits_.publish_timeout.count()) + " ms"));
  }
  pump();
  arm_timeout();
}

void PublishWindow::arm_timeout() {
  if (pending_.empty()) return timeout_.cancel();
  // Same deadline as armed: Timer keeps its alarm and only replaces the handler.
  timeout_.arm_at(pending_.begin()->second.deadline, [this] { expire(); });
}

void PublishWindow::complete(Done done, Error error) {
  if (!done) return;
  boost::asio::post(executor_,
                    [done = std::move(done), error = std::move(error)]() mutable { done(std::move(error)); });
}

}  // namespace fb::mqtt
