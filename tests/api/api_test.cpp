// The service teams' API over real HTTP on loopback: the server, the API and the service with a
// real SQLite store and the fake MQTT client, all on the test thread's io_context and the fake
// clock. Requests are real sockets; waiting is on the socket, never on time.
#include "fb/api/api.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../common/report_fixture.hpp"
#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/backend/analytics.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/sqlite.hpp"
#include "fb/common/topics.hpp"
#include "http_client.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace fb::api {
namespace {

using json = nlohmann::json;
using test::FakeMqtt;

constexpr const char* kAgentRnd = "token-agent-rnd";
constexpr const char* kAgentSales = "token-agent-after-sales";
constexpr const char* kAgentPlanning = "token-agent-planning";
constexpr const char* kLeadSales = "token-lead-after-sales";
constexpr const char* kAdmin = "token-admin";
constexpr const char* kAuditor = "token-auditor";
constexpr const char* kDealerShanghai = "token-dealer-sh";
constexpr const char* kDealerBeijing = "token-dealer-bj";
constexpr std::int64_t kEightHours = std::int64_t{8} * 3600 * 1000;

constexpr const char* kBrakeNoise = "刹车异响，低速时吱吱响";                    // high, brakes: rnd + after_sales
constexpr const char* kServiceComplaint = "4S店服务顾问态度很差，维修等了三天";  // after_sales
constexpr const char* kEngineNoise = "发动机异响，加速时咔咔响";                 // medium, engine: rnd

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(test::kRulesDir, dir_ / "rules");
    mqtt_ = std::make_shared<FakeMqtt::State>();
    auto rules = backend::load_rules(dir_ / "rules");
    ASSERT_TRUE(rules) << rules.error().what();
    backend::GroupingPolicy separate;
    separate.merge_window_ms = 0;  // one case per report: the tests count cases
    auto store = backend::open_sqlite_case_store(dir_ / "cases.db", 0, separate);
    ASSERT_TRUE(store) << store.error().what();
    service_ = std::make_unique<backend::Service>(strand_, clock_, backend::ServiceOptions{}, std::move(*store),
                                                  std::move(*rules), std::make_unique<FakeMqtt>(strand_, mqtt_));
    ASSERT_TRUE(service_->start());
    test::set_connected(*mqtt_, true);
    run();

    std::string lines;
    for (const auto& [token, who] : std::initializer_list<std::pair<const char*, Principal>>{
             {kAgentRnd, {"rui", Role::agent, "rnd_tech_support"}},
             {kAgentSales, {"alice", Role::agent, "after_sales"}},
             {kAgentPlanning, {"pat", Role::agent, "product_planning"}},
             {kLeadSales, {"lena", Role::team_lead, "after_sales"}},
             {kAdmin, {"root", Role::admin, ""}},
             {kAuditor, {"audrey", Role::auditor, ""}},
             {kDealerShanghai, {"wang", Role::dealer, "SH-001"}},
             {kDealerBeijing, {"zhao", Role::dealer, "BJ-002"}}}) {
      lines += TokenStore::line_for(token, who) + "\n";
    }
    auto tokens = TokenStore::parse(lines, "test");
    ASSERT_TRUE(tokens) << tokens.error().what();
    std::vector<std::unique_ptr<backend::CaseStore>> readers;
    for (int i = 0; i < 2; ++i) {  // two, as fb-backend runs it: requests alternate between them
      auto reads = backend::open_sqlite_case_store(dir_ / "cases.db");
      ASSERT_TRUE(reads) << reads.error().what();
      readers.push_back(std::move(*reads));
    }
    auto analytics = backend::open_sqlite_analytics(dir_ / "cases.db");
    ASSERT_TRUE(analytics) << analytics.error().what();
    auto api = Api::create(io_.get_executor(), clock_, *service_, std::move(readers), std::move(*analytics),
                           std::move(*tokens), ApiOptions{{}, dir_ / "rules"});
    ASSERT_TRUE(api) << api.error().what();
    api_ = std::move(*api);
    HttpServerOptions options;
    options.port = 0;
    options.max_body_bytes = std::size_t{8} * 1024;
    server_ = std::make_unique<HttpServer>(io_, options, [this](const HttpRequest& r, Responder done) {
      api_->handle(r, std::move(done));
    });
    ASSERT_TRUE(server_->start());
    client_.emplace(io_, server_->port());
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->stop();
    if (service_) service_->stop();
    run();
  }
  void run() { test::run_ready(io_); }

  /// The case acknowledged, assigned and in progress, as the team moves it (a visit needs it).
  void to_in_progress(const std::string& number) {
    for (const auto& [to, extra] :
         std::initializer_list<std::pair<const char*, json>>{{"acknowledged", json::object()},
                                                             {"assigned", {{"assignee", "alice"}}},
                                                             {"in_progress", json::object()}}) {
      json body = extra;
      body["to"] = to;
      body["reason"] = "step";
      EXPECT_EQ(post("/api/v1/cases/" + number + "/transitions", kAgentSales, body).status, 200);
    }
    complete_publishes();
  }

  /// A car's report through the fake broker, stored and acknowledged; returns its case number.
  std::string report(const std::string& vin, const std::string& text,
                     const std::function<void(wire::Report&)>& edit = {}) {
    auto env = test::valid_report_envelope(vin, text);
    if (edit) edit(*env.mutable_report());
    test::deliver(*mqtt_, mqtt::Message{topics::reports(vin), codec::encode(env)});
    run();
    complete_publishes();
    auto found = client_->get("/api/v1/cases?q=" + vin + "&limit=200", kAdmin);
    EXPECT_EQ(found.status, 200) << found.body;
    const auto page = found.json();
    for (const auto& c : page["items"]) return c["case_number"];
    ADD_FAILURE() << "no case for " << vin << ": " << found.body;
    return {};
  }
  std::vector<std::string> complete_publishes() {
    std::vector<std::string> topics;
    while (test::pending_publishes(*mqtt_) > 0) topics.push_back(test::complete_next(*mqtt_, {}).topic);
    run();
    return topics;
  }
  static std::string vin(int i) {
    auto s = std::to_string(i);
    return std::string("LSVAX60E5K") + std::string(7 - s.size(), '0') + s;
  }
  test::HttpAnswer post(const std::string& target, const std::string& token, const json& body) {
    return client_->post(target, token, body.dump());
  }
  /// A driver's answer from the car on its receipts topic (a visit reply or a callback request).
  void from_car(const std::string& vin, const std::function<void(wire::Envelope&)>& fill) {
    auto env = codec::new_envelope(clock_.epoch_ms());
    fill(env);
    test::deliver(*mqtt_, mqtt::Message{topics::receipts(vin), codec::encode(env)});
    run();
  }
  /// The notifications published to cars since the last call, decoded.
  std::vector<wire::Notification> published_notifications() {
    std::vector<wire::Notification> out;
    while (test::pending_publishes(*mqtt_) > 0) {
      auto p = test::complete_next(*mqtt_, {});
      auto env = codec::decode(p.payload);
      if (env && env->has_notification()) out.push_back(env->notification());
    }
    run();
    return out;
  }
  /// An after-sales case worked to in_progress, with a visit proposed at Shanghai; its id.
  std::string visit_on(const std::string& number) {
    to_in_progress(number);
    const auto day = std::int64_t{24} * 3600 * 1000;
    const auto t = clock_.epoch_ms();
    auto proposed = post("/api/v1/cases/" + number + "/visits", kAgentSales,
                         {{"slots",
                           {{{"dealer_code", "SH-001"},
                             {"dealer_name", "Pudong 4S"},
                             {"start_ms", t + 2 * day},
                             {"end_ms", t + 2 * day + 7'200'000},
                             {"work", "gearbox check"}}}},
                          {"estimate", {{"minor", 80000}, {"currency", "CNY"}}}});
    EXPECT_EQ(proposed.status, 201) << proposed.body;
    return proposed.json()["id"];
  }

  test::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  test::FakeClock clock_;
  std::shared_ptr<FakeMqtt::State> mqtt_;
  std::unique_ptr<backend::Service> service_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  std::optional<test::HttpClient> client_;
};

TEST_F(ApiTest, HealthAndReadinessNeedNoTokenAndReadinessFollowsTheBroker) {
  EXPECT_EQ(client_->get("/healthz").status, 200);
  auto ready = client_->get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["broker"], true);
  EXPECT_EQ(ready.json()["store"], true);
  test::set_connected(*mqtt_, false);
  run();
  ready = client_->get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json()["status"], "not_ready");
}

TEST_F(ApiTest, WithoutAKnownTokenEveryApiCallIs401WithAChallenge) {
  for (const char* token : {"", "not-a-token"}) {
    auto r = client_->get("/api/v1/cases", token);
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
    EXPECT_EQ(r.json()["status"], 401);
  }
  auto me = client_->get("/api/v1/me", kLeadSales);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json(), json({{"name", "lena"},
                             {"role", "team_lead"},
                             {"team", "after_sales"},
                             {"utc_offset_ms", backend::kChinaStandardTimeOffsetMs}}));
}

