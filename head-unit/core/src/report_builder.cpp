#include "fb/agent/report_builder.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <string_view>
#include <vector>

#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/vocabulary.hpp"

namespace fb::agent {
namespace {

// Words of a safety fault in a driver's text (lowercased for the English ones). Narrow on
// purpose: "brake squeal" is a noise, "brakes failed" is safety.
constexpr std::string_view kSafetyWords[] = {
    "brake failure", "brakes failed", "brake failed", "no brakes", "steering failure", "steering failed", "airbag",
    "on fire",       "smoke",         "刹车失灵",     "刹车失效",  "制动失灵",         "转向失灵",        "方向盘失灵",
    "气囊",          "起火",          "冒烟"};

bool safety_dtc(std::string_view dtc) {
  if (dtc.size() < 3) return false;
  const char system = static_cast<char>(std::toupper(static_cast<unsigned char>(dtc[0])));
  return (system == 'C' && dtc[1] == '0') || (system == 'B' && dtc[1] == '0' && dtc[2] == '0');
}

/// `codes` into the report: each once, the safety codes first, then the others in their order,
/// at most codec::kMaxDtcs. A car after a crash can show more than the backend takes; the ones
/// left out are the least telling, and the report is not refused for them.
void set_dtcs(wire::Report& r, const std::vector<std::string>& codes) {
  std::vector<std::string> kept;
  std::set<std::string_view> seen;
  for (const auto& code : codes) {
    if (seen.insert(code).second) kept.push_back(code);
  }
  std::ranges::stable_partition(kept, safety_dtc);
  if (kept.size() > codec::kMaxDtcs) kept.resize(codec::kMaxDtcs);
  r.clear_dtcs();
  for (auto& code : kept) r.add_dtcs(std::move(code));
}

}  // namespace

ReportClass report_class_of(const Draft& d) {
  if (d.report_class) return *d.report_class;
  // The driver chose "brakes" (the tile is safety too): kept so when recovered from the report.
  if (d.category == wire::CATEGORY_WARNING_LAMP || d.category == wire::CATEGORY_BRAKES) return ReportClass::safety;
  if (std::ranges::any_of(d.dtcs, safety_dtc)) return ReportClass::safety;
  std::string text = d.text;
  std::ranges::transform(text, text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::ranges::any_of(kSafetyWords, [&](std::string_view w) { return text.find(w) != std::string::npos; })) {
    return ReportClass::safety;
  }
  return d.category == wire::CATEGORY_IDEA ? ReportClass::low : ReportClass::normal;
}

ReportClass report_class_of(const wire::Report& r) {
  Draft d;
  d.category = r.category();
  d.text = r.text();
  d.dtcs.assign(r.dtcs().begin(), r.dtcs().end());
  if (auto severity = parse<Priority>(r.suggested_severity())) {
    d.report_class = *severity == Priority::high     ? ReportClass::safety
                     : *severity == Priority::medium ? ReportClass::normal
                                                     : ReportClass::low;
  }
  return report_class_of(d);
}

namespace {

Result<void> check(const wire::Envelope& env) {
  if (auto v = codec::validate_report(env.report()); !v) return fail(v.error());
  const auto size = codec::encoded_size_bound(env);  // the bytes sent, not ByteSizeLong()
  if (size > codec::kMaxPayloadBytes) {
    return fail(WireErrc::oversize, std::to_string(size) + " bytes, limit " + std::to_string(codec::kMaxPayloadBytes));
  }
  return {};
}

double to_grid(double degrees) { return std::round(degrees / kLocationGridDeg) * kLocationGridDeg; }

}  // namespace

wire::Location coarsen(const wire::Location& location) {
  wire::Location out;
  out.set_latitude(to_grid(location.latitude()));
  out.set_longitude(to_grid(location.longitude()));
  return out;
}

Result<wire::Envelope> build_report(const VehicleIdentity& vehicle, const Draft& d, std::int64_t now_ms) {
  auto env = codec::new_envelope(now_ms);
  auto* r = env.mutable_report();
  r->set_report_id(d.report_id.empty() ? new_time_ordered_uuid() : d.report_id);
  r->set_vin(vehicle.vin);
  r->set_model(vehicle.model);
  r->set_model_year(vehicle.model_year);
  r->set_software_version(vehicle.software_version);
  r->set_car_time_ms(now_ms);
  r->set_ack_carries_notification(true);  // CarStore::apply_ack stores Accepted.notification
  r->set_source(d.source);
  r->set_category(d.category);
  r->set_text(d.text);
  r->set_language(d.language);
  *r->mutable_consent() = d.consent;
  r->set_odometer_km(d.odometer_km);
  set_dtcs(*r, d.dtcs);
  if (d.location && d.consent.location()) *r->mutable_location() = coarsen(*d.location);
  if (d.snapshot && d.consent.diagnostics()) *r->mutable_snapshot() = *d.snapshot;
  for (const auto& id : d.related_report_ids) r->add_related_report_ids(id);
  r->set_rule_id(d.rule_id);
  r->set_suggested_severity(d.suggested_severity);
  if (d.consent.contact()) r->set_callback_phone(d.callback_phone);
  if (auto v = check(env); !v) return fail(v.error());
  return env;
}

Result<void> attach_snapshot(wire::Envelope& env, const Snapshot& snapshot) {
  if (!env.report().consent().diagnostics()) return {};
  auto updated = env;
  auto* r = updated.mutable_report();
  *r->mutable_snapshot() = snapshot.signals;
  std::set<std::string> dtcs(r->dtcs().begin(), r->dtcs().end());
  dtcs.insert(snapshot.dtcs.begin(), snapshot.dtcs.end());
  set_dtcs(*r, {dtcs.begin(), dtcs.end()});
  for (const auto& [ecu, version] : snapshot.ecu_software) (*r->mutable_ecu_software())[ecu] = version;
  if (auto v = check(updated); !v) return fail(v.error());
  env = std::move(updated);
  return {};
}

}  // namespace fb::agent
