#include <ctime>
#include <nlohmann/json.hpp>

#include "fb/backend/case_store.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::backend {
namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  vin TEXT NOT NULL,
  type TEXT NOT NULL,
  priority TEXT NOT NULL,
  system TEXT NOT NULL,
  team TEXT NOT NULL,
  status TEXT NOT NULL,
  language TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  first_reply_due_ms INTEGER NOT NULL,
  triage TEXT NOT NULL
);
CREATE INDEX cases_vin ON cases(vin);
CREATE TABLE reports (
  report_id TEXT PRIMARY KEY,
  vin TEXT NOT NULL,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  received_ms INTEGER NOT NULL,
  car_time_ms INTEGER NOT NULL,
  source INTEGER NOT NULL,
  category INTEGER NOT NULL,
  language TEXT NOT NULL,
  text TEXT NOT NULL,
  dtcs TEXT NOT NULL,
  payload BLOB NOT NULL
);
CREATE TABLE case_counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE case_events (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id);
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  vin TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'delivered', 'read')),
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  delivered_ms INTEGER,
  read_ms INTEGER
);
CREATE INDEX notifications_due ON notifications(state, next_attempt_ms);
CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY,
  digest BLOB NOT NULL UNIQUE,
  topic TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  payload BLOB NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  count INTEGER NOT NULL
);
)sql";

// v2: dead-letter reasons are vocabulary keys (fb/common/vocabulary.hpp): "REJECT_VIN_MISMATCH"
// becomes "vin_mismatch", "UNROUTABLE_TOPIC" "unroutable_topic".
constexpr std::string_view kSchemaV2 = R"sql(
UPDATE dead_letters SET reason = CASE
  WHEN reason = 'REJECT_REASON_UNSPECIFIED' THEN 'internal'
  WHEN substr(reason, 1, 7) = 'REJECT_' THEN lower(substr(reason, 8))
  ELSE lower(reason) END;
)sql";

// v3 (issue 7, answers to the car): a "received" notification that rode on the ack is marked
// carried_by_ack = 1. It is never re-sent on its own (the car re-sends the report until acked,
// and a duplicate ack carries it again), so the resend index leaves it out. Only this column
// and index: a later schema bump goes on top of it as v4.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE notifications ADD COLUMN carried_by_ack INTEGER NOT NULL DEFAULT 0;
DROP INDEX notifications_due;
CREATE INDEX notifications_due ON notifications(state, next_attempt_ms) WHERE carried_by_ack = 0;
CREATE INDEX notifications_carried ON notifications(case_id) WHERE carried_by_ack = 1;
)sql";

constexpr std::string_view kMigrations[] = {kSchemaV1, kSchemaV2, kSchemaV3};

/// Column `i` as a vocabulary value; a key this build does not know is a corrupt row.
template <HasVocabulary E>
Result<E> key_column(const sql::Statement& s, int i, std::string_view column) {
  const auto text = s.text(i);
  if (auto v = parse<E>(text)) return *v;
  return fail(StorageErrc::corrupt,
              std::string(column) + ": unknown " + std::string(Vocabulary<E>::name) + " '" + text + "'");
}

