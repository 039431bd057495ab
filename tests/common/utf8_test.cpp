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
  EXPECT_EQ(first_invalid_utf8(std::string("ab\x80", 3)), 2u);                 // lone continuation
  EXPECT_EQ(first_invalid_utf8(std::string("\xc0\xaf", 2)), 0u);               // overlong '/'
  EXPECT_EQ(first_invalid_utf8(std::string("x\xed\xa0\x80", 4)), 1u);         // surrogate
  EXPECT_EQ(first_invalid_utf8(std::string("\xf4\x90\x80\x80", 4)), 0u);       // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8(std::string("\xe5\x8f", 2)), 0u);               // truncated
  EXPECT_FALSE(first_invalid_utf8(std::string("\xf4\x8f\xbf\xbf", 4)));        // U+10FFFF is fine
}

}  // namespace
}  // namespace fb
