// Telematics auto-reports against the fake clock, on the test thread: the rules file and its
// errors, debounce and throttle over scripted and simulated signals, and the links between
// auto-reports and the driver's reports.
#include "fb/agent/telematics.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <optional>
#include <set>

#include "fake_clock.hpp"
#include "fb/agent/errors.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace fb::agent {
namespace {

using namespace std::chrono_literals;

// A SignalSource the test plays by hand on the executor's thread (the test thread runs it).
class ScriptedSource final : public SignalSource {
 public:
  explicit ScriptedSource(const Clock& clock) : clock_(clock) {}
  void start(SampleHandler on_sample, DtcHandler on_dtc) override {
    on_sample_ = std::move(on_sample);
    on_dtc_ = std::move(on_dtc);
  }
  void stop() override {
    on_sample_ = {};
    on_dtc_ = {};
  }
  std::vector<std::string> active_dtcs() const override { return {dtcs_.begin(), dtcs_.end()}; }

  void emit(const std::string& path, double value) {
    if (on_sample_) on_sample_(SignalSample{path, steady_ms(clock_), value});
  }
  void dtc(const std::string& code, bool active) {
    if (active) {
      dtcs_.insert(code);
    } else {
      dtcs_.erase(code);
    }
    if (on_dtc_) on_dtc_(code, active);
  }

 private:
  const Clock& clock_;
  SampleHandler on_sample_;
  DtcHandler on_dtc_;
  std::set<std::string> dtcs_;
};

// An AgentApi that builds each report as the agent would (the wire rules apply) and completes
// on the executor, never inline.
class RecordingAgent final : public AgentApi {
 public:
  RecordingAgent(boost::asio::any_io_executor ex, const Clock& clock) : ex_(std::move(ex)), clock_(clock) {}
  void add_listener(AgentListener*) override {}
  const VehicleIdentity& vehicle() const override { return identity_; }
  std::optional<std::int64_t> snapshot_clock_ms() const override { return steady_ms(clock_); }
  void submit(Draft draft, std::function<void(Result<std::string>)> done) override {
    auto env = build_report(identity_, draft, clock_.epoch_ms());
    Result<std::string> result = env ? Result<std::string>(env->report().report_id()) : fail(env.error());
    if (env && !refusals.empty()) {
      result = fail(refusals.front());
      refusals.pop_front();
    }
    if (result) saved.push_back(env->report());
    drafts.push_back(std::move(draft));
    submitted_at.push_back(steady_ms(clock_));
    boost::asio::post(ex_, [done = std::move(done), result] { done(result); });
  }
  void mark_read(std::string) override {}
  void answer_survey(std::string, int, std::string, std::function<void(Result<void>)>) override {}
  void answer_visit(std::string, VisitAnswer, std::function<void(Result<std::string>)>) override {}
  void request_callback(std::string, std::string, std::function<void(Result<std::string>)>) override {}
  void reply(std::string, std::string, std::function<void(Result<std::string>)>) override {}
  void reopen(std::string, std::string, std::function<void(Result<std::string>)>) override {}
  void rate(std::string, int, std::string, std::function<void(Result<std::string>)>) override {}
  void timeline(std::string, std::function<void(Result<std::vector<TimelineEvent>>)>) override {}
  void reports(std::function<void(Result<std::vector<ReportView>>)>) override {}
  void inbox(std::function<void(Result<std::vector<InboxEntry>>)>) override {}

  std::deque<Error> refusals;       // the next submissions refused with these, in order
  std::vector<wire::Report> saved;  // every report saved, in order
  std::vector<Draft> drafts;
  std::vector<std::int64_t> submitted_at;  // steady ms of each submit, as drafts
  std::vector<wire::Report> auto_reports() const {
    std::vector<wire::Report> out;
    for (const auto& r : saved) {
      if (r.source() == wire::SOURCE_TELEMATICS) out.push_back(r);
    }
    return out;
  }

