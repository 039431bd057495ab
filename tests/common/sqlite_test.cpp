#include "fb/common/sqlite.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "process.hpp"

namespace fb::sql {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kV1 = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);";
constexpr std::string_view kV2 = "ALTER TABLE t ADD COLUMN w INTEGER NOT NULL DEFAULT 7;";
constexpr std::string_view kOne[] = {kV1};
constexpr std::string_view kTwo[] = {kV1, kV2};

void write_file(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

TEST(Sqlite, MigratesAnOlderSchemaAndKeepsRows) {
  test::TempDir dir;
  const auto path = dir / "s.db";
  {
    auto s = open_store(path, {"test", kOne}, OnCorrupt::refuse);
    ASSERT_TRUE(s) << s.error().what();
    ASSERT_TRUE(s->db.exec("INSERT INTO t(v) VALUES('kept')"));
  }
  auto s = open_store(path, {"test", kTwo}, OnCorrupt::refuse);
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(*s->db.query_int("PRAGMA user_version"), 2);
  EXPECT_EQ(*s->db.query_int("SELECT w FROM t WHERE v = 'kept'"), 7);
}

// A default std::string_view has no data pointer; SQLite would take it for NULL. It binds as the
// empty text (or blob) it is, so that a NOT NULL column takes it and '' = ?1 holds.
TEST(Sqlite, AnEmptyStringViewBindsAnEmptyValueNotNull) {
  test::TempDir dir;
  auto s = open_store(dir / "s.db", {"test", kOne}, OnCorrupt::refuse);
  ASSERT_TRUE(s) << s.error().what();
  auto st = s->db.prepare("SELECT typeof(?1), typeof(?2), ?1 = ''");
  ASSERT_TRUE(st) << st.error().what();
  st->bind(1, std::string_view{}).bind_blob(2, std::string_view{});
  auto row = st->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(st->text(0), "text");
  EXPECT_EQ(st->text(1), "blob");
  EXPECT_EQ(st->int64(2), 1);
}

// Every sqlite3_malloc and sqlite3_free took a process-wide mutex to count the bytes, contended by
// the backend's threads. The first open turns the counting off: SQLite then counts nothing.
TEST(Sqlite, TheFirstOpenTurnsOffSQLitesProcessWideAllocationCounting) {
  test::TempDir dir;
  auto s = open_store(dir / "s.db", {"test", kOne}, OnCorrupt::refuse);
  ASSERT_TRUE(s) << s.error().what();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(s->db.exec("INSERT INTO t(v) VALUES(hex(randomblob(500)))"));
  EXPECT_EQ(*s->db.query_int("SELECT count(*) FROM t"), 100);
  EXPECT_EQ(sqlite3_memory_used(), 0);
}

// A migration that frees personal data (the car store's v10 moves the driver's words) must run
// with the store's secure_delete, not the library's default: Debian's build zeroes freed space,
// SQLite's own does not. Each migration here records the setting it ran with.
TEST(Sqlite, MigrationsRunWithTheSecureDeleteAskedFor) {
  constexpr std::string_view kRecord[] = {
      "CREATE TABLE seen AS SELECT secure_delete AS on_ FROM pragma_secure_delete;"};
  for (const bool on : {false, true}) {
    test::TempDir dir;
    OpenOptions o;
    o.secure_delete = on;
    auto s = open_store(dir / "s.db", {"test", kRecord}, OnCorrupt::refuse, o);
    ASSERT_TRUE(s) << s.error().what();
    EXPECT_EQ(*s->db.query_int("SELECT on_ FROM seen"), on ? 1 : 0);
    EXPECT_EQ(*s->db.query_int("PRAGMA secure_delete"), on ? 1 : 0);
  }
}

TEST(Sqlite, RefusesASchemaFromANewerBuildWithoutTouchingIt) {
  test::TempDir dir;
  const auto path = dir / "s.db";
  { ASSERT_TRUE(open_store(path, {"test", kTwo}, OnCorrupt::set_aside)); }
  const auto size = fs::file_size(path);
  auto s = open_store(path, {"test", kOne}, OnCorrupt::set_aside);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(StorageErrc::schema_too_new));
  EXPECT_NE(s.error().detail.find("schema version 2"), std::string::npos);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::file_size(path), size);
}

