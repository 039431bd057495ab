#include "fb/mqtt/reconnect_loop.hpp"

#include <gtest/gtest.h>

#include "fake_clock.hpp"

namespace fb::mqtt {
namespace {

using namespace std::chrono_literals;
using State = ReconnectLoop::State;

class ReconnectLoopTest : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  test::FakeClock clock;
  int attempts = 0;
  ReconnectLoop loop{io.get_executor(), clock, 250ms, 2000ms, [this] { ++attempts; }};

  void advance(std::chrono::milliseconds d) { test::run_for(io, clock, d); }
};

TEST_F(ReconnectLoopTest, TheFirstAttemptIsImmediate) {
  EXPECT_EQ(loop.state(), State::idle);
  loop.start();
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(loop.state(), State::connecting);
  loop.start();  // once only
  EXPECT_EQ(attempts, 1);
}

TEST_F(ReconnectLoopTest, AFailedAttemptIsRetriedAfterExactlyTheBackoff) {
  loop.start();
  loop.failed();
  EXPECT_EQ(loop.state(), State::waiting);
  advance(249ms);
  EXPECT_EQ(attempts, 1);
  advance(1ms);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(loop.state(), State::connecting);
}

TEST_F(ReconnectLoopTest, TheBackoffDoublesUpToItsCapAndReturnsToTheMinimumOnSuccess) {
  loop.start();
  for (auto expected : {250ms, 500ms, 1000ms, 2000ms, 2000ms}) {
    EXPECT_EQ(loop.backoff(), expected);
    const int before = attempts;
    loop.failed();
    advance(expected - 1ms);
    EXPECT_EQ(attempts, before) << expected.count();
    advance(1ms);
    EXPECT_EQ(attempts, before + 1) << expected.count();
  }
  loop.connected();
  EXPECT_EQ(loop.state(), State::connected);
  EXPECT_EQ(loop.backoff(), 250ms);
}

TEST_F(ReconnectLoopTest, ALostLinkIsRetriedAtOnceAndAFailureAfterThatBacksOff) {
  loop.start();
  loop.connected();
  loop.lost();
  EXPECT_EQ(attempts, 2);
  loop.failed();
  advance(249ms);
  EXPECT_EQ(attempts, 2);
  advance(1ms);
  EXPECT_EQ(attempts, 3);
}

TEST_F(ReconnectLoopTest, StopCancelsTheRetryAndIgnoresLateReports) {
  loop.start();
  loop.failed();
  loop.stop();
  advance(10s);
  EXPECT_EQ(attempts, 1);
  loop.failed();
  loop.lost();
  loop.start();
  advance(10s);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(loop.state(), State::stopped);
  EXPECT_EQ(clock.pending_alarms(), 0u);
}

TEST_F(ReconnectLoopTest, AnAttemptThatStopsTheLoopFromInsideIsTheLast) {
  ReconnectLoop self_stopping{io.get_executor(), clock, 250ms, 2000ms, [&] {
                                ++attempts;
                                self_stopping.stop();
                              }};
  self_stopping.start();
  self_stopping.failed();
  advance(10s);
  EXPECT_EQ(attempts, 1);
}

}  // namespace
}  // namespace fb::mqtt