TEST_F(ApiTest, ATeamSeesItsOwnAndItsCollaborationsAndAnotherTeamsCaseIs403) {
  const auto brakes = report(vin(1), kBrakeNoise);           // rnd, after_sales collaborates
  const auto complaint = report(vin(2), kServiceComplaint);  // after_sales
  const auto engine = report(vin(3), kEngineNoise);          // rnd only

  const auto numbers = [&](const char* token) {
    std::set<std::string> out;
    const auto page = client_->get("/api/v1/cases", token).json();
    for (const auto& c : page["items"]) out.insert(c["case_number"]);
    return out;
  };
  EXPECT_EQ(numbers(kAgentRnd), (std::set<std::string>{brakes, engine}));
  EXPECT_EQ(numbers(kAgentSales), (std::set<std::string>{brakes, complaint}));
  EXPECT_EQ(numbers(kAgentPlanning), std::set<std::string>{});
  EXPECT_EQ(numbers(kAuditor), (std::set<std::string>{brakes, complaint, engine}));

  EXPECT_EQ(client_->get("/api/v1/cases/" + engine, kAgentRnd).status, 200);
  EXPECT_EQ(client_->get("/api/v1/cases/" + brakes, kAgentSales).status, 200);  // collaborating
  auto other = client_->get("/api/v1/cases/" + engine, kAgentSales);
  EXPECT_EQ(other.status, 403);
  EXPECT_NE(other.json()["detail"].get<std::string>().find("rnd_tech_support"), std::string::npos);
  EXPECT_EQ(post("/api/v1/cases/" + engine + "/comments", kAgentSales, {{"text", "mine?"}}).status, 403);
  EXPECT_EQ(client_->get("/api/v1/cases?team=rnd_tech_support", kAgentSales).status, 403);
  EXPECT_EQ(client_->get("/api/v1/cases/FB-2026-999999", kAdmin).status, 404);
}

TEST_F(ApiTest, PersonalDataIsMaskedForTheRolesThatDoNotNeedIt) {
  const auto number = report(vin(4), kBrakeNoise, [](wire::Report& r) {
    r.mutable_consent()->set_location(true);
    r.mutable_location()->set_latitude(31.234567);
    r.mutable_location()->set_longitude(121.476543);
  });
  auto created = post("/api/v1/reports", kAgentSales,
                      {{"channel", "hotline"},
                       {"report_id", new_uuid()},
                       {"vin", vin(5)},
                       {"model", "Aurora EV"},
                       {"text", kServiceComplaint},
                       {"contact", {{"name", "张三丰"}, {"phone", "13800138000"}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string hotline = created.json()["case_number"];

  const auto location = [&](const char* token) {
    return client_->get("/api/v1/cases/" + number, token).json()["reports"][0]["location"];
  };
  EXPECT_DOUBLE_EQ(location(kAdmin)["lat"].get<double>(), 31.234567);
  EXPECT_DOUBLE_EQ(location(kAgentRnd)["lat"].get<double>(), 31.2);  // about 10 km
  EXPECT_EQ(location(kAgentRnd)["coarsened"], true);
  EXPECT_EQ(location(kAuditor), json({{"masked", true}}));

  const auto contact = [&](const char* token) {
    return client_->get("/api/v1/cases/" + hotline, token).json()["contact"];
  };
  EXPECT_EQ(contact(kAgentSales), json({{"name", "张三丰"}, {"phone", "13800138000"}}));
  EXPECT_EQ(contact(kAuditor), json({{"name", "张**"}, {"phone", "*******8000"}, {"masked", true}}));
}

TEST_F(ApiTest, TheListPagesWithACursorWithoutGapsOrRepeatsInEverySort) {
  for (int i = 0; i < 23; ++i) {
    report(vin(100 + i), i % 3 == 0 ? kBrakeNoise : i % 3 == 1 ? kServiceComplaint : kEngineNoise);
    clock_.advance(std::chrono::minutes(7));  // distinct due times
  }
  std::set<std::string> all;  // the cars' cases and the major cases their clusters made
  const auto everything = client_->get("/api/v1/cases?limit=200", kAuditor).json();
  for (const auto& c : everything["items"]) all.insert(c["case_number"]);
  ASSERT_GT(all.size(), 23u);
  for (const char* sort : {"newest", "oldest", "due", "priority"}) {
    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    std::vector<json> items;
    do {
      auto r = client_->get(std::string("/api/v1/cases?limit=10&sort=") + sort +
                                (cursor.empty() ? "" : "&cursor=" + cursor),
                            kAuditor);
      ASSERT_EQ(r.status, 200) << r.body;
      auto page = r.json();
      for (const auto& c : page["items"]) items.push_back(c);
      cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
      ++pages;
    } while (!cursor.empty() && pages < 10);
    EXPECT_EQ(pages, 3) << sort;
    seen.reserve(items.size());
    for (const auto& c : items) seen.push_back(c["case_number"]);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all) << sort;
    EXPECT_EQ(seen.size(), all.size()) << sort << ": a case came twice";
    for (std::size_t i = 1; i < items.size(); ++i) {
      const auto& a = items[i - 1];
      const auto& b = items[i];
      const std::string order = sort;
      if (order == "newest") {
        EXPECT_GT(a["case_number"], b["case_number"]);
      } else if (order == "oldest") {
        EXPECT_LT(a["case_number"], b["case_number"]);
      } else if (order == "due") {
        EXPECT_LE(a["sla"]["next_due_ms"], b["sla"]["next_due_ms"]);
      }
      if (std::string(sort) == "priority") {
        const auto rank = [](const json& c) { return c["priority"] == "high" ? 0 : c["priority"] == "medium" ? 1 : 2; };
        EXPECT_LE(rank(a), rank(b));
      }
    }
  }
  auto first = client_->get("/api/v1/cases?limit=10&sort=due", kAuditor).json();
  auto wrong = client_->get("/api/v1/cases?limit=10&sort=newest&cursor=" + first["next_cursor"].get<std::string>(),
                            kAuditor);
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.json()["detail"].get<std::string>().find("not a cursor of this sort"), std::string::npos);
}

TEST_F(ApiTest, FiltersCombineAndTheSlaFilterFollowsTheClock) {
  const auto brakes = report(vin(10), kBrakeNoise);
  const auto complaint = report(vin(11), kServiceComplaint);
  const auto count = [&](const std::string& query) {
    auto r = client_->get("/api/v1/cases?" + query, kAdmin);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return r.json()["items"].size();
  };
  EXPECT_EQ(count("priority=high"), 1u);
  EXPECT_EQ(count("system=brakes&priority=high"), 1u);
  EXPECT_EQ(count("system=brakes&priority=low"), 0u);
  EXPECT_EQ(count("state=new,acknowledged"), 2u);
  EXPECT_EQ(count("q=" + vin(11)), 1u);
  EXPECT_EQ(count("q=" + complaint), 1u);
  EXPECT_EQ(count("q=%E5%90%B1%E5%90%B1"), 1u);  // 吱吱, words of the brake report
  EXPECT_EQ(count("sla=on_track"), 2u);
  EXPECT_EQ(count("sla=overdue"), 0u);
  // The first-response target is 24 h (high: shorter, routing.conf): a day and a bit later both are overdue.
  clock_.advance(std::chrono::hours(25));
  EXPECT_EQ(count("sla=overdue"), 2u);
  ASSERT_EQ(
      post("/api/v1/cases/" + brakes + "/transitions", kAdmin, {{"to", "acknowledged"}, {"reason", "seen"}}).status,
      200);
  complete_publishes();
  EXPECT_EQ(count("sla=overdue"), 1u);  // answered: its next target is the resolution's, days away
  EXPECT_EQ(count("model=Aurora%20EV"), 2u);
  EXPECT_EQ(count("model=Other"), 0u);
}

TEST_F(ApiTest, ATeamWorksACaseToResolvedAndTheDriverGetsEveryStepAndTheMessage) {
  const auto number = report(vin(20), kServiceComplaint);
  const auto move = [&](const std::string& to, json extra = json::object()) {
    extra["to"] = to;
    extra["reason"] = "step " + to;
    auto r = post("/api/v1/cases/" + number + "/transitions", kAgentSales, extra);
    EXPECT_EQ(r.status, 200) << to << ": " << r.body;
    return complete_publishes();
  };
  EXPECT_EQ(move("acknowledged"), std::vector<std::string>{topics::inbox(vin(20))});
  auto assigned = post("/api/v1/cases/" + number + "/assignment", kAgentSales, {{"assignee", "alice"}});
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(assigned.json()["case"]["state"], "assigned");
  EXPECT_EQ(assigned.json()["case"]["assignee"], "alice");
  complete_publishes();
  move("in_progress");

  auto sent = post("/api/v1/cases/" + number + "/messages", kAgentSales, {{"text", "我们已联系门店，明天给您回电。"}});
  ASSERT_EQ(sent.status, 202) << sent.body;
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  auto published = test::complete_next(*mqtt_, {});
  EXPECT_EQ(published.topic, topics::inbox(vin(20)));
  auto env = codec::decode(published.payload);
  ASSERT_TRUE(env && env->has_notification());
  EXPECT_EQ(env->message_id(), sent.json()["notification_id"].get<std::string>());
  EXPECT_EQ(env->notification().text(), "我们已联系门店，明天给您回电。");
  EXPECT_EQ(env->notification().case_number(), number);
  run();

  auto scripted = post("/api/v1/cases/" + number + "/messages", kAgentSales,
                       {{"template", "progress"}, {"text", "门店经理今天联系您"}});
  ASSERT_EQ(scripted.status, 202) << scripted.body;
  EXPECT_NE(scripted.json()["text"].get<std::string>().find("门店经理今天联系您"), std::string::npos);
  EXPECT_NE(scripted.json()["text"].get<std::string>(), "门店经理今天联系您");  // inside the standard script
  EXPECT_EQ(post("/api/v1/cases/" + number + "/messages", kAgentSales, {{"template", "resolved"}, {"text", "x"}})
                .json()["field"],
            "template");
  complete_publishes();
  ASSERT_EQ(post("/api/v1/cases/" + number + "/comments", kAgentSales, {{"text", "store manager called"}}).status, 201);
  move("resolved");
  auto detail = client_->get("/api/v1/cases/" + number, kAgentSales).json();
  EXPECT_EQ(detail["case"]["state"], "resolved");
  EXPECT_EQ(detail["case"]["sla"]["state"], "met");
  EXPECT_EQ(detail["case"]["allowed"], json({"closed", "reopened"}));
  std::vector<std::string> kinds;
  for (const auto& e : detail["events"]) {
    kinds.push_back(e["kind"]);
    if (e["kind"] == "comment") {
      EXPECT_EQ(e["actor"], "alice");
      EXPECT_EQ(e["detail"], "store manager called");
    }
  }
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "transition"), 4);  // acknowledged, assigned, in_progress, resolved
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "message"), 2);
  std::vector<std::string> told;
  for (const auto& n : detail["notifications"]) told.push_back(n["event"]);
  EXPECT_EQ(told, (std::vector<std::string>{"received", "progress", "routed", "progress", "message", "progress",
                                            "resolved"}));
  EXPECT_EQ(detail["notifications"][4]["text"], "我们已联系门店，明天给您回电。");
}

