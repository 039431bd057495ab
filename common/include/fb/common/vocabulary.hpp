// The project's vocabularies in one typed place: every name once, with its one spelling.
//
// A vocabulary is an enum with ONE constexpr table of (value, key). The key is the spelling the
// SQL stores, the rule files and the CLI use, and the QML translation table is keyed by
// ("status.in_progress", "category.driving_feel"). Keys are lowercase snake_case; for an enum
// that mirrors a proto enum the key is the proto name without its prefix, lowercased
// (CATEGORY_DRIVING_FEEL -> "driving_feel", REJECT_VIN_MISMATCH -> "vin_mismatch").
//
//   fb::to_string(ReportStatus::in_progress)  -> "in_progress"
//   fb::parse<ReportStatus>("in_progress")    -> ReportStatus::in_progress; nullopt for unknown text
//   fb::vocabulary<ReportStatus>()            -> every entry, in table order
//
// Teams are not here: they are configuration (routing.conf defines them with their display
// names), so a team is a validated string id (is_vocabulary_key), not an enum.
//
// Pure and constexpr; no Qt, no Asio; thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string_view>

#include "feedback.pb.h"

namespace fb {

template <typename E>
struct VocabularyEntry {
  E value;
  std::string_view key;
};

/// Specialised once per vocabulary: `name` (for error messages), `entries` (the one table) and
/// `fallback` (the key to_string gives a value outside the table, e.g. a proto enum value from a
/// newer peer).
template <typename E>
struct Vocabulary;

template <typename E>
concept HasVocabulary = requires {
  { Vocabulary<E>::name } -> std::convertible_to<std::string_view>;
  { Vocabulary<E>::fallback } -> std::convertible_to<std::string_view>;
  Vocabulary<E>::entries;
};

template <HasVocabulary E>
constexpr std::span<const VocabularyEntry<E>> vocabulary() {
  return Vocabulary<E>::entries;
}

template <HasVocabulary E>
constexpr std::string_view to_string(E value) {
  for (const auto& e : Vocabulary<E>::entries) {
    if (e.value == value) return e.key;
  }
  return Vocabulary<E>::fallback;
}

/// Exact match only: no case folding, no aliases (callers that accept legacy input say so).
template <HasVocabulary E>
constexpr std::optional<E> parse(std::string_view key) {
  for (const auto& e : Vocabulary<E>::entries) {
    if (e.key == key) return e.value;
  }
  return std::nullopt;
}

/// A key's shape: [a-z][a-z0-9_]*. Used for ids that are configuration (team ids).
constexpr bool is_vocabulary_key(std::string_view s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z') return false;
  return std::ranges::all_of(s, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

namespace detail {
/// Every key well-formed, and every value and every key in the table once.
template <typename E>
constexpr bool well_formed_vocabulary() {
  const auto& t = Vocabulary<E>::entries;
  if (!is_vocabulary_key(Vocabulary<E>::fallback)) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!is_vocabulary_key(t[i].key)) return false;
    for (std::size_t j = i + 1; j < t.size(); ++j) {
      if (t[i].key == t[j].key || t[i].value == t[j].value) return false;
    }
  }
  return true;
}
}  // namespace detail

// ---- Report category: the driver's choice (wire::Category) ----

template <>
struct Vocabulary<wire::Category> {
  static constexpr std::string_view name = "report category";
  static constexpr std::string_view fallback = "other";
  static constexpr std::array<VocabularyEntry<wire::Category>, 9> entries{{
      {wire::CATEGORY_NOISE, "noise"},
      {wire::CATEGORY_DRIVING_FEEL, "driving_feel"},
      {wire::CATEGORY_WARNING_LAMP, "warning_lamp"},
      {wire::CATEGORY_UI, "ui"},
      {wire::CATEGORY_SERVICE, "service"},
      {wire::CATEGORY_IDEA, "idea"},
      {wire::CATEGORY_OTHER, "other"},
      {wire::CATEGORY_BRAKES, "brakes"},
      {wire::CATEGORY_CLIMATE, "climate"},
  }};
};

// ---- Case status: where the service side is with a case (wire::CaseStatus) ----

template <>
struct Vocabulary<wire::CaseStatus> {
  static constexpr std::string_view name = "case status";
  static constexpr std::string_view fallback = "received";  // a status this build does not know
  static constexpr std::array<VocabularyEntry<wire::CaseStatus>, 6> entries{{
      {wire::CASE_STATUS_RECEIVED, "received"},
      {wire::CASE_STATUS_IN_PROGRESS, "in_progress"},
      {wire::CASE_STATUS_WAITING_FOR_DRIVER, "waiting_for_driver"},
      {wire::CASE_STATUS_RESOLVED, "resolved"},
      {wire::CASE_STATUS_CLOSED, "closed"},
      {wire::CASE_STATUS_APPOINTMENT, "appointment"},
  }};
};

// ---- Report status: a report as the car sees it ("My reports") ----

/// The car's own steps, then the case's statuses from the backend's notifications (same keys as
/// wire::CaseStatus). Stored as text in the car store's reports.status, except `sent`, which
/// only the app shows (the broker has it; not stored, see ReportsModel::markSent).
enum class ReportStatus {
  queued,        // committed to the car's outbox
  sent,          // the broker took it (app only)
  acknowledged,  // the backend stored it as a case
  rejected,      // the backend refused it (reject_reason says why)
  received,
  in_progress,
  waiting_for_driver,
  resolved,
  closed,
  appointment,
  dropped,  // left the car's outbox unsent (DropReason says why); shown, never sent
};

template <>
struct Vocabulary<ReportStatus> {
  static constexpr std::string_view name = "report status";
  static constexpr std::string_view fallback = "queued";
  static constexpr std::array<VocabularyEntry<ReportStatus>, 11> entries{{
      {ReportStatus::queued, "queued"},
      {ReportStatus::sent, "sent"},
      {ReportStatus::acknowledged, "acknowledged"},
      {ReportStatus::rejected, "rejected"},
      {ReportStatus::received, "received"},
      {ReportStatus::in_progress, "in_progress"},
      {ReportStatus::waiting_for_driver, "waiting_for_driver"},
      {ReportStatus::resolved, "resolved"},
      {ReportStatus::closed, "closed"},
      {ReportStatus::appointment, "appointment"},
      {ReportStatus::dropped, "dropped"},
  }};
};

// ---- Drop reason: why the car gave up sending a report (reports.drop_reason) ----

enum class DropReason {
  expired,            // older than its class's time to live (CarStore::Options)
  evicted_for_space,  // pushed out by a more urgent or newer report when the outbox was full
  store_damaged,      // its queued copy was unreadable in a corrupt store (its row was recovered)
};

template <>
struct Vocabulary<DropReason> {
  static constexpr std::string_view name = "drop reason";
  static constexpr std::string_view fallback = "expired";
  static constexpr std::array<VocabularyEntry<DropReason>, 3> entries{{
      {DropReason::expired, "expired"},
      {DropReason::evicted_for_space, "evicted_for_space"},
      {DropReason::store_damaged, "store_damaged"},
  }};
};

/// The report status a case status shows as (the same key).
constexpr ReportStatus report_status(wire::CaseStatus s) {
  return parse<ReportStatus>(to_string(s)).value_or(ReportStatus::received);
}

// ---- Dead-letter reason: why the backend refused a message ----

/// The wire's reject reasons (same numbers as wire::RejectReason, so a refusal answered to the
/// car and its dead letter name one code) and the refusals that get no answer.
enum class DeadLetterReason {
  malformed = wire::REJECT_MALFORMED,
  unsupported_version = wire::REJECT_UNSUPPORTED_VERSION,
  missing_field = wire::REJECT_MISSING_FIELD,
  invalid_field = wire::REJECT_INVALID_FIELD,
  vin_mismatch = wire::REJECT_VIN_MISMATCH,
  oversize = wire::REJECT_OVERSIZE,
  invalid_utf8 = wire::REJECT_INVALID_UTF8,
  wrong_message_type = wire::REJECT_WRONG_MESSAGE_TYPE,
  report_id_conflict = wire::REJECT_REPORT_ID_CONFLICT,
  conflicting_duplicate = wire::REJECT_CONFLICTING_DUPLICATE,
  unroutable_topic = 100,  // not vehicles/{vin}/reports or receipts: nobody to answer
  bad_receipt = 101,       // a bad receipt or answer on a receipts topic (an answer hears AnswerStored.refused)
  internal = 102,          // an error that is not the sender's (no wire reason)
};

template <>
struct Vocabulary<DeadLetterReason> {
  static constexpr std::string_view name = "dead-letter reason";
  static constexpr std::string_view fallback = "internal";
  static constexpr std::array<VocabularyEntry<DeadLetterReason>, 13> entries{{
      {DeadLetterReason::malformed, "malformed"},
      {DeadLetterReason::unsupported_version, "unsupported_version"},
      {DeadLetterReason::missing_field, "missing_field"},
      {DeadLetterReason::invalid_field, "invalid_field"},
      {DeadLetterReason::vin_mismatch, "vin_mismatch"},
      {DeadLetterReason::oversize, "oversize"},
      {DeadLetterReason::invalid_utf8, "invalid_utf8"},
      {DeadLetterReason::wrong_message_type, "wrong_message_type"},
      {DeadLetterReason::report_id_conflict, "report_id_conflict"},
      {DeadLetterReason::unroutable_topic, "unroutable_topic"},
      {DeadLetterReason::bad_receipt, "bad_receipt"},
      {DeadLetterReason::internal, "internal"},
      {DeadLetterReason::conflicting_duplicate, "conflicting_duplicate"},
  }};
};

/// The reason for a wire rejection; `internal` for REJECT_REASON_UNSPECIFIED or a code this
/// build does not know.
constexpr DeadLetterReason dead_letter_reason(wire::RejectReason r) {
  const auto d = static_cast<DeadLetterReason>(r);
  return r > wire::REJECT_REASON_UNSPECIFIED && r <= wire::REJECT_CONFLICTING_DUPLICATE ? d
                                                                                        : DeadLetterReason::internal;
}

// ---- Case type (按问题类型), priority (按优先级), vehicle system: the backend's triage ----

enum class CaseType { product_fault, usage_experience, service_complaint, suggestion };

template <>
struct Vocabulary<CaseType> {
  static constexpr std::string_view name = "case type";
  static constexpr std::string_view fallback = "usage_experience";
  static constexpr std::array<VocabularyEntry<CaseType>, 4> entries{{
      {CaseType::product_fault, "product_fault"},
      {CaseType::usage_experience, "usage_experience"},
      {CaseType::service_complaint, "service_complaint"},
      {CaseType::suggestion, "suggestion"},
  }};
};

enum class Priority { high, medium, low };

template <>
struct Vocabulary<Priority> {
  static constexpr std::string_view name = "priority";
  static constexpr std::string_view fallback = "medium";
  static constexpr std::array<VocabularyEntry<Priority>, 3> entries{{
      {Priority::high, "high"},
      {Priority::medium, "medium"},
      {Priority::low, "low"},
  }};
};

/// The part of the car (or, for service complaints, of the service) a case is about
/// (DOMAIN.md §3). The rule files may name only these.
enum class VehicleSystem {
  engine,
  transmission,
  brakes,
  steering,
  suspension,
  tyres,
  electrical,
  battery,
  electric_drive,
  body,
  restraints,
  infotainment,
  hvac,
  adas,
  // service complaints
  sales,
  service,
  parts,
  charges,
  other,
};

template <>
struct Vocabulary<VehicleSystem> {
  static constexpr std::string_view name = "vehicle system";
  static constexpr std::string_view fallback = "other";
  static constexpr std::array<VocabularyEntry<VehicleSystem>, 19> entries{{
      {VehicleSystem::engine, "engine"},
      {VehicleSystem::transmission, "transmission"},
      {VehicleSystem::brakes, "brakes"},
      {VehicleSystem::steering, "steering"},
      {VehicleSystem::suspension, "suspension"},
      {VehicleSystem::tyres, "tyres"},
      {VehicleSystem::electrical, "electrical"},
      {VehicleSystem::battery, "battery"},
      {VehicleSystem::electric_drive, "electric_drive"},
      {VehicleSystem::body, "body"},
      {VehicleSystem::restraints, "restraints"},
      {VehicleSystem::infotainment, "infotainment"},
      {VehicleSystem::hvac, "hvac"},
      {VehicleSystem::adas, "adas"},
      {VehicleSystem::sales, "sales"},
      {VehicleSystem::service, "service"},
      {VehicleSystem::parts, "parts"},
      {VehicleSystem::charges, "charges"},
      {VehicleSystem::other, "other"},
  }};
};

static_assert(detail::well_formed_vocabulary<wire::Category>());
static_assert(detail::well_formed_vocabulary<wire::CaseStatus>());
static_assert(detail::well_formed_vocabulary<ReportStatus>());
static_assert(detail::well_formed_vocabulary<DropReason>());
static_assert(detail::well_formed_vocabulary<DeadLetterReason>());
static_assert(detail::well_formed_vocabulary<CaseType>());
static_assert(detail::well_formed_vocabulary<Priority>());
static_assert(detail::well_formed_vocabulary<VehicleSystem>());
// Tables that mirror an enum list every value of it (the last enumerator is in the table).
static_assert(vocabulary<wire::Category>().size() == wire::Category_MAX);
static_assert(vocabulary<wire::CaseStatus>().size() == wire::CaseStatus_MAX);
static_assert(vocabulary<ReportStatus>().size() == static_cast<std::size_t>(ReportStatus::dropped) + 1);
static_assert(vocabulary<DropReason>().size() == static_cast<std::size_t>(DropReason::store_damaged) + 1);
static_assert(vocabulary<DeadLetterReason>().size() == wire::RejectReason_MAX + 3);
static_assert(vocabulary<CaseType>().size() == static_cast<std::size_t>(CaseType::suggestion) + 1);
static_assert(vocabulary<Priority>().size() == static_cast<std::size_t>(Priority::low) + 1);
static_assert(vocabulary<VehicleSystem>().size() == static_cast<std::size_t>(VehicleSystem::other) + 1);

}  // namespace fb
