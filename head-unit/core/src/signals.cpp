#include "fb/agent/signals.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fb::agent {

namespace asio = boost::asio;
using std::chrono::milliseconds;

std::int64_t steady_ms(const Clock& clock) {
  return std::chrono::duration_cast<milliseconds>(clock.steady_now().time_since_epoch()).count();
}

// ---- DriveSimulator ----

namespace {

// rpm per km/h in each gear (index = gear); upshift above, downshift below these engine speeds.
constexpr std::array<double, 7> kRpmPerKmh = {0, 110, 65, 45, 34, 27, 22};
constexpr int kTopGear = 6;
constexpr double kUpshiftRpm = 2600, kDownshiftRpm = 1100, kIdleRpm = 800;
constexpr std::int64_t kMinShiftIntervalMs = 500;
constexpr double kSquealBelowKmh = 15;

}  // namespace

std::map<std::string, milliseconds> DriveSimulator::default_periods() {
  return {
      {vss::kSpeed, milliseconds(100)},
      {vss::kEngineSpeed, milliseconds(50)},
      {vss::kCurrentGear, milliseconds(100)},
      {vss::kSelectedGear, milliseconds(100)},
      {vss::kAcceleratorPedal, milliseconds(50)},
      {vss::kBrakePedal, milliseconds(50)},
      {vss::kLongitudinalAcceleration, milliseconds(20)},
      {vss::kCoolantTemperature, milliseconds(1000)},
      {vss::kBatteryVoltage, milliseconds(1000)},
      {vss::kStateOfCharge, milliseconds(1000)},
      {vss::kIsCharging, milliseconds(1000)},
      {vss::kMilOn, milliseconds(1000)},
      {vss::kEngineNoiseLevel, milliseconds(100)},
      {vss::kBrakeNoiseLevel, milliseconds(100)},
  };
}

DriveSimulator::DriveSimulator(asio::any_io_executor executor, const Clock& clock, Config config)
    : config_(std::move(config)),
      clock_(clock),
      timer_(std::move(executor), clock),
      rng_(config_.seed) {
  if (config_.step <= milliseconds::zero()) config_.step = milliseconds(10);
  const bool electric = config_.powertrain == Powertrain::electric;
  for (auto it = config_.periods.begin(); it != config_.periods.end();) {
    const auto& path = it->first;
    const bool combustion_only = path == vss::kEngineSpeed || path == vss::kEngineNoiseLevel;
    const bool electric_only = path == vss::kStateOfCharge || path == vss::kIsCharging;
    if ((electric && combustion_only) || (!electric && electric_only)) {
      it = config_.periods.erase(it);
    } else {
      it->second = std::max(it->second, config_.step);
      ++it;
    }
  }
}

DriveSimulator::~DriveSimulator() { stop(); }

void DriveSimulator::start(SampleHandler on_sample, DtcHandler on_dtc) {
  stop();
  on_sample_ = std::move(on_sample);
  on_dtc_ = std::move(on_dtc);
  start_ = clock_.steady_now();
  ticks_ = 0;
  next_due_ms_.clear();
  for (const auto& [path, period] : config_.periods) next_due_ms_[path] = 0;
  enter(Phase::standing, 0);
  timer_.arm_at(start_, [this] { tick(); });
}

void DriveSimulator::stop() {
  timer_.cancel();
  on_sample_ = {};
  on_dtc_ = {};
}

std::vector<std::string> DriveSimulator::active_dtcs() const { return {dtcs_.begin(), dtcs_.end()}; }

