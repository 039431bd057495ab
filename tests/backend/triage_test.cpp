#include "fb/backend/triage.hpp"
#include "fb/backend/similarity.hpp"
#include "fb/common/series_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>

#include "../common/report_fixture.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/config.hpp"
#include "paths.hpp"
#include "process.hpp"

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
                                 const std::vector<std::string>& dtcs = {}, wire::Source source = wire::SOURCE_DRIVER,
                                 double speed_kmh = -1) {
    auto env = test::valid_report_envelope(test::kVinA, text);
    auto* r = env.mutable_report();
    r->set_category(category);
    r->set_language(lang);
    r->set_source(source);
    for (auto& d : dtcs) r->add_dtcs(d);
    if (speed_kmh >= 0) {
      r->clear_snapshot();
      auto* s = r->mutable_snapshot()->add_signals();
      s->set_path("Vehicle.Speed");
      s->add_t_ms(0);
      s->add_values(speed_kmh);
    }
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
  EXPECT_FALSE(c.needs_human_triage);
  auto route = rules_->router.route(c);
  EXPECT_EQ(route.team, "rnd_tech_support");
  EXPECT_EQ(route.first_reply_hours, 24);
}

TEST_F(Triage, SafetyWordsMakeItHighPriorityInBothLanguagesWhateverTheButton) {
  for (const auto& [text, lang] : {std::pair{"行驶中刹车失灵，非常危险", "zh"},
                                   std::pair{"Brake failure on the highway, pedal went to the floor", "en"},
                                   std::pair{"Smoke coming from under the dashboard", "en"},
                                   std::pair{"WHILE DRIVING AT 45 MPH THE VEHICLE STALLED AND WAS REAR ENDED", "en"},
                                   std::pair{"高速上突然熄火，差点被追尾", "zh"}}) {
    auto c = classify(wire::CATEGORY_IDEA, text, lang);
    EXPECT_EQ(c.priority, Priority::high) << text;
    EXPECT_EQ(rules_->router.route(c).first_reply_hours, 4) << text;
    EXPECT_TRUE(std::any_of(c.evidence.begin(), c.evidence.end(), [](const std::string& e) {
      return e.starts_with("priority:safety:");
    })) << text;
  }
}

// A car broken down is high (DOMAIN.md); a collision term is a collision, not a feature's name
// ("碰撞预警" holds 撞): asking for a collision warning stays a low suggestion.
TEST_F(Triage, ABreakdownIsHighAndAFeatureNamedAfterCollisionsIsNotASafetyReport) {
  for (const auto& [text, lang] :
       {std::pair{"车子在高速上抛锚了", "zh"}, std::pair{"The car broke down on the highway", "en"},
        std::pair{"被后车撞了，保险杠坏了", "zh"}}) {
    auto c = classify(wire::CATEGORY_OTHER, text, lang);
    EXPECT_EQ(c.priority, Priority::high) << text;
    EXPECT_TRUE(c.safety) << text;
  }
  auto idea = classify(wire::CATEGORY_IDEA, "希望增加碰撞预警功能", "zh");
  EXPECT_EQ(idea.type, CaseType::suggestion);
  EXPECT_EQ(idea.priority, Priority::low);
  EXPECT_FALSE(idea.safety);
}

TEST_F(Triage, ServiceComplaintsGoToAfterSalesWithAServiceSystemEvenFromTheNoiseButton) {
  auto c = classify(wire::CATEGORY_NOISE, "4S店维修延迟了两周，配件价格不合理，服务态度差", "zh-CN");
  EXPECT_EQ(c.type, CaseType::service_complaint);
  EXPECT_TRUE(c.system == VehicleSystem::service || c.system == VehicleSystem::parts ||
              c.system == VehicleSystem::charges)
      << to_string(c.system);
  EXPECT_EQ(rules_->router.route(c).team, "after_sales");
  c = classify(wire::CATEGORY_SERVICE, "The dealer overcharged me, 900 dollars for brake pads");
  EXPECT_EQ(c.type, CaseType::service_complaint);
  EXPECT_EQ(c.system, VehicleSystem::charges);
  c = classify(wire::CATEGORY_SERVICE, "销售说好的送保养，提车的时候不认了", "zh");
  EXPECT_EQ(c.system, VehicleSystem::sales);
}

