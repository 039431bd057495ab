#include "fb/backend/notifier.hpp"

#include "fb/common/codec.hpp"

namespace fb::backend {

Result<StoredNotification> Notifier::render(const CaseNotice& notice) const {
  const auto& c = notice.c;
  const auto lang = templates_.pick_language(notice.event, c.language);
  const auto team_name = router_.team_name(c.team, lang);
  auto vars = notice.vars;
  // The store names the state as its code does ("waiting_for_customer"); the driver reads it in
  // words of their language.
  if (auto status = vars.find("status"); status != vars.end()) status->second = case_status_text(c.state, lang);
  vars.emplace("case_number", c.case_number);
  vars.emplace("team", team_name);
  auto text = templates_.render(notice.event, c.language, vars);
  if (!text) return fail(text.error());
  return notification_envelope(NotificationHeader{notice.at_ms, notice.vin, notice.report_id, c.case_number,
                                                  wire_status(c.state), team_name, c.first_reply_due_ms,
                                                  notice.visit ? &*notice.visit : nullptr,
                                                  notice.callback ? &*notice.callback : nullptr,
                                                  milestone_of(notice.event, c.state), urgent_case(c.priority, c.type),
                                                  notice.action_result ? &*notice.action_result : nullptr},
                               *text);
}

std::string say(const std::string& language, std::string_view en, std::string_view zh) {
  return std::string(language.rfind("zh", 0) == 0 ? zh : en);
}

std::string case_status_text(CaseState state, const std::string& language) {
  switch (state) {
    case CaseState::new_:
    case CaseState::acknowledged: return say(language, "received", "已受理");
    case CaseState::assigned: return say(language, "assigned to a specialist", "已分配专人处理");
    case CaseState::in_progress: return say(language, "in progress", "处理中");
    case CaseState::waiting_for_customer: return say(language, "waiting for your reply", "等待您的回复");
    case CaseState::appointment: return say(language, "service visit arranged", "已安排到店服务");
    case CaseState::resolved: return say(language, "resolved", "已解决");
    case CaseState::closed: return say(language, "closed", "已关闭");
    case CaseState::reopened: return say(language, "reopened", "已重新打开");
  }
  return say(language, "in progress", "处理中");
}

wire::Milestone milestone_of(std::string_view event, CaseState state) {
  if (event == "received" || event == "merged") return wire::MILESTONE_RECEIVED;
  if (event == "routed") return wire::MILESTONE_ASSIGNED;
  if (event == "workaround") return wire::MILESTONE_WORKAROUND;
  if (event == "appointment_proposed" || event == "visit_proposed") return wire::MILESTONE_APPOINTMENT;
  if (event == "resolved") return wire::MILESTONE_RESOLVED;
  if (event == "survey_request") return wire::MILESTONE_CLOSED;
  if (event == "message") return wire::MILESTONE_MESSAGE;
  if (event == "progress") {
    switch (state) {
      case CaseState::reopened: return wire::MILESTONE_REOPENED;
      case CaseState::waiting_for_customer: return wire::MILESTONE_WAITING_FOR_DRIVER;
      case CaseState::assigned: return wire::MILESTONE_ASSIGNED;
      case CaseState::resolved: return wire::MILESTONE_RESOLVED;
      case CaseState::closed: return wire::MILESTONE_CLOSED;
      case CaseState::appointment: return wire::MILESTONE_APPOINTMENT;
      default: return wire::MILESTONE_IN_PROGRESS;
    }
  }
  // A visit's later stages, callbacks, reminders: news on the case, no step of its own.
  return wire::MILESTONE_MESSAGE;
}

bool urgent_case(Priority priority, CaseType type) {
  return priority == Priority::high && type == CaseType::product_fault;
}

StoredNotification notification_envelope(const NotificationHeader& header, const RenderedText& text) {
  auto env = codec::new_envelope(header.at_ms);
  auto* n = env.mutable_notification();
  n->set_report_id(header.report_id);
  n->set_case_number(header.case_number);
  n->set_status(header.status);
  n->set_title(text.title);
  n->set_text(text.text);
  n->set_language(text.language);
  n->set_team(header.team_name);
  n->set_first_reply_due_ms(header.first_reply_due_ms);
  if (header.visit) *n->mutable_visit() = *header.visit;
  if (header.callback) *n->mutable_callback() = *header.callback;
  n->set_milestone(header.milestone);
  n->set_urgent(header.urgent);
  if (header.action_result) *n->mutable_action_result() = *header.action_result;
  return StoredNotification{env.message_id(), header.vin, codec::encode(env), text.text};
}

}  // namespace fb::backend
