#include "fb/agent/salvage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

#include <spdlog/spdlog.h>

namespace fb::agent {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic{"SQLite format 3\0", 16};
constexpr std::uint32_t kDefaultPageSize = 4096;  // SQLite's default (car stores made before v6)

void put_be32(std::array<char, 100>& h, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) h[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

std::uint32_t be(const std::string& bytes, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

// The page size of a file whose header is lost. The -wal's own header says it, when there is
// one; else it is the smallest size that page 1's cell content fits in (its b-tree header, from
// byte 100, is intact) and at which page 2 starts like a b-tree page. Car stores are made with
// 1 KiB pages since schema v6, with 4 KiB before.
std::uint32_t guess_page_size(const fs::path& file, bool wal) {
  const auto valid = [](std::uint32_t p) { return p >= 512 && p <= 65536 && (p & (p - 1)) == 0; };
  if (wal) {
    std::ifstream w(file.string() + "-wal", std::ios::binary);
    std::string h(32, '\0');
    if (w.read(h.data(), 32) && (be(h, 0, 4) & 0xfffffffe) == 0x377f0682 && valid(be(h, 8, 4))) return be(h, 8, 4);
  }
  std::ifstream f(file, std::ios::binary);
  std::string bytes(65536 + 1, '\0');
  f.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(f.gcount()));
  if (bytes.size() < 108) return kDefaultPageSize;
  const auto content = be(bytes, 105, 2) == 0 ? 65536u : be(bytes, 105, 2);
  for (std::uint32_t p = 512; p <= 65536 && p < bytes.size(); p *= 2) {
    const auto type = static_cast<unsigned char>(bytes[p]);
    if (p >= content && (type == 2 || type == 5 || type == 10 || type == 13)) return p;
  }
  return kDefaultPageSize;
}

// A header for a file whose first 100 bytes are lost. Everything in it is either a constant of
// our stores or can be derived (the page count from the length); the schema cookie and the
// user version are unknown and set to 1 and 0: the rows are copied by column name anyway.
bool rebuild_header(const fs::path& file, bool wal) {
  const auto page_size = guess_page_size(file, wal);
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec || size < page_size) return false;
  std::array<char, 100> h{};
  std::memcpy(h.data(), kMagic.data(), kMagic.size());
  h[16] = static_cast<char>((page_size >> 8) & 0xff);  // 65536 is written as 1
  h[17] = static_cast<char>(page_size == 65536 ? 1 : page_size & 0xff);
  h[18] = h[19] = wal ? 2 : 1;  // file format: 2 reads the -wal beside the copy
  h[21] = 64;                   // payload fractions, fixed by the file format
  h[22] = 32;
  h[23] = 32;
  put_be32(h, 24, 1);  // change counter
  put_be32(h, 28, static_cast<std::uint32_t>(size / page_size));
  put_be32(h, 40, 1);  // schema cookie
  put_be32(h, 44, 4);  // schema format
  put_be32(h, 56, 1);  // UTF-8
  put_be32(h, 92, 1);  // version-valid-for = change counter: the page count above is trusted
  put_be32(h, 96, 3040001);
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.write(h.data(), h.size());
  return static_cast<bool>(f);
}

bool has_sqlite_header(const fs::path& file) {
  std::ifstream f(file, std::ios::binary);
  std::array<char, 16> head{};
  f.read(head.data(), head.size());
  return f && std::string_view(head.data(), head.size()) == kMagic;
}

std::string sql_name(std::string_view name) { return "\"" + std::string(name) + "\""; }

// Reads one table of the damaged copy (its own connection, `src`) into the fresh store's table
// of the same name (`dst`, inside the caller's transaction). The two never share a transaction:
// a read that meets damage spoils the transaction it ran in (its COMMIT fails as corrupt).
class TableCopier {
 public:
  TableCopier(sql::Database& src, sql::Database& dst, TableRecovery& out) : src_(src), dst_(dst), out_(out) {}