TEST_F(Triage, SuggestionsAreLowPriorityForProductPlanning) {
  auto c = classify(wire::CATEGORY_IDEA, "希望增加新功能：保养提醒可以直接预约附近的4S店", "zh-CN");
  EXPECT_EQ(c.type, CaseType::suggestion);
  EXPECT_EQ(c.priority, Priority::low);
  auto route = rules_->router.route(c);
  EXPECT_EQ(route.team, "product_planning");
  EXPECT_EQ(route.first_reply_hours, 24);  // the issue's ceiling for every priority
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
  // The longest prefix wins: P0A is the traction battery, not the engine's P0.
  c = classify(wire::CATEGORY_WARNING_LAMP, "", "en", {"P0A7F"}, wire::SOURCE_TELEMATICS);
  EXPECT_EQ(c.system, VehicleSystem::battery);
}

TEST_F(Triage, AWarningLampCountsAsHighOnlyWhileTheCarMoves) {
  auto parked = classify(wire::CATEGORY_WARNING_LAMP, "tire pressure light came on", "en", {}, wire::SOURCE_DRIVER, 0);
  auto moving = classify(wire::CATEGORY_WARNING_LAMP, "tire pressure light came on", "en", {}, wire::SOURCE_DRIVER, 60);
  EXPECT_EQ(parked.system, VehicleSystem::tyres);
  EXPECT_NE(parked.priority, Priority::high);
  EXPECT_EQ(moving.priority, Priority::high);
  EXPECT_NE(std::find(moving.evidence.begin(), moving.evidence.end(), "priority:warning_lamp_while_moving"),
            moving.evidence.end());
}

TEST_F(Triage, TheMovingCheckReadsACompactSnapshotToo) {
  auto env = test::valid_report_envelope(test::kVinA, "tire pressure light came on");
  auto* r = env.mutable_report();
  r->set_category(wire::CATEGORY_WARNING_LAMP);
  r->set_language("en");
  r->mutable_consent()->set_diagnostics(true);
  // Standing for 2 s, then 0.3 km/h: only the compact form's decoded values say it moved.
  const std::vector<series::Point> points = {{-2000, 0}, {-1000, 0}, {0, 0.3}};
  *r->mutable_snapshot()->add_signals() = *series::encode("Vehicle.Speed", points, 0.1);
  ASSERT_TRUE(series::is_compact(r->snapshot().signals(0)));
  ASSERT_EQ(r->snapshot().signals(0).values_size(), 0);
  auto moving = rules_->classifier.classify(*r);
  EXPECT_EQ(moving.priority, Priority::high);

  *r->mutable_snapshot()->mutable_signals(0) = *series::encode("Vehicle.Speed", {{{-1000, 0}, {0, 0}}}, 0.1);
  EXPECT_NE(rules_->classifier.classify(*r).priority, Priority::high);
}

TEST_F(Triage, EnglishLexiconIgnoresEndingsButMatchesWholeWords) {
  // "brakes", "braking" and "brake" are one word; "feels" is not "fee" and "orange" not "range".
  auto c = classify(wire::CATEGORY_OTHER, "the brakes squeal");
  EXPECT_NE(std::find(c.evidence.begin(), c.evidence.end(), "system:lexicon:brake"), c.evidence.end());
  c = classify(wire::CATEGORY_OTHER, "braking is weak");
  EXPECT_NE(std::find(c.evidence.begin(), c.evidence.end(), "system:lexicon:braking"), c.evidence.end());
  c = classify(wire::CATEGORY_DRIVING_FEEL, "The gear change feels harsh");
  EXPECT_EQ(c.type, CaseType::product_fault);
  for (const auto& e : c.evidence) EXPECT_EQ(e.find("lexicon:fee"), std::string::npos) << e;
  c = classify(wire::CATEGORY_OTHER, "an orange light on the dash");
  for (const auto& e : c.evidence) EXPECT_EQ(e.find("lexicon:range"), std::string::npos) << e;
}

