#include "fb/backend/analytics.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "case_store_sql.hpp"
#include "fb/backend/visits.hpp"
#include "fb/common/postgres.hpp"
#include "fb/common/sealed_sql.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::backend {

std::optional<double> FirstResponseFigures::rate() const {
  if (eligible() == 0) return std::nullopt;
  return static_cast<double>(within_24h) / static_cast<double>(eligible());
}
std::optional<bool> FirstResponseFigures::met() const {
  if (auto r = rate()) return *r >= kFirstResponseTarget;
  return std::nullopt;
}
std::optional<double> ClosedLoopFigures::rate() const {
  if (eligible() == 0) return std::nullopt;
  return static_cast<double>(resolved) / static_cast<double>(eligible());
}
std::optional<bool> ClosedLoopFigures::met() const {
  if (auto r = rate()) return *r >= kClosedLoopTarget;
  return std::nullopt;
}
std::optional<double> CsatFigures::mean() const {
  if (answers == 0) return std::nullopt;
  return static_cast<double>(score_sum) / static_cast<double>(answers);
}
std::optional<double> CsatFigures::satisfied_share() const {
  if (answers == 0) return std::nullopt;
  return static_cast<double>(satisfied) / static_cast<double>(answers);
}
std::optional<bool> CsatFigures::met() const {
  if (auto m = mean()) return *m >= kCsatTarget;
  return std::nullopt;
}
std::optional<double> ServiceVisitFigures::first_time_fix_rate() const {
  if (eligible() == 0) return std::nullopt;
  return static_cast<double>(first_time_fixes) / static_cast<double>(eligible());
}
std::optional<double> ServiceVisitFigures::comeback_rate() const {
  if (eligible() == 0) return std::nullopt;
  return static_cast<double>(comebacks) / static_cast<double>(eligible());
}
std::optional<double> CallbackFigures::within_target_share() const {
  if (eligible() == 0) return std::nullopt;
  return static_cast<double>(within_target) / static_cast<double>(eligible());
}

