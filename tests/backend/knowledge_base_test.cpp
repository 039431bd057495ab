#include "fb/backend/knowledge_base.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <unistd.h>

#include "fb/common/config.hpp"
#include "paths.hpp"

namespace fb::backend {
namespace {

nlohmann::json deployed_knowledge() {
  auto doc = config::load_json(std::string(test::kRulesDir) + "/knowledge.json");
  EXPECT_TRUE(doc) << doc.error().what();
  return *doc;
}

class Knowledge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto kb = KnowledgeBase::load_file(std::string(test::kRulesDir) + "/knowledge.json");
    ASSERT_TRUE(kb) << kb.error().what();
    kb_ = new KnowledgeBase(std::move(*kb));
  }
  static void TearDownTestSuite() { delete kb_; }

  struct Ask {
    std::string text;
    std::string language = "en";
    std::optional<VehicleSystem> system;
    std::vector<std::string> dtcs;
    std::string model = "Aurora";
    std::string version = "2.4.0";
  };
  static std::optional<KnowledgeMatch> match(const Ask& a) {
    return kb_->match(KnowledgeQuery{a.text, a.language, a.system, a.dtcs, a.model, a.version});
  }
  static std::string id(const Ask& a) {
    auto m = match(a);
    return m ? m->article_id : "none";
  }
  static KnowledgeBase* kb_;
};
KnowledgeBase* Knowledge::kb_ = nullptr;

TEST_F(Knowledge, TheDeployedFileHasItsArticles) { EXPECT_EQ(kb_->size(), 11u); }

