// The dealer service visit (维修预约 → 交车) and the live callback: the data the case store keeps
// for them and the requests that change them (docs/visits.md). Pure data; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"
#include "feedback.pb.h"

namespace fb::backend {

enum class VisitState {
  proposed,              // slots offered to the driver
  reschedule_requested,  // the driver asked for other slots
  booked,
  checked_in,
  inspection,
  diagnosis,
  repair,
  quality_check,
  handed_over,  // final: the car is back, the survey asked
  declined,     // final: the driver did not want a visit
  cancelled,    // final
};

/// Why a visit or callback request was refused.
enum class VisitErrc {
  not_found = 1,          // no such visit or callback (or not one this dealer may see)
  invalid_stage = 2,      // a stage out of order, or the visit is not in a state that allows the request
  approval_required = 3,  // repair cost beyond the estimate and the approved extra cost
  invalid_request = 4,    // a slot, amount, currency or detail that cannot be
  already_taken = 5,      // the callback is picked up by someone else, or already logged
};

const std::error_category& visit_category() noexcept;
std::error_code make_error_code(VisitErrc e) noexcept;

/// The stage a repair order goes to after `s` (checked_in after booked, ... handed_over after
/// quality_check); nullopt when no stage follows.
std::optional<VisitState> next_stage(VisitState s);
bool is_final(VisitState s);
wire::VisitStage wire_stage(VisitState s);

struct Money {
  std::int64_t minor = 0;  // fen, cents
  std::string currency;    // ISO 4217, e.g. "CNY"
};

struct VisitSlot {
  std::string id;
  std::string dealer_code;
  std::string dealer_name;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::string work;
};

/// The team (or a dealer) offers slots: a new visit on a case, or new slots for a visit.
struct VisitProposal {
  std::string case_number;  // for a new visit
  std::string visit_id;     // for new slots on an existing visit (reschedule)
  std::vector<VisitSlot> slots;
  std::optional<Money> estimate;  // required for a new visit
  std::string note;
  std::string actor;
  std::string dealer_code;  // the acting dealer (its slots only); empty for the service team
  std::int64_t at_ms = 0;
};

struct Part {
  std::string name;
  std::int64_t quantity = 1;
  Money unit_price;
};

/// A dealer enters a stage of the repair order.
struct StageEntry {
  std::string visit_id;
  VisitState stage = VisitState::checked_in;
  std::string note;
  std::string actor;
  std::string dealer_code;        // the acting dealer; empty for an admin
  std::int64_t ready_at_ms = 0;   // 0 keeps the previous expectation
  std::string findings;           // diagnosis: required
  std::vector<std::string> dtcs;  // diagnosis: read at the dealer
  std::vector<Part> parts;        // repair
  std::optional<Money> labour;    // repair
  std::optional<bool> passed;     // quality_check: required
  std::int64_t at_ms = 0;
};

struct ApprovalRequest {
  std::string visit_id;
  Money amount;
  std::string reason;
  std::string actor;
  std::string dealer_code;
  std::int64_t at_ms = 0;
};

struct Approval {
  std::string id;
  Money amount;
  std::string reason;
  std::string state;  // requested, approved, refused, lapsed (unanswered when the repair was done)
  std::int64_t requested_ms = 0;
  std::int64_t answered_ms = 0;
};

struct VisitStageRecord {
  VisitState stage = VisitState::checked_in;
  std::int64_t at_ms = 0;
  std::string actor;
  std::string note;
  std::string detail;  // JSON: findings, dtcs, parts, labour, total, passed, ...
};

/// What the car itself said about the case's problem, next to what the dealer found.
struct CarEvidence {
  std::vector<std::string> dtcs;              // from the case's reports
  std::vector<std::string> snapshot_reports;  // reports carrying a diagnostic snapshot
  int auto_reports = 0;                       // reports by the car's telematics rules
  std::vector<std::string> dealer_dtcs_confirmed;
};

struct Visit {
  std::string id;
  std::string case_number;
  std::string vin;
  std::string team;  // the case's team (who may see it)
  std::string language;
  VisitState state = VisitState::proposed;
  std::vector<VisitSlot> slots;  // the latest proposal
  std::optional<VisitSlot> booked;
  std::string dealer_code;  // of the booked slot
  Money estimate;
  Money approved_extra;
  std::int64_t ready_at_ms = 0;
  std::vector<VisitStageRecord> stages;
  std::vector<Approval> approvals;
  CarEvidence evidence;
  std::optional<std::pair<int, std::string>> survey;
  std::string follow_up_case;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct VisitQuery {
  std::string dealer_code;         // only this dealer's visits (booked with it, or offered a slot of it)
  bool as_dealer = true;           // seen as that dealer sees them (its slots only); false: a team's filter, whole
  std::vector<std::string> teams;  // only visits of cases of these teams; empty = all
  std::optional<VisitState> state;
  std::string case_number;
  std::size_t limit = 100;
};

enum class CallbackState { queued, picked_up, logged, cancelled };

struct Callback {
  std::string id;  // the CallbackRequest's Envelope.message_id
  std::string case_number;
  std::string vin;
  std::string team;
  std::string phone;
  std::string language;
  CallbackState state = CallbackState::queued;
  std::int64_t requested_ms = 0;
  std::int64_t picked_ms = 0;
  std::string agent;
  std::string outcome;
  std::string note;
  std::int64_t logged_ms = 0;
};

/// The live queue's pick-up target (the hotline's response time).
inline constexpr std::int64_t kCallbackTargetMs = 60'000;
/// A callback nobody picked up within this long is cancelled and the car told (the driver can ask
/// again); one picked up and never logged, after kCallbackUnloggedMs. Either would otherwise keep
/// the case's one open callback forever and refuse the driver's next "Call me".
inline constexpr std::int64_t kCallbackUnansweredMs = std::int64_t{2} * 3600 * 1000;
inline constexpr std::int64_t kCallbackUnloggedMs = std::int64_t{24} * 3600 * 1000;

/// The most callbacks one query returns: the API's largest page (500) and one more, by which it
/// tells that there are more.
inline constexpr std::size_t kMaxCallbackQueryLimit = 501;

struct CallbackQuery {
  std::string id;                     // just this one
  std::vector<CallbackState> states;  // empty = all
  std::vector<std::string> teams;     // empty = all
  std::size_t limit = 100;            // at most kMaxCallbackQueryLimit
};

/// A driver's answer coming back on the receipts topic: a survey answer, a visit reply or a
/// callback request (validated by Ingest; applied with rendering by CaseStore::apply_car_replies).
struct CarReplyIntake {
  std::string message_id;  // Envelope.message_id: a re-send repeats it
  std::string vin;         // from the topic (authenticated by the broker)
  std::variant<wire::SurveyAnswer, wire::VisitReply, wire::CallbackRequest, wire::DriverMessage, wire::ReopenRequest>
      body;
  std::int64_t at_ms = 0;  // received (the backend's clock)
  std::string topic;
  std::string payload;
  /// Envelope.sent_at_ms: when the car sent it, by its clock (a re-send repeats it); 0 unknown.
  /// Orders a driver's answers to the same question (surveys).
  std::int64_t answered_ms = 0;
};

/// A survey score at or below this on a visit opens a follow-up case (回访) for after-sales.
inline constexpr int kFollowUpMaxScore = 3;
inline constexpr std::int64_t kFollowUpResponseMs = std::int64_t{24} * 3600 * 1000;

}  // namespace fb::backend

template <>
struct std::is_error_code_enum<fb::backend::VisitErrc> : std::true_type {};

namespace fb {

template <>
struct Vocabulary<backend::VisitState> {
  static constexpr std::string_view name = "visit state";
  static constexpr std::string_view fallback = "proposed";
  static constexpr std::array<VocabularyEntry<backend::VisitState>, 11> entries{{
      {backend::VisitState::proposed, "proposed"},
      {backend::VisitState::reschedule_requested, "reschedule_requested"},
      {backend::VisitState::booked, "booked"},
      {backend::VisitState::checked_in, "checked_in"},
      {backend::VisitState::inspection, "inspection"},
      {backend::VisitState::diagnosis, "diagnosis"},
      {backend::VisitState::repair, "repair"},
      {backend::VisitState::quality_check, "quality_check"},
      {backend::VisitState::handed_over, "handed_over"},
      {backend::VisitState::declined, "declined"},
      {backend::VisitState::cancelled, "cancelled"},
  }};
};

template <>
struct Vocabulary<backend::CallbackState> {
  static constexpr std::string_view name = "callback state";
  static constexpr std::string_view fallback = "queued";
  static constexpr std::array<VocabularyEntry<backend::CallbackState>, 4> entries{{
      {backend::CallbackState::queued, "queued"},
      {backend::CallbackState::picked_up, "picked_up"},
      {backend::CallbackState::logged, "logged"},
      {backend::CallbackState::cancelled, "cancelled"},
  }};
};

}  // namespace fb