TEST_F(ApiTest, EveryClassOfBadRequestGetsItsStatusAndNamesTheField) {
  const auto number = report(vin(30), kServiceComplaint);
  const auto target = "/api/v1/cases/" + number + "/transitions";
  struct Case {
    std::string body;
    std::string content_type;
    int status;
    std::string field;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {"{\"to\": ", "application/json", 400, "", "malformed JSON at byte"},
           // A number beyond a double: nlohmann throws out_of_range, not parse_error (fuzz_http
           // found it terminating the process).
           {"{\"to\": 1e999}", "application/json", 400, "", "number overflow"},
           {"[1,2]", "application/json", 400, "", "must be a JSON object"},
           {R"({"to":"acknowledged","reason":"x","colour":"red"})", "application/json", 400, "colour", "unknown field"},
           {R"({"to":5,"reason":"x"})", "application/json", 400, "to", "expected a string"},
           {R"({"reason":"x"})", "application/json", 400, "to", "required"},
           {R"({"to":"flying","reason":"x"})", "application/json", 400, "to", "unknown state"},
           // JSON may escape U+0000; PostgreSQL's text cannot hold it.
           {R"({"to":"acknowledged","reason":"a\u0000b"})", "application/json", 400, "reason", "U+0000 is not text"},
           {R"({"to":"acknowledged","reason":"x"})", "text/plain", 415, "", "application/json"},
           {R"({"to":"closed","reason":"x"})", "application/json", 409, "", "from new: acknowledged, assigned"},
           {"{\"to\":\"acknowledged\",\"reason\":\"" + std::string(9000, 'x') + "\"}", "application/json", 413, "",
            "body above 8192 bytes"},
       }) {
    auto r = client_->post(target, kAgentSales, c.body, c.content_type);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 60) << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    auto p = r.json();
    EXPECT_NE(p["detail"].get<std::string>().find(c.says), std::string::npos) << r.body;
    if (!c.field.empty()) {
      EXPECT_EQ(p["field"], c.field) << r.body;
    }
  }
  EXPECT_EQ(client_->get("/api/v1/cases?limit=0", kAdmin).json()["detail"], "query 'limit': a number from 1 to 200");
  EXPECT_EQ(client_->get("/api/v1/cases?colour=red", kAdmin).status, 400);
  EXPECT_EQ(client_->get("/api/v1/cases?priority=urgent", kAdmin).status, 400);
  EXPECT_EQ(client_->get("/api/v1/nothing", kAdmin).status, 404);
  EXPECT_EQ(client_->send("DELETE", "/api/v1/cases/" + number, kAdmin, "").status, 405);
  EXPECT_EQ(post("/api/v1/cases/" + number + "/comments", kAuditor, {{"text", "x"}}).status, 403);
  EXPECT_EQ(post("/api/v1/cases/" + number + "/merge", kAgentSales, {{"into", number}}).status, 403);
  const auto bad_report = post(
      "/api/v1/reports", kAgentSales,
      {{"channel", "hotline"}, {"report_id", new_uuid()}, {"vin", "SHORT"}, {"model", "Aurora EV"}, {"text", "x"}});
  EXPECT_EQ(bad_report.status, 400);
  EXPECT_EQ(bad_report.json()["field"], "vin") << bad_report.body;
  const auto raw = client_->raw("GARBAGE\r\n\r\n");
  EXPECT_NE(raw.find("400 Bad Request"), std::string::npos) << raw;
  // A HEAD's answer has no body: on a kept-alive connection the next response starts right after
  // its headers.
  const auto head_then_get = client_->raw(
      "HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const auto first_end = head_then_get.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos) << head_then_get;
  EXPECT_EQ(head_then_get.substr(first_end + 4, 9), "HTTP/1.1 ") << head_then_get;
  // A client's "Connection: close" holds on a request refused before the handler.
  const auto bad_path = client_->raw("GET /api/v1/cases/%zz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(bad_path.find("400 Bad Request"), std::string::npos) << bad_path;
  EXPECT_NE(bad_path.find("Connection: close"), std::string::npos) << bad_path;
  // Every answer, refusals too, says its type is what it claims and may not be framed.
  for (const auto* header :
       {"X-Content-Type-Options: nosniff", "X-Frame-Options: DENY", "Referrer-Policy: no-referrer"}) {
    EXPECT_NE(bad_path.find(header), std::string::npos) << header << " not in " << bad_path;
    EXPECT_NE(head_then_get.find(header), std::string::npos) << header << " not in " << head_then_get;
  }
  // The server goes on serving after all of it.
  EXPECT_EQ(client_->get("/healthz").status, 200);
}

TEST_F(ApiTest, AReportFromAnotherChannelIsACaseAndItsResendIsTheSameCase) {
  const json body = {{"channel", "dealer"}, {"report_id", "7b0c3f5e-2a51-4c8e-9d2f-0e6a1b2c3d4e"},
                     {"vin", vin(40)},      {"model", "Aurora EV"},
                     {"text", kBrakeNoise}, {"language", "zh-CN"},
                     {"category", "noise"}};
  auto first = post("/api/v1/reports", kAgentSales, body);
  ASSERT_EQ(first.status, 201) << first.body;
  // The client retries later (its answer was lost): the server stamps another time, still the same report.
  clock_.advance(std::chrono::minutes(3));
  run();
  auto again = post("/api/v1/reports", kAgentSales, body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["case_number"], first.json()["case_number"]);
  EXPECT_EQ(again.json()["duplicate"], true);
  // The same report id with other words is not a retry: refused, and the case keeps the first.
  auto edited = body;
  edited["text"] = "换挡时有顿挫感";
  auto conflict = post("/api/v1/reports", kAgentSales, edited);
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  auto detail = client_->get("/api/v1/cases/" + first.json()["case_number"].get<std::string>(), kAdmin).json();
  EXPECT_EQ(detail["case"]["channel"], "dealer");
  ASSERT_EQ(detail["reports"].size(), 1u) << detail.dump();
  EXPECT_EQ(detail["reports"][0]["source"], "other_channel");
  EXPECT_EQ(detail["reports"][0]["text"], kBrakeNoise);
}

// Without a model year the API takes the one the VIN names (its 10th character, 'K': 2019), not
// the current year: a client retrying after New Year would otherwise send "another" report (409).
TEST_F(ApiTest, AReportWithoutAModelYearTakesTheVinsSoARetryAYearLaterIsStillTheSameReport) {
  const json body = {{"channel", "hotline"}, {"report_id", "0f9e8d7c-6b5a-4c3d-8e1f-2a3b4c5d6e7f"},
                     {"vin", vin(41)},       {"model", "Aurora EV"},
                     {"text", kBrakeNoise},  {"language", "zh-CN"}};
  auto first = post("/api/v1/reports", kAgentSales, body);
  ASSERT_EQ(first.status, 201) << first.body;
  clock_.advance(std::chrono::days(366));
  auto again = post("/api/v1/reports", kAgentSales, body);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["case_number"], first.json()["case_number"]);
}

