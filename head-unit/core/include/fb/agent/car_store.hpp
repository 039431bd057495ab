// The head unit's durable store, one SQLite file (WAL, synchronous=FULL):
//  - outbox: messages to send (reports, receipts, the driver's answers), each kept until it is
//    confirmed: a report until the backend's acknowledgement, an answer until the backend's
//    AnswerStored, a receipt until the broker's PUBACK (OutboxKind); a report may also
//    leave it unsent, dropped when its time to live ends or evicted by the size cap (below); a
//    report waiting for its diagnostic snapshot is held (hold_until_ms) until released;
//  - reports: the driver's "My reports" with each one's latest status (kept after delivery);
//  - inbox: notifications from the backend, de-duplicated by message id;
//  - visits and callbacks (docs/visits.md): each one's latest update and the driver's answers.
// Every method is one transaction: when it returns success, the change survives power loss.
//
// Time to live and the car's clock (every `now_ms` is the car's wall clock, Unix ms; the agent
// passes its Clock's). The clock may be wrong: an RTC without time boots at 2000-01-01 until
// NTP or GNSS sets it, and a set clock may be stepped either way. The rules:
//  - Unset clock: a time before Options::clock_valid_from_ms (default kClockValidFromMs, older
//    than any build). A report queued then is queued and sent as usual, but its time to live
//    is not started: it is counted from the first valid time the store sees (fix_expiries(),
//    which expire() runs first); the time it waited before is unknown and not counted. Until
//    then its OutboxEntry::expires_ms is 0. expire() with an unset clock drops nothing.
//  - Backward step: expiries are absolute, so no report gets older; and none lives longer than
//    a full time to live from now: fix_expiries() pulls an expiry further ahead than that back
//    to now + TTL (a report queued while the clock ran ahead, then corrected).
//  - Forward step: taken as time that passed. The monotonic clock cannot tell it from a sleep
//    (it stops while the head unit is suspended, the wall clock does not), so expiries are not
//    moved: a step of more than the TTL drops every report it makes due, each one told to the
//    driver as dropped, `expired` (the agent's report_dropped), never silently. Only the step
//    from an unset clock to a set one is special: it starts the pending TTLs, it expires none.
//    The history (forget_finished()) is the exception: there a forward step would erase the
//    driver's past for good, and nothing is lost by waiting, so for what the backend answered
//    the car's clock counts only as far as Options::clock_lead past the newest time the backend
//    stamped on an ack, notification or AnswerStored the car applied.
//
// Threads: one owner, the agent strand (agent.hpp). Errors: StorageErrc (full, io, ...); on an
// error nothing of that call was written.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fb/agent/drafts.hpp"
#include "fb/agent/errors.hpp"
#include "fb/agent/report_class.hpp"
#include "fb/agent/salvage.hpp"
#include "fb/agent/timeline.hpp"
#include "fb/common/crypto.hpp"
#include "fb/common/error.hpp"
#include "fb/common/sqlite.hpp"
#include "fb/common/vocabulary.hpp"
#include "feedback.pb.h"

namespace fb::agent {

/// What an outbox entry is, and so when it is done:
///  - report: at the backend's Ack (sent again until then);
///  - receipt: a delivered or read receipt, at the broker's PUBACK (the backend sends the
///    notification again until its receipt arrives, so a lost one costs a resend);
///  - answer: a driver's answer (survey, visit reply, callback request, driver message, reopen
///    request), at the backend's AnswerStored (sent again until then).
enum class OutboxKind { report, receipt, answer };

/// 2026-01-01T00:00:00Z: before any build of this code, so a wall clock showing an earlier time
/// is not set (the head unit's RTC boots at 2000-01-01 without one).
inline constexpr std::int64_t kClockValidFromMs = 1'767'225'600'000;

/// What the agent needs to schedule an outbox entry (payloads are loaded when sent).
struct OutboxEntry {
  std::string id;  // report id, or the receipt's or answer's message id
  OutboxKind kind = OutboxKind::report;
  std::string topic;
  int priority = 0;  // higher is sent first (a report's ReportClass)
  std::int64_t created_ms = 0;
  /// 0: never, or not known yet (a report queued while the clock was unset: its time to live
  /// starts at the first valid time, CarStore::fix_expiries()).
  std::int64_t expires_ms = 0;
  /// > 0: a report held for its snapshot (CarStore::enqueue_report), not to be sent before it is
  /// released; the epoch ms its post-tap window ends.
  std::int64_t hold_until_ms = 0;
};

/// A report's diagnostic snapshot, as "My reports" shows it.
enum class SnapshotState {
  none,      // not asked (or no consent)
  waiting,   // saved, held until its post-tap window has passed ("waiting for its snapshot")
  attached,  // the snapshot is in the report
  lost,      // asked, but its recording was lost (a restart while waiting): sent without it,
             // Report.snapshot_lost set
};

}  // namespace fb::agent

namespace fb {
/// Keys of reports.snapshot: fb::to_string and fb::parse<agent::SnapshotState>.
template <>
struct Vocabulary<agent::SnapshotState> {
  static constexpr std::string_view name = "snapshot state";
  static constexpr std::string_view fallback = "none";
  static constexpr std::array<VocabularyEntry<agent::SnapshotState>, 4> entries{{
      {agent::SnapshotState::none, "none"},
      {agent::SnapshotState::waiting, "waiting"},
      {agent::SnapshotState::attached, "attached"},
      {agent::SnapshotState::lost, "lost"},
  }};
};
}  // namespace fb

