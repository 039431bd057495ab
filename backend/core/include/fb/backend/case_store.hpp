// The case store: reports, cases, their communication log, notifications to cars and the
// dead-letter table. SQLite is the embedded default (SqliteCaseStore); the interface is what a
// PostgreSQL implementation for several backend instances will provide too.
//
// Threads: one owner at a time. In the service that is the ingest strand (see service.hpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fb/backend/knowledge_base.hpp"
#include "fb/backend/lifecycle.hpp"
#include "fb/backend/triage.hpp"
#include "fb/backend/visits.hpp"
#include "fb/common/crypto.hpp"
#include "fb/common/error.hpp"
#include "feedback.pb.h"

namespace fb::backend {

/// Service-level targets of one case, from the routing configuration for its priority.
struct SlaTargets {
  std::int64_t first_response_ms = std::int64_t{24} * 3600 * 1000;  // a person answers the driver
  std::int64_t resolution_ms = std::int64_t{7} * 24 * 3600 * 1000;  // the case is resolved
  std::int64_t progress_every_ms = std::int64_t{48} * 3600 * 1000;  // silence before an automatic update; 0 = never

  /// routing.conf's targets for a priority (Router::sla), in milliseconds.
  static SlaTargets of(const Sla& sla) {
    const auto ms = [](std::chrono::minutes m) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(m).count();
    };
    return SlaTargets{ms(sla.first_response), ms(sla.resolution), ms(sla.progress_every)};
  }
};

/// Adds `team` to a case's `collaborators` unless it owns the case (`owner`) or is there already.
inline void add_collaborator(std::vector<std::string>& collaborators, std::string_view owner, const std::string& team) {
  if (team != owner && std::find(collaborators.begin(), collaborators.end(), team) == collaborators.end()) {
    collaborators.push_back(team);
  }
}

/// How reports join cases and cases form clusters (configuration; see docs/lifecycle.md).
struct GroupingPolicy {
  /// The same car reporting the same problem within this window joins its open case; 0 = never.
  std::int64_t merge_window_ms = std::int64_t{14} * 24 * 3600 * 1000;
  /// "The same problem": same vehicle system and a shared DTC, or text at least this similar.
  double merge_min_similarity = 0.3;
  /// Cases of different cars join a cluster: same model and software version, and the same DTC
  /// or the same system with text at least this similar.
  double cluster_min_similarity = 0.3;
  /// A cluster with no new case for this long is closed to newcomers (a new one starts).
  std::int64_t cluster_window_ms = std::int64_t{30} * 24 * 3600 * 1000;
  /// A cluster with this many vehicles becomes a major case (重大问题) with the cases as children.
  int major_case_vehicles = 5;
  /// Early warning: at least `warning_min_cases` new cases in the last window, and at least
  /// `warning_rate_factor` times as many as in the window before.
  std::int64_t warning_window_ms = std::int64_t{24} * 3600 * 1000;
  int warning_min_cases = 3;
  double warning_rate_factor = 2.0;
  /// The SLA clock starts at the car's timestamp unless it differs from the receive time by more.
  std::int64_t max_clock_skew_ms = std::int64_t{24} * 3600 * 1000;
  /// The service region's offset from UTC (config `utc_offset`; China Standard Time by default,
  /// which keeps no daylight saving): a case's number carries the year of this clock, so a case
  /// opened early on 1 January there is numbered in the new year, and visit notices write their
  /// times in it. The dashboard's days and weeks and the monthly report's months are its too
  /// (open_sqlite_analytics).
  std::int64_t utc_offset_ms = kChinaStandardTimeOffsetMs;
};

/// How to reach the person behind a report from another channel (hotline, dealer, web): personal
/// data, masked for roles that do not need it and erased on request.
struct Contact {
  std::string name;
  std::string phone;
};

/// A validated report on its way into the store.
struct ReportIntake {
  const wire::Report* report = nullptr;
  std::string payload;  // the Envelope bytes as received (kept for audit and reprocessing)
  std::string digest;   // SHA-256 of payload
  std::string topic;
  std::int64_t received_ms = 0;
  Classification classification;
  Route route;
  SlaTargets sla;
  std::optional<KnowledgeMatch> knowledge;  // a known problem matched at triage
  std::string channel = "car";              // or the other channel it came through: hotline, dealer, web
  std::optional<Contact> contact;           // a caller's name and number (other channels): personal data
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
  bool merged = false;     // the report joined an open case of the same car (same problem)
};

