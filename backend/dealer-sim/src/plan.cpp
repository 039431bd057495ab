#include "fb/dealer_sim/plan.hpp"

#include <algorithm>
#include <iterator>

namespace fb::dealer {

using nlohmann::json;

namespace {

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t minor_of(const json& visit, const char* key) {
  auto it = visit.find(key);
  if (it == visit.end() || !it->is_object()) return 0;
  auto m = it->find("minor");
  return m != it->end() && m->is_number_integer() ? m->get<std::int64_t>() : 0;
}

std::string currency_of(const json& visit) {
  auto it = visit.find("estimate");
  if (it != visit.end() && it->is_object()) {
    if (auto c = text_of(*it, "currency"); !c.empty()) return c;
  }
  return "CNY";
}

json money(std::int64_t minor, const std::string& currency) { return {{"minor", minor}, {"currency", currency}}; }

const json& list_of(const json& visit, const char* key) {
  static const json empty = json::array();
  auto it = visit.find(key);
  return it != visit.end() && it->is_array() ? *it : empty;
}

int quality_failures(const json& visit) {
  return static_cast<int>(
      std::count_if(list_of(visit, "stages").begin(), list_of(visit, "stages").end(), [](const json& s) {
        return text_of(s, "stage") == "quality_check" && s.contains("detail") && s["detail"].is_object() &&
               s["detail"].value("passed", true) == false;
      }));
}

bool any_approval(const json& visit, const std::string& state) {
  const auto& a = list_of(visit, "approvals");
  return std::any_of(a.begin(), a.end(), [&](const json& x) { return text_of(x, "state") == state; });
}

std::vector<std::string> car_dtcs(const json& visit) {
  std::vector<std::string> out;
  auto ev = visit.find("car_evidence");
  if (ev == visit.end() || !ev->is_object()) return out;
  for (const auto& d : list_of(*ev, "dtcs")) {
    if (d.is_string()) out.push_back(d.get<std::string>());
  }
  return out;
}

}  // namespace

// The latest entry is a quality check that failed: the backend has put the visit back in repair.
bool just_failed_quality(const json& visit) {
  const auto& stages = list_of(visit, "stages");
  if (stages.empty()) return false;
  const auto& last = stages.back();
  return text_of(last, "stage") == "quality_check" && last.contains("detail") && last["detail"].is_object() &&
         last["detail"].value("passed", true) == false;
}

// What earlier repair entries charged (each stage's detail.total; costs add up over rounds).
std::int64_t repair_spent(const json& visit) {
  std::int64_t spent = 0;
  for (const auto& s : list_of(visit, "stages")) {
    if (text_of(s, "stage") != "repair" || !s.contains("detail") || !s["detail"].is_object()) continue;
    const auto& d = s["detail"];
    if (auto t = d.find("total"); t != d.end() && t->is_object()) spent += t->value("minor", std::int64_t{0});
  }
  return spent;
}

std::optional<std::string> next_stage(const json& visit) {
  const auto state = text_of(visit, "state");
  if (state == "booked") return "checked_in";
  const auto* at = std::find(std::begin(kStages), std::end(kStages), state);
  if (at == std::end(kStages) || state == "handed_over") return std::nullopt;
  if (state == "repair" && just_failed_quality(visit)) return "repair";  // rework first, then check again
  if (state == "quality_check") {
    // The latest quality check decides: failed sends the car back to repair.
    const auto& stages = list_of(visit, "stages");
    for (auto it = stages.rbegin(); it != stages.rend(); ++it) {
      if (text_of(*it, "stage") != "quality_check") continue;
      if (it->contains("detail") && (*it)["detail"].is_object() && (*it)["detail"].value("passed", true) == false) {
        return "repair";
      }
      break;
    }
  }
  return std::string(*std::next(at));
}

std::int64_t repair_allowance(const json& visit) {
  return minor_of(visit, "estimate") + minor_of(visit, "approved_extra") - repair_spent(visit);
}

Step plan_step(const json& visit, const PlanOptions& options, std::int64_t now_ms) {
  const auto stage = next_stage(visit);
  if (!stage) return {};
  const auto currency = currency_of(visit);
  const std::string dealer = text_of(visit, "dealer_code");
  Step step;
  step.kind = Step::Kind::enter_stage;
  json body = {{"stage", *stage}};
  if (*stage != "handed_over") body["ready_at_ms"] = now_ms + options.ready_in_ms;

  if (*stage == "checked_in") {
    body["note"] = "Car received at " + (dealer.empty() ? std::string("the workshop") : dealer);
    step.why = "booked: check the car in";
  } else if (*stage == "inspection") {
    body["note"] = "Visual inspection and road test done";
    step.why = "inspect";
  } else if (*stage == "diagnosis") {
    const auto dtcs = car_dtcs(visit);
    std::string codes;
    for (const auto& d : dtcs) codes += (codes.empty() ? "" : ", ") + d;
    body["findings"] = dtcs.empty() ? "Fault reproduced on the test drive; no stored codes"
                                    : "Fault reproduced; stored codes " + codes + " confirmed with the scan tool";
    body["dtcs"] = dtcs;
    step.why = "diagnose with the car's own DTCs";
  } else if (*stage == "repair" && repair_spent(visit) > 0) {
    // A second round after a failed quality check: the workshop's own rework, not billed again.
    body["parts"] = json::array();
    body["labour"] = money(0, currency);
    body["note"] = "Rework after the failed quality check, at no charge";
    step.why = "rework after the failed quality check";
  } else if (*stage == "repair") {
    const auto estimate = minor_of(visit, "estimate");
    const auto wanted = estimate + std::max<std::int64_t>(0, options.extra_cost_minor);
    const auto allowed = repair_allowance(visit);
    if (wanted > allowed) {
      if (any_approval(visit, "requested")) {
        return {Step::Kind::wait_for_driver, nullptr, "waiting for the driver to answer the extra cost"};
      }
      if (!any_approval(visit, "approved") && !any_approval(visit, "refused")) {
        return {Step::Kind::ask_approval,
                {{"amount", money(wanted - allowed, currency)}, {"reason", options.extra_reason}},
                "the repair needs more than the estimate: ask the driver"};
      }
    }
    // Parts take about 60 % of the bill, labour the rest; never more than allowed.
    const auto total = std::min(wanted, allowed);
    const auto parts = total * 6 / 10;
    body["parts"] = json::array({{{"name", "Replacement parts for the reported fault"},
                                  {"quantity", 1},
                                  {"unit_price", money(parts, currency)}}});
    body["labour"] = money(total - parts, currency);
    body["note"] = "Repair done";
    const auto cents = total % 100;
    step.why = "bill " + std::to_string(total / 100) + (cents < 10 ? ".0" : ".") + std::to_string(cents) + " " +
               currency + ", within the estimate and what the driver approved";
  } else if (*stage == "quality_check") {
    const bool pass = !(options.fail_quality_once && quality_failures(visit) == 0);
    body["passed"] = pass;
    body["note"] = pass ? "Road test passed" : "Noise still audible on the road test";
    step.why = pass ? "quality check: pass" : "quality check: fail once";
  } else {
    body["note"] = "Car handed over to the owner";
    step.why = "hand over";
  }
  step.body = std::move(body);
  return step;
}

}  // namespace fb::dealer