TEST_F(Knowledge, AnswersInTheDriversLanguageWithTheEvidence) {
  auto m = match({.text = "中控屏幕卡死，导航和音乐都用不了",
                  .language = "zh-CN",
                  .system = VehicleSystem::infotainment,
                  .version = "2.3.5"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->article_id, "infotainment-freeze-2.4");
  EXPECT_EQ(m->language, "zh");
  EXPECT_NE(m->answer.find("2.4.1"), std::string::npos);
  EXPECT_NE(m->workaround.find("音量旋钮"), std::string::npos);
  EXPECT_EQ(m->why, "keyword:屏幕卡死; system:infotainment; software:2.3.5 in [2.0, 2.4.0]");
  EXPECT_DOUBLE_EQ(m->score, 1 + 1 + 0.25 + 0.25);

  m = match({.text = "THE INFOTAINMENT SCREEN FROZE WHILE DRIVING", .version = "2.3.5"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->article_id, "infotainment-freeze-2.4");
  EXPECT_EQ(m->language, "en");
  EXPECT_NE(m->workaround.find("volume knob"), std::string::npos);
}

TEST_F(Knowledge, SoftwareVersionsCompareNumericallyByDottedParts) {
  const std::string frozen = "the screen froze again";
  EXPECT_EQ(id({.text = frozen, .version = "2.4.0"}), "infotainment-freeze-2.4");
  EXPECT_EQ(id({.text = frozen, .version = "2.4"}), "infotainment-freeze-2.4");  // 2.4 == 2.4.0
  EXPECT_EQ(id({.text = frozen, .version = "2.0"}), "infotainment-freeze-2.4");  // bounds are inclusive
  EXPECT_EQ(id({.text = frozen, .version = "2.4.1"}), "none");                   // the fix
  EXPECT_EQ(id({.text = frozen, .version = "2.10.0"}), "none");                  // not "2.10" < "2.4"
  EXPECT_EQ(id({.text = frozen, .version = "1.9.9"}), "none");
  EXPECT_EQ(id({.text = frozen, .version = ""}), "none");  // unknown: no answer meant for some versions
  EXPECT_EQ(id({.text = frozen, .version = "2.4.0-beta"}), "none");

  EXPECT_EQ(parse_version("2.4.1"), (std::vector<unsigned>{2, 4, 1}));
  EXPECT_EQ(parse_version("2..4"), std::nullopt);
  EXPECT_EQ(parse_version("v2.4"), std::nullopt);
  EXPECT_LT(compare_versions(*parse_version("2.9"), *parse_version("2.10")), 0);
  EXPECT_EQ(compare_versions(*parse_version("3"), *parse_version("3.0.0")), 0);
}

TEST_F(Knowledge, ModelScopeAndDtcs) {
  const std::string drained = "Car won't start after sitting at the airport for a week, 12V battery drained";
  EXPECT_EQ(id({.text = drained, .model = "Meridian"}), "telematics-12v-drain");
  EXPECT_EQ(id({.text = drained, .model = "meridian"}), "telematics-12v-drain");  // case-insensitive
  EXPECT_EQ(id({.text = drained, .model = "Aurora EV"}), "none");                 // no T-Box of that kind
  EXPECT_EQ(id({.text = drained, .model = ""}), "none");
  // A telematics report: no words, only the DTC.
  auto m = match({.text = "", .dtcs = {"P0420", "U0198"}, .model = "Aurora"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->article_id, "telematics-12v-drain");
  EXPECT_EQ(m->why, "dtc:U0198; model:Aurora");
  // The same code with its failure-type suffix (docs/protocol.md) is the same code.
  auto suffixed = match({.text = "", .dtcs = {"U0198-87"}, .model = "Aurora"});
  ASSERT_TRUE(suffixed);
  EXPECT_EQ(suffixed->article_id, "telematics-12v-drain");
  EXPECT_EQ(id({.text = "", .dtcs = {"U0199-87"}, .model = "Aurora"}), "none");

  EXPECT_EQ(id({.text = "It stops charging at 80% every night", .model = "Aurora EV"}), "charge-limit-80");
  EXPECT_EQ(id({.text = "充电到80%就自动停止了，是不是电池有问题", .language = "zh", .model = "Aurora EV"}),
            "charge-limit-80");
  EXPECT_EQ(id({.text = "低速跟车时变速箱一直抖动，起步顿挫", .language = "zh", .model = "Meridian"}),
            "dct-low-speed-shudder");
  EXPECT_EQ(id({.text = "空调有异味，开空调一股霉味", .language = "zh"}), "ac-musty-smell");
  EXPECT_EQ(id({.text = "TPMS light came on after a cold night"}), "tpms-cold-night");
}

TEST_F(Knowledge, UnlessWordsKeepAHarmlessAnswerAwayFromADangerousReport) {
  EXPECT_EQ(id({.text = "My brakes squeal in the morning for the first few stops"}), "brake-squeal-morning");
  EXPECT_EQ(id({.text = "Brake squeal, then the pedal went to the floor and the car did not stop"}), "none");
  EXPECT_EQ(id({.text = "早上刹车异响，今天刹车失灵了", .language = "zh"}), "none");
  EXPECT_EQ(id({.text = "起步顿挫，仪表故障灯亮了", .language = "zh", .model = "Meridian"}), "none");
  EXPECT_EQ(id({.text = "Burning smell from the vents, musty smell too"}), "none");
}

TEST_F(Knowledge, NoSymptomNoAnswer) {
  EXPECT_EQ(id({.text = "The seats are very comfortable", .system = VehicleSystem::infotainment}), "none");
  EXPECT_EQ(id({.text = "", .dtcs = {"P0301"}}), "none");
}

TEST(KnowledgeSpecificity, TheMostSpecificArticleWins) {
  auto doc = config::parse_json(R"({"version": 1, "articles": [
    {"id": "general", "symptoms": {"zh": ["黑屏"], "en": ["black screen"]},
     "answer": {"zh": "通用", "en": "general"}},
    {"id": "scoped", "symptoms": {"zh": ["黑屏"], "en": ["black screen"]}, "models": ["Aurora EV"],
     "software": {"max": "2.4.0"}, "answer": {"zh": "专用", "en": "scoped"}},
    {"id": "by-dtc", "symptoms": {"zh": ["黑屏"], "en": ["black screen"], "dtcs": ["U0184"]},
     "answer": {"zh": "故障码", "en": "by dtc"}}]})",
                                "k.json");
  ASSERT_TRUE(doc);
  auto kb = KnowledgeBase::load(*doc, "k.json");
  ASSERT_TRUE(kb) << kb.error().what();
  const auto best = [&](std::string_view model, std::string_view version, std::vector<std::string> dtcs = {}) {
    auto m = kb->match(KnowledgeQuery{"black screen on start", "en", std::nullopt, dtcs, model, version});
    return m ? m->article_id : "none";
  };
  EXPECT_EQ(best("Aurora EV", "2.3"), "scoped");
  EXPECT_EQ(best("Aurora", "2.3"), "general");     // out of the scoped article's models
  EXPECT_EQ(best("Aurora EV", "2.5"), "general");  // out of its versions
  EXPECT_EQ(best("Aurora EV", "2.3", {"U0184"}), "by-dtc");
  auto m = kb->match(KnowledgeQuery{"黑屏", "zh-TW", std::nullopt, {}, "Aurora", "2.3"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->answer, "通用");
  EXPECT_EQ(m->workaround, "");  // none in the article
}

/// The load error after `edit` on the deployed file, or "loaded".
std::string knowledge_load_error(const std::function<void(nlohmann::json&)>& edit) {
  auto doc = deployed_knowledge();
  edit(doc);
  auto kb = KnowledgeBase::load(doc, "knowledge.json");
  return kb ? std::string("loaded") : kb.error().detail;
}

TEST(KnowledgeLoad, ErrorsNameTheFileAndTheArticle) {
  EXPECT_EQ(knowledge_load_error([](auto&) {}), "loaded");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][1]["id"] = "infotainment-freeze-2.4"; }),
            "knowledge.json: article 'infotainment-freeze-2.4': duplicate id");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][2].erase("id"); }),
            "knowledge.json: article #3: missing 'id'");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][0]["id"] = "Freeze 2.4"; }),
            "knowledge.json: article #1: id 'Freeze 2.4' is not lowercase [a-z0-9_.-]");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][2]["modles"] = d["articles"][2]["models"]; }),
            "knowledge.json: article 'telematics-12v-drain': unknown key 'modles' (id, comment, symptoms, unless, "
            "models, software, answer, workaround)");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][0]["answer"].erase("en"); }),
            "knowledge.json: article 'infotainment-freeze-2.4': answer.en: missing text");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][0]["workaround"]["zh"] = ""; }),
            "knowledge.json: article 'infotainment-freeze-2.4': workaround.zh: missing text");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][0]["software"]["max"] = "2.4.x"; }),
            "knowledge.json: article 'infotainment-freeze-2.4': software.max: '2.4.x' is not a dotted version");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][0]["software"]["min"] = "2.10"; }),
            "knowledge.json: article 'infotainment-freeze-2.4': software: min 2.10 is above max 2.4.0");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][0]["symptoms"]["systems"] = {"screen"}; }),
            "knowledge.json: article 'infotainment-freeze-2.4': symptoms.systems: unknown vehicle system 'screen'");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][2]["symptoms"]["dtcs"] = {"u0198"}; }),
            "knowledge.json: article 'telematics-12v-drain': symptoms.dtcs: 'u0198' is not a DTC (e.g. U0184) or a "
            "prefix (e.g. P07*)");
  EXPECT_EQ(knowledge_load_error([](auto& d) {
              auto& s = d["articles"][0]["symptoms"];
              s.erase("zh");
              s.erase("en");
            }),
            "knowledge.json: article 'infotainment-freeze-2.4': symptoms: needs keywords (zh, en) or dtcs; a system "
            "alone matches too much");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["articles"][0]["symptoms"].erase("zh"); }),
            "knowledge.json: article 'infotainment-freeze-2.4': symptoms: keywords in one language only; drivers "
            "write both");
  EXPECT_EQ(knowledge_load_error([](auto& d) { d["version"] = 2; }).find("knowledge.json"), 0u);
}

TEST(KnowledgeLoad, AFileThatIsNotJsonNamesItsLine) {
  auto kb = KnowledgeBase::load_file("/nonexistent/knowledge.json");
  ASSERT_FALSE(kb);
  EXPECT_EQ(kb.error().code, make_error_code(ConfigErrc::file_not_found));

  const auto path = std::filesystem::temp_directory_path() / ("kb_test_" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << "{\"version\": 1,\n \"articles\": [\n  {\"id\": \"x\",}\n]}\n";
  kb = KnowledgeBase::load_file(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(kb);
  EXPECT_EQ(kb.error().code, make_error_code(ConfigErrc::parse_error));
  EXPECT_NE(kb.error().detail.find(path.string() + ":3:"), std::string::npos) << kb.error().detail;
}

}  // namespace
}  // namespace fb::backend
