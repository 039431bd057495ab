// A driver who answers the service side by a script: picks the first slot offered, approves or
// refuses an extra cost, answers the survey with a given score, asks for a callback about a
// report. fb-car's `follow` plays the driver of the demo with it; tests use it as the
// "simulated car" of a whole visit. It acts on My reports (ReportView), so it sees the same
// state the dashboard shows, and through AgentApi only.
//
// Threads: the agent's executor. Its listener events and every completion run there; start()
// must be called there too. It must outlive the agent's last completion (stop the agent and
// let its executor run dry first).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "fb/agent/agent_api.hpp"

namespace fb::agent {

struct DriverScript {
  bool pick_first_slot = false;       // a proposal: pick its first slot
  std::optional<bool> approve_extra;  // an extra cost asked: approve (true) or refuse (false)
  std::optional<int> survey_score;    // a survey request (handover, closed case): answer 1..5
  std::string survey_comment;
  /// Ask for one callback about this report (its id, its first characters, or the 8 characters
  /// fb-car shows: names_id), or about the first report with a case (kAnyReport).
  std::string callback_report;
  static constexpr const char* kAnyReport = "any";
  std::string callback_phone;
};

class ScriptedDriver final : public AgentListener {
 public:
  /// Add it as a listener of `agent` before the agent starts.
  ScriptedDriver(AgentApi& agent, DriverScript script);

  /// Acts on what My reports hold already (e.g. a proposal that came while the car was off).
  void start();
  void report_changed(const ReportView& report) override;

  /// One line for each thing it did ("picked slot s1 (SH-001 ...) of visit 1a2b3c4d").
  std::function<void(const std::string&)> on_action;
  /// An answer the agent refused (a rule of the car's, e.g. not parked), or a storage error.
  std::function<void(const Error&)> on_error;

  bool survey_answered() const { return survey_answered_; }
  /// The callback it asked for was logged by the agent who called.
  bool callback_logged() const { return callback_logged_; }
  const std::string& callback_id() const { return callback_id_; }

 private:
  void act(const ReportView& report);
  void say(const std::string& line);
  void refused(const Error& error);

  AgentApi& agent_;
  DriverScript script_;
  // What it has started, keyed by the update it answers, so that an event arriving before the
  // completion does not answer twice.
  std::set<std::string> started_;
  bool survey_answered_ = false;
  bool callback_asked_ = false;
  bool callback_logged_ = false;
  std::string callback_id_;
};

}  // namespace fb::agent
