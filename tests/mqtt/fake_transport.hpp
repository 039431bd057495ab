// A Transport the test answers by hand, standing in for Paho's async_client under the client
// logic. It records every call; the test then answers (CONNACK, SUBACK, PUBACK, a loss, a
// message) as Paho's threads would: the client posts each answer to its executor, so the test
// runs it with test::run_ready / run_for. After close() it answers nothing, like Paho.
// Single-threaded: the test thread both drives the io_context and answers.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "fb/mqtt/transport.hpp"

namespace fb::test {

class FakeTransport final : public mqtt::Transport {
 public:
  struct Connect {
    mqtt::ConnectParams params;
    ConnectDone done;
  };
  struct Subscribe {
    std::string filter;
    mqtt::QoS qos;
    Done done;
  };
  struct Publish {
    std::string topic;
    std::string payload;
    mqtt::QoS qos;
    mqtt::PublishProps props;
    Done done;
  };

  void set_events(Events events) override { events_ = std::move(events); }
  void connect(const mqtt::ConnectParams& params, ConnectDone done) override {
    connects.push_back({params, std::move(done)});
  }
  void subscribe(const std::string& filter, mqtt::QoS qos, Done done) override {
    subscribes.push_back({filter, qos, std::move(done)});
  }
  void publish(const std::string& topic, const std::string& payload, mqtt::QoS qos, const mqtt::PublishProps& props,
               Done done) override {
    publishes.push_back({topic, payload, qos, props, std::move(done)});
    if (on_publish) on_publish(publishes.back());
  }
  void disconnect(std::chrono::milliseconds, std::function<void()> done) override {
    disconnects.push_back(std::move(done));
  }
  void network_up() override { ++network_ups; }
  void close(std::chrono::milliseconds) override {
    if (on_close) on_close();
    ++closes;
    closed = true;
  }

  // Answers. Each answers one call once; answering twice is a test bug.
  void connack(bool session_present = false) { answer_connect(Error{}, session_present); }
  void refuse_connect(std::string detail = "connection refused") {
    answer_connect(Error(MqttErrc::connect_failed, std::move(detail)), false);
  }
  void answer_connect(Error e, bool session_present, std::size_t i = npos) {
    auto& c = connects.at(i == npos ? connects.size() - 1 : i);
    ASSERT_TRUE(c.done) << "connect answered twice";
    auto done = std::exchange(c.done, nullptr);
    if (!closed) done(std::move(e), session_present);
  }
  void suback(std::size_t i, Error e = {}) {
    auto& s = subscribes.at(i);
    ASSERT_TRUE(s.done) << "subscribe answered twice";
    auto done = std::exchange(s.done, nullptr);
    if (!closed) done(std::move(e));
  }
  void refuse_subscribe(std::size_t i) {
    suback(i, Error(MqttErrc::subscribe_failed, subscribes.at(i).filter + ": refused"));
  }
  void puback(std::size_t i, Error e = {}) {
    auto& p = publishes.at(i);
    ASSERT_TRUE(p.done) << "publish answered twice";
    auto done = std::exchange(p.done, nullptr);
    if (!closed) done(std::move(e));
  }
  void finish_disconnect(std::size_t i = 0) {
    auto done = std::exchange(disconnects.at(i), nullptr);
    ASSERT_TRUE(done) << "disconnect answered twice";
    if (!closed) done();
  }
  // Events.
  void lose(std::string cause = "broker went away") {
    if (!closed && events_.lost) events_.lost(std::move(cause));
  }
  void deliver(std::string topic, std::string payload, mqtt::QoS qos = mqtt::QoS::at_least_once,
               bool retained = false) {
    if (!closed && events_.message) {
      events_.message(mqtt::Message{std::move(topic), std::move(payload), qos, retained});
    }
  }
  void connected_event() {
    if (!closed && events_.connected) events_.connected();
  }

  std::vector<Connect> connects;
  std::vector<Subscribe> subscribes;
  std::vector<Publish> publishes;
  /// Called with each publish as it arrives (e.g. to answer at once, as Paho's thread would while
  /// the caller blocks).
  std::function<void(Publish&)> on_publish;
  /// Called in close(), before it takes effect.
  std::function<void()> on_close;
  std::vector<std::function<void()>> disconnects;
  int closes = 0;
  int network_ups = 0;
  bool closed = false;

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  Events events_;
};

}  // namespace fb::test