namespace fb::agent {

/// What the driver answers to a visit update (VisitReply without the visit id).
struct VisitAnswer {
  wire::VisitReply::Action action = wire::VisitReply::ACTION_UNSPECIFIED;
  std::string slot_id;      // PICK_SLOT
  std::string approval_id;  // APPROVE_EXTRA, REFUSE_EXTRA
  std::string reason;       // optional, UTF-8, at most 500 characters
};

/// The driver's answer to a visit, waiting for the backend (e.g. "slot picked, waiting for
/// confirmation"): until the backend has it (AnswerStored) and an update of the visit has come
/// after it was queued, in whichever order they arrive. An update alone does not end the wait:
/// it may have been written before the backend had the answer (a reminder).
struct PendingVisitReply {
  std::string message_id;  // Envelope.message_id of the VisitReply
  VisitAnswer answer;
  std::int64_t queued_ms = 0;
};

/// A report's visit as the car knows it: the newest update (by Envelope.sent_at_ms) and the
/// driver's answer to it, if one is on its way.
struct VisitView {
  wire::VisitUpdate latest;  // stage, slots, booked slot, ready time, estimate, extra cost
  std::string notification_id;
  std::int64_t updated_ms = 0;  // Envelope.sent_at_ms of `latest`
  std::optional<PendingVisitReply> pending;
  /// `latest` asks the driver to approve an extra cost and no answer to it is queued yet.
  bool approval_open = false;
};

/// The live callback the driver asked for about a report.
struct CallbackView {
  std::string callback_id;  // = the CallbackRequest's Envelope.message_id
  /// CALLBACK_STATE_UNSPECIFIED: asked, not yet in the live queue ("waiting for an agent").
  wire::CallbackState state = wire::CALLBACK_STATE_UNSPECIFIED;
  std::string agent;
  std::string outcome;
  std::int64_t requested_ms = 0;
  std::int64_t updated_ms = 0;  // car time of the last change
  /// Queued, asked or picked up: another request for the same report is refused.
  bool open() const { return state != wire::CALLBACK_LOGGED && state != wire::CALLBACK_CANCELLED; }
};

/// One row of "My reports".
struct ReportView {
  std::string report_id;
  std::int64_t created_ms = 0;
  wire::Source source = wire::SOURCE_DRIVER;
  wire::Category category = wire::CATEGORY_OTHER;
  std::string text;
  std::string language;
  /// Stored as its vocabulary key; every status but `sent` (app only).
  ReportStatus status = ReportStatus::queued;
  std::string case_number;
  std::string team;
  std::int64_t first_reply_due_ms = 0;
  std::string last_title;  // latest notification
  std::string last_text;
  std::string reject_reason;  // reason key and detail, e.g. "vin_mismatch: report.vin ..."
  /// Set when status is `dropped`: why the car gave up sending it.
  std::optional<DropReason> drop_reason;
  std::int64_t updated_ms = 0;
  std::int64_t last_notification_ms = 0;  // Envelope.sent_at_ms of the notification shown
  /// The newest visit of the report's case (by its latest update), if there is one.
  std::optional<VisitView> visit;
  /// The newest callback asked for this report, if any.
  std::optional<CallbackView> callback;
  /// Whether a snapshot was asked for and where it stands.
  SnapshotState snapshot = SnapshotState::none;
  /// The broker has had it (a `delivered` step on its timeline): a queued report shows as sent
  /// after a restart too, until the backend's acknowledgement.
  bool delivered = false;
  /// The latest survey request (a CLOSED notification, e.g. a visit's handover) and whether the
  /// driver has answered it; "" when none.
  std::string survey_request_id;
  bool survey_answered = false;
  /// The latest resolved or closed notification, which a rating (SurveyAnswer) names; "" when
  /// the case was not resolved yet. `rated`: the driver rated that outcome already.
  std::string rating_request_id;
  bool rated = false;
  /// The driver asked to reopen and no notification came since.
  bool reopen_pending = false;
};

struct InboxEntry {
  std::string message_id;
  std::string report_id;
  std::string case_number;
  wire::CaseStatus status = wire::CASE_STATUS_UNSPECIFIED;
  std::string title;
  std::string text;
  std::string language;
  std::int64_t received_ms = 0;
  bool read = false;
  std::optional<wire::VisitUpdate> visit;        // Notification.visit, when set
  std::optional<wire::CallbackUpdate> callback;  // Notification.callback, when set
  /// Notification.urgent (safety guidance: shown at once, even while driving). Known as it
  /// arrives only; not kept in the inbox.
  bool urgent = false;
  /// A step of the case older than one already applied to its report (a resend after a
  /// reconnect, e.g. "pick a slot" once the visit is booked): kept, but not news, so no banner.
  /// Never a team's message. Known as it arrives only.
  bool superseded = false;
};

struct AckResult {
  bool matched = false;   // an outbox report was confirmed (and removed)
  std::string report_id;  // the report it concerned ("" when unmatched)
  /// The first notification an accepted ack carried (Accepted.notification), stored in the inbox
  /// in the same transaction as the ack; unset when the ack carried none.
  std::optional<InboxEntry> notification;
  bool notification_duplicate = false;  // its message id was in the inbox already (a duplicate ack)
  /// The report as this commit left it, read inside its transaction (apply_acks(..., true));
  /// also for an ack this build cannot read, which changes nothing. Unset when not asked for,
  /// when the car holds no such report, or when it cannot be read (a value sealed under a lost
  /// key: the acks are applied all the same).
  std::optional<ReportView> report;
};

struct NotificationResult {
  bool duplicate = false;            // seen before; nothing changed but a receipt is sent again
  bool about_erased_report = false;  // about a report erased from the car: receipted, neither kept nor shown
  std::string receipt_id;            // the delivered-receipt queued in the outbox
  std::optional<ReportView> report;  // the report it names as it left it, if known (and asked for)
  /// The case's other reports it moved with it (the same problem reported again joined the
  /// case), as it left them (asked for views only).
  std::vector<ReportView> others;
  InboxEntry entry;
};

/// A report to queue (CarStore::enqueue_reports); the pointers must outlive the call.
struct NewReport {
  const wire::Envelope* envelope = nullptr;  // holds a Report
  const std::string* payload = nullptr;      // its encoding, published as it is
  ReportClass report_class = ReportClass::normal;
  std::int64_t now_ms = 0;
  std::optional<std::int64_t> hold_until_ms;  // held for its snapshot (enqueue_report)
  /// The saved draft (drafts.hpp) this report sends: deleted in the report's own commit, so that
  /// a power cut cannot leave it behind to be sent again as a second report. Empty: none.
  std::string draft_id;
};

/// What enqueue_report() did besides queueing.
struct Enqueued {
  std::int64_t expires_ms = 0;  // when the new report is dropped unsent (0: never)
  /// Reports the size cap evicted to make room, oldest first, as My reports now shows them
  /// (status dropped, DropReason::evicted_for_space).
  std::vector<ReportView> evicted;
};

/// A callback the driver asked for, as the car keeps it (export).
struct CallbackRecord {
  std::string callback_id;
  std::string report_id;
  std::string phone;
  wire::CallbackState state = wire::CALLBACK_STATE_UNSPECIFIED;
  std::string agent;
  std::string outcome;
  std::int64_t requested_ms = 0;
};

/// An answer the driver gave to a service visit (export).
struct VisitAnswerRecord {
  std::string message_id;
  std::string visit_id;
  wire::VisitReply::Action action = wire::VisitReply::ACTION_UNSPECIFIED;
  std::string slot_id;
  std::string reason;
  std::int64_t queued_ms = 0;
};

/// A message still in the outbox, not yet confirmed (export): what the car will still send.
struct QueuedMessage {
  std::string id;
  std::string kind;  // the Envelope's body: report, receipt, driver_message, callback_request, ...
  std::int64_t created_ms = 0;
};

/// Everything the car keeps about its driver, opened (CarStore::personal_data(); "Erasure and
/// export on the car" in docs/privacy.md).
struct PersonalData {
  std::vector<ReportView> reports;                // newest first, with their timelines below
  std::vector<std::vector<TimelineEvent>> steps;  // steps[i]: reports[i]'s timeline, oldest first
  std::vector<InboxEntry> inbox;
  std::vector<CallbackRecord> callbacks;
  std::vector<VisitAnswerRecord> visit_answers;
  std::vector<SavedDraft> drafts;
  std::vector<QueuedMessage> queued;
};

/// What CarStore::erase_personal_data() removed (Agent::erase_personal_data() adds the rest).
struct Erased {
  std::size_t reports = 0;  // My reports rows, with their timelines, visits and callbacks
  std::size_t inbox = 0;    // notifications
  std::size_t drafts = 0;
  /// Outbox entries dropped unsent: the driver's reports and answers (text, a number, a
  /// comment). Their ids, so that a running agent stops sending them.
  std::vector<std::string> unsent;
  /// The WAL could not be emptied (a reader holds it): erased pages may stay there until the next
  /// checkpoint. False after a clean erasure.
  bool wal_kept = false;
  /// Agent only: the damaged stores set aside by recoveries that were deleted (files).
  std::size_t set_aside_removed = 0;
};

class CarStore {
 public:
  struct Options {
    /// Upper bound on the file in units of 4 KiB, whatever its page size; 0 = no bound. Models a full disk in tests and
    /// keeps one runaway producer from filling the head unit's flash.
    std::int64_t max_pages = 0;
    /// Time to live per class, from the report's creation on the car's clock; 0 = never. An
    /// expired report leaves the outbox unsent (expire()).
    std::chrono::milliseconds ttl_safety = std::chrono::days(30);
    std::chrono::milliseconds ttl_normal = std::chrono::days(14);
    std::chrono::milliseconds ttl_low = std::chrono::days(7);
    /// Size cap on the reports in the outbox: how many, and their payload bytes; 0 = no cap.
    /// Receipts and answers are not counted (small; gone at the PUBACK, or at AnswerStored).
    std::size_t max_reports = 2000;
    std::int64_t max_report_bytes = std::int64_t{32} << 20;
    /// Room kept in the file for the backend's acks. An ack writes more than it frees (the case
    /// number, a step, the first notification it carries: 230 B more per ack, measured; the
    /// words stay in My reports): a disk filled with queued reports could otherwise never take
    /// the acks that empty the queue. Held twice: as a row of zeros (table `reserve`), room under
    /// the database's own page limit (max_pages), and as a file of that size allocated beside the
    /// store (`<store>.room`), room on the filesystem, without which the WAL cannot grow to take
    /// an ack once another writer has filled the flash. apply_acks() gives both up when the disk
    /// is full and tries again; enqueue_reports() takes them back first, and refuses the reports
    /// (StorageErrc::full) while it cannot. The default covers the acks of a queue at the default
    /// cap (max_reports). With max_pages set, at most a quarter of that bound. 0: none.
    std::int64_t ack_reserve_bytes = std::int64_t{512} << 10;
    /// A `now_ms` before this is an unset clock (see the top of this file); 0: every time is
    /// valid (tests with small times).
    std::int64_t clock_valid_from_ms = kClockValidFromMs;
    /// How long My reports keeps a finished report (its case closed, refused by the backend, or
    /// dropped unsent) after its last change, with its timeline, notifications, visits and
    /// callbacks (forget_finished()); 0 = for ever. Without a bound the history grows for the
    /// car's whole life (a flapping fault adds an auto-report a day) until the flash is full and
    /// a new report cannot be queued.
    std::chrono::milliseconds history = std::chrono::days(365);
    /// How far ahead of the backend's clock the car's may run for the history: forget_finished()
    /// counts the reports the backend answered (closed, rejected) from the earlier of now_ms and
    /// this past the newest Envelope.sent_at_ms of an ack, notification or AnswerStored the car applied (a
    /// stamp further ahead of the car's clock than this is taken as now_ms + this). An RTC
    /// stepped years ahead then forgets none of them; a car that heard nothing from the backend
    /// for longer than this keeps them until it does (it adds none meanwhile). Reports dropped
    /// unsent count by the car's clock alone. Keep it well below `history`.
    std::chrono::milliseconds clock_lead = std::chrono::days(30);
    /// How far a newer backend stamp must be past the kept one before it is written: the row
    /// is then rewritten about once an hour, not at every commit, and the history's horizon
    /// lags the backend's time by less than this.
    std::chrono::milliseconds backend_clock_step = std::chrono::hours(1);
    /// How long a write waits for another connection's lock on the file (a diagnostic tool
    /// reading it) before it fails with StorageErrc::busy.
    std::chrono::milliseconds busy_timeout{5000};
    /// Keys that seal personal data in the file (docs/privacy.md): every outbox payload (a report
    /// carries the driver's words, location and number), the reports' text, the timeline's text and
    /// callback numbers, through fb/common/sealed_sql.hpp. Null: stored as given (and a sealed
    /// value cannot be read: the store fails rather than send ciphertext).
    std::shared_ptr<const crypto::KeyRing> keys;
    /// Tests only: called after each step of a corrupt file's recovery; an error stops it
    /// there, as a kill would (salvage.hpp).
    RecoveryFault recovery_fault;
  };

