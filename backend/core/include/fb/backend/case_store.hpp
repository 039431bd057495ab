// The case store: reports, cases, their communication log, notifications to cars and the
// dead-letter table. SQLite is the embedded default (SqliteCaseStore); the interface is what a
// PostgreSQL implementation for several backend instances will provide too.
//
// Threads: one owner at a time. In the service that is the ingest strand (see service.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "fb/backend/triage.hpp"
#include "fb/common/error.hpp"
#include "feedback.pb.h"

namespace fb::backend {

/// A validated report on its way into the store.
struct ReportIntake {
  const wire::Report* report = nullptr;
  std::string payload;  // the Envelope bytes as received (kept for audit and reprocessing)
  std::string digest;   // SHA-256 of payload
  std::string topic;
  std::int64_t received_ms = 0;
  Classification classification;
  Route route;
  /// The car reads the first notification inside the ack (Report.ack_carries_notification): it is
  /// stored as carried, answered with every ack of this report and never re-sent on its own.
  bool notification_in_ack = false;
};

/// A message that could not be accepted, kept with its reason (never silently dropped).
struct DeadLetterRecord {
  std::string digest;  // SHA-256 of the payload; repeats of the same payload count up
  std::string topic;
  DeadLetterReason reason = DeadLetterReason::internal;
  std::string detail;
  std::string payload;
  std::int64_t at_ms = 0;
};

struct CaseRef {
  std::string case_id;      // UUID, stable across store migrations
  std::string case_number;  // FB-YYYY-NNNNNN
  std::string team;
  std::int64_t first_reply_due_ms = 0;
  bool duplicate = false;  // the report id was stored before; this is its case
};

/// A notification as kept in the store: the exact Envelope bytes that are (re)sent.
struct StoredNotification {
  std::string id;  // Envelope.message_id
  std::string vin;
  std::string payload;
  std::string text;  // rendered text, for the case's communication log
};

/// A delivered/read receipt from a car for one of our notifications.
struct ReceiptIntake {
  std::string notification_id;
  std::string vin;  // from the topic (authenticated by the broker)
  wire::ReceiptKind kind = wire::RECEIPT_DELIVERED;
  std::int64_t at_ms = 0;
  std::string topic;
  std::string payload;
};

using BatchItem = std::variant<ReportIntake, ReceiptIntake, DeadLetterRecord>;

struct ItemOutcome {
  std::optional<CaseRef> accepted;  // report stored, or found as a duplicate
  /// The first notification of a new case; for a duplicate, the one its first ack carried.
  std::optional<StoredNotification> notification;
  bool notification_in_ack = false;  // `notification` rides on the ack: publish no separate message
  std::optional<Error> error;        // report_id_conflict (rejected) or storage (retry)
  std::int64_t dead_letter_id = 0;   // for DeadLetterRecord items, conflicts, unknown receipts
  bool receipt_matched = false;      // ReceiptIntake: it named a notification sent to that VIN
};

/// Builds the first notification of a new case (called inside the batch's transaction).
using NotificationFactory = std::function<Result<StoredNotification>(const ReportIntake&, const CaseRef&)>;

struct CaseSummary {
  std::string case_id;
  std::string case_number;
  std::string vin;
  std::string report_id;
  CaseType type = CaseType::usage_experience;
  Priority priority = Priority::medium;
  VehicleSystem system = VehicleSystem::unknown;
  std::string team;
  wire::CaseStatus status = wire::CASE_STATUS_RECEIVED;
  std::int64_t created_ms = 0;
  std::int64_t first_reply_due_ms = 0;
};

struct DeadLetterSummary {
  std::int64_t id = 0;
  std::string topic;
  DeadLetterReason reason = DeadLetterReason::internal;
  std::string detail;
  std::int64_t count = 0;
};

struct StoreCounts {
  std::int64_t reports = 0;
  std::int64_t cases = 0;
  std::int64_t dead_letters = 0;
  std::int64_t notifications_undelivered = 0;  // awaiting a delivery receipt (carried ones excluded)
  std::int64_t notifications_carried = 0;      // carried by an ack
};

class CaseStore {
 public:
  virtual ~CaseStore() = default;

  /// Stores a batch in one transaction; each item in its own savepoint so one bad item does not
  /// sink the others. A report id seen before returns its existing case (duplicate = true); one
  /// seen before from another VIN is dead-lettered and returned as WireErrc::report_id_conflict.
  /// A receipt that names no notification sent to its VIN is dead-lettered.
  /// A first notification for ReportIntake::notification_in_ack is stored as carried by the ack:
  /// due_notifications() never returns it (the car's re-sent report brings a duplicate ack that
  /// carries it again); receipts for it (read) are still recorded.
  /// The whole-call error (e.g. StorageErrc::full at commit) means nothing was stored.
  virtual Result<std::vector<ItemOutcome>> commit_batch(std::span<const BatchItem> items,
                                                        const NotificationFactory& make_notification) = 0;

  /// Notifications not yet delivered whose next attempt is due, oldest first. A new notification
  /// is "pending" and due at once until reschedule() records that the broker took it.
  virtual Result<std::vector<StoredNotification>> due_notifications(std::int64_t now_ms, std::size_t limit) = 0;
  /// Records an attempt the broker accepted ("sent") and schedules the next, unless a delivery
  /// receipt comes first: now + min(base * 2^attempts, max).
  virtual Result<void> reschedule(std::span<const std::string> ids, std::int64_t now_ms, std::int64_t base_ms,
                                  std::int64_t max_ms) = 0;

  /// Reading a row whose type, priority, system, status or reason is not a vocabulary key fails
  /// with StorageErrc::corrupt (nothing this code writes).
  virtual Result<std::optional<CaseSummary>> find_case_by_report(std::string_view report_id) = 0;
  virtual Result<std::vector<CaseSummary>> list_cases(std::size_t limit) = 0;
  virtual Result<std::vector<DeadLetterSummary>> list_dead_letters(std::size_t limit) = 0;
  virtual Result<StoreCounts> counts() = 0;
};

/// Opens (creating or migrating) the SQLite case store. A corrupt file is refused
/// (StorageErrc::corrupt), a newer schema too (schema_too_new): an operator must look.
/// `max_pages` (4 KiB each, 0 = unbounded) caps the file, as a full disk would.
Result<std::unique_ptr<CaseStore>> open_sqlite_case_store(const std::filesystem::path& path,
                                                          std::int64_t max_pages = 0);

/// "FB-2026-000123".
std::string format_case_number(int year, std::int64_t sequence);

}  // namespace fb::backend
