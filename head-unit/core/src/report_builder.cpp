#include "fb/agent/report_builder.hpp"

#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"

namespace fb::agent {

Result<wire::Envelope> build_report(const VehicleIdentity& vehicle, const Draft& d, std::int64_t now_ms) {
  auto env = codec::new_envelope(now_ms);
  auto* r = env.mutable_report();
  r->set_report_id(d.report_id.empty() ? new_uuid() : d.report_id);
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
  for (const auto& dtc : d.dtcs) r->add_dtcs(dtc);
  if (d.location) *r->mutable_location() = *d.location;
  if (d.snapshot) *r->mutable_snapshot() = *d.snapshot;
  if (auto v = codec::validate_report(*r); !v) return fail(v.error());
  if (env.ByteSizeLong() > codec::kMaxPayloadBytes) {
    return fail(WireErrc::oversize,
                std::to_string(env.ByteSizeLong()) + " bytes, limit " + std::to_string(codec::kMaxPayloadBytes));
  }
  return env;
}

}  // namespace fb::agent
