// Writes the envelope target's seed corpus (fuzz/corpus/envelope): one payload of each kind the
// car and the backend exchange, valid, with the fields that take the most code filled in.
// Build and run by hand when the wire format grows (target fuzz_envelope_seeds, not in `all`):
//   cmake --build --preset dev --target fuzz_envelope_seeds && build/dev/fuzz/fuzz_envelope_seeds fuzz/corpus/envelope
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fb/common/codec.hpp"
#include "fb/common/series_codec.hpp"

namespace {

constexpr std::int64_t kNow = 1'780'000'000'000;
constexpr const char* kVin = "LSVAX60E5K2000001";

fb::wire::Envelope report() {
  auto env = fb::codec::new_envelope(kNow);
  auto* r = env.mutable_report();
  r->set_report_id("0f8fad5b-d9cb-469f-a165-70867728950e");
  r->set_vin(kVin);
  r->set_model("Aurora EV");
  r->set_model_year(2026);
  r->set_software_version("HU-3.2.1");
  r->set_car_time_ms(kNow);
  r->set_source(fb::wire::SOURCE_DRIVER);
  r->set_category(fb::wire::CATEGORY_DRIVING_FEEL);
  r->set_text("换挡顿挫 harsh shift from 2nd to 3rd");
  r->set_language("zh-CN");
  r->set_ack_carries_notification(true);
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  std::vector<std::pair<std::string, fb::wire::Envelope>> seeds;

  seeds.emplace_back("report", report());

  auto snapshot = report();
  auto* r = snapshot.mutable_report();
  r->mutable_consent()->set_diagnostics(true);
  r->mutable_consent()->set_location(true);
  r->mutable_location()->set_latitude(31.23);
  r->mutable_location()->set_longitude(121.47);
  r->add_dtcs("P0700");
  (*r->mutable_ecu_software())["TCU"] = "4.1.0";
  r->mutable_snapshot()->set_window_start_ms(-2000);
  r->mutable_snapshot()->set_window_end_ms(1000);
  std::vector<fb::series::Point> points;
  points.reserve(30);
  for (int i = 0; i < 30; ++i) points.push_back({-2000 + i * 100, 40.0 + i * 0.5});
  auto speed = fb::series::encode("Vehicle.Speed", points, fb::series::resolution_for("Vehicle.Speed"));
  if (speed) *r->mutable_snapshot()->add_signals() = *speed;
  auto* legacy = r->mutable_snapshot()->add_signals();
  legacy->set_path("Vehicle.Powertrain.Transmission.CurrentGear");
  for (int i = 0; i < 5; ++i) {
    legacy->add_t_ms(-2000 + i * 500);
    legacy->add_values(i < 3 ? 2.0 : 3.0);  // second gear, then third
  }
  seeds.emplace_back("report-snapshot", snapshot);

  auto auto_report = report();
  auto_report.mutable_report()->set_source(fb::wire::SOURCE_TELEMATICS);
  auto_report.mutable_report()->set_rule_id("misfire");
  auto_report.mutable_report()->set_suggested_severity("high");
  auto_report.mutable_report()->add_related_report_ids("7c9e6679-7425-40de-944b-e07fc1f90ae7");
  seeds.emplace_back("report-telematics", auto_report);

  auto notification = fb::codec::new_envelope(kNow);
  auto* n = notification.mutable_notification();
  n->set_report_id("0f8fad5b-d9cb-469f-a165-70867728950e");
  n->set_case_number("FB-2026-000123");
  n->set_status(fb::wire::CASE_STATUS_APPOINTMENT);
  n->set_title("预约");
  n->set_text("请选择到店时间");
  n->set_language("zh-CN");
  n->mutable_visit()->set_visit_id("v-1");
  n->mutable_visit()->set_stage(fb::wire::VISIT_PROPOSED);
  seeds.emplace_back("notification-visit", notification);

  auto ack = fb::codec::new_envelope(kNow);
  ack.mutable_ack()->set_report_id("0f8fad5b-d9cb-469f-a165-70867728950e");
  ack.mutable_ack()->mutable_accepted()->set_case_number("FB-2026-000123");
  *ack.mutable_ack()->mutable_accepted()->mutable_notification() = fb::codec::carry(notification);
  seeds.emplace_back("ack-accepted", ack);

  auto rejected = fb::codec::new_envelope(kNow);
  rejected.mutable_ack()->mutable_rejected()->set_reason(fb::wire::RejectReason(1));
  rejected.mutable_ack()->mutable_rejected()->set_detail("field vin: 16 characters, need 17");
  seeds.emplace_back("ack-rejected", rejected);

  auto receipt = fb::codec::new_envelope(kNow);
  receipt.mutable_receipt()->set_notification_id("7c9e6679-7425-40de-944b-e07fc1f90ae7");
  receipt.mutable_receipt()->set_kind(fb::wire::RECEIPT_READ);
  seeds.emplace_back("receipt", receipt);

  auto survey = fb::codec::new_envelope(kNow);
  survey.mutable_survey()->set_notification_id("7c9e6679-7425-40de-944b-e07fc1f90ae7");
  survey.mutable_survey()->set_score(4);
  survey.mutable_survey()->set_comment("快，谢谢");
  seeds.emplace_back("survey", survey);

  auto reply = fb::codec::new_envelope(kNow);
  reply.mutable_visit_reply()->set_visit_id("v-1");
  reply.mutable_visit_reply()->set_action(fb::wire::VisitReply::PICK_SLOT);
  reply.mutable_visit_reply()->set_slot_id("s-2");
  seeds.emplace_back("visit-reply", reply);

  auto callback = fb::codec::new_envelope(kNow);
  callback.mutable_callback_request()->set_report_id("0f8fad5b-d9cb-469f-a165-70867728950e");
  callback.mutable_callback_request()->set_phone("+86 138 0000 0000");
  seeds.emplace_back("callback-request", callback);

  for (const auto& [name, env] : seeds) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out << fb::codec::encode(env);
  }
  std::printf("%zu seeds written to %s\n", seeds.size(), dir.c_str());
  return 0;
}