  Result<void> run() {
    auto columns = common_columns();
    if (!columns) return fail(columns.error());
    if (columns->empty()) {
      if (not_in_schema()) out_.absent = true;
      else out_.schema_unreadable = true;
      return {};
    }
    std::string names;
    std::string literals;
    for (const auto& c : *columns) {
      names += ", " + sql_name(c);
      literals += std::string(literals.empty() ? "" : " || ',' || ") + "quote(" + sql_name(c) + ")";
    }
    const auto table = sql_name(out_.table);
    auto probe = src_.prepare("SELECT rowid FROM " + table + " WHERE rowid >= ?1 ORDER BY rowid LIMIT 1");
    // Each value as an SQL literal (quote()): types and bytes survive the trip unchanged.
    auto read = src_.prepare("SELECT " + literals + " FROM " + table + " WHERE rowid = ?1");
    if (!probe || !read) {
      out_.schema_unreadable = true;
      return {};
    }
    probe_ = &*probe;
    const std::string insert = "INSERT OR IGNORE INTO main." + table + "(rowid" + names + ") VALUES(";

    std::int64_t pos = 1;  // our stores' rowids are assigned from 1
    std::int64_t last_good = 0;
    for (;;) {
      auto next = seek(pos);
      if (!next) {  // an unreadable page: find the first rowid past it that can be reached
        auto past = step_over(pos);
        if (!past) {
          out_.tail_unreadable = true;  // the rest of the table is out of reach
          return {};
        }
        next.emplace(*past);
        if (!*next) {
          out_.tail_unreadable = true;  // the damaged page was the table's last: how many is unknown
          return {};
        }
        out_.skipped_rowids += **next - last_good - 1;
      }
      if (!*next) return {};
      const auto rowid = **next;
      read->bind(1, rowid);
      auto row = read->step();
      if (row && *row) {
        const auto values = read->text(0);
        read->reset();
        if (auto r = dst_.exec(insert + std::to_string(rowid) + ", " + values + ")"); !r) return fail(r.error());
        ++out_.recovered;
      } else {
        read->reset();
        ++out_.unreadable;  // e.g. a damaged overflow page of a large payload
      }
      last_good = rowid;
      if (rowid == std::numeric_limits<std::int64_t>::max()) return {};
      pos = rowid + 1;
    }
  }

 private:
  // nullopt inside: no row at or after `from`; an error: the seek met an unreadable page, or
  // came back with a row before `from` (a damaged child pointer that leads back to an earlier
  // leaf: read on, the copy would go round that loop forever).
  std::optional<std::optional<std::int64_t>> seek(std::int64_t from) {
    probe_->bind(1, from);
    auto row = probe_->step();
    if (!row) return std::nullopt;
    std::optional<std::int64_t> out;
    if (*row) out = probe_->int64(0);
    probe_->reset();
    if (out && *out < from) return std::nullopt;
    return out;
  }

  // After seek(bad) failed: the first rowid whose seek succeeds, found by doubling the step and
  // then bisecting between the last failure and the first success. Returns the seek's result
  // there (which may be "no more rows"), or nullopt when no seek beyond `bad` succeeds.
  std::optional<std::optional<std::int64_t>> step_over(std::int64_t bad) {
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    std::int64_t fail_at = bad;
    std::optional<std::int64_t> ok_at;
    std::optional<std::int64_t> found;
    for (std::int64_t step = 1; !ok_at; step *= 2) {
      const std::int64_t at = (kMax - bad < step) ? kMax : bad + step;
      if (auto r = seek(at)) {
        ok_at = at;
        found = *r;
      } else {
        fail_at = at;
        if (at == kMax || step > kMax / 2) return std::nullopt;
      }
    }
    while (*ok_at - fail_at > 1) {
      const std::int64_t mid = fail_at + (*ok_at - fail_at) / 2;
      if (auto r = seek(mid)) {
        ok_at = mid;
        found = *r;
      } else {
        fail_at = mid;
      }
    }
    return found;
  }

