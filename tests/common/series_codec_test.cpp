#include "fb/common/series_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fb/common/codec.hpp"
#include "report_fixture.hpp"

namespace fb {
namespace {

using series::Point;

std::vector<Point> wave(std::size_t n, std::int64_t period_ms, double amplitude) {
  std::vector<Point> points;
  for (std::size_t i = 0; i < n; ++i) {
    const auto t = -60000 + static_cast<std::int64_t>(i) * period_ms;
    points.push_back({t, amplitude * std::sin(static_cast<double>(i) / 7.0) + 0.0137 * static_cast<double>(i)});
  }
  return points;
}

void expect_close(const std::vector<Point>& got, const std::vector<Point>& want, double resolution) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].t_ms, want[i].t_ms) << "sample " << i;
    EXPECT_LE(std::abs(got[i].value - want[i].value), resolution / 2 * (1 + 1e-9)) << "sample " << i;
  }
}

TEST(SeriesCodec, RoundTripIsWithinHalfAResolutionAndTimesAreExact) {
  for (const double resolution : {1.0, 0.1, 0.01, 0.001}) {
    const auto points = wave(900, 100, 80);
    auto s = series::encode("Vehicle.Speed", points, resolution);
    ASSERT_TRUE(s) << s.error().what();
    EXPECT_TRUE(series::is_compact(*s));
    EXPECT_EQ(s->count(), 900u);
    EXPECT_EQ(s->period_ms(), 100u);
    EXPECT_EQ(s->dt_ms_size(), 0) << "a regular series needs no time deviations";
    auto back = series::decode(*s);
    ASSERT_TRUE(back) << back.error().what();
    expect_close(*back, points, resolution);
  }
}

TEST(SeriesCodec, IrregularAndDecreasingTimesRoundTripExactly) {
  std::vector<Point> points = {{-500, 1}, {-400, 2}, {-300, 3}, {-310, 4}, {-100, 5}, {-100, 6}, {7000, 7}};
  auto s = series::encode("Vehicle.Speed", points, 0.1);
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->period_ms(), 100u);
  EXPECT_EQ(s->dt_ms_size(), 6);
  auto back = series::decode(*s);
  ASSERT_TRUE(back);
  expect_close(*back, points, 0.1);
}

TEST(SeriesCodec, EmptyAndSingleSampleSeries) {
  auto empty = series::encode("Vehicle.Speed", {}, 0.1);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->path(), "Vehicle.Speed");
  auto none = series::decode(*empty);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  const std::vector<Point> one = {{-42, 88.26}};
  auto s = series::encode("Vehicle.OBD.CoolantTemperature", one, 0.1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->count(), 1u);
  EXPECT_EQ(s->period_ms(), 0u);
  auto back = series::decode(*s);
  ASSERT_TRUE(back);
  expect_close(*back, one, 0.1);
}

TEST(SeriesCodec, NanAndInfinityAreRefusedNamingTheSample) {
  for (const double bad :
       {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    const std::vector<Point> points = {{0, 1}, {10, 2}, {20, bad}};
    auto s = series::encode("Vehicle.Speed", points, 0.1);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, make_error_code(WireErrc::invalid_field));
    EXPECT_NE(s.error().detail.find("values[2]: not a finite number"), std::string::npos) << s.error().detail;
  }
}

TEST(SeriesCodec, BadResolutionIsRefused) {
  const std::vector<Point> points = {{0, 1}};
  for (const double r : {0.0, -0.1, std::nan(""), std::numeric_limits<double>::infinity()}) {
    auto s = series::encode("Vehicle.Speed", points, r);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().detail.find("resolution"), std::string::npos);
  }
}

TEST(SeriesCodec, HugeValuesRoundTripUpToTheLimitAndAreRefusedBeyond) {
  const std::vector<Point> big = {{0, 4.0e15}, {10, -4.0e15}, {20, 4.0e15}};
  auto s = series::encode("Vehicle.Powertrain.CombustionEngine.Speed", big, 1);
  ASSERT_TRUE(s) << s.error().what();
  auto back = series::decode(*s);
  ASSERT_TRUE(back);
  expect_close(*back, big, 1);

  const std::vector<Point> too_big = {{0, 1}, {10, 1e17}};
  auto refused = series::encode("Vehicle.Powertrain.CombustionEngine.Speed", too_big, 1);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("values[1]"), std::string::npos) << refused.error().detail;
  EXPECT_NE(refused.error().detail.find("out of range"), std::string::npos);
}

TEST(SeriesCodec, ExtremeTimesRoundTripAndOverflowingStepsAreRefused) {
  const std::vector<Point> far = {{INT64_MIN / 2, 1}, {INT64_MAX / 2, 2}};
  auto s = series::encode("Vehicle.Speed", far, 1);
  ASSERT_TRUE(s) << s.error().what();
  auto back = series::decode(*s);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[1].t_ms, INT64_MAX / 2);

  const std::vector<Point> overflow = {{INT64_MIN, 1}, {INT64_MAX, 2}};
  auto refused = series::encode("Vehicle.Speed", overflow, 1);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("t_ms[1]"), std::string::npos);
}

