#include "fb/agent/report_builder.hpp"

#include <gtest/gtest.h>

#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"

namespace fb::agent {
namespace {

const VehicleIdentity kCar{"LSVAX60E5K2000001", "Aurora EV", 2026, "HU-3.2.1"};

TEST(ReportBuilder, FillsIdentityAndANewReportId) {
  Draft d;
  d.category = wire::CATEGORY_NOISE;
  d.text = "发动机异响";
  d.language = "zh-CN";
  auto a = build_report(kCar, d, 1'780'000'000'000);
  auto b = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(is_uuid(a->report().report_id()));
  EXPECT_NE(a->report().report_id(), b->report().report_id());
  EXPECT_EQ(a->report().vin(), kCar.vin);
  EXPECT_EQ(a->report().model_year(), 2026u);
  EXPECT_EQ(a->report().car_time_ms(), 1'780'000'000'000);
  EXPECT_EQ(a->schema_version(), codec::kSchemaVersion);
  EXPECT_TRUE(codec::decode(codec::encode(*a)));
}

TEST(ReportBuilder, KeepsTheReportIdADraftNamesAndRefusesOneThatIsNotAUuid) {
  Draft d;
  d.category = wire::CATEGORY_NOISE;
  d.text = "rattle";
  d.report_id = "0000002a-0000-4000-8000-000000000007";
  auto a = build_report(kCar, d, 1'780'000'000'000);
  auto b = build_report(kCar, d, 1'780'000'000'001);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->report().report_id(), d.report_id);
  EXPECT_EQ(b->report().report_id(), d.report_id);
  EXPECT_NE(a->message_id(), b->message_id());  // the same report, another message

  d.report_id = "report-7";
  auto bad = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, make_error_code(WireErrc::invalid_field));
}

TEST(ReportBuilder, RefusesADraftTheBackendWouldReject) {
  Draft d;
  d.category = wire::CATEGORY_OTHER;  // needs text
  auto r = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::missing_field));

  VehicleIdentity bad = kCar;
  bad.vin = "TOO-SHORT";
  d.text = "x";
  r = build_report(bad, d, 1'780'000'000'000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::invalid_field));
}

TEST(ReportBuilder, RefusesASnapshotAboveThePayloadLimit) {
  Draft d;
  d.category = wire::CATEGORY_DRIVING_FEEL;
  d.consent.set_diagnostics(true);
  wire::DiagnosticSnapshot snap;
  auto* s = snap.add_signals();
  s->set_path("Vehicle.Speed");
  for (int i = 0; i < 80000; ++i) {
    s->add_t_ms(i);
    s->add_values(i * 0.5);
  }
  d.snapshot = snap;
  auto r = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::oversize));
}

}  // namespace
}  // namespace fb::agent
