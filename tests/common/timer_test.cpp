// fb::Timer on the fake clock: when it fires, what re-arming and cancelling do, and that its
// handler always runs on the executor, never inside arm_*().
#include "fb/async/timer.hpp"

#include <gtest/gtest.h>

#include "fake_clock.hpp"

namespace fb {
namespace {

using namespace std::chrono_literals;

class TimerTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  test::FakeClock clock_;
  Timer timer_{io_.get_executor(), clock_};
  int fired_ = 0;
};

TEST_F(TimerTest, FiresWhenTheClockReachesTheDeadlineAndNotBefore) {
  timer_.arm_after(10s, [&] { ++fired_; });
  test::run_for(io_, clock_, 10s - 1ms);
  EXPECT_EQ(fired_, 0);
  EXPECT_TRUE(timer_.deadline());
  test::run_for(io_, clock_, 1ms);
  EXPECT_EQ(fired_, 1);
  EXPECT_FALSE(timer_.deadline());
  test::run_for(io_, clock_, 1h);
  EXPECT_EQ(fired_, 1) << "a one-shot timer fired twice";
}

TEST_F(TimerTest, ADeadlineInThePastFiresOnTheExecutorNotInline) {
  timer_.arm_at(clock_.steady_now() - 1s, [&] { ++fired_; });
  EXPECT_EQ(fired_, 0) << "ran inside arm_at()";
  test::run_ready(io_);
  EXPECT_EQ(fired_, 1);
}

TEST_F(TimerTest, ReArmingLaterMovesTheDeadlineAndReplacesTheHandler) {
  int first = 0;
  timer_.arm_after(10s, [&] { ++first; });
  test::run_for(io_, clock_, 5s);
  timer_.arm_after(10s, [&] { ++fired_; });  // now due at 15 s
  test::run_for(io_, clock_, 10s - 1ms);     // 14.999 s: the kept 10 s alarm woke it early
  EXPECT_EQ(first + fired_, 0);
  test::run_for(io_, clock_, 1ms);
  EXPECT_EQ(first, 0) << "a replaced handler ran";
  EXPECT_EQ(fired_, 1);
  EXPECT_EQ(clock_.pending_alarms(), 0u);
}

TEST_F(TimerTest, ReArmingEarlierFiresAtTheEarlierDeadline) {
  timer_.arm_after(10s, [&] { fired_ += 100; });
  timer_.arm_after(2s, [&] { ++fired_; });
  test::run_for(io_, clock_, 2s);
  EXPECT_EQ(fired_, 1);
  test::run_for(io_, clock_, 1h);
  EXPECT_EQ(fired_, 1);
}

TEST_F(TimerTest, CancelMeansTheHandlerNeverRunsAndNoAlarmIsLeft) {
  timer_.arm_after(1s, [&] { ++fired_; });
  timer_.cancel();
  EXPECT_EQ(clock_.pending_alarms(), 0u);
  test::run_for(io_, clock_, 1h);
  EXPECT_EQ(fired_, 0);
  timer_.cancel();  // idempotent
}

TEST_F(TimerTest, CancelAfterTheAlarmRangButBeforeTheHandlerRanStillWins) {
  timer_.arm_after(1s, [&] { ++fired_; });
  clock_.advance(1s);  // the wake-up is posted, not yet run
  timer_.cancel();
  test::run_ready(io_);
  EXPECT_EQ(fired_, 0);
}

TEST_F(TimerTest, ADestroyedTimersPostedWakeUpDoesNothing) {
  auto timer = std::make_unique<Timer>(io_.get_executor(), clock_);
  timer->arm_after(1s, [&] { ++fired_; });
  clock_.advance(1s);
  timer.reset();
  test::run_ready(io_);
  EXPECT_EQ(fired_, 0);
}

TEST_F(TimerTest, AHandlerMayReArmItsOwnTimer) {
  std::function<void()> tick = [&] {
    if (++fired_ < 3) timer_.arm_after(1s, tick);
  };
  timer_.arm_after(1s, tick);
  test::run_for(io_, clock_, 10s);
  EXPECT_EQ(fired_, 3);
}

}  // namespace
}  // namespace fb
