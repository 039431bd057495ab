// The case lifecycle: transitions (valid and invalid) and their audit, SLA escalation and
// progress updates on explicit times, merging a car's repeated report, clusters and major
// cases, surveys, and reports from other channels.
#include "fb/backend/lifecycle.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_clock.hpp"
#include "fb/backend/ingest.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/topics.hpp"
#include "process.hpp"
#include "store_fixture.hpp"

namespace fb::backend {
namespace {
using test::kDay;
using test::kHour;
using test::kT;

using S = CaseState;

TEST(CaseLifecycle, AllowsTheServiceProcessAndNothingElse) {
  // The path of a case through the process, each step allowed.
  const S path[] = {S::new_,        S::acknowledged, S::assigned, S::in_progress, S::waiting_for_customer,
                    S::in_progress, S::appointment,  S::resolved, S::closed,      S::reopened,
                    S::assigned,    S::in_progress,  S::resolved};
  for (std::size_t i = 0; i + 1 < std::size(path); ++i) {
    EXPECT_TRUE(can_transition(path[i], path[i + 1])) << to_string(path[i]) << " -> " << to_string(path[i + 1]);
  }
  EXPECT_FALSE(can_transition(S::new_, S::resolved));  // nobody looked at it
  EXPECT_FALSE(can_transition(S::new_, S::new_));
  EXPECT_FALSE(can_transition(S::closed, S::in_progress));  // reopen first
  EXPECT_FALSE(can_transition(S::resolved, S::in_progress));
  EXPECT_FALSE(can_transition(S::acknowledged, S::resolved));
  EXPECT_FALSE(can_transition(S::closed, S::closed));
  for (auto s : vocabulary<CaseState>()) EXPECT_FALSE(can_transition(s.value, S::new_)) << s.key;
  EXPECT_EQ(allowed_transitions(S::resolved), "closed, reopened");
}

TEST(CaseLifecycle, TheDriverSeesACoarserStatus) {
  EXPECT_EQ(wire_status(S::new_), wire::CASE_STATUS_RECEIVED);
  EXPECT_EQ(wire_status(S::assigned), wire::CASE_STATUS_RECEIVED);
  EXPECT_EQ(wire_status(S::reopened), wire::CASE_STATUS_IN_PROGRESS);
  EXPECT_EQ(wire_status(S::waiting_for_customer), wire::CASE_STATUS_WAITING_FOR_DRIVER);
  EXPECT_EQ(wire_status(S::appointment), wire::CASE_STATUS_APPOINTMENT);
  EXPECT_EQ(wire_status(S::closed), wire::CASE_STATUS_CLOSED);
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open(GroupingPolicy policy = {}) {
    store_.reset();
    auto s = test::open_case_store(dir_ / "cases.db", 0, policy);
    ASSERT_TRUE(s) << s.error().what();
    store_ = std::move(*s);
  }

  wire::Envelope report(const std::string& vin, const std::string& text, const std::vector<std::string>& dtcs = {},
                        const std::string& software = "HU-3.2.1") {
    auto env = test::valid_report_envelope(vin, text);
    for (const auto& d : dtcs) env.mutable_report()->add_dtcs(d);
    env.mutable_report()->set_software_version(software);
    return env;
  }

  /// Stores one report received at `at_ms` (the car's clock agrees); its outcome.
  ItemOutcome submit(const wire::Envelope& env, std::int64_t at_ms, SlaTargets sla = {}) {
    envs_.push_back(std::make_unique<wire::Envelope>(env));
    envs_.back()->mutable_report()->set_car_time_ms(at_ms);
    auto in = test::intake(*envs_.back(), at_ms);
    in.sla = sla;
    auto out = store_->commit_batch(std::vector<BatchItem>{std::move(in)}, test::simple_notifications());
    EXPECT_TRUE(out) << out.error().what();
    return out ? out->front() : ItemOutcome{};
  }

  std::string new_case(std::int64_t at_ms = kT, SlaTargets sla = {}, const std::string& vin = test::kVinA) {
    auto o = submit(report(vin, "刹车异响 brake squeal"), at_ms, sla);
    EXPECT_TRUE(o.accepted);
    return o.accepted ? o.accepted->case_number : std::string();
  }

  /// Two open cases of car A: an air-con smell at kT (24 h to the first reply, 7 days to the
  /// resolution) and a brake failure an hour later (4 h, 3 days); their numbers, the calm one first.
  std::pair<std::string, std::string> calm_and_urgent_cases() {
    auto calm = submit(report(test::kVinA, "空调出风有异味 the air con smells"), kT,
                       SlaTargets{24 * kHour, 7 * kDay, 0});
    auto urgent = submit(report(test::kVinA, "刹车失灵，踩不下去 brakes failed"), kT + kHour,
                         SlaTargets{4 * kHour, 3 * kDay, 0});
    EXPECT_TRUE(calm.accepted && urgent.accepted);
    if (!calm.accepted || !urgent.accepted) return {};
    return {calm.accepted->case_number, urgent.accepted->case_number};
  }

  /// Opens the store with a major case from two vehicles; two report P0730 at kT and an hour
  /// later. The major case's number.
  std::string major_case_of_two(const std::string& first_vin, const std::string& second_vin) {
    GroupingPolicy policy;
    policy.major_case_vehicles = 2;
    open(policy);
    submit(report(first_vin, "换挡顿挫", {"P0730"}), kT);
    submit(report(second_vin, "换挡顿挫", {"P0730"}), kT + kHour);
    auto clusters = store_->list_clusters(10);
    EXPECT_TRUE(clusters && !clusters->empty());
    return clusters && !clusters->empty() ? clusters->front().major_case_number : std::string();
  }

  /// Triages the case with `d`, whatever the store reads.
  Result<CaseSummary> triage(const std::string& number, const TriageDecision& d) {
    return store_->triage_case(number, [d](const CaseSummary&) -> Result<TriageDecision> { return d; });
  }

  Result<TransitionOutcome> move(const std::string& number, S to, std::int64_t at_ms = kT + kHour) {
    TransitionRequest r{number, to, "li.na@after_sales", "test step", at_ms, {}, {}, {}};
    if (to == S::assigned) r.assignee = "li.na";
    if (to == S::appointment) {
      r.appointment_when = "2026-06-01 09:30";
      r.appointment_place = "Pudong 4S store";
    }
    return store_->transition(r, render_);
  }

  /// The status and text of a queued notification (empty for the first one, which
  /// test::simple_notifications() does not encode).
  static wire::Notification decode(const StoredNotification& n) {
    auto env = codec::decode(n.payload);
    return env ? env->notification() : wire::Notification{};
  }

  std::vector<StoredNotification> queued(std::int64_t now = kT + 365 * kDay) {
    auto due = store_->due_notifications(now, 1000);
    EXPECT_TRUE(due);
    return due ? *due : std::vector<StoredNotification>{};
  }

  test::TempDir dir_;
  std::unique_ptr<CaseStore> store_;
  std::vector<std::unique_ptr<wire::Envelope>> envs_;  // the intakes point into them
  Notifier notifier_{test::shipped_rules().templates, test::shipped_rules().router};
  NoticeRenderer render_ = [this](const CaseNotice& n) { return notifier_.render(n); };
};

TEST_F(LifecycleTest, EveryTransitionIsAuditedAndTellsTheDriver) {
  const auto number = new_case();
  const auto before = queued().size();  // the first notification
  ASSERT_TRUE(move(number, S::acknowledged));
  ASSERT_TRUE(move(number, S::assigned));
  ASSERT_TRUE(move(number, S::in_progress));
  ASSERT_TRUE(move(number, S::appointment));
  auto resolved = move(number, S::resolved);
  ASSERT_TRUE(resolved) << resolved.error().what();
  EXPECT_EQ(resolved->c.state, S::resolved);
  EXPECT_EQ(resolved->c.assignee, "li.na");

  auto events = store_->case_events(number);
  ASSERT_TRUE(events);
  std::vector<std::string> transitions;
  for (const auto& e : *events) {
    if (e.kind != "transition") continue;
    EXPECT_EQ(e.actor, "li.na@after_sales");
    EXPECT_NE(e.detail.find("\"reason\":\"test step\""), std::string::npos) << e.detail;
    transitions.push_back(e.detail.substr(e.detail.find("\"to\"")));
  }
  ASSERT_EQ(transitions.size(), 5u);
  EXPECT_NE(transitions[3].find("appointment"), std::string::npos);

  auto sent = queued();
  ASSERT_EQ(sent.size(), before + 5);
  // The appointment and the resolution, in the driver's language (the report is zh-CN).
  std::vector<wire::Notification> notes;
  notes.reserve(sent.size());
  for (const auto& n : sent) notes.push_back(decode(n));
  const auto find_status = [&](wire::CaseStatus s) {
    return std::find_if(notes.begin(), notes.end(), [&](const auto& n) { return n.status() == s; });
  };
  auto visit = find_status(wire::CASE_STATUS_APPOINTMENT);
  ASSERT_NE(visit, notes.end());
  EXPECT_NE(visit->text().find("Pudong 4S store"), std::string::npos) << visit->text();
  EXPECT_EQ(visit->language(), "zh");
  auto done = find_status(wire::CASE_STATUS_RESOLVED);
  ASSERT_NE(done, notes.end());
  EXPECT_EQ(done->case_number(), number);

  // Each is recorded on the case with what it told, and the car's receipt when it comes.
  auto recorded = store_->case_notifications(number);
  ASSERT_TRUE(recorded);
  ASSERT_EQ(recorded->size(), 6u);
  EXPECT_EQ(recorded->front().event, "received");
  EXPECT_EQ(recorded->at(2).event, "routed");
  EXPECT_EQ(recorded->at(4).event, "appointment_proposed");
  EXPECT_EQ(recorded->back().event, "resolved");
  auto receipt = store_->commit_batch(std::vector<BatchItem>{ReceiptIntake{recorded->back().id, test::kVinA,
                                                                           wire::RECEIPT_DELIVERED, kT + kDay, "t",
                                                                           "r"}},
                                      test::simple_notifications());
  ASSERT_TRUE(receipt && receipt->front().receipt_matched);
  EXPECT_EQ(store_->case_notifications(number)->back().delivered_ms, kT + kDay);
  EXPECT_EQ(store_->case_notifications(number)->back().state, "delivered");
}

// A team lead merges a duplicate by hand: the car, which showed the report under the case merged
// away, is told the case it now belongs to (as a report that joins an open case at intake), and
// the closing is a transition in the audit like any other.
TEST_F(LifecycleTest, AManualMergeTellsTheCarWhereItsReportWentAndAuditsTheClosing) {
  const auto [calm, urgent] = calm_and_urgent_cases();
  const auto moved_report = envs_.back()->report().report_id();  // the urgent case's report
  const auto before = queued().size();
  auto merged = store_->merge_cases(urgent, calm, "li.na", kT + 3 * kHour, render_);
  ASSERT_TRUE(merged) << merged.error().what();
  const auto sent = queued();
  ASSERT_EQ(sent.size(), before + 1);
  const auto n = decode(sent.back());
  EXPECT_EQ(n.report_id(), moved_report);
  EXPECT_EQ(n.case_number(), calm);
  EXPECT_EQ(n.milestone(), wire::MILESTONE_RECEIVED);
  EXPECT_NE(n.title().find(calm), std::string::npos) << n.title();
  auto closed = store_->case_detail(urgent);
  ASSERT_TRUE(closed && *closed);
  EXPECT_EQ((*closed)->c.state, S::closed);
  const auto transition = std::find_if((*closed)->events.begin(), (*closed)->events.end(),
                                       [](const CaseEvent& e) { return e.kind == "transition"; });
  ASSERT_NE(transition, (*closed)->events.end());
  EXPECT_NE(transition->detail.find("merged into " + calm), std::string::npos) << transition->detail;
  EXPECT_EQ(transition->actor, "li.na");
}

TEST_F(LifecycleTest, ACaseKeepsItsCollaboratingTeamsFromRouting) {
  auto env = report(test::kVinA, "刹车失灵，踩不下去 brakes failed");
  auto in = test::intake(env, kT);
  ASSERT_EQ(in.classification.priority, Priority::high);
  auto out = store_->commit_batch(std::vector<BatchItem>{in}, test::simple_notifications());
  ASSERT_TRUE(out && out->front().accepted);
  auto c = store_->find_case(out->front().accepted->case_number)->value();
  EXPECT_EQ(c.team, in.route.team);
  EXPECT_EQ(c.collaborators, in.route.collaborators);
  EXPECT_FALSE(c.collaborators.empty());  // routing.conf: high-priority brakes -> R&D + after-sales
}

TEST_F(LifecycleTest, AnInvalidTransitionIsRefusedWithTheMovesThatAreAllowed) {
  const auto number = new_case();
  auto r = move(number, S::resolved);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(CaseErrc::invalid_transition));
  EXPECT_NE(r.error().detail.find("new -> resolved is not allowed"), std::string::npos) << r.error().detail;
  EXPECT_NE(r.error().detail.find("acknowledged, assigned"), std::string::npos) << r.error().detail;
  EXPECT_EQ(store_->find_case(number)->value().state, S::new_);  // nothing changed

