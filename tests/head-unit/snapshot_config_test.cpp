// The snapshot settings file: the allow-list of signals and the windows, with errors that name
// the file, the line and the key.
#include "fb/agent/snapshot_config.hpp"

#include <gtest/gtest.h>

#include "paths.hpp"

namespace fb::agent {
namespace {

using namespace std::chrono_literals;

Error error_of(std::string_view text) {
  auto r = parse_snapshot_settings(text, "snapshot.json");
  EXPECT_FALSE(r);
  return r ? Error{} : r.error();
}

TEST(SnapshotConfig, ReadsTheSignalsAndWindows) {
  auto s = parse_snapshot_settings(R"({"version": 1,
  "signals": ["Vehicle.Speed", "Vehicle.OBD.CoolantTemperature"],
  "pre_ms": 20000, "post_ms": 5000})",
                                   "snapshot.json");
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->signals, (std::set<std::string>{"Vehicle.Speed", "Vehicle.OBD.CoolantTemperature"}));
  EXPECT_EQ(s->pre, 20s);
  EXPECT_EQ(s->post, 5s);
  const auto c = s->recorder_config();
  EXPECT_EQ(c.ring.allowed, s->signals);
  EXPECT_TRUE(SnapshotRecorder::create(boost::asio::system_executor(), SystemClock::instance(), c));
}

// A window longer than the ring's 60 s grows the ring and its per-signal bound together: the
// bound meant 100 Hz over 60 s, and a 10-minute window must still keep 100 Hz, or its start is
// lost from the faster signals.
TEST(SnapshotConfig, ALongWindowKeepsEverySignalsRateOverTheWholeWindow) {
  auto s = parse_snapshot_settings(R"({"version": 1, "signals": ["Vehicle.Speed"], "pre_ms": 600000})",
                                   "snapshot.json");
  ASSERT_TRUE(s) << s.error().what();
  const auto configured = s->recorder_config();
  const SnapshotRecorder::Config defaults;  // the ring's bound for its 60 s: the rate to keep
  const double rate_hz = static_cast<double>(defaults.ring.max_samples_per_signal) /
                         std::chrono::duration<double>(defaults.ring.history).count();
  auto recorder = SnapshotRecorder::create(boost::asio::system_executor(), SystemClock::instance(), configured);
  ASSERT_TRUE(recorder) << recorder.error().what();
  const auto& ring = (*recorder)->config().ring;
  EXPECT_GE(ring.history, 600s + configured.post + configured.settle);
  EXPECT_GE(static_cast<double>(ring.max_samples_per_signal) / std::chrono::duration<double>(ring.history).count(),
            rate_hz)
      << "the per-signal bound did not grow with the history";
}

TEST(SnapshotConfig, TheDefaultIsEverySimulatorSignalAndTheShippedFileSaysTheSame) {
  const auto d = default_snapshot_settings();
  EXPECT_EQ(d.signals.size(), DriveSimulator::default_periods().size());
  EXPECT_TRUE(d.signals.contains(vss::kSpeed));
  EXPECT_EQ(d.pre, 60s);
  EXPECT_EQ(d.post, 30s);
  auto shipped = load_snapshot_settings(std::string(test::kDeployDir) + "/car/snapshot.json");
  ASSERT_TRUE(shipped) << shipped.error().what();
  EXPECT_EQ(shipped->signals, d.signals);
}

TEST(SnapshotConfig, ABadEntryIsNamedWithItsFileLineAndKey) {
  auto e = error_of("{\"version\": 1,\n \"signals\": [\n  \"Vehicle.Speed\",\n  \"Cabin.Temperature\"\n]}");
  EXPECT_EQ(e.code, make_error_code(ConfigErrc::invalid_value));
  EXPECT_EQ(e.detail, "snapshot.json:4: signals[1]: 'Cabin.Temperature' is not a VSS path (Vehicle.*)");

  e = error_of("{\"version\": 1,\n \"signals\": [\"Vehicle.Speed\",\n \"Vehicle.Speed\"]}");
  EXPECT_EQ(e.detail, "snapshot.json:3: signals[1]: 'Vehicle.Speed' is listed twice");

  e = error_of("{\"version\": 1,\n \"signals\": [\"Vehicle.Speed\"],\n \"post_ms\": -5}");
  EXPECT_EQ(e.detail, "snapshot.json:3: post_ms: need whole milliseconds in 0..600000");

  e = error_of("{\"version\": 1,\n \"signals\": \"Vehicle.Speed\"}");
  EXPECT_EQ(e.detail, "snapshot.json:2: signals: need an array of VSS paths");

  e = error_of("{\"version\": 1,\n \"signals\": [1]}");
  EXPECT_EQ(e.detail, "snapshot.json:2: signals[0]: need a string");

  e = error_of("{\"version\": 1,\n \"signals\": [\"Vehicle.Speed\"],\n \"pre_s\": 120}");
  EXPECT_EQ(e.detail, "snapshot.json:3: pre_s: unknown key (known: version, signals, pre_ms, post_ms, comment)");

  e = error_of("{\"version\": 2, \"signals\": []}");
  EXPECT_EQ(e.code, make_error_code(ConfigErrc::unsupported_version));

  e = error_of("{\"version\": 1,\n \"signals\": [\n}");
  EXPECT_EQ(e.code, make_error_code(ConfigErrc::parse_error));
  EXPECT_EQ(e.detail.rfind("snapshot.json:3:", 0), 0u) << e.detail;
}

TEST(SnapshotConfig, AMissingFileIsNamed) {
  auto r = load_snapshot_settings("/nonexistent/snapshot.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(ConfigErrc::file_not_found));
}

}  // namespace
}  // namespace fb::agent
