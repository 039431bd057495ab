// Vehicle signals: a source interface and two sources, a drive simulator with injectable faults
// and a replay of recorded signal logs. Signal names follow COVESA VSS (namespace vss below).
//
// Time: a sample's t_ms is the steady time of the source's fb::Clock in milliseconds
// (steady_ms()), the same base the snapshot recorder taps in. Sources run on fb::Timer, so a
// fake clock drives them in tests.
//
// Threads: a source belongs to its executor (a strand): construct, start, stop and destroy it
// there; it calls its handlers there, never inline inside start().
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fb/async/timer.hpp"
#include "fb/common/clock.hpp"
#include "fb/common/error.hpp"

namespace fb::agent {

/// COVESA VSS paths the sources emit. VSS has no standard signal for cabin acoustics, so the two
/// acoustic levels live in an OEM-private branch (Vehicle.Private.*); the lead may rename them.
namespace vss {
inline constexpr const char* kSpeed = "Vehicle.Speed";                                         // km/h
inline constexpr const char* kEngineSpeed = "Vehicle.Powertrain.CombustionEngine.Speed";       // rpm
inline constexpr const char* kCurrentGear = "Vehicle.Powertrain.Transmission.CurrentGear";     // 0 = N
inline constexpr const char* kSelectedGear = "Vehicle.Powertrain.Transmission.SelectedGear";   // 127 = D, 126 = P
inline constexpr const char* kAcceleratorPedal = "Vehicle.Chassis.Accelerator.PedalPosition";  // %
inline constexpr const char* kBrakePedal = "Vehicle.Chassis.Brake.PedalPosition";              // %
inline constexpr const char* kCoolantTemperature = "Vehicle.OBD.CoolantTemperature";           // °C
inline constexpr const char* kBatteryVoltage = "Vehicle.LowVoltageBattery.CurrentVoltage";     // V
inline constexpr const char* kStateOfCharge = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current";  // %
inline constexpr const char* kIsCharging = "Vehicle.Powertrain.TractionBattery.Charging.IsCharging";       // 0/1
inline constexpr const char* kLongitudinalAcceleration = "Vehicle.Acceleration.Longitudinal";              // m/s²
inline constexpr const char* kMilOn = "Vehicle.OBD.Status.IsMILOn";                                        // 0/1
inline constexpr const char* kEngineNoiseLevel = "Vehicle.Private.Acoustic.EngineNoiseLevel";              // dB(A)
inline constexpr const char* kBrakeNoiseLevel = "Vehicle.Private.Acoustic.BrakeNoiseLevel";                // dB(A)
}  // namespace vss

/// One value of one signal. Booleans are 0/1, gears as VSS numbers them.
struct SignalSample {
  std::string path;
  std::int64_t t_ms = 0;  // steady_ms() of the source's clock
  double value = 0;

  bool operator==(const SignalSample&) const = default;
};

/// The steady time of `clock` in milliseconds: the time base of SignalSample::t_ms.
std::int64_t steady_ms(const Clock& clock);

using SampleHandler = std::function<void(const SignalSample&)>;
/// A DTC became active (true) or was cleared (false).
using DtcHandler = std::function<void(const std::string& code, bool active)>;

/// A source of vehicle signals.
class SignalSource {
 public:
  virtual ~SignalSource() = default;
  /// Starts delivering samples to `on_sample` (and DTC changes to `on_dtc`, which may be empty)
  /// on the source's executor. Starting a started source restarts it.
  virtual void start(SampleHandler on_sample, DtcHandler on_dtc = {}) = 0;
  /// No handler runs after stop(). Idempotent.
  virtual void stop() = 0;
  /// The diagnostic trouble codes active now, sorted.
  virtual std::vector<std::string> active_dtcs() const = 0;
};

/// A plausible drive, over and over: stand, accelerate through the gears, cruise, brake to a stop.
/// Deterministic for a given seed (own random number mapping, no std distributions).
class DriveSimulator final : public SignalSource {
 public:
  enum class Powertrain { combustion, electric };
  /// Faults to inject. Those with an onset start that long after start(); the others show at
  /// every occasion (each gear change, each stop).
  struct Faults {
    bool harsh_shift = false;     // a longitudinal jerk (acceleration spike) at each gear change
    bool slipping_shift = false;  // engine speed flares while the gear changes, drive sags
    double knock_level = 0;       // 0..1: engine noise spikes (knock), louder with the level
    std::optional<std::chrono::milliseconds> misfire_onset;       // rough engine speed, DTC P0300, MIL on
    bool brake_squeal = false;                                    // brake noise level high while braking below 15 km/h
    std::optional<std::chrono::milliseconds> overheat_onset;      // coolant rises ~0.5 °C/s
    std::optional<std::chrono::milliseconds> warning_lamp_onset;  // MIL on, no DTC
  };
  struct Config {
    std::uint64_t seed = 1;
    Powertrain powertrain = Powertrain::combustion;
    /// Signals to emit and each one's sample period. Signals not in the map are not emitted.
    std::map<std::string, std::chrono::milliseconds> periods = default_periods();
    /// The physics step. A period that is not a multiple of it holds on average: each sample goes
    /// out at the first step at or after its due time.
    std::chrono::milliseconds step{10};
    double coolant_limit_c = 110;  // above it: DTC P0217 (engine overtemperature)
    Faults faults;
  };
  /// Every signal the simulator knows, at typical CAN rates (10-100 Hz for the driveline,
  /// 1 Hz for temperatures and the battery).
  static std::map<std::string, std::chrono::milliseconds> default_periods();

