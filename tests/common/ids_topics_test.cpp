#include <gtest/gtest.h>

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