namespace {

constexpr std::int64_t kDayMs = std::int64_t{24} * 3600 * 1000;
constexpr int kSchemaVersion = 5;        // the lifecycle columns and the surveys table
constexpr int kVisitsSchemaVersion = 7;  // visits, visit_stages and callbacks
constexpr int kPgSchemaVersion = 2;      // PostgreSQL's migrations: 1 the tables, 2 fb_open()
// One survey answer counted per closing (detail::kSurveyClosingColumns); before, every answer.
constexpr int kSurveyClosingsSchemaVersion = 13;
constexpr int kPgSurveyClosingsVersion = 6;
constexpr double kMsPerHour = 3600.0 * 1000.0;
constexpr std::array<std::string_view, 5> kRepairStages{"checked_in", "inspection", "diagnosis", "repair",
                                                        "quality_check"};
constexpr std::int64_t kMmapBytes = std::int64_t{1} << 30;

/// One case as the figures need it.
struct CaseRow {
  std::int64_t id = 0;
  std::string type, system, model, software_version, team, collaborators;
  CaseState state = CaseState::new_;
  std::int64_t created_ms = 0;
  std::int64_t sla_start_ms = 0;
  std::int64_t first_reply_due_ms = 0;
  std::optional<std::int64_t> first_response_ms;
  std::int64_t resolution_due_ms = 0;
  std::optional<std::int64_t> resolved_ms;
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/// The start of the bucket holding `ms`, in days and weeks of the clock `utc_offset_ms` ahead of UTC.
std::int64_t bucket_start(std::int64_t ms, Bucket b, std::int64_t utc_offset_ms) {
  const auto day = floor_div(ms + utc_offset_ms, kDayMs);
  if (b == Bucket::day) return day * kDayMs - utc_offset_ms;
  // 1970-01-01 was a Thursday: day + 3 counts from the Monday before it.
  return (day - (day + 3 - floor_div(day + 3, 7) * 7)) * kDayMs - utc_offset_ms;
}

bool in_teams(std::string_view team, std::string_view collaborators, const std::vector<std::string>& teams) {
  if (teams.empty()) return true;
  const auto wanted = [&](std::string_view t) { return std::find(teams.begin(), teams.end(), t) != teams.end(); };
  if (wanted(team)) return true;
  std::string_view rest = collaborators;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (wanted(rest.substr(0, comma))) return true;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return false;
}
bool in_teams(const CaseRow& c, const std::vector<std::string>& teams) {
  return in_teams(c.team, c.collaborators, teams);
}

/// The nearest-rank percentile (0 < q <= 1) of sorted values: the smallest value that at least
/// q of them do not exceed.
double nearest_rank(const std::vector<double>& sorted, double q) {
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

/// A visit's time per repair stage from its stage rows in order: each row enters its stage (a
/// failed quality check enters repair again) and the next row leaves it.
class StageClock {
 public:
  void add(std::string_view stage, std::int64_t at_ms, std::string_view detail) {
    if (current_) spent_[*current_] += at_ms - entered_;
    current_ = stage == "quality_check" && failed(detail) ? std::string("repair") : std::string(stage);
    entered_ = at_ms;
  }
  const std::map<std::string, std::int64_t>& spent() const { return spent_; }

 private:
  static bool failed(std::string_view detail) {
    const auto j = nlohmann::json::parse(detail, nullptr, false);
    return j.is_object() && j.contains("passed") && j["passed"].is_boolean() && !j["passed"].get<bool>();
  }
  std::optional<std::string> current_;
  std::int64_t entered_ = 0;
  std::map<std::string, std::int64_t> spent_;
};

/// Adds one case to the response, closure and SLA figures.
void count_case(const CaseRow& c, std::int64_t now_ms, FirstResponseFigures& fr, ClosedLoopFigures& cl,
                SlaBreachFigures& sla) {
  // Reopening restarts cases.sla_start_ms; the store keeps no older start, so a reopened case
  // (its start after its creation) measures its first response from its creation.
  const auto start = c.sla_start_ms <= c.created_ms ? c.sla_start_ms : c.created_ms;
  if (c.first_response_ms) {
    ++(*c.first_response_ms - start <= kFirstResponseWindowMs ? fr.within_24h : fr.answered_late);
  } else {
    ++(start + kFirstResponseWindowMs < now_ms ? fr.unanswered_overdue : fr.pending);
  }
  const bool resolved = c.resolved_ms || c.state == CaseState::resolved || c.state == CaseState::closed;
  if (resolved) ++cl.resolved;
  else ++(c.resolution_due_ms < now_ms ? cl.overdue_open : cl.not_yet_due);

  const bool response_breach = c.first_response_ms ? *c.first_response_ms > c.first_reply_due_ms
                                                   : c.first_reply_due_ms < now_ms;
  const bool resolution_breach = resolved ? c.resolved_ms && *c.resolved_ms > c.resolution_due_ms
                                          : c.resolution_due_ms < now_ms;
  sla.first_response += response_breach;
  sla.resolution += resolution_breach;
  sla.cases += response_breach || resolution_breach;
}

std::vector<CountByKey> sorted_counts(const std::unordered_map<std::string, std::int64_t>& counts) {
  std::vector<CountByKey> out;
  out.reserve(counts.size());
  for (const auto& [k, n] : counts) out.push_back({k, n});
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.count != b.count ? a.count > b.count : a.key < b.key; });
  return out;
}

/// Accumulates one top list (systems or symptoms) over the month and the month before.
class TopList {
 public:
  void add(const std::string& key, const CaseRow& c, bool this_month) {
    auto& e = entries_[key];
    if (!this_month) {
      ++e.previous;
      return;
    }
    ++e.count;
    ++e.by_model[c.model];
    ++e.by_software_version[c.software_version];
  }
  /// The `limit` keys with most cases this month (ties by key); `fill` sets a symptom's parts.
  template <typename Fill>
  std::vector<TopEntry> top(std::size_t limit, Fill&& fill) const {
    std::vector<TopEntry> out;
    for (const auto& [key, e] : entries_) {
      if (e.count == 0) continue;
      TopEntry t;
      t.key = key;
      fill(t);
      t.count = e.count;
      t.previous_count = e.previous;
      if (e.previous > 0) t.growth = static_cast<double>(e.count - e.previous) / static_cast<double>(e.previous);
      t.by_model = sorted_counts(e.by_model);
      t.by_software_version = sorted_counts(e.by_software_version);
      out.push_back(std::move(t));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.count != b.count ? a.count > b.count : a.key < b.key; });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