  DriveSimulator(boost::asio::any_io_executor executor, const Clock& clock, Config config);
  ~DriveSimulator() override;

  void start(SampleHandler on_sample, DtcHandler on_dtc = {}) override;
  void stop() override;
  std::vector<std::string> active_dtcs() const override;

 private:
  enum class Phase { standing, accelerating, cruising, braking };
  void tick();
  void step_physics(double dt_s, std::int64_t since_start_ms);
  void set_dtc(const std::string& code, bool active);
  double value_of(const std::string& path) const;
  double uniform();  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  void enter(Phase phase, std::int64_t since_start_ms);

  Config config_;
  const Clock& clock_;
  Timer timer_;
  SampleHandler on_sample_;
  DtcHandler on_dtc_;
  std::mt19937_64 rng_;
  Clock::SteadyTime start_{};
  std::int64_t ticks_ = 0;
  std::map<std::string, std::int64_t> next_due_ms_;  // per signal, since start
  std::set<std::string> dtcs_;

  // Vehicle state.
  Phase phase_ = Phase::standing;
  std::int64_t phase_end_ms_ = 0;  // standing, cruising: until; others: until the target speed
  double target_kmh_ = 0;
  double pedal_ = 0, brake_ = 0;
  double speed_ms_ = 0;  // m/s
  double accel_ = 0;     // m/s², as measured (includes shift effects)
  int gear_ = 1;
  std::int64_t shift_started_ms_ = -1;  // the last gear change, since start
  std::int64_t knock_until_ms_ = -1;
  double rpm_ = 800, coolant_c_ = 88, soc_ = 80, engine_noise_db_ = 60, brake_noise_db_ = 35;
  bool mil_ = false;
};

/// The faults a command line may name ("none", "harsh-shift", "slipping-shift", "knock", "misfire",
/// "brake-squeal", "overheat", "warning-lamp"), and the Faults each stands for (onsets 2 s into
/// the drive; overheating from the start); nullopt for another name.
std::vector<std::string> fault_names();
std::optional<DriveSimulator::Faults> fault_named(std::string_view name);

/// A source that passes another source's samples to one more handler first (e.g. the snapshot
/// recorder), so that two consumers share one source. Same executor and rules as `inner`, which
/// must outlive it.
class TeeSource final : public SignalSource {
 public:
  TeeSource(SignalSource& inner, SampleHandler also) : inner_(inner), also_(std::move(also)) {}
  void start(SampleHandler on_sample, DtcHandler on_dtc = {}) override {
    inner_.start(
        [also = also_, on_sample = std::move(on_sample)](const SignalSample& s) {
          also(s);
          if (on_sample) on_sample(s);
        },
        std::move(on_dtc));
  }
  void stop() override { inner_.stop(); }
  std::vector<std::string> active_dtcs() const override { return inner_.active_dtcs(); }

 private:
  SignalSource& inner_;
  SampleHandler also_;
};

/// Replays a recorded signal log at its recorded pace: the first sample at start(), each later one
/// after the same interval as in the log. Formats, chosen by the file's extension:
///   .jsonl  one object per line: {"t_ms": 1200, "path": "Vehicle.Speed", "value": 42.5}
///           (value may be a number or a boolean)
///   .csv    a header `t_ms,path,value`, then one sample per line (no quoting; paths have no commas)
/// Empty lines and lines starting with '#' are skipped. Times must not decrease.
class LogReplay final : public SignalSource {
 public:
  /// Reads and checks the whole log. Errors: ConfigErrc::file_not_found; ConfigErrc::parse_error
  /// with "<file>:<line>: <why>" for a malformed line or an unknown extension.
  static Result<std::unique_ptr<LogReplay>> open(boost::asio::any_io_executor executor, const Clock& clock,
                                                 const std::filesystem::path& file);
  /// Parses log text; `origin` names it in errors. `jsonl` picks the format.
  static Result<std::vector<SignalSample>> parse(std::string_view text, bool jsonl, const std::string& origin);

  void start(SampleHandler on_sample, DtcHandler on_dtc = {}) override;
  void stop() override;
  /// Logs carry no DTCs.
  std::vector<std::string> active_dtcs() const override { return {}; }

  /// The samples as recorded (t_ms as in the log).
  const std::vector<SignalSample>& recorded() const { return samples_; }
  /// Every sample has been delivered.
  bool finished() const { return next_ == samples_.size(); }

 private:
  LogReplay(boost::asio::any_io_executor executor, const Clock& clock, std::vector<SignalSample> samples);
  void arm_next();
  void deliver_due();

  const Clock& clock_;
  Timer timer_;
  std::vector<SignalSample> samples_;
  SampleHandler on_sample_;
  std::size_t next_ = 0;
  std::int64_t start_ms_ = 0;  // steady ms at start()
};

}  // namespace fb::agent