  /// Opens or creates the file. A corrupt file is renamed aside (set_aside() says where), a new
  /// one built from the rows still readable in it (recovery() says how many) and put in its
  /// place: the car keeps working and the old file stays for diagnosis. The recovery survives
  /// a kill at any step (salvage.hpp): while its marker `<file>.recovery` exists, open()
  /// resumes it from the set-aside file the marker names, and builds the new store again.
  /// Rows of an older schema (e.g. v3, before classes) get the current rules: their class from
  /// the report (report_class_of) and the time to live of that class from their creation.
  /// Errors: open_failed, schema_too_new (written by a newer build; refused, not touched),
  /// io (the recovery's files could not be written or renamed: tried again at the next open).
  static Result<CarStore> open(const std::filesystem::path& path, Options options);

  const std::optional<std::filesystem::path>& set_aside() const { return set_aside_; }
  /// What was recovered from the file set aside (set only when one was).
  const std::optional<Recovery>& recovery() const { return recovery_; }

  /// The time to live of a class (Options); 0 = never.
  std::chrono::milliseconds ttl(ReportClass c) const;

  /// Queues a report (outbox + My reports, one transaction). `envelope` must hold a Report.
  /// The size cap (Options::max_reports, max_report_bytes): when the new report would exceed
  /// it, reports are evicted in the same transaction, lowest class first, oldest first within
  /// a class, but only reports of a class at most the new one's and never a safety report. If
  /// that cannot make room, a safety report is queued anyway (over the cap: it is never
  /// refused for the cap, only by a full disk) and any other one is refused with
  /// AgentErrc::queue_full, evicting nothing.
  /// With `hold_until_ms` the report is held for its snapshot: committed (it survives a crash)
  /// but not to be sent until release_report(); its snapshot state is `waiting`.
  /// Errors: AgentErrc::queue_full, StorageErrc::full (the disk or max_pages; nothing written,
  /// every earlier row intact), other StorageErrc.
  Result<Enqueued> enqueue_report(const wire::Envelope& envelope, const std::string& payload, ReportClass report_class,
                                  std::int64_t now_ms, std::optional<std::int64_t> hold_until_ms = std::nullopt);

