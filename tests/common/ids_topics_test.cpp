#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "fb/common/ids.hpp"
#include "fb/common/topics.hpp"

namespace fb {
namespace {

TEST(Ids, UuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto u = new_uuid();
    ASSERT_TRUE(is_uuid(u)) << u;
    EXPECT_EQ(u[14], '4');
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_FALSE(is_uuid("0123456789abcdef0123456789abcdef0123"));
  EXPECT_FALSE(is_uuid("g1234567-89ab-4def-8123-456789abcdef"));
}

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

TEST(Ids, TimeOrderedUuidsAreVersion7CarryTheirMillisecondAndSortByIt) {
  const auto before = unix_ms();
  const auto first = new_time_ordered_uuid();
  const auto after = unix_ms();
  ASSERT_TRUE(is_uuid(first)) << first;
  EXPECT_EQ(first[14], '7');
  EXPECT_TRUE(first[19] == '8' || first[19] == '9' || first[19] == 'a' || first[19] == 'b');
  const auto ms = std::stoull(first.substr(0, 8) + first.substr(9, 4), nullptr, 16);
  EXPECT_GE(ms, before);
  EXPECT_LE(ms, after);
  // An id of a later millisecond sorts after, as text too (the indexes compare text).
  std::string later;
  do {
    later = new_time_ordered_uuid();
  } while (later.compare(0, 13, first, 0, 13) == 0);
  EXPECT_LT(first, later);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(new_time_ordered_uuid());
  EXPECT_EQ(seen.size(), 1000u) << "the same millisecond: the random bits keep them apart";
}

TEST(Ids, VinRulesFollowIso3779) {
  EXPECT_TRUE(is_valid_vin("LSVAX60E5K2000001"));
  EXPECT_FALSE(is_valid_vin("LSVAX60E5K200000"));    // 16
  EXPECT_FALSE(is_valid_vin("LSVAX60E5K20000011"));  // 18
  EXPECT_FALSE(is_valid_vin("LSVAX60E5K200000I"));   // I is not allowed
  EXPECT_FALSE(is_valid_vin("lsvax60e5k2000001"));   // lowercase
  EXPECT_FALSE(is_valid_vin("LSVAX60E5K20000+1"));   // a wildcard would widen an ACL pattern
}

TEST(Topics, BuildAndParse) {
  EXPECT_EQ(topics::reports("LSVAX60E5K2000001"), "vehicles/LSVAX60E5K2000001/reports");
  auto p = topics::parse("vehicles/LSVAX60E5K2000001/receipts");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->vin, "LSVAX60E5K2000001");
  EXPECT_EQ(p->kind, topics::Kind::receipts);
  EXPECT_FALSE(topics::parse("vehicles//reports"));
  EXPECT_FALSE(topics::parse("vehicles/X/other"));
  // The status topic is the car's presence for whoever reads it; the backend's ingest does not.
  EXPECT_EQ(topics::status("LSVAX60E5K2000001"), "vehicles/LSVAX60E5K2000001/status");
  EXPECT_FALSE(topics::parse("vehicles/LSVAX60E5K2000001/status"));
  EXPECT_FALSE(topics::parse("cars/X/reports"));
  EXPECT_FALSE(topics::parse("vehicles/X/reports/extra"));
}

}  // namespace
}  // namespace fb