/// A notification as kept in the store: the exact Envelope bytes that are (re)sent.
struct StoredNotification {
  std::string id;  // Envelope.message_id
  std::string vin;
  std::string payload;
  std::string text;             // rendered text, for the case's communication log
  std::int64_t created_ms = 0;  // set by due_notifications(): when it was queued
  int attempts = 0;             // set by due_notifications(): sends the broker took so far
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
  bool notification_in_ack = false;              // `notification` rides on the ack: publish no separate message
  std::optional<StoredNotification> workaround;  // a knowledge-base answer for a new case (sent on its own)
  std::optional<Error> error;                    // report_id_conflict (rejected) or storage (retry)
  std::int64_t dead_letter_id = 0;               // for DeadLetterRecord items, conflicts, unknown receipts
  bool receipt_matched = false;                  // ReceiptIntake / CarReplyIntake: it matched and was applied
  /// CarReplyIntake: what it queued for the car (a booking confirmed, a callback queued, a follow-up opened); due at
  /// once.
  std::vector<StoredNotification> notices;
};

/// Builds a report's notification (called inside the batch's transaction): `event` is "received"
/// for a new case, "merged" when the report joined an open case, "workaround" for the
/// knowledge-base answer of a new case.
using NotificationFactory =
    std::function<Result<StoredNotification>(const ReportIntake&, const CaseRef&, std::string_view event)>;

struct CaseSummary {
  std::string case_id;
  std::string case_number;
  std::string vin;
  std::string report_id;
  CaseType type = CaseType::usage_experience;
  Priority priority = Priority::medium;
  VehicleSystem system = VehicleSystem::other;
  std::string team;
  std::vector<std::string> collaborators;  // further teams working with `team` (routing.conf)
  CaseState state = CaseState::new_;
  std::int64_t created_ms = 0;
  std::int64_t first_reply_due_ms = 0;
  std::int64_t resolution_due_ms = 0;
  std::string assignee;
  std::string language;
  std::string channel;
  std::string parent_case_number;  // the major case this one is a child of
  bool major = false;              // a major case grouping a cluster's cases
  int reports = 0;                 // reports merged into it (1 for a fresh case)
  std::string model;
  std::string software_version;
  std::optional<std::int64_t> first_response_ms;  // when a person first answered (stops the 24 h clock)
  std::optional<std::int64_t> resolved_ms;
  /// The classifier was not sure (Classification::needs_human_triage): the case waits in the
  /// human triage queue until a person confirms or corrects it (CaseStore::triage_case).
  bool needs_triage = false;
};

/// One audit entry of a case: who did what, when and why.
struct CaseEvent {
  std::int64_t at_ms = 0;
  std::string kind;   // created, merged, transition, notified, escalation, progress, survey, cluster, ...
  std::string actor;  // "system", "car", or a person's id
  std::string detail;
};

/// A notification of a case as recorded: what it told and whether the car has it.
struct NotificationSummary {
  std::string id;
  std::string event;  // template kind: received, merged, routed, progress, ...
  std::string state;  // pending, sent, delivered, read
  std::int64_t created_ms = 0;
  std::int64_t delivered_ms = 0;  // 0 until the car's delivery receipt
  std::int64_t read_ms = 0;       // 0 until the driver has seen it
  int attempts = 0;
  bool carried_by_ack = false;  // rode inside the report's ack: the car has it once the ack is applied
};

/// Where a case stands against its SLA at a moment (see sla_state()).
enum class SlaState {
  on_track,  // open, the next target more than 4 h away
  due_soon,  // open, the next target within 4 h
  overdue,   // open, the next target passed
  met,       // resolved within its resolution target
  missed,    // resolved after it
};

/// The target an open case works to next: first response until a person answered, then resolution.
std::int64_t next_due_ms(const CaseSummary& c);
SlaState sla_state(const CaseSummary& c, std::int64_t now_ms);
inline constexpr std::int64_t kDueSoonMs = std::int64_t{4} * 3600 * 1000;