  EXPECT_EQ(move("FB-2026-999999", S::acknowledged).error().code, make_error_code(CaseErrc::not_found));
  TransitionRequest no_assignee{number, S::assigned, "li.na", "take it", kT, {}, {}, {}};
  EXPECT_EQ(store_->transition(no_assignee, render_).error().code, make_error_code(CaseErrc::missing_detail));
  TransitionRequest anonymous{number, S::acknowledged, "", "", kT, {}, {}, {}};
  EXPECT_EQ(store_->transition(anonymous, render_).error().code, make_error_code(CaseErrc::missing_detail));
  ASSERT_TRUE(move(number, S::acknowledged));
  ASSERT_TRUE(move(number, S::assigned));
  ASSERT_TRUE(move(number, S::in_progress));
  TransitionRequest no_place{number, S::appointment, "li.na", "visit", kT, {}, "tomorrow", {}};
  EXPECT_EQ(store_->transition(no_place, render_).error().code, make_error_code(CaseErrc::missing_detail));
}

TEST_F(LifecycleTest, AClosedCaseAsksForASurveyAndStoresTheAnswerOnce) {
  const auto number = new_case();
  for (auto s : {S::acknowledged, S::assigned, S::in_progress, S::resolved, S::closed}) ASSERT_TRUE(move(number, s));
  std::string survey_id;
  for (const auto& n : queued()) {
    if (decode(n).status() == wire::CASE_STATUS_CLOSED) survey_id = n.id;
  }
  ASSERT_FALSE(survey_id.empty());
  const auto answer = [&](const std::string& id, int score, const std::string& vin = test::kVinA) {
    wire::SurveyAnswer a;
    a.set_notification_id(id);
    a.set_score(static_cast<std::uint32_t>(score));
    a.set_comment("快，态度好");
    auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), vin, a, kT + kDay, "t",
                                                                      "payload" + id + std::to_string(score)}},
                                         render_);
    EXPECT_TRUE(out);
    return out ? out->front() : ItemOutcome{};
  };
  EXPECT_TRUE(answer(survey_id, 4).receipt_matched);
  EXPECT_TRUE(answer(survey_id, 2).receipt_matched);  // a re-delivery: the first answer counts
  EXPECT_EQ(store_->survey_score()->first, 4.0);
  EXPECT_EQ(store_->survey_score()->second, 1);

  EXPECT_GT(answer(survey_id, 9).dead_letter_id, 0);               // outside 1..5
  EXPECT_GT(answer(new_uuid(), 5).dead_letter_id, 0);              // no such survey
  EXPECT_GT(answer(survey_id, 5, test::kVinB).dead_letter_id, 0);  // not that car's survey
  EXPECT_EQ(store_->survey_score()->second, 1);
}

TEST_F(LifecycleTest, SlaEscalatesAtHalfAndFullTargetOnceEach) {
  const SlaTargets sla{4 * kHour, 3 * kDay, 0};
  const auto number = new_case(kT, sla);
  EXPECT_EQ(*store_->next_sla_deadline(), kT + 2 * kHour);  // 50 % of the first response

  EXPECT_TRUE(store_->process_sla(kT + 2 * kHour - 1, render_)->empty());
  auto half = store_->process_sla(kT + 2 * kHour, render_);
  ASSERT_TRUE(half);
  ASSERT_EQ(half->size(), 1u);
  EXPECT_EQ(half->front().kind, "first_response");
  EXPECT_EQ(half->front().level, 50);
  EXPECT_TRUE(store_->process_sla(kT + 3 * kHour, render_)->empty());  // once
  auto full = store_->process_sla(kT + 4 * kHour, render_);
  ASSERT_EQ(full->size(), 1u);
  EXPECT_EQ(full->front().level, 100);
  EXPECT_EQ(*store_->next_sla_deadline(), kT + 36 * kHour);  // 50 % of the resolution target

  // Acknowledging answers the driver: the resolution clock still runs.
  ASSERT_TRUE(move(number, S::acknowledged, kT + 5 * kHour));
  auto late = store_->process_sla(kT + 3 * kDay, render_);
  ASSERT_EQ(late->size(), 1u);  // 50 % and 100 % reached together: the higher level only
  EXPECT_EQ(late->front().kind, "resolution");
  EXPECT_EQ(late->front().level, 100);
  EXPECT_FALSE(*store_->next_sla_deadline());

  int escalations = 0;
  const auto events = store_->case_events(number).value();
  for (const auto& e : events) escalations += e.kind == "escalation";
  EXPECT_EQ(escalations, 3);
}

TEST_F(LifecycleTest, AnAnsweredCaseIsNotEscalatedForFirstResponse) {
  const auto number = new_case(kT, SlaTargets{4 * kHour, 10 * kDay, 0});
  ASSERT_TRUE(move(number, S::acknowledged, kT + kHour));
  EXPECT_EQ(*store_->next_sla_deadline(), kT + 5 * kDay);
  EXPECT_TRUE(store_->process_sla(kT + 4 * kHour, render_)->empty());
  ASSERT_TRUE(move(number, S::assigned));
  ASSERT_TRUE(move(number, S::in_progress));
  ASSERT_TRUE(move(number, S::resolved));
  EXPECT_FALSE(*store_->next_sla_deadline());  // resolved: no clock runs
}

TEST_F(LifecycleTest, ASilentCaseSendsTheDriverAProgressUpdate) {
  const auto number = new_case(kT, SlaTargets{4 * kHour, 30 * kDay, 2 * kDay});
  ASSERT_TRUE(move(number, S::acknowledged, kT + kHour));  // a contact: the silence starts again
  const auto before = queued().size();
  EXPECT_TRUE(store_->process_sla(kT + kHour + 2 * kDay - 1, render_)->empty());
  auto update = store_->process_sla(kT + kHour + 2 * kDay, render_);
  ASSERT_EQ(update->size(), 1u);
  EXPECT_EQ(update->front().kind, "progress");
  ASSERT_EQ(queued().size(), before + 1);
  // The next one only after another silent interval.
  EXPECT_TRUE(store_->process_sla(kT + kHour + 3 * kDay, render_)->empty());
  EXPECT_EQ(store_->process_sla(kT + kHour + 4 * kDay, render_)->size(), 1u);
}

