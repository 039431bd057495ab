#include "fb/agent/car_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>

#include <spdlog/spdlog.h>

#include "fb/agent/report_builder.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/sealed_sql.hpp"
#include "fb/common/topics.hpp"
#include "fb/common/utf8.hpp"

namespace fb::agent {
namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('report', 'receipt')),
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  digest BLOB NOT NULL,
  priority INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX outbox_digest ON outbox(digest);
CREATE TABLE reports (
  report_id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  source INTEGER NOT NULL,
  category INTEGER NOT NULL,
  text TEXT NOT NULL,
  language TEXT NOT NULL,
  status TEXT NOT NULL,
  case_number TEXT NOT NULL DEFAULT '',
  team TEXT NOT NULL DEFAULT '',
  first_reply_due_ms INTEGER NOT NULL DEFAULT 0,
  last_title TEXT NOT NULL DEFAULT '',
  last_text TEXT NOT NULL DEFAULT '',
  reject_reason TEXT NOT NULL DEFAULT '',
  updated_ms INTEGER NOT NULL
);
CREATE TABLE inbox (
  message_id TEXT PRIMARY KEY,
  report_id TEXT NOT NULL,
  case_number TEXT NOT NULL,
  status INTEGER NOT NULL,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  language TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  read_ms INTEGER
);
)sql";

// v2: notifications apply in the order the backend wrote them, not the order they arrive.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE reports ADD COLUMN last_notification_ms INTEGER NOT NULL DEFAULT 0;
)sql";

// v3: service visits and live callbacks (docs/visits.md). The inbox keeps each notification's
// VisitUpdate / CallbackUpdate (serialized, NULL when none) and when its survey was answered.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE inbox ADD COLUMN visit BLOB;
ALTER TABLE inbox ADD COLUMN callback BLOB;
ALTER TABLE inbox ADD COLUMN answered_ms INTEGER;
CREATE INDEX inbox_report ON inbox(report_id, status);
CREATE TABLE visits (
  visit_id TEXT PRIMARY KEY,
  report_id TEXT NOT NULL,
  latest BLOB NOT NULL,
  notification_id TEXT NOT NULL,
  sent_ms INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  pending_reply TEXT
);
CREATE INDEX visits_report ON visits(report_id, sent_ms);
CREATE TABLE visit_replies (
  message_id TEXT PRIMARY KEY,
  visit_id TEXT NOT NULL,
  action INTEGER NOT NULL,
  slot_id TEXT NOT NULL,
  approval_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  queued_ms INTEGER NOT NULL
);
CREATE INDEX visit_replies_visit ON visit_replies(visit_id, approval_id);
CREATE TABLE callbacks (
  callback_id TEXT PRIMARY KEY,
  report_id TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT '',
  state INTEGER NOT NULL,
  agent TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  requested_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  sent_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX callbacks_report ON callbacks(report_id, requested_ms);
)sql";

// v4: the outbox's report classes, time to live and size cap. `priority` of a report row is now
// its ReportClass (low 0, normal 1, safety 2): reports queued before take theirs from the
// category (a warning lamp is safety, an idea low), and a positive priority (the old hint of a
// telematics safety fault) stays safety. They expire by the default time to live of their
// class (30, 14, 7 days from creation). `size` is the payload's length, so the cap's sums and
// its eviction order read one index (outbox_cap), not the payloads.
constexpr std::string_view kSchemaV4 = R"sql(
ALTER TABLE outbox ADD COLUMN expires_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN drop_reason TEXT NOT NULL DEFAULT '';
UPDATE outbox SET size = length(payload);
UPDATE outbox SET priority = CASE
    WHEN priority > 0 THEN 2
    WHEN (SELECT category FROM reports WHERE report_id = outbox.id) = 3 THEN 2
    WHEN (SELECT category FROM reports WHERE report_id = outbox.id) = 6 THEN 0
    ELSE 1 END
  WHERE kind = 'report';
UPDATE outbox SET expires_ms = created_ms + CASE priority
    WHEN 2 THEN 2592000000 WHEN 1 THEN 1209600000 ELSE 604800000 END
  WHERE kind = 'report';
CREATE INDEX outbox_cap ON outbox(kind, priority, created_ms, size);
)sql";

// v5: diagnostic snapshots. A report waiting for its post-tap window is committed but held
// (outbox.hold_until_ms set, not sent) until its payload is rebuilt with the snapshot; the
// report's snapshot state (SnapshotState keys) shows in My reports.
constexpr std::string_view kSchemaV5 = R"sql(
ALTER TABLE outbox ADD COLUMN hold_until_ms INTEGER;
ALTER TABLE reports ADD COLUMN snapshot TEXT NOT NULL DEFAULT 'none';
)sql";

// v6: fewer pages per enqueue. The digest index cost every queued report a page of its own in
// the commit (a random key: a leaf of its own each time), for a lookup only an ack without a
// report id needs (a backend that could not read the report): those scan the outbox instead.
constexpr std::string_view kSchemaV6 = R"sql(
DROP INDEX IF EXISTS outbox_digest;
)sql";

// v7: each report's status timeline (timeline.hpp): one row per step, in the order of at_ms
// then arrival (seq); all but "queued", which is reports.created_ms since 79e5a29 (timeline()).
// A step is kept once per report, kind and source (a notification's or the driver's message id;
// '' for the car's own steps, which happen once).
constexpr std::string_view kSchemaV7 = R"sql(
CREATE TABLE timeline (
  seq INTEGER PRIMARY KEY,
  report_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  source_id TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  UNIQUE(report_id, kind, source_id)
);
)sql";

// v8: the driver's unsent drafts (drafts.hpp), so a restart while typing loses nothing.
// `consent` is a wire::Consent.
constexpr std::string_view kSchemaV8 = R"sql(
CREATE TABLE drafts (
  draft_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  consent BLOB NOT NULL DEFAULT X'',
  phone TEXT NOT NULL DEFAULT '',
  saved_ms INTEGER NOT NULL DEFAULT 0
);
)sql";

// v9: a driver's answer (outbox kind 'receipt', answer = 1) stays queued until the backend's
// AnswerStored, not only until the broker's PUBACK. One queued before keeps the old rule.
// visits.updated_since_reply: an update of the visit arrived while its pending answer was still
// queued (PendingVisitReply).
constexpr std::string_view kSchemaV9 = R"sql(
ALTER TABLE outbox ADD COLUMN answer INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visits ADD COLUMN updated_since_reply INTEGER NOT NULL DEFAULT 0;
)sql";

// v10: the driver's words in a table of their own, written once. In the My reports row they made
// it overflow the 1 KiB page, and SQLite writes a row whole: every status change, case number or
// notification rewrote the text's overflow pages (and zeroed the old ones: secure_delete), about
// 4 KB of the flash per update counting the checkpoint (bench/README.md, `ack_disk_bytes`).
// `reports.text` stays, empty. The sealed value moves as it is (its place names the report, not
// the table); a new one is a sealed BLOB. A report's words go with its row, whichever statement
// deletes it.
constexpr std::string_view kSchemaV10 = R"sql(
CREATE TABLE report_texts (
  report_id TEXT PRIMARY KEY,
  text NOT NULL
);
INSERT INTO report_texts(report_id, text) SELECT report_id, text FROM reports;
UPDATE reports SET text = '' WHERE text <> '';
CREATE TRIGGER report_texts_follow AFTER DELETE ON reports BEGIN
  DELETE FROM report_texts WHERE report_id = OLD.report_id;
END;
)sql";

// v11: the cap's index holds reports only. Receipts and answers (a delivered receipt for every
// notification) are never counted against the cap nor evicted, yet each one's insert and its
// delete at the PUBACK wrote a page of the index. Every query of it names kind = 'report'.
constexpr std::string_view kSchemaV11 = R"sql(
DROP INDEX IF EXISTS outbox_cap;
CREATE INDEX outbox_cap ON outbox(priority, created_ms, size) WHERE kind = 'report';
)sql";

// v12: the newest time the backend stamped on anything the car applied (Envelope.sent_at_ms of
// acks, notifications and AnswerStored), which only moves forward: forget_finished() counts the history of
// what the backend answered by it, not by an RTC that may have been stepped years ahead. It starts
// from the reports' stamps, each believed no further than the lead (Options::clock_lead's
// default, 30 days: kDefaultLeadMs below) past the report's last change (updated_ms, at or after
// the stamp was applied), as a new stamp is bounded by the car's clock then.
constexpr std::string_view kSchemaV12 = R"sql(
CREATE TABLE backend_clock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  newest_ms INTEGER NOT NULL
);
INSERT INTO backend_clock(id, newest_ms) SELECT 1, coalesce(max(min(last_notification_ms, updated_ms + 2592000000)), 0)
  FROM reports WHERE typeof(last_notification_ms) = 'integer' AND typeof(updated_ms) = 'integer';
)sql";

// The literal in kSchemaV12 (a migration's text cannot read Options).
constexpr std::int64_t kDefaultLeadMs = 2'592'000'000;
static_assert(std::chrono::milliseconds(std::chrono::days(30)).count() == kDefaultLeadMs);

// v13: a case's reports by its number, for the notices that move all of them (the same problem
// reported again joins the case). Only reports with a case: an entry is written when the ack
// gives the number, none at enqueue.
constexpr std::string_view kSchemaV13 = R"sql(
CREATE INDEX IF NOT EXISTS reports_case ON reports(case_number) WHERE case_number <> '';
)sql";

// v14: a queued report's words once. They were written twice, in its payload and in report_texts
// (1 KiB of words: about 2.4 KB more of the flash per report counting the checkpoint, and as
// much again zeroed at the ack). codec::encode() puts them last in a chunk of their own; the
// outbox keeps the payload without that chunk (text_apart = 1) and payload() adds it back from
// report_texts, byte for byte. Rows queued before keep their whole payload.
// The room kept for acks (Options::ack_reserve_bytes) is a table of its own: one row of zeros.
constexpr std::string_view kSchemaV14 = R"sql(
ALTER TABLE outbox ADD COLUMN text_apart INTEGER NOT NULL DEFAULT 0;
CREATE TABLE reserve (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  filler BLOB NOT NULL
);
)sql";

// v15: the ids of the reports a privacy erasure took (an owner change). The backend may still
// write about them (the old owner's case is open, or copies wait in the car's MQTT session):
// those notices are receipted and dropped, not stored and shown to the new owner. A report id is
// a random UUID, nothing personal; the row keeps only that. A rowid table, as the recovery of a
// damaged file copies rows by rowid.
constexpr std::string_view kSchemaV15 = R"sql(
CREATE TABLE erased_reports (
  report_id TEXT PRIMARY KEY
);
)sql";

constexpr std::string_view kMigrations[] = {kSchemaV1,  kSchemaV2,  kSchemaV3,  kSchemaV4,  kSchemaV5,
                                            kSchemaV6,  kSchemaV7,  kSchemaV8,  kSchemaV9,  kSchemaV10,
                                            kSchemaV11, kSchemaV12, kSchemaV13, kSchemaV14, kSchemaV15};

/// The room kept for acks on the filesystem beside the store at `path` (Options::ack_reserve_bytes).
std::filesystem::path room_file_of(const std::filesystem::path& path) { return path.string() + ".room"; }

/// Deletes the room file of the store at `path`, if there is one (before a recovery, or when the
/// configuration keeps no room).
void remove_room_file(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(room_file_of(path), ignored);
}

/// How much of a report's payload the outbox keeps: all of it, or (when it ends with the chunk
/// of its text, as codec::encode() writes it) all but that chunk, the words being in report_texts.
std::size_t kept_length(std::string_view payload, std::string_view text) {
  if (text.empty()) return payload.size();
  const auto chunk = codec::report_text_chunk(text);
  return payload.ends_with(chunk) ? payload.size() - chunk.size() : payload.size();
}

// Pages of a new file: a WAL frame is a whole page, so a commit of a ~1 KiB report writes 1 KiB
// frames rather than 4 KiB ones (bench/README.md, phase B). An existing file keeps its size.
constexpr int kPageSize = 1024;
// Options::max_pages counts 4 KiB pages, whatever the file's own.
constexpr std::int64_t kMaxPagesUnit = 4096;
// The WAL is checkpointed at about 4 MiB, as with SQLite's default of 1000 4 KiB pages, and cut
// back to that size after a burst made it larger.
constexpr std::int64_t kWalBytes = std::int64_t{4} << 20;

