#include "fb/agent/scripted_driver.hpp"
#include "fb/common/ids.hpp"

namespace fb::agent {

ScriptedDriver::ScriptedDriver(AgentApi& agent, DriverScript script) : agent_(agent), script_(std::move(script)) {
  agent_.add_listener(this);
}

void ScriptedDriver::start() {
  agent_.reports([this](Result<std::vector<ReportView>> reports) {
    if (!reports) {
      refused(reports.error());
      return;
    }
    for (const auto& r : *reports) act(r);
  });
}

void ScriptedDriver::report_changed(const ReportView& report) { act(report); }

void ScriptedDriver::say(const std::string& line) {
  if (on_action) on_action(line);
}

void ScriptedDriver::refused(const Error& error) {
  if (on_error) on_error(error);
}

void ScriptedDriver::act(const ReportView& r) {
  if (r.visit) {
    const auto& v = *r.visit;
    const auto& visit_id = v.latest.visit_id();
    const auto short_id = std::string(fb::short_id(visit_id));
    if (script_.pick_first_slot && v.latest.stage() == wire::VISIT_PROPOSED && !v.pending &&
        v.latest.slots_size() > 0 && started_.insert("pick:" + v.notification_id).second) {
      const auto slot = v.latest.slots(0);
      agent_.answer_visit(visit_id, VisitAnswer{wire::VisitReply::PICK_SLOT, slot.slot_id(), {}, {}},
                          [this, slot, short_id](Result<std::string> sent) {
                            if (!sent) return refused(sent.error());
                            say("picked slot " + slot.slot_id() + " (" + slot.dealer_name() + ") of visit " + short_id);
                          });
    }
    if (script_.approve_extra && v.approval_open &&
        started_.insert("extra:" + v.latest.extra_cost().approval_id()).second) {
      const bool approve = *script_.approve_extra;
      const auto approval = v.latest.extra_cost().approval_id();
      agent_.answer_visit(
          visit_id,
          VisitAnswer{approve ? wire::VisitReply::APPROVE_EXTRA : wire::VisitReply::REFUSE_EXTRA, {}, approval, {}},
          [this, approve, approval, short_id](Result<std::string> sent) {
            if (!sent) return refused(sent.error());
            say(std::string(approve ? "approved" : "refused") + " extra cost " + approval + " of visit " + short_id);
          });
    }
  }
  if (script_.survey_score && !r.survey_request_id.empty() && !r.survey_answered &&
      started_.insert("survey:" + r.survey_request_id).second) {
    const int score = *script_.survey_score;
    agent_.answer_survey(r.survey_request_id, score, script_.survey_comment, [this, score](Result<void> sent) {
      if (!sent) return refused(sent.error());
      survey_answered_ = true;
      say("answered the survey: " + std::to_string(score) + "/5");
    });
  }
  const bool callback_about = script_.callback_report == DriverScript::kAnyReport ||
                              names_id(r.report_id, script_.callback_report);
  if (callback_about) {
    if (!callback_asked_ && !r.case_number.empty()) {
      callback_asked_ = true;
      agent_.request_callback(r.report_id, script_.callback_phone, [this, number = r.case_number](auto id) {
        if (!id) return refused(id.error());
        callback_id_ = *id;
        say("asked for a callback about " + number);
      });
    }
    if (r.callback && r.callback->callback_id == callback_id_ && r.callback->state == wire::CALLBACK_LOGGED) {
      callback_logged_ = true;
    }
  }
}

}  // namespace fb::agent