TEST_F(LifecycleTest, TheSlaClockStartsAtTheCarsTimeUnlessItsClockIsOff) {
  auto env = report(test::kVinA, "空调异味 smell");
  env.mutable_report()->set_car_time_ms(kT - 3 * kHour);  // queued offline for three hours
  envs_.push_back(std::make_unique<wire::Envelope>(env));
  auto in = test::intake(*envs_.back(), kT);
  in.sla = SlaTargets{4 * kHour, 3 * kDay, 0};
  auto out = store_->commit_batch(std::vector<BatchItem>{in}, test::simple_notifications());
  EXPECT_EQ(out->front().accepted->first_reply_due_ms, kT + kHour);

  auto skewed = report(test::kVinB, "空调异味 smell");
  skewed.mutable_report()->set_car_time_ms(kT - 30 * kDay);  // a car clock a month behind
  envs_.push_back(std::make_unique<wire::Envelope>(skewed));
  auto in2 = test::intake(*envs_.back(), kT);
  in2.sla = in.sla;
  out = store_->commit_batch(std::vector<BatchItem>{in2}, test::simple_notifications());
  EXPECT_EQ(out->front().accepted->first_reply_due_ms, kT + 4 * kHour);

  // A car clock a month ahead: the SLA starts when the report arrived, not in the future.
  auto ahead = report("LSVAX60E5K2000003", "仪表盘异响 rattle");
  ahead.mutable_report()->set_car_time_ms(kT + 30 * kDay);
  envs_.push_back(std::make_unique<wire::Envelope>(ahead));
  auto in3 = test::intake(*envs_.back(), kT);
  in3.sla = in.sla;
  out = store_->commit_batch(std::vector<BatchItem>{in3}, test::simple_notifications());
  EXPECT_EQ(out->front().accepted->first_reply_due_ms, kT + 4 * kHour);
}

TEST_F(LifecycleTest, TheSameCarsSameProblemJoinsItsOpenCase) {
  auto first = submit(report(test::kVinA, "变速箱顿挫严重，二挡升三挡冲击"), kT);
  auto again = submit(report(test::kVinA, "变速箱顿挫严重，二挡升三挡有冲击感"), kT + 3 * kDay);
  ASSERT_TRUE(again.accepted);
  EXPECT_TRUE(again.accepted->merged);
  EXPECT_EQ(again.accepted->case_number, first.accepted->case_number);
  EXPECT_EQ(store_->find_case(first.accepted->case_number)->value().reports, 2);
  bool audited = false;
  const auto events = store_->case_events(first.accepted->case_number).value();
  for (const auto& e : events) audited |= e.kind == "merged";
  EXPECT_TRUE(audited);

  // Another car, another problem, the same problem after the window, or after the case closed:
  // new cases.
  EXPECT_FALSE(submit(report(test::kVinB, "变速箱顿挫严重，二挡升三挡冲击"), kT + kDay).accepted->merged);
  EXPECT_FALSE(submit(report(test::kVinA, "中控屏幕黑屏 screen black"), kT + kDay).accepted->merged);
  EXPECT_FALSE(submit(report(test::kVinA, "变速箱顿挫严重，二挡升三挡冲击"), kT + 15 * kDay).accepted->merged);
}

TEST_F(LifecycleTest, ASharedDtcIsTheSameProblemWhateverTheWords) {
  auto first = submit(report(test::kVinA, "仪表报警 warning lamp", {"P0700"}), kT);
  auto again = submit(report(test::kVinA, "换挡有冲击 harsh shift", {"P0700"}), kT + kDay);
  EXPECT_TRUE(again.accepted->merged);
  EXPECT_EQ(again.accepted->case_number, first.accepted->case_number);
}

TEST_F(LifecycleTest, AClusterOfVehiclesBecomesAMajorCaseThatResolvesItsChildren) {
  GroupingPolicy policy;
  policy.major_case_vehicles = 3;
  open(policy);
  const char* vins[] = {"LSVAX60E5K2000011", "LSVAX60E5K2000012", "LSVAX60E5K2000013", "LSVAX60E5K2000014"};
  std::vector<std::string> children;
  for (std::size_t i = 0; i < 3; ++i) {
    children.push_back(submit(report(vins[i], "换挡顿挫", {"P0730"}), kT + static_cast<std::int64_t>(i) * kHour)
                           .accepted->case_number);
  }
  // Same DTC on another software version: its own cluster, not a child.
  auto other = submit(report(vins[3], "换挡顿挫", {"P0730"}, "HU-4.0.0"), kT + 4 * kHour).accepted->case_number;

  auto clusters = store_->list_clusters(10);
  ASSERT_TRUE(clusters);
  ASSERT_EQ(clusters->size(), 2u);
  EXPECT_EQ(clusters->front().key, "dtc:P0730");
  EXPECT_EQ(clusters->front().vehicles, 3);
  const auto major = clusters->front().major_case_number;
  ASSERT_FALSE(major.empty());
  EXPECT_TRUE(clusters->back().major_case_number.empty());
  // A later vehicle with the same symptom joins the major case as a child at once.
  children.push_back(submit(report("LSVAX60E5K2000015", "换挡顿挫", {"P0730"}), kT + 5 * kHour).accepted->case_number);
  EXPECT_EQ(store_->list_clusters(10)->front().vehicles, 4);
  for (const auto& c : children) EXPECT_EQ(store_->find_case(c)->value().parent_case_number, major);
  EXPECT_TRUE(store_->find_case(other)->value().parent_case_number.empty());
  EXPECT_TRUE(store_->find_case(major)->value().major);

  ASSERT_TRUE(move(children[0], S::acknowledged));  // one child already in hand
  const auto before = queued().size();
  ASSERT_TRUE(move(major, S::acknowledged));
  ASSERT_TRUE(move(major, S::assigned));
  ASSERT_TRUE(move(major, S::in_progress));
  auto done = move(major, S::resolved);
  ASSERT_TRUE(done) << done.error().what();
  EXPECT_EQ(done->children_moved, 4);
  EXPECT_EQ(done->notifications.size(), 4u);  // every affected driver; the major case has no car
  for (const auto& c : children) EXPECT_EQ(store_->find_case(c)->value().state, S::resolved);
  EXPECT_EQ(store_->find_case(other)->value().state, S::new_);
  EXPECT_EQ(queued().size(), before + 4);
}

// Answered already, the merged case's first-reply due time is met: it does not make the kept
// case overdue (its own first reply still counts).
TEST_F(LifecycleTest, AMergedCaseAlreadyAnsweredBringsNoFirstReplyDueTime) {
  const auto [calm, urgent] = calm_and_urgent_cases();
  ASSERT_FALSE(calm.empty());
  ASSERT_TRUE(move(urgent, S::acknowledged, kT + 2 * kHour));  // a person answered
  auto merged = store_->merge_cases(urgent, calm, "li.na", kT + 3 * kHour, render_);
  ASSERT_TRUE(merged) << merged.error().what();
  EXPECT_EQ(merged->priority, Priority::high);
  EXPECT_EQ(merged->first_reply_due_ms, kT + 24 * kHour);
}

// A major case closed after its fix can be reopened by the team; and the fault back after that
// fix starts a new cluster, not children of a finished case that nothing would move.
TEST_F(LifecycleTest, AClosedMajorCaseCanBeReopenedAndTheFaultBackAfterItStartsANewCluster) {
  const auto major = major_case_of_two("LSVAX60E5K2000041", "LSVAX60E5K2000042");
  ASSERT_FALSE(major.empty());
  for (auto s : {S::acknowledged, S::assigned, S::in_progress, S::resolved, S::closed}) {
    ASSERT_TRUE(move(major, s, kT + 2 * kHour)) << to_string(s);
  }
  auto back = submit(report("LSVAX60E5K2000043", "换挡顿挫", {"P0730"}), kT + 3 * kHour);
  ASSERT_TRUE(back.accepted);
  EXPECT_TRUE(store_->find_case(back.accepted->case_number)->value().parent_case_number.empty());
  auto clusters = store_->list_clusters(10);
  ASSERT_TRUE(clusters);
  EXPECT_EQ(clusters->size(), 2u);

  auto reopened = move(major, S::reopened, kT + 4 * kHour);
  ASSERT_TRUE(reopened) << reopened.error().what();
  EXPECT_EQ(reopened->c.state, S::reopened);
}

// Cars list their DTCs in no set order: the same two codes either way round are one cluster.
TEST_F(LifecycleTest, TheSameCodesInAnotherOrderJoinTheSameCluster) {
  submit(report("LSVAX60E5K2000031", "发动机抖动", {"P0300", "P0171"}), kT);
  submit(report("LSVAX60E5K2000032", "发动机抖动", {"P0171", "P0300"}), kT + kHour);
  auto clusters = store_->list_clusters(10);
  ASSERT_TRUE(clusters);
  ASSERT_EQ(clusters->size(), 1u);
  EXPECT_EQ(clusters->front().key, "dtc:P0171");
  EXPECT_EQ(clusters->front().vehicles, 2);
}

TEST_F(LifecycleTest, SimilarTextOnTheSameSystemClustersAcrossVehicles) {
  submit(report("LSVAX60E5K2000021", "中控屏幕经常死机黑屏，需要重启"), kT);
  submit(report("LSVAX60E5K2000022", "中控屏幕死机黑屏，重启才好"), kT + kHour);
  submit(report("LSVAX60E5K2000023", "后备箱漏水"), kT + kHour);
  auto clusters = store_->list_clusters(10);
  ASSERT_TRUE(clusters);
  ASSERT_FALSE(clusters->empty());
  EXPECT_EQ(clusters->front().cases, 2) << clusters->front().key;
}

TEST_F(LifecycleTest, ARisingRateRaisesAnEarlyWarning) {
  GroupingPolicy policy;
  policy.warning_window_ms = kDay;
  policy.warning_min_cases = 3;
  policy.warning_rate_factor = 2.0;
  policy.major_case_vehicles = 100;
  open(policy);
  const auto vin = [](int i) { return "LSVAX60E5K20001" + std::to_string(10 + i); };
  submit(report(vin(0), "异响", {"C1234"}), kT);  // one a day before: the baseline
  submit(report(vin(1), "异响", {"C1234"}), kT + kDay + kHour);
  submit(report(vin(2), "异响", {"C1234"}), kT + kDay + 2 * kHour);
  EXPECT_EQ(store_->list_clusters(1)->front().warned_ms, 0);  // two in the window: not yet
  submit(report(vin(3), "异响", {"C1234"}), kT + kDay + 3 * kHour);
  EXPECT_EQ(store_->list_clusters(1)->front().warned_ms, kT + kDay + 3 * kHour);
}