  /// Group commit: the reports queued in order, each as enqueue_report() queues it, all in one
  /// transaction and one synchronous commit, so a burst costs one fsync (and its WAL pages are
  /// written once), not one per report. A report the size cap refuses (AgentErrc::queue_full)
  /// is refused alone: the others are queued, and each one after it sees the cap as it stands.
  /// Any other error (a full disk, io) is the whole batch's: nothing of it written, every earlier
  /// row intact. Returns one result per report, in order.
  Result<std::vector<Result<Enqueued>>> enqueue_reports(std::span<const NewReport> batch);

  /// Drops the outbox reports whose time to live has ended (expires_ms <= now_ms): each leaves
  /// the outbox and its My reports row shows dropped, DropReason::expired. Returns those rows.
  /// Runs fix_expiries() first; with an unset clock it drops nothing.
  Result<std::vector<ReportView>> expire(std::int64_t now_ms);
  /// With a valid `now_ms`: starts the time to live of reports queued while the clock was unset
  /// (now + their class's TTL) and pulls any expiry later than now + its class's TTL back to
  /// that. Returns how many expiries changed (0 with an unset clock).
  Result<std::size_t> fix_expiries(std::int64_t now_ms);
  /// Whether a report queued while the clock was unset waits for its time to live to start.
  Result<bool> expiry_pending();
  /// Releases a held report for sending with its final payload (the held one rebuilt with the
  /// snapshot, or flagged snapshot_lost), and sets its snapshot state, in one transaction. Only
  /// a held report's payload may change: it was never published. Errors: StorageErrc::not_found
  /// (no held report with that id).
  Result<void> release_report(const std::string& report_id, const std::string& payload, SnapshotState snapshot,
                              std::int64_t now_ms);

