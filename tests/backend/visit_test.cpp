// The dealer service visit and the live callback in the case store (docs/visits.md): the visit's
// states and stage order, the extra-cost approval, the survey after the handover and its
// follow-up case, reminders, the drivers' replies (applied once, stale ones dead-lettered) and
// the callback queue.
#include <gtest/gtest.h>

#include "fb/backend/analytics.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/backend/visits.hpp"
#include "fb/common/ids.hpp"
#include "process.hpp"
#include "store_fixture.hpp"

namespace fb::backend {
namespace {
using test::kDay;
using test::kHour;
using test::kT;

constexpr auto kDealer = "SH-001";

class VisitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::open_case_store(dir_ / "cases.db");
    ASSERT_TRUE(s) << s.error().what();
    store_ = std::move(*s);
    auto env = test::valid_report_envelope(test::kVinA, "变速箱换挡顿挫 harsh shifting");
    env.mutable_report()->add_dtcs("P0700");
    env.mutable_report()->set_car_time_ms(kT);
    envs_.push_back(std::make_unique<wire::Envelope>(env));
    report_id_ = env.report().report_id();
    auto out = store_->commit_batch(std::vector<BatchItem>{test::intake(*envs_.back(), kT)},
                                    test::simple_notifications());
    ASSERT_TRUE(out && out->front().accepted);
    number_ = out->front().accepted->case_number;
    for (auto to : {CaseState::acknowledged, CaseState::assigned, CaseState::in_progress}) {
      TransitionRequest r{number_, to, "li.na", "working on it", kT + kHour, "li.na", {}, {}};
      auto moved = store_->transition(r, render_);
      ASSERT_TRUE(moved) << moved.error().what();
    }
  }

  VisitProposal proposal() const {
    VisitProposal p;
    p.case_number = number_;
    p.actor = "li.na";
    p.at_ms = kT + 2 * kHour;
    p.estimate = Money{80000, "CNY"};
    p.slots = {VisitSlot{"", kDealer, "Pudong 4S", kT + 3 * kDay, kT + 3 * kDay + 2 * kHour, "gearbox check"},
               VisitSlot{"", kDealer, "Pudong 4S", kT + 4 * kDay, kT + 4 * kDay + 2 * kHour, "gearbox check"}};
    return p;
  }

  Visit propose() {
    auto v = store_->propose_visit(proposal(), render_);
    EXPECT_TRUE(v) << v.error().what();
    return v ? *v : Visit{};
  }

  /// A driver's reply from `vin`, applied as Ingest would; `message_id` repeats for a re-send.
  ItemOutcome reply(const wire::VisitReply& r, std::int64_t at_ms, const std::string& vin = test::kVinA,
                    std::string message_id = "") {
    if (message_id.empty()) message_id = new_uuid();
    auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{{message_id, vin, r, at_ms,
                                                                      "vehicles/" + vin + "/receipts", message_id}},
                                         render_);
    EXPECT_TRUE(out) << out.error().what();
    return out ? out->front() : ItemOutcome{};
  }
  ItemOutcome pick(const Visit& v, std::size_t slot, std::int64_t at_ms = kT + 3 * kHour) {
    wire::VisitReply r;
    r.set_visit_id(v.id);
    r.set_action(wire::VisitReply::PICK_SLOT);
    r.set_slot_id(v.slots.at(slot).id);
    return reply(r, at_ms);
  }

  /// The car's "Call me" (message id `id`) about the case's report, from `phone`; whether it was taken.
  bool ask_callback(const std::string& id, const std::string& phone, std::int64_t at_ms) {
    wire::CallbackRequest req;
    req.set_report_id(report_id_);
    req.set_phone(phone);
    req.set_language("zh-CN");
    auto in = store_->apply_car_replies(std::vector<CarReplyIntake>{{id, test::kVinA, req, at_ms, "t", "cb-" + id}},
                                        render_);
    return in && in->front().receipt_matched;
  }

  Result<Visit> stage(const std::string& id, VisitState s, std::int64_t at_ms, std::string dealer = kDealer) {
    StageEntry e;
    e.visit_id = id;
    e.stage = s;
    e.actor = "dealer:SH-001:wang";
    e.dealer_code = std::move(dealer);
    e.at_ms = at_ms;
    e.ready_at_ms = kT + 3 * kDay + 6 * kHour;
    if (s == VisitState::diagnosis) {
      e.findings = "worn clutch pack";
      e.dtcs = {"P0700", "P0730"};
    }
    if (s == VisitState::quality_check) e.passed = true;
    return store_->record_stage(e, render_);
  }

  Result<Visit> repair(const std::string& id, std::int64_t labour_minor, std::int64_t at_ms) {
    StageEntry e;
    e.visit_id = id;
    e.stage = VisitState::repair;
    e.actor = "dealer:SH-001:wang";
    e.dealer_code = kDealer;
    e.at_ms = at_ms;
    e.parts = {Part{"clutch pack", 1, Money{50000, "CNY"}}};
    e.labour = Money{labour_minor, "CNY"};
    return store_->record_stage(e, render_);
  }

  /// The repair order from check-in to diagnosis, an hour a stage after `t` (advanced).
  bool diagnose(const std::string& id, std::int64_t& t) {
    for (auto s : {VisitState::checked_in, VisitState::inspection, VisitState::diagnosis}) {
      if (auto r = stage(id, s, t += kHour); !r) {
        ADD_FAILURE() << to_string(s) << ": " << r.error().what();
        return false;
      }
    }
    return true;
  }

  /// On to the handover, with a repair within the estimate; the id of the handover notification
  /// (the visit's survey request), or "" after a failure.
  std::string hand_over(const std::string& id, std::int64_t& t) {
    if (!diagnose(id, t)) return {};
    auto repaired = repair(id, 10000, t += kHour);
    auto checked = repaired ? stage(id, VisitState::quality_check, t += kHour) : repaired;
    auto done = checked ? stage(id, VisitState::handed_over, t += kHour) : checked;
    if (!done) {
      ADD_FAILURE() << done.error().what();
      return {};
    }
    auto sent = store_->case_notifications(number_);
    if (!sent) return {};
    auto handover = std::find_if(sent->begin(), sent->end(), [](const auto& n) { return n.event == "visit_handover"; });
    if (handover == sent->end()) {
      ADD_FAILURE() << "no handover notification";
      return {};
    }
    return handover->id;
  }

  /// The notifications queued for the car, decoded, in order.
  std::vector<wire::Notification> to_car() {
    auto sent = store_->case_notifications(number_);
    EXPECT_TRUE(sent);
    auto due = store_->due_notifications(kT + 365 * kDay, 1000);
    EXPECT_TRUE(due);
    std::vector<wire::Notification> out;
    for (const auto& n : *due) {
      auto env = codec::decode(n.payload);
      if (env && env->has_notification()) out.push_back(env->notification());
    }
    return out;
  }

  const wire::Notification* last_with_visit() {
    notes_ = to_car();
    const auto last = std::find_if(notes_.rbegin(), notes_.rend(), [](const auto& n) { return n.has_visit(); });
    return last == notes_.rend() ? nullptr : &*last;
  }

  test::TempDir dir_;
  std::unique_ptr<CaseStore> store_;
  std::vector<std::unique_ptr<wire::Envelope>> envs_;
  std::string number_;
  std::string report_id_;
  std::vector<wire::Notification> notes_;
  Notifier notifier_{test::shipped_rules().templates, test::shipped_rules().router};
  NoticeRenderer render_ = [this](const CaseNotice& n) { return notifier_.render(n); };
};

