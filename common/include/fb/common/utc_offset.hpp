// A fixed offset from UTC, the service region's clock (backend config `utc_offset`), as people
// read it.
#pragma once

#include <cstdint>
#include <string>

namespace fb {

/// "UTC+08:00", "UTC-03:30": the clock `offset_ms` ahead of UTC (minutes kept, seconds dropped).
/// Any thread; no errors.
std::string utc_offset_text(std::int64_t offset_ms);

/// The instant `ms` (Unix epoch) on the clock `offset_ms` ahead of UTC, as strftime's `format`
/// writes it: "2026-12-05 09:30" with the default. The same text wherever it is made (backend,
/// car, fb-dealer), whatever the host's own time zone. "" for an instant no calendar date holds
/// (a hostile field near INT64_MAX). Any thread; no errors (at most 63 bytes).
std::string wall_clock_text(std::int64_t ms, std::int64_t offset_ms, const char* format = "%Y-%m-%d %H:%M");

}  // namespace fb
