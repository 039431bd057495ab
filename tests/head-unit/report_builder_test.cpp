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

TEST(ReportClassOf, SafetyForWarningLampsSafetyDtcsAndSafetyWordsLowForIdeasElseNormal) {
  auto of = [](wire::Category category, const std::string& text, std::vector<std::string> dtcs = {}) {
    Draft d;
    d.category = category;
    d.text = text;
    d.dtcs = std::move(dtcs);
    return report_class_of(d);
  };
  EXPECT_EQ(of(wire::CATEGORY_WARNING_LAMP, ""), ReportClass::safety);
  EXPECT_EQ(of(wire::CATEGORY_NOISE, "", {"P0300", "C0035"}), ReportClass::safety);  // a wheel speed sensor (ABS)
  EXPECT_EQ(of(wire::CATEGORY_OTHER, "", {"B0012"}), ReportClass::safety);           // an airbag circuit
  EXPECT_EQ(of(wire::CATEGORY_OTHER, "", {"B1234", "P0700", "U0100"}), ReportClass::normal);
  EXPECT_EQ(of(wire::CATEGORY_DRIVING_FEEL, "The BRAKES FAILED on the slope"), ReportClass::safety);
  EXPECT_EQ(of(wire::CATEGORY_OTHER, "下坡时刹车失灵"), ReportClass::safety);
  EXPECT_EQ(of(wire::CATEGORY_IDEA, "仪表台冒烟了"), ReportClass::safety);                // the words win over an idea
  EXPECT_EQ(of(wire::CATEGORY_NOISE, "Brake squeal at low speed"), ReportClass::normal);  // a noise, not a failure
  EXPECT_EQ(of(wire::CATEGORY_NOISE, "engine misfire at idle"), ReportClass::normal);
  EXPECT_EQ(of(wire::CATEGORY_IDEA, "希望增加保养预约功能"), ReportClass::low);
  EXPECT_EQ(of(wire::CATEGORY_SERVICE, "4S店服务态度差"), ReportClass::normal);
  Draft explicit_class;
  explicit_class.category = wire::CATEGORY_IDEA;
  explicit_class.report_class = ReportClass::safety;  // a telematics rule that knows better
  EXPECT_EQ(report_class_of(explicit_class), ReportClass::safety);
}

}  // namespace
}  // namespace fb::agent
