// Why the head unit refuses a driver's answer before it is queued (a visit reply, a callback
// request, a survey answer): rules of the car's side of docs/visits.md; and a report refused by
// the outbox's size cap. Bad field values are WireErrc::invalid_field and unknown ids
// StorageErrc::not_found; these are the rest.
#pragma once

#include <system_error>

namespace fb::agent {

enum class AgentErrc {
  not_parked = 1,        // "Call me" is for a parked car only
  no_case = 2,           // the report has no case yet (not acknowledged, or rejected)
  callback_open = 3,     // a callback for this report is queued or being handled already
  visit_stage = 4,       // the visit is not at a stage that takes this answer
  not_offered = 5,       // the slot or approval is not the one the latest update offers
  already_answered = 6,  // this approval or survey has its answer already
  answer_pending = 7,    // an earlier answer to this visit waits for the backend's update
  queue_full = 8,        // the outbox is at its size cap with reports as urgent or more (CarStore)
  not_reopenable = 9,    // reopen: the case is neither resolved nor closed, or a reopen is on its way
  not_resolved = 10,     // rating: the case is not resolved or closed yet
  case_closed = 11,      // reply: the case is closed (reopen it instead)
};

const std::error_category& agent_category() noexcept;
std::error_code make_error_code(AgentErrc e) noexcept;

}  // namespace fb::agent

template <>
struct std::is_error_code_enum<fb::agent::AgentErrc> : std::true_type {};
