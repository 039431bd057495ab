#include "fb/backend/notifier.hpp"

#include "fb/common/codec.hpp"

namespace fb::backend {

Result<StoredNotification> Notifier::render(const CaseNotice& notice) const {
  const auto& c = notice.c;
  const auto lang = templates_.pick_language(notice.event, c.language);
  const auto team_name = router_.team_name(c.team, lang);
  auto vars = notice.vars;
  vars.emplace("case_number", c.case_number);
  vars.emplace("team", team_name);
  auto text = templates_.render(notice.event, c.language, vars);
  if (!text) return fail(text.error());
  return notification_envelope(NotificationHeader{notice.at_ms, notice.vin, notice.report_id, c.case_number,
                                                  wire_status(c.state), team_name, c.first_reply_due_ms,
                                                  notice.visit ? &*notice.visit : nullptr,
                                                  notice.callback ? &*notice.callback : nullptr},
                               *text);
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
  return StoredNotification{env.message_id(), header.vin, codec::encode(env), text.text};
}

}  // namespace fb::backend