// The human triage queue: a case the classifier was not sure of waits there until a person
// confirms or corrects it; the correction re-times the SLA from the case's own start.
TEST_F(LifecycleTest, ATriageCorrectsTheCaseTakesItOutOfTheQueueAndRetimesItsSla) {
  const auto sure = new_case(kT);
  auto env = report(test::kVinB, "有点奇怪 something odd");
  env.mutable_report()->set_car_time_ms(kT + kHour);
  auto in = test::intake(env, kT + kHour);
  in.classification.type = CaseType::usage_experience;
  in.classification.priority = Priority::medium;
  in.classification.system = VehicleSystem::other;
  in.classification.needs_human_triage = true;
  in.route.team = "product_planning";
  in.route.collaborators = {};
  in.sla = SlaTargets{24 * kHour, 14 * kDay, 48 * kHour};
  auto out = store_->commit_batch(std::vector<BatchItem>{in}, test::simple_notifications());
  ASSERT_TRUE(out && out->front().accepted);
  const auto unsure = out->front().accepted->case_number;
  ASSERT_TRUE(move(unsure, S::assigned, kT + 2 * kHour));  // li.na of the routed team has it

  CaseQuery queue;
  queue.needs_triage = true;
  auto waiting = store_->search_cases(queue);
  ASSERT_TRUE(waiting) << waiting.error().what();
  ASSERT_EQ(waiting->items.size(), 1u);
  EXPECT_EQ(waiting->items[0].case_number, unsure);
  EXPECT_TRUE(waiting->items[0].needs_triage);
  queue.needs_triage = false;
  ASSERT_EQ(store_->search_cases(queue)->items.size(), 1u);
  EXPECT_EQ(store_->search_cases(queue)->items[0].case_number, sure);

  TriageDecision d;
  d.actor = "wang.lei@lead";
  d.reason = "the driver means the brakes";
  d.at_ms = kT + 3 * kHour;
  d.type = CaseType::product_fault;
  d.priority = Priority::high;
  d.system = VehicleSystem::brakes;
  d.team = "rnd_tech_support";
  d.collaborators = {"rnd_tech_support", "after_sales"};
  d.sla = SlaTargets{4 * kHour, 3 * kDay, 12 * kHour};
  auto triaged = triage(unsure, d);
  ASSERT_TRUE(triaged) << triaged.error().what();
  EXPECT_FALSE(triaged->needs_triage);
  EXPECT_EQ(triaged->type, CaseType::product_fault);
  EXPECT_EQ(triaged->priority, Priority::high);
  EXPECT_EQ(triaged->system, VehicleSystem::brakes);
  EXPECT_EQ(triaged->team, "rnd_tech_support");
  EXPECT_EQ(triaged->collaborators, std::vector<std::string>{"after_sales"});  // not the owner twice
  EXPECT_EQ(triaged->assignee, "");                                            // li.na is of the team it left
  EXPECT_EQ(triaged->state, S::assigned);
  // The assignment answered the driver: the first-reply due time stays; the resolution one is
  // the high target from the case's start.
  EXPECT_EQ(triaged->first_reply_due_ms, kT + kHour + 24 * kHour);
  EXPECT_EQ(triaged->resolution_due_ms, kT + kHour + 3 * kDay);
  queue.needs_triage = true;
  EXPECT_TRUE(store_->search_cases(queue)->items.empty());

  const auto events = store_->case_events(unsure).value();
  ASSERT_FALSE(events.empty());
  const auto& e = events.back();
  EXPECT_EQ(e.kind, "triage");
  EXPECT_EQ(e.actor, "wang.lei@lead");
  const auto detail = nlohmann::json::parse(e.detail);
  EXPECT_EQ(detail["priority"], (nlohmann::json{{"from", "medium"}, {"to", "high"}}));
  EXPECT_EQ(detail["team"]["to"], "rnd_tech_support");
  EXPECT_EQ(detail["assignee"]["from"], "li.na");
  EXPECT_EQ(detail["reason"], "the driver means the brakes");
  EXPECT_TRUE(detail["was_queued"].get<bool>());
}

TEST_F(LifecycleTest, AnUnansweredCaseTriagedLowerIsDueLaterAndEscalatesOnItsNewTarget) {
  const auto number = new_case(kT, SlaTargets{4 * kHour, 3 * kDay, 0});
  ASSERT_EQ(store_->process_sla(kT + 2 * kHour, render_)->size(), 1u);  // 50 % of 4 h
  const auto before = *store_->find_case(number).value();
  TriageDecision d{"wang.lei@lead", "a squeal, not a failure", kT + 2 * kHour,
                   before.type,     Priority::medium,          before.system,
                   before.team,     before.collaborators,      SlaTargets{24 * kHour, 14 * kDay, 0}};
  auto triaged = triage(number, d);
  ASSERT_TRUE(triaged) << triaged.error().what();
  EXPECT_EQ(triaged->first_reply_due_ms, kT + 24 * kHour);
  EXPECT_EQ(triaged->assignee, before.assignee);
  const auto detail = nlohmann::json::parse(store_->case_events(number).value().back().detail);
  EXPECT_FALSE(detail.contains("team"));
  EXPECT_FALSE(detail["was_queued"].get<bool>());
  // The 50 % escalation went out under the old target; the new target's half is still ahead.
  EXPECT_EQ(*store_->next_sla_deadline(), kT + 12 * kHour);
  EXPECT_TRUE(store_->process_sla(kT + 12 * kHour - 1, render_)->empty());
  auto half = store_->process_sla(kT + 12 * kHour, render_);
  ASSERT_EQ(half->size(), 1u);
  EXPECT_EQ(half->front().level, 50);
  EXPECT_TRUE(store_->process_sla(kT + 20 * kHour, render_)->empty());
  // Reopened, the case gets its new resolution target again from the reopening.
  for (auto to : {S::acknowledged, S::assigned, S::in_progress, S::resolved}) {
    ASSERT_TRUE(move(number, to, kT + 21 * kHour));
  }
  ASSERT_TRUE(move(number, S::reopened, kT + 2 * kDay));
  EXPECT_EQ(store_->find_case(number)->value().resolution_due_ms, kT + 2 * kDay + 14 * kDay);
}

TEST_F(LifecycleTest, ATriageNeedsWhoWhyAndAnOpenCaseAndTheDecidersRefusalChangesNothing) {
  const auto number = new_case();
  const auto c = *store_->find_case(number).value();
  TriageDecision d{"wang.lei@lead", "", kT, c.type, c.priority, c.system, c.team, {}, {}};
  auto r = triage(number, d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(CaseErrc::missing_detail));
  d.reason = "checked";
  EXPECT_EQ(triage("FB-2026-999999", d).error().code, make_error_code(CaseErrc::not_found));
  const auto events = store_->case_events(number)->size();
  auto refused = store_->triage_case(number, [&](const CaseSummary& now) -> Result<TriageDecision> {
    EXPECT_EQ(now.case_number, number);
    return fail(CaseErrc::invalid_request, "not yours");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().detail, "not yours");
  EXPECT_EQ(store_->case_events(number)->size(), events);
  ASSERT_TRUE(move(number, S::acknowledged));
  ASSERT_TRUE(move(number, S::assigned));
  ASSERT_TRUE(move(number, S::in_progress));
  ASSERT_TRUE(move(number, S::resolved));
  r = triage(number, d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(CaseErrc::invalid_transition));
  EXPECT_NE(r.error().detail.find("reopen"), std::string::npos);
}

// A confirmation (the same priority) keeps the case's own due times and progress interval: a
// follow-up's, or those a merge tightened, are not routing.conf's. A case resolved untriaged
// leaves the queue: nobody can triage it any more.
TEST_F(LifecycleTest, AConfirmationKeepsTheCasesOwnClockAndAResolvedCaseLeavesTheQueue) {
  const auto queued = [&](const std::string& vin, std::int64_t at) {
    auto env = report(vin, "有点奇怪 something odd");
    env.mutable_report()->set_car_time_ms(at);
    auto in = test::intake(env, at);
    in.classification.needs_human_triage = true;
    in.sla = SlaTargets{24 * kHour, 14 * kDay, 0};
    auto out = store_->commit_batch(std::vector<BatchItem>{in}, test::simple_notifications());
    EXPECT_TRUE(out && out->front().accepted);
    return out && out->front().accepted ? out->front().accepted->case_number : std::string();
  };
  const auto confirmed = queued(test::kVinA, kT);
  const auto resolved = queued(test::kVinB, kT);
  const auto c = *store_->find_case(confirmed).value();
  auto kept = triage(confirmed, TriageDecision{"wang.lei@lead", "right as it is", kT + kHour, c.type, c.priority,
                                               c.system, c.team, c.collaborators, SlaTargets{kHour, kDay, kHour}});
  ASSERT_TRUE(kept) << kept.error().what();
  EXPECT_EQ(kept->first_reply_due_ms, kT + 24 * kHour);
  EXPECT_EQ(kept->resolution_due_ms, kT + 14 * kDay);
  // A confirmation asked before an SLA pass and applied after it does not escalate again.
  ASSERT_EQ(store_->process_sla(kT + 12 * kHour, render_)->size(), 2u);  // 50 % of both
  const auto again = *store_->find_case(confirmed).value();
  ASSERT_TRUE(
      triage(confirmed, TriageDecision{"wang.lei@lead", "still right", kT + 11 * kHour, again.type, again.priority,
                                       again.system, again.team, again.collaborators, SlaTargets{kHour, kDay, kHour}}));
  EXPECT_TRUE(store_->process_sla(kT + 13 * kHour, render_)->empty());

  // Both cases' first replies are overdue; no progress update: the confirmed case had none.
  EXPECT_EQ(store_->process_sla(kT + 6 * kDay, render_)->size(), 2u);

  for (auto to : {S::acknowledged, S::assigned, S::in_progress, S::resolved}) ASSERT_TRUE(move(resolved, to));
  CaseQuery queue;
  queue.needs_triage = true;
  EXPECT_TRUE(store_->search_cases(queue)->items.empty());
  EXPECT_FALSE(store_->find_case(resolved)->value().needs_triage);
}

// A case triaged away from its cluster's symptom (a gearbox "shudder" that is the dealer's work)
// leaves the cluster and its major case: it no longer counts toward them.
TEST_F(LifecycleTest, ACaseTriagedAwayFromItsClustersSymptomLeavesTheClusterAndItsMajorCase) {
  GroupingPolicy policy;
  policy.major_case_vehicles = 3;
  open(policy);
  const auto a = submit(report(test::kVinA, "换挡顿挫 the gearbox shudders"), kT);
  const auto b = submit(report(test::kVinB, "换挡顿挫 the gearbox shudders"), kT + kHour);
  ASSERT_TRUE(a.accepted && b.accepted);
  auto before = store_->list_clusters(10).value();
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before[0].key, "system:transmission");
  ASSERT_EQ(before[0].vehicles, 2);
  const auto c = *store_->find_case(b.accepted->case_number).value();
  auto triaged = triage(c.case_number, TriageDecision{"wang.lei@lead",
                                                      "the dealer's work",
                                                      kT + 2 * kHour,
                                                      CaseType::service_complaint,
                                                      c.priority,
                                                      VehicleSystem::service,
                                                      "after_sales",
                                                      {},
                                                      {}});
  ASSERT_TRUE(triaged) << triaged.error().what();
  auto after = store_->list_clusters(10).value();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].vehicles, 1);
  EXPECT_EQ(after[0].cases, 1);
  {  // and the early warning's window counts one case
    auto db = test::open_store_database(dir_ / "cases.db");
    ASSERT_TRUE(db) << db.error().what();
    EXPECT_EQ(db->query_int("SELECT window_count FROM clusters")->value_or(-1), 1);
  }
  const auto detail = nlohmann::json::parse(store_->case_events(c.case_number).value().back().detail);
  EXPECT_EQ(detail["cluster_left"], "system:transmission");
  // A third car with the symptom: two vehicles, not three, so no major case yet.
  submit(report("LSVAX60E5K2000003", "换挡顿挫 the gearbox shudders"), kT + 3 * kHour);
  EXPECT_EQ(store_->list_clusters(10).value()[0].vehicles, 2);
  EXPECT_EQ(store_->list_clusters(10).value()[0].major_case_number, "");
  // A case whose new classification still fits stays.
  const auto first = *store_->find_case(a.accepted->case_number).value();
  ASSERT_TRUE(triage(first.case_number, TriageDecision{"wang.lei@lead",
                                                       "yes, a fault",
                                                       kT + 4 * kHour,
                                                       CaseType::product_fault,
                                                       first.priority,
                                                       first.system,
                                                       first.team,
                                                       first.collaborators,
                                                       {}}));
  EXPECT_EQ(store_->list_clusters(10).value()[0].vehicles, 2);
}

