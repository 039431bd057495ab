#include "fb/dealer_sim/dealer.hpp"

#include <set>

#include "fb/common/utc_offset.hpp"

namespace fb::dealer {

using nlohmann::json;

namespace {

const std::set<std::string>& final_states() {
  static const std::set<std::string> s{"handed_over", "declined", "cancelled"};
  return s;
}

/// "10:00 (UTC+08:00)": `ms` on the clock `offset_ms` ahead of UTC, the service region's, in which
/// the driver's notice prints the same time (not the host's zone: a container's is often UTC).
std::string clock_time(std::int64_t ms, std::int64_t offset_ms) {
  return wall_clock_text(ms, offset_ms, "%H:%M") + " (" + utc_offset_text(offset_ms) + ")";
}

std::string visit_label(const json& v) {
  return v.value("case_number", std::string("?")) + " visit " + v.value("id", std::string("?")).substr(0, 8);
}

std::string money_text(const json& m) {
  if (!m.is_object() || !m.contains("minor")) return "?";
  const auto minor = m.value("minor", std::int64_t{0});
  return std::to_string(minor / 100) + "." + (minor % 100 < 10 ? "0" : "") + std::to_string(minor % 100) + " " +
         m.value("currency", std::string());
}

}  // namespace

Dealer::Dealer(Api& api, DealerOptions options, const Clock& clock, Sleep sleep, std::ostream& out)
    : api_(api),
      options_(std::move(options)),
      clock_(clock),
      sleep_(std::move(sleep)),
      out_(out) {}

Result<json> Dealer::visits() {
  if (!options_.visit_id.empty()) {
    auto one = api_.get("/api/v1/visits/" + options_.visit_id);
    if (!one) return fail(one.error());
    if (!one->body.is_object()) return fail(DealerErrc::bad_answer, "GET visit: not an object");
    return json::array({one->body});
  }
  auto list = api_.get("/api/v1/visits");
  if (!list) return fail(list.error());
  if (!list->body.is_object() || !list->body.contains("items") || !list->body["items"].is_array()) {
    return fail(DealerErrc::bad_answer, "GET /api/v1/visits: no items");
  }
  return list->body["items"];
}

Result<bool> Dealer::act(const json& visit, bool& waiting) {
  const auto step = plan_step(visit, options_.plan, clock_.epoch_ms());
  const auto id = visit.value("id", std::string());
  const auto base = "/api/v1/visits/" + id;
  switch (step.kind) {
    case Step::Kind::none: return false;
    case Step::Kind::wait_for_driver:
      waiting = true;
      if (last_wait_ != id) out_ << visit_label(visit) << ": " << step.why << std::endl;
      last_wait_ = id;
      return false;
    case Step::Kind::ask_approval: {
      auto r = api_.post(base + "/approvals", step.body);
      if (!r) return fail(r.error());
      out_ << visit_label(visit) << ": asked the driver to approve " << money_text(step.body["amount"]) << " ("
           << step.body.value("reason", std::string()) << ")" << std::endl;
      return true;
    }
    case Step::Kind::enter_stage: break;
  }
  if (last_wait_ == id) {
    last_wait_.clear();
    out_ << visit_label(visit) << ": the driver answered; approved extra "
         << money_text(visit.value("approved_extra", json())) << std::endl;
  }
  auto r = api_.post(base + "/stages", step.body);
  if (!r) return fail(r.error());
  const auto stage = step.body.value("stage", std::string());
  out_ << visit_label(visit) << ": " << stage;
  if (step.body.contains("ready_at_ms"))
    out_ << ", ready at " << clock_time(step.body["ready_at_ms"].get<std::int64_t>(), region_offset_ms_);
  if (stage == "repair") {
    std::int64_t parts = 0;
    for (const auto& p : step.body["parts"]) {
      parts += p.value("quantity", std::int64_t{1}) * p["unit_price"].value("minor", std::int64_t{0});
    }
    const auto currency = step.body["labour"].value("currency", std::string());
    out_ << ", parts " << money_text({{"minor", parts}, {"currency", currency}}) << " + labour "
         << money_text(step.body["labour"]);
  }
  if (stage == "quality_check") out_ << (step.body.value("passed", true) ? ", passed" : ", FAILED: back to repair");
  out_ << "  (" << step.why << ")" << std::endl;
  if (stage == "handed_over") ++handed_over_;
  return true;
}

Result<void> Dealer::read_region_clock() {
  auto me = api_.get("/api/v1/me");
  if (!me) return fail(me.error());
  const auto offset = me->body.find("utc_offset_ms");
  region_offset_ms_ = offset != me->body.end() && offset->is_number_integer() ? offset->get<std::int64_t>() : 0;
  return {};
}

Result<int> Dealer::run() {
  const auto deadline = clock_.steady_now() + options_.timeout;
  if (auto read = read_region_clock(); !read) return fail(read.error());
  for (;;) {
    auto list = visits();
    if (!list) return fail(list.error());
    bool acted = false, waiting = false, open = false;
    for (const auto& v : *list) {
      if (!v.is_object()) continue;
      const auto state = v.value("state", std::string());
      if (!final_states().contains(state)) open = true;
      auto did = act(v, waiting);
      if (!did) return fail(did.error());
      if (*did) {
        acted = true;
        sleep_(options_.step);
      }
    }
    if (!options_.visit_id.empty()) {
      if (!open && !acted) return handed_over_;
    } else if (options_.until_handed_over > 0) {
      if (handed_over_ >= options_.until_handed_over) return handed_over_;
    } else if (!acted && !waiting) {
      return handed_over_;
    }
    if (clock_.steady_now() >= deadline) {
      return fail(DealerErrc::timeout, "after " + std::to_string(options_.timeout.count()) + " s, " +
                                           std::to_string(handed_over_) + " visit(s) handed over");
    }
    if (!acted) sleep_(options_.step);
  }
}

}  // namespace fb::dealer