  /// Every outbox entry, in send order (priority, then age).
  Result<std::vector<OutboxEntry>> outbox();
  /// The exact bytes to publish for an outbox entry (re-sends are byte-identical).
  Result<std::string> payload(const std::string& id);
  /// Drops an outbox entry that is done: a receipt at the broker's PUBACK, an answer at the
  /// backend's AnswerStored. An id not in the outbox is not an error.
  Result<void> remove(const std::string& id);
  /// The backend has the driver's answer `answer_id` (AnswerStored): drops it, and ends a visit's
  /// wait for it when an update of that visit arrived since it was queued (the backend sends what
  /// an answer caused before its AnswerStored; without one, the next update ends the wait).
  /// Returns that visit's report id, whose view changed (nullopt: no wait ended).
  /// `backend_sent_ms`, the AnswerStored envelope's sent_at_ms (0: none), moves the backend's
  /// clock for the history as an ack's stamp does (forget_finished(); `now_ms` bounds it).
  Result<std::optional<std::string>> confirm_answer(const std::string& answer_id, std::int64_t now_ms = 0,
                                                    std::int64_t backend_sent_ms = 0);
  /// The backend refused the driver's answer `answer_id` (AnswerStored.refused): drops it and
  /// ends what it left waiting, in one transaction: a visit's pending answer clears, a callback
  /// request not yet queued by the backend shows as cancelled, and its report's timeline gets an
  /// action_refused step (detail "answer_refused"; a refused reopen request ends its wait too).
  /// An answer no longer queued (one of a build before v9, gone at its PUBACK) still ends what
  /// waits for it. Returns that report's id (nullopt: nothing of the car's was about it).
  /// `backend_sent_ms`: as for confirm_answer().
  Result<std::optional<std::string>> refuse_answer(const std::string& answer_id, std::int64_t now_ms,
                                                   std::int64_t backend_sent_ms = 0);

  /// Applies an acknowledgement: matches the outbox report by payload digest, else report id;
  /// removes it and sets its status (acknowledged, or rejected with the reason). An ack with
  /// neither result (a type this build does not know) matches nothing. An accepted ack for a
  /// report dropped after it was sent (expired or evicted while awaiting its ack) shows it as
  /// acknowledged again: the backend has it after all.
  /// An accepted ack's carried notification (Accepted.notification) is stored in the inbox and
  /// applied to the report in the same transaction, as apply_notification() would, but queues no
  /// delivered receipt: the ack is its confirmation. Ack and notification are one commit, so
  /// either both are stored or neither (then the report is still queued and is sent again).
  /// This commit is not fsync'd on its own (synchronous=NORMAL for it): a power cut may undo
  /// it, never half of it, and what it undoes comes back with the duplicate ack of the re-sent
  /// report; the next synchronous commit makes it durable with everything before it.
  Result<AckResult> apply_ack(const wire::Ack& ack, std::int64_t now_ms);
  /// Group commit of acknowledgements that arrived together: each applied as apply_ack() does,
  /// in order, all in one transaction and one commit (not fsync'd by itself, as above). Either
  /// every one is stored or none is (then their reports are still queued and sent again).
  /// Returns one AckResult per ack, in order; with `with_views`, each also carries its report
  /// as committed (AckResult::report), read in the same transaction instead of one read each after.
  /// `backend_sent_ms`: the newest Envelope.sent_at_ms of the acks' envelopes (0: unknown), kept
  /// as the backend's clock for the history (forget_finished()).
  Result<std::vector<AckResult>> apply_acks(std::span<const wire::Ack> acks, std::int64_t now_ms,
                                            bool with_views = false, std::int64_t backend_sent_ms = 0);

  /// Stores a notification (ignored if its message id was seen), updates the report it names
  /// unless a newer notification (by Envelope.sent_at_ms) was applied already, and queues a
  /// delivered receipt to `receipt_topic`, all in one transaction. Its VisitUpdate and
  /// CallbackUpdate update their visit and callback by the same rule, each on its own (a newer
  /// visit update also ends the wait of a pending answer the backend has confirmed, see
  /// PendingVisitReply).
  Result<NotificationResult> apply_notification(const wire::Envelope& envelope, const std::string& receipt_topic,
                                                std::int64_t now_ms);
  /// apply_notification() for each envelope, in order, in one transaction and one fsync (the
  /// notifications that wait on the agent's strand together, e.g. after a reconnect). One result
  /// per envelope; with `with_views`, NotificationResult::report as that notification left it
  /// (read in the transaction, before the next one is applied). Errors: StorageErrc (none applied).
  Result<std::vector<NotificationResult>> apply_notifications(std::span<const wire::Envelope> envelopes,
                                                              const std::string& receipt_topic, std::int64_t now_ms,
                                                              bool with_views = false);

  /// Marks a notification read and queues a read receipt; returns the receipt's id, or nullopt
  /// when the notification is unknown or was read before.
  Result<std::optional<std::string>> mark_read(const std::string& message_id, const std::string& receipt_topic,
                                               std::int64_t now_ms);