enum class CaseSort { newest, oldest, due, priority };

}  // namespace fb::backend

template <>
struct fb::Vocabulary<fb::backend::SlaState> {
  static constexpr std::string_view name = "SLA state";
  static constexpr std::string_view fallback = "on_track";
  static constexpr std::array<VocabularyEntry<backend::SlaState>, 5> entries{{
      {backend::SlaState::on_track, "on_track"},
      {backend::SlaState::due_soon, "due_soon"},
      {backend::SlaState::overdue, "overdue"},
      {backend::SlaState::met, "met"},
      {backend::SlaState::missed, "missed"},
  }};
};
template <>
struct fb::Vocabulary<fb::backend::CaseSort> {
  static constexpr std::string_view name = "sort";
  static constexpr std::string_view fallback = "newest";
  static constexpr std::array<VocabularyEntry<backend::CaseSort>, 4> entries{{
      {backend::CaseSort::newest, "newest"},
      {backend::CaseSort::oldest, "oldest"},
      {backend::CaseSort::due, "due"},
      {backend::CaseSort::priority, "priority"},
  }};
};

namespace fb::backend {

/// A filtered, sorted page of cases (the service teams' queue). Filters combine with AND.
struct CaseQuery {
  std::vector<std::string> teams;  // cases of these teams or on which they collaborate; empty = every team
  std::vector<CaseState> states;   // any of them; empty = every state
  std::optional<Priority> priority;
  std::optional<VehicleSystem> system;
  std::string model;
  std::string assignee;
  std::optional<SlaState> sla;
  std::optional<bool> needs_triage;  // true: the human triage queue; false: the cases out of it
  std::string text;                  // a case number, a VIN, or words in a report's text
  CaseSort sort = CaseSort::newest;
  std::string cursor;  // from the previous page's next_cursor; only valid with the same sort
  std::size_t limit = 50;
  std::int64_t now_ms = 0;  // for the SLA filter
};

struct CasePage {
  std::vector<CaseSummary> items;
  std::string next_cursor;  // empty on the last page
};

/// A report as stored: its Envelope bytes are the evidence (decoded by the reader).
struct StoredReport {
  std::string report_id;
  std::int64_t received_ms = 0;
  std::string channel;
  std::string payload;  // the Envelope as received; empty once erased
};

/// Everything the console shows of one case.
struct CaseDetail {
  CaseSummary c;
  std::vector<StoredReport> reports;
  std::vector<CaseEvent> events;
  std::vector<NotificationSummary> notifications;
  std::vector<std::string> notification_payloads;  // the Envelope of each notification, same order
  std::optional<Contact> contact;
  /// Score and comment of the answer counted for the latest closing answered (survey_score()).
  std::optional<std::pair<int, std::string>> survey;
};

/// What a privacy erasure removed (and the audit record kept of it).
struct ErasureOutcome {
  std::string subject;  // "vin:" or "phone:" and a SHA-256 prefix: the audit never repeats the subject
  std::int64_t cases = 0;
  std::int64_t reports = 0;
  std::int64_t notifications = 0;
  std::int64_t contacts = 0;
};

/// A request to move a case to another state (from the team API, the console or the CLI).
struct TransitionRequest {
  std::string case_number;
  CaseState to = CaseState::acknowledged;
  std::string actor;   // required: who
  std::string reason;  // required: why
  std::int64_t at_ms = 0;
  std::string assignee;           // required when moving to `assigned`
  std::string appointment_when;   // required when moving to `appointment`, e.g. "2026-12-05 09:30"
  std::string appointment_place;  // required when moving to `appointment`, e.g. the 4S store
  /// The driver's action that asked for the move (a ReopenRequest's message id): the notice
  /// answers it (Notification.action_result). Empty: none.
  std::string action_id;
  /// The report the notice names (the one the driver acted from); empty: the case's first.
  std::string report_id;
  /// What the driver's notice says of why ({note}), in the case's language; unset: `reason`
  /// (a team's words to the driver). Set when the reason is the store's own, for the audit.
  std::optional<std::string> driver_note;
};

/// A person's triage (分诊) of a case: the classification confirmed or corrected, the team and
/// SLA targets that follow from it (the caller routes it: Service::triage), and why.
struct TriageDecision {
  std::string actor;   // required: who
  std::string reason;  // required: why (the audit's, never the driver's)
  std::int64_t at_ms = 0;
  CaseType type = CaseType::usage_experience;
  Priority priority = Priority::medium;
  VehicleSystem system = VehicleSystem::other;
  std::string team;                        // required
  std::vector<std::string> collaborators;  // further teams (the owning team is dropped from them)
  SlaTargets sla;                          // the targets of `priority`, counted from the case's SLA start
};
/// Decides a triage on the case as the store reads it inside the triage's transaction (so that
/// nothing committed meanwhile is decided over); an error refuses the triage and changes nothing.
using TriageDecider = std::function<Result<TriageDecision>(const CaseSummary& current)>;

/// A notification the lifecycle asks to send to a case's car, rendered inside the transaction.
struct CaseNotice {
  std::string event;  // template kind: progress, routed, appointment_proposed, resolved, survey_request, ...
  CaseSummary c;      // the case after the change
  std::string vin;
  std::string report_id;  // the report it names: the case's first, or the one the driver acted from
  std::map<std::string, std::string> vars;
  std::int64_t at_ms = 0;
  std::optional<wire::VisitUpdate> visit;  // what the car shows and may answer besides the text
  std::optional<wire::CallbackUpdate> callback;
  /// The driver's action this notice answers (DriverMessage, ReopenRequest), if any.
  std::optional<wire::ActionResult> action_result;
};
using NoticeRenderer = std::function<Result<StoredNotification>(const CaseNotice&)>;

/// What a transition did.
struct TransitionOutcome {
  CaseSummary c;                           // the case after the move
  std::vector<std::string> notifications;  // ids queued for cars (children of a major case too)
  int children_moved = 0;                  // a major case's children resolved or closed with it
};

/// What one SLA pass found and did.
struct SlaEvent {
  std::string case_number;
  std::string kind;  // "first_response" or "resolution" escalation; "progress", "visit_reminder" or
                     // "callback_cancelled": a notice queued for the car
  int level = 0;     // 50 or 100 (% of the target) for escalations
  std::string team;
};

/// A cluster of similar cases across vehicles.
struct ClusterSummary {
  std::int64_t id = 0;
  std::string key;  // "dtc:P0700" or "system:transmission"
  std::string model;
  std::string software_version;
  int vehicles = 0;
  int cases = 0;
  std::string major_case_number;  // empty until the cluster is big enough
  std::int64_t warned_ms = 0;     // last early warning, 0 if none
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
  std::int64_t awaiting_triage = 0;            // open cases in the human triage queue
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
  /// Every count: each reads a whole table, so a call grows with the store. For diagnostics and
  /// tests, not for probes.
  virtual Result<StoreCounts> counts() = 0;
  /// Only dead_letters and notifications_undelivered (the other fields 0): a capped table and an
  /// index range, cheap at any store size. For /metrics.
  virtual Result<StoreCounts> outstanding_counts() = 0;
  /// Reads one case row (none in an empty store): the store answers, in the same time at any
  /// size. For /readyz. Errors: the store's (StorageErrc, or the server's on PostgreSQL).
  virtual Result<void> check_readable() = 0;
  /// Deletes the dead letters last seen before `before_ms` (retention); returns how many.
  virtual Result<std::int64_t> purge_dead_letters(std::int64_t before_ms) = 0;

