#include "fb/mqtt/reconnect_loop.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "fake_clock.hpp"

namespace fb::mqtt {
namespace {

using namespace std::chrono_literals;
using State = ReconnectLoop::State;

// A jitter the test steers: it records each ceiling it is asked for and answers `fraction` of it
// (1.0: the ceiling itself, the largest wait full jitter allows).
struct SteeredJitter {
  std::vector<std::chrono::milliseconds> ceilings;
  double fraction = 1.0;
  ReconnectLoop::Jitter fn() {
    return [this](std::chrono::milliseconds ceiling) {
      ceilings.push_back(ceiling);
      return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(ceiling.count()) * fraction));
    };
  }
};

class ReconnectLoopTest : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  test::FakeClock clock;
  int attempts = 0;
  SteeredJitter jitter;
  ReconnectLoop loop{io.get_executor(), clock, 250ms, 2000ms, [this] { ++attempts; }, jitter.fn()};

  void advance(std::chrono::milliseconds d) { test::run_for(io, clock, d); }
  // The wait after a failure, measured on the fake clock: how long until the next attempt.
  std::chrono::milliseconds measured_wait(std::chrono::milliseconds limit = 60s) {
    const int before = attempts;
    const auto start = clock.steady_now();
    test::run_ready(io);
    while (attempts == before && clock.steady_now() - start < limit) {
      const auto next = clock.next_alarm();
      if (!next) break;
      test::run_for(io, clock, std::max<std::chrono::steady_clock::duration>(*next - clock.steady_now(), 0ms));
    }
    EXPECT_EQ(attempts, before + 1) << "no attempt within " << limit.count() << " ms";
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady_now() - start);
  }
};

TEST_F(ReconnectLoopTest, TheFirstAttemptIsImmediate) {
  EXPECT_EQ(loop.state(), State::idle);
  loop.start();
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(loop.state(), State::connecting);
  loop.start();  // once only
  EXPECT_EQ(attempts, 1);
}

TEST_F(ReconnectLoopTest, AFailedAttemptIsRetriedAfterExactlyTheDrawnWait) {
  jitter.fraction = 0.4;  // 100 ms of the first ceiling, 250 ms
  loop.start();
  loop.failed();
  EXPECT_EQ(loop.state(), State::waiting);
  EXPECT_EQ(loop.last_wait(), 100ms);
  advance(99ms);
  EXPECT_EQ(attempts, 1);
  advance(1ms);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(loop.state(), State::connecting);
}

TEST_F(ReconnectLoopTest, TheCeilingDoublesUpToItsCapAndReturnsToTheBaseOnSuccess) {
  loop.start();
  for (auto expected : {250ms, 500ms, 1000ms, 2000ms, 2000ms, 2000ms}) {
    EXPECT_EQ(loop.ceiling(), expected);
    loop.failed();
    EXPECT_EQ(jitter.ceilings.back(), expected);
    EXPECT_EQ(measured_wait(), expected);  // the steered jitter answers the ceiling
  }
  loop.connected();
  EXPECT_EQ(loop.state(), State::connected);
  EXPECT_EQ(loop.ceiling(), 250ms);
  loop.failed();
  EXPECT_EQ(jitter.ceilings.back(), 250ms);
}

TEST_F(ReconnectLoopTest, AWaitOfZeroStillRetriesOnTheExecutorNotInsideFailed) {
  jitter.fraction = 0.0;
  loop.start();
  loop.failed();
  EXPECT_EQ(attempts, 1);  // not inline
  test::run_ready(io);
  EXPECT_EQ(attempts, 2);
}

TEST_F(ReconnectLoopTest, AJitterOutsideItsRangeIsClampedIntoIt) {
  jitter.fraction = 3.0;
  loop.start();
  loop.failed();
  EXPECT_EQ(loop.last_wait(), 250ms);
  jitter.fraction = -1.0;
  EXPECT_EQ(measured_wait(), 250ms);
  loop.failed();
  EXPECT_EQ(loop.last_wait(), 0ms);
}

// Full jitter with the real random source: every wait within [0, ceiling], and the draws spread
// over the range (a loop that always waited the ceiling, or nothing, would fail).
TEST(ReconnectLoopJitter, UniformDrawsStayWithinTheCeilingAndSpreadOverIt) {
  boost::asio::io_context io;
  test::FakeClock clock;
  int attempts = 0;
  ReconnectLoop loop{io.get_executor(), clock, 100ms, 800ms, [&] { ++attempts; }};
  loop.start();
  std::map<std::chrono::milliseconds, std::vector<std::chrono::milliseconds>> waits;  // by ceiling
  for (int i = 0; i < 4000; ++i) {
    const auto ceiling = loop.ceiling();
    loop.failed();
    waits[ceiling].push_back(loop.last_wait());
    test::run_for(io, clock, loop.last_wait());
    ASSERT_EQ(attempts, i + 2) << "the attempt comes exactly after the drawn wait";
    if (i % 8 == 7) {  // ceilings 100, 200, 400, 800, 800, ... then back, after a link that held
      loop.connected();
      test::run_for(io, clock, ReconnectLoop::kStableLink);
    }
  }
  ASSERT_EQ(waits.size(), 4u);
  for (const auto& [ceiling, drawn] : waits) {
    const auto [lo, hi] = std::minmax_element(drawn.begin(), drawn.end());
    EXPECT_GE(lo->count(), 0);
    EXPECT_LE(*hi, ceiling);
    double sum = 0;
    for (auto d : drawn) sum += static_cast<double>(d.count());
    const double mean = sum / static_cast<double>(drawn.size());
    // Uniform on [0, c]: the mean is c/2; with >= 500 draws it is within 10% of c of that.
    EXPECT_NEAR(mean, static_cast<double>(ceiling.count()) / 2, static_cast<double>(ceiling.count()) * 0.1)
        << ceiling.count();
    EXPECT_LT(*lo, ceiling / 10) << "draws reach the bottom of the range";
    EXPECT_GT(*hi, ceiling * 9 / 10) << "draws reach the top of the range";
  }
}

