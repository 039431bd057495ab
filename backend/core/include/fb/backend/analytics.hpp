// Analytics for the service teams (issue 9): the organisation's figures against its targets
// (24 h response rate >= 95 %, closed-loop rate >= 90 %, satisfaction >= 4.5 of 5) and the
// monthly high-frequency problems report (高频问题). Read-only: it opens its own connection on
// the case store (the SQLite file or the PostgreSQL database) and never writes. Every figure is defined in
// docs/metrics.md.
//
// Cohort rule: every figure is about the cases created (cases.created_ms, the time the first
// report was received) in the period [from_ms, to_ms), major cases (重大问题, a cluster's
// grouping case without a car of its own) and cases merged into another left out; their current
// state decides the figures, `now_ms` decides which deadlines have passed.
//
// Visits and callbacks have their own cohorts: the visits handed over in the period and the
// callbacks requested in it, of cases of the teams asked for (docs/metrics.md).
//
// Threads: one owner at a time (like fb::sql::Database). Another process (the service) may write
// the store meanwhile: each call reads one consistent snapshot (a read transaction).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fb/backend/lifecycle.hpp"
#include "fb/common/crypto.hpp"
#include "fb/common/error.hpp"

namespace fb::backend {

/// The organisation's targets.
inline constexpr double kFirstResponseTarget = 0.95;  // share answered by a person within 24 h
inline constexpr double kClosedLoopTarget = 0.90;     // share of eligible cases resolved
inline constexpr double kCsatTarget = 4.5;            // mean survey score, 1..5
inline constexpr std::int64_t kFirstResponseWindowMs = std::int64_t{24} * 3600 * 1000;

/// Width of a volume bucket: days of the service region's clock (from its midnight), or ISO weeks
/// starting Monday 00:00 there.
enum class Bucket { day, week };

struct DashboardQuery {
  std::int64_t from_ms = 0;        // inclusive, on cases.created_ms
  std::int64_t to_ms = 0;          // exclusive
  std::vector<std::string> teams;  // empty = every team; else cases whose team or collaborators include one
  std::int64_t now_ms = 0;         // deadlines before it have passed
  Bucket bucket = Bucket::day;
};

/// 24 h response rate: a case is answered when a person first moved it (cases.first_response_ms).
struct FirstResponseFigures {
  std::int64_t within_24h = 0;          // answered at most 24 h after the SLA clock started
  std::int64_t answered_late = 0;       // answered later than that
  std::int64_t unanswered_overdue = 0;  // not answered and its 24 h have passed
  std::int64_t pending = 0;             // not answered, 24 h not yet passed: not eligible

  std::int64_t eligible() const { return within_24h + answered_late + unanswered_overdue; }
  /// within_24h / eligible; nullopt when nothing is eligible.
  std::optional<double> rate() const;
  std::optional<bool> met() const;
};

/// Closed-loop rate: a case is eligible once it is resolved or its resolution target has passed.
struct ClosedLoopFigures {
  std::int64_t resolved = 0;      // resolved or closed now (whenever its target)
  std::int64_t overdue_open = 0;  // not resolved and cases.resolution_due_ms <= now
  std::int64_t not_yet_due = 0;   // not resolved, target still ahead: not eligible

  std::int64_t eligible() const { return resolved + overdue_open; }
  /// resolved / eligible; nullopt when nothing is eligible.
  std::optional<double> rate() const;
  std::optional<bool> met() const;
};

/// Customer satisfaction from the survey answers (1..5) of the cohort's cases.
struct CsatFigures {
  std::int64_t answers = 0;
  std::int64_t score_sum = 0;
  std::int64_t satisfied = 0;  // answers of 4 or 5

  /// score_sum / answers; nullopt without answers.
  std::optional<double> mean() const;
  std::optional<double> satisfied_share() const;
  std::optional<bool> met() const;
};

/// Cases that missed their own SLA targets (per priority, routing.conf), answered or not.
struct SlaBreachFigures {
  std::int64_t first_response = 0;  // answered after first_reply_due_ms, or unanswered past it
  std::int64_t resolution = 0;      // resolved after resolution_due_ms, or unresolved past it
  std::int64_t cases = 0;           // cases with either breach
};

/// A repair stage's duration over the visits measured (hours from entering it to entering the
/// next stage; a visit that entered it more than once counts its stays together).
struct StageHours {
  std::string stage;  // checked_in, inspection, diagnosis, repair, quality_check
  std::int64_t visits = 0;
  std::optional<double> mean;    // nullopt without visits
  std::optional<double> median;  // nearest rank: at least half took at most this long
};

/// The survey answers (1..5) about one dealer's visits.
struct DealerSatisfaction {
  std::string dealer_code;
  std::string dealer_name;  // as booked (the latest visit's)
  std::int64_t surveys = 0;
  std::int64_t score_sum = 0;

