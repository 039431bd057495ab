#include "visit_json.hpp"

#include "fb/api/errors.hpp"
#include "fb/common/vocabulary.hpp"

namespace fb::api {
namespace {

using nlohmann::json;

json money_json(const backend::Money& m) { return {{"minor", m.minor}, {"currency", m.currency}}; }

json slot_json(const backend::VisitSlot& s) {
  return {{"id", s.id},
          {"dealer_code", s.dealer_code},
          {"dealer_name", s.dealer_name},
          {"start_ms", s.start_ms},
          {"end_ms", s.end_ms},
          {"work", s.work}};
}

/// "***********123456": the last six characters, for roles that work on a car, not with its owner.
std::string mask_vin(const std::string& vin) {
  return vin.size() > 6 ? std::string(vin.size() - 6, '*') + vin.substr(vin.size() - 6) : vin;
}

Error bad(std::string_view field, std::string_view what) {
  return Error(ApiErrc::bad_request, "field '" + std::string(field) + "': " + std::string(what));
}

Result<std::string> text_of(const json& doc, std::string_view field, std::string_view path) {
  auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) return std::string();
  if (!it->is_string()) return fail(bad(path, "expected a string"));
  return it->get<std::string>();
}

Result<std::int64_t> int_of(const json& doc, std::string_view field, std::string_view path) {
  auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) return std::int64_t{0};
  if (!it->is_number_integer()) return fail(bad(path, "expected an integer"));
  return it->get<std::int64_t>();
}

}  // namespace

json approval_json(const backend::Approval& a) {
  return {{"id", a.id},       {"amount", money_json(a.amount)}, {"reason", a.reason},
          {"state", a.state}, {"requested_ms", a.requested_ms}, {"answered_ms", a.answered_ms}};
}

json visit_json(const backend::Visit& v, const Principal& who) {
  json slots = json::array();
  for (const auto& s : v.slots) slots.push_back(slot_json(s));
  json stages = json::array();
  for (const auto& s : v.stages) {
    auto detail = json::parse(s.detail, nullptr, false);
    stages.push_back({{"stage", to_string(s.stage)},
                      {"at_ms", s.at_ms},
                      {"actor", s.actor},
                      {"note", s.note},
                      {"detail", detail.is_discarded() ? json::object() : detail}});
  }
  json approvals = json::array();
  for (const auto& a : v.approvals) approvals.push_back(approval_json(a));
  json out = {{"id", v.id},
              {"case_number", v.case_number},
              {"state", to_string(v.state)},
              {"slots", slots},
              {"booked", v.booked ? slot_json(*v.booked) : json(nullptr)},
              {"dealer_code", v.dealer_code},
              {"estimate", money_json(v.estimate)},
              {"approved_extra", money_json(v.approved_extra)},
              {"ready_at_ms", v.ready_at_ms},
              {"stages", stages},
              {"approvals", approvals},
              {"car_evidence",
               {{"dtcs", v.evidence.dtcs},
                {"snapshot_reports", v.evidence.snapshot_reports},
                {"auto_reports", v.evidence.auto_reports},
                {"dealer_dtcs_confirmed", v.evidence.dealer_dtcs_confirmed}}},
              {"survey", v.survey ? json{{"score", v.survey->first}, {"comment", v.survey->second}} : json(nullptr)},
              {"follow_up_case", v.follow_up_case.empty() ? json(nullptr) : json(v.follow_up_case)},
              {"language", v.language},
              {"created_ms", v.created_ms},
              {"updated_ms", v.updated_ms}};
  // A dealer works on the car, not with the person: no VIN beyond what it reads at check-in.
  out["vin"] = who.role == Role::dealer || who.role == Role::auditor ? mask_vin(v.vin) : v.vin;
  return out;
}

json callback_json(const backend::Callback& c, const Principal& who, std::int64_t now_ms) {
  const bool waiting = c.state == backend::CallbackState::queued;
  return {{"id", c.id},
          {"case_number", c.case_number},
          {"vin", sees_contact(who) ? c.vin : mask_vin(c.vin)},
          {"phone", sees_contact(who) ? c.phone : mask_phone(c.phone)},
          {"language", c.language},
          {"team", c.team},
          {"state", to_string(c.state)},
          {"requested_ms", c.requested_ms},
          {"due_ms", c.requested_ms + backend::kCallbackTargetMs},
          {"waited_ms", waiting ? now_ms - c.requested_ms : c.picked_ms - c.requested_ms},
          {"picked_ms", c.picked_ms},
          {"agent", c.agent},
          {"outcome", c.outcome},
          {"note", sees_contact(who) ? c.note : std::string()},
          {"logged_ms", c.logged_ms}};
}