TEST_F(Triage, EvidenceNamesTheRulesAndTheModelFeaturesThatDecided) {
  auto c = classify(wire::CATEGORY_NOISE, "Airbag light is on");
  EXPECT_EQ(c.system, VehicleSystem::restraints);
  EXPECT_EQ(c.priority, Priority::high);
  EXPECT_NE(std::find(c.evidence.begin(), c.evidence.end(), "system:lexicon:airbag"), c.evidence.end());
  EXPECT_NE(std::find(c.evidence.begin(), c.evidence.end(), "priority:system:restraints"), c.evidence.end());
  EXPECT_TRUE(std::any_of(c.evidence.begin(), c.evidence.end(),
                          [](const std::string& e) { return e.starts_with("system:model:"); }));
}

TEST_F(Triage, LowConfidenceGoesToHumanTriage) {
  auto vague = classify(wire::CATEGORY_OTHER, "hmm", "en");
  EXPECT_LT(vague.confidence, 0.5);
  EXPECT_TRUE(vague.needs_human_triage);
  auto clear = classify(wire::CATEGORY_DRIVING_FEEL, "变速箱顿挫严重，4S店说正常，已经跑了三次", "zh");
  EXPECT_GT(clear.confidence, 0.5);
  EXPECT_FALSE(clear.needs_human_triage);
  for (const auto& c : {vague, clear}) {
    EXPECT_GE(c.confidence, 0.0);
    EXPECT_LE(c.confidence, 1.0);
  }
}

// The rules alone (no model): lexicon, DTC map, safety terms and the threshold from the file.
nlohmann::json rules_only() {
  return *config::parse_json(R"({"version": 2,
    "lexicon": {
      "types": {"product_fault": {"zh": ["异响"], "en": ["noise"]}, "usage_experience": {"en": ["confusing"]},
                "service_complaint": {"zh": ["4S店"], "en": ["dealer"]}, "suggestion": {"zh": ["建议"], "en": ["please add"]}},
      "systems": {"brakes": {"zh": ["刹车"], "en": ["brake pedal", "brake"]}, "charges": {"en": ["overcharged"]}},
      "safety": {"zh": ["起火"], "en": ["caught fire"]},
      "warning_lamp": {"en": ["warning light"]}},
    "dtc_systems": [{"prefix": "P0", "system": "engine"}, {"prefix": "P07", "system": "transmission"}],
    "safety_dtcs": ["C0035"],
    "category_types": {"idea": "suggestion"},
    "type_priority": {"product_fault": "medium", "usage_experience": "medium", "service_complaint": "medium",
                      "suggestion": "low"},
    "high_priority_systems": ["brakes"],
    "confidence_threshold": 0.6})",
                             "classifier.json");
}

wire::Report report(const std::string& text, const std::vector<std::string>& dtcs = {},
                    wire::Category category = wire::CATEGORY_OTHER) {
  wire::Report r;
  r.set_text(text);
  r.set_category(category);
  for (auto& d : dtcs) r.add_dtcs(d);
  return r;
}

TEST(TriageRulesOnly, LexiconDtcMapSafetyTermsAndThreshold) {
  auto c = Classifier::load(rules_only(), "classifier.json");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_FALSE(c->has_model());
  auto r = c->classify(report("Noise from the BRAKE PEDAL"));
  EXPECT_EQ(r.type, CaseType::product_fault);
  EXPECT_EQ(r.system, VehicleSystem::brakes);
  EXPECT_EQ(r.priority, Priority::high);  // brakes are a high-priority system
  EXPECT_NE(std::find(r.evidence.begin(), r.evidence.end(), "system:lexicon:brake pedal"), r.evidence.end());

  r = c->classify(report("刹车那边有异响"));
  EXPECT_EQ(r.system, VehicleSystem::brakes);

  r = c->classify(report("noise", {"P0741"}));  // P07 is longer than P0
  EXPECT_EQ(r.system, VehicleSystem::transmission);
  EXPECT_NE(std::find(r.evidence.begin(), r.evidence.end(), "system:dtc:P0741"), r.evidence.end());

  r = c->classify(report("建议加一个功能，昨天差点起火", {}, wire::CATEGORY_IDEA));
  EXPECT_EQ(r.type, CaseType::suggestion);
  EXPECT_EQ(r.priority, Priority::high);  // a safety term wins over the type's default
  EXPECT_NE(std::find(r.evidence.begin(), r.evidence.end(), "priority:safety:起火"), r.evidence.end());

  r = c->classify(report("noise", {"C0035"}));
  EXPECT_EQ(r.priority, Priority::high);

  r = c->classify(report("The dealer overcharged me"));
  EXPECT_EQ(r.type, CaseType::service_complaint);
  EXPECT_EQ(r.system, VehicleSystem::charges);

  r = c->classify(report("nothing we know"));  // no signal at all
  EXPECT_EQ(r.system, VehicleSystem::other);
  EXPECT_TRUE(r.needs_human_triage);

  auto doc = rules_only();
  doc["confidence_threshold"] = 0.0;
  auto lenient = Classifier::load(doc, "classifier.json");
  ASSERT_TRUE(lenient);
  EXPECT_FALSE(lenient->classify(report("noise from the brake")).needs_human_triage);
  doc["confidence_threshold"] = 1.0;
  auto strict = Classifier::load(doc, "classifier.json");
  ASSERT_TRUE(strict);
  EXPECT_TRUE(strict->classify(report("noise from the brake")).needs_human_triage);
}