 private:
  struct Entry {
    std::int64_t count = 0, previous = 0;
    std::unordered_map<std::string, std::int64_t> by_model, by_software_version;
  };
  std::unordered_map<std::string, Entry> entries_;
};

/// The parts of a case's symptom, from its reports in the order they came.
struct SymptomParts {
  std::vector<std::pair<std::string, int>> dtcs;  // in first-seen order, with counts
  std::string text;                               // the first non-empty text key

  void add_report(std::string_view dtc_list, std::string_view report_text) {
    while (!dtc_list.empty()) {
      const auto comma = dtc_list.find(',');
      const auto dtc = dtc_list.substr(0, comma);
      if (!dtc.empty()) {
        auto it = std::find_if(dtcs.begin(), dtcs.end(), [&](const auto& d) { return d.first == dtc; });
        if (it == dtcs.end()) dtcs.emplace_back(std::string(dtc), 1);
        else ++it->second;
      }
      dtc_list = comma == std::string_view::npos ? std::string_view{} : dtc_list.substr(comma + 1);
    }
    if (text.empty()) text = symptom_text_key(report_text);
  }
  /// The most frequent DTC, the first seen among equals.
  std::string dtc() const {
    const std::pair<std::string, int>* best = nullptr;
    for (const auto& d : dtcs)
      if (!best || d.second > best->second) best = &d;
    return best ? best->first : std::string();
  }
};

std::string symptom_key(const std::string& system, const std::string& dtc, const std::string& text) {
  if (!dtc.empty()) return system + "/" + dtc;
  if (!text.empty()) return system + "/" + text;
  return system;
}

/// Over either store: the SQL is SQLite's, which the PostgreSQL driver translates.
class SqlAnalytics final : public Analytics {
 public:
  SqlAnalytics(sql::Database db, bool has_visits, bool counts_closings, std::int64_t utc_offset_ms)
      : db_(std::move(db)),
        has_visits_(has_visits),
        counts_closings_(counts_closings),
        utc_offset_ms_(utc_offset_ms) {}

  Result<Dashboard> dashboard(const DashboardQuery& q) override {
    if (q.to_ms <= q.from_ms) {
      return fail(ConfigErrc::invalid_value, "dashboard period: to_ms " + std::to_string(q.to_ms) +
                                                 " must be after from_ms " + std::to_string(q.from_ms));
    }
    ReadTransaction tx(db_);
    if (auto x = tx.begin(); !x) return fail(x.error());
    auto rows = cases(q.from_ms, q.to_ms, q.teams);
    if (!rows) return fail(rows.error());
    Dashboard d;
    d.query = q;
    d.utc_offset_ms = utc_offset_ms_;
    for (const auto& s : vocabulary<CaseState>())
      if (is_open(s.value)) d.open_by_state[s.value] = 0;
    std::map<std::pair<std::int64_t, std::string>, std::int64_t> by_type, by_system, by_model;
    for (const auto& c : *rows) {
      ++d.cases_created;
      count_case(c, q.now_ms, d.first_response, d.closed_loop, d.sla_breaches);
      if (is_open(c.state)) {
        ++d.open_by_state[c.state];
        ++d.open_cases;
      }
      const auto bucket = bucket_start(c.created_ms, q.bucket, utc_offset_ms_);
      ++by_type[{bucket, c.type}];
      ++by_system[{bucket, c.system}];
      ++by_model[{bucket, c.model}];
    }
    const auto points = [](const auto& counts) {
      std::vector<VolumePoint> out;
      out.reserve(counts.size());
      for (const auto& [k, n] : counts) out.push_back({k.first, k.second, n});
      return out;
    };
    d.by_type = points(by_type);
    d.by_system = points(by_system);
    d.by_model = points(by_model);
    auto csat = surveys(q.from_ms, q.to_ms, *rows);
    if (!csat) return fail(csat.error());
    d.csat = *csat;
    auto visits = service_visits(q.from_ms, q.to_ms, q.now_ms, q.teams);
    if (!visits) return fail(visits.error());
    d.service_visits = std::move(*visits);
    auto calls = callbacks(q.from_ms, q.to_ms, q.now_ms, q.teams);
    if (!calls) return fail(calls.error());
    d.callbacks = *calls;
    return d;
  }

