#include "fb/common/codec.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/unknown_field_set.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <regex>

#include "fb/common/ids.hpp"
#include "fb/common/series_codec.hpp"
#include "fb/common/utf8.hpp"
#include "fb/common/vocabulary.hpp"

namespace fb::codec {
namespace {

namespace pb = google::protobuf;

// Protobuf logs an ERROR line for every string field with invalid UTF-8. We report those
// ourselves with the field's name, so its own line would only be noise in the service log.
void quiet_protobuf_utf8_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    pb::SetLogHandler([](pb::LogLevel level, const char* file, int line, const std::string& msg) {
      if (level == pb::LOGLEVEL_ERROR && msg.find("invalid UTF-8") != std::string::npos) return;
      fprintf(stderr, "[protobuf %s:%d] %s\n", file, line, msg.c_str());
    });
  });
}

// Walks raw wire data alongside the schema to find the string field that failed the typed
// parse because of invalid UTF-8. Returns "" when no such field exists.
std::string find_invalid_utf8_field(const pb::Descriptor* type, const pb::UnknownFieldSet& fields,
                                    const std::string& path, std::size_t depth) {
  if (depth > 16) return {};
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& f = fields.field(i);
    if (f.type() != pb::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const auto* fd = type->FindFieldByNumber(f.number());
    if (fd == nullptr) continue;
    const std::string name = path + "." + fd->name();
    if (fd->type() == pb::FieldDescriptor::TYPE_STRING) {
      if (auto at = first_invalid_utf8(f.length_delimited())) {
        return name + " (byte " + std::to_string(*at) + ")";
      }
    } else if (fd->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
      pb::UnknownFieldSet nested;
      if (nested.ParseFromString(f.length_delimited())) {
        auto found = find_invalid_utf8_field(fd->message_type(), nested, name, depth + 1);
        if (!found.empty()) return found;
      }
    }
  }
  return {};
}

bool in_range(std::size_t n, std::size_t lo, std::size_t hi) { return n >= lo && n <= hi; }

std::string serialize(const wire::Envelope& envelope) {
  // Deterministic: map entries (Report.ecu_software) sorted by key. Protobuf's default order of a
  // map is unspecified and differs between map objects, so the same message could give other
  // bytes each time (found by the envelope fuzz target).
  std::string out;
  {
    pb::io::StringOutputStream stream(&out);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    envelope.SerializeToCodedStream(&coded);
  }  // the coded stream trims `out` to what was written when it goes
  return out;
}

}  // namespace

wire::Envelope new_envelope(std::int64_t sent_at_ms) {
  wire::Envelope e;
  e.set_schema_version(kSchemaVersion);
  e.set_message_id(new_time_ordered_uuid());
  e.set_sent_at_ms(sent_at_ms);
  return e;
}

std::string encode(const wire::Envelope& envelope) {
  if (!envelope.has_report() || envelope.report().text().empty()) return serialize(envelope);
  auto head = envelope;
  head.mutable_report()->clear_text();
  return serialize(head) + report_text_chunk(envelope.report().text());
}

std::size_t encoded_size_bound(const wire::Envelope& envelope) {
  // The text's chunk adds its Report tag (1 byte) and that Report's length (at most 5).
  const bool chunked = envelope.has_report() && !envelope.report().text().empty();
  return envelope.ByteSizeLong() + (chunked ? 1 + 5 : 0);
}

std::string report_text_chunk(std::string_view text) {
  wire::Envelope chunk;
  chunk.mutable_report()->set_text(std::string(text));
  return serialize(chunk);
}

Result<wire::Envelope> decode(std::string_view payload, std::size_t max_bytes) {
  quiet_protobuf_utf8_logs();
  if (payload.size() > max_bytes) {
    return fail(WireErrc::oversize, std::to_string(payload.size()) + " bytes, limit " + std::to_string(max_bytes));
  }
  if (payload.empty()) return fail(WireErrc::malformed, "empty payload");

  // The version is read from the raw fields first, so that a future version whose body we
  // cannot parse is still answered with "unsupported version" rather than "malformed".
  pb::UnknownFieldSet raw;
  if (!raw.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return fail(WireErrc::malformed, "not a protobuf Envelope");
  }
  std::uint64_t version = 0;
  for (int i = 0; i < raw.field_count(); ++i) {
    if (raw.field(i).number() == wire::Envelope::kSchemaVersionFieldNumber &&
        raw.field(i).type() == pb::UnknownField::TYPE_VARINT) {
      version = raw.field(i).varint();
    }
  }
  if (version == 0) return fail(WireErrc::missing_field, "envelope.schema_version");
  if (version != kSchemaVersion) {
    return fail(WireErrc::unsupported_version,
                "schema_version " + std::to_string(version) + ", this build reads " + std::to_string(kSchemaVersion));
  }

  wire::Envelope env;
  if (!env.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    auto field = find_invalid_utf8_field(wire::Envelope::descriptor(), raw, "envelope", 0);
    if (!field.empty()) return fail(WireErrc::invalid_utf8, "field " + field);
    return fail(WireErrc::malformed, "Envelope fields do not match schema version 1");
  }
  if (env.message_id().empty()) return fail(WireErrc::missing_field, "envelope.message_id");
  if (!is_uuid(env.message_id())) return fail(WireErrc::invalid_field, "envelope.message_id: not a UUID");
  if (env.sent_at_ms() <= 0) return fail(WireErrc::missing_field, "envelope.sent_at_ms");
  if (env.body_case() == wire::Envelope::BODY_NOT_SET) return fail(WireErrc::missing_field, "envelope.body");
  return env;
}