double DriveSimulator::uniform() {
  // The top 53 bits as a fraction: the same on every standard library, unlike std distributions.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

void DriveSimulator::enter(Phase phase, std::int64_t since_start_ms) {
  phase_ = phase;
  switch (phase) {
    case Phase::standing:
      pedal_ = 0;
      brake_ = 30;
      phase_end_ms_ = since_start_ms + static_cast<std::int64_t>(uniform(2000, 4000));
      break;
    case Phase::accelerating:
      pedal_ = uniform(30, 60);
      brake_ = 0;
      target_kmh_ = uniform(50, 110);
      break;
    case Phase::cruising:
      pedal_ = uniform(15, 25);
      phase_end_ms_ = since_start_ms + static_cast<std::int64_t>(uniform(10000, 25000));
      break;
    case Phase::braking:
      pedal_ = 0;
      brake_ = uniform(25, 45);
      break;
  }
}

void DriveSimulator::tick() {
  const std::int64_t step_ms = config_.step.count();
  const std::int64_t since = ticks_ * step_ms;
  ++ticks_;
  step_physics(static_cast<double>(step_ms) / 1000.0, since);
  // The handler may stop() us: deliver from a copy and check before each sample.
  const auto start_ms = std::chrono::duration_cast<milliseconds>(start_.time_since_epoch()).count();
  for (auto& [path, due] : next_due_ms_) {
    if (since < due) continue;
    due += config_.periods.at(path).count();
    if (!on_sample_) return;
    auto handler = on_sample_;
    handler(SignalSample{path, start_ms + since, value_of(path)});
  }
  if (!on_sample_) return;
  timer_.arm_at(start_ + milliseconds(ticks_ * step_ms), [this] { tick(); });
}

void DriveSimulator::step_physics(double dt, std::int64_t since) {
  const auto& f = config_.faults;
  const bool electric = config_.powertrain == Powertrain::electric;
  const double kmh = speed_ms_ * 3.6;

  // The driver.
  double drive = 0;  // m/s² the powertrain and brakes would give
  switch (phase_) {
    case Phase::standing:
      if (since >= phase_end_ms_) enter(Phase::accelerating, since);
      break;
    case Phase::accelerating:
      drive = pedal_ * 0.05 - 0.0004 * speed_ms_ * speed_ms_;
      if (kmh >= target_kmh_) enter(Phase::cruising, since);
      break;
    case Phase::cruising:
      drive = 0.3 * (target_kmh_ - kmh) / 3.6 + uniform(-0.05, 0.05);
      pedal_ = std::clamp(pedal_ + uniform(-0.5, 0.5), 10.0, 30.0);
      if (since >= phase_end_ms_) enter(Phase::braking, since);
      break;
    case Phase::braking: drive = -brake_ * 0.08; break;
  }

  // The gearbox.
  const std::int64_t in_shift = shift_started_ms_ < 0 ? -1 : since - shift_started_ms_;
  if (electric || phase_ == Phase::standing) {
    gear_ = 1;
  } else if (in_shift < 0 || in_shift >= kMinShiftIntervalMs) {
    if (gear_ < kTopGear && kmh * kRpmPerKmh[gear_] > kUpshiftRpm) {
      ++gear_;
      shift_started_ms_ = since;
    } else if (gear_ > 1 && kmh * kRpmPerKmh[gear_] < kDownshiftRpm) {
      --gear_;
      shift_started_ms_ = since;
    }
  }
  const std::int64_t shift_ms = shift_started_ms_ < 0 ? -1 : since - shift_started_ms_;
  const bool shifting = !electric && shift_ms >= 0 && shift_ms < 500;

  double measured = drive;
  double flare = 0;
  if (shifting) {
    if (f.slipping_shift) {
      measured = drive * 0.3;
      flare = 750 * std::sin(std::numbers::pi * static_cast<double>(shift_ms) / 500.0);
    } else if (shift_ms < 200) {
      measured = drive - 0.4;  // the torque interruption of a normal shift
    }
    if (f.harsh_shift && shift_ms < 80) measured = drive + 3.5;  // the clunk
  }
  speed_ms_ = std::max(0.0, speed_ms_ + measured * dt);
  if (phase_ == Phase::braking && speed_ms_ <= 0) enter(Phase::standing, since);
  accel_ = (speed_ms_ <= 0 && phase_ == Phase::standing ? 0.0 : measured) + uniform(-0.05, 0.05);

  // The engine.
  const double new_kmh = speed_ms_ * 3.6;
  const bool misfiring = f.misfire_onset && since >= f.misfire_onset->count();
  rpm_ = std::max(kIdleRpm, new_kmh * kRpmPerKmh[gear_]) + flare + uniform(-10, 10);
  if (misfiring) rpm_ += uniform(-150, 150);
  double noise = 50 + rpm_ / 100 + uniform(-1, 1);
  if (f.knock_level > 0 && phase_ == Phase::accelerating && since >= knock_until_ms_ &&
      uniform() < 0.02 * f.knock_level) {
    knock_until_ms_ = since + 150;
  }
  if (since < knock_until_ms_) noise += 8 + 20 * f.knock_level;
  engine_noise_db_ = noise;

  const bool braking_slowly = phase_ == Phase::braking && new_kmh < kSquealBelowKmh && new_kmh > 0;
  brake_noise_db_ = (braking_slowly && f.brake_squeal ? 82 : 35) + uniform(-1, 1);

  // Heat, battery, lamps, DTCs.
  if (f.overheat_onset && since >= f.overheat_onset->count()) {
    coolant_c_ = std::min(130.0, coolant_c_ + 0.5 * dt);
  } else {
    coolant_c_ += (90 - coolant_c_) * 0.02 * dt;
  }
  if (coolant_c_ > config_.coolant_limit_c) set_dtc("P0217", true);
  if (misfiring) set_dtc("P0300", true);
  const bool lamp = f.warning_lamp_onset && since >= f.warning_lamp_onset->count();
  mil_ = lamp || !dtcs_.empty();
  if (electric) soc_ = std::max(0.0, soc_ - (0.00002 * speed_ms_ + 0.00001 * std::max(0.0, drive) * speed_ms_) * dt);
}

void DriveSimulator::set_dtc(const std::string& code, bool active) {
  const bool changed = active ? dtcs_.insert(code).second : dtcs_.erase(code) > 0;
  if (changed && on_dtc_) {
    auto handler = on_dtc_;
    handler(code, active);
  }
}

double DriveSimulator::value_of(const std::string& path) const {
  const char* p = path.c_str();
  const bool electric = config_.powertrain == Powertrain::electric;
  if (!std::strcmp(p, vss::kSpeed)) return speed_ms_ * 3.6;
  if (!std::strcmp(p, vss::kEngineSpeed)) return rpm_;
  if (!std::strcmp(p, vss::kCurrentGear)) return gear_;
  if (!std::strcmp(p, vss::kSelectedGear)) return 127;
  if (!std::strcmp(p, vss::kAcceleratorPedal)) return pedal_;
  if (!std::strcmp(p, vss::kBrakePedal)) return brake_;
  if (!std::strcmp(p, vss::kLongitudinalAcceleration)) return accel_;
  if (!std::strcmp(p, vss::kCoolantTemperature)) return coolant_c_;
  if (!std::strcmp(p, vss::kBatteryVoltage)) return electric ? 13.9 : 14.2;
  if (!std::strcmp(p, vss::kStateOfCharge)) return soc_;
  if (!std::strcmp(p, vss::kIsCharging)) return 0;
  if (!std::strcmp(p, vss::kMilOn)) return mil_ ? 1 : 0;
  if (!std::strcmp(p, vss::kEngineNoiseLevel)) return engine_noise_db_;
  if (!std::strcmp(p, vss::kBrakeNoiseLevel)) return brake_noise_db_;
  return std::nan("");
}

std::vector<std::string> fault_names() {
  return {"none", "harsh-shift", "slipping-shift", "knock", "misfire", "brake-squeal", "overheat", "warning-lamp"};
}

std::optional<DriveSimulator::Faults> fault_named(std::string_view name) {
  using namespace std::chrono_literals;
  DriveSimulator::Faults f;
  if (name == "none") return f;
  if (name == "harsh-shift") f.harsh_shift = true;
  else if (name == "slipping-shift") f.slipping_shift = true;
  else if (name == "knock") f.knock_level = 1;
  else if (name == "misfire") f.misfire_onset = 2s;
  else if (name == "brake-squeal") f.brake_squeal = true;
  else if (name == "overheat") f.overheat_onset = 0s;
  else if (name == "warning-lamp") f.warning_lamp_onset = 2s;
  else return std::nullopt;
  return f;
}

// ---- LogReplay ----

namespace {

std::string at(const std::string& origin, std::size_t line) { return origin + ":" + std::to_string(line) + ": "; }

Result<double> number_in(std::string_view text) {
  // std::from_chars for double is not in every library we build with; strtod on a copy.
  const std::string s(text);
  if (s == "true") return 1.0;
  if (s == "false") return 0.0;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) {
    return fail(ConfigErrc::parse_error, "'" + s + "' is not a number");
  }
  return v;
}

Result<std::int64_t> integer_in(std::string_view text) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) {
    return fail(ConfigErrc::parse_error, "'" + s + "' is not a whole number of milliseconds");
  }
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Result<SignalSample> parse_json_line(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail(ConfigErrc::parse_error, "not a JSON object");
  const auto t = j.find("t_ms");
  const auto path = j.find("path");
  const auto value = j.find("value");
  if (t == j.end() || !t->is_number_integer()) return fail(ConfigErrc::parse_error, "t_ms: need a whole number");
  if (path == j.end() || !path->is_string() || path->get<std::string>().empty()) {
    return fail(ConfigErrc::parse_error, "path: need a non-empty string");
  }
  SignalSample s{path->get<std::string>(), t->get<std::int64_t>(), 0};
  if (value != j.end() && value->is_boolean()) {
    s.value = value->get<bool>() ? 1 : 0;
  } else if (value != j.end() && value->is_number()) {
    s.value = value->get<double>();
  } else {
    return fail(ConfigErrc::parse_error, "value: need a number or a boolean");
  }
  return s;
}

