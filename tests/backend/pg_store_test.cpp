// What only PostgreSQL has: several backend instances on one database (issue 12).
#include <gtest/gtest.h>

#include <filesystem>
#include <latch>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "case_store_sql.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/backend/config.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/crypto.hpp"
#include "fb/common/postgres.hpp"
#include "fb/common/sealed_sql.hpp"
#include "in_process_backend.hpp"
#include "process.hpp"
#include "store_fixture.hpp"

namespace fb::backend {
namespace {
using test::kT;

/// Runs only in ctest's postgres_store_suite (FB_TEST_STORE=postgres): on SQLite there is no second
/// instance to race with.
class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::store_is_postgres()) GTEST_SKIP() << "PostgreSQL only: FB_TEST_STORE=postgres";
  }
};

// The timers' lease (Service, several instances): on both stores, two connections to one store.
TEST(StoreLease, IsHeldByOneHolderUntilItLapsesOrIsReleased) {
  test::TempDir dir;
  const std::string path = dir / "leases";
  auto a = test::open_case_store(path);
  auto b = test::open_case_store(path);
  ASSERT_TRUE(a && b);
  const auto hold = [](CaseStore& s, const char* who, std::int64_t at) {
    auto r = s.hold_lease("timers", who, at, 15'000);
    EXPECT_TRUE(r) << r.error().what();
    return r && *r;
  };
  EXPECT_TRUE(hold(**a, "a", kT));
  EXPECT_FALSE(hold(**b, "b", kT + 1'000)) << "held by a";
  EXPECT_TRUE(hold(**a, "a", kT + 5'000)) << "renewed by its holder, until kT + 20 s";
  EXPECT_FALSE(hold(**b, "b", kT + 19'999));
  EXPECT_TRUE(hold(**b, "b", kT + 20'000)) << "lapsed: taken over";
  EXPECT_FALSE(hold(**a, "a", kT + 20'001)) << "the old holder does not get it back";
  ASSERT_TRUE((*a)->release_lease("timers", "a"));  // not its lease: no effect
  EXPECT_FALSE(hold(**a, "a", kT + 20'002));
  ASSERT_TRUE((*b)->release_lease("timers", "b"));
  EXPECT_TRUE(hold(**a, "a", kT + 20'003)) << "released: taken at once";
  auto other = (*b)->hold_lease("another", "b", kT + 20'004, 15'000);
  ASSERT_TRUE(other);
  EXPECT_TRUE(*other) << "another name is another lease";
}

TEST_F(PostgresStore, TheSameReportDeliveredToTwoInstancesAtOnceOpensOneCase) {
  test::TempDir dir;
  const std::string path = dir / "shared";
  auto a = test::open_case_store(path);
  auto b = test::open_case_store(path);
  ASSERT_TRUE(a && b);
  auto env = test::valid_report_envelope();
  // Several rounds: each a fresh report, both instances released at once.
  for (int round = 0; round < 5; ++round) {
    env.mutable_report()->set_report_id("R-concurrent-" + std::to_string(round));
    const auto item = test::intake(env, kT + round);
    std::latch go(2);
    std::vector<ItemOutcome> out_a, out_b;
    const auto commit = [&](CaseStore& store, std::vector<ItemOutcome>& out) {
      std::vector<BatchItem> items{item};
      go.arrive_and_wait();
      auto r = store.commit_batch(items, test::simple_notifications());
      ASSERT_TRUE(r) << r.error().what();
      out = *r;
    };
    std::thread ta([&] { commit(**a, out_a); });
    std::thread tb([&] { commit(**b, out_b); });
    ta.join();
    tb.join();
    ASSERT_EQ(out_a.size(), 1u);
    ASSERT_EQ(out_b.size(), 1u);
    ASSERT_TRUE(out_a[0].accepted && out_b[0].accepted);
    EXPECT_EQ(out_a[0].accepted->case_number, out_b[0].accepted->case_number);
    EXPECT_NE(out_a[0].accepted->duplicate, out_b[0].accepted->duplicate);  // exactly one made it
  }
  auto counts = (*a)->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->reports, 5);
  // Merged into the same car's open case after the first, or new ones: never a case per instance.
  EXPECT_LE(counts->cases, 5);
  EXPECT_EQ((*b)->counts()->cases, counts->cases);
}

TEST_F(PostgresStore, TwoInstancesNumberTheirCasesWithoutCollision) {
  test::TempDir dir;
  const std::string path = dir / "numbers";
  auto a = test::open_case_store(path, 0, GroupingPolicy{.merge_window_ms = 0});  // every report a case
  auto b = test::open_case_store(path, 0, GroupingPolicy{.merge_window_ms = 0});
  ASSERT_TRUE(a && b);
  constexpr int kPerInstance = 10;
  std::latch go(2);
  std::vector<std::string> numbers_a, numbers_b;
  const auto run = [&](CaseStore& store, const std::string& prefix, std::vector<std::string>& numbers) {
    go.arrive_and_wait();
    for (int i = 0; i < kPerInstance; ++i) {
      auto env = test::valid_report_envelope();
      env.mutable_report()->set_report_id(prefix + std::to_string(i));
      std::vector<BatchItem> items{test::intake(env, kT + i)};
      auto r = store.commit_batch(items, test::simple_notifications());
      ASSERT_TRUE(r) << r.error().what();
      ASSERT_TRUE((*r)[0].accepted);
      numbers.push_back((*r)[0].accepted->case_number);
    }
  };
  std::thread ta([&] { run(**a, "A-", numbers_a); });
  std::thread tb([&] { run(**b, "B-", numbers_b); });
  ta.join();
  tb.join();
  std::set<std::string> all(numbers_a.begin(), numbers_a.end());
  all.insert(numbers_b.begin(), numbers_b.end());
  EXPECT_EQ(all.size(), 2u * kPerInstance);
  EXPECT_EQ((*a)->counts()->cases, 2 * kPerInstance);
}

// The SLA pass on two instances at the same moment (a lease handed over while the old holder
// still runs its pass): the store escalates each case once, whichever pass gets there first.
TEST_F(PostgresStore, TwoSlaPassesAtOnceEscalateEachCaseOnce) {
  test::TempDir dir;
  const std::string path = dir / "sla";
  auto a = test::open_case_store(path, 0, GroupingPolicy{.merge_window_ms = 0});
  auto b = test::open_case_store(path, 0, GroupingPolicy{.merge_window_ms = 0});
  ASSERT_TRUE(a && b);
  constexpr int kCases = 20;
  for (int i = 0; i < kCases; ++i) {
    auto env = test::valid_report_envelope();
    env.mutable_report()->set_report_id("R-sla-" + std::to_string(i));
    std::vector<BatchItem> items{test::intake(env, kT)};
    ASSERT_TRUE((*a)->commit_batch(items, test::simple_notifications()));
  }
  Notifier notifier{test::shipped_rules().templates, test::shipped_rules().router};
  const NoticeRenderer render = [&](const CaseNotice& n) { return notifier.render(n); };
  const auto later = kT + 60LL * 24 * 3600 * 1000;  // past every first-response and resolution target
  std::latch go(2);
  std::vector<SlaEvent> events_a, events_b;
  const auto pass = [&](CaseStore& store, std::vector<SlaEvent>& out) {
    go.arrive_and_wait();
    auto r = store.process_sla(later, render);
    ASSERT_TRUE(r) << r.error().what();
    out = *r;
  };
  std::thread ta([&] { pass(**a, events_a); });
  std::thread tb([&] { pass(**b, events_b); });
  ta.join();
  tb.join();
  std::map<std::pair<std::string, std::string>, int> escalations;  // (case, which) -> passes that escalated it
  for (const auto* events : {&events_a, &events_b}) {
    for (const auto& e : *events) {
      if (e.kind != "progress" && e.kind != "visit_reminder") ++escalations[{e.case_number, e.kind}];
    }
  }
  EXPECT_EQ(escalations.size(), 2u * kCases) << "first response and resolution, each case";
  for (const auto& [key, passes] : escalations) EXPECT_EQ(passes, 1) << key.first << " " << key.second;
}

TEST_F(PostgresStore, ANewerSchemaIsRefusedAndAnOlderOneMigratesOnce) {
  test::TempDir dir;
  const std::string path = dir / "newer";
  ASSERT_TRUE(test::open_case_store(path));
  {
    auto s = test::open_case_store(path);  // the second open finds it current: no migration runs again
    ASSERT_TRUE(s);
    auto out = (*s)->commit_batch(std::vector<BatchItem>{test::intake(test::valid_report_envelope(), kT)},
                                  test::simple_notifications());
    ASSERT_TRUE(out && (*out)[0].accepted);
  }
  auto conninfo = test::postgres_database(path);
  ASSERT_TRUE(conninfo);
  auto admin = sql::open_postgres(*conninfo);
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->query_int("SELECT version FROM fb_schema WHERE name = 'case store'")->value_or(0),
            7);  // migrations: v9 shape, privacy columns, leases, sealing on the server, the visit list's index,
                 // survey closings, the triage queue
  // An instance still on the build before would store an answer without its closing, counted
  // beside this build's: on PostgreSQL (several instances) that insert fails, and the car sends
  // the answer again.
  auto old_build = admin->exec(
      "INSERT INTO surveys(case_id, notification_id, score, comment, at_ms) SELECT id, 'old-build', 5, '', 0 "
      "FROM cases");
  ASSERT_FALSE(old_build);
  EXPECT_NE(old_build.error().detail.find("answered_ms"), std::string::npos) << old_build.error().what();
  ASSERT_TRUE(admin->exec("UPDATE fb_schema SET version = 99"));
  auto s = test::open_case_store(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(StorageErrc::schema_too_new));
}

// The server's default is JIT on; the store's short queries run without it on every connection
// (open_postgres: compiling cost 15 ms a query once a big table lifted the plan's cost estimate).
TEST_F(PostgresStore, EveryConnectionTurnsJitOffThoughTheServerHasItOn) {
  test::TempDir dir;
  auto conninfo = test::postgres_database(dir / "jit");
  ASSERT_TRUE(conninfo) << conninfo.error().what();
  auto db = sql::open_postgres(*conninfo);
  ASSERT_TRUE(db);
  if (db->query_int("SELECT CASE WHEN reset_val = 'on' THEN 1 ELSE 0 END FROM pg_settings WHERE name = 'jit'")
          ->value_or(-1) != 1) {
    GTEST_SKIP() << "this server's default is JIT off: nothing to show";
  }
  EXPECT_EQ(db->query_int("SELECT CASE WHEN current_setting('jit') = 'off' THEN 1 ELSE 0 END")->value_or(-1), 1);
}

// Queries of many shapes do not pile up prepared statements on the server for the connection's
// life: past the cache's bound they are deallocated and prepared again as they come.
TEST_F(PostgresStore, PreparedStatementsOnTheServerAreBounded) {
  test::TempDir dir;
  auto conninfo = test::postgres_database(dir / "prepared");
  ASSERT_TRUE(conninfo) << conninfo.error().what();
  auto db = sql::open_postgres(*conninfo);
  ASSERT_TRUE(db);
  for (std::size_t i = 0; i < 3 * sql::Database::kMaxCachedStatements; ++i) {
    auto v = db->query_int("SELECT 1 + " + std::to_string(i));
    ASSERT_TRUE(v) << v.error().what();
    EXPECT_EQ(v->value_or(-1), 1 + static_cast<std::int64_t>(i));
  }
  EXPECT_LE(db->cached_statements(), sql::Database::kMaxCachedStatements);
  EXPECT_LE(db->query_int("SELECT count(*) FROM pg_prepared_statements")->value_or(-1),
            static_cast<std::int64_t>(sql::Database::kMaxCachedStatements) + 1);
}

// The bench's and the integration tests' in-process backend opens the store its configuration
// names: given "postgres", the case store's schema is there and no SQLite file is made.
TEST_F(PostgresStore, AnInProcessBackendConfiguredForPostgresOpensItsStoreThere) {
  test::TempDir dir;
  auto config = default_config();
  config.rules_dir = test::kRulesDir;
  config.database = dir / "unused.db";
  auto conninfo = test::postgres_database(dir / "in-process");
  ASSERT_TRUE(conninfo) << conninfo.error().what();
  config.postgres = *conninfo;
  { test::InProcessBackend backend(config); }  // opened (migrated), never started
  EXPECT_FALSE(std::filesystem::exists(dir / "unused.db"));
  auto db = sql::open_postgres(*conninfo);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->query_int("SELECT version FROM fb_schema WHERE name = 'case store'")->value_or(0), 7);
}

TEST(PostgresTranslation, PlaceholdersFunctionsAndInsertOrIgnore) {
  const std::vector<std::string> ids{"cases"};
  bool returns = false;
  EXPECT_EQ(sql::translate_to_postgres("SELECT a FROM t WHERE b = ? AND c = ? AND d = '?'", ids, &returns),
            "SELECT a FROM t WHERE b = $1 AND c = $2 AND d = '?'");
  EXPECT_FALSE(returns);
  EXPECT_EQ(sql::translate_to_postgres("UPDATE t SET x = max(x, ?2), y = ?1 WHERE MIN(a) > instr(b, ?1)", ids),
            "UPDATE t SET x = greatest(x, $2), y = $1 WHERE MIN(a) > strpos(b, $1)");
  EXPECT_EQ(sql::translate_to_postgres("INSERT OR IGNORE INTO v(a, b) VALUES(?, ?)", ids),
            "INSERT INTO v(a, b) VALUES($1, $2) ON CONFLICT DO NOTHING");
  EXPECT_EQ(sql::translate_to_postgres("INSERT INTO cases(a) VALUES(?)", ids, &returns),
            "INSERT INTO cases(a) VALUES($1) RETURNING id");
  EXPECT_TRUE(returns);
  EXPECT_EQ(sql::translate_to_postgres("INSERT INTO cases(a) VALUES(?) RETURNING uid", ids, &returns),
            "INSERT INTO cases(a) VALUES($1) RETURNING uid");
  EXPECT_FALSE(returns);
  EXPECT_EQ(sql::translate_to_postgres("UPDATE r SET payload = X'', b = x'0aFF' WHERE a = 'X''y'", ids),
            "UPDATE r SET payload = '\\x'::bytea, b = '\\x0aFF'::bytea WHERE a = 'X''y'");
  // SQLite's LIKE ignores case: a search for "brake" finds "Brake noise" on both stores.
  EXPECT_EQ(sql::translate_to_postgres("SELECT 1 FROM r WHERE text LIKE ? ESCAPE '\\' AND k = 'like'", ids),
            "SELECT 1 FROM r WHERE text ILIKE $1 ESCAPE '\\' AND k = 'like'");
  // A migration's comments and PL/pgSQL bodies are PostgreSQL's own: an apostrophe in a comment
  // opens no literal, and a regular expression's "?" in a body stays.
  EXPECT_EQ(sql::translate_to_postgres("-- the car's text\nSELECT ?; SELECT $$ x ~ 'a?$' $$, ?", ids),
            "-- the car's text\nSELECT $1; SELECT $$ x ~ 'a?$' $$, $2");
}

/// A new key file at `file`, loaded as the backend loads it.
std::shared_ptr<const crypto::KeyRing> fresh_keys(const std::filesystem::path& file) {
  EXPECT_TRUE(crypto::ensure_key_file(file));
  BackendConfig config;
  config.key_file = file;
  auto keys = load_store_keys(config);
  EXPECT_TRUE(keys) << keys.error().what();
  return keys ? *keys : nullptr;
}

// The sealing keys go in the connection's startup packet: never over a link that may be plain
// TCP. Refused before connecting (nothing listens on port 1, so another error means it tried).
TEST(PostgresKeys, TheKeysAreSentOnlyOverTlsOrAUnixSocket) {
  test::TempDir dir;
  auto keys = fresh_keys(dir / "k");
  ASSERT_TRUE(keys);
  const auto refused_for_the_link = [&](const std::string& conninfo) {
    auto s = open_postgres_case_store(conninfo, {}, {}, keys);
    EXPECT_FALSE(s) << conninfo;
    return !s && s.error().what().find("sslmode=verify-full") != std::string::npos;
  };
  EXPECT_TRUE(refused_for_the_link("host=127.0.0.1 port=1 dbname=x"));
  EXPECT_TRUE(refused_for_the_link("host=db.example port=1 sslmode=prefer"));
  EXPECT_TRUE(refused_for_the_link("host=127.0.0.1 port=1 sslmode=require")) << "encrypted, but to anyone";
  EXPECT_TRUE(refused_for_the_link("postgresql://127.0.0.1:1/x"));
  EXPECT_TRUE(refused_for_the_link("host=/tmp,10.0.0.1 port=1"));
  EXPECT_TRUE(refused_for_the_link("hostaddr=127.0.0.1 port=1"));
  const auto service = open_postgres_case_store("service=fb host=" + dir.path() + " port=1", {}, {}, keys);
  ASSERT_FALSE(service);
  EXPECT_NE(service.error().what().find("service"), std::string::npos) << service.error().what();
  EXPECT_FALSE(refused_for_the_link("host=127.0.0.1 port=1 sslmode=verify-ca"));
  EXPECT_FALSE(refused_for_the_link("postgresql://127.0.0.1:1/x?sslmode=verify-full"));
  EXPECT_FALSE(refused_for_the_link("host=" + dir.path() + " port=1"));
  EXPECT_TRUE(open_postgres_case_store("host=127.0.0.1 port=1 connect_timeout=1").error().what().find("sslmode") ==
              std::string::npos)
      << "without keys nothing secret is sent";
}

/// A table `t` on a PostgreSQL server of the test's own, which restart() stops and starts again
/// under the connection, as a failover or a server restart would.
class PostgresRestart : public PostgresStore {
 protected:
  void SetUp() override {
    PostgresStore::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(server_.start()) << server_.why();
    auto db = sql::open_postgres(server_.conninfo());
    ASSERT_TRUE(db) << db.error().what();
    db_.emplace(std::move(*db));
    ASSERT_TRUE(db_->exec("CREATE TABLE t (v BIGINT PRIMARY KEY)"));
  }

  Result<void> insert(std::int64_t v) {
    auto st = db_->prepare("INSERT INTO t(v) VALUES(?)");
    if (!st) return fail(st.error());
    st->bind(1, v);
    return st->run();
  }
  Result<std::int64_t> count() {
    auto st = db_->prepare("SELECT count(*) FROM t");
    if (!st) return fail(st.error());
    auto row = st->step();
    if (!row) return fail(row.error());
    return st->int64(0);
  }
  bool restart() {
    server_.stop();
    return server_.start();
  }

  test::PostgresServer server_;
  std::optional<sql::Database> db_;
};

// A server restart under a connection: the transaction it cut through commits nothing and runs
// nothing outside itself; the next one connects again.
TEST_F(PostgresRestart, AConnectionLostInsideATransactionCommitsNothingAndTheNextOneConnectsAgain) {
  ASSERT_TRUE(insert(1));
  {
    auto tx = sql::Transaction::begin(*db_);
    ASSERT_TRUE(tx) << tx.error().what();
    ASSERT_TRUE(insert(2));
    ASSERT_TRUE(restart()) << server_.why();
    auto lost = insert(3);
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, make_error_code(StorageErrc::unavailable)) << lost.error().what();
    EXPECT_FALSE(insert(4)) << "run on a new connection, it would be written outside its transaction";
    EXPECT_TRUE(db_->in_transaction());
    EXPECT_FALSE(tx->commit()) << "the transaction went with the connection";
  }
  EXPECT_FALSE(db_->in_transaction());
  {
    auto tx = sql::Transaction::begin(*db_);
    ASSERT_TRUE(tx) << tx.error().what();
    ASSERT_TRUE(insert(5));
    ASSERT_TRUE(tx->commit());
  }
  auto n = count();
  auto sum = db_->query_int("SELECT sum(v) FROM t");
  ASSERT_TRUE(n && sum);
  EXPECT_EQ(*n, 2) << "1 before the loss and 5 after it";
  EXPECT_EQ(sum->value_or(-1), 6);
}

// A loss that the end of a transaction meets first: a ROLLBACK is over at once and a COMMIT
// fails; either way the next transaction runs on a new connection. A read outside any
// transaction that meets a loss runs again; a COMMIT of a transaction a failed statement aborted
// fails, as PostgreSQL rolled it back.
TEST_F(PostgresRestart, TheEndOfATransactionOrAReadMeetingALostConnectionLeavesTheNextOneFree) {
  {
    auto tx = sql::Transaction::begin(*db_);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(count());
    ASSERT_TRUE(restart()) << server_.why();
  }  // its ROLLBACK meets the loss
  EXPECT_FALSE(db_->in_transaction());
  {
    auto tx = sql::Transaction::begin(*db_);
    ASSERT_TRUE(tx) << tx.error().what();
    ASSERT_TRUE(insert(1));
    ASSERT_TRUE(restart()) << server_.why();
    auto committed = tx->commit();
    ASSERT_FALSE(committed) << "its COMMIT meets the loss";
    EXPECT_EQ(committed.error().code, make_error_code(StorageErrc::unavailable));
  }
  EXPECT_FALSE(db_->in_transaction());
  {
    auto tx = sql::Transaction::begin(*db_);
    ASSERT_TRUE(tx) << tx.error().what();
    ASSERT_TRUE(insert(2));
    ASSERT_TRUE(tx->commit());
  }
  ASSERT_TRUE(restart()) << server_.why();
  auto n = count();
  ASSERT_TRUE(n) << "a read runs again on a new connection: " << n.error().what();
  EXPECT_EQ(*n, 1) << "only the transaction committed after the losses";
  {
    auto tx = sql::Transaction::begin(*db_);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(insert(3));
    EXPECT_FALSE(insert(2)) << "a duplicate key: PostgreSQL aborts the whole transaction";
    auto committed = tx->commit();
    ASSERT_FALSE(committed) << "PostgreSQL answered the COMMIT with a ROLLBACK";
    EXPECT_EQ(committed.error().code, make_error_code(StorageErrc::internal));
  }
  n = count();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
}

// The dashboard across a server restart: its next call connects again and answers.
TEST_F(PostgresStore, TheAnalyticsAnswerAgainAfterAServerRestart) {
  test::PostgresServer server;
  ASSERT_TRUE(server.start()) << server.why();
  auto store = open_postgres_case_store(server.conninfo());
  ASSERT_TRUE(store) << store.error().what();
  auto env = test::valid_report_envelope();
  ASSERT_TRUE((*store)->commit_batch(std::vector<BatchItem>{test::intake(env, kT)}, test::simple_notifications()));
  auto analytics = open_postgres_analytics(server.conninfo());
  ASSERT_TRUE(analytics) << analytics.error().what();
  const auto created = [&]() -> std::int64_t {
    auto d = (*analytics)->dashboard({kT - test::kDay, kT + test::kDay, {}, kT + test::kHour, Bucket::day});
    EXPECT_TRUE(d) << d.error().what();
    return d ? d->cases_created : -1;
  };
  EXPECT_EQ(created(), 1);
  server.stop();
  ASSERT_TRUE(server.start()) << server.why();
  EXPECT_EQ(created(), 1);
}

// The backend's store across a server restart between two batches: the first batch's case is
// still there and the second batch goes through at its first try (its BEGIN connects again).
TEST_F(PostgresStore, AServerRestartBetweenBatchesLosesNoCaseAndTheNextBatchGoesThrough) {
  test::PostgresServer server;
  ASSERT_TRUE(server.start()) << server.why();
  auto store = open_postgres_case_store(server.conninfo());
  ASSERT_TRUE(store) << store.error().what();
  auto before = test::valid_report_envelope(test::kVinA, "rattle before the restart");
  auto after = test::valid_report_envelope(test::kVinB, "squeal after the restart");
  const auto commit = [&](const wire::Envelope& env, std::int64_t at) {
    auto r = (*store)->commit_batch(std::vector<BatchItem>{test::intake(env, at)}, test::simple_notifications());
    EXPECT_TRUE(r) << r.error().what();
    return r && r->front().accepted.has_value();
  };
  ASSERT_TRUE(commit(before, kT));
  server.stop();
  ASSERT_TRUE(server.start()) << server.why();
  EXPECT_TRUE(commit(after, kT + 1'000));
  for (const auto* env : {&before, &after}) {
    auto found = (*store)->find_case_by_report(env->report().report_id());
    ASSERT_TRUE(found) << found.error().what();
    EXPECT_TRUE(found->has_value()) << env->report().report_id();
  }
}

// The keys travel in the session's startup settings: the session a restart makes again has them
// too, so what is written after the restart is sealed (a session without them would store the
// driver's words in the clear) and what was sealed before still opens.
TEST_F(PostgresStore, ASealedStoreKeepsSealingAcrossAServerRestart) {
  test::TempDir dir;
  auto keys = fresh_keys(dir / "store.keys");
  ASSERT_TRUE(keys);
  test::PostgresServer server;
  ASSERT_TRUE(server.start()) << server.why();
  auto store = open_postgres_case_store(server.conninfo(), {}, {}, keys);
  ASSERT_TRUE(store) << store.error().what();
  auto before = test::valid_report_envelope(test::kVinA, "PRIVBEFORE rattle");
  auto after = test::valid_report_envelope(test::kVinB, "PRIVAFTER squeal");
  std::vector<std::string> numbers;
  for (const auto* env : {&before, &after}) {
    auto r = (*store)->commit_batch(std::vector<BatchItem>{test::intake(*env, kT)}, test::simple_notifications());
    ASSERT_TRUE(r && r->front().accepted) << (r ? "refused" : r.error().what());
    numbers.push_back(r->front().accepted->case_number);
    if (env == &before) {
      server.stop();
      ASSERT_TRUE(server.start()) << server.why();
    }
  }
  auto raw = sql::open_postgres(server.conninfo());  // no keys
  ASSERT_TRUE(raw);
  auto texts = raw->prepare("SELECT text FROM reports");
  ASSERT_TRUE(texts);
  std::size_t rows = 0;
  ASSERT_TRUE(texts->each_row([&](const sql::Statement& t) {
    ++rows;
    EXPECT_TRUE(sql::is_sealed_value(t.text(0))) << t.text(0);
  }));
  EXPECT_EQ(rows, 2u);
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    auto d = (*store)->case_detail(numbers[i]);
    ASSERT_TRUE(d && *d) << (d ? "no case" : d.error().what());
    auto env = codec::decode((*d)->reports.front().payload);
    ASSERT_TRUE(env);
    EXPECT_EQ(env->report().text(), i == 0 ? "PRIVBEFORE rattle" : "PRIVAFTER squeal");
  }
}

// A pooler or proxy that drops the startup options would leave the session without its keys,
// and fb_seal would then store the words in the clear: opening checks that the keys arrived.
TEST_F(PostgresStore, ASessionThatLostItsKeysOnTheWayIsRefused) {
  test::TempDir dir;
  auto keys = fresh_keys(dir / "store.keys");
  ASSERT_TRUE(keys);
  const std::string path = dir / "lost-keys";
  ASSERT_TRUE(test::open_case_store(path, 0, {}, {}, keys));  // a store that seals, bound to pgcrypto
  auto conninfo = test::postgres_database(path);
  ASSERT_TRUE(conninfo);
  auto keyless = sql::open_postgres(*conninfo, *detail::pg_store_options(nullptr));  // as if a proxy dropped them
  ASSERT_TRUE(keyless);
  auto refused = detail::enable_pg_sealing(*keyless, keys->current_id(), detail::PgSealingRole::writer);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().what().find("did not get its keys"), std::string::npos) << refused.error().what();
  auto keyed = sql::open_postgres(*conninfo, *detail::pg_store_options(keys.get()));
  ASSERT_TRUE(keyed);
  EXPECT_TRUE(detail::enable_pg_sealing(*keyed, keys->current_id(), detail::PgSealingRole::reader));
}

// Sealing needs pgcrypto. A user who may not create it gets an error that says what to do, a
// store without keys opens as before, and once the database's owner has created the extension
// the same store opens with keys.
TEST_F(PostgresStore, WithoutPgcryptoASealedStoreIsRefusedWithWhatToDo) {
  test::TempDir dir;
  auto keys = fresh_keys(dir / "store.keys");
  ASSERT_TRUE(keys);
  test::PostgresServer server;
  ASSERT_TRUE(server.start()) << server.why();
  auto admin = sql::open_postgres(server.conninfo());
  ASSERT_TRUE(admin);
  ASSERT_TRUE(admin->exec("CREATE ROLE clerk LOGIN; CREATE SCHEMA clerk AUTHORIZATION clerk"));
  const auto clerk = server.conninfo() + " user=clerk";
  auto refused = open_postgres_case_store(clerk, {}, {}, keys);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(StorageErrc::open_failed));
  EXPECT_NE(refused.error().what().find("CREATE EXTENSION pgcrypto"), std::string::npos) << refused.error().what();
  EXPECT_TRUE(open_postgres_case_store(clerk)) << "without keys nothing needs pgcrypto";
  ASSERT_TRUE(admin->exec("CREATE EXTENSION pgcrypto"));
  auto sealed = open_postgres_case_store(clerk, {}, {}, keys);
  ASSERT_TRUE(sealed) << sealed.error().what();
  auto env = test::valid_report_envelope(test::kVinA, "PRIVCLERK words");
  ASSERT_TRUE((*sealed)->commit_batch(std::vector<BatchItem>{test::intake(env, kT)}, test::simple_notifications()));
  auto text = admin->prepare("SELECT text FROM clerk.reports");
  ASSERT_TRUE(text);
  ASSERT_TRUE(text->step().value_or(false));
  EXPECT_TRUE(sql::is_sealed_value(text->text(0))) << text->text(0);
}

}  // namespace
}  // namespace fb::backend
