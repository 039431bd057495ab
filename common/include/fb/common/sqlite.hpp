// A thin RAII layer over SQLite that returns fb::Error instead of result codes.
// Threads: a Database and its Statements belong to one thread (or strand) at a time: the
// owner named where the Database is created. SQLite is built serialized on Debian, but our
// stores rely on single ownership for transaction boundaries, not on SQLite's mutexes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fb/common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace fb::sql {

class Database;
class Driver;
class DriverStatement;

/// The SQL a Database speaks. Stores write SQLite's; another driver translates it
/// (fb/common/sql_driver.hpp) and a store branches on this only where a translation would be a hack.
enum class Dialect { sqlite, postgres };

class Statement {
 public:
  Statement();
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  /// A statement from Database::cached() goes back to its cache here, reset, instead of being
  /// finalized.
  ~Statement();

  /// Binds are 1-based like SQLite's. They keep a copy of text and blobs (SQLITE_TRANSIENT).
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  /// Advances: true when a row is available, false when done.
  Result<bool> step();
  /// Runs to completion (for statements that return no rows) and resets for reuse.
  Result<void> run();
  /// Clears the cursor and bindings for the next use.
  void reset();
  /// Steps through every row, calling `on_row(*this)` for each, then resets.
  template <typename F>
  Result<void> each_row(F&& on_row) {
    for (;;) {
      auto row = step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      on_row(*this);
    }
    reset();
    return {};
  }

  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;
  bool is_null(int column) const;

 private:
  friend class Database;
  struct CacheEntry {
    sqlite3_stmt* stmt = nullptr;
    bool lent = false;
    bool orphaned = false;  // its Database closed while it was lent: the borrower finalizes it
  };
  Statement(sqlite3_stmt* s, Database* db, std::shared_ptr<CacheEntry> entry = nullptr);
  explicit Statement(std::unique_ptr<DriverStatement> ext);
  void release();
  sqlite3_stmt* stmt_ = nullptr;
  Database* db_ = nullptr;
  std::shared_ptr<CacheEntry> entry_;     // set: borrowed from Database::cached()
  std::unique_ptr<DriverStatement> ext_;  // set: another engine's statement (Database::adopt)
};

struct OpenOptions {
  bool create = true;
  bool read_only = false;
  /// WAL + synchronous=FULL: a committed transaction survives power loss.
  bool durable = true;
  int busy_timeout_ms = 5000;
  /// Upper bound on the file, in pages (0 = SQLite's default). Used to model a full disk.
  std::int64_t max_page_count = 0;
  /// Page size of a file this open creates (0 = SQLite's default, 4096); an existing file keeps
  /// its own. A smaller page means fewer bytes per WAL frame: a commit writes whole pages.
  int page_size = 0;
  /// Reads the file as it is, read-only: no locks, no -wal or -shm, never written (SQLite's
  /// `immutable` URI parameter). For a damaged store that cannot be copied aside.
  bool immutable = false;
  /// Set: PRAGMA secure_delete=ON (freed pages and cells zeroed: an erased value leaves no copy in
  /// free space) or OFF, from the first statement on, the migrations of open_store included.
  /// Unset: the library's own default (ON in Debian's build, OFF in SQLite's).
  std::optional<bool> secure_delete;
};

class Database {
 public:
  Database();
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  /// Opens (and creates) a file. Errors: open_failed, corrupt (not a database).
  static Result<Database> open(const std::filesystem::path& path, const OpenOptions& options = {});
  /// A connection of another engine (fb/common/sql_driver.hpp, e.g. fb/common/postgres.hpp):
  /// every call below goes to `driver`, which takes SQLite's SQL and translates it.
  static Database adopt(std::unique_ptr<Driver> driver);
  Dialect dialect() const;

  /// Runs one or more statements that return no rows.
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  /// The statement for `sql` from this connection's cache, prepared at its first use and reused
  /// after: the Statement goes back to the cache (reset, bindings cleared) when destroyed. While
  /// one for the same text is out, another use gets a fresh statement of its own, so nested
  /// uses are safe. Errors: as prepare().
  Result<Statement> cached(std::string_view sql);
  /// The cache holds at most this many statements: one more empties it (the statements lent out
  /// stay valid; their borrowers finalize them). Queries built from filters (the API's) have many
  /// shapes, and each would otherwise keep its compiled statement for the connection's life.
  static constexpr std::size_t kMaxCachedStatements = 256;
  /// How many statements the cache holds (tests).
  std::size_t cached_statements() const;
  /// Runs a one-row, one-column query and returns its integer (or nullopt for no row / NULL).
  Result<std::optional<std::int64_t>> query_int(std::string_view sql);

  /// False in autocommit mode: no transaction open, or SQLite rolled it back itself (it may on
  /// SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY).
  bool in_transaction() const;
  std::int64_t last_insert_rowid() const;
  int changes() const;
  const std::filesystem::path& path() const { return path_; }
  /// The SQLite connection, for what this wrapper does not cover (application-defined functions,
  /// fb/common/sealed_sql.hpp). Owned by this Database.
  sqlite3* handle() const { return db_; }

  /// Maps a SQLite result code to our storage error, with sqlite3_errmsg and `what` in the detail.
  Error error(int rc, std::string_view what) const;

 private:
  void close();
  /// Empties the statement cache: each statement is finalized now, or by its borrower if lent.
  void drop_cached();

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  /// Keyed by SQL text; an entry is shared with the Statement it is lent to.
  std::unordered_map<std::string, std::shared_ptr<Statement::CacheEntry>> cache_;
  std::unique_ptr<Driver> driver_;  // set: not SQLite (adopt())
};

/// BEGIN IMMEDIATE ... COMMIT; rolls back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;
};

/// A read transaction (BEGIN DEFERRED ... END) around several reads, so that they see one
/// snapshot and take SQLite's file locks once instead of once per statement; a no-op inside a
/// transaction already open. Ends on destruction; a failed BEGIN leaves each read to run alone
/// (on its own snapshot, as without it), so it never fails a read that would succeed.
/// Threads: the Database's.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Database& db);
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;
  ~ReadSnapshot();

 private:
  Database* db_ = nullptr;  // set when this object began the transaction
};

/// What to do when a store file is not a readable database.
enum class OnCorrupt {
  refuse,     // return StorageErrc::corrupt; an operator must look (backend case store)
  set_aside,  // rename to "<file>.corrupt-<epoch ms>" and start empty. Not for a store whose
              // rows must be recovered: a kill after the rename leaves an empty store in its
              // place (the car store recovers through a marker instead, fb/agent/salvage.hpp)
};

struct StoreSchema {
  std::string_view name;  // for messages, e.g. "outbox"
  /// migrations[i] upgrades user_version i to i+1; the latest version is migrations.size().
  std::span<const std::string_view> migrations;
};

struct OpenedStore {
  Database db;
  /// Set when a corrupt file was renamed (OnCorrupt::set_aside): where it now lies.
  std::optional<std::filesystem::path> set_aside;
};

/// Opens a store of ours: checks the file is intact (quick_check), refuses a schema newer than
/// this build (schema_too_new), and migrates an older one inside a transaction.
Result<OpenedStore> open_store(const std::filesystem::path& path, const StoreSchema& schema, OnCorrupt on_corrupt,
                               const OpenOptions& options = {});

}  // namespace fb::sql