  static std::vector<std::string> columns_of(sql::Database& db, const std::string& table) {
    std::vector<std::string> out;
    auto st = db.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid");
    if (!st) return out;
    st->bind(1, table);
    for (;;) {
      auto row = st->step();
      if (!row) return {};  // an unreadable schema
      if (!*row) break;
      out.push_back(st->text(0));
    }
    st->reset();
    return out;
  }

  // The old file's schema is readable and names no such table (an older schema version).
  bool not_in_schema() {
    auto st = src_.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
    if (!st) return false;
    st->bind(1, out_.table);
    auto row = st->step();
    return row && *row && st->int64(0) == 0;
  }

  Result<std::vector<std::string>> common_columns() {
    const auto have = columns_of(src_, out_.table);
    std::vector<std::string> out;
    for (auto& c : columns_of(dst_, out_.table)) {
      if (std::ranges::find(have, c) != have.end()) out.push_back(std::move(c));
      else if (!have.empty()) out_.missing_columns.push_back(std::move(c));
    }
    return out;
  }

  sql::Database& src_;
  sql::Database& dst_;
  TableRecovery& out_;
  sql::Statement* probe_ = nullptr;
};

// Durability of renames: the file's bytes, then the directory entry that names it.
Result<void> fsync_path(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return fail(StorageErrc::io, "open for fsync: " + p.string() + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(StorageErrc::io, "fsync " + p.string() + ": " + std::strerror(err));
  return {};
}

fs::path directory_of(const fs::path& store) {
  auto dir = store.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

Result<void> rename_file(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return fail(StorageErrc::io, "rename " + from.string() + " -> " + to.string() + ": " + ec.message());
  return {};
}

Result<void> remove_file(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) return fail(StorageErrc::io, "remove " + p.string() + ": " + ec.message());
  return {};
}

Result<void> step_done(const RecoveryFault& fault, RecoveryStep step) { return fault ? fault(step) : Result<void>{}; }

constexpr const char* kSideFiles[] = {"-wal", "-shm"};

}  // namespace

bool TableRecovery::lacks(std::string_view column) const {
  return std::ranges::find(missing_columns, column) != missing_columns.end();
}

fs::path recovery_marker(const fs::path& store) { return store.string() + ".recovery"; }
fs::path recovering_file(const fs::path& store) { return store.string() + ".recovering"; }

Result<std::optional<fs::path>> read_recovery_marker(const fs::path& store) {
  const auto marker = recovery_marker(store);
  std::error_code ec;
  if (!fs::exists(marker, ec)) {
    if (ec) return fail(StorageErrc::io, "marker " + marker.string() + ": " + ec.message());
    return std::optional<fs::path>{};
  }
  std::ifstream in(marker);
  std::string name;
  std::getline(in, name);
  // Written whole by a rename, so it is either absent or complete; a name outside the store's
  // directory is not one of ours.
  if (name.empty() || name.find('/') != std::string::npos) {
    return fail(StorageErrc::io, "recovery marker " + marker.string() + " names no set-aside file");
  }
  return std::optional<fs::path>{directory_of(store) / name};
}

Result<fs::path> begin_recovery(const fs::path& store, std::int64_t now_ms, const RecoveryFault& fault) {
  const fs::path aside = store.string() + ".corrupt-" + std::to_string(now_ms);
  const auto marker = recovery_marker(store);
  const fs::path tmp = marker.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << aside.filename().string() << '\n';
    out.flush();
    if (!out) return fail(StorageErrc::io, "cannot write " + tmp.string());
  }
  if (auto r = fsync_path(tmp, false); !r) return fail(r.error());
  if (auto r = rename_file(tmp, marker); !r) return fail(r.error());
  if (auto r = fsync_path(directory_of(store), true); !r) return fail(r.error());
  if (auto r = step_done(fault, RecoveryStep::marker_written); !r) return fail(r.error());
  if (auto r = prepare_rebuild(store, aside); !r) return fail(r.error());
  if (auto r = step_done(fault, RecoveryStep::set_aside); !r) return fail(r.error());
  return aside;
}