Result<SignalSample> parse_csv_line(std::string_view line) {
  const auto c1 = line.find(',');
  const auto c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos) {
    return fail(ConfigErrc::parse_error, "need 3 fields: t_ms,path,value");
  }
  auto t = integer_in(trim(line.substr(0, c1)));
  if (!t) return fail(ConfigErrc::parse_error, "t_ms: " + t.error().detail);
  const auto path = trim(line.substr(c1 + 1, c2 - c1 - 1));
  if (path.empty()) return fail(ConfigErrc::parse_error, "path: empty");
  auto v = number_in(trim(line.substr(c2 + 1)));
  if (!v) return fail(ConfigErrc::parse_error, "value: " + v.error().detail);
  return SignalSample{std::string(path), *t, *v};
}

}  // namespace

Result<std::vector<SignalSample>> LogReplay::parse(std::string_view text, bool jsonl, const std::string& origin) {
  std::vector<SignalSample> out;
  bool header_seen = jsonl;
  std::size_t number = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const auto raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++number;
    const auto line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (!header_seen) {
      if (line != "t_ms,path,value") {
        return fail(ConfigErrc::parse_error, at(origin, number) + "need the header t_ms,path,value");
      }
      header_seen = true;
      continue;
    }
    auto sample = jsonl ? parse_json_line(line) : parse_csv_line(line);
    if (!sample) return fail(ConfigErrc::parse_error, at(origin, number) + sample.error().detail);
    if (!out.empty() && sample->t_ms < out.back().t_ms) {
      return fail(ConfigErrc::parse_error, at(origin, number) + "t_ms " + std::to_string(sample->t_ms) +
                                               " goes back in time (previous " + std::to_string(out.back().t_ms) + ")");
    }
    // The replay waits each sample's offset from the first on a steady clock (nanoseconds): an
    // offset past 30 days is no drive's (microseconds or epoch times by mistake), and past ~292
    // years it would overflow that clock and the replay would spin.
    constexpr std::int64_t kLongestLogMs = std::int64_t{30} * 24 * 3600 * 1000;
    std::int64_t offset = 0;
    if (!out.empty() && (__builtin_sub_overflow(sample->t_ms, out.front().t_ms, &offset) || offset > kLongestLogMs)) {
      return fail(ConfigErrc::parse_error, at(origin, number) + "t_ms " + std::to_string(sample->t_ms) +
                                               " is more than 30 days after the first sample's " +
                                               std::to_string(out.front().t_ms) + " (milliseconds?)");
    }
    out.push_back(std::move(*sample));
  }
  if (!header_seen) return fail(ConfigErrc::parse_error, at(origin, 1) + "empty log, need the header t_ms,path,value");
  return out;
}

