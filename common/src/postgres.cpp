#include "fb/common/postgres.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unordered_map>
#include <utility>

#include "fb/common/sql_driver.hpp"

namespace fb::sql {
namespace {

// Type OIDs of pg_type.h (a server header we do not need for four numbers).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// A libpq message without the newlines it ends with.
std::string without_newlines(std::string message) {
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

/// What every session of the driver runs first (open_postgres, and again after a reconnect):
/// notices ("already exists, skipping" and such) silenced, then kSessionSetup. Every write holds
/// the one writer lock (an advisory lock) for its transaction: a session left idle inside one (an
/// instance paused or cut off) is ended by the server after 60 s instead of stopping every
/// instance's writes until TCP keepalive notices, about two hours (docs/deploy.md). None of ours
/// waits inside a transaction.
constexpr const char* kSessionSetup = "SET jit = off; SET idle_in_transaction_session_timeout = '60s'";
void silence_notices(PGconn* conn) {
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
}

/// The end of the string literal that starts at `i` (the index of its closing quote).
std::size_t literal_end(std::string_view sql, std::size_t i) {
  std::size_t j = i + 1;
  while (j < sql.size()) {
    if (sql[j] == '\'') {
      if (j + 1 < sql.size() && sql[j + 1] == '\'') {
        j += 2;
        continue;
      }
      return j;
    }
    ++j;
  }
  return sql.size() - 1;
}

std::size_t skip_space(std::string_view sql, std::size_t i) {
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])) != 0) ++i;
  return i;
}

/// Whether the call whose "(" is at `open` has more than one argument.
bool has_top_level_comma(std::string_view sql, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') i = literal_end(sql, i);
    else if (c == '(') ++depth;
    else if (c == ')') {
      if (--depth == 0) return false;
    } else if (c == ',' && depth == 1) return true;
  }
  return false;
}

struct Translated {
  std::string sql;
  int params = 0;
  bool returns_id = false;
};

Translated translate(std::string_view sql, const std::vector<std::string>& id_tables) {
  Translated t;
  auto& out = t.sql;
  out.reserve(sql.size() + 24);
  bool or_ignore = false;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'') {
      const auto end = literal_end(sql, i);
      out.append(sql.substr(i, end + 1 - i));
      i = end + 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      // A comment, to the end of its line: an apostrophe in it opens no literal.
      const auto end = std::min(sql.find('\n', i), sql.size());
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] == '$') {
      // A dollar-quoted body (a migration's PL/pgSQL): PostgreSQL's own text, left as it is.
      const auto close = sql.find("$$", i + 2);
      const auto end = close == std::string_view::npos ? sql.size() : close + 2;
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '?') {
      std::size_t j = i + 1;
      int number = 0;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) {
        number = number * 10 + (sql[j] - '0');
        ++j;
      }
      if (j == i + 1) number = t.params + 1;  // SQLite: a bare "?" is one more than the largest so far
      t.params = std::max(t.params, number);
      out += '$' + std::to_string(number);
      i = j;
    } else if (ident_char(c) && (i == 0 || !ident_char(sql[i - 1]))) {
      std::size_t j = i;
      while (j < sql.size() && ident_char(sql[j])) ++j;
      const auto word = sql.substr(i, j - i);
      const auto w = lower(word);
      const auto next = skip_space(sql, j);
      const bool call = next < sql.size() && sql[next] == '(';
      if (w == "x" && j < sql.size() && sql[j] == '\'') {
        // A blob literal, X'0A1B': bytea's hex input.
        const auto end = literal_end(sql, j);
        out += "'\\x";
        out.append(sql.substr(j + 1, end - j - 1));
        out += "'::bytea";
        j = end + 1;
      } else if (w == "instr" && call) out += "strpos";
      else if ((w == "max" || w == "min") && call && has_top_level_comma(sql, next)) {
        out += w == "max" ? "greatest" : "least";
      } else if (w == "blob") out += "bytea";
      else if (w == "like") out += "ILIKE";  // SQLite's LIKE ignores (ASCII) case; PostgreSQL's does not
      else if (w == "insert" && lower(sql.substr(next, 9)) == "or ignore") {
        out += word;
        or_ignore = true;
        j = next + 9;
      } else out += word;
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  if (or_ignore) out += " ON CONFLICT DO NOTHING";
  const auto l = lower(out);
  const auto start = skip_space(l, 0);
  if (l.compare(start, 12, "insert into ") == 0 && l.find("returning") == std::string::npos) {
    const auto name_at = skip_space(l, start + 12);
    auto name_end = name_at;
    while (name_end < l.size() && ident_char(l[name_end])) ++name_end;
    const auto table = l.substr(name_at, name_end - name_at);
    if (std::find(id_tables.begin(), id_tables.end(), table) != id_tables.end()) {
      out += " RETURNING id";
      t.returns_id = true;
    }
  }
  return t;
}

