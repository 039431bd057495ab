#include "fb/backend/triage.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "../common/report_fixture.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/config.hpp"
#include "paths.hpp"

namespace fb::backend {
namespace {

class Triage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = load_rules(test::kRulesDir);
    ASSERT_TRUE(r) << r.error().what();
    rules_ = new Rules(std::move(*r));
  }
  static void TearDownTestSuite() { delete rules_; }

  static Classification classify(wire::Category category, const std::string& text, const std::string& lang = "en",
                                 const std::vector<std::string>& dtcs = {}, wire::Source source = wire::SOURCE_DRIVER) {
    auto env = test::valid_report_envelope(test::kVinA, text);
    auto* r = env.mutable_report();
    r->set_category(category);
    r->set_language(lang);
    r->set_source(source);
    for (auto& d : dtcs) r->add_dtcs(d);
    return rules_->classifier.classify(*r);
  }
  static Rules* rules_;
};
Rules* Triage::rules_ = nullptr;

TEST_F(Triage, ChineseTransmissionShudderIsAProductFaultOnTheTransmission) {
  auto c = classify(wire::CATEGORY_DRIVING_FEEL, "低速时变速箱换挡顿挫，车身抖动", "zh-CN");
  EXPECT_EQ(c.type, CaseType::product_fault);
  EXPECT_EQ(c.priority, Priority::medium);
  EXPECT_EQ(c.system, VehicleSystem::transmission);
  auto route = rules_->router.route(c);
  EXPECT_EQ(route.team, "rnd_tech_support");
  EXPECT_EQ(route.first_reply_hours, 24);
}

TEST_F(Triage, SafetyWordsMakeItHighPriorityInBothLanguages) {
  for (const auto& [text, lang] : {std::pair{"行驶中刹车失灵，非常危险", "zh"},
                                   std::pair{"Brake failure on the highway, pedal went to the floor", "en"},
                                   std::pair{"Smoke coming from under the dashboard", "en"}}) {
    auto c = classify(wire::CATEGORY_OTHER, text, lang);
    EXPECT_EQ(c.type, CaseType::product_fault) << text;
    EXPECT_EQ(c.priority, Priority::high) << text;
    EXPECT_EQ(rules_->router.route(c).first_reply_hours, 4) << text;
  }
}

TEST_F(Triage, ServiceComplaintsGoToAfterSalesEvenFromTheNoiseButton) {
  auto c = classify(wire::CATEGORY_NOISE, "4S店维修延迟了两周，配件价格不合理，服务态度差", "zh-CN");
  EXPECT_EQ(c.type, CaseType::service_complaint);
  EXPECT_EQ(rules_->router.route(c).team, "after_sales");
  c = classify(wire::CATEGORY_SERVICE, "The dealer overcharged me and the technician was rude.");
  EXPECT_EQ(c.type, CaseType::service_complaint);
  EXPECT_EQ(c.system, VehicleSystem::charges);
}

TEST_F(Triage, SuggestionsAreLowPriorityForProductPlanning) {
  auto c = classify(wire::CATEGORY_IDEA, "希望增加新功能：保养提醒可以直接预约附近的4S店", "zh-CN");
  EXPECT_EQ(c.type, CaseType::suggestion);
  EXPECT_EQ(c.priority, Priority::low);
  auto route = rules_->router.route(c);
  EXPECT_EQ(route.team, "product_planning");
  EXPECT_EQ(route.first_reply_hours, 72);
}

TEST_F(Triage, UsageExperienceOnTheScreen) {
  auto c = classify(wire::CATEGORY_UI, "The navigation menu is not intuitive, I can't find the settings");
  EXPECT_EQ(c.type, CaseType::usage_experience);
  EXPECT_EQ(c.system, VehicleSystem::infotainment);
  EXPECT_EQ(rules_->router.route(c).team, "product_planning");
}

TEST_F(Triage, TelematicsDtcsDecideTypeSystemAndPriority) {
  auto c = classify(wire::CATEGORY_WARNING_LAMP, "", "en", {"P0700"}, wire::SOURCE_TELEMATICS);
  EXPECT_EQ(c.type, CaseType::product_fault);
  EXPECT_EQ(c.system, VehicleSystem::transmission);
  EXPECT_EQ(c.priority, Priority::medium);
  c = classify(wire::CATEGORY_WARNING_LAMP, "", "en", {"C0035"}, wire::SOURCE_TELEMATICS);
  EXPECT_EQ(c.system, VehicleSystem::brakes);
  EXPECT_EQ(c.priority, Priority::high);
}

TEST_F(Triage, EnglishKeywordsMatchWholeWordsOnly) {
  EXPECT_TRUE(contains_word("the brakes squeal", "brake"));
  EXPECT_TRUE(contains_word("harsh shifting", "shift"));
  EXPECT_FALSE(contains_word("it feels odd", "fee"));  // "fee" is a charge, "feels" is not
  EXPECT_FALSE(contains_word("an orange light", "range"));
  EXPECT_TRUE(contains_word("range is short", "range"));
  // "feels" must not turn a driving-feel report into a service complaint about fees.
  auto c = classify(wire::CATEGORY_DRIVING_FEEL, "The gear change feels harsh");
  EXPECT_EQ(c.type, CaseType::product_fault);
}