 private:
  boost::asio::any_io_executor ex_;
  const Clock& clock_;
  VehicleIdentity identity_{"LSVAX60E5K2000001", "Aurora EV", 2026, "HU-3.2.1"};
};

std::filesystem::path sample_rules() { return std::filesystem::path(test::kDeployDir) / "telematics-rules.json"; }

TelematicsConfig sample_config() {
  auto c = load_telematics_config(sample_rules());
  EXPECT_TRUE(c) << c.error().what();
  return c ? *c : TelematicsConfig{};
}

class TelematicsTest : public ::testing::Test {
 protected:
  void start(TelematicsConfig config = sample_config(), const std::filesystem::path& recent_file = {}) {
    monitor_ = std::make_unique<TelematicsMonitor>(strand_, clock_, source_, agent_, std::move(config));
    if (!recent_file.empty()) monitor_->persist_to(recent_file);
    monitor_->start();
    run();
  }
  void run() { test::run_ready(io_); }
  void wait(std::chrono::milliseconds d) { test::run_for(io_, clock_, d); }
  // Coolant at `c` now (samples every second, as the car sends it).
  void coolant_for(double c, std::chrono::milliseconds d) {
    const auto end = clock_.steady_now() + d;
    while (clock_.steady_now() < end) {
      source_.emit(vss::kCoolantTemperature, c);
      wait(std::min<std::chrono::milliseconds>(1000ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                           end - clock_.steady_now())));
    }
  }
  Result<std::string> driver_report(wire::Category category, const std::string& text = "rough engine noise") {
    Draft d;
    d.category = category;
    d.text = text;
    std::optional<Result<std::string>> result;
    monitor_->driver_api().submit(std::move(d), [&](Result<std::string> r) { result = std::move(r); });
    EXPECT_FALSE(result) << "a completion ran inline";
    run();
    EXPECT_TRUE(result);
    return result ? *result : fail(StorageErrc::internal, "no completion");
  }
  std::vector<std::string> related_of(const std::string& id) const {
    for (const auto& r : agent_.saved) {
      if (r.report_id() == id) return {r.related_report_ids().begin(), r.related_report_ids().end()};
    }
    ADD_FAILURE() << "no report " << id;
    return {};
  }

  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  test::FakeClock clock_;
  ScriptedSource source_{clock_};
  RecordingAgent agent_{strand_, clock_};
  std::unique_ptr<TelematicsMonitor> monitor_;
};

// ---- The rules file ----

TEST(TelematicsRules, TheSampleFileLoadsWithEveryRuleKind) {
  const auto c = sample_config();
  ASSERT_EQ(c.rules.size(), 6u);
  EXPECT_EQ(c.rules[0].id, "misfire");
  EXPECT_EQ(c.rules[0].when.kind, RuleCondition::Kind::dtc);
  EXPECT_EQ(c.rules[0].confirm_cycles, 3);
  EXPECT_EQ(c.rules[0].severity, Priority::high);
  EXPECT_EQ(c.rules[2].when.kind, RuleCondition::Kind::transmission_slip);
  EXPECT_EQ(c.rules[3].hold, 2000ms);
  EXPECT_EQ(c.rules[4].when.kind, RuleCondition::Kind::below);
  EXPECT_EQ(c.rules[4].system, VehicleSystem::electrical);
  EXPECT_TRUE(c.rules[5].when.without_dtcs);
  EXPECT_EQ(c.link_window, 10min);
  EXPECT_EQ(c.standstill_ends_cycle, 5min);
  EXPECT_TRUE(c.consent.diagnostics());
}

