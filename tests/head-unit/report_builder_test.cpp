#include "fb/agent/report_builder.hpp"

#include <gtest/gtest.h>

#include <cstdio>

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

Draft feel() {
  Draft d;
  d.category = wire::CATEGORY_DRIVING_FEEL;
  d.text = "换挡顿挫";
  d.language = "zh-CN";
  return d;
}

wire::Location precise() {
  wire::Location l;
  l.set_latitude(31.234567);
  l.set_longitude(121.476543);
  return l;
}

wire::DiagnosticSnapshot one_signal() {
  wire::DiagnosticSnapshot snap;
  auto* s = snap.add_signals();
  s->set_path("Vehicle.Speed");
  s->add_t_ms(0);
  s->add_values(42);
  return snap;
}

TEST(ReportBuilder, WithoutLocationConsentTheLocationIsDropped) {
  auto d = feel();
  d.location = precise();
  auto r = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(r->report().has_location());
}

TEST(ReportBuilder, WithLocationConsentTheLocationIsCoarsenedOnTheCar) {
  auto d = feel();
  d.consent.set_location(true);
  d.location = precise();
  auto r = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_TRUE(r->report().has_location());
  EXPECT_NEAR(r->report().location().latitude(), 31.23, 1e-9);
  EXPECT_NEAR(r->report().location().longitude(), 121.48, 1e-9);
  wire::Location south_west;
  south_west.set_latitude(-33.8651);
  south_west.set_longitude(-151.2099);
  EXPECT_NEAR(coarsen(south_west).latitude(), -33.87, 1e-9);
  EXPECT_NEAR(coarsen(south_west).longitude(), -151.21, 1e-9);
}

TEST(ReportBuilder, WithoutDiagnosticsConsentTheSnapshotIsDropped) {
  auto d = feel();
  d.snapshot = one_signal();
  auto r = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(r->report().has_snapshot());

  d.consent.set_diagnostics(true);
  r = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->report().has_snapshot());
}

TEST(ReportBuilder, AttachingASnapshotMergesItsDtcsAndEcuVersionsOnlyWithConsent) {
  auto d = feel();
  d.consent.set_diagnostics(true);
  d.dtcs = {"P0300"};
  auto env = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(env);
  Snapshot s;
  s.signals = one_signal();
  s.dtcs = {"P0217", "P0300"};
  s.ecu_software = {{"ECM", "ECM-7.1.3"}};
  ASSERT_TRUE(attach_snapshot(*env, s));
  const auto& r = env->report();
  EXPECT_EQ(r.snapshot().signals_size(), 1);
  EXPECT_EQ(std::vector<std::string>(r.dtcs().begin(), r.dtcs().end()), (std::vector<std::string>{"P0217", "P0300"}));
  EXPECT_EQ(r.ecu_software().at("ECM"), "ECM-7.1.3");

  d.consent.set_diagnostics(false);
  auto without = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(without);
  ASSERT_TRUE(attach_snapshot(*without, s));
  EXPECT_FALSE(without->report().has_snapshot());
  EXPECT_EQ(without->report().dtcs_size(), 1);
  EXPECT_TRUE(without->report().ecu_software().empty());
}

/// `n` distinct powertrain codes, P0000 upwards.
std::vector<std::string> powertrain_codes(std::size_t n) {
  std::vector<std::string> codes;
  for (std::size_t i = 0; i < n; ++i) {
    char code[24];
    std::snprintf(code, sizeof code, "P%04zX", i);
    codes.emplace_back(code);
  }
  return codes;
}

