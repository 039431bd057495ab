#include "fb/agent/personal_data_json.hpp"

#include <nlohmann/json.hpp>

#include "fb/common/vocabulary.hpp"

namespace fb::agent {

std::string personal_data_json(const PersonalData& data, const std::string& vin, std::int64_t exported_ms) {
  using nlohmann::json;
  json reports = json::array();
  for (std::size_t i = 0; i < data.reports.size(); ++i) {
    const auto& r = data.reports[i];
    json steps = json::array();
    if (i < data.steps.size()) {
      for (const auto& e : data.steps[i]) {
        steps.push_back({{"kind", to_string(e.kind)},
                         {"at_ms", e.at_ms},
                         {"title", e.title},
                         {"text", e.text},
                         {"detail", e.detail}});
      }
    }
    reports.push_back({{"report_id", r.report_id},
                       {"created_ms", r.created_ms},
                       {"source", r.source == wire::SOURCE_TELEMATICS ? "telematics" : "driver"},
                       {"category", to_string(r.category)},
                       {"text", r.text},
                       {"language", r.language},
                       {"status", to_string(r.status)},
                       {"case_number", r.case_number},
                       {"team", r.team},
                       {"last_title", r.last_title},
                       {"last_text", r.last_text},
                       {"reject_reason", r.reject_reason},
                       {"drop_reason", r.drop_reason ? std::string(to_string(*r.drop_reason)) : std::string()},
                       {"updated_ms", r.updated_ms},
                       {"timeline", std::move(steps)}});
  }
  json inbox = json::array();
  for (const auto& n : data.inbox) {
    inbox.push_back({{"message_id", n.message_id},
                     {"report_id", n.report_id},
                     {"case_number", n.case_number},
                     {"title", n.title},
                     {"text", n.text},
                     {"status", wire::CaseStatus_Name(n.status)},
                     {"read", n.read},
                     {"received_ms", n.received_ms}});
  }
  json callbacks = json::array();
  for (const auto& c : data.callbacks) {
    callbacks.push_back({{"callback_id", c.callback_id},
                         {"report_id", c.report_id},
                         {"phone", c.phone},
                         {"state", wire::CallbackState_Name(c.state)},
                         {"agent", c.agent},
                         {"outcome", c.outcome},
                         {"requested_ms", c.requested_ms}});
  }
  json answers = json::array();
  for (const auto& a : data.visit_answers) {
    answers.push_back({{"message_id", a.message_id},
                       {"visit_id", a.visit_id},
                       {"action", wire::VisitReply::Action_Name(a.action)},
                       {"slot_id", a.slot_id},
                       {"reason", a.reason},
                       {"queued_ms", a.queued_ms}});
  }
  json drafts = json::array();
  for (const auto& d : data.drafts) {
    drafts.push_back({{"draft_id", d.draft_id},
                      {"kind", d.kind},
                      {"text", d.text},
                      {"phone", d.phone},
                      {"diagnostics_consent", d.consent.diagnostics()},
                      {"location_consent", d.consent.location()},
                      {"contact_consent", d.consent.contact()},
                      {"saved_ms", d.saved_ms}});
  }
  json queued = json::array();
  for (const auto& q : data.queued) queued.push_back({{"id", q.id}, {"kind", q.kind}, {"created_ms", q.created_ms}});
  const json doc = {{"vin", vin},
                    {"exported_ms", exported_ms},
                    {"reports", std::move(reports)},
                    {"notifications", std::move(inbox)},
                    {"callbacks", std::move(callbacks)},
                    {"visit_answers", std::move(answers)},
                    {"drafts", std::move(drafts)},
                    {"unsent", std::move(queued)}};
  // Text the car could not check (an older build's rows) is replaced, never a throw mid-export.
  return doc.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace fb::agent
