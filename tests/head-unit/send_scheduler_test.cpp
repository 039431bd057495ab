#include "fb/agent/send_scheduler.hpp"

#include <gtest/gtest.h>

namespace fb::agent {
namespace {

using namespace std::chrono_literals;
using Time = SendScheduler::Clock::time_point;

OutboxEntry entry(const std::string& id, int priority = 0, std::int64_t created = 0) {
  return OutboxEntry{id, OutboxKind::report, "vehicles/X/reports", priority, created};
}

std::vector<std::string> ids(const std::vector<OutboxEntry>& v) {
  std::vector<std::string> out;
  out.reserve(v.size());
  for (const auto& e : v) out.push_back(e.id);
  return out;
}

class SchedulerTest : public ::testing::Test {
 protected:
  SendScheduler s{SendScheduler::Policy{
      .ack_timeout = 30s, .retry_after_failure = 1s, .max_backoff = 120s, .max_inflight = 2, .jitter = 0}};
  Time t0{};
};

// Cars that an outage failed together must not all try again at the same moment: each wait is
// stretched by a random part of up to half of itself, never shortened (review: the retries had a
// cap but no jitter).
TEST(SchedulerJitter, EachWaitIsStretchedByUpToHalfOfItselfAndCarsDiffer) {
  const auto waits = [](std::uint32_t seed) {
    SendScheduler s{SendScheduler::Policy{
        .ack_timeout = 30s, .retry_after_failure = 30s, .max_backoff = 30s, .max_inflight = 1, .seed = seed}};
    Time now{};
    s.add(entry("a"), now);
    std::vector<std::chrono::milliseconds> out;
    for (int i = 0; i < 200; ++i) {
      EXPECT_EQ(ids(s.take_due(now)), std::vector<std::string>{"a"});
      if (i % 2 == 0) s.on_published("a", now);  // then no ack: sent again after the ack timeout
      else s.on_publish_failed("a", now);
      const auto due = s.next_due();
      EXPECT_TRUE(due);
      if (!due) break;
      out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*due - now));
      now = *due;
    }
    return out;
  };
  const auto car1 = waits(1);
  const auto car2 = waits(2);
  ASSERT_EQ(car1.size(), 200u);
  std::size_t lower = 0;
  for (auto w : car1) {
    EXPECT_GE(w, 30s) << "never sooner than the configured wait";
    EXPECT_LE(w, 45s);
    lower += w < 37500ms ? 1 : 0;
  }
  EXPECT_GT(lower, 50u) << "the draws cover the whole range";
  EXPECT_LT(lower, 150u);
  EXPECT_NE(car1, car2) << "two cars do not retry in step";
  EXPECT_EQ(car1, waits(1)) << "a seed gives the same draws";
}

TEST_F(SchedulerTest, SendsByPriorityThenAgeWithinTheInflightBound) {
  s.add(entry("old", 0, 1), t0);
  s.add(entry("urgent", 9, 3), t0);
  s.add(entry("new", 0, 2), t0);
  EXPECT_EQ(ids(s.take_due(t0)), (std::vector<std::string>{"urgent", "old"}));
  EXPECT_TRUE(s.take_due(t0).empty());  // both slots busy
  EXPECT_FALSE(s.next_due());
  s.on_published("urgent", t0);
  EXPECT_EQ(ids(s.take_due(t0)), (std::vector<std::string>{"new"}));
}

TEST_F(SchedulerTest, TheNextExpiryIsTheEarliestOfTheEntriesThatExpire) {
  EXPECT_FALSE(s.next_expiry());
  auto never = entry("receipt");
  s.add(never, t0);
  EXPECT_FALSE(s.next_expiry());  // 0: never
  auto late = entry("late");
  late.expires_ms = 9000;
  auto soon = entry("soon");
  soon.expires_ms = 5000;
  s.add(late, t0);
  s.add(soon, t0);
  EXPECT_EQ(s.next_expiry(), 5000);
  s.remove("soon");
  EXPECT_EQ(s.next_expiry(), 9000);
}