// The slots offered to the driver are written in the service region's clock (config utc_offset),
// China's by default; the slot here starts at 2026-05-31 20:26 UTC. The update names that clock,
// so that the car's visit card shows the times the text says, whatever the car's own zone.
TEST_F(VisitTest, TheProposalsTimesAreTheServiceRegionsClock) {
  propose();
  const auto* offered = last_with_visit();
  ASSERT_NE(offered, nullptr);
  EXPECT_NE(offered->text().find("1) 2026-06-01 04:26"), std::string::npos) << offered->text();
  ASSERT_TRUE(offered->visit().has_utc_offset_minutes());
  EXPECT_EQ(offered->visit().utc_offset_minutes(), 8 * 60);

  auto cancelled = store_->cancel_visit(offered->visit().visit_id(), "", "li.na", "driver prefers another day",
                                        kT + 2 * kHour + 1, render_);
  ASSERT_TRUE(cancelled) << cancelled.error().what();
  store_.reset();
  GroupingPolicy policy;
  policy.utc_offset_ms = -5 * kHour;
  auto reopened = test::open_case_store(dir_ / "cases.db", 0, policy);
  ASSERT_TRUE(reopened) << reopened.error().what();
  store_ = std::move(*reopened);
  auto again = proposal();
  again.at_ms = kT + 3 * kHour;  // after the withdrawal, whose notice also carries the visit
  ASSERT_TRUE(store_->propose_visit(again, render_));
  offered = last_with_visit();
  ASSERT_NE(offered, nullptr);
  EXPECT_NE(offered->text().find("1) 2026-05-31 15:26"), std::string::npos) << offered->text();
  EXPECT_EQ(offered->visit().utc_offset_minutes(), -5 * 60);
}

TEST_F(VisitTest, AProposalOffersSlotsAndTheDriversPickBooksOne) {
  auto v = propose();
  EXPECT_EQ(v.state, VisitState::proposed);
  ASSERT_EQ(v.slots.size(), 2u);
  EXPECT_NE(v.slots[0].id, v.slots[1].id);
  EXPECT_EQ(store_->find_case(number_)->value().state, CaseState::appointment);
  const auto* offered = last_with_visit();
  ASSERT_NE(offered, nullptr);
  EXPECT_EQ(offered->visit().stage(), wire::VISIT_PROPOSED);
  EXPECT_EQ(offered->visit().slots_size(), 2);
  EXPECT_EQ(offered->report_id(), report_id_);
  EXPECT_NE(offered->text().find("Pudong 4S"), std::string::npos) << offered->text();

  auto o = pick(v, 1);
  EXPECT_TRUE(o.receipt_matched);
  ASSERT_EQ(o.notices.size(), 1u);  // the booking confirmed, sent at once
  auto booked = store_->visit(v.id, "");
  ASSERT_TRUE(booked && *booked);
  EXPECT_EQ((*booked)->state, VisitState::booked);
  ASSERT_TRUE((*booked)->booked);
  EXPECT_EQ((*booked)->booked->id, v.slots[1].id);
  EXPECT_EQ((*booked)->dealer_code, kDealer);
  const auto* confirmed = last_with_visit();
  ASSERT_NE(confirmed, nullptr);
  EXPECT_EQ(confirmed->visit().stage(), wire::VISIT_BOOKED);
  EXPECT_EQ(confirmed->visit().booked().slot_id(), v.slots[1].id);

  // A case has one visit at a time.
  auto again = store_->propose_visit(proposal(), render_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, make_error_code(CaseErrc::invalid_request));  // 409: offer new slots on it
}

