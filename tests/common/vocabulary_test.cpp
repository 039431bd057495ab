// The vocabularies (fb/common/vocabulary.hpp): every value has one key that parses back to it,
// and text that is not a key is refused, whatever it resembles.
#include "fb/common/vocabulary.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace fb {
namespace {

template <typename E>
class EveryVocabulary : public ::testing::Test {};

using Vocabularies = ::testing::Types<wire::Category, wire::CaseStatus, ReportStatus, DeadLetterReason, CaseType,
                                      Priority, VehicleSystem>;
TYPED_TEST_SUITE(EveryVocabulary, Vocabularies);

TYPED_TEST(EveryVocabulary, EveryValueRoundTripsThroughItsOneKey) {
  std::set<std::string_view> keys;
  for (const auto& e : vocabulary<TypeParam>()) {
    EXPECT_EQ(to_string(e.value), e.key);
    EXPECT_EQ(parse<TypeParam>(e.key), e.value) << e.key;
    EXPECT_TRUE(keys.insert(e.key).second) << "twice: " << e.key;
  }
  EXPECT_FALSE(keys.empty());
}

TYPED_TEST(EveryVocabulary, RefusesTextThatIsNotAKey) {
  for (const auto& e : vocabulary<TypeParam>()) {
    std::string upper(e.key), dashed(e.key);
    for (auto& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    for (auto& c : dashed) c = c == '_' ? '-' : c;
    EXPECT_FALSE(parse<TypeParam>(upper)) << upper;
    if (dashed != e.key) {
      EXPECT_FALSE(parse<TypeParam>(dashed)) << dashed;
    }
    EXPECT_FALSE(parse<TypeParam>(std::string(e.key) + " ")) << e.key;
  }
  EXPECT_FALSE(parse<TypeParam>(""));
  EXPECT_FALSE(parse<TypeParam>("no_such_key"));
}

TEST(Vocabulary, WireEnumsUseTheProtoNameWithoutItsPrefix) {
  for (const auto& e : vocabulary<wire::Category>()) {
    std::string name = wire::Category_Name(e.value).substr(std::string_view("CATEGORY_").size());
    for (auto& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    EXPECT_EQ(name, e.key);
  }
  for (const auto& e : vocabulary<wire::CaseStatus>()) {
    EXPECT_EQ(report_status(e.value), parse<ReportStatus>(e.key)) << e.key;
  }
  for (int r = wire::RejectReason_MIN + 1; r <= wire::RejectReason_MAX; ++r) {
    const auto reason = static_cast<wire::RejectReason>(r);
    std::string name = wire::RejectReason_Name(reason).substr(std::string_view("REJECT_").size());
    for (auto& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    EXPECT_EQ(to_string(dead_letter_reason(reason)), name);
  }
}

TEST(Vocabulary, ValuesOutsideTheTableGiveTheFallback) {
  EXPECT_EQ(to_string(wire::CATEGORY_UNSPECIFIED), "other");
  EXPECT_EQ(to_string(static_cast<wire::CaseStatus>(42)), "received");  // from a newer backend
  EXPECT_EQ(report_status(wire::CASE_STATUS_UNSPECIFIED), ReportStatus::received);
  EXPECT_EQ(dead_letter_reason(wire::REJECT_REASON_UNSPECIFIED), DeadLetterReason::internal);
  EXPECT_EQ(dead_letter_reason(static_cast<wire::RejectReason>(77)), DeadLetterReason::internal);
}

TEST(Vocabulary, KeysAreLowercaseSnakeCase) {
  EXPECT_TRUE(is_vocabulary_key("after_sales"));
  EXPECT_TRUE(is_vocabulary_key("team2"));
  EXPECT_FALSE(is_vocabulary_key(""));
  EXPECT_FALSE(is_vocabulary_key("After_sales"));
  EXPECT_FALSE(is_vocabulary_key("after-sales"));
  EXPECT_FALSE(is_vocabulary_key("_x"));
  EXPECT_FALSE(is_vocabulary_key("2x"));
}

// Issue 7 fixes the vehicle systems a case can have (the batch classify command and the teams'
// dashboards use exactly these keys); `other` is the fallback.
TEST(Vocabulary, VehicleSystemsAreExactlyTheIssuesList) {
  std::vector<std::string_view> keys;
  for (const auto& e : vocabulary<VehicleSystem>()) keys.push_back(e.key);
  EXPECT_EQ(keys, (std::vector<std::string_view>{"engine", "transmission", "brakes", "steering", "suspension", "tyres",
                                                 "electrical", "battery", "electric_drive", "body", "restraints",
                                                 "infotainment", "hvac", "adas", "sales", "service", "parts", "charges",
                                                 "other"}));
  EXPECT_EQ(to_string(static_cast<VehicleSystem>(99)), "other");
}

}  // namespace
}  // namespace fb
