#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    later = new_time_ordered_uuid();
  } while (later.compare(0, 13, first, 0, 13) == 0 && std::chrono::steady_clock::now() < give_up);
  ASSERT_NE(later.substr(0, 13), first.substr(0, 13)) << "the clock did not move for 5 s";
  EXPECT_LT(first, later);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(new_time_ordered_uuid());
  EXPECT_EQ(seen.size(), 1000u) << "the same millisecond: the random bits keep them apart";
}

// Within a millisecond too, ids sort in the order they were made (the counter after the
// millisecond), so that the reports queued in one burst, and acknowledged in that order, sit
// side by side in the car's indexes. Version and variant stay those of RFC 9562.
TEST(Ids, TimeOrderedUuidsMadeInOneMillisecondSortInTheOrderTheyWereMade) {
  std::vector<std::string> ids(20000);
  for (auto& id : ids) id = new_time_ordered_uuid();
  std::size_t same_millisecond = 0;
  for (std::size_t i = 1; i < ids.size(); ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << i;
    if (ids[i].compare(0, 13, ids[i - 1], 0, 13) == 0) ++same_millisecond;
    ASSERT_EQ(ids[i][14], '7');
    ASSERT_TRUE(ids[i][19] == '8' || ids[i][19] == '9' || ids[i][19] == 'a' || ids[i][19] == 'b') << ids[i];
  }
  EXPECT_GT(same_millisecond, 100u) << "the loop never made two ids in one millisecond: nothing was tested";
  // Made on other threads at the same time: still all different, each thread's own in order.
  std::vector<std::vector<std::string>> made(4, std::vector<std::string>(5000));
  std::vector<std::thread> threads;
  threads.reserve(made.size());
  for (auto& m : made) {
    threads.emplace_back([&m] {
      for (auto& id : m) id = new_time_ordered_uuid();
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& m : made) {
    EXPECT_TRUE(std::is_sorted(m.begin(), m.end()));
    all.insert(m.begin(), m.end());
  }
  EXPECT_EQ(all.size(), 20000u);
}

// What fb-car shows of an id, and what a person may type back: the first 8 characters of
// time-ordered ids made in the same minute are the same, so the last 8 are shown.
TEST(Ids, ShortIdsAreTheRandomTailAndNameTheirIdOnly) {
  const std::string a = "0193a8f2-7c10-7abc-8def-0123456789ab";
  const std::string b = "0193a8f2-7c10-7abc-8def-ba9876543210";
  EXPECT_EQ(short_id(a), "456789ab");
  EXPECT_NE(short_id(a), short_id(b));
  EXPECT_TRUE(names_id(a, a));
  EXPECT_TRUE(names_id(a, "456789ab"));
  EXPECT_FALSE(names_id(b, "456789ab"));
  EXPECT_TRUE(names_id(a, "0193a8f2-7c"));  // the first characters still name it
  EXPECT_FALSE(names_id(a, "019"));         // too short to name anything
  EXPECT_FALSE(names_id(a, ""));
  EXPECT_FALSE(names_id(a, "56789ab"));  // a tail that is not the 8 shown
  EXPECT_EQ(short_id("abc"), "abc");
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