TEST_F(VisitTest, StagesGoInOrderAndOnlyTheBookedDealerEntersThem) {
  auto v = propose();
  pick(v, 0);
  auto early = stage(v.id, VisitState::inspection, kT + 3 * kDay);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, make_error_code(VisitErrc::invalid_stage));
  EXPECT_NE(early.error().detail.find("the next stage is checked_in"), std::string::npos) << early.error().detail;
  auto other = stage(v.id, VisitState::checked_in, kT + 3 * kDay, "BJ-002");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, make_error_code(VisitErrc::not_found));  // not even its existence

  std::int64_t t = kT + 3 * kDay;
  for (auto s : {VisitState::checked_in, VisitState::inspection, VisitState::diagnosis}) {
    auto r = stage(v.id, s, t += kHour);
    ASSERT_TRUE(r) << to_string(s) << ": " << r.error().what();
    EXPECT_EQ(r->state, s);
  }
  auto diagnosed = store_->visit(v.id, kDealer);
  ASSERT_TRUE(diagnosed && *diagnosed);
  EXPECT_EQ((*diagnosed)->evidence.dtcs, std::vector<std::string>{"P0700"});
  EXPECT_EQ((*diagnosed)->evidence.dealer_dtcs_confirmed, std::vector<std::string>{"P0700"});
  const auto* told = last_with_visit();
  ASSERT_NE(told, nullptr);
  EXPECT_EQ(told->visit().stage(), wire::VISIT_DIAGNOSIS);
  EXPECT_EQ(told->visit().ready_at_ms(), kT + 3 * kDay + 6 * kHour);
  EXPECT_NE(told->text().find("worn clutch pack"), std::string::npos) << told->text();

  ASSERT_TRUE(repair(v.id, 20000, t += kHour));
  // A failed quality check sends the car back to repair, and the driver is told so.
  StageEntry failed;
  failed.visit_id = v.id;
  failed.stage = VisitState::quality_check;
  failed.passed = false;
  failed.actor = "dealer:SH-001:wang";
  failed.dealer_code = kDealer;
  failed.at_ms = t += kHour;
  auto back = store_->record_stage(failed, render_);
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(back->state, VisitState::repair);
  EXPECT_TRUE(last_with_visit()->visit().quality_failed());
  auto skip = stage(v.id, VisitState::handed_over, t += kHour);
  EXPECT_EQ(skip.error().code, make_error_code(VisitErrc::invalid_stage));
  ASSERT_TRUE(stage(v.id, VisitState::quality_check, t += kHour));
  auto done = stage(v.id, VisitState::handed_over, t += kHour);
  ASSERT_TRUE(done) << done.error().what();

  // The handover closes the case and is its survey request.
  EXPECT_EQ(store_->find_case(number_)->value().state, CaseState::closed);
  const auto* handover = last_with_visit();
  ASSERT_NE(handover, nullptr);
  EXPECT_EQ(handover->visit().stage(), wire::VISIT_HANDED_OVER);
  EXPECT_EQ(handover->status(), wire::CASE_STATUS_CLOSED);
  EXPECT_NE(handover->text().find("700.00 CNY"), std::string::npos) << handover->text();  // 500 + 200 labour
  std::vector<std::string> kinds;
  for (const auto& s : done->stages) kinds.emplace_back(to_string(s.stage));
  EXPECT_EQ(kinds, (std::vector<std::string>{"proposed", "booked", "checked_in", "inspection", "diagnosis", "repair",
                                             "quality_check", "quality_check", "handed_over"}));
}

// The car shows the approval prompt from the visit's latest update: every update while the
// approval waits carries it, so a repair entered within the estimate meanwhile does not take the
// driver's "approve" away.
TEST_F(VisitTest, EveryUpdateWhileAnApprovalWaitsCarriesTheExtraCost) {
  auto v = propose();
  pick(v, 0);
  std::int64_t t = kT + 3 * kDay;
  ASSERT_TRUE(diagnose(v.id, t));
  auto approval = store_->request_approval(ApprovalRequest{v.id, Money{15000, "CNY"}, "clutch housing seal",
                                                           "dealer:SH-001:wang", kDealer, t += kHour},
                                           render_);
  ASSERT_TRUE(approval) << approval.error().what();
  auto within = repair(v.id, 20000, t += kHour);  // 500 + 200 <= 800: no approval needed for it
  ASSERT_TRUE(within) << within.error().what();
  const auto* latest = last_with_visit();
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->visit().stage(), wire::VISIT_REPAIR);
  ASSERT_TRUE(latest->visit().has_extra_cost());
  EXPECT_EQ(latest->visit().extra_cost().approval_id(), approval->id);
  EXPECT_EQ(latest->visit().extra_cost().amount().minor(), 15000);
  // Answered, the prompt goes from the next update.
  wire::VisitReply yes;
  yes.set_visit_id(v.id);
  yes.set_action(wire::VisitReply::APPROVE_EXTRA);
  yes.set_approval_id(approval->id);
  EXPECT_TRUE(reply(yes, t += kHour).receipt_matched);
  ASSERT_TRUE(stage(v.id, VisitState::quality_check, t += kHour));
  latest = last_with_visit();
  ASSERT_NE(latest, nullptr);
  EXPECT_FALSE(latest->visit().has_extra_cost());
}

TEST_F(VisitTest, ExtraCostWaitsForTheDriversApproval) {
  auto v = propose();
  pick(v, 0);
  std::int64_t t = kT + 3 * kDay;
  ASSERT_TRUE(diagnose(v.id, t));
  auto over = repair(v.id, 40000, t += kHour);  // 500 + 400 > 800 estimate
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, make_error_code(VisitErrc::approval_required));
  EXPECT_NE(over.error().detail.find("by 100.00 CNY"), std::string::npos) << over.error().detail;

  auto approval = store_->request_approval(ApprovalRequest{v.id, Money{15000, "CNY"}, "clutch housing seal",
                                                           "dealer:SH-001:wang", kDealer, t += kHour},
                                           render_);
  ASSERT_TRUE(approval) << approval.error().what();
  const auto* asked = last_with_visit();
  ASSERT_NE(asked, nullptr);
  EXPECT_EQ(asked->visit().extra_cost().approval_id(), approval->id);
  EXPECT_EQ(asked->visit().extra_cost().amount().minor(), 15000);
  auto still = repair(v.id, 40000, t += kHour);
  ASSERT_FALSE(still);
  EXPECT_NE(still.error().detail.find("waiting for the driver"), std::string::npos) << still.error().detail;
  auto wrong_currency = store_->request_approval(ApprovalRequest{v.id, Money{100, "EUR"}, "x", "dealer:SH-001:wang",
                                                                 kDealer, t},
                                                 render_);
  EXPECT_EQ(wrong_currency.error().code, make_error_code(VisitErrc::invalid_request));

  wire::VisitReply yes;
  yes.set_visit_id(v.id);
  yes.set_action(wire::VisitReply::APPROVE_EXTRA);
  yes.set_approval_id(approval->id);
  const auto id = new_uuid();
  EXPECT_TRUE(reply(yes, t += kHour, test::kVinA, id).receipt_matched);
  EXPECT_TRUE(reply(yes, t, test::kVinA, id).receipt_matched);  // the re-send changes nothing
  auto twice = reply(yes, t, test::kVinA);                      // a second answer is refused
  EXPECT_FALSE(twice.receipt_matched);
  EXPECT_GT(twice.dead_letter_id, 0);
  auto after = store_->visit(v.id, "");
  EXPECT_EQ((*after)->approved_extra.minor, 15000);  // counted once
  EXPECT_EQ((*after)->approvals.at(0).state, "approved");
  ASSERT_TRUE(repair(v.id, 40000, t += kHour));
}