StorageErrc classify(const char* sqlstate) {
  if (sqlstate == nullptr) return StorageErrc::unavailable;  // no result: the connection is gone
  const std::string_view s(sqlstate);
  if (s.starts_with("23")) return StorageErrc::constraint;
  if (s == "40001" || s == "40P01" || s == "55P03") return StorageErrc::busy;
  if (s == "53100") return StorageErrc::full;
  if (s == "54000") return StorageErrc::too_large;
  if (s.starts_with("08") || s.starts_with("57P")) return StorageErrc::unavailable;  // connection, shutdown
  if (s.starts_with("57") || s.starts_with("58")) return StorageErrc::io;
  if (s == "XX001" || s == "XX002") return StorageErrc::corrupt;
  return StorageErrc::internal;
}

std::string unhex_bytea(const char* v, int length) {
  // bytea's text output: "\x" and two hex digits a byte.
  if (length < 2 || v[0] != '\\' || v[1] != 'x') return std::string(v, static_cast<std::size_t>(length));
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  out.reserve(static_cast<std::size_t>(length - 2) / 2);
  for (int i = 2; i + 1 < length; i += 2) out += static_cast<char>(nibble(v[i]) << 4 | nibble(v[i + 1]));
  return out;
}

class PgDriver;

class PgStatement final : public DriverStatement {
 public:
  PgStatement(PgDriver& driver, Translated sql, bool changes_query)
      : driver_(driver),
        sql_(std::move(sql)),
        changes_query_(changes_query) {}
  ~PgStatement() override { clear(); }

  void bind_int(int i, std::int64_t v) override { param(i) = {Param::integer, std::to_string(v)}; }
  void bind_text(int i, std::string_view t) override { param(i) = {Param::text, std::string(t)}; }
  void bind_blob(int i, std::string_view b) override { param(i) = {Param::blob, std::string(b)}; }
  void bind_null(int i) override { param(i) = {Param::null, {}}; }

  Result<bool> step() override;
  void reset() override {
    clear();
    params_.clear();
  }

  std::int64_t int64(int c) const override {
    if (synthetic_) return *synthetic_;
    if (PQgetisnull(res_, row_, c) != 0) return 0;
    const char* v = PQgetvalue(res_, row_, c);
    if (PQftype(res_, c) == kBoolOid) return v[0] == 't' ? 1 : 0;
    return std::strtoll(v, nullptr, 10);
  }
  std::string text(int c) const override {
    if (synthetic_) return std::to_string(*synthetic_);
    const char* v = PQgetvalue(res_, row_, c);
    const int n = PQgetlength(res_, row_, c);
    if (PQftype(res_, c) == kByteaOid) return unhex_bytea(v, n);
    if (PQftype(res_, c) == kBoolOid) return v[0] == 't' ? "1" : "0";
    return std::string(v, static_cast<std::size_t>(n));
  }
  std::string blob(int c) const override { return text(c); }
  bool is_null(int c) const override { return !synthetic_ && PQgetisnull(res_, row_, c) != 0; }

