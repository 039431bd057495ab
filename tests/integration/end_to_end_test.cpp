// The whole loop with real parts: Mosquitto with mutual TLS, the fb-backend binary, agents on
// real Paho and SQLite.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>

#include "fb/backend/service.hpp"
#include "fb/common/crypto.hpp"
#include "fb/common/postgres.hpp"
#include "fb/common/sealed_sql.hpp"
#include "harness.hpp"
#include "http_client.hpp"
#include "postgres.hpp"

namespace fb::test {
namespace {

class EndToEnd : public IntegrationTest {};

std::vector<std::string> submit_many(Car& car, int n, const std::string& tag) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    ids.push_back(
        i % 2 ? car.submit(tag + " #" + std::to_string(i) + " dashboard rattle at low speed", "en")
              : car.submit(tag + " #" + std::to_string(i) + " 变速箱换挡顿挫", "zh-CN", wire::CATEGORY_DRIVING_FEEL));
  }
  return ids;
}

void expect_one_case_each(backend::CaseStore& store, const std::vector<std::string>& ids, Car& car) {
  std::set<std::string> numbers;
  for (const auto& id : ids) {
    auto c = store.find_case_by_report(id);
    ASSERT_TRUE(c && *c) << "no case for report " << id;
    EXPECT_EQ((*c)->case_number, car.case_number(id)) << "the car was told another case number";
    numbers.insert((*c)->case_number);
  }
  EXPECT_EQ(numbers.size(), ids.size());
  EXPECT_EQ(store.counts()->cases, static_cast<std::int64_t>(ids.size()));
}

void expect_one_case_each(const std::string& db, const std::vector<std::string>& ids, Car& car) {
  auto store = open_cases(db);
  ASSERT_TRUE(store);
  expect_one_case_each(*store, ids, car);
}

TEST_F(EndToEnd, EachReportGetsOneCaseAnAckAndANotificationBack) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db");
  const auto ids = submit_many(car, 12, "e2e");
  ASSERT_TRUE(car.wait_notified(ids));
  expect_one_case_each(backend.db(), ids, car);
  for (const auto& id : ids) EXPECT_EQ(car.notifications(id), 1) << id;

  auto reports = car.reports();
  ASSERT_EQ(reports.size(), ids.size());
  for (const auto& r : reports) {
    EXPECT_EQ(r.status, ReportStatus::received);
    EXPECT_FALSE(r.team.empty());
    EXPECT_GT(r.first_reply_due_ms, r.created_ms);
  }
  auto inbox = car.inbox();
  ASSERT_EQ(inbox.size(), ids.size());
  const auto zh = std::count_if(inbox.begin(), inbox.end(), [](auto& n) { return n.language == "zh"; });
  EXPECT_EQ(zh, 6);  // answered in the language the driver wrote in

  // The "received" notification rode on each ack: nothing waits for a receipt or a resend.
  auto counts = open_cases(backend.db())->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->notifications_carried, static_cast<std::int64_t>(ids.size()));
  EXPECT_EQ(counts->notifications_undelivered, 0);
}