int utc_year(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

std::string dtc_list(const wire::Report& r) {
  std::string s;
  for (const auto& d : r.dtcs()) s += (s.empty() ? "" : ",") + d;
  return s;
}

class SqliteCaseStore final : public CaseStore {
 public:
  explicit SqliteCaseStore(sql::Database db) : db_(std::move(db)) {}

  Result<void> prepare() {
    const auto p = [&](sql::Statement& st, std::string_view q) -> Result<void> {
      auto r = db_.prepare(q);
      if (!r) return fail(r.error());
      st = std::move(*r);
      return {};
    };
    for (auto& [st, q] : std::initializer_list<std::pair<sql::Statement*, std::string_view>>{
             {&find_report_,
              "SELECT r.vin, c.uid, c.number, c.team, c.first_reply_due_ms, n.id, n.payload FROM reports r "
              "JOIN cases c ON c.id = r.case_id LEFT JOIN notifications n ON n.case_id = c.id AND "
              "n.carried_by_ack = 1 WHERE r.report_id = ?"},
             {&next_number_,
              "INSERT INTO case_counters(year, last) VALUES(?, 1) "
              "ON CONFLICT(year) DO UPDATE SET last = last + 1 RETURNING last"},
             {&insert_case_,
              "INSERT INTO cases(uid, number, vin, type, priority, system, team, status, language, "
              "created_ms, first_reply_due_ms, triage) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"},
             {&insert_report_,
              "INSERT INTO reports(report_id, vin, case_id, received_ms, car_time_ms, source, "
              "category, language, text, dtcs, payload) VALUES(?,?,?,?,?,?,?,?,?,?,?)"},
             {&insert_event_, "INSERT INTO case_events(case_id, at_ms, kind, detail) VALUES(?,?,?,?)"},
             {&insert_notification_,
              "INSERT INTO notifications(id, case_id, vin, payload, created_ms, state, attempts, "
              "next_attempt_ms) VALUES(?,?,?,?,?,'pending',0,?)"},
             {&insert_carried_notification_,
              "INSERT INTO notifications(id, case_id, vin, payload, created_ms, state, attempts, "
              "next_attempt_ms, carried_by_ack) VALUES(?,?,?,?,?,'sent',1,?,1)"},
             {&insert_dead_letter_,
              "INSERT INTO dead_letters(digest, topic, reason, detail, payload, first_seen_ms, "
              "last_seen_ms, count) VALUES(?,?,?,?,?,?,?,1) ON CONFLICT(digest) DO UPDATE "
              "SET count = count + 1, last_seen_ms = excluded.last_seen_ms RETURNING id"},
         }) {
      if (auto r = p(*st, q); !r) return r;
    }
    return {};
  }

  Result<std::vector<ItemOutcome>> commit_batch(std::span<const BatchItem> items,
                                                const NotificationFactory& make_notification) override {
    std::vector<ItemOutcome> out(items.size());
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (auto r = db_.exec("SAVEPOINT item"); !r) return fail(r.error());
      Result<void> done;
      if (const auto* intake = std::get_if<ReportIntake>(&items[i])) {
        done = store_report(*intake, make_notification, out[i]);
      } else if (const auto* receipt = std::get_if<ReceiptIntake>(&items[i])) {
        done = store_receipt(*receipt, out[i]);
      } else {
        auto id = store_dead_letter(std::get<DeadLetterRecord>(items[i]));
        if (id) out[i].dead_letter_id = *id;
        else done = fail(id.error());
      }
      if (!done) {
        // SQLite may have rolled back the whole transaction itself (a full disk does): then
        // nothing of the batch is stored and the whole batch fails.
        if (!db_.in_transaction()) return fail(done.error());
        // Otherwise only this item is undone; the car sends it again. If even that fails, the
        // item might be half in: fail the whole batch rather than commit it.
        if (auto undo = db_.exec("ROLLBACK TO item"); !undo) return fail(undo.error());
        out[i] = ItemOutcome{};
        out[i].error = done.error();
      }
      if (auto r = db_.exec("RELEASE item"); !r) return fail(r.error());
    }
    if (auto r = tx->commit(); !r) return fail(r.error());
    return out;
  }

  Result<std::vector<StoredNotification>> due_notifications(std::int64_t now_ms, std::size_t limit) override {
    auto st = db_.prepare(
        "SELECT id, vin, payload FROM notifications WHERE state IN ('pending', 'sent') AND next_attempt_ms <= ? "
        "AND carried_by_ack = 0 ORDER BY next_attempt_ms LIMIT ?");
    if (!st) return fail(st.error());
    st->bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
    std::vector<StoredNotification> out;
    auto rows = st->each_row([&](const sql::Statement& s) {
      out.push_back(StoredNotification{s.text(0), s.text(1), s.blob(2), {}});
    });
    if (!rows) return fail(rows.error());
    return out;
  }

  Result<void> reschedule(std::span<const std::string> ids, std::int64_t now_ms, std::int64_t base_ms,
                          std::int64_t max_ms) override {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto st = db_.prepare(
        "UPDATE notifications SET attempts = attempts + 1, state = CASE state WHEN 'pending' THEN 'sent' ELSE state "
        "END, next_attempt_ms = ? + min(?, ? * (1 << min(attempts, 30))) WHERE id = ?");
    if (!st) return fail(st.error());
    for (const auto& id : ids) {
      st->bind(1, now_ms).bind(2, max_ms).bind(3, base_ms).bind(4, id);
      if (auto r = st->run(); !r) return r;
    }
    return tx->commit();
  }

  Result<void> store_receipt(const ReceiptIntake& in, ItemOutcome& out) {
    auto matched = record_receipt(in.notification_id, in.vin, in.kind, in.at_ms);
    if (!matched) return fail(matched.error());
    out.receipt_matched = *matched;
    if (*matched) return {};
    auto id = store_dead_letter(DeadLetterRecord{codec::sha256(in.payload), in.topic, DeadLetterReason::invalid_field,
                                                 "receipt for unknown notification " + in.notification_id, in.payload,
                                                 in.at_ms});
    if (!id) return fail(id.error());
    out.dead_letter_id = *id;
    return {};
  }

  Result<bool> record_receipt(std::string_view id, std::string_view vin, wire::ReceiptKind kind, std::int64_t at_ms) {
    const bool read = kind == wire::RECEIPT_READ;
    // A late "delivered" never downgrades "read".
    auto st = db_.prepare(read ? "UPDATE notifications SET state = 'read', read_ms = ?1, "
                                 "delivered_ms = coalesce(delivered_ms, ?1) WHERE id = ?2 AND vin = ?3"
                               : "UPDATE notifications SET state = CASE state WHEN 'read' THEN 'read' "
                                 "ELSE 'delivered' END, delivered_ms = coalesce(delivered_ms, ?1) "
                                 "WHERE id = ?2 AND vin = ?3");
    if (!st) return fail(st.error());
    st->bind(1, at_ms).bind(2, id).bind(3, vin);
    if (auto r = st->run(); !r) return fail(r.error());
    return db_.changes() > 0;
  }

  Result<std::optional<CaseSummary>> find_case_by_report(std::string_view report_id) override {
    auto rows = query_cases("WHERE r.report_id = ?", report_id, 1);
    if (!rows) return fail(rows.error());
    if (rows->empty()) return std::optional<CaseSummary>{};
    return std::optional<CaseSummary>{std::move(rows->front())};
  }

  Result<std::vector<CaseSummary>> list_cases(std::size_t limit) override { return query_cases("", {}, limit); }

  Result<std::vector<DeadLetterSummary>> list_dead_letters(std::size_t limit) override {
    auto st = db_.prepare("SELECT id, topic, reason, detail, count FROM dead_letters ORDER BY id DESC LIMIT ?");
    if (!st) return fail(st.error());
    st->bind(1, static_cast<std::int64_t>(limit));
    std::vector<DeadLetterSummary> out;
    std::optional<Error> bad;
    auto rows = st->each_row([&](const sql::Statement& s) {
      auto reason = key_column<DeadLetterReason>(s, 2, "dead_letters.reason");
      if (!reason) bad = reason.error();
      else out.push_back(DeadLetterSummary{s.int64(0), s.text(1), *reason, s.text(3), s.int64(4)});
    });
    if (!rows) return fail(rows.error());
    if (bad) return fail(*bad);
    return out;
  }

  Result<StoreCounts> counts() override {
    StoreCounts c;
    for (auto& [field, q] : std::initializer_list<std::pair<std::int64_t*, std::string_view>>{
             {&c.reports, "SELECT count(*) FROM reports"},
             {&c.cases, "SELECT count(*) FROM cases"},
             {&c.dead_letters, "SELECT count(*) FROM dead_letters"},
             {&c.notifications_undelivered,
              "SELECT count(*) FROM notifications WHERE state IN ('pending', 'sent') AND carried_by_ack = 0"},
             {&c.notifications_carried, "SELECT count(*) FROM notifications WHERE carried_by_ack = 1"}}) {
      auto v = db_.query_int(q);
      if (!v) return fail(v.error());
      *field = v->value_or(0);
    }
    return c;
  }

 private:
  Result<std::vector<CaseSummary>> query_cases(std::string_view where, std::string_view arg, std::size_t limit) {
    std::string q =
        "SELECT c.uid, c.number, c.vin, r.report_id, c.type, c.priority, c.system, c.team, c.status, c.created_ms, "
        "c.first_reply_due_ms FROM cases c JOIN reports r ON r.case_id = c.id ";
    q += where;
    q += " ORDER BY c.id DESC LIMIT " + std::to_string(limit);
    auto st = db_.prepare(q);
    if (!st) return fail(st.error());
    if (!where.empty()) st->bind(1, arg);
    std::vector<CaseSummary> out;
    std::optional<Error> bad;
    auto rows = st->each_row([&](const sql::Statement& s) {
      auto type = key_column<CaseType>(s, 4, "cases.type");
      auto priority = key_column<Priority>(s, 5, "cases.priority");
      auto system = key_column<VehicleSystem>(s, 6, "cases.system");
      auto status = key_column<wire::CaseStatus>(s, 8, "cases.status");
      for (const Error* e : {type ? nullptr : &type.error(), priority ? nullptr : &priority.error(),
                             system ? nullptr : &system.error(), status ? nullptr : &status.error()}) {
        if (e && !bad) bad = *e;
      }
      if (bad) return;
      out.push_back(CaseSummary{s.text(0), s.text(1), s.text(2), s.text(3), *type, *priority, *system, s.text(7),
                                *status, s.int64(9), s.int64(10)});
    });
    if (!rows) return fail(rows.error());
    if (bad) return fail(*bad);
    return out;
  }

  Result<void> store_report(const ReportIntake& in, const NotificationFactory& make_notification, ItemOutcome& out) {
    const auto& r = *in.report;
    find_report_.bind(1, r.report_id());
    auto found = find_report_.step();
    if (!found) return fail(found.error());
    if (*found) {
      const auto owner = find_report_.text(0);
      CaseRef ref{find_report_.text(1), find_report_.text(2), find_report_.text(3), find_report_.int64(4), true};
      std::optional<StoredNotification> carried;
      if (!find_report_.is_null(5)) carried = StoredNotification{find_report_.text(5), owner, find_report_.blob(6), {}};
      find_report_.reset();
      if (owner != r.vin()) {
        auto id = store_dead_letter(DeadLetterRecord{in.digest, in.topic, DeadLetterReason::report_id_conflict,
                                                     "report id " + r.report_id() + " belongs to another vehicle",
                                                     in.payload, in.received_ms});
        if (!id) return fail(id.error());
        out.dead_letter_id = *id;
        out.error = Error(WireErrc::report_id_conflict, "report id " + r.report_id() + " is used by another vehicle");
        return {};
      }
      out.accepted = std::move(ref);
      // The same first notification as the first ack, read back: a car whose ack was lost gets
      // exactly what it would have got.
      if (carried && in.notification_in_ack) {
        out.notification = std::move(carried);
        out.notification_in_ack = true;
      }
      return {};
    }
    find_report_.reset();

    next_number_.bind(1, static_cast<std::int64_t>(utc_year(in.received_ms)));
    auto num = next_number_.step();
    if (!num) return fail(num.error());
    const auto sequence = next_number_.int64(0);
    next_number_.reset();

    CaseRef ref;
    ref.case_id = new_uuid();
    ref.case_number = format_case_number(utc_year(in.received_ms), sequence);
    ref.team = in.route.team;
    ref.first_reply_due_ms = in.received_ms + std::int64_t{in.route.first_reply_hours} * 3600 * 1000;
    const nlohmann::json triage = {{"evidence", in.classification.evidence}, {"route_rule", in.route.rule_index}};
    insert_case_.bind(1, ref.case_id)
        .bind(2, ref.case_number)
        .bind(3, r.vin())
        .bind(4, to_string(in.classification.type))
        .bind(5, to_string(in.classification.priority))
        .bind(6, to_string(in.classification.system))
        .bind(7, ref.team)
        .bind(8, to_string(wire::CASE_STATUS_RECEIVED))
        .bind(9, r.language())
        .bind(10, in.received_ms)
        .bind(11, ref.first_reply_due_ms)
        .bind(12, triage.dump());
    if (auto x = insert_case_.run(); !x) return x;
    const auto case_row = db_.last_insert_rowid();

    insert_report_.bind(1, r.report_id())
        .bind(2, r.vin())
        .bind(3, case_row)
        .bind(4, in.received_ms)
        .bind(5, r.car_time_ms())
        .bind(6, static_cast<std::int64_t>(r.source()))
        .bind(7, static_cast<std::int64_t>(r.category()))
        .bind(8, r.language())
        .bind(9, r.text())
        .bind(10, dtc_list(r))
        .bind_blob(11, in.payload);
    if (auto x = insert_report_.run(); !x) return x;
    if (auto x = event(case_row, in.received_ms, "created", triage.dump()); !x) return x;

    auto n = make_notification(in, ref);
    if (!n) return fail(n.error());
    auto& insert = in.notification_in_ack ? insert_carried_notification_ : insert_notification_;
    insert.bind(1, n->id)
        .bind(2, case_row)
        .bind(3, n->vin)
        .bind_blob(4, n->payload)
        .bind(5, in.received_ms)
        .bind(6, in.received_ms);
    if (auto x = insert.run(); !x) return x;
    if (auto x = event(case_row, in.received_ms, in.notification_in_ack ? "notified_in_ack" : "notified",
                       n->id + " " + n->text);
        !x) {
      return x;
    }
    out.accepted = std::move(ref);
    out.notification = std::move(*n);
    out.notification_in_ack = in.notification_in_ack;
    return {};
  }

  Result<void> event(std::int64_t case_row, std::int64_t at_ms, std::string_view kind, std::string_view detail) {
    insert_event_.bind(1, case_row).bind(2, at_ms).bind(3, kind).bind(4, detail);
    return insert_event_.run();
  }

  Result<std::int64_t> store_dead_letter(const DeadLetterRecord& d) {
    insert_dead_letter_.bind_blob(1, d.digest)
        .bind(2, d.topic)
        .bind(3, to_string(d.reason))
        .bind(4, d.detail)
        .bind_blob(5, d.payload)
        .bind(6, d.at_ms)
        .bind(7, d.at_ms);
    auto row = insert_dead_letter_.step();
    if (!row) return fail(row.error());
    const auto id = insert_dead_letter_.int64(0);
    insert_dead_letter_.reset();
    return id;
  }

  sql::Database db_;
  sql::Statement find_report_, next_number_, insert_case_, insert_report_, insert_event_, insert_notification_,
      insert_carried_notification_, insert_dead_letter_;
};

}  // namespace

std::string format_case_number(int year, std::int64_t sequence) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "FB-%04d-%06lld", year, static_cast<long long>(sequence));
  return buf;
}

Result<std::unique_ptr<CaseStore>> open_sqlite_case_store(const std::filesystem::path& path, std::int64_t max_pages) {
  sql::OpenOptions options;
  options.max_page_count = max_pages;
  auto opened = sql::open_store(path, sql::StoreSchema{"case store", kMigrations}, sql::OnCorrupt::refuse, options);
  if (!opened) return fail(opened.error());
  auto store = std::make_unique<SqliteCaseStore>(std::move(opened->db));
  if (auto r = store->prepare(); !r) return fail(r.error());
  return std::unique_ptr<CaseStore>(std::move(store));
}

}  // namespace fb::backend
