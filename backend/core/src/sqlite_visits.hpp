// The SQLite case store's book of service visits and live callbacks (docs/visits.md): its own
// tables (kVisitSchema, case store v7) in the case store's file, written inside the case store's
// transactions. Private to the backend core.
//
// Threads: the case store's owner (one at a time), like the store itself.
#pragma once

#include <functional>
#include <string_view>

#include "fb/backend/case_store.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::backend::detail {

/// SQL: a visit row under way, not yet handed over, declined or cancelled (is_final() is false).
inline constexpr std::string_view kVisitUnderWay = "state NOT IN ('handed_over', 'declined', 'cancelled')";

/// What the visit book needs of the case store it lives in: same connection, same transaction.
class CaseStoreCore {
 public:
  /// A prepared statement for `q`, cached and reset (not re-entrant per query text).
  virtual Result<sql::Statement*> cached(std::string_view q) = 0;
  /// The service region's offset from UTC (GroupingPolicy::utc_offset_ms): visit texts' times.
  virtual std::int64_t utc_offset_ms() const = 0;
  virtual Result<CaseSummary> existing_case(std::string_view case_number) = 0;
  virtual Result<std::int64_t> case_row(std::string_view case_number) = 0;
  virtual Result<void> event(std::int64_t case_row, std::int64_t at_ms, std::string_view kind, std::string_view detail,
                             std::string_view actor) = 0;
  /// Queues `n` for the case's car (pending, due at once), audited as `kind`.
  virtual Result<void> queue_notification(std::int64_t case_row, const StoredNotification& n, std::string_view kind,
                                          std::int64_t at_ms, std::string_view report_id) = 0;
  /// Moves the case (audited, SLA clocks as a transition would) without a notification of its
  /// own: the visit's tells the driver. A person's move is the first response.
  virtual Result<void> set_case_state(const CaseSummary& c, CaseState to, std::string_view actor,
                                      std::string_view reason, std::int64_t at_ms) = 0;
  /// A person answered the driver (a call): the first response, if none was yet.
  virtual Result<void> record_response(std::int64_t case_row, std::int64_t at_ms) = 0;
  virtual Result<std::int64_t> store_dead_letter(const DeadLetterRecord& d) = 0;
  /// A follow-up case (回访) of `origin`'s car for after-sales, first response due in
  /// kFollowUpResponseMs; audited on both cases.
  virtual Result<CaseSummary> open_follow_up(const CaseSummary& origin, std::string_view why, std::int64_t at_ms) = 0;

 protected:
  ~CaseStoreCore() = default;
};

/// Case store v7: visits, their stages and approvals, callbacks, the car replies seen.
extern const std::string_view kVisitSchema;

/// What car_replies says of a car's answer (a reply, a reopen, a visit reply, a callback request).
enum class ReplySeen {
  fresh,          // its message id is new: recorded now, apply it
  resent,         // this car sent it before: applied the first time
  other_vehicle,  // another car's answer had this id: nothing of it applies (a dead letter)
};
/// Records `in`'s message id as seen, inside the caller's transaction.
Result<ReplySeen> note_car_reply(CaseStoreCore& core, const CarReplyIntake& in);
/// Refuses a car's answer: a dead letter (invalid_field, `detail`) whose id goes into `out`.
Result<void> dead_letter_reply(CaseStoreCore& core, const CarReplyIntake& in, std::string detail, ItemOutcome& out);

class VisitBook {
 public:
  explicit VisitBook(CaseStoreCore& core) : core_(core) {}

