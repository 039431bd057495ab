#include "fb/common/utc_offset.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace fb {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;

TEST(UtcOffset, TheClockIsNamedWithItsSignHoursAndMinutes) {
  EXPECT_EQ(utc_offset_text(8 * kHour), "UTC+08:00");
  EXPECT_EQ(utc_offset_text(0), "UTC+00:00");
  EXPECT_EQ(utc_offset_text((5 * 60 + 45) * kMinute), "UTC+05:45");
  EXPECT_EQ(utc_offset_text(-(9 * 60 + 30) * kMinute), "UTC-09:30");
  EXPECT_EQ(utc_offset_text(-30 * kMinute), "UTC-00:30");
  EXPECT_EQ(utc_offset_text(-12 * kHour), "UTC-12:00");
}

// 2026-12-05 01:30:00 UTC: 09:30 in Beijing, the evening before in Newfoundland, the next
// minute's start exactly.
constexpr std::int64_t kSlot = 1'796'434'200'000;

TEST(WallClockText, AnInstantReadsTheSameOnTheRegionsClockWhateverTheHostsZone) {
  EXPECT_EQ(wall_clock_text(kSlot, 8 * kHour), "2026-12-05 09:30");
  EXPECT_EQ(wall_clock_text(kSlot, 0), "2026-12-05 01:30");
  EXPECT_EQ(wall_clock_text(kSlot, -(3 * 60 + 30) * kMinute), "2026-12-04 22:00");
  EXPECT_EQ(wall_clock_text(kSlot, (5 * 60 + 45) * kMinute), "2026-12-05 07:15");
  EXPECT_EQ(wall_clock_text(kSlot + 59'999, 8 * kHour), "2026-12-05 09:30");  // minutes are not rounded up
  EXPECT_EQ(wall_clock_text(kSlot, 8 * kHour, "%H:%M"), "09:30");
}

TEST(WallClockText, AnInstantJustBefore1970StaysInItsOwnSecond) {
  EXPECT_EQ(wall_clock_text(-1, 0, "%Y-%m-%d %H:%M:%S"), "1969-12-31 23:59:59");
  EXPECT_EQ(wall_clock_text(0, -kHour), "1969-12-31 23:00");
}

TEST(WallClockText, AnInstantNoCalendarHoldsIsNoTextNotAnOverflow) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(wall_clock_text(kMax, 8 * kHour), "");
  EXPECT_EQ(wall_clock_text(std::numeric_limits<std::int64_t>::min(), -kHour), "");
}

}  // namespace
}  // namespace fb
