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