// The VIN's model year is read by the service region's calendar (UTC+08:00 here), not UTC's: a
// report sent at 02:00 on New Year's Day in Beijing and retried at 14:00 is the same report. 'W'
// names 1998 or 2028; 2028 is not after "next year" once 2027 has begun in Beijing, while UTC's
// calendar still said 2026 at the first send and would have read 1998, then 2028 on the retry.
TEST_F(ApiTest, AVinsModelYearFollowsTheServiceRegionsNewYearSoARetryOnNewYearsDayIsTheSameReport) {
  auto w_vin = vin(43);
  w_vin[9] = 'W';
  const json body = {{"channel", "hotline"}, {"report_id", "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"},
                     {"vin", w_vin},         {"model", "Aurora EV"},
                     {"text", kBrakeNoise},  {"language", "zh-CN"}};
  constexpr std::int64_t kNewYear2027Utc = 1'798'761'600'000;         // 2027-01-01T00:00:00Z
  clock_.set_wall_ms(kNewYear2027Utc - std::int64_t{6} * 3'600'000);  // 02:00 in Beijing, 18:00 on 31 Dec in UTC
  auto first = post("/api/v1/reports", kAgentSales, body);
  ASSERT_EQ(first.status, 201) << first.body;
  clock_.set_wall_ms(kNewYear2027Utc + std::int64_t{6} * 3'600'000);  // 14:00 in Beijing
  auto again = post("/api/v1/reports", kAgentSales, body);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["case_number"], first.json()["case_number"]);
}

// An admin removes a leaked token's line from the token file: the backend refuses the token at
// the next request, without a restart; the others keep working. A file that no longer parses,
// or is gone, refuses every token (fails closed) until it is fixed.
TEST(LiveTokensTest, ALineRemovedFromTheTokenFileRevokesItsTokenAtTheNextRequest) {
  test::TempDir dir;
  const auto file = dir / "tokens";
  const Principal leaked{"mallory", Role::admin, ""}, kept{"alice", Role::agent, "after_sales"};
  const auto leaked_token = TokenStore::new_token(), kept_token = TokenStore::new_token();
  const auto write = [&](const std::string& text) {  // as an editor saves: a new file renamed over
    { std::ofstream(dir / "tokens.new") << text; }
    std::filesystem::rename(dir / "tokens.new", file);
  };
  write(TokenStore::line_for(leaked_token, leaked) + "\n" + TokenStore::line_for(kept_token, kept) + "\n");
  auto loaded = TokenStore::load_file(file);
  ASSERT_TRUE(loaded) << loaded.error().what();
  LiveTokens tokens(std::move(*loaded), file);
  ASSERT_TRUE(tokens.authenticate(leaked_token));
  EXPECT_EQ(tokens.authenticate(kept_token)->name, "alice");

  write(TokenStore::line_for(kept_token, kept) + "\n");
  EXPECT_FALSE(tokens.authenticate(leaked_token)) << "revoked without a restart";
  EXPECT_EQ(tokens.authenticate(kept_token)->name, "alice");

  write("not a token line\n");
  EXPECT_FALSE(tokens.authenticate(kept_token)) << "a broken file fails closed";
  std::filesystem::remove(file);
  EXPECT_FALSE(tokens.authenticate(kept_token)) << "so does a deleted one";
  std::ofstream(file, std::ios::app) << TokenStore::line_for(kept_token, kept) << "\n";  // `fb-backend token add`
  EXPECT_EQ(tokens.authenticate(kept_token)->name, "alice");
  EXPECT_FALSE(tokens.authenticate(leaked_token));

  // An in-place rewrite of the same size (one hash swapped for another) within the same mtime
  // tick: inode, size and time may all be as before, and the swap must still count.
  const Principal other{"alicia", Role::agent, "after_sales"};  // a name of the same length
  const auto other_token = TokenStore::new_token();
  std::ofstream(file, std::ios::trunc) << TokenStore::line_for(other_token, other) << "\n";
  EXPECT_FALSE(tokens.authenticate(kept_token)) << "swapped out in place";
  EXPECT_EQ(tokens.authenticate(other_token)->name, "alicia");

  LiveTokens fixed(TokenStore::parse(TokenStore::line_for(kept_token, kept), "test").value());
  EXPECT_TRUE(fixed.authenticate(kept_token)) << "without a file: the tokens given";
}

// The report id is the client's idempotency key: without it an HTTP retry after a lost response
// would be a second case, so it is required; so is a model year the VIN does not name.
TEST_F(ApiTest, AReportFromAnotherChannelNeedsItsIdAndAModelYearTheServerCannotGuessDifferentlyOnARetry) {
  json body = {{"channel", "hotline"}, {"vin", vin(42)}, {"model", "Aurora EV"}, {"text", kBrakeNoise}};
  auto without_id = post("/api/v1/reports", kAgentSales, body);
  EXPECT_EQ(without_id.status, 400) << without_id.body;
  EXPECT_EQ(without_id.json()["field"], "report_id") << without_id.body;
  body["report_id"] = new_uuid();
  auto not_a_vin = vin(42);
  not_a_vin[9] = 'O';  // no VIN has O, I or Q: the VIN is what is wrong, not a missing year
  body["vin"] = not_a_vin;
  auto bad_vin = post("/api/v1/reports", kAgentSales, body);
  EXPECT_EQ(bad_vin.status, 400) << bad_vin.body;
  EXPECT_EQ(bad_vin.json()["field"], "vin") << bad_vin.body;
  auto vin_without_year = vin(42);
  vin_without_year[9] = '0';  // '0' is no model-year code
  body["vin"] = vin_without_year;
  auto without_year = post("/api/v1/reports", kAgentSales, body);
  EXPECT_EQ(without_year.status, 400) << without_year.body;
  EXPECT_EQ(without_year.json()["field"], "model_year") << without_year.body;
  body["model_year"] = 2024;
  auto created = post("/api/v1/reports", kAgentSales, body);
  ASSERT_EQ(created.status, 201) << created.body;
  clock_.advance(std::chrono::days(366));
  auto again = post("/api/v1/reports", kAgentSales, body);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["case_number"], created.json()["case_number"]);
}

TEST_F(ApiTest, LeadsMergeSplitAndLinkAndTheAuditNamesThem) {
  const auto a = report(vin(50), kServiceComplaint);
  const auto b = report(vin(50), "服务态度差，接待敷衍");
  const auto other_car = report(vin(51), kServiceComplaint);
  auto refused = post("/api/v1/cases/" + a + "/merge", kLeadSales, {{"into", other_car}});
  EXPECT_EQ(refused.status, 409);
  auto merged = post("/api/v1/cases/" + a + "/merge", kLeadSales, {{"into", b}});
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["case"]["reports"], 2);
  EXPECT_EQ(client_->get("/api/v1/cases/" + a, kLeadSales).json()["case"]["state"], "closed");
  const auto detail = client_->get("/api/v1/cases/" + b, kLeadSales).json();
  const std::string moved = detail["reports"][0]["report_id"];
  auto split = post("/api/v1/cases/" + b + "/split", kLeadSales, {{"report_id", moved}});
  ASSERT_EQ(split.status, 200) << split.body;
  const std::string fresh = split.json()["case"]["case_number"];
  EXPECT_NE(fresh, b);
  EXPECT_EQ(split.json()["case"]["reports"], 1);
  EXPECT_EQ(client_->get("/api/v1/cases/" + b, kLeadSales).json()["case"]["reports"], 1);
  EXPECT_EQ(post("/api/v1/cases/" + b + "/split", kLeadSales, {{"report_id", moved}}).status, 409);
  EXPECT_EQ(post("/api/v1/cases/" + b + "/parent", kLeadSales, {{"major_case_number", fresh}}).status, 409);
  bool audited = false;
  const auto audit = client_->get("/api/v1/cases/" + b, kLeadSales).json();
  for (const auto& e : audit["events"]) {
    if (e["kind"] == "merged_from") audited = e["actor"] == "lena" && e["detail"] == a;
  }
  EXPECT_TRUE(audited);
}

