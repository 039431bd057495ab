// A case store that delegates to a real one and fails the calls a test names, as a full disk
// would: for the ingest's and the service's handling of a store that fails.
#pragma once

#include <memory>

#include "fb/backend/case_store.hpp"

namespace fb::backend::test_support {

/// Delegates to a real store; can be told to fail some calls as a full disk would.
class FailingStore final : public CaseStore {
 public:
  explicit FailingStore(CaseStore& inner) : inner_(inner) {}
  /// Owns the store it delegates to (for a Service, which owns its store).
  explicit FailingStore(std::unique_ptr<CaseStore> owned) : owned_(std::move(owned)), inner_(*owned_) {}
  bool fail_next = false;  // the next commit_batch or apply_car_replies, whichever comes first
  int fail_batches = 0;    // the next n commit_batch calls
  int fail_answers = 0;    // the next n apply_car_replies calls
  /// The next apply_car_replies fails each item as a notice that does not render would: an error
  /// that trying again meets again.
  bool fail_answer_item = false;
  int fail_sla = 0;         // the next n process_sla calls
  int fail_reschedule = 0;  // the next n reschedule calls
  int sla_passes = 0;       // process_sla calls so far, failed ones too
  Result<std::vector<ItemOutcome>> commit_batch(std::span<const BatchItem> items,
                                                const NotificationFactory& f) override {
    if (std::exchange(fail_next, false) || take(fail_batches)) return fail(StorageErrc::full, "test: disk full");
    return inner_.commit_batch(items, f);
  }
  Result<std::vector<StoredNotification>> due_notifications(std::int64_t n, std::size_t l) override {
    return inner_.due_notifications(n, l);
  }
  Result<void> reschedule(std::span<const std::string> ids, std::int64_t n, std::int64_t b, std::int64_t m) override {
    if (take(fail_reschedule)) return fail(StorageErrc::full, "test: disk full");
    return inner_.reschedule(ids, n, b, m);
  }
  Result<std::optional<CaseSummary>> find_case_by_report(std::string_view id) override {
    return inner_.find_case_by_report(id);
  }
  Result<std::vector<CaseSummary>> list_cases(std::size_t l) override { return inner_.list_cases(l); }
  Result<std::vector<DeadLetterSummary>> list_dead_letters(std::size_t l) override {
    return inner_.list_dead_letters(l);
  }
  Result<StoreCounts> counts() override { return inner_.counts(); }
  Result<StoreCounts> outstanding_counts() override { return inner_.outstanding_counts(); }
  Result<void> check_readable() override { return inner_.check_readable(); }
  Result<std::int64_t> purge_dead_letters(std::int64_t b) override { return inner_.purge_dead_letters(b); }
  Result<bool> hold_lease(std::string_view n, std::string_view h, std::int64_t now, std::int64_t ttl) override {
    return inner_.hold_lease(n, h, now, ttl);
  }
  Result<void> release_lease(std::string_view n, std::string_view h) override { return inner_.release_lease(n, h); }
  Result<std::optional<CaseSummary>> find_case(std::string_view n) override { return inner_.find_case(n); }
  Result<std::vector<CaseEvent>> case_events(std::string_view n) override { return inner_.case_events(n); }
  Result<std::vector<NotificationSummary>> case_notifications(std::string_view n) override {
    return inner_.case_notifications(n);
  }
  Result<TransitionOutcome> transition(const TransitionRequest& r, const NoticeRenderer& f) override {
    return inner_.transition(r, f);
  }
  Result<std::vector<SlaEvent>> process_sla(std::int64_t n, const NoticeRenderer& f) override {
    ++sla_passes;
    if (take(fail_sla)) return fail(StorageErrc::full, "test: disk full");
    return inner_.process_sla(n, f);
  }
  Result<std::optional<std::int64_t>> next_sla_deadline() override { return inner_.next_sla_deadline(); }
  Result<std::vector<ClusterSummary>> list_clusters(std::size_t l) override { return inner_.list_clusters(l); }
  Result<std::pair<double, std::int64_t>> survey_score() override { return inner_.survey_score(); }
  Result<CasePage> search_cases(const CaseQuery& q) override { return inner_.search_cases(q); }
  Result<std::optional<CaseDetail>> case_detail(std::string_view n) override { return inner_.case_detail(n); }
  Result<std::vector<std::string>> cases_of_subject(std::string_view v, std::string_view p) override {
    return inner_.cases_of_subject(v, p);
  }
  Result<CaseEvent> add_comment(std::string_view n, std::string_view a, std::string_view t, std::int64_t at) override {
    return inner_.add_comment(n, a, t, at);
  }
  Result<StoredNotification> send_message(std::string_view n, std::string_view a, std::string_view t,
                                          std::string_view s, std::int64_t at, const NoticeRenderer& r) override {
    return inner_.send_message(n, a, t, s, at, r);
  }
  Result<CaseSummary> assign(std::string_view n, std::string_view who, std::string_view a, std::int64_t at,
                             const NoticeRenderer& r) override {
    return inner_.assign(n, who, a, at, r);
  }
  Result<CaseSummary> merge_cases(std::string_view f, std::string_view i, std::string_view a, std::int64_t at,
                                  const NoticeRenderer& r) override {
    return inner_.merge_cases(f, i, a, at, r);
  }
  Result<CaseSummary> split_report(std::string_view n, std::string_view r, std::string_view a,
                                   std::int64_t at) override {
    return inner_.split_report(n, r, a, at);
  }
  Result<CaseSummary> triage_case(std::string_view n, const TriageDecider& d) override {
    return inner_.triage_case(n, d);
  }
  Result<CaseSummary> link_to_major(std::string_view n, std::string_view m, std::string_view a,
                                    std::int64_t at) override {
    return inner_.link_to_major(n, m, a, at);
  }
  Result<ErasureOutcome> erase_subject(std::string_view v, std::string_view p, std::string_view a,
                                       std::int64_t at) override {
    return inner_.erase_subject(v, p, a, at);
  }
  Result<void> audit_privacy(std::string_view w, std::string_view s, std::string_view a, std::int64_t at) override {
    return inner_.audit_privacy(w, s, a, at);
  }
  Result<std::vector<std::pair<CaseState, std::int64_t>>> cases_by_state() override { return inner_.cases_by_state(); }
  Result<std::vector<ItemOutcome>> apply_car_replies(std::span<const CarReplyIntake> items,
                                                     const NoticeRenderer& r) override {
    if (std::exchange(fail_next, false) || take(fail_answers)) return fail(StorageErrc::full, "injected");
    if (std::exchange(fail_answer_item, false)) {
      std::vector<ItemOutcome> out(items.size());
      for (auto& o : out) o.error = Error(StorageErrc::internal, "test: the notice does not render");
      return out;
    }
    return inner_.apply_car_replies(items, r);
  }
  Result<Visit> propose_visit(const VisitProposal& p, const NoticeRenderer& r) override {
    return inner_.propose_visit(p, r);
  }
  Result<std::vector<Visit>> visits(const VisitQuery& q) override { return inner_.visits(q); }
  Result<std::optional<Visit>> visit(std::string_view id, std::string_view d) override { return inner_.visit(id, d); }
  Result<Visit> record_stage(const StageEntry& e, const NoticeRenderer& r) override {
    return inner_.record_stage(e, r);
  }
  Result<Approval> request_approval(const ApprovalRequest& a, const NoticeRenderer& r) override {
    return inner_.request_approval(a, r);
  }
  Result<Visit> cancel_visit(std::string_view id, std::string_view d, std::string_view a, std::string_view why,
                             std::int64_t at, const NoticeRenderer& r) override {
    return inner_.cancel_visit(id, d, a, why, at, r);
  }
  Result<std::vector<Callback>> callbacks(const CallbackQuery& q) override { return inner_.callbacks(q); }
  Result<Callback> pick_up_callback(std::string_view id, std::string_view a, std::int64_t at,
                                    const NoticeRenderer& r) override {
    return inner_.pick_up_callback(id, a, at, r);
  }
  Result<Callback> log_callback(std::string_view id, std::string_view a, bool o, std::string_view out,
                                std::string_view note, std::int64_t at, const NoticeRenderer& r) override {
    return inner_.log_callback(id, a, o, out, note, at, r);
  }

 private:
  static bool take(int& n) { return n > 0 && n-- > 0; }
  std::unique_ptr<CaseStore> owned_;  // declared before inner_, which may refer to it
  CaseStore& inner_;
};

}  // namespace fb::backend::test_support
