// The seam under fb::sql::Database for engines other than SQLite (fb/common/sqlite.hpp).
// A store writes SQLite's SQL once; a driver takes that text and runs it on its engine,
// translating what differs (placeholders, a few functions). Database::adopt() wraps a driver.
//
// Threads: as Database: one owner at a time, the one that owns the Database it is adopted by.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fb/common/error.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::sql {

/// One statement of a driver: what Statement forwards to. Binds are 1-based; reset() also
/// clears the bindings (as Statement::reset does for SQLite).
class DriverStatement {
 public:
  virtual ~DriverStatement() = default;
  virtual void bind_int(int index, std::int64_t value) = 0;
  virtual void bind_text(int index, std::string_view text) = 0;
  virtual void bind_blob(int index, std::string_view bytes) = 0;
  virtual void bind_null(int index) = 0;
  /// Runs the statement at the first call, then walks its rows: true while one is available.
  virtual Result<bool> step() = 0;
  virtual void reset() = 0;
  /// A boolean column reads as 0 or 1, as SQLite has it.
  virtual std::int64_t int64(int column) const = 0;
  virtual std::string text(int column) const = 0;
  virtual std::string blob(int column) const = 0;
  virtual bool is_null(int column) const = 0;
};

/// A connection. exec() and prepare() take SQLite's SQL; "BEGIN IMMEDIATE" (Transaction) means a
/// write transaction that excludes every other writer of the same store, as SQLite's does.
class Driver {
 public:
  virtual ~Driver() = default;
  virtual Dialect dialect() const = 0;
  virtual Result<void> exec(std::string_view sql) = 0;
  virtual Result<std::unique_ptr<DriverStatement>> prepare(std::string_view sql) = 0;
  virtual bool in_transaction() const = 0;
  /// The id of the last row an INSERT made (SQLite's last_insert_rowid()).
  virtual std::int64_t last_insert_rowid() const = 0;
  /// Rows the last INSERT, UPDATE or DELETE changed (SQLite's changes()).
  virtual int changes() const = 0;
  virtual std::size_t cached_statements() const = 0;
};

}  // namespace fb::sql
