#include "fb/agent/errors.hpp"

#include <string>

namespace fb::agent {
namespace {

class AgentCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "agent"; }
  std::string message(int v) const override {
    switch (static_cast<AgentErrc>(v)) {
      case AgentErrc::not_parked: return "only while the car is parked";
      case AgentErrc::no_case: return "the report has no case yet";
      case AgentErrc::callback_open: return "a callback for this report is already open";
      case AgentErrc::visit_stage: return "not possible at the visit's stage";
      case AgentErrc::not_offered: return "not offered by the latest visit update";
      case AgentErrc::already_answered: return "already answered";
      case AgentErrc::answer_pending: return "an earlier answer is waiting for confirmation";
      case AgentErrc::queue_full: return "the report queue is full of more urgent reports";
      case AgentErrc::not_reopenable: return "only a resolved or closed case can be reopened";
      case AgentErrc::not_resolved: return "the case is not resolved yet";
      case AgentErrc::case_closed: return "the case is closed";
    }
    return "unknown agent error";
  }
};

}  // namespace

const std::error_category& agent_category() noexcept {
  static const AgentCategory category;
  return category;
}

std::error_code make_error_code(AgentErrc e) noexcept { return {static_cast<int>(e), agent_category()}; }

}  // namespace fb::agent
