// Builds the report a driver (or a telematics rule) submits: identity of the car, the driver's
// choices, a fresh report id. Consent is applied here, on the car: without consent.location no
// location, with it the location coarsened to kLocationGridDeg; without consent.diagnostics no
// snapshot. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fb/agent/report_class.hpp"
#include "fb/agent/snapshot.hpp"
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
  std::optional<wire::Location> location;            // dropped without consent.location, else coarsened
  std::optional<wire::DiagnosticSnapshot> snapshot;  // dropped without consent.diagnostics
  /// Set by a rule that knows better (e.g. a telematics safety fault); unset: report_class_of().
  std::optional<ReportClass> report_class;
  /// Record a snapshot around the moment of submission (the agent's SnapshotRecorder, if it has
  /// one): the report is saved at once and held until the post-tap window has passed. Ignored
  /// without consent.diagnostics.
  bool capture_snapshot = false;
  /// The moment to record around (steady ms on the agent's clock, AgentApi::snapshot_clock_ms(),
  /// e.g. the driver's tap on "it is happening now"); unset: the moment of submission. A moment
  /// still in the recorder's ring (at most post + settle + SnapshotRecorder::kRingSlack ago) is
  /// recorded around; an older one is no longer held, and the report goes out flagged
  /// snapshot_lost.
  std::optional<std::int64_t> snapshot_at_ms;

  // Telematics (docs/telematics.md): Report.related_report_ids, the rule of an auto-report and
  // its suggested severity (a Priority key, or empty).
  std::vector<std::string> related_report_ids;
  std::string rule_id;
  std::string suggested_severity;
  /// Empty (the normal case): a fresh time-ordered id (new_time_ordered_uuid). Set only by a producer that must make
  /// the same report again after a restart (fb-car stream); it must be a UUID.
  std::string report_id;
  /// The number the service team may call back on (Report.callback_phone): digits, '+', '-' or
  /// spaces, at most 32; "" for the one on record. Dropped without consent.contact.
  std::string callback_phone;
  /// The saved draft (drafts.hpp) this report completes: deleted once the report is committed.
  std::string draft_id;
};

/// The grid a location is rounded to on the car: 0.01 degrees, about 1.1 km north-south (less
/// east-west away from the equator).
inline constexpr double kLocationGridDeg = 0.01;

/// `location` rounded to kLocationGridDeg.
wire::Location coarsen(const wire::Location& location);

/// The draft's class in the outbox: its explicit `report_class` if set; else safety for a
/// warning lamp or brakes category, a safety DTC (chassis C0xxx: brakes, ABS, steering; body B00xx: airbags and
/// restraints) or a safety word in the text (brake, steering, airbag, fire, smoke and their
/// Chinese: 刹车, 制动, 转向, 方向盘, 气囊, 起火, 冒烟); else low for an idea; else normal.
/// Pure; thread-safe.
ReportClass report_class_of(const Draft& draft);

/// The class of a report already built (e.g. one recovered from an older store that kept no
/// class): report_class_of() of its category, text and DTCs, and a telematics rule's suggested
/// severity taken as the rule's class (high safety, medium normal, low low). Pure; thread-safe.
ReportClass report_class_of(const wire::Report& report);

/// Returns the envelope (message id, schema version and, unless the draft names one, report id
/// all new) or the first field that breaks the wire rules (WireErrc::missing_field / invalid_field / invalid_utf8 /
/// oversize).
Result<wire::Envelope> build_report(const VehicleIdentity& vehicle, const Draft& draft, std::int64_t now_ms);

/// Puts a completed snapshot into a built report, unless the report's consent forbids it: the
/// signals, its DTCs merged with the report's (sorted, unique) and the ECU software versions.
/// Checks the wire rules and the payload limit again for the whole envelope; on an error the
/// envelope is unchanged. Errors: as build_report.
Result<void> attach_snapshot(wire::Envelope& envelope, const Snapshot& snapshot);

}  // namespace fb::agent
