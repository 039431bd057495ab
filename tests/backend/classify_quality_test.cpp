// The shipped classifier on the held-apart test set (data/triage/test.jsonl), the reproducibility
// of the shipped model, and the batch command's line protocol.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "fb/backend/rules.hpp"
#include "fb/backend/triage.hpp"
#include "fb/common/config.hpp"
#include "paths.hpp"

namespace fb::backend {
namespace {

const Rules& shipped_rules() {
  static const Rules rules = [] {
    auto r = load_rules(test::kRulesDir);
    if (!r) throw std::runtime_error(r.error().what());
    return std::move(*r);
  }();
  return rules;
}

std::vector<LabelledReport> corpus(const char* file) {
  auto c = read_labelled_corpus(std::string(test::kTriageDataDir) + "/" + file);
  if (!c) throw std::runtime_error(c.error().what());
  return std::move(*c);
}

TEST(ClassifierQuality, TrainAndTestSetsShareNoText) {
  std::set<std::string> train;
  for (const auto& item : corpus("train.jsonl")) train.insert(ascii_lower(item.text));
  const auto test = corpus("test.jsonl");
  ASSERT_GT(test.size(), 250u);
  for (const auto& item : test) EXPECT_FALSE(train.contains(ascii_lower(item.text))) << item.id;
}

// Floors just under what the shipped model measures (docs/classification.md has the figures).
// Real English complaints are reported on their own: system accuracy on NHTSA's own filing
// (en/nhtsa) is below the issue's 0.75 target, and the floor says what is reached, not the target.
TEST(ClassifierQuality, HeldApartTestSetPerLanguage) {
  const auto scores = evaluate(shipped_rules().classifier, corpus("test.jsonl"));
  for (const char* lang : {"zh", "en"}) {
    SCOPED_TRACE(lang);
    const auto& s = scores.at(lang);
    EXPECT_GE(s.type_macro_f1, 0.96);
    EXPECT_GE(s.safety_recall, 1.0);
    EXPECT_GE(s.system_accuracy, std::string(lang) == "zh" ? 0.90 : 0.74);
  }
  const auto& real = scores.at("en/nhtsa");
  EXPECT_GE(real.items, 90u);
  EXPECT_GE(real.system_accuracy, 0.62);
  EXPECT_GE(real.safety_recall, 1.0);
  const auto& ford = scores.at("en/nhtsa-ford");
  EXPECT_GE(ford.items, 50u);
  EXPECT_GE(ford.system_accuracy, 0.72);
  EXPECT_GE(ford.safety_recall, 1.0);
  EXPECT_GE(scores.at("en/written").system_accuracy, 0.90);
}

TEST(ClassifierQuality, RetrainingReproducesTheShippedModelExactly) {
  const auto rules_file = std::string(test::kRulesDir) + "/classifier.json";
  auto doc = config::load_json(rules_file);
  ASSERT_TRUE(doc) << doc.error().what();
  doc->erase("model");
  auto rules_only = Classifier::load(*doc, rules_file);
  ASSERT_TRUE(rules_only) << rules_only.error().what();
  const auto model = train_model(*rules_only, corpus("train.jsonl")).serialize(kModelComment);
  std::ifstream in(std::string(test::kRulesDir) + "/classifier-model.txt", std::ios::binary);
  std::stringstream shipped;
  shipped << in.rdbuf();
  EXPECT_TRUE(model == shipped.str())
      << "deploy/rules/classifier-model.txt is not what data/triage/train.jsonl trains; run "
         "fb-backend train-classifier --data data/triage --out deploy/rules/classifier-model.txt";
}

TEST(ClassifyCommand, OneLinePerInputInOrderAndBadLinesDoNotStopTheRun) {
  std::istringstream in(
      R"({"id":"a","text":"变速箱顿挫严重,4S店说正常,已经跑了三次","lang":"zh"})"
      "\n"
      "not json\n"
      R"({"id":7,"text":"WHILE DRIVING AT 45 MPH THE TRANSMISSION SLIPPED AND I WAS REAR ENDED","dtcs":["P0700"]})"
      "\n"
      R"({"id":"no-text"})"
      "\n"
      R"({"id":"c","text":"x","category":"driving-feel"})"
      "\n"
      R"({"id":"d","text":"x","lang":"de"})"
      "\n"
      R"({"id":"e","text":"x","dtcs":"P0700"})"
      "\n"
      R"([1,2])"
      "\n"
      R"({"id":"f","text":"please add wireless Android Auto","category":"idea"})"
      "\n");
  std::ostringstream out;
  const auto bad = classify_stream(in, out, shipped_rules().classifier, shipped_rules().router);
  EXPECT_EQ(bad, 6u);
  std::vector<nlohmann::json> lines;
  std::istringstream produced(out.str());
  for (std::string line; std::getline(produced, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[0]["id"], "a");
  EXPECT_EQ(lines[0]["system"], "transmission");
  EXPECT_EQ(lines[0]["type"], "product_fault");
  EXPECT_EQ(lines[1], (nlohmann::json{{"id", nullptr}, {"error", "not valid JSON"}}));
  EXPECT_EQ(lines[2]["id"], 7);
  EXPECT_EQ(lines[2]["priority"], "high");
  EXPECT_EQ(lines[2]["team"], "rnd_tech_support");
  EXPECT_EQ(lines[3], (nlohmann::json{{"id", "no-text"}, {"error", "text: expected a string"}}));
  EXPECT_EQ(lines[4]["error"], "category: unknown report category");
  EXPECT_EQ(lines[5]["error"], "lang: expected \"zh\" or \"en\"");
  EXPECT_EQ(lines[6]["error"], "dtcs: expected an array of strings");
  EXPECT_EQ(lines[7], (nlohmann::json{{"id", nullptr}, {"error", "expected a JSON object"}}));
  EXPECT_EQ(lines[8]["type"], "suggestion");
  EXPECT_EQ(lines[8]["priority"], "low");
  // Exactly the documented fields, in the documented order, with the vocabularies' keys.
  const auto first = out.str().substr(0, out.str().find('\n'));
  EXPECT_TRUE(first.starts_with(R"({"id":"a","type":"product_fault","priority":)")) << first;
  for (const auto& l : {lines[0], lines[2], lines[8]}) {
    EXPECT_EQ(l.size(), 6u) << l.dump();
    EXPECT_TRUE(parse<CaseType>(l["type"].get<std::string>()));
    EXPECT_TRUE(parse<Priority>(l["priority"].get<std::string>()));
    EXPECT_TRUE(parse<VehicleSystem>(l["system"].get<std::string>()));
    EXPECT_GE(l["confidence"].get<double>(), 0.0);
    EXPECT_LE(l["confidence"].get<double>(), 1.0);
  }
}

TEST(ClassifyCommand, ExplainAddsTheTriageFlagAndTheEvidence) {
  std::istringstream in(R"({"id":"a","text":"刹车失灵","lang":"zh"})"
                        "\n");
  std::ostringstream out;
  classify_stream(in, out, shipped_rules().classifier, shipped_rules().router, true);
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["priority"], "high");
  EXPECT_TRUE(j.contains("needs_human_triage"));
  ASSERT_TRUE(j["explanation"].is_array());
  EXPECT_NE(std::find(j["explanation"].begin(), j["explanation"].end(), "priority:safety:刹车失灵"),
            j["explanation"].end());
}

}  // namespace
}  // namespace fb::backend
