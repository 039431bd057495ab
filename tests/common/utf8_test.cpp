#include "fb/common/utf8.hpp"

#include <gtest/gtest.h>

namespace fb {
namespace {

TEST(Utf8, AcceptsChineseAndEmoji) {
  EXPECT_TRUE(is_valid_utf8("变速箱换挡顿挫 ok 🚗"));
  EXPECT_EQ(utf8_length("变速箱"), 3u);
  EXPECT_EQ(utf8_length("a🚗"), 2u);
}

TEST(Utf8, FindsTheFirstBadByte) {
  EXPECT_EQ(first_invalid_utf8(std::string("ab\x80", 3)), 2u);            // lone continuation
  EXPECT_EQ(first_invalid_utf8(std::string("\xc0\xaf", 2)), 0u);          // overlong '/'
  EXPECT_EQ(first_invalid_utf8(std::string("x\xed\xa0\x80", 4)), 1u);     // surrogate
  EXPECT_EQ(first_invalid_utf8(std::string("\xf4\x90\x80\x80", 4)), 0u);  // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8(std::string("\xe5\x8f", 2)), 0u);          // truncated
  EXPECT_FALSE(first_invalid_utf8(std::string("\xf4\x8f\xbf\xbf", 4)));   // U+10FFFF is fine
}

TEST(Utf8, PrefixNeverCutsACharacter) {
  const std::string s = "P07异响";  // 3 ASCII bytes, then 3-byte characters
  EXPECT_EQ(utf8_prefix(s, 100), s);
  EXPECT_EQ(utf8_prefix(s, 3), "P07");
  EXPECT_EQ(utf8_prefix(s, 4), "P07");
  EXPECT_EQ(utf8_prefix(s, 5), "P07");
  EXPECT_EQ(utf8_prefix(s, 6), "P07异");
  for (std::size_t n = 0; n <= s.size(); ++n) EXPECT_TRUE(is_valid_utf8(utf8_prefix(s, n))) << n;
}

}  // namespace
}  // namespace fb