// A visit's handover closes the case as a resolution does: the driver who rated an earlier
// resolution and answered the handover's survey after a reopen has answered two closings.
TEST_F(VisitTest, TheHandoverSurveyIsAClosingOfItsOwnAfterAnEarlierResolution) {
  TransitionRequest resolve{number_, CaseState::resolved, "li.na", "fixed", kT + kHour, {}, {}, {}};
  ASSERT_TRUE(store_->transition(resolve, render_));
  auto sent = store_->case_notifications(number_);
  ASSERT_TRUE(sent) << sent.error().what();
  const auto resolved = std::find_if(sent->begin(), sent->end(), [](const auto& n) { return n.event == "resolved"; });
  ASSERT_NE(resolved, sent->end());
  const auto answer = [&](const std::string& id, int score, std::int64_t at) {
    wire::SurveyAnswer a;
    a.set_notification_id(id);
    a.set_score(static_cast<std::uint32_t>(score));
    auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), test::kVinA, a, at, "t", "s"}},
                                         render_);
    ASSERT_TRUE(out) << out.error().what();
    EXPECT_TRUE(out->front().receipt_matched);
  };
  answer(resolved->id, 2, kT + kHour);
  for (auto to : {CaseState::reopened, CaseState::in_progress}) {
    TransitionRequest r{number_, to, "li.na", "still shifts harshly", kT + kHour, {}, {}, {}};
    ASSERT_TRUE(store_->transition(r, render_));
  }
  auto v = propose();
  pick(v, 0);
  std::int64_t t = kT + 3 * kDay;
  const auto handover = hand_over(v.id, t);
  ASSERT_FALSE(handover.empty());
  answer(handover, 5, t + kHour);
  auto csat = store_->survey_score();
  ASSERT_TRUE(csat) << csat.error().what();
  EXPECT_EQ(*csat, (std::pair<double, std::int64_t>{3.5, 2}));
}

TEST_F(VisitTest, ALowSurveyScoreOpensAFollowUpForAfterSales) {
  auto v = propose();
  pick(v, 0);
  std::int64_t t = kT + 3 * kDay;
  const auto handover = hand_over(v.id, t);
  ASSERT_FALSE(handover.empty());

  wire::SurveyAnswer a;
  a.set_notification_id(handover);
  a.set_score(2);
  a.set_comment("waited two hours at pick-up");
  auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), test::kVinA, a, t + kHour, "t",
                                                                    "survey"}},
                                       render_);
  ASSERT_TRUE(out) << out.error().what();
  ASSERT_TRUE(out->front().receipt_matched);
  ASSERT_EQ(out->front().notices.size(), 1u);  // the car is told an advisor will call

  auto visit = store_->visit(v.id, "");
  ASSERT_TRUE(visit && *visit);
  ASSERT_TRUE((*visit)->survey);
  EXPECT_EQ((*visit)->survey->first, 2);
  ASSERT_FALSE((*visit)->follow_up_case.empty());
  auto follow = store_->find_case((*visit)->follow_up_case);
  ASSERT_TRUE(follow && *follow);
  EXPECT_EQ((*follow)->team, "after_sales");
  EXPECT_EQ((*follow)->vin, test::kVinA);
  EXPECT_EQ((*follow)->channel, "follow_up");
  EXPECT_EQ((*follow)->first_reply_due_ms, t + kHour + kFollowUpResponseMs);
  auto env = codec::decode(out->front().notices[0].payload);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->notification().case_number(), (*follow)->case_number);
  EXPECT_EQ(env->notification().report_id(), report_id_);  // shown on the driver's report

  // The follow-up's own moves reach the car on the same report (it has none of its own).
  TransitionRequest ack{
      (*follow)->case_number, CaseState::acknowledged, "zhou", "calling back", t + 3 * kHour, {}, {}, {}};
  auto moved = store_->transition(ack, render_);
  ASSERT_TRUE(moved) << moved.error().what();
  ASSERT_EQ(moved->notifications.size(), 1u);
  bool found = false;
  for (const auto& n : to_car()) {
    if (n.case_number() == (*follow)->case_number && n.status() == wire::CASE_STATUS_RECEIVED) {
      EXPECT_EQ(n.report_id(), report_id_);
      found = true;
    }
  }
  EXPECT_TRUE(found);

  // A follow-up holds no report of its own, yet it is a case like any: resolved, it may be
  // reopened (a case without reports is refused that only when it was merged away).
  for (auto to : {CaseState::assigned, CaseState::in_progress, CaseState::resolved, CaseState::reopened}) {
    TransitionRequest move{(*follow)->case_number, to, "zhou", "follow-up", t + 4 * kHour, "zhou", {}, {}};
    auto r = store_->transition(move, render_);
    ASSERT_TRUE(r) << to_string(to) << ": " << r.error().what();
  }

  // The same answer again opens nothing more.
  auto again = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), test::kVinA, a, t + 2 * kHour, "t",
                                                                      "survey"}},
                                         render_);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->front().notices.empty());

  // Closed, it still counts in the figures: only a case merged away drops out of them.
  auto analytics = test::open_analytics(dir_ / "cases.db");
  ASSERT_TRUE(analytics) << analytics.error().what();
  const DashboardQuery month{kT - kDay, t + 30 * kDay, {}, t + 10 * kHour, Bucket::day};
  const auto open_count = (*analytics)->dashboard(month).value().cases_created;
  for (auto to : {CaseState::in_progress, CaseState::resolved, CaseState::closed}) {
    TransitionRequest move{(*follow)->case_number, to, "zhou", "follow-up done", t + 5 * kHour, "zhou", {}, {}};
    auto r = store_->transition(move, render_);
    ASSERT_TRUE(r) << to_string(to) << ": " << r.error().what();
  }
  EXPECT_EQ((*analytics)->dashboard(month).value().cases_created, open_count);
}

