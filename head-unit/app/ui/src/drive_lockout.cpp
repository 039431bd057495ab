#include "fb/ui/drive_lockout.hpp"

#include <cmath>
#include <string_view>

#include "fb/agent/parked.hpp"

namespace fb::ui {

bool DriveLockout::parked_now() const { return selector_park_ || parking_brake_; }

bool DriveLockout::on_sample(const agent::SignalSample& s) {
  const std::string_view path = s.path;
  if (path == agent::vss::kSpeed) {
    speed_kmh_ = std::abs(s.value);
    if (*speed_kmh_ < config_.standing_below_kmh) {
      if (!standing_since_ms_) standing_since_ms_ = s.t_ms;
    } else {
      standing_since_ms_.reset();
    }
  } else if (path == agent::vss::kSelectedGear) {
    selector_park_ = s.value == agent::ParkedTracker::kSelectorPark;
  } else if (path == agent::vss::kParkingBrakeEngaged) {
    parking_brake_ = s.value != 0;
  } else {
    return false;
  }
  if (!speed_kmh_) return false;

  bool locked = locked_;
  if (*speed_kmh_ > config_.moving_above_kmh) {
    locked = true;
  } else if (standing_since_ms_ && (parked_now() || s.t_ms - *standing_since_ms_ >= config_.standing_for.count())) {
    locked = false;
  }
  if (locked == locked_) return false;
  locked_ = locked;
  return true;
}

}  // namespace fb::ui