// Each bad file names the file, the line of the key at fault and the key.
TEST(TelematicsRules, ErrorsNameTheFileTheLineAndTheKey) {
  const std::string head = "{\n  \"version\": 1,\n  \"rules\": [\n    {\n      \"id\": \"hot\",\n";
  const std::string tail = "\n    }\n  ]\n}\n";
  const std::string good_rest =
      "      \"category\": \"warning_lamp\", \"system\": \"engine\", \"severity\": \"high\", \"text\": \"hot\"";
  struct Case {
    std::string body;  // lines 6 and on
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"      \"signal\": \"Vehicle.OBD.CoolantTemperature\", \"above\": 110,\n      \"hold_ms\": \"2s\",\n" +
           good_rest,
       "rules.json:7: rules[0].hold_ms: need a whole number"},
      {"      \"signal\": \"Vehicle.OBD.CoolantTemperature\", \"above\": 110,\n"
       "      \"category\": \"warning lamp\", \"system\": \"engine\", \"severity\": \"high\", \"text\": \"hot\"",
       "rules.json:7: rules[0].category: 'warning lamp' is not one of"},
      {"      \"signal\": \"Vehicle.OBD.CoolantTemperature\", \"above\": 110, \"hold\": 5,\n" + good_rest,
       "rules.json:6: rules[0].hold: unknown key"},
      {"      \"dtc\": [\"P0300\", \"X12\"],\n" + good_rest, "rules.json:6: rules[0].dtc[1]: need a DTC or pattern"},
      {"      \"signal\": \"Vehicle.OBD.CoolantTemperature\",\n" + good_rest,
       "rules.json:4: rules[0]: need exactly one of above, below"},
      {"      \"signal\": \"Vehicle.OBD.CoolantTemperature\", \"above\": 110,\n"
       "      \"category\": \"warning_lamp\", \"system\": \"engine\", \"severity\": \"urgent\", \"text\": \"hot\"",
       "rules.json:7: rules[0].severity: 'urgent' is not one of high, medium, low"},
      // A rule that could never fire, and words every report of it would be refused for.
      {"      \"dtc\": [\"P0300\"], \"without_dtcs\": true,\n" + good_rest,
       "rules.json:6: rules[0].without_dtcs: a DTC rule needs an active code"},
      {"      \"signal\": \"Vehicle.OBD.CoolantTemperature\", \"above\": 110,\n"
       "      \"category\": \"warning_lamp\", \"system\": \"engine\", \"severity\": \"high\", \"text\": \"" +
           std::string(2001, 'x') + "\"",
       "rules.json:7: rules[0].text: need UTF-8 text without U+0000, at most 2000 characters"},
  };
  for (const auto& c : cases) {
    auto r = parse_telematics_config(head + c.body + tail, "rules.json");
    ASSERT_FALSE(r) << c.body;
    EXPECT_NE(r.error().detail.find(c.expected), std::string::npos) << r.error().detail;
    EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::invalid_value));
  }
  // Broken JSON: line and column from common/config.
  auto broken = parse_telematics_config(head + "      \"dtc\": [\"P0300\" \"P0301\"]" + tail, "rules.json");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, make_error_code(ConfigErrc::parse_error));
  EXPECT_NE(broken.error().detail.find("rules.json:6:"), std::string::npos) << broken.error().detail;
  // A rule id used twice, a version this build does not read, a missing file.
  auto twice = parse_telematics_config(
      "{\"version\": 1, \"rules\": [\n{\"id\": \"a\", \"dtc\": [\"P0300\"], \"category\": \"other\", \"system\": "
      "\"engine\", \"severity\": \"low\", \"text\": \"x\"},\n{\"id\": \"a\", \"dtc\": [\"P0301\"], \"category\": "
      "\"other\", \"system\": \"engine\", \"severity\": \"low\", \"text\": \"x\"}]}",
      "r.json");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().detail.find("r.json:3: rules[1].id: 'a' is used twice"), std::string::npos)
      << twice.error().detail;
  auto language = parse_telematics_config("{\n\"version\": 1,\n\"language\": \"zh_CN\", \"rules\": []}", "r.json");
  ASSERT_FALSE(language);
  EXPECT_NE(language.error().detail.find("r.json:3: language: need a language tag such as zh-CN"), std::string::npos)
      << language.error().detail;
  auto v2 = parse_telematics_config("{\n\"version\": 2, \"rules\": []}", "r.json");
  ASSERT_FALSE(v2);
  EXPECT_EQ(v2.error().code, make_error_code(ConfigErrc::unsupported_version));
  EXPECT_NE(v2.error().detail.find("r.json:2: version"), std::string::npos) << v2.error().detail;
  auto missing = load_telematics_config("/nonexistent/rules.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, make_error_code(ConfigErrc::file_not_found));
}

TEST(TelematicsRules, DtcPatternsMatchExactCodesPrefixesAndSingleCharacters) {
  EXPECT_TRUE(dtc_matches("P0300", "P0300"));
  EXPECT_FALSE(dtc_matches("P0300", "P0301"));
  EXPECT_FALSE(dtc_matches("P0300", "P03001"));
  EXPECT_TRUE(dtc_matches("P03*", "P0300"));
  EXPECT_TRUE(dtc_matches("P03*", "P0317"));
  EXPECT_FALSE(dtc_matches("P03*", "P0217"));
  EXPECT_TRUE(dtc_matches("P0?00", "P0700"));
  EXPECT_FALSE(dtc_matches("P0?00", "P0710"));
}

// ---- Debounce and throttle ----

