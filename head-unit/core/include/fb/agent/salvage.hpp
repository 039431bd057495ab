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
#include <functional>
#include <optional>
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
  /// The old file's readable schema has no such table (written before it existed): nothing to
  /// copy and nothing lost. Not set for a table that is there but unreadable.
  bool absent = false;
  /// Columns of the fresh store's table that the old file's table lacks (an older schema): the
  /// copied rows have their defaults there, and the caller brings them up to date.
  std::vector<std::string> missing_columns;
  bool lacks(std::string_view column) const;
};

struct Recovery {
  std::filesystem::path from;   // the file set aside
  bool header_rebuilt = false;  // its first page's header was not SQLite's
  /// Why it was read without a copy of it or of its -wal (no room, a read error); empty: copied.
  std::string not_copied;
  /// It had a -wal that could not be read without a copy: the newest commits may be missing.
  bool wal_unread = false;
  std::vector<TableRecovery> tables;

  std::size_t recovered() const;
  /// Rows known lost: unreadable rows plus rowids stepped over (an upper bound for those).
  std::size_t lost_at_most() const;
  /// True when something may be missing: unreadable rows, skipped pages, an unreadable table, or
  /// a -wal not read.
  bool incomplete() const;
  /// One line for the driver's log and the listeners, e.g.
  /// "recovered 41 rows (outbox 10, reports 12, ...); at most 7 lost".
  std::string summary() const;
  TableRecovery* table(std::string_view name);
  const TableRecovery* table(std::string_view name) const;
};

/// Copies the readable rows of `tables` (in that order) from `damaged` into `into`, whose
/// tables of the same names must exist. Works on `<damaged>.salvage` (a copy, removed after);
/// when no copy can be made (no room, a read error), reads `damaged` in place, immutable (never
/// written), without its -wal (Recovery::not_copied, wal_unread).
/// Errors: StorageErrc from `into` (nothing half-copied: one transaction).
Result<Recovery> salvage(const std::filesystem::path& damaged, sql::Database& into,
                         std::span<const std::string_view> tables);

// ---- A recovery that survives being killed (CarStore::open) -------------------------------------
//
// The files, for a store `<file>`:
//  - `<file>.recovery`: the marker, one line naming the set-aside file. Written (tmp file,
//    fsync, rename, fsync of the directory) before anything moves; removed last. While it
//    exists, the store is being recovered: the next start resumes instead of opening `<file>`.
//  - `<file>.corrupt-<ms>` (and its -wal): the damaged store, renamed aside; never written.
//  - `<file>.recovering`: the new store being rebuilt from it, renamed over `<file>` only when
//    complete (in rollback-journal mode so it is one file; the file and the directory fsync'd).
// Resuming rebuilds from the set-aside file from scratch (a half-built `.recovering` is deleted
// first), so a kill at any step leaves either the old marker state or the finished store: never
// two half stores, and the rebuild copies each readable row once (it is deterministic).

/// The steps of that recovery, in order: a fault hook is called after each one.
enum class RecoveryStep {
  marker_written,  // the marker names the set-aside file; nothing moved yet
  set_aside,       // `<file>` (and -wal, -shm) renamed to the set-aside name
  copied,          // the readable rows committed in `<file>.recovering`, not yet checked
  checked,         // digests checked, My reports repaired: `.recovering` is complete
  replaced,        // `.recovering` renamed over `<file>`; the marker is still there
};

/// Called after each step; an error stops the recovery there as a kill would (what is on disk
/// stays as the step left it) and CarStore::open returns that error. Tests only.
using RecoveryFault = std::function<Result<void>(RecoveryStep)>;

std::filesystem::path recovery_marker(const std::filesystem::path& store);
std::filesystem::path recovering_file(const std::filesystem::path& store);

/// The set-aside file the marker of `store` names; nullopt when there is no marker.
/// Errors: StorageErrc::io (a marker that cannot be read, or names nothing).
Result<std::optional<std::filesystem::path>> read_recovery_marker(const std::filesystem::path& store);

/// Starts the recovery of the corrupt `store`: writes the marker naming
/// `<store>.corrupt-<now_ms>` and renames the store's files there. Returns the set-aside path.
/// Errors: StorageErrc::io.
Result<std::filesystem::path> begin_recovery(const std::filesystem::path& store, std::int64_t now_ms,
                                             const RecoveryFault& fault = {});

/// Brings the files to where a (resumed) rebuild starts: the store's files renamed aside if they
/// were not yet (a kill between the marker and the renames) and any half-built `.recovering`
/// removed. Errors: StorageErrc::io.
Result<void> prepare_rebuild(const std::filesystem::path& store, const std::filesystem::path& aside);

/// Ends it once `.recovering` is complete and closed: fsyncs it, removes stale -wal/-shm of
/// `store`, renames it over `store`, fsyncs the directory, removes the marker.
/// Errors: StorageErrc::io.
Result<void> finish_recovery(const std::filesystem::path& store, const RecoveryFault& fault = {});

/// Deletes the damaged stores recoveries of `store` set aside (`<store>.corrupt-<ms>` with their
/// -wal and -shm): an erasure of personal data must not leave older copies behind. Not while a
/// recovery is under way (its marker names one): StorageErrc::busy. Returns how many files went.
/// Errors: StorageErrc::io.
Result<std::size_t> remove_set_aside_stores(const std::filesystem::path& store);

}  // namespace fb::agent
