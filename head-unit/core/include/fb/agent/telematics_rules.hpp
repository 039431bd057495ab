// Telematics auto-report rules: their configuration file, and the engine that turns vehicle
// signals and DTC changes into confirmed, throttled auto-reports (docs/telematics.md).
//
// The engine is pure: no timers, no I/O. Time is the t_ms of the samples and of evaluate()
// (steady milliseconds, as SignalSample::t_ms). TelematicsMonitor (telematics.hpp) drives it.
//
// Threads: not thread-safe; RuleEngine belongs to one executor (the monitor's strand).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fb/agent/signals.hpp"
#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"
#include "feedback.pb.h"

namespace fb::agent {

/// What a rule watches.
struct RuleCondition {
  enum class Kind {
    dtc,                // one of `dtc_patterns` is active (one instance per matching code)
    above,              // `signal` > threshold
    below,              // `signal` < threshold
    transmission_slip,  // engine speed - expected engine speed (gear, vehicle speed) > threshold rpm
  };
  Kind kind = Kind::dtc;
  /// "P0300" exact, "P03*" any code starting with P03, '?' any one character.
  std::vector<std::string> dtc_patterns;
  std::string signal;  // VSS path for above / below
  double threshold = 0;
  /// The condition only counts while no DTC is active (a lamp without a code: a DTC rule reports
  /// a lamp with a code).
  bool without_dtcs = false;
};

struct TelematicsRule {
  std::string id;  // a-z 0-9 _ . -, unique in the file; Report.rule_id
  RuleCondition when;
  /// Debounce: the condition must hold this long and over this many consecutive evaluation
  /// cycles before the rule confirms. A condition that drops resets both.
  std::chrono::milliseconds hold{0};
  int confirm_cycles = 1;
  wire::Category category = wire::CATEGORY_WARNING_LAMP;
  VehicleSystem system = VehicleSystem::other;  // for linking driver reports (telematics.hpp)
  Priority severity = Priority::medium;         // Report.suggested_severity
  std::string text;                             // the report's text
};

struct TelematicsConfig {
  /// While a condition is pending confirmation, the engine is evaluated this often.
  std::chrono::milliseconds evaluation_period{100};
  /// A drive cycle ends with a standstill (Vehicle.Speed <= moving_above_kmh) longer than this;
  /// the next one starts when the car moves again. The first starts with the monitor.
  std::chrono::milliseconds standstill_ends_cycle{std::chrono::minutes(5)};
  double moving_above_kmh = 3;
  /// Throttle per rule and DTC (a DTC rule counts each code apart); 0 = no limit.
  int max_per_drive_cycle = 1;
  int max_per_day = 1;  // within any 24 h
  /// A driver report and an auto-report on related systems this close in time are linked.
  std::chrono::milliseconds link_window{std::chrono::minutes(10)};
  /// Slip proxy: engine rpm per km/h in each gear (index = gear; 0 = neutral, ignored).
  std::vector<double> gear_rpm_per_kmh{0, 110, 65, 45, 34, 27, 22};
  double slip_min_speed_kmh = 10;  // below it (clutch, converter) slip is not judged
  /// The owner's standing consent for auto-reports (a snapshot needs diagnostics).
  wire::Consent consent;
  std::string language = "en";
  std::vector<TelematicsRule> rules;
};

/// Reads a rules file. Errors: ConfigErrc::file_not_found; parse_error "file:line:col: ..." for
/// bad JSON; invalid_value / unsupported_version "file:line: key: why" naming the key at fault
/// (e.g. "rules.json:14: rules[1].hold_ms: need a whole number >= 0").
Result<TelematicsConfig> load_telematics_config(const std::filesystem::path& file);
/// The same from text; `origin` names it in errors.
Result<TelematicsConfig> parse_telematics_config(std::string_view text, const std::string& origin);

/// Whether `code` matches `pattern` ('*' any run, '?' any one character).
bool dtc_matches(std::string_view pattern, std::string_view code);

/// A rule confirmed and allowed by the throttle: what to report.
struct AutoReport {
  const TelematicsRule* rule = nullptr;  // into the engine's config
  std::vector<std::string> dtcs;         // the matching code (DTC rules), else every active DTC
  std::int64_t t_ms = 0;                 // when it confirmed
};

class RuleEngine {
 public:
  struct Stats {
    std::uint64_t confirmed = 0;  // debounced episodes
    std::uint64_t throttled = 0;  // confirmed but over the drive-cycle or daily limit
    std::uint64_t reported = 0;
  };

  explicit RuleEngine(TelematicsConfig config);

  /// A signal value (held until the next one of the same path).
  void on_sample(const SignalSample& sample);
  /// A DTC became active or was cleared at t_ms.
  void on_dtc(const std::string& code, bool active, std::int64_t t_ms);
  /// One evaluation cycle at now_ms: counts a cycle for every holding condition and confirms
  /// those that held long enough.
  void evaluate(std::int64_t now_ms);
  /// Auto-reports confirmed since the last call, in order.
  std::vector<AutoReport> take_reports();

  /// Some condition holds and is not confirmed yet: evaluate() has work to do.
  bool pending() const;
  /// 1 for the first drive cycle.
  int drive_cycle() const { return cycle_; }
  const Stats& stats() const { return stats_; }
  const TelematicsConfig& config() const { return config_; }

 private:
  struct Episode {
    std::int64_t since_ms = 0;
    int cycles = 0;
    bool confirmed = false;  // reported (or throttled) once this episode
  };
  struct Sent {
    int cycle = 0;
    int in_cycle = 0;
    std::deque<std::int64_t> times;  // within the last 24 h
  };
  /// Instances of a rule that hold now: "" for a signal rule, each matching code for a DTC rule.
  std::set<std::string> holding(const TelematicsRule& rule) const;
  std::optional<double> value(const std::string& path) const;
  /// Brings every rule's episodes up to date at t_ms (new ones start, dropped ones end).
  void refresh(std::int64_t t_ms);
  /// Confirms episodes that held long enough by t_ms (without counting a cycle).
  void confirm_due(std::int64_t t_ms);
  void track_drive_cycle(const SignalSample& sample);
  bool allowed(const std::string& key, std::int64_t t_ms);

  TelematicsConfig config_;
  std::map<std::string, double> values_;
  std::set<std::string> dtcs_;
  std::vector<std::map<std::string, Episode>> episodes_;  // per rule, per instance
  std::map<std::string, Sent> sent_;                      // throttle, per rule (and code)
  std::vector<AutoReport> out_;
  int cycle_ = 1;
  bool moving_ = false;
  std::optional<std::int64_t> standstill_since_;
  Stats stats_;
};

}  // namespace fb::agent
