#include "fb/common/sqlite.hpp"

#include "fb/common/sql_driver.hpp"

#include <sqlite3.h>

#include <chrono>
#include <utility>

namespace fb::sql {
namespace {

StorageErrc classify(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return StorageErrc::full;
    case SQLITE_IOERR: return StorageErrc::io;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return StorageErrc::corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return StorageErrc::busy;
    case SQLITE_CONSTRAINT: return StorageErrc::constraint;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM: return StorageErrc::open_failed;
    case SQLITE_TOOBIG: return StorageErrc::too_large;
    default: return StorageErrc::internal;
  }
}

// Before the process's first connection: SQLite's allocator statistics off. With them on, every
// sqlite3_malloc and sqlite3_free takes one process-wide mutex, which the backend's threads and an
// agent in the same process then contend for (a profile of the drain benchmark: futex waits and
// wakes around sqlite3Malloc). Nothing here reads those statistics. Too late (SQLite already
// initialized by someone else) is harmless: SQLITE_MISUSE, and the statistics stay on.
void configure_sqlite_once() {
  static const int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)rc;
}

}  // namespace

// ---- Statement ----

Statement::Statement(sqlite3_stmt* s, Database* db, std::shared_ptr<CacheEntry> entry)
    : stmt_(s),
      db_(db),
      entry_(std::move(entry)) {}
Statement::Statement() = default;
Statement::Statement(std::unique_ptr<DriverStatement> ext) : ext_(std::move(ext)) {}
Statement::Statement(Statement&& o) noexcept
    : stmt_(std::exchange(o.stmt_, nullptr)),
      db_(o.db_),
      entry_(std::move(o.entry_)),
      ext_(std::move(o.ext_)) {}
Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    release();
    stmt_ = std::exchange(o.stmt_, nullptr);
    db_ = o.db_;
    entry_ = std::move(o.entry_);
    ext_ = std::move(o.ext_);
  }
  return *this;
}
Statement::~Statement() { release(); }

void Statement::release() {
  ext_.reset();
  if (stmt_ == nullptr && !entry_) return;
  if (entry_ && !entry_->orphaned) {
    // A cached statement is the cache's: left ready for its next user, and no read kept open.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    entry_->lent = false;
  } else {
    sqlite3_finalize(stmt_);
  }
  entry_.reset();
  stmt_ = nullptr;
}