  // ---- Several instances on one store ----

  /// Takes or renews the lease `name` for `holder` until now_ms + ttl_ms, unless another holder
  /// has it and it has not expired; one transaction. Returns whether `holder` holds it now.
  virtual Result<bool> hold_lease(std::string_view name, std::string_view holder, std::int64_t now_ms,
                                  std::int64_t ttl_ms) = 0;
  /// Gives the lease up if `holder` has it (a clean stop: another takes it at once).
  virtual Result<void> release_lease(std::string_view name, std::string_view holder) = 0;

  // ---- Lifecycle (see lifecycle.hpp) ----

  virtual Result<std::optional<CaseSummary>> find_case(std::string_view case_number) = 0;
  virtual Result<std::vector<CaseEvent>> case_events(std::string_view case_number) = 0;
  virtual Result<std::vector<NotificationSummary>> case_notifications(std::string_view case_number) = 0;
  /// Moves a case, audits it and queues the driver's notification, in one transaction. Moving a
  /// major case to resolved or closed moves its open children too and notifies every driver.
  /// Errors: CaseErrc::not_found, invalid_transition (naming the allowed moves), missing_detail.
  virtual Result<TransitionOutcome> transition(const TransitionRequest& request, const NoticeRenderer& render) = 0;
  /// Escalates cases at 50 % and 100 % of their first-response and resolution targets and
  /// queues a progress update for open cases silent for their progress interval; one
  /// transaction. Each escalation or update happens once.
  virtual Result<std::vector<SlaEvent>> process_sla(std::int64_t now_ms, const NoticeRenderer& render) = 0;
  /// The earliest moment process_sla() has something to do; nullopt when nothing is pending.
  virtual Result<std::optional<std::int64_t>> next_sla_deadline() = 0;
  virtual Result<std::vector<ClusterSummary>> list_clusters(std::size_t limit) = 0;
  /// Average survey score and answer count (CSAT), over all cases: one answer per closing, its
  /// latest (the resolved notice's rating and the closed case's survey ask the same question).
  virtual Result<std::pair<double, std::int64_t>> survey_score() = 0;

