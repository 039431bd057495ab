#include "fb/backend/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "paths.hpp"
#include "process.hpp"

namespace fb::backend {
namespace {

TEST(BackendConfig, FileOverridesDefaultsAndPathsAreRelativeToIt) {
  test::TempDir dir;
  std::ofstream(dir / "backend.json") << R"({"version": 1, "broker": "ssl://10.0.0.1:8883", "database": "cases.db",
                                            "ca_file": "/etc/fb/ca.crt", "max_batch": 64})";
  auto c = load_config(dir / "backend.json", default_config());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->mqtt.server_uri, "ssl://10.0.0.1:8883");
  EXPECT_EQ(c->database, std::filesystem::path(dir / "cases.db"));
  EXPECT_EQ(c->mqtt.tls.ca_file, "/etc/fb/ca.crt");
  EXPECT_EQ(c->service.max_batch, 64u);
  EXPECT_EQ(c->mqtt.client_id, "fb-backend");  // untouched default
}

TEST(BackendConfig, ThePostgresKeySelectsPostgreSQLAndIsNoPath) {
  test::TempDir dir;
  std::ofstream(dir / "backend.json") << R"({"version": 1, "postgres": "postgresql://fb@db.example/feedback"})";
  auto c = load_config(dir / "backend.json", default_config());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->postgres, "postgresql://fb@db.example/feedback");  // not made relative to the file
  EXPECT_TRUE(default_config().postgres.empty());                 // SQLite stays the default
  // A server that is not there: open_case_store() went to PostgreSQL, not to the SQLite file.
  c->postgres = "host=" + (dir / "no-server") + " connect_timeout=1";
  c->database = dir / "cases.db";
  auto s = open_case_store(*c);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(StorageErrc::open_failed));
  EXPECT_FALSE(std::filesystem::exists(dir / "cases.db"));
}

TEST(BackendConfig, BadValuesAreNamed) {
  test::TempDir dir;
  std::ofstream(dir / "backend.json") << R"({"version": 1, "max_batch": 0})";
  auto c = load_config(dir / "backend.json", default_config());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("max_batch"), std::string::npos);
  std::ofstream(dir / "b2.json") << R"({"version": 1, "max_batch": "many"})";
  c = load_config(dir / "b2.json", default_config());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, make_error_code(ConfigErrc::invalid_value));
}

TEST(BackendConfig, TheHttpListenAddressNeedsAWholePortAndBracketsAroundIPv6) {
  auto ok = parse_listen("127.0.0.1:8080", "http.listen");
  ASSERT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(ok->address, "127.0.0.1");
  EXPECT_EQ(ok->port, 8080);
  auto v6 = parse_listen("[::1]:65535", "http.listen");
  ASSERT_TRUE(v6) << v6.error().what();
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->port, 65535);
  auto any = parse_listen("127.0.0.1:0", "http.listen");  // any free port (tests, the bench)
  ASSERT_TRUE(any) << any.error().what();
  EXPECT_EQ(any->port, 0);
  for (const char* bad : {"127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:8080x", "8080", ":8080", "127.0.0.1:-1",
                          "127.0.0.1: 80", "::1:8080", "fe80::1", "[::1:8080", "[]:8080"}) {
    auto r = parse_listen(bad, "http.listen");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::invalid_value)) << bad;
    EXPECT_NE(r.error().detail.find(std::string("http.listen '") + bad + "'"), std::string::npos) << r.error().detail;
  }
  test::TempDir dir;
  std::ofstream(dir / "backend.json") << R"({"version": 1, "http": {"listen": "127.0.0.1:70000"}})";
  auto c = load_config(dir / "backend.json", default_config());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("http.listen '127.0.0.1:70000'"), std::string::npos) << c.error().detail;
  EXPECT_NE(c.error().detail.find("backend.json"), std::string::npos) << c.error().detail;
}