TEST_F(ApiTest, LeadsTriageTheCasesTheClassifierWasNotSureOfAndTheQueueEmpties) {
  const auto vague = report(vin(60), "感觉不太对劲");  // the classifier's confidence: 0.10
  const auto clear = report(vin(61), kServiceComplaint);
  auto queue = client_->get("/api/v1/cases?needs_triage=true", kAdmin);
  ASSERT_EQ(queue.status, 200) << queue.body;
  ASSERT_EQ(queue.json()["items"].size(), 1u) << queue.body;
  EXPECT_EQ(queue.json()["items"][0]["case_number"], vague);
  EXPECT_TRUE(queue.json()["items"][0]["needs_triage"].get<bool>());
  const auto others = client_->get("/api/v1/cases?needs_triage=false", kAdmin).json()["items"];
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0]["case_number"], clear);
  EXPECT_EQ(client_->get("/api/v1/cases?needs_triage=yes", kAdmin).status, 400);

  const auto metric = [&] {
    const auto body = client_->get("/metrics").body;
    const auto at = body.find("\nfb_cases_awaiting_triage ");
    return at == std::string::npos ? std::string("none") : body.substr(at + 26, body.find('\n', at + 1) - at - 26);
  };
  EXPECT_EQ(metric(), "1");
  const auto triage = "/api/v1/cases/" + vague + "/triage";
  EXPECT_EQ(post(triage, kAgentPlanning, {{"type", "service_complaint"}, {"reason", "mine"}}).status, 403);
  EXPECT_EQ(post(triage, kAuditor, {{"type", "service_complaint"}, {"reason", "mine"}}).status, 403);
  auto no_reason = post(triage, kAdmin, {{"type", "service_complaint"}});
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_EQ(no_reason.json()["field"], "reason");
  auto bad_priority = post(triage, kAdmin, {{"priority", "urgent"}, {"reason", "r"}});
  EXPECT_EQ(bad_priority.status, 400);
  EXPECT_EQ(bad_priority.json()["field"], "priority");
  auto bad_team = post(triage, kAdmin, {{"team", "marketing"}, {"reason", "r"}});
  EXPECT_EQ(bad_team.status, 400) << bad_team.body;
  EXPECT_EQ(bad_team.json()["field"], "team");
  EXPECT_EQ(post(triage, kAdmin, {{"reason", "r"}, {"colour", "red"}}).status, 400);
  EXPECT_EQ(post(triage, kAdmin, {{"reason", "r"}, {"seen", {{"priority", "urgent"}}}}).status, 400);
  // Read as high priority, but it is not: the case changed since, read it again.
  auto stale = post(triage, kAdmin, {{"priority", "low"}, {"reason", "r"}, {"seen", {{"priority", "high"}}}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_TRUE(client_->get("/api/v1/cases/" + vague, kAdmin).json()["case"]["needs_triage"].get<bool>());

  // The driver complains of the dealer: a service complaint, routed to after-sales by routing.conf.
  auto done = post(triage, kAdmin, {{"type", "service_complaint"}, {"system", "service"}, {"reason", "the dealer"}});
  ASSERT_EQ(done.status, 200) << done.body;
  const auto c = done.json()["case"];
  EXPECT_EQ(c["type"], "service_complaint");
  EXPECT_EQ(c["team"], "after_sales");
  EXPECT_FALSE(c["needs_triage"].get<bool>());
  EXPECT_TRUE(client_->get("/api/v1/cases?needs_triage=true", kAdmin).json()["items"].empty());
  EXPECT_EQ(metric(), "0");
  // Its new team sees it now, and the audit says who decided what.
  const auto seen = client_->get("/api/v1/cases/" + vague, kLeadSales);
  ASSERT_EQ(seen.status, 200) << seen.body;
  bool audited = false;
  const auto events = seen.json()["events"];
  for (const auto& e : events) {
    if (e["kind"] == "triage") {
      audited = e["actor"] == "root" && e["detail"].get<std::string>().find("the dealer") != std::string::npos;
    }
  }
  EXPECT_TRUE(audited) << events.dump();
  // The lead of after-sales corrects the priority of its case; another team's case is not its to triage.
  const auto raised = post(triage, kLeadSales, {{"priority", "high"}, {"reason", "a safety threat"}}).json()["case"];
  EXPECT_EQ(raised["priority"], "high");
  EXPECT_EQ(raised["team"], "after_sales");  // routing.conf: every service complaint
  const auto rnd = report(vin(62), kEngineNoise);
  EXPECT_EQ(post("/api/v1/cases/" + rnd + "/triage", kLeadSales, {{"priority", "low"}, {"reason", "r"}}).status, 403);
  // After-sales collaborates on a brake case R&D owns: it sees it, but does not triage it away.
  const auto brakes = report(vin(63), kBrakeNoise);
  ASSERT_EQ(client_->get("/api/v1/cases/" + brakes, kLeadSales).status, 200);
  auto taken = post("/api/v1/cases/" + brakes + "/triage", kLeadSales, {{"team", "after_sales"}, {"reason", "ours"}});
  EXPECT_EQ(taken.status, 403) << taken.body;
  EXPECT_EQ(client_->get("/api/v1/cases/" + brakes, kAdmin).json()["case"]["team"], "rnd_tech_support");
  // A case an instance of the build before v14 closed with its flag still set is not shown as
  // waiting for triage: nobody can triage it.
  ASSERT_TRUE(sql::Database::open(dir_ / "cases.db")
                  ->exec("UPDATE cases SET needs_triage = 1, status = 'closed' WHERE number = '" + clear + "'"));
  EXPECT_FALSE(client_->get("/api/v1/cases/" + clear, kAdmin).json()["case"]["needs_triage"].get<bool>());
}

TEST_F(ApiTest, PrivacyExportThenEraseLeavesNothingOfTheVinButTheStatistics) {
  const auto number = report(vin(60), kBrakeNoise);
  ASSERT_EQ(post("/api/v1/cases/" + number + "/messages", kAgentRnd, {{"text", "Please visit a dealer"}}).status, 202);
  ASSERT_EQ(post("/api/v1/cases/" + number + "/transitions", kAgentRnd,
                 {{"to", "acknowledged"}, {"reason", "called Mr Zhang at home"}})
                .status,
            200);
  complete_publishes();
  EXPECT_EQ(client_->get("/api/v1/privacy/export?vin=" + vin(60), kAgentRnd).status, 403);
  auto exported = client_->get("/api/v1/privacy/export?vin=" + vin(60), kAdmin);
  ASSERT_EQ(exported.status, 200) << exported.body;
  ASSERT_EQ(exported.json()["cases"].size(), 1u);
  EXPECT_EQ(exported.json()["cases"][0]["reports"][0]["text"], kBrakeNoise);

  auto erased = post("/api/v1/privacy/erase", kAdmin, {{"vin", vin(60)}});
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(erased.json()["cases"], 1);
  EXPECT_EQ(erased.json()["reports"], 1);
  EXPECT_EQ(erased.json()["notifications"], 3);  // received, message, progress
  EXPECT_EQ(erased.json()["subject"], backend::privacy_subject("vin", vin(60)));
  EXPECT_EQ(client_->get("/api/v1/privacy/export?vin=" + vin(60), kAdmin).json()["cases"].size(), 0u);
  auto after = client_->get("/api/v1/cases/" + number, kAdmin).json();
  EXPECT_EQ(after["case"]["vin"], "");
  EXPECT_EQ(after["case"]["system"], "brakes");  // the statistics stay
  EXPECT_EQ(after["reports"][0]["erased"], true);
  EXPECT_EQ(after["notifications"].size(), 0u);
  const auto dump = after.dump();
  EXPECT_EQ(dump.find("Please visit"), std::string::npos);
  EXPECT_EQ(dump.find("Mr Zhang"), std::string::npos);
  EXPECT_EQ(dump.find(vin(60)), std::string::npos);
  // Nothing goes to the erased car any more, and the erasure is audited.
  EXPECT_EQ(post("/api/v1/cases/" + number + "/messages", kAdmin, {{"text", "hello"}}).status, 400);
  auto db = sql::Database::open(dir_ / "cases.db");
  EXPECT_EQ(*db->query_int("SELECT count(*) FROM privacy_audit WHERE action IN ('export', 'erase')"), 3);
}

TEST_F(ApiTest, AContactFollowsItsReportAndErasingAPhoneTakesOnlyThatCallersWords) {
  const auto call = [&](const std::string& text, const std::string& phone) {
    auto r = post("/api/v1/reports", kAgentSales,
                  {{"channel", "hotline"},
                   {"report_id", new_uuid()},
                   {"vin", vin(95)},
                   {"model", "Aurora EV"},
                   {"text", text},
                   {"contact", {{"name", "王五"}, {"phone", phone}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["case_number"].get<std::string>();
  };
  const auto first = call("服务顾问态度差，电话不回", "13900000001");
  const auto second = call("保养等了五个小时没人管", "13900000002");
  // A number PostgreSQL would cut at U+0000, or that is not UTF-8, is refused, not stored.
  for (const std::string bad : {"139\\u000000000003", "139\xff"}) {
    auto r = client_->post("/api/v1/reports", kAgentSales,
                           R"({"channel":"hotline","report_id":")" + new_uuid() + R"(","vin":")" + vin(95) +
                               R"(","model":"Aurora EV","text":"x","contact":{"name":"王五","phone":")" + bad +
                               R"("}})");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  ASSERT_EQ(post("/api/v1/cases/" + first + "/merge", kLeadSales, {{"into", second}}).status, 200);
  auto exported = client_->get("/api/v1/privacy/export?phone=13900000001", kAdmin).json();
  ASSERT_EQ(exported["cases"].size(), 1u);  // found through its report, now in the other case
  EXPECT_EQ(exported["cases"][0]["case"]["case_number"], second);
  auto erased = post("/api/v1/privacy/erase", kAdmin, {{"phone", "13900000001"}});
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(erased.json()["reports"], 1);
  EXPECT_EQ(erased.json()["contacts"], 1);
  const auto after = client_->get("/api/v1/cases/" + second, kAdmin).json();
  std::vector<std::string> texts;
  for (const auto& r : after["reports"]) texts.push_back(r.value("text", "[erased]"));
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"[erased]", "保养等了五个小时没人管"}));
  EXPECT_EQ(after["contact"]["phone"], "13900000002");
}

TEST_F(ApiTest, ALeadLinksOnlyToAMajorCaseItsTeamMaySee) {
  std::string major;
  for (int i = 0; i < 5 && major.empty(); ++i) {  // five cars with the same brake noise make a major case
    report(vin(200 + i), kBrakeNoise);
    const auto clusters = client_->get("/api/v1/clusters", kAdmin).json();
    for (const auto& c : clusters["items"]) major = c["major_case_number"];
  }
  ASSERT_FALSE(major.empty());
  const auto complaint = report(vin(210), kServiceComplaint);  // after_sales
  const auto major_team = client_->get("/api/v1/cases/" + major, kAdmin).json()["case"]["team"];
  ASSERT_EQ(major_team, "rnd_tech_support");
  const auto linked = post("/api/v1/cases/" + complaint + "/parent", kLeadSales, {{"major_case_number", major}});
  // The brake major case's team is R&D, with after-sales collaborating: visible, so allowed.
  const bool visible = client_->get("/api/v1/cases/" + major, kLeadSales).status == 200;
  EXPECT_EQ(linked.status, visible ? 200 : 403)
      << linked.body << "\nmajor as admin sees it: " << client_->get("/api/v1/cases/" + major, kAdmin).body;
  const auto engine_major = [&] {
    for (int i = 0; i < 5; ++i) report(vin(220 + i), kEngineNoise);
    const auto clusters = client_->get("/api/v1/clusters", kAdmin).json();
    for (const auto& c : clusters["items"]) {
      auto n = c["major_case_number"].get<std::string>();
      if (!n.empty() && n != major) return n;
    }
    return std::string();
  }();
  ASSERT_FALSE(engine_major.empty());
  EXPECT_EQ(post("/api/v1/cases/" + complaint + "/parent", kLeadSales, {{"major_case_number", engine_major}}).status,
            403);  // R&D's alone
}

TEST_F(ApiTest, KnowledgeEditsAreCheckedAndTakeEffectWithoutARestart) {
  auto list = client_->get("/api/v1/knowledge", kAgentSales);
  ASSERT_EQ(list.status, 200);
  const auto before = list.json()["articles"].size();
  json article = {{"symptoms", {{"zh", json::array({"座椅加热不热"})}, {"en", json::array({"seat heating cold"})}}},
                  {"answer", {{"zh", "请升级到 3.3"}, {"en", "Update to 3.3"}}}};
  EXPECT_EQ(client_->put("/api/v1/knowledge/seat-heating", kAgentSales, article.dump()).status, 403);
  json broken = article;
  broken["answer"].erase("en");
  auto refused = client_->put("/api/v1/knowledge/seat-heating", kLeadSales, broken.dump());
  ASSERT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.json()["detail"].get<std::string>().find("seat-heating"), std::string::npos) << refused.body;
  EXPECT_EQ(client_->get("/api/v1/knowledge", kAgentSales).json()["articles"].size(), before);
  auto added = client_->put("/api/v1/knowledge/seat-heating", kLeadSales, article.dump());
  ASSERT_EQ(added.status, 201) << added.body;
  run();
  EXPECT_EQ(client_->get("/api/v1/knowledge", kAgentSales).json()["articles"].size(), before + 1);
  // A new report with the symptom gets the answer at once.
  const auto number = report(vin(70), "座椅加热不热，冬天很冷");
  bool answered = false;
  const auto told = client_->get("/api/v1/cases/" + number, kAdmin).json();
  for (const auto& n : told["notifications"]) {
    answered = answered ||
               (n["event"] == "workaround" && n["text"].get<std::string>().find("3.3") != std::string::npos);
  }
  EXPECT_TRUE(answered);
  EXPECT_EQ(client_->put("/api/v1/routing", kLeadSales, R"({"text":"x"})").status, 403);
  auto bad_routing = client_->put("/api/v1/routing", kAdmin, R"({"text":"route nonsense"})");
  EXPECT_EQ(bad_routing.status, 400);
  EXPECT_NE(bad_routing.json()["detail"].get<std::string>().find("routing.conf:1"), std::string::npos)
      << bad_routing.body;
}