  // ---- Service teams' work (API and console) ----

  /// Errors: CaseErrc::invalid_query for a cursor that is not this sort's.
  virtual Result<CasePage> search_cases(const CaseQuery& query) = 0;
  virtual Result<std::optional<CaseDetail>> case_detail(std::string_view case_number) = 0;
  /// Case numbers of a VIN, or of the cases whose contact has this phone number.
  virtual Result<std::vector<std::string>> cases_of_subject(std::string_view vin, std::string_view phone) = 0;
  /// A note in the case's audit trail, not shown to the driver.
  virtual Result<CaseEvent> add_comment(std::string_view case_number, std::string_view actor, std::string_view text,
                                        std::int64_t at_ms) = 0;
  /// A person's words to the driver: audited, queued as a notification (a person's answer, so
  /// it is also the first response). `script` "message" sends `text` as written; "progress" sends
  /// the standard progress script (标准化话术) with `text` as its note.
  /// Errors: not_found, missing_detail (no car, no text), invalid_request (another script).
  virtual Result<StoredNotification> send_message(std::string_view case_number, std::string_view actor,
                                                  std::string_view text, std::string_view script, std::int64_t at_ms,
                                                  const NoticeRenderer& render) = 0;
  /// Gives an open case to a person: a new or acknowledged case moves to assigned (telling the
  /// driver); one further on keeps its state and changes hands (audited).
  virtual Result<CaseSummary> assign(std::string_view case_number, std::string_view assignee, std::string_view actor,
                                     std::int64_t at_ms, const NoticeRenderer& render) = 0;
  /// Applies a person's triage to an open case and takes it out of the triage queue, in one
  /// transaction in which `decide` sees the case as it is: type, priority, system, team and
  /// collaborators as decided. A changed priority re-times the case: the decision's targets from
  /// its SLA start (the first-reply one only while nobody has answered; a higher priority never
  /// moves a due time later), escalations already sent stay sent, and a case without progress
  /// updates (a follow-up) gets none; an unchanged priority keeps the case's own due times. A new
  /// team takes the case unassigned. A case whose classification no longer fits its cluster's
  /// symptom leaves the cluster (and the cluster's major case). Audited as a "triage" event with
  /// what changed. The driver is not notified: the car's next notice names the new team.
  /// Errors: not_found, missing_detail (actor, reason, team), invalid_transition (a resolved or
  /// closed case: reopen it first), invalid_request (a major case: triage its cases), and
  /// whatever `decide` returns.
  virtual Result<CaseSummary> triage_case(std::string_view case_number, const TriageDecider& decide) = 0;
  /// Moves every report of `from` into `into` (same car, both open) and closes `from` as merged
  /// (audited as a transition); the car is told of each report moved ("merged", naming `into`).
  virtual Result<CaseSummary> merge_cases(std::string_view from, std::string_view into, std::string_view actor,
                                          std::int64_t at_ms, const NoticeRenderer& render) = 0;
  /// Takes one report out of a case with several into a new case of its own (same triage).
  virtual Result<CaseSummary> split_report(std::string_view case_number, std::string_view report_id,
                                           std::string_view actor, std::int64_t at_ms) = 0;
  /// Makes a case a child of a major case (or, with an empty number, no one's child).
  virtual Result<CaseSummary> link_to_major(std::string_view case_number, std::string_view major_case_number,
                                            std::string_view actor, std::int64_t at_ms) = 0;
  /// Erases what identifies a person: reports' text, payloads and locations, notifications,
  /// contacts, survey comments and dead letters of a VIN (or the contacts with a phone number);
  /// the cases stay, pseudonymous, for the statistics. One transaction, with an audit record.
  virtual Result<ErasureOutcome> erase_subject(std::string_view vin, std::string_view phone, std::string_view actor,
                                               std::int64_t at_ms) = 0;
  /// Records a privacy export in the audit (what was exported, by whom).
  virtual Result<void> audit_privacy(std::string_view action, std::string_view subject, std::string_view actor,
                                     std::int64_t at_ms) = 0;
  /// Cases per state, for metrics.
  virtual Result<std::vector<std::pair<CaseState, std::int64_t>>> cases_by_state() = 0;

