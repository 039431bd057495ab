// The driver's copy of what the car keeps about them, as JSON (`fb-car privacy export`; the
// format is in docs/privacy.md, "Erasure and export on the car"). Pure function; thread-safe.
#pragma once

#include <string>

#include "fb/agent/car_store.hpp"

namespace fb::agent {

/// `data` as one JSON document (UTF-8, indented): the VIN, when it was made, and the reports
/// with their timelines, notifications, callbacks, drafts and unsent messages. Times are Unix
/// ms; enums are their vocabulary keys.
std::string personal_data_json(const PersonalData& data, const std::string& vin, std::int64_t exported_ms);

}  // namespace fb::agent
