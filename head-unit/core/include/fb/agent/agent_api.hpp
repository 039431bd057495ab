// What a UI or a command line may ask of the head-unit agent: the seam between the dashboard
// app (fb::ui::FeedbackController) and the agent, so the app is tested without the real one.
//
// Threads: every method may be called from any thread; it posts to the agent's executor.
// Every completion and every listener event runs on the agent's executor, never inline inside
// the call that started it. Errors come as fb::Error (WireErrc for a bad draft or field,
// StorageErrc, AgentErrc for the rules of visits and callbacks: fb/agent/errors.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fb/agent/car_store.hpp"
#include "fb/agent/report_builder.hpp"
#include "fb/common/error.hpp"

namespace fb::agent {

/// Events for a UI or a log. Called on the agent's executor; keep them short.
class AgentListener {
 public:
  virtual ~AgentListener() = default;
  /// A report's status, visit, callback or survey state changed (a notification, an ack, or
  /// the driver's own answer now pending).
  virtual void report_changed(const ReportView&) {}
  /// The broker has the report (PUBACK); the backend's acknowledgement is still to come.
  virtual void report_sent(const std::string& /*report_id*/) {}
  virtual void notification_received(const InboxEntry&) {}
  /// The backend has one of the driver's answers (AnswerStored; `answer_id` is the id the
  /// answering call returned, or the survey answer's message id): it left the outbox. `refused`:
  /// the backend kept it as a dead letter, not applied (logged with the backend's reason).
  virtual void answer_stored(const std::string& /*answer_id*/, bool /*refused*/) {}
  virtual void connection_changed(bool /*connected*/) {}
  /// The MQTT link could not be started at all (e.g. a certificate file is unreadable): the
  /// agent runs offline, reports are saved and stay queued.
  virtual void link_problem(const Error&) {}
  /// A report left the outbox unsent: its time to live ended, or the size cap evicted it for a
  /// more urgent or newer one. `report.status` is dropped and `report.drop_reason` says why;
  /// report_changed() follows with the same row.
  virtual void report_dropped(const ReportView& /*report*/) {}
  /// Storage trouble the driver may need to know about: a corrupt file set aside (with what was
  /// recovered from it), or a full disk (StorageErrc::full: the new report was not saved; the
  /// ones before it are kept and still sent, and new ones are taken again once acks free space).
  virtual void storage_problem(const Error&) {}
};

class AgentApi {
 public:
  virtual ~AgentApi() = default;

  /// Add before the agent starts; the listener must outlive the agent's last event.
  virtual void add_listener(AgentListener* listener) = 0;
  virtual const VehicleIdentity& vehicle() const = 0;
  /// Now on the clock the agent's snapshots are recorded on (steady ms, as SignalSample::t_ms),
  /// for Draft::snapshot_at_ms; nullopt: this agent records no snapshots. Any thread.
  virtual std::optional<std::int64_t> snapshot_clock_ms() const { return std::nullopt; }

  /// Builds and commits a report; `done` gets the report id once the commit is durable, or
  /// why it was not saved. Reports submitted close together (a burst of auto-reports, a stream)
  /// share one commit (group commit); each is committed before any call made after its
  /// submit() returned is served (WireErrc for a bad draft, StorageErrc::full for a full disk,
  /// AgentErrc::queue_full when the outbox's cap is reached with reports as urgent or more).
  virtual void submit(Draft draft, std::function<void(Result<std::string>)> done) = 0;
  /// Marks a notification read (queues a read receipt).
  virtual void mark_read(std::string message_id) = 0;
  /// Answers a survey request (the notification of a closed case): 1..5 and a comment, queued
  /// durably and sent like a receipt. `done` gets WireErrc::invalid_field,
  /// StorageErrc::not_found or AgentErrc::already_answered (see CarStore::enqueue_survey_answer).
  virtual void answer_survey(std::string notification_id, int score, std::string comment,
                             std::function<void(Result<void>)> done) = 0;
  /// Answers a visit update (pick a slot, decline, ask for other times, cancel, approve or
  /// refuse an extra cost): checked against the visit's latest update, queued durably and sent
  /// like a receipt; the report's visit shows it as pending (report_changed). `done` gets the
  /// reply's message id, or the error of CarStore::enqueue_visit_reply.
  virtual void answer_visit(std::string visit_id, VisitAnswer answer,
                            std::function<void(Result<std::string>)> done) = 0;
  /// "Call me" about a report's case, for a parked car only: AgentErrc::not_parked while it is
  /// not (or when the agent has no vehicle state). `phone` may be empty (the one on record).
  /// `done` gets the callback id, or the error of CarStore::enqueue_callback_request; the
  /// report's callback then moves through report_changed.
  virtual void request_callback(std::string report_id, std::string phone,
                                std::function<void(Result<std::string>)> done) = 0;
  /// The driver's reply to a report's case (DriverMessage), queued durably and sent like a
  /// receipt; the timeline shows it at once. `done` gets its message id, or the error of
  /// CarStore::enqueue_driver_message.
  virtual void reply(std::string report_id, std::string text, std::function<void(Result<std::string>)> done) = 0;
  /// "Not fixed": asks to reopen a resolved or closed case (ReopenRequest), like reply().
  /// `done` gets its message id, or the error of CarStore::enqueue_reopen_request.
  virtual void reopen(std::string report_id, std::string reason, std::function<void(Result<std::string>)> done) = 0;
  /// Rates the outcome of a resolved or closed case 1..5 (SurveyAnswer), like reply(). `done`
  /// gets its message id, or the error of CarStore::enqueue_rating.
  virtual void rate(std::string report_id, int score, std::string comment,
                    std::function<void(Result<std::string>)> done) = 0;
  /// A report's timeline, oldest first (fb/agent/timeline.hpp).
  virtual void timeline(std::string report_id, std::function<void(Result<std::vector<TimelineEvent>>)> done) = 0;
  /// My reports, newest first.
  virtual void reports(std::function<void(Result<std::vector<ReportView>>)> done) = 0;
  /// Notifications received, newest first.
  virtual void inbox(std::function<void(Result<std::vector<InboxEntry>>)> done) = 0;

  /// The driver's unsent drafts (drafts.hpp), kept durably: save_draft replaces one of the same
  /// id (`done` once it is committed, or CarStore::save_draft's error), discard_draft deletes
  /// one (sent or thrown away), drafts() lists them newest first. The defaults keep nothing (an
  /// agent without a store): saving and discarding succeed, the list is empty.
  // By value: an implementation keeps them (the defaults only drop them).
  virtual void save_draft(SavedDraft /*draft*/,  // NOLINT(performance-unnecessary-value-param)
                          std::function<void(Result<void>)> done) {
    const auto call = std::move(done);
    call({});
  }
  virtual void discard_draft(std::string /*draft_id*/,  // NOLINT(performance-unnecessary-value-param)
                             std::function<void(Result<void>)> done) {
    const auto call = std::move(done);
    call({});
  }
  virtual void drafts(std::function<void(Result<std::vector<SavedDraft>>)> done) {
    const auto call = std::move(done);
    call(std::vector<SavedDraft>{});
  }
};

}  // namespace fb::agent
