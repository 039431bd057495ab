// A valid report for tests to break one field at a time.
#pragma once

#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"

namespace fb::test {

inline constexpr const char* kVinA = "LSVAX60E5K2000001";
inline constexpr const char* kVinB = "LSVAX60E5K2000002";

inline wire::Envelope valid_report_envelope(const std::string& vin = kVinA,
                                            const std::string& text = "换挡顿挫 harsh shift") {
  auto env = codec::new_envelope(1'780'000'000'000);
  auto* r = env.mutable_report();
  r->set_report_id(new_uuid());
  r->set_vin(vin);
  r->set_model("Aurora EV");
  r->set_model_year(2026);
  r->set_software_version("HU-3.2.1");
  r->set_car_time_ms(1'780'000'000'000);
  r->set_source(wire::SOURCE_DRIVER);
  r->set_category(wire::CATEGORY_DRIVING_FEEL);
  r->set_text(text);
  r->set_language("zh-CN");
  return env;
}

}  // namespace fb::test
