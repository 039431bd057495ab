#include "fb/agent/parked.hpp"

#include <cmath>
#include <string_view>

namespace fb::agent {

bool ParkedTracker::on_sample(const SignalSample& s) {
  const bool before = parked();
  const std::string_view path = s.path;
  if (path == vss::kSpeed) {
    speed_kmh_ = s.value;
  } else if (path == vss::kSelectedGear) {
    selected_gear_ = s.value;
  } else if (path == vss::kParkingBrakeEngaged) {
    parking_brake_ = s.value != 0;
  }
  return parked() != before;
}

bool ParkedTracker::parked() const {
  if (!speed_kmh_ || std::abs(*speed_kmh_) >= 0.5) return false;
  return parking_brake_ || (selected_gear_ && *selected_gear_ == kSelectorPark);
}

}  // namespace fb::agent
