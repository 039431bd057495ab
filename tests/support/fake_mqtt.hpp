// An in-memory fb::mqtt::Client for unit tests of its users (agent, service, app). It keeps the
// client's contract: one executor, every handler posted to it (never inline). The test drives
// the broker's side through the shared State and the helpers below, and runs the executor's
// io_context on its own thread (test::run_ready / run_for), so there is nothing to wait for.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fb/mqtt/client.hpp"

namespace fb::test {

class FakeMqtt final : public mqtt::Client {
 public:
  struct Published {
    std::string topic;
    std::string payload;
    mqtt::QoS qos = mqtt::QoS::at_least_once;
    PublishHandler done;
    mqtt::PublishProps props;
  };

  /// Shared state the test keeps after handing the client to the code under test. Used on the
  /// test thread only (the same thread that runs the executor).
  struct State {
    boost::asio::any_io_executor executor;
    MessageHandler on_message;
    Admission admit;  // applied by deliver(), as the client applies it on Paho's thread
    Intake intake;    // called by deliver() on the calling thread, as on Paho's, instead of on_message
    ConnectionHandler on_connection;
    std::vector<std::pair<std::string, mqtt::QoS>> subscriptions;
    std::deque<Published> published;            // not yet completed
    std::vector<std::string> published_topics;  // every publish, in order
    std::optional<Error> start_error;           // start() fails with it (e.g. tls_setup)
    mqtt::ClientStats stats;
    bool connected = false;
    bool started = false;
    std::size_t stops = 0;
    std::size_t network_ups = 0;  // network_up() calls
  };

  FakeMqtt(boost::asio::any_io_executor executor, std::shared_ptr<State> s) : s_(std::move(s)) {
    s_->executor = std::move(executor);
  }

  void on_message(MessageHandler h) override { s_->on_message = std::move(h); }
  void on_connection(ConnectionHandler h) override { s_->on_connection = std::move(h); }
  void set_admission(Admission admit) override { s_->admit = std::move(admit); }
  void set_intake(Intake take) override { s_->intake = std::move(take); }
  void subscribe(std::string filter, mqtt::QoS qos) override { s_->subscriptions.emplace_back(std::move(filter), qos); }
  Result<void> start() override {
    if (s_->start_error) return fail(*s_->start_error);
    s_->started = true;
    return {};
  }
  void stop() override {
    if (!s_->started) return;
    ++s_->stops;
    s_->started = false;
    s_->connected = false;
    for (auto& p : std::exchange(s_->published, {})) post_completion(std::move(p.done), Error(MqttErrc::shutting_down));
  }
  void network_up() override { ++s_->network_ups; }
  using Sender::publish;
  void publish(std::string topic, std::string payload, mqtt::QoS qos, mqtt::PublishProps props,
               PublishHandler done) override {
    if (!s_->connected) {
      post_completion(std::move(done), Error(MqttErrc::not_connected));
      return;
    }
    s_->published_topics.push_back(topic);
    s_->published.push_back(Published{std::move(topic), std::move(payload), qos, std::move(done), props});
  }
  bool connected() const override { return s_->connected; }
  mqtt::ClientStats stats() const override { return s_->stats; }
  const boost::asio::any_io_executor& get_executor() const override { return s_->executor; }

  void post_completion(PublishHandler done, Error e) {
    if (done) boost::asio::post(s_->executor, [done = std::move(done), e = std::move(e)] { done(e); });
  }

 private:
  std::shared_ptr<State> s_;
};

/// The broker link comes up (after CONNACK and SUBACKs) or goes down: the client's handler is
/// posted; publishes waiting for a PUBACK on a lost link are left for the test to complete.
inline void set_connected(FakeMqtt::State& s, bool up) {
  if (!s.started) return;
  s.connected = up;
  if (s.on_connection) {
    boost::asio::post(s.executor, [&s, up] {
      if (s.started && s.on_connection) s.on_connection(up, up ? Error{} : Error(MqttErrc::not_connected, "test"));
    });
  }
}

/// The broker delivers a message to the client (posted to the handler, as Paho's hand-over is).
/// A message the client's admission refuses is counted (stats.refused_by_admission) and never
/// reaches the handler.
inline void deliver(FakeMqtt::State& s, mqtt::Message m) {
  if (s.admit && !s.admit(m)) {
    ++s.stats.refused_by_admission;
    return;
  }
  if (s.intake) {
    if (s.started) s.intake(std::move(m));
    return;
  }
  boost::asio::post(s.executor, [&s, m = std::move(m)]() mutable {
    if (s.started && s.on_message) s.on_message(std::move(m));
  });
}

/// Completes the oldest publish (PUBACK, or failure when `error` is given); returns it. Its
/// handler is posted: run the executor to see its effect.
/// Completes the oldest pending publish. Throws (a failed test, not undefined behaviour) when
/// nothing was published.
inline FakeMqtt::Published complete_next(FakeMqtt::State& s, Error error = {}) {
  if (s.published.empty()) throw std::logic_error("complete_next: nothing is waiting to be published");
  FakeMqtt::Published p = std::move(s.published.front());
  s.published.pop_front();
  if (p.done) {
    boost::asio::post(s.executor, [done = p.done, error = std::move(error)] { done(error); });
  }
  return p;
}

inline std::size_t pending_publishes(const FakeMqtt::State& s) { return s.published.size(); }

}  // namespace fb::test