TEST(BackendConfig, GroupingComesFromItsOwnSectionAndBadValuesAreNamed) {
  test::TempDir dir;
  std::ofstream(dir / "g.json") << R"({"version": 1, "grouping": {"merge_window_hours": 48, "major_case_vehicles": 3,
                                       "cluster_min_similarity": 0.5}})";
  auto c = load_config(dir / "g.json", default_config());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->grouping.merge_window_ms, 48LL * 3600 * 1000);
  EXPECT_EQ(c->grouping.major_case_vehicles, 3);
  EXPECT_EQ(c->grouping.cluster_min_similarity, 0.5);
  EXPECT_EQ(c->grouping.warning_min_cases, GroupingPolicy{}.warning_min_cases);  // untouched default

  std::ofstream(dir / "bad.json") << R"({"version": 1, "grouping": {"merge_min_similarity": 1.5}})";
  c = load_config(dir / "bad.json", default_config());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("grouping.merge_min_similarity: must be in 0..1"), std::string::npos)
      << c.error().detail;
  std::ofstream(dir / "bad2.json") << R"({"version": 1, "grouping": {"warning_window_hours": 0}})";
  EXPECT_FALSE(load_config(dir / "bad2.json", default_config()));
  // Found by fuzz_backend_rules: a number past any int64 of milliseconds (undefined behaviour).
  for (const auto* text : {R"({"version": 1, "grouping": {"merge_window_hours": 3.3e29}})",
                           R"({"version": 1, "dead_letters": {"retention_days": 1e300}})",
                           R"({"version": 1, "privacy": {"retention_days": 1e20}})"}) {
    std::ofstream(dir / "huge.json") << text;
    auto huge = load_config(dir / "huge.json", default_config());
    ASSERT_FALSE(huge) << text;
    EXPECT_NE(huge.error().detail.find("at most 100 years"), std::string::npos) << huge.error().detail;
  }
}

// The service region's clock: China's by default, another by an explicit signed offset; anything
// else is refused with the key and the form expected, never read as UTC or as hours.
TEST(BackendConfig, TheServiceRegionsUtcOffsetIsSignedHoursAndMinutes) {
  test::TempDir dir;
  EXPECT_EQ(default_config().grouping.utc_offset_ms, 8LL * 3600 * 1000);
  for (const auto& [text, ms] : std::vector<std::pair<std::string, std::int64_t>>{{"+05:30", 330LL * 60 * 1000},
                                                                                  {"-03:00", -3LL * 3600 * 1000},
                                                                                  {"+00:00", 0},
                                                                                  {"+14:00", 14LL * 3600 * 1000},
                                                                                  {"-12:00", -12LL * 3600 * 1000}}) {
    std::ofstream(dir / "z.json") << R"({"version": 1, "utc_offset": ")" << text << R"("})";
    auto c = load_config(dir / "z.json", default_config());
    ASSERT_TRUE(c) << text << ": " << c.error().what();
    EXPECT_EQ(c->grouping.utc_offset_ms, ms) << text;
  }
  for (const auto* text :
       {"8", "+8:00", "+08", "08:00", "+08:07", "+08:60", "+00:75", "+14:15", "-12:30", "+0a:00", "UTC+8", ""}) {
    std::ofstream(dir / "bad.json") << R"({"version": 1, "utc_offset": ")" << text << R"("})";
    auto c = load_config(dir / "bad.json", default_config());
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().detail.find("utc_offset: '" + std::string(text) + "' is not an offset like \"+08:00\""),
              std::string::npos)
        << c.error().detail;
  }
  std::ofstream(dir / "number.json") << R"({"version": 1, "utc_offset": 8})";
  EXPECT_FALSE(load_config(dir / "number.json", default_config()));
}

