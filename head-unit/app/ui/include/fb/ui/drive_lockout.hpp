// Driving lockout: whether the driver may type now, decided from the vehicle's signals. Typing
// (free text, the virtual keyboard) is locked while the car moves; quick taps stay available.
//
// Rule (hysteresis, so a creeping car or a noisy speed signal does not flicker the UI):
//  - locked at once when Vehicle.Speed rises above `moving_above_kmh`;
//  - unlocked once the speed has stayed below `standing_below_kmh` for `standing_for`, or at
//    once while standing with the selector in P or the parking brake engaged;
//  - between the two thresholds the state stays as it is;
//  - until the first speed sample it is locked (nothing known: the safe side).
// Time is the samples' own t_ms (the source's clock), so a fake source drives it in tests.
//
// Threads: not thread-safe; it belongs to the executor its source delivers on (the agent's
// strand in fb-headunit), which posts each change to the Qt thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "fb/agent/signals.hpp"

namespace fb::ui {

class DriveLockout {
 public:
  struct Config {
    double moving_above_kmh = 5;
    double standing_below_kmh = 1;
    std::chrono::milliseconds standing_for{3000};
  };

  DriveLockout() : DriveLockout(Config{}) {}
  explicit DriveLockout(Config config) : config_(config) {}

  /// Takes one sample (signals other than speed, selector and parking brake are ignored).
  /// Returns true when locked() changed with it.
  bool on_sample(const agent::SignalSample& sample);
  /// Typing is locked: the car moves, or has not stood still long enough, or nothing is known.
  bool locked() const { return locked_; }

 private:
  bool parked_now() const;

  Config config_;
  bool locked_ = true;
  std::optional<std::int64_t> standing_since_ms_;
  std::optional<double> speed_kmh_;
  bool selector_park_ = false;
  bool parking_brake_ = false;
};

}  // namespace fb::ui
