// The case lifecycle (工单流转): the states a case goes through, which moves between them are
// allowed, and what the driver sees of each. Pure data and functions; thread-safe.
//
//   new -> acknowledged -> assigned -> in_progress -> (waiting_for_customer | appointment)
//       -> resolved -> closed, and reopened from resolved or closed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"
#include "feedback.pb.h"

namespace fb::backend {

/// China Standard Time's offset from UTC (it keeps no daylight saving): the service region's
/// clock unless the backend's configuration says otherwise (`utc_offset`, GroupingPolicy).
inline constexpr std::int64_t kChinaStandardTimeOffsetMs = std::int64_t{8} * 3600 * 1000;

enum class CaseState {
  new_,                  // created and routed to a team by triage; nobody has answered yet
  acknowledged,          // the team has taken note (stops the first-response clock)
  assigned,              // a person in the team owns it
  in_progress,           // being worked on
  waiting_for_customer,  // the team needs something from the driver
  appointment,           // a service visit is proposed or booked
  resolved,              // the team says it is fixed or answered (stops the resolution clock)
  closed,                // final; the driver was asked for a survey
  reopened,              // resolved or closed, then found not fixed
};

/// Why a lifecycle request was refused.
enum class CaseErrc {
  not_found = 1,           // no case with that number
  invalid_transition = 2,  // the move is not allowed from the case's state
  missing_detail = 3,      // the move needs a detail it lacks (an assignee, an appointment time, ...)
  invalid_survey = 4,      // score outside 1..5, or the case was not asked for one
  invalid_request = 5,     // a merge, split or link that cannot be (other car, closed case, last report, ...)
  invalid_query = 6,       // a cursor from another sort or not ours
};

const std::error_category& case_category() noexcept;
std::error_code make_error_code(CaseErrc e) noexcept;

/// True when a case may move from `from` to `to`.
bool can_transition(CaseState from, CaseState to);
/// The states a case may move to from `from`, for error messages and the console.
std::string allowed_transitions(CaseState from);
/// Open cases count against SLAs and accept merged reports.
bool is_open(CaseState s);

/// What the driver's car shows for a state.
wire::CaseStatus wire_status(CaseState s);

}  // namespace fb::backend

template <>
struct std::is_error_code_enum<fb::backend::CaseErrc> : std::true_type {};

namespace fb {

template <>
struct Vocabulary<backend::CaseState> {
  static constexpr std::string_view name = "case state";
  static constexpr std::string_view fallback = "new";
  static constexpr std::array<VocabularyEntry<backend::CaseState>, 9> entries{{
      {backend::CaseState::new_, "new"},
      {backend::CaseState::acknowledged, "acknowledged"},
      {backend::CaseState::assigned, "assigned"},
      {backend::CaseState::in_progress, "in_progress"},
      {backend::CaseState::waiting_for_customer, "waiting_for_customer"},
      {backend::CaseState::appointment, "appointment"},
      {backend::CaseState::resolved, "resolved"},
      {backend::CaseState::closed, "closed"},
      {backend::CaseState::reopened, "reopened"},
  }};
};

}  // namespace fb