  /// Queues the driver's answer to a survey request (a notification of a closed case, a visit's
  /// handover included) for `topic`, kept until the backend's AnswerStored (OutboxKind::answer);
  /// returns its message id.
  /// Errors: WireErrc::invalid_field (score outside 1..5, comment over 1000 characters or not
  /// UTF-8), StorageErrc::not_found (no closed-case notification with that id in the inbox),
  /// AgentErrc::already_answered.
  Result<std::string> enqueue_survey_answer(const std::string& notification_id, int score, const std::string& comment,
                                            const std::string& topic, std::int64_t now_ms);

  /// Queues the driver's answer to a visit (VisitReply) for `topic`, an OutboxKind::answer, and
  /// shows it as the visit's pending answer, in one transaction; returns its
  /// message id. Checked against the visit's latest update:
  ///  - PICK_SLOT: the visit is proposed and `slot_id` is one of its slots;
  ///  - DECLINE: proposed or reschedule requested; RESCHEDULE: proposed or booked; CANCEL:
  ///    proposed, booked or reschedule requested (the backend's rules, docs/visits.md);
  ///  - APPROVE_EXTRA, REFUSE_EXTRA: `approval_id` is the extra cost asked, not answered yet.
  /// Errors: WireErrc::invalid_field (no action, reason over 500 characters or not UTF-8),
  /// StorageErrc::not_found (visit unknown), AgentErrc::visit_stage, not_offered,
  /// already_answered, answer_pending (an earlier answer waits for the backend's update; an
  /// approval may still be answered).
  Result<std::string> enqueue_visit_reply(const std::string& visit_id, const VisitAnswer& answer,
                                          const std::string& topic, std::int64_t now_ms);

  /// Queues a live callback request ("Call me") about a report for `topic`; returns the
  /// callback id (its Envelope.message_id). `phone` is optional (digits, '+', '-' or spaces, at
  /// most 32); `language` "" means the report's. Errors: WireErrc::invalid_field (phone),
  /// StorageErrc::not_found (report unknown), AgentErrc::no_case (not accepted),
  /// AgentErrc::callback_open (one is open for this report already).
  /// The parked rule is the agent's (Agent::request_callback).
  Result<std::string> enqueue_callback_request(const std::string& report_id, const std::string& phone,
                                               const std::string& language, const std::string& topic,
                                               std::int64_t now_ms);

  /// The driver's reply to the case of a report (DriverMessage), queued for `topic` (an
  /// OutboxKind::answer); a driver_reply step on the timeline, in one transaction.
  /// Returns its message id. Errors: WireErrc::invalid_field (empty, over kMaxReplyChars or not
  /// UTF-8), StorageErrc::not_found, AgentErrc::no_case, AgentErrc::case_closed.
  Result<std::string> enqueue_driver_message(const std::string& report_id, const std::string& text,
                                             const std::string& topic, std::int64_t now_ms);
  /// "Not fixed": asks the backend to reopen the report's case (ReopenRequest), like a reply.
  /// Errors: WireErrc::invalid_field (reason over kMaxReopenReasonChars or not UTF-8),
  /// StorageErrc::not_found, AgentErrc::no_case, AgentErrc::not_reopenable (not resolved or
  /// closed, or a reopen is on its way).
  Result<std::string> enqueue_reopen_request(const std::string& report_id, const std::string& reason,
                                             const std::string& topic, std::int64_t now_ms);
  /// Rates the outcome of a resolved or closed case 1..5 with an optional comment: a
  /// SurveyAnswer naming the report's rating_request_id, queued like a survey answer. Errors:
  /// WireErrc::invalid_field (as enqueue_survey_answer), StorageErrc::not_found,
  /// AgentErrc::not_resolved, AgentErrc::already_answered.
  Result<std::string> enqueue_rating(const std::string& report_id, int score, const std::string& comment,
                                     const std::string& topic, std::int64_t now_ms);
  /// The broker has a report (PUBACK): records its sent (`sent_ms`, when its first publish
  /// started) and delivered steps once. Not fsync'd by itself (as apply_ack): a power cut may
  /// lose the two steps, never the report.
  Result<void> record_delivery(const std::string& report_id, std::int64_t sent_ms, std::int64_t delivered_ms);
  struct Delivery {
    std::string report_id;
    std::int64_t sent_ms = 0;
    std::int64_t delivered_ms = 0;
  };
  /// record_delivery() of each, in one transaction and one commit (PUBACKs that came together).
  Result<void> record_deliveries(std::span<const Delivery> deliveries);
  /// The report's timeline, oldest first (timeline.hpp); empty for an unknown report.
  Result<std::vector<TimelineEvent>> timeline(const std::string& report_id);

  /// The report a visit or a notification is about ("" when unknown or none).
  Result<std::string> report_of_visit(const std::string& visit_id);
  Result<std::string> report_of_notification(const std::string& message_id);
  /// The report a driver's answer is about: the one a message, reopen or callback request names;
  /// for a visit reply or a survey answer (a rating too), that of the visit or notification it
  /// names ("" when the store holds none, or it has no report); nullopt for a kind that is no
  /// answer.
  Result<std::optional<std::string>> report_of_answer(const wire::Envelope& answer);

  /// Each read sees one snapshot of the store (sql::ReadSnapshot): a report's row and its visit,
  /// callback and survey state are of the same moment.
  Result<std::vector<ReportView>> reports(std::size_t limit = 200);
  Result<std::optional<ReportView>> report(const std::string& report_id);
  Result<std::vector<InboxEntry>> inbox(std::size_t limit = 200);