  double average() const { return surveys ? static_cast<double>(score_sum) / static_cast<double>(surveys) : 0.0; }
};

/// Days after a handover in which another visit for the same car and system is a comeback.
inline constexpr std::int64_t kComebackWindowMs = std::int64_t{30} * 24 * 3600 * 1000;

/// The dealer visits handed over in the period (docs/metrics.md "Service visits").
struct ServiceVisitFigures {
  std::int64_t handed_over = 0;
  std::int64_t first_time_fixes = 0;  // no repeat visit within 30 days, and the 30 days are over
  std::int64_t comebacks = 0;         // a repeat visit was proposed within 30 days
  std::int64_t pending = 0;           // no repeat yet and the 30 days not over: not eligible

  /// The repair order's stages in their order: checked_in, inspection, diagnosis, repair, quality_check.
  std::vector<StageHours> stage_hours;
  std::vector<DealerSatisfaction> dealers;  // by dealer code

  std::int64_t eligible() const { return first_time_fixes + comebacks; }
  /// first_time_fixes / eligible; nullopt when nothing is eligible.
  std::optional<double> first_time_fix_rate() const;
  /// comebacks / eligible; nullopt when nothing is eligible.
  std::optional<double> comeback_rate() const;
};

/// The live callbacks requested in the period (docs/metrics.md "Live callbacks").
struct CallbackFigures {
  std::int64_t requested = 0;
  std::int64_t picked_up = 0;          // picked up (and maybe logged since)
  std::int64_t within_target = 0;      // picked up at most 60 s after the request
  std::int64_t overdue = 0;            // still queued, and the 60 s have passed
  std::int64_t pending = 0;            // still queued, 60 s not yet passed: not eligible
  std::optional<double> pickup_p50_s;  // nearest rank over the picked-up ones; nullopt without any
  std::optional<double> pickup_p90_s;

