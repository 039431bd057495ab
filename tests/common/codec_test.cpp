#include "fb/common/codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report_fixture.hpp"

namespace fb {
namespace {

using test::valid_report_envelope;

TEST(Codec, RoundTripKeepsEveryField) {
  auto env = valid_report_envelope();
  env.mutable_report()->add_dtcs("P0700");
  (*env.mutable_report()->mutable_ecu_software())["TCU"] = "7.1";
  auto decoded = codec::decode(codec::encode(env));
  ASSERT_TRUE(decoded) << decoded.error().what();
  EXPECT_EQ(decoded->message_id(), env.message_id());
  EXPECT_EQ(decoded->report().text(), "换挡顿挫 harsh shift");
  EXPECT_EQ(decoded->report().dtcs(0), "P0700");
  EXPECT_EQ(decoded->report().ecu_software().at("TCU"), "7.1");
  EXPECT_TRUE(codec::validate_report(decoded->report()));
}

// The car keeps a queued report's words apart from the rest of its payload and puts the two
// together to send (agent::CarStore): that works only if the words end the bytes, as a chunk of
// their own that any protobuf parser merges into the report.
TEST(Codec, AReportsTextEndsItsBytesInAChunkOfItsOwn) {
  auto env = valid_report_envelope();
  env.mutable_report()->add_dtcs("P0700");
  const auto bytes = codec::encode(env);
  const auto chunk = codec::report_text_chunk(env.report().text());
  ASSERT_TRUE(bytes.ends_with(chunk));
  auto head = codec::decode(std::string_view(bytes).substr(0, bytes.size() - chunk.size()));
  ASSERT_TRUE(head) << "the rest alone is a whole envelope";
  EXPECT_EQ(head->report().text(), "");
  EXPECT_EQ(head->report().dtcs(0), "P0700");
  wire::Envelope standard;  // a parser merges the chunk, whoever wrote the bytes
  ASSERT_TRUE(standard.ParseFromString(bytes));
  EXPECT_EQ(standard.report().text(), env.report().text());
  EXPECT_EQ(standard.SerializeAsString(), env.SerializeAsString());
  EXPECT_EQ(codec::encode(*codec::decode(bytes)), bytes) << "not the same bytes again";
  EXPECT_GE(codec::encoded_size_bound(env), bytes.size()) << "a sender's size check would let it pass";

  env.mutable_report()->clear_text();
  EXPECT_EQ(codec::encode(env), env.SerializeAsString()) << "no text, no chunk";
}

// The ECU versions are a protobuf map, whose iteration order is not defined (protobuf varies it
// between map objects): found by the envelope fuzz target, whose round-trip property failed.
// The bytes must not depend on it: a car's re-encoding, a digest, a duplicate check compare them.
TEST(Codec, EncodingIsTheSameWhateverOrderTheEcuVersionsWereAddedIn) {
  std::vector<std::string> ecus;
  ecus.reserve(24);
  for (int i = 0; i < 24; ++i) ecus.push_back("ECU" + std::to_string(i * 7919 % 1000));
  std::string first;
  for (int round = 0; round < 16; ++round) {
    auto env = test::valid_report_envelope();
    env.set_message_id("0b1f6c3e-5d2a-4c8e-9f71-2a6d3b8e4c10");
    env.mutable_report()->set_report_id("5e0c2b7a-1f4d-4a6b-8c3e-9d2f7a1b6e40");
    auto* map = env.mutable_report()->mutable_ecu_software();
    std::rotate(ecus.begin(), ecus.begin() + 5, ecus.end());  // another insertion order each round
    for (const auto& e : ecus) (*map)[e] = "SW-" + e;
    const auto bytes = codec::encode(env);
    if (round == 0) first = bytes;
    ASSERT_EQ(bytes, first) << "round " << round;
    auto again = codec::decode(bytes);
    ASSERT_TRUE(again) << again.error().what();
    EXPECT_EQ(codec::encode(*again), bytes);
  }
}

TEST(Codec, OversizePayloadIsRefusedBeforeParsing) {
  const std::string payload(codec::kMaxPayloadBytes + 1, '\x0a');
  auto r = codec::decode(payload);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::oversize));
  EXPECT_NE(r.error().detail.find(std::to_string(codec::kMaxPayloadBytes)), std::string::npos);
}