TEST_F(ApiTest, MetricsCountCasesByStateAndRecordLatencies) {
  report(vin(80), kBrakeNoise);
  report(vin(81), kServiceComplaint);
  client_->get("/api/v1/nothing", kAdmin);
  auto m = client_->get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  // Whole lines: "... 2" must not pass for 20.
  for (const char* line :
       {"fb_cases{state=\"new\"} 2", "fb_cases{state=\"closed\"} 0", "fb_reports_accepted_total 2",
        "fb_ingest_latency_seconds_count 2", "fb_http_responses_total{class=\"4xx\"} 1", "fb_callbacks_waiting 0",
        "fb_callback_pickup_seconds_bucket{le=\"60\"} 0", "fb_callback_pickup_seconds_count 0", "fb_dead_letters 0",
        "fb_notifications_undelivered 2"}) {
    EXPECT_NE(m.body.find("\n" + std::string(line) + "\n"), std::string::npos) << line << "\n" << m.body;
  }
  // The notifications' PUBACKs may still be on their way: the histogram is whole, whatever it holds.
  const auto value = [&](const std::string& name) {
    const auto at = m.body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(m.body.substr(at + name.size() + 2));
  };
  const auto sent = value("fb_notify_latency_seconds_count");
  EXPECT_GE(sent, 0.0) << m.body;
  EXPECT_LE(sent, 2.0) << m.body;
  EXPECT_EQ(value("fb_notify_latency_seconds_bucket{le=\"+Inf\"}"), sent) << m.body;
}

