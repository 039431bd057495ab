// Compact encoding of a snapshot's signal series (wire::SignalSeries, proto/feedback.proto):
// times as a start, a nominal period and the deviations from it; values quantized to a
// per-signal resolution and sent as deltas of the quantized integers, all packed sint64.
// decode() reads both this form and the legacy one (t_ms / values per sample).
//
// Precision: a decoded value is within resolution / 2 of the encoded one (plus the rounding of
// one double multiplication); times are exact.
//
// Pure functions, thread-safe. Errors: WireErrc::invalid_field, the detail naming the field
// ("dv: 3 entries for count 4") so a caller can prefix where the series sits.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fb/common/error.hpp"
#include "feedback.pb.h"

namespace fb::series {

struct Point {
  std::int64_t t_ms = 0;
  double value = 0;

  bool operator==(const Point&) const = default;
};

/// Most samples one series may hold (100 Hz over 90 s is 9,000): a decoder refuses more before
/// allocating anything.
inline constexpr std::uint32_t kMaxSamples = 100'000;
/// Largest |value / resolution|: quantized integers stay exact in a double and deltas in int64.
inline constexpr double kMaxQuantized = 9007199254740992.0;  // 2^53

/// The resolution a VSS signal is quantized to on the car (its unit as VSS defines it):
///   Vehicle.Speed                                          0.1 km/h
///   Vehicle.Powertrain.CombustionEngine.Speed              1 rpm
///   Vehicle.Powertrain.Transmission.CurrentGear / SelectedGear   1
///   Vehicle.Chassis.Accelerator.PedalPosition, Brake.PedalPosition   0.1 %
///   Vehicle.OBD.CoolantTemperature                         0.1 °C
///   Vehicle.LowVoltageBattery.CurrentVoltage               0.01 V
///   Vehicle.Powertrain.TractionBattery.StateOfCharge.Current   0.01 %
///   Vehicle.Powertrain.TractionBattery.Charging.IsCharging, Vehicle.OBD.Status.IsMILOn   1
///   Vehicle.Acceleration.Longitudinal                      0.01 m/s²
///   Vehicle.Private.Acoustic.*                             0.1 dB(A)
///   any other signal                                       0.001 (kDefaultResolution)
double resolution_for(std::string_view vss_path);
inline constexpr double kDefaultResolution = 0.001;

/// Encodes `points` (in their order) compactly as the series `path`. Times need not increase
/// (a deviation may be negative), but each step must fit in int64.
/// Errors (WireErrc::invalid_field): resolution not finite and > 0; a value NaN or infinite
/// ("values[i]: not a finite number"); |value / resolution| above kMaxQuantized; more than
/// kMaxSamples points; a time step that overflows.
Result<wire::SignalSeries> encode(std::string path, std::span<const Point> points, double resolution);

/// The samples of a series in either form. Errors (WireErrc::invalid_field): both forms set;
/// legacy t_ms and values of unequal length; compact: count above kMaxSamples, dv not `count`
/// entries, dt_ms neither empty nor count - 1 entries, resolution not finite and > 0, a time or
/// value that overflows.
Result<std::vector<Point>> decode(const wire::SignalSeries& series);

/// Checks a series as decode() would, without building the points.
Result<void> check(const wire::SignalSeries& series);

/// Whether the series uses the compact form.
bool is_compact(const wire::SignalSeries& series);

}  // namespace fb::series