TEST_F(EndToEnd, ARepeatedProblemJoinsItsCaseAndTheTeamsMovesReachTheCar) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db", {}, /*merge=*/true);
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db");
  const auto first = car.submit("二挡升三挡时顿挫明显，4S店说正常", "zh-CN", wire::CATEGORY_DRIVING_FEEL);
  ASSERT_TRUE(car.wait_notified({first}));
  const auto again = car.submit("二挡升三挡顿挫明显，又出现了", "zh-CN", wire::CATEGORY_DRIVING_FEEL);
  ASSERT_TRUE(car.wait_notified({again}));
  const auto number = car.case_number(first);
  EXPECT_EQ(car.case_number(again), number);  // joined, and the car was told which case

  // The team moves the case with the operator command; the running backend sends the news.
  const std::string cli = std::string(kBackendBin) + " --db " + backend.db() + " --rules " + kRulesDir + " move " +
                          number + " --actor li.na --reason 'needs a look' ";
  ASSERT_EQ(run_command(cli + "--to assigned --assignee li.na"), 0);
  ASSERT_TRUE(car.wait_notifications(first, 2));
  ASSERT_EQ(run_command(cli + "--to in_progress"), 0);
  ASSERT_EQ(run_command(cli + "--to appointment --when '12-05 09:30' --place 'Pudong 4S store'"), 0);
  ASSERT_TRUE(car.wait_status(first, ReportStatus::appointment));
  std::string out;
  EXPECT_NE(run_command(cli + "--to closed", &out), 0);  // not from appointment
  // A store path that names nothing (a typo) is refused, and no empty store is left behind.
  const auto typo = dir_ / "casse.db";
  out.clear();
  EXPECT_NE(run_command(std::string(kBackendBin) + " --db " + typo + " cases", &out), 0);
  EXPECT_NE(out.find("no case store at " + typo), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(typo));
  auto inbox = car.inbox();
  EXPECT_TRUE(std::any_of(inbox.begin(), inbox.end(),
                          [](const auto& n) { return n.text.find("Pudong 4S store") != std::string::npos; }));

  // Resolved, closed: the car is asked for a survey, the driver answers, the backend keeps it.
  ASSERT_EQ(run_command(cli + "--to resolved"), 0);
  ASSERT_EQ(run_command(cli + "--to closed"), 0);
  ASSERT_TRUE(car.wait_status(first, ReportStatus::closed));
  inbox = car.inbox();
  auto survey = std::find_if(inbox.begin(), inbox.end(),
                             [](const auto& n) { return n.status == wire::CASE_STATUS_CLOSED; });
  ASSERT_NE(survey, inbox.end());
  std::promise<Result<void>> answered;
  car.agent().answer_survey(survey->message_id, 5, "很满意", [&](Result<void> r) { answered.set_value(r); });
  ASSERT_TRUE(answered.get_future().get());
  ASSERT_TRUE(backend.process().wait_for_line("survey answer .* from", kWait));
  auto store = open_cases(backend.db());
  EXPECT_EQ(store->survey_score()->first, 5.0);
  EXPECT_EQ(store->survey_score()->second, 1);

  // "Not fixed": the driver reopens the closed case from the car; the backend reopens it and
  // the car's timeline shows the step.
  std::promise<Result<std::string>> reopened;
  car.agent().reopen(first, "又出现了 it is back", [&](Result<std::string> r) { reopened.set_value(std::move(r)); });
  ASSERT_TRUE(reopened.get_future().get());
  ASSERT_TRUE(car.wait_status(first, ReportStatus::in_progress));
  EXPECT_EQ(open_cases(backend.db())->case_detail(number).value()->c.state, backend::CaseState::reopened);
  std::promise<std::vector<agent::TimelineEvent>> steps;
  car.agent().timeline(first, [&](Result<std::vector<agent::TimelineEvent>> r) {
    steps.set_value(r.value_or(std::vector<agent::TimelineEvent>{}));
  });
  const auto timeline = steps.get_future().get();
  ASSERT_FALSE(timeline.empty());
  EXPECT_EQ(timeline.back().kind, agent::TimelineKind::reopened);
}

TEST_F(EndToEnd, TheLoopWorksOverMqtt5AndSurvivesABackendRestart) {
  const auto db = dir_ / "cases.db";
  auto backend = std::make_unique<BackendProcess>(*broker_, *pki_, db, std::vector<std::string>{"--mqtt-version", "5"});
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db", {}, mqtt::ProtocolVersion::v5);
  const auto first = submit_many(car, 3, "mqtt5");
  ASSERT_TRUE(car.wait_notified(first));
  backend->kill();  // its v5 session (session expiry) keeps queueing for it
  const auto second = submit_many(car, 3, "mqtt5 while the backend is down");
  ASSERT_TRUE(car.wait_sent(second));
  backend->start();
  ASSERT_TRUE(car.wait_notified(second));
  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  expect_one_case_each(db, all, car);
}