TEST_F(ApiTest, TheDashboardCountsWhatTheCallerMaySeeAndTheMonthlyReportComesInThreeFormats) {
  report(vin(90), kBrakeNoise);        // rnd, after_sales collaborates
  report(vin(91), kServiceComplaint);  // after_sales
  report(vin(92), kEngineNoise);       // rnd
  const auto number = report(vin(93), kServiceComplaint);
  ASSERT_EQ(post("/api/v1/cases/" + number + "/transitions", kAgentSales, {{"to", "acknowledged"}, {"reason", "seen"}})
                .status,
            200);
  complete_publishes();
  const auto created = [&](const char* token, const std::string& query = "") {
    auto r = client_->get("/api/v1/dashboard" + query, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["cases_created"];
  };
  EXPECT_EQ(created(kAdmin), 4);
  EXPECT_EQ(created(kAgentSales), 3);  // its own two and the brakes it collaborates on
  EXPECT_EQ(created(kAgentRnd), 2);
  EXPECT_EQ(created(kAdmin, "?team=rnd_tech_support"), 2);
  const auto sales = client_->get("/api/v1/dashboard", kAgentSales).json();
  EXPECT_EQ(sales["first_response_24h"]["target"], 0.95);
  // Answered within 24 h: 1 of 1 eligible; the two unanswered ones are not 24 h old, not yet eligible.
  EXPECT_EQ(sales["first_response_24h"]["rate"], 1.0);
  EXPECT_EQ(created(kAgentPlanning), 0);
  EXPECT_EQ(client_->get("/api/v1/dashboard", kAgentPlanning).json()["first_response_24h"]["rate"], nullptr);
  EXPECT_EQ(client_->get("/api/v1/dashboard?team=rnd_tech_support", kAgentSales).status, 403);
  EXPECT_EQ(client_->get("/api/v1/dashboard?from_ms=yesterday", kAdmin).json()["field"], "from_ms");
  // to_ms less 30 days would overflow an int64 here: refused, not computed.
  EXPECT_EQ(client_->get("/api/v1/dashboard?to_ms=-9223372036854775807", kAdmin).json()["field"], "to_ms");
  EXPECT_EQ(client_->get("/api/v1/dashboard?from_ms=9007199254740992", kAdmin).json()["field"], "from_ms");
  EXPECT_EQ(client_->get("/api/v1/dashboard?colour=red", kAdmin).status, 400);

  const auto month = [&](const std::string& query) {
    return client_->get("/api/v1/reports/monthly?" + query, kAuditor);
  };
  auto j = month("month=2026-05");
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(j.json()["cases"], 4);  // the fake clock starts on 2026-05-28
  auto html = month("month=2026-05&format=html&lang=zh");
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_NE(html.body.find("<svg"), std::string::npos);
  auto csv = month("month=2026-05&format=csv");
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_NE(csv.body.find("brakes"), std::string::npos);
  EXPECT_EQ(month("month=2026-13").status, 400);
  EXPECT_EQ(month("format=csv").status, 400);
  EXPECT_EQ(month("month=2026-05&format=pdf").status, 400);
}

TEST_F(ApiTest, TheOpenApiDescriptionNamesEveryRouteTheServerAnswers) {
  auto doc = client_->get("/openapi.json");
  ASSERT_EQ(doc.status, 200);
  auto j = doc.json();
  ASSERT_TRUE(j.is_object()) << doc.body.substr(0, 200);
  EXPECT_EQ(j["openapi"].get<std::string>().substr(0, 2), "3.");
  for (const char* path : {"/healthz",
                           "/readyz",
                           "/metrics",
                           "/api/v1/me",
                           "/api/v1/cases",
                           "/api/v1/cases/{number}",
                           "/api/v1/cases/{number}/transitions",
                           "/api/v1/cases/{number}/assignment",
                           "/api/v1/cases/{number}/triage",
                           "/api/v1/cases/{number}/comments",
                           "/api/v1/cases/{number}/messages",
                           "/api/v1/cases/{number}/merge",
                           "/api/v1/cases/{number}/split",
                           "/api/v1/cases/{number}/parent",
                           "/api/v1/reports",
                           "/api/v1/clusters",
                           "/api/v1/dashboard",
                           "/api/v1/reports/monthly",
                           "/api/v1/knowledge",
                           "/api/v1/knowledge/{id}",
                           "/api/v1/routing",
                           "/api/v1/privacy/export",
                           "/api/v1/privacy/erase",
                           "/api/v1/cases/{number}/visits",
                           "/api/v1/visits",
                           "/api/v1/visits/{id}",
                           "/api/v1/visits/{id}/slots",
                           "/api/v1/visits/{id}/stages",
                           "/api/v1/visits/{id}/approvals",
                           "/api/v1/visits/{id}/cancel",
                           "/api/v1/callbacks",
                           "/api/v1/callbacks/{id}/pickup",
                           "/api/v1/callbacks/{id}/outcome"}) {
    EXPECT_TRUE(j["paths"].contains(path)) << path;
  }
}

// Offered at two dealers, booked at one, then the driver asks for other times: the other dealer,
// which sees the visit again for its own slot, learns nothing of the first one (docs/visits.md).
TEST_F(ApiTest, ADealerNeverLearnsWhichOtherDealerWasOfferedOrBookedAVisit) {
  const auto car = vin(61);
  const auto number = report(car, kServiceComplaint);
  to_in_progress(number);
  const auto day = std::int64_t{24} * 3600 * 1000;
  const auto t = clock_.epoch_ms();
  const auto slot = [&](const char* code, const char* name, std::int64_t start) {
    return json{{"dealer_code", code},
                {"dealer_name", name},
                {"start_ms", start},
                {"end_ms", start + 7'200'000},
                {"work", "gearbox check"}};
  };
  auto proposed = post("/api/v1/cases/" + number + "/visits", kAgentSales,
                       {{"slots",
                         {slot("SH-001", "Pudong 4S", t + 2 * day), slot("BJ-002", "Chaoyang 4S", t + 3 * day)}},
                        {"estimate", {{"minor", 80000}, {"currency", "CNY"}}}});
  ASSERT_EQ(proposed.status, 201) << proposed.body;
  const std::string id = proposed.json()["id"];
  auto offered = published_notifications();
  ASSERT_EQ(offered.size(), 1u);
  // The team filtering by a dealer sees the visits whole, every dealer's slots.
  auto filtered = client_->get("/api/v1/visits?dealer=BJ-002", kAgentSales);
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  ASSERT_EQ(filtered.json()["items"].size(), 1u) << filtered.body;
  EXPECT_EQ(filtered.json()["items"][0]["slots"].size(), 2u) << filtered.body;
  std::string shanghai_slot;
  for (const auto& sl : offered[0].visit().slots())
    if (sl.dealer_code() == "SH-001") shanghai_slot = sl.slot_id();
  from_car(car, [&](wire::Envelope& e) {
    e.mutable_visit_reply()->set_visit_id(id);
    e.mutable_visit_reply()->set_action(wire::VisitReply::PICK_SLOT);
    e.mutable_visit_reply()->set_slot_id(shanghai_slot);
  });
  published_notifications();
  EXPECT_EQ(client_->get("/api/v1/visits/" + id, kDealerBeijing).status, 404);  // booked elsewhere: not its visit
  from_car(car, [&](wire::Envelope& e) {
    e.mutable_visit_reply()->set_visit_id(id);
    e.mutable_visit_reply()->set_action(wire::VisitReply::RESCHEDULE);
    e.mutable_visit_reply()->set_reason("another day please");
  });
  published_notifications();
  auto seen = client_->get("/api/v1/visits/" + id, kDealerBeijing);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.body.find("SH-001"), std::string::npos) << seen.body;
  EXPECT_EQ(seen.body.find("Pudong"), std::string::npos) << seen.body;
  EXPECT_NE(seen.body.find("BJ-002"), std::string::npos) << seen.body;
  // The team and the dealer it was booked with still see everything.
  EXPECT_NE(client_->get("/api/v1/visits/" + id, kAgentSales).body.find("SH-001"), std::string::npos);
  EXPECT_NE(client_->get("/api/v1/visits/" + id, kDealerShanghai).body.find("Pudong"), std::string::npos);
}

