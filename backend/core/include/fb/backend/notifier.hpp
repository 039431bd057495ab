// Renders what the lifecycle tells a driver (a CaseNotice: progress, routed, appointment
// proposed, resolved, survey request, ...) from the standard scripts into the Notification
// envelope stored and sent to the car. Immutable; thread-safe.
#pragma once

#include "fb/backend/case_store.hpp"
#include "fb/backend/templates.hpp"
#include "fb/backend/triage.hpp"

namespace fb::backend {

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