  /// Everything the car keeps about its driver, in the clear (the driver's copy: `fb-car privacy
  /// export`), read in one transaction. Reads only. Errors: StorageErrc; CryptoErrc-caused
  /// StorageErrc::internal when a sealed value does not open (the key file was lost).
  Result<PersonalData> personal_data();
  /// Erases what the car keeps about its driver (a change of owner, or the driver's request):
  /// every report row with its timeline, visits, callbacks and answers, the inbox, the drafts,
  /// and the outbox's driver reports and answers (dropped unsent; also any payload that no longer
  /// opens). Kept: telematics reports still queued (vehicle data; their rows stay so that their
  /// acks apply), stripped of the notifications' and the driver's steps and words; and receipts.
  /// A publish or ack of an erased report still on its way adds nothing back (add_step_in_tx).
  /// One transaction; then, with secure_delete on, a truncating WAL checkpoint leaves neither the
  /// sealed nor the plain bytes in the file or its WAL (Erased::wal_kept when a reader prevented
  /// it). The backend's copy is erased there (API `POST /privacy/erase`).
  Result<Erased> erase_personal_data();
  /// Deletes the finished reports (ReportStatus closed, rejected or dropped) last changed before
  /// now_ms - Options::history (for closed and rejected ones, now_ms no later than
  /// Options::clock_lead past the backend's newest time, see the top of this file) and no
  /// longer in the outbox, with their timelines, inbox rows,
  /// visits (and the answers recorded for them) and callbacks, and the inbox, visit and callback
  /// rows older than that whose report is gone, in one transaction. A report a driver's answer
  /// still queued is about stays, with what hangs on it, until the backend has confirmed the
  /// answer; everything stays while a queued answer cannot be read (it may be about any report).
  /// Nothing either when history is 0, or on an unset clock
  /// (now_ms before clock_valid_from_ms); a report stamped on an unset clock is restamped now_ms
  /// first. Agent::open() calls it, and the agent again once its clock is set. Returns the ids
  /// of the reports forgotten. Errors: StorageErrc (nothing deleted).
  Result<std::vector<std::string>> forget_finished(std::int64_t now_ms);

  /// Saves a draft (drafts.hpp), replacing one of the same id, in one transaction: durable
  /// when it returns. Errors: WireErrc::invalid_field (no id or kind, text over kMaxDraftChars
  /// or not UTF-8, a phone that is not one), AgentErrc::queue_full (kMaxDrafts kept already).
  Result<void> save_draft(const SavedDraft& draft);
  /// Deletes a draft (sent or discarded); an unknown id is not an error.
  Result<void> delete_draft(const std::string& draft_id);
  /// Every draft kept, the newest save first.
  Result<std::vector<SavedDraft>> drafts();

