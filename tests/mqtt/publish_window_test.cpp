#include "fb/mqtt/publish_window.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "errc_fixture.hpp"
#include "fake_clock.hpp"

namespace fb::mqtt {
namespace {

using namespace std::chrono_literals;

class PublishWindowTest : public ::testing::Test {
 protected:
  struct Sent {
    std::uint64_t id;
    std::string topic;
    QoS qos;
  };

  boost::asio::io_context io;
  test::FakeClock clock;
  std::vector<Sent> sent;
  PublishWindow window{io.get_executor(),
                       clock,
                       {.max_inflight = 2, .max_queued = 2, .publish_timeout = 5s},
                       [this](std::uint64_t id, const std::string& topic, const std::string&, QoS qos,
                              const PublishProps&) {
                         sent.push_back({id, topic, qos});
                       }};
  std::map<std::string, std::vector<Error>> outcomes;  // per topic, every completion

  void publish(const std::string& topic, QoS qos = QoS::at_least_once) {
    window.publish(topic, "payload", qos, [this, topic](Error e) { outcomes[topic].push_back(std::move(e)); });
  }
  void run() { test::run_ready(io); }
  std::optional<std::error_code> outcome(const std::string& topic) {
    auto& v = outcomes[topic];
    EXPECT_LE(v.size(), 1u) << topic << " completed " << v.size() << " times";
    if (v.empty()) return std::nullopt;
    return v.front().code;
  }
};

const std::error_code ok{};
using test_support::not_connected;
using test_support::publish_failed;
using test_support::shutting_down;

TEST_F(PublishWindowTest, OfflinePublishesFailWithNotConnectedButNeverInsideTheCall) {
  publish("a");
  EXPECT_FALSE(outcome("a"));
  run();
  EXPECT_EQ(outcome("a"), not_connected);
  EXPECT_TRUE(sent.empty());
}

TEST_F(PublishWindowTest, AtMostMaxInflightGoOutAndTheRestWaitInOrderUntilTheQueueIsFull) {
  window.link_up();
  for (auto t : {"a", "b", "c", "d", "e"}) publish(t, QoS::at_most_once);
  run();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].qos, QoS::at_most_once);
  EXPECT_EQ(window.queued(), 2u);
  EXPECT_EQ(outcome("e"), publish_failed);  // queue full
  window.acked(sent[1].id, {});
  run();
  EXPECT_EQ(outcome("b"), ok);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2].topic, "c");
  window.acked(sent[0].id, {});
  run();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[3].topic, "d");
}

TEST_F(PublishWindowTest, APublishWithoutAnswerTimesOutOnceFreesItsSlotAndALateAnswerIsIgnored) {
  window.link_up();
  publish("a");
  test::run_for(io, clock, 1s);
  publish("b");
  publish("c");  // queued
  test::run_for(io, clock, 4s - 1ms);
  EXPECT_FALSE(outcome("a"));
  test::run_for(io, clock, 1ms);
  EXPECT_EQ(outcome("a"), publish_failed);
  EXPECT_EQ(window.timeouts(), 1u);
  ASSERT_EQ(sent.size(), 3u);  // a's slot went to c
  EXPECT_EQ(sent[2].topic, "c");
  window.acked(sent[0].id, {});  // the PUBACK after all
  run();
  EXPECT_EQ(outcome("a"), publish_failed);
  // b's own deadline, one second after a's.
  test::run_for(io, clock, 1s);
  EXPECT_EQ(outcome("b"), publish_failed);
  EXPECT_EQ(window.timeouts(), 2u);
}

TEST_F(PublishWindowTest, ATransportFailureCompletesThePublishWithIt) {
  window.link_up();
  publish("a");
  window.acked(sent[0].id, Error(MqttErrc::publish_failed, "rc -3"));
  run();
  EXPECT_EQ(outcome("a"), publish_failed);
  EXPECT_EQ(window.inflight(), 0u);
}

TEST_F(PublishWindowTest, ALostLinkFailsTheQueuedAndFreesTheSlotsWhileInflightOnesMayStillComplete) {
  window.link_up();
  for (auto t : {"a", "b", "c"}) publish(t);
  window.link_down(Error(MqttErrc::not_connected, "lost"));
  run();
  EXPECT_EQ(outcome("c"), not_connected);
  EXPECT_FALSE(outcome("a"));
  EXPECT_EQ(window.inflight(), 0u);
  EXPECT_EQ(window.pending(), 2u);
  window.link_up();
  for (auto t : {"d", "e"}) publish(t);
  ASSERT_EQ(sent.size(), 4u);    // the new connection has every slot
  window.acked(sent[0].id, {});  // resent by the library and acknowledged on the new connection
  run();
  EXPECT_EQ(outcome("a"), ok);
  EXPECT_EQ(window.inflight(), 2u);  // a's slot was the old connection's
}

TEST_F(PublishWindowTest, StopFailsEveryPendingAndQueuedPublishOnceWithShuttingDown) {
  window.link_up();
  for (auto t : {"a", "b", "c", "d"}) publish(t);
  window.link_down(Error(MqttErrc::not_connected));
  window.link_up();
  publish("e");
  window.stop();
  EXPECT_TRUE(outcomes.empty()) << "completions run inside stop()";
  run();
  for (auto t : {"a", "b", "e"}) EXPECT_EQ(outcome(t), shutting_down) << t;
  for (auto t : {"c", "d"}) EXPECT_EQ(outcome(t), not_connected) << t;
  window.stop();
  window.acked(sent[0].id, {});
  publish("f");
  test::run_for(io, clock, 1min);
  EXPECT_EQ(outcome("a"), shutting_down);
  EXPECT_EQ(outcome("f"), shutting_down);
  EXPECT_EQ(clock.pending_alarms(), 0u);
}

}  // namespace
}  // namespace fb::mqtt