TEST_F(VisitTest, StaleOrForeignRepliesAreDeadLetteredWithTheReason) {
  auto v = propose();
  wire::VisitReply r;
  r.set_visit_id(v.id);
  r.set_action(wire::VisitReply::PICK_SLOT);
  r.set_slot_id(v.slots[0].id);
  auto foreign = reply(r, kT + 3 * kHour, test::kVinB);
  EXPECT_FALSE(foreign.receipt_matched);
  r.set_slot_id("p9s1");
  auto unknown_slot = reply(r, kT + 3 * kHour);
  EXPECT_FALSE(unknown_slot.receipt_matched);
  auto letters = store_->list_dead_letters(10);
  ASSERT_TRUE(letters);
  ASSERT_GE(letters->size(), 2u);
  std::string details;
  for (const auto& d : *letters) details += d.detail + "\n";
  EXPECT_NE(details.find("unknown for this car"), std::string::npos) << details;
  EXPECT_NE(details.find("slot p9s1 was not offered"), std::string::npos) << details;

  // New slots replace the old: a pick from the first proposal no longer books anything.
  auto old_slot = v.slots[0].id;
  VisitProposal again = proposal();
  again.case_number.clear();
  again.visit_id = v.id;
  again.estimate.reset();
  auto renewed = store_->propose_visit(again, render_);
  ASSERT_TRUE(renewed) << renewed.error().what();
  EXPECT_NE(renewed->slots[0].id, old_slot);
  r.set_slot_id(old_slot);
  EXPECT_FALSE(reply(r, kT + 4 * kHour).receipt_matched);

  pick(*renewed, 0, kT + 5 * kHour);
  wire::VisitReply decline;
  decline.set_visit_id(v.id);
  decline.set_action(wire::VisitReply::DECLINE);
  EXPECT_FALSE(reply(decline, kT + 6 * kHour).receipt_matched);  // booked: cancel, not decline
  wire::VisitReply cancel = decline;
  cancel.set_action(wire::VisitReply::CANCEL);
  cancel.set_reason("car sold");
  EXPECT_TRUE(reply(cancel, kT + 6 * kHour).receipt_matched);
  EXPECT_EQ(store_->visit(v.id, "")->value().state, VisitState::cancelled);
  EXPECT_EQ(store_->find_case(number_)->value().state, CaseState::in_progress);  // the team goes on
}

TEST_F(VisitTest, OneReminderBeforeTheBookedSlot) {
  auto v = propose();
  pick(v, 0);  // 3 days out
  const auto start = v.slots[0].start_ms;
  auto next = store_->next_sla_deadline();
  ASSERT_TRUE(next && *next);
  EXPECT_LE(**next, start - kDay);
  auto before = store_->process_sla(start - kDay - 1, render_);
  ASSERT_TRUE(before);
  for (const auto& e : *before) EXPECT_NE(e.kind, "visit_reminder");
  auto at = store_->process_sla(start - kDay, render_);
  ASSERT_TRUE(at);
  EXPECT_EQ(std::count_if(at->begin(), at->end(), [](const auto& e) { return e.kind == "visit_reminder"; }), 1);
  const auto* reminder = last_with_visit();
  ASSERT_NE(reminder, nullptr);
  EXPECT_TRUE(reminder->visit().reminder());
  auto later = store_->process_sla(start - kHour, render_);
  ASSERT_TRUE(later);
  EXPECT_EQ(std::count_if(later->begin(), later->end(), [](const auto& e) { return e.kind == "visit_reminder"; }), 0);
}

// Resolved or closed by hand around a booked visit, the case would still remind the driver to
// drive to the dealer: refused until the visit is handed over or cancelled.
TEST_F(VisitTest, ACaseWithAVisitUnderWayIsNotResolvedOrClosedByHand) {
  auto v = propose();
  pick(v, 0);
  TransitionRequest resolve{number_, CaseState::resolved, "li.na", "fixed over the air", kT + 4 * kHour, {}, {}, {}};
  auto refused = store_->transition(resolve, render_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(CaseErrc::invalid_transition));
  EXPECT_NE(refused.error().detail.find("service visit under way"), std::string::npos) << refused.error().detail;
  EXPECT_EQ(store_->find_case(number_)->value().state, CaseState::appointment);

  ASSERT_TRUE(store_->cancel_visit(v.id, "", "li.na", "fixed over the air", kT + 4 * kHour, render_));
  auto resolved = store_->transition(resolve, render_);
  ASSERT_TRUE(resolved) << resolved.error().what();
  auto reminders = store_->process_sla(v.slots[0].start_ms - kDay, render_);
  ASSERT_TRUE(reminders);
  for (const auto& e : *reminders) EXPECT_NE(e.kind, "visit_reminder");
}

