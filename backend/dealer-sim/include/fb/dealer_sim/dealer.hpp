// The simulated dealer: polls its visits through the API and takes each booked one through
// check-in, inspection, diagnosis, repair (asking the driver first when it needs more than the
// estimate), quality check and handover, printing each step. Runs on the caller's thread and
// blocks; pacing and waiting go through `Sleep`, time through fb::Clock.
#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <string>

#include "fb/common/clock.hpp"
#include "fb/dealer_sim/http_client.hpp"
#include "fb/dealer_sim/plan.hpp"

namespace fb::dealer {

struct DealerOptions {
  PlanOptions plan;
  std::string visit_id;                 // only this visit (waiting until it is booked); empty: all of the dealer's
  std::chrono::milliseconds step{500};  // pause after each action and between polls
  int until_handed_over = 0;            // keep polling until this many were handed over; 0: until idle
  std::chrono::seconds timeout{300};
};

class Dealer {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;

  Dealer(Api& api, DealerOptions options, const Clock& clock, Sleep sleep, std::ostream& out);

  /// Works until done: with visit_id until that visit is final; with until_handed_over until
  /// that many visits were handed over by this run; else until no visit has anything left for
  /// the dealer or the driver. Returns how many visits it handed over. Errors: the API's
  /// (DealerErrc::http, transport, bad_answer; conflict with the API's detail for a refused
  /// stage, e.g. approval_required), DealerErrc::timeout.
  Result<int> run();

 private:
  Result<nlohmann::json> visits();
  /// The service region's offset from UTC (GET /api/v1/me; 0 from a server that gives none).
  Result<void> read_region_clock();
  Result<bool> act(const nlohmann::json& visit, bool& waiting);

  Api& api_;
  DealerOptions options_;
  const Clock& clock_;
  Sleep sleep_;
  std::ostream& out_;
  int handed_over_ = 0;
  std::string last_wait_;              // the visit whose wait was printed last (print a wait once)
  std::int64_t region_offset_ms_ = 0;  // the clock the printed times are on (read_region_clock)
};

}  // namespace fb::dealer