  struct Param {
    enum Kind { null, integer, text, blob } kind = null;
    std::string value;
  };

 private:
  Param& param(int i) {
    if (params_.size() < static_cast<std::size_t>(std::max(i, sql_.params))) {
      params_.resize(static_cast<std::size_t>(std::max(i, sql_.params)));
    }
    return params_[static_cast<std::size_t>(i - 1)];
  }
  void clear() {
    if (res_ != nullptr) PQclear(res_);
    res_ = nullptr;
    ran_ = false;
    row_ = -1;
    synthetic_.reset();
  }

  PgDriver& driver_;
  Translated sql_;
  bool changes_query_ = false;  // "SELECT changes()": answered from the connection, not the server
  std::vector<Param> params_;
  PGresult* res_ = nullptr;
  bool ran_ = false;
  int row_ = -1;
  std::optional<std::int64_t> synthetic_;
};

class PgDriver final : public Driver {
 public:
  PgDriver(PGconn* conn, PgOptions options) : conn_(conn), options_(std::move(options)) {}
  ~PgDriver() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::postgres; }

  Result<void> exec(std::string_view sql) override {
    if (lost_in_transaction_) return end_lost_transaction(sql);
    const auto ending = transaction_end(sql);
    // The session is gone and its transaction with it: nothing to undo, and no reason to wait
    // for a new connection to say so.
    if (ending == End::rollback && PQstatus(conn_) == CONNECTION_BAD) return {};
    if (auto ok = reconnect_if_lost(); !ok) return ok;
    const bool was_in_transaction = in_transaction();
    auto done = exec_once(sql, ending);
    if (done) return done;
    if (ending != End::none && PQstatus(conn_) == CONNECTION_BAD) {
      // The loss met the end of the transaction: it is over either way. A COMMIT's outcome is
      // unknown (the server may have committed before the link went): it fails.
      return ending == End::rollback ? Result<void>{} : done;
    }
    note_lost(was_in_transaction);
    // A BEGIN on a connection found dead (the server restarted since the last statement) has
    // done nothing yet: once connected again it runs as if the loss had been seen before it.
    if (!was_in_transaction && PQstatus(conn_) == CONNECTION_BAD && lower(sql).starts_with("begin")) {
      if (auto ok = reconnect_if_lost(); !ok) return ok;
      done = exec_once(sql, ending);
      if (!done) note_lost(false);
    }
    return done;
  }

  Result<std::unique_ptr<DriverStatement>> prepare(std::string_view sql) override {
    const bool changes_query = lower(sql) == "select changes()";
    return std::unique_ptr<DriverStatement>(
        std::make_unique<PgStatement>(*this, translate(sql, options_.id_tables), changes_query));
  }

  bool in_transaction() const override {
    if (lost_in_transaction_) return true;  // until its owner ends it: see end_lost_transaction()
    const auto s = PQtransactionStatus(conn_);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
  }
  std::int64_t last_insert_rowid() const override { return last_id_; }
  int changes() const override { return changes_; }
  std::size_t cached_statements() const override { return prepared_.size(); }

  /// Runs `sql` with `params` as a prepared statement of this connection (prepared at its first
  /// use with these parameter types). The result is the caller's to PQclear.
  Result<PGresult*> run(const Translated& sql, const std::vector<PgStatement::Param>& params) {
    if (lost_in_transaction_) return fail(lost_transaction_error());
    if (auto ok = reconnect_if_lost(); !ok) return fail(ok.error());
    const bool was_in_transaction = in_transaction();
    auto r = run_connected(sql, params);
    if (r) return r;
    note_lost(was_in_transaction);
    // A read outside a transaction that found the connection dead changed nothing: it runs
    // again on a new one. A write might have been committed before the link went: it fails.
    if (!was_in_transaction && PQstatus(conn_) == CONNECTION_BAD && is_read(sql.sql)) {
      if (auto ok = reconnect_if_lost(); !ok) return fail(ok.error());
      r = run_connected(sql, params);
      if (!r) note_lost(false);
    }
    return r;
  }

 private:
  Result<PGresult*> run_connected(const Translated& sql, const std::vector<PgStatement::Param>& params) {
    std::string key;
    key.reserve(params.size() + 1 + sql.sql.size());
    for (const auto& p : params) key += static_cast<char>('0' + p.kind);
    key += '\n';
    key += sql.sql;
    auto it = prepared_.find(key);
    if (it == prepared_.end()) {
      // The same bound as SQLite's cache (Database::kMaxCachedStatements): results are fetched
      // whole, so no statement is in use between two calls and all may go.
      if (prepared_.size() >= Database::kMaxCachedStatements) deallocate_all();
      auto name = prepare_on_server(sql.sql, params);
      if (!name) return fail(name.error());
      it = prepared_.emplace(std::move(key), std::move(*name)).first;
    }
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size());
    std::vector<int> formats(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      values[i] = params[i].kind == PgStatement::Param::null ? nullptr : params[i].value.c_str();
      lengths[i] = static_cast<int>(params[i].value.size());
      formats[i] = params[i].kind == PgStatement::Param::blob ? 1 : 0;
    }
    PGresult* r = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()), values.data(),
                                 lengths.data(), formats.data(), 0);
    if (auto ok = check(r, sql.sql); !ok) {
      PQclear(r);
      return fail(ok.error());
    }
    note_changes(r);
    if (sql.returns_id && PQntuples(r) > 0) last_id_ = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
    return r;
  }

  enum class End { none, commit, rollback };
  static End transaction_end(std::string_view sql) {
    const auto s = lower(sql);
    if (s == "commit" || s == "end") return End::commit;
    if (s == "rollback") return End::rollback;
    return End::none;
  }

  /// `ending`: transaction_end(sql), which exec() has already worked out.
  Result<void> exec_once(std::string_view sql, End ending) {
    std::string text;
    if (sql == "BEGIN IMMEDIATE") {
      text = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" +
             std::to_string(options_.writer_lock) + ")";
    } else {
      text = translate(sql, options_.id_tables).sql;
    }
    PGresult* r = PQexec(conn_, text.c_str());
    auto done = check(r, text);
    if (done) note_changes(r);
    // A COMMIT of a transaction a failed statement aborted rolls it back and says so only in
    // its tag; SQLite would have kept the rest of it. Not a success either way.
    if (done && ending == End::commit && std::string_view(PQcmdStatus(r)) == "ROLLBACK") {
      done = fail(StorageErrc::internal, "COMMIT: the transaction had failed and was rolled back");
    }
    PQclear(r);
    if (!done && sql == "BEGIN IMMEDIATE" && PQstatus(conn_) == CONNECTION_OK &&
        PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      // The BEGIN went through and the lock did not (a timeout, a cancel): no Transaction owns
      // what is open, and an aborted transaction would fail every later statement.
      PQclear(PQexec(conn_, "ROLLBACK"));
    }
    return done;
  }

  // ---- a lost connection (a server restart, a failover, a dropped link) ----
  //
  // Outside a transaction the next statement connects again (PQreset: the same parameters) and
  // runs; the server-side prepared statements went with the old session. A BEGIN or a SELECT
  // that is the first to meet the loss runs again on the new connection (it changed nothing); a
  // write fails (it may have been committed before the link went). Inside a transaction, what it
  // wrote is gone with the session: every statement fails until its owner ends it, a ROLLBACK
  // succeeds and a COMMIT fails, so that nothing after the loss runs outside the transaction it
  // belonged to and no commit is reported that did not happen. Errors: unavailable.

  /// After a failed statement: whether it failed because the connection is gone.
  void note_lost(bool was_in_transaction) {
    if (PQstatus(conn_) != CONNECTION_BAD) return;
    lost_in_transaction_ = was_in_transaction;
  }

  static bool is_read(const std::string& sql) {
    const auto start = skip_space(sql, 0);
    return lower(std::string_view(sql).substr(start, 7)) == "select ";
  }

  Result<void> reconnect_if_lost() {
    if (PQstatus(conn_) != CONNECTION_BAD) return {};
    prepared_.clear();
    changes_ = 0;
    last_id_ = 0;
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return fail(StorageErrc::unavailable,
                  "postgres: connection lost, and connecting again failed: " + without_newlines(PQerrorMessage(conn_)));
    }
    silence_notices(conn_);
    return exec_raw(kSessionSetup);
  }

  Error lost_transaction_error() const {
    return Error(StorageErrc::unavailable,
                 "postgres: the connection was lost inside a transaction; it was rolled back");
  }

  Result<void> end_lost_transaction(std::string_view sql) {
    const auto ending = transaction_end(sql);
    if (ending != End::none) lost_in_transaction_ = false;
    if (ending == End::rollback) return {};
    return fail(lost_transaction_error());
  }

  /// Drops every prepared statement on the server (not transactional). Inside a transaction a
  /// savepoint keeps a failure (a cancel, a timeout) from aborting the caller's work; after one
  /// the cache stays as it is and the next new statement tries again.
  void deallocate_all() {
    const bool in_tx = in_transaction();
    if (in_tx && !exec_raw("SAVEPOINT fb_deallocate")) return;
    const bool ok = static_cast<bool>(exec_raw("DEALLOCATE ALL"));
    if (in_tx) (void)exec_raw(ok ? "RELEASE fb_deallocate" : "ROLLBACK TO fb_deallocate; RELEASE fb_deallocate");
    if (ok) {
      prepared_.clear();
    } else if (!deallocate_failed_logged_) {
      deallocate_failed_logged_ = true;
      std::fprintf(stderr, "postgres: DEALLOCATE ALL failed; prepared statements stay over the bound\n");
    }
  }

  Result<std::string> prepare_on_server(const std::string& sql, const std::vector<PgStatement::Param>& params) {
    auto name = "fb" + std::to_string(prepared_.size() + 1);
    // Integers and bytes say their type; text and NULL let the server infer it from the context
    // (a text bound to a BIGINT column is parsed as one, as SQLite's affinity would store it).
    // Where the context does not tell (42P18), text it is. A failed prepare inside a
    // transaction must not abort it: hence the savepoint.
    const bool in_tx = in_transaction();
    for (bool typed_text : {false, true}) {
      std::vector<Oid> types(params.size());
      for (std::size_t i = 0; i < params.size(); ++i) {
        switch (params[i].kind) {
          case PgStatement::Param::integer: types[i] = kInt8Oid; break;
          case PgStatement::Param::blob: types[i] = kByteaOid; break;
          default: types[i] = typed_text ? kTextOid : 0;
        }
      }
      if (in_tx) {
        if (auto r = exec_raw("SAVEPOINT fb_prepare"); !r) return fail(r.error());
      }
      PGresult* r = PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(params.size()), types.data());
      auto ok = check(r, sql);
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      const bool indeterminate = !ok && state != nullptr && std::string_view(state) == "42P18";
      PQclear(r);
      if (in_tx) {
        if (auto x = exec_raw(ok ? "RELEASE fb_prepare" : "ROLLBACK TO fb_prepare; RELEASE fb_prepare"); !x) {
          return fail(x.error());
        }
      }
      if (ok) return name;
      if (!indeterminate || typed_text) return fail(ok.error());
    }
    return fail(StorageErrc::internal, "unreachable");
  }

  Result<void> exec_raw(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    auto ok = check(r, sql);
    PQclear(r);
    return ok;
  }

  Result<void> check(PGresult* r, std::string_view sql) {
    const auto status = PQresultStatus(r);
    if (r != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return {};
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string detail(sql.substr(0, 120));
    detail += ": ";
    detail = without_newlines(detail + (r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
    if (state != nullptr) detail += std::string(" [") + state + "]";
    if (std::getenv("FB_PG_TRACE") != nullptr) std::fprintf(stderr, "postgres: %s\n", detail.c_str());
    return fail(classify(state), std::move(detail));
  }

  void note_changes(PGresult* r) {
    const std::string_view status = PQcmdStatus(r);
    if (status.starts_with("INSERT") || status.starts_with("UPDATE") || status.starts_with("DELETE")) {
      changes_ = std::atoi(PQcmdTuples(r));
    }
  }

  PGconn* conn_;
  PgOptions options_;
  std::unordered_map<std::string, std::string> prepared_;  // parameter kinds + "\n" + SQL -> name
  bool deallocate_failed_logged_ = false;
  std::int64_t last_id_ = 0;
  int changes_ = 0;
  bool lost_in_transaction_ = false;  // the connection went while a transaction was open
};

Result<bool> PgStatement::step() {
  if (!ran_) {
    ran_ = true;
    if (changes_query_) {
      synthetic_ = driver_.changes();
      row_ = 0;
      return true;
    }
    auto r = driver_.run(sql_, params_);
    if (!r) {
      ran_ = false;  // as SQLite's statement after an error: the next step() runs it again
      return fail(r.error());
    }
    res_ = *r;
    row_ = -1;
    if (sql_.returns_id) return false;  // the id went to last_insert_rowid(), as SQLite's INSERT returns no row
  }
  if (synthetic_) {
    synthetic_.reset();
    return false;
  }
  if (res_ == nullptr) return false;
  ++row_;
  return row_ < PQntuples(res_);
}

}  // namespace

std::string translate_to_postgres(std::string_view sql, const std::vector<std::string>& id_tables, bool* returns_id) {
  auto t = translate(sql, id_tables);
  if (returns_id != nullptr) *returns_id = t.returns_id;
  return std::move(t.sql);
}

namespace {

/// Whether every host of the conninfo is a Unix socket (an empty host is libpq's default socket).
bool only_sockets(const std::string& hosts) {
  std::size_t at = 0;
  while (at <= hosts.size()) {
    const auto end = std::min(hosts.find(',', at), hosts.size());
    const auto host = std::string_view(hosts).substr(at, end - at);
    if (!host.empty() && host.front() != '/' && host.front() != '@') return false;
    at = end + 1;
  }
  return true;
}

/// The conninfo's own `options` (else PGOPTIONS) followed by " -c name=value" for each session
/// setting. The settings may be secrets (the store's sealing keys): refused unless the link is
/// private, a Unix socket or TLS that checks the server (sslmode verify-ca or verify-full).
Result<std::string> startup_options(const std::string& conninfo, const PgOptions& options) {
  std::string out;
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = without_newlines(error != nullptr ? error : "out of memory");
    PQfreemem(error);
    return fail(StorageErrc::open_failed, "postgres: " + why);
  }
  const auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v == nullptr ? "" : v);
  };
  // libpq's environment defaults, where the conninfo leaves a keyword out (PQconninfoParse does
  // not apply them; PQconnectdbParams would).
  std::string host = env("PGHOST"), hostaddr = env("PGHOSTADDR"), sslmode = env("PGSSLMODE");
  std::string service = env("PGSERVICE");
  out = env("PGOPTIONS");
  for (auto* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view k = o->keyword;
    if (k == "options") out = o->val;
    else if (k == "host") host = o->val;
    else if (k == "hostaddr") hostaddr = o->val;
    else if (k == "sslmode") sslmode = o->val;
    else if (k == "service") service = o->val;
  }
  PQconninfoFree(parsed);
  if (!service.empty()) {
    // A service file may name a host and an sslmode this check would not see.
    return fail(StorageErrc::open_failed,
                "postgres: the session settings carry keys, and a service (" + service +
                    ") hides where the connection goes: give host, port, dbname and sslmode in the conninfo");
  }
  // "require" encrypts but does not check who answers: a man in the middle would get the keys.
  const bool tls = sslmode == "verify-ca" || sslmode == "verify-full";
  if (!tls && (!hostaddr.empty() || !only_sockets(host))) {
    return fail(StorageErrc::open_failed,
                "postgres: the session settings carry keys, and this connection could reach someone other than "
                "the server or go over the network in the clear: add sslmode=verify-full (with sslrootcert) to "
                "the conninfo, or connect through a Unix socket");
  }
  for (const auto& [name, value] : options.session_settings) {
    if (value.find_first_of(" \t\\") != std::string::npos) {
      return fail(StorageErrc::open_failed, "postgres: session setting " + name + " has a space or a backslash");
    }
    out += (out.empty() ? "-c " : " -c ") + name + "=" + value;
  }
  return out;
}

}  // namespace