TEST(TriageRulesOnly, BadLexiconsAndThresholdsAreRefusedWithFileAndKey) {
  const auto error = [](const std::function<void(nlohmann::json&)>& edit) {
    auto doc = rules_only();
    edit(doc);
    auto c = Classifier::load(doc, "classifier.json");
    return c ? std::string("loaded") : c.error().detail;
  };
  EXPECT_EQ(error([](auto&) {}), "loaded");
  EXPECT_EQ(error([](auto& d) {
              d["lexicon"]["systems"]["brake"] = {{"en", {"x"}}};
            }),
            "classifier.json: lexicon.systems.brake: unknown vehicle system 'brake'");
  EXPECT_EQ(error([](auto& d) { d["lexicon"]["systems"]["brakes"]["fr"] = {"frein"}; }),
            "classifier.json: lexicon.systems.brakes.fr: unknown language (zh, en)");
  EXPECT_EQ(error([](auto& d) { d["lexicon"]["safety"]["en"] = {"fire, smoke"}; }),
            "classifier.json: lexicon.safety.en[0]: 'fire, smoke' contains punctuation");
  EXPECT_EQ(error([](auto& d) { d["lexicon"]["safety"]["en"] = {"  "}; }),
            "classifier.json: lexicon.safety.en[0]: '  ' must have 1 to 8 words or characters");
  EXPECT_EQ(error([](auto& d) { d["lexicon"]["types"].erase("suggestion"); }),
            "classifier.json: lexicon.types.suggestion missing");
  EXPECT_EQ(error([](auto& d) { d["lexicon"].erase("safety"); }), "classifier.json: lexicon.safety missing");
  EXPECT_EQ(error([](auto& d) { d["lexicon"]["brands"] = nlohmann::json::object(); }),
            "classifier.json: lexicon.brands: unknown group (types, systems, safety, warning_lamp)");
  EXPECT_EQ(error([](auto& d) { d["confidence_threshold"] = 1.5; }),
            "classifier.json: confidence_threshold: 1.500000 outside [0.000000, 1.000000]");
  EXPECT_EQ(error([](auto& d) { d["dtc_systems"][0]["system"] = "gearbox"; }),
            "classifier.json: dtc_systems[0].system: unknown vehicle system 'gearbox'");
  EXPECT_EQ(error([](auto& d) {
              d["high_priority_systems"] = {"brakes", "airbags"};
            }),
            "classifier.json: high_priority_systems: unknown vehicle system 'airbags'");
  EXPECT_EQ(error([](auto& d) { d["category_types"]["driving-feel"] = "product_fault"; }),
            "classifier.json: category_types.driving-feel: unknown report category 'driving-feel'");
  EXPECT_EQ(error([](auto& d) { d["type_priority"]["suggestion"] = "urgent"; }),
            "classifier.json: type_priority.suggestion: unknown priority 'urgent'");
}

