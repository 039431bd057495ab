// Whether the car is parked, for the actions that are for a parked car only ("Call me").
// ParkedTracker follows a SignalSource's samples: parked = standing still (speed below
// 0.5 km/h) with the selector in P or the parking brake engaged. A stop at a red light in D with
// the foot on the brake is not parked. Until it has seen a speed sample it says "not parked".
//
// Threads: the tracker belongs to the executor its source delivers on (the agent's strand):
// feed and ask it there.
#pragma once

#include <functional>
#include <optional>

#include "fb/agent/signals.hpp"

namespace fb::agent {

/// Asked by the agent on its strand; true when the car is parked now.
using ParkedCheck = std::function<bool()>;

namespace vss {
inline constexpr const char* kParkingBrakeEngaged = "Vehicle.Chassis.ParkingBrake.IsEngaged";  // 0/1
}  // namespace vss

class ParkedTracker {
 public:
  static constexpr double kSelectorPark = 126;  // VSS SelectedGear: 126 = P, 127 = D

  /// Takes one sample (other signals are ignored). Returns true when parked() changed with it,
  /// so that a follower (the app's "Call me") needs no polling.
  bool on_sample(const SignalSample& sample);
  bool parked() const;
  /// A ParkedCheck reading this tracker (which must outlive it).
  ParkedCheck check() const {
    return [this] { return parked(); };
  }

 private:
  std::optional<double> speed_kmh_;
  std::optional<double> selected_gear_;
  bool parking_brake_ = false;
};

}  // namespace fb::agent