bool is_language_tag(std::string_view tag) {
  static const std::regex kLanguage("^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$");
  return tag.size() <= 35 && std::regex_match(tag.begin(), tag.end(), kLanguage);
}

Result<void> validate_report(const wire::Report& r) {
  // 2000-01-01T00:00:00Z: anything earlier is an unset RTC, not a real report time.
  constexpr std::int64_t kEarliestCarTimeMs = 946684800000;
  static const std::regex kDtc("^[PCBU][0-3][0-9A-F]{3}(-[0-9A-F]{2})?$");

  if (r.report_id().empty()) return fail(WireErrc::missing_field, "report.report_id");
  if (!is_uuid(r.report_id())) return fail(WireErrc::invalid_field, "report.report_id: not a UUID");
  if (r.vin().empty()) return fail(WireErrc::missing_field, "report.vin");
  if (!is_valid_vin(r.vin())) {
    return fail(WireErrc::invalid_field,
                "report.vin: '" + std::string(utf8_prefix(r.vin(), 32)) + "' is not 17 ISO 3779 characters");
  }
  if (r.model().empty()) return fail(WireErrc::missing_field, "report.model");
  if (!in_range(r.model().size(), 1, 64)) return fail(WireErrc::invalid_field, "report.model: over 64 bytes");
  if (r.model_year() == 0) return fail(WireErrc::missing_field, "report.model_year");
  if (r.model_year() < 1990 || r.model_year() > 2100) {
    return fail(WireErrc::invalid_field, "report.model_year: " + std::to_string(r.model_year()));
  }
  if (r.software_version().empty()) return fail(WireErrc::missing_field, "report.software_version");
  if (r.software_version().size() > 64) return fail(WireErrc::invalid_field, "report.software_version: over 64 bytes");
  if (r.car_time_ms() == 0) return fail(WireErrc::missing_field, "report.car_time_ms");
  if (r.car_time_ms() < kEarliestCarTimeMs) {
    return fail(WireErrc::invalid_field, "report.car_time_ms: before 2000-01-01");
  }
  if (r.source() == wire::SOURCE_UNSPECIFIED) return fail(WireErrc::missing_field, "report.source");
  if (!wire::Source_IsValid(r.source())) return fail(WireErrc::invalid_field, "report.source: unknown value");
  if (r.category() == wire::CATEGORY_UNSPECIFIED) return fail(WireErrc::missing_field, "report.category");
  if (!wire::Category_IsValid(r.category())) return fail(WireErrc::invalid_field, "report.category: unknown value");
  if (r.language().empty()) return fail(WireErrc::missing_field, "report.language");
  if (!is_language_tag(r.language())) {
    return fail(WireErrc::invalid_field, "report.language: not a BCP 47 tag");
  }
  // Strings were UTF-8-checked by the parser; a caller building a report in memory may not have.
  for (const auto* s : {&r.text(), &r.model(), &r.software_version()}) {
    if (auto at = first_invalid_utf8(*s)) {
      return fail(WireErrc::invalid_utf8, "report text fields (byte " + std::to_string(*at) + ")");
    }
    // Valid UTF-8, but no one's words: PostgreSQL's text cannot hold it, and a case store that cut
    // the text there would search and cluster a different report from the one it keeps.
    if (auto at = s->find('\0'); at != std::string::npos) {
      return fail(WireErrc::invalid_field, "report text fields: U+0000 at byte " + std::to_string(at));
    }
  }
  if (utf8_length(r.text()) > kMaxTextChars) {
    return fail(WireErrc::invalid_field, "report.text: over " + std::to_string(kMaxTextChars) + " characters");
  }
  if (r.text().empty() && r.category() == wire::CATEGORY_OTHER && r.dtcs().empty()) {
    return fail(WireErrc::missing_field, "report.text (required for category OTHER)");
  }
  if (static_cast<std::size_t>(r.dtcs_size()) > kMaxDtcs) {
    return fail(WireErrc::invalid_field,
                "report.dtcs: " + std::to_string(r.dtcs_size()) + " codes, at most " + std::to_string(kMaxDtcs));
  }
  for (const auto& dtc : r.dtcs()) {
    if (!std::regex_match(dtc, kDtc)) {
      return fail(WireErrc::invalid_field,
                  "report.dtcs: '" + std::string(utf8_prefix(dtc, 16)) + "' is not a DTC like P0700");
    }
  }
  if (!r.callback_phone().empty()) {
    if (!r.consent().contact()) {
      return fail(WireErrc::invalid_field, "report.callback_phone: present without contact consent");
    }
    const bool phone_ok = r.callback_phone().size() <= 32 && std::ranges::all_of(r.callback_phone(), [](char c) {
                            return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ';
                          });
    if (!phone_ok)
      return fail(WireErrc::invalid_field, "report.callback_phone: digits, '+', '-' or spaces, at most 32");
  }
  if (r.has_location() && !r.consent().location()) {
    return fail(WireErrc::invalid_field, "report.location: present without location consent");
  }
  // Written so that NaN, for which every comparison is false, is out of range too.
  if (r.has_location() && !(std::abs(r.location().latitude()) <= 90 && std::abs(r.location().longitude()) <= 180)) {
    return fail(WireErrc::invalid_field, "report.location: out of range or not a number");
  }
  if (r.has_snapshot()) {
    if (!r.consent().diagnostics()) {
      return fail(WireErrc::invalid_field, "report.snapshot: present without diagnostics consent");
    }
    for (int i = 0; i < r.snapshot().signals_size(); ++i) {
      const auto& s = r.snapshot().signals(i);
      if (!s.path().starts_with("Vehicle.")) {
        return fail(WireErrc::invalid_field,
                    "report.snapshot: signal '" + std::string(utf8_prefix(s.path(), 64)) + "' is not a VSS path");
      }
      // Either form (legacy or compact), with the field that breaks it named.
      if (auto c = series::check(s); !c) {
        return fail(WireErrc::invalid_field, "report.snapshot.signals[" + std::to_string(i) + "]." + c.error().detail +
                                                 " (" + std::string(utf8_prefix(s.path(), 64)) + ")");
      }
    }
  }
  if (static_cast<std::size_t>(r.related_report_ids_size()) > kMaxRelatedReports) {
    return fail(WireErrc::invalid_field, "report.related_report_ids: " + std::to_string(r.related_report_ids_size()) +
                                             " ids, at most " + std::to_string(kMaxRelatedReports));
  }
  for (const auto& id : r.related_report_ids()) {
    if (!is_uuid(id)) {
      return fail(WireErrc::invalid_field,
                  "report.related_report_ids: '" + std::string(utf8_prefix(id, 40)) + "' is not a UUID");
    }
    if (id == r.report_id()) return fail(WireErrc::invalid_field, "report.related_report_ids: names the report itself");
  }
  static const std::regex kRuleId("^[a-z0-9][a-z0-9_.-]*$");
  if (!r.rule_id().empty() && (r.rule_id().size() > kMaxRuleIdBytes || !std::regex_match(r.rule_id(), kRuleId))) {
    return fail(WireErrc::invalid_field, "report.rule_id: need up to 64 of a-z 0-9 _ . - (e.g. \"misfire\")");
  }
  if (!r.suggested_severity().empty() && !fb::parse<fb::Priority>(r.suggested_severity())) {
    return fail(WireErrc::invalid_field, "report.suggested_severity: '" +
                                             std::string(utf8_prefix(r.suggested_severity(), 16)) +
                                             "' is not high, medium or low");
  }
  return {};
}

wire::CarriedNotification carry(const wire::Envelope& notification) {
  wire::CarriedNotification c;
  c.set_message_id(notification.message_id());
  c.set_sent_at_ms(notification.sent_at_ms());
  *c.mutable_notification() = notification.notification();
  return c;
}

wire::Envelope uncarry(const wire::CarriedNotification& carried) {
  wire::Envelope env;
  env.set_schema_version(kSchemaVersion);
  env.set_message_id(carried.message_id());
  env.set_sent_at_ms(carried.sent_at_ms());
  *env.mutable_notification() = carried.notification();
  return env;
}

std::string sha256(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 0x0f]);
  }
  return out;
}

}  // namespace fb::codec