Statement& Statement::bind(int i, std::int64_t v) {
  if (ext_) {
    ext_->bind_int(i, v);
    return *this;
  }
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view t) {
  if (ext_) {
    ext_->bind_text(i, t);
    return *this;
  }
  // A default string_view has no data pointer, which SQLite would bind as NULL, not ''.
  sqlite3_bind_text(stmt_, i, t.data() ? t.data() : "", static_cast<int>(t.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_blob(int i, std::string_view b) {
  if (ext_) {
    ext_->bind_blob(i, b);
    return *this;
  }
  sqlite3_bind_blob(stmt_, i, b.data() ? b.data() : "", static_cast<int>(b.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  if (ext_) {
    ext_->bind_null(i);
    return *this;
  }
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Statement::step() {
  if (ext_) return ext_->step();
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto err = db_->error(rc, sqlite3_sql(stmt_));
  sqlite3_reset(stmt_);
  return fail(std::move(err));
}

Result<void> Statement::run() {
  auto r = step();
  reset();
  if (!r) return fail(r.error());
  return {};
}

void Statement::reset() {
  if (ext_) return ext_->reset();
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int c) const { return ext_ ? ext_->int64(c) : sqlite3_column_int64(stmt_, c); }
std::string Statement::text(int c) const {
  if (ext_) return ext_->text(c);
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : std::string();
}
std::string Statement::blob(int c) const {
  if (ext_) return ext_->blob(c);
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : std::string();
}
bool Statement::is_null(int c) const { return ext_ ? ext_->is_null(c) : sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

// ---- Database ----

Database::Database(Database&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)),
      path_(std::move(o.path_)),
      cache_(std::move(o.cache_)),
      driver_(std::move(o.driver_)) {
  o.cache_.clear();
}
Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    close();
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
    cache_ = std::move(o.cache_);
    o.cache_.clear();
    driver_ = std::move(o.driver_);
  }
  return *this;
}
Database::Database() = default;
Database::~Database() { close(); }

void Database::close() {
  driver_.reset();
  drop_cached();
  sqlite3_close_v2(std::exchange(db_, nullptr));  // waits for the statements still lent out
}

void Database::drop_cached() {
  // A statement still lent out is finalized by its borrower.
  for (auto& [sql, entry] : cache_) {
    if (entry->lent) entry->orphaned = true;
    else sqlite3_finalize(entry->stmt);
  }
  cache_.clear();
}

Error Database::error(int rc, std::string_view what) const {
  std::string detail(what);
  if (db_ != nullptr) detail += std::string(detail.empty() ? "" : ": ") + sqlite3_errmsg(db_);
  else detail += std::string(detail.empty() ? "" : ": ") + sqlite3_errstr(rc);
  if (!path_.empty()) detail += " [" + path_.string() + "]";
  return Error(classify(rc), std::move(detail));
}

Result<Database> Database::open(const std::filesystem::path& path, const OpenOptions& o) {
  configure_sqlite_once();
  Database d;
  d.path_ = path;
  const bool read_only = o.read_only || o.immutable;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (o.create && !read_only) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  std::string name = path.string();
  if (o.immutable) {
    std::string uri = "file:";
    for (const char c : name) {
      if (c == '%' || c == '?' || c == '#') uri += c == '%' ? "%25" : c == '?' ? "%3f" : "%23";
      else uri += c;
    }
    name = uri + "?immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  const int rc = sqlite3_open_v2(name.c_str(), &d.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    auto err = d.error(rc, "open");
    return fail(Error(StorageErrc::open_failed, err.detail));
  }
  sqlite3_extended_result_codes(d.db_, 1);
  sqlite3_busy_timeout(d.db_, o.busy_timeout_ms);
  // Before anything writes the header (journal_mode=WAL does): a no-op on an existing file.
  if (o.page_size > 0 && !read_only) {
    if (auto r = d.exec("PRAGMA page_size=" + std::to_string(o.page_size)); !r) return fail(r.error());
  }
  // The first statement that reads the header tells us whether the file is a database at all.
  if (auto r = d.exec("PRAGMA foreign_keys=ON"); !r) return fail(r.error());
  // Statement journals and sort/temporary b-trees in memory, not in /var/tmp files: the backend's
  // batches wrote about seven such pages per report (strace of the drain benchmark). They hold
  // no durable state; a crash needs only the WAL.
  if (auto r = d.exec("PRAGMA temp_store=MEMORY"); !r) return fail(r.error());
  if (o.secure_delete) {
    if (auto r = d.query_int(*o.secure_delete ? "PRAGMA secure_delete=ON" : "PRAGMA secure_delete=OFF"); !r) {
      return fail(r.error());
    }
  }
  if (!read_only) {
    if (o.durable) {
      if (auto r = d.query_int("PRAGMA journal_mode=WAL"); !r) return fail(r.error());
      if (auto r = d.exec("PRAGMA synchronous=FULL"); !r) return fail(r.error());
    }
    if (o.max_page_count > 0) {
      if (auto r = d.query_int("PRAGMA max_page_count=" + std::to_string(o.max_page_count)); !r) {
        return fail(r.error());
      }
    }
  }
  return d;
}

Database Database::adopt(std::unique_ptr<Driver> driver) {
  Database d;
  d.driver_ = std::move(driver);
  return d;
}

Dialect Database::dialect() const { return driver_ ? driver_->dialect() : Dialect::sqlite; }

std::size_t Database::cached_statements() const { return driver_ ? driver_->cached_statements() : cache_.size(); }

Result<void> Database::exec(std::string_view sql) {
  if (driver_) return driver_->exec(sql);
  char* msg = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg);
  sqlite3_free(msg);  // sqlite3_errmsg() in error() carries the same text
  if (rc != SQLITE_OK) return fail(error(rc, s.substr(0, 80)));
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (driver_) {
    auto st = driver_->prepare(sql);
    if (!st) return fail(st.error());
    return Statement(std::move(*st));
  }
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s,
                                    nullptr);
  if (rc != SQLITE_OK) return fail(error(rc, sql.substr(0, 80)));
  return Statement(s, this);
}

Result<Statement> Database::cached(std::string_view sql) {
  if (driver_) return prepare(sql);  // a driver keeps its engine's prepared statements itself
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) {
    if (it->second->lent) return prepare(sql);  // in use higher up the stack: one of its own
    it->second->lent = true;
    return Statement(it->second->stmt, this, it->second);
  }
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s,
                                    nullptr);
  if (rc != SQLITE_OK) return fail(error(rc, sql.substr(0, 80)));
  if (cache_.size() >= kMaxCachedStatements) drop_cached();
  auto entry = std::make_shared<Statement::CacheEntry>(Statement::CacheEntry{s, true, false});
  cache_.emplace(std::string(sql), entry);
  return Statement(s, this, std::move(entry));
}

