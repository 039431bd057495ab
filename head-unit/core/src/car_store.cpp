#include "fb/agent/car_store.hpp"

#include "fb/common/codec.hpp"
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

constexpr std::string_view kMigrations[] = {kSchemaV1, kSchemaV2};

constexpr std::string_view kReportColumns =
    "report_id, created_ms, source, category, text, language, status, case_number, team, first_reply_due_ms, "
    "last_title, last_text, reject_reason, updated_ms, last_notification_ms";

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
  return v;
}

}  // namespace

Result<CarStore> CarStore::open(const std::filesystem::path& path, Options options) {
  sql::OpenOptions o;
  o.max_page_count = options.max_pages;
  auto opened = sql::open_store(path, sql::StoreSchema{"car store", kMigrations}, sql::OnCorrupt::set_aside, o);
  if (!opened) return fail(opened.error());
  CarStore store(std::move(opened->db));
  store.set_aside_ = opened->set_aside;
  return store;
}

Result<void> CarStore::insert_outbox(const std::string& id, OutboxKind kind, const std::string& topic,
                                     const std::string& payload, int priority, std::int64_t now_ms) {
  auto st = db_.prepare(
      "INSERT INTO outbox(id, kind, topic, payload, digest, priority, created_ms) VALUES(?,?,?,?,?,?,?)");
  if (!st) return fail(st.error());
  st->bind(1, id)
      .bind(2, kind == OutboxKind::report ? "report" : "receipt")
      .bind(3, topic)
      .bind_blob(4, payload)
      .bind_blob(5, codec::sha256(payload))
      .bind(6, std::int64_t{priority})
      .bind(7, now_ms);
  return st->run();
}

Result<void> CarStore::enqueue_report(const wire::Envelope& env, const std::string& payload, int priority,
                                      std::int64_t now_ms) {
  const auto& r = env.report();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  if (auto x = insert_outbox(r.report_id(), OutboxKind::report, topics::reports(r.vin()), payload, priority, now_ms);
      !x) {
    return x;
  }
  auto st = db_.prepare(
      "INSERT INTO reports(report_id, created_ms, source, category, text, language, status, updated_ms) "
      "VALUES(?,?,?,?,?,?,?,?)");
  if (!st) return fail(st.error());
  st->bind(1, r.report_id())
      .bind(2, now_ms)
      .bind(3, static_cast<std::int64_t>(r.source()))
      .bind(4, static_cast<std::int64_t>(r.category()))
      .bind(5, r.text())
      .bind(6, r.language())
      .bind(7, to_string(ReportStatus::queued))
      .bind(8, now_ms);
  if (auto x = st->run(); !x) return x;
  return tx->commit();
}

Result<std::vector<OutboxEntry>> CarStore::outbox() {
  auto st = db_.prepare(
      "SELECT id, kind, topic, priority, created_ms FROM outbox ORDER BY priority DESC, created_ms, id");
  if (!st) return fail(st.error());
  std::vector<OutboxEntry> out;
  auto rows = st->each_row([&](const sql::Statement& s) {
    out.push_back(OutboxEntry{s.text(0), s.text(1) == "report" ? OutboxKind::report : OutboxKind::receipt, s.text(2),
                              static_cast<int>(s.int64(3)), s.int64(4)});
  });
  if (!rows) return fail(rows.error());
  return out;
}

Result<std::string> CarStore::payload(const std::string& id) {
  auto st = db_.prepare("SELECT payload FROM outbox WHERE id = ?");
  if (!st) return fail(st.error());
  st->bind(1, id);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(StorageErrc::not_found, "outbox entry " + id);
  return st->blob(0);
}

Result<void> CarStore::remove(const std::string& id) {
  auto st = db_.prepare("DELETE FROM outbox WHERE id = ?");
  if (!st) return fail(st.error());
  st->bind(1, id);
  return st->run();
}

