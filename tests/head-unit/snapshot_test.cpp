// The signal ring and the snapshot recorder against the fake clock, on the test thread: what the
// ring keeps, the window rule at its exact ends, overlapping taps, and the wire encoding.
#include "fb/agent/snapshot.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <iostream>

#include "fake_clock.hpp"

namespace fb::agent {
namespace {

using namespace std::chrono_literals;

SignalRing::Config ring_of(std::set<std::string> allowed) {
  SignalRing::Config c;
  c.allowed = std::move(allowed);
  return c;
}

std::vector<std::int64_t> times(const std::vector<SignalRing::Point>& points) {
  std::vector<std::int64_t> out;
  out.reserve(points.size());
  for (const auto& p : points) out.push_back(p.t_ms);
  return out;
}

TEST(SignalRingTest, KeepsTheLast60SecondsOfEachSignalAndASampleExactly60SecondsOld) {
  SignalRing ring(ring_of({vss::kSpeed, vss::kCoolantTemperature}));
  for (std::int64_t t = 0; t <= 120'000; t += 1000) ring.add({vss::kSpeed, t, double(t)});
  auto kept = ring.range(vss::kSpeed, INT64_MIN, INT64_MAX);
  ASSERT_EQ(kept.size(), 61u);
  EXPECT_EQ(kept.front().t_ms, 60'000);  // newest - 60 s: kept
  EXPECT_EQ(kept.back().t_ms, 120'000);

  // A signal that went quiet is forgotten as the others move on.
  ring.add({vss::kCoolantTemperature, 119'000, 90});
  ring.add({vss::kSpeed, 179'001, 1});
  ring.evict_older_than(179'001);
  EXPECT_TRUE(ring.range(vss::kCoolantTemperature, INT64_MIN, INT64_MAX).empty());
  EXPECT_EQ(times(ring.range(vss::kSpeed, INT64_MIN, INT64_MAX)), (std::vector<std::int64_t>{120'000, 179'001}));
}

TEST(SignalRingTest, DropsAndCountsSignalsNotOnTheAllowList) {
  SignalRing ring(ring_of({vss::kSpeed}));
  ring.add({vss::kSpeed, 0, 1});
  ring.add({"Vehicle.Cabin.Seat.Row1.Pos1.Position", 0, 2});
  ring.add({vss::kEngineSpeed, 10, 3});
  EXPECT_EQ(ring.paths(), std::vector<std::string>{vss::kSpeed});
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.stats().not_allowed, 2u);
}

TEST(SignalRingTest, MemoryIsBoundedPerSignal) {
  auto c = ring_of({vss::kSpeed});
  c.max_samples_per_signal = 100;
  SignalRing ring(c);
  for (std::int64_t t = 0; t < 1000; ++t) ring.add({vss::kSpeed, t, 0});  // 1 kHz
  EXPECT_EQ(ring.size(), 100u);
  EXPECT_EQ(ring.stats().overflowed, 900u);
  EXPECT_EQ(ring.range(vss::kSpeed, 0, 2000).front().t_ms, 900);
}

class SnapshotTest : public ::testing::Test {
 protected:
  std::unique_ptr<SnapshotRecorder> recorder(SnapshotRecorder::Config c) {
    auto r = SnapshotRecorder::create(strand_, clock_, std::move(c));
    EXPECT_TRUE(r) << r.error().what();
    return r ? std::move(*r) : nullptr;
  }
  static SnapshotRecorder::Config config(std::set<std::string> allowed) {
    SnapshotRecorder::Config c;
    c.ring = ring_of(std::move(allowed));
    return c;
  }
  // Moves the clock to `t_ms` (steady ms), running what falls due on the way.
  void run_until(std::int64_t t_ms) { test::run_for(io_, clock_, std::chrono::milliseconds(t_ms - now())); }
  std::int64_t now() const { return steady_ms(clock_); }

  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  test::FakeClock clock_;
};

const wire::SignalSeries* series(const Snapshot& s, const std::string& path) {
  for (const auto& x : s.signals.signals()) {
    if (x.path() == path) return &x;
  }
  return nullptr;
}

std::vector<std::int64_t> times(const wire::SignalSeries& s) { return {s.t_ms().begin(), s.t_ms().end()}; }

// The window rule: [T - 60 s, T + 30 s], both ends inclusive; the snapshot completes at
// T + 30 s + settle (100 ms), not before.
TEST_F(SnapshotTest, TheWindowIncludesBothEndsExactlyAndNothingBeyond) {
  auto rec = recorder(config({vss::kSpeed}));
  const std::int64_t T = 100'000;
  std::optional<Snapshot> done;
  for (const std::int64_t t : {T - 60'001, T - 60'000, T - 1, T}) {
    run_until(t);
    rec->add({vss::kSpeed, t, double(t - T)});
  }
  rec->tap(T, [&](Snapshot s) { done = std::move(s); });
  for (const std::int64_t t : {T + 1, T + 30'000, T + 30'001}) {
    run_until(t);
    rec->add({vss::kSpeed, t, double(t - T)});
  }
  run_until(T + 30'099);
  EXPECT_FALSE(done) << "completed before the post-tap window and its settle time had passed";
  EXPECT_EQ(rec->pending(), 1u);
  run_until(T + 30'100);
  ASSERT_TRUE(done);
  EXPECT_EQ(rec->pending(), 0u);
  EXPECT_EQ(done->tap_ms, T);
  EXPECT_EQ(done->signals.window_start_ms(), -60'000);
  EXPECT_EQ(done->signals.window_end_ms(), 30'000);
  const auto* speed = series(*done, vss::kSpeed);
  ASSERT_NE(speed, nullptr);
  EXPECT_EQ(times(*speed), (std::vector<std::int64_t>{-60'000, -1, 0, 1, 30'000}));
  EXPECT_EQ(std::vector<double>(speed->values().begin(), speed->values().end()),
            (std::vector<double>{-60'000, -1, 0, 1, 30'000}));
}

TEST_F(SnapshotTest, ASampleStampedAtTheTapButArrivingAfterItIsKeptOnce) {
  auto rec = recorder(config({vss::kSpeed}));
  run_until(70'000);
  std::optional<Snapshot> done;
  rec->tap(70'000, [&](Snapshot s) { done = std::move(s); });
  rec->add({vss::kSpeed, 70'000, 5});
  run_until(200'000);
  ASSERT_TRUE(done);
  EXPECT_EQ(times(*series(*done, vss::kSpeed)), std::vector<std::int64_t>{0});
}

TEST_F(SnapshotTest, OverlappingTapsOfADriveEachGetTheirOwnWindowWithoutBlockingTheSamples) {
  auto c = config({vss::kSpeed, vss::kCurrentGear, vss::kCoolantTemperature});
  c.ecu_software = {{"TCU", "TCU-4.2.0"}, {"ECM", "ECM-7.1.3"}};
  DriveSimulator::Config drive;
  drive.seed = 3;
  drive.faults.misfire_onset = 80s;
  DriveSimulator sim(strand_, clock_, drive);
  c.active_dtcs = [&sim] { return sim.active_dtcs(); };
  auto rec = recorder(c);
  sim.start([&](const SignalSample& s) { rec->add(s); });

  std::vector<Snapshot> done;
  run_until(70'000);
  rec->tap(now(), [&](Snapshot s) { done.push_back(std::move(s)); });
  run_until(85'000);
  rec->tap(now(), [&](Snapshot s) { done.push_back(std::move(s)); });
  EXPECT_EQ(rec->pending(), 2u);
  run_until(100'099);
  EXPECT_TRUE(done.empty());
  run_until(100'100);
  ASSERT_EQ(done.size(), 1u);
  run_until(115'100);
  ASSERT_EQ(done.size(), 2u);
  sim.stop();

  EXPECT_EQ(done[0].tap_ms, 70'000);
  EXPECT_EQ(done[1].tap_ms, 85'000);
  EXPECT_EQ(done[0].ecu_software.at("TCU"), "TCU-4.2.0");
  EXPECT_EQ(done[0].dtcs, std::vector<std::string>{"P0300"}) << "raised during the post-tap window";
  EXPECT_EQ(done[1].dtcs, std::vector<std::string>{"P0300"});
  for (const auto& s : done) {
    ASSERT_EQ(s.signals.signals_size(), 3);
    // 10 Hz over 90 s, both ends: 901; 1 Hz: 91.
    EXPECT_EQ(series(s, vss::kSpeed)->t_ms_size(), 901);
    EXPECT_EQ(series(s, vss::kSpeed)->t_ms(0), -60'000);
    EXPECT_EQ(series(s, vss::kSpeed)->t_ms(900), 30'000);
    EXPECT_EQ(series(s, vss::kCoolantTemperature)->t_ms_size(), 91);
    EXPECT_EQ(series(s, vss::kCurrentGear)->values_size(), 901);
  }
  // Where the windows overlap ([25 s, 100 s] of the drive) both hold the same samples.
  const auto* a = series(done[0], vss::kSpeed);
  const auto* b = series(done[1], vss::kSpeed);
  for (int i = 0; i < 751; ++i) {
    ASSERT_EQ(a->t_ms(150 + i) + 70'000, b->t_ms(i) + 85'000);
    ASSERT_EQ(a->values(150 + i), b->values(i));
  }
}

TEST_F(SnapshotTest, ACancelledTapNeverCompletes) {
  auto rec = recorder(config({vss::kSpeed}));
  bool done = false;
  const auto id = rec->tap(0, [&](const Snapshot&) { done = true; });
  EXPECT_TRUE(rec->cancel(id));
  EXPECT_FALSE(rec->cancel(id));
  run_until(60'000);
  EXPECT_FALSE(done);
}

TEST_F(SnapshotTest, AWindowTheRingCannotHoldIsRefused) {
  auto c = config({vss::kSpeed});
  c.pre = 61s;
  auto r = SnapshotRecorder::create(strand_, clock_, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ConfigErrc::invalid_value);
  c.pre = 60s;
  c.post = 60s;
  EXPECT_FALSE(SnapshotRecorder::create(strand_, clock_, c)) << "post + settle beyond the ring's history";
  c.post = -1s;
  EXPECT_FALSE(SnapshotRecorder::create(strand_, clock_, c));
}

// The size on the wire of a 90 s snapshot of 8 signals at the simulator's rates, and that the
// encoding round-trips. The figure goes into the note.
TEST_F(SnapshotTest, ANinetySecondSnapshotOfEightSignalsRoundTripsThroughTheWire) {
  const std::set<std::string> eight = {
      vss::kSpeed,      vss::kEngineSpeed,        vss::kCurrentGear,   vss::kSelectedGear, vss::kAcceleratorPedal,
      vss::kBrakePedal, vss::kCoolantTemperature, vss::kBatteryVoltage};
  auto rec = recorder(config(eight));
  DriveSimulator sim(strand_, clock_, {});
  sim.start([&](const SignalSample& s) { rec->add(s); });
  std::optional<Snapshot> done;
  run_until(75'000);
  rec->tap(now(), [&](Snapshot s) { done = std::move(s); });
  run_until(106'000);
  sim.stop();
  ASSERT_TRUE(done);
  ASSERT_EQ(done->signals.signals_size(), 8);

  const auto bytes = done->signals.SerializeAsString();
  EXPECT_EQ(bytes.size(), encoded_size(done->signals));
  wire::DiagnosticSnapshot decoded;
  ASSERT_TRUE(decoded.ParseFromString(bytes));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(decoded, done->signals));

  std::size_t samples = 0, repeats = 0;  // repeats: a value equal to the one before it
  for (const auto& s : done->signals.signals()) {
    samples += s.t_ms_size();
    for (int i = 1; i < s.values_size(); ++i) repeats += s.values(i) == s.values(i - 1);
  }
  // For comparison only (the wire keeps times relative to the tap): the same with each time as
  // the difference to the previous one.
  auto deltas = done->signals;
  for (auto& s : *deltas.mutable_signals()) {
    for (int i = s.t_ms_size() - 1; i > 0; --i) s.set_t_ms(i, s.t_ms(i) - s.t_ms(i - 1));
  }
  std::cout << "[snapshot] 90 s, 8 signals, " << samples << " samples: " << bytes.size() << " bytes encoded ("
            << double(bytes.size()) / double(samples) << " per sample); with delta times " << deltas.ByteSizeLong()
            << " bytes; " << repeats << " samples repeat the value before\n";
  RecordProperty("snapshot_bytes", static_cast<int>(bytes.size()));
  RecordProperty("snapshot_samples", static_cast<int>(samples));
  EXPECT_LT(bytes.size(), 150'000u);
}

}  // namespace
}  // namespace fb::agent