// The engine alone: a condition that held its whole hold time counts even when it ends between
// two evaluation cycles; one that ends a little earlier does not.
TEST(RuleEngine, AHoldEndingBetweenTwoCyclesCountsToTheMillisecond) {
  for (const std::int64_t drop_at : {2040, 2050, 2060}) {
    SCOPED_TRACE(drop_at);
    auto c = sample_config();
    c.rules.resize(4);  // ... coolant-hot
    c.rules[3].hold = 2050ms;
    RuleEngine engine(c);
    engine.on_sample({vss::kCoolantTemperature, 0, 115});
    for (std::int64_t t = 100; t < drop_at; t += 100) engine.evaluate(t);
    EXPECT_TRUE(engine.pending());
    engine.on_sample({vss::kCoolantTemperature, drop_at, 100});
    EXPECT_EQ(engine.take_reports().size(), drop_at >= 2050 ? 1u : 0u);
    EXPECT_FALSE(engine.pending());
  }
}

TEST_F(TelematicsTest, CoolantOverTheLimitForTwoSecondsReportsOnce) {
  start();
  coolant_for(90, 5s);
  coolant_for(115, 2s);
  coolant_for(100, 5s);
  const auto autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_EQ(autos[0].rule_id(), "coolant-hot");
  EXPECT_EQ(autos[0].category(), wire::CATEGORY_WARNING_LAMP);
  EXPECT_EQ(autos[0].suggested_severity(), "high");
  EXPECT_EQ(autos[0].text(), "Engine coolant above 110 °C.");
  EXPECT_TRUE(agent_.drafts.back().capture_snapshot);
  EXPECT_TRUE(autos[0].consent().diagnostics());
}

TEST_F(TelematicsTest, CoolantOverTheLimitForOnePointNineSecondsReportsNothing) {
  start();
  coolant_for(90, 5s);
  coolant_for(115, 1900ms);
  coolant_for(100, 5s);
  // Over and over, never for 2 s.
  for (int i = 0; i < 100; ++i) {
    coolant_for(115, 1900ms);
    coolant_for(100, 100ms);
  }
  EXPECT_TRUE(agent_.auto_reports().empty());
  EXPECT_EQ(monitor_->stats().rules.confirmed, 0u);
}

// A misfire code that comes and goes every few seconds for two hours: one report.
TEST_F(TelematicsTest, AFlappingDtcSendsOneReportNotHundreds) {
  start();
  source_.emit(vss::kSpeed, 60);
  for (int i = 0; i < 1440; ++i) {  // 2 h: 3 s on, 2 s off
    source_.dtc("P0300", true);
    wait(3s);
    source_.dtc("P0300", false);
    wait(2s);
  }
  const auto autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_EQ(autos[0].rule_id(), "misfire");
  EXPECT_EQ(std::vector<std::string>(autos[0].dtcs().begin(), autos[0].dtcs().end()),
            std::vector<std::string>{"P0300"});
  const auto s = monitor_->stats();
  EXPECT_EQ(s.rules.confirmed, 1440u) << "each episode is debounced on its own";
  EXPECT_EQ(s.rules.throttled, 1439u);
  EXPECT_EQ(s.submitted, 1u);
}