  Result<MonthlyReport> monthly_report(int year, int month, std::int64_t now_ms) override {
    using namespace std::chrono;
    if (month < 1 || month > 12 || year < 2000 || year > 9999) {
      return fail(ConfigErrc::invalid_value, "month " + std::to_string(year) + "-" + std::to_string(month) +
                                                 ": need a year 2000..9999 and a month 1..12");
    }
    const auto first = year_month{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)}};
    const auto ms = [this](year_month ym) {
      return duration_cast<milliseconds>(sys_days{ym / 1}.time_since_epoch()).count() - utc_offset_ms_;
    };
    MonthlyReport r;
    r.utc_offset_ms = utc_offset_ms_;
    r.year = year;
    r.month = month;
    r.from_ms = ms(first);
    r.to_ms = ms(first + months{1});
    r.previous_from_ms = ms(first - months{1});
    r.now_ms = now_ms;

    ReadTransaction tx(db_);
    if (auto x = tx.begin(); !x) return fail(x.error());
    auto rows = cases(r.previous_from_ms, r.to_ms, {});
    if (!rows) return fail(rows.error());
    auto symptoms = symptom_parts(r.previous_from_ms, r.to_ms);
    if (!symptoms) return fail(symptoms.error());
    std::vector<CaseRow> this_month;
    TopList systems, symptom_list;
    std::unordered_map<std::string, TopEntry> symptom_of;  // key -> its system, DTC and text
    for (const auto& c : *rows) {
      const bool current = c.created_ms >= r.from_ms;
      ++(current ? r.cases : r.previous_cases);
      if (current) {
        count_case(c, now_ms, r.first_response, r.closed_loop, r.sla_breaches);
        this_month.push_back(c);
      }
      systems.add(c.system, c, current);
      const auto it = symptoms->find(c.id);
      const SymptomParts none;
      const auto& parts = it == symptoms->end() ? none : it->second;
      const auto dtc = parts.dtc();
      const auto text = dtc.empty() ? parts.text : std::string();
      const auto key = symptom_key(c.system, dtc, text);
      symptom_list.add(key, c, current);
      if (!symptom_of.contains(key)) symptom_of[key] = TopEntry{.system = c.system, .dtc = dtc, .text = text};
    }
    r.top_systems = systems.top(kTopEntries, [](TopEntry& t) { t.system = t.key; });
    r.top_symptoms = symptom_list.top(kTopEntries, [&](TopEntry& t) {
      const auto& parts = symptom_of.at(t.key);
      t.system = parts.system;
      t.dtc = parts.dtc;
      t.text = parts.text;
    });
    auto csat = surveys(r.from_ms, r.to_ms, this_month);
    if (!csat) return fail(csat.error());
    r.csat = *csat;
    auto visits = service_visits(r.from_ms, r.to_ms, now_ms, {});
    if (!visits) return fail(visits.error());
    r.service_visits = std::move(*visits);
    auto calls = callbacks(r.from_ms, r.to_ms, now_ms, {});
    if (!calls) return fail(calls.error());
    r.callbacks = *calls;
    return r;
  }

  Result<CallbackPickups> callback_pickups() override {
    CallbackPickups p;
    if (!has_visits_) return p;
    ReadTransaction tx(db_);
    if (auto x = tx.begin(); !x) return fail(x.error());
    auto st = statement(pickups_,
                        "SELECT max(picked_ms - requested_ms, 0) FROM callbacks WHERE picked_ms > 0 UNION ALL "
                        "SELECT -1 FROM callbacks WHERE state = 'queued'");
    if (!st) return fail(st.error());
    (*st)->reset();  // a failed read leaves it mid-way
    auto done = (*st)->each_row([&](const sql::Statement& s) {
      const auto ms = s.int64(0);
      if (ms < 0) {
        ++p.waiting;
        return;
      }
      const auto seconds = static_cast<double>(ms) / 1000.0;
      std::size_t i = 0;
      while (i < CallbackPickups::kBoundsS.size() && seconds > CallbackPickups::kBoundsS[i]) ++i;
      ++p.buckets[i];
      ++p.count;
      p.sum_s += seconds;
    });
    if (!done) return fail(done.error());
    return p;
  }

 private:
  /// BEGIN ... COMMIT around one call's reads, so that they see one snapshot of the store.
  class ReadTransaction {
   public:
    explicit ReadTransaction(sql::Database& db) : db_(db) {}
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;
    ~ReadTransaction() {
      if (open_) (void)db_.exec("COMMIT");
    }
    Result<void> begin() {
      // PostgreSQL's default (READ COMMITTED) would give each statement a snapshot of its own.
      const char* begin = db_.dialect() == sql::Dialect::postgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                                                                  : "BEGIN";
      if (auto x = db_.exec(begin); !x) return x;
      open_ = true;
      return {};
    }

   private:
    sql::Database& db_;
    bool open_ = false;
  };

  Result<sql::Statement*> statement(std::unique_ptr<sql::Statement>& slot, std::string_view text) {
    if (!slot) {
      auto st = db_.prepare(text);
      if (!st) return fail(st.error());
      slot = std::make_unique<sql::Statement>(std::move(*st));
    }
    return slot.get();
  }

  /// The cases created in [from, to) of the teams asked for; not major cases, nor a case a person
  /// merged into another (closed, its reports moved: the other case counts them). A closed case
  /// without reports of its own still counts when it was not merged away: a survey's follow-up.
  Result<std::vector<CaseRow>> cases(std::int64_t from, std::int64_t to, const std::vector<std::string>& teams) {
    auto st = statement(
        cases_,
        "SELECT id, type, system, model, software_version, team, collaborators, status, created_ms, sla_start_ms, "
        "first_reply_due_ms, first_response_ms, resolution_due_ms, resolved_ms FROM cases c "
        "WHERE created_ms >= ?1 AND created_ms < ?2 AND major = 0 "
        "AND (status != 'closed' OR EXISTS (SELECT 1 FROM reports r WHERE r.case_id = c.id) OR NOT EXISTS (SELECT 1 "
        "FROM case_events e WHERE e.case_id = c.id AND e.kind = 'merged_into'))");
    if (!st) return fail(st.error());
    (*st)->reset();  // a failed read leaves it mid-way
    (*st)->bind(1, from).bind(2, to);
    std::vector<CaseRow> out;
    std::optional<Error> bad;
    auto rows = (*st)->each_row([&](const sql::Statement& s) {
      CaseRow c;
      c.id = s.int64(0);
      c.type = s.text(1);
      c.system = s.text(2);
      c.model = s.text(3);
      c.software_version = s.text(4);
      c.team = s.text(5);
      c.collaborators = s.text(6);
      if (!in_teams(c, teams)) return;
      const auto status = s.text(7);
      if (auto state = parse<CaseState>(status)) c.state = *state;
      else if (!bad) bad = Error(StorageErrc::corrupt, "cases.status: unknown case state '" + status + "'");
      c.created_ms = s.int64(8);
      c.sla_start_ms = s.int64(9);
      c.first_reply_due_ms = s.int64(10);
      if (!s.is_null(11)) c.first_response_ms = s.int64(11);
      c.resolution_due_ms = s.int64(12);
      if (!s.is_null(13)) c.resolved_ms = s.int64(13);
      out.push_back(std::move(c));
    });
    if (!rows) return fail(rows.error());
    if (bad) return fail(*bad);
    return out;
  }

  /// The survey answers of `rows` (all created in [from, to)).
  Result<CsatFigures> surveys(std::int64_t from, std::int64_t to, const std::vector<CaseRow>& rows) {
    std::unordered_set<std::int64_t> ids;
    ids.reserve(rows.size());
    for (const auto& c : rows) ids.insert(c.id);
    auto st = statement(surveys_, std::string("SELECT s.case_id, s.score FROM surveys s JOIN cases c ON c.id = "
                                              "s.case_id WHERE c.created_ms >= ?1 AND c.created_ms < ?2 AND "
                                              "c.major = 0") +
                                      (counts_closings_ ? " AND s.counted = 1" : ""));
    if (!st) return fail(st.error());
    (*st)->reset();  // a failed read leaves it mid-way
    (*st)->bind(1, from).bind(2, to);
    CsatFigures f;
    auto done = (*st)->each_row([&](const sql::Statement& s) {
      if (!ids.contains(s.int64(0))) return;
      const auto score = s.int64(1);
      ++f.answers;
      f.score_sum += score;
      f.satisfied += score >= 4;
    });
    if (!done) return fail(done.error());
    return f;
  }

  /// Each case's DTCs and text key over its reports, for the cases created in [from, to).
  Result<std::unordered_map<std::int64_t, SymptomParts>> symptom_parts(std::int64_t from, std::int64_t to) {
    auto st = statement(reports_,
                        "SELECT r.case_id, r.dtcs, fb_open(r.text, 'reports.text:' || r.report_id) FROM cases c "
                        "JOIN reports r ON r.case_id = c.id "
                        "WHERE c.created_ms >= ?1 AND c.created_ms < ?2 AND c.major = 0 ORDER BY r.case_id, r.rowid");
    if (!st) return fail(st.error());
    (*st)->reset();  // a failed read leaves it mid-way
    (*st)->bind(1, from).bind(2, to);
    std::unordered_map<std::int64_t, SymptomParts> out;
    auto done = (*st)->each_row([&](const sql::Statement& s) { out[s.int64(0)].add_report(s.text(1), s.text(2)); });
    if (!done) return fail(done.error());
    return out;
  }

  /// The visits handed over in [from, to) on cases of the teams: their stage times, whether the
  /// same car came back for the same system within 30 days, and their surveys per dealer.
  Result<ServiceVisitFigures> service_visits(std::int64_t from, std::int64_t to, std::int64_t now,
                                             const std::vector<std::string>& teams) {
    ServiceVisitFigures f;
    for (const auto stage : kRepairStages) f.stage_hours.push_back(StageHours{.stage = std::string(stage)});
    if (!has_visits_) return f;
    struct Handover {
      std::string vin, system;
      std::int64_t at_ms = 0;
    };
    std::map<std::string, Handover> handed;  // by visit id
    std::map<std::string, DealerSatisfaction> dealers;
    auto st = statement(handovers_,
                        "SELECT v.id, v.dealer_code, v.booked, v.survey_score, c.vin, c.system, c.team, "
                        "c.collaborators, s.at_ms FROM visit_stages s JOIN visits v ON v.id = s.visit_id "
                        "JOIN cases c ON c.id = v.case_id "
                        "WHERE s.stage = 'handed_over' AND s.at_ms >= ?1 AND s.at_ms < ?2 ORDER BY s.at_ms, s.id");
    if (!st) return fail(st.error());
    (*st)->reset();  // a failed read leaves it mid-way
    (*st)->bind(1, from).bind(2, to);
    auto done = (*st)->each_row([&](const sql::Statement& s) {
      if (!in_teams(s.text(6), s.text(7), teams)) return;
      handed[s.text(0)] = Handover{s.text(4), s.text(5), s.int64(8)};
      if (s.is_null(3)) return;
      auto& d = dealers[s.text(1)];
      d.dealer_code = s.text(1);
      const auto booked = nlohmann::json::parse(s.is_null(2) ? std::string() : s.text(2), nullptr, false);
      if (booked.is_object() && booked.contains("dealer_name") && booked["dealer_name"].is_string())
        d.dealer_name = booked["dealer_name"].get<std::string>();
      ++d.surveys;
      d.score_sum += s.int64(3);
    });
    if (!done) return fail(done.error());
    f.handed_over = static_cast<std::int64_t>(handed.size());
    for (auto& [code, d] : dealers) f.dealers.push_back(std::move(d));

    auto stages = statement(stages_,
                            "SELECT visit_id, stage, at_ms, detail FROM visit_stages WHERE visit_id IN "
                            "(SELECT visit_id FROM visit_stages WHERE stage = 'handed_over' AND at_ms >= ?1 "
                            "AND at_ms < ?2) ORDER BY visit_id, id");
    if (!stages) return fail(stages.error());
    (*stages)->reset();
    (*stages)->bind(1, from).bind(2, to);
    std::map<std::string, StageClock> clocks;
    done = (*stages)->each_row([&](const sql::Statement& s) {
      auto id = s.text(0);
      if (handed.contains(id)) clocks[std::move(id)].add(s.text(1), s.int64(2), s.text(3));
    });
    if (!done) return fail(done.error());
    std::map<std::string, std::vector<double>> hours;
    for (const auto& [id, clock] : clocks) {
      for (const auto stage : kRepairStages) {
        const auto it = clock.spent().find(std::string(stage));
        if (it != clock.spent().end())
          hours[std::string(stage)].push_back(static_cast<double>(it->second) / kMsPerHour);
      }
    }
    for (auto& h : f.stage_hours) {
      auto& values = hours[h.stage];
      if (values.empty()) continue;
      std::sort(values.begin(), values.end());
      h.visits = static_cast<std::int64_t>(values.size());
      double sum = 0;
      for (const auto v : values) sum += v;
      h.mean = sum / static_cast<double>(values.size());
      h.median = nearest_rank(values, 0.5);
    }

    auto repeat = statement(repeats_,
                            "SELECT 1 FROM visits v JOIN cases c ON c.id = v.case_id WHERE c.vin = ?1 AND "
                            "c.system = ?2 AND v.id != ?3 AND v.created_ms > ?4 AND v.created_ms <= ?5 LIMIT 1");
    if (!repeat) return fail(repeat.error());
    for (const auto& [id, h] : handed) {
      (*repeat)->reset();
      (*repeat)->bind(1, h.vin).bind(2, h.system).bind(3, id).bind(4, h.at_ms).bind(5, h.at_ms + kComebackWindowMs);
      auto row = (*repeat)->step();
      if (!row) return fail(row.error());
      if (*row) ++f.comebacks;
      else ++(h.at_ms + kComebackWindowMs < now ? f.first_time_fixes : f.pending);
    }
    (*repeat)->reset();
    return f;
  }

  /// The callbacks requested in [from, to) on cases of the teams.
  Result<CallbackFigures> callbacks(std::int64_t from, std::int64_t to, std::int64_t now,
                                    const std::vector<std::string>& teams) {
    CallbackFigures f;
    if (!has_visits_) return f;
    auto st = statement(callbacks_,
                        "SELECT cb.state, cb.requested_ms, cb.picked_ms, c.team, c.collaborators FROM callbacks cb "
                        "JOIN cases c ON c.id = cb.case_id WHERE cb.requested_ms >= ?1 AND cb.requested_ms < ?2");
    if (!st) return fail(st.error());
    (*st)->reset();  // a failed read leaves it mid-way
    (*st)->bind(1, from).bind(2, to);
    std::vector<double> seconds;
    auto done = (*st)->each_row([&](const sql::Statement& s) {
      if (!in_teams(s.text(3), s.text(4), teams)) return;
      ++f.requested;
      const auto requested = s.int64(1), picked = s.int64(2);
      if (picked > 0) {
        ++f.picked_up;
        const auto waited = std::max<std::int64_t>(picked - requested, 0);
        f.within_target += waited <= kCallbackTargetMs;
        seconds.push_back(static_cast<double>(waited) / 1000.0);
      } else if (s.text(0) == "queued") {
        ++(requested + kCallbackTargetMs < now ? f.overdue : f.pending);
      }
    });
    if (!done) return fail(done.error());
    if (!seconds.empty()) {
      std::sort(seconds.begin(), seconds.end());
      f.pickup_p50_s = nearest_rank(seconds, 0.5);
      f.pickup_p90_s = nearest_rank(seconds, 0.9);
    }
    return f;
  }

  sql::Database db_;
  bool has_visits_ = false;
  bool counts_closings_ = false;    // surveys.counted exists (kSurveyClosingsSchemaVersion)
  std::int64_t utc_offset_ms_ = 0;  // the service region's clock: buckets and months
  std::unique_ptr<sql::Statement> cases_, surveys_, reports_, handovers_, stages_, repeats_, callbacks_, pickups_;
};

}  // namespace

