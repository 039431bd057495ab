#include "fb/backend/similarity.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace fb::backend {
namespace {

struct Pair {
  const char* a;
  const char* b;
};

// Two drivers (or one driver twice) describing the same problem in their own words.
const std::vector<Pair> kSameProblem{
    {"变速箱顿挫严重，4S店说正常，已经跑了三次", "变速箱顿挫很严重，去了三次4S店都说是正常的"},
    {"低速时变速箱换挡顿挫，车身抖动", "低速换挡顿挫，而且车身有抖动"},
    {"中控屏幕经常卡死，导航用不了", "导航的时候中控屏幕卡死了"},
    {"WHILE DRIVING AT 45 MPH THE TRANSMISSION SLIPPED AND THE VEHICLE LOST POWER",
     "Transmission slipped while driving at 60 mph and I lost power"},
    {"The infotainment screen freezes when I connect my phone via CarPlay",
     "Infotainment screen froze after connecting phone with CarPlay"},
    {"Brakes squeal loudly every morning", "Loud brake squealing in the morning"},
};

// Different problems that share the everyday words of car reports.
const std::vector<Pair> kDifferentProblems{
    {"变速箱顿挫严重，4S店说正常，已经跑了三次", "空调出风口有霉味，一开空调就臭"},
    {"中控屏幕经常卡死，导航用不了", "刹车的时候方向盘抖动"},
    {"低速时变速箱换挡顿挫，车身抖动", "4S店服务态度很差，维修拖了两周"},
    {"WHILE DRIVING AT 45 MPH THE TRANSMISSION SLIPPED AND THE VEHICLE LOST POWER",
     "The air conditioning smells musty when I turn it on"},
    {"The infotainment screen freezes when I connect my phone via CarPlay",
     "The driver seat belt does not retract properly"},
    {"Brakes squeal loudly every morning", "Transmission slipped while driving at 60 mph and I lost power"},
};

// Same system, different symptom: the shared system word alone must not make a duplicate.
const std::vector<Pair> kSameSystemOtherSymptom{
    {"刹车时有异响，吱吱的声音", "刹车踏板变软，刹车距离变长"},
    {"The screen freezes when navigating", "The screen is too bright at night"},
};

// The threshold a caller would use for "same problem"; the figures below are what the
// signature gives on these pairs today (same: 0.38-1.0, different: 0.0-0.2).
constexpr double kDuplicate = 0.35;

TEST(Similarity, NearDuplicatesScoreAboveDifferentProblemsInBothLanguages) {
  for (const auto& p : kSameProblem) EXPECT_GE(text_similarity(p.a, p.b), kDuplicate) << p.a << " | " << p.b;
  for (const auto& p : kDifferentProblems) EXPECT_LT(text_similarity(p.a, p.b), 0.1) << p.a << " | " << p.b;
  for (const auto& p : kSameSystemOtherSymptom) EXPECT_LT(text_similarity(p.a, p.b), kDuplicate) << p.a << " | " << p.b;
  // Each problem is nearer its restatement than another problem.
  for (std::size_t i = 0; i < kSameProblem.size(); ++i) {
    EXPECT_GT(text_similarity(kSameProblem[i].a, kSameProblem[i].b),
              text_similarity(kDifferentProblems[i].a, kDifferentProblems[i].b))
        << i;
  }
}

TEST(Similarity, CaseOrderNumbersAndStopWordsDoNotMatter) {
  EXPECT_DOUBLE_EQ(text_similarity("TRANSMISSION SLIPPED", "transmission slipped"), 1.0);
  EXPECT_DOUBLE_EQ(text_similarity("slipped transmission", "the transmission slipped"), 1.0);
  EXPECT_DOUBLE_EQ(text_similarity("stalled at 45 mph", "stalls at 70 mph"), 1.0);  // stall, mph
  EXPECT_DOUBLE_EQ(text_similarity("我的刹车异响", "刹车异响了"), 1.0);             // 我, 的, 了 are not symptoms
  EXPECT_DOUBLE_EQ(text_similarity("刹车异响。", "刹车，异响"), 2.0 / 3.0);         // punctuation breaks a bigram
}

TEST(Similarity, EdgeCases) {
  EXPECT_DOUBLE_EQ(text_similarity("", ""), 0.0);  // nothing to compare is not a duplicate
  EXPECT_DOUBLE_EQ(text_similarity("the and of", "the and of"), 0.0);
  EXPECT_DOUBLE_EQ(text_similarity("车", "车"), 1.0);  // a lone ideograph is a token
  EXPECT_DOUBLE_EQ(text_similarity("brake noise", "brake noise"), 1.0);
  const std::string invalid = "brake\xff\xfe noise";
  EXPECT_DOUBLE_EQ(text_similarity(invalid, "brake noise"), 1.0);  // invalid bytes separate words
  const std::string cut = "刹车\xe5";                              // a truncated sequence
  EXPECT_DOUBLE_EQ(text_similarity(cut, "刹车"), 1.0);
}

TEST(Similarity, SignaturesAreDeterministicAndSymmetric) {
  const auto a = text_signature("Infotainment screen froze after connecting phone with CarPlay");
  const auto b = text_signature("Infotainment screen froze after connecting phone with CarPlay");
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_TRUE(std::is_sorted(a.tokens.begin(), a.tokens.end()));
  EXPECT_EQ(std::adjacent_find(a.tokens.begin(), a.tokens.end()), a.tokens.end());
  // Stored signatures stay comparable across builds: FNV-1a 64 of the token's bytes.
  EXPECT_EQ(text_signature("brake").tokens, (std::vector<std::uint64_t>{0xb495171dfde38a30ULL}));
  for (const auto& p : kSameProblem) {
    EXPECT_DOUBLE_EQ(text_similarity(p.a, p.b), text_similarity(p.b, p.a));
  }
}

}  // namespace
}  // namespace fb::backend
