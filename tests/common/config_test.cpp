#include "fb/common/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "process.hpp"

namespace fb::config {
namespace {

TEST(Config, ParseErrorNamesFileLineAndColumn) {
  auto r = parse_json("{\n  \"version\": 1,\n  \"x\": [1, 2,,]\n}", "rules.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::parse_error));
  EXPECT_NE(r.error().detail.find("rules.json:3:"), std::string::npos) << r.error().detail;
}

TEST(Config, NumbersOutOfRangeAreAParseErrorNotACrash) {
  auto r = parse_json(R"({"version": 1, "max_batch": 1e999})", "backend.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::parse_error));
  EXPECT_NE(r.error().detail.find("backend.json"), std::string::npos);
}

// A key given twice (an edit that left the old line) is an error naming it, at any depth; the
// same key in two different objects is not.
TEST(Config, AKeyGivenTwiceInOneObjectIsAnError) {
  for (const auto* text :
       {R"({"version": 1, "port": 1883, "port": 8883})", R"({"version": 1, "http": {"listen": "a", "listen": "b"}})",
        R"({"version": 1, "rules": [{"id": "x"}, {"id": "y", "port": 1, "port": 2}]})"}) {
    auto r = parse_json(text, "backend.json");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::parse_error));
    EXPECT_NE(r.error().detail.find("backend.json: key '"), std::string::npos) << r.error().detail;
    EXPECT_NE(r.error().detail.find("' is given twice"), std::string::npos) << r.error().detail;
  }
  auto fine = parse_json(R"({"version": 1, "a": {"id": 1, "n": {"id": 2}}, "b": [{"id": 3}, {"id": 4}], "id": 5})",
                         "f");
  ASSERT_TRUE(fine) << fine.error().what();
  EXPECT_EQ((*fine)["a"]["n"]["id"], 2);
  EXPECT_EQ((*fine)["b"][1]["id"], 4);
}

TEST(Config, MissingFileIsNamed) {
  auto r = load_json("/nonexistent/backend.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::file_not_found));
  EXPECT_EQ(r.error().detail, "/nonexistent/backend.json");
}

TEST(Config, VersionAndTypesAreChecked) {
  auto doc = *parse_json(R"({"version": 2, "n": "x"})", "f");
  auto v = expect_version(doc, 1, "f");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, make_error_code(ConfigErrc::unsupported_version));
  auto n = get<int>(doc, "n", "f");
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().detail.find("key 'n'"), std::string::npos);
  EXPECT_EQ(*get_or<int>(doc, "absent", 5, "f"), 5);
}

// Found by the backend_rules fuzz target: a large float for a count was converted to an unsigned
// integer, undefined behaviour (UBSan). Now every such number is refused with the key named.
TEST(Config, NumbersThatDoNotFitTheirTypeAreRefusedNotConverted) {
  auto doc = *parse_json(
      R"({"huge": 2e56, "fraction": 2.5, "negative": -1, "whole": 5.0, "big": 18446744073709551615,
          "small": -3, "inf_like": 1e308})",
      "backend.json");
  for (const char* key : {"huge", "fraction", "negative"}) {
    auto n = get<std::size_t>(doc, key, "backend.json");
    ASSERT_FALSE(n) << key << " gave " << *n;
    EXPECT_EQ(n.error().code, make_error_code(ConfigErrc::invalid_value));
    EXPECT_NE(n.error().detail.find(std::string("key '") + key + "'"), std::string::npos) << n.error().detail;
  }
  EXPECT_FALSE(get<int>(doc, "big", "f"));
  EXPECT_FALSE(get<float>(doc, "inf_like", "f"));
  EXPECT_EQ(*get<std::size_t>(doc, "whole", "f"), 5u);
  EXPECT_EQ(*get<int>(doc, "small", "f"), -3);
  EXPECT_EQ(*get<std::uint64_t>(doc, "big", "f"), 18446744073709551615ULL);
  EXPECT_DOUBLE_EQ(*get<double>(doc, "huge", "f"), 2e56);
}

}  // namespace
}  // namespace fb::config