Result<std::unique_ptr<Analytics>> open_sqlite_analytics(const std::filesystem::path& path,
                                                         const std::shared_ptr<const crypto::KeyRing>& keys,
                                                         std::int64_t utc_offset_ms) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail(StorageErrc::open_failed, "case store " + path.string() + " does not exist");
  }
  sql::OpenOptions options;
  options.create = false;
  options.read_only = true;
  options.durable = false;
  auto db = sql::Database::open(path, options);
  if (!db) return fail(db.error());
  if (auto x = sql::register_sealing(*db, keys); !x) return fail(x.error());
  // A scan reads most of the cases table: mapping the file spares copying each page out of the
  // OS cache on every call (measured: docs/metrics.md).
  if (auto x = db->query_int("PRAGMA mmap_size=" + std::to_string(kMmapBytes)); !x) return fail(x.error());
  auto version = db->query_int("PRAGMA user_version");
  if (!version) return fail(version.error());
  if (version->value_or(0) < kSchemaVersion) {
    return fail(StorageErrc::open_failed, "case store " + path.string() + " is at schema version " +
                                              std::to_string(version->value_or(0)) + ", analytics needs " +
                                              std::to_string(kSchemaVersion) + " (open it with fb-backend once)");
  }
  return std::unique_ptr<Analytics>(
      std::make_unique<SqlAnalytics>(std::move(*db), version->value_or(0) >= kVisitsSchemaVersion,
                                     version->value_or(0) >= kSurveyClosingsSchemaVersion, utc_offset_ms));
}