TEST_F(VisitTest, ACallbackIsQueuedPickedUpByOneAgentAndLoggedOnTheCase) {
  wire::CallbackRequest req;
  req.set_report_id(report_id_);
  req.set_phone("13800138000");
  req.set_language("zh-CN");
  const auto id = new_uuid();
  auto in = store_->apply_car_replies(std::vector<CarReplyIntake>{{id, test::kVinA, req, kT + 2 * kHour, "t", "cb"}},
                                      render_);
  ASSERT_TRUE(in && in->front().receipt_matched);
  auto second = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), test::kVinA, req, kT + 2 * kHour,
                                                                       "t", "cb2"}},
                                          render_);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->front().receipt_matched);  // one open callback per case
  wire::CallbackRequest foreign = req;
  auto other_car = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), test::kVinB, foreign,
                                                                          kT + 2 * kHour, "t", "cb3"}},
                                             render_);
  EXPECT_FALSE(other_car->front().receipt_matched);
  // Another car reusing the first request's id: refused as a dead letter, not taken for a re-send.
  auto same_id = store_->apply_car_replies(std::vector<CarReplyIntake>{{id, test::kVinB, foreign, kT + 2 * kHour, "t",
                                                                        "cb4"}},
                                           render_);
  ASSERT_TRUE(same_id);
  EXPECT_FALSE(same_id->front().receipt_matched);
  EXPECT_GT(same_id->front().dead_letter_id, 0);
  auto resent = store_->apply_car_replies(std::vector<CarReplyIntake>{{id, test::kVinA, req, kT + 2 * kHour, "t",
                                                                       "cb"}},
                                          render_);
  ASSERT_TRUE(resent);
  EXPECT_TRUE(resent->front().receipt_matched) << "the first car's re-send, applied the first time";

  CallbackQuery queued;
  queued.states = {CallbackState::queued};
  auto queue = store_->callbacks(queued);
  ASSERT_TRUE(queue);
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ(queue->front().id, id);
  EXPECT_EQ(queue->front().case_number, number_);
  // A team sees the callbacks of its own cases only.
  const auto team = store_->find_case(number_).value()->team;
  queued.teams = {"product_planning", team};
  EXPECT_EQ(store_->callbacks(queued).value().size(), 1u);
  queued.teams = {"no_such_team"};
  EXPECT_TRUE(store_->callbacks(queued).value().empty());

  auto picked = store_->pick_up_callback(id, "zhang.wei", kT + 2 * kHour + 40'000, render_);
  ASSERT_TRUE(picked) << picked.error().what();
  EXPECT_EQ(picked->picked_ms - picked->requested_ms, 40'000);
  auto taken = store_->pick_up_callback(id, "li.na", kT + 2 * kHour + 41'000, render_);
  EXPECT_EQ(taken.error().code, make_error_code(VisitErrc::already_taken));
  EXPECT_NE(taken.error().detail.find("zhang.wei"), std::string::npos);
  auto not_mine = store_->log_callback(id, "li.na", false, "talked", "", kT + 3 * kHour, render_);
  EXPECT_EQ(not_mine.error().code, make_error_code(VisitErrc::already_taken));
  auto logged = store_->log_callback(id, "zhang.wei", false, "explained the shift adaptation reset", "calm",
                                     kT + 3 * kHour, render_);
  ASSERT_TRUE(logged) << logged.error().what();
  EXPECT_EQ(logged->state, CallbackState::logged);

  std::vector<wire::CallbackState> told;
  for (const auto& n : to_car())
    if (n.has_callback()) told.push_back(n.callback().state());
  EXPECT_EQ(told, (std::vector<wire::CallbackState>{wire::CALLBACK_PICKED_UP, wire::CALLBACK_LOGGED}));
  auto events = store_->case_events(number_);
  ASSERT_TRUE(events);
  EXPECT_TRUE(std::any_of(events->begin(), events->end(), [](const CaseEvent& e) {
    return e.kind == "callback" && e.detail.find("explained the shift") != std::string::npos;
  }));
}

TEST_F(VisitTest, AmountsThatWouldOverflowAreRefusedNotWrappedPastTheApproval) {
  auto v = propose();
  pick(v, 0);
  std::int64_t t = kT + 3 * kDay;
  ASSERT_TRUE(diagnose(v.id, t));
  StageEntry e;
  e.visit_id = v.id;
  e.stage = VisitState::repair;
  e.actor = "dealer:SH-001:wang";
  e.dealer_code = kDealer;
  e.at_ms = t += kHour;
  e.parts = {Part{"gearbox", 4, Money{std::int64_t{1} << 62, "CNY"}}};  // 4 * 2^62 would wrap to 0
  auto r = store_->record_stage(e, render_);
  ASSERT_FALSE(r) << "a wrapped total was accepted";
  EXPECT_EQ(r.error().code, make_error_code(VisitErrc::invalid_request));
  e.parts = {Part{"gearbox", 1000, Money{999'999'999'999, "CNY"}},
             Part{"gearbox", 1000, Money{999'999'999'999, "CNY"}}};
  auto big = store_->record_stage(e, render_);  // large but representable: needs the driver's approval
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, make_error_code(VisitErrc::approval_required));
}

TEST_F(VisitTest, TheHandoverClosesTheCaseEvenIfItChangedHandsDuringTheVisit) {
  auto v = propose();
  pick(v, 0);
  std::int64_t t = kT + 3 * kDay;
  ASSERT_TRUE(stage(v.id, VisitState::checked_in, t += kHour));
  for (auto to : {CaseState::in_progress, CaseState::assigned}) {
    TransitionRequest r{number_, to, "li.na", "colleague takes over", t += kHour, "zhou", {}, {}};
    auto moved = store_->transition(r, render_);
    ASSERT_TRUE(moved) << moved.error().what();
  }
  for (auto s : {VisitState::inspection, VisitState::diagnosis}) ASSERT_TRUE(stage(v.id, s, t += kHour));
  ASSERT_TRUE(repair(v.id, 10000, t += kHour));
  ASSERT_TRUE(stage(v.id, VisitState::quality_check, t += kHour));
  ASSERT_TRUE(stage(v.id, VisitState::handed_over, t += kHour));
  const auto* handover = last_with_visit();
  ASSERT_NE(handover, nullptr);
  EXPECT_EQ(handover->status(), wire::CASE_STATUS_CLOSED);                  // the car is told CLOSED ...
  EXPECT_EQ(store_->find_case(number_)->value().state, CaseState::closed);  // ... and it is
}

TEST_F(VisitTest, ADealerSeesItsOwnSlotsOnlyAndCannotWithdrawAnotherDealersOffer) {
  auto p = proposal();
  p.slots.push_back(VisitSlot{"", "BJ-002", "Chaoyang 4S", kT + 5 * kDay, kT + 5 * kDay + kHour, "gearbox check"});
  auto v = store_->propose_visit(p, render_);
  ASSERT_TRUE(v) << v.error().what();
  auto seen = store_->visit(v->id, "BJ-002");
  ASSERT_TRUE(seen && *seen);
  EXPECT_EQ((*seen)->slots.size(), 1u) << "BJ-002 sees SH-001's slots too";
  for (const auto& st : (*seen)->stages) EXPECT_EQ(st.detail.find("SH-001"), std::string::npos) << st.detail;
  auto c = store_->cancel_visit(v->id, "BJ-002", "dealer:BJ-002:x", "no capacity", kT + 3 * kHour, render_);
  ASSERT_FALSE(c) << "BJ-002 cancelled the whole visit, SH-001's slots included";
  EXPECT_EQ(c.error().code, make_error_code(VisitErrc::invalid_stage));
  VisitProposal mine = proposal();
  mine.case_number.clear();
  mine.visit_id = v->id;
  mine.estimate.reset();
  mine.dealer_code = "BJ-002";
  mine.slots = {VisitSlot{"", "BJ-002", "Chaoyang 4S", kT + 6 * kDay, kT + 6 * kDay + kHour, "gearbox check"}};
  EXPECT_EQ(store_->propose_visit(mine, render_).error().code, make_error_code(VisitErrc::invalid_stage));
  EXPECT_EQ(store_->visit(v->id, "")->value().slots.size(), 3u);  // the team sees all
}

TEST_F(VisitTest, AnErasedCarGetsNoReminderAndNoVisitNotice) {
  auto v = propose();
  pick(v, 0);
  const auto start = v.slots[0].start_ms;
  auto erased = store_->erase_subject(test::kVinA, "", "dpo", kT + 4 * kHour);
  ASSERT_TRUE(erased) << erased.error().what();
  auto at = store_->process_sla(start - kDay, render_);
  ASSERT_TRUE(at) << at.error().what();
  ASSERT_TRUE(stage(v.id, VisitState::checked_in, start));  // the dealer goes on; nothing goes to a car
  EXPECT_EQ(std::count_if(at->begin(), at->end(), [](const auto& e) { return e.kind == "visit_reminder"; }), 0);
  auto due = store_->due_notifications(kT + 365 * kDay, 1000);
  ASSERT_TRUE(due);
  for (const auto& n : *due) EXPECT_FALSE(n.vin.empty()) << "a notification queued for an erased (empty) VIN: " << n.id;
}

TEST_F(VisitTest, AnApprovalUnansweredWhenTheRepairIsDoneLapsesAndALateAnswerCountsForNothing) {
  auto v = propose();
  pick(v, 0);
  std::int64_t t = kT + 3 * kDay;
  ASSERT_TRUE(diagnose(v.id, t));
  auto asked = store_->request_approval(ApprovalRequest{v.id, Money{15000, "CNY"}, "seal", "dealer:SH-001:wang",
                                                        kDealer, t += kHour},
                                        render_);
  ASSERT_TRUE(asked);
  ASSERT_TRUE(repair(v.id, 10000, t += kHour));  // within the estimate: the dealer did not wait
  ASSERT_TRUE(stage(v.id, VisitState::quality_check, t += kHour));
  wire::VisitReply yes;
  yes.set_visit_id(v.id);
  yes.set_action(wire::VisitReply::APPROVE_EXTRA);
  yes.set_approval_id(asked->id);
  EXPECT_FALSE(reply(yes, t += kHour).receipt_matched);
  auto after = store_->visit(v.id, "");
  EXPECT_EQ((*after)->approvals.at(0).state, "lapsed");
  EXPECT_EQ((*after)->approved_extra.minor, 0);
}

TEST_F(VisitTest, ASlotAlreadyPastCannotBeBooked) {
  auto v = propose();
  const auto start = v.slots[0].start_ms;
  auto late = pick(v, 0, start + kHour);  // the car was offline; the slot is over
  EXPECT_FALSE(late.receipt_matched) << "booked a slot that started an hour ago";
}

TEST_F(VisitTest, ErasureRemovesTheSurveyCommentAndTheDriversReasons) {
  auto v = propose();
  pick(v, 0);
  wire::VisitReply r;
  r.set_visit_id(v.id);
  r.set_action(wire::VisitReply::RESCHEDULE);
  r.set_reason("call my wife on 13800138000 first");
  ASSERT_TRUE(reply(r, kT + 4 * kHour).receipt_matched);
  auto p = proposal();
  p.visit_id = v.id;
  p.estimate.reset();
  p.at_ms = kT + 5 * kHour;
  auto again = store_->propose_visit(p, render_);
  ASSERT_TRUE(again) << again.error().what();
  pick(*again, 0, kT + 6 * kHour);
  std::int64_t t = kT + 3 * kDay;
  const auto handover = hand_over(v.id, t);
  ASSERT_FALSE(handover.empty());
  wire::SurveyAnswer a;
  a.set_notification_id(handover);
  a.set_score(1);
  a.set_comment("SECRET-COMMENT rude staff");
  auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), test::kVinA, a, t + kHour, "t", "s"}},
                                       render_);
  ASSERT_TRUE(out && out->front().receipt_matched);
  auto visit = store_->visit(v.id, "");
  const auto follow = (*visit)->follow_up_case;
  ASSERT_TRUE(store_->erase_subject(test::kVinA, "", "dpo", t + 2 * kHour));
  for (const auto& number : {number_, follow}) {
    auto events = store_->case_events(number);
    ASSERT_TRUE(events);
    for (const auto& e : *events) {
      EXPECT_EQ(e.detail.find("SECRET-COMMENT"), std::string::npos) << number << " " << e.kind << ": " << e.detail;
    }
  }
  auto after = store_->visit(v.id, "");
  for (const auto& s : (*after)->stages)
    EXPECT_EQ(s.note.find("13800138000"), std::string::npos) << "stage " << to_string(s.stage) << " note: " << s.note;
}

// Erasing a car leaves nothing of it in the callback queue: no VIN beside the case number (which
// would tie the kept case back to the car), no phone, and no call still waiting for an agent.
TEST_F(VisitTest, ErasingACarCancelsItsWaitingCallbackAndLeavesNoVinInTheQueue) {
  ASSERT_TRUE(ask_callback(new_uuid(), "13800138000", kT + 2 * kHour));
  ASSERT_TRUE(store_->erase_subject(test::kVinA, "", "dpo", kT + 3 * kHour));
  auto all = store_->callbacks(CallbackQuery{});
  ASSERT_TRUE(all) << all.error().what();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().vin, "");
  EXPECT_EQ(all->front().phone, "");
  EXPECT_EQ(all->front().state, CallbackState::cancelled);
  CallbackQuery queued;
  queued.states = {CallbackState::queued};
  EXPECT_TRUE(store_->callbacks(queued).value().empty());
  auto db = test::open_store_database(dir_ / "cases.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_int(std::string("SELECT count(*) FROM callbacks WHERE vin = '") + test::kVinA + "'"), 0);
}

// Erasing a phone number takes the agent's words about the call with it: its note and outcome
// in the callback and its entry in the case history.
TEST_F(VisitTest, ErasingAPhoneNumberErasesTheCallsNoteAndOutcome) {
  const auto id = new_uuid();
  ASSERT_TRUE(ask_callback(id, "13900139000", kT + 2 * kHour));
  ASSERT_TRUE(store_->pick_up_callback(id, "zhang.wei", kT + 2 * kHour + 40'000, render_));
  ASSERT_TRUE(store_->log_callback(id, "zhang.wei", false, "SECRET-NOTE her husband drives", "SECRET-OUTCOME calm",
                                   kT + 3 * kHour, render_));
  ASSERT_TRUE(store_->erase_subject("", "13900139000", "dpo", kT + 4 * kHour));
  auto all = store_->callbacks(CallbackQuery{});
  ASSERT_TRUE(all) << all.error().what();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().phone, "");
  EXPECT_EQ(all->front().note, "");
  EXPECT_EQ(all->front().outcome, "");
  const auto events = store_->case_events(number_).value();
  for (const auto& e : events) EXPECT_EQ(e.detail.find("SECRET-"), std::string::npos) << e.kind << ": " << e.detail;
  auto db = test::open_store_database(dir_ / "cases.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_int("SELECT count(*) FROM notifications WHERE event = 'callback_logged'"), 0);
}

// Only the calls to the erased number lose their record: another call on the same case keeps its.
TEST_F(VisitTest, ErasingAPhoneNumberLeavesTheCaseOtherCallsAlone) {
  const auto call = [&](const std::string& phone, const std::string& note, std::int64_t at) {
    const auto id = new_uuid();
    EXPECT_TRUE(ask_callback(id, phone, at));
    EXPECT_TRUE(store_->pick_up_callback(id, "zhang.wei", at + 30'000, render_));
    EXPECT_TRUE(store_->log_callback(id, "zhang.wei", false, note, "outcome " + note, at + kHour, render_));
  };
  call("13900139000", "ERASE-ME", kT + 2 * kHour);
  call("13700137000", "KEEP-ME", kT + 4 * kHour);
  ASSERT_TRUE(store_->erase_subject("", "13900139000", "dpo", kT + 6 * kHour));
  std::string history;
  const auto events = store_->case_events(number_).value();
  for (const auto& e : events) history += e.kind + ": " + e.detail + "\n";
  EXPECT_EQ(history.find("ERASE-ME"), std::string::npos) << history;
  EXPECT_NE(history.find("KEEP-ME"), std::string::npos) << history;
  auto db = test::open_store_database(dir_ / "cases.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_int("SELECT count(*) FROM notifications WHERE event = 'callback_logged'"), 1);
}

// A case with a visit under way is not merged away: the visit would hang on a closed case with
// no reports, and the other case could propose a second one to the same car.
TEST_F(VisitTest, ACaseWithAVisitUnderWayIsNotMergedAway) {
  auto v = propose();
  pick(v, 0);
  auto other = test::valid_report_envelope(test::kVinA, "空调不制冷");
  auto in = test::intake(other, kT + kHour);
  auto out = store_->commit_batch(std::vector<BatchItem>{std::move(in)}, test::simple_notifications());
  ASSERT_TRUE(out && out->front().accepted);
  const auto second = out->front().accepted->case_number;
  ASSERT_NE(second, number_);
  auto merged = store_->merge_cases(number_, second, "li.na", kT + 2 * kHour, render_);
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().code, make_error_code(CaseErrc::invalid_request));
  EXPECT_NE(merged.error().detail.find("service visit under way"), std::string::npos) << merged.error().detail;
  EXPECT_EQ(store_->find_case(number_).value()->state, CaseState::appointment);
  // The other way round is fine: the visit's case takes the other one's reports.
  EXPECT_TRUE(store_->merge_cases(second, number_, "li.na", kT + 2 * kHour, render_));
}

// A callback nobody picks up, or picked up and never logged, does not stay open for ever: the SLA
// pass cancels it, records why and tells the car, and the driver may ask again.
TEST_F(VisitTest, AnUnansweredOrUnloggedCallbackIsCancelledAndTheDriverMayAskAgain) {
  const auto first = new_uuid();
  std::int64_t t = kT + 2 * kHour;
  ASSERT_TRUE(ask_callback(first, "13800138000", t));
  ASSERT_TRUE(store_->process_sla(t + kCallbackUnansweredMs - 1, render_));
  EXPECT_EQ(store_->callbacks(CallbackQuery{first}).value().front().state, CallbackState::queued);
  auto pass = store_->process_sla(t + kCallbackUnansweredMs, render_);
  ASSERT_TRUE(pass) << pass.error().what();
  EXPECT_EQ(std::count_if(pass->begin(), pass->end(), [](const auto& e) { return e.kind == "callback_cancelled"; }), 1);
  EXPECT_EQ(store_->callbacks(CallbackQuery{first}).value().front().state, CallbackState::cancelled);
  bool told = false;
  for (const auto& n : to_car())
    if (n.has_callback() && n.callback().callback_id() == first && n.callback().state() == wire::CALLBACK_CANCELLED)
      told = true;
  EXPECT_TRUE(told);

  // Asked again: a new callback; picked up and never logged, it ends a day later.
  t += 3 * kHour;
  const auto second = new_uuid();
  ASSERT_TRUE(ask_callback(second, "13800138000", t));
  ASSERT_TRUE(store_->pick_up_callback(second, "zhang.wei", t + 30'000, render_));
  ASSERT_TRUE(store_->process_sla(t + kCallbackUnansweredMs + kHour, render_));
  EXPECT_EQ(store_->callbacks(CallbackQuery{second}).value().front().state, CallbackState::picked_up);
  ASSERT_TRUE(store_->process_sla(t + 30'000 + kCallbackUnloggedMs, render_));
  EXPECT_EQ(store_->callbacks(CallbackQuery{second}).value().front().state, CallbackState::cancelled);
  const auto events = store_->case_events(number_).value();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const CaseEvent& e) {
    return e.kind == "callback" && e.detail.find("never logged") != std::string::npos;
  }));
}

TEST_F(VisitTest, TheVisitListFiltersByDealerCaseAndState) {
  auto v = propose();
  VisitQuery mine;
  mine.dealer_code = kDealer;
  auto listed = store_->visits(mine);
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, v.id);
  VisitQuery other;
  other.dealer_code = "OTHER-DEALER";
  auto none = store_->visits(other);
  ASSERT_TRUE(none) << none.error().what();
  EXPECT_TRUE(none->empty());
  VisitQuery by_case;
  by_case.case_number = number_;
  by_case.state = VisitState::proposed;
  auto of_case = store_->visits(by_case);
  ASSERT_TRUE(of_case) << of_case.error().what();
  EXPECT_EQ(of_case->size(), 1u);
  by_case.state = VisitState::booked;
  EXPECT_TRUE(store_->visits(by_case)->empty());
}

}  // namespace
}  // namespace fb::backend