// A full disk refuses the misfire's auto-report: it is submitted again every kRefusedRetry until
// saved (issue 8: no fault of the disk loses a report), once, with the snapshot moment of the
// confirmation; the throttle still allows no second report of the episode. A refusal that room
// cannot cure is final.
TEST_F(TelematicsTest, AnAutoReportRefusedForWantOfRoomIsSavedOnceRoomReturns) {
  start();
  source_.emit(vss::kSpeed, 60);
  agent_.refusals = {Error(StorageErrc::full, "disk full"), Error(AgentErrc::queue_full, "outbox full")};
  source_.dtc("P0300", true);
  wait(3s);
  ASSERT_EQ(agent_.drafts.size(), 1u);
  const auto moment = agent_.drafts[0].snapshot_at_ms;
  ASSERT_TRUE(moment);
  EXPECT_TRUE(agent_.auto_reports().empty());
  const auto retry_due = std::chrono::milliseconds(agent_.submitted_at[0] - steady_ms(clock_)) +
                         std::chrono::duration_cast<std::chrono::milliseconds>(TelematicsMonitor::kRefusedRetry);
  wait(retry_due - 1ms);
  EXPECT_EQ(agent_.drafts.size(), 1u) << "not before its retry time";
  wait(1ms);
  EXPECT_EQ(agent_.drafts.size(), 2u);
  EXPECT_EQ(agent_.submitted_at[1] - agent_.submitted_at[0], 30'000);
  EXPECT_TRUE(agent_.auto_reports().empty()) << "refused again: the outbox is full";
  // The driver reports the engine noise while the auto-report waits: the auto-report, saved
  // second, names it.
  const auto driver = driver_report(wire::CATEGORY_NOISE);
  ASSERT_TRUE(driver);
  wait(TelematicsMonitor::kRefusedRetry);
  ASSERT_EQ(agent_.auto_reports().size(), 1u);
  EXPECT_EQ(agent_.auto_reports()[0].rule_id(), "misfire");
  EXPECT_EQ(agent_.drafts.back().snapshot_at_ms, moment);
  EXPECT_EQ(related_of(agent_.auto_reports()[0].report_id()), std::vector<std::string>{*driver});
  source_.dtc("P0300", false);
  wait(2s);
  source_.dtc("P0300", true);  // the same drive cycle: throttled
  wait(TelematicsMonitor::kRefusedRetry * 3);
  EXPECT_EQ(agent_.auto_reports().size(), 1u);
  auto s = monitor_->stats();
  EXPECT_EQ(s.submitted, 1u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.retried, 2u);

  // A refusal no room cures (a broken report) is not tried again.
  agent_.refusals = {Error(WireErrc::missing_field, "report.text")};
  source_.emit(vss::kCoolantTemperature, 130);
  wait(5s);
  const auto tried = agent_.drafts.size();
  wait(TelematicsMonitor::kRefusedRetry * 3);
  EXPECT_EQ(agent_.drafts.size(), tried);
  s = monitor_->stats();
  EXPECT_EQ(s.failed, 3u);
  EXPECT_EQ(s.retried, 2u);
}

// Beyond kMaxRefused waiting, the oldest of the lowest class is given up, never a safety fault:
// a brake fault refused on a full disk outlives a run of minor faults confirmed after it.
TEST_F(TelematicsTest, BeyondTheRefusedCapTheOldestLeastUrgentIsGivenUpNeverASafetyFault) {
  auto c = sample_config();
  c.rules.resize(1);  // misfire: high, a safety report
  c.rules[0].id = "brake";
  c.rules[0].when.dtc_patterns = {"C1*"};
  c.rules[0].confirm_cycles = 1;
  auto minor = c.rules[0];
  minor.id = "body";
  minor.when.dtc_patterns = {"B1*"};
  minor.severity = Priority::low;
  c.rules.push_back(minor);
  start(c);
  source_.emit(vss::kSpeed, 60);
  for (int i = 0; i < 100; ++i) agent_.refusals.emplace_back(StorageErrc::full, "disk full");
  const auto code = [](char system, std::size_t i) { return fmt::format("{}1{:03}", system, i); };
  source_.dtc(code('C', 0), true);
  wait(1s);
  const auto minors = TelematicsMonitor::kMaxRefused + 1;
  for (std::size_t i = 0; i < minors; ++i) {
    source_.dtc(code('B', i), true);
    wait(1s);
  }
  auto s = monitor_->stats();
  EXPECT_EQ(s.waiting, TelematicsMonitor::kMaxRefused);
  EXPECT_EQ(s.given_up, 2u);
  agent_.refusals.clear();
  wait(TelematicsMonitor::kRefusedRetry);
  std::set<std::string> reported;
  for (const auto& r : agent_.auto_reports()) reported.insert(r.dtcs(0));
  EXPECT_TRUE(reported.contains(code('C', 0))) << "the safety fault, the oldest, was given up";
  EXPECT_FALSE(reported.contains(code('B', 0)));
  EXPECT_FALSE(reported.contains(code('B', 1)));
  EXPECT_EQ(reported.size(), TelematicsMonitor::kMaxRefused);
  EXPECT_EQ(monitor_->stats().waiting, 0u);

  // Safety faults alone may exceed the cap: none is given up.
  for (int i = 0; i < 100; ++i) agent_.refusals.emplace_back(StorageErrc::full, "disk full");
  for (std::size_t i = 1; i <= TelematicsMonitor::kMaxRefused + 2; ++i) {
    source_.dtc(code('C', i), true);
    wait(1s);
  }
  s = monitor_->stats();
  EXPECT_EQ(s.waiting, TelematicsMonitor::kMaxRefused + 2);
  EXPECT_EQ(s.given_up, 2u);
}

TEST_F(TelematicsTest, BlipsShorterThanTheConfirmationCyclesReportNothing) {
  start();
  for (int i = 0; i < 500; ++i) {  // 150 ms on: 1 evaluation cycle of the 3 the rule needs
    source_.dtc("P0301", true);
    wait(150ms);
    source_.dtc("P0301", false);
    wait(1s);
  }
  EXPECT_TRUE(agent_.auto_reports().empty());
  source_.dtc("P0301", true);
  wait(300ms);  // 3 cycles of 100 ms
  EXPECT_EQ(agent_.auto_reports().size(), 1u);
}

TEST_F(TelematicsTest, ACodeActiveBeforeTheMonitorStartsIsReported) {
  source_.dtc("P0304", true);
  start();
  wait(1s);
  const auto autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_EQ(autos[0].dtcs(0), "P0304");
}

TEST_F(TelematicsTest, EachDtcOfARuleIsThrottledApart) {
  start();
  source_.dtc("P0301", true);
  wait(1s);
  source_.dtc("P0302", true);
  wait(1s);
  source_.dtc("P0301", false);
  source_.dtc("P0302", false);
  wait(1s);
  source_.dtc("P0301", true);
  wait(1s);
  const auto autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 2u);
  EXPECT_EQ(autos[0].dtcs(0), "P0301");
  EXPECT_EQ(autos[1].dtcs(0), "P0302");
}