TEST(TriageModelFile, MissingOrBrokenModelsAreRefusedWithFileAndLine) {
  test::TempDir dir;
  auto doc = rules_only();
  doc["model"] = "model.txt";
  const auto origin = dir / "classifier.json";
  auto missing = Classifier::load(doc, origin);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, make_error_code(ConfigErrc::file_not_found));

  const auto with_model = [&](const std::string& text) {
    std::ofstream(dir / "model.txt", std::ios::binary | std::ios::trunc) << text;
    auto c = Classifier::load(doc, origin);
    return c ? std::string("loaded") : c.error().detail;
  };
  const std::string header = LinearModel{}.serialize("test");
  EXPECT_EQ(with_model(header), "loaded");
  EXPECT_EQ(with_model(header + "0000002a 0:1.5 4:-2\n"), "loaded");
  const auto at = [&](int line) { return (dir / "model.txt") + ":" + std::to_string(line) + ": "; };
  EXPECT_EQ(with_model(header + "0000002a 0:1.5 99:2\n"), at(4) + "bad weight '99:2'");
  EXPECT_EQ(with_model(header + "zz 0:1\n"), at(4) + "bad feature id 'zz'");
  EXPECT_EQ(with_model(header + "0000002a 0:1\n0000002a 1:1\n"), at(5) + "feature 0000002a twice");
  EXPECT_EQ(with_model("# x\nfb-triage-model 1\nclasses type:product_fault\n"),
            at(3) +
                "the model's classes differ from this build's vocabularies; retrain it (fb-backend "
                "train-classifier)");
  EXPECT_EQ(with_model("hello\n"), at(1) + "not a triage model (expected 'fb-triage-model 1')");
  EXPECT_EQ(with_model(""), (dir / "model.txt") + ": empty or truncated model file");
}

TEST(TriageModelFile, SerializeParsesBackToTheSameWeights) {
  LinearModel m;
  ClassScores w{};
  w[0] = 1.25f;
  w[kSystemOffset + 3] = -0.5f;
  m.set(42, w);
  m.set(7, w);
  auto back = LinearModel::parse(m.serialize("round trip"), "m");
  ASSERT_TRUE(back) << back.error().what();
  ASSERT_NE(back->find(42), nullptr);
  EXPECT_EQ((*back->find(42))[0], 1.25f);
  EXPECT_EQ((*back->find(7))[kSystemOffset + 3], -0.5f);
  EXPECT_EQ(back->find(8), nullptr);
  EXPECT_EQ(back->serialize("round trip"), m.serialize("round trip"));
}

TEST(TriageTokens, WordsAndCjkCharactersAndWhatJoinsThem) {
  std::vector<Token> t;
  tokenize("Brakes FAILED,刹车 4S店", t);
  ASSERT_EQ(t.size(), 6u);
  std::vector<Token> u;
  tokenize("brake fail 刹 车 4s 店", u);
  for (std::size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].hash, u[i].hash) << i;  // case and endings
  EXPECT_FALSE(t[2].joined);                                                        // after the comma
  EXPECT_TRUE(t[3].joined);
  EXPECT_TRUE(t[2].cjk);
  EXPECT_FALSE(t[4].cjk);
  t.clear();
  tokenize("\xff\xfe ok", t);  // invalid UTF-8 is a separator
  ASSERT_EQ(t.size(), 1u);
}

// Chinese input methods type letters and digits full-width: "ｂｒａｋｅｓ", "ＯＴＡ", "Ｐ０３００".
// They are the same words to triage, the similarity features and the knowledge base.
TEST(TriageTokens, FullWidthLettersDigitsAndTheIdeographicSpaceAreReadAsAscii) {
  EXPECT_EQ(fold_width("Ｐ０３００\xE3\x80\x80ＡＢＳ！ｏｋ～"), "P0300 ABS!ok~");
  EXPECT_FALSE(has_width_forms("brakes squeal, 4S店 刹车")) << "nothing to fold: read as it is";
  EXPECT_TRUE(has_width_forms("刹车，"));
  EXPECT_TRUE(has_width_forms("\xE3\x80\x80"));
  EXPECT_EQ(fold_width("刹车，4S店。"), "刹车,4S店。")
      << "the full-width comma is an ASCII form; 。 and ideographs stay";
  EXPECT_EQ(fold_width("\xEF\xBC"), "\xEF\xBC") << "a cut sequence is copied as it is";
  EXPECT_EQ(fold_width("\xEF\xBD\x9F"), "\xEF\xBD\x9F") << "U+FF5F is not an ASCII form";
  std::vector<Token> wide, narrow;
  tokenize(fold_width("ＯＴＡ升级后ｂｒａｋｅｓ"), wide);
  tokenize("OTA升级后brakes", narrow);
  ASSERT_EQ(wide.size(), narrow.size());
  for (std::size_t i = 0; i < wide.size(); ++i) EXPECT_EQ(wide[i].hash, narrow[i].hash) << i;
  EXPECT_DOUBLE_EQ(similarity(text_signature("ＯＴＡ升级后屏幕黑屏"), text_signature("OTA升级后屏幕黑屏")), 1.0);
}

