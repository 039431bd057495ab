// Builds the report a driver (or a telematics rule) submits: identity of the car, the driver's
// choices, a fresh report id. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fb/common/error.hpp"
#include "feedback.pb.h"

namespace fb::agent {

struct VehicleIdentity {
  std::string vin;
  std::string model;
  std::uint32_t model_year = 0;
  std::string software_version;
};

/// What the driver chose, or what a rule produced.
struct Draft {
  wire::Source source = wire::SOURCE_DRIVER;
  wire::Category category = wire::CATEGORY_OTHER;
  std::string text;
  std::string language = "en";
  wire::Consent consent;
  std::uint64_t odometer_km = 0;
  std::vector<std::string> dtcs;
  std::optional<wire::Location> location;            // only with consent.location
  std::optional<wire::DiagnosticSnapshot> snapshot;  // only with consent.diagnostics
  int priority = 0;                                  // outbox order; telematics safety faults use a higher value
  /// Empty (the normal case): a fresh random id. Set only by a producer that must make the same
  /// report again after a restart (fb-car stream); it must be a UUID.
  std::string report_id;
};

/// Returns the envelope (message id, schema version and, unless the draft names one, report id
/// all new) or the first field that
/// breaks the wire rules (WireErrc::missing_field / invalid_field / invalid_utf8 / oversize).
Result<wire::Envelope> build_report(const VehicleIdentity& vehicle, const Draft& draft, std::int64_t now_ms);

}  // namespace fb::agent
