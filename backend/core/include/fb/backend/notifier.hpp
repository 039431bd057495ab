// Renders what the lifecycle tells a driver (a CaseNotice: progress, routed, appointment
// proposed, resolved, survey request, ...) from the standard scripts into the Notification
// envelope stored and sent to the car. Immutable; thread-safe.
#pragma once

#include "fb/backend/case_store.hpp"
#include "fb/backend/templates.hpp"
#include "fb/backend/triage.hpp"

namespace fb::backend {

/// The Notification envelope stored and (re)sent to a car for a rendered text; the one place
/// the wire message is built, for the first notification (Ingest) and the lifecycle's (Notifier).
struct NotificationHeader {
  std::int64_t at_ms = 0;
  std::string vin;
  std::string report_id;
  std::string case_number;
  wire::CaseStatus status = wire::CASE_STATUS_RECEIVED;
  std::string team_name;  // localized
  std::int64_t first_reply_due_ms = 0;
  const wire::VisitUpdate* visit = nullptr;  // copied into Notification.visit when set
  const wire::CallbackUpdate* callback = nullptr;
  /// The car's timeline step (Notification.milestone) and whether the car shows it at once, even
  /// while driving (Notification.urgent: safety guidance).
  wire::Milestone milestone = wire::MILESTONE_UNSPECIFIED;
  bool urgent = false;
  const wire::ActionResult* action_result = nullptr;  // copied into Notification.action_result when set
};
StoredNotification notification_envelope(const NotificationHeader& header, const RenderedText& text);

/// A short text for the driver in `language` (BCP 47): Chinese for "zh*", else English, the
/// templates' two languages. For words added to a notice outside its template. Any thread.
std::string say(const std::string& language, std::string_view en, std::string_view zh);

/// A case's state as the driver reads it in a notice, in `language` (the templates' "zh" or
/// "en"): "处理中", "waiting for your reply". Any thread; no errors.
std::string case_status_text(CaseState state, const std::string& language);

/// The timeline step a notice of template `event` marks for a case now in `state`
/// (docs/protocol.md, "Timeline"): routed is assigned, workaround a known issue's answer,
/// progress the state it tells (reopened, in progress, waiting for the driver), ...
wire::Milestone milestone_of(std::string_view event, CaseState state);
/// Safety guidance the car shows at once, even while driving: a high-priority product fault.
bool urgent_case(Priority priority, CaseType type);

class Notifier {
 public:
  Notifier(const Templates& templates, const Router& router) : templates_(templates), router_(router) {}

  /// The notice in the case's language (falling back to the templates' default), with the
  /// team's localized name and the case number filled in besides the notice's own values.
  /// Errors: ConfigErrc::invalid_value when the event has no template.
  Result<StoredNotification> render(const CaseNotice& notice) const;

 private:
  const Templates& templates_;
  const Router& router_;
};

}  // namespace fb::backend
