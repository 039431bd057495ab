#include "fb/common/utc_offset.hpp"

#include <cstdio>

namespace fb {

std::string utc_offset_text(std::int64_t offset_ms) {
  const auto minutes = (offset_ms < 0 ? -offset_ms : offset_ms) / 60000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "UTC%c%02lld:%02lld", offset_ms < 0 ? '-' : '+', static_cast<long long>(minutes / 60),
                static_cast<long long>(minutes % 60));
  return buf;
}

}  // namespace fb