  // Writers: inside the caller's transaction; see CaseStore for what each does and its errors.
  Result<Visit> propose(const VisitProposal& p, const NoticeRenderer& render);
  Result<Visit> record_stage(const StageEntry& e, const NoticeRenderer& render);
  Result<Approval> request_approval(const ApprovalRequest& r, const NoticeRenderer& render);
  Result<Visit> cancel(std::string_view visit_id, std::string_view dealer_code, std::string_view actor,
                       std::string_view reason, std::int64_t at_ms, const NoticeRenderer& render);
  Result<Callback> pick_up(std::string_view id, std::string_view agent, std::int64_t at_ms,
                           const NoticeRenderer& render);
  Result<Callback> log_call(std::string_view id, std::string_view agent, bool override_owner, std::string_view outcome,
                            std::string_view note, std::int64_t at_ms, const NoticeRenderer& render);
  /// A visit reply or callback request from a car (a survey goes to after_survey()).
  Result<void> apply(const CarReplyIntake& in, const NoticeRenderer& render, ItemOutcome& out);
  /// After a survey answer was stored for `notification_id`: a visit's survey is recorded on the
  /// visit, and a low score opens the follow-up case.
  Result<void> after_survey(std::string_view notification_id, int score, std::string_view comment, std::int64_t at_ms,
                            const NoticeRenderer& render, ItemOutcome& out);
  /// Callbacks left unanswered (kCallbackUnansweredMs) or unlogged (kCallbackUnloggedMs) are
  /// cancelled, recorded on the case and the car told; part of the SLA pass.
  Result<std::vector<SlaEvent>> expire_callbacks(std::int64_t now_ms, const NoticeRenderer& render);
  /// Reminders of booked visits that are due; part of the SLA pass.
  Result<std::vector<SlaEvent>> send_reminders(std::int64_t now_ms, const NoticeRenderer& render);
  Result<std::optional<std::int64_t>> next_reminder();
  /// Erasure of a VIN: callback phone numbers, outcomes' notes and visit survey comments.
  /// Call before the case store blanks the VIN on the cases (it finds the visits through them).
  Result<void> erase_vin(std::string_view vin);
  /// Erasure of a phone number: callback numbers and their notes.
  Result<void> erase_phone(std::string_view phone);

  // Readers.
  Result<std::vector<Visit>> visits(const VisitQuery& q);
  Result<std::optional<Visit>> visit(std::string_view id, std::string_view dealer_code);
  Result<std::vector<Callback>> callbacks(const CallbackQuery& q);

 private:
  struct Row;
  Result<std::optional<Row>> load(std::string_view id);
  /// The visit as stored; for a dealer, only its own slots (in the proposal and the stages).
  Result<Visit> read(const Row& row, std::string_view dealer = {});
  Result<Visit> existing(std::string_view id, std::string_view dealer_code);
  Result<std::optional<Callback>> load_callback(std::string_view id);
  /// The car's notification of a callback's pick-up, log or cancellation (nothing for an erased car).
  Result<void> tell_car(std::int64_t case_row, const CaseSummary& kase, const Callback& c, wire::CallbackState state,
                        std::int64_t at_ms, const NoticeRenderer& render);
  /// One step of callback `c` (already stored): recorded on its case (kind "callback", `detail`,
  /// by `actor`), a logged call counted as the case's first response, and the car told. Returns
  /// the case.
  Result<CaseSummary> callback_step(const Callback& c, const nlohmann::json& detail, std::string_view actor,
                                    wire::CallbackState state, std::int64_t at_ms, const NoticeRenderer& render);
  /// Runs each statement with `arg` bound to its ?1 (the erasures).
  Result<void> run_each(std::initializer_list<std::string_view> statements, std::string_view arg);
  /// Renders and queues a visit notification: the visit's stage, booked slot, ready time and
  /// estimate, then whatever `adjust` adds (the offered slots, an extra cost, the reminder flag);
  /// `state_shown` is the case status the car reads if not the stored one. nullopt for an erased
  /// car (nothing is sent).
  Result<std::optional<StoredNotification>> notify(const Row& v, std::string_view event,
                                                   std::map<std::string, std::string> vars, std::int64_t at_ms,
                                                   const NoticeRenderer& render,
                                                   std::optional<CaseState> state_shown = std::nullopt,
                                                   const std::function<void(wire::VisitUpdate&)>& adjust = {});
  Result<void> add_stage(std::string_view visit_id, VisitState stage, std::int64_t at_ms, std::string_view actor,
                         std::string_view note, const std::string& detail);
  Result<void> set_state(std::string_view visit_id, VisitState s, std::int64_t at_ms);

  CaseStoreCore& core_;
};

}  // namespace fb::backend::detail
