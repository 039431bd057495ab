// Encoding, decoding and validation of the wire format (proto/feedback.proto).
// Shared by the car (to refuse a bad report before it is queued) and the backend (to answer a
// bad message with a precise rejection). All functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fb/common/error.hpp"
#include "feedback.pb.h"

namespace fb::codec {

/// The schema version this build writes and reads.
inline constexpr std::uint32_t kSchemaVersion = 1;

/// Largest payload accepted on any topic: a report with a 90 s diagnostic snapshot of a dozen
/// signals at 10 Hz is about 150 KiB, so 512 KiB leaves room without letting one car fill memory.
/// The broker's own packet limit (deploy/) is above this so that the backend, not the broker,
/// answers an oversize report with a rejection the car understands.
inline constexpr std::size_t kMaxPayloadBytes = std::size_t{512} * 1024;

/// Longest free text in a report, in Unicode code points.
inline constexpr std::size_t kMaxTextChars = 2000;

/// Most diagnostic trouble codes one report may carry (Report.dtcs). A car after a crash shows
/// a hundred or more (every ECU's lost-communication codes); more than this is no car's, and
/// would let one report cost the backend's merge check minutes (it compares codes pairwise).
/// The car keeps the safety codes first when it has more (agent::build_report).
inline constexpr std::size_t kMaxDtcs = 256;

/// Whether `tag` is a language tag the wire takes (BCP 47's shape, e.g. "zh-CN", at most 35 bytes).
bool is_language_tag(std::string_view tag);

/// Most related report ids one report may name (Report.related_report_ids), and the longest rule id.
inline constexpr std::size_t kMaxRelatedReports = 8;
inline constexpr std::size_t kMaxRuleIdBytes = 64;

/// A new envelope with schema version, a fresh message id (time-ordered, new_time_ordered_uuid)
/// and sent_at_ms set.
wire::Envelope new_envelope(std::int64_t sent_at_ms);

/// Serializes; never fails for a well-formed message. Deterministic: the same message gives the
/// same bytes. A report's text comes last, in a Report chunk of its own (report_text_chunk(); a
/// parser merges the two chunks), so that the car can keep a queued report's words once, apart
/// from the rest of its payload (agent::CarStore), and put the same bytes together to send.
std::string encode(const wire::Envelope& envelope);

/// The bytes encode() ends an Envelope with when it holds a report with this (non-empty) text.
std::string report_text_chunk(std::string_view text);

/// At least encode(envelope).size(), without encoding: what a sender checks against kMaxPayloadBytes.
std::size_t encoded_size_bound(const wire::Envelope& envelope);

/// Parses one payload. Errors (WireErrc): oversize, malformed, unsupported_version,
/// missing_field / invalid_field (envelope header), invalid_utf8 (names the field).
/// Does not check the body's content: see validate_report().
Result<wire::Envelope> decode(std::string_view payload, std::size_t max_bytes = kMaxPayloadBytes);

/// Checks a report's content: required fields, VIN and UUID shapes, text limits, consent
/// coherence. Errors: missing_field / invalid_field with the field's name in the detail.
Result<void> validate_report(const wire::Report& report);

/// A notification Envelope as it rides inside an Ack (Accepted.notification): same message id,
/// sent_at_ms and Notification. `notification` must hold a Notification.
wire::CarriedNotification carry(const wire::Envelope& notification);
/// The Envelope a carried notification stands for (schema version set), to store and show it as
/// if it had come on its own.
wire::Envelope uncarry(const wire::CarriedNotification& carried);

/// SHA-256 of the bytes (32 raw bytes).
std::string sha256(std::string_view bytes);
/// Lowercase hex of raw bytes.
std::string to_hex(std::string_view bytes);

}  // namespace fb::codec