// A standstill longer than 5 min ends a drive cycle: with no daily limit the next cycle may
// report again; with one per day it may not, until 24 h have passed.
TEST_F(TelematicsTest, ANewDriveCycleAndANewDayReportAgainAsConfigured) {
  for (const int per_day : {0, 1}) {
    SCOPED_TRACE(per_day);
    agent_.saved.clear();
    auto c = sample_config();
    c.max_per_day = per_day;
    start(c);
    const auto episode = [&] {
      source_.dtc("P0300", true);
      wait(1s);
      source_.dtc("P0300", false);
      wait(1s);
    };
    source_.emit(vss::kSpeed, 50);
    episode();
    source_.emit(vss::kSpeed, 0);
    wait(4min);
    source_.emit(vss::kSpeed, 20);  // 4 min stop: the same drive cycle
    episode();
    EXPECT_EQ(agent_.auto_reports().size(), 1u);
    source_.emit(vss::kSpeed, 0);
    wait(6min);
    source_.emit(vss::kSpeed, 20);  // 6 min stop: a new drive cycle
    episode();
    EXPECT_EQ(agent_.auto_reports().size(), per_day == 0 ? 2u : 1u);
    source_.emit(vss::kSpeed, 0);
    wait(24h);
    source_.emit(vss::kSpeed, 20);
    episode();
    EXPECT_EQ(agent_.auto_reports().size(), per_day == 0 ? 3u : 2u);
    monitor_->stop();
  }
}

// The drive simulator with a misfire from 10 s on, for 8 minutes of stop-and-go: one report,
// from the misfire rule (the lamp it lights has a code, so the lamp rule stays quiet).
TEST_F(TelematicsTest, ASimulatedMisfireSendsExactlyOneReport) {
  DriveSimulator::Config sim;
  sim.seed = 3;
  sim.faults.misfire_onset = 10s;
  DriveSimulator simulator(strand_, clock_, sim);
  TelematicsMonitor monitor(strand_, clock_, simulator, agent_, sample_config());
  monitor.start();
  wait(8min);
  monitor.stop();
  const auto autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_EQ(autos[0].rule_id(), "misfire");
  EXPECT_EQ(autos[0].dtcs(0), "P0300");
  EXPECT_EQ(autos[0].source(), wire::SOURCE_TELEMATICS);
  EXPECT_EQ(autos[0].suggested_severity(), "high");
}

TEST_F(TelematicsTest, ASimulatedLampWithoutACodeReportsTheLampRule) {
  DriveSimulator::Config sim;
  sim.faults.warning_lamp_onset = 30s;
  DriveSimulator simulator(strand_, clock_, sim);
  TelematicsMonitor monitor(strand_, clock_, simulator, agent_, sample_config());
  monitor.start();
  wait(29s);
  EXPECT_TRUE(agent_.auto_reports().empty());
  wait(2min);
  monitor.stop();
  const auto autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_EQ(autos[0].rule_id(), "mil-on");
  EXPECT_EQ(autos[0].dtcs_size(), 0);
}