TEST(ReportBuilder, ACarWithMoreCodesThanTheWireTakesSendsTheSafetyOnesFirstAndIsNotRefused) {
  auto d = feel();
  d.dtcs = powertrain_codes(codec::kMaxDtcs + 40);
  d.dtcs.emplace_back("C0035");  // a wheel speed sensor: safety, last in the car's list
  d.dtcs.emplace_back("P0000");  // a repeat
  auto env = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(env) << env.error().detail;
  const auto& r = env->report();
  ASSERT_EQ(static_cast<std::size_t>(r.dtcs_size()), codec::kMaxDtcs);
  EXPECT_EQ(r.dtcs(0), "C0035");
  EXPECT_EQ(r.dtcs(1), "P0000");
  EXPECT_EQ(r.dtcs(r.dtcs_size() - 1), d.dtcs[codec::kMaxDtcs - 2]);
  EXPECT_TRUE(codec::decode(codec::encode(*env)));

  d.consent.set_diagnostics(true);
  d.dtcs = {"B0001"};
  auto with_snapshot = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(with_snapshot);
  Snapshot s;
  s.signals = one_signal();
  s.dtcs = powertrain_codes(codec::kMaxDtcs * 2);
  ASSERT_TRUE(attach_snapshot(*with_snapshot, s));
  ASSERT_EQ(static_cast<std::size_t>(with_snapshot->report().dtcs_size()), codec::kMaxDtcs);
  EXPECT_EQ(with_snapshot->report().dtcs(0), "B0001");
}

TEST(ReportBuilder, AnOversizeSnapshotIsNotAttachedAndTheReportIsUnchanged) {
  auto d = feel();
  d.consent.set_diagnostics(true);
  auto env = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(env);
  const auto before = env->SerializeAsString();
  Snapshot s;
  auto* series = s.signals.add_signals();
  series->set_path("Vehicle.Speed");
  for (int i = 0; i < 80000; ++i) {
    series->add_t_ms(i);
    series->add_values(i * 0.5);
  }
  auto r = attach_snapshot(*env, s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::oversize));
  EXPECT_EQ(env->SerializeAsString(), before);
}

}  // namespace
}  // namespace fb::agent

namespace fb::agent {
namespace {

// The callback number (issue 10): on the wire only with consent to be contacted.
TEST(ReportBuilder, TheCallbackNumberGoesOnlyWithContactConsent) {
  Draft d;
  d.category = wire::CATEGORY_BRAKES;
  d.callback_phone = "+86 138 0000 0000";
  auto without = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(without) << without.error().what();
  EXPECT_EQ(without->report().callback_phone(), "");

  d.consent.set_contact(true);
  auto with = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(with) << with.error().what();
  EXPECT_EQ(with->report().callback_phone(), "+86 138 0000 0000");
  auto decoded = codec::decode(codec::encode(*with));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->report().callback_phone(), "+86 138 0000 0000");

  d.callback_phone = "call me";
  EXPECT_EQ(build_report(kCar, d, 1'780'000'000'000).error().code, make_error_code(WireErrc::invalid_field));
}

TEST(ReportBuilder, TheWireRefusesACallbackNumberWithoutContactConsent) {
  Draft d;
  d.category = wire::CATEGORY_CLIMATE;
  d.consent.set_contact(true);
  d.callback_phone = "13800000000";
  auto env = build_report(kCar, d, 1'780'000'000'000);
  ASSERT_TRUE(env);
  EXPECT_TRUE(codec::validate_report(env->report()));
  env->mutable_report()->mutable_consent()->set_contact(false);  // a car that did not drop it
  EXPECT_EQ(codec::validate_report(env->report()).error().code, make_error_code(WireErrc::invalid_field));
}

TEST(ReportClassOf, TheBrakesCategoryIsSafetyClimateNormal) {
  Draft d;
  d.category = wire::CATEGORY_BRAKES;
  EXPECT_EQ(report_class_of(d), ReportClass::safety);
  d.category = wire::CATEGORY_CLIMATE;
  EXPECT_EQ(report_class_of(d), ReportClass::normal);
  wire::Report r;
  r.set_category(wire::CATEGORY_BRAKES);
  EXPECT_EQ(report_class_of(r), ReportClass::safety) << "a report recovered from an old store keeps its class";
}

}  // namespace
}  // namespace fb::agent