Result<std::optional<std::int64_t>> Database::query_int(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return fail(st.error());
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row || st->is_null(0)) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{st->int64(0)};
}

bool Database::in_transaction() const {
  if (driver_) return driver_->in_transaction();
  return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

std::int64_t Database::last_insert_rowid() const {
  return driver_ ? driver_->last_insert_rowid() : sqlite3_last_insert_rowid(db_);
}
int Database::changes() const { return driver_ ? driver_->changes() : sqlite3_changes(db_); }

// ---- Transaction ----

Result<Transaction> Transaction::begin(Database& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return fail(r.error());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  auto* db = std::exchange(db_, nullptr);
  if (auto r = db->exec("COMMIT"); !r) {
    (void)db->exec("ROLLBACK");
    return r;
  }
  return {};
}

ReadSnapshot::ReadSnapshot(Database& db) {
  if (db.handle() != nullptr && !db.in_transaction() && db.exec("BEGIN DEFERRED")) db_ = &db;
}

ReadSnapshot::~ReadSnapshot() {
  // A read transaction left open would refuse every later BEGIN on this connection.
  if (db_ != nullptr && db_->in_transaction() && !db_->exec("END")) (void)db_->exec("ROLLBACK");
}

// ---- open_store ----

namespace {

Result<Database> open_checked(const std::filesystem::path& path, const OpenOptions& options) {
  auto db = Database::open(path, options);
  if (!db) return db;
  auto st = db->prepare("PRAGMA quick_check");
  if (!st) return fail(st.error());
  auto row = st->step();
  if (!row) return fail(row.error());
  if (*row && st->text(0) != "ok") return fail(StorageErrc::corrupt, "quick_check: " + st->text(0));
  return db;
}

std::filesystem::path set_aside(const std::filesystem::path& path) {
  const auto stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::filesystem::path target = path.string() + ".corrupt-" + std::to_string(stamp);
  std::error_code ec;
  std::filesystem::rename(path, target, ec);
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::filesystem::path side = path.string() + suffix;
    if (std::filesystem::exists(side, ec)) std::filesystem::rename(side, target.string() + suffix, ec);
  }
  return target;
}

}  // namespace

Result<OpenedStore> open_store(const std::filesystem::path& path, const StoreSchema& schema, OnCorrupt on_corrupt,
                               const OpenOptions& options) {
  OpenedStore out;
  auto db = open_checked(path, options);
  if (!db && db.error().code == make_error_code(StorageErrc::corrupt)) {
    if (on_corrupt == OnCorrupt::refuse) {
      return fail(StorageErrc::corrupt, std::string(schema.name) + ": " + db.error().detail);
    }
    out.set_aside = set_aside(path);
    db = open_checked(path, options);
  }
  if (!db) return fail(db.error());
  out.db = std::move(*db);

  auto version = out.db.query_int("PRAGMA user_version");
  if (!version) return fail(version.error());
  const auto current = static_cast<std::size_t>(version->value_or(0));
  const auto latest = schema.migrations.size();
  if (current > latest) {
    return fail(StorageErrc::schema_too_new, std::string(schema.name) + " schema version " + std::to_string(current) +
                                                 ", this build knows up to " + std::to_string(latest) + " [" +
                                                 path.string() + "]");
  }
  if (current < latest) {
    auto tx = Transaction::begin(out.db);
    if (!tx) return fail(tx.error());
    for (std::size_t v = current; v < latest; ++v) {
      if (auto r = out.db.exec(schema.migrations[v]); !r) return fail(r.error());
    }
    if (auto r = out.db.exec("PRAGMA user_version=" + std::to_string(latest)); !r) return fail(r.error());
    if (auto r = tx->commit(); !r) return fail(r.error());
  }
  return out;
}

}  // namespace fb::sql