TEST_F(EndToEnd, TheCommandLineCarSavesSendsAndPrintsTheAnswerThenListsItOffline) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  const std::string car = std::string(kCarBin) + " --vin " + kVinA + " --broker " + broker_->uri() + " --pki " +
                          pki_->dir() + " --db " + (dir_ / "cli-car.db") + " --wait 30";
  std::string out;
  ASSERT_EQ(run_command(car + " send --category driving-feel --lang zh-CN --text '二挡升三挡时顿挫明显'", &out), 0)
      << out;
  EXPECT_NE(out.find("saved report"), std::string::npos) << out;
  EXPECT_NE(out.find(">> "), std::string::npos) << "no notification printed:\n" << out;
  out.clear();
  ASSERT_EQ(run_command(car + " list", &out), 0) << out;
  EXPECT_NE(out.find("received"), std::string::npos) << out;
  EXPECT_NE(out.find("FB-"), std::string::npos) << out;
  EXPECT_NE(out.find("driving_feel"), std::string::npos) << out;
}

// Issue 8: fb-car drives a simulated car, the report waits for its post-tap window, goes out
// with a compact snapshot, and the team's API shows the signals decoded.
TEST_F(EndToEnd, ASnapshotGoesFromTheCarThroughTheBrokerToTheCaseAndTheApiDecodesIt) {
  const std::string tokens = dir_ / "tokens.txt";
  const auto admin = add_api_token(tokens, "admin", "-", "li.na");
  const auto port = free_port();
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db",
                         {"--http", "127.0.0.1:" + std::to_string(port), "--tokens", tokens});
  const std::string car = std::string(kCarBin) + " --vin " + kVinA + " --broker " + broker_->uri() + " --pki " +
                          pki_->dir() + " --db " + (dir_ / "cli-car.db") + " --wait 30";
  std::string out;
  ASSERT_EQ(run_command(car + " --snapshot --fault harsh-shift --drive-before 3 --post 2 send --category driving-feel "
                              "--lang en --text 'harsh shift pulling away'",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("waiting for its snapshot"), std::string::npos) << out;
  const auto at = out.find("FB-");
  ASSERT_NE(at, std::string::npos) << "no case number printed:\n" << out;
  const auto number = out.substr(at, out.find_first_of(" \n", at) - at);

  boost::asio::io_context io;
  HttpClient http(io, static_cast<std::uint16_t>(port));
  auto detail = http.get("/api/v1/cases/" + number, admin);
  ASSERT_EQ(detail.status, 200) << detail.body;
  const auto report = detail.json()["reports"][0];
  ASSERT_TRUE(report["snapshot"].is_object()) << report.dump();
  EXPECT_FALSE(report["snapshot_lost"].get<bool>());
  EXPECT_EQ(report["snapshot"]["window_start_ms"], -60'000);
  EXPECT_EQ(report["snapshot"]["window_end_ms"], 2'000);
  EXPECT_EQ(report["ecu_software"]["HU"], "HU-3.2.1");
  const auto& signals = report["snapshot"]["signals"];
  ASSERT_GE(signals.size(), 10u) << report["snapshot"].dump();
  bool speed_seen = false;
  for (const auto& s : signals) {
    EXPECT_EQ(s["encoding"], "compact") << s["path"];
    ASSERT_EQ(s["t_ms"].size(), s["values"].size()) << s["path"];
    ASSERT_FALSE(s["t_ms"].empty()) << s["path"];
    EXPECT_LT(s["t_ms"].front().get<std::int64_t>(), -2'000) << s["path"] << ": no pre-tap part";
    EXPECT_LE(s["t_ms"].back().get<std::int64_t>(), 2'000) << s["path"];
    if (s["path"] == "Vehicle.Speed") {
      speed_seen = true;
      EXPECT_GE(s["t_ms"].size(), 40u) << "10 Hz over about 5 s";
      for (const auto& v : s["values"]) EXPECT_GE(v.get<double>(), 0);
    }
  }
  EXPECT_TRUE(speed_seen);

  out.clear();
  ASSERT_EQ(run_command(car + " list", &out), 0) << out;
  EXPECT_NE(out.find("snapshot: attached"), std::string::npos) << out;
}

// Issue 12: a backend on PostgreSQL serves the service teams' API: the agents' queue, a case, a
// transition, and the dashboard and the monthly report read from the same database.
TEST_F(EndToEnd, TheServiceTeamsApiServesCasesFromPostgres) {
  PostgresServer pg;
  ASSERT_TRUE(pg.start()) << pg.why();
  const std::string tokens = dir_ / "tokens.txt";
  const auto admin = add_api_token(tokens, "admin", "-", "li.na");
  const auto port = free_port();
  const std::string keys = dir_ / "store.keys";  // personal data sealed on the server (pgcrypto)
  ASSERT_TRUE(crypto::ensure_key_file(keys));
  BackendProcess backend(*broker_, *pki_, dir_ / "unused.db",
                         {"--postgres", pg.conninfo(), "--http", "127.0.0.1:" + std::to_string(port), "--tokens",
                          tokens, "--key-file", keys});
  const std::string car = std::string(kCarBin) + " --vin " + kVinA + " --broker " + broker_->uri() + " --pki " +
                          pki_->dir() + " --db " + (dir_ / "cli-car.db") + " --wait 30";
  std::string out;
  ASSERT_EQ(run_command(car + " send --category noise --lang en --text 'rattle from the dashboard'", &out), 0) << out;
  const auto at = out.find("FB-");
  ASSERT_NE(at, std::string::npos) << "no case number printed:\n" << out;
  const auto number = out.substr(at, out.find_first_of(" \n", at) - at);

  boost::asio::io_context io;
  HttpClient http(io, static_cast<std::uint16_t>(port));
  auto queue = http.get("/api/v1/cases?state=new,acknowledged,assigned,in_progress&limit=50", admin);
  ASSERT_EQ(queue.status, 200) << queue.body;
  ASSERT_EQ(queue.json()["items"].size(), 1u) << queue.body;
  EXPECT_EQ(queue.json()["items"][0]["case_number"], number);
  auto moved = http.post("/api/v1/cases/" + number + "/transitions", admin,
                         R"({"to": "acknowledged", "reason": "on PostgreSQL"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  auto detail = http.get("/api/v1/cases/" + number, admin);
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.json()["case"]["state"], "acknowledged") << detail.body;
  ASSERT_EQ(detail.json()["reports"].size(), 1u) << detail.body;
  EXPECT_EQ(detail.json()["reports"][0]["text"], "rattle from the dashboard") << detail.body;
  {
    auto raw = sql::open_postgres(pg.conninfo());  // a reader of the database, without the keys
    ASSERT_TRUE(raw);
    auto text = raw->prepare("SELECT text FROM reports");
    ASSERT_TRUE(text);
    ASSERT_TRUE(text->step().value_or(false));
    EXPECT_TRUE(sql::is_sealed_value(text->text(0))) << text->text(0);
  }
  auto dashboard = http.get("/api/v1/dashboard", admin);
  ASSERT_EQ(dashboard.status, 200) << dashboard.body;
  EXPECT_EQ(dashboard.json()["cases_created"], 1) << dashboard.body;
  EXPECT_EQ(dashboard.json()["open_by_state"]["acknowledged"], 1) << dashboard.body;
  // The month the case was created in by the service region's clock (the dashboard's utc_offset_ms), not the
  // test's: the two differ across midnight there at a month's end.
  const std::time_t created = (detail.json()["case"]["created_ms"].get<std::int64_t>() +
                               dashboard.json()["utc_offset_ms"].get<std::int64_t>()) /
                              1000;
  std::tm utc{};
  gmtime_r(&created, &utc);
  char month[16];
  std::strftime(month, sizeof month, "%Y-%m", &utc);
  auto monthly = http.get(std::string("/api/v1/reports/monthly?month=") + month, admin);
  ASSERT_EQ(monthly.status, 200) << monthly.body;
  EXPECT_EQ(monthly.json()["cases"], 1) << monthly.body;

  // A key rotation reseals the PostgreSQL store (not a SQLite file beside it).
  ASSERT_EQ(run_command(std::string(kBackendBin) + " --postgres '" + pg.conninfo() + "' --key-file " + keys +
                            " key rotate 2>&1",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("key 2 is current"), std::string::npos) << out;
  auto raw = sql::open_postgres(pg.conninfo());
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->query_int("SELECT fb_key_id(text) FROM reports").value_or(std::nullopt).value_or(-1), 2) << out;
}

// The PostgreSQL server restarts (a failover) under a running backend: the batches that meet it
// down are not acknowledged, the car sends them again, and the backend, connected again without
// a restart of its own, opens one case for each.
TEST_F(EndToEnd, APostgresRestartUnderTheBackendLosesNothingAndDuplicatesNothing) {
  PostgresServer pg;
  ASSERT_TRUE(pg.start()) << pg.why();
  BackendProcess backend(*broker_, *pki_, dir_ / "unused.db", {"--postgres", pg.conninfo()});
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db", agent::SendScheduler::Policy{.ack_timeout = 1500ms});
  auto ids = submit_many(car, 10, "before");
  ASSERT_TRUE(car.wait_acknowledged(ids, ids.size()));
  pg.stop();
  const auto during = submit_many(car, 10, "during");
  ASSERT_TRUE(backend.process().wait_for_line("not stored", kWait)) << backend.process().output();
  ASSERT_TRUE(pg.start()) << pg.why();
  const auto after = submit_many(car, 10, "after");
  ids.insert(ids.end(), during.begin(), during.end());
  ids.insert(ids.end(), after.begin(), after.end());
  ASSERT_TRUE(car.wait_acknowledged(ids, ids.size()));
  ASSERT_TRUE(car.wait_notified(ids));
  auto store = backend::open_postgres_case_store(pg.conninfo());
  ASSERT_TRUE(store) << store.error().what();
  expect_one_case_each(**store, ids, car);
}

TEST_F(EndToEnd, ABackendRestartBetweenSendingAndAcknowledgingLosesNothing) {
  const auto db = dir_ / "cases.db";
  auto backend = std::make_unique<BackendProcess>(*broker_, *pki_, db);
  backend->kill();  // its persistent session stays on the broker and queues for it
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db");
  const auto ids = submit_many(car, 20, "restart");
  ASSERT_TRUE(car.wait_sent(ids));  // every report is at the broker; none acknowledged
  EXPECT_EQ(car.case_number(ids.front()), "");
  backend->start();
  ASSERT_TRUE(car.wait_notified(ids));
  expect_one_case_each(db, ids, car);
}

TEST_F(EndToEnd, ABackendKilledMidBurstLosesNothingAndDuplicatesNothing) {
  const auto db = dir_ / "cases.db";
  BackendProcess backend(*broker_, *pki_, db);
  // A short ack timeout: reports the dying backend took from the broker but never committed
  // come again from the car.
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db", agent::SendScheduler::Policy{.ack_timeout = 1500ms});
  const auto ids = submit_many(car, 60, "burst");
  ASSERT_TRUE(car.wait_acknowledged(ids, 5));
  backend.kill();
  backend.start();
  ASSERT_TRUE(car.wait_acknowledged(ids, ids.size()));
  ASSERT_TRUE(car.wait_notified(ids));
  expect_one_case_each(db, ids, car);
}

TEST_F(EndToEnd, AnOverloadedBackendHoldsTheBrokerBackAndDropsNothing) {
  auto config = backend::default_config();
  config.mqtt = client_options(*broker_, "fb-backend", pki_->backend());
  config.mqtt.max_inflight = 256;
  config.database = dir_ / "cases.db";
  config.rules_dir = kRulesDir;
  config.service.max_pending = 16;      // far below the backlog: the receive thread waits for room
  config.grouping.merge_window_ms = 0;  // one case per report, to count them
  config.service.max_batch = 4;
  const auto start_backend = [&] {
    auto backend = std::make_unique<InProcessBackend>(config);
    EXPECT_TRUE(backend->start());
    return backend;
  };
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db",
          agent::SendScheduler::Policy{.ack_timeout = 1000ms, .max_backoff = 2000ms, .max_inflight = 64});
  {
    auto backend = start_backend();  // creates the backend's session; the probe proves it exists
    const auto probe = car.submit("probe", "en");
    ASSERT_TRUE(car.wait_acknowledged({probe}, 1));
  }
  const auto ids = submit_many(car, 200, "overload");
  ASSERT_TRUE(car.wait_sent(ids));  // the whole backlog waits at the broker
  auto backend = start_backend();
  // A Paho callback that waited for room here once deadlocked against the acks' publishes (cb882f0);
  // the inbox it waits on now is emptied by the service without any call into Paho.
  ASSERT_TRUE(car.wait_acknowledged(ids, ids.size()));
  EXPECT_GT(backend->stats().backpressure_waits, 0u) << "the backlog never exceeded max_pending";
  EXPECT_EQ(backend->stats().dropped_overload, 0u) << "a message taken from the broker was dropped";
  ASSERT_TRUE(car.wait_notified(ids));
  backend->stop();
  auto store = open_cases(config.database);
  EXPECT_EQ(store->counts()->cases, static_cast<std::int64_t>(ids.size()) + 1);
}

TEST_F(EndToEnd, ReportsQueuedWhileTheBrokerIsDownAreDeliveredWhenItReturns) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db");
  ASSERT_TRUE(car.wait_connected());
  broker_->stop();
  ASSERT_TRUE(car.wait_disconnected());
  const auto ids = submit_many(car, 4, "offline");
  broker_->start();
  ASSERT_TRUE(car.wait_notified(ids));
  expect_one_case_each(backend.db(), ids, car);
}

TEST_F(EndToEnd, BadInputIsRejectedWithAReasonAndTheBackendKeepsServing) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  RawClient rogue(*broker_, kVinA, pki_->vehicle(kVinA), {topics::inbox(kVinA)});

  const std::string garbage = "\x0a\xff\xff this is not protobuf";
  ASSERT_TRUE(rogue.publish(topics::reports(kVinA), garbage));
  auto rejected = rogue.next([&](const wire::Envelope& e) { return e.has_ack(); });
  ASSERT_TRUE(rejected);
  auto ack = codec::decode(rejected->payload)->ack();
  EXPECT_EQ(ack.rejected().reason(), wire::REJECT_MALFORMED);
  EXPECT_EQ(ack.payload_sha256(), codec::sha256(garbage));

  auto big = valid_report_envelope(kVinA);
  big.mutable_report()->mutable_consent()->set_diagnostics(true);
  auto* s = big.mutable_report()->mutable_snapshot()->add_signals();
  s->set_path("Vehicle.Speed");
  for (int i = 0; i < 60000; ++i) {
    s->add_t_ms(i);
    s->add_values(i);
  }
  ASSERT_TRUE(rogue.publish(topics::reports(kVinA), codec::encode(big)));
  rejected = rogue.next([&](const wire::Envelope& e) { return e.has_ack(); });
  ASSERT_TRUE(rejected);
  EXPECT_EQ(codec::decode(rejected->payload)->ack().rejected().reason(), wire::REJECT_OVERSIZE);
  // Too big to read, so matched by the digest of the exact bytes.
  EXPECT_EQ(codec::decode(rejected->payload)->ack().payload_sha256(), codec::sha256(codec::encode(big)));

  auto good = valid_report_envelope(kVinA);
  ASSERT_TRUE(rogue.publish(topics::reports(kVinA), codec::encode(good)));
  auto accepted = rogue.next([&](const wire::Envelope& e) { return e.has_ack(); });
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(codec::decode(accepted->payload)->ack().has_accepted());

  auto store = open_cases(backend.db());
  EXPECT_EQ(store->counts()->dead_letters, 2);
  EXPECT_EQ(store->counts()->cases, 1);
  EXPECT_EQ(backend.process().count_lines("rejected message from " + std::string(kVinA)), 2u);
}

}  // namespace
}  // namespace fb::test