Result<void> prepare_rebuild(const fs::path& store, const fs::path& aside) {
  std::error_code ec;
  // Each rename only if it was not done: the store's name may hold a finished rebuild already
  // (a kill after `replaced`), which the rebuild below replaces again.
  // (never opened before the marker goes, and left in rollback mode: no -wal of its own).
  if (!fs::exists(aside, ec) && fs::exists(store, ec)) {
    if (auto r = rename_file(store, aside); !r) return fail(r.error());
  }
  for (const char* side : kSideFiles) {  // the main file first, then these: one at a time
    const fs::path from = store.string() + side;
    const fs::path to = aside.string() + side;
    if (fs::exists(from, ec) && !fs::exists(to, ec)) {
      if (auto r = rename_file(from, to); !r) return fail(r.error());
    }
  }
  const auto recovering = recovering_file(store);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    if (auto r = remove_file(recovering.string() + suffix); !r) return fail(r.error());
  }
  return fsync_path(directory_of(store), true);
}

Result<void> finish_recovery(const fs::path& store, const RecoveryFault& fault) {
  const auto recovering = recovering_file(store);
  if (auto r = fsync_path(recovering, false); !r) return fail(r.error());
  // A -wal left under the store's name would be replayed onto the new file.
  for (const char* side : kSideFiles) {
    if (auto r = remove_file(store.string() + side); !r) return fail(r.error());
  }
  if (auto r = rename_file(recovering, store); !r) return fail(r.error());
  if (auto r = fsync_path(directory_of(store), true); !r) return fail(r.error());
  if (auto r = step_done(fault, RecoveryStep::replaced); !r) return fail(r.error());
  if (auto r = remove_file(recovery_marker(store)); !r) return fail(r.error());
  return fsync_path(directory_of(store), true);
}

std::size_t Recovery::recovered() const {
  std::size_t n = 0;
  for (const auto& t : tables) n += t.recovered;
  return n;
}

std::size_t Recovery::lost_at_most() const {
  std::size_t n = 0;
  for (const auto& t : tables) n += t.unreadable + static_cast<std::size_t>(t.skipped_rowids);
  return n;
}

bool Recovery::incomplete() const {
  if (wal_unread) return true;
  for (const auto& t : tables) {
    if (t.unreadable > 0 || t.skipped_rowids != 0 || t.tail_unreadable || t.schema_unreadable) return true;
  }
  return false;
}

std::string Recovery::summary() const {
  std::string parts;
  std::string cut;
  for (const auto& t : tables) {
    parts += (parts.empty() ? "" : ", ") + t.table + " " + std::to_string(t.recovered);
    if (t.schema_unreadable || t.tail_unreadable) cut += (cut.empty() ? "" : ", ") + t.table;
  }
  std::string s = "recovered " + std::to_string(recovered()) + " rows (" + parts + ")";
  if (!incomplete()) return s + "; nothing lost";
  if (lost_at_most() > 0) s += "; at most " + std::to_string(lost_at_most()) + " lost";
  if (!cut.empty()) s += "; unreadable from some point on: " + cut;
  if (wal_unread) s += "; its -wal was not read (" + not_copied + "): the newest commits may be missing";
  return s;
}

const TableRecovery* Recovery::table(std::string_view name) const {
  for (const auto& t : tables) {
    if (t.table == name) return &t;
  }
  return nullptr;
}

TableRecovery* Recovery::table(std::string_view name) {
  for (auto& t : tables) {
    if (t.table == name) return &t;
  }
  return nullptr;
}