TEST_F(Triage, EvidenceExplainsTheDecision) {
  auto c = classify(wire::CATEGORY_NOISE, "Airbag light is on");
  EXPECT_NE(std::find(c.evidence.begin(), c.evidence.end(), "priority:keyword:airbag"), c.evidence.end());
}

TEST(TriageRules, BadRuleFilesGiveAClearError) {
  auto doc = *config::parse_json(R"({"version": 1, "teams": {"a": {"en": "A", "zh": "甲"}},
      "rules": [{"when": {"type": "product_faults"}, "team": "a"}], "default_team": "a",
      "first_reply_hours": {"high": 4, "medium": 24, "low": 72}})",
                                 "routing.json");
  auto r = Router::load(doc, "routing.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::invalid_value));
  EXPECT_NE(r.error().detail.find("rules[0].when.type: unknown case type 'product_faults'"), std::string::npos)
      << r.error().detail;

  doc = *config::parse_json(
      R"({"version": 1, "teams": {"a": {"en": "A", "zh": "甲"}}, "rules": [{"when": {}, "team": "b"}],
      "default_team": "a", "first_reply_hours": {"high": 4, "medium": 24, "low": 72}})",
      "routing.json");
  r = Router::load(doc, "routing.json");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("unknown team 'b'"), std::string::npos);

  auto wrong_shape = *config::load_json(std::string(test::kRulesDir) + "/classifier.json");
  wrong_shape["systems"] = {{"system", "brakes"}};  // an object where an array belongs
  auto shaped = Classifier::load(wrong_shape, "classifier.json");
  ASSERT_FALSE(shaped);
  EXPECT_NE(shaped.error().detail.find("systems: expected an array"), std::string::npos) << shaped.error().detail;

  doc = *config::parse_json(R"({"version": 3})", "classifier.json");
  auto c = Classifier::load(doc, "classifier.json");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, make_error_code(ConfigErrc::unsupported_version));
}

// Rule files may name only what the vocabularies define (fb/common/vocabulary.hpp); a typo is a
// load error naming the file and the key, never a rule that silently matches nothing or all.
TEST(TriageRules, NamesOutsideTheVocabulariesAreRefusedWithFileAndKey) {
  const auto classifier_error = [](const std::function<void(nlohmann::json&)>& edit) {
    auto doc = *config::load_json(std::string(test::kRulesDir) + "/classifier.json");
    edit(doc);
    auto c = Classifier::load(doc, "classifier.json");
    return c ? std::string("loaded") : c.error().detail;
  };
  EXPECT_EQ(classifier_error([](auto&) {}), "loaded");
  EXPECT_EQ(classifier_error([](auto& d) { d["systems"][0]["system"] = "brake"; }),
            "classifier.json: systems[0].system: unknown vehicle system 'brake'");
  EXPECT_EQ(classifier_error([](auto& d) { d["dtc_systems"][0]["system"] = "gearbox"; }),
            "classifier.json: dtc_systems[0].system: unknown vehicle system 'gearbox'");
  EXPECT_EQ(classifier_error([](auto& d) { d["category_types"]["driving-feel"] = "product_fault"; }),
            "classifier.json: category_types.driving-feel: unknown report category 'driving-feel'");
  EXPECT_EQ(classifier_error([](auto& d) { d["category_systems"]["ui"] = "screen"; }),
            "classifier.json: category_systems.ui: unknown vehicle system 'screen'");
  EXPECT_EQ(classifier_error([](auto& d) { d["type_priority"]["suggestion"] = "urgent"; }),
            "classifier.json: type_priority.suggestion: unknown priority 'urgent'");
  EXPECT_EQ(classifier_error([](auto& d) { d["default_system"] = "misc"; }),
            "classifier.json: default_system: unknown vehicle system 'misc'");

  const auto router_error = [](const std::function<void(nlohmann::json&)>& edit) {
    auto doc = *config::load_json(std::string(test::kRulesDir) + "/routing.json");
    edit(doc);
    auto r = Router::load(doc, "routing.json");
    return r ? std::string("loaded") : r.error().detail;
  };
  EXPECT_EQ(router_error([](auto&) {}), "loaded");
  EXPECT_EQ(router_error([](auto& d) {
              d["rules"][3]["when"]["system"] = {"infotainment", "ADAS"};
            }),
            "routing.json: rules[3].when.system: unknown vehicle system 'ADAS'");
  EXPECT_EQ(router_error([](auto& d) { d["rules"][0]["when"]["types"] = "suggestion"; }),
            "routing.json: rules[0].when.types: unknown condition (type, priority, system)");
  EXPECT_EQ(router_error([](auto& d) {
              d["teams"]["After-Sales"] = {{"en", "x"}, {"zh", "x"}};
            }),
            "routing.json: teams.After-Sales: a team id is lowercase snake_case");
  EXPECT_EQ(router_error([](auto& d) { d["teams"]["after_sales"].erase("zh"); }),
            "routing.json: teams.after_sales.zh: missing name");
  EXPECT_EQ(router_error([](auto& d) { d["first_reply_hours"]["urgent"] = 1; }),
            "routing.json: first_reply_hours.urgent: unknown priority 'urgent'");
}

}  // namespace
}  // namespace fb::backend