TEST(Sqlite, GarbageFileIsRefusedOrSetAside) {
  test::TempDir dir;
  const auto path = dir / "s.db";
  write_file(path, std::string(8192, 'x'));
  auto refused = open_store(path, {"test", kOne}, OnCorrupt::refuse);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(StorageErrc::corrupt));

  auto fresh = open_store(path, {"test", kOne}, OnCorrupt::set_aside);
  ASSERT_TRUE(fresh) << fresh.error().what();
  ASSERT_TRUE(fresh->set_aside);
  EXPECT_TRUE(fs::exists(*fresh->set_aside));
  EXPECT_EQ(fs::file_size(*fresh->set_aside), 8192u);  // the evidence is kept as it was
  EXPECT_TRUE(fresh->db.exec("INSERT INTO t(v) VALUES('new')"));
}

TEST(Sqlite, DamagedPagesAreDetectedByQuickCheck) {
  test::TempDir dir;
  const auto path = dir / "s.db";
  {
    auto s = open_store(path, {"test", kOne}, OnCorrupt::refuse, OpenOptions{.durable = false});
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->db.exec("BEGIN"));
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(s->db.exec("INSERT INTO t(v) VALUES(hex(randomblob(100)))"));
    ASSERT_TRUE(s->db.exec("COMMIT"));
  }
  {
    // Overwrite the middle of page 3 (a b-tree page) with zeros, as a torn flash write would.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * 4096 + 100);
    const std::string zeros(2000, '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  auto s = open_store(path, {"test", kOne}, OnCorrupt::refuse);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(StorageErrc::corrupt)) << s.error().what();
}

TEST(Sqlite, FullDiskIsAnErrorAndTheTransactionIsUndone) {
  test::TempDir dir;
  auto s = open_store(dir / "s.db", {"test", kOne}, OnCorrupt::refuse, OpenOptions{.max_page_count = 8});
  ASSERT_TRUE(s) << s.error().what();
  auto& db = s->db;
  ASSERT_TRUE(db.exec("INSERT INTO t(v) VALUES('first')"));
  Result<void> r;
  {
    auto tx = Transaction::begin(db);
    ASSERT_TRUE(tx);
    for (int i = 0; i < 1000 && r; ++i) r = db.exec("INSERT INTO t(v) VALUES(hex(randomblob(500)))");
  }  // not committed: rolled back
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(StorageErrc::full)) << r.error().what();
  EXPECT_EQ(*db.query_int("SELECT count(*) FROM t"), 1);
  EXPECT_TRUE(db.exec("INSERT INTO t(v) VALUES('still works')"));
}

TEST(Sqlite, ConstraintViolationIsClassified) {
  test::TempDir dir;
  auto s = open_store(dir / "s.db", {"test", kOne}, OnCorrupt::refuse);
  ASSERT_TRUE(s);
  auto r = s->db.exec("INSERT INTO t(id, v) VALUES(1, 'a'); INSERT INTO t(id, v) VALUES(1, 'b');");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(StorageErrc::constraint));
}

