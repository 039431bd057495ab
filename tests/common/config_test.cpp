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

}  // namespace
}  // namespace fb::config