TEST_F(LifecycleTest, AChildTriagedIntoACaseThatDoesNotClusterLeavesItsMajorCase) {
  const auto major = major_case_of_two(test::kVinA, test::kVinB);
  ASSERT_FALSE(major.empty());
  CaseQuery of_b;
  of_b.text = test::kVinB;
  const auto child = store_->search_cases(of_b).value().items.at(0);
  ASSERT_EQ(child.parent_case_number, major);
  auto triaged = triage(child.case_number, TriageDecision{"wang.lei@lead",
                                                          "the dealer's work",
                                                          kT + 2 * kHour,
                                                          CaseType::service_complaint,
                                                          child.priority,
                                                          VehicleSystem::service,
                                                          "after_sales",
                                                          {},
                                                          {}});
  ASSERT_TRUE(triaged) << triaged.error().what();
  EXPECT_EQ(triaged->parent_case_number, "");
  EXPECT_EQ(store_->list_clusters(10).value().at(0).vehicles, 1);
  // The major case's history says which case left it.
  const auto events = store_->case_events(major).value();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [&](const CaseEvent& e) {
    return e.kind == "child_left" && e.detail.find(child.case_number) != std::string::npos;
  }));
  EXPECT_EQ(triage(major, TriageDecision{"wang.lei@lead",
                                         "r",
                                         kT,
                                         CaseType::product_fault,
                                         Priority::high,
                                         VehicleSystem::transmission,
                                         "rnd_tech_support",
                                         {},
                                         {}})
                .error()
                .code,
            make_error_code(CaseErrc::invalid_request))
      << "a major case is triaged through its cases";
}

TEST(HumanTriage, ADecisionRoutesAChangedClassificationAndKeepsAConfirmedOnesTeam) {
  const auto& router = test::shipped_rules().router;
  CaseSummary c;
  c.case_number = "FB-2026-000001";
  c.type = CaseType::usage_experience;
  c.priority = Priority::medium;
  c.system = VehicleSystem::body;
  c.team = "after_sales";  // a person's earlier choice, not what routing.conf gives
  c.collaborators = {"product_planning"};

  TriageRequest confirm{c.case_number, "wang.lei@lead", "looks right", {}, {}, {}, "", kT, {}};
  auto kept = decide_triage(c, confirm, router);
  ASSERT_TRUE(kept) << kept.error().what();
  EXPECT_EQ(kept->team, "after_sales");
  EXPECT_EQ(kept->collaborators, c.collaborators);
  EXPECT_EQ(kept->sla.first_response_ms, 24 * kHour);  // routing.conf: sla medium
  EXPECT_EQ(kept->sla.resolution_ms, 14 * kDay);

  TriageRequest fault = confirm;
  fault.type = CaseType::product_fault;
  fault.priority = Priority::high;
  fault.system = VehicleSystem::brakes;
  auto routed = decide_triage(c, fault, router);
  ASSERT_TRUE(routed) << routed.error().what();
  EXPECT_EQ(routed->team, "rnd_tech_support");
  // The case's collaborators stay (a merge's or a joining report's teams), routing.conf's join.
  EXPECT_EQ(routed->collaborators, (std::vector<std::string>{"product_planning", "after_sales"}));
  EXPECT_EQ(routed->sla.first_response_ms, 4 * kHour);
  EXPECT_EQ(routed->sla.progress_every_ms, 12 * kHour);

  // A named team owns it; the team routing.conf names for the new classification keeps access.
  fault.team = "product_planning";
  auto named = decide_triage(c, fault, router);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->team, "product_planning");
  EXPECT_EQ(named->collaborators, (std::vector<std::string>{"after_sales", "rnd_tech_support"}));
  fault.team = "marketing";
  auto unknown = decide_triage(c, fault, router);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, make_error_code(ConfigErrc::invalid_value));
  EXPECT_NE(unknown.error().detail.find("marketing"), std::string::npos);

  // The lead read the case as low priority; a report raised it since: refused, not decided over.
  fault.team.clear();
  fault.seen.priority = Priority::low;
  fault.seen.team = "after_sales";
  auto stale = decide_triage(c, fault, router);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, make_error_code(CaseErrc::invalid_transition));
  EXPECT_NE(stale.error().detail.find("priority is now medium"), std::string::npos) << stale.error().detail;
  fault.seen.priority = Priority::medium;
  EXPECT_TRUE(decide_triage(c, fault, router));
}

// Lowered after its 100 % escalation, a case escalates again at its new due time: the levels
// not reached under the new target are open again.
TEST_F(LifecycleTest, ACaseTriagedLowerAfterItsDueTimeEscalatesAgainAtTheNewOne) {
  const auto number = new_case(kT, SlaTargets{4 * kHour, 3 * kDay, 0});
  ASSERT_EQ(store_->process_sla(kT + 5 * kHour, render_)->size(), 1u);  // 100 % of 4 h
  const auto c = *store_->find_case(number).value();
  auto lowered = triage(number,
                        TriageDecision{"wang.lei@lead", "a squeal", kT + 6 * kHour, c.type, Priority::low, c.system,
                                       c.team, c.collaborators, SlaTargets{24 * kHour, 30 * kDay, 0}});
  ASSERT_TRUE(lowered) << lowered.error().what();
  EXPECT_EQ(*store_->next_sla_deadline(), kT + 12 * kHour);  // 50 % of the new 24 h
  auto half = store_->process_sla(kT + 12 * kHour, render_);
  ASSERT_EQ(half->size(), 1u);
  EXPECT_EQ(half->front().level, 50);
  auto full = store_->process_sla(kT + 24 * kHour, render_);
  ASSERT_EQ(full->size(), 1u);
  EXPECT_EQ(full->front().kind, "first_response");
  EXPECT_EQ(full->front().level, 100);
}

class ChannelIntakeTest : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    const auto& rules = test::shipped_rules();
    ingest_.emplace(*store_, rules, clock_);
  }
  test::FakeClock clock_{kT};
  std::optional<Ingest> ingest_;
};

TEST_F(ChannelIntakeTest, AHotlineReportBecomesACaseAndTheCarIsTold) {
  auto r = test::valid_report_envelope(test::kVinA, "客户来电：刹车时有异响").report();
  auto out = ingest_->accept_from_channel(r, "hotline");
  ASSERT_TRUE(out) << out.error().what();
  EXPECT_FALSE(out->ref.duplicate);
  ASSERT_EQ(out->out.size(), 1u);
  EXPECT_EQ(out->out[0].topic, topics::inbox(test::kVinA));
  EXPECT_EQ(store_->find_case(out->ref.case_number)->value().channel, "hotline");
  // The caller retries with the same report id: the same case.
  auto again = ingest_->accept_from_channel(r, "hotline");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->ref.duplicate);
  EXPECT_EQ(again->ref.case_number, out->ref.case_number);

  r.set_vin("NOT-A-VIN");
  EXPECT_EQ(ingest_->accept_from_channel(r, "hotline").error().code, make_error_code(WireErrc::invalid_field));
  r.set_vin(test::kVinB);
  EXPECT_EQ(ingest_->accept_from_channel(r, "Hot Line!").error().code, make_error_code(WireErrc::invalid_field));
}