 private:
  CarStore(sql::Database db, Options options) : db_(std::move(db)), options_(std::move(options)) {}
  /// `store` with its room file beside `path` (hold_room_file()), when it keeps room for acks.
  static CarStore with_room_file(CarStore store, const std::filesystem::path& path);
  /// A report's `payload` that ends with the chunk of `report_text` (codec::encode()) is kept
  /// without it (outbox.text_apart): its words are in report_texts, and payload() adds them back.
  Result<void> insert_outbox(const std::string& id, OutboxKind kind, const std::string& topic,
                             const std::string& payload, int priority, std::int64_t now_ms, std::int64_t expires_ms = 0,
                             std::string_view report_text = {});
  struct Room {
    std::vector<std::string> evict;  // oldest first
    std::int64_t evicted_bytes = 0;
  };
  /// The reports the driver's answers still queued are about (report_of_answer()); nullopt when
  /// one of them cannot be read (or no longer opens) or is no answer. Inside the caller's
  /// transaction. Errors: StorageErrc.
  Result<std::optional<std::set<std::string>>> reports_of_queued_answers();
  /// The cap's evictions for a new report of `size` bytes; inside the caller's transaction.
  Result<Room> make_room(ReportClass report_class, std::int64_t size);
  /// Runs `body` in one transaction whose commit is not fsync'd by itself (synchronous=NORMAL for
  /// it: acks and delivery steps, see apply_ack). Call outside a transaction; nothing of `body`
  /// is kept when it fails.
  Result<void> in_unsynced_transaction(const std::function<Result<void>()>& body);
  /// One report of enqueue_reports(), inside its transaction; keeps totals_ true.
  Result<Enqueued> enqueue_in_tx(const NewReport& report);
  /// Deletes one outbox row; inside the caller's transaction (the caller keeps totals_ true).
  Result<void> delete_row(const std::string& id);
  Result<void> insert_report_row(const wire::Report& report, std::int64_t now_ms, SnapshotState snapshot);
  /// The report's words (report_texts), sealed; replaces any there.
  Result<void> insert_report_text(const std::string& report_id, const std::string& text);
  /// In a recovery: deletes the rows of `table` that meet `condition` (SQL), counted unreadable.
  Result<void> drop_recovered(Recovery& recovery, std::string_view table, std::string_view condition);
  /// A callback request still only asked (the backend has not confirmed it) moves to `to`; returns
  /// its report, nullopt when none moved. Inside the caller's transaction.
  Result<std::optional<std::string>> move_asked_callback(const std::string& callback_id, wire::CallbackState to,
                                                         std::int64_t now_ms);
  /// Frees the room kept for acks (Options::ack_reserve_bytes); false if it was not held.
  Result<bool> release_reserve();
  /// Allocates the room file (`room_file_`, reserve_bytes() long) unless it is held. Errors:
  /// StorageErrc::full when the filesystem has no room for it. A filesystem without allocation is
  /// logged and the store goes on without a room file; any other failure is logged once per cause
  /// and tried again before the next report, which it does not refuse.
  Result<void> hold_room_file();
  /// Deletes the room file, freeing its blocks; false if it was not held.
  bool release_room_file();
  /// The room kept for acks: Options::ack_reserve_bytes, at most a quarter of max_pages' bound.
  std::int64_t reserve_bytes() const;
  /// One ack inside the caller's transaction; fills `result`, returns the removed row's size.
  Result<std::int64_t> apply_ack_in_tx(const wire::Ack& ack, std::int64_t now_ms, AckResult& result);
  /// Copies what is readable of the file set aside into this (new) store, then checks it
  /// (CarStore::open).
  Result<Recovery> recover(const std::filesystem::path& damaged);
  /// Outbox reports copied from a store older than v4: their class and time to live.
  Result<void> classify_recovered();
  /// expires_ms of a report of `report_class` created at `created_ms`: 0 never, < 0 the TTL
  /// (negated) waiting for a valid clock.
  std::int64_t expires_for(ReportClass report_class, std::int64_t created_ms) const;
  bool clock_valid(std::int64_t now_ms) const { return now_ms >= options_.clock_valid_from_ms; }
  /// min(ms, base_ms + Options::clock_lead), without overflow: how far one clock is believed
  /// past the other.
  std::int64_t within_lead(std::int64_t ms, std::int64_t base_ms) const;
  /// The backend's stamp on `env` as notifications, visits and callbacks are ordered by it: no
  /// further than Options::clock_lead past a set clock's `now_ms`, so that one stamp from a
  /// backend clock years ahead does not hide every later update for years.
  std::int64_t ordering_stamp(const wire::Envelope& env, std::int64_t now_ms) const;
  /// Moves the backend's clock (backend_clock, v12) forward to `sent_at_ms`, no further than
  /// Options::clock_lead past `now_ms`; nothing on an unset clock or without a stamp.
  Result<void> note_backend_time_in_tx(std::int64_t sent_at_ms, std::int64_t now_ms);
  /// Removes outbox reports and marks their rows dropped; inside the caller's transaction.
  Result<std::vector<ReportView>> drop_in_tx(const std::vector<std::string>& ids, DropReason reason,
                                             std::int64_t now_ms);
  Result<std::optional<ReportView>> read_report(const std::string& report_id);
  /// The report a driver's action is about, which must have a case. Errors: StorageErrc::not_found,
  /// AgentErrc::no_case (not accepted yet, or rejected).
  Result<ReportView> report_with_case(const std::string& report_id);
  /// Adds the visit, callback and survey state to a report row.
  Result<void> read_report_extras(ReportView& view);
  Result<void> apply_visit_in_tx(const wire::Envelope& envelope, std::int64_t now_ms);
  Result<void> apply_callback_in_tx(const wire::Envelope& envelope, std::int64_t now_ms);
  struct Applied {
    bool duplicate = false;
    bool about_erased_report = false;  // receipted, nothing stored or shown (not a duplicate)
    InboxEntry entry;
    std::vector<std::string> others_moved;  // the case's other reports it moved too
  };
  /// Inbox entry + report update of one notification; inside the caller's transaction.
  Result<Applied> store_notification_in_tx(const wire::Envelope& envelope, std::int64_t now_ms);
  /// Adds a step to a report's timeline (once per report, kind and source id; a later copy
  /// fills a missing title and text); inside the caller's transaction.
  Result<void> add_step_in_tx(const std::string& report_id, TimelineKind kind, std::int64_t at_ms,
                              const std::string& source_id = {}, const std::string& title = {},
                              const std::string& text = {}, const std::string& detail = {});
  /// The step a notification marks (timeline_kind), on its report and on `others` (the case's
  /// other reports it moves), or the refusal of a driver's action it carries, on its report only;
  /// inside the caller's transaction.
  Result<void> add_notification_step_in_tx(const wire::Envelope& envelope, std::int64_t now_ms,
                                           const std::vector<std::string>& others);
  /// The rated step of a survey answer `env` to notification `notification_id`; inside the tx.
  Result<void> add_rated_step_in_tx(const std::string& notification_id, const wire::Envelope& env, std::int64_t now_ms);
  /// Queues a driver's action about a report's case (`env`: a DriverMessage or ReopenRequest)
  /// and its timeline step, in one transaction, after `check` accepted the report's row.
  Result<std::string> enqueue_case_action(const std::string& report_id, const wire::Envelope& env, TimelineKind step,
                                          const std::string& text, const std::string& topic, std::int64_t now_ms,
                                          const std::function<Result<void>(const ReportView&)>& check);
  Result<std::string> enqueue_receipt_in_tx(const std::string& notification_id, wire::ReceiptKind kind,
                                            const std::string& topic, std::int64_t now_ms);

  sql::Database db_;
  Options options_;
  /// The reports in the outbox and their payload bytes, kept in step after each commit so the
  /// cap costs no query per report; nullopt: read again at the next use (after an expiry, a
  /// recovery, a remove()).
  struct Totals {
    std::int64_t reports = 0;
    std::int64_t bytes = 0;
  };
  std::optional<Totals> totals_;
  std::optional<std::filesystem::path> set_aside_;
  std::optional<Recovery> recovery_;
  /// The room on the filesystem kept for acks (Options::ack_reserve_bytes): `<store>.room`, set
  /// by open(); empty for none. `room_held_`: allocated in full since the last release.
  /// `room_error_logged_`: the errno last logged for a failed allocation, 0 since one worked.
  std::filesystem::path room_file_;
  bool room_held_ = false;
  int room_error_logged_ = 0;
};

}  // namespace fb::agent