Result<Recovery> salvage(const fs::path& damaged, sql::Database& into, std::span<const std::string_view> tables) {
  Recovery out;
  out.from = damaged;
  for (auto t : tables) out.tables.push_back(TableRecovery{std::string(t)});
  const fs::path copy = damaged.string() + ".salvage";
  const fs::path copy_wal = copy.string() + "-wal";
  std::error_code ec;
  struct Cleanup {
    fs::path copy;
    ~Cleanup() {
      std::error_code e;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(copy.string() + suffix, e);
    }
  } cleanup{copy};
  // The copy can fail (no room for it beside the damaged file, a read error). Then the damaged
  // file is read where it is, immutable (never written), without its -wal, which only a copy
  // could be read with: the rows of the main file still come back and the car keeps working,
  // and the recovery says what it could not read.
  const fs::path damaged_wal = damaged.string() + "-wal";
  const bool wal = fs::exists(damaged_wal, ec);
  bool in_place = false;
  if (fs::copy_file(damaged, copy, fs::copy_options::overwrite_existing, ec); ec) {
    in_place = true;
    out.not_copied = "cannot copy " + damaged.string() + ": " + ec.message();
  } else if (wal) {
    if (fs::copy_file(damaged_wal, copy_wal, fs::copy_options::overwrite_existing, ec); ec) {
      out.not_copied = "cannot copy " + damaged_wal.string() + ": " + ec.message();
      fs::remove(copy_wal, ec);  // a part of it would be read as the whole
    }
  }
  out.wal_unread = wal && !out.not_copied.empty();
  const fs::path& read_from = in_place ? damaged : copy;
  if (!in_place && !has_sqlite_header(copy)) out.header_rebuilt = rebuild_header(copy, wal && !out.wal_unread);
  if (!out.not_copied.empty()) {
    spdlog::warn("recovery: {}; reading {}{}", out.not_copied, read_from.string(),
                 out.wal_unread ? " without its -wal" : " in place, unwritten");
  }

  sql::OpenOptions o;
  o.create = false;
  o.durable = false;  // the copy keeps its own journal mode; nothing is written to it
  o.immutable = in_place;
  auto src = sql::Database::open(read_from, o);
  if (!src) {
    for (auto& t : out.tables) t.schema_unreadable = true;
    return out;
  }
  // Checks each cell's size against its page as it is read, so a damaged page is refused
  // rather than misread. writable_schema: SQLite refuses a file shorter than its header says
  // (a truncated one) unless it is set; nothing is written through it.
  (void)src->exec("PRAGMA cell_size_check=ON");
  (void)src->exec("PRAGMA writable_schema=ON");
  auto tx = sql::Transaction::begin(into);
  if (!tx) return fail(tx.error());
  for (auto& t : out.tables) {
    if (auto r = TableCopier(*src, into, t).run(); !r) return fail(r.error());
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return out;
}

Result<std::size_t> remove_set_aside_stores(const fs::path& store) {
  auto marked = read_recovery_marker(store);
  if (!marked) return fail(marked.error());
  if (*marked) return fail(StorageErrc::busy, "a recovery of " + store.string() + " is under way");
  const std::string prefix = store.filename().string() + ".corrupt-";
  std::error_code ec;
  std::vector<fs::path> doomed;
  // `<store>.corrupt-<ms>` and its -wal, -shm or -journal: regular files of exactly that name only.
  const auto set_aside_name = [&](std::string_view name) {
    if (!name.starts_with(prefix)) return false;
    name.remove_prefix(prefix.size());
    for (std::string_view side : {"-wal", "-shm", "-journal"}) {
      if (name.ends_with(side)) {
        name.remove_suffix(side.size());
        break;
      }
    }
    return !name.empty() && std::ranges::all_of(name, [](char c) { return c >= '0' && c <= '9'; });
  };
  for (fs::directory_iterator it(directory_of(store), ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (set_aside_name(it->path().filename().string()) && it->is_regular_file(type_ec)) doomed.push_back(it->path());
  }
  if (ec) return fail(StorageErrc::io, "cannot list " + directory_of(store).string() + ": " + ec.message());
  for (const auto& path : doomed) {
    if (!fs::remove(path, ec) && ec)
      return fail(StorageErrc::io, "cannot remove " + path.string() + ": " + ec.message());
  }
  if (!doomed.empty()) {
    if (auto r = fsync_path(directory_of(store), true); !r) return fail(r.error());
  }
  return doomed.size();
}

}  // namespace fb::agent