TEST_F(ChannelIntakeTest, AChannelsRetryStampedLaterIsTheSameCaseButOtherWordsOrACarsOtherTimeConflict) {
  auto r = test::valid_report_envelope(test::kVinA, "客户来电：刹车时有异响").report();
  r.set_car_time_ms(clock_.epoch_ms());  // stamped on arrival, as the API and fb-backend do
  auto first = ingest_->accept_from_channel(r, "hotline");
  ASSERT_TRUE(first) << first.error().what();
  clock_.advance(std::chrono::minutes(5));
  r.set_car_time_ms(clock_.epoch_ms());
  auto again = ingest_->accept_from_channel(r, "hotline");
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_TRUE(again->ref.duplicate);
  EXPECT_EQ(again->ref.case_number, first->ref.case_number);
  EXPECT_TRUE(again->out.empty()) << "the car was told once";

  auto other = r;
  other.set_text("客户来电：空调不制冷");
  auto refused = ingest_->accept_from_channel(other, "hotline");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(WireErrc::conflicting_duplicate));

  // A car's own clock is part of what it said: the same report id with another car time conflicts.
  auto car = test::valid_report_envelope(test::kVinB, "刹车异响");
  auto out = ingest_->process(std::vector<RawMessage>{{topics::reports(test::kVinB), codec::encode(car)}});
  ASSERT_TRUE(out && !out->empty());
  car.mutable_report()->set_car_time_ms(car.report().car_time_ms() + 60'000);
  out = ingest_->process(std::vector<RawMessage>{{topics::reports(test::kVinB), codec::encode(car)}});
  ASSERT_TRUE(out && out->size() == 1u);
  auto ack = codec::decode(out->front().payload);
  ASSERT_TRUE(ack && ack->has_ack());
  EXPECT_EQ(ack->ack().rejected().reason(), wire::REJECT_CONFLICTING_DUPLICATE);
  EXPECT_EQ(store_->counts()->reports, 2);
}

}  // namespace
}  // namespace fb::backend

namespace fb::backend {
namespace {

// Issue 10: the driver's reply and reopen request from the car, the timeline's milestones and
// the urgency of safety guidance.
class DriverActionTest : public LifecycleTest {
 protected:
  /// A case moved through `states`; its report id in report_id_.
  std::string case_in(std::initializer_list<S> states) {
    auto number = new_case();
    report_id_ = envs_.back()->report().report_id();
    for (auto s : states) EXPECT_TRUE(move(number, s));
    return number;
  }
  ItemOutcome apply(const std::string& message_id, std::variant<wire::DriverMessage, wire::ReopenRequest> body,
                    const std::string& vin = test::kVinA) {
    CarReplyIntake in{message_id, vin, {}, kT + kDay, "vehicles/" + vin + "/receipts", "payload-" + message_id};
    std::visit([&](auto& b) { in.body = b; }, body);
    auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{in}, render_);
    EXPECT_TRUE(out) << out.error().what();
    return out ? out->front() : ItemOutcome{};
  }
  wire::DriverMessage reply(const std::string& text) {
    wire::DriverMessage m;
    m.set_report_id(report_id_);
    m.set_text(text);
    return m;
  }
  wire::ReopenRequest reopen(const std::string& reason = "还是有异响 still squeals") {
    wire::ReopenRequest r;
    r.set_report_id(report_id_);
    r.set_reason(reason);
    return r;
  }
  CaseDetail detail(const std::string& number) {
    auto d = store_->case_detail(number);
    EXPECT_TRUE(d && *d);
    return d && *d ? **d : CaseDetail{};
  }
  static int count(const CaseDetail& d, const std::string& kind) {
    return static_cast<int>(
        std::count_if(d.events.begin(), d.events.end(), [&](const CaseEvent& e) { return e.kind == kind; }));
  }

  std::string report_id_;
};

TEST_F(DriverActionTest, AReplyGoesToTheCaseHistoryAndMovesACaseWaitingForTheDriverOnOnce) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress, S::waiting_for_customer});
  const auto id = new_uuid();
  auto out = apply(id, reply("只在冷车时 only when cold"));
  EXPECT_TRUE(out.receipt_matched);
  EXPECT_EQ(out.dead_letter_id, 0);
  auto d = detail(number);
  EXPECT_EQ(d.c.state, S::in_progress);
  ASSERT_EQ(count(d, "driver_message"), 1);
  const auto it = std::find_if(d.events.begin(), d.events.end(),
                               [](const CaseEvent& e) { return e.kind == "driver_message"; });
  EXPECT_NE(it->detail.find("only when cold"), std::string::npos);
  EXPECT_EQ(it->actor, "car");

  ASSERT_TRUE(move(number, S::waiting_for_customer, kT + 2 * kDay));
  EXPECT_TRUE(apply(id, reply("只在冷车时 only when cold")).receipt_matched);  // a re-send: applied once
  d = detail(number);
  EXPECT_EQ(d.c.state, S::waiting_for_customer);
  EXPECT_EQ(count(d, "driver_message"), 1);
}

// Message ids are the cars' own UUIDs: a second car's answer with one already seen (a bad
// generator, a forged id) is not "a re-send applied the first time" (its car would delete its
// copy unapplied): it is a dead letter, refused, and the first car's answer stays applied once.
TEST_F(DriverActionTest, AnotherCarsAnswerWithAnIdAlreadySeenIsDeadLetteredAndTheFirstStaysAppliedOnce) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress, S::waiting_for_customer});
  const auto id = new_uuid();
  ASSERT_TRUE(apply(id, reply("只在冷车时 only when cold")).receipt_matched);
  auto foreign = apply(id, reply("not my car"), test::kVinB);
  EXPECT_FALSE(foreign.receipt_matched);
  EXPECT_GT(foreign.dead_letter_id, 0);
  ASSERT_TRUE(move(number, S::waiting_for_customer, kT + 2 * kDay));
  EXPECT_TRUE(apply(id, reply("只在冷车时 only when cold")).receipt_matched) << "the first car's re-send";
  const auto d = detail(number);
  EXPECT_EQ(count(d, "driver_message"), 1) << "applied once, the refusal did not forget it";
  EXPECT_EQ(d.c.state, S::waiting_for_customer);
}

TEST_F(DriverActionTest, AReplyToAClosedCaseIsRefusedToTheCarAndOneForAnUnknownReportIsDeadLettered) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress, S::resolved, S::closed});
  const auto id = new_uuid();
  auto out = apply(id, reply("hello?"));
  ASSERT_EQ(out.notices.size(), 1u);
  const auto n = decode(out.notices.front());
  EXPECT_EQ(n.report_id(), report_id_);
  EXPECT_EQ(n.action_result().action_id(), id);
  EXPECT_FALSE(n.action_result().accepted());
  EXPECT_EQ(n.action_result().reason(), "case_closed");
  EXPECT_NE(n.text().find("此问题已关闭"), std::string::npos) << n.text();
  EXPECT_EQ(count(detail(number), "driver_message"), 0);

  report_id_ = new_uuid();
  auto unknown = apply(new_uuid(), reply("hello?"));
  EXPECT_GT(unknown.dead_letter_id, 0);
  EXPECT_TRUE(unknown.notices.empty());
}

TEST_F(DriverActionTest, AReopenRequestReopensAResolvedCaseOnceAndIsRefusedWithItsReasonOtherwise) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress});
  const auto early = new_uuid();
  auto refused = apply(early, reopen());
  ASSERT_EQ(refused.notices.size(), 1u);
  auto n = decode(refused.notices.front());
  EXPECT_FALSE(n.action_result().accepted());
  EXPECT_EQ(n.action_result().action_id(), early);
  EXPECT_EQ(n.action_result().reason(), "not_reopenable");
  EXPECT_EQ(detail(number).c.state, S::in_progress);

  ASSERT_TRUE(move(number, S::resolved));
  const auto id = new_uuid();
  auto out = apply(id, reopen());
  EXPECT_TRUE(out.receipt_matched);
  ASSERT_EQ(out.notices.size(), 1u);
  n = decode(out.notices.front());
  EXPECT_TRUE(n.action_result().accepted());
  EXPECT_EQ(n.action_result().action_id(), id);
  EXPECT_EQ(n.milestone(), wire::MILESTONE_REOPENED);
  auto d = detail(number);
  EXPECT_EQ(d.c.state, S::reopened);
  EXPECT_FALSE(d.c.resolved_ms);  // the resolution clock runs again

  auto again = apply(id, reopen());  // a re-send
  EXPECT_TRUE(again.receipt_matched);
  EXPECT_TRUE(again.notices.empty());
  EXPECT_EQ(detail(number).c.state, S::reopened);
}

// The resolved notice says "if the problem comes back, reply to this message and we will reopen
// the case": a reply to a resolved case reopens it, with the driver's words as the reason.
TEST_F(DriverActionTest, AReplyToAResolvedCaseReopensItAsTheResolvedNoticeSays) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress, S::resolved});
  const auto id = new_uuid();
  auto out = apply(id, reply("又响了 squeals again"));
  EXPECT_TRUE(out.receipt_matched);
  ASSERT_EQ(out.notices.size(), 1u);
  const auto n = decode(out.notices.front());
  EXPECT_EQ(n.milestone(), wire::MILESTONE_REOPENED);
  EXPECT_EQ(n.report_id(), report_id_);
  auto d = detail(number);
  EXPECT_EQ(d.c.state, S::reopened);
  EXPECT_EQ(count(d, "driver_message"), 1);
  const auto moved = std::find_if(d.events.rbegin(), d.events.rend(),
                                  [](const CaseEvent& e) { return e.kind == "transition"; });
  ASSERT_NE(moved, d.events.rend());
  EXPECT_NE(moved->detail.find("squeals again"), std::string::npos) << moved->detail;
  const auto transitions = count(d, "transition");

  EXPECT_TRUE(apply(id, reply("又响了 squeals again")).notices.empty());  // a re-send: applied once
  EXPECT_EQ(count(detail(number), "driver_message"), 1);

  // The driver then also taps "Not fixed": what it asks for is so already, and it is told so.
  const auto tap = new_uuid();
  auto again = apply(tap, reopen());
  ASSERT_EQ(again.notices.size(), 1u);
  const auto answered = decode(again.notices.front());
  EXPECT_TRUE(answered.action_result().accepted());
  EXPECT_EQ(answered.action_result().action_id(), tap);
  d = detail(number);
  EXPECT_EQ(d.c.state, S::reopened);
  EXPECT_EQ(count(d, "transition") - transitions, 0) << "no second reopening";
}