Result<Database> open_postgres(const std::string& conninfo, PgOptions options) {
  PGconn* conn = nullptr;
  if (options.session_settings.empty()) {
    conn = PQconnectdb(conninfo.c_str());
  } else {
    auto startup = startup_options(conninfo, options);
    if (!startup) return fail(startup.error());
    // expand_dbname: "dbname" is the whole conninfo; the later "options" overrides the one in it.
    const char* keywords[] = {"dbname", "options", nullptr};
    const char* values[] = {conninfo.c_str(), startup->c_str(), nullptr};
    conn = PQconnectdbParams(keywords, values, 1);
  }
  if (conn == nullptr) return fail(StorageErrc::open_failed, "postgres: out of memory");
  const auto refuse = [conn](const std::string& what) -> Result<Database> {
    std::string message = without_newlines(PQerrorMessage(conn));
    PQfinish(conn);
    return fail(StorageErrc::open_failed, "postgres: " + what + message);
  };
  if (PQstatus(conn) != CONNECTION_OK) return refuse("");
  silence_notices(conn);
  PGresult* setup = PQexec(conn, kSessionSetup);
  const bool set_up = PQresultStatus(setup) == PGRES_COMMAND_OK;
  PQclear(setup);
  if (!set_up) return refuse(std::string(kSessionSetup) + ": ");
  return Database::adopt(std::make_unique<PgDriver>(conn, std::move(options)));
}