Result<std::unique_ptr<Analytics>> open_postgres_analytics(const std::string& conninfo,
                                                           const std::shared_ptr<const crypto::KeyRing>& keys,
                                                           std::int64_t utc_offset_ms) {
  auto options = detail::pg_store_options(keys.get());
  if (!options) return fail(options.error());
  auto db = sql::open_postgres(conninfo, std::move(*options));
  if (!db) return fail(db.error());
  // The case store's own schema record (sql::open_postgres_store): migration 1 made the visits
  // and callbacks, migration 2 the fb_open() the reports' text is read through.
  auto has_schema = db->query_int("SELECT CASE WHEN to_regclass('fb_schema') IS NULL THEN 0 ELSE 1 END");
  if (!has_schema) return fail(has_schema.error());
  Result<std::optional<std::int64_t>> version = std::optional<std::int64_t>{};
  if (has_schema->value_or(0) == 1) {
    version = db->query_int("SELECT version FROM fb_schema WHERE name = 'case store'");
    if (!version) return fail(version.error());
  }
  // With keys, the functions that open on the server (detail::kPgSealingVersion).
  const std::int64_t needed = keys ? detail::kPgSealingVersion : kPgSchemaVersion;
  if (version->value_or(0) < needed) {
    return fail(StorageErrc::open_failed, "the case store in this PostgreSQL database is at version " +
                                              std::to_string(version->value_or(0)) + ", analytics needs " +
                                              std::to_string(needed) +
                                              " (fb-backend creates or upgrades it when it starts)");
  }
  if (keys) {
    if (auto r = detail::enable_pg_sealing(*db, keys->current_id(), detail::PgSealingRole::reader); !r) {
      return fail(r.error());
    }
  }
  return std::unique_ptr<Analytics>(std::make_unique<SqlAnalytics>(std::move(*db), true,
                                                                   version->value_or(0) >= kPgSurveyClosingsVersion,
                                                                   utc_offset_ms));
}