// The driver reads a notice in their language only: the state in words ("处理中"), not the
// store's code ("in_progress", "reopened"), and no English the store wrote for its audit.
TEST_F(DriverActionTest, TheNoticesAnsweringTheDriverAreInTheDriversLanguageOnly) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress, S::waiting_for_customer});
  apply(new_uuid(), reply("只在冷车时 only when cold"));
  ASSERT_EQ(detail(number).c.state, S::in_progress);
  std::optional<wire::Envelope> env;  // the newest notice: the reply's
  for (const auto& q : queued()) {
    if (auto e = codec::decode(q.payload); e && (!env || e->sent_at_ms() >= env->sent_at_ms())) env = *e;
  }
  ASSERT_TRUE(env);
  const auto& text = env->notification().text();
  EXPECT_EQ(env->notification().language(), "zh");
  EXPECT_NE(text.find("处理中"), std::string::npos) << text;
  EXPECT_NE(text.find("已收到您的回复"), std::string::npos) << text;
  EXPECT_EQ(text.find("in_progress"), std::string::npos) << text;
  EXPECT_EQ(text.find("the driver"), std::string::npos) << text;

  ASSERT_TRUE(move(number, S::resolved));
  auto out = apply(new_uuid(), reopen());
  ASSERT_EQ(out.notices.size(), 1u);
  auto n = decode(out.notices.front());
  EXPECT_NE(n.text().find("已重新打开"), std::string::npos) << n.text();
  EXPECT_EQ(n.text().find("reopened"), std::string::npos) << n.text();
  EXPECT_EQ(n.text().find("the driver says"), std::string::npos) << n.text();

  ASSERT_TRUE(move(number, S::in_progress, kT + 3 * kDay));
  auto refused = apply(new_uuid(), reopen());  // in progress: not reopenable
  ASSERT_EQ(refused.notices.size(), 1u);
  n = decode(refused.notices.front());
  EXPECT_FALSE(n.action_result().accepted());
  EXPECT_NE(n.text().find("只有已解决或已关闭的问题可以重新打开"), std::string::npos) << n.text();
  EXPECT_EQ(n.text().find("only a resolved"), std::string::npos) << n.text();
  EXPECT_EQ(case_status_text(S::waiting_for_customer, "en"), "waiting for your reply");
}

// The same car reported the problem twice: the second report joined the case. A reopen asked from
// that second report is answered on it, where the driver is waiting for the answer.
TEST_F(DriverActionTest, AReopenAskedFromTheSecondReportOfACaseIsAnsweredOnThatReport) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress});
  const auto first = report_id_;
  auto again = submit(report(test::kVinA, "刹车异响 brake squeal"), kT + 2 * kHour);
  ASSERT_TRUE(again.accepted && again.accepted->merged);
  ASSERT_EQ(again.accepted->case_number, number);
  report_id_ = envs_.back()->report().report_id();
  ASSERT_TRUE(move(number, S::resolved));
  const auto id = new_uuid();
  auto out = apply(id, reopen());
  ASSERT_EQ(out.notices.size(), 1u);
  const auto n = decode(out.notices.front());
  EXPECT_EQ(n.report_id(), report_id_);
  EXPECT_NE(n.report_id(), first);
  EXPECT_TRUE(n.action_result().accepted());
  EXPECT_EQ(detail(number).c.state, S::reopened);
}

TEST_F(DriverActionTest, NotificationsNameTheirTimelineStepAndOnlyHighPriorityFaultsAreUrgent) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress, S::resolved});
  std::vector<wire::Milestone> milestones;
  for (const auto& q : queued()) {
    if (auto env = codec::decode(q.payload)) milestones.push_back(env->notification().milestone());
  }
  EXPECT_NE(std::find(milestones.begin(), milestones.end(), wire::MILESTONE_ASSIGNED), milestones.end());
  EXPECT_NE(std::find(milestones.begin(), milestones.end(), wire::MILESTONE_IN_PROGRESS), milestones.end());
  EXPECT_EQ(milestones.back(), wire::MILESTONE_RESOLVED);
  EXPECT_EQ(milestone_of("workaround", S::new_), wire::MILESTONE_WORKAROUND);
  EXPECT_EQ(milestone_of("progress", S::waiting_for_customer), wire::MILESTONE_WAITING_FOR_DRIVER);
  EXPECT_EQ(milestone_of("visit_proposed", S::appointment), wire::MILESTONE_APPOINTMENT);
  EXPECT_TRUE(urgent_case(Priority::high, CaseType::product_fault));
  EXPECT_FALSE(urgent_case(Priority::medium, CaseType::product_fault));
  EXPECT_FALSE(urgent_case(Priority::high, CaseType::service_complaint));
}

TEST_F(DriverActionTest, TheOutcomeOfAResolvedCaseMayBeRatedByItsResolvedNotification) {
  case_in({S::acknowledged, S::assigned, S::in_progress, S::resolved});
  std::string resolved_id;
  for (const auto& q : queued()) {
    if (decode(q).status() == wire::CASE_STATUS_RESOLVED) resolved_id = q.id;
  }
  ASSERT_FALSE(resolved_id.empty());
  wire::SurveyAnswer a;
  a.set_notification_id(resolved_id);
  a.set_score(5);
  auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{{new_uuid(), test::kVinA, a, kT + kDay, "t", "p"}},
                                       render_);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->front().receipt_matched);
  EXPECT_EQ(store_->survey_score()->second, 1);
}

// The rating of the resolved notice and the closed case's survey ask the same question about one
// closing: both answers are kept, the one the driver gave last counts, whichever arrives last. A
// resend changes nothing; a case reopened and resolved again is another closing, and a late
// answer about the first closing does not touch the second's.
TEST_F(DriverActionTest, ARatingAndTheSurveyOfTheSameClosingCountOnce) {
  const auto number = case_in({S::acknowledged, S::assigned, S::in_progress, S::resolved});
  const auto notification = [&](wire::CaseStatus status, std::size_t nth) {
    std::vector<std::string> ids;
    for (const auto& q : queued())
      if (decode(q).status() == status) ids.push_back(q.id);
    return nth < ids.size() ? ids[nth] : std::string{};
  };
  // Answered at `answered` by the car's clock, received at `received`.
  const auto answer = [&](const std::string& id, int score, std::int64_t answered, std::int64_t received) {
    ASSERT_FALSE(id.empty());
    wire::SurveyAnswer a;
    a.set_notification_id(id);
    a.set_score(static_cast<std::uint32_t>(score));
    CarReplyIntake in{new_uuid(), test::kVinA, a, received, "t", "p"};
    in.answered_ms = answered;
    auto out = store_->apply_car_replies(std::vector<CarReplyIntake>{in}, render_);
    ASSERT_TRUE(out) << out.error().what();
    EXPECT_TRUE(out->front().receipt_matched);
  };
  const auto csat = [&] {
    auto s = store_->survey_score();
    EXPECT_TRUE(s) << s.error().what();
    return s ? *s : std::pair<double, std::int64_t>{};
  };
  using Csat = std::pair<double, std::int64_t>;
  const auto first_rating = notification(wire::CASE_STATUS_RESOLVED, 0);
  answer(first_rating, 2, kT + kDay, kT + kDay);
  ASSERT_TRUE(move(number, S::closed, kT + 2 * kDay));
  EXPECT_EQ(csat(), (Csat{2.0, 1}));
  answer(first_rating, 2, kT + kDay, kT + 3 * kDay);  // sent again: the notification is answered
  EXPECT_EQ(csat(), (Csat{2.0, 1}));

  ASSERT_TRUE(move(number, S::reopened, kT + 4 * kDay));
  ASSERT_TRUE(move(number, S::in_progress, kT + 4 * kDay));
  // Stamped by an instance whose clock is behind: before the first survey request.
  ASSERT_TRUE(move(number, S::resolved, kT + 2 * kDay - kHour));
  ASSERT_TRUE(move(number, S::closed, kT + 6 * kDay));
  answer(notification(wire::CASE_STATUS_CLOSED, 1), 5, kT + 7 * kDay, kT + 7 * kDay);
  EXPECT_EQ(csat(), (Csat{3.5, 2}));
  // The second resolution's rating, given before that survey was answered, arriving after it.
  answer(notification(wire::CASE_STATUS_RESOLVED, 1), 1, kT + 6 * kDay, kT + 8 * kDay);
  EXPECT_EQ(csat(), (Csat{3.5, 2}));
  // The first closing's survey, answered on day 3, arriving now: it is the first closing's answer.
  answer(notification(wire::CASE_STATUS_CLOSED, 0), 4, kT + 3 * kDay, kT + 9 * kDay);
  EXPECT_EQ(csat(), (Csat{4.5, 2}));

  // The case's page shows the answer that counts, of its latest closing.
  auto shown = store_->case_detail(number);
  ASSERT_TRUE(shown && *shown);
  ASSERT_TRUE((*shown)->survey);
  EXPECT_EQ((*shown)->survey->first, 5);
}

