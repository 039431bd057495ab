// A report's class in the car's outbox. Pure names; no threads.
#pragma once

namespace fb::agent {

/// How urgent a report is while it waits in the outbox (report_class_of() derives it from the
/// draft). It decides the send order (class first, then age), the time to live
/// (CarStore::Options) and what the size cap may evict: lower classes first, safety never.
/// Stored as the outbox row's priority, with these values. Receipts and the driver's answers
/// have priority 0 and callback requests 1: they are not reports, never expire and are not
/// counted by the cap.
enum class ReportClass {
  low = 0,     // ideas and suggestions
  normal = 1,  // everything else a driver or a rule reports
  safety = 2,  // warning lamps, brakes, steering, restraints, fire: sent first, never evicted
};

}  // namespace fb::agent