TEST(Codec, PayloadAtTheLimitIsParsed) {
  auto env = valid_report_envelope();
  auto payload = codec::encode(env);
  EXPECT_TRUE(codec::decode(payload, payload.size()));
  EXPECT_FALSE(codec::decode(payload, payload.size() - 1));
}

TEST(Codec, GarbageAndEmptyAreMalformed) {
  for (const std::string& payload :
       {std::string(), std::string("\xff\xff\xff\xff\xff", 5), std::string("{\"json\":1}")}) {
    auto r = codec::decode(payload);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(WireErrc::malformed)) << r.error().what();
  }
}

TEST(Codec, UnknownVersionIsNamedEvenWhenItsBodyDoesNotParse) {
  auto env = valid_report_envelope();
  env.set_schema_version(2);
  auto r = codec::decode(codec::encode(env));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::unsupported_version));
  EXPECT_NE(r.error().detail.find("schema_version 2"), std::string::npos);

  // Version 2 might reuse field 10 with another wire type; still "unsupported version".
  std::string payload = codec::encode(env);
  payload += std::string("\x50\x01", 2);  // field 10, varint 1
  r = codec::decode(payload);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::unsupported_version));
}

TEST(Codec, MissingVersionIsAMissingField) {
  auto env = valid_report_envelope();
  env.clear_schema_version();
  auto r = codec::decode(codec::encode(env));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::missing_field));
  EXPECT_EQ(r.error().detail, "envelope.schema_version");
}

TEST(Codec, EnvelopeHeaderIsChecked) {
  auto env = valid_report_envelope();
  env.set_message_id("not-a-uuid");
  auto r = codec::decode(codec::encode(env));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::invalid_field));

  env = valid_report_envelope();
  env.clear_report();
  r = codec::decode(codec::encode(env));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "envelope.body");
}

TEST(Codec, InvalidUtf8NamesTheField) {
  auto env = valid_report_envelope(test::kVinA, std::string("bad \xc3\x28 text", 11));
  auto r = codec::decode(codec::encode(env));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::invalid_utf8));
  EXPECT_NE(r.error().detail.find("envelope.report.text"), std::string::npos) << r.error().detail;
  EXPECT_NE(r.error().detail.find("byte 4"), std::string::npos) << r.error().detail;
}

TEST(Codec, InvalidUtf8InsideAMapIsFound) {
  auto env = valid_report_envelope();
  (*env.mutable_report()->mutable_ecu_software())["TCU"] = std::string("\xed\xa0\x80", 3);  // a surrogate
  auto r = codec::decode(codec::encode(env));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(WireErrc::invalid_utf8));
  EXPECT_NE(r.error().detail.find("ecu_software"), std::string::npos) << r.error().detail;
}

struct FieldCase {
  const char* name;
  void (*breaks)(wire::Report&);
  WireErrc expected;
  const char* detail;
};

void PrintTo(const FieldCase& c, std::ostream* os) { *os << c.name; }

class ValidateReport : public ::testing::TestWithParam<FieldCase> {};