// The console's work on cases, straight on the store (the API tests go through HTTP on SQLite
// only): here it runs on both stores (postgres_store_suite).
TEST_F(LifecycleTest, TheConsolesWorkOnCasesIsStoredAndFound) {
  const auto a = new_case(kT, {}, test::kVinA);
  const auto b = new_case(kT + 1, {}, test::kVinB);
  ASSERT_TRUE(store_->add_comment(a, "li.na", "called the driver", kT + 2));
  auto assigned = store_->assign(a, "li.na", "lead", kT + 3, render_);
  ASSERT_TRUE(assigned) << assigned.error().what();
  EXPECT_EQ(assigned->assignee, "li.na");
  auto sent = store_->send_message(a, "li.na", "We are on it", "message", kT + 4, render_);
  ASSERT_TRUE(sent) << sent.error().what();
  EXPECT_EQ(sent->vin, test::kVinA);

  CaseQuery q;
  q.text = a;
  auto found = store_->search_cases(q);
  ASSERT_TRUE(found) << found.error().what();
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].case_number, a);
  CaseQuery page;
  page.sort = CaseSort::oldest;
  page.limit = 1;
  auto first = store_->search_cases(page);
  ASSERT_TRUE(first) << first.error().what();
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_EQ(first->items[0].case_number, a);
  page.cursor = first->next_cursor;
  auto second = store_->search_cases(page);
  ASSERT_TRUE(second) << second.error().what();
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].case_number, b);
  // The agents' queue: several states at once (SQLite's query keeps the state index out with a
  // unary +, which PostgreSQL refuses on text).
  CaseQuery queue;
  queue.states = {CaseState::new_, CaseState::acknowledged, CaseState::in_progress};
  auto open = store_->search_cases(queue);
  ASSERT_TRUE(open) << open.error().what();
  ASSERT_EQ(open->items.size(), 1u);  // a is assigned
  EXPECT_EQ(open->items[0].case_number, b);
  queue.states.push_back(CaseState::assigned);
  auto all_open = store_->search_cases(queue);
  ASSERT_TRUE(all_open) << all_open.error().what();
  EXPECT_EQ(all_open->items.size(), 2u);

  auto mine = store_->cases_of_subject(test::kVinA, "");
  ASSERT_TRUE(mine);
  EXPECT_EQ(*mine, std::vector<std::string>{a});
  auto by_state = store_->cases_by_state();
  ASSERT_TRUE(by_state);
  std::int64_t total = 0;
  for (const auto& [state, n] : *by_state) total += n;
  EXPECT_EQ(total, 2);
  auto detail = store_->case_detail(a);
  ASSERT_TRUE(detail && *detail);
  EXPECT_EQ((*detail)->c.assignee, "li.na");
  EXPECT_TRUE(store_->audit_privacy("export", privacy_subject("vin", test::kVinA), "dpo", kT + 5));

  // Another problem of the same car: its own case, merged into the first by hand and split out again.
  auto other = submit(report(test::kVinA, "空调不制冷 air conditioning not cooling"), kT + 6);
  ASSERT_TRUE(other.accepted);
  const auto c = other.accepted->case_number;
  ASSERT_NE(c, a);
  const auto moved_report = envs_.back()->report().report_id();
  auto merged = store_->merge_cases(c, a, "li.na", kT + 7, render_);
  ASSERT_TRUE(merged) << merged.error().what();
  EXPECT_EQ(merged->case_number, a);
  EXPECT_EQ(merged->reports, 2);
  auto split = store_->split_report(a, moved_report, "li.na", kT + 8);
  ASSERT_TRUE(split) << split.error().what();
  EXPECT_NE(split->case_number, a);
  EXPECT_EQ(split->reports, 1);
  EXPECT_EQ((*store_->find_case(a))->reports, 1);

  // The case merged away is closed with no report: reopening it would make an empty open case.
  TransitionRequest reopen{c, S::reopened, "li.na", "merged by mistake", kT + 9};
  auto reopened = store_->transition(reopen, render_);
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, make_error_code(CaseErrc::invalid_transition));
  EXPECT_NE(reopened.error().detail.find("holds no report"), std::string::npos) << reopened.error().detail;
  EXPECT_EQ((*store_->find_case(c))->state, S::closed);

  // Out of a finished case, a split would be a new open case already past its due dates.
  ASSERT_TRUE(store_->merge_cases(split->case_number, a, "li.na", kT + 10, render_));
  for (auto s : {S::in_progress, S::resolved, S::closed}) ASSERT_TRUE(move(a, s, kT + 11));
  auto late_split = store_->split_report(a, moved_report, "li.na", kT + 12);
  ASSERT_FALSE(late_split);
  EXPECT_EQ(late_split.error().code, make_error_code(CaseErrc::invalid_request));
  EXPECT_EQ((*store_->find_case(a))->reports, 2);

  // The driver cannot answer on a closed case: nor is a message sent to it.
  auto to_closed = store_->send_message(a, "li.na", "please send a photo", "message", kT + 13, render_);
  ASSERT_FALSE(to_closed);
  EXPECT_EQ(to_closed.error().code, make_error_code(CaseErrc::invalid_transition));
  EXPECT_NE(to_closed.error().detail.find("reopen"), std::string::npos) << to_closed.error().detail;
}

// Merged by hand into an older, calmer case of the same car, a brake complaint keeps its urgency:
// the case kept takes its priority and its earlier due times.
TEST_F(LifecycleTest, AManualMergeKeepsTheMoreUrgentCasesPriorityAndDueTimes) {
  const auto [calm, urgent] = calm_and_urgent_cases();
  ASSERT_FALSE(calm.empty());
  ASSERT_NE(urgent, calm);
  const auto before = store_->find_case(urgent)->value();
  ASSERT_EQ(before.priority, Priority::high);
  ASSERT_NE(store_->find_case(calm)->value().priority, Priority::high);

  auto merged = store_->merge_cases(urgent, calm, "li.na", kT + 2 * kHour, render_);
  ASSERT_TRUE(merged) << merged.error().what();
  EXPECT_EQ(merged->priority, Priority::high);
  EXPECT_EQ(merged->first_reply_due_ms, kT + kHour + 4 * kHour);
  const auto events = store_->case_events(calm).value();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [&](const CaseEvent& e) {
    return e.kind == "priority_raised" && e.detail.find(urgent) != std::string::npos;
  }));
  // It escalates at the brake complaint's 4 hours, not the air con's 24.
  auto sla = store_->process_sla(kT + 5 * kHour + 1, render_);
  ASSERT_TRUE(sla) << sla.error().what();
  EXPECT_TRUE(std::any_of(sla->begin(), sla->end(), [&](const SlaEvent& e) { return e.case_number == calm; }));
}

// A brake case (3 days) merged into a later air-con case (7 days) keeps the brake case's due time;
// reopened after its resolution, the case gets the brake case's 3 days again from the reopening,
// not a length cut from the air-con case's later start (which was below zero: due at once).
TEST_F(LifecycleTest, AReopenedCaseAfterAManualMergeGetsTheMergedCasesResolutionTarget) {
  auto urgent = submit(report(test::kVinA, "刹车失灵，踩不下去 brakes failed"), kT, SlaTargets{4 * kHour, 3 * kDay, 0});
  auto calm = submit(report(test::kVinA, "空调出风有异味 the air con smells"), kT + 4 * kDay,
                     SlaTargets{24 * kHour, 7 * kDay, 0});
  ASSERT_TRUE(urgent.accepted && calm.accepted);
  const auto kept = calm.accepted->case_number;
  ASSERT_NE(kept, urgent.accepted->case_number);
  auto merged = store_->merge_cases(urgent.accepted->case_number, kept, "li.na", kT + 4 * kDay + kHour, render_);
  ASSERT_TRUE(merged) << merged.error().what();
  EXPECT_EQ(merged->resolution_due_ms, kT + 3 * kDay) << "the brake case's due time";
  EXPECT_EQ(merged->created_ms, kT + 4 * kDay);
  for (auto to : {S::acknowledged, S::assigned, S::in_progress, S::resolved}) {
    ASSERT_TRUE(move(kept, to, kT + 4 * kDay + 2 * kHour));
  }
  ASSERT_TRUE(move(kept, S::reopened, kT + 10 * kDay));
  const auto reopened = store_->find_case(kept)->value();
  EXPECT_EQ(reopened.resolution_due_ms, kT + 13 * kDay) << "3 days from the reopening";
  auto sla = store_->process_sla(kT + 10 * kDay + 1, render_);
  ASSERT_TRUE(sla) << sla.error().what();
  EXPECT_TRUE(std::none_of(sla->begin(), sla->end(), [&](const SlaEvent& e) { return e.case_number == kept; }));
}

// A case stored before v14 whose own resolution target is unknown (its due time came before its
// start) offers none when merged: the case kept keeps its own, not the 7-day default.
TEST_F(LifecycleTest, ALegacyCaseMergedAwayLeavesTheKeptCasesResolutionTargetAlone) {
  auto urgent = submit(report(test::kVinA, "刹车失灵，踩不下去 brakes failed"), kT, SlaTargets{4 * kHour, 3 * kDay, 0});
  auto calm = submit(report(test::kVinA, "空调出风有异味 the air con smells"), kT + kHour,
                     SlaTargets{24 * kHour, 14 * kDay, 0});
  ASSERT_TRUE(urgent.accepted && calm.accepted);
  const auto kept = calm.accepted->case_number;
  ASSERT_NE(kept, urgent.accepted->case_number);
  {
    auto db = test::open_store_database(dir_ / "cases.db");
    ASSERT_TRUE(db) << db.error().what();
    ASSERT_TRUE(
        db->exec("UPDATE cases SET resolution_target_ms = 0, resolution_due_ms = sla_start_ms - 3600000 "
                 "WHERE number = '" +
                 urgent.accepted->case_number + "'"));
  }
  ASSERT_TRUE(store_->merge_cases(urgent.accepted->case_number, kept, "li.na", kT + 2 * kHour, render_));
  for (auto to : {S::acknowledged, S::assigned, S::in_progress, S::resolved}) {
    ASSERT_TRUE(move(kept, to, kT + 3 * kHour));
  }
  ASSERT_TRUE(move(kept, S::reopened, kT + 10 * kDay));
  EXPECT_EQ(store_->find_case(kept)->value().resolution_due_ms, kT + 24 * kDay) << "its own 14 days";
}

TEST_F(LifecycleTest, ACaseIsLinkedToAMajorCaseByHandAndUnlinked) {
  const auto major = major_case_of_two("LSVAX60E5K2000021", "LSVAX60E5K2000022");
  ASSERT_FALSE(major.empty());
  const auto loose = new_case(kT + 2 * kHour, {}, test::kVinB);
  auto linked = store_->link_to_major(loose, major, "li.na", kT + 3 * kHour);
  ASSERT_TRUE(linked) << linked.error().what();
  EXPECT_EQ(linked->parent_case_number, major);
  auto unlinked = store_->link_to_major(loose, "", "li.na", kT + 4 * kHour);
  ASSERT_TRUE(unlinked) << unlinked.error().what();
  EXPECT_TRUE(unlinked->parent_case_number.empty());
}

}  // namespace
}  // namespace fb::backend
