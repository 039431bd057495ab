// What the simulated dealer does next with a visit, decided from the visit's JSON alone
// (docs/visits.md), so it is tested without a server. Pure functions; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace fb::dealer {

/// The workshop's stages, strictly in this order; a failed quality check goes back to repair.
inline constexpr const char* kStages[] = {"checked_in", "inspection",    "diagnosis",
                                          "repair",     "quality_check", "handed_over"};

struct PlanOptions {
  /// Extra cost (minor units) the repair needs beyond the estimate; 0: none. Asked of the
  /// driver before the repair; the repair then stays within what was approved.
  std::int64_t extra_cost_minor = 0;
  std::string extra_reason = "Additional parts found worn during the repair";
  /// The first quality check fails (the visit goes back to repair once).
  bool fail_quality_once = false;
  /// How far ahead each stage puts the expected ready time.
  std::int64_t ready_in_ms = std::int64_t{2} * 3600 * 1000;
};

/// One thing to do with a visit.
// NOLINTNEXTLINE(bugprone-exception-escape): json's destructor, as for ApiAnswer
struct Step {
  enum class Kind {
    none,            // nothing for the dealer: not booked yet, or final
    enter_stage,     // POST /visits/{id}/stages with `body`
    ask_approval,    // POST /visits/{id}/approvals with `body`
    wait_for_driver  // an approval is requested and not yet answered: poll the visit
  };
  Kind kind = Kind::none;
  nlohmann::json body;  // for enter_stage and ask_approval
  std::string why;      // one line for the log ("booked: check in", "waiting for the driver's answer")
};

/// The stage the dealer may enter next: "checked_in" for a booked visit, the one after the
/// visit's stage, "repair" again right after a failed quality check (the backend has put the
/// visit back in repair); nullopt when none (not booked, final).
std::optional<std::string> next_stage(const nlohmann::json& visit);

/// What the dealer may still charge (minor units): the estimate plus the approved extra, less
/// what earlier repair entries charged (their detail.total).
std::int64_t repair_allowance(const nlohmann::json& visit);

/// The next step for `visit` at `now_ms`, with the bodies the API expects: check-in and the
/// rest with a ready time; diagnosis with findings and the car's own DTCs; repair with parts
/// and labour adding up to the estimate plus the extra cost wanted, or to what was approved
/// when the driver refused or approved less (a rework after a failed quality check is not
/// billed); a quality check that passes (or fails once).
Step plan_step(const nlohmann::json& visit, const PlanOptions& options, std::int64_t now_ms);

}  // namespace fb::dealer
