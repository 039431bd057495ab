#include "fb/backend/templates.hpp"

#include <gtest/gtest.h>

#include "fb/common/config.hpp"

namespace fb::backend {
namespace {

Templates load() {
  auto doc = config::parse_json(R"({"version": 1, "default_language": "en",
    "received": {"zh": {"title": "已受理 {case_number}", "text": "转交{team}，{hours}小时内回复"},
                 "en": {"title": "Received {case_number}", "text": "Passed to {team} ({hours} h); {unknown} stays"}}})",
                                "t.json");
  auto t = Templates::load(*doc, "t.json");
  EXPECT_TRUE(t) << t.error().what();
  return *t;
}

TEST(Templates, PicksTheLanguageByPrefixAndFallsBack) {
  auto t = load();
  EXPECT_EQ(t.pick_language("received", "zh-CN"), "zh");
  EXPECT_EQ(t.pick_language("received", "ZH-Hans"), "zh");
  EXPECT_EQ(t.pick_language("received", "zhx"), "en");  // not a prefix at a subtag boundary
  EXPECT_EQ(t.pick_language("received", "de-DE"), "en");
}

TEST(Templates, FillsPlaceholders) {
  auto t = load();
  auto r = t.render("received", "zh-CN",
                    {{"case_number", "FB-2026-000001"}, {"team", "售后服务团队"}, {"hours", "24"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->title, "已受理 FB-2026-000001");
  EXPECT_EQ(r->text, "转交售后服务团队，24小时内回复");
  r = t.render("received", "en", {{"team", "after-sales"}, {"hours", "4"}});
  EXPECT_EQ(r->text, "Passed to after-sales (4 h); {unknown} stays");
  EXPECT_FALSE(t.render("resolved", "en", {}));
}

TEST(Templates, AKindWithoutTheDefaultLanguageIsRefused) {
  auto doc = config::parse_json(R"({"version": 1, "default_language": "en",
    "received": {"zh": {"title": "t", "text": "x"}}})",
                                "t.json");
  auto t = Templates::load(*doc, "t.json");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().detail.find("no text in default language 'en'"), std::string::npos);
}

}  // namespace
}  // namespace fb::backend