  std::int64_t eligible() const { return picked_up + overdue; }
  /// within_target / eligible; nullopt when nothing is eligible.
  std::optional<double> within_target_share() const;
};

/// Every callback in the store, for the service's /metrics: pick-up times as a histogram
/// (Prometheus `le` buckets in seconds, not cumulative here) and the queue now.
struct CallbackPickups {
  static constexpr std::array<double, 8> kBoundsS{5, 10, 20, 30, 60, 120, 300, 900};
  std::array<std::int64_t, kBoundsS.size() + 1> buckets{};  // the last: above every bound
  std::int64_t count = 0;
  double sum_s = 0;
  std::int64_t waiting = 0;  // queued, not picked up yet
};

struct VolumePoint {
  std::int64_t bucket_start_ms = 0;
  std::string key;
  std::int64_t count = 0;
};

struct Dashboard {
  DashboardQuery query;
  std::int64_t utc_offset_ms = 0;  // the service region's clock the buckets follow
  std::int64_t cases_created = 0;
  FirstResponseFigures first_response;
  ClosedLoopFigures closed_loop;
  CsatFigures csat;
  SlaBreachFigures sla_breaches;
  std::map<CaseState, std::int64_t> open_by_state;  // every open state, zeros included
  std::int64_t open_cases = 0;
  // Cases created per bucket, sorted by bucket then key; buckets without cases are absent.
  std::vector<VolumePoint> by_type;    // product_fault, usage_experience, ...
  std::vector<VolumePoint> by_system;  // brakes, infotainment, ...
  std::vector<VolumePoint> by_model;   // the car's model ("" for channels that did not say)
  ServiceVisitFigures service_visits;  // visits handed over in the period
  CallbackFigures callbacks;           // callbacks requested in the period
};

struct CountByKey {
  std::string key;
  std::int64_t count = 0;
};

/// One line of a monthly top list: a vehicle system, or a symptom.
struct TopEntry {
  std::string key;         // the system ("brakes"), or the symptom ("brakes/P0571", "brakes/刹车异响", "brakes")
  std::string system;      // the symptom's parts: its system,
  std::string dtc;         //   the case's most frequent DTC (empty without one),
  std::string text;        //   else the short text key of its first report (see symptom_text_key)
  std::int64_t count = 0;  // cases created in the month
  std::int64_t previous_count = 0;              // in the month before
  std::optional<double> growth;                 // (count - previous) / previous; nullopt when previous is 0
  std::vector<CountByKey> by_model;             // this month's cases, most first
  std::vector<CountByKey> by_software_version;  // idem
};

/// The monthly high-frequency problems report (高频问题).
struct MonthlyReport {
  int year = 0;
  int month = 0;                      // 1..12
  std::int64_t utc_offset_ms = 0;     // the service region's clock the month follows
  std::int64_t from_ms = 0;           // first day 00:00 of that clock
  std::int64_t to_ms = 0;             // next month's first day, exclusive
  std::int64_t previous_from_ms = 0;  // the month before starts here (and ends at from_ms)
  std::int64_t now_ms = 0;
  std::int64_t cases = 0;
  std::int64_t previous_cases = 0;
  FirstResponseFigures first_response;
  ClosedLoopFigures closed_loop;
  CsatFigures csat;
  SlaBreachFigures sla_breaches;
  ServiceVisitFigures service_visits;  // visits handed over in the month
  CallbackFigures callbacks;           // callbacks requested in the month
  std::vector<TopEntry> top_systems;   // at most kTopEntries, most cases first (ties by key)
  std::vector<TopEntry> top_symptoms;  // idem
};
inline constexpr std::size_t kTopEntries = 10;

class Analytics {
 public:
  virtual ~Analytics() = default;
  /// The figures of the cases created in [from_ms, to_ms) of the teams asked for.
  /// Errors: ConfigErrc::invalid_value (to_ms <= from_ms), StorageErrc (reading the store).
  virtual Result<Dashboard> dashboard(const DashboardQuery& query) = 0;
  /// The report of a calendar month of the service region's clock, its deadlines judged at `now_ms`.
  /// Errors: ConfigErrc::invalid_value (month outside 1..12, year outside 2000..9999), StorageErrc.
  virtual Result<MonthlyReport> monthly_report(int year, int month, std::int64_t now_ms) = 0;
  /// Pick-up times of every callback picked up so far and the queue's length now.
  /// Errors: StorageErrc. A store older than schema 7 (no callbacks) gives zeros.
  virtual Result<CallbackPickups> callback_pickups() = 0;
};

/// Opens the case store file read-only (it must exist, written by open_sqlite_case_store at
/// schema version 5 or later; visits and callbacks need 7, an older store shows none). Errors: StorageErrc::open_failed
/// (missing file, older schema), corrupt. `keys` open the reports' sealed text (fb/common/sealed_sql.hpp);
/// without them a store with sealed text fails the cluster queries. `utc_offset_ms`: the service
/// region's clock (GroupingPolicy::utc_offset_ms), whose days, weeks and months the figures count.
Result<std::unique_ptr<Analytics>> open_sqlite_analytics(const std::filesystem::path& path,
                                                         const std::shared_ptr<const crypto::KeyRing>& keys = {},
                                                         std::int64_t utc_offset_ms = kChinaStandardTimeOffsetMs);

/// The same figures from the PostgreSQL case store at `conninfo` (BackendConfig::postgres), on a
/// connection of its own: each call reads one snapshot (a REPEATABLE READ, READ ONLY
/// transaction) while the service writes. Errors: StorageErrc::open_failed (no server, or no case
/// store in that database yet: fb-backend creates it at its first start). With `keys` the
/// reports' text is opened on the server as the store sealed it (open_postgres_case_store).
Result<std::unique_ptr<Analytics>> open_postgres_analytics(const std::string& conninfo,
                                                           const std::shared_ptr<const crypto::KeyRing>& keys = {},
                                                           std::int64_t utc_offset_ms = kChinaStandardTimeOffsetMs);

/// "2026-11" -> {2026, 11}. Errors: ConfigErrc::invalid_value naming what is wrong.
Result<std::pair<int, int>> parse_month(std::string_view text);

/// A short readable key of a report's text, for symptoms without a DTC: its first 6 CJK
/// ideographs, else its first 3 Latin words of 3+ letters (lowercased, common English words
/// left out), joined by spaces; empty when neither exists. Pure.
std::string symptom_text_key(std::string_view text);

/// The JSON the API returns (field names in docs/metrics.md). Rates and means without
/// eligible cases are null, never NaN.
nlohmann::json to_json(const Dashboard& d);
nlohmann::json to_json(const MonthlyReport& r);

/// A self-contained HTML page (inline CSS and SVG bar charts, no scripts, fonts or links
/// outside it), labels in "zh" or "en" (anything else: en).
std::string render_monthly_html(const MonthlyReport& r, std::string_view lang);
/// RFC 4180 CSV (CRLF line ends, fields quoted when needed), one table: section, key, dimension,
/// count, previous_count, growth, value (see docs/metrics.md).
std::string render_monthly_csv(const MonthlyReport& r);

}  // namespace fb::backend
