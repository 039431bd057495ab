#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <ctime>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "case_store_sql.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/backend/similarity.hpp"
#include "fb/common/clock.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/sealed_sql.hpp"
#include "fb/common/sqlite.hpp"
#include "fb/common/topics.hpp"
#include "sqlite_visits.hpp"

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

// v3: the vehicle-system vocabulary of issue 7 (fb/common/vocabulary.hpp): the old names that
// are gone map onto the new ones, so a store written by an older build still reads.
constexpr std::string_view kSchemaV3 = R"sql(
UPDATE cases SET system = CASE system
  WHEN 'traction_battery' THEN 'battery'
  WHEN 'airbags' THEN 'restraints'
  WHEN 'unknown' THEN 'other'
  WHEN 'service_attitude' THEN 'service'
  WHEN 'technician_skill' THEN 'service'
  WHEN 'promises' THEN 'service'
  WHEN 'repair_time' THEN 'service'
  ELSE system END;
)sql";

// v4 (issue 7, answers to the car): a "received" notification that rode on the ack is marked
// carried_by_ack = 1. It is never re-sent on its own (the car re-sends the report until acked,
// and a duplicate ack carries it again), so the resend index leaves it out. Only this column
// and index: the lifecycle goes on top of it as v5.
constexpr std::string_view kSchemaV4 = R"sql(
ALTER TABLE notifications ADD COLUMN carried_by_ack INTEGER NOT NULL DEFAULT 0;
DROP INDEX notifications_due;
CREATE INDEX notifications_due ON notifications(state, next_attempt_ms) WHERE carried_by_ack = 0;
CREATE INDEX notifications_carried ON notifications(case_id) WHERE carried_by_ack = 1;
)sql";

// v5: The case lifecycle: states (lifecycle.hpp) replace the wire statuses in cases.status; SLA
// clocks and escalations; merged reports; clusters and major cases; surveys; the actor of each
// audit entry; the event each notification tells.
constexpr std::string_view kSchemaLifecycle = R"sql(
UPDATE cases SET status = CASE status WHEN 'received' THEN 'new'
  WHEN 'waiting_for_driver' THEN 'waiting_for_customer' ELSE status END;
ALTER TABLE cases ADD COLUMN sla_start_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN resolution_due_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN first_response_ms INTEGER;
ALTER TABLE cases ADD COLUMN resolved_ms INTEGER;
ALTER TABLE cases ADD COLUMN response_escalation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN resolution_escalation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN progress_every_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN last_contact_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN next_sla_ms INTEGER;
ALTER TABLE cases ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN collaborators TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT 'car';
ALTER TABLE cases ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN software_version TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN parent_id INTEGER REFERENCES cases(id);
ALTER TABLE cases ADD COLUMN major INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN cluster_id INTEGER;
UPDATE cases SET sla_start_ms = created_ms, last_contact_ms = created_ms,
  resolution_due_ms = created_ms + 7 * 86400000,
  first_response_ms = CASE status WHEN 'new' THEN NULL ELSE created_ms END;
CREATE INDEX cases_sla ON cases(next_sla_ms) WHERE next_sla_ms IS NOT NULL;
CREATE INDEX cases_open_vin ON cases(vin, system, created_ms);
CREATE INDEX cases_cluster ON cases(cluster_id);
CREATE INDEX reports_case ON reports(case_id);
ALTER TABLE case_events ADD COLUMN actor TEXT NOT NULL DEFAULT 'system';
ALTER TABLE notifications ADD COLUMN event TEXT NOT NULL DEFAULT 'received';
ALTER TABLE notifications ADD COLUMN report_id TEXT;
DROP INDEX notifications_carried;
CREATE INDEX notifications_carried ON notifications(report_id) WHERE carried_by_ack = 1;
CREATE TABLE clusters (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  model TEXT NOT NULL,
  software_version TEXT NOT NULL,
  exemplar TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  major_case_id INTEGER REFERENCES cases(id),
  warned_ms INTEGER NOT NULL DEFAULT 0,
  last_ms INTEGER NOT NULL,
  vehicles INTEGER NOT NULL DEFAULT 0,
  cases INTEGER NOT NULL DEFAULT 0,
  window_start_ms INTEGER NOT NULL DEFAULT 0,
  window_count INTEGER NOT NULL DEFAULT 0,
  previous_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE cluster_vehicles (
  cluster_id INTEGER NOT NULL REFERENCES clusters(id),
  vin TEXT NOT NULL,
  PRIMARY KEY (cluster_id, vin)
) WITHOUT ROWID;
CREATE INDEX clusters_key ON clusters(key, model, software_version, last_ms);
CREATE TABLE surveys (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  notification_id TEXT NOT NULL UNIQUE,
  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
)sql";

// v6 (issue 9, the service teams' console): contacts of reports from other channels (personal
// data, erasable; by report, so that they follow a report merged or split into another case), the privacy audit, and
// the indexes of the console's queue (team or state, newest first; most urgent first: cases_due is on the exact
// expression of kNextDueSql, which SQLite needs to use it), and the analytics' periods (cases_created).
constexpr std::string_view kSchemaConsole = R"sql(
CREATE TABLE contacts (
  report_id TEXT PRIMARY KEY REFERENCES reports(report_id),
  name TEXT NOT NULL,
  phone TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX contacts_phone ON contacts(phone);
CREATE TABLE privacy_audit (
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX cases_team ON cases(team, id);
CREATE INDEX cases_status ON cases(status, id);
CREATE INDEX cases_due ON cases((CASE WHEN first_response_ms IS NULL THEN first_reply_due_ms ELSE resolution_due_ms END), id);
CREATE INDEX surveys_case ON surveys(case_id);
CREATE INDEX cases_created ON cases(created_ms);
)sql";

// v8: related reports (Report.related_report_ids, docs/telematics.md). A row is kept when the
// named report has not arrived yet, so that the link is made whichever comes first. (Not
// WITHOUT ROWID: SQLite 3.40's quick_check reports its NOT NULL columns as NULL.)
constexpr std::string_view kSchemaRelations = R"sql(
CREATE TABLE report_relations (
  report_id TEXT NOT NULL,
  related_id TEXT NOT NULL,
  PRIMARY KEY (related_id, report_id)
);
)sql";

// v9 (issue 11): dead letters are capped per VIN (the topic's) and purged by age.
constexpr std::string_view kSchemaDeadLetterCaps = R"sql(
ALTER TABLE dead_letters ADD COLUMN vin TEXT NOT NULL DEFAULT '';
UPDATE dead_letters SET vin = substr(topic, 10, instr(substr(topic, 10), '/') - 1)
  WHERE topic LIKE 'vehicles/%/%';
CREATE INDEX dead_letters_vin ON dead_letters(vin);
CREATE INDEX dead_letters_last_seen ON dead_letters(last_seen_ms);
)sql";

/// A personal column and the row id its associated data names ("table.column:" || id).
struct SealedColumn {
  std::string_view table, column, id, lookup;  // lookup: the digest column beside it, if any
  std::string_view only = {};                  // a condition on the rows that are sealed, if not all
  /// Values from outside, stored as they came before keys were configured (a refused message may
  /// look sealed): one that does not open is sealed as it is rather than failing the reseal.
  bool foreign = false;
};
constexpr SealedColumn kSealedColumns[] = {
    {"reports", "text", "report_id", ""},
    {"reports", "payload", "report_id", ""},
    {"contacts", "name", "report_id", ""},
    {"contacts", "phone", "report_id", "phone_mac"},
    {"callbacks", "phone", "id", "phone_mac"},
    {"surveys", "comment", "notification_id", ""},
    {"visits", "survey_comment", "id", ""},
    {"clusters", "exemplar", "key || ':' || model || ':' || software_version || ':' || created_ms", ""},
    // People's words in the audit trail; "created" holds the classifier's evidence, kept readable
    // for the statistics.
    {"case_events", "detail", "case_id || ':' || at_ms || ':' || kind", "", "kind != 'created'"},
    // What was said to the driver (agents' messages, appointment places).
    {"notifications", "payload", "id", ""},
    // Refused messages, kept as evidence: a report's text, a callback request's number.
    {"dead_letters", "payload", "topic || ':' || first_seen_ms", "", {}, true},
};

std::span<const std::string_view> migrations() {
  static const std::string_view all[] = {kSchemaV1,
                                         kSchemaV2,
                                         kSchemaV3,
                                         kSchemaV4,
                                         kSchemaLifecycle,
                                         kSchemaConsole,
                                         detail::kVisitSchema,
                                         kSchemaRelations,
                                         kSchemaDeadLetterCaps,
                                         detail::kSchemaPhoneDigests,
                                         detail::kSchemaLeases,
                                         detail::kSchemaVisitsByUpdate,
                                         detail::survey_closings_migration(),
                                         detail::kSchemaTriageQueue};
  return all;
}

/// A time by a car's clock, where it can be right: in [earliest, received], `received` being when
/// it arrived; else `received`. A clock not yet set after a boot (2000) or stepped ahead gives way.
std::int64_t plausible_car_time(std::int64_t car_ms, std::int64_t earliest_ms, std::int64_t received_ms) {
  return car_ms > 0 && car_ms >= earliest_ms && car_ms <= received_ms ? car_ms : received_ms;
}

/// Product faults and usage experiences cluster across the fleet by symptom; complaints about
/// service and suggestions do not.
bool clusters_by_symptom(CaseType type) {
  return type == CaseType::product_fault || type == CaseType::usage_experience;
}

/// The key of a cluster of cases without DTCs: their vehicle system ("system:transmission").
std::string system_cluster_key(VehicleSystem system) { return "system:" + std::string(to_string(system)); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ",") + i;
  return s;
}

/// Whether `theirs` holds one of the codes in `mine`; linear (a report carries up to
/// codec::kMaxDtcs, checked against up to 20 candidates on the service's strand).
bool share_any(const std::unordered_set<std::string_view>& mine, const std::vector<std::string>& theirs) {
  return std::any_of(theirs.begin(), theirs.end(), [&](const auto& x) { return mine.contains(x); });
}

/// A cluster's early-warning counts as stored (see check_early_warning()).
struct ClusterWindow {
  std::int64_t start_ms = 0;  // the current tumbling window
  std::int64_t count = 0;     // new cases in it
  std::int64_t previous = 0;  // new cases in the window before
  std::int64_t warned_ms = 0;
};

/// The SLA clock of one case, as stored; next_deadline() is what process_sla() waits for.
struct SlaClock {
  CaseState state = CaseState::new_;
  std::int64_t start_ms = 0;
  std::int64_t first_response_due_ms = 0;
  std::int64_t resolution_due_ms = 0;
  bool responded = false;
  int response_escalation = 0;
  int resolution_escalation = 0;
  std::int64_t progress_every_ms = 0;
  std::int64_t last_contact_ms = 0;
  bool has_car = true;
  std::int64_t resolution_target_ms = 0;  // the length a reopening restarts; 0: unknown (stored before v14)

  /// The length of the resolution target: what a reopening gives the case again from then. A case
  /// stored before v14 whose due time came before its start (it took a merged case's) has none
  /// known: the default target (the reopening's UPDATE in move_case is the same rule in SQL).
  std::int64_t resolution_target() const {
    const auto known = known_resolution_target();
    return known > 0 ? known : SlaTargets{}.resolution_ms;
  }
  /// The same when known, else 0.
  std::int64_t known_resolution_target() const {
    if (resolution_target_ms > 0) return resolution_target_ms;
    return resolution_due_ms > start_ms ? resolution_due_ms - start_ms : 0;
  }

  /// The highest escalation level (0, 50, 100) of a target from `start` due at `due` reached at `at`.
  static int level_reached(std::int64_t start, std::int64_t due, std::int64_t at) {
    int level = 0;
    for (int l : {50, 100})
      if (at_percent(start, due, l) <= at) level = l;
    return level;
  }

  static std::int64_t at_percent(std::int64_t start, std::int64_t due, int percent) {
    return start + (due - start) * percent / 100;
  }

  std::optional<std::int64_t> next_deadline() const {
    if (!is_open(state)) return std::nullopt;
    std::optional<std::int64_t> next;
    const auto consider = [&](std::int64_t t) { next = next ? std::min(*next, t) : t; };
    for (int level : {50, 100}) {
      if (!responded && response_escalation < level) consider(at_percent(start_ms, first_response_due_ms, level));
      if (resolution_escalation < level) consider(at_percent(start_ms, resolution_due_ms, level));
    }
    if (has_car && progress_every_ms > 0) consider(last_contact_ms + progress_every_ms);
    return next;
  }
};

constexpr std::string_view kSlaColumns =
    "SELECT id, status, sla_start_ms, first_reply_due_ms, resolution_due_ms, first_response_ms IS NOT NULL, "
    "response_escalation, resolution_escalation, progress_every_ms, last_contact_ms, vin != '', resolution_target_ms "
    "FROM cases WHERE ";

constexpr std::string_view kCaseColumns =
    "c.uid, c.number, c.vin, coalesce((SELECT report_id FROM reports WHERE case_id = c.id ORDER BY rowid LIMIT 1), "
    "(SELECT report_id FROM reports WHERE case_id = c.follow_up_of ORDER BY rowid LIMIT 1)), c.type, "
    "c.priority, "
    "c.system, c.team, c.status, c.created_ms, c.first_reply_due_ms, c.resolution_due_ms, c.assignee, c.language, "
    "c.channel, (SELECT p.number FROM cases p WHERE p.id = c.parent_id), c.major, "
    "(SELECT count(*) FROM reports WHERE case_id = c.id), c.collaborators, c.model, c.software_version, "
    "c.first_response_ms, c.resolved_ms, c.needs_triage";

/// The target an open case works to next, and whether it is open, as SQL over `cases c`
/// (the same rule as next_due_ms() and sla_state()).
constexpr std::string_view kNextDueSql =
    "(CASE WHEN first_response_ms IS NULL THEN first_reply_due_ms ELSE resolution_due_ms END)";
constexpr std::string_view kOpenSql = "c.status NOT IN ('resolved', 'closed')";
constexpr std::string_view kPriorityRankSql = "(CASE c.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)";

/// Escapes LIKE's wildcards (with ESCAPE '\\').
std::string like_pattern(std::string_view text) {
  std::string out = "%";
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "%";
}

constexpr std::string_view sort_tag(CaseSort s) {
  switch (s) {
    case CaseSort::newest: return "n";
    case CaseSort::oldest: return "o";
    case CaseSort::due: return "d";
    case CaseSort::priority: return "p";
  }
  return "n";
}

/// A page's cursor: the sort, the last row's sort key and its id ("d.1764567890000.42").
struct Cursor {
  std::int64_t key = 0;
  std::int64_t id = 0;
};

Result<std::optional<Cursor>> parse_cursor(std::string_view text, CaseSort sort) {
  if (text.empty()) return std::optional<Cursor>{};
  const auto bad = [&] {
    return fail(CaseErrc::invalid_query, "cursor '" + std::string(text) + "' is not a cursor of this sort");
  };
  const auto tag = sort_tag(sort);
  if (!text.starts_with(tag) || text.size() < 3 || text[1] != '.') return bad();
  const auto rest = text.substr(2);
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) return bad();
  Cursor c;
  const auto parse = [](std::string_view t, std::int64_t& v) {
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && p == t.data() + t.size() && !t.empty();
  };
  if (!parse(rest.substr(0, dot), c.key) || !parse(rest.substr(dot + 1), c.id)) return bad();
  return std::optional<Cursor>{c};
}

/// Column `i` as a vocabulary value; a key this build does not know is a corrupt row.
template <HasVocabulary E>
Result<E> key_column(const sql::Statement& s, int i, std::string_view column) {
  const auto text = s.text(i);
  if (auto v = parse<E>(text)) return *v;
  return fail(StorageErrc::corrupt,
              std::string(column) + ": unknown " + std::string(Vocabulary<E>::name) + " '" + text + "'");
}

std::string dtc_list(const wire::Report& r) {
  std::string s;
  for (const auto& d : r.dtcs()) s += (s.empty() ? "" : ",") + d;
  return s;
}

class SqliteCaseStore final : public CaseStore {
 public:
  SqliteCaseStore(sql::Database db, GroupingPolicy grouping, DeadLetterPolicy dead_letters = {})
      : db_(std::move(db)),
        grouping_(grouping),
        dead_letter_policy_(dead_letters) {}