// What a corrupt file's recovery copies, parents first (a report before its inbox rows).
// A table the damaged file does not have yet (an older schema) is left empty, not counted lost.
constexpr std::string_view kRecoveredTables[] = {"reports", "report_texts",  "outbox",    "inbox",
                                                 "visits",  "visit_replies", "callbacks", "timeline",
                                                 "drafts",  "erased_reports"};

constexpr int kSafety = static_cast<int>(ReportClass::safety);

/// The car's wall clock where no caller passes one (opening and recovering a store).
std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The text (a person's words to the driver) and the visit and callback updates (an appointment,
// a number) are sealed: 'inbox.<column>:' || message_id.
constexpr std::string_view kInboxColumns =
    "message_id, report_id, case_number, status, title, fb_open(text, 'inbox.text:' || message_id), language, "
    "received_ms, read_ms IS NOT NULL, fb_open(visit, 'inbox.visit:' || message_id), fb_open(callback, "
    "'inbox.callback:' || message_id)";

template <typename Message>
std::optional<Message> parse_column(const sql::Statement& st, int column) {
  if (st.is_null(column)) return std::nullopt;
  Message m;
  // A blob this build cannot parse shows as no update: the notification's text still says it.
  if (!m.ParseFromString(st.blob(column))) return std::nullopt;
  return m;
}

InboxEntry read_inbox_row(const sql::Statement& s) {
  InboxEntry e{s.text(0), s.text(1),  s.text(2),      static_cast<wire::CaseStatus>(s.int64(3)), s.text(4), s.text(5),
               s.text(6), s.int64(7), s.int64(8) != 0};
  e.visit = parse_column<wire::VisitUpdate>(s, 9);
  e.callback = parse_column<wire::CallbackUpdate>(s, 10);
  return e;
}

bool valid_phone(std::string_view phone) {
  if (phone.size() > 32) return false;
  return std::ranges::all_of(phone, [](char c) { return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' '; });
}

bool offers_slot(const wire::VisitUpdate& v, const std::string& slot_id) {
  return !slot_id.empty() &&
         std::ranges::any_of(v.slots(), [&](const wire::VisitSlot& s) { return s.slot_id() == slot_id; });
}

constexpr std::string_view kReportColumns =
    "report_id, created_ms, source, category, "
    "fb_open((SELECT t.text FROM report_texts t WHERE t.report_id = reports.report_id), 'reports.text:' || report_id), "
    "language, status, "
    "case_number, team, first_reply_due_ms, "
    "last_title, fb_open(last_text, 'reports.last_text:' || report_id), reject_reason, updated_ms, "
    "last_notification_ms, drop_reason, snapshot, "
    "EXISTS (SELECT 1 FROM timeline tl WHERE tl.report_id = reports.report_id AND tl.kind = 'delivered')";

// reports.status holds ReportStatus keys (fb/common/vocabulary.hpp), bound from the vocabulary,
// never spelt in SQL. The spelling is that of schema v1: no migration.
ReportStatus status_column(const sql::Statement& st, int column) {
  // A key this build does not know (written by a newer one) shows as the step it had reached
  // at least: queued until the backend says more.
  return parse<ReportStatus>(st.text(column)).value_or(ReportStatus::queued);
}

ReportView read_report_row(const sql::Statement& st) {
  ReportView v;
  v.report_id = st.text(0);
  v.created_ms = st.int64(1);
  v.source = static_cast<wire::Source>(st.int64(2));
  v.category = static_cast<wire::Category>(st.int64(3));
  v.text = st.text(4);
  v.language = st.text(5);
  v.status = status_column(st, 6);
  v.case_number = st.text(7);
  v.team = st.text(8);
  v.first_reply_due_ms = st.int64(9);
  v.last_title = st.text(10);
  v.last_text = st.text(11);
  v.reject_reason = st.text(12);
  v.updated_ms = st.int64(13);
  v.last_notification_ms = st.int64(14);
  if (v.status == ReportStatus::dropped) v.drop_reason = parse<DropReason>(st.text(15)).value_or(DropReason::expired);
  // A state this build does not know (a newer one's) shows as none.
  v.snapshot = parse<SnapshotState>(st.text(16)).value_or(SnapshotState::none);
  v.delivered = st.int64(17) != 0;
  return v;
}

}  // namespace

namespace {

/// Opens (creating or migrating) a car store file refusing a corrupt one, with the store's page
/// size for a new file and the WAL and size limits counted in the file's own page size.
Result<sql::OpenedStore> open_car_db(const std::filesystem::path& path, const sql::StoreSchema& schema,
                                     const CarStore::Options& options) {
  sql::OpenOptions o;
  o.page_size = kPageSize;
  o.busy_timeout_ms = static_cast<int>(options.busy_timeout.count());
  // Freed space is zeroed: a sent report's sealed payload does not linger in free pages, nor do
  // the words a migration moves (v10) in the pages it frees.
  o.secure_delete = true;
  auto opened = sql::open_store(path, schema, sql::OnCorrupt::refuse, o);
  if (!opened) return fail(opened.error());
  auto& db = opened->db;
  if (auto r = sql::register_sealing(db, options.keys); !r) return fail(r.error());
  auto page = db.query_int("PRAGMA page_size");
  if (!page) return fail(page.error());
  const auto page_size = std::max<std::int64_t>(512, page->value_or(4096));
  if (options.max_pages > 0) {
    const auto pages = options.max_pages * kMaxPagesUnit / page_size;
    if (auto r = db.query_int("PRAGMA max_page_count=" + std::to_string(pages)); !r) return fail(r.error());
  }
  if (auto r = db.query_int("PRAGMA wal_autocheckpoint=" + std::to_string(kWalBytes / page_size)); !r) {
    return fail(r.error());
  }
  if (auto r = db.query_int("PRAGMA journal_size_limit=" + std::to_string(kWalBytes)); !r) return fail(r.error());
  return opened;
}

}  // namespace

Result<CarStore> CarStore::open(const std::filesystem::path& path, Options options) {
  const sql::StoreSchema schema{"car store", kMigrations};
  auto marked = read_recovery_marker(path);
  if (!marked) return fail(marked.error());
  std::filesystem::path aside;
  // A recovery rebuilds the store beside it: the room kept for acks is what it may need on a
  // nearly full disk (allocated again once the store is open).
  if (*marked) {
    remove_room_file(path);
    // A recovery was under way when the process stopped: finish it before anything else.
    aside = **marked;
    if (auto r = prepare_rebuild(path, aside); !r) return fail(r.error());
  } else {
    auto opened = open_car_db(path, schema, options);
    if (opened) return with_room_file(CarStore(std::move(opened->db), std::move(options)), path);
    if (opened.error().code != make_error_code(StorageErrc::corrupt)) return fail(opened.error());
    remove_room_file(path);
    auto begun = begin_recovery(path, system_now_ms(), options.recovery_fault);
    if (!begun) return fail(begun.error());
    aside = std::move(*begun);
  }
  Recovery recovery;
  {
    auto built = open_car_db(recovering_file(path), schema, options);
    if (!built) return fail(built.error());
    CarStore building(std::move(built->db), options);
    auto recovered = building.recover(aside);
    if (!recovered) return fail(recovered.error());
    recovery = std::move(*recovered);
    // One file, with nothing in a -wal, so that one rename moves all of it.
    if (auto r = building.db_.query_int("PRAGMA journal_mode=DELETE"); !r) return fail(r.error());
  }
  if (auto r = finish_recovery(path, options.recovery_fault); !r) return fail(r.error());
  auto opened = open_car_db(path, schema, options);
  if (!opened) return fail(opened.error());
  CarStore store(std::move(opened->db), std::move(options));
  store.set_aside_ = std::move(aside);
  store.recovery_ = std::move(recovery);
  return with_room_file(std::move(store), path);
}

CarStore CarStore::with_room_file(CarStore store, const std::filesystem::path& path) {
  if (store.reserve_bytes() <= 0) {
    remove_room_file(path);  // one an earlier configuration made
    return store;
  }
  store.room_file_ = room_file_of(path);
  // A full filesystem now is not a reason to refuse the store: the next report waits for the room.
  if (auto r = store.hold_room_file(); !r) spdlog::warn("car store: {}", r.error().what());
  return store;
}

std::chrono::milliseconds CarStore::ttl(ReportClass c) const {
  switch (c) {
    case ReportClass::safety: return options_.ttl_safety;
    case ReportClass::normal: return options_.ttl_normal;
    case ReportClass::low: return options_.ttl_low;
  }
  return options_.ttl_normal;
}

std::int64_t CarStore::expires_for(ReportClass report_class, std::int64_t created_ms) const {
  const auto ttl_ms = ttl(report_class).count();
  if (ttl_ms <= 0) return 0;
  return clock_valid(created_ms) ? created_ms + ttl_ms : -ttl_ms;
}

