// Helpers shared by the backend store and ingest tests.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "../common/report_fixture.hpp"
#include "case_store_sql.hpp"
#include "fb/backend/analytics.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/backend/rules.hpp"
#include "fb/common/postgres.hpp"
#include "fb/common/sealed_sql.hpp"
#include "fb/common/sqlite.hpp"
#include "paths.hpp"
#include "postgres.hpp"

namespace fb::test {

/// Times of the store tests, in milliseconds since the epoch.
inline constexpr std::int64_t kT = 1'780'000'000'000;  // 2026
inline constexpr std::int64_t kMinute = 60'000;
inline constexpr std::int64_t kHour = 60 * kMinute;
inline constexpr std::int64_t kDay = 24 * kHour;

/// Whether the store suite runs against PostgreSQL: FB_TEST_STORE=postgres in the environment
/// (ctest's postgres_store_suite sets it and picks the store suites with --gtest_filter); SQLite
/// otherwise. A choice at run time, so the same test binary serves both stores.
inline bool store_is_postgres() {
  static const bool postgres = [] {
    const char* store = std::getenv("FB_TEST_STORE");
    return store != nullptr && std::string_view(store) == "postgres";
  }();
  return postgres;
}

/// The connection string of a store of this process's test server named after `path`: a schema
/// of its own (made at its first use: the same path is the same store, as it would be the same
/// file). A schema, not a database: CREATE DATABASE takes about two seconds, a schema nothing.
inline Result<std::string> postgres_database(const std::string& path) {
  auto* server = PostgresServer::shared();
  if (server == nullptr) return fail(StorageErrc::open_failed, "no PostgreSQL test server");
  static std::map<std::string, std::string> databases;
  auto it = databases.find(path);
  if (it == databases.end()) {
    const auto name = "store" + std::to_string(databases.size() + 1);
    auto admin = sql::open_postgres(server->conninfo());
    if (!admin) return fail(admin.error());
    if (auto r = admin->exec("CREATE SCHEMA " + name); !r) return fail(r.error());
    it = databases.emplace(path, name).first;
  }
  return server->conninfo() + " options='-csearch_path=" + it->second + "'";
}

/// The store the suite runs against: the SQLite file at `path`, or, when store_is_postgres(),
/// postgres_database(path).
inline Result<std::unique_ptr<backend::CaseStore>> open_case_store(
    const std::string& path, std::int64_t max_pages = 0, backend::GroupingPolicy grouping = {},
    backend::DeadLetterPolicy dead_letters = {}, const std::shared_ptr<const crypto::KeyRing>& keys = {}) {
  if (!store_is_postgres()) return backend::open_sqlite_case_store(path, max_pages, grouping, dead_letters, keys);
  // max_pages (a full disk) is SQLite's test (CaseStoreFiles).
  auto conninfo = postgres_database(path);
  if (!conninfo) return fail(conninfo.error());
  return backend::open_postgres_case_store(*conninfo, grouping, dead_letters, keys);
}

/// The dashboard's reader of the store open_case_store(path) created. Its clock is UTC unless
/// `utc_offset_ms` says otherwise: the seeded plans count UTC days and months (the service
/// region's clock has tests of its own: AnalyticsClock).
inline Result<std::unique_ptr<backend::Analytics>> open_analytics(
    const std::string& path, const std::shared_ptr<const crypto::KeyRing>& keys = {}, std::int64_t utc_offset_ms = 0) {
  if (!store_is_postgres()) return backend::open_sqlite_analytics(path, keys, utc_offset_ms);
  auto conninfo = postgres_database(path);
  if (!conninfo) return fail(conninfo.error());
  return backend::open_postgres_analytics(*conninfo, keys, utc_offset_ms);
}

inline backend::Rules& shipped_rules() {
  static backend::Rules rules = [] {
    auto r = backend::load_rules(kRulesDir);
    if (!r) throw std::runtime_error(r.error().what());
    return std::move(*r);
  }();
  return rules;
}

/// A connection of its own to the store at `path` (as open_case_store() names it), for a test that
/// looks at the rows themselves; SQL as the stores write it (the PostgreSQL driver translates).
/// The sealing functions open values with `keys`, as the store's own connection does; without,
/// they give sealed values as they are stored.
inline Result<sql::Database> open_store_database(const std::string& path,
                                                 const std::shared_ptr<const crypto::KeyRing>& keys = {}) {
  if (!store_is_postgres()) {
    auto db = sql::Database::open(path);
    if (!db) return db;
    if (auto r = sql::register_sealing(*db, keys); !r) return fail(r.error());
    return db;
  }
  auto conninfo = postgres_database(path);
  if (!conninfo) return fail(conninfo.error());
  auto options = backend::detail::pg_store_options(keys.get());
  if (!options) return fail(options.error());
  return sql::open_postgres(*conninfo, std::move(*options));
}

inline backend::ReportIntake intake(const wire::Envelope& env, std::int64_t at_ms) {
  backend::ReportIntake in;
  in.report = &env.report();
  in.payload = codec::encode(env);
  in.digest = codec::sha256(in.payload);
  in.topic = "vehicles/" + env.report().vin() + "/reports";
  in.received_ms = at_ms;
  in.classification = shipped_rules().classifier.classify(env.report());
  in.route = shipped_rules().router.route(in.classification, env.report().model());
  return in;
}

inline backend::NotificationFactory simple_notifications() {
  return [](const backend::ReportIntake& in, const backend::CaseRef& ref,
            std::string_view /*event*/) -> Result<backend::StoredNotification> {
    return backend::StoredNotification{new_uuid(), in.report->vin(), "payload for " + ref.case_number, "text"};
  };
}

}  // namespace fb::test
