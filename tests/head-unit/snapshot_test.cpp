// The signal ring and the snapshot recorder against the fake clock, on the test thread: what the
// ring keeps, the window rule at its exact ends, overlapping taps, and the wire encoding.
#include "fb/agent/snapshot.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "fake_clock.hpp"
#include "fb/common/series_codec.hpp"

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

std::vector<series::Point> points(const wire::SignalSeries& s) {
  auto decoded = series::decode(s);
  EXPECT_TRUE(decoded) << decoded.error().what();
  return decoded ? *decoded : std::vector<series::Point>{};
}

std::vector<std::int64_t> times(const wire::SignalSeries& s) {
  std::vector<std::int64_t> out;
  for (const auto& p : points(s)) out.push_back(p.t_ms);
  return out;
}

std::vector<double> values(const wire::SignalSeries& s) {
  std::vector<double> out;
  for (const auto& p : points(s)) out.push_back(p.value);
  return out;
}

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
  EXPECT_TRUE(series::is_compact(*speed));
  EXPECT_EQ(values(*speed), (std::vector<double>{-60'000, -1, 0, 1, 30'000}));
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
    const auto speed = times(*series(s, vss::kSpeed));
    ASSERT_EQ(speed.size(), 901u);
    EXPECT_EQ(speed.front(), -60'000);
    EXPECT_EQ(speed.back(), 30'000);
    EXPECT_EQ(times(*series(s, vss::kCoolantTemperature)).size(), 91u);
    EXPECT_EQ(values(*series(s, vss::kCurrentGear)).size(), 901u);
  }
  // Where the windows overlap ([25 s, 100 s] of the drive) both hold the same samples.
  const auto a = points(*series(done[0], vss::kSpeed));
  const auto b = points(*series(done[1], vss::kSpeed));
  for (std::size_t i = 0; i < 751; ++i) {
    ASSERT_EQ(a[150 + i].t_ms + 70'000, b[i].t_ms + 85'000);
    ASSERT_EQ(a[150 + i].value, b[i].value);
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

TEST_F(SnapshotTest, TheRingGrowsToHoldAWholeWindowAndNegativeTimesAreRefused) {
  auto c = config({vss::kSpeed});
  c.ring.history = 60s;
  c.ring.max_samples_per_signal = 600;  // 10 Hz for 60 s
  c.pre = 61s;
  c.post = 30s;
  auto rec = recorder(c);
  ASSERT_TRUE(rec);
  const auto held = c.pre + c.post + c.settle + SnapshotRecorder::kRingSlack;
  EXPECT_EQ(rec->ring().config().history, held);
  EXPECT_EQ(rec->ring().config().max_samples_per_signal, 921u) << "10 Hz over 92.1 s";

  c.post = -1s;
  auto r = SnapshotRecorder::create(strand_, clock_, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ConfigErrc::invalid_value);
  c.post = 30s;
  c.ring.history = 0s;
  EXPECT_FALSE(SnapshotRecorder::create(strand_, clock_, c));
}

// Many overlapping taps share the ring: the ring holds each sample once however many taps wait,
// and every tap still gets its whole pre-tap window although it is older than 60 s at completion.
TEST_F(SnapshotTest, OverlappingTapsShareTheRingInsteadOfCopyingTheirPreTapWindows) {
  auto rec = recorder(config({vss::kSpeed}));
  std::vector<Snapshot> done;
  const std::int64_t start = 1'000;
  std::int64_t t = start;
  const auto feed_until = [&](std::int64_t end) {
    for (; t <= end; t += 100) {
      run_until(t);
      rec->add({vss::kSpeed, t, double(t)});
    }
  };
  feed_until(start + 60'000);
  for (int i = 0; i < 50; ++i) {
    rec->tap(now(), [&](Snapshot s) { done.push_back(std::move(s)); });
    feed_until(t + 99);
  }
  EXPECT_EQ(rec->pending(), 50u);
  EXPECT_LE(rec->ring().size(), 912u) << "one 10 Hz signal over the ring's 91.1 s, each sample once";
  feed_until(t + 40'000);
  ASSERT_EQ(done.size(), 50u);
  for (const auto& s : done) {
    const auto ts = times(*series(s, vss::kSpeed));
    ASSERT_EQ(ts.size(), 901u) << "10 Hz over [-60 s, +30 s], both ends";
    EXPECT_EQ(ts.front(), -60'000);
    EXPECT_EQ(ts.back(), 30'000);
  }
}

TEST_F(SnapshotTest, NonFiniteSamplesAreDroppedAndCounted) {
  auto rec = recorder(config({vss::kSpeed}));
  rec->add({vss::kSpeed, 0, std::nan("")});
  rec->add({vss::kSpeed, 10, 1});
  EXPECT_EQ(rec->ring().size(), 1u);
  EXPECT_EQ(rec->ring().stats().not_finite, 1u);
}

// The size on the wire of a 90 s (-60/+30) snapshot of every signal the simulator emits by
// default, compact and legacy, from the same drive; the compact one decodes to the legacy one
// within half a resolution. The figures go into the note:
//   build/dev/tests/head_unit_tests --gtest_filter='SnapshotTest.ANinety*'
TEST_F(SnapshotTest, ANinetySecondSnapshotOfEverySignalIsSmallerCompactAndDecodesToTheLegacyOne) {
  std::set<std::string> all;
  for (const auto& [path, period] : DriveSimulator::default_periods()) all.insert(path);
  auto compact_config = config(all);
  auto legacy_config = compact_config;
  legacy_config.compact = false;
  auto compact = recorder(compact_config);
  auto legacy = recorder(legacy_config);
  DriveSimulator sim(strand_, clock_, {});
  sim.start([&](const SignalSample& s) {
    compact->add(s);
    legacy->add(s);
  });
  std::optional<Snapshot> small, big;
  run_until(75'000);
  compact->tap(now(), [&](Snapshot s) { small = std::move(s); });
  legacy->tap(now(), [&](Snapshot s) { big = std::move(s); });
  run_until(106'000);
  sim.stop();
  ASSERT_TRUE(small && big);
  ASSERT_EQ(small->signals.signals_size(), big->signals.signals_size());
  ASSERT_GE(small->signals.signals_size(), 12) << "a combustion car: every default signal but the EV ones";

  std::size_t samples = 0;
  for (int i = 0; i < big->signals.signals_size(); ++i) {
    const auto& l = big->signals.signals(i);
    const auto& c = small->signals.signals(i);
    ASSERT_EQ(l.path(), c.path());
    EXPECT_FALSE(series::is_compact(l));
    EXPECT_TRUE(series::is_compact(c));
    const auto want = points(l);
    const auto got = points(c);
    ASSERT_EQ(got.size(), want.size()) << l.path();
    samples += want.size();
    const double half = series::resolution_for(l.path()) / 2 * (1 + 1e-9);
    for (std::size_t k = 0; k < want.size(); ++k) {
      ASSERT_EQ(got[k].t_ms, want[k].t_ms) << l.path() << " sample " << k;
      ASSERT_LE(std::abs(got[k].value - want[k].value), half) << l.path() << " sample " << k;
    }
  }
  const auto compact_bytes = encoded_size(small->signals);
  const auto legacy_bytes = encoded_size(big->signals);
  std::cout << "[snapshot] 90 s, " << small->signals.signals_size() << " signals, " << samples << " samples: compact "
            << compact_bytes << " bytes (" << double(compact_bytes) / double(samples) << " per sample), legacy "
            << legacy_bytes << " bytes (" << double(legacy_bytes) / double(samples) << " per sample)\n";
  RecordProperty("snapshot_compact_bytes", static_cast<int>(compact_bytes));
  RecordProperty("snapshot_legacy_bytes", static_cast<int>(legacy_bytes));
  RecordProperty("snapshot_samples", static_cast<int>(samples));
  EXPECT_LT(compact_bytes * 4, legacy_bytes) << "the compact form should be at least 4x smaller";
}

}  // namespace
}  // namespace fb::agent
