#include "fb/common/utc_offset.hpp"

#include <gtest/gtest.h>

#include <cstdint>

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

}  // namespace
}  // namespace fb