TEST_P(ValidateReport, NamesTheBrokenField) {
  auto env = valid_report_envelope();
  GetParam().breaks(*env.mutable_report());
  auto r = codec::validate_report(env.report());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(GetParam().expected)) << r.error().what();
  EXPECT_NE(r.error().detail.find(GetParam().detail), std::string::npos) << r.error().detail;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ValidateReport,
    ::testing::Values(
        FieldCase{"no_report_id", [](wire::Report& r) { r.clear_report_id(); }, WireErrc::missing_field, "report.report_id"},
        FieldCase{"bad_report_id", [](wire::Report& r) { r.set_report_id("123"); }, WireErrc::invalid_field, "report.report_id"},
        FieldCase{"no_vin", [](wire::Report& r) { r.clear_vin(); }, WireErrc::missing_field, "report.vin"},
        FieldCase{"short_vin", [](wire::Report& r) { r.set_vin("LSVAX60E5K200000"); }, WireErrc::invalid_field, "report.vin"},
        FieldCase{"vin_with_O", [](wire::Report& r) { r.set_vin("LSVAX60E5K200000O"); }, WireErrc::invalid_field, "report.vin"},
        FieldCase{"no_model", [](wire::Report& r) { r.clear_model(); }, WireErrc::missing_field, "report.model"},
        FieldCase{"no_year", [](wire::Report& r) { r.clear_model_year(); }, WireErrc::missing_field, "report.model_year"},
        FieldCase{"odd_year", [](wire::Report& r) { r.set_model_year(1850); }, WireErrc::invalid_field, "report.model_year"},
        FieldCase{"no_software", [](wire::Report& r) { r.clear_software_version(); }, WireErrc::missing_field, "report.software_version"},
        FieldCase{"no_time", [](wire::Report& r) { r.clear_car_time_ms(); }, WireErrc::missing_field, "report.car_time_ms"},
        FieldCase{"rtc_unset", [](wire::Report& r) { r.set_car_time_ms(1000); }, WireErrc::invalid_field, "report.car_time_ms"},
        FieldCase{"no_source", [](wire::Report& r) { r.clear_source(); }, WireErrc::missing_field, "report.source"},
        FieldCase{"unknown_source", [](wire::Report& r) { r.set_source(static_cast<wire::Source>(42)); }, WireErrc::invalid_field, "report.source"},
        FieldCase{"no_category", [](wire::Report& r) { r.clear_category(); }, WireErrc::missing_field, "report.category"},
        // A category of a newer car (docs/protocol.md: update the backend first).
        FieldCase{"unknown_category", [](wire::Report& r) { r.set_category(static_cast<wire::Category>(42)); }, WireErrc::invalid_field, "report.category: unknown value"},
        FieldCase{"no_language", [](wire::Report& r) { r.clear_language(); }, WireErrc::missing_field, "report.language"},
        FieldCase{"bad_language", [](wire::Report& r) { r.set_language("中文"); }, WireErrc::invalid_field, "report.language"},
        FieldCase{"long_text",
                  [](wire::Report& r) {
                    std::string t;
                    for (std::size_t i = 0; i <= codec::kMaxTextChars; ++i) t += "字";
                    r.set_text(t);
                  },
                  WireErrc::invalid_field, "report.text"},
        FieldCase{"other_without_text", [](wire::Report& r) { r.set_category(wire::CATEGORY_OTHER); r.clear_text(); }, WireErrc::missing_field, "report.text"},
        FieldCase{"bad_dtc", [](wire::Report& r) { r.add_dtcs("X1234"); }, WireErrc::invalid_field, "report.dtcs"},
        FieldCase{"too_many_dtcs",
                  [](wire::Report& r) {
                    for (std::size_t i = r.dtcs_size(); i <= codec::kMaxDtcs; ++i) {
                      char code[24];
                      std::snprintf(code, sizeof code, "P%04zX", i);
                      r.add_dtcs(code);
                    }
                  },
                  WireErrc::invalid_field, "report.dtcs: 257 codes, at most 256"},
        FieldCase{"location_without_consent", [](wire::Report& r) { r.mutable_location()->set_latitude(31.2); }, WireErrc::invalid_field, "report.location"},
        FieldCase{"location_not_a_number",
                  [](wire::Report& r) {
                    r.mutable_consent()->set_location(true);
                    r.mutable_location()->set_latitude(std::nan(""));
                    r.mutable_location()->set_longitude(121.5);
                  },
                  WireErrc::invalid_field, "report.location: out of range or not a number"},
        FieldCase{"snapshot_without_consent", [](wire::Report& r) { r.mutable_snapshot()->add_signals()->set_path("Vehicle.Speed"); }, WireErrc::invalid_field, "report.snapshot"},
        FieldCase{"snapshot_not_vss",
                  [](wire::Report& r) {
                    r.mutable_consent()->set_diagnostics(true);
                    r.mutable_snapshot()->add_signals()->set_path("speed");
                  },
                  WireErrc::invalid_field, "VSS"},
        FieldCase{"snapshot_ragged",
                  [](wire::Report& r) {
                    r.mutable_consent()->set_diagnostics(true);
                    auto* s = r.mutable_snapshot()->add_signals();
                    s->set_path("Vehicle.Speed");
                    s->add_t_ms(0);
                  },
                  WireErrc::invalid_field, "report.snapshot.signals[0].values: 0 entries for 1 t_ms"},
        FieldCase{"text_with_nul", [](wire::Report& r) { r.set_text(std::string("brake\0squeal", 12)); }, WireErrc::invalid_field, "U+0000 at byte 5"},
        FieldCase{"model_with_nul", [](wire::Report& r) { r.set_model(std::string("Aurora\0", 7)); }, WireErrc::invalid_field, "U+0000 at byte 6"},
        FieldCase{"text_invalid_utf8_in_memory", [](wire::Report& r) { r.set_text(std::string("\xff", 1)); }, WireErrc::invalid_utf8, "byte 0"},
        FieldCase{"related_not_uuid", [](wire::Report& r) { r.add_related_report_ids("FB-2026-000123"); }, WireErrc::invalid_field, "report.related_report_ids: 'FB-2026-000123' is not a UUID"},
        FieldCase{"related_itself", [](wire::Report& r) { r.add_related_report_ids(r.report_id()); }, WireErrc::invalid_field, "names the report itself"},
        FieldCase{"related_too_many",
                  [](wire::Report& r) {
                    for (std::size_t i = 0; i <= codec::kMaxRelatedReports; ++i) r.add_related_report_ids(new_uuid());
                  },
                  WireErrc::invalid_field, "report.related_report_ids: 9 ids, at most 8"},
        FieldCase{"bad_rule_id", [](wire::Report& r) { r.set_rule_id("Misfire rule"); }, WireErrc::invalid_field, "report.rule_id"},
        FieldCase{"bad_severity", [](wire::Report& r) { r.set_suggested_severity("urgent"); }, WireErrc::invalid_field, "report.suggested_severity: 'urgent'"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Codec, TextAtTheLimitAndConsentedExtrasAreValid) {
  auto env = valid_report_envelope();
  std::string t;
  for (std::size_t i = 0; i < codec::kMaxTextChars; ++i) t += "字";
  env.mutable_report()->set_text(t);
  env.mutable_report()->add_dtcs("P0700");
  env.mutable_report()->add_dtcs("U0100-87");
  env.mutable_report()->mutable_consent()->set_location(true);
  env.mutable_report()->mutable_location()->set_latitude(31.23);
  auto r = codec::validate_report(env.report());
  EXPECT_TRUE(r) << r.error().what();
}

TEST(Codec, AnAutoReportWithItsRuleSeverityAndRelatedReportsIsValid) {
  auto env = valid_report_envelope();
  auto* r = env.mutable_report();
  r->set_source(wire::SOURCE_TELEMATICS);
  r->set_rule_id("transmission-slip");
  for (const auto* severity : {"high", "medium", "low"}) {
    r->set_suggested_severity(severity);
    for (std::size_t i = r->related_report_ids_size(); i < codec::kMaxRelatedReports; ++i) {
      r->add_related_report_ids(new_uuid());
    }
    auto ok = codec::validate_report(*r);
    EXPECT_TRUE(ok) << ok.error().what();
  }
  auto back = codec::decode(codec::encode(env));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->report().related_report_ids_size(), static_cast<int>(codec::kMaxRelatedReports));
  EXPECT_EQ(back->report().rule_id(), "transmission-slip");
}

TEST(Codec, Sha256MatchesAKnownVector) {
  EXPECT_EQ(codec::to_hex(codec::sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace fb