TEST_F(ApiTest, ADealerSeesOnlyItsVisitsEntersStagesInOrderAndNeedsApprovalForExtraCost) {
  const auto car = vin(60);
  const auto number = report(car, kServiceComplaint);
  const auto id = visit_on(number);
  auto offered = published_notifications();
  ASSERT_EQ(offered.size(), 1u);
  ASSERT_TRUE(offered[0].has_visit());
  const auto slot = offered[0].visit().slots(0).slot_id();

  EXPECT_EQ(client_->get("/api/v1/visits", kDealerBeijing).json()["items"].size(), 0u);
  EXPECT_EQ(client_->get("/api/v1/visits/" + id, kDealerBeijing).status, 404);            // not even that it exists
  EXPECT_EQ(client_->get("/api/v1/visits", kDealerShanghai).json()["items"].size(), 1u);  // its slot is offered
  EXPECT_EQ(client_->get("/api/v1/cases", kDealerShanghai).status, 403);
  EXPECT_EQ(client_->get("/api/v1/visits/" + id, kAgentRnd).status, 403);  // another team's case
  EXPECT_EQ(post("/api/v1/visits/" + id + "/cancel", kAgentRnd, {{"reason", "x"}}).status, 403);
  EXPECT_EQ(post("/api/v1/visits/" + id + "/cancel", kAuditor, {{"reason", "x"}}).status, 403);
  EXPECT_EQ(client_->get("/api/v1/callbacks", kDealerShanghai).status, 403);
  EXPECT_EQ(post("/api/v1/cases/" + number + "/visits", kDealerShanghai, json::object()).status, 403);

  from_car(car, [&](wire::Envelope& e) {
    e.mutable_visit_reply()->set_visit_id(id);
    e.mutable_visit_reply()->set_action(wire::VisitReply::PICK_SLOT);
    e.mutable_visit_reply()->set_slot_id(slot);
  });
  auto booked = published_notifications();
  ASSERT_EQ(booked.size(), 1u);
  EXPECT_EQ(booked[0].visit().stage(), wire::VISIT_BOOKED);
  auto visit = client_->get("/api/v1/visits/" + id, kDealerShanghai).json();
  EXPECT_EQ(visit["state"], "booked");
  EXPECT_EQ(visit["booked"]["id"], slot);
  EXPECT_NE(visit["vin"].get<std::string>(), car);  // a dealer reads the VIN at check-in, not here
  // The estimate is the service team's word to the driver (the ceiling the repair needs no
  // approval under): a dealer re-offering times cannot move it.
  const auto now = clock_.epoch_ms();
  auto raised = post("/api/v1/visits/" + id + "/slots", kDealerShanghai,
                     {{"slots",
                       {{{"dealer_code", "SH-001"},
                         {"dealer_name", "Pudong 4S"},
                         {"start_ms", now + 3 * std::int64_t{86'400'000}},
                         {"end_ms", now + 3 * std::int64_t{86'400'000} + 7'200'000},
                         {"work", "gearbox check"}}}},
                      {"estimate", {{"minor", 1'000'000'000}, {"currency", "USD"}}}});
  EXPECT_EQ(raised.status, 403) << raised.body;
  visit = client_->get("/api/v1/visits/" + id, kDealerShanghai).json();
  EXPECT_EQ(visit["state"], "booked");
  EXPECT_EQ(visit["estimate"]["currency"], "CNY") << visit.dump();
  EXPECT_EQ(visit["estimate"]["minor"], 80000) << visit.dump();

  const auto stage = [&](const char* token, const json& body) {
    return post("/api/v1/visits/" + id + "/stages", token, body);
  };
  auto early = stage(kDealerShanghai, {{"stage", "diagnosis"}, {"findings", "x"}});
  ASSERT_EQ(early.status, 409) << early.body;
  EXPECT_NE(early.json()["detail"].get<std::string>().find("the next stage is checked_in"), std::string::npos);
  EXPECT_EQ(stage(kDealerBeijing, {{"stage", "checked_in"}}).status, 404);
  EXPECT_EQ(stage(kAgentSales, {{"stage", "checked_in"}}).status, 403);
  EXPECT_EQ(stage(kDealerShanghai, {{"stage", "booked"}}).json()["field"], "stage");
  for (const json& body :
       {json{{"stage", "checked_in"}, {"ready_at_ms", clock_.epoch_ms() + kEightHours}}, json{{"stage", "inspection"}},
        json{{"stage", "diagnosis"}, {"findings", "worn clutch pack"}, {"dtcs", {"P0700"}}}}) {
    auto r = stage(kDealerShanghai, body);
    ASSERT_EQ(r.status, 200) << body.dump() << ": " << r.body;
    auto told = published_notifications();
    ASSERT_EQ(told.size(), 1u) << body.dump();
    EXPECT_EQ(told[0].visit().ready_at_ms(), clock_.epoch_ms() + kEightHours);
  }
  const json over = {
      {"stage", "repair"},
      {"parts", {{{"name", "clutch pack"}, {"quantity", 1}, {"unit_price", {{"minor", 70000}, {"currency", "CNY"}}}}}},
      {"labour", {{"minor", 30000}, {"currency", "CNY"}}}};
  auto refused = stage(kDealerShanghai, over);
  ASSERT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.json()["code"], "visit:extra cost needs the driver's approval");
  EXPECT_NE(refused.json()["detail"].get<std::string>().find("by 200.00 CNY"), std::string::npos) << refused.body;

  auto asked = post("/api/v1/visits/" + id + "/approvals", kDealerShanghai,
                    {{"amount", {{"minor", 20000}, {"currency", "CNY"}}}, {"reason", "clutch housing seal"}});
  ASSERT_EQ(asked.status, 201) << asked.body;
  auto prompt = published_notifications();
  ASSERT_EQ(prompt.size(), 1u);
  EXPECT_EQ(prompt[0].visit().extra_cost().approval_id(), asked.json()["id"].get<std::string>());
  EXPECT_EQ(stage(kDealerShanghai, over).status, 409);  // still waiting for the driver
  from_car(car, [&](wire::Envelope& e) {
    e.mutable_visit_reply()->set_visit_id(id);
    e.mutable_visit_reply()->set_action(wire::VisitReply::APPROVE_EXTRA);
    e.mutable_visit_reply()->set_approval_id(asked.json()["id"].get<std::string>());
  });
  auto repaired = stage(kDealerShanghai, over);
  ASSERT_EQ(repaired.status, 200) << repaired.body;
  EXPECT_EQ(repaired.json()["approved_extra"]["minor"], 20000);
  EXPECT_EQ(repaired.json()["approvals"][0]["state"], "approved");
  EXPECT_EQ(stage(kDealerShanghai, {{"stage", "quality_check"}}).json()["field"], "passed");
}

TEST_F(ApiTest, ACallbackIsPickedUpByOneAgentAndTheCarHearsOfItTwice) {
  const auto car = vin(61);
  const auto number = report(car, kServiceComplaint);
  std::string report_id;
  {
    auto detail = client_->get("/api/v1/cases/" + number, kAgentSales).json();
    report_id = detail["reports"][0]["report_id"];
  }
  std::string callback_id;
  from_car(car, [&](wire::Envelope& e) {
    callback_id = e.message_id();
    e.mutable_callback_request()->set_report_id(report_id);
    e.mutable_callback_request()->set_language("zh-CN");
  });
  auto queue = client_->get("/api/v1/callbacks", kAgentSales);
  ASSERT_EQ(queue.status, 200) << queue.body;
  ASSERT_EQ(queue.json()["items"].size(), 1u);
  const auto item = queue.json()["items"][0];
  EXPECT_EQ(item["id"], callback_id);
  EXPECT_EQ(item["case_number"], number);
  EXPECT_EQ(item["due_ms"].get<std::int64_t>() - item["requested_ms"].get<std::int64_t>(), 60'000);
  EXPECT_EQ(queue.json()["target_ms"], 60'000);
  EXPECT_EQ(client_->get("/api/v1/callbacks", kAgentRnd).json()["items"].size(), 0u);  // another team's queue

  clock_.advance(std::chrono::seconds(42));
  EXPECT_EQ(post("/api/v1/callbacks/" + callback_id + "/pickup", kAuditor, json::object()).status, 403);
  auto picked = post("/api/v1/callbacks/" + callback_id + "/pickup", kAgentSales, json::object());
  ASSERT_EQ(picked.status, 200) << picked.body;
  EXPECT_EQ(picked.json()["waited_ms"], 42'000);
  auto taken = post("/api/v1/callbacks/" + callback_id + "/pickup", kLeadSales, json::object());
  EXPECT_EQ(taken.status, 409);
  EXPECT_NE(taken.json()["detail"].get<std::string>().find("alice"), std::string::npos) << taken.body;
  auto logged = post("/api/v1/callbacks/" + callback_id + "/outcome", kAgentSales,
                     {{"outcome", "explained the adaptation reset; visit offered"},
                      {"note", "CALLNOTE at home after 18:00"}});
  ASSERT_EQ(logged.status, 200) << logged.body;
  EXPECT_EQ(logged.json()["state"], "logged");
  // The call's note is personal data: in the case's history for the team, not for the auditor.
  EXPECT_NE(client_->get("/api/v1/cases/" + number, kAgentSales).body.find("CALLNOTE"), std::string::npos);
  auto audited = client_->get("/api/v1/cases/" + number, kAuditor);
  ASSERT_EQ(audited.status, 200) << audited.body;
  EXPECT_EQ(audited.body.find("CALLNOTE"), std::string::npos) << audited.body;
  std::vector<wire::CallbackState> told;
  for (const auto& n : published_notifications())
    if (n.has_callback()) told.push_back(n.callback().state());
  EXPECT_EQ(told, (std::vector<wire::CallbackState>{wire::CALLBACK_PICKED_UP, wire::CALLBACK_LOGGED}));
  EXPECT_EQ(client_->get("/api/v1/callbacks", kAgentSales).json()["items"].size(), 0u);
  EXPECT_EQ(client_->get("/api/v1/callbacks?state=logged", kAgentSales).json()["items"].size(), 1u);
}

// A brake case is rnd's, and after-sales works on it too: its visit shows to both teams, as the
// case does (the console's case page lists the case's visits through this query).
TEST_F(ApiTest, ACollaboratingTeamSeesTheVisitOfACaseItWorksOn) {
  const auto number = report(vin(80), kBrakeNoise);
  const auto id = visit_on(number);
  ASSERT_FALSE(id.empty());
  for (const auto* token : {kAgentSales, kAgentRnd}) {
    auto listed = client_->get("/api/v1/visits?case=" + number, token);
    ASSERT_EQ(listed.status, 200) << listed.body;
    ASSERT_EQ(listed.json()["items"].size(), 1u) << token << ": " << listed.body;
    EXPECT_EQ(listed.json()["items"][0]["id"], id);
  }
  EXPECT_EQ(client_->get("/api/v1/visits?case=" + number, kAgentPlanning).json()["items"].size(), 0u);
}

TEST_F(ApiTest, TheCallbackQueueSaysWhenMoreAreWaitingThanItLists) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const auto car = vin(70 + i);
    const auto number = report(car, kServiceComplaint);
    const std::string report_id =
        client_->get("/api/v1/cases/" + number, kAgentSales).json()["reports"][0]["report_id"];
    from_car(car, [&](wire::Envelope& e) {
      ids.push_back(e.message_id());
      e.mutable_callback_request()->set_report_id(report_id);
    });
    clock_.advance(std::chrono::seconds(1));
  }
  auto page = client_->get("/api/v1/callbacks?limit=2", kAgentSales);
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.json()["items"].size(), 2u);
  EXPECT_EQ(page.json()["items"][0]["id"], ids[0]);  // the longest waiting first
  EXPECT_EQ(page.json()["items"][1]["id"], ids[1]);
  EXPECT_TRUE(page.json()["more"].get<bool>());
  auto whole = client_->get("/api/v1/callbacks?limit=3", kAgentSales);
  ASSERT_EQ(whole.json()["items"].size(), 3u);
  EXPECT_FALSE(whole.json()["more"].get<bool>());
  EXPECT_FALSE(client_->get("/api/v1/callbacks", kAgentSales).json()["more"].get<bool>());
}

}  // namespace
}  // namespace fb::api