Result<Recovery> CarStore::recover(const std::filesystem::path& damaged) {
  auto recovery = salvage(damaged, db_, kRecoveredTables);
  if (!recovery) return fail(recovery.error());
  if (auto r = options_.recovery_fault ? options_.recovery_fault(RecoveryStep::copied) : Result<void>{}; !r) {
    return fail(r.error());
  }
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  // A key read as NULL (a damaged record header, which quick_check does not see) names no report:
  // such a row cannot be sent, shown or erased by its id.
  for (const auto& [table, key] :
       {std::pair{"reports", "report_id"}, {"report_texts", "report_id"}, {"outbox", "id"}}) {
    auto gone = drop_recovered(*recovery, table, std::string(key) + " IS NULL");
    if (!gone) return fail(gone.error());
  }
  // A queued copy is sent only if it is exactly what was committed: its digest still matches.
  // The others are counted unreadable; their reports are shown as dropped below.
  // A sealed payload that no longer opens (damaged, another car's key) is unreadable too, and so
  // is one kept without its words (text_apart) whose words are lost or no longer open.
  std::vector<std::string> bad;
  std::vector<std::pair<std::string, std::int64_t>> sizes;
  // A report whose words and My reports row are both lost: its row is rebuilt without the words,
  // so that My reports says it was dropped (below) rather than nothing at all.
  std::vector<std::pair<wire::Report, std::int64_t>> wordless;
  auto check = db_.cached(
      "SELECT o.id, fb_try_open(o.payload, 'outbox.payload:' || o.id), o.digest, o.kind, o.text_apart, "
      "CASE WHEN o.text_apart THEN fb_try_open(t.text, 'reports.text:' || o.id) END, o.created_ms, "
      "EXISTS (SELECT 1 FROM reports r WHERE r.report_id = o.id) FROM outbox o "
      "LEFT JOIN report_texts t ON t.report_id = o.id");
  if (!check) return fail(check.error());
  auto rows = check->each_row([&](const sql::Statement& st) {
    const bool apart = st.int64(4) != 0;
    auto payload = st.blob(1);
    if (apart && !st.is_null(5)) payload += codec::report_text_chunk(st.blob(5));
    if (st.is_null(1) || (apart && st.is_null(5)) || codec::sha256(payload) != st.blob(2) ||
        (st.text(3) == "report" && !codec::decode(payload))) {
      bad.push_back(st.text(0));
      if (apart && st.is_null(5) && !st.is_null(1) && st.int64(7) == 0) {
        if (auto head = codec::decode(payload);
            head && head->has_report() && head->report().report_id() == st.text(0)) {
          wordless.emplace_back(head->report(), st.int64(6));
        }
      }
    } else {
      sizes.emplace_back(st.text(0), static_cast<std::int64_t>(payload.size()));
    }
  });
  if (!rows) return fail(rows.error());
  auto* outbox = recovery->table("outbox");
  for (const auto& id : bad) {
    if (auto r = delete_row(id); !r) return fail(r.error());
    --outbox->recovered;
    ++outbox->unreadable;
  }
  for (const auto& [report, created_ms] : wordless) {
    const auto snapshot = report.has_snapshot() ? SnapshotState::attached : SnapshotState::none;
    if (auto r = insert_report_row(report, created_ms, snapshot); !r) return fail(r.error());
  }
  // The size sent, as enqueue_report counts it against the cap.
  auto size = db_.prepare("UPDATE outbox SET size = ?1 WHERE id = ?2");
  if (!size) return fail(size.error());
  for (const auto& [id, bytes] : sizes) {
    size->bind(1, bytes).bind(2, id);
    if (auto r = size->run(); !r) return fail(r.error());
  }
  if (outbox->lacks("expires_ms")) {
    if (auto r = classify_recovered(); !r) return fail(r.error());
  }
  // A report whose queued copy is lost will never be sent: My reports says so.
  auto lost = db_.cached(
      "UPDATE reports SET status = ?1, drop_reason = ?2 WHERE status = ?3 AND NOT EXISTS "
      "(SELECT 1 FROM outbox o WHERE o.id = reports.report_id AND o.kind = 'report')");
  if (!lost) return fail(lost.error());
  lost->bind(1, to_string(ReportStatus::dropped))
      .bind(2, to_string(DropReason::store_damaged))
      .bind(3, to_string(ReportStatus::queued));
  if (auto r = lost->run(); !r) return fail(r.error());
  // A file older than v10 kept the words in the row; words whose row is lost go (below).
  for (const auto* move : {"INSERT OR IGNORE INTO report_texts(report_id, text) SELECT report_id, text FROM reports "
                           "WHERE text <> ''",
                           "UPDATE reports SET text = '' WHERE text <> ''"}) {
    if (auto r = db_.exec(move); !r) return fail(r.error());
  }
  // Words that no longer open (damaged inside a readable page, or sealed under a key this ring
  // lacks) would fail every read of My reports: they go, and a queued report's come back below.
  if (auto gone = drop_recovered(*recovery, "report_texts", "fb_try_open(text, 'reports.text:' || report_id) IS NULL");
      !gone) {
    return fail(gone.error());
  }
  // Any other sealed value kept but no longer opening would fail every read of My reports, the
  // inbox or a timeline, not only its own row: it is blanked, the row kept; a visit without its
  // latest update is of no use and goes (counted unreadable).
  if (auto gone = drop_recovered(*recovery, "visits", "fb_try_open(latest, 'visits.latest:' || visit_id) IS NULL");
      !gone) {
    return fail(gone.error());
  }
  for (const auto& [table, column, place, blank] : std::initializer_list<std::array<std::string_view, 4>>{
           {"reports", "last_text", "'reports.last_text:' || report_id", "''"},
           {"inbox", "text", "'inbox.text:' || message_id", "''"},
           {"inbox", "visit", "'inbox.visit:' || message_id", "NULL"},
           {"inbox", "callback", "'inbox.callback:' || message_id", "NULL"},
           {"timeline", "text", "'timeline.text:' || report_id || ':' || kind || ':' || source_id", "''"},
           {"callbacks", "phone", "'callbacks.phone:' || callback_id", "''"},
           {"callbacks", "outcome", "'callbacks.outcome:' || callback_id", "''"},
           {"drafts", "text", "'drafts.text:' || draft_id", "''"},
           {"drafts", "phone", "'drafts.phone:' || draft_id", "''"}}) {
    const auto col = std::string(column);
    if (auto r = db_.exec("UPDATE " + std::string(table) + " SET " + col + " = " + std::string(blank) + " WHERE " +
                          col + " IS NOT NULL AND length(" + col + ") > 0 AND fb_try_open(" + col + ", " +
                          std::string(place) + ") IS NULL");
        !r) {
      return fail(r.error());
    }
  }
  // A queued report whose My reports row is lost is rebuilt from the report it will send, and one
  // whose words alone are lost (a page of report_texts) gets them back from it.
  // (A payload kept without its words has them in report_texts: the check above kept it only so.)
  auto orphans = db_.cached(
      "SELECT fb_open(o.payload, 'outbox.payload:' || o.id), o.created_ms, r.report_id IS NOT NULL, "
      "CASE WHEN o.text_apart THEN fb_open(t.text, 'reports.text:' || o.id) END FROM outbox o "
      "LEFT JOIN reports r ON r.report_id = o.id LEFT JOIN report_texts t ON t.report_id = o.id "
      "WHERE o.kind = 'report' AND (r.report_id IS NULL OR t.report_id IS NULL)");
  if (!orphans) return fail(orphans.error());
  struct Rebuilt {
    wire::Envelope env;
    std::int64_t created_ms;
    bool has_row;
  };
  std::vector<Rebuilt> rebuilt;
  rows = orphans->each_row([&](const sql::Statement& st) {
    auto payload = st.blob(0);
    if (!st.is_null(3)) payload += codec::report_text_chunk(st.blob(3));
    if (auto env = codec::decode(payload); env && env->has_report()) {
      rebuilt.push_back(Rebuilt{*env, st.int64(1), st.int64(2) != 0});
    }
  });
  if (!rows) return fail(rows.error());
  for (const auto& [env, created, has_row] : rebuilt) {
    const auto& report = env.report();
    auto r = has_row ? insert_report_text(report.report_id(), report.text())
                     : insert_report_row(report, created,
                                         report.has_snapshot() ? SnapshotState::attached : SnapshotState::none);
    if (!r) return fail(r.error());
  }
  if (auto r = db_.exec("DELETE FROM report_texts WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.report_id = "
                        "report_texts.report_id)");
      !r) {
    return fail(r.error());
  }
  // The backend's time is a row of its own, not copied: the newest stamp the recovered reports
  // hold is a floor for it (as the v12 migration takes it), so the history is not kept for ever.
  // A damaged value copied as it was (text, a blob) does not count, and a stamp counts no
  // further than the lead past its report's last change (updated_ms), as v12 bounds it.
  auto floor = db_.cached(
      "UPDATE backend_clock SET newest_ms = max(newest_ms, (SELECT coalesce(max(min(last_notification_ms, updated_ms "
      "+ ?1)), 0) FROM reports WHERE typeof(last_notification_ms) = 'integer' AND typeof(updated_ms) = 'integer')) "
      "WHERE id = 1");
  if (!floor) return fail(floor.error());
  floor->bind(1, static_cast<std::int64_t>(options_.clock_lead.count()));
  if (auto r = floor->run(); !r) return fail(r.error());
  // A callback request whose queued copy is lost never reaches the backend, so nothing would end
  // it, and "Call me" stays refused for its report: it is cancelled, the timeline saying why.
  const auto now_ms = system_now_ms();
  auto lost_callbacks = db_.cached(
      "UPDATE callbacks SET state = ?1, updated_ms = ?2 WHERE state = ?3 AND NOT EXISTS "
      "(SELECT 1 FROM outbox o WHERE o.id = callbacks.callback_id) RETURNING callback_id, report_id");
  if (!lost_callbacks) return fail(lost_callbacks.error());
  lost_callbacks->bind(1, std::int64_t{wire::CALLBACK_CANCELLED})
      .bind(2, now_ms)
      .bind(3, std::int64_t{wire::CALLBACK_STATE_UNSPECIFIED});
  std::vector<std::pair<std::string, std::string>> cancelled;
  if (auto r = lost_callbacks->each_row(
          [&](const sql::Statement& st) { cancelled.emplace_back(st.text(0), st.text(1)); });
      !r) {
    return fail(r.error());
  }
  for (const auto& [callback_id, report_id] : cancelled) {
    if (auto r = add_step_in_tx(report_id, TimelineKind::action_refused, now_ms, callback_id, {}, {}, "store_damaged");
        !r) {
      return fail(r.error());
    }
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  totals_.reset();
  if (auto r = options_.recovery_fault ? options_.recovery_fault(RecoveryStep::checked) : Result<void>{}; !r) {
    return fail(r.error());
  }
  return std::move(*recovery);
}

Result<void> CarStore::drop_recovered(Recovery& recovery, std::string_view table, std::string_view condition) {
  if (auto r = db_.exec("DELETE FROM " + std::string(table) + " WHERE " + std::string(condition)); !r) {
    return fail(r.error());
  }
  const auto count = static_cast<std::size_t>(db_.changes());
  if (count == 0) return {};
  if (auto* t = recovery.table(table)) {
    t->recovered -= std::min(t->recovered, count);
    t->unreadable += count;
  }
  return {};
}

Result<void> CarStore::classify_recovered() {
  // Before v4 `priority` was only a hint (> 0: a telematics safety fault) and nothing expired:
  // as the v4 migration does, but with the class a new report would get, from the report itself.
  auto rows = db_.prepare(
      "SELECT id, fb_open(payload, 'outbox.payload:' || id), priority, created_ms FROM outbox WHERE kind = 'report'");
  if (!rows) return fail(rows.error());
  struct Row {
    std::string id;
    ReportClass report_class;
    std::int64_t created_ms;
  };
  std::vector<Row> found;
  auto read = rows->each_row([&](const sql::Statement& st) {
    auto env = codec::decode(st.blob(1));  // decodes: recover() removed the rows that do not
    const auto c = st.int64(2) > 0 ? ReportClass::safety : env ? report_class_of(env->report()) : ReportClass::normal;
    found.push_back(Row{st.text(0), c, st.int64(3)});
  });
  if (!read) return fail(read.error());
  auto set = db_.prepare("UPDATE outbox SET priority = ?1, expires_ms = ?2 WHERE id = ?3");
  if (!set) return fail(set.error());
  for (const auto& row : found) {
    set->bind(1, static_cast<std::int64_t>(row.report_class))
        .bind(2, expires_for(row.report_class, row.created_ms))
        .bind(3, row.id);
    if (auto r = set->run(); !r) return fail(r.error());
  }
  return {};
}

Result<void> CarStore::insert_outbox(const std::string& id, OutboxKind kind, const std::string& topic,
                                     const std::string& payload, int priority, std::int64_t now_ms,
                                     std::int64_t expires_ms, std::string_view report_text) {
  auto st = db_.cached(
      "INSERT INTO outbox(id, kind, topic, payload, digest, priority, created_ms, expires_ms, size, answer, "
      "text_apart) VALUES(?1,?2,?3,fb_seal(?4, 'outbox.payload:' || ?1),?5,?6,?7,?8,?9,?10,?11)");
  if (!st) return fail(st.error());
  const auto kept = kept_length(payload, report_text);
  st->bind(1, id)
      .bind(2, kind == OutboxKind::report ? "report" : "receipt")
      .bind(3, topic)
      .bind_blob(4, std::string_view(payload).substr(0, kept))
      .bind_blob(5, codec::sha256(payload))
      .bind(6, std::int64_t{priority})
      .bind(7, now_ms)
      .bind(8, expires_ms)
      .bind(9, static_cast<std::int64_t>(payload.size()))
      .bind(10, std::int64_t{kind == OutboxKind::answer})
      .bind(11, std::int64_t{kept < payload.size()});
  return st->run();
}

Result<CarStore::Room> CarStore::make_room(ReportClass report_class, std::int64_t size) {
  const auto max_count = static_cast<std::int64_t>(options_.max_reports);
  const auto max_bytes = options_.max_report_bytes;
  Room room;
  if (max_count <= 0 && max_bytes <= 0) return room;
  if (!totals_) {
    auto totals = db_.cached("SELECT count(*), total(size) FROM outbox WHERE kind = 'report'");
    if (!totals) return fail(totals.error());
    if (auto r = totals->step(); !r) return fail(r.error());
    totals_ = Totals{totals->int64(0), totals->int64(1)};
    totals->reset();
  }
  std::int64_t count = totals_->reports + 1;
  std::int64_t bytes = totals_->bytes + size;
  auto over = [&] { return (max_count > 0 && count > max_count) || (max_bytes > 0 && bytes > max_bytes); };
  auto& evict = room.evict;
  if (!over()) return room;
  // Lowest class first, oldest first; never a safety report, never a class above the new one.
  auto candidates = db_.cached(
      "SELECT id, size FROM outbox WHERE kind = 'report' AND priority < ?1 AND priority <= ?2 "
      "ORDER BY priority, created_ms, id");
  if (!candidates) return fail(candidates.error());
  candidates->bind(1, std::int64_t{kSafety}).bind(2, static_cast<std::int64_t>(report_class));
  for (;;) {
    if (!over()) break;
    auto row = candidates->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    evict.push_back(candidates->text(0));
    --count;
    bytes -= candidates->int64(1);
    room.evicted_bytes += candidates->int64(1);
  }
  candidates->reset();
  if (over() && report_class != ReportClass::safety) {
    return fail(AgentErrc::queue_full,
                "the queue holds " + std::to_string(count - 1) + " reports as urgent or more; this one is not saved");
  }
  return room;
}

Result<std::vector<ReportView>> CarStore::drop_in_tx(const std::vector<std::string>& ids, DropReason reason,
                                                     std::int64_t now_ms) {
  // Only a report still queued shows as dropped: one whose case notification came before its
  // ack reached the backend, so leaving the outbox loses nothing and its status stays.
  auto mark = db_.cached(
      "UPDATE reports SET status = ?1, drop_reason = ?2, updated_ms = ?3 WHERE report_id = ?4 AND status = ?5");
  if (!mark) return fail(mark.error());
  std::vector<ReportView> out;
  for (const auto& id : ids) {
    if (auto r = delete_row(id); !r) return fail(r.error());
    mark->bind(1, to_string(ReportStatus::dropped))
        .bind(2, to_string(reason))
        .bind(3, now_ms)
        .bind(4, id)
        .bind(5, to_string(ReportStatus::queued));
    if (auto r = mark->run(); !r) return fail(r.error());
    if (db_.changes() == 0) continue;
    if (auto r = add_step_in_tx(id, TimelineKind::dropped, now_ms, {}, {}, {}, std::string(to_string(reason))); !r) {
      return fail(r.error());
    }
    auto view = read_report(id);
    if (!view) return fail(view.error());
    if (*view) out.push_back(std::move(**view));
  }
  return out;
}

Result<std::size_t> CarStore::fix_expiries(std::int64_t now_ms) {
  if (!clock_valid(now_ms)) return std::size_t{0};
  // Pending ones (< 0, the TTL negated) start now; none ends later than a full TTL from now.
  auto st = db_.prepare(
      "UPDATE outbox SET expires_ms = CASE WHEN expires_ms < 0 THEN ?1 - expires_ms ELSE ?1 + "
      "CASE priority WHEN ?2 THEN ?3 WHEN ?4 THEN ?5 ELSE ?6 END END "
      "WHERE kind = 'report' AND (expires_ms < 0 OR (expires_ms > 0 AND "
      "expires_ms > ?1 + CASE priority WHEN ?2 THEN ?3 WHEN ?4 THEN ?5 ELSE ?6 END AND "
      "CASE priority WHEN ?2 THEN ?3 WHEN ?4 THEN ?5 ELSE ?6 END > 0))");
  if (!st) return fail(st.error());
  st->bind(1, now_ms)
      .bind(2, static_cast<std::int64_t>(ReportClass::safety))
      .bind(3, static_cast<std::int64_t>(options_.ttl_safety.count()))
      .bind(4, static_cast<std::int64_t>(ReportClass::normal))
      .bind(5, static_cast<std::int64_t>(options_.ttl_normal.count()))
      .bind(6, static_cast<std::int64_t>(options_.ttl_low.count()));
  if (auto r = st->run(); !r) return fail(r.error());
  return static_cast<std::size_t>(db_.changes());
}

Result<bool> CarStore::expiry_pending() {
  auto n = db_.query_int("SELECT EXISTS(SELECT 1 FROM outbox WHERE kind = 'report' AND expires_ms < 0)");
  if (!n) return fail(n.error());
  return n->value_or(0) != 0;
}

Result<std::vector<ReportView>> CarStore::expire(std::int64_t now_ms) {
  if (!clock_valid(now_ms)) return std::vector<ReportView>{};  // an unset clock cannot tell an age
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  if (auto fixed = fix_expiries(now_ms); !fixed) return fail(fixed.error());
  auto due = db_.cached(
      "SELECT id FROM outbox WHERE kind = 'report' AND expires_ms > 0 AND expires_ms <= ? ORDER BY created_ms, id");
  if (!due) return fail(due.error());
  due->bind(1, now_ms);
  std::vector<std::string> ids;
  if (auto r = due->each_row([&](const sql::Statement& st) { ids.push_back(st.text(0)); }); !r) return fail(r.error());
  if (ids.empty()) {
    if (auto r = tx->commit(); !r) return fail(r.error());  // the fixed expiries
    return std::vector<ReportView>{};
  }
  auto dropped = drop_in_tx(ids, DropReason::expired, now_ms);
  if (!dropped) return fail(dropped.error());
  if (auto r = tx->commit(); !r) return fail(r.error());
  totals_.reset();  // rare: read again when next needed
  return std::move(*dropped);
}

Result<void> CarStore::insert_report_row(const wire::Report& r, std::int64_t now_ms, SnapshotState snapshot) {
  auto st = db_.cached(
      "INSERT INTO reports(report_id, created_ms, source, category, text, language, status, updated_ms, snapshot) "
      "VALUES(?1,?2,?3,?4,'',?5,?6,?7,?8)");
  if (!st) return fail(st.error());
  st->bind(1, r.report_id())
      .bind(2, now_ms)
      .bind(3, static_cast<std::int64_t>(r.source()))
      .bind(4, static_cast<std::int64_t>(r.category()))
      .bind(5, r.language())
      .bind(6, to_string(ReportStatus::queued))
      .bind(7, now_ms)
      .bind(8, to_string(snapshot));
  if (auto done = st->run(); !done) return done;
  return insert_report_text(r.report_id(), r.text());
}

Result<void> CarStore::insert_report_text(const std::string& report_id, const std::string& text) {
  // REPLACE: a recovery may have kept the words of a report whose row it lost. Sealed as a BLOB
  // (a TEXT would be sealed into base64, a third larger); without a key ring they stay TEXT, so
  // that words which happen to begin like a sealed BLOB are never read as one.
  auto st = db_.cached(
      "INSERT OR REPLACE INTO report_texts(report_id, text) VALUES(?1, fb_seal(CASE WHEN fb_current_key() IS NULL "
      "THEN ?2 ELSE CAST(?2 AS BLOB) END, 'reports.text:' || ?1))");
  if (!st) return fail(st.error());
  st->bind(1, report_id).bind(2, text);
  return st->run();
}

Result<Enqueued> CarStore::enqueue_report(const wire::Envelope& env, const std::string& payload,
                                          ReportClass report_class, std::int64_t now_ms,
                                          std::optional<std::int64_t> hold_until_ms) {
  const NewReport one{&env, &payload, report_class, now_ms, hold_until_ms};
  auto r = enqueue_reports({&one, 1});
  if (!r) return fail(r.error());
  return std::move(r->front());
}

Result<std::vector<Result<Enqueued>>> CarStore::enqueue_reports(std::span<const NewReport> batch) {
  if (auto r = hold_room_file(); !r) return fail(r.error());
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  if (const auto bytes = reserve_bytes(); bytes > 0) {
    // A no-op (no page written) while it is held.
    auto reserve = db_.cached("INSERT OR IGNORE INTO reserve(id, filler) VALUES(1, zeroblob(?1))");
    if (!reserve) return fail(reserve.error());
    reserve->bind(1, bytes);
    if (auto r = reserve->run(); !r) return fail(r.error());
  }
  std::vector<Result<Enqueued>> out;
  out.reserve(batch.size());
  for (const auto& report : batch) {
    auto r = enqueue_in_tx(report);
    if (!r && r.error().code != make_error_code(AgentErrc::queue_full)) {
      totals_.reset();  // counted the batch's earlier reports, which the rollback takes back
      return fail(r.error());
    }
    out.push_back(std::move(r));
  }
  if (auto x = tx->commit(); !x) {
    totals_.reset();
    return fail(x.error());
  }
  return out;
}

Result<Enqueued> CarStore::enqueue_in_tx(const NewReport& report) {
  const auto& r = report.envelope->report();
  const auto& payload = *report.payload;
  const auto now_ms = report.now_ms;
  Enqueued out;
  const auto expires_ms = expires_for(report.report_class, now_ms);
  out.expires_ms = std::max<std::int64_t>(expires_ms, 0);
  auto room = make_room(report.report_class, static_cast<std::int64_t>(payload.size()));
  if (!room) return fail(room.error());
  // Evicted first, so their pages are free for the new report within this transaction.
  auto evicted = drop_in_tx(room->evict, DropReason::evicted_for_space, now_ms);
  if (!evicted) return fail(evicted.error());
  out.evicted = std::move(*evicted);
  if (!report.draft_id.empty()) {
    if (auto x = delete_draft(report.draft_id); !x) return fail(x.error());
  }
  if (auto x = insert_outbox(r.report_id(), OutboxKind::report, topics::reports(r.vin()), payload,
                             static_cast<int>(report.report_class), now_ms, expires_ms, r.text());
      !x) {
    return fail(x.error());
  }
  if (report.hold_until_ms) {
    auto hold = db_.cached("UPDATE outbox SET hold_until_ms = ? WHERE id = ?");
    if (!hold) return fail(hold.error());
    hold->bind(1, *report.hold_until_ms).bind(2, r.report_id());
    if (auto x = hold->run(); !x) return fail(x.error());
  }
  const auto snapshot = report.hold_until_ms ? SnapshotState::waiting
                        : r.has_snapshot()   ? SnapshotState::attached
                                             : SnapshotState::none;
  // Its "queued" step is the row's own created_ms (timeline()): a row of its own, and its key,
  // cost every report about 8 % of what its enqueue writes (bench/README.md).
  if (auto x = insert_report_row(r, now_ms, snapshot); !x) return fail(x.error());
  if (totals_) {
    totals_->reports += 1 - static_cast<std::int64_t>(room->evict.size());
    totals_->bytes += static_cast<std::int64_t>(payload.size()) - room->evicted_bytes;
  }
  return out;
}

Result<void> CarStore::release_report(const std::string& report_id, const std::string& payload, SnapshotState snapshot,
                                      std::int64_t now_ms) {
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  // Kept apart only if the new payload ends with the chunk of the words report_texts holds.
  auto text = db_.cached("SELECT fb_open(text, 'reports.text:' || report_id) FROM report_texts WHERE report_id = ?");
  if (!text) return fail(text.error());
  text->bind(1, report_id);
  auto found = text->step();
  if (!found) return fail(found.error());
  const auto words = *found ? text->blob(0) : std::string();
  text->reset();
  const auto kept = kept_length(payload, words);
  auto st = db_.cached(
      "UPDATE outbox SET payload = fb_seal(?1, 'outbox.payload:' || ?3), digest = ?2, size = ?4, text_apart = ?5, "
      "hold_until_ms = NULL WHERE id = ?3 AND "
      "kind = 'report' AND hold_until_ms IS NOT NULL");
  if (!st) return fail(st.error());
  st->bind_blob(1, std::string_view(payload).substr(0, kept))
      .bind_blob(2, codec::sha256(payload))
      .bind(3, report_id)
      .bind(4, static_cast<std::int64_t>(payload.size()))
      .bind(5, std::int64_t{kept < payload.size()});
  if (auto r = st->run(); !r) return r;
  if (db_.changes() == 0) return fail(StorageErrc::not_found, "held report " + report_id);
  auto rep = db_.cached("UPDATE reports SET snapshot = ?, updated_ms = ? WHERE report_id = ?");
  if (!rep) return fail(rep.error());
  rep->bind(1, to_string(snapshot)).bind(2, now_ms).bind(3, report_id);
  if (auto r = rep->run(); !r) return r;
  if (auto r = tx->commit(); !r) return r;
  totals_.reset();  // the payload grew: read the sums again when next needed
  return {};
}

Result<std::vector<OutboxEntry>> CarStore::outbox() {
  auto st = db_.cached(
      "SELECT id, kind, topic, priority, created_ms, max(expires_ms, 0), coalesce(hold_until_ms, 0), answer "
      "FROM outbox ORDER BY priority DESC, created_ms, id");
  if (!st) return fail(st.error());
  std::vector<OutboxEntry> out;
  auto rows = st->each_row([&](const sql::Statement& s) {
    const auto kind = s.text(1) == "report" ? OutboxKind::report
                      : s.int64(7) != 0     ? OutboxKind::answer
                                            : OutboxKind::receipt;
    out.push_back(
        OutboxEntry{s.text(0), kind, s.text(2), static_cast<int>(s.int64(3)), s.int64(4), s.int64(5), s.int64(6)});
  });
  if (!rows) return fail(rows.error());
  return out;
}

Result<std::string> CarStore::payload(const std::string& id) {
  auto st = db_.cached(
      "SELECT fb_open(o.payload, 'outbox.payload:' || o.id), o.text_apart, t.report_id IS NOT NULL, "
      "CASE WHEN o.text_apart THEN fb_open(t.text, 'reports.text:' || t.report_id) END FROM outbox o "
      "LEFT JOIN report_texts t ON t.report_id = o.id WHERE o.id = ?");
  if (!st) return fail(st.error());
  st->bind(1, id);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(StorageErrc::not_found, "outbox entry " + id);
  if (st->int64(1) == 0) return st->blob(0);
  if (st->int64(2) == 0) return fail(StorageErrc::corrupt, "the words of queued report " + id + " are lost");
  return st->blob(0) + codec::report_text_chunk(st->blob(3));
}

Result<void> CarStore::delete_row(const std::string& id) {
  auto st = db_.cached("DELETE FROM outbox WHERE id = ?");
  if (!st) return fail(st.error());
  st->bind(1, id);
  return st->run();
}

Result<std::optional<std::string>> CarStore::confirm_answer(const std::string& answer_id, std::int64_t now_ms,
                                                            std::int64_t backend_sent_ms) {
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  if (auto r = note_backend_time_in_tx(backend_sent_ms, now_ms); !r) return fail(r.error());
  // A visit update that arrived while the answer was queued came before AnswerStored (the backend
  // sends what an answer caused first): the wait is over. None yet: the next one ends it. An
  // answer to an extra cost gets no visit update of its own: the backend having it is the end.
  auto st = db_.cached(
      "UPDATE visits SET pending_reply = NULL, updated_since_reply = 0 WHERE pending_reply = ?1 AND "
      "(updated_since_reply = 1 OR (SELECT action FROM visit_replies WHERE message_id = ?1) IN (?2, ?3)) "
      "RETURNING report_id");
  if (!st) return fail(st.error());
  st->bind(1, answer_id)
      .bind(2, std::int64_t{wire::VisitReply::APPROVE_EXTRA})
      .bind(3, std::int64_t{wire::VisitReply::REFUSE_EXTRA});
  auto row = st->step();
  if (!row) return fail(row.error());
  std::optional<std::string> report_id;
  if (*row) report_id = st->text(0);
  st->reset();
  // A callback request the backend has is in its live queue: no longer only asked. (A recovered
  // store cancels the ones still asked without a queued copy: never sent.)
  auto queued = move_asked_callback(answer_id, wire::CALLBACK_QUEUED, now_ms);
  if (!queued) return fail(queued.error());
  if (!report_id) report_id = std::move(*queued);
  if (auto r = delete_row(answer_id); !r) return fail(r.error());
  if (auto r = tx->commit(); !r) return fail(r.error());
  return report_id;
}

Result<std::optional<std::string>> CarStore::move_asked_callback(const std::string& callback_id, wire::CallbackState to,
                                                                 std::int64_t now_ms) {
  auto st = db_.cached(
      "UPDATE callbacks SET state = ?1, updated_ms = ?2 WHERE callback_id = ?3 AND state = ?4 RETURNING report_id");
  if (!st) return fail(st.error());
  st->bind(1, std::int64_t{to})
      .bind(2, now_ms)
      .bind(3, callback_id)
      .bind(4, std::int64_t{wire::CALLBACK_STATE_UNSPECIFIED});
  auto row = st->step();
  if (!row) return fail(row.error());
  std::optional<std::string> report_id;
  if (*row) report_id = st->text(0);
  st->reset();
  return report_id;
}

Result<void> CarStore::remove(const std::string& id) {
  auto r = delete_row(id);
  if (r) totals_.reset();  // it may have been a report (tests; the agent removes receipts and answers only)
  return r;
}

Result<std::optional<std::string>> CarStore::refuse_answer(const std::string& answer_id, std::int64_t now_ms,
                                                           std::int64_t backend_sent_ms) {
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  if (auto r = note_backend_time_in_tx(backend_sent_ms, now_ms); !r) return fail(r.error());
  // A refusal naming a report (a wrong or forged AnswerStored) ends nothing: the report stays
  // queued, even one the agent's scheduler does not hold yet (waiting for its snapshot).
  auto is_report = db_.cached("SELECT 1 FROM outbox WHERE id = ? AND kind = 'report'");
  if (!is_report) return fail(is_report.error());
  is_report->bind(1, answer_id);
  auto report_row = is_report->step();
  if (!report_row) return fail(report_row.error());
  is_report->reset();
  if (*report_row) return std::optional<std::string>{};
  auto payload = this->payload(answer_id);
  if (!payload && payload.error().code != make_error_code(StorageErrc::not_found)) return fail(payload.error());
  // The report the answer was about, from the answer itself (the visit's or the survey's), or
  // from what it left waiting (an answer no longer queued: one of a build before v9, gone at its
  // PUBACK, whose wait only this refusal can end).
  std::optional<std::string> report_id;
  if (auto env = payload ? codec::decode(*payload) : Result<wire::Envelope>(fail(payload.error()))) {
    auto about = report_of_answer(*env);
    if (!about) return fail(about.error());
    if (*about && !(*about)->empty()) report_id = std::move(**about);
  }
  auto unpend = db_.cached(
      "UPDATE visits SET pending_reply = NULL, updated_since_reply = 0 WHERE pending_reply = ? RETURNING report_id");
  if (!unpend) return fail(unpend.error());
  unpend->bind(1, answer_id);
  auto row = unpend->step();
  if (!row) return fail(row.error());
  if (*row && !report_id) report_id = unpend->text(0);
  unpend->reset();
  auto cancelled = move_asked_callback(answer_id, wire::CALLBACK_CANCELLED, now_ms);
  if (!cancelled) return fail(cancelled.error());
  if (!report_id) report_id = std::move(*cancelled);
  if (!payload && !report_id) return std::optional<std::string>{};  // nothing of ours
  if (report_id) {
    if (auto r = add_step_in_tx(*report_id, TimelineKind::action_refused, now_ms, answer_id, {}, {}, "answer_refused");
        !r) {
      return fail(r.error());
    }
  }
  if (auto r = delete_row(answer_id); !r) return fail(r.error());
  if (auto r = tx->commit(); !r) return fail(r.error());
  return report_id;
}

Result<AckResult> CarStore::apply_ack(const wire::Ack& ack, std::int64_t now_ms) {
  auto r = apply_acks(std::span<const wire::Ack>(&ack, 1), now_ms);
  if (!r) return fail(r.error());
  return std::move(r->front());
}

Result<void> CarStore::in_unsynced_transaction(const std::function<Result<void>()>& body) {
  // synchronous is set outside a transaction, and back to FULL once it has ended either way.
  if (auto r = db_.exec("PRAGMA synchronous=NORMAL"); !r) return fail(r.error());
  struct RestoreFull {
    sql::Database& db;
    ~RestoreFull() { (void)db.exec("PRAGMA synchronous=FULL"); }
  } restore{db_};
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  if (auto r = body(); !r) return r;
  return tx->commit();
}

std::int64_t CarStore::within_lead(std::int64_t ms, std::int64_t base_ms) const {
  const auto lead = options_.clock_lead.count();
  return base_ms > std::numeric_limits<std::int64_t>::max() - lead ? ms : std::min(ms, base_ms + lead);
}

std::int64_t CarStore::ordering_stamp(const wire::Envelope& env, std::int64_t now_ms) const {
  return clock_valid(now_ms) ? within_lead(env.sent_at_ms(), now_ms) : env.sent_at_ms();
}

Result<void> CarStore::note_backend_time_in_tx(std::int64_t sent_at_ms, std::int64_t now_ms) {
  if (sent_at_ms <= 0 || !clock_valid(now_ms)) return {};
  // A stamp further ahead of the car's clock than the lead is not believed beyond it.
  const auto newest = within_lead(sent_at_ms, now_ms);
  auto st = db_.cached("UPDATE backend_clock SET newest_ms = ?1 WHERE id = 1 AND newest_ms <= ?1 - ?2");
  if (!st) return fail(st.error());
  st->bind(1, newest).bind(2, std::max<std::int64_t>(1, options_.backend_clock_step.count()));
  return st->run();
}

Result<std::vector<AckResult>> CarStore::apply_acks(std::span<const wire::Ack> acks, std::int64_t now_ms,
                                                    bool with_views, std::int64_t backend_sent_ms) {
  std::vector<AckResult> results(acks.size());
  // An answer this build cannot read (a result type added later) confirms nothing.
  const auto readable = [](const wire::Ack& a) { return a.has_accepted() || a.has_rejected(); };
  for (std::size_t i = 0; i < acks.size(); ++i) {
    if (!readable(acks[i])) results[i].report_id = acks[i].report_id();
  }
  // A view that cannot be read (a value sealed under a key the car no longer has) is left out:
  // it must not undo the acks, which would then come back and fail again for ever.
  const auto read_views = [&] {
    for (auto& result : results) {
      if (result.report_id.empty()) continue;
      if (auto view = read_report(result.report_id); view) result.report = std::move(*view);
    }
  };
  if (std::ranges::none_of(acks, readable)) {
    if (with_views) {
      sql::ReadSnapshot snapshot(db_);
      read_views();
    }
    return results;
  }
  // Losing it on a power cut only means the reports are sent again and the backend answers with
  // the same acks.
  std::int64_t removed = 0, removed_bytes = 0;
  const auto apply = [&]() -> Result<void> {
    removed = removed_bytes = 0;
    for (std::size_t i = 0; i < acks.size(); ++i) {
      if (readable(acks[i])) results[i] = AckResult{};  // a retry starts from what was rolled back
    }
    if (auto r = note_backend_time_in_tx(backend_sent_ms, now_ms); !r) return r;
    for (std::size_t i = 0; i < acks.size(); ++i) {
      if (!readable(acks[i])) continue;
      auto size = apply_ack_in_tx(acks[i], now_ms, results[i]);
      if (!size) return fail(size.error());
      if (results[i].matched) {
        ++removed;
        removed_bytes += *size;
      }
    }
    // After every ack of the batch: a report acknowledged twice in it shows its final state.
    if (with_views) read_views();
    return {};
  };
  auto applied = in_unsynced_transaction(apply);
  if (!applied && applied.error().code == make_error_code(StorageErrc::full)) {
    // The file first: on a full filesystem, giving up the row needs room in the WAL too.
    const bool freed = release_room_file();
    auto released = release_reserve();
    if (!released) return fail(released.error());
    if (freed || *released) {
      spdlog::warn("car store: the disk is full; the room kept for acks is given up to apply them");
      applied = in_unsynced_transaction(apply);
    }
  }
  if (!applied) return fail(applied.error());
  if (totals_) {
    totals_->reports -= removed;
    totals_->bytes -= removed_bytes;
  }
  return results;
}

std::int64_t CarStore::reserve_bytes() const {
  const auto bytes = std::max<std::int64_t>(options_.ack_reserve_bytes, 0);
  return options_.max_pages > 0 ? std::min(bytes, options_.max_pages * kMaxPagesUnit / 4) : bytes;
}

Result<bool> CarStore::release_reserve() {
  // Its pages hold zeros already: zeroing them again (secure_delete) would write them all to a full disk.
  if (auto r = db_.query_int("PRAGMA secure_delete=OFF"); !r) return fail(r.error());
  auto deleted = db_.exec("DELETE FROM reserve");
  const auto changes = db_.changes();
  if (auto r = db_.query_int("PRAGMA secure_delete=ON"); !r) return fail(r.error());
  if (!deleted) return fail(deleted.error());
  return changes > 0;
}

Result<void> CarStore::hold_room_file() {
  if (room_file_.empty()) return {};
  const auto bytes = reserve_bytes();
  struct stat st {};
  // Checked on disk, not only remembered: another process on this store (the fb-car CLI) may
  // have given it up.
  if (room_held_ && ::stat(room_file_.c_str(), &st) == 0 && st.st_size == bytes) return {};
  room_held_ = false;
  const int fd = ::open(room_file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  int error = fd < 0 ? errno : 0;
  if (fd >= 0) {
    do {
      error = ::posix_fallocate(fd, 0, bytes);
    } while (error == EINTR);
    // A reserve made smaller since (max_pages, the option) gives back the rest.
    if (error == 0 && ::ftruncate(fd, bytes) != 0) error = errno;
    ::close(fd);
  }
  if (error == ENOSPC || error == EDQUOT) {
    room_error_logged_ = 0;  // the refused report says it; another cause after it is logged again
    return fail(StorageErrc::full, "the filesystem has no room for the acks' reserve (" + room_file_.string() + ")");
  }
  if (error == EOPNOTSUPP || error == ENOSYS || error == EROFS) {
    spdlog::warn("car store: no room file for acks ({}: {}); a full filesystem may hold acks back", room_file_.string(),
                 std::strerror(error));
    room_file_.clear();
    return {};
  }
  if (error != 0) {  // tried again before the next report; the report is not refused for it
    // Once per cause, not once per report: a car reporting every second would fill its log.
    if (error != room_error_logged_) {
      spdlog::warn("car store: the room file for acks ({}) is not held: {}; tried again before each report",
                   room_file_.string(), std::strerror(error));
      room_error_logged_ = error;
    }
    return {};
  }
  if (room_error_logged_ != 0)
    spdlog::info("car store: the room file for acks ({}) is held again", room_file_.string());
  room_error_logged_ = 0;
  room_held_ = true;
  return {};
}

bool CarStore::release_room_file() {
  if (room_file_.empty()) return false;
  room_held_ = false;
  // Whether held or not: an allocation that ENOSPC cut short keeps the blocks it got.
  std::error_code ec;
  const bool removed = std::filesystem::remove(room_file_, ec);
  if (ec) spdlog::warn("car store: the room file for acks could not be removed: {}", ec.message());
  return removed;
}

Result<std::int64_t> CarStore::apply_ack_in_tx(const wire::Ack& ack, std::int64_t now_ms, AckResult& result) {
  // By report id first (the primary key: one statement finds and removes it); the digest names
  // the exact bytes answered and is the fallback for a backend that could not read the report
  // id (never expected of an accepted one): a scan, as nothing else needs a digest index. The
  // digest covers the report id, so both find the same row when both are given.
  std::int64_t size = 0;
  if (!ack.report_id().empty()) {
    auto del = db_.cached("DELETE FROM outbox WHERE id = ?1 AND kind = 'report' RETURNING size");
    if (!del) return fail(del.error());
    del->bind(1, ack.report_id());
    auto row = del->step();
    if (!row) return fail(row.error());
    if (*row) {
      result.matched = true;
      result.report_id = ack.report_id();
      size = del->int64(0);
      if (auto done = del->step(); !done) return fail(done.error());
    }
  }
  if (!result.matched && !ack.payload_sha256().empty()) {
    auto find = db_.cached("SELECT id, size FROM outbox WHERE kind = 'report' AND digest = ?1 LIMIT 1");
    if (!find) return fail(find.error());
    find->bind_blob(1, ack.payload_sha256());
    auto row = find->step();
    if (!row) return fail(row.error());
    if (*row) {
      result.matched = true;
      result.report_id = find->text(0);
      size = find->int64(1);
    }
    find->reset();
    if (result.matched) {
      if (auto r = delete_row(result.report_id); !r) return fail(r.error());
    }
  }
  if (!result.matched) result.report_id = ack.report_id();  // e.g. a duplicate ack after the row left
  if (result.report_id.empty()) return size;
  if (ack.has_accepted()) {
    // A report dropped while its ack was on the way (expired, evicted) reached the backend
    // after all: it shows as acknowledged, not dropped.
    auto st = db_.cached(
        "UPDATE reports SET case_number = ?1, status = CASE WHEN status IN (?4, ?6) THEN ?5 ELSE status "
        "END, drop_reason = '', updated_ms = ?2 WHERE report_id = ?3");
    if (!st) return fail(st.error());
    st->bind(1, ack.accepted().case_number())
        .bind(2, now_ms)
        .bind(3, result.report_id)
        .bind(4, to_string(ReportStatus::queued))
        .bind(5, to_string(ReportStatus::acknowledged))
        .bind(6, to_string(ReportStatus::dropped));
    if (auto r = st->run(); !r) return fail(r.error());
    // No row: the driver erased the report while its ack was on the way. The backend's words
    // about it are not brought back either.
    const bool known = db_.changes() > 0;
    if (auto r = add_step_in_tx(result.report_id, TimelineKind::received, now_ms); !r) return fail(r.error());
    if (known && ack.accepted().has_notification() && !ack.accepted().notification().message_id().empty()) {
      auto applied = store_notification_in_tx(codec::uncarry(ack.accepted().notification()), now_ms);
      if (!applied) return fail(applied.error());
      result.notification = std::move(applied->entry);
      result.notification_duplicate = applied->duplicate;
    }
  } else if (ack.has_rejected() && result.matched) {
    auto st = db_.cached("UPDATE reports SET status = ?4, reject_reason = ?1, updated_ms = ?2 WHERE report_id = ?3");
    if (!st) return fail(st.error());
    st->bind(1, std::string(to_string(dead_letter_reason(ack.rejected().reason()))) + ": " + ack.rejected().detail())
        .bind(2, now_ms)
        .bind(3, result.report_id)
        .bind(4, to_string(ReportStatus::rejected));
    if (auto r = st->run(); !r) return fail(r.error());
    if (auto r = add_step_in_tx(result.report_id, TimelineKind::rejected, now_ms, {}, {}, ack.rejected().detail(),
                                std::string(to_string(dead_letter_reason(ack.rejected().reason()))));
        !r) {
      return fail(r.error());
    }
  }
  return size;
}

Result<std::string> CarStore::enqueue_receipt_in_tx(const std::string& notification_id, wire::ReceiptKind kind,
                                                    const std::string& topic, std::int64_t now_ms) {
  auto env = codec::new_envelope(now_ms);
  env.mutable_receipt()->set_notification_id(notification_id);
  env.mutable_receipt()->set_kind(kind);
  env.mutable_receipt()->set_at_ms(now_ms);
  if (auto r = insert_outbox(env.message_id(), OutboxKind::receipt, topic, codec::encode(env), 0, now_ms); !r) {
    return fail(r.error());
  }
  return env.message_id();
}

Result<CarStore::Applied> CarStore::store_notification_in_tx(const wire::Envelope& env, std::int64_t now_ms) {
  const auto& n = env.notification();
  Applied out;
  if (!n.report_id().empty()) {
    auto erased = db_.cached("SELECT 1 FROM erased_reports WHERE report_id = ?");
    if (!erased) return fail(erased.error());
    erased->bind(1, n.report_id());
    auto row = erased->step();
    if (!row) return fail(row.error());
    erased->reset();
    if (*row) {
      out.about_erased_report = true;
      out.entry.message_id = env.message_id();
      return out;
    }
  }
  out.entry = InboxEntry{env.message_id(), n.report_id(), n.case_number(), n.status(), n.title(),
                         n.text(),         n.language(),  now_ms,          false};
  if (n.has_visit()) out.entry.visit = n.visit();
  if (n.has_callback()) out.entry.callback = n.callback();
  out.entry.urgent = n.urgent();
  auto ins = db_.cached(
      "INSERT OR IGNORE INTO inbox(message_id, report_id, case_number, status, title, text, language, received_ms, "
      "visit, callback) VALUES(?1,?2,?3,?4,?5,fb_seal(?6, 'inbox.text:' || ?1),?7,?8,fb_seal(?9, 'inbox.visit:' || "
      "?1),fb_seal(?10, 'inbox.callback:' || ?1))");
  if (!ins) return fail(ins.error());
  ins->bind(1, env.message_id())
      .bind(2, n.report_id())
      .bind(3, n.case_number())
      .bind(4, static_cast<std::int64_t>(n.status()))
      .bind(5, n.title())
      .bind(6, n.text())
      .bind(7, n.language())
      .bind(8, now_ms);
  if (n.has_visit()) ins->bind_blob(9, n.visit().SerializeAsString());
  else ins->bind_null(9);
  if (n.has_callback()) ins->bind_blob(10, n.callback().SerializeAsString());
  else ins->bind_null(10);
  if (auto r = ins->run(); !r) return fail(r.error());
  out.duplicate = db_.changes() == 0;
  if (out.duplicate) return out;
  if (n.has_visit() && !n.visit().visit_id().empty()) {
    if (auto r = apply_visit_in_tx(env, now_ms); !r) return fail(r.error());
  }
  // A state this build does not know (or 0, the car's own "asked") would leave the callback
  // open for ever, refusing every later "call me": kept in the inbox, not applied.
  if (const auto state = n.callback().state(); n.has_callback() && !n.callback().callback_id().empty() &&
                                               state != wire::CALLBACK_STATE_UNSPECIFIED &&
                                               wire::CallbackState_IsValid(state)) {
    if (auto r = apply_callback_in_tx(env, now_ms); !r) return fail(r.error());
  }
  if (n.report_id().empty()) return out;
  // The case's other reports from this car (the same problem reported again joined it) show its
  // later steps and move with them: the backend names one report per notice. Not with its
  // "received" milestone (each report's own first notice, a merged one's too, which would take
  // the others back). By the milestone, not the status: "assigned" also has status received.
  const bool own_first_notice = n.milestone() == wire::MILESTONE_RECEIVED ||
                                (n.milestone() == wire::MILESTONE_UNSPECIFIED &&
                                 n.status() == wire::CASE_STATUS_RECEIVED);
  std::vector<std::string> others;
  if (!n.case_number().empty() && !own_first_notice) {
    auto of_case = db_.cached(
        "SELECT report_id FROM reports WHERE case_number = ? AND case_number <> '' AND report_id <> ? AND status <> ?");
    if (!of_case) return fail(of_case.error());
    of_case->bind(1, n.case_number()).bind(2, n.report_id()).bind(3, to_string(ReportStatus::rejected));
    if (auto r = of_case->each_row([&](const sql::Statement& row) { others.push_back(row.text(0)); }); !r) {
      return fail(r.error());
    }
  }
  if (auto r = add_notification_step_in_tx(env, now_ms, others); !r) return fail(r.error());

  // The case number in a statement of its own, run only when it changes (a merge or split by the
  // team): setting it in every update would rewrite its index entry (reports_case) for each
  // notice, the ack's too.
  const auto stamp = ordering_stamp(env, now_ms);
  auto renumber = db_.cached(
      "UPDATE reports SET case_number = ?1 WHERE report_id = ?2 AND ?1 <> '' AND case_number <> ?1 AND status <> ?3 "
      "AND last_notification_ms <= ?4");
  if (!renumber) return fail(renumber.error());
  renumber->bind(1, n.case_number()).bind(2, n.report_id()).bind(3, to_string(ReportStatus::rejected)).bind(4, stamp);
  if (auto r = renumber->run(); !r) return fail(r.error());
  // The newest notification the backend wrote decides, whatever order they arrive in (a
  // resend of "received" after "resolved" changes nothing); a case may also move back, e.g.
  // from "waiting for driver" to "in progress". One conditional update per report: no read first.
  auto st = db_.cached(
      "UPDATE reports SET status = COALESCE(?1, status), team = CASE WHEN ?2 = '' THEN team ELSE ?2 END, "
      "first_reply_due_ms = CASE WHEN ?3 = 0 THEN first_reply_due_ms ELSE ?3 END, last_title = ?4, "
      "last_text = fb_seal(?5, 'reports.last_text:' || report_id), updated_ms = ?6, last_notification_ms = ?7 WHERE "
      "report_id = ?8 AND status <> ?9 AND last_notification_ms <= ?7");
  if (!st) return fail(st.error());
  // A status this build does not know (a newer backend's, or none) keeps the report's: "received",
  // the reading of an unknown one elsewhere, would take a closed report back to open.
  const bool known_status = n.status() != wire::CASE_STATUS_UNSPECIFIED && wire::CaseStatus_IsValid(n.status());
  const auto move = [&](const std::string& report_id) -> Result<bool> {
    if (known_status) st->bind(1, to_string(report_status(n.status())));
    else st->bind_null(1);
    st->bind(2, n.team())
        .bind(3, n.first_reply_due_ms())
        .bind(4, n.title())
        .bind(5, n.text())
        .bind(6, now_ms)
        .bind(7, stamp)
        .bind(8, report_id)
        .bind(9, to_string(ReportStatus::rejected));
    if (auto r = st->run(); !r) return fail(r.error());
    return db_.changes() > 0;
  };
  auto moved = move(n.report_id());
  if (!moved) return fail(moved.error());
  if (!*moved && n.milestone() != wire::MILESTONE_MESSAGE) {
    // Unchanged because the backend wrote a later one first (not for a report this car forgot).
    // A team's message is news whenever it comes.
    auto newer = db_.cached("SELECT 1 FROM reports WHERE report_id = ? AND last_notification_ms > ?");
    if (!newer) return fail(newer.error());
    newer->bind(1, n.report_id()).bind(2, stamp);
    auto row = newer->step();
    if (!row) return fail(row.error());
    out.entry.superseded = *row;
    newer->reset();
  }
  for (const auto& id : others) {
    auto moved = move(id);
    if (!moved) return fail(moved.error());
    if (*moved) out.others_moved.push_back(id);
  }
  return out;
}

Result<NotificationResult> CarStore::apply_notification(const wire::Envelope& env, const std::string& receipt_topic,
                                                        std::int64_t now_ms) {
  auto r = apply_notifications(std::span<const wire::Envelope>(&env, 1), receipt_topic, now_ms, /*with_views=*/true);
  if (!r) return fail(r.error());
  return std::move(r->front());
}

Result<std::vector<NotificationResult>> CarStore::apply_notifications(std::span<const wire::Envelope> envelopes,
                                                                      const std::string& receipt_topic,
                                                                      std::int64_t now_ms, bool with_views) {
  std::vector<NotificationResult> out(envelopes.size());
  if (envelopes.empty()) return out;
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  const auto newest = std::ranges::max(envelopes, {}, &wire::Envelope::sent_at_ms).sent_at_ms();
  if (auto r = note_backend_time_in_tx(newest, now_ms); !r) return fail(r.error());
  for (std::size_t i = 0; i < envelopes.size(); ++i) {
    const auto& env = envelopes[i];
    auto applied = store_notification_in_tx(env, now_ms);
    if (!applied) return fail(applied.error());
    out[i].duplicate = applied->duplicate;
    out[i].about_erased_report = applied->about_erased_report;
    out[i].entry = std::move(applied->entry);
    if (with_views) {
      for (const auto& id : applied->others_moved) {
        if (auto view = read_report(id); view && *view) out[i].others.push_back(std::move(**view));
      }
    }
    auto receipt = enqueue_receipt_in_tx(env.message_id(), wire::RECEIPT_DELIVERED, receipt_topic, now_ms);
    if (!receipt) return fail(receipt.error());
    out[i].receipt_id = *receipt;
    // As this notification left it, before the next: the app sees each step, in order.
    if (const auto& report_id = env.notification().report_id(); with_views && !report_id.empty()) {
      if (auto view = read_report(report_id); view && *view) out[i].report = std::move(**view);
    }
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return out;
}

Result<std::optional<std::string>> CarStore::mark_read(const std::string& message_id, const std::string& receipt_topic,
                                                       std::int64_t now_ms) {
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto st = db_.cached("UPDATE inbox SET read_ms = ? WHERE message_id = ? AND read_ms IS NULL");
  if (!st) return fail(st.error());
  st->bind(1, now_ms).bind(2, message_id);
  if (auto r = st->run(); !r) return fail(r.error());
  if (db_.changes() == 0) return std::optional<std::string>{};
  auto receipt = enqueue_receipt_in_tx(message_id, wire::RECEIPT_READ, receipt_topic, now_ms);
  if (!receipt) return fail(receipt.error());
  if (auto r = tx->commit(); !r) return fail(r.error());
  return std::optional<std::string>{*receipt};
}

Result<std::string> CarStore::enqueue_survey_answer(const std::string& notification_id, int score,
                                                    const std::string& comment, const std::string& topic,
                                                    std::int64_t now_ms) {
  if (score < 1 || score > 5)
    return fail(WireErrc::invalid_field, "survey score " + std::to_string(score) + ", need 1..5");
  if (!is_valid_text(comment) || utf8_length(comment) > 1000) {
    return fail(WireErrc::invalid_field, "survey comment: at most 1000 characters of UTF-8, no U+0000");
  }
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  // A closed case's survey request, or (a rating of the outcome) a resolved case's notification.
  auto st = db_.cached("SELECT answered_ms IS NOT NULL FROM inbox WHERE message_id = ? AND status IN (?, ?)");
  if (!st) return fail(st.error());
  st->bind(1, notification_id)
      .bind(2, static_cast<std::int64_t>(wire::CASE_STATUS_CLOSED))
      .bind(3, static_cast<std::int64_t>(wire::CASE_STATUS_RESOLVED));
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(StorageErrc::not_found, "no survey request " + notification_id + " in the inbox");
  const bool answered = st->int64(0) != 0;
  st->reset();
  if (answered) return fail(AgentErrc::already_answered, "survey " + notification_id);
  auto env = codec::new_envelope(now_ms);
  env.mutable_survey()->set_notification_id(notification_id);
  env.mutable_survey()->set_score(static_cast<std::uint32_t>(score));
  env.mutable_survey()->set_comment(comment);
  if (auto r = insert_outbox(env.message_id(), OutboxKind::answer, topic, codec::encode(env), 0, now_ms); !r) {
    return fail(r.error());
  }
  auto mark = db_.cached("UPDATE inbox SET answered_ms = ? WHERE message_id = ?");
  if (!mark) return fail(mark.error());
  mark->bind(1, now_ms).bind(2, notification_id);
  if (auto r = mark->run(); !r) return fail(r.error());
  if (auto r = add_rated_step_in_tx(notification_id, env, now_ms); !r) return fail(r.error());
  if (auto r = tx->commit(); !r) return fail(r.error());
  return env.message_id();
}

Result<void> CarStore::apply_visit_in_tx(const wire::Envelope& env, std::int64_t now_ms) {
  const auto& n = env.notification();
  // The newest update the backend wrote wins, as for the report's status; it also ends the wait
  // of an answer queued against an older one, unless that answer is still queued: the update may
  // have been written before the backend had the answer (a reminder), and the answer's own
  // AnswerStored ends the wait then (confirm_answer).
  auto st = db_.cached(
      "INSERT INTO visits(visit_id, report_id, latest, notification_id, sent_ms, received_ms) "
      "VALUES(?1,?2,fb_seal(?3, 'visits.latest:' || ?1),?4,?5,?6) "
      "ON CONFLICT(visit_id) DO UPDATE SET report_id = CASE WHEN excluded.report_id = '' THEN report_id "
      "ELSE excluded.report_id END, latest = excluded.latest, notification_id = excluded.notification_id, "
      "sent_ms = excluded.sent_ms, received_ms = excluded.received_ms, "
      "updated_since_reply = EXISTS (SELECT 1 FROM outbox WHERE id = visits.pending_reply AND answer = 1), "
      "pending_reply = CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE id = visits.pending_reply AND answer = 1) "
      "THEN pending_reply END "
      "WHERE excluded.sent_ms >= visits.sent_ms");
  if (!st) return fail(st.error());
  st->bind(1, n.visit().visit_id())
      .bind(2, n.report_id())
      .bind_blob(3, n.visit().SerializeAsString())
      .bind(4, env.message_id())
      .bind(5, ordering_stamp(env, now_ms))
      .bind(6, now_ms);
  return st->run();
}

Result<void> CarStore::apply_callback_in_tx(const wire::Envelope& env, std::int64_t now_ms) {
  const auto& n = env.notification();
  const auto& c = n.callback();
  // A callback this car does not know (its store was replaced) is still shown.
  auto st = db_.cached(
      "INSERT INTO callbacks(callback_id, report_id, state, agent, outcome, requested_ms, updated_ms, sent_ms) "
      "VALUES(?1,?2,?3,?4,fb_seal(?5, 'callbacks.outcome:' || ?1),?6,?6,?7) "
      "ON CONFLICT(callback_id) DO UPDATE SET state = excluded.state, agent = CASE WHEN excluded.agent = '' THEN "
      "agent ELSE excluded.agent END, outcome = CASE WHEN excluded.outcome = '' THEN outcome ELSE excluded.outcome "
      "END, updated_ms = excluded.updated_ms, sent_ms = excluded.sent_ms WHERE excluded.sent_ms >= callbacks.sent_ms");
  if (!st) return fail(st.error());
  st->bind(1, c.callback_id())
      .bind(2, n.report_id())
      .bind(3, static_cast<std::int64_t>(c.state()))
      .bind(4, c.agent())
      .bind(5, c.outcome())
      .bind(6, now_ms)
      .bind(7, ordering_stamp(env, now_ms));
  return st->run();
}

Result<std::string> CarStore::enqueue_visit_reply(const std::string& visit_id, const VisitAnswer& answer,
                                                  const std::string& topic, std::int64_t now_ms) {
  using Reply = wire::VisitReply;
  if (answer.action == Reply::ACTION_UNSPECIFIED || !Reply::Action_IsValid(answer.action)) {
    return fail(WireErrc::invalid_field, "visit reply: no action");
  }
  if (!is_valid_text(answer.reason) || utf8_length(answer.reason) > 500) {
    return fail(WireErrc::invalid_field, "visit reply reason: at most 500 characters of UTF-8, no U+0000");
  }
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto st = db_.cached(
      "SELECT fb_open(latest, 'visits.latest:' || visit_id), pending_reply IS NOT NULL FROM visits WHERE visit_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, visit_id);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(StorageErrc::not_found, "no visit " + visit_id + " in the inbox");
  wire::VisitUpdate latest;
  if (!latest.ParseFromString(st->blob(0))) return fail(StorageErrc::corrupt, "visit " + visit_id);
  const bool pending = st->int64(1) != 0;
  st->reset();

  const auto stage = latest.stage();
  const auto stage_name = std::string(wire::VisitStage_Name(stage));
  const bool approval = answer.action == Reply::APPROVE_EXTRA || answer.action == Reply::REFUSE_EXTRA;
  if (pending && !approval) {
    return fail(AgentErrc::answer_pending, "visit " + visit_id + ": the last answer waits for the backend");
  }
  switch (answer.action) {
    case Reply::PICK_SLOT:
      if (stage != wire::VISIT_PROPOSED) return fail(AgentErrc::visit_stage, "pick a slot: visit is " + stage_name);
      if (!offers_slot(latest, answer.slot_id)) {
        return fail(AgentErrc::not_offered, "slot '" + answer.slot_id + "' is not in the latest proposal");
      }
      break;
    // The backend's rules (docs/visits.md), so that an answer it would dead-letter is refused here.
    case Reply::DECLINE:
      if (stage != wire::VISIT_PROPOSED && stage != wire::VISIT_RESCHEDULE_REQUESTED) {
        return fail(AgentErrc::visit_stage, "decline: visit is " + stage_name);
      }
      break;
    case Reply::RESCHEDULE:
      if (stage != wire::VISIT_PROPOSED && stage != wire::VISIT_BOOKED) {
        return fail(AgentErrc::visit_stage, "other times: visit is " + stage_name);
      }
      break;
    case Reply::CANCEL:
      if (stage != wire::VISIT_PROPOSED && stage != wire::VISIT_BOOKED && stage != wire::VISIT_RESCHEDULE_REQUESTED) {
        return fail(AgentErrc::visit_stage, "cancel: visit is " + stage_name);
      }
      break;
    default: {  // APPROVE_EXTRA, REFUSE_EXTRA
      if (!latest.has_extra_cost() || answer.approval_id.empty() ||
          latest.extra_cost().approval_id() != answer.approval_id) {
        return fail(AgentErrc::not_offered, "approval '" + answer.approval_id + "' is not the one asked");
      }
      auto asked = db_.cached(
          "SELECT count(*) FROM visit_replies WHERE visit_id = ? AND approval_id = ? AND action IN (?, ?)");
      if (!asked) return fail(asked.error());
      asked->bind(1, visit_id)
          .bind(2, answer.approval_id)
          .bind(3, std::int64_t{Reply::APPROVE_EXTRA})
          .bind(4, std::int64_t{Reply::REFUSE_EXTRA});
      if (auto r = asked->step(); !r) return fail(r.error());
      const bool answered = asked->int64(0) > 0;
      asked->reset();
      if (answered) return fail(AgentErrc::already_answered, "approval " + answer.approval_id);
    }
  }

  auto env = codec::new_envelope(now_ms);
  auto* reply = env.mutable_visit_reply();
  reply->set_visit_id(visit_id);
  reply->set_action(answer.action);
  reply->set_slot_id(answer.slot_id);
  reply->set_approval_id(answer.approval_id);
  reply->set_reason(answer.reason);
  if (auto r = insert_outbox(env.message_id(), OutboxKind::answer, topic, codec::encode(env), 0, now_ms); !r) {
    return fail(r.error());
  }
  auto ins = db_.cached(
      "INSERT INTO visit_replies(message_id, visit_id, action, slot_id, approval_id, reason, queued_ms) "
      "VALUES(?,?,?,?,?,?,?)");
  if (!ins) return fail(ins.error());
  ins->bind(1, env.message_id())
      .bind(2, visit_id)
      .bind(3, std::int64_t{answer.action})
      .bind(4, answer.slot_id)
      .bind(5, answer.approval_id)
      .bind(6, answer.reason)
      .bind(7, now_ms);
  if (auto r = ins->run(); !r) return fail(r.error());
  auto mark = db_.cached("UPDATE visits SET pending_reply = ?, updated_since_reply = 0 WHERE visit_id = ?");
  if (!mark) return fail(mark.error());
  mark->bind(1, env.message_id()).bind(2, visit_id);
  if (auto r = mark->run(); !r) return fail(r.error());
  auto report_id = report_of_visit(visit_id);
  if (!report_id) return fail(report_id.error());
  if (!report_id->empty()) {
    auto action = std::string(Reply::Action_Name(answer.action));
    std::ranges::transform(action, action.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (auto r = add_step_in_tx(*report_id, TimelineKind::visit_answer, now_ms, env.message_id(), {}, answer.reason,
                                action);
        !r) {
      return fail(r.error());
    }
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return env.message_id();
}

Result<std::string> CarStore::enqueue_callback_request(const std::string& report_id, const std::string& phone,
                                                       const std::string& language, const std::string& topic,
                                                       std::int64_t now_ms) {
  if (!valid_phone(phone)) {
    return fail(WireErrc::invalid_field, "phone: digits, '+', '-' or spaces, at most 32");
  }
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto report = report_with_case(report_id);
  if (!report) return fail(report.error());
  const auto& view = *report;
  if (view.callback && view.callback->open()) {
    return fail(AgentErrc::callback_open,
                "callback " + view.callback->callback_id + " for report " + report_id + " is still open");
  }
  auto env = codec::new_envelope(now_ms);
  auto* request = env.mutable_callback_request();
  request->set_report_id(report_id);
  request->set_phone(phone);
  request->set_language(language.empty() ? view.language : language);
  // Above receipts: the driver is waiting for the call.
  if (auto r = insert_outbox(env.message_id(), OutboxKind::answer, topic, codec::encode(env), 1, now_ms); !r) {
    return fail(r.error());
  }
  auto ins = db_.cached(
      "INSERT INTO callbacks(callback_id, report_id, phone, language, state, requested_ms, updated_ms) "
      "VALUES(?1,?2,fb_seal(?3, 'callbacks.phone:' || ?1),?4,?5,?6,?7)");
  if (!ins) return fail(ins.error());
  ins->bind(1, env.message_id())
      .bind(2, report_id)
      .bind(3, phone)
      .bind(4, request->language())
      .bind(5, std::int64_t{wire::CALLBACK_STATE_UNSPECIFIED})
      .bind(6, now_ms)
      .bind(7, now_ms);
  if (auto r = ins->run(); !r) return fail(r.error());
  if (auto r = tx->commit(); !r) return fail(r.error());
  return env.message_id();
}

Result<ReportView> CarStore::report_with_case(const std::string& report_id) {
  auto report = read_report(report_id);
  if (!report) return fail(report.error());
  if (!*report) return fail(StorageErrc::not_found, "no report " + report_id);
  if ((*report)->case_number.empty() || (*report)->status == ReportStatus::rejected) {
    return fail(AgentErrc::no_case, "report " + report_id + " has no case yet");
  }
  return std::move(**report);
}

Result<void> CarStore::read_report_extras(ReportView& view) {
  view.visit.reset();
  view.callback.reset();
  auto visit = db_.cached(
      "SELECT v.visit_id, fb_open(v.latest, 'visits.latest:' || v.visit_id), v.notification_id, v.sent_ms, "
      "r.message_id, r.action, r.slot_id, r.approval_id, "
      "r.reason, r.queued_ms FROM visits v LEFT JOIN visit_replies r ON r.message_id = v.pending_reply "
      "WHERE v.report_id = ? ORDER BY v.sent_ms DESC, v.rowid DESC LIMIT 1");
  if (!visit) return fail(visit.error());
  visit->bind(1, view.report_id);
  auto row = visit->step();
  if (!row) return fail(row.error());
  std::string visit_id;
  if (*row) {
    VisitView v;
    visit_id = visit->text(0);
    (void)v.latest.ParseFromString(visit->blob(1));
    v.notification_id = visit->text(2);
    v.updated_ms = visit->int64(3);
    if (!visit->is_null(4)) {
      PendingVisitReply p;
      p.message_id = visit->text(4);
      p.answer.action = static_cast<wire::VisitReply::Action>(visit->int64(5));
      p.answer.slot_id = visit->text(6);
      p.answer.approval_id = visit->text(7);
      p.answer.reason = visit->text(8);
      p.queued_ms = visit->int64(9);
      v.pending = std::move(p);
    }
    view.visit = std::move(v);
  }
  visit->reset();
  if (view.visit && view.visit->latest.has_extra_cost()) {
    auto answered = db_.cached("SELECT count(*) FROM visit_replies WHERE visit_id = ? AND approval_id = ?");
    if (!answered) return fail(answered.error());
    answered->bind(1, visit_id).bind(2, view.visit->latest.extra_cost().approval_id());
    if (auto r = answered->step(); !r) return fail(r.error());
    view.visit->approval_open = answered->int64(0) == 0;
    answered->reset();
  }

  auto callback = db_.cached(
      "SELECT callback_id, state, agent, fb_open(outcome, 'callbacks.outcome:' || callback_id), requested_ms, "
      "updated_ms FROM callbacks WHERE report_id = ? "
      "ORDER BY requested_ms DESC, rowid DESC LIMIT 1");
  if (!callback) return fail(callback.error());
  callback->bind(1, view.report_id);
  row = callback->step();
  if (!row) return fail(row.error());
  if (*row) {
    view.callback = CallbackView{callback->text(0),  static_cast<wire::CallbackState>(callback->int64(1)),
                                 callback->text(2),  callback->text(3),
                                 callback->int64(4), callback->int64(5)};
  }
  callback->reset();

  auto survey = db_.cached(
      "SELECT message_id, answered_ms IS NOT NULL FROM inbox WHERE report_id = ? AND status = ? "
      "ORDER BY received_ms DESC, rowid DESC LIMIT 1");
  if (!survey) return fail(survey.error());
  survey->bind(1, view.report_id).bind(2, static_cast<std::int64_t>(wire::CASE_STATUS_CLOSED));
  row = survey->step();
  if (!row) return fail(row.error());
  if (*row) {
    view.survey_request_id = survey->text(0);
    view.survey_answered = survey->int64(1) != 0;
  } else {
    view.survey_request_id.clear();
    view.survey_answered = false;
  }
  survey->reset();

  auto rating = db_.cached(
      "SELECT message_id, answered_ms IS NOT NULL FROM inbox WHERE report_id = ? AND status IN (?, ?) "
      "ORDER BY received_ms DESC, rowid DESC LIMIT 1");
  if (!rating) return fail(rating.error());
  rating->bind(1, view.report_id)
      .bind(2, static_cast<std::int64_t>(wire::CASE_STATUS_RESOLVED))
      .bind(3, static_cast<std::int64_t>(wire::CASE_STATUS_CLOSED));
  row = rating->step();
  if (!row) return fail(row.error());
  view.rating_request_id = *row ? rating->text(0) : std::string();
  view.rated = *row && rating->int64(1) != 0;
  rating->reset();

  // A reopen is on its way until a notification (or its refusal) comes after it. The backend's
  // refusal of another of the driver's answers (AnswerStored) is no news of the reopen.
  auto reopen = db_.cached(
      "SELECT coalesce(max(CASE WHEN kind = 'reopen_asked' THEN seq END), 0) > "
      "coalesce(max(CASE WHEN source_id <> '' AND kind NOT IN ('driver_reply', 'reopen_asked', 'rated', "
      "'visit_answer') AND NOT (kind = 'action_refused' AND detail = 'answer_refused' AND source_id NOT IN "
      "(SELECT source_id FROM timeline WHERE report_id = ?1 AND kind = 'reopen_asked')) THEN seq END), 0) "
      "FROM timeline WHERE report_id = ?1");
  if (!reopen) return fail(reopen.error());
  reopen->bind(1, view.report_id);
  if (auto r = reopen->step(); !r) return fail(r.error());
  view.reopen_pending = reopen->int64(0) != 0;
  reopen->reset();
  return {};
}

Result<std::optional<ReportView>> CarStore::read_report(const std::string& report_id) {
  auto st = db_.cached("SELECT " + std::string(kReportColumns) + " FROM reports WHERE report_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, report_id);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<ReportView>{};
  auto view = read_report_row(*st);
  st->reset();
  if (auto r = read_report_extras(view); !r) return fail(r.error());
  return std::optional<ReportView>{std::move(view)};
}

Result<std::string> CarStore::report_of_visit(const std::string& visit_id) {
  auto st = db_.cached("SELECT report_id FROM visits WHERE visit_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, visit_id);
  auto row = st->step();
  if (!row) return fail(row.error());
  return *row ? st->text(0) : std::string();
}

Result<std::optional<std::string>> CarStore::report_of_answer(const wire::Envelope& answer) {
  switch (answer.body_case()) {
    case wire::Envelope::kDriverMessage: return answer.driver_message().report_id();
    case wire::Envelope::kReopenRequest: return answer.reopen_request().report_id();
    case wire::Envelope::kCallbackRequest: return answer.callback_request().report_id();
    case wire::Envelope::kVisitReply: return report_of_visit(answer.visit_reply().visit_id());
    case wire::Envelope::kSurvey: return report_of_notification(answer.survey().notification_id());
    default: return std::nullopt;
  }
}

Result<std::string> CarStore::report_of_notification(const std::string& message_id) {
  auto st = db_.cached("SELECT report_id FROM inbox WHERE message_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, message_id);
  auto row = st->step();
  if (!row) return fail(row.error());
  return *row ? st->text(0) : std::string();
}

Result<std::optional<ReportView>> CarStore::report(const std::string& report_id) {
  sql::ReadSnapshot snapshot(db_);
  return read_report(report_id);
}

Result<std::vector<ReportView>> CarStore::reports(std::size_t limit) {
  sql::ReadSnapshot snapshot(db_);
  auto st = db_.cached("SELECT " + std::string(kReportColumns) +
                       " FROM reports ORDER BY created_ms DESC, rowid DESC LIMIT ?");
  if (!st) return fail(st.error());
  st->bind(1, static_cast<std::int64_t>(limit));
  std::vector<ReportView> out;
  auto rows = st->each_row([&](const sql::Statement& s) { out.push_back(read_report_row(s)); });
  if (!rows) return fail(rows.error());
  for (auto& view : out) {
    if (auto r = read_report_extras(view); !r) return fail(r.error());
  }
  return out;
}

Result<std::vector<InboxEntry>> CarStore::inbox(std::size_t limit) {
  auto st = db_.cached("SELECT " + std::string(kInboxColumns) +
                       " FROM inbox ORDER BY received_ms DESC, rowid DESC LIMIT ?");
  if (!st) return fail(st.error());
  st->bind(1, static_cast<std::int64_t>(limit));
  std::vector<InboxEntry> out;
  auto rows = st->each_row([&](const sql::Statement& s) { out.push_back(read_inbox_row(s)); });
  if (!rows) return fail(rows.error());
  return out;
}

}  // namespace fb::agent
