#include "fb/common/series_codec.hpp"

#include <cmath>
#include <map>
#include <utility>

namespace fb::series {
namespace {

struct Resolution {
  std::string_view path;
  double step;
};

constexpr Resolution kResolutions[] = {
    {"Vehicle.Speed", 0.1},
    {"Vehicle.Powertrain.CombustionEngine.Speed", 1},
    {"Vehicle.Powertrain.Transmission.CurrentGear", 1},
    {"Vehicle.Powertrain.Transmission.SelectedGear", 1},
    {"Vehicle.Chassis.Accelerator.PedalPosition", 0.1},
    {"Vehicle.Chassis.Brake.PedalPosition", 0.1},
    {"Vehicle.OBD.CoolantTemperature", 0.1},
    {"Vehicle.LowVoltageBattery.CurrentVoltage", 0.01},
    {"Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", 0.01},
    {"Vehicle.Powertrain.TractionBattery.Charging.IsCharging", 1},
    {"Vehicle.OBD.Status.IsMILOn", 1},
    {"Vehicle.Acceleration.Longitudinal", 0.01},
};

bool valid_resolution(double r) { return std::isfinite(r) && r > 0; }

Error bad(std::string detail) { return Error(WireErrc::invalid_field, std::move(detail)); }

// Calls `each(t_ms, value)` for every sample of the series in order; stops at the first error.
template <typename Each>
Result<void> walk(const wire::SignalSeries& s, Each&& each) {
  const bool compact = is_compact(s);
  if (compact && (s.t_ms_size() > 0 || s.values_size() > 0)) {
    return fail(bad("t_ms/values: set beside the compact form (count " + std::to_string(s.count()) + ")"));
  }
  if (!compact) {
    if (s.t_ms_size() != s.values_size()) {
      return fail(bad("values: " + std::to_string(s.values_size()) + " entries for " + std::to_string(s.t_ms_size()) +
                      " t_ms"));
    }
    if (static_cast<std::uint64_t>(s.t_ms_size()) > kMaxSamples) {
      return fail(bad("t_ms: " + std::to_string(s.t_ms_size()) + " samples, limit " + std::to_string(kMaxSamples)));
    }
    for (int i = 0; i < s.t_ms_size(); ++i) {
      // The compact form cannot carry a non-finite value, and encode() refuses one: the legacy form
      // may not bring one in either.
      if (!std::isfinite(s.values(i))) return fail(bad("values[" + std::to_string(i) + "]: not a finite number"));
    }
    for (int i = 0; i < s.t_ms_size(); ++i) each(s.t_ms(i), s.values(i));
    return {};
  }
  const std::uint64_t n = s.count();
  if (n > kMaxSamples) return fail(bad("count: " + std::to_string(n) + ", limit " + std::to_string(kMaxSamples)));
  if (static_cast<std::uint64_t>(s.dv_size()) != n) {
    return fail(bad("dv: " + std::to_string(s.dv_size()) + " entries for count " + std::to_string(n)));
  }
  if (s.dt_ms_size() != 0 && static_cast<std::uint64_t>(s.dt_ms_size()) != n - 1) {
    return fail(
        bad("dt_ms: " + std::to_string(s.dt_ms_size()) + " entries, need 0 or count - 1 = " + std::to_string(n - 1)));
  }
  if (!valid_resolution(s.resolution())) return fail(bad("resolution: need a finite number above 0"));
  std::int64_t t = s.t0_ms();
  std::int64_t q = 0;
  for (int i = 0; i < s.dv_size(); ++i) {
    if (i > 0) {
      const std::int64_t dt = s.dt_ms_size() ? s.dt_ms(i - 1) : 0;
      std::int64_t step = 0;
      if (__builtin_add_overflow(static_cast<std::int64_t>(s.period_ms()), dt, &step) ||
          __builtin_add_overflow(t, step, &t)) {
        return fail(bad("dt_ms[" + std::to_string(i - 1) + "]: time overflows"));
      }
    }
    if (__builtin_add_overflow(q, s.dv(i), &q) || std::abs(static_cast<double>(q)) > kMaxQuantized) {
      return fail(bad("dv[" + std::to_string(i) + "]: value out of range"));
    }
    const double v = static_cast<double>(q) * s.resolution();
    if (!std::isfinite(v)) return fail(bad("dv[" + std::to_string(i) + "]: value out of range"));
    each(t, v);
  }
  return {};
}

// The most frequent step between consecutive times (the smallest on a tie), 0 if negative: the
// nominal period, so that a regular series needs no deviations at all.
std::int64_t nominal_period(std::span<const Point> points) {
  std::map<std::int64_t, std::size_t> counts;
  for (std::size_t i = 1; i < points.size(); ++i) {
    std::int64_t step = 0;
    if (__builtin_sub_overflow(points[i].t_ms, points[i - 1].t_ms, &step)) continue;
    ++counts[step];
  }
  std::int64_t best = 0;
  std::size_t best_count = 0;
  for (const auto& [step, count] : counts) {
    if (count > best_count) {
      best = step;
      best_count = count;
    }
  }
  return best < 0 || best > UINT32_MAX ? 0 : best;
}

}  // namespace

double resolution_for(std::string_view vss_path) {
  for (const auto& r : kResolutions) {
    if (r.path == vss_path) return r.step;
  }
  if (vss_path.starts_with("Vehicle.Private.Acoustic.")) return 0.1;
  return kDefaultResolution;
}

bool is_compact(const wire::SignalSeries& s) { return s.count() > 0 || s.dv_size() > 0 || s.dt_ms_size() > 0; }

Result<wire::SignalSeries> encode(std::string path, std::span<const Point> points, double resolution) {
  if (!valid_resolution(resolution)) return fail(bad("resolution: need a finite number above 0"));
  if (points.size() > kMaxSamples) {
    return fail(bad("count: " + std::to_string(points.size()) + " samples, limit " + std::to_string(kMaxSamples)));
  }
  wire::SignalSeries s;
  s.set_path(std::move(path));
  if (points.empty()) return s;  // no samples: nothing but the path, in either form
  const std::int64_t period = nominal_period(points);
  s.set_count(static_cast<std::uint32_t>(points.size()));
  s.set_resolution(resolution);
  s.set_t0_ms(points.front().t_ms);
  s.set_period_ms(static_cast<std::uint32_t>(period));
  bool regular = true;
  std::vector<std::int64_t> deviations;
  deviations.reserve(points.size());
  std::int64_t previous_q = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double v = points[i].value;
    if (!std::isfinite(v)) return fail(bad("values[" + std::to_string(i) + "]: not a finite number"));
    const double scaled = std::round(v / resolution);
    if (!(std::abs(scaled) <= kMaxQuantized)) {
      return fail(bad("values[" + std::to_string(i) + "]: " + std::to_string(v) + " is out of range at resolution " +
                      std::to_string(resolution)));
    }
    const auto q = static_cast<std::int64_t>(scaled);
    s.add_dv(q - previous_q);  // |q| <= 2^53: no overflow
    previous_q = q;
    if (i > 0) {
      std::int64_t step = 0, deviation = 0;
      if (__builtin_sub_overflow(points[i].t_ms, points[i - 1].t_ms, &step) ||
          __builtin_sub_overflow(step, period, &deviation)) {
        return fail(bad("t_ms[" + std::to_string(i) + "]: the step from the previous sample overflows"));
      }
      regular = regular && deviation == 0;
      deviations.push_back(deviation);
    }
  }
  if (!regular) {
    for (auto d : deviations) s.add_dt_ms(d);
  }
  return s;
}

Result<std::vector<Point>> decode(const wire::SignalSeries& series) {
  std::vector<Point> out;
  out.reserve(is_compact(series) ? std::min<std::uint64_t>(series.dv_size(), kMaxSamples)
                                 : static_cast<std::size_t>(series.t_ms_size()));
  if (auto r = walk(series, [&](std::int64_t t, double v) { out.push_back({t, v}); }); !r) return fail(r.error());
  return out;
}

Result<void> check(const wire::SignalSeries& series) {
  return walk(series, [](std::int64_t, double) {});
}

}  // namespace fb::series
