// The signal sources against the fake clock, on the test thread: the drive simulator's faults
// show in its signals, it is deterministic by seed, and recorded logs replay at their pace.
#include "fb/agent/signals.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "fake_clock.hpp"
#include "fb/agent/parked.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace fb::agent {
namespace {

using namespace std::chrono_literals;
using Faults = DriveSimulator::Faults;

struct Recorded {
  std::vector<SignalSample> samples;
  std::vector<std::int64_t> delivered_at_ms;  // the clock when each sample was delivered
  std::vector<std::pair<std::string, bool>> dtc_events;

  std::vector<SignalSample> of(const std::string& path) const {
    std::vector<SignalSample> out;
    for (const auto& s : samples) {
      if (s.path == path) out.push_back(s);
    }
    return out;
  }
  double max_of(const std::string& path) const {
    double m = -1e300;
    for (const auto& s : of(path)) m = std::max(m, s.value);
    return m;
  }
  // The value of `path` at or just before t (nullopt: none yet).
  std::optional<double> at(const std::string& path, std::int64_t t) const {
    std::optional<double> v;
    for (const auto& s : samples) {
      if (s.path == path && s.t_ms <= t) v = s.value;
    }
    return v;
  }
  // Times of the first CurrentGear sample of each higher gear.
  std::vector<std::int64_t> upshifts() const {
    std::vector<std::int64_t> out;
    std::optional<double> last;
    for (const auto& s : of(vss::kCurrentGear)) {
      if (last && s.value > *last) out.push_back(s.t_ms);
      last = s.value;
    }
    return out;
  }
};

class SignalsTest : public ::testing::Test {
 protected:
  Recorded drive(DriveSimulator::Config config, std::chrono::milliseconds how_long) {
    DriveSimulator sim(strand_, clock_, std::move(config));
    Recorded r;
    sim.start(
        [&](const SignalSample& s) {
          r.samples.push_back(s);
          r.delivered_at_ms.push_back(steady_ms(clock_));
        },
        [&](const std::string& code, bool active) { r.dtc_events.emplace_back(code, active); });
    EXPECT_TRUE(r.samples.empty()) << "a sample was delivered inside start()";
    test::run_for(io_, clock_, how_long);
    sim.stop();
    active_dtcs_ = sim.active_dtcs();
    return r;
  }
  static DriveSimulator::Config config(Faults faults = {}, std::uint64_t seed = 7) {
    DriveSimulator::Config c;
    c.seed = seed;
    c.faults = faults;
    return c;
  }

  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  test::FakeClock clock_;
  std::vector<std::string> active_dtcs_;
};

TEST_F(SignalsTest, TheSimulatorDrivesStopsAndShiftsAtItsRatesOnTheClock) {
  const auto r = drive(config(), 120s);
  // Rates: 10 Hz speed, 50 Hz acceleration, 1 Hz coolant, over [0, 120 s] (both ends).
  EXPECT_EQ(r.of(vss::kSpeed).size(), 1201u);
  EXPECT_EQ(r.of(vss::kLongitudinalAcceleration).size(), 6001u);
  EXPECT_EQ(r.of(vss::kCoolantTemperature).size(), 121u);
  for (std::size_t i = 0; i < r.samples.size(); ++i) {
    ASSERT_EQ(r.samples[i].t_ms, r.delivered_at_ms[i]) << r.samples[i].path;
  }
  // A drive: it gets going, reaches a cruising speed, comes back to a standstill.
  const auto speeds = r.of(vss::kSpeed);
  const auto top = r.max_of(vss::kSpeed);
  EXPECT_GT(top, 45);
  EXPECT_LT(top, 120);
  const auto moving = std::find_if(speeds.begin(), speeds.end(), [](auto& s) { return s.value > 5; });
  ASSERT_NE(moving, speeds.end());
  EXPECT_TRUE(std::any_of(moving, speeds.end(), [](auto& s) { return s.value == 0; })) << "never stopped";
  EXPECT_GE(r.max_of(vss::kCurrentGear), 4);
  EXPECT_GE(r.upshifts().size(), 3u);
  EXPECT_GT(r.max_of(vss::kBrakePedal), 20);
  EXPECT_TRUE(r.of(vss::kStateOfCharge).empty()) << "a combustion car has no traction battery";
  EXPECT_TRUE(r.dtc_events.empty());
  EXPECT_EQ(r.max_of(vss::kMilOn), 0);
}

TEST_F(SignalsTest, TheSameSeedGivesTheSameDriveAndAnotherSeedAnother) {
  const auto a = drive(config({}, 42), 40s);
  const auto b = drive(config({}, 42), 40s);
  const auto c = drive(config({}, 43), 40s);
  // b and c start later on the clock: compare times relative to each start.
  auto relative = [](const Recorded& r) {
    auto out = r.samples;
    for (auto& s : out) s.t_ms -= r.samples.front().t_ms;
    return out;
  };
  EXPECT_EQ(relative(a), relative(b));
  EXPECT_NE(relative(a), relative(c));
}

// The largest step between consecutive acceleration samples around an upshift, in m/s² per 20 ms.
double jerk_around(const Recorded& r, std::int64_t upshift_ms) {
  double worst = 0;
  std::optional<double> last;
  for (const auto& s : r.of(vss::kLongitudinalAcceleration)) {
    if (s.t_ms < upshift_ms - 200 || s.t_ms > upshift_ms + 300) continue;
    if (last) worst = std::max(worst, std::abs(s.value - *last));
    last = s.value;
  }
  return worst;
}

TEST_F(SignalsTest, AHarshShiftIsAJerkAtEveryGearChange) {
  const auto clean = drive(config(), 60s);
  const auto harsh = drive(config({.harsh_shift = true}), 60s);
  ASSERT_GE(clean.upshifts().size(), 3u);
  ASSERT_GE(harsh.upshifts().size(), 3u);
  for (auto t : clean.upshifts()) EXPECT_LT(jerk_around(clean, t), 1.0) << "clean upshift at " << t;
  for (auto t : harsh.upshifts()) EXPECT_GT(jerk_around(harsh, t), 3.0) << "harsh upshift at " << t;
}

// How far engine speed rises during an upshift above where it settles after it.
double flare_at(const Recorded& r, std::int64_t upshift_ms) {
  double peak = 0;
  std::optional<double> settled;
  for (const auto& s : r.of(vss::kEngineSpeed)) {
    if (s.t_ms >= upshift_ms && s.t_ms <= upshift_ms + 500) peak = std::max(peak, s.value);
    if (!settled && s.t_ms >= upshift_ms + 700) settled = s.value;
  }
  return peak - settled.value_or(peak);
}

TEST_F(SignalsTest, ASlippingShiftFlaresTheEngineSpeedWhileTheGearChanges) {
  const auto clean = drive(config(), 60s);
  const auto slipping = drive(config({.slipping_shift = true}), 60s);
  ASSERT_GE(slipping.upshifts().size(), 3u);
  for (auto t : clean.upshifts()) EXPECT_LT(flare_at(clean, t), 100) << "clean upshift at " << t;
  for (auto t : slipping.upshifts()) EXPECT_GT(flare_at(slipping, t), 400) << "slipping upshift at " << t;
}

TEST_F(SignalsTest, OverheatingTakesTheCoolantAboveTheLimitAndRaisesItsDtcOnce) {
  const auto clean = drive(config(), 80s);
  EXPECT_LT(clean.max_of(vss::kCoolantTemperature), 95);

  const auto hot = drive(config({.overheat_onset = 10s}), 80s);
  EXPECT_GT(hot.max_of(vss::kCoolantTemperature), 110);
  EXPECT_LT(*hot.at(vss::kCoolantTemperature, hot.samples.front().t_ms + 10'000), 95) << "hot before the onset";
  ASSERT_EQ(hot.dtc_events.size(), 1u);
  EXPECT_EQ(hot.dtc_events[0], std::make_pair(std::string("P0217"), true));
  EXPECT_EQ(active_dtcs_, std::vector<std::string>{"P0217"});
  EXPECT_EQ(hot.max_of(vss::kMilOn), 1);
}

TEST_F(SignalsTest, AMisfireRaisesP0300AndTheLampAtItsOnset) {
  const auto r = drive(config({.misfire_onset = 5s}), 20s);
  const auto start = r.samples.front().t_ms;
  ASSERT_EQ(r.dtc_events.size(), 1u);
  EXPECT_EQ(r.dtc_events[0], std::make_pair(std::string("P0300"), true));
  EXPECT_EQ(active_dtcs_, std::vector<std::string>{"P0300"});
  EXPECT_EQ(*r.at(vss::kMilOn, start + 4000), 0);
  EXPECT_EQ(*r.at(vss::kMilOn, start + 6000), 1);
}

TEST_F(SignalsTest, AWarningLampLightsWithoutADtc) {
  const auto r = drive(config({.warning_lamp_onset = 3s}), 10s);
  const auto start = r.samples.front().t_ms;
  EXPECT_EQ(*r.at(vss::kMilOn, start + 2000), 0);
  EXPECT_EQ(*r.at(vss::kMilOn, start + 4000), 1);
  EXPECT_TRUE(r.dtc_events.empty());
}

TEST_F(SignalsTest, KnockMakesTheEngineLouder) {
  const auto clean = drive(config(), 60s);
  const auto knocking = drive(config({.knock_level = 1.0}), 60s);
  EXPECT_GT(knocking.max_of(vss::kEngineNoiseLevel), clean.max_of(vss::kEngineNoiseLevel) + 15);
}

TEST_F(SignalsTest, BrakesSquealOnlyWhileBrakingAtLowSpeed) {
  const auto clean = drive(config(), 120s);
  EXPECT_LT(clean.max_of(vss::kBrakeNoiseLevel), 40);

  const auto squeal = drive(config({.brake_squeal = true}), 120s);
  int loud = 0;
  for (const auto& s : squeal.of(vss::kBrakeNoiseLevel)) {
    if (s.value < 70) continue;
    ++loud;
    EXPECT_LT(*squeal.at(vss::kSpeed, s.t_ms), 15) << "squeal at " << s.t_ms;
    EXPECT_GT(*squeal.at(vss::kBrakePedal, s.t_ms), 0) << "squeal at " << s.t_ms;
  }
  EXPECT_GE(loud, 3);
}

TEST_F(SignalsTest, AnElectricCarReportsItsBatteryAndNoEngineSpeed) {
  auto c = config();
  c.powertrain = DriveSimulator::Powertrain::electric;
  const auto r = drive(c, 60s);
  EXPECT_TRUE(r.of(vss::kEngineSpeed).empty());
  const auto soc = r.of(vss::kStateOfCharge);
  ASSERT_EQ(soc.size(), 61u);  // 1 Hz over [0, 60 s]
  EXPECT_LT(soc.back().value, soc.front().value);
  EXPECT_EQ(r.max_of(vss::kIsCharging), 0);
  EXPECT_EQ(r.max_of(vss::kCurrentGear), 1);
}

TEST_F(SignalsTest, NothingIsDeliveredAfterStop) {
  DriveSimulator sim(strand_, clock_, config());
  int n = 0;
  sim.start([&](const SignalSample&) { ++n; });
  test::run_for(io_, clock_, 1s);
  sim.stop();
  const int before = n;
  test::run_for(io_, clock_, 5s);
  EXPECT_GT(before, 0);
  EXPECT_EQ(n, before);
}

// ---- LogReplay ----

class LogReplayTest : public SignalsTest {
 protected:
  static std::string fixture(const std::string& name) { return std::string(test::kFixturesDir) + "/signals/" + name; }
  void start_replay(LogReplay& log) {
    log.start([this](const SignalSample& s) {
      replayed_.samples.push_back(s);
      replayed_.delivered_at_ms.push_back(steady_ms(clock_));
    });
    EXPECT_TRUE(replayed_.samples.empty()) << "a sample was delivered inside start()";
  }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  Error open_error(const std::string& path) {
    auto log = LogReplay::open(strand_, clock_, path);
    EXPECT_FALSE(log) << path << " opened";
    return log ? Error{} : log.error();
  }

  test::TempDir dir_;
  Recorded replayed_;
};

void expect_replayed_as_recorded(const LogReplay& log, const Recorded& r, std::int64_t start_ms) {
  ASSERT_EQ(r.samples.size(), log.recorded().size());
  const auto first = log.recorded().front().t_ms;
  for (std::size_t i = 0; i < r.samples.size(); ++i) {
    const auto& want = log.recorded()[i];
    EXPECT_EQ(r.samples[i].path, want.path) << i;
    EXPECT_EQ(r.samples[i].value, want.value) << i;
    EXPECT_EQ(r.samples[i].t_ms, start_ms + want.t_ms - first) << i;
    EXPECT_EQ(r.delivered_at_ms[i], r.samples[i].t_ms) << "not at the recorded pace: " << i;
  }
}

TEST_F(LogReplayTest, TheHarshShiftLogReplaysAtItsRecordedPace) {
  test::run_for(io_, clock_, 5s);  // start somewhere other than 0
  auto log = LogReplay::open(strand_, clock_, fixture("harsh_shift_2_3.jsonl"));
  ASSERT_TRUE(log) << log.error().what();
  auto& recorded = (*log)->recorded();
  ASSERT_EQ(recorded.size(), 40u);
  EXPECT_EQ(recorded.front(), (SignalSample{vss::kSpeed, 1000, 38.0}));
  EXPECT_EQ(recorded.back(), (SignalSample{vss::kEngineSpeed, 1550, 1858}));
  const auto start = steady_ms(clock_);
  start_replay(**log);

  // Recorded: 2nd gear at 1100 ms, 3rd at 1200 ms with a 4.1 m/s² clunk: 200 ms after the start.
  test::run_for(io_, clock_, 199ms);
  EXPECT_EQ(*replayed_.at(vss::kCurrentGear, start + 199), 2);
  EXPECT_EQ(*replayed_.at(vss::kLongitudinalAcceleration, start + 199), 1.9);
  test::run_for(io_, clock_, 1ms);
  EXPECT_EQ(*replayed_.at(vss::kCurrentGear, start + 200), 3);
  EXPECT_EQ(*replayed_.at(vss::kLongitudinalAcceleration, start + 200), 4.1);
  EXPECT_FALSE((*log)->finished());

  test::run_for(io_, clock_, 10s);
  EXPECT_TRUE((*log)->finished());
  expect_replayed_as_recorded(**log, replayed_, start);
  EXPECT_EQ(replayed_.of(vss::kMilOn).at(0).value, 0) << "a JSON false is 0";
}

TEST_F(LogReplayTest, TheBrakeSquealLogReplaysAtItsRecordedPace) {
  auto log = LogReplay::open(strand_, clock_, fixture("brake_squeal.csv"));
  ASSERT_TRUE(log) << log.error().what();
  ASSERT_EQ((*log)->recorded().size(), 50u);
  const auto start = steady_ms(clock_);
  start_replay(**log);
  test::run_for(io_, clock_, 3s);
  EXPECT_TRUE((*log)->finished());
  expect_replayed_as_recorded(**log, replayed_, start);
  // Recorded at 5600 ms: 9.5 km/h and an 83.5 dB squeal.
  EXPECT_EQ(*replayed_.at(vss::kSpeed, start + 600), 9.5);
  EXPECT_EQ(*replayed_.at(vss::kBrakeNoiseLevel, start + 600), 83.5);
  EXPECT_EQ(*replayed_.at(vss::kBrakeNoiseLevel, start + 599), 36.0);
}

TEST_F(LogReplayTest, StopEndsTheReplay) {
  auto log = LogReplay::open(strand_, clock_, fixture("brake_squeal.csv"));
  ASSERT_TRUE(log);
  start_replay(**log);
  test::run_for(io_, clock_, 500ms);
  (*log)->stop();
  const auto n = replayed_.samples.size();
  test::run_for(io_, clock_, 5s);
  EXPECT_GT(n, 0u);
  EXPECT_EQ(replayed_.samples.size(), n);
}

TEST_F(LogReplayTest, AMalformedLineIsAnErrorNamingFileAndLine) {
  struct Case {
    std::string name, text, says;
  };
  const std::vector<Case> cases = {
      {"missing_value.jsonl",
       "{\"t_ms\":0,\"path\":\"Vehicle.Speed\",\"value\":1}\n\n{\"t_ms\":5,\"path\":\"Vehicle.Speed\"}\n",
       "missing_value.jsonl:3: value"},
      {"not_json.jsonl", "{\"t_ms\":0,\"path\":\"Vehicle.Speed\",\"value\":1}\n{\"t_ms\":5,\n",
       "not_json.jsonl:2: not a JSON"},
      {"string_value.jsonl", "{\"t_ms\":0,\"path\":\"Vehicle.Speed\",\"value\":\"fast\"}\n",
       "string_value.jsonl:1: value"},
      {"fraction_time.jsonl", "{\"t_ms\":0.5,\"path\":\"Vehicle.Speed\",\"value\":1}\n", "fraction_time.jsonl:1: t_ms"},
      {"no_header.csv", "0,Vehicle.Speed,1\n", "no_header.csv:1: need the header"},
      {"bad_number.csv", "# c\nt_ms,path,value\n0,Vehicle.Speed,1\n10,Vehicle.Speed,1,5x\n",
       "bad_number.csv:4: need 3 fields"},
      {"bad_value.csv", "t_ms,path,value\n0,Vehicle.Speed,fast\n", "bad_value.csv:2: value: 'fast'"},
      {"bad_time.csv", "t_ms,path,value\nsoon,Vehicle.Speed,1\n", "bad_time.csv:2: t_ms"},
      {"no_path.csv", "t_ms,path,value\n0,,1\n", "no_path.csv:2: path"},
      {"backwards.csv", "t_ms,path,value\n100,Vehicle.Speed,1\n99,Vehicle.Speed,1\n",
       "backwards.csv:3: t_ms 99 goes back"},
      {"empty.csv", "", "empty.csv:1: empty log"},
      // Epoch microseconds after a first sample at 0: the wait would overflow the steady clock.
      {"micros.csv", "t_ms,path,value\n0,Vehicle.Speed,1\n1717171717171717,Vehicle.Speed,1\n",
       "micros.csv:3: t_ms 1717171717171717 is more than 30 days after"},
      {"wrap.csv", "t_ms,path,value\n-9000000000000000000,Vehicle.Speed,1\n9000000000000000000,Vehicle.Speed,1\n",
       "wrap.csv:3: t_ms 9000000000000000000 is more than 30 days after"},
  };
  for (const auto& c : cases) {
    const auto e = open_error(write(c.name, c.text));
    EXPECT_EQ(e.code, ConfigErrc::parse_error) << c.name;
    EXPECT_NE(e.detail.find(dir_ / c.says), std::string::npos) << c.name << ": " << e.detail;
  }
  const auto unknown = open_error(write("log.txt", "t_ms,path,value\n"));
  EXPECT_EQ(unknown.code, ConfigErrc::parse_error);
  EXPECT_NE(unknown.detail.find("log.txt"), std::string::npos) << unknown.detail;
  EXPECT_EQ(open_error(dir_ / "absent.csv").code, ConfigErrc::file_not_found);
}

// ---- Parked: the gate of "Call me" ---------------------------------------------------------------

TEST(ParkedTrackerTest, ParkedIsStandingStillInPOrWithTheParkingBrake) {
  ParkedTracker t;
  EXPECT_FALSE(t.parked());  // nothing known yet
  EXPECT_FALSE(t.on_sample({vss::kSelectedGear, 0, ParkedTracker::kSelectorPark}));
  EXPECT_FALSE(t.parked());                         // no speed seen yet
  EXPECT_TRUE(t.on_sample({vss::kSpeed, 1, 0.0}));  // each change is reported, once
  EXPECT_TRUE(t.parked());
  EXPECT_FALSE(t.on_sample({vss::kSpeed, 1, 0.1}));
  EXPECT_TRUE(t.on_sample({vss::kSpeed, 2, 3.0}));
  EXPECT_FALSE(t.parked());  // rolling in P (towed, on a slope): not parked
  EXPECT_TRUE(t.on_sample({vss::kSpeed, 3, 0.2}));
  EXPECT_TRUE(t.on_sample({vss::kSelectedGear, 4, 127}));  // D, foot on the brake at a light
  EXPECT_FALSE(t.parked());
  EXPECT_TRUE(t.on_sample({vss::kParkingBrakeEngaged, 5, 1}));
  EXPECT_TRUE(t.parked());
  EXPECT_TRUE(t.on_sample({vss::kParkingBrakeEngaged, 6, 0}));
  EXPECT_FALSE(t.parked());
  auto check = t.check();
  t.on_sample({vss::kSelectedGear, 7, ParkedTracker::kSelectorPark});
  EXPECT_TRUE(check());  // the check reads the tracker's state now
}

TEST_F(SignalsTest, TheSimulatedDriveIsNeverParkedNotEvenAtItsStops) {
  DriveSimulator sim(strand_, clock_, config());
  ParkedTracker tracker;
  int checks = 0, parked = 0, standing = 0;
  sim.start([&](const SignalSample& s) {
    tracker.on_sample(s);
    if (s.path == vss::kSpeed) {
      ++checks;
      if (s.value < 0.5) ++standing;
      if (tracker.parked()) ++parked;
    }
  });
  test::run_for(io_, clock_, std::chrono::seconds(60));
  sim.stop();
  EXPECT_GT(checks, 100);
  EXPECT_GT(standing, 0);  // it did stop, in D with the brake pressed
  EXPECT_EQ(parked, 0);
}

}  // namespace
}  // namespace fb::agent