// A recorded log: coolant above the limit for 3 s reports once; a battery dip of 8 s stays under
// the 10 s its rule needs.
TEST_F(TelematicsTest, AReplayedLogReportsTheOverheatAndNotTheShortBatteryDip) {
  auto replay = LogReplay::open(strand_, clock_, std::string(test::kFixturesDir) + "/signals/coolant_climb.jsonl");
  ASSERT_TRUE(replay) << replay.error().what();
  TelematicsMonitor monitor(strand_, clock_, **replay, agent_, sample_config());
  monitor.start();
  wait(40s);
  EXPECT_TRUE((*replay)->finished());
  monitor.stop();
  const auto autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_EQ(autos[0].rule_id(), "coolant-hot");
  EXPECT_EQ(monitor.stats().rules.confirmed, 1u);
}

// ---- Links between auto-reports and driver reports ----

TEST_F(TelematicsTest, ADriverReportFiveMinutesAfterAnAutoReportOnTheEngineCarriesItsId) {
  start();
  source_.dtc("P0300", true);
  wait(1s);
  ASSERT_EQ(agent_.auto_reports().size(), 1u);
  const auto auto_id = agent_.auto_reports()[0].report_id();
  wait(5min);
  auto noise = driver_report(wire::CATEGORY_NOISE);
  ASSERT_TRUE(noise) << noise.error().what();
  EXPECT_EQ(related_of(*noise), std::vector<std::string>{auto_id});
  // Not about the car: never linked.
  auto ui = driver_report(wire::CATEGORY_UI, "the map is slow");
  ASSERT_TRUE(ui);
  EXPECT_TRUE(related_of(*ui).empty());
  // A warning lamp report goes with any auto-report with a code.
  auto lamp = driver_report(wire::CATEGORY_WARNING_LAMP, "engine lamp");
  ASSERT_TRUE(lamp);
  EXPECT_EQ(related_of(*lamp), std::vector<std::string>{auto_id});
}

TEST_F(TelematicsTest, ADriverReportElevenMinutesAfterCarriesNoReference) {
  start();
  source_.dtc("P0300", true);
  wait(1s);
  ASSERT_EQ(agent_.auto_reports().size(), 1u);
  wait(11min);
  auto noise = driver_report(wire::CATEGORY_NOISE);
  ASSERT_TRUE(noise);
  EXPECT_TRUE(related_of(*noise).empty());
}

TEST_F(TelematicsTest, AnAutoReportWithinTenMinutesAfterADriverReportCarriesTheDriversId) {
  start();
  auto feel = driver_report(wire::CATEGORY_DRIVING_FEEL, "jerky shifts");
  auto ui = driver_report(wire::CATEGORY_UI, "radio");
  ASSERT_TRUE(feel);
  ASSERT_TRUE(ui);
  EXPECT_TRUE(related_of(*feel).empty());
  wait(9min);
  source_.dtc("P0730", true);  // transmission
  wait(1s);
  auto autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 1u);
  EXPECT_EQ(autos[0].rule_id(), "transmission-dtc");
  EXPECT_EQ(std::vector<std::string>(autos[0].related_report_ids().begin(), autos[0].related_report_ids().end()),
            std::vector<std::string>{*feel});
  // Eleven minutes after the driver's report, an engine fault is on its own.
  wait(2min);
  source_.dtc("P0300", true);
  wait(1s);
  autos = agent_.auto_reports();
  ASSERT_EQ(autos.size(), 2u);
  EXPECT_EQ(autos[1].related_report_ids_size(), 0);
}

