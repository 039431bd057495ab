// Ingest: turns a batch of raw MQTT messages into stored cases, dead letters and the messages
// to publish after the commit (acks, which carry the first notification for cars that say they
// read it, Report.ack_carries_notification; a separate first notification for older cars). No I/O of its own besides
// the CaseStore, so tests drive it directly.
//
// Threads: not thread-safe; owned by the ingest strand (service.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fb/backend/case_store.hpp"
#include "fb/backend/rules.hpp"
#include "fb/backend/templates.hpp"
#include "fb/backend/triage.hpp"
#include "fb/common/clock.hpp"
#include "fb/common/codec.hpp"

namespace fb::backend {

struct RawMessage {
  std::string topic;
  std::string payload;
  std::int64_t arrived_ms = 0;  // when the service took it (for the ingest latency)
};

/// A message to publish (QoS 1) once the batch is committed. A report from a car that reads
/// Accepted.notification gets one: the ack carrying its case's first notification.
struct Outgoing {
  std::string topic;
  std::string payload;
  std::string notification_id;  // set for notifications (rescheduled on success), empty for acks
};

struct IngestStats {
  std::uint64_t batches = 0;
  std::uint64_t accepted = 0;    // new cases
  std::uint64_t duplicates = 0;  // re-deliveries answered with the same case
  std::uint64_t rejected = 0;    // dead-lettered and answered with a rejection
  std::uint64_t unroutable = 0;  // dead-lettered, no reply possible (bad topic)
  std::uint64_t receipts = 0;
  std::uint64_t surveys = 0;
  std::uint64_t car_replies = 0;  // visit replies, callback requests, driver messages, reopen requests
  /// Failures to store: a report, receipt or driver's answer unanswered (the car sends a report or
  /// an answer again).
  std::uint64_t retry_later = 0;
  std::uint64_t notifications_in_ack = 0;  // acks (first and duplicate) carrying the first notification
};

/// Characters of a survey comment; a longer one is refused (dead letter, no answer).
inline constexpr std::size_t kMaxSurveyComment = 1000;

/// Payload bytes kept with a dead letter (its digest covers all of it).
inline constexpr std::size_t kMaxDeadLetterPayload = std::size_t{64} * 1024;

struct IngestOptions {
  std::size_t max_payload_bytes = codec::kMaxPayloadBytes;
};

class Ingest {
 public:
  /// `rules` (classifier, router, templates, knowledge base) must outlive the Ingest.
  Ingest(CaseStore& store, const Rules& rules, const Clock& clock, IngestOptions options = {});
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  /// Validates, stores and answers a batch in one transaction. Returns what to publish.
  /// Drivers' answers are applied after it in a transaction of their own, each answered with
  /// AnswerStored once the store has it (applied, or refused as a dead letter); one the store
  /// cannot take gets no answer, and its car sends it again.
  /// Error: the store failed for the batch's reports, receipts and dead letters (e.g.
  /// StorageErrc::full); nothing is answered and no answer applied: the cars send their reports
  /// and answers again.
  Result<std::vector<Outgoing>> process(std::span<const RawMessage> batch);

  /// A report from another channel (hotline, dealer, web; `channel` names it) through the same
  /// pipeline: validated, classified, routed, stored (merged or clustered), and the driver's car
  /// told. The report must carry its report id (the caller's idempotency key) and VIN.
  /// Errors: WireErrc (the field at fault), report_id_conflict, StorageErrc.
  struct ChannelOutcome {
    CaseRef ref;
    std::vector<Outgoing> out;  // to publish to the car
  };
  Result<ChannelOutcome> accept_from_channel(const wire::Report& report, const std::string& channel,
                                             std::optional<Contact> contact = {});

  const IngestStats& stats() const { return stats_; }

 private:
  struct Rejection {
    Error error;
    std::string report_id;
  };

  static DeadLetterRecord dead_letter(const RawMessage& m, const std::string& digest, DeadLetterReason reason,
                                      std::string detail, std::int64_t now);
  /// Classifies and routes a valid report, with its SLA targets and any knowledge-base match.
  void triage(ReportIntake& intake) const;
  /// A report's notification: `event` is received, merged or workaround (NotificationFactory).
  Result<StoredNotification> make_notification(const ReportIntake& in, const CaseRef& ref,
                                               std::string_view event) const;
  /// `carried`: the stored first notification to put in Accepted.notification (or null).
  std::string ack_payload(const std::string& report_id, const std::string& digest, const CaseRef* accepted,
                          const Error* rejected, const StoredNotification* carried = nullptr) const;

  CaseStore& store_;
  const Rules& rules_;
  const Clock& clock_;
  IngestOptions options_;
  /// Drivers' answers (survey, visit reply, callback request, driver message, reopen request) in a
  /// transaction of their own with rendering; the notifications they queued, then each one's
  /// AnswerStored, go to `out`. One storage could not take gets no AnswerStored.
  void apply_replies(const std::vector<CarReplyIntake>& replies, std::vector<Outgoing>& out);
  /// AnswerStored for the car's answer `answer_id`; `refused`: why it was not applied.
  std::string answer_stored_payload(const std::string& answer_id, const std::string* refused = nullptr) const;

  IngestStats stats_;
};

}  // namespace fb::backend