TEST(Sqlite, UnopenablePathIsOpenFailed) {
  auto s = Database::open("/nonexistent-dir/x.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(StorageErrc::open_failed));
  EXPECT_NE(s.error().detail.find("/nonexistent-dir/x.db"), std::string::npos);
}

std::vector<std::int64_t> column0(Statement& st) {
  std::vector<std::int64_t> out;
  EXPECT_TRUE(st.each_row([&](const Statement& s) { out.push_back(s.int64(0)); }));
  return out;
}

TEST(Sqlite, ACachedStatementIsPreparedOnceAndComesBackReset) {
  test::TempDir dir;
  auto db = Database::open(dir / "c.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  constexpr std::string_view kSql = "SELECT x FROM t WHERE x >= ? ORDER BY x";
  {
    auto st = db->cached(kSql);
    ASSERT_TRUE(st);
    st->bind(1, std::int64_t{2});
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->int64(0), 2);
  }  // left mid-way, bound: handed back reset
  auto again = db->cached(kSql);
  ASSERT_TRUE(again);
  EXPECT_EQ(db->cached_statements(), 1u);
  again->bind(1, std::int64_t{1});
  EXPECT_EQ(column0(*again), (std::vector<std::int64_t>{1, 2, 3}));
}

// Statements of many shapes (the API's filters) do not pile up for the connection's life: past
// kMaxCachedStatements the cache starts again, and a statement lent out across that still works.
TEST(Sqlite, TheStatementCacheIsBoundedAndALentStatementSurvivesItsEmptying) {
  test::TempDir dir;
  auto db = Database::open(dir / "c.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  auto lent = db->cached("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(lent);
  ASSERT_TRUE(*lent->step());
  EXPECT_EQ(lent->int64(0), 1);
  for (std::size_t i = 0; i < 3 * Database::kMaxCachedStatements; ++i) {
    auto st = db->cached("SELECT x + " + std::to_string(i) + " FROM t WHERE x = 1");
    ASSERT_TRUE(st);
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->int64(0), 1 + static_cast<std::int64_t>(i));
    EXPECT_LE(db->cached_statements(), Database::kMaxCachedStatements);
  }
  ASSERT_TRUE(*lent->step());
  EXPECT_EQ(lent->int64(0), 2) << "the lent statement kept its cursor";
  lent = fail(StorageErrc::internal, "released");  // its borrower finalizes it
  auto again = db->cached("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(again);
  EXPECT_EQ(column0(*again), (std::vector<std::int64_t>{1, 2, 3}));
}

// Several reads under one ReadSnapshot are of one moment: another connection's commit in between
// is not seen until the snapshot ends (without the BEGIN, the second read would see it).
TEST(Sqlite, AReadSnapshotSeesOneMomentOfTheStore) {
  test::TempDir dir;
  auto reader = Database::open(dir / "r.db");
  ASSERT_TRUE(reader);
  ASSERT_TRUE(reader->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1);"));
  auto writer = Database::open(dir / "r.db");
  ASSERT_TRUE(writer);
  {
    ReadSnapshot snapshot(*reader);
    EXPECT_TRUE(reader->in_transaction());
    EXPECT_EQ(*reader->query_int("SELECT count(*) FROM t"), 1);
    ASSERT_TRUE(writer->exec("INSERT INTO t VALUES (2)"));  // WAL: a writer beside the reader
    EXPECT_EQ(*reader->query_int("SELECT count(*) FROM t"), 1);
  }
  EXPECT_FALSE(reader->in_transaction());
  EXPECT_EQ(*reader->query_int("SELECT count(*) FROM t"), 2);
}

// Inside a write transaction it is a no-op: ending it must not end (commit) the caller's.
TEST(Sqlite, AReadSnapshotInsideATransactionLeavesItOpen) {
  test::TempDir dir;
  auto db = Database::open(dir / "n.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER)"));
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)"));
    { ReadSnapshot snapshot(*db); }
    EXPECT_TRUE(db->in_transaction());
  }  // not committed: rolled back
  EXPECT_EQ(*db->query_int("SELECT count(*) FROM t"), 0);
}

TEST(Sqlite, ANestedUseOfTheSameTextGetsAStatementOfItsOwn) {
  test::TempDir dir;
  auto db = Database::open(dir / "c.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  constexpr std::string_view kSql = "SELECT x FROM t WHERE x >= ? ORDER BY x";
  auto outer = db->cached(kSql);
  ASSERT_TRUE(outer);
  outer->bind(1, std::int64_t{1});
  ASSERT_TRUE(*outer->step());
  EXPECT_EQ(outer->int64(0), 1);
  {
    auto inner = db->cached(kSql);  // the cached one is out: a fresh one, not the outer's cursor
    ASSERT_TRUE(inner);
    inner->bind(1, std::int64_t{3});
    EXPECT_EQ(column0(*inner), (std::vector<std::int64_t>{3}));
  }
  ASSERT_TRUE(*outer->step());
  EXPECT_EQ(outer->int64(0), 2);  // undisturbed
  EXPECT_EQ(db->cached_statements(), 1u);
}

TEST(Sqlite, ACachedStatementMayOutliveItsDatabase) {
  test::TempDir dir;
  std::optional<Database> db;
  db.emplace(*Database::open(dir / "c.db"));
  auto st = db->cached("SELECT 1");
  ASSERT_TRUE(st);
  ASSERT_TRUE(*st->step());
  db.reset();  // the borrower finalizes it (ASan: no leak, no use after free)
  EXPECT_EQ(st->int64(0), 1);
}

TEST(Sqlite, ThePageSizeAppliesToANewFileOnly) {
  test::TempDir dir;
  const auto path = dir / "p.db";
  {
    auto db = Database::open(path, OpenOptions{.page_size = 1024});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t(x)"));
    EXPECT_EQ(**db->query_int("PRAGMA page_size"), 1024);
    auto mode = db->prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode && *mode->step());
    EXPECT_EQ(mode->text(0), "wal");  // set after the page size, not instead of it
  }
  auto db = Database::open(path, OpenOptions{.page_size = 4096});
  ASSERT_TRUE(db);
  EXPECT_EQ(**db->query_int("PRAGMA page_size"), 1024);  // an existing file keeps its own
}

}  // namespace
}  // namespace fb::sql
