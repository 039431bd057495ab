#include "fb/common/clock.hpp"

namespace fb {
SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}
}  // namespace fb