  Result<void> prepare() {
    const auto p = [&](sql::Statement& st, std::string_view q) -> Result<void> {
      auto r = db_.prepare(q);
      if (!r) return fail(r.error());
      st = std::move(*r);
      return {};
    };
    for (auto& [st, q] : std::initializer_list<std::pair<sql::Statement*, std::string_view>>{
             {&find_report_,
              "SELECT r.vin, c.uid, c.number, c.team, c.first_reply_due_ms, n.id, "
              "fb_open(n.payload, 'notifications.payload:' || n.id), "
              "fb_open(r.payload, 'reports.payload:' || r.report_id) FROM reports r "
              "JOIN cases c ON c.id = r.case_id LEFT JOIN notifications n ON n.report_id = r.report_id AND "
              "n.carried_by_ack = 1 WHERE r.report_id = ?"},
             {&next_number_,
              "INSERT INTO case_counters(year, last) VALUES(?, 1) "
              "ON CONFLICT(year) DO UPDATE SET last = case_counters.last + 1 RETURNING last"},
             {&insert_case_,
              "INSERT INTO cases(uid, number, vin, type, priority, system, team, status, language, "
              "created_ms, first_reply_due_ms, triage, sla_start_ms, resolution_due_ms, progress_every_ms, "
              "last_contact_ms, next_sla_ms, collaborators, channel, model, software_version, major, needs_triage, "
              "resolution_target_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
             {&insert_report_,
              "INSERT INTO reports(report_id, vin, case_id, received_ms, car_time_ms, source, "
              "category, language, text, dtcs, payload) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,"
              "fb_seal(?9, 'reports.text:' || ?1),?10,fb_seal(?11, 'reports.payload:' || ?1))"},
             {&insert_event_,
              "INSERT INTO case_events(case_id, at_ms, kind, detail, actor) VALUES(?1,?2,?3,CASE WHEN ?3 = 'created' "
              "THEN ?4 ELSE fb_seal(?4, 'case_events.detail:' || ?1 || ':' || ?2 || ':' || ?3) END,?5)"},
             {&insert_notification_,
              "INSERT INTO notifications(id, case_id, vin, payload, created_ms, state, attempts, "
              "next_attempt_ms, event, carried_by_ack, report_id) "
              "VALUES(?1, ?2, ?3, fb_seal(?4, 'notifications.payload:' || ?1), ?5, CASE ?8 WHEN 1 THEN 'sent' ELSE "
              "'pending' END, ?8, ?5, ?6, ?8, ?7)"},
             {&merge_candidates_,
              "SELECT c.id, c.uid, c.number, c.team, c.first_reply_due_ms, fb_open(r.text, 'reports.text:' || "
              "r.report_id), "
              "r.dtcs FROM cases c "
              "JOIN reports r ON r.rowid = (SELECT min(rowid) FROM reports WHERE case_id = c.id) "
              "WHERE c.vin = ? AND c.system = ? AND c.major = 0 "
              "AND c.status NOT IN ('resolved', 'closed') AND c.created_ms >= ? ORDER BY c.id DESC LIMIT 20"},
             {&insert_dead_letter_,
              "INSERT INTO dead_letters(digest, topic, reason, detail, payload, first_seen_ms, "
              "last_seen_ms, count, vin) VALUES(?1,?2,?3,?4,fb_seal(?5, 'dead_letters.payload:' || ?2 || ':' || ?6),"
              "?6,?7,1,?8) ON CONFLICT(digest) DO UPDATE "
              "SET count = dead_letters.count + 1, last_seen_ms = excluded.last_seen_ms RETURNING id, count"},
             {&seen_dead_letter_,
              "UPDATE dead_letters SET count = count + 1, last_seen_ms = max(last_seen_ms, ?2) WHERE digest = ?1 "
              "RETURNING id"},
         }) {
      if (auto r = p(*st, q); !r) return r;
    }
    return {};
  }

  Result<std::vector<ItemOutcome>> commit_batch(std::span<const BatchItem> items,
                                                const NotificationFactory& make_notification) override {
    return each_in_savepoint(items, [&](const BatchItem& item, ItemOutcome& out) -> Result<void> {
      if (const auto* intake = std::get_if<ReportIntake>(&item)) return store_report(*intake, make_notification, out);
      if (const auto* receipt = std::get_if<ReceiptIntake>(&item)) return store_receipt(*receipt, out);
      auto id = store_dead_letter(std::get<DeadLetterRecord>(item));
      if (!id) return fail(id.error());
      out.dead_letter_id = *id;
      return {};
    });
  }

  /// One transaction for `items`, each in its own savepoint so that one bad item does not sink the
  /// others: `apply(item, outcome)` stores one; its failure undoes only that item (outcome.error).
  template <typename Item, typename Apply>
  Result<std::vector<ItemOutcome>> each_in_savepoint(std::span<const Item> items, Apply&& apply) {
    std::vector<ItemOutcome> out(items.size());
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (auto r = db_.exec("SAVEPOINT item"); !r) return fail(r.error());
      if (auto done = apply(items[i], out[i]); !done) {
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
    auto st = cached(
        "SELECT id, vin, fb_open(payload, 'notifications.payload:' || id), created_ms, attempts FROM notifications "
        "WHERE state IN ('pending', 'sent') AND "
        "next_attempt_ms <= ? AND carried_by_ack = 0 ORDER BY next_attempt_ms LIMIT ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
    std::vector<StoredNotification> out;
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      out.push_back(StoredNotification{s.text(0), s.text(1), s.blob(2), {}, s.int64(3), static_cast<int>(s.int64(4))});
    });
    if (!rows) return fail(rows.error());
    return out;
  }

  Result<void> reschedule(std::span<const std::string> ids, std::int64_t now_ms, std::int64_t base_ms,
                          std::int64_t max_ms) override {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto st = cached(
        "UPDATE notifications SET attempts = attempts + 1, state = CASE state WHEN 'pending' THEN 'sent' ELSE state "
        "END, next_attempt_ms = ? + min(?, ? * (1 << min(attempts, 30))) WHERE id = ?");
    if (!st) return fail(st.error());
    for (const auto& id : ids) {
      (*st)->bind(1, now_ms).bind(2, max_ms).bind(3, base_ms).bind(4, id);
      if (auto r = (*st)->run(); !r) return r;
    }
    return tx->commit();
  }

  // ---- Lifecycle ----

  Result<std::optional<CaseSummary>> find_case(std::string_view case_number) override {
    auto rows = query_cases("WHERE c.number = ?", case_number, 1);
    if (!rows) return fail(rows.error());
    if (rows->empty()) return std::optional<CaseSummary>{};
    return std::optional<CaseSummary>{std::move(rows->front())};
  }

  Result<std::vector<CaseEvent>> case_events(std::string_view case_number) override {
    auto st = cached(
        "SELECT e.at_ms, e.kind, e.actor, fb_open(e.detail, 'case_events.detail:' || e.case_id || ':' || e.at_ms || "
        "':' || e.kind) FROM case_events e JOIN cases c ON c.id = e.case_id "
        "WHERE c.number = ? ORDER BY e.id");
    if (!st) return fail(st.error());
    (*st)->bind(1, case_number);
    std::vector<CaseEvent> out;
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      out.push_back(CaseEvent{s.int64(0), s.text(1), s.text(2), s.text(3)});
    });
    if (!rows) return fail(rows.error());
    return out;
  }

  Result<std::vector<NotificationSummary>> case_notifications(std::string_view case_number) override {
    auto st = cached(
        "SELECT n.id, n.event, n.state, n.created_ms, coalesce(n.delivered_ms, 0), coalesce(n.read_ms, 0), n.attempts, "
        "n.carried_by_ack "
        "FROM notifications n JOIN cases c ON c.id = n.case_id WHERE c.number = ? ORDER BY n.created_ms, n.rowid");
    if (!st) return fail(st.error());
    (*st)->bind(1, case_number);
    std::vector<NotificationSummary> out;
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      out.push_back(NotificationSummary{s.text(0), s.text(1), s.text(2), s.int64(3), s.int64(4), s.int64(5),
                                        static_cast<int>(s.int64(6)), s.int64(7) != 0});
    });
    if (!rows) return fail(rows.error());
    return out;
  }

  Result<TransitionOutcome> transition(const TransitionRequest& req, const NoticeRenderer& render) override {
    if (req.actor.empty() || req.reason.empty()) {
      return fail(CaseErrc::missing_detail, "a transition needs who (actor) and why (reason)");
    }
    if (req.to == CaseState::assigned && req.assignee.empty()) {
      return fail(CaseErrc::missing_detail, "moving to assigned needs an assignee");
    }
    if (req.to == CaseState::appointment && (req.appointment_when.empty() || req.appointment_place.empty())) {
      return fail(CaseErrc::missing_detail, "moving to appointment needs a time and a place");
    }
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto found = existing_case(req.case_number);
    if (!found) return fail(found.error());
    const auto before = *found;
    // A follow-up case (回访) holds no report of its own and may be reopened.
    // A major case holds none either: its cases are its children.
    if (req.to == CaseState::reopened && before.reports == 0 && before.channel != "follow_up" && !before.major) {
      // Merged into another case (or its reports erased): reopened, it would be an empty open
      // case with SLA clocks, escalations and progress notices about no report.
      return fail(CaseErrc::invalid_transition, "case " + req.case_number +
                                                    " holds no report (merged into another case, or erased): reopen "
                                                    "the case that holds them");
    }
    if (!can_transition(before.state, req.to)) {
      return fail(CaseErrc::invalid_transition,
                  "case " + req.case_number + ": " + std::string(to_string(before.state)) + " -> " +
                      std::string(to_string(req.to)) + " is not allowed; from " + std::string(to_string(before.state)) +
                      ": " + allowed_transitions(before.state));
    }
    // A visit under way belongs to an open case: resolved or closed around it, its reminders
    // would still send the driver to the dealer. Its handover resolves and closes the case.
    const bool ending = req.to == CaseState::resolved || req.to == CaseState::closed;
    if (ending && !before.major) {
      auto visits = open_visits(req.case_number);
      if (!visits) return fail(visits.error());
      if (*visits > 0) {
        return fail(CaseErrc::invalid_transition,
                    "case " + req.case_number +
                        " has a service visit under way: its handover resolves and closes the case; cancel the "
                        "visit first to " +
                        std::string(to_string(req.to)) + " it without one");
      }
    }
    TransitionOutcome outcome;
    auto moved = move_case(before, req.to, req, &render, outcome);
    if (!moved) return fail(moved.error());
    // A major case takes its children with it when it is resolved or closed.
    if (before.major && (req.to == CaseState::resolved || req.to == CaseState::closed)) {
      auto children = query_cases("WHERE c.parent_id = (SELECT id FROM cases WHERE number = ?)", req.case_number,
                                  std::numeric_limits<int>::max());
      if (!children) return fail(children.error());
      for (const auto& child : *children) {
        const bool move = req.to == CaseState::resolved ? is_open(child.state) : child.state == CaseState::resolved;
        if (!move) continue;
        // A child with a visit under way stays: its handover resolves and closes it.
        auto visits = open_visits(child.case_number);
        if (!visits) return fail(visits.error());
        if (*visits > 0) continue;
        TransitionRequest cascade = req;
        cascade.case_number = child.case_number;
        cascade.reason = "with major case " + req.case_number + ": " + req.reason;
        cascade.driver_note = req.driver_note.value_or(req.reason);  // the team's words, not the audit's
        if (auto x = move_case(child, req.to, cascade, &render, outcome); !x) return fail(x.error());
        ++outcome.children_moved;
      }
    }
    if (auto r = tx->commit(); !r) return fail(r.error());
    auto after = existing_case(req.case_number);
    if (!after) return fail(after.error());
    outcome.c = std::move(*after);
    return outcome;
  }

  /// The case's service visits not yet handed over, declined or cancelled.
  Result<std::int64_t> open_visits(const std::string& case_number) {
    auto st = cached("SELECT count(*) FROM visits WHERE case_id = (SELECT id FROM cases WHERE number = ?) AND " +
                     std::string(detail::kVisitUnderWay));
    if (!st) return fail(st.error());
    (*st)->bind(1, case_number);
    auto counted = (*st)->step();
    if (!counted) return fail(counted.error());
    const auto n = (*st)->int64(0);
    (*st)->reset();
    return n;
  }

  Result<std::vector<SlaEvent>> process_sla(std::int64_t now_ms, const NoticeRenderer& render) override {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    // The most overdue first, along cases_sla. Newest first (by id), PostgreSQL's cached generic
    // plan walked the primary key over every case to find the few due ones.
    auto due = query_cases("WHERE c.next_sla_ms <= ?", now_ms, 500, "c.next_sla_ms, c.id");
    if (!due) return fail(due.error());
    std::vector<SlaEvent> events;
    for (const auto& c : *due) {
      auto clock = load_sla(c.case_number);
      if (!clock) return fail(clock.error());
      auto& [row, sla] = *clock;
      const auto escalate = [&](std::string_view which, std::int64_t due_ms, int& level) -> Result<void> {
        for (int target : {100, 50}) {
          if (level >= target || now_ms < SlaClock::at_percent(sla.start_ms, due_ms, target)) continue;
          level = target;
          events.push_back(SlaEvent{c.case_number, std::string(which), target, c.team});
          spdlog::warn("SLA {} {}% for case {} ({}, {} priority)", which, target, c.case_number, c.team,
                       to_string(c.priority));
          return event(row, now_ms, "escalation",
                       nlohmann::json{{"sla", which}, {"level", target}, {"due_ms", due_ms}, {"team", c.team}}.dump());
        }
        return {};
      };
      if (!sla.responded) {
        if (auto x = escalate("first_response", sla.first_response_due_ms, sla.response_escalation); !x)
          return fail(x.error());
      }
      if (auto x = escalate("resolution", sla.resolution_due_ms, sla.resolution_escalation); !x) return fail(x.error());
      if (sla.has_car && sla.progress_every_ms > 0 && now_ms >= sla.last_contact_ms + sla.progress_every_ms) {
        CaseNotice notice{
            "progress", c, c.vin, c.report_id, {{"status", std::string(to_string(c.state))}, {"note", ""}}, now_ms};
        auto n = render(notice);
        if (!n) return fail(n.error());
        if (auto x = queue_notification(row, *n, "progress", now_ms); !x) return fail(x.error());
        sla.last_contact_ms = now_ms;
        events.push_back(SlaEvent{c.case_number, "progress", 0, c.team});
      }
      if (auto x = exec_bound("UPDATE cases SET response_escalation = ?1, resolution_escalation = ?2 WHERE id = ?3",
                              {sla.response_escalation, sla.resolution_escalation, row});
          !x) {
        return fail(x.error());
      }
      if (auto x = refresh_sla(row); !x) return fail(x.error());
    }
    auto reminders = visits_.send_reminders(now_ms, render);
    if (!reminders) return fail(reminders.error());
    events.insert(events.end(), reminders->begin(), reminders->end());
    auto expired = visits_.expire_callbacks(now_ms, render);
    if (!expired) return fail(expired.error());
    events.insert(events.end(), expired->begin(), expired->end());
    if (auto r = tx->commit(); !r) return fail(r.error());
    return events;
  }

  Result<std::optional<std::int64_t>> next_sla_deadline() override {
    auto v = db_.query_int("SELECT min(next_sla_ms) FROM cases WHERE next_sla_ms IS NOT NULL");
    if (!v) return fail(v.error());
    auto reminder = visits_.next_reminder();
    if (!reminder) return fail(reminder.error());
    if (*reminder && (!*v || **reminder < **v)) return *reminder;
    return *v;
  }

  // ---- Drivers' answers, visits and callbacks (the book is in sqlite_visits.cpp) ----

  Result<std::vector<ItemOutcome>> apply_car_replies(std::span<const CarReplyIntake> items,
                                                     const NoticeRenderer& render) override {
    return each_in_savepoint(items, [&](const CarReplyIntake& item, ItemOutcome& out) -> Result<void> {
      auto applied = apply_car_reply(item, render, out);
      if (!applied || out.receipt_matched) return applied;
      // Refused (a dead letter): not remembered as applied, so a resend is judged, and refused, again.
      // The car's own row only: another car's answer of the same id stays applied once.
      auto forget = cached("DELETE FROM car_replies WHERE message_id = ? AND vin = ?");
      if (!forget) return fail(forget.error());
      (*forget)->bind(1, item.message_id).bind(2, item.vin);
      return (*forget)->run();
    });
  }

  Result<void> apply_car_reply(const CarReplyIntake& item, const NoticeRenderer& render, ItemOutcome& out) {
    if (std::holds_alternative<wire::DriverMessage>(item.body) ||
        std::holds_alternative<wire::ReopenRequest>(item.body)) {
      return apply_case_action(item, render, out);
    }
    const auto* survey = std::get_if<wire::SurveyAnswer>(&item.body);
    if (!survey) return visits_.apply(item, render, out);
    if (auto stored = store_survey(item, *survey, out); !stored || !out.receipt_matched) return stored;
    return visits_.after_survey(survey->notification_id(), static_cast<int>(survey->score()), survey->comment(),
                                item.at_ms, render, out);
  }

  template <typename T, typename F>
  Result<T> in_transaction(F&& work) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto result = work();
    if (!result) return fail(result.error());
    if (auto r = tx->commit(); !r) return fail(r.error());
    return result;
  }

  Result<Visit> propose_visit(const VisitProposal& p, const NoticeRenderer& render) override {
    return in_transaction<Visit>([&] { return visits_.propose(p, render); });
  }
  Result<std::vector<Visit>> visits(const VisitQuery& q) override { return visits_.visits(q); }
  Result<std::optional<Visit>> visit(std::string_view id, std::string_view dealer_code) override {
    return visits_.visit(id, dealer_code);
  }
  Result<Visit> record_stage(const StageEntry& e, const NoticeRenderer& render) override {
    return in_transaction<Visit>([&] { return visits_.record_stage(e, render); });
  }
  Result<Approval> request_approval(const ApprovalRequest& r, const NoticeRenderer& render) override {
    return in_transaction<Approval>([&] { return visits_.request_approval(r, render); });
  }
  Result<Visit> cancel_visit(std::string_view id, std::string_view dealer_code, std::string_view actor,
                             std::string_view reason, std::int64_t at_ms, const NoticeRenderer& render) override {
    return in_transaction<Visit>([&] { return visits_.cancel(id, dealer_code, actor, reason, at_ms, render); });
  }
  Result<std::vector<Callback>> callbacks(const CallbackQuery& q) override { return visits_.callbacks(q); }
  Result<Callback> pick_up_callback(std::string_view id, std::string_view agent, std::int64_t at_ms,
                                    const NoticeRenderer& render) override {
    return in_transaction<Callback>([&] { return visits_.pick_up(id, agent, at_ms, render); });
  }
  Result<Callback> log_callback(std::string_view id, std::string_view agent, bool override_owner,
                                std::string_view outcome, std::string_view note, std::int64_t at_ms,
                                const NoticeRenderer& render) override {
    return in_transaction<Callback>(
        [&] { return visits_.log_call(id, agent, override_owner, outcome, note, at_ms, render); });
  }

  Result<std::vector<ClusterSummary>> list_clusters(std::size_t limit) override {
    auto st = cached(
        "SELECT k.id, k.key, k.model, k.software_version, k.vehicles, k.cases, "
        "coalesce((SELECT number FROM cases WHERE id = k.major_case_id), ''), k.warned_ms "
        "FROM clusters k ORDER BY k.vehicles DESC, k.id LIMIT ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, static_cast<std::int64_t>(limit));
    std::vector<ClusterSummary> out;
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      out.push_back(ClusterSummary{s.int64(0), s.text(1), s.text(2), s.text(3), static_cast<int>(s.int64(4)),
                                   static_cast<int>(s.int64(5)), s.text(6), s.int64(7)});
    });
    if (!rows) return fail(rows.error());
    return out;
  }

  Result<std::pair<double, std::int64_t>> survey_score() override {
    auto st = cached("SELECT coalesce(avg(score), 0) * 1000, count(*) FROM surveys WHERE counted = 1");
    if (!st) return fail(st.error());
    auto row = (*st)->step();
    if (!row) return fail(row.error());
    const auto avg = static_cast<double>((*st)->int64(0)) / 1000.0;
    const auto n = (*st)->int64(1);
    (*st)->reset();
    return std::pair{avg, n};
  }

 private:
  /// Moves one case (checked by the caller), audits it and queues its driver's notification.
  /// Without `render`, no notification: the caller tells the driver its own way (a visit's).
  Result<void> move_case(const CaseSummary& c, CaseState to, const TransitionRequest& req, const NoticeRenderer* render,
                         TransitionOutcome& outcome) {
    auto clock = load_sla(c.case_number);
    if (!clock) return fail(clock.error());
    const auto row = clock->first;
    const std::int64_t at = req.at_ms;
    // The first move by a person is the first response; resolving stops the resolution clock,
    // reopening restarts it with the same length from now.
    auto st = cached(
        "UPDATE cases SET status = ?1, assignee = CASE WHEN ?2 = '' THEN assignee ELSE ?2 END, "
        "first_response_ms = coalesce(first_response_ms, CASE WHEN ?3 IN ('system', 'car') THEN NULL ELSE ?4 END), "
        "resolved_ms = CASE ?1 WHEN 'resolved' THEN ?4 WHEN 'reopened' THEN NULL ELSE resolved_ms END, "
        "needs_triage = CASE WHEN ?1 IN ('resolved', 'closed') THEN 0 ELSE needs_triage END, "
        "resolution_due_ms = CASE ?1 WHEN 'reopened' THEN ?4 + (CASE WHEN resolution_target_ms > 0 THEN "
        "resolution_target_ms WHEN resolution_due_ms > sla_start_ms THEN resolution_due_ms - sla_start_ms ELSE ?6 "
        "END) ELSE resolution_due_ms END, "
        "resolution_escalation = CASE ?1 WHEN 'reopened' THEN 0 ELSE resolution_escalation END, "
        "sla_start_ms = CASE ?1 WHEN 'reopened' THEN ?4 ELSE sla_start_ms END WHERE id = ?5");
    if (!st) return fail(st.error());
    (*st)
        ->bind(1, to_string(to))
        .bind(2, req.assignee)
        .bind(3, req.actor)
        .bind(4, at)
        .bind(5, row)
        .bind(6, SlaTargets{}.resolution_ms);
    if (auto x = (*st)->run(); !x) return x;
    nlohmann::json detail = {{"from", to_string(c.state)}, {"to", to_string(to)}, {"reason", req.reason}};
    if (!req.assignee.empty()) detail["assignee"] = req.assignee;
    if (to == CaseState::appointment)
      detail["appointment"] = {{"when", req.appointment_when}, {"place", req.appointment_place}};
    if (auto x = event(row, at, "transition", detail.dump(), req.actor); !x) return x;

    if (!c.vin.empty() && render) {
      CaseSummary after = c;
      after.state = to;
      if (!req.assignee.empty()) after.assignee = req.assignee;
      const auto& named = req.report_id.empty() ? c.report_id : req.report_id;
      CaseNotice notice{notice_event(to), after, c.vin, named, {}, at};
      notice.vars = {{"status", std::string(to_string(to))}, {"note", req.driver_note.value_or(req.reason)}};
      if (to == CaseState::appointment) {
        notice.vars["when"] = req.appointment_when;
        notice.vars["place"] = req.appointment_place;
      }
      if (to == CaseState::assigned) notice.vars["assignee"] = req.assignee;
      if (!req.action_id.empty()) {
        notice.action_result.emplace();
        notice.action_result->set_action_id(req.action_id);
        notice.action_result->set_accepted(true);
      }
      auto n = (*render)(notice);
      if (!n) return fail(n.error());
      if (auto x = queue_notification(row, *n, notice.event, at, named); !x) return x;
      outcome.notifications.push_back(n->id);
    }
    return refresh_sla(row);
  }

  static std::string notice_event(CaseState to) {
    switch (to) {
      case CaseState::assigned: return "routed";
      case CaseState::appointment: return "appointment_proposed";
      case CaseState::resolved: return "resolved";
      case CaseState::closed: return "survey_request";
      default: return "progress";
    }
  }

  /// A case's SLA clock and row id, by case number or by row id.
  Result<std::pair<std::int64_t, SlaClock>> load_sla(std::variant<std::string_view, std::int64_t> key) {
    const auto* number = std::get_if<std::string_view>(&key);
    auto st = cached(number ? std::string(kSlaColumns) + "number = ?" : std::string(kSlaColumns) + "id = ?");
    if (!st) return fail(st.error());
    if (number) (*st)->bind(1, *number);
    else (*st)->bind(1, std::get<std::int64_t>(key));
    auto row = (*st)->step();
    if (!row) return fail(row.error());
    if (!*row) {
      return fail(CaseErrc::not_found,
                  number ? "case " + std::string(*number) : "case row " + std::to_string(std::get<std::int64_t>(key)));
    }
    auto state = key_column<CaseState>(**st, 1, "cases.status");
    if (!state) return fail(state.error());
    SlaClock c;
    c.state = *state;
    c.start_ms = (*st)->int64(2);
    c.first_response_due_ms = (*st)->int64(3);
    c.resolution_due_ms = (*st)->int64(4);
    c.responded = (*st)->int64(5) != 0;
    c.response_escalation = static_cast<int>((*st)->int64(6));
    c.resolution_escalation = static_cast<int>((*st)->int64(7));
    c.progress_every_ms = (*st)->int64(8);
    c.last_contact_ms = (*st)->int64(9);
    c.has_car = (*st)->int64(10) != 0;
    c.resolution_target_ms = (*st)->int64(11);
    const auto id = (*st)->int64(0);
    (*st)->reset();
    return std::pair{id, c};
  }

  /// After an erasure: the exemplar of the case's cluster becomes the first words still kept in the
  /// cluster ('' if none), so that no erased text lives on as a cluster's exemplar.
  Result<void> refresh_exemplar(std::int64_t case_row) {
    return refresh_exemplar_of("(SELECT cluster_id FROM cases WHERE id = ?1)", case_row);
  }
  /// The same for cluster `cluster` (a case that left it: its words are no longer the cluster's).
  Result<void> refresh_cluster_exemplar(std::int64_t cluster) { return refresh_exemplar_of("?1", cluster); }
  Result<void> refresh_exemplar_of(std::string_view cluster_sql, std::int64_t arg) {
    return exec_bound(
        "UPDATE clusters SET exemplar = fb_seal(coalesce((SELECT fb_open(r.text, 'reports.text:' || r.report_id) "
        "FROM cases k JOIN reports r ON r.case_id = k.id WHERE k.cluster_id = clusters.id AND length(r.text) > 0 "
        "ORDER BY k.id, r.rowid LIMIT 1), ''), 'clusters.exemplar:' || key || ':' || model || ':' || software_version "
        "|| ':' || created_ms) WHERE id = " +
            std::string(cluster_sql),
        {arg});
  }

  /// Recomputes when the case next needs the SLA pass.
  Result<void> refresh_sla(std::int64_t case_row) {
    auto clock = load_sla(case_row);
    if (!clock) return fail(clock.error());
    auto st = cached("UPDATE cases SET next_sla_ms = ? WHERE id = ?");
    if (!st) return fail(st.error());
    if (auto next = clock->second.next_deadline()) (*st)->bind(1, *next);
    else (*st)->bind_null(1);
    (*st)->bind(2, case_row);
    return (*st)->run();
  }

  /// A driver's reply (DriverMessage) or reopen request (ReopenRequest) about one of the car's
  /// reports: once per message id (car_replies); a reply goes to the case history and moves a
  /// case waiting for the driver on; a reopen moves a resolved or closed case to reopened. A
  /// refusal is answered to the car (Notification.action_result), an unknown report is a dead
  /// letter (there is no case to answer from).
  Result<void> apply_case_action(const CarReplyIntake& in, const NoticeRenderer& render, ItemOutcome& out) {
    auto seen = detail::note_car_reply(core_, in);
    if (!seen) return fail(seen.error());
    const auto* message = std::get_if<wire::DriverMessage>(&in.body);
    const auto* reopen = std::get_if<wire::ReopenRequest>(&in.body);
    if (*seen == detail::ReplySeen::other_vehicle) {
      return detail::dead_letter_reply(core_, in,
                                       (message ? "driver message " : "reopen request ") + in.message_id +
                                           ": its message id is another vehicle's",
                                       out);
    }
    out.receipt_matched = true;
    if (*seen == detail::ReplySeen::resent) return {};  // applied the first time
    const auto& report_id = message ? message->report_id() : reopen->report_id();
    auto st = cached(
        "SELECT c.number FROM reports r JOIN cases c ON c.id = r.case_id WHERE r.report_id = ? AND r.vin = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, report_id).bind(2, in.vin);
    auto row = (*st)->step();
    if (!row) return fail(row.error());
    const std::string number = *row ? (*st)->text(0) : std::string();
    (*st)->reset();
    if (number.empty()) {
      out.receipt_matched = false;
      return detail::dead_letter_reply(core_, in,
                                       (message ? "driver message" : "reopen request") + std::string(" for report ") +
                                           report_id + ", unknown for this car",
                                       out);
    }
    auto c = existing_case(number);
    if (!c) return fail(c.error());
    auto clock = load_sla(number);
    if (!clock) return fail(clock.error());
    const auto case_row = clock->first;
    // The answer to the driver's action without a move: refused with its reason, or (a reopen of a
    // case already reopened) accepted as it stands. Audited, and told on the report acted from.
    const auto answer = [&](bool accepted, std::string_view reason, std::string note) -> Result<void> {
      const auto kind = accepted ? "reopen_already" : message ? "driver_message_refused" : "reopen_refused";
      if (auto x = event(case_row, in.at_ms, kind,
                         nlohmann::json{{"message_id", in.message_id}, {"reason", reason}}.dump(), "car");
          !x) {
        return x;
      }
      CaseNotice notice{"progress",
                        *c,
                        c->vin,
                        c->report_id,
                        {{"status", std::string(to_string(c->state))}, {"note", std::move(note)}},
                        in.at_ms};
      notice.report_id = report_id;
      notice.action_result.emplace();
      notice.action_result->set_action_id(in.message_id);
      notice.action_result->set_accepted(accepted);
      if (!accepted) notice.action_result->set_reason(std::string(reason));
      auto n = render(notice);
      if (!n) return fail(n.error());
      if (auto x = queue_notification(case_row, *n, "progress", in.at_ms, report_id); !x) return x;
      out.notices.push_back(std::move(*n));
      return {};
    };
    const auto refuse = [&](std::string_view reason, std::string note) {
      return answer(false, reason, std::move(note));
    };
    const auto& lang = c->language;
    if (message) {
      if (c->state == CaseState::closed) {
        return refuse("case_closed", say(lang, "This case is closed. To write about it, reopen it first.",
                                         "此问题已关闭。如需继续沟通，请先重新打开。"));
      }
      if (auto x = event(
              case_row, in.at_ms, "driver_message",
              nlohmann::json{{"message_id", in.message_id}, {"report_id", report_id}, {"text", message->text()}}.dump(),
              "car");
          !x) {
        return x;
      }
      // A resolved case's notice asks the driver to reply if the problem comes back: that reply
      // reopens it, as a ReopenRequest would (below), and its words are the reason.
      if (c->state != CaseState::resolved) {
        if (c->state != CaseState::waiting_for_customer) return {};
        TransitionRequest req{number, CaseState::in_progress, "car", "the driver replied", in.at_ms};
        req.report_id = report_id;
        req.driver_note = say(lang, "We have your reply.", "已收到您的回复。");
        TransitionOutcome moved;
        return move_case(*c, CaseState::in_progress, req, &render, moved);
      }
    }
    // Reopened already (the driver's reply did it, or another report of the case): what the
    // driver asks for is so, and is answered as done, not refused.
    if (!message && c->state == CaseState::reopened) {
      return answer(true, "already_reopened",
                    say(lang, "This case is already open again; the team is on it.",
                        "此问题已重新打开，团队正在处理。"));
    }
    if (!can_transition(c->state, CaseState::reopened)) {
      return refuse("not_reopenable", say(lang, "Only a resolved or closed case can be reopened.",
                                          "只有已解决或已关闭的问题可以重新打开。"));
    }
    const auto& words = message ? message->text() : reopen->reason();
    TransitionRequest req{number, CaseState::reopened, "car",
                          std::string(message ? "the driver replied to the resolved case"
                                              : "the driver says it is not fixed") +
                              (words.empty() ? "" : ": " + words),
                          in.at_ms};
    req.action_id = in.message_id;
    req.report_id = report_id;
    req.driver_note = message ? say(lang, "We have your message and are looking at the case again.",
                                    "已收到您的留言，我们将重新处理此问题。")
                              : say(lang, "You told us the problem is not fixed; we are looking at it again.",
                                    "您反馈问题仍未解决，我们将重新处理。");
    TransitionOutcome moved;
    if (auto x = move_case(*c, CaseState::reopened, req, &render, moved); !x) return x;
    // The notice move_case queued goes out now, as the answer.
    for (const auto& id : moved.notifications) {
      auto stored = cached(
          "SELECT vin, fb_open(payload, 'notifications.payload:' || id) FROM notifications WHERE id = ?");
      if (!stored) return fail(stored.error());
      (*stored)->bind(1, id);
      if (auto r = (*stored)->step(); !r) return fail(r.error());
      out.notices.push_back(StoredNotification{id, (*stored)->text(0), (*stored)->blob(1), ""});
      (*stored)->reset();
    }
    return {};
  }

  Result<void> store_survey(const CarReplyIntake& in, const wire::SurveyAnswer& answer, ItemOutcome& out) {
    // A case's survey request, or a visit's handover (which is the case's survey request).
    // A rating of a resolved case's outcome names its "resolved" notification.
    auto st = cached(
        "SELECT case_id, created_ms FROM notifications WHERE id = ? AND vin = ? AND event IN ('survey_request', "
        "'visit_handover', 'resolved')");
    if (!st) return fail(st.error());
    (*st)->bind(1, answer.notification_id()).bind(2, in.vin);
    auto row = (*st)->step();
    if (!row) return fail(row.error());
    const std::int64_t case_row = *row ? (*st)->int64(0) : 0;
    const std::int64_t asked_ms = *row ? (*st)->int64(1) : 0;
    (*st)->reset();
    // The car's clock orders a driver's answers where it can be right: not before the question,
    // less the skew a car's clock may lag by.
    const auto answered_ms = plausible_car_time(in.answered_ms, asked_ms - grouping_.max_clock_skew_ms, in.at_ms);
    const auto score = static_cast<int>(answer.score());
    if (case_row == 0 || score < 1 || score > 5) {
      return detail::dead_letter_reply(core_, in,
                                       case_row == 0 ? "survey answer for unknown survey " + answer.notification_id()
                                                     : "survey score " + std::to_string(score) + " outside 1..5",
                                       out);
    }
    // The car may send the same answer again (QoS 1): the first one is kept.
    auto ins = cached(
        "INSERT INTO surveys(case_id, notification_id, score, comment, at_ms, answered_ms, closing) VALUES(?1,?2,?3,"
        "fb_seal(?4, 'surveys.comment:' || ?2),?5,?6,'') ON CONFLICT(notification_id) DO NOTHING");
    if (!ins) return fail(ins.error());
    (*ins)
        ->bind(1, case_row)
        .bind(2, answer.notification_id())
        .bind(3, std::int64_t{score})
        .bind(4, answer.comment())
        .bind(5, in.at_ms)
        .bind(6, answered_ms);
    if (auto x = (*ins)->run(); !x) return x;
    if (db_.changes() == 0) {
      out.receipt_matched = true;
      return {};
    }
    // One answer counts per closing, its latest (detail::kSurveyClosingColumns): one answered
    // earlier that arrives late is kept and not counted.
    auto closing = cached(std::string(detail::kSetSurveyClosing) + " WHERE notification_id = ?1");
    if (!closing) return fail(closing.error());
    (*closing)->bind(1, answer.notification_id());
    if (auto x = (*closing)->run(); !x) return x;
    auto counted = cached(std::string(detail::kSetSurveyCounted) +
                          " WHERE case_id = ?1 AND closing = (SELECT closing FROM surveys WHERE notification_id = ?2)");
    if (!counted) return fail(counted.error());
    (*counted)->bind(1, case_row).bind(2, answer.notification_id());
    if (auto x = (*counted)->run(); !x) return x;
    out.receipt_matched = true;
    return event(case_row, in.at_ms, "survey", nlohmann::json{{"score", score}, {"comment", answer.comment()}}.dump(),
                 "car");
  }

 public:
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
    auto st = cached(read ? "UPDATE notifications SET state = 'read', read_ms = ?1, "
                            "delivered_ms = coalesce(delivered_ms, ?1) WHERE id = ?2 AND vin = ?3"
                          : "UPDATE notifications SET state = CASE state WHEN 'read' THEN 'read' "
                            "ELSE 'delivered' END, delivered_ms = coalesce(delivered_ms, ?1) "
                            "WHERE id = ?2 AND vin = ?3");
    if (!st) return fail(st.error());
    (*st)->bind(1, at_ms).bind(2, id).bind(3, vin);
    if (auto r = (*st)->run(); !r) return fail(r.error());
    return db_.changes() > 0;
  }

  Result<std::optional<CaseSummary>> find_case_by_report(std::string_view report_id) override {
    auto rows = query_cases("WHERE c.id = (SELECT case_id FROM reports WHERE report_id = ?)", report_id, 1);
    if (!rows) return fail(rows.error());
    if (rows->empty()) return std::optional<CaseSummary>{};
    return std::optional<CaseSummary>{std::move(rows->front())};
  }

  Result<std::vector<CaseSummary>> list_cases(std::size_t limit) override { return query_cases("", {}, limit); }

  Result<std::vector<DeadLetterSummary>> list_dead_letters(std::size_t limit) override {
    auto st = cached("SELECT id, topic, reason, detail, count FROM dead_letters ORDER BY id DESC LIMIT ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, static_cast<std::int64_t>(limit));
    std::vector<DeadLetterSummary> out;
    std::optional<Error> bad;
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      auto reason = key_column<DeadLetterReason>(s, 2, "dead_letters.reason");
      if (!reason) bad = reason.error();
      else out.push_back(DeadLetterSummary{s.int64(0), s.text(1), *reason, s.text(3), s.int64(4)});
    });
    if (!rows) return fail(rows.error());
    if (bad) return fail(*bad);
    return out;
  }

  Result<StoreCounts> counts() override {
    auto c = outstanding_counts();
    if (!c) return fail(c.error());
    for (auto& [field, q] : std::initializer_list<std::pair<std::int64_t*, std::string_view>>{
             {&c->reports, "SELECT count(*) FROM reports"},
             {&c->cases, "SELECT count(*) FROM cases"},
             {&c->notifications_carried, "SELECT count(*) FROM notifications WHERE carried_by_ack = 1"}}) {
      auto v = db_.query_int(q);
      if (!v) return fail(v.error());
      *field = v->value_or(0);
    }
    return c;
  }

  Result<StoreCounts> outstanding_counts() override {
    StoreCounts c;
    for (auto& [field, q] : std::initializer_list<std::pair<std::int64_t*, std::string_view>>{
             {&c.dead_letters, "SELECT count(*) FROM dead_letters"},
             {&c.notifications_undelivered,
              "SELECT count(*) FROM notifications WHERE state IN ('pending', 'sent') AND carried_by_ack = 0"},
             {&c.awaiting_triage,
              "SELECT count(*) FROM cases WHERE needs_triage = 1 AND status NOT IN ('resolved', 'closed')"}}) {
      auto v = db_.query_int(q);
      if (!v) return fail(v.error());
      *field = v->value_or(0);
    }
    return c;
  }

  Result<void> check_readable() override {
    auto v = db_.query_int("SELECT id FROM cases LIMIT 1");
    if (!v) return fail(v.error());
    return {};
  }

  // ---- Service teams' work ----

  Result<CasePage> search_cases(const CaseQuery& query) override {
    auto cursor = parse_cursor(query.cursor, query.sort);
    if (!cursor) return fail(cursor.error());
    std::string where;
    std::vector<Bind> binds;
    const auto and_ = [&](const std::string& clause) { where += (where.empty() ? "WHERE " : " AND ") + clause; };
    if (auto teams = detail::visible_to_teams(query.teams, [&](std::string v) { binds.emplace_back(std::move(v)); });
        !teams.empty()) {
      and_(teams);
    }
    if (!query.states.empty()) {
      std::string in;
      for (auto st : query.states) {
        in += in.empty() ? "?" : ", ?";
        binds.emplace_back(std::string(to_string(st)));
      }
      // Several states (the queue's open ones) match most rows: reading in the page's order and
      // stopping at the limit beats collecting them all through the state index and sorting,
      // which SQLite would pick without statistics; the unary + keeps it off that index.
      // PostgreSQL has statistics, and no unary + on text.
      const bool off_index = query.states.size() > 1 && db_.dialect() == sql::Dialect::sqlite;
      and_((off_index ? "+c.status IN (" : "c.status IN (") + in + ")");
    }
    if (query.priority) {
      and_("c.priority = ?");
      binds.emplace_back(std::string(to_string(*query.priority)));
    }
    if (query.system) {
      and_("c.system = ?");
      binds.emplace_back(std::string(to_string(*query.system)));
    }
    if (!query.model.empty()) {
      and_("c.model = ?");
      binds.emplace_back(query.model);
    }
    if (!query.assignee.empty()) {
      and_("c.assignee = ?");
      binds.emplace_back(query.assignee);
    }
    if (query.sla) {
      const std::string due(kNextDueSql), open(kOpenSql);
      const std::string met = "(c.resolved_ms IS NOT NULL AND c.resolved_ms <= c.resolution_due_ms)";
      switch (*query.sla) {
        case SlaState::overdue: and_(open + " AND " + due + " < ?"); break;
        case SlaState::due_soon: and_(open + " AND " + due + " >= ? AND " + due + " < ?"); break;
        case SlaState::on_track: and_(open + " AND " + due + " >= ?"); break;
        case SlaState::met: and_("NOT " + open + " AND " + met); break;
        case SlaState::missed: and_("NOT " + open + " AND NOT " + met); break;
      }
      if (*query.sla == SlaState::overdue || *query.sla == SlaState::due_soon) binds.emplace_back(query.now_ms);
      if (*query.sla == SlaState::due_soon || *query.sla == SlaState::on_track) {
        binds.emplace_back(query.now_ms + kDueSoonMs);
      }
    }
    // Open as well: an instance of the build before v14 beside this one resolves without clearing it.
    if (query.needs_triage) {
      and_(*query.needs_triage ? "c.needs_triage = 1 AND " + std::string(kOpenSql)
                               : "NOT (c.needs_triage = 1 AND " + std::string(kOpenSql) + ")");
    }
    if (!query.text.empty()) {
      and_(
          "(c.number = ? OR c.vin = ? OR EXISTS (SELECT 1 FROM reports r WHERE r.case_id = c.id AND "
          "fb_open(r.text, 'reports.text:' || r.report_id) LIKE ? "
          "ESCAPE '\\'))");
      binds.emplace_back(query.text);
      binds.emplace_back(query.text);
      binds.emplace_back(like_pattern(query.text));
    }
    std::string key = "0", order;
    switch (query.sort) {
      case CaseSort::newest:
        order = "c.id DESC";
        if (*cursor) and_("c.id < ?"), binds.emplace_back((*cursor)->id);
        break;
      case CaseSort::oldest:
        order = "c.id ASC";
        if (*cursor) and_("c.id > ?"), binds.emplace_back((*cursor)->id);
        break;
      case CaseSort::due:
        key = kNextDueSql;
        order = key + " ASC, c.id ASC";
        if (*cursor) {  // (key, id) > (k, i), written so that the index on key can seek to k
          and_(key + " >= ? AND (" + key + " > ? OR c.id > ?)");
          binds.emplace_back((*cursor)->key);
          binds.emplace_back((*cursor)->key);
          binds.emplace_back((*cursor)->id);
        }
        break;
      case CaseSort::priority:
        key = kPriorityRankSql;
        order = key + " ASC, c.id DESC";
        if (*cursor) {
          and_("(" + key + " > ? OR (" + key + " = ? AND c.id < ?))");
          binds.emplace_back((*cursor)->key);
          binds.emplace_back((*cursor)->key);
          binds.emplace_back((*cursor)->id);
        }
        break;
    }
    const auto limit = std::clamp<std::size_t>(query.limit, 1, 500);
    const std::string q = "SELECT " + std::string(kCaseColumns) + ", " + key + ", c.id FROM cases c " + where +
                          " ORDER BY " + order + " LIMIT " + std::to_string(limit + 1);
    std::vector<std::pair<std::int64_t, std::int64_t>> keys;
    auto rows = select_cases(q, binds, [&](const sql::Statement& s) { keys.emplace_back(s.int64(24), s.int64(25)); });
    if (!rows) return fail(rows.error());
    CasePage page;
    page.items = std::move(*rows);
    if (page.items.size() > limit) {
      page.items.resize(limit);
      const auto& [k, id] = keys[limit - 1];
      page.next_cursor = std::string(sort_tag(query.sort)) + "." + std::to_string(k) + "." + std::to_string(id);
    }
    return page;
  }

  Result<std::optional<CaseDetail>> case_detail(std::string_view case_number) override {
    auto found = find_case(case_number);
    if (!found) return fail(found.error());
    if (!*found) return std::optional<CaseDetail>{};
    CaseDetail d;
    d.c = std::move(**found);
    auto reports = cached(
        "SELECT r.report_id, r.received_ms, c.channel, fb_open(r.payload, 'reports.payload:' || r.report_id) FROM "
        "reports r JOIN cases c ON c.id = r.case_id "
        "WHERE c.number = ? ORDER BY r.rowid");
    if (!reports) return fail(reports.error());
    (*reports)->bind(1, case_number);
    auto rows = (*reports)->each_row([&](const sql::Statement& s) {
      d.reports.push_back(StoredReport{s.text(0), s.int64(1), s.text(2), s.blob(3)});
    });
    if (!rows) return fail(rows.error());
    auto events = case_events(case_number);
    if (!events) return fail(events.error());
    d.events = std::move(*events);
    auto notifications = case_notifications(case_number);
    if (!notifications) return fail(notifications.error());
    d.notifications = std::move(*notifications);
    // One read for every payload, matched by id (a notification added or erased between the two
    // reads leaves an empty payload, never a misaligned one).
    auto payloads = cached(
        "SELECT n.id, fb_open(n.payload, 'notifications.payload:' || n.id) FROM notifications n JOIN cases c ON c.id = "
        "n.case_id WHERE c.number = ?");
    if (!payloads) return fail(payloads.error());
    (*payloads)->bind(1, case_number);
    std::unordered_map<std::string, std::string> by_id;
    auto read = (*payloads)->each_row([&](const sql::Statement& st) { by_id.emplace(st.text(0), st.blob(1)); });
    if (!read) return fail(read.error());
    for (const auto& n : d.notifications) {
      auto it = by_id.find(n.id);
      d.notification_payloads.push_back(it == by_id.end() ? std::string() : std::move(it->second));
    }
    auto extra = cached(
        "SELECT (SELECT fb_open(k.name, 'contacts.name:' || k.report_id) FROM contacts k JOIN reports r USING "
        "(report_id) WHERE r.case_id = c.id ORDER BY "
        "r.rowid LIMIT 1), (SELECT fb_open(k.phone, 'contacts.phone:' || k.report_id) FROM contacts k JOIN reports r "
        "USING (report_id) WHERE r.case_id = c.id "
        "ORDER BY r.rowid LIMIT 1), "
        "(SELECT score FROM surveys WHERE case_id = c.id AND counted = 1 ORDER BY answered_ms DESC, id DESC LIMIT 1), "
        "(SELECT fb_open(comment, 'surveys.comment:' || notification_id) FROM surveys WHERE case_id = c.id AND "
        "counted = 1 ORDER BY answered_ms DESC, id DESC LIMIT 1) FROM cases c WHERE c.number = ?");
    if (!extra) return fail(extra.error());
    (*extra)->bind(1, case_number);
    auto row = (*extra)->step();
    if (!row) return fail(row.error());
    if (*row && !(*extra)->is_null(0)) d.contact = Contact{(*extra)->text(0), (*extra)->text(1)};
    if (*row && !(*extra)->is_null(2)) d.survey.emplace(static_cast<int>((*extra)->int64(2)), (*extra)->text(3));
    (*extra)->reset();
    return std::optional<CaseDetail>{std::move(d)};
  }

  Result<std::vector<std::string>> cases_of_subject(std::string_view vin, std::string_view phone) override {
    auto st = cached(
        "SELECT c.number FROM cases c WHERE (c.vin = ?1 AND ?1 != '') OR c.id IN (SELECT r.case_id FROM reports r "
        "JOIN contacts k USING (report_id) WHERE k.phone_mac = fb_lookup(?2) AND ?2 != '') ORDER BY c.id");
    if (!st) return fail(st.error());
    (*st)->bind(1, vin).bind(2, phone);
    std::vector<std::string> out;
    auto rows = (*st)->each_row([&](const sql::Statement& s) { out.push_back(s.text(0)); });
    if (!rows) return fail(rows.error());
    return out;
  }

  Result<CaseEvent> add_comment(std::string_view case_number, std::string_view actor, std::string_view text,
                                std::int64_t at_ms) override {
    if (actor.empty() || text.empty()) return fail(CaseErrc::missing_detail, "a comment needs an author and a text");
    auto row = case_row(case_number);
    if (!row) return fail(row.error());
    if (auto x = event(*row, at_ms, "comment", text, actor); !x) return fail(x.error());
    return CaseEvent{at_ms, "comment", std::string(actor), std::string(text)};
  }

  Result<StoredNotification> send_message(std::string_view case_number, std::string_view actor, std::string_view text,
                                          std::string_view script, std::int64_t at_ms,
                                          const NoticeRenderer& render) override {
    if (actor.empty() || text.empty()) return fail(CaseErrc::missing_detail, "a message needs a sender and a text");
    if (script != "message" && script != "progress") {
      return fail(CaseErrc::invalid_request, "field 'template': '" + std::string(script) +
                                                 "' is not a script for people to send (message, progress)");
    }
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto found = existing_case(case_number);
    if (!found) return fail(found.error());
    const auto& c = *found;
    if (c.vin.empty()) {
      return fail(CaseErrc::missing_detail,
                  "case " + c.case_number + " has no car to write to (a major case, or erased): message its cases");
    }
    // The driver cannot answer on a closed case (the car refuses a reply as case_closed).
    if (c.state == CaseState::closed) {
      return fail(CaseErrc::invalid_transition,
                  "case " + c.case_number + " is closed: reopen it to write to the driver");
    }
    auto row = case_row(case_number);
    if (!row) return fail(row.error());
    CaseNotice notice{std::string(script), c, c.vin, c.report_id, {}, at_ms};
    if (script == "message") notice.vars = {{"message", std::string(text)}, {"sender", std::string(actor)}};
    else notice.vars = {{"status", std::string(to_string(c.state))}, {"note", std::string(text)}};
    auto n = render(notice);
    if (!n) return fail(n.error());
    if (auto x = event(*row, at_ms, "message", text, actor); !x) return fail(x.error());
    if (auto x = exec_bound("UPDATE cases SET first_response_ms = coalesce(first_response_ms, ?1) WHERE id = ?2",
                            {at_ms, *row});
        !x) {
      return fail(x.error());
    }
    if (auto x = queue_notification(*row, *n, script, at_ms, c.report_id); !x) return fail(x.error());
    if (auto x = refresh_sla(*row); !x) return fail(x.error());
    if (auto x = tx->commit(); !x) return fail(x.error());
    return std::move(*n);
  }

  Result<CaseSummary> assign(std::string_view case_number, std::string_view assignee, std::string_view actor,
                             std::int64_t at_ms, const NoticeRenderer& render) override {
    if (assignee.empty() || actor.empty()) return fail(CaseErrc::missing_detail, "an assignment needs who and by whom");
    auto found = existing_case(case_number);
    if (!found) return fail(found.error());
    const auto& c = *found;
    if (c.state == CaseState::new_ || c.state == CaseState::acknowledged || c.state == CaseState::reopened) {
      TransitionRequest req{
          c.case_number, CaseState::assigned,  std::string(actor), "assigned to " + std::string(assignee),
          at_ms,         std::string(assignee)};
      auto moved = transition(req, render);
      if (!moved) return fail(moved.error());
      return moved->c;
    }
    if (!is_open(c.state)) {
      return fail(CaseErrc::invalid_transition,
                  "case " + c.case_number + " is " + std::string(to_string(c.state)) + ": reopen it to assign it");
    }
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    // Read again under the writer's lock: another instance (or the CLI) may have closed or moved
    // the case since the read above.
    auto current = existing_case(case_number);
    if (!current) return fail(current.error());
    if (!is_open(current->state) || current->state == CaseState::new_ || current->state == CaseState::acknowledged ||
        current->state == CaseState::reopened) {
      return fail(CaseErrc::invalid_transition, "case " + current->case_number + " is " +
                                                    std::string(to_string(current->state)) +
                                                    " now (it changed meanwhile): read it again before assigning");
    }
    auto row = case_row(case_number);
    if (!row) return fail(row.error());
    auto st = cached("UPDATE cases SET assignee = ? WHERE id = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, assignee).bind(2, *row);
    if (auto x = (*st)->run(); !x) return fail(x.error());
    const nlohmann::json detail = {{"from", current->assignee}, {"to", std::string(assignee)}};
    if (auto x = event(*row, at_ms, "assignment", detail.dump(), actor); !x) return fail(x.error());
    if (auto x = tx->commit(); !x) return fail(x.error());
    return existing_case(case_number);
  }

  Result<CaseSummary> triage_case(std::string_view case_number, const TriageDecider& decide) override {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto before = existing_case(case_number);
    if (!before) return fail(before.error());
    if (!is_open(before->state)) {
      return fail(CaseErrc::invalid_transition, "case " + before->case_number + " is " +
                                                    std::string(to_string(before->state)) + ": reopen it to triage it");
    }
    if (before->major) return fail(CaseErrc::invalid_request, "a major case groups cases: triage its cases instead");
    auto decided = decide(*before);
    if (!decided) return fail(decided.error());
    const auto& d = *decided;
    if (d.actor.empty() || d.reason.empty() || d.team.empty()) {
      return fail(CaseErrc::missing_detail, "a triage needs who, why and the team");
    }
    auto clock = load_sla(case_number);
    if (!clock) return fail(clock.error());
    const auto& [row, sla] = *clock;
    std::vector<std::string> collaborators;
    for (const auto& t : d.collaborators) add_collaborator(collaborators, d.team, t);
    const bool new_team = d.team != before->team;
    // Only a new priority re-times the case: a confirmation keeps due times a merge or a joining
    // report tightened, and a follow-up's own targets. Raised, no due time moves later.
    auto first_due = sla.first_response_due_ms;
    auto resolution_due = sla.resolution_due_ms;
    auto target = sla.resolution_target();
    auto progress_every = sla.progress_every_ms;
    if (d.priority != before->priority) {
      const bool raised = static_cast<int>(d.priority) < static_cast<int>(before->priority);  // high < low
      const auto pick = [raised](std::int64_t now, std::int64_t next) { return raised ? std::min(now, next) : next; };
      if (!sla.responded) first_due = pick(first_due, sla.start_ms + d.sla.first_response_ms);
      resolution_due = pick(resolution_due, sla.start_ms + d.sla.resolution_ms);
      target = pick(target, d.sla.resolution_ms);
      if (progress_every > 0 && d.sla.progress_every_ms > 0)
        progress_every = pick(progress_every, d.sla.progress_every_ms);
    }
    // A due time moved later is a new target: the levels not yet reached under it escalate again
    // (lowered after its 100 %, a case would otherwise never escalate at its new due time).
    // Only a due time that moved: an unchanged one keeps what was sent, whenever the request began.
    const auto level = [&](int sent, std::int64_t was_due, std::int64_t due) {
      return due > was_due ? std::min(sent, SlaClock::level_reached(sla.start_ms, due, d.at_ms)) : sent;
    };
    const auto response_level = level(sla.response_escalation, sla.first_response_due_ms, first_due);
    const auto resolution_level = level(sla.resolution_escalation, sla.resolution_due_ms, resolution_due);
    auto update = cached(
        "UPDATE cases SET type = ?1, priority = ?2, system = ?3, team = ?4, collaborators = ?5, "
        "first_reply_due_ms = ?6, resolution_due_ms = ?7, progress_every_ms = ?8, needs_triage = 0, "
        "resolution_target_ms = ?11, response_escalation = ?12, resolution_escalation = ?13, "
        "assignee = CASE WHEN ?9 = 1 THEN '' ELSE assignee END WHERE id = ?10");
    if (!update) return fail(update.error());
    (*update)
        ->bind(1, to_string(d.type))
        .bind(2, to_string(d.priority))
        .bind(3, to_string(d.system))
        .bind(4, d.team)
        .bind(5, join_list(collaborators))
        .bind(6, first_due)
        .bind(7, resolution_due)
        .bind(8, progress_every)
        .bind(9, std::int64_t{new_team ? 1 : 0})
        .bind(10, row)
        .bind(11, target)
        .bind(12, std::int64_t{response_level})
        .bind(13, std::int64_t{resolution_level});
    if (auto x = (*update)->run(); !x) return fail(x.error());
    const auto changed = [](auto a, auto b) { return nlohmann::json{{"from", a}, {"to", b}}; };
    nlohmann::json detail = {{"reason", d.reason}, {"was_queued", before->needs_triage}};
    if (d.type != before->type) detail["type"] = changed(to_string(before->type), to_string(d.type));
    if (d.priority != before->priority)
      detail["priority"] = changed(to_string(before->priority), to_string(d.priority));
    if (d.system != before->system) detail["system"] = changed(to_string(before->system), to_string(d.system));
    if (new_team) detail["team"] = changed(before->team, d.team);
    if (new_team && !before->assignee.empty()) detail["assignee"] = changed(before->assignee, "");
    auto left = leave_cluster_unless_it_fits(row, *before, d.type, d.system, d.at_ms);
    if (!left) return fail(left.error());
    if (!left->empty()) detail["cluster_left"] = *left;
    if (auto x = event(row, d.at_ms, "triage", detail.dump(), d.actor); !x) return fail(x.error());
    if (auto x = refresh_sla(row); !x) return fail(x.error());
    if (auto x = tx->commit(); !x) return fail(x.error());
    return existing_case(case_number);
  }

  /// A case triaged into a classification its cluster's symptom does not fit (another system for a
  /// "system:" cluster, or a type that does not cluster) leaves the cluster, and the cluster's major
  /// case if it was its child: it no longer counts toward the cluster's vehicles or a major case.
  /// Returns the cluster's key if it left one, else "".
  Result<std::string> leave_cluster_unless_it_fits(std::int64_t case_row, const CaseSummary& c, CaseType type,
                                                   VehicleSystem system, std::int64_t at_ms) {
    auto st = cached(
        "SELECT k.id, k.key, coalesce(k.major_case_id, 0), coalesce(c.parent_id, 0) FROM cases c JOIN clusters k ON "
        "k.id = c.cluster_id WHERE c.id = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, case_row);
    auto found = (*st)->step();
    if (!found) return fail(found.error());
    if (!*found) return std::string();
    const auto cluster = (*st)->int64(0);
    const auto key = (*st)->text(1);
    const auto major = (*st)->int64(2);
    const bool child_of_major = major != 0 && (*st)->int64(3) == major;
    (*st)->reset();
    if (clusters_by_symptom(type) && (key.starts_with("dtc:") || key == system_cluster_key(system))) {
      return std::string();
    }
    if (auto x = exec_bound("UPDATE cases SET cluster_id = NULL, parent_id = CASE WHEN parent_id = ?1 THEN NULL "
                            "ELSE parent_id END WHERE id = ?2",
                            {major, case_row});
        !x) {
      return fail(x.error());
    }
    // The car stays one of the cluster's vehicles while another of its cases is in it.
    auto gone = cached(
        "DELETE FROM cluster_vehicles WHERE cluster_id = ?1 AND vin = ?2 AND NOT EXISTS "
        "(SELECT 1 FROM cases WHERE cluster_id = ?1 AND vin = ?2)");
    if (!gone) return fail(gone.error());
    (*gone)->bind(1, cluster).bind(2, c.vin);
    if (auto x = (*gone)->run(); !x) return fail(x.error());
    // Its count in the early warning's window (it joined when it was created) goes too.
    if (auto x = exec_bound(
            "UPDATE clusters SET cases = cases - 1, vehicles = vehicles - ?1, "
            "window_count = CASE WHEN ?2 >= window_start_ms AND ?2 < window_start_ms + ?3 AND window_count > 0 "
            "THEN window_count - 1 ELSE window_count END, "
            "previous_count = CASE WHEN ?2 >= window_start_ms - ?3 AND ?2 < window_start_ms AND previous_count > 0 "
            "THEN previous_count - 1 ELSE previous_count END WHERE id = ?4",
            {db_.changes() > 0 ? 1 : 0, c.created_ms, grouping_.warning_window_ms, cluster});
        !x) {
      return fail(x.error());
    }
    if (auto x = refresh_cluster_exemplar(cluster); !x) return fail(x.error());
    if (child_of_major) {
      const auto detail = nlohmann::json{{"case", c.case_number}, {"cluster", key}}.dump();
      if (auto x = event(major, at_ms, "child_left", detail); !x) return fail(x.error());
    }
    return key;
  }

  Result<CaseSummary> merge_cases(std::string_view from, std::string_view into, std::string_view actor,
                                  std::int64_t at_ms, const NoticeRenderer& render) override {
    if (actor.empty()) return fail(CaseErrc::missing_detail, "a merge needs who");
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto a = existing_case(from);
    if (!a) return fail(a.error());
    auto b = existing_case(into);
    if (!b) return fail(b.error());
    const auto bad = [](std::string why) { return fail(CaseErrc::invalid_request, std::move(why)); };
    if (from == into) return bad("a case cannot be merged into itself");
    if (a->major || b->major) return bad("major cases group cases; link a case to one instead of merging");
    if (a->vin != b->vin) return bad("cases of different cars are not merged; they cluster");
    if (!is_open(a->state) || !is_open(b->state)) return bad("both cases must be open to merge");
    auto from_row = case_row(from);
    auto into_row = case_row(into);
    if (!from_row) return fail(from_row.error());
    if (!into_row) return fail(into_row.error());
    // A visit or a call under way belongs to its case: merged away, it would hang on a closed case
    // with no reports (its notices naming none), and the other case could propose a second visit.
    auto busy = cached("SELECT (SELECT count(*) FROM visits WHERE case_id = ?1 AND " +
                       std::string(detail::kVisitUnderWay) +
                       "), (SELECT count(*) FROM callbacks WHERE case_id = ?1 AND state IN ('queued', 'picked_up'))");
    if (!busy) return fail(busy.error());
    (*busy)->bind(1, *from_row);
    auto counted = (*busy)->step();
    if (!counted) return fail(counted.error());
    const auto open_visits = (*busy)->int64(0), open_calls = (*busy)->int64(1);
    (*busy)->reset();
    if (open_visits > 0)
      return bad("case " + std::string(from) + " has a service visit under way: finish or cancel it first");
    if (open_calls > 0) return bad("case " + std::string(from) + " has a callback waiting: log it first");
    std::vector<std::string> moved_reports;
    {
      auto of_case = cached("SELECT report_id FROM reports WHERE case_id = ? ORDER BY received_ms, report_id");
      if (!of_case) return fail(of_case.error());
      (*of_case)->bind(1, *from_row);
      if (auto r = (*of_case)->each_row([&](const sql::Statement& row) { moved_reports.push_back(row.text(0)); }); !r)
        return fail(r.error());
    }
    if (auto x = exec_bound("UPDATE reports SET case_id = ?1 WHERE case_id = ?2", {*into_row, *from_row}); !x) {
      return fail(x.error());
    }
    // The case kept takes on the other's urgency: a brake complaint merged into an older comfort
    // case keeps its 4-hour first reply and its escalations.
    {
      auto from_clock = load_sla(*from_row);
      if (!from_clock) return fail(from_clock.error());
      const auto& sla = from_clock->second;
      Raise r;
      r.to = a->priority;
      // Already answered, its first-reply due time is met: it must not make the kept case overdue.
      r.first_due_ms = sla.responded ? std::numeric_limits<std::int64_t>::max() : sla.first_response_due_ms;
      r.resolution_due_ms = sla.resolution_due_ms;
      // Its own length only: a legacy one (unknown) does not shorten the kept case's.
      r.resolution_target_ms = sla.known_resolution_target();
      r.progress_every_ms = sla.progress_every_ms;
      r.teams = a->collaborators;
      r.teams.push_back(a->team);
      r.at_ms = at_ms;
      if (auto raised = raise_case(*into_row, r, {{"case", std::string(from)}}); !raised) return fail(raised.error());
    }
    // Closed by a merge is not a person's answer: the first response stays as it was.
    if (auto x = exec_bound(
            "UPDATE cases SET status = 'closed', resolved_ms = ?1, next_sla_ms = NULL, needs_triage = 0 WHERE id = ?2",
            {at_ms, *from_row});
        !x) {
      return fail(x.error());
    }
    const nlohmann::json closing = {{"from", to_string(a->state)},
                                    {"to", to_string(CaseState::closed)},
                                    {"reason", "merged into " + std::string(into)}};
    if (auto x = event(*from_row, at_ms, "transition", closing.dump(), actor); !x) return fail(x.error());
    if (auto x = event(*from_row, at_ms, "merged_into", into, actor); !x) return fail(x.error());
    if (auto x = event(*into_row, at_ms, "merged_from", from, actor); !x) return fail(x.error());
    // The car showed these reports under `from`: each is told it now belongs to `into`, as a
    // report that joins an open case at intake is.
    if (render && !a->vin.empty()) {
      auto kept = existing_case(into);
      if (!kept) return fail(kept.error());
      for (const auto& report_id : moved_reports) {
        auto n = render(CaseNotice{"merged", *kept, a->vin, report_id, {}, at_ms});
        if (!n) return fail(n.error());
        if (auto x = queue_notification(*into_row, *n, "merged", at_ms, report_id); !x) return fail(x.error());
      }
    }
    if (auto x = tx->commit(); !x) return fail(x.error());
    return existing_case(into);
  }

  Result<CaseSummary> split_report(std::string_view case_number, std::string_view report_id, std::string_view actor,
                                   std::int64_t at_ms) override {
    if (actor.empty()) return fail(CaseErrc::missing_detail, "a split needs who");
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto found = existing_case(case_number);
    if (!found) return fail(found.error());
    if (found->reports < 2) {
      return fail(CaseErrc::invalid_request, "case " + std::string(case_number) + " has one report: nothing to split");
    }
    // A report split out becomes a new open case with the original's due dates: out of a finished
    // case it would be overdue at once and escalate a problem already handled.
    if (!is_open(found->state)) {
      return fail(CaseErrc::invalid_request, "case " + std::string(case_number) + " is " +
                                                 std::string(to_string(found->state)) + ": reopen it to split it");
    }
    auto row = case_row(case_number);
    if (!row) return fail(row.error());
    auto owner = cached("SELECT case_id FROM reports WHERE report_id = ?");
    if (!owner) return fail(owner.error());
    (*owner)->bind(1, report_id);
    auto step = (*owner)->step();
    if (!step) return fail(step.error());
    const bool ours = *step && (*owner)->int64(0) == *row;
    (*owner)->reset();
    if (!ours) {
      return fail(CaseErrc::invalid_request,
                  "report " + std::string(report_id) + " is not in case " + std::string(case_number));
    }
    auto number = next_case_number(at_ms);
    if (!number) return fail(number.error());
    auto copy = cached(
        "INSERT INTO cases(uid, number, vin, type, priority, system, team, status, language, created_ms, "
        "first_reply_due_ms, triage, sla_start_ms, resolution_due_ms, progress_every_ms, last_contact_ms, "
        "collaborators, channel, model, software_version, major, first_response_ms, needs_triage, "
        "resolution_target_ms) "
        "SELECT ?1, ?2, vin, type, priority, system, team, 'new', language, ?3, first_reply_due_ms, triage, "
        "sla_start_ms, resolution_due_ms, progress_every_ms, ?3, collaborators, channel, model, software_version, 0, "
        "first_response_ms, needs_triage, resolution_target_ms FROM cases WHERE id = ?4");
    if (!copy) return fail(copy.error());
    (*copy)->bind(1, new_time_ordered_uuid()).bind(2, *number).bind(3, at_ms).bind(4, *row);
    if (auto x = (*copy)->run(); !x) return fail(x.error());
    const auto new_row = db_.last_insert_rowid();
    auto move = cached("UPDATE reports SET case_id = ? WHERE report_id = ?");
    if (!move) return fail(move.error());
    (*move)->bind(1, new_row).bind(2, report_id);
    if (auto x = (*move)->run(); !x) return fail(x.error());
    if (auto x = refresh_sla(new_row); !x) return fail(x.error());
    const auto detail = "report " + std::string(report_id);
    if (auto x = event(*row, at_ms, "split_out", detail + " -> " + *number, actor); !x) return fail(x.error());
    if (auto x = event(new_row, at_ms, "split_from", detail + " <- " + std::string(case_number), actor); !x) {
      return fail(x.error());
    }
    if (auto x = tx->commit(); !x) return fail(x.error());
    return existing_case(*number);
  }

  Result<CaseSummary> link_to_major(std::string_view case_number, std::string_view major_case_number,
                                    std::string_view actor, std::int64_t at_ms) override {
    if (actor.empty()) return fail(CaseErrc::missing_detail, "a link needs who");
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto found = existing_case(case_number);
    if (!found) return fail(found.error());
    if (found->major) return fail(CaseErrc::invalid_request, "a major case is no other case's child");
    auto row = case_row(case_number);
    if (!row) return fail(row.error());
    std::optional<std::int64_t> parent;
    if (!major_case_number.empty()) {
      auto major = existing_case(major_case_number);
      if (!major) return fail(major.error());
      if (!major->major) {
        return fail(CaseErrc::invalid_request, "case " + std::string(major_case_number) + " is not a major case");
      }
      auto p = case_row(major_case_number);
      if (!p) return fail(p.error());
      parent = *p;
    }
    auto st = cached("UPDATE cases SET parent_id = ? WHERE id = ?");
    if (!st) return fail(st.error());
    if (parent) (*st)->bind(1, *parent);
    else (*st)->bind_null(1);
    (*st)->bind(2, *row);
    if (auto x = (*st)->run(); !x) return fail(x.error());
    const auto detail = parent ? "linked to " + std::string(major_case_number)
                               : "unlinked from " + found->parent_case_number;
    if (auto x = event(*row, at_ms, "major_link", detail, actor); !x) return fail(x.error());
    if (parent) {
      if (auto x = event(*parent, at_ms, "major_link", "child " + std::string(case_number), actor); !x) {
        return fail(x.error());
      }
    }
    if (auto x = tx->commit(); !x) return fail(x.error());
    return existing_case(case_number);
  }

  Result<ErasureOutcome> erase_subject(std::string_view vin, std::string_view phone, std::string_view actor,
                                       std::int64_t at_ms) override {
    if (vin.empty() == phone.empty())
      return fail(CaseErrc::missing_detail, "erase a VIN or a phone number, one of them");
    if (actor.empty()) return fail(CaseErrc::missing_detail, "an erasure needs who");
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    ErasureOutcome out;
    out.subject = vin.empty() ? privacy_subject("phone", phone) : privacy_subject("vin", vin);
    // What stays in reports.vin: random, so that nothing left links the rows to the car (a hash
    // of a VIN can be reversed by trying VINs); it never equals a VIN, so a re-sent report is
    // still refused as a conflict rather than taken as new.
    const auto pseudonym = "erased:" + new_uuid();
    const auto run = [&](std::string_view q, std::string_view arg, std::int64_t* count) -> Result<void> {
      auto st = cached(q);
      if (!st) return fail(st.error());
      (*st)->bind(1, arg);
      if (q.find("?2") != std::string_view::npos) (*st)->bind(2, pseudonym);
      if (auto x = (*st)->run(); !x) return x;
      if (count) *count += db_.changes();
      return {};
    };
    std::int64_t ignored = 0;
    const std::pair<std::string_view, std::int64_t*> by_vin[] = {
        {"DELETE FROM contacts WHERE report_id IN (SELECT report_id FROM reports WHERE vin = ?1)", &out.contacts},
        {"UPDATE surveys SET comment = '' WHERE case_id IN (SELECT id FROM cases WHERE vin = ?1)", &ignored},
        // People's words in the audit trail (comments, messages, reasons, appointment places) go;
        // the triage evidence of "created" is the classifier's vocabulary, kept for the statistics.
        {"UPDATE case_events SET detail = '[erased]' WHERE kind != 'created' AND case_id IN "
         "(SELECT id FROM cases WHERE vin = ?1)",
         &ignored},
        {"DELETE FROM notifications WHERE vin = ?1", &out.notifications},
        {"UPDATE reports SET text = '', payload = X'', vin = ?2 WHERE vin = ?1", &out.reports},
        {"DELETE FROM cluster_vehicles WHERE vin = ?1", &ignored},
        // Whatever topic it came on (a car's, or a channel's through the API), a refused message
        // naming the VIN goes.
        // A refused payload is any bytes: one that looks sealed and does not open is searched as it is.
        {"DELETE FROM dead_letters WHERE instr(topic, ?1) > 0 OR instr(CAST(coalesce(fb_try_open(payload, "
         "'dead_letters.payload:' || topic || ':' || first_seen_ms), payload) AS BLOB), CAST(?1 AS BLOB)) > 0",
         &ignored},
        // The cases stay for the statistics, with no car: nothing is sent to an erased VIN.
        {"UPDATE cases SET vin = '', progress_every_ms = 0 WHERE vin = ?1", &out.cases},
    };
    const std::pair<std::string_view, std::int64_t*> by_phone[] = {
        {"UPDATE reports SET text = '', payload = X'' WHERE report_id IN (SELECT report_id FROM contacts WHERE "
         "phone_mac = fb_lookup(?1))",
         &out.reports},
        {"UPDATE case_events SET detail = '[erased]' WHERE kind IN ('comment', 'message', 'callback') AND case_id IN "
         "(SELECT r.case_id FROM reports r JOIN contacts k USING (report_id) WHERE k.phone_mac = fb_lookup(?1))",
         &ignored},
        {"DELETE FROM dead_letters WHERE instr(CAST(coalesce(fb_try_open(payload, 'dead_letters.payload:' || topic || "
         "':' || first_seen_ms), payload) AS BLOB), CAST(?1 AS BLOB)) > 0",
         &ignored},
        {"DELETE FROM contacts WHERE phone_mac = fb_lookup(?1)", &out.contacts},
    };
    std::vector<std::int64_t> touched;
    {
      auto st = cached(
          "SELECT id FROM cases WHERE (vin = ?1 AND ?1 != '') OR id IN (SELECT r.case_id FROM reports r JOIN contacts "
          "k "
          "USING (report_id) WHERE k.phone_mac = fb_lookup(?2) AND ?2 != '')");
      if (!st) return fail(st.error());
      (*st)->bind(1, vin).bind(2, phone);
      auto rows = (*st)->each_row([&](const sql::Statement& s) { touched.push_back(s.int64(0)); });
      if (!rows) return fail(rows.error());
    }
    // The visit book finds its rows through the cases' VIN: before the steps blank it.
    if (auto x = vin.empty() ? visits_.erase_phone(phone) : visits_.erase_vin(vin); !x) return fail(x.error());
    using Steps = std::span<const std::pair<std::string_view, std::int64_t*>>;
    for (const auto& [q, count] : vin.empty() ? Steps(by_phone) : Steps(by_vin)) {
      if (auto x = run(q, vin.empty() ? phone : vin, count); !x) return fail(x.error());
    }
    if (vin.empty()) out.cases = static_cast<std::int64_t>(touched.size());
    for (auto row : touched) {
      if (auto x = refresh_sla(row); !x) return fail(x.error());
      if (auto x = refresh_exemplar(row); !x) return fail(x.error());
      if (auto x = event(row, at_ms, "privacy_erasure", "personal data erased on request", actor); !x) {
        return fail(x.error());
      }
    }
    const nlohmann::json detail = {{"cases", out.cases},
                                   {"reports", out.reports},
                                   {"notifications", out.notifications},
                                   {"contacts", out.contacts}};
    if (auto x = insert_privacy_audit("erase", out.subject, actor, at_ms, detail.dump()); !x) return fail(x.error());
    if (auto x = tx->commit(); !x) return fail(x.error());
    truncate_wal();
    return out;
  }

  // ---- Privacy at rest ----

  Result<std::int64_t> reseal_personal_data() override {
    return in_transaction<std::int64_t>([&]() -> Result<std::int64_t> {
      std::int64_t rewritten = 0;
      for (const auto& c : kSealedColumns) {
        const auto place = "'" + std::string(c.table) + "." + std::string(c.column) + ":' || " + std::string(c.id);
        const auto opened = c.foreign ? "coalesce(fb_try_open(" + std::string(c.column) + ", " + place + "), " +
                                            std::string(c.column) + ")"
                                      : "fb_open(" + std::string(c.column) + ", " + place + ")";
        auto q = "UPDATE " + std::string(c.table) + " SET " + std::string(c.column) + " = fb_seal(" + opened + ", " +
                 place + ")";
        if (!c.lookup.empty()) q += ", " + std::string(c.lookup) + " = fb_lookup(" + opened + ")";
        // Not sealed at all, or under another key than the current one; without keys nothing.
        q += " WHERE length(" + std::string(c.column) + ") > 0 AND fb_key_id(" + std::string(c.column) +
             ") IS DISTINCT FROM fb_current_key()";
        if (!c.only.empty()) q += " AND " + std::string(c.only);
        if (auto x = db_.exec(q); !x) return fail(x.error());
        rewritten += db_.changes();
      }
      return rewritten;
    });
  }

  Result<std::int64_t> erase_closed_cases(std::int64_t idle_before_ms, std::int64_t at_ms) override {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    std::vector<std::int64_t> rows;
    {
      // Closed, nothing on the case since the limit, and something personal left to erase.
      auto st = cached(
          "SELECT c.id FROM cases c WHERE c.status = 'closed' AND coalesce((SELECT max(e.at_ms) FROM case_events e "
          "WHERE e.case_id = c.id), c.created_ms) < ?1 AND (EXISTS (SELECT 1 FROM reports r WHERE r.case_id = c.id "
          "AND (length(r.text) > 0 OR length(r.payload) > 0)) OR EXISTS (SELECT 1 FROM callbacks b WHERE b.case_id = "
          "c.id AND length(b.phone) > 0) OR EXISTS (SELECT 1 FROM surveys v WHERE v.case_id = c.id AND "
          "length(v.comment) > 0) OR EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.id AND n.state IN "
          "('delivered', 'read') AND length(n.payload) > 0))");
      if (!st) return fail(st.error());
      (*st)->bind(1, idle_before_ms);
      auto read = (*st)->each_row([&](const sql::Statement& s) { rows.push_back(s.int64(0)); });
      if (!read) return fail(read.error());
    }
    if (rows.empty()) return std::int64_t{0};
    for (auto row : rows) {
      for (std::string_view q : {
               "DELETE FROM contacts WHERE report_id IN (SELECT report_id FROM reports WHERE case_id = ?)",
               "UPDATE reports SET text = '', payload = X'' WHERE case_id = ?",
               "UPDATE surveys SET comment = '' WHERE case_id = ?",
               "UPDATE callbacks SET phone = '', phone_mac = '', note = '', outcome = '' WHERE case_id = ?",
               "UPDATE visits SET survey_comment = '' WHERE case_id = ?",
               "UPDATE case_events SET detail = '[erased]' WHERE kind != 'created' AND case_id = ?",
               // Delivered: the car has its copy; one still on its way keeps its payload to be sent.
               "UPDATE notifications SET payload = X'' WHERE state IN ('delivered', 'read') AND case_id = ?",
           }) {
        auto st = cached(q);
        if (!st) return fail(st.error());
        (*st)->bind(1, row);
        if (auto x = (*st)->run(); !x) return fail(x.error());
      }
      if (auto x = event(row, at_ms, "privacy_retention", "personal data erased after the retention period", "system");
          !x) {
        return fail(x.error());
      }
      if (auto x = refresh_exemplar(row); !x) return fail(x.error());
    }
    const auto n = static_cast<std::int64_t>(rows.size());
    const nlohmann::json detail = {{"cases", n}, {"idle_before_ms", idle_before_ms}};
    if (auto x = insert_privacy_audit("retention", "cases:" + std::to_string(n), "system", at_ms, detail.dump()); !x) {
      return fail(x.error());
    }
    if (auto x = tx->commit(); !x) return fail(x.error());
    truncate_wal();
    return n;
  }

  /// After an erasure: the WAL still holds the pages as they were before it; a truncating
  /// checkpoint moves the erased versions into the file (secure_delete zeroes what was freed)
  /// and empties the WAL. A reader in the way leaves it for the next checkpoint (logged).
  void truncate_wal() {
    if (db_.dialect() != sql::Dialect::sqlite) return;  // PostgreSQL: no WAL file of ours to empty
    auto busy = db_.query_int("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!busy) {
      spdlog::warn("case store: checkpoint after an erasure failed: {}", busy.error().what());
    } else if (busy->value_or(0) != 0) {
      spdlog::warn("case store: a reader kept the WAL from being emptied after an erasure; the next checkpoint will");
    }
  }

  Result<void> audit_privacy(std::string_view action, std::string_view subject, std::string_view actor,
                             std::int64_t at_ms) override {
    return insert_privacy_audit(action, subject, actor, at_ms, "{}");
  }

  Result<std::vector<std::pair<CaseState, std::int64_t>>> cases_by_state() override {
    auto st = cached("SELECT status, count(*) FROM cases GROUP BY status ORDER BY status");
    if (!st) return fail(st.error());
    std::vector<std::pair<CaseState, std::int64_t>> out;
    std::optional<Error> bad;
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      auto state = key_column<CaseState>(s, 0, "cases.status");
      if (!state) {
        if (!bad) bad = state.error();
        return;
      }
      out.emplace_back(*state, s.int64(1));
    });
    if (!rows) return fail(rows.error());
    if (bad) return fail(*bad);
    return out;
  }

 private:
  using Bind = std::variant<std::string, std::int64_t>;

  Result<void> insert_privacy_audit(std::string_view action, std::string_view subject, std::string_view actor,
                                    std::int64_t at_ms, std::string_view detail) {
    auto st = cached("INSERT INTO privacy_audit(at_ms, actor, action, subject, detail) VALUES(?, ?, ?, ?, ?)");
    if (!st) return fail(st.error());
    (*st)->bind(1, at_ms).bind(2, actor).bind(3, action).bind(4, subject).bind(5, detail);
    return (*st)->run();
  }

  /// The case `case_number`, or CaseErrc::not_found.
  Result<CaseSummary> existing_case(std::string_view case_number) {
    auto found = find_case(case_number);
    if (!found) return fail(found.error());
    if (!*found) return fail(CaseErrc::not_found, "case " + std::string(case_number));
    return std::move(**found);
  }

  Result<std::int64_t> case_row(std::string_view case_number) {
    auto st = cached("SELECT id FROM cases WHERE number = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, case_number);
    auto row = (*st)->step();
    if (!row) return fail(row.error());
    if (!*row) return fail(CaseErrc::not_found, "case " + std::string(case_number));
    const auto id = (*st)->int64(0);
    (*st)->reset();
    return id;
  }

  using QueryArg = std::variant<std::monostate, std::string_view, std::int64_t>;

  Result<std::vector<CaseSummary>> query_cases(std::string_view where, QueryArg arg, std::size_t limit,
                                               std::string_view order = "c.id DESC") {
    std::string q = "SELECT " + std::string(kCaseColumns) + " FROM cases c ";
    q += where;
    q += " ORDER BY ";
    q += order;
    q += " LIMIT " + std::to_string(limit);
    std::vector<Bind> binds;
    if (const auto* text = std::get_if<std::string_view>(&arg)) binds.emplace_back(std::string(*text));
    if (const auto* number = std::get_if<std::int64_t>(&arg)) binds.emplace_back(*number);
    return select_cases(q, binds, [](const sql::Statement&) {});
  }

  /// Runs a SELECT of kCaseColumns (then anything `extra` reads per row) with positional binds.
  template <typename Extra>
  Result<std::vector<CaseSummary>> select_cases(const std::string& q, std::span<const Bind> binds, Extra&& extra) {
    auto st = cached(q);
    if (!st) return fail(st.error());
    int i = 0;
    for (const auto& b : binds) {
      ++i;
      if (const auto* text = std::get_if<std::string>(&b)) (*st)->bind(i, *text);
      else (*st)->bind(i, std::get<std::int64_t>(b));
    }
    std::vector<CaseSummary> out;
    std::optional<Error> bad;
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      auto type = key_column<CaseType>(s, 4, "cases.type");
      auto priority = key_column<Priority>(s, 5, "cases.priority");
      auto system = key_column<VehicleSystem>(s, 6, "cases.system");
      auto state = key_column<CaseState>(s, 8, "cases.status");
      for (const Error* e : {type ? nullptr : &type.error(), priority ? nullptr : &priority.error(),
                             system ? nullptr : &system.error(), state ? nullptr : &state.error()}) {
        if (e && !bad) bad = *e;
      }
      if (bad) return;
      CaseSummary c;
      c.case_id = s.text(0);
      c.case_number = s.text(1);
      c.vin = s.text(2);
      c.report_id = s.text(3);
      c.type = *type;
      c.priority = *priority;
      c.system = *system;
      c.team = s.text(7);
      c.state = *state;
      c.created_ms = s.int64(9);
      c.first_reply_due_ms = s.int64(10);
      c.resolution_due_ms = s.int64(11);
      c.assignee = s.text(12);
      c.language = s.text(13);
      c.channel = s.text(14);
      c.parent_case_number = s.text(15);
      c.major = s.int64(16) != 0;
      c.reports = static_cast<int>(s.int64(17));
      c.collaborators = split_list(s.text(18));
      c.model = s.text(19);
      c.software_version = s.text(20);
      if (!s.is_null(21)) c.first_response_ms = s.int64(21);
      if (!s.is_null(22)) c.resolved_ms = s.int64(22);
      c.needs_triage = s.int64(23) != 0;
      extra(s);
      out.push_back(std::move(c));
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
      const bool same_content = same_report(find_report_.blob(7), in);
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
      if (!same_content) {
        // Acknowledging it as a duplicate would drop the new content without a word.
        auto id = store_dead_letter(DeadLetterRecord{in.digest, in.topic, DeadLetterReason::conflicting_duplicate,
                                                     "report id " + r.report_id() + " was stored with other content",
                                                     in.payload, in.received_ms});
        if (!id) return fail(id.error());
        out.dead_letter_id = *id;
        out.error = Error(WireErrc::conflicting_duplicate,
                          "report id " + r.report_id() + " was already stored with different content");
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

    auto merged = find_open_case_of_same_problem(in);
    if (!merged) return fail(merged.error());
    std::int64_t case_row = 0;
    CaseRef ref;
    if (*merged) {
      case_row = (*merged)->first;
      ref = std::move((*merged)->second);
      ref.merged = true;
    } else {
      auto created = create_case(in, ref);
      if (!created) return fail(created.error());
      case_row = *created;
    }

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
    if (in.contact) {
      auto st = cached(
          "INSERT INTO contacts(report_id, name, phone, phone_mac) VALUES(?1, fb_seal(?2, 'contacts.name:' || ?1), "
          "fb_seal(?3, 'contacts.phone:' || ?1), fb_lookup(?3))");
      if (!st) return fail(st.error());
      (*st)->bind(1, r.report_id()).bind(2, in.contact->name).bind(3, in.contact->phone);
      if (auto x = (*st)->run(); !x) return x;
    }
    if (ref.merged) {
      if (auto x = event(case_row, in.received_ms, "merged", "report " + r.report_id() + " joined the open case"); !x) {
        return x;
      }
      if (auto x = raise_for_joining_report(case_row, in, ref); !x) return x;
    } else if (auto x = join_cluster(in, case_row); !x) {
      return x;
    }
    if (auto x = relate(r, case_row, ref.case_number, in.received_ms); !x) return x;

    auto n = make_notification(in, ref, ref.merged ? "merged" : "received");
    if (!n) return fail(n.error());
    if (auto x = queue_notification(case_row, *n, ref.merged ? "merged" : "received", in.received_ms, r.report_id(),
                                    in.notification_in_ack);
        !x) {
      return x;
    }
    // A known problem: the answer and its workaround go to the car at once, as a notification
    // of their own (resent until receipted), and the match is recorded on the case.
    if (in.knowledge && !ref.merged) {
      const auto& k = *in.knowledge;
      if (auto x = event(case_row, in.received_ms, "knowledge_match",
                         nlohmann::json{{"article", k.article_id}, {"score", k.score}, {"why", k.why}}.dump());
          !x) {
        return x;
      }
      auto w = make_notification(in, ref, "workaround");
      if (!w) return fail(w.error());
      if (auto x = queue_notification(case_row, *w, "workaround", in.received_ms, r.report_id()); !x) return x;
      out.workaround = std::move(*w);
    }
    out.accepted = std::move(ref);
    out.notification = std::move(*n);
    out.notification_in_ack = in.notification_in_ack;
    return {};
  }

  /// What makes a case more urgent: a report joining it, or a case merged into it.
  struct Raise {
    Priority to = Priority::low;
    std::int64_t first_due_ms = 0;       // the case's first-reply due time becomes at most this
    std::int64_t resolution_due_ms = 0;  // and its resolution due time at most this
    /// Instead of the two above: these targets from the case's own start (read only when the
    /// case is raised: a report joining a case as urgent as it costs no read of its clock).
    std::optional<SlaTargets> from_start;
    /// With the due times above (a merge): the other case's resolution target, which a
    /// reopening restarts (the kept case's own start is later than the due time it took).
    std::int64_t resolution_target_ms = 0;
    std::int64_t progress_every_ms = 0;  // 0: none
    std::vector<std::string> teams;      // become collaborators (the owning team stays)
    std::int64_t at_ms = 0;
  };

  /// Raises the case to `r.to` if that is more urgent than its own priority: the tighter due
  /// times (a due time only ever moves earlier), the shorter progress interval, `r.teams` as
  /// collaborators; recorded as a "priority_raised" event. Returns the new first-reply due time,
  /// or nullopt when the case was as urgent already.
  /// `why`: the priority_raised event's detail besides from and to.
  Result<std::optional<std::int64_t>> raise_case(std::int64_t case_row, const Raise& r, nlohmann::json why) {
    auto st = cached("SELECT priority, collaborators, team FROM cases WHERE id = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, case_row);
    auto row = (*st)->step();
    if (!row) return fail(row.error());
    if (!*row) {
      (*st)->reset();
      return fail(CaseErrc::not_found, "case row " + std::to_string(case_row));
    }
    auto current = key_column<Priority>(**st, 0, "cases.priority");
    auto collaborators = split_list((*st)->text(1));
    const auto team = (*st)->text(2);
    (*st)->reset();
    if (!current) return fail(current.error());
    if (static_cast<int>(r.to) >= static_cast<int>(*current)) return std::optional<std::int64_t>{};  // high < low
    auto clock = load_sla(case_row);
    if (!clock) return fail(clock.error());
    const auto& sla = clock->second;
    const auto first_due = std::min(sla.first_response_due_ms,
                                    r.from_start ? sla.start_ms + r.from_start->first_response_ms : r.first_due_ms);
    const auto resolution_due = std::min(sla.resolution_due_ms, r.from_start
                                                                    ? sla.start_ms + r.from_start->resolution_ms
                                                                    : r.resolution_due_ms);
    const auto offered = r.from_start ? r.from_start->resolution_ms : r.resolution_target_ms;
    const auto target = offered > 0 ? std::min(sla.resolution_target(), offered) : sla.resolution_target();
    const auto progress_every = sla.progress_every_ms > 0 && r.progress_every_ms > 0
                                    ? std::min(sla.progress_every_ms, r.progress_every_ms)
                                    : std::max(sla.progress_every_ms, r.progress_every_ms);
    for (const auto& t : r.teams) add_collaborator(collaborators, team, t);
    auto update = cached(
        "UPDATE cases SET priority = ?1, first_reply_due_ms = ?2, resolution_due_ms = ?3, progress_every_ms = ?4, "
        "collaborators = ?5, resolution_target_ms = ?7 WHERE id = ?6");
    if (!update) return fail(update.error());
    (*update)
        ->bind(1, to_string(r.to))
        .bind(2, first_due)
        .bind(3, resolution_due)
        .bind(4, progress_every)
        .bind(5, join_list(collaborators))
        .bind(6, case_row)
        .bind(7, target);
    if (auto x = (*update)->run(); !x) return fail(x.error());
    auto detail = std::move(why);
    detail["from"] = to_string(*current);
    detail["to"] = to_string(r.to);
    if (auto x = event(case_row, r.at_ms, "priority_raised", detail.dump()); !x) return fail(x.error());
    if (auto x = refresh_sla(case_row); !x) return fail(x.error());
    return std::optional<std::int64_t>{first_due};
  }

  /// A report more urgent than the open case it joins raises the case to its priority: the
  /// tighter SLA targets from the case's own start, and the report's route's teams as
  /// collaborators. `ref` gets the new first-reply due time.
  Result<void> raise_for_joining_report(std::int64_t case_row, const ReportIntake& in, CaseRef& ref) {
    Raise r;
    r.to = in.classification.priority;
    r.from_start = in.sla;
    r.progress_every_ms = in.sla.progress_every_ms;
    r.teams = in.route.collaborators;
    r.teams.push_back(in.route.team);
    r.at_ms = in.received_ms;
    auto raised = raise_case(case_row, r,
                             {{"report", in.report->report_id()}, {"evidence", in.classification.evidence}});
    if (!raised) return fail(raised.error());
    if (*raised) ref.first_reply_due_ms = **raised;
    return {};
  }

  /// The open case of the same car with the same problem within the merge window, if any:
  /// same system, and a shared DTC, or similar text, or both without text or DTCs (quick taps).
  Result<std::optional<std::pair<std::int64_t, CaseRef>>> find_open_case_of_same_problem(const ReportIntake& in) {
    const auto& r = *in.report;
    if (grouping_.merge_window_ms <= 0) return std::optional<std::pair<std::int64_t, CaseRef>>{};
    const auto dtcs = split_list(dtc_list(r));
    const std::unordered_set<std::string_view> codes(dtcs.begin(), dtcs.end());  // hashed once, not per candidate
    const auto signature = text_signature(r.text());
    merge_candidates_.bind(1, r.vin())
        .bind(2, to_string(in.classification.system))
        .bind(3, in.received_ms - grouping_.merge_window_ms);
    std::optional<std::pair<std::int64_t, CaseRef>> found;
    auto rows = merge_candidates_.each_row([&](const sql::Statement& s) {
      if (found) return;
      const auto text = s.text(5);
      const auto their_dtcs = split_list(s.text(6));
      const bool same = share_any(codes, their_dtcs) ||
                        (r.text().empty() && text.empty() && dtcs.empty() && their_dtcs.empty()) ||
                        (!r.text().empty() &&
                         similarity(signature, text_signature(text)) >= grouping_.merge_min_similarity);
      if (same) found.emplace(s.int64(0), CaseRef{s.text(1), s.text(2), s.text(3), s.int64(4), false, true});
    });
    if (!rows) {
      merge_candidates_.reset();
      return fail(rows.error());
    }
    return found;
  }

  Result<std::string> next_case_number(std::int64_t at_ms) {
    const int year = utc_year(at_ms + grouping_.utc_offset_ms);
    next_number_.bind(1, static_cast<std::int64_t>(year));
    auto num = next_number_.step();
    if (!num) return fail(num.error());
    const auto sequence = next_number_.int64(0);
    next_number_.reset();
    return format_case_number(year, sequence);
  }

  /// The SLA clock starts at the car's timestamp, unless the car's clock is off by more than the
  /// allowed skew (or ahead of ours): then at the receive time.
  std::int64_t sla_start(const ReportIntake& in) const {
    return plausible_car_time(in.report->car_time_ms(), in.received_ms - grouping_.max_clock_skew_ms, in.received_ms);
  }

  Result<std::int64_t> create_case(const ReportIntake& in, CaseRef& ref) {
    const auto& r = *in.report;
    auto number = next_case_number(in.received_ms);
    if (!number) return fail(number.error());
    ref.case_id = new_time_ordered_uuid();
    ref.case_number = std::move(*number);
    ref.team = in.route.team;
    SlaClock sla;
    sla.start_ms = sla_start(in);
    sla.first_response_due_ms = sla.start_ms + in.sla.first_response_ms;
    sla.resolution_due_ms = sla.start_ms + in.sla.resolution_ms;
    sla.progress_every_ms = in.sla.progress_every_ms;
    sla.last_contact_ms = in.received_ms;
    ref.first_reply_due_ms = sla.first_response_due_ms;
    const nlohmann::json triage = {{"evidence", in.classification.evidence}, {"route_rule", in.route.rule_index}};
    auto row = insert_case_row(CaseRow{ref.case_id, ref.case_number, r.vin(), in, r.language(), triage.dump(), sla,
                                       join_list(in.route.collaborators), in.channel, false,
                                       in.classification.needs_human_triage});
    if (!row) return fail(row.error());
    if (auto x = event(*row, in.received_ms, "created", triage.dump()); !x) return fail(x.error());
    return *row;
  }

  /// A new case row: what it is (from the report's triage), its SLA clock and next deadline.
  struct CaseRow {
    std::string uid;
    std::string number;
    std::string vin;  // empty for a major case
    const ReportIntake& in;
    std::string language;
    std::string triage;  // JSON: the evidence that decided it
    SlaClock sla;
    std::string collaborators;
    std::string channel;
    bool major = false;
    bool needs_triage = false;  // a report's own case the classifier was not sure of
  };

  Result<std::int64_t> insert_case_row(const CaseRow& c) {
    const auto& in = c.in;
    insert_case_.bind(1, c.uid)
        .bind(2, c.number)
        .bind(3, c.vin)
        .bind(4, to_string(in.classification.type))
        .bind(5, to_string(in.classification.priority))
        .bind(6, to_string(in.classification.system))
        .bind(7, in.route.team)
        .bind(8, to_string(CaseState::new_))
        .bind(9, c.language)
        .bind(10, in.received_ms)
        .bind(11, c.sla.first_response_due_ms)
        .bind(12, c.triage)
        .bind(13, c.sla.start_ms)
        .bind(14, c.sla.resolution_due_ms)
        .bind(15, c.sla.progress_every_ms)
        .bind(16, c.sla.last_contact_ms)
        .bind(18, c.collaborators)
        .bind(19, c.channel)
        .bind(20, in.report->model())
        .bind(21, in.report->software_version())
        .bind(22, std::int64_t{c.major ? 1 : 0})
        .bind(23, std::int64_t{c.needs_triage ? 1 : 0})
        .bind(24, c.sla.resolution_due_ms - c.sla.start_ms);
    if (auto next = c.sla.next_deadline()) insert_case_.bind(17, *next);
    else insert_case_.bind_null(17);
    if (auto x = insert_case_.run(); !x) return fail(x.error());
    return db_.last_insert_rowid();
  }

  /// Puts a new case of a product into the cluster of the same symptom on the same model and
  /// software version (creating one if none is similar), makes the cluster a major case once
  /// enough vehicles share it, and raises an early warning when its rate rises.
  Result<void> join_cluster(const ReportIntake& in, std::int64_t case_row) {
    const auto& r = *in.report;
    const auto type = in.classification.type;
    if (!clusters_by_symptom(type)) return {};
    const auto dtcs = split_list(dtc_list(r));
    // The smallest code, not the first: cars list their DTCs in no set order, and [P0300, P0171]
    // and [P0171, P0300] are one symptom.
    const std::string key = dtcs.empty() ? system_cluster_key(in.classification.system)
                                         : "dtc:" + *std::min_element(dtcs.begin(), dtcs.end());
    // The clusters of that symptom active within the window, the most recent first and at most
    // kMaxClusterCandidates: the cost per report stays bounded however long the fleet runs. One
    // whose major case is resolved or closed is over: the fault back after its fix starts a new
    // cluster (and major case), rather than children of a finished case that nothing would move.
    constexpr std::int64_t kMaxClusterCandidates = 100;
    auto st = cached(
        "SELECT id, fb_open(exemplar, 'clusters.exemplar:' || key || ':' || model || ':' || software_version || ':' || "
        "created_ms) FROM clusters WHERE key = ? AND model = ? AND software_version = ? AND last_ms >= ? "
        "AND NOT EXISTS (SELECT 1 FROM cases m WHERE m.id = clusters.major_case_id AND m.status IN ('resolved', "
        "'closed')) ORDER BY last_ms DESC LIMIT ?");
    if (!st) return fail(st.error());
    (*st)
        ->bind(1, key)
        .bind(2, r.model())
        .bind(3, r.software_version())
        .bind(4, in.received_ms - grouping_.cluster_window_ms)
        .bind(5, kMaxClusterCandidates);
    std::int64_t cluster = 0;
    double best = -1;
    const auto signature = dtcs.empty() ? text_signature(r.text()) : TextSignature{};
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      const double sim = dtcs.empty() ? similarity(signature, text_signature(s.text(1))) : 1.0;
      if ((!dtcs.empty() || sim >= grouping_.cluster_min_similarity) && sim > best) {
        best = sim;
        cluster = s.int64(0);
      }
    });
    if (!rows) return fail(rows.error());
    if (cluster == 0) {
      auto add = cached(
          "INSERT INTO clusters(key, model, software_version, exemplar, created_ms, last_ms) VALUES(?1,?2,?3,"
          "fb_seal(?4, 'clusters.exemplar:' || ?1 || ':' || ?2 || ':' || ?3 || ':' || ?5),?5,?6)");
      if (!add) return fail(add.error());
      (*add)
          ->bind(1, key)
          .bind(2, r.model())
          .bind(3, r.software_version())
          .bind(4, r.text())
          .bind(5, in.received_ms)
          .bind(6, in.received_ms);
      if (auto x = (*add)->run(); !x) return x;
      cluster = db_.last_insert_rowid();
    }
    if (auto x = exec_bound("UPDATE cases SET cluster_id = ?1 WHERE id = ?2", {cluster, case_row}); !x) return x;

    // Counters kept on the cluster: the cost of joining does not grow with the cluster.
    auto add_vehicle = cached("INSERT OR IGNORE INTO cluster_vehicles(cluster_id, vin) VALUES(?, ?)");
    if (!add_vehicle) return fail(add_vehicle.error());
    (*add_vehicle)->bind(1, cluster).bind(2, r.vin());
    if (auto x = (*add_vehicle)->run(); !x) return x;
    if (auto x = exec_bound("UPDATE clusters SET cases = cases + 1, vehicles = vehicles + ?1, "
                            "last_ms = max(last_ms, ?2) WHERE id = ?3",
                            {db_.changes() > 0 ? 1 : 0, in.received_ms, cluster});
        !x) {
      return x;
    }
    auto counts = cached(
        "SELECT vehicles, coalesce(major_case_id, 0), window_start_ms, window_count, previous_count, warned_ms "
        "FROM clusters WHERE id = ?");
    if (!counts) return fail(counts.error());
    (*counts)->bind(1, cluster);
    auto got = (*counts)->step();
    if (!got) return fail(got.error());
    const auto vehicles = (*counts)->int64(0);
    auto major = (*counts)->int64(1);
    const ClusterWindow window{(*counts)->int64(2), (*counts)->int64(3), (*counts)->int64(4), (*counts)->int64(5)};
    (*counts)->reset();
    if (major == 0 && vehicles >= grouping_.major_case_vehicles) {
      auto made = create_major_case(in, cluster, key);
      if (!made) return fail(made.error());
      major = *made;
      // The cluster's cases so far become its children, once; later ones join one by one.
      if (auto x = exec_bound("UPDATE cases SET parent_id = ?1 WHERE cluster_id = ?2 AND major = 0", {major, cluster});
          !x) {
        return x;
      }
    } else if (major != 0) {
      if (auto x = exec_bound("UPDATE cases SET parent_id = ?1 WHERE id = ?2", {major, case_row}); !x) return x;
    }
    return check_early_warning(cluster, window, key, in.received_ms, major);
  }

  Result<std::int64_t> create_major_case(const ReportIntake& in, std::int64_t cluster, const std::string& key) {
    auto number = next_case_number(in.received_ms);
    if (!number) return fail(number.error());
    SlaClock sla;
    sla.start_ms = in.received_ms;
    sla.first_response_due_ms = sla.start_ms + in.sla.first_response_ms;
    sla.resolution_due_ms = sla.start_ms + in.sla.resolution_ms;
    sla.last_contact_ms = in.received_ms;
    sla.has_car = false;
    const nlohmann::json triage = {{"cluster", cluster},
                                   {"key", key},
                                   {"model", in.report->model()},
                                   {"software_version", in.report->software_version()}};
    auto inserted = insert_case_row(
        CaseRow{new_time_ordered_uuid(), *number, "", in, "en", triage.dump(), sla, "", "cluster", true});
    if (!inserted) return fail(inserted.error());
    const auto row = *inserted;
    if (auto x = exec_bound("UPDATE clusters SET major_case_id = ?1 WHERE id = ?2", {row, cluster}); !x) {
      return fail(x.error());
    }
    if (auto x = event(row, in.received_ms, "major_case", triage.dump()); !x) return fail(x.error());
    spdlog::warn("major case {}: {} on {} {} reached {} vehicles", *number, key, in.report->model(),
                 in.report->software_version(), grouping_.major_case_vehicles);
    return row;
  }

  /// Counts the cluster's new cases in tumbling windows (aligned to the window length) and
  /// warns, once per window, when this window has at least warning_min_cases and at least
  /// warning_rate_factor times the previous window's count.
  Result<void> check_early_warning(std::int64_t cluster, const ClusterWindow& before, const std::string& key,
                                   std::int64_t now, std::int64_t major) {
    const auto w = grouping_.warning_window_ms;
    const auto window = now - now % w;
    auto start = before.start_ms, count = before.count, previous = before.previous;
    const auto warned = before.warned_ms;
    if (window != start) {
      previous = window - start == w ? count : 0;
      count = 0;
      start = window;
    }
    ++count;
    if (auto x =
            exec_bound("UPDATE clusters SET window_start_ms = ?1, window_count = ?2, previous_count = ?3 WHERE id = ?4",
                       {start, count, previous, cluster});
        !x) {
      return x;
    }
    if (count < grouping_.warning_min_cases ||
        static_cast<double>(count) < grouping_.warning_rate_factor * static_cast<double>(previous) ||
        warned >= window) {
      return {};
    }
    if (auto x = exec_bound("UPDATE clusters SET warned_ms = ?1 WHERE id = ?2", {now, cluster}); !x) return x;
    const auto detail = nlohmann::json{
        {"cluster", cluster},
        {"key", key},
        {"this_window", count},
        {"window_before", previous},
        {"window_ms", w}}.dump();
    spdlog::warn("early warning: cluster {} ({}) {} new cases in this window, {} in the one before", cluster, key,
                 count, previous);
    if (major != 0) return event(major, now, "early_warning", detail);
    return {};
  }

  Result<void> exec_bound(std::string_view q, std::initializer_list<std::int64_t> args) {
    auto st = cached(q);
    if (!st) return fail(st.error());
    int i = 1;
    for (auto a : args) (*st)->bind(i++, a);
    return (*st)->run();
  }

  /// Records a notification for the case's car: pending (the resend path sends it), or, when
  /// `carried_by_ack`, as sent inside the report's ack and never re-sent on its own.
  Result<void> queue_notification(std::int64_t case_row, const StoredNotification& n, std::string_view kind,
                                  std::int64_t at_ms, std::string_view report_id = {}, bool carried_by_ack = false) {
    insert_notification_.bind(1, n.id)
        .bind(2, case_row)
        .bind(3, n.vin)
        .bind_blob(4, n.payload)
        .bind(5, at_ms)
        .bind(6, kind)
        .bind(8, std::int64_t{carried_by_ack ? 1 : 0});
    if (report_id.empty()) insert_notification_.bind_null(7);
    else insert_notification_.bind(7, report_id);
    if (auto x = insert_notification_.run(); !x) return x;
    // A later contact restarts the progress interval; a new case was created with this contact
    // time and its deadline already, so nothing moves and nothing is recomputed.
    if (auto x = exec_bound("UPDATE cases SET last_contact_ms = ?1 WHERE id = ?2 AND last_contact_ms < ?1",
                            {at_ms, case_row});
        !x) {
      return x;
    }
    if (db_.changes() > 0) {
      if (auto x = refresh_sla(case_row); !x) return x;
    }
    return event(case_row, at_ms, carried_by_ack ? "notified_in_ack" : "notified",
                 n.id + " " + std::string(kind) + ": " + n.text);
  }

  /// Links a new report with the reports of the same car it names and with those that named it
  /// before it arrived: a "related" event on each case ("related to FB-... (report ...)"), or
  /// one event when both are in the same case.
  Result<void> relate(const wire::Report& r, std::int64_t case_row, const std::string& case_number,
                      std::int64_t at_ms) {
    struct Other {
      std::string report_id;
      std::int64_t case_row;
      std::string case_number;
    };
    std::vector<Other> others;
    auto named = cached(
        "SELECT r.report_id, r.case_id, c.number FROM reports r JOIN cases c ON c.id = r.case_id "
        "WHERE r.report_id = ? AND r.vin = ?");
    if (!named) return fail(named.error());
    auto remember = cached("INSERT OR IGNORE INTO report_relations(report_id, related_id) VALUES(?, ?)");
    if (!remember) return fail(remember.error());
    for (const auto& id : r.related_report_ids()) {
      (*remember)->bind(1, r.report_id()).bind(2, id);
      if (auto x = (*remember)->run(); !x) return x;
      (*named)->bind(1, id).bind(2, r.vin());
      auto rows = (*named)->each_row([&](const sql::Statement& s) {
        others.push_back(Other{s.text(0), s.int64(1), s.text(2)});
      });
      if (!rows) return fail(rows.error());
    }
    // Two lookups by key rather than one join: PostgreSQL's cached generic plan of the join, made
    // while `reports` was nearly empty, scanned every report for each new one (ingest fell to
    // ~400 reports/s at 10,000 reports and kept falling).
    auto naming = cached("SELECT report_id FROM report_relations WHERE related_id = ? AND report_id != ?");
    if (!naming) return fail(naming.error());
    std::vector<std::string> naming_ids;
    (*naming)->bind(1, r.report_id()).bind(2, r.report_id());
    auto rows = (*naming)->each_row([&](const sql::Statement& s) { naming_ids.push_back(s.text(0)); });
    if (!rows) return fail(rows.error());
    for (const auto& id : naming_ids) {
      (*named)->bind(1, id).bind(2, r.vin());
      auto found = (*named)->each_row([&](const sql::Statement& s) {
        others.push_back(Other{s.text(0), s.int64(1), s.text(2)});
      });
      if (!found) return fail(found.error());
    }
    std::set<std::string> done;
    for (const auto& o : others) {
      if (!done.insert(o.report_id).second) continue;  // named both ways
      if (o.case_row == case_row) {
        if (auto x = event(case_row, at_ms, "related",
                           "report " + r.report_id() + " is related to report " + o.report_id + " of this case");
            !x) {
          return x;
        }
        continue;
      }
      if (auto x = event(case_row, at_ms, "related", "related to " + o.case_number + " (report " + o.report_id + ")");
          !x) {
        return x;
      }
      if (auto x = event(o.case_row, at_ms, "related", "related to " + case_number + " (report " + r.report_id() + ")");
          !x) {
        return x;
      }
    }
    return {};
  }

  Result<void> event(std::int64_t case_row, std::int64_t at_ms, std::string_view kind, std::string_view detail,
                     std::string_view actor = "system") {
    insert_event_.bind(1, case_row).bind(2, at_ms).bind(3, kind).bind(4, detail).bind(5, actor);
    return insert_event_.run();
  }

  /// Whether `in` says what the stored report said: the same bytes, or (a client that re-encodes
  /// its envelope, with a new message id or send time) the same Report. A report from another
  /// channel carries car_time_ms stamped by the server when it arrived (the API, fb-backend case
  /// create), not by its sender, so a resend of it is compared without that time.
  static bool same_report(const std::string& stored_payload, const ReportIntake& in) {
    if (codec::sha256(stored_payload) == in.digest) return true;
    wire::Envelope stored;
    if (!stored.ParseFromString(stored_payload) || !stored.has_report()) return false;
    const bool stamped = in.channel != "car" && stored.report().source() == wire::SOURCE_OTHER_CHANNEL &&
                         in.report->source() == wire::SOURCE_OTHER_CHANNEL;
    std::optional<wire::Report> unstamped;
    if (stamped) {
      unstamped = *in.report;
      unstamped->set_car_time_ms(0);
      stored.mutable_report()->set_car_time_ms(0);
    }
    std::string a, b;
    {
      google::protobuf::io::StringOutputStream sa(&a), sb(&b);
      google::protobuf::io::CodedOutputStream ca(&sa), cb(&sb);
      ca.SetSerializationDeterministic(true);
      cb.SetSerializationDeterministic(true);
      stored.report().SerializeToCodedStream(&ca);
      (unstamped ? *unstamped : *in.report).SerializeToCodedStream(&cb);
    }
    return a == b;
  }

  /// A repeat counts up; a new one is kept unless its VIN's or the table's cap is reached, when
  /// it counts up that cap's overflow row instead (DeadLetterPolicy).
  Result<std::int64_t> store_dead_letter(const DeadLetterRecord& d) {
    seen_dead_letter_.bind_blob(1, d.digest).bind(2, d.at_ms);
    auto seen = seen_dead_letter_.step();
    if (!seen) return fail(seen.error());
    if (*seen) {
      const auto id = seen_dead_letter_.int64(0);
      seen_dead_letter_.reset();
      return id;
    }
    seen_dead_letter_.reset();
    const auto topic = topics::parse(d.topic);
    const std::string vin = topic ? topic->vin.substr(0, 64) : std::string();
    const auto& p = dead_letter_policy_;
    auto of_vin = query_count("SELECT count(*) FROM dead_letters WHERE vin = ?1", vin);
    if (!of_vin) return fail(of_vin.error());
    if (*of_vin >= p.max_per_vin) return overflow(d, vin, "VIN " + vin, p.max_per_vin);
    auto total = query_count("SELECT count(*) FROM dead_letters", {});
    if (!total) return fail(total.error());
    if (*total >= p.max_total) return overflow(d, "*", "the whole table", p.max_total);
    return insert_dead_letter(d.digest, d.topic, d.reason, d.detail,
                              std::string_view(d.payload).substr(0, p.max_payload_bytes), d.at_ms, vin);
  }

  Result<std::int64_t> insert_dead_letter(const std::string& digest, const std::string& topic, DeadLetterReason reason,
                                          const std::string& detail, std::string_view payload, std::int64_t at_ms,
                                          const std::string& vin) {
    insert_dead_letter_.bind_blob(1, digest)
        .bind(2, topic)
        .bind(3, to_string(reason))
        .bind(4, detail)
        .bind_blob(5, payload)
        .bind(6, at_ms)
        .bind(7, at_ms)
        .bind(8, vin);
    auto row = insert_dead_letter_.step();
    if (!row) return fail(row.error());
    const auto id = insert_dead_letter_.int64(0);
    last_dead_letter_count_ = insert_dead_letter_.int64(1);
    insert_dead_letter_.reset();
    return id;
  }

  // The row that counts what a cap kept out (its own digest, so it counts up like any repeat).
  Result<std::int64_t> overflow(const DeadLetterRecord& d, const std::string& key, const std::string& whose,
                                std::int64_t cap) {
    const auto vin = key == "*" ? std::string() : key;
    auto id = insert_dead_letter(codec::sha256("dead-letter overflow:" + key), d.topic, d.reason,
                                 "dead letters of " + whose + " beyond the cap of " + std::to_string(cap) +
                                     ": counted here, not kept",
                                 std::string_view(""), d.at_ms, vin);  // not NULL: payload is NOT NULL
    if (id && std::has_single_bit(static_cast<std::uint64_t>(last_dead_letter_count_))) {
      spdlog::warn("dead letters of {} at their cap of {}: {} more counted, not kept (dead letter #{})", whose, cap,
                   last_dead_letter_count_, *id);
    }
    return id;
  }

  Result<std::int64_t> query_count(std::string_view q, std::optional<std::string> arg) {
    auto st = cached(q);
    if (!st) return fail(st.error());
    if (arg) (*st)->bind(1, *arg);
    auto row = (*st)->step();
    if (!row) return fail(row.error());
    const auto n = *row ? (*st)->int64(0) : 0;
    (*st)->reset();
    return n;
  }

  Result<std::int64_t> purge_dead_letters(std::int64_t before_ms) override {
    auto st = cached("DELETE FROM dead_letters WHERE last_seen_ms < ?1");
    if (!st) return fail(st.error());
    (*st)->bind(1, before_ms);
    if (auto r = (*st)->run(); !r) return fail(r.error());
    return static_cast<std::int64_t>(db_.changes());
  }

  // ---- Leases ----

  Result<bool> hold_lease(std::string_view name, std::string_view holder, std::int64_t now_ms,
                          std::int64_t ttl_ms) override {
    return in_transaction<bool>([&]() -> Result<bool> {
      auto take = cached(
          "INSERT INTO leases(name, holder, expires_ms) VALUES(?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET "
          "holder = excluded.holder, expires_ms = excluded.expires_ms WHERE leases.holder = excluded.holder OR "
          "leases.expires_ms <= ?4");
      if (!take) return fail(take.error());
      (*take)->bind(1, name).bind(2, holder).bind(3, now_ms + ttl_ms).bind(4, now_ms);
      if (auto r = (*take)->run(); !r) return fail(r.error());
      auto who = cached("SELECT holder FROM leases WHERE name = ?1");
      if (!who) return fail(who.error());
      (*who)->bind(1, name);
      auto row = (*who)->step();
      if (!row) return fail(row.error());
      const bool held = *row && (*who)->text(0) == holder;
      (*who)->reset();
      return held;
    });
  }

  Result<void> release_lease(std::string_view name, std::string_view holder) override {
    auto st = cached("UPDATE leases SET expires_ms = 0 WHERE name = ?1 AND holder = ?2");
    if (!st) return fail(st.error());
    (*st)->bind(1, name).bind(2, holder);
    return (*st)->run();
  }

  /// A statement for `q`, prepared on first use and kept for the store's life (the ingest path
  /// runs a dozen per report); reset for this use. Not re-entrant per query text. Past
  /// kMaxStatements texts (the API's list queries take a shape from their filters and limit) a
  /// new one is kept among the last kSpilledStatements only: a statement still being read (an
  /// outer query while an inner one runs) is never the one dropped, as no call reads through
  /// that many new shapes at once.
  Result<sql::Statement*> cached(std::string_view q) {
    const std::string text(q);
    if (auto it = statements_.find(text); it != statements_.end()) {
      it->second.reset();
      return &it->second;
    }
    for (auto& [spilled_text, st] : spilled_) {
      if (spilled_text == text) {
        st.reset();
        return &st;
      }
    }
    auto st = db_.prepare(q);
    if (!st) return fail(st.error());
    if (statements_.size() < kMaxStatements) return &statements_.emplace(text, std::move(*st)).first->second;
    if (spilled_.size() == kSpilledStatements) spilled_.pop_front();  // a deque: the others stay put
    spilled_.emplace_back(text, std::move(*st));
    return &spilled_.back().second;
  }

 public:
  std::size_t prepared_statements() const override { return statements_.size() + spilled_.size(); }

 private:
  /// A follow-up case (回访) of `origin`'s car for after-sales, audited on both cases.
  Result<CaseSummary> open_follow_up(const CaseSummary& origin, std::string_view why, std::int64_t at_ms) {
    wire::Report report;
    report.set_vin(origin.vin);
    report.set_model(origin.model);
    report.set_software_version(origin.software_version);
    ReportIntake in;
    in.report = &report;
    in.received_ms = at_ms;
    in.classification.type = CaseType::service_complaint;
    in.classification.priority = Priority::medium;
    in.classification.system = VehicleSystem::service;
    in.route.team = "after_sales";
    in.channel = "follow_up";
    auto number = next_case_number(at_ms);
    if (!number) return fail(number.error());
    SlaClock sla;
    sla.start_ms = at_ms;
    sla.first_response_due_ms = at_ms + kFollowUpResponseMs;
    sla.resolution_due_ms = at_ms + SlaTargets{}.resolution_ms;
    sla.progress_every_ms = 0;
    sla.last_contact_ms = at_ms;
    const nlohmann::json triage = {{"follow_up_of", origin.case_number}, {"why", why}};
    auto row = insert_case_row(CaseRow{new_time_ordered_uuid(), *number, origin.vin, in, origin.language, triage.dump(),
                                       sla, "", in.channel, false});
    if (!row) return fail(row.error());
    auto origin_row = case_row(origin.case_number);
    if (!origin_row) return fail(origin_row.error());
    if (auto x = exec_bound("UPDATE cases SET follow_up_of = ?1 WHERE id = ?2", {*origin_row, *row}); !x)
      return fail(x.error());
    if (auto x = event(*row, at_ms, "created", triage.dump()); !x) return fail(x.error());
    if (auto x = event(*origin_row, at_ms, "follow_up", nlohmann::json{{"case", *number}, {"why", why}}.dump()); !x)
      return fail(x.error());
    return existing_case(*number);
  }

  /// The case store as the visit book sees it: the same connection and statement cache.
  class Core final : public detail::CaseStoreCore {
   public:
    explicit Core(SqliteCaseStore& store) : s_(store) {}
    Result<sql::Statement*> cached(std::string_view q) override { return s_.cached(q); }
    std::int64_t utc_offset_ms() const override { return s_.grouping_.utc_offset_ms; }
    Result<CaseSummary> existing_case(std::string_view number) override { return s_.existing_case(number); }
    Result<std::int64_t> case_row(std::string_view number) override { return s_.case_row(number); }
    Result<void> event(std::int64_t row, std::int64_t at_ms, std::string_view kind, std::string_view detail,
                       std::string_view actor) override {
      return s_.event(row, at_ms, kind, detail, actor);
    }
    Result<void> queue_notification(std::int64_t row, const StoredNotification& n, std::string_view kind,
                                    std::int64_t at_ms, std::string_view report_id) override {
      return s_.queue_notification(row, n, kind, at_ms, report_id);
    }
    Result<void> set_case_state(const CaseSummary& c, CaseState to, std::string_view actor, std::string_view reason,
                                std::int64_t at_ms) override {
      TransitionRequest req{c.case_number, to, std::string(actor), std::string(reason), at_ms, {}, {}, {}};
      TransitionOutcome ignored;
      return s_.move_case(c, to, req, nullptr, ignored);
    }
    Result<void> record_response(std::int64_t row, std::int64_t at_ms) override {
      if (auto x = s_.exec_bound("UPDATE cases SET first_response_ms = coalesce(first_response_ms, ?1) WHERE id = ?2",
                                 {at_ms, row});
          !x)
        return x;
      return s_.refresh_sla(row);
    }
    Result<std::int64_t> store_dead_letter(const DeadLetterRecord& d) override { return s_.store_dead_letter(d); }
    Result<CaseSummary> open_follow_up(const CaseSummary& origin, std::string_view why, std::int64_t at_ms) override {
      return s_.open_follow_up(origin, why, at_ms);
    }

   private:
    SqliteCaseStore& s_;
  };

  sql::Database db_;
  static constexpr std::size_t kMaxStatements = 512;  // the store's own texts are about 150
  static constexpr std::size_t kSpilledStatements = 8;
  std::unordered_map<std::string, sql::Statement> statements_;  // destroyed before db_
  std::deque<std::pair<std::string, sql::Statement>> spilled_;  // past kMaxStatements, newest last
  const GroupingPolicy grouping_;
  sql::Statement find_report_, next_number_, insert_case_, insert_report_, insert_event_, insert_notification_,
      insert_dead_letter_, merge_candidates_, seen_dead_letter_;
  DeadLetterPolicy dead_letter_policy_;
  std::int64_t last_dead_letter_count_ = 0;  // the count RETURNING by the last insert_dead_letter_
  Core core_{*this};
  detail::VisitBook visits_{core_};
};

}  // namespace