TEST_F(ReconnectLoopTest, ALostLinkIsRetriedAtOnceAndAFailureAfterThatBacksOff) {
  loop.start();
  loop.connected();
  advance(ReconnectLoop::kStableLink);
  loop.lost();
  EXPECT_EQ(attempts, 2);
  loop.failed();
  advance(249ms);
  EXPECT_EQ(attempts, 2);
  advance(1ms);
  EXPECT_EQ(attempts, 3);
}

// Two clients with one client id take the session from each other; a broker disconnects a client
// at once. Each link comes up and drops: reconnecting at once every time was a loop with no wait.
TEST_F(ReconnectLoopTest, LinksThatDropRightAfterTheyCameUpBackOffLikeFailedAttemptsAfterTheFirst) {
  loop.start();
  loop.connected();
  advance(ReconnectLoop::kStableLink - 1ms);
  loop.lost();  // the first: at once, as any lost link (a broker restarted as the car came up)
  EXPECT_EQ(attempts, 2);
  for (auto expected : {250ms, 500ms, 1000ms, 2000ms}) {
    loop.connected();
    advance(ReconnectLoop::kStableLink - 1ms);
    const int before = attempts;
    loop.lost();
    EXPECT_EQ(attempts, before) << "reconnected at once after a link that did not hold";
    EXPECT_EQ(loop.state(), State::waiting);
    EXPECT_EQ(jitter.ceilings.back(), expected);
    EXPECT_EQ(measured_wait(), expected);
  }
  loop.connected();
  advance(ReconnectLoop::kStableLink);
  loop.lost();  // one that held: at once, the backoff from the start
  EXPECT_EQ(loop.state(), State::connecting);
  EXPECT_EQ(loop.ceiling(), 250ms);
}

TEST_F(ReconnectLoopTest, NetworkUpWhileWaitingAttemptsNowAndResetsTheBackoff) {
  loop.start();
  for (int i = 0; i < 4; ++i) {
    loop.failed();
    measured_wait();
  }
  loop.failed();  // waiting 2000 ms
  EXPECT_EQ(loop.ceiling(), 2000ms);
  advance(10ms);
  EXPECT_EQ(attempts, 5);
  loop.network_up();
  EXPECT_EQ(attempts, 6);
  EXPECT_EQ(loop.state(), State::connecting);
  EXPECT_EQ(loop.ceiling(), 250ms);
  advance(5s);
  EXPECT_EQ(attempts, 6) << "the cancelled wait must not start a second attempt";
  loop.failed();
  EXPECT_EQ(jitter.ceilings.back(), 250ms);
}

TEST_F(ReconnectLoopTest, NetworkUpWhileConnectingLetsTheAttemptRunAndRetriesAtOnceIfItFails) {
  loop.start();
  loop.failed();
  measured_wait();
  loop.failed();
  measured_wait();  // connecting, ceiling 1000 ms
  loop.network_up();
  EXPECT_EQ(attempts, 3) << "one attempt at a time";
  EXPECT_EQ(loop.state(), State::connecting);
  EXPECT_EQ(loop.ceiling(), 250ms);
  loop.failed();
  EXPECT_EQ(loop.last_wait(), 0ms);
  test::run_ready(io);
  EXPECT_EQ(attempts, 4);
  loop.failed();  // an ordinary failure again: backs off from the base
  EXPECT_EQ(loop.last_wait(), 250ms);
}

TEST_F(ReconnectLoopTest, NetworkUpWhileConnectingAndThenConnectedLeavesNoImmediateRetryBehind) {
  loop.start();
  loop.network_up();
  loop.connected();
  loop.failed();  // the link fails later: an ordinary backoff
  EXPECT_EQ(loop.last_wait(), 250ms);
}

TEST_F(ReconnectLoopTest, NetworkUpWhileConnectedIdleOrStoppedDoesNothing) {
  loop.network_up();
  EXPECT_EQ(attempts, 0);
  EXPECT_EQ(loop.state(), State::idle);
  loop.start();
  loop.connected();
  loop.network_up();
  advance(5s);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(loop.state(), State::connected);
  loop.stop();
  loop.network_up();
  advance(5s);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(loop.state(), State::stopped);
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