Result<Database> open_postgres_store(const std::string& conninfo, const StoreSchema& schema, PgOptions options) {
  auto db = open_postgres(conninfo, std::move(options));
  if (!db) return db;
  auto tx = Transaction::begin(*db);
  if (!tx) return fail(tx.error());
  if (auto r = db->exec("CREATE TABLE IF NOT EXISTS fb_schema (name TEXT PRIMARY KEY, version BIGINT NOT NULL)"); !r) {
    return fail(r.error());
  }
  auto st = db->prepare("SELECT version FROM fb_schema WHERE name = ?");
  if (!st) return fail(st.error());
  st->bind(1, schema.name);
  auto row = st->step();
  if (!row) return fail(row.error());
  const auto current = *row ? static_cast<std::size_t>(st->int64(0)) : std::size_t{0};
  st->reset();
  const auto latest = schema.migrations.size();
  if (current > latest) {
    return fail(StorageErrc::schema_too_new, std::string(schema.name) + " schema version " + std::to_string(current) +
                                                 ", this build knows up to " + std::to_string(latest));
  }
  if (current < latest) {
    for (std::size_t v = current; v < latest; ++v) {
      if (auto r = db->exec(schema.migrations[v]); !r) return fail(r.error());
    }
    auto set = db->prepare(
        "INSERT INTO fb_schema(name, version) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version");
    if (!set) return fail(set.error());
    set->bind(1, schema.name).bind(2, static_cast<std::int64_t>(latest));
    if (auto r = set->run(); !r) return fail(r.error());
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return db;
}

}  // namespace fb::sql