// A time to live that starts late (the car's clock was unset) or is cut (it stepped back).
TEST_F(SchedulerTest, AChangedExpiryMovesTheNextExpiry) {
  auto waiting = entry("waiting");  // 0: its time to live waits for a set clock
  auto late = entry("late");
  late.expires_ms = 9000;
  s.add(waiting, t0);
  s.add(late, t0);
  EXPECT_EQ(s.next_expiry(), 9000);
  s.set_expiry("waiting", 7000);
  EXPECT_EQ(s.next_expiry(), 7000);
  s.set_expiry("late", 3000);
  EXPECT_EQ(s.next_expiry(), 3000);
  s.set_expiry("late", 0);
  EXPECT_EQ(s.next_expiry(), 7000);
  s.remove("waiting");
  EXPECT_FALSE(s.next_expiry());
  s.set_expiry("unknown", 1000);
  EXPECT_FALSE(s.next_expiry());
}

TEST_F(SchedulerTest, AnUnacknowledgedReportIsResentWithGrowingTimeouts) {
  s.add(entry("r"), t0);
  ASSERT_EQ(s.take_due(t0).size(), 1u);
  s.on_published("r", t0);
  EXPECT_EQ(s.next_due(), t0 + 30s);
  EXPECT_TRUE(s.take_due(t0 + 29s).empty());
  ASSERT_EQ(s.take_due(t0 + 30s).size(), 1u);
  s.on_published("r", t0 + 30s);
  EXPECT_EQ(s.next_due(), t0 + 30s + 60s);  // doubled
  ASSERT_EQ(s.take_due(t0 + 90s).size(), 1u);
  s.on_published("r", t0 + 90s);
  EXPECT_EQ(s.next_due(), t0 + 90s + 120s);  // capped at max_backoff
  EXPECT_EQ(s.attempts("r"), 3);
}

TEST_F(SchedulerTest, AFailedPublishIsRetriedSoon) {
  s.add(entry("r"), t0);
  s.take_due(t0);
  s.on_publish_failed("r", t0);
  EXPECT_EQ(s.next_due(), t0 + 1s);
  EXPECT_TRUE(s.take_due(t0 + 999ms).empty());
  EXPECT_EQ(s.take_due(t0 + 1s).size(), 1u);
}

TEST_F(SchedulerTest, AReconnectMakesWhatWasInFlightDueAtOnce) {
  s.add(entry("a"), t0);
  s.add(entry("b"), t0);
  s.take_due(t0);
  s.on_published("a", t0);  // at the broker: waits for the backend
  s.on_reconnected(t0 + 5s);
  EXPECT_EQ(ids(s.take_due(t0 + 5s)), (std::vector<std::string>{"b"}));
  s.on_published("b", t0 + 5s);
  // "a"'s ack may have died with the old link: it goes again after the grace, not at t0 + 30 s.
  EXPECT_EQ(s.next_due(), t0 + 7s);
  EXPECT_TRUE(s.take_due(t0 + 7s - 1ms).empty());
  EXPECT_EQ(ids(s.take_due(t0 + 7s)), (std::vector<std::string>{"a"}));
}

TEST_F(SchedulerTest, AReconnectNeverDelaysAnAckTimeoutThatEndsSooner) {
  s.add(entry("a"), t0);
  s.take_due(t0);
  s.on_published("a", t0);
  s.on_reconnected(t0 + 29s);
  EXPECT_EQ(s.next_due(), t0 + 30s);
}

TEST_F(SchedulerTest, RemovingAnEntryFreesItsSlot) {
  s.add(entry("a"), t0);
  s.add(entry("b"), t0);
  s.add(entry("c"), t0);
  s.take_due(t0);
  s.remove("a");
  EXPECT_EQ(s.publishing(), 1u);
  EXPECT_EQ(ids(s.take_due(t0)), (std::vector<std::string>{"c"}));
  EXPECT_FALSE(s.contains("a"));
  EXPECT_EQ(s.size(), 2u);
}