  // ---- Drivers' answers, service visits and live callbacks (visits.hpp, docs/visits.md) ----

  /// Applies survey answers, visit replies and callback requests, one transaction, each item in
  /// its own savepoint. An item that cannot apply (unknown survey, visit or report for its VIN, a
  /// slot not offered, a visit no longer proposed, an approval already answered, a score outside
  /// 1..5) is dead-lettered with that reason; a re-sent one (same message id) changes nothing.
  /// A visit survey scored kFollowUpMaxScore or lower opens a follow-up case for after-sales.
  virtual Result<std::vector<ItemOutcome>> apply_car_replies(std::span<const CarReplyIntake> items,
                                                             const NoticeRenderer& render) = 0;
  /// Offers slots: a new visit on an open case (moving it to appointment), or new slots for a
  /// visit not yet under way (a reschedule). Errors: CaseErrc (not_found, invalid_transition),
  /// VisitErrc (not_found, invalid_stage, invalid_request: no slots, more than 5, end before
  /// start, a dealer offering another dealer's slot, no estimate).
  virtual Result<Visit> propose_visit(const VisitProposal& proposal, const NoticeRenderer& render) = 0;
  virtual Result<std::vector<Visit>> visits(const VisitQuery& query) = 0;
  /// nullopt when there is none, or `dealer_code` is set and the visit is not that dealer's.
  virtual Result<std::optional<Visit>> visit(std::string_view visit_id, std::string_view dealer_code) = 0;
  /// Enters the next stage of the repair order (audited, the driver told with the ready time).
  /// Errors: VisitErrc::not_found, invalid_stage (naming the allowed one), approval_required,
  /// invalid_request (a diagnosis without findings, a quality check without a result, money in
  /// another currency).
  virtual Result<Visit> record_stage(const StageEntry& entry, const NoticeRenderer& render) = 0;
  /// Asks the driver to approve extra cost (at diagnosis or repair; one request open at a time).
  virtual Result<Approval> request_approval(const ApprovalRequest& request, const NoticeRenderer& render) = 0;
  /// Cancels a visit not yet checked in; the case goes back to in_progress.
  virtual Result<Visit> cancel_visit(std::string_view visit_id, std::string_view dealer_code, std::string_view actor,
                                     std::string_view reason, std::int64_t at_ms, const NoticeRenderer& render) = 0;
  /// The live queue and its history: queued ones oldest first, others newest first.
  virtual Result<std::vector<Callback>> callbacks(const CallbackQuery& query) = 0;
  /// An agent takes a queued callback (the car is told). Errors: not_found, already_taken.
  virtual Result<Callback> pick_up_callback(std::string_view id, std::string_view agent, std::int64_t at_ms,
                                            const NoticeRenderer& render) = 0;
  /// The call's outcome on the case (the car is told). `agent` must be the one who picked it
  /// up unless `override_owner`. Errors: not_found, already_taken, invalid_stage (not picked up).
  virtual Result<Callback> log_callback(std::string_view id, std::string_view agent, bool override_owner,
                                        std::string_view outcome, std::string_view note, std::int64_t at_ms,
                                        const NoticeRenderer& render) = 0;

