// A report's status timeline ("My reports", docs/protocol.md "Timeline") and the driver's
// actions it allows now. The CarStore records each step as it happens (the car's own steps:
// queued, which is the report row's own time, sent, delivered; the backend's: from its
// notifications, by Notification.milestone or, from an older backend, by status; the driver's
// own actions) and keeps them across restarts.
//
// Order: by the time each step happened (the car's clock for the car's steps, the backend's
// Envelope.sent_at_ms for its notifications), then by arrival; so notifications that arrive out
// of order still show in the order the backend wrote them.
//
// Pure data and functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "fb/common/vocabulary.hpp"
#include "feedback.pb.h"

namespace fb::agent {

struct ReportView;

enum class TimelineKind {
  queued,     // committed to the car's outbox
  sent,       // first handed to the MQTT client
  delivered,  // the broker's PUBACK
  received,   // the backend's acknowledgement / its "received" notification
  assigned,   // routed to a team, or a person owns it
  in_progress,
  waiting_for_driver,  // the team needs an answer
  workaround,          // a known issue's answer or a workaround
  appointment,         // a service visit proposed (or another visit update)
  resolved,
  closed,
  reopened,
  message,         // a message from the service team, no change of state
  rejected,        // the backend refused the report
  dropped,         // left the outbox unsent
  driver_reply,    // the driver's own: a reply (text)
  reopen_asked,    // the driver asked to reopen (text: the reason)
  rated,           // the driver rated the outcome (detail: the score, text: the comment)
  visit_answer,    // the driver answered a visit proposal (detail: the action key)
  action_refused,  // the backend refused a driver's action (detail: its reason key)
};

/// One step of a report's timeline.
struct TimelineEvent {
  TimelineKind kind = TimelineKind::queued;
  std::int64_t at_ms = 0;  // Unix epoch ms when it happened (see the ordering above)
  std::string title;       // a notification's title; "" for the car's own steps
  std::string text;        // a notification's text, or the driver's text
  std::string detail;      // a score, an action or reason key (see TimelineKind)
  std::string source_id;   // the notification's or the driver's message id; "" for car steps
  bool mine() const { return kind >= TimelineKind::driver_reply && kind != TimelineKind::action_refused; }
};

/// The timeline step a notification marks: its milestone, else (an older backend) its status.
TimelineKind timeline_kind(const wire::Notification& n);

/// What the driver may do about a report now ("can act"): the UI offers only these, and the
/// store refuses the others (AgentErrc) whatever the UI does.
struct ReportActions {
  bool reply = false;         // the report has an open case (not closed or rejected)
  bool reopen = false;        // the case is resolved or closed and no reopen is on its way
  bool rate = false;          // resolved or closed, and this outcome is not rated yet
  bool answer_visit = false;  // a visit is proposed and no answer to it is on its way
};
ReportActions actions_of(const ReportView& report);

/// Limits of the driver's texts (the backend checks the same).
inline constexpr std::size_t kMaxReplyChars = 1000;
inline constexpr std::size_t kMaxReopenReasonChars = 500;

}  // namespace fb::agent

namespace fb {
/// Keys of timeline.kind: fb::to_string and fb::parse<agent::TimelineKind>.
template <>
struct Vocabulary<agent::TimelineKind> {
  static constexpr std::string_view name = "timeline step";
  static constexpr std::string_view fallback = "message";
  static constexpr std::array<VocabularyEntry<agent::TimelineKind>, 20> entries{{
      {agent::TimelineKind::queued, "queued"},
      {agent::TimelineKind::sent, "sent"},
      {agent::TimelineKind::delivered, "delivered"},
      {agent::TimelineKind::received, "received"},
      {agent::TimelineKind::assigned, "assigned"},
      {agent::TimelineKind::in_progress, "in_progress"},
      {agent::TimelineKind::waiting_for_driver, "waiting_for_driver"},
      {agent::TimelineKind::workaround, "workaround"},
      {agent::TimelineKind::appointment, "appointment"},
      {agent::TimelineKind::resolved, "resolved"},
      {agent::TimelineKind::closed, "closed"},
      {agent::TimelineKind::reopened, "reopened"},
      {agent::TimelineKind::message, "message"},
      {agent::TimelineKind::rejected, "rejected"},
      {agent::TimelineKind::dropped, "dropped"},
      {agent::TimelineKind::driver_reply, "driver_reply"},
      {agent::TimelineKind::reopen_asked, "reopen_asked"},
      {agent::TimelineKind::rated, "rated"},
      {agent::TimelineKind::visit_answer, "visit_answer"},
      {agent::TimelineKind::action_refused, "action_refused"},
  }};
};
}  // namespace fb
