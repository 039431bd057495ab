// A PostgreSQL driver under fb::sql::Database (fb/common/sql_driver.hpp), on libpq.
// Stores keep writing SQLite's SQL; this driver translates it (translate_to_postgres) and runs
// it as server-side prepared statements, one per text and parameter types, kept per connection.
//
// Transactions: "BEGIN IMMEDIATE" (sql::Transaction) becomes a READ COMMITTED transaction that
// first takes a transaction-scoped advisory lock of the store (PgOptions::writer_lock): every
// writer of the same store on the same database waits for the one before, as SQLite's writers
// do, so the stores' read-check-write sequences keep their meaning with several backend
// instances. Unique constraints stay the last word (exactly-once holds even without the lock).
//
// A lost connection (a server restart, a failover) is made again with the same parameters at
// the next statement outside a transaction; a BEGIN or a SELECT that finds it lost runs again on
// the new one, a write fails (it may have been committed). Inside a transaction every statement
// after the loss fails (unavailable) until its owner ends it: a ROLLBACK succeeds, a COMMIT
// fails, and nothing runs on the new connection outside the transaction it belonged to. A
// COMMIT of a transaction that a failed statement aborted fails too (internal): PostgreSQL
// rolls it back, where SQLite would have kept the rest.
//
// Threads: as Database: one owner at a time. Errors: StorageErrc, by SQLSTATE class, the
// server's message and SQLSTATE in the detail (FB_PG_TRACE=1 also prints each failed statement
// to stderr: the store suites often check only that a call failed).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fb/common/error.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::sql {

struct PgOptions {
  /// Tables whose rows have an `id` the store reads back with last_insert_rowid(): an INSERT into
  /// one of them gets "RETURNING id" (SQLite's rowid alias has no PostgreSQL equivalent).
  std::vector<std::string> id_tables;
  /// The advisory lock "BEGIN IMMEDIATE" takes (one per store, the same in every instance).
  std::int64_t writer_lock = 0;
  /// Settings of the session (name, value), sent in the connection's startup packet after any
  /// `options` of the conninfo, and so made again on every reconnect. Never in a statement: the
  /// server's statement log does not see them (the sealing keys travel this way). Values are
  /// plain tokens: no spaces or backslashes. With settings, open_postgres refuses (open_failed)
  /// a conninfo whose link could be plain TCP or an unchecked server: TLS with sslmode
  /// verify-ca or verify-full, or a Unix socket; and a `service` (PGSERVICE), which could say
  /// otherwise out of sight.
  std::vector<std::pair<std::string, std::string>> session_settings;
};

/// SQLite's SQL as PostgreSQL's: `?` and `?N` become `$N`; instr() strpos(); two-argument max()
/// and min() greatest() and least(); X'..' blob literals bytea's; INSERT OR IGNORE "ON CONFLICT DO NOTHING"; an INSERT
/// into one of `id_tables` without RETURNING gets "RETURNING id" (`*returns_id` set). String literals, `--`
/// comments and $$-quoted bodies are left alone.
/// Not a general translator: what the stores write.
std::string translate_to_postgres(std::string_view sql, const std::vector<std::string>& id_tables,
                                  bool* returns_id = nullptr);

/// Connects (libpq `conninfo`, e.g. "postgresql://user@host:5432/db" or "host=/tmp/x port=5432
/// dbname=db") with JIT compilation off for the session: the stores' queries are short, and
/// once a big table lifts a plan's estimated cost over jit_above_cost, compiling it costs more
/// than running it (15 ms against under 1 ms for the agents' queue at 10^5 cases).
/// Errors: open_failed.
Result<Database> open_postgres(const std::string& conninfo, PgOptions options = {});

/// Connects and brings the schema `schema.name` up to date: `schema.migrations[i]` (PostgreSQL
/// DDL) upgrades version i to i+1, recorded in table fb_schema, in one transaction under the
/// store's writer lock (instances starting together migrate once). A newer version than this
/// build knows is refused (schema_too_new).
Result<Database> open_postgres_store(const std::string& conninfo, const StoreSchema& schema, PgOptions options = {});

}  // namespace fb::sql
