// Reads what is still readable of a damaged SQLite file and copies it into a fresh database:
// the car store's recovery of a corrupt file (CarStore::open).
//
// SQLite 3.40 (Debian bookworm) has no recovery API in the library (sqlite3_recover is 3.41+
// and only in the shell's sources), so this works through plain SQL on a copy of the file,
// attached to the fresh database:
//  - a header that is not SQLite's (clobbered first bytes) is rewritten on the copy with the
//    file's page size (from its -wal's header, else guessed from pages 1 and 2) and its length,
//    so the schema page can be read;
//  - each table is read row by row in rowid order, one seek per row (rowid >= next), so an
//    unreadable page stops only the rows on it: after a failed seek, the next readable rowid is
//    found by seeking further ahead (doubling, then bisecting back), which steps over the
//    damaged subtree of the b-tree;
//  - a row is copied with the columns both schemas have (an older file's rows fit the newer
//    schema's defaults), keeping its rowid; a row that cannot be read whole is skipped.
// The damaged file itself is never opened or changed (its -wal is read through the copy).
//
// Threads: none of its own; runs on the caller's (the store's owner). Errors: StorageErrc from
// the fresh database (e.g. full); damage in the old file is never an error, only fewer rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fb/common/error.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::agent {

struct TableRecovery {
  std::string table;
  std::size_t recovered = 0;   // rows copied into the fresh store
  std::size_t unreadable = 0;  // rows found but not readable whole (or refused by a check), not copied
  /// Rowids stepped over on unreadable pages: at most this many rows were lost there (rowids
  /// are not dense: deleted rows leave gaps).
  std::int64_t skipped_rowids = 0;
  bool tail_unreadable = false;    // the table's last rows were on an unreadable page: how many is unknown
  bool schema_unreadable = false;  // the table could not be found or read at all
};

struct Recovery {
  std::filesystem::path from;   // the file set aside
  bool header_rebuilt = false;  // its first page's header was not SQLite's
  std::vector<TableRecovery> tables;

  std::size_t recovered() const;
  /// Rows known lost: unreadable rows plus rowids stepped over (an upper bound for those).
  std::size_t lost_at_most() const;
  /// True when something may be missing: unreadable rows, skipped pages, or an unreadable table.
  bool incomplete() const;
  /// One line for the driver's log and the listeners, e.g.
  /// "recovered 41 rows (outbox 10, reports 12, ...); at most 7 lost".
  std::string summary() const;
  TableRecovery* table(std::string_view name);
  const TableRecovery* table(std::string_view name) const;
};

/// Copies the readable rows of `tables` (in that order) from `damaged` into `into`, whose
/// tables of the same names must exist. Works on `<damaged>.salvage` (a copy, removed after).
/// Errors: StorageErrc from `into` (nothing half-copied: one transaction).
Result<Recovery> salvage(const std::filesystem::path& damaged, sql::Database& into,
                         std::span<const std::string_view> tables);

}  // namespace fb::agent
