// A fixed offset from UTC, the service region's clock (backend config `utc_offset`), as people
// read it.
#pragma once

#include <cstdint>
#include <string>

namespace fb {

/// "UTC+08:00", "UTC-03:30": the clock `offset_ms` ahead of UTC (minutes kept, seconds dropped).
/// Any thread; no errors.
std::string utc_offset_text(std::int64_t offset_ms);

}  // namespace fb