Result<backend::Money> money_of(const json& doc, std::string_view name) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return fail(bad(name, "required"));
  if (!it->is_object()) return fail(bad(name, "expected {\"minor\": <integer>, \"currency\": \"CNY\"}"));
  const auto path = std::string(name);
  auto minor = it->find("minor");
  auto currency = it->find("currency");
  if (minor == it->end() || !minor->is_number_integer())
    return fail(bad(path + ".minor", "an integer amount in minor units"));
  if (currency == it->end() || !currency->is_string()) return fail(bad(path + ".currency", "an ISO 4217 code"));
  for (const auto& [key, value] : it->items())
    if (key != "minor" && key != "currency")
      return fail(bad(path + "." + key, "unknown field (expected minor, currency)"));
  return backend::Money{minor->get<std::int64_t>(), currency->get<std::string>()};
}

Result<std::vector<backend::VisitSlot>> slots_of(const json& doc) {
  auto it = doc.find("slots");
  if (it == doc.end() || !it->is_array()) return fail(bad("slots", "an array of 1-5 slots"));
  std::vector<backend::VisitSlot> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& j = (*it)[i];
    const auto path = "slots[" + std::to_string(i) + "]";
    if (!j.is_object()) return fail(bad(path, "an object"));
    for (const auto& [key, value] : j.items()) {
      if (key != "dealer_code" && key != "dealer_name" && key != "start_ms" && key != "end_ms" && key != "work")
        return fail(bad(path + "." + key, "unknown field (expected dealer_code, dealer_name, start_ms, end_ms, work)"));
    }
    backend::VisitSlot s;
    auto code = text_of(j, "dealer_code", path + ".dealer_code");
    auto name = text_of(j, "dealer_name", path + ".dealer_name");
    auto work = text_of(j, "work", path + ".work");
    auto start = int_of(j, "start_ms", path + ".start_ms");
    auto end = int_of(j, "end_ms", path + ".end_ms");
    for (auto* r : {&code, &name, &work})
      if (!*r) return fail(r->error());
    for (auto* r : {&start, &end})
      if (!*r) return fail(r->error());
    out.push_back(backend::VisitSlot{"", *code, *name, *start, *end, *work});
  }
  return out;
}

Result<backend::StageEntry> stage_of(const json& doc) {
  backend::StageEntry e;
  auto stage = text_of(doc, "stage", "stage");
  if (!stage) return fail(stage.error());
  auto s = parse<backend::VisitState>(*stage);
  if (!s || *s == backend::VisitState::proposed || *s == backend::VisitState::booked ||
      *s == backend::VisitState::reschedule_requested || *s == backend::VisitState::declined ||
      *s == backend::VisitState::cancelled) {
    return fail(bad("stage", "'" + *stage +
                                 "' is not a repair-order stage (checked_in, inspection, diagnosis, repair, "
                                 "quality_check, handed_over)"));
  }
  e.stage = *s;
  auto note = text_of(doc, "note", "note");
  auto findings = text_of(doc, "findings", "findings");
  auto ready = int_of(doc, "ready_at_ms", "ready_at_ms");
  if (!note) return fail(note.error());
  if (!findings) return fail(findings.error());
  if (!ready) return fail(ready.error());
  e.note = *note;
  e.findings = *findings;
  e.ready_at_ms = *ready;
  if (auto it = doc.find("dtcs"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return fail(bad("dtcs", "an array of DTCs such as \"P0700\""));
    for (const auto& d : *it) {
      if (!d.is_string()) return fail(bad("dtcs", "an array of DTCs such as \"P0700\""));
      e.dtcs.push_back(d.get<std::string>());
    }
  }
  if (auto it = doc.find("parts"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return fail(bad("parts", "an array of {name, quantity, unit_price}"));
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& p = (*it)[i];
      const auto path = "parts[" + std::to_string(i) + "]";
      if (!p.is_object()) return fail(bad(path, "an object"));
      auto name = text_of(p, "name", path + ".name");
      if (!name) return fail(name.error());
      auto qty = p.find("quantity");
      if (qty == p.end() || !qty->is_number_integer()) return fail(bad(path + ".quantity", "an integer"));
      auto price = money_of(p, "unit_price");
      if (!price) return fail(bad(path + ".unit_price", price.error().detail));
      e.parts.push_back(backend::Part{*name, qty->get<std::int64_t>(), *price});
    }
  }
  if (doc.contains("labour") && !doc["labour"].is_null()) {
    auto labour = money_of(doc, "labour");
    if (!labour) return fail(labour.error());
    e.labour = *labour;
  }
  if (auto it = doc.find("passed"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) return fail(bad("passed", "true or false"));
    e.passed = it->get<bool>();
  }
  return e;
}

}  // namespace fb::api