std::string format_case_number(int year, std::int64_t sequence) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "FB-%04d-%06lld", year, static_cast<long long>(sequence));
  return buf;
}

Result<std::unique_ptr<CaseStore>> open_sqlite_case_store(const std::filesystem::path& path, std::int64_t max_pages,
                                                          GroupingPolicy grouping, DeadLetterPolicy dead_letters,
                                                          const std::shared_ptr<const crypto::KeyRing>& keys) {
  sql::OpenOptions options;
  options.max_page_count = max_pages;
  // Freed space is overwritten with zeros: erased personal data does not linger in free pages,
  // nor what a migration rewrites (contacts' phone numbers, dead letters' payloads).
  options.secure_delete = true;
  auto opened = sql::open_store(path, sql::StoreSchema{"case store", migrations()}, sql::OnCorrupt::refuse, options);
  if (!opened) return fail(opened.error());
  // A 64 MiB page cache (SQLite's default is 2 MiB): each report inserts into a dozen indexes,
  // some keyed by random values, and once they outgrow the cache every insert reads pages back
  // from the OS. backlog_100k_drain drained at 6,749-7,125 reports/s with the default (3 runs) and at
  // 7,267-7,579 with this (4 runs). Pages are taken only as they are used; it is per connection,
  // and fb-backend opens three (the writer, two API readers): up to 192 MiB on a large store.
  if (auto x = opened->db.exec("PRAGMA cache_size=-65536"); !x) return fail(x.error());
  if (auto x = sql::register_sealing(opened->db, keys); !x) return fail(x.error());
  auto store = std::make_unique<SqliteCaseStore>(std::move(opened->db), grouping, dead_letters);
  if (auto r = store->prepare(); !r) return fail(r.error());
  return std::unique_ptr<CaseStore>(std::move(store));
}

}  // namespace fb::backend

namespace fb::backend::detail {

Result<std::unique_ptr<CaseStore>> case_store_over(sql::Database db, GroupingPolicy grouping,
                                                   DeadLetterPolicy dead_letters) {
  auto store = std::make_unique<SqliteCaseStore>(std::move(db), grouping, dead_letters);
  if (auto r = store->prepare(); !r) return fail(r.error());
  return std::unique_ptr<CaseStore>(std::move(store));
}

}  // namespace fb::backend::detail