Result<std::unique_ptr<LogReplay>> LogReplay::open(asio::any_io_executor executor, const Clock& clock,
                                                   const std::filesystem::path& file) {
  const auto ext = file.extension().string();
  if (ext != ".jsonl" && ext != ".csv") {
    return fail(ConfigErrc::parse_error, file.string() + ": unknown log format '" + ext + "' (.jsonl or .csv)");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ConfigErrc::file_not_found, file.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto samples = parse(text.str(), ext == ".jsonl", file.string());
  if (!samples) return fail(samples.error());
  return std::unique_ptr<LogReplay>(new LogReplay(std::move(executor), clock, std::move(*samples)));
}

LogReplay::LogReplay(asio::any_io_executor executor, const Clock& clock, std::vector<SignalSample> samples)
    : clock_(clock),
      timer_(std::move(executor), clock),
      samples_(std::move(samples)) {}

void LogReplay::start(SampleHandler on_sample, DtcHandler) {
  stop();
  on_sample_ = std::move(on_sample);
  next_ = 0;
  start_ms_ = steady_ms(clock_);
  arm_next();
}

void LogReplay::stop() {
  timer_.cancel();
  on_sample_ = {};
}

void LogReplay::arm_next() {
  if (next_ >= samples_.size() || !on_sample_) return;
  const auto due_ms = start_ms_ + (samples_[next_].t_ms - samples_.front().t_ms);
  timer_.arm_at(Clock::SteadyTime(milliseconds(due_ms)), [this] { deliver_due(); });
}

void LogReplay::deliver_due() {
  const auto now = steady_ms(clock_);
  while (next_ < samples_.size() && on_sample_) {
    auto sample = samples_[next_];
    sample.t_ms = start_ms_ + (sample.t_ms - samples_.front().t_ms);
    if (sample.t_ms > now) break;
    ++next_;
    auto handler = on_sample_;
    handler(sample);
  }
  arm_next();
}

}  // namespace fb::agent