Result<AckResult> CarStore::apply_ack(const wire::Ack& ack, std::int64_t now_ms) {
  // An answer this build cannot read (a result type added later) confirms nothing.
  if (!ack.has_accepted() && !ack.has_rejected()) {
    AckResult unread;
    unread.report_id = ack.report_id();
    return unread;
  }
  // Not fsync'd by itself (see car_store.hpp): losing it on a power cut only means the report
  // is sent again and the backend answers with the same ack. Must be set outside a transaction.
  if (auto r = db_.exec("PRAGMA synchronous=NORMAL"); !r) return fail(r.error());
  struct RestoreFull {
    sql::Database& db;
    ~RestoreFull() { (void)db.exec("PRAGMA synchronous=FULL"); }
  } restore{db_};
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  // The digest names the exact bytes answered; the report id is the fallback for a backend that
  // could not hash (never expected, but an id match is still safe: ids are unique per car).
  auto find = db_.prepare(
      "SELECT id FROM outbox WHERE kind = 'report' AND (digest = ?1 OR (?2 <> '' AND id = ?2)) "
      "ORDER BY digest = ?1 DESC LIMIT 1");
  if (!find) return fail(find.error());
  find->bind_blob(1, ack.payload_sha256()).bind(2, ack.report_id());
  auto row = find->step();
  if (!row) return fail(row.error());
  AckResult result;
  if (*row) {
    result.matched = true;
    result.report_id = find->text(0);
  } else {
    result.report_id = ack.report_id();  // e.g. a duplicate ack after the outbox row was removed
  }
  find->reset();
  if (result.matched) {
    if (auto r = remove(result.report_id); !r) return fail(r.error());
  }
  if (!result.report_id.empty()) {
    if (ack.has_accepted()) {
      auto st = db_.prepare(
          "UPDATE reports SET case_number = ?1, status = CASE WHEN status = ?4 THEN ?5 ELSE status "
          "END, updated_ms = ?2 WHERE report_id = ?3");
      if (!st) return fail(st.error());
      st->bind(1, ack.accepted().case_number())
          .bind(2, now_ms)
          .bind(3, result.report_id)
          .bind(4, to_string(ReportStatus::queued))
          .bind(5, to_string(ReportStatus::acknowledged));
      if (auto r = st->run(); !r) return fail(r.error());
      if (ack.accepted().has_notification() && !ack.accepted().notification().message_id().empty()) {
        auto applied = store_notification_in_tx(codec::uncarry(ack.accepted().notification()), now_ms);
        if (!applied) return fail(applied.error());
        result.notification = std::move(applied->entry);
        result.notification_duplicate = applied->duplicate;
      }
    } else if (ack.has_rejected() && result.matched) {
      auto st = db_.prepare("UPDATE reports SET status = ?4, reject_reason = ?1, updated_ms = ?2 WHERE report_id = ?3");
      if (!st) return fail(st.error());
      st->bind(1, std::string(to_string(dead_letter_reason(ack.rejected().reason()))) + ": " + ack.rejected().detail())
          .bind(2, now_ms)
          .bind(3, result.report_id)
          .bind(4, to_string(ReportStatus::rejected));
      if (auto r = st->run(); !r) return fail(r.error());
    }
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return result;
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
  out.entry = InboxEntry{env.message_id(), n.report_id(), n.case_number(), n.status(), n.title(),
                         n.text(),         n.language(),  now_ms,          false};
  auto ins = db_.prepare(
      "INSERT OR IGNORE INTO inbox(message_id, report_id, case_number, status, title, text, language, received_ms) "
      "VALUES(?,?,?,?,?,?,?,?)");
  if (!ins) return fail(ins.error());
  ins->bind(1, env.message_id())
      .bind(2, n.report_id())
      .bind(3, n.case_number())
      .bind(4, static_cast<std::int64_t>(n.status()))
      .bind(5, n.title())
      .bind(6, n.text())
      .bind(7, n.language())
      .bind(8, now_ms);
  if (auto r = ins->run(); !r) return fail(r.error());
  out.duplicate = db_.changes() == 0;
  if (out.duplicate || n.report_id().empty()) return out;

  const auto status = to_string(report_status(n.status()));
  auto current = read_report(n.report_id());
  if (!current) return fail(current.error());
  // The newest notification the backend wrote decides, whatever order they arrive in (a
  // resend of "received" after "resolved" changes nothing); a case may also move back, e.g.
  // from "waiting for driver" to "in progress".
  if (*current && (*current)->status != ReportStatus::rejected &&
      env.sent_at_ms() >= (*current)->last_notification_ms) {
    auto st = db_.prepare(
        "UPDATE reports SET status = ?1, case_number = ?2, team = CASE WHEN ?3 = '' THEN team ELSE ?3 END, "
        "first_reply_due_ms = CASE WHEN ?4 = 0 THEN first_reply_due_ms ELSE ?4 END, last_title = ?5, "
        "last_text = ?6, updated_ms = ?7, last_notification_ms = ?8 WHERE report_id = ?9");
    if (!st) return fail(st.error());
    st->bind(1, status)
        .bind(2, n.case_number())
        .bind(3, n.team())
        .bind(4, n.first_reply_due_ms())
        .bind(5, n.title())
        .bind(6, n.text())
        .bind(7, now_ms)
        .bind(8, env.sent_at_ms())
        .bind(9, n.report_id());
    if (auto r = st->run(); !r) return fail(r.error());
  }
  return out;
}

Result<NotificationResult> CarStore::apply_notification(const wire::Envelope& env, const std::string& receipt_topic,
                                                        std::int64_t now_ms) {
  const auto& n = env.notification();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto applied = store_notification_in_tx(env, now_ms);
  if (!applied) return fail(applied.error());
  NotificationResult out;
  out.duplicate = applied->duplicate;
  out.entry = std::move(applied->entry);
  auto receipt = enqueue_receipt_in_tx(env.message_id(), wire::RECEIPT_DELIVERED, receipt_topic, now_ms);
  if (!receipt) return fail(receipt.error());
  out.receipt_id = *receipt;
  if (auto r = tx->commit(); !r) return fail(r.error());
  if (!n.report_id().empty()) {
    auto view = read_report(n.report_id());
    if (view && *view) out.report = **view;
  }
  return out;
}

Result<std::optional<std::string>> CarStore::mark_read(const std::string& message_id, const std::string& receipt_topic,
                                                       std::int64_t now_ms) {
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto st = db_.prepare("UPDATE inbox SET read_ms = ? WHERE message_id = ? AND read_ms IS NULL");
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
  if (!is_valid_utf8(comment) || utf8_length(comment) > 1000) {
    return fail(WireErrc::invalid_field, "survey comment: at most 1000 characters of UTF-8");
  }
  auto st = db_.prepare("SELECT count(*) FROM inbox WHERE message_id = ? AND status = ?");
  if (!st) return fail(st.error());
  st->bind(1, notification_id).bind(2, static_cast<std::int64_t>(wire::CASE_STATUS_CLOSED));
  auto row = st->step();
  if (!row) return fail(row.error());
  const bool asked = st->int64(0) > 0;
  st->reset();
  if (!asked) return fail(StorageErrc::not_found, "no survey request " + notification_id + " in the inbox");
  auto env = codec::new_envelope(now_ms);
  env.mutable_survey()->set_notification_id(notification_id);
  env.mutable_survey()->set_score(static_cast<std::uint32_t>(score));
  env.mutable_survey()->set_comment(comment);
  if (auto r = insert_outbox(env.message_id(), OutboxKind::receipt, topic, codec::encode(env), 0, now_ms); !r) {
    return fail(r.error());
  }
  return env.message_id();
}

Result<std::optional<ReportView>> CarStore::read_report(const std::string& report_id) {
  auto st = db_.prepare("SELECT " + std::string(kReportColumns) + " FROM reports WHERE report_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, report_id);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<ReportView>{};
  return std::optional<ReportView>{read_report_row(*st)};
}

Result<std::optional<ReportView>> CarStore::report(const std::string& report_id) { return read_report(report_id); }

Result<std::vector<ReportView>> CarStore::reports(std::size_t limit) {
  auto st = db_.prepare("SELECT " + std::string(kReportColumns) +
                        " FROM reports ORDER BY created_ms DESC, rowid DESC LIMIT ?");
  if (!st) return fail(st.error());
  st->bind(1, static_cast<std::int64_t>(limit));
  std::vector<ReportView> out;
  auto rows = st->each_row([&](const sql::Statement& s) { out.push_back(read_report_row(s)); });
  if (!rows) return fail(rows.error());
  return out;
}

Result<std::vector<InboxEntry>> CarStore::inbox(std::size_t limit) {
  auto st = db_.prepare(
      "SELECT message_id, report_id, case_number, status, title, text, language, received_ms, read_ms IS NOT NULL "
      "FROM inbox ORDER BY received_ms DESC, rowid DESC LIMIT ?");
  if (!st) return fail(st.error());
  st->bind(1, static_cast<std::int64_t>(limit));
  std::vector<InboxEntry> out;
  auto rows = st->each_row([&](const sql::Statement& s) {
    out.push_back(InboxEntry{s.text(0), s.text(1), s.text(2), static_cast<wire::CaseStatus>(s.int64(3)), s.text(4),
                             s.text(5), s.text(6), s.int64(7), s.int64(8) != 0});
  });
  if (!rows) return fail(rows.error());
  return out;
}

}  // namespace fb::agent