Result<std::pair<int, int>> parse_month(std::string_view text) {
  const auto bad = [&] {
    return fail(ConfigErrc::invalid_value, "month '" + std::string(text) + "': expected YYYY-MM, e.g. 2026-11");
  };
  if (text.size() != 7 || text[4] != '-') return bad();
  int year = 0, month = 0;
  const auto number = [](std::string_view s, int& v) {
    if (!std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) return false;
    return std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc{};
  };
  if (!number(text.substr(0, 4), year) || !number(text.substr(5, 2), month)) return bad();
  if (month < 1 || month > 12) {
    return fail(ConfigErrc::invalid_value, "month '" + std::string(text) + "': the month must be 01..12");
  }
  return std::pair{year, month};
}

std::string symptom_text_key(std::string_view text) {
  static const std::unordered_set<std::string_view> kCommon = {"the",  "and",   "when",  "with",  "from", "that",
                                                               "this", "there", "after", "while", "have", "has",
                                                               "was",  "were",  "for",   "not",   "but",  "very",
                                                               "are",  "its",   "our",   "your",  "car",  "some"};
  std::string ideographs;
  int ideograph_count = 0;
  std::vector<std::string> words;
  std::string word;
  const auto end_word = [&] {
    if (word.size() >= 3 && !kCommon.contains(word) && words.size() < 3) words.push_back(word);
    word.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
    if (i + len > text.size()) break;
    if (len == 1) {
      const char ch = static_cast<char>(b);
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
        word += static_cast<char>(ch | 0x20);
      } else {
        end_word();
      }
    } else {
      end_word();
      if (len == 3) {
        const std::uint32_t cp = ((b & 0x0Fu) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 6) |
                                 (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
        const bool cjk = (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
        if (cjk && ideograph_count < 6) {
          ideographs.append(text.substr(i, 3));
          ++ideograph_count;
        }
      }
    }
    i += len;
  }
  end_word();
  if (!ideographs.empty()) return ideographs;
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace fb::backend