// A misspelt key is an error naming the file, the section and the key, not a default taken in
// silence: "keyfile" would leave the store unsealed, "shared-group" run every instance's timers.
TEST(BackendConfig, AMisspeltOrMisplacedKeyIsAnErrorNamingIt) {
  test::TempDir dir;
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {R"({"version": 1, "privacy": {"keyfile": "store.keys"}})", "privacy: unknown key 'keyfile'"},
           {R"({"version": 1, "privacy": "store.keys"})", "privacy: must be an object"},
           {R"({"version": 1, "instance": {"shared-group": "b"}})", "instance: unknown key 'shared-group'"},
           {R"({"version": 1, "grouping": {"merge_window": 24}})", "grouping: unknown key 'merge_window'"},
           {R"({"version": 1, "rate_limit": {"per_second": 1, "bursts": 2}})", "rate_limit: unknown key 'bursts'"},
           {R"({"version": 1, "dead_letters": [1]})", "dead_letters: must be an object"},
           {R"({"version": 1, "http": {"port": 8080}})", "http: unknown key 'port'"},
           {R"({"version": 1, "databse": "cases.db"})", "unknown key 'databse'"}}) {
    std::ofstream(dir / "c.json", std::ios::trunc) << text;
    auto c = load_config(dir / "c.json", default_config());
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().code, make_error_code(ConfigErrc::invalid_value)) << text;
    EXPECT_NE(c.error().detail.find(expected), std::string::npos) << c.error().detail;
    EXPECT_NE(c.error().detail.find("c.json"), std::string::npos) << c.error().detail;
  }
  // The shipped file loads.
  EXPECT_TRUE(load_config(std::string(test::kRulesDir) + "/../backend.json", default_config()));
}

TEST(BackendConfig, AnInstanceHasItsNameAsClientIdItsGroupAndItsLease) {
  test::TempDir dir;
  std::ofstream(dir / "i.json") << R"({"version": 1, "instance": {"name": "fb-backend-2",
                                       "shared_group": "backends", "lease_seconds": 30}})";
  auto c = load_config(dir / "i.json", default_config());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->service.instance, "fb-backend-2");
  EXPECT_EQ(c->mqtt.client_id, "fb-backend-2");
  EXPECT_EQ(c->service.shared_group, "backends");
  EXPECT_EQ(c->service.lease_ttl, std::chrono::seconds(30));
  EXPECT_TRUE(c->mqtt.clean_session) << "a group member with a persistent session keeps its share when it dies";
  EXPECT_FALSE(default_config().mqtt.clean_session) << "one instance keeps its session across restarts";
  EXPECT_EQ(default_config().service.instance, "") << "one instance by default: timers without a lease";

  std::ofstream(dir / "bad.json") << R"({"version": 1, "instance": {"shared_group": "a/b"}})";
  c = load_config(dir / "bad.json", default_config());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("instance.shared_group"), std::string::npos) << c.error().detail;
  std::ofstream(dir / "unnamed.json") << R"({"version": 1, "instance": {"shared_group": "backends"}})";
  c = load_config(dir / "unnamed.json", default_config());
  ASSERT_FALSE(c) << "a group of unnamed instances would all run the timers";
  EXPECT_NE(c.error().detail.find("needs a name"), std::string::npos) << c.error().detail;
  std::ofstream(dir / "bad2.json") << R"({"version": 1, "instance": {"lease_seconds": 1}})";
  c = load_config(dir / "bad2.json", default_config());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().detail.find("instance.lease_seconds: must be in 3..3600"), std::string::npos) << c.error().detail;
}

TEST(BackendConfig, TheMqttVersionIsChosenByConfiguration) {
  test::TempDir dir;
  std::ofstream(dir / "v5.json") << R"({"version": 1, "mqtt_version": "5"})";
  auto c = load_config(dir / "v5.json", default_config());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->mqtt.version, mqtt::ProtocolVersion::v5);
  EXPECT_EQ(default_config().mqtt.version, mqtt::ProtocolVersion::v3_1_1);
  std::ofstream(dir / "v4.json") << R"({"version": 1, "mqtt_version": "3.1"})";
  c = load_config(dir / "v4.json", default_config());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, make_error_code(ConfigErrc::invalid_value));
  EXPECT_NE(c.error().detail.find("mqtt_version"), std::string::npos) << c.error().detail;
  EXPECT_NE(c.error().detail.find("'3.1'"), std::string::npos) << c.error().detail;
}

}  // namespace
}  // namespace fb::backend
