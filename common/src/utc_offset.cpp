#include "fb/common/utc_offset.hpp"

#include <cstdio>
#include <ctime>

namespace fb {

std::string utc_offset_text(std::int64_t offset_ms) {
  const auto minutes = (offset_ms < 0 ? -offset_ms : offset_ms) / 60000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "UTC%c%02lld:%02lld", offset_ms < 0 ? '-' : '+', static_cast<long long>(minutes / 60),
                static_cast<long long>(minutes % 60));
  return buf;
}

std::string wall_clock_text(std::int64_t ms, std::int64_t offset_ms, const char* format) {
  std::int64_t local_ms = 0;
  if (__builtin_add_overflow(ms, offset_ms, &local_ms)) return {};
  // Floor, not truncation: an instant before 1970 on that clock still names its own second.
  const auto t = static_cast<std::time_t>(local_ms / 1000 - (local_ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return {};
  char buf[64];
  const auto n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

}  // namespace fb