TEST_F(Triage, AReportTypedFullWidthIsClassifiedAsTheSameWordsInAscii) {
  const auto wide = classify(wire::CATEGORY_OTHER, "ｔｈｅ　ｂｒａｋｅｓ　ｆａｉｌｅｄ　ｏｎ　ｔｈｅ　ｈｉｇｈｗａｙ");
  const auto narrow = classify(wire::CATEGORY_OTHER, "the brakes failed on the highway");
  EXPECT_EQ(wide.priority, Priority::high);
  EXPECT_TRUE(wide.safety);
  EXPECT_EQ(wide.system, narrow.system);
  EXPECT_EQ(wide.type, narrow.type);
  const auto explained = classify(wire::CATEGORY_OTHER, "ＣａｒＰｌａｙ断开连接，ＣａｒＰｌａｙ", "zh-CN");
  EXPECT_EQ(explained.system, classify(wire::CATEGORY_OTHER, "CarPlay断开连接，CarPlay", "zh-CN").system);
}

TEST(TriageRules, BadRuleFilesGiveAClearError) {
  auto wrong_shape = *config::load_json(std::string(test::kRulesDir) + "/classifier.json");
  wrong_shape["lexicon"]["systems"] = {{"brakes"}};  // an array where an object belongs
  auto shaped = Classifier::load(wrong_shape, "classifier.json");
  ASSERT_FALSE(shaped);
  EXPECT_NE(shaped.error().detail.find("lexicon.systems: expected an object"), std::string::npos)
      << shaped.error().detail;

  // A misspelt key drops no rule in silence; a safety DTC that no report can carry is refused.
  auto misspelt = *config::load_json(std::string(test::kRulesDir) + "/classifier.json");
  misspelt["high_priority_system"] = misspelt["high_priority_systems"];
  misspelt.erase("high_priority_systems");
  auto typo = Classifier::load(misspelt, "classifier.json");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().detail.find("classifier.json: unknown key 'high_priority_system'"), std::string::npos)
      << typo.error().detail;
  for (const auto& [code, index] : {std::pair{"", "[1]"}, std::pair{"c0035", "[1]"}}) {
    auto bad_dtc = *config::load_json(std::string(test::kRulesDir) + "/classifier.json");
    bad_dtc["safety_dtcs"] = {"C0035", code};
    auto refused = Classifier::load(bad_dtc, "classifier.json");
    ASSERT_FALSE(refused) << code;
    EXPECT_NE(refused.error().detail.find(std::string("safety_dtcs") + index), std::string::npos)
        << refused.error().detail;
  }

  auto doc = *config::parse_json(R"({"version": 1})", "classifier.json");  // the first-cut keyword format
  auto c = Classifier::load(doc, "classifier.json");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, make_error_code(ConfigErrc::unsupported_version));
}

}  // namespace
}  // namespace fb::backend

namespace fb::backend {
namespace {

// The dashboard's brakes and climate tiles (issue 10) send their own categories: a quick tap
// without a word is still classified on the right system and routed by it.
TEST_F(Triage, TheBrakesAndClimateCategoriesNameTheirSystemsEvenWithoutText) {
  auto brakes = classify(wire::CATEGORY_BRAKES, "");
  EXPECT_EQ(brakes.type, CaseType::product_fault);
  EXPECT_EQ(brakes.system, VehicleSystem::brakes);
  EXPECT_EQ(brakes.priority, Priority::high);
  EXPECT_EQ(rules_->router.route(brakes).team, "rnd_tech_support");

  auto climate = classify(wire::CATEGORY_CLIMATE, "");
  EXPECT_EQ(climate.type, CaseType::product_fault);
  EXPECT_EQ(climate.system, VehicleSystem::hvac);
  EXPECT_EQ(rules_->router.route(climate).team, "rnd_tech_support");
}

}  // namespace
}  // namespace fb::backend