TEST(SeriesCodec, LegacySeriesDecodesAsIs) {
  wire::SignalSeries legacy;
  legacy.set_path("Vehicle.Speed");
  legacy.add_t_ms(-100);
  legacy.add_values(12.345);
  legacy.add_t_ms(0);
  legacy.add_values(13.0);
  EXPECT_FALSE(series::is_compact(legacy));
  auto back = series::decode(legacy);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, (std::vector<Point>{{-100, 12.345}, {0, 13.0}}));
}

TEST(SeriesCodec, LegacySeriesWithANonFiniteValueIsRefusedAsTheCompactFormIs) {
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    wire::SignalSeries legacy;
    legacy.set_path("Vehicle.Speed");
    legacy.add_t_ms(0);
    legacy.add_values(1.0);
    legacy.add_t_ms(10);
    legacy.add_values(bad);
    auto back = series::decode(legacy);
    ASSERT_FALSE(back) << bad;
    EXPECT_EQ(back.error().code, make_error_code(WireErrc::invalid_field));
    EXPECT_NE(back.error().detail.find("values[1]"), std::string::npos) << back.error().detail;
    EXPECT_FALSE(series::check(legacy));
  }
}

wire::SignalSeries compact_three() {
  const std::vector<Point> points = {{0, 1}, {10, 2}, {25, 3}};
  return *series::encode("Vehicle.Speed", points, 0.1);
}

std::string decode_error(const wire::SignalSeries& s) {
  auto r = series::decode(s);
  EXPECT_FALSE(r);
  if (r) return "";
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::invalid_field));
  EXPECT_FALSE(series::check(s)) << "check() must agree with decode()";
  return r.error().detail;
}

TEST(SeriesCodec, MalformedCompactSeriesAreRefusedNamingTheField) {
  auto s = compact_three();
  s.add_dv(1);
  EXPECT_EQ(decode_error(s), "dv: 4 entries for count 3");

  s = compact_three();
  s.add_dt_ms(0);
  EXPECT_EQ(decode_error(s), "dt_ms: 3 entries, need 0 or count - 1 = 2");

  s = compact_three();
  s.set_count(series::kMaxSamples + 1);
  EXPECT_EQ(decode_error(s).rfind("count: ", 0), 0u);

  s = compact_three();
  s.set_resolution(0);
  EXPECT_EQ(decode_error(s).rfind("resolution", 0), 0u);

  s = compact_three();
  s.add_t_ms(0);
  s.add_values(0);
  EXPECT_EQ(decode_error(s).rfind("t_ms/values: set beside the compact form", 0), 0u);

  s = compact_three();
  s.set_dv(1, INT64_MAX);
  EXPECT_EQ(decode_error(s), "dv[1]: value out of range");

  s = compact_three();
  s.set_t0_ms(INT64_MAX - 5);
  EXPECT_EQ(decode_error(s).rfind("dt_ms[0]: time overflows", 0), 0u);

  wire::SignalSeries legacy;
  legacy.set_path("Vehicle.Speed");
  legacy.add_t_ms(0);
  EXPECT_EQ(decode_error(legacy), "values: 0 entries for 1 t_ms");
}

TEST(SeriesCodec, ResolutionsFollowTheDocumentedTable) {
  EXPECT_DOUBLE_EQ(series::resolution_for("Vehicle.Speed"), 0.1);
  EXPECT_DOUBLE_EQ(series::resolution_for("Vehicle.Powertrain.CombustionEngine.Speed"), 1);
  EXPECT_DOUBLE_EQ(series::resolution_for("Vehicle.Powertrain.Transmission.CurrentGear"), 1);
  EXPECT_DOUBLE_EQ(series::resolution_for("Vehicle.Chassis.Accelerator.PedalPosition"), 0.1);
  EXPECT_DOUBLE_EQ(series::resolution_for("Vehicle.OBD.CoolantTemperature"), 0.1);
  EXPECT_DOUBLE_EQ(series::resolution_for("Vehicle.LowVoltageBattery.CurrentVoltage"), 0.01);
  EXPECT_DOUBLE_EQ(series::resolution_for("Vehicle.Private.Acoustic.BrakeNoiseLevel"), 0.1);
  EXPECT_DOUBLE_EQ(series::resolution_for("Vehicle.Some.Unknown"), series::kDefaultResolution);
}

TEST(SeriesCodec, ValidateReportNamesTheBrokenSeries) {
  auto env = test::valid_report_envelope();
  auto* r = env.mutable_report();
  r->mutable_consent()->set_diagnostics(true);
  *r->mutable_snapshot()->add_signals() = compact_three();
  auto* broken = r->mutable_snapshot()->add_signals();
  *broken = compact_three();
  broken->set_path("Vehicle.OBD.CoolantTemperature");
  broken->mutable_dv()->RemoveLast();
  EXPECT_TRUE(codec::validate_report(test::valid_report_envelope().report()));
  auto v = codec::validate_report(*r);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(v.error().detail, "report.snapshot.signals[1].dv: 2 entries for count 3 (Vehicle.OBD.CoolantTemperature)");
}

}  // namespace
}  // namespace fb