TEST_F(SchedulerTest, CompletionsForUnknownEntriesAreIgnored) {
  s.on_published("ghost", t0);
  s.on_publish_failed("ghost", t0);
  s.remove("ghost");
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.next_due());
}

TEST_F(SchedulerTest, EntriesThatCameDueAtDifferentTimesGoInSendOrder) {
  s.add(entry("late-old", 0, 1), t0);
  s.add(entry("awaiting", 0, 2), t0);
  EXPECT_EQ(ids(s.take_due(t0)), (std::vector<std::string>{"late-old", "awaiting"}));
  s.on_publish_failed("late-old", t0);  // due again at t0 + 1 s
  s.on_published("awaiting", t0);       // due again at t0 + 30 s
  s.add(entry("urgent", 5, 3), t0 + 2s);
  EXPECT_EQ(s.next_due(), t0 + 1s);
  EXPECT_TRUE(s.take_due(t0 + 500ms).empty());
  // "late-old" has been due longest, but "urgent" ranks first; then age decides.
  EXPECT_EQ(ids(s.take_due(t0 + 31s)), (std::vector<std::string>{"urgent", "late-old"}));
  s.remove("urgent");
  EXPECT_EQ(ids(s.take_due(t0 + 31s)), (std::vector<std::string>{"awaiting"}));
  EXPECT_EQ(s.attempts("awaiting"), 2);
}

TEST_F(SchedulerTest, ManyEntriesAwaitingAcksDoNotHideTheOneThatIsDue) {
  SendScheduler big{
      SendScheduler::Policy{.ack_timeout = 30s, .retry_after_failure = 1s, .max_inflight = 16, .jitter = 0}};
  for (int i = 0; i < 2000; ++i) {
    auto e = entry("r" + std::to_string(i), 0, i);
    e.expires_ms = 100'000 + i;
    big.add(e, t0);
  }
  for (int taken = 0; taken < 2000;) {
    const auto due = big.take_due(t0);
    ASSERT_FALSE(due.empty());
    for (const auto& e : due) {
      if (e.id == "r1234") big.on_publish_failed(e.id, t0);
      else big.on_published(e.id, t0);
    }
    taken += static_cast<int>(due.size());
  }
  EXPECT_EQ(big.publishing(), 0u);
  EXPECT_EQ(big.next_due(), t0 + 1s);
  EXPECT_EQ(ids(big.take_due(t0 + 1s)), (std::vector<std::string>{"r1234"}));
  EXPECT_EQ(big.next_due(), t0 + 30s);
  EXPECT_EQ(big.next_expiry(), 100'000);
  big.remove("r0");
  EXPECT_EQ(big.next_expiry(), 100'001);
  big.on_published("r1234", t0 + 1s);
  EXPECT_EQ(big.take_due(t0 + 30s).size(), 16u);  // the oldest 16 of those awaiting, in order
}

// fb-car waits for this count to reach 0 before it stops (a notification it received is not
// sent again by the backend only once its receipt has reached the broker).
TEST_F(SchedulerTest, CountsTheReceiptsItHoldsUntilEachIsRemoved) {
  s.add(entry("report"), t0);
  s.add(OutboxEntry{"receipt-1", OutboxKind::receipt, "vehicles/X/receipts", 0, 0}, t0);
  s.add(OutboxEntry{"receipt-2", OutboxKind::receipt, "vehicles/X/receipts", 0, 0}, t0);
  s.add(OutboxEntry{"receipt-2", OutboxKind::receipt, "vehicles/X/receipts", 0, 0}, t0);  // already held
  EXPECT_EQ(s.receipts(), 2u);
  s.take_due(t0);
  s.remove("receipt-1");
  s.remove("report");
  s.remove("receipt-1");  // gone already
  EXPECT_EQ(s.receipts(), 1u);
  s.remove("receipt-2");
  EXPECT_EQ(s.receipts(), 0u);
  EXPECT_EQ(s.size(), 0u);
}

}  // namespace
}  // namespace fb::agent