// With a state file, the links survive a restart of the agent (a new monitor); an unreadable
// file is replaced, not fatal.
TEST_F(TelematicsTest, TheRecentReportsLogSurvivesARestartInItsFile) {
  test::TempDir dir;
  const auto file = dir / "telematics-recent.json";
  start(sample_config(), file);
  source_.dtc("P0300", true);
  wait(1s);
  ASSERT_EQ(agent_.auto_reports().size(), 1u);
  const auto auto_id = agent_.auto_reports()[0].report_id();
  monitor_.reset();  // the agent restarts
  wait(4min);
  start(sample_config(), file);
  auto noise = driver_report(wire::CATEGORY_NOISE);
  ASSERT_TRUE(noise);
  EXPECT_EQ(related_of(*noise), std::vector<std::string>{auto_id});
  monitor_.reset();
  wait(7min);  // 11 min after the auto-report; 7 after the driver's noise report
  start(sample_config(), file);
  auto lamp = driver_report(wire::CATEGORY_WARNING_LAMP, "engine lamp");
  ASSERT_TRUE(lamp);
  EXPECT_TRUE(related_of(*lamp).empty()) << "the auto-report is out of the window";

  std::ofstream(file, std::ios::trunc) << "{not json";
  monitor_.reset();
  start(sample_config(), file);  // logged, started afresh
  auto again = driver_report(wire::CATEGORY_NOISE);
  ASSERT_TRUE(again);
  EXPECT_TRUE(related_of(*again).empty());
}

// The file is ours, but a damaged one must be "logged and replaced" (persist_to), never an
// exception out of the agent's composition root nor an overflow on a clobbered time.
// An auto-report saved late (after waiting for room) comes in with the time it confirmed, behind
// newer entries: the scans, which stop at the first entry out of the window, still see the newer.
TEST(RecentReports, AnEntryAddedLateIsKeptInTimeOrder) {
  RecentReports recent(std::chrono::minutes(10));
  constexpr std::int64_t t0 = 1'000'000;
  recent.add_auto("newer", VehicleSystem::engine, false, t0 + 50'000);
  recent.add_auto("late", VehicleSystem::engine, false, t0);
  EXPECT_EQ(recent.autos_for_driver(wire::CATEGORY_NOISE, t0 + 620'000), std::vector<std::string>{"newer"});
  EXPECT_EQ(recent.autos_for_driver(wire::CATEGORY_NOISE, t0 + 100'000), (std::vector<std::string>{"newer", "late"}));
}

TEST(RecentReports, AWronglyTypedOrClobberedFileIsAnErrorNotAnException) {
  const std::string id = "1b4e28ba-2fa1-41d2-883f-0016d3cca427";
  for (const std::string& text : std::vector<std::string>{
           R"({"version": "1", "reports": []})",
           R"({"version": 1.5, "reports": []})",
           R"({"version": 1, "reports": [{"id": ")" + id + R"(", "at_ms": 5, "system": "engine", "lamp": 1}]})",
           R"({"version": 1, "reports": [{"id": ")" + id +
               R"(", "at_ms": -9223372036854775807, "category": "noise"}]})",
       }) {
    RecentReports recent(10min);
    Result<void> r;
    EXPECT_NO_THROW(r = recent.load_json(text, 1'000'000, 1'700'000'000'000)) << text;
    EXPECT_FALSE(r) << text;
  }
}

TEST(RelatedSystems, TheMappingIsTheDocumentedOne) {
  EXPECT_TRUE(related(wire::CATEGORY_NOISE, VehicleSystem::engine, false));
  EXPECT_TRUE(related(wire::CATEGORY_NOISE, VehicleSystem::brakes, false));
  EXPECT_FALSE(related(wire::CATEGORY_NOISE, VehicleSystem::electrical, false));
  EXPECT_TRUE(related(wire::CATEGORY_DRIVING_FEEL, VehicleSystem::transmission, false));
  EXPECT_FALSE(related(wire::CATEGORY_WARNING_LAMP, VehicleSystem::engine, false));
  EXPECT_TRUE(related(wire::CATEGORY_WARNING_LAMP, VehicleSystem::electrical, true));
  EXPECT_FALSE(related(wire::CATEGORY_SERVICE, VehicleSystem::engine, true));
  // The brakes and climate tiles came after the mapping: a driver tapping them right after an
  // auto-report on that system is about the same fault.
  EXPECT_TRUE(related(wire::CATEGORY_BRAKES, VehicleSystem::brakes, false));
  EXPECT_FALSE(related(wire::CATEGORY_BRAKES, VehicleSystem::engine, false));
  EXPECT_TRUE(related(wire::CATEGORY_CLIMATE, VehicleSystem::hvac, false));
  EXPECT_FALSE(related(wire::CATEGORY_CLIMATE, VehicleSystem::electrical, false));
}

}  // namespace
}  // namespace fb::agent