  // ---- Privacy at rest (docs/privacy.md) ----
  // Defaults fail with StorageErrc::internal "not supported": a store must say how it does them.

  /// Seals every personal value that is not sealed with the current key (written before keys
  /// were configured, or under a key since rotated) and recomputes the lookup digests; one
  /// transaction. Returns how many values it rewrote (0 without keys).
  virtual Result<std::int64_t> reseal_personal_data();
  /// Retention: erases the personal data (reports' text and payloads, contacts, callbacks' numbers
  /// and notes, survey comments, people's words in the audit trail) of closed cases with no event
  /// since `idle_before_ms`; the cases stay for the statistics. One transaction, audited
  /// ("retention" in the privacy audit, "privacy_retention" on each case). Returns the cases.
  virtual Result<std::int64_t> erase_closed_cases(std::int64_t idle_before_ms, std::int64_t at_ms);

  /// How many statements this store keeps prepared on its connection (bounded: the API's list
  /// queries take a shape from their filters and limit). 0 where the store does not say.
  virtual std::size_t prepared_statements() const { return 0; }
};

/// Bounds on the dead-letter table, so that a car sending distinct garbage cannot fill the disk.
/// A payload seen before (same SHA-256) only counts up (count, last_seen_ms) and is never
/// capped. Beyond a cap, a new one is not kept: it counts up one overflow row per VIN ("the
/// dead letters of this VIN beyond the cap"), or one for the whole table, which say so in
/// list_dead_letters() and in the log. Old ones go by age: CaseStore::purge_dead_letters.
struct DeadLetterPolicy {
  std::int64_t max_per_vin = 100;
  std::int64_t max_total = 10000;
  std::size_t max_payload_bytes = 4096;  // kept of each payload (the digest covers all of it)
};

/// Opens (creating or migrating) the SQLite case store. A corrupt file is refused
/// (StorageErrc::corrupt), a newer schema too (schema_too_new): an operator must look.
/// `max_pages` (4 KiB each, 0 = unbounded) caps the file, as a full disk would. `keys` seal the
/// personal columns (fb/common/sealed_sql.hpp, docs/privacy.md); without them values are stored as
/// given and a sealed value cannot be read. The connection runs with secure_delete on.
Result<std::unique_ptr<CaseStore>> open_sqlite_case_store(const std::filesystem::path& path, std::int64_t max_pages = 0,
                                                          GroupingPolicy grouping = {},
                                                          DeadLetterPolicy dead_letters = {},
                                                          const std::shared_ptr<const crypto::KeyRing>& keys = {});

/// Opens (creating or migrating) the case store in a PostgreSQL database (libpq `conninfo`, e.g.
/// "postgresql://fb@db.example/feedback"); its own schema and migrations (table fb_schema).
/// Several backend instances may share one database: each write transaction takes the store's
/// advisory lock (writers run one at a time, as on SQLite), and a report id is unique in the
/// database, so a report delivered to two instances opens one case. Errors: open_failed (no
/// connection), schema_too_new, other StorageErrc.
/// With `keys` personal data is sealed on the server (pgcrypto, keys derived from the ring and
/// sent in the session's startup settings; docs/privacy.md); opening fails (open_failed) when
/// pgcrypto is missing and this user may not create it.
Result<std::unique_ptr<CaseStore>> open_postgres_case_store(const std::string& conninfo, GroupingPolicy grouping = {},
                                                            DeadLetterPolicy dead_letters = {},
                                                            const std::shared_ptr<const crypto::KeyRing>& keys = {});

/// "vin:3f2a..." for an audit record: identifies the subject to whoever knows it, not to a reader.
std::string privacy_subject(std::string_view kind, std::string_view value);

/// "FB-2026-000123".
std::string format_case_number(int year, std::int64_t sequence);

}  // namespace fb::backend
