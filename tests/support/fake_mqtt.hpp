// An in-memory fb::mqtt::Client for unit tests: records publishes, lets the test complete them,
// deliver messages and drop or restore the connection. Handlers run on the test's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "fb/mqtt/client.hpp"

namespace fb::test {

class FakeMqtt final : public mqtt::Client {
 public:
  struct Published {
    std::string topic;
    std::string payload;
    Completion done;
  };

  /// Shared state the test keeps after handing the client to the code under test.
  struct State {
    std::mutex mu;
    MessageHandler on_message;
    ConnectionHandler on_connection;
    std::vector<std::string> subscriptions;
    std::deque<Published> published;  // not yet completed
    std::vector<std::string> published_topics;  // every publish, in order
    std::condition_variable published_cv;
    bool connected = false;
    bool started = false;
  };

  explicit FakeMqtt(std::shared_ptr<State> s) : s_(std::move(s)) {}

  void on_message(MessageHandler h) override { s_->on_message = std::move(h); }
  void on_connection(ConnectionHandler h) override { s_->on_connection = std::move(h); }
  Result<void> start() override {
    std::lock_guard lock(s_->mu);
    s_->started = true;
    return {};
  }
  void stop() override {
    std::deque<Published> pending;
    {
      std::lock_guard lock(s_->mu);
      s_->started = false;
      s_->connected = false;
      pending.swap(s_->published);
    }
    const Error e(MqttErrc::shutting_down);
    for (auto& p : pending) if (p.done) p.done(&e);
  }
  Result<void> subscribe(const std::string& filter, int) override {
    std::lock_guard lock(s_->mu);
    s_->subscriptions.push_back(filter);
    return {};
  }
  void publish(std::string topic, std::string payload, int, Completion done) override {
    std::unique_lock lock(s_->mu);
    if (!s_->connected) {
      lock.unlock();
      const Error e(MqttErrc::not_connected);
      if (done) done(&e);
      return;
    }
    s_->published_topics.push_back(topic);
    s_->published.push_back(Published{std::move(topic), std::move(payload), std::move(done)});
    s_->published_cv.notify_all();
  }
  bool connected() const override {
    std::lock_guard lock(s_->mu);
    return s_->connected;
  }

 private:
  std::shared_ptr<State> s_;
};

/// Test-side helpers over the shared state.
inline void set_connected(FakeMqtt::State& s, bool up) {
  {
    std::lock_guard lock(s.mu);
    s.connected = up;
  }
  if (s.on_connection) s.on_connection(up, up ? Error{} : Error(MqttErrc::not_connected, "test"));
}

/// Completes the oldest publish (PUBACK, or failure when `error` is given); returns it.
inline FakeMqtt::Published complete_next(FakeMqtt::State& s, const Error* error = nullptr) {
  FakeMqtt::Published p;
  {
    std::lock_guard lock(s.mu);
    p = std::move(s.published.front());
    s.published.pop_front();
  }
  if (p.done) p.done(error);
  return p;
}

/// Waits until `count` publishes are waiting for completion; false on timeout.
inline bool wait_for_pending(FakeMqtt::State& s, std::size_t count,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  std::unique_lock lock(s.mu);
  return s.published_cv.wait_for(lock, timeout, [&] { return s.published.size() >= count; });
}

inline std::size_t pending_publishes(FakeMqtt::State& s) {
  std::lock_guard lock(s.mu);
  return s.published.size();
}

}  // namespace fb::test
