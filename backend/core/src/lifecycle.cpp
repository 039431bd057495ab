#include "fb/backend/lifecycle.hpp"

#include <algorithm>
#include <span>

namespace fb::backend {
namespace {

class CaseCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "case"; }
  std::string message(int v) const override {
    switch (static_cast<CaseErrc>(v)) {
      case CaseErrc::not_found: return "no such case";
      case CaseErrc::invalid_transition: return "transition not allowed";
      case CaseErrc::missing_detail: return "detail missing for this transition";
      case CaseErrc::invalid_survey: return "invalid survey answer";
      case CaseErrc::invalid_request: return "invalid request";
      case CaseErrc::invalid_query: return "invalid query";
    }
    return "unknown case error";
  }
};

using S = CaseState;

// The table of allowed moves; anything else is refused. A case can be reassigned (assigned ->
// assigned) and a visit rescheduled (appointment -> appointment).
struct Moves {
  S from;
  std::array<S, 4> to;
  std::size_t count;
};
constexpr Moves kMoves[] = {
    {S::new_, {S::acknowledged, S::assigned}, 2},
    {S::acknowledged, {S::assigned}, 1},
    {S::assigned, {S::assigned, S::in_progress}, 2},
    {S::in_progress, {S::assigned, S::waiting_for_customer, S::appointment, S::resolved}, 4},
    {S::waiting_for_customer, {S::in_progress, S::appointment, S::resolved}, 3},
    {S::appointment, {S::appointment, S::in_progress, S::resolved}, 3},
    {S::resolved, {S::closed, S::reopened}, 2},
    {S::closed, {S::reopened}, 1},
    {S::reopened, {S::assigned, S::in_progress}, 2},
};

std::span<const S> moves_from(S from) {
  for (const auto& m : kMoves) {
    if (m.from == from) return {m.to.data(), m.count};
  }
  return {};
}

}  // namespace

const std::error_category& case_category() noexcept {
  static const CaseCategory c;
  return c;
}

std::error_code make_error_code(CaseErrc e) noexcept { return {static_cast<int>(e), case_category()}; }

bool can_transition(CaseState from, CaseState to) {
  const auto next = moves_from(from);
  return std::find(next.begin(), next.end(), to) != next.end();
}

std::string allowed_transitions(CaseState from) {
  std::string out;
  for (auto n : moves_from(from)) out += (out.empty() ? "" : ", ") + std::string(to_string(n));
  return out.empty() ? "none" : out;
}

bool is_open(CaseState s) { return s != S::resolved && s != S::closed; }

wire::CaseStatus wire_status(CaseState s) {
  switch (s) {
    case S::new_:
    case S::acknowledged:
    case S::assigned: return wire::CASE_STATUS_RECEIVED;
    case S::in_progress:
    case S::reopened: return wire::CASE_STATUS_IN_PROGRESS;
    case S::waiting_for_customer: return wire::CASE_STATUS_WAITING_FOR_DRIVER;
    case S::appointment: return wire::CASE_STATUS_APPOINTMENT;
    case S::resolved: return wire::CASE_STATUS_RESOLVED;
    case S::closed: return wire::CASE_STATUS_CLOSED;
  }
  return wire::CASE_STATUS_RECEIVED;
}

}  // namespace fb::backend
