// An AgentApi that records what the app asks and lets the test answer, on the test thread:
// the view-model's tests need no agent, store or executor behind it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fb/agent/agent_api.hpp"

namespace fb::test {

class FakeAgent final : public agent::AgentApi {
 public:
  void add_listener(agent::AgentListener* l) override { listeners.push_back(l); }
  const agent::VehicleIdentity& vehicle() const override { return identity; }
  std::optional<std::int64_t> snapshot_clock_ms() const override { return snapshot_clock; }
  void submit(agent::Draft d, std::function<void(Result<std::string>)> done) override {
    submitted.push_back({std::move(d), std::move(done)});
  }
  void mark_read(std::string id) override { read.push_back(std::move(id)); }
  void answer_survey(std::string notification_id, int score, std::string comment,
                     std::function<void(Result<void>)> done) override {
    surveys.push_back({std::move(notification_id), score, std::move(comment), std::move(done)});
  }
  void answer_visit(std::string visit_id, agent::VisitAnswer answer,
                    std::function<void(Result<std::string>)> done) override {
    visit_answers.push_back({std::move(visit_id), std::move(answer), std::move(done)});
  }
  void request_callback(std::string report_id, std::string phone,
                        std::function<void(Result<std::string>)> done) override {
    callback_requests.push_back({std::move(report_id), std::move(phone), std::move(done)});
  }
  void reply(std::string report_id, std::string text, std::function<void(Result<std::string>)> done) override {
    case_actions.push_back({"reply", std::move(report_id), std::move(text), 0, std::move(done)});
  }
  void reopen(std::string report_id, std::string reason, std::function<void(Result<std::string>)> done) override {
    case_actions.push_back({"reopen", std::move(report_id), std::move(reason), 0, std::move(done)});
  }
  void rate(std::string report_id, int score, std::string comment,
            std::function<void(Result<std::string>)> done) override {
    case_actions.push_back({"rate", std::move(report_id), std::move(comment), score, std::move(done)});
  }
  void timeline(std::string report_id, std::function<void(Result<std::vector<agent::TimelineEvent>>)> done) override {
    timeline_requests.push_back({std::move(report_id), std::move(done)});
  }
  void reports(std::function<void(Result<std::vector<agent::ReportView>>)> done) override {
    report_requests.push_back(std::move(done));
  }
  void inbox(std::function<void(Result<std::vector<agent::InboxEntry>>)> done) override {
    inbox_requests.push_back(std::move(done));
  }

  /// What snapshot_clock_ms() says (nullopt: an agent without a snapshot recorder).
  std::optional<std::int64_t> snapshot_clock;
  agent::VehicleIdentity identity{"LSVAX60E5K2000001", "Aurora EV", 2026, "HU-3.2.1"};
  std::vector<agent::AgentListener*> listeners;
  struct Submitted {
    agent::Draft draft;
    std::function<void(Result<std::string>)> done;
  };
  std::vector<Submitted> submitted;
  std::vector<std::string> read;
  struct SurveyAnswer {
    std::string notification_id;
    int score = 0;
    std::string comment;
    std::function<void(Result<void>)> done;  // the test answers, as the agent would later
  };
  std::vector<SurveyAnswer> surveys;
  struct VisitAnswered {
    std::string visit_id;
    agent::VisitAnswer answer;
    std::function<void(Result<std::string>)> done;
  };
  std::vector<VisitAnswered> visit_answers;
  struct CaseAction {
    std::string kind;  // "reply", "reopen", "rate"
    std::string report_id;
    std::string text;
    int score = 0;
    std::function<void(Result<std::string>)> done;
  };
  std::vector<CaseAction> case_actions;
  struct TimelineRequest {
    std::string report_id;
    std::function<void(Result<std::vector<agent::TimelineEvent>>)> done;
  };
  std::vector<TimelineRequest> timeline_requests;
  struct CallbackRequested {
    std::string report_id;
    std::string phone;
    std::function<void(Result<std::string>)> done;
  };
  std::vector<CallbackRequested> callback_requests;
  std::vector<std::function<void(Result<std::vector<agent::ReportView>>)>> report_requests;
  std::vector<std::function<void(Result<std::vector<agent::InboxEntry>>)>> inbox_requests;
};

}  // namespace fb::test
