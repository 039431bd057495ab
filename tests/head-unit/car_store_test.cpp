#include "fb/agent/car_store.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <google/protobuf/unknown_field_set.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "../common/report_fixture.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/crypto.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace fb::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::kVinA;

struct Queued {
  wire::Envelope env;
  std::string payload;
};

Queued make_report(const std::string& text = "换挡顿挫") {
  Queued q{test::valid_report_envelope(kVinA, text), {}};
  q.payload = codec::encode(q.env);
  return q;
}

wire::Ack accepted_ack(const Queued& q, const std::string& number) {
  wire::Ack ack;
  ack.set_report_id(q.env.report().report_id());
  ack.set_payload_sha256(codec::sha256(q.payload));
  ack.mutable_accepted()->set_case_id(new_uuid());
  ack.mutable_accepted()->set_case_number(number);
  return ack;
}

wire::Envelope notification_for(const Queued& q, wire::CaseStatus status = wire::CASE_STATUS_RECEIVED) {
  auto env = codec::new_envelope(1'780'000'000'000);
  auto* n = env.mutable_notification();
  n->set_report_id(q.env.report().report_id());
  n->set_case_number("FB-2026-000042");
  n->set_status(status);
  n->set_title("反馈已受理 FB-2026-000042");
  n->set_text("已转交研发/技术支持处理");
  n->set_language("zh");
  n->set_team("研发/技术支持");
  n->set_first_reply_due_ms(1'780'086'400'000);
  return env;
}

wire::Ack ack_carrying(const Queued& q, const wire::Envelope& notification) {
  auto ack = accepted_ack(q, "FB-2026-000042");
  *ack.mutable_accepted()->mutable_notification() = codec::carry(notification);
  return ack;
}

class CarStoreTest : public ::testing::Test {
 protected:
  // Most tests use small times (1000, 2000, ...): every time counts as a set clock.
  static CarStore::Options options() {
    CarStore::Options o;
    o.clock_valid_from_ms = 0;
    return o;
  }
  CarStore open(CarStore::Options o = options()) {
    auto s = CarStore::open(path_, std::move(o));
    EXPECT_TRUE(s) << s.error().what();
    return std::move(*s);
  }
  test::TempDir dir_;
  std::string path_ = dir_ / "car.db";
  const std::string receipts_ = "vehicles/" + std::string(kVinA) + "/receipts";
};

TEST_F(CarStoreTest, QueuedReportsSurviveAReopenInSendOrder) {
  const auto low = make_report("low");
  const auto high = make_report("high");
  const auto low2 = make_report("low2");
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(low.env, low.payload, ReportClass::normal, 1000));
    ASSERT_TRUE(store.enqueue_report(high.env, high.payload, ReportClass::safety, 2000));
    ASSERT_TRUE(store.enqueue_report(low2.env, low2.payload, ReportClass::normal, 3000));
  }  // closed like a killed app: every call was its own committed transaction
  auto store = open();
  auto outbox = store.outbox();
  ASSERT_TRUE(outbox);
  ASSERT_EQ(outbox->size(), 3u);
  EXPECT_EQ((*outbox)[0].id, high.env.report().report_id());
  EXPECT_EQ((*outbox)[1].id, low.env.report().report_id());
  EXPECT_EQ((*outbox)[2].id, low2.env.report().report_id());
  EXPECT_EQ((*outbox)[0].topic, "vehicles/" + std::string(kVinA) + "/reports");
  EXPECT_EQ(*store.payload(low.env.report().report_id()), low.payload);  // byte-identical re-sends
  auto reports = store.reports();
  ASSERT_EQ(reports->size(), 3u);
  for (const auto& r : *reports) EXPECT_EQ(r.status, ReportStatus::queued);
}

// A report's "queued" step is its row's time, not a row of its own (8 % of what an enqueue
// writes); a store that kept the row before shows it once.
TEST_F(CarStoreTest, TheQueuedStepIsTheReportsOwnTimeAndShowsOnceWhereARowKeptIt) {
  const auto now = make_report("a rattle");
  const auto before = make_report("a squeal");
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(now.env, now.payload, ReportClass::normal, 1000));
    ASSERT_TRUE(store.enqueue_report(before.env, before.payload, ReportClass::normal, 2000));
  }
  {
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    EXPECT_EQ(*db->query_int("SELECT count(*) FROM timeline WHERE kind = 'queued'"), 0);
    ASSERT_TRUE(
        db->exec("INSERT INTO timeline(report_id, kind, at_ms) VALUES('" + before.env.report().report_id() +
                 "', 'queued', 1990)"));  // as a store written before kept it (a time of its own, to tell them apart)
  }
  auto store = open();
  for (const auto& [r, at] : {std::pair{&now, 1000}, std::pair{&before, 1990}}) {
    ASSERT_TRUE(store.record_delivery(r->env.report().report_id(), at + 10, at + 20));
    auto steps = store.timeline(r->env.report().report_id());
    ASSERT_TRUE(steps) << steps.error().what();
    ASSERT_EQ(steps->size(), 3u);
    EXPECT_EQ((*steps)[0].kind, TimelineKind::queued);
    EXPECT_EQ((*steps)[0].at_ms, at);
    EXPECT_EQ((*steps)[1].kind, TimelineKind::sent);
    EXPECT_EQ((*steps)[2].kind, TimelineKind::delivered);
  }
  EXPECT_TRUE(store.timeline("no-such-report")->empty());
}

// The driver's words are written once (v14): in My reports, not again in the queued copy, which
// keeps the payload without their chunk (codec::encode() puts it last) and is sent byte for byte.
TEST_F(CarStoreTest, AQueuedReportsWordsAreWrittenOnceAndItsBytesSentAsEncoded) {
  const auto words = "report 1: " + std::string(600, 'w');
  const auto q = make_report(words);
  auto standard = make_report(words);  // bytes of another encoder: the text in field order
  standard.payload = standard.env.SerializeAsString();
  ASSERT_FALSE(standard.payload.ends_with(codec::report_text_chunk(words)));
  auto held = make_report(words);
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  ASSERT_TRUE(store.enqueue_report(standard.env, standard.payload, ReportClass::normal, 1001));
  ASSERT_TRUE(store.enqueue_report(held.env, held.payload, ReportClass::normal, 1002, 5000));
  held.env.mutable_report()->set_snapshot_lost(true);
  held.payload = codec::encode(held.env);
  ASSERT_TRUE(store.release_report(held.env.report().report_id(), held.payload, SnapshotState::lost, 5000));

  const auto kept = [&](const Queued& r) {
    auto db = sql::Database::open(path_);
    EXPECT_TRUE(db);
    auto st = db->prepare("SELECT payload, text_apart, size FROM outbox WHERE id = ?");
    EXPECT_TRUE(st);
    st->bind(1, r.env.report().report_id());
    EXPECT_TRUE(st->step().value_or(false));
    return std::tuple{st->blob(0), st->int64(1), st->int64(2)};
  };
  const auto chunk = codec::report_text_chunk(words);
  for (const Queued* r : {&q, static_cast<const Queued*>(&held)}) {
    const auto [payload, apart, size] = kept(*r);
    EXPECT_EQ(apart, 1);
    EXPECT_EQ(payload.size(), r->payload.size() - chunk.size());
    EXPECT_EQ(payload.find(std::string(600, 'w')), std::string::npos) << "the words written twice";
    EXPECT_EQ(size, static_cast<std::int64_t>(r->payload.size())) << "the cap counts the bytes sent";
    EXPECT_EQ(store.payload(r->env.report().report_id()).value(), r->payload) << "not the bytes encoded";
    EXPECT_EQ((*store.report(r->env.report().report_id()))->text, words);
  }
  const auto [payload, apart, size] = kept(standard);
  EXPECT_EQ(apart, 0) << "bytes that do not end with the words are kept whole";
  EXPECT_EQ(payload, standard.payload);
  EXPECT_EQ(store.payload(standard.env.report().report_id()).value(), standard.payload);
}

// An AnswerStored{refused} naming a report (a backend bug, a forged message) must not end it:
// the agent only guards the reports its scheduler holds, not one waiting for its snapshot.
TEST_F(CarStoreTest, ARefusalNamingAReportLeavesTheReportQueued) {
  const auto r = make_report("waiting for its snapshot");
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(r.env, r.payload, ReportClass::normal, 1000));
  const auto id = r.env.report().report_id();
  auto refused = store.refuse_answer(id, 2000);
  ASSERT_TRUE(refused) << refused.error().what();
  EXPECT_FALSE(*refused) << "nothing of the car's was an answer by that id";
  auto payload = store.payload(id);
  ASSERT_TRUE(payload) << "the report left the outbox: " << payload.error().what();
  EXPECT_EQ(*payload, r.payload);
  EXPECT_EQ((*store.report(id))->status, ReportStatus::queued);
  EXPECT_EQ(store.outbox()->size(), 1u);
}

TEST_F(CarStoreTest, AckRemovesTheReportFromTheOutboxAndKeepsItsHistory) {
  const auto q = make_report();
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
    auto r = store.apply_ack(accepted_ack(q, "FB-2026-000007"), 2000);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->matched);
    EXPECT_EQ(r->report_id, q.env.report().report_id());
  }
  auto store = open();
  EXPECT_TRUE(store.outbox()->empty());
  auto view = store.report(q.env.report().report_id());
  ASSERT_TRUE(view && *view);
  EXPECT_EQ((*view)->status, ReportStatus::acknowledged);
  EXPECT_EQ((*view)->case_number, "FB-2026-000007");
  EXPECT_EQ((*view)->text, "换挡顿挫");
}

TEST_F(CarStoreTest, RejectionWithoutReportIdIsMatchedByDigest) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  wire::Ack ack;
  ack.set_payload_sha256(codec::sha256(q.payload));
  ack.mutable_rejected()->set_reason(wire::REJECT_UNSUPPORTED_VERSION);
  ack.mutable_rejected()->set_detail("schema_version 9");
  auto r = store.apply_ack(ack, 2000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->matched);
  EXPECT_TRUE(store.outbox()->empty());  // the car stops retrying
  auto view = *store.report(q.env.report().report_id());
  EXPECT_EQ(view->status, ReportStatus::rejected);
  EXPECT_EQ(view->reject_reason, "unsupported_version: schema_version 9");
}

TEST_F(CarStoreTest, AnAckWithoutAResultThisBuildKnowsConfirmsNothing) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  wire::Ack ack;  // as a newer backend might send with a result type added later
  ack.set_report_id(q.env.report().report_id());
  ack.set_payload_sha256(codec::sha256(q.payload));
  auto r = store.apply_ack(ack, 2000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->matched);
  EXPECT_EQ(store.outbox()->size(), 1u);  // still queued, still sent again
  // Asked for views (the agent's listeners), it still shows the report, as it stands: queued.
  auto viewed = store.apply_acks(std::span<const wire::Ack>(&ack, 1), 3000, /*with_views=*/true);
  ASSERT_TRUE(viewed);
  ASSERT_TRUE(viewed->front().report);
  EXPECT_EQ(viewed->front().report->status, ReportStatus::queued);
  EXPECT_EQ(store.outbox()->size(), 1u);
}

TEST_F(CarStoreTest, TheNewestNotificationWinsWhateverTheOrderOfArrival) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  auto at = [&](std::int64_t sent_at, wire::CaseStatus status, const std::string& title) {
    auto env = notification_for(q, status);
    env.set_sent_at_ms(sent_at);
    env.mutable_notification()->set_title(title);
    EXPECT_TRUE(store.apply_notification(env, receipts_, 9000));
  };
  at(3000, wire::CASE_STATUS_WAITING_FOR_DRIVER, "please book an appointment");
  at(4000, wire::CASE_STATUS_IN_PROGRESS, "back in progress");  // a case may move back
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::in_progress);
  at(2000, wire::CASE_STATUS_RECEIVED, "received (a late resend)");  // older: changes nothing
  auto view = *store.report(q.env.report().report_id());
  EXPECT_EQ(view->status, ReportStatus::in_progress);
  EXPECT_EQ(view->last_title, "back in progress");
  EXPECT_EQ(store.inbox()->size(), 3u);  // every notification is still kept in the inbox
}

// A backend clock a year ahead stamped one update: it is believed no further than the lead
// (30 days) past the car's set clock, so the updates after that lead are shown again.
TEST_F(CarStoreTest, AStampFromABackendClockFarAheadHidesLaterUpdatesNoLongerThanTheLead) {
  const std::int64_t t = 1'780'000'000'000;
  constexpr std::int64_t kDay = 86'400'000;
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, t));
  auto at = [&](std::int64_t sent_at, std::int64_t now, wire::CaseStatus status) {
    auto env = notification_for(q, status);
    env.set_sent_at_ms(sent_at);
    EXPECT_TRUE(store.apply_notification(env, receipts_, now));
    return (*store.report(q.env.report().report_id()))->status;
  };
  EXPECT_EQ(at(t + 400 * kDay, t, wire::CASE_STATUS_IN_PROGRESS), ReportStatus::in_progress);
  EXPECT_EQ(at(t + 1000, t + 1000, wire::CASE_STATUS_WAITING_FOR_DRIVER), ReportStatus::in_progress);
  EXPECT_EQ(at(t + 31 * kDay, t + 31 * kDay, wire::CASE_STATUS_RESOLVED), ReportStatus::resolved);
}

TEST_F(CarStoreTest, AReportTheBrokerHadSaysSoWhenReadAgain) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  EXPECT_FALSE((*store.report(q.env.report().report_id()))->delivered);
  ASSERT_TRUE(store.record_delivery(q.env.report().report_id(), 1100, 1200));
  EXPECT_TRUE((*store.report(q.env.report().report_id()))->delivered);
  EXPECT_TRUE(store.reports(10)->front().delivered);
}

// The driver reported the same problem twice and the backend joined both to one case; its
// notices name one report, yet both cards move with the case.
TEST_F(CarStoreTest, EveryReportOfACaseMovesWithItsNotices) {
  const auto first = make_report("first");
  const auto again = make_report("again");
  const auto other = make_report("other problem");
  auto store = open();
  for (const auto* q : {&first, &again, &other}) {
    ASSERT_TRUE(store.enqueue_report(q->env, q->payload, ReportClass::normal, 1000));
  }
  ASSERT_TRUE(store.apply_ack(accepted_ack(first, "FB-2026-000007"), 2000));
  ASSERT_TRUE(store.apply_ack(accepted_ack(again, "FB-2026-000007"), 2100));
  ASSERT_TRUE(store.apply_ack(accepted_ack(other, "FB-2026-000008"), 2200));
  auto resolved = notification_for(first, wire::CASE_STATUS_RESOLVED);
  resolved.mutable_notification()->set_case_number("FB-2026-000007");
  resolved.set_sent_at_ms(3000);
  auto applied = store.apply_notification(resolved, receipts_, 3000);
  ASSERT_TRUE(applied) << applied.error().what();
  ASSERT_EQ(applied->others.size(), 1u) << "the app is told of the other report too";
  EXPECT_EQ(applied->others[0].report_id, again.env.report().report_id());
  EXPECT_EQ(applied->others[0].status, ReportStatus::resolved);
  const auto status = [&](const Queued& q) { return (*store.report(q.env.report().report_id()))->status; };
  EXPECT_EQ(status(first), ReportStatus::resolved);
  EXPECT_EQ(status(again), ReportStatus::resolved);
  EXPECT_NE(status(other), ReportStatus::resolved);
  const auto steps = store.timeline(again.env.report().report_id());
  ASSERT_TRUE(steps);
  EXPECT_TRUE(std::any_of(steps->begin(), steps->end(),
                          [](const TimelineEvent& e) { return e.kind == TimelineKind::resolved; }));
}

// The case's assignment has status "received" (the driver's coarser view) and milestone
// "assigned": the report that joined the case moves with it too, and shows the new team.
TEST_F(CarStoreTest, TheAssignmentOfACaseReachesTheReportThatJoinedIt) {
  const auto first = make_report("first");
  const auto again = make_report("again");
  auto store = open();
  for (const auto* q : {&first, &again})
    ASSERT_TRUE(store.enqueue_report(q->env, q->payload, ReportClass::normal, 1000));
  ASSERT_TRUE(store.apply_ack(accepted_ack(first, "FB-2026-000007"), 2000));
  ASSERT_TRUE(store.apply_ack(accepted_ack(again, "FB-2026-000007"), 2100));
  auto assigned = notification_for(first, wire::CASE_STATUS_RECEIVED);
  assigned.mutable_notification()->set_case_number("FB-2026-000007");
  assigned.mutable_notification()->set_milestone(wire::MILESTONE_ASSIGNED);
  assigned.mutable_notification()->set_team("售后服务");
  assigned.set_sent_at_ms(3000);
  auto applied = store.apply_notification(assigned, receipts_, 3000);
  ASSERT_TRUE(applied) << applied.error().what();
  ASSERT_EQ(applied->others.size(), 1u);
  EXPECT_EQ((*store.report(again.env.report().report_id()))->team, "售后服务");
  const auto steps = store.timeline(again.env.report().report_id());
  ASSERT_TRUE(steps);
  EXPECT_TRUE(std::any_of(steps->begin(), steps->end(),
                          [](const TimelineEvent& e) { return e.kind == TimelineKind::assigned; }));

  // A report's own "received" (a merged report's first notice) still moves no other report.
  auto received = notification_for(again, wire::CASE_STATUS_RECEIVED);
  received.mutable_notification()->set_case_number("FB-2026-000007");
  received.mutable_notification()->set_milestone(wire::MILESTONE_RECEIVED);
  received.set_sent_at_ms(4000);
  applied = store.apply_notification(received, receipts_, 4000);
  ASSERT_TRUE(applied) << applied.error().what();
  EXPECT_TRUE(applied->others.empty());
}

// A later notice with a status this build does not know, or with no case number, keeps what the
// report had: a closed report does not reopen to "received", and it keeps its case (reply,
// reopen and callback name it).
TEST_F(CarStoreTest, ANoticeWithAnUnknownStatusOrNoCaseNumberKeepsWhatTheReportHad) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  ASSERT_TRUE(store.apply_ack(accepted_ack(q, "FB-2026-000042"), 2000));
  auto closed = notification_for(q, wire::CASE_STATUS_CLOSED);
  closed.set_sent_at_ms(3000);
  ASSERT_TRUE(store.apply_notification(closed, receipts_, 3000));
  auto newer = notification_for(q, static_cast<wire::CaseStatus>(42));
  newer.set_sent_at_ms(4000);
  newer.mutable_notification()->set_title("newer");
  ASSERT_TRUE(store.apply_notification(newer, receipts_, 4000));
  auto view = *store.report(q.env.report().report_id());
  EXPECT_EQ(view->status, ReportStatus::closed);
  EXPECT_EQ(view->last_title, "newer") << "the rest of the notice still shows";
  auto none = notification_for(q, wire::CASE_STATUS_UNSPECIFIED);
  none.set_sent_at_ms(5000);
  none.mutable_notification()->set_case_number("");
  ASSERT_TRUE(store.apply_notification(none, receipts_, 5000));
  view = *store.report(q.env.report().report_id());
  EXPECT_EQ(view->status, ReportStatus::closed);
  EXPECT_EQ(view->case_number, "FB-2026-000042");
}

TEST_F(CarStoreTest, AnAckForSomethingElseChangesNothing) {
  const auto q = make_report();
  const auto other = make_report("other");
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  auto r = store.apply_ack(accepted_ack(other, "FB-2026-000001"), 2000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->matched);
  EXPECT_EQ(store.outbox()->size(), 1u);
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::queued);
}

TEST_F(CarStoreTest, NotificationIsStoredOnceAndEveryCopyIsReceipted) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  const auto n = notification_for(q);
  auto first = store.apply_notification(n, receipts_, 3000);
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_FALSE(first->duplicate);
  ASSERT_TRUE(first->report);
  EXPECT_EQ(first->report->status, ReportStatus::received);
  EXPECT_EQ(first->report->team, "研发/技术支持");
  EXPECT_EQ(first->report->first_reply_due_ms, 1'780'086'400'000);
  auto again = store.apply_notification(n, receipts_, 4000);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_NE(again->receipt_id, first->receipt_id);
  EXPECT_EQ(store.inbox()->size(), 1u);
  // The report itself, plus two receipts for the backend (the first may have been lost).
  auto outbox = *store.outbox();
  ASSERT_EQ(outbox.size(), 3u);
  EXPECT_EQ(std::count_if(outbox.begin(), outbox.end(), [](auto& e) { return e.kind == OutboxKind::receipt; }), 2);
  auto receipt = codec::decode(*store.payload(first->receipt_id));
  ASSERT_TRUE(receipt);
  EXPECT_EQ(receipt->receipt().notification_id(), n.message_id());
  EXPECT_EQ(receipt->receipt().kind(), wire::RECEIPT_DELIVERED);
}

TEST_F(CarStoreTest, ALateAckDoesNotMoveTheStatusBack) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  ASSERT_TRUE(store.apply_notification(notification_for(q), receipts_, 2000));
  ASSERT_TRUE(store.apply_ack(accepted_ack(q, "FB-2026-000042"), 3000));
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::received);
  const auto outbox = *store.outbox();
  EXPECT_TRUE(std::none_of(outbox.begin(), outbox.end(), [](auto& e) { return e.kind == OutboxKind::report; }));
}

TEST_F(CarStoreTest, MarkReadQueuesOneReadReceipt) {
  const auto q = make_report();
  auto store = open();
  const auto n = notification_for(q);
  ASSERT_TRUE(store.apply_notification(n, receipts_, 2000));
  auto first = store.mark_read(n.message_id(), receipts_, 3000);
  ASSERT_TRUE(first && *first);
  auto receipt = codec::decode(*store.payload(**first));
  EXPECT_EQ(receipt->receipt().kind(), wire::RECEIPT_READ);
  EXPECT_FALSE(*store.mark_read(n.message_id(), receipts_, 4000));
  EXPECT_FALSE(*store.mark_read("unknown", receipts_, 4000));
  EXPECT_TRUE(store.inbox()->front().read);
}

TEST_F(CarStoreTest, ASurveyAnswerIsQueuedOnlyForAClosedCasesRequest) {
  const auto q = make_report();
  auto store = open();
  const auto progress = notification_for(q);
  const auto closed = notification_for(q, wire::CASE_STATUS_CLOSED);
  ASSERT_TRUE(store.apply_notification(progress, receipts_, 2000));
  ASSERT_TRUE(store.apply_notification(closed, receipts_, 3000));
  auto id = store.enqueue_survey_answer(closed.message_id(), 4, "修得快，态度好", receipts_, 4000);
  ASSERT_TRUE(id) << id.error().what();
  auto sent = codec::decode(*store.payload(*id));
  ASSERT_TRUE(sent && sent->has_survey());
  EXPECT_EQ(sent->survey().notification_id(), closed.message_id());
  EXPECT_EQ(sent->survey().score(), 4u);
  const auto outbox = *store.outbox();
  EXPECT_TRUE(std::any_of(outbox.begin(), outbox.end(), [&](auto& e) {
    return e.id == *id && e.kind == OutboxKind::answer && e.topic == receipts_;
  }));

  EXPECT_EQ(store.enqueue_survey_answer(progress.message_id(), 4, "", receipts_, 5000).error().code,
            make_error_code(StorageErrc::not_found));  // not a survey request
  EXPECT_EQ(store.enqueue_survey_answer(closed.message_id(), 0, "", receipts_, 5000).error().code,
            make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(store.enqueue_survey_answer(closed.message_id(), 5, std::string(1001, 'x'), receipts_, 5000).error().code,
            make_error_code(WireErrc::invalid_field));
  // Valid UTF-8, but no one's words: the backend's PostgreSQL text cannot hold U+0000.
  EXPECT_EQ(store.enqueue_survey_answer(closed.message_id(), 5, std::string("a\0b", 3), receipts_, 5000).error().code,
            make_error_code(WireErrc::invalid_field));
}

TEST_F(CarStoreTest, FullStorageRefusesTheNewReportAndKeepsTheOthers) {
  auto o = options();
  o.max_pages = 24;
  o.ack_reserve_bytes = 8 << 10;
  auto store = open(o);
  std::vector<std::string> saved;
  Result<Enqueued> r;
  for (int i = 0; i < 200; ++i) {
    auto q = make_report(std::string(1500, 'x') + std::to_string(i));
    r = store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000 + i);
    if (!r) break;
    saved.push_back(q.env.report().report_id());
  }
  ASSERT_FALSE(r) << "the page limit was never reached";
  EXPECT_EQ(r.error().code, make_error_code(StorageErrc::full)) << r.error().what();
  ASSERT_FALSE(saved.empty());
  auto outbox = store.outbox();
  ASSERT_TRUE(outbox);
  EXPECT_EQ(outbox->size(), saved.size());  // nothing half-written
  EXPECT_EQ(store.reports()->size(), saved.size());
  // Still full: each ack is applied (the first from the room kept for acks), though it writes the
  // case number and a step before its row goes; with the queue emptied a report is taken again.
  for (std::size_t i = 0; i < saved.size(); ++i) {
    wire::Ack ack;
    ack.set_report_id(saved[i]);
    ack.mutable_accepted()->set_case_number("FB-2026-" + std::to_string(100000 + i));
    auto applied = store.apply_ack(ack, 6000);
    ASSERT_TRUE(applied) << i << ": " << applied.error().what();
    EXPECT_TRUE(applied->matched);
    EXPECT_EQ((*store.report(saved[i]))->status, ReportStatus::acknowledged);
  }
  auto q = make_report("after cleanup");
  auto again = store.enqueue_report(q.env, q.payload, ReportClass::normal, 5000);
  EXPECT_TRUE(again) << again.error().what();
  EXPECT_EQ(store.outbox()->size(), 1u);
}

// The room kept for acks on the filesystem follows the configuration each time the store opens:
// allocated to the reserve's size, made smaller with it, gone without one.
TEST_F(CarStoreTest, TheRoomFileForAcksIsTheReservesSizeAndGoneWithoutOne) {
  const auto room = dir_ / "car.db.room";
  { auto store = open(); }
  ASSERT_TRUE(fs::exists(room));
  EXPECT_EQ(fs::file_size(room), std::uintmax_t{512} << 10);
  auto o = options();
  o.ack_reserve_bytes = 64 << 10;
  { auto store = open(o); }
  EXPECT_EQ(fs::file_size(room), std::uintmax_t{64} << 10);
  o.ack_reserve_bytes = 0;
  { auto store = open(o); }
  EXPECT_FALSE(fs::exists(room));
  // Given up by another process on the store (the fb-car CLI): taken back before the next report.
  o.ack_reserve_bytes = 64 << 10;
  auto store = open(o);
  ASSERT_TRUE(fs::remove(room));
  auto q = make_report();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  EXPECT_EQ(fs::file_size(room), std::uintmax_t{64} << 10);
}

/// What spdlog's default logger writes while it lives, kept in memory.
class CapturedLog {
 public:
  CapturedLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100)), previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink_));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  /// How many lines hold `text`.
  std::size_t count(std::string_view text) const {
    const auto lines = sink_->last_formatted();
    return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find(text) != std::string::npos;
    }));
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// A room file that cannot be made for a reason other than a full disk (here a directory in its
// place) refuses no report, is tried again before each one, and is logged once, not per report.
TEST_F(CarStoreTest, ARoomFileThatCannotBeMadeIsLoggedOnceAndTakenOnceItCanBe) {
  const auto room = dir_ / "car.db.room";
  auto o = options();
  o.ack_reserve_bytes = 64 << 10;
  auto store = open(o);
  ASSERT_TRUE(fs::remove(room));
  fs::create_directory(room);
  CapturedLog log;
  for (int i = 0; i < 3; ++i) {
    auto q = make_report("report " + std::to_string(i));
    auto queued = store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000 + i);
    EXPECT_TRUE(queued) << queued.error().what();
  }
  EXPECT_EQ(store.outbox()->size(), 3u);
  EXPECT_EQ(log.count("is not held"), 1u);
  ASSERT_TRUE(fs::remove(room));
  auto q = make_report("after");
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 2000));
  EXPECT_EQ(fs::file_size(room), std::uintmax_t{64} << 10);
  EXPECT_EQ(log.count("is held again"), 1u);
}

// ---- A real full filesystem (a small tmpfs), not SQLite's page limit ----

/// A tmpfs of `bytes` mounted on a directory of its own, unmounted at the end. Mounting needs root
/// with CAP_SYS_ADMIN (CI's fresh machine has it); mounted() says whether it worked.
class SmallFilesystem {
 public:
  explicit SmallFilesystem(std::size_t bytes) : dir_("fbtmpfs") {
    const auto size = "size=" + std::to_string(bytes);
    mounted_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, size.c_str()) == 0;
  }
  ~SmallFilesystem() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;
  bool mounted() const { return mounted_; }
  std::string operator/(const std::string& name) const { return dir_ / name; }

  /// Writes `path` until the filesystem has no room left (ENOSPC); the bytes written.
  static std::size_t fill(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return 0;
    const std::string chunk(4096, 'f');
    std::size_t written = 0;
    for (;;) {
      const auto n = ::write(fd, chunk.data(), chunk.size());
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return written;
  }

 private:
  test::TempDir dir_;  // removed after the unmount (members go after the destructor's body)
  bool mounted_ = false;
};

// Another writer (a log that ran away) takes the last of the flash while reports are queued: the
// filesystem says ENOSPC, not SQLite's page limit that the other disk-full tests set. The report
// that does not fit is refused as a full disk and what was committed stays whole. The acks still
// apply: the WAL grows into the room file kept for them (`car.db.room`), which the database's own
// reserve cannot give on a full filesystem. New reports wait until that room can be taken back.
TEST(CarStoreOnAFullFilesystem, ARealFullDiskRefusesTheReportKeepsTheQueueAndStillAppliesAcks) {
  SmallFilesystem disk(std::size_t{4} << 20);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a small tmpfs needs root with CAP_SYS_ADMIN";
  CarStore::Options o;
  o.clock_valid_from_ms = 0;
  o.ack_reserve_bytes = 64 << 10;
  std::vector<Queued> saved;
  {
    auto opened = CarStore::open(disk / "car.db", o);
    ASSERT_TRUE(opened) << opened.error().what();
    auto& store = *opened;
    ASSERT_EQ(std::filesystem::file_size(disk / "car.db.room"), 64u << 10);
    for (int i = 0; i < 5; ++i) {
      saved.push_back(make_report("report " + std::to_string(i) + ": " + std::string(1000, 'w')));
      ASSERT_TRUE(store.enqueue_report(saved.back().env, saved.back().payload, ReportClass::normal, 1000 + i));
    }
    ASSERT_GT(SmallFilesystem::fill(disk / "filler"), 0u);
    Result<Enqueued> refused = fail(StorageErrc::io, "nothing refused");
    // What SQLite had already allocated (the WAL's frames, free pages) may take a few more.
    for (int i = 0; i < 500; ++i) {
      auto q = make_report("after the filler " + std::to_string(i) + ": " + std::string(1000, 'w'));
      refused = store.enqueue_report(q.env, q.payload, ReportClass::normal, 2000 + i);
      if (!refused) break;
      saved.push_back(std::move(q));
    }
    ASSERT_FALSE(refused) << "the full filesystem never refused a report";
    EXPECT_EQ(refused.error().code, make_error_code(StorageErrc::full)) << refused.error().what();
    auto outbox = store.outbox();
    ASSERT_TRUE(outbox) << outbox.error().what();
    EXPECT_EQ(outbox->size(), saved.size());
    for (const auto& q : saved) EXPECT_EQ(*store.payload(q.env.report().report_id()), q.payload);

    std::vector<wire::Ack> acks;
    for (std::size_t i = 0; i < saved.size(); ++i)
      acks.push_back(accepted_ack(saved[i], "FB-2026-" + std::to_string(100000 + i)));
    auto applied = store.apply_acks(acks, 6000);
    ASSERT_TRUE(applied) << "on the full filesystem: " << applied.error().what();
    for (const auto& a : *applied) EXPECT_TRUE(a.matched);
    EXPECT_TRUE(store.outbox()->empty());
    EXPECT_FALSE(std::filesystem::exists(disk / "car.db.room"));

    // Still full: no report until the room for acks is back.
    auto waiting = make_report("while the flash is still full");
    auto again = store.enqueue_report(waiting.env, waiting.payload, ReportClass::normal, 7000);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, make_error_code(StorageErrc::full)) << again.error().what();
    std::filesystem::remove(disk / "filler");
    again = store.enqueue_report(waiting.env, waiting.payload, ReportClass::normal, 8000);
    ASSERT_TRUE(again) << again.error().what();
    saved.push_back(std::move(waiting));
    EXPECT_EQ(std::filesystem::file_size(disk / "car.db.room"), 64u << 10);
  }
  // Opened again, the file is whole: every report in My reports, the last one still queued.
  auto reopened = CarStore::open(disk / "car.db", o);
  ASSERT_TRUE(reopened) << reopened.error().what();
  EXPECT_EQ(reopened->reports()->size(), saved.size());
  ASSERT_EQ(reopened->outbox()->size(), 1u);
  EXPECT_EQ(reopened->outbox()->front().id, saved.back().env.report().report_id());
}

/// Queues `n` reports with about 300 bytes of words (`fill`), one a millisecond from `first_ms`,
/// appending them to `queued`: rows enough for several leaf pages of each table.
void queue_wordy_reports(CarStore& store, int n, char fill, std::int64_t first_ms, std::vector<Queued>& queued) {
  for (int i = 0; i < n; ++i) {
    queued.push_back(make_report("report " + std::to_string(i) + ": " + std::string(300, fill)));
    ASSERT_TRUE(store.enqueue_report(queued.back().env, queued.back().payload, ReportClass::normal, first_ms + i));
  }
}

/// Quick taps (no words) queued until the store is full; those saved.
std::vector<Queued> fill_with_quick_taps(CarStore& store) {
  std::vector<Queued> saved;
  for (int i = 0; i < 2000; ++i) {
    auto q = make_report("");
    if (!store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000 + i)) break;
    saved.push_back(std::move(q));
  }
  return saved;
}

// An ack writes more than it frees (the case number, a step, the first notification it carries),
// a quick tap's (no words) most of all. Without the room kept for acks, a disk the queue filled
// could never take the acks that empty it.
TEST_F(CarStoreTest, AcksOfSmallReportsApplyOnTheDiskTheyFilled) {
  auto o = options();
  o.max_pages = 24;
  auto store = open(o);
  const auto saved = fill_with_quick_taps(store);
  ASSERT_GT(saved.size(), 16u);
  ASSERT_LT(saved.size(), 2000u) << "the page limit was never reached";
  std::vector<wire::Ack> acks;
  for (std::size_t i = 0; i < saved.size(); ++i) {
    auto note = notification_for(saved[i]);
    note.mutable_notification()->set_case_number("FB-2026-" + std::to_string(100000 + i));
    acks.push_back(ack_carrying(saved[i], note));
    acks.back().mutable_accepted()->set_case_number(note.notification().case_number());
  }
  // In batches as the send window returns them (16 in flight).
  for (std::size_t i = 0; i < acks.size(); i += 16) {
    const auto n = std::min<std::size_t>(16, acks.size() - i);
    auto applied = store.apply_acks(std::span(acks).subspan(i, n), 6000);
    ASSERT_TRUE(applied) << "acks from " << i << ": " << applied.error().what();
    for (const auto& a : *applied) EXPECT_TRUE(a.matched);
  }
  EXPECT_TRUE(store.outbox()->empty());
  for (const auto& q : saved) {
    EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::received);
  }
  EXPECT_EQ(store.inbox()->size(), saved.size()) << "every first notification kept";
}

// A batch the full disk refused is applied again once the room kept for acks is given up; the
// retry starts from nothing the refused attempt did, which the rollback took back.
TEST_F(CarStoreTest, AnAckBatchTriedAgainOnAFullDiskAppliesEachAckOnce) {
  auto o = options();
  o.max_pages = 24;
  auto store = open(o);
  const auto saved = fill_with_quick_taps(store);
  ASSERT_GT(saved.size(), 16u);
  // First a rejection naming the bytes only (the backend could not read the report), then acks
  // whose notifications do not fit without the room kept.
  std::vector<wire::Ack> acks(1);
  acks[0].set_payload_sha256(codec::sha256(saved[0].payload));
  acks[0].mutable_rejected()->set_reason(wire::REJECT_MALFORMED);
  for (std::size_t i = 1; i < 16; ++i) {
    auto note = notification_for(saved[i]);
    note.mutable_notification()->set_text(std::string(100, 'n'));
    acks.push_back(ack_carrying(saved[i], note));
  }
  auto applied = store.apply_acks(acks, 6000);
  ASSERT_TRUE(applied) << applied.error().what();
  ASSERT_EQ(**sql::Database::open(path_)->query_int("SELECT count(*) FROM reserve"), 0)
      << "the batch fitted at once: the test shows nothing";
  EXPECT_TRUE((*applied)[0].matched);
  EXPECT_EQ((*applied)[0].report_id, saved[0].env.report().report_id());
  auto rejected = store.payload(saved[0].env.report().report_id());
  ASSERT_FALSE(rejected) << "the rejected report is still queued";
  EXPECT_EQ(rejected.error().code, make_error_code(StorageErrc::not_found));
  EXPECT_EQ((*store.report(saved[0].env.report().report_id()))->status, ReportStatus::rejected);
  EXPECT_EQ(store.outbox()->size(), saved.size() - 16);
}

TEST_F(CarStoreTest, ACorruptFileIsSetAsideAndANewQueueStarts) {
  std::ofstream(path_, std::ios::binary) << std::string(10000, '\x5a');
  auto store = open();
  ASSERT_TRUE(store.set_aside());
  EXPECT_TRUE(fs::exists(*store.set_aside()));
  EXPECT_TRUE(store.outbox()->empty());
  const auto q = make_report();
  EXPECT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
}

TEST_F(CarStoreTest, ReadsAVersion1FileFromTheFixtures) {
  fs::copy_file(std::string(test::kFixturesDir) + "/car-store-v1.db", path_);
  {
    auto store = open();  // migrates v1 -> v2 -> v3 -> v4 in place
  }
  EXPECT_EQ(*sql::Database::open(path_)->query_int("PRAGMA user_version"), 15);
  auto store = open();
  EXPECT_FALSE(store.set_aside());
  // v4: the report still queued (a noise) is normal, and expires 14 days after it was made.
  auto queued = store.outbox();
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].priority, static_cast<int>(ReportClass::normal));
  EXPECT_EQ((*queued)[0].expires_ms, (*queued)[0].created_ms + std::int64_t{14} * 24 * 3600 * 1000);
  auto reports = store.reports();
  ASSERT_TRUE(reports);
  ASSERT_FALSE(reports->empty());
  // v10: each report's words moved out of its row, and read back the same.
  {
    auto v1 = sql::Database::open(std::string(test::kFixturesDir) + "/car-store-v1.db");
    ASSERT_TRUE(v1);
    std::map<std::string, std::string> before;
    auto st = v1->prepare("SELECT report_id, text FROM reports");
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->each_row([&](const sql::Statement& row) { before[row.text(0)] = row.text(1); }));
    ASSERT_EQ(before.size(), reports->size());
    for (const auto& r : *reports) {
      ASSERT_TRUE(before.contains(r.report_id)) << r.report_id;
      EXPECT_FALSE(r.text.empty());
      EXPECT_EQ(r.text, before[r.report_id]);
    }
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    EXPECT_EQ(**db->query_int("SELECT count(*) FROM reports WHERE text <> ''"), 0);
  }
  EXPECT_TRUE(
      std::any_of(reports->begin(), reports->end(), [](auto& r) { return r.status == ReportStatus::received; }));
  EXPECT_TRUE(std::any_of(reports->begin(), reports->end(), [](auto& r) { return r.status == ReportStatus::queued; }));
  EXPECT_TRUE(std::none_of(reports->begin(), reports->end(), [](auto& r) { return r.visit || r.callback; }));
  auto inbox = store.inbox();
  ASSERT_TRUE(inbox);
  ASSERT_FALSE(inbox->empty());
  EXPECT_FALSE(inbox->front().visit);
  // A migrated store takes visits and callbacks for its old reports.
  auto received = std::find_if(reports->begin(), reports->end(), [](auto& r) { return !r.case_number.empty(); });
  ASSERT_NE(received, reports->end());
  auto env = codec::new_envelope(1'790'000'000'000);
  env.mutable_notification()->set_report_id(received->report_id);
  env.mutable_notification()->set_case_number(received->case_number);
  env.mutable_notification()->set_status(wire::CASE_STATUS_APPOINTMENT);
  env.mutable_notification()->mutable_visit()->set_visit_id("v-after-migration");
  env.mutable_notification()->mutable_visit()->set_stage(wire::VISIT_PROPOSED);
  ASSERT_TRUE(store.apply_notification(env, receipts_, 1'790'000'000'000));
  EXPECT_EQ((*store.report(received->report_id))->visit->latest.visit_id(), "v-after-migration");
  EXPECT_TRUE(store.enqueue_callback_request(received->report_id, "", "", receipts_, 1'790'000'000'000));
}

// ---- Reports held for their diagnostic snapshot (schema v4) ------------------------------------

TEST_F(CarStoreTest, AHeldReportSurvivesAReopenHeldAndIsReleasedWithItsNewPayload) {
  const auto held = make_report("held");
  const auto plain = make_report("plain");
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(held.env, held.payload, ReportClass::normal, 1000, 31'100));
    ASSERT_TRUE(store.enqueue_report(plain.env, plain.payload, ReportClass::normal, 2000));
  }
  auto store = open();
  auto outbox = store.outbox();
  ASSERT_TRUE(outbox);
  ASSERT_EQ(outbox->size(), 2u);
  EXPECT_EQ((*outbox)[0].hold_until_ms, 31'100);
  EXPECT_EQ((*outbox)[1].hold_until_ms, 0);
  EXPECT_EQ((*store.report(held.env.report().report_id()))->snapshot, SnapshotState::waiting);
  EXPECT_EQ((*store.report(plain.env.report().report_id()))->snapshot, SnapshotState::none);

  auto rebuilt = held.env;
  rebuilt.mutable_report()->set_snapshot_lost(true);
  const auto payload = codec::encode(rebuilt);
  const auto& id = held.env.report().report_id();
  ASSERT_TRUE(store.release_report(id, payload, SnapshotState::lost, 40'000));
  EXPECT_EQ(*store.payload(id), payload);
  EXPECT_EQ(store.outbox()->front().hold_until_ms, 0);
  EXPECT_EQ((*store.report(id))->snapshot, SnapshotState::lost);
  // The ack of the new payload matches it by digest.
  auto ack = accepted_ack(Queued{rebuilt, payload}, "FB-2026-000050");
  ack.clear_report_id();
  auto applied = store.apply_ack(ack, 50'000);
  ASSERT_TRUE(applied);
  EXPECT_TRUE(applied->matched);
  EXPECT_EQ(applied->report_id, id);
}

TEST_F(CarStoreTest, OnlyAHeldReportCanBeReleased) {
  const auto plain = make_report("plain");
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(plain.env, plain.payload, ReportClass::normal, 1000));
  auto r = store.release_report(plain.env.report().report_id(), "other bytes", SnapshotState::attached, 2000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(StorageErrc::not_found));
  EXPECT_EQ(*store.payload(plain.env.report().report_id()), plain.payload) << "a sendable payload changed";
  EXPECT_FALSE(store.release_report("no-such-report", "x", SnapshotState::attached, 2000));
}

TEST_F(CarStoreTest, AVersion3FileMigratesWithNothingHeldAndNoSnapshots) {
  fs::copy_file(std::string(test::kFixturesDir) + "/car-store-v3.db", path_);
  {
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    EXPECT_EQ(*db->query_int("PRAGMA user_version"), 3);
  }
  auto store = open();
  EXPECT_FALSE(store.set_aside());
  EXPECT_EQ(*sql::Database::open(path_)->query_int("PRAGMA user_version"), 15);
  auto outbox = store.outbox();
  ASSERT_TRUE(outbox);
  ASSERT_FALSE(outbox->empty()) << "the fixture has a report that never left the car";
  for (const auto& e : *outbox) EXPECT_EQ(e.hold_until_ms, 0) << e.id;
  auto reports = store.reports();
  ASSERT_TRUE(reports);
  ASSERT_FALSE(reports->empty());
  for (const auto& r : *reports) EXPECT_EQ(r.snapshot, SnapshotState::none) << r.report_id;
  // And it takes held reports after the migration.
  const auto held = make_report("held after migration");
  ASSERT_TRUE(store.enqueue_report(held.env, held.payload, ReportClass::normal, 1000, 31'100));
  EXPECT_EQ((*store.report(held.env.report().report_id()))->snapshot, SnapshotState::waiting);
}

TEST_F(CarStoreTest, RefusesAFileFromANewerBuild) {
  fs::copy_file(std::string(test::kFixturesDir) + "/car-store-future.db", path_);
  auto s = CarStore::open(path_, {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(StorageErrc::schema_too_new));
}

// ---- The ack that carries the first notification (issue 7) -------------------------------------

TEST_F(CarStoreTest, AnAckCarryingTheNotificationAppliesBothAndQueuesNoReceipt) {
  const auto q = make_report();
  const auto note = notification_for(q);
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
    auto r = store.apply_ack(ack_carrying(q, note), 2000);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_TRUE(r->matched);
    ASSERT_TRUE(r->notification);
    EXPECT_FALSE(r->notification_duplicate);
    EXPECT_EQ(r->notification->message_id, note.message_id());
  }
  auto store = open();
  EXPECT_TRUE(store.outbox()->empty());  // the report is confirmed, and no delivered receipt is queued
  auto inbox = store.inbox();
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].message_id, note.message_id());
  EXPECT_EQ((*inbox)[0].title, note.notification().title());
  auto view = store.report(q.env.report().report_id());
  ASSERT_TRUE(view && *view);
  EXPECT_EQ((*view)->status, ReportStatus::received);
  EXPECT_EQ((*view)->team, "研发/技术支持");
  EXPECT_EQ((*view)->first_reply_due_ms, 1'780'086'400'000);
  // The stamp, believed no further than the lead (30 days) past the car's clock (2000 here).
  EXPECT_EQ((*view)->last_notification_ms, std::min<std::int64_t>(note.sent_at_ms(), 2000 + 2'592'000'000));
}

// apply_ack is the only way to apply either half and it is one transaction: a failure at the
// notification (forced here by a trigger) leaves the ack unapplied too, so no interruption can
// leave an acknowledged report without its inbox entry, or the reverse.
TEST_F(CarStoreTest, AckAndCarriedNotificationAreOneTransaction) {
  const auto q = make_report();
  const auto note = notification_for(q);
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  auto other = sql::Database::open(path_);
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->exec("CREATE TRIGGER cut BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'cut'); END"));

  EXPECT_FALSE(store.apply_ack(ack_carrying(q, note), 2000));
  ASSERT_EQ(store.outbox()->size(), 1u);  // still queued: it is sent again
  EXPECT_TRUE(store.inbox()->empty());
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::queued);

  ASSERT_TRUE(other->exec("DROP TRIGGER cut"));
  auto r = store.apply_ack(ack_carrying(q, note), 3000);  // the duplicate ack of the re-sent report
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(r->matched);
  EXPECT_TRUE(store.outbox()->empty());
  EXPECT_EQ(store.inbox()->size(), 1u);
}

TEST_F(CarStoreTest, ADuplicateAckWithTheSameNotificationChangesNothing) {
  const auto q = make_report();
  const auto note = notification_for(q);
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  ASSERT_TRUE(store.apply_ack(ack_carrying(q, note), 2000));
  ASSERT_TRUE(store.mark_read(note.message_id(), receipts_, 2500));
  auto again = store.apply_ack(ack_carrying(q, note), 3000);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->matched);
  ASSERT_TRUE(again->notification);
  EXPECT_TRUE(again->notification_duplicate);
  auto inbox = store.inbox();
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_TRUE((*inbox)[0].read);  // not reset by the duplicate
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::received);
}

TEST_F(CarStoreTest, AnAckWithoutANotificationStillAcknowledges) {
  // What an older backend sends; the "received" notification then comes on its own.
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  auto r = store.apply_ack(accepted_ack(q, "FB-2026-000042"), 2000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->matched);
  EXPECT_FALSE(r->notification);
  EXPECT_TRUE(store.inbox()->empty());
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::acknowledged);
  auto n = store.apply_notification(notification_for(q), receipts_, 3000);
  ASSERT_TRUE(n);
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::received);
}

// An older car does not know Accepted.notification (field 4); proto3 parsers skip fields they do
// not know. The same mechanism, seen from this build: an Accepted with a field it does not know
// (99) still parses and acknowledges.
TEST_F(CarStoreTest, AnAcceptedWithAFieldThisBuildDoesNotKnowStillAcknowledges) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
  auto env = codec::new_envelope(2000);
  *env.mutable_ack() = accepted_ack(q, "FB-2026-000042");
  env.mutable_ack()
      ->mutable_accepted()
      ->GetReflection()
      ->MutableUnknownFields(env.mutable_ack()->mutable_accepted())
      ->AddLengthDelimited(99, "a field from a newer backend");
  auto decoded = codec::decode(codec::encode(env));
  ASSERT_TRUE(decoded) << decoded.error().what();
  auto r = store.apply_ack(decoded->ack(), 2000);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->matched);
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::acknowledged);
}

// ---- Service visits and live callbacks (issue 13, docs/visits.md) -------------------------------

wire::VisitSlot slot(const std::string& id, std::int64_t start_ms) {
  wire::VisitSlot s;
  s.set_slot_id(id);
  s.set_dealer_code("SH-001");
  s.set_dealer_name("上海浦东4S店");
  s.set_start_ms(start_ms);
  s.set_end_ms(start_ms + 7'200'000);
  s.set_work("变速箱检查 gearbox check");
  return s;
}

// A visit notification about `q`'s case, written by the backend at `sent_at`.
wire::Envelope visit_update(const Queued& q, std::int64_t sent_at, wire::VisitStage stage,
                            wire::CaseStatus status = wire::CASE_STATUS_APPOINTMENT) {
  auto env = notification_for(q, status);
  env.set_sent_at_ms(sent_at);
  auto* v = env.mutable_notification()->mutable_visit();
  v->set_visit_id("visit-1");
  v->set_stage(stage);
  v->mutable_estimate()->set_minor(80000);
  v->mutable_estimate()->set_currency("CNY");
  if (stage == wire::VISIT_PROPOSED) {
    *v->add_slots() = slot("s1", 1'780'200'000'000);
    *v->add_slots() = slot("s2", 1'780'300'000'000);
  } else {
    *v->mutable_booked() = slot("s1", 1'780'200'000'000);
  }
  return env;
}

wire::Envelope with_extra_cost(wire::Envelope env, const std::string& approval_id, std::int64_t minor) {
  auto* extra = env.mutable_notification()->mutable_visit()->mutable_extra_cost();
  extra->set_approval_id(approval_id);
  extra->mutable_amount()->set_minor(minor);
  extra->mutable_amount()->set_currency("CNY");
  extra->set_reason("离合器片磨损 clutch plates worn");
  return env;
}

class CarStoreVisitTest : public CarStoreTest {
 protected:
  // A report the backend accepted (case FB-2026-000042).
  void SetUp() override {
    store_.emplace(open());
    ASSERT_TRUE(store_->enqueue_report(q_.env, q_.payload, ReportClass::normal, 1000));
    ASSERT_TRUE(store_->apply_ack(accepted_ack(q_, "FB-2026-000042"), 1500));
  }
  void apply(const wire::Envelope& env, std::int64_t now = 9000) {
    auto r = store_->apply_notification(env, receipts_, now);
    ASSERT_TRUE(r) << r.error().what();
  }
  ReportView view() { return **store_->report(q_.env.report().report_id()); }
  Result<std::string> reply(wire::VisitReply::Action action, const std::string& slot = "",
                            const std::string& approval = "", const std::string& reason = "") {
    return store_->enqueue_visit_reply("visit-1", VisitAnswer{action, slot, approval, reason}, receipts_, 10000);
  }
  static std::error_code code(const auto& result) { return result ? std::error_code{} : result.error().code; }

  const Queued q_ = make_report();
  const std::string report_id_ = q_.env.report().report_id();
  std::optional<CarStore> store_;
};

TEST_F(CarStoreVisitTest, TheInboxKeepsTheVisitAndTheReportShowsIt) {
  apply(visit_update(q_, 3000, wire::VISIT_PROPOSED));
  auto inbox = *store_->inbox();
  ASSERT_EQ(inbox.size(), 1u);
  ASSERT_TRUE(inbox[0].visit);
  EXPECT_EQ(inbox[0].visit->slots_size(), 2);
  EXPECT_FALSE(inbox[0].callback);
  auto v = view();
  EXPECT_EQ(v.status, ReportStatus::appointment);
  ASSERT_TRUE(v.visit);
  EXPECT_EQ(v.visit->latest.stage(), wire::VISIT_PROPOSED);
  EXPECT_EQ(v.visit->latest.slots(1).slot_id(), "s2");
  EXPECT_EQ(v.visit->latest.estimate().minor(), 80000);
  EXPECT_EQ(v.visit->updated_ms, 3000);
  EXPECT_FALSE(v.visit->pending);
  EXPECT_FALSE(v.callback);
  EXPECT_EQ(store_->reports()->front().visit->latest.visit_id(), "visit-1");  // the list has it too
}

TEST_F(CarStoreVisitTest, AnOlderVisitUpdateDoesNotOverwriteANewerStage) {
  auto repair = visit_update(q_, 5000, wire::VISIT_REPAIR);
  repair.mutable_notification()->mutable_visit()->set_ready_at_ms(1'780'250'000'000);
  apply(repair);
  apply(visit_update(q_, 4000, wire::VISIT_CHECKED_IN));  // written before, arrives after
  auto v = view();
  EXPECT_EQ(v.visit->latest.stage(), wire::VISIT_REPAIR);
  EXPECT_EQ(v.visit->latest.ready_at_ms(), 1'780'250'000'000);
  EXPECT_EQ(store_->inbox()->size(), 2u);  // both kept in the inbox
}

TEST_F(CarStoreVisitTest, ADuplicateVisitNotificationChangesNothingAndClearsNoPendingAnswer) {
  const auto proposal = visit_update(q_, 3000, wire::VISIT_PROPOSED);
  apply(proposal);
  ASSERT_TRUE(reply(wire::VisitReply::PICK_SLOT, "s2"));
  auto again = store_->apply_notification(proposal, receipts_, 11000);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  auto v = view();
  ASSERT_TRUE(v.visit->pending);  // still waiting for the backend's confirmation
  EXPECT_EQ(v.visit->pending->answer.slot_id, "s2");
}

TEST_F(CarStoreVisitTest, PickingASlotIsQueuedDurablyAndShownAsPendingUntilTheBooking) {
  apply(visit_update(q_, 3000, wire::VISIT_PROPOSED));
  auto id = reply(wire::VisitReply::PICK_SLOT, "s2", "", "周六上午方便");
  ASSERT_TRUE(id) << id.error().what();
  auto v = view();
  ASSERT_TRUE(v.visit->pending);
  EXPECT_EQ(v.visit->pending->message_id, *id);
  EXPECT_EQ(v.visit->pending->answer.action, wire::VisitReply::PICK_SLOT);
  EXPECT_EQ(v.visit->pending->queued_ms, 10000);

  store_.reset();  // the app is closed before the reply is sent
  store_.emplace(open());
  auto outbox = *store_->outbox();
  auto queued = std::find_if(outbox.begin(), outbox.end(), [&](auto& e) { return e.id == *id; });
  ASSERT_NE(queued, outbox.end());
  EXPECT_EQ(queued->kind, OutboxKind::answer);
  EXPECT_EQ(queued->topic, receipts_);
  auto sent = codec::decode(*store_->payload(*id));
  ASSERT_TRUE(sent && sent->has_visit_reply());
  EXPECT_EQ(sent->message_id(), *id);
  EXPECT_EQ(sent->visit_reply().visit_id(), "visit-1");
  EXPECT_EQ(sent->visit_reply().action(), wire::VisitReply::PICK_SLOT);
  EXPECT_EQ(sent->visit_reply().slot_id(), "s2");
  EXPECT_EQ(sent->visit_reply().reason(), "周六上午方便");
  EXPECT_TRUE(view().visit->pending);  // survives the reopen too

  // A second answer while the first waits is refused. The booking, then the backend's
  // AnswerStored, end the wait (an update alone may predate the backend's having the answer).
  EXPECT_EQ(code(reply(wire::VisitReply::DECLINE)), make_error_code(AgentErrc::answer_pending));
  apply(visit_update(q_, 6000, wire::VISIT_BOOKED), 11000);
  v = view();
  EXPECT_EQ(v.visit->latest.stage(), wire::VISIT_BOOKED);
  EXPECT_TRUE(v.visit->pending);
  auto ended = store_->confirm_answer(*id);
  ASSERT_TRUE(ended) << ended.error().what();
  EXPECT_EQ(*ended, std::optional<std::string>(q_.env.report().report_id()));
  EXPECT_FALSE(view().visit->pending);
  EXPECT_FALSE(store_->payload(*id));
}

// An answer of a build before v9 left the outbox at its PUBACK; the backend's refusal of it still
// ends the visit's wait (nothing else would: a refused answer brings no update).
TEST_F(CarStoreVisitTest, ARefusalOfAnAnswerNoLongerQueuedStillEndsTheWaitItLeft) {
  apply(visit_update(q_, 3000, wire::VISIT_PROPOSED));
  auto id = reply(wire::VisitReply::PICK_SLOT, "s2");
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->remove(*id));  // gone at the PUBACK, as before v9
  auto ended = store_->refuse_answer(*id, 12000);
  ASSERT_TRUE(ended) << ended.error().what();
  EXPECT_EQ(*ended, std::optional<std::string>(q_.env.report().report_id()));
  EXPECT_FALSE(view().visit->pending);
  auto unknown = store_->refuse_answer(codec::new_envelope(1).message_id(), 12000);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown) << "nothing of the car's was about it";
}

TEST_F(CarStoreVisitTest, ASlotMustBeFromTheLatestProposalWhileTheVisitIsProposed) {
  EXPECT_EQ(code(reply(wire::VisitReply::PICK_SLOT, "s1")), make_error_code(StorageErrc::not_found));  // no visit
  apply(visit_update(q_, 3000, wire::VISIT_PROPOSED));
  auto newer = visit_update(q_, 4000, wire::VISIT_PROPOSED);  // rescheduled: other slots
  newer.mutable_notification()->mutable_visit()->clear_slots();
  *newer.mutable_notification()->mutable_visit()->add_slots() = slot("s3", 1'780'400'000'000);
  apply(newer);
  EXPECT_EQ(code(reply(wire::VisitReply::PICK_SLOT, "s1")), make_error_code(AgentErrc::not_offered));
  EXPECT_EQ(code(reply(wire::VisitReply::PICK_SLOT, "")), make_error_code(AgentErrc::not_offered));
  EXPECT_EQ(code(store_->enqueue_visit_reply("visit-9", VisitAnswer{wire::VisitReply::PICK_SLOT, "s3", "", ""},
                                             receipts_, 10000)),
            make_error_code(StorageErrc::not_found));
  const auto picked = reply(wire::VisitReply::PICK_SLOT, "s3");
  ASSERT_TRUE(picked);
  ASSERT_TRUE(store_->confirm_answer(*picked));  // the backend has it: the next update ends the wait

  apply(visit_update(q_, 5000, wire::VISIT_BOOKED));
  EXPECT_EQ(code(reply(wire::VisitReply::PICK_SLOT, "s1")), make_error_code(AgentErrc::visit_stage));
  EXPECT_EQ(code(reply(wire::VisitReply::DECLINE)), make_error_code(AgentErrc::visit_stage));
  EXPECT_TRUE(reply(wire::VisitReply::CANCEL, "", "", "出差 away on business"));
}

// The backend's rules (docs/visits.md, backend sqlite_visits.cpp): what it would dead-letter, the
// car refuses before queueing.
TEST_F(CarStoreVisitTest, DeclineRescheduleAndCancelOnlyAtTheStagesTheBackendTakesThem) {
  using Reply = wire::VisitReply;
  const std::map<Reply::Action, std::set<wire::VisitStage>> allowed = {
      {Reply::DECLINE, {wire::VISIT_PROPOSED, wire::VISIT_RESCHEDULE_REQUESTED}},
      {Reply::RESCHEDULE, {wire::VISIT_PROPOSED, wire::VISIT_BOOKED}},
      {Reply::CANCEL, {wire::VISIT_PROPOSED, wire::VISIT_BOOKED, wire::VISIT_RESCHEDULE_REQUESTED}},
  };
  std::int64_t sent_at = 3000;
  for (const auto& [action, stages] : allowed) {
    for (auto stage :
         {wire::VISIT_PROPOSED, wire::VISIT_RESCHEDULE_REQUESTED, wire::VISIT_BOOKED, wire::VISIT_CHECKED_IN,
          wire::VISIT_REPAIR, wire::VISIT_HANDED_OVER, wire::VISIT_DECLINED, wire::VISIT_CANCELLED}) {
      apply(visit_update(q_, sent_at += 1000, stage));  // a newer update: no answer pending
      const auto r = reply(action);
      const auto name = Reply::Action_Name(action) + " at " + wire::VisitStage_Name(stage);
      if (stages.contains(stage)) {
        EXPECT_TRUE(r) << name << ": " << r.error().what();
        if (r) {
          ASSERT_TRUE(store_->confirm_answer(*r));  // AnswerStored: the next update ends the wait
        }
      } else {
        EXPECT_EQ(code(r), make_error_code(AgentErrc::visit_stage)) << name;
      }
    }
  }
  EXPECT_EQ(code(reply(Reply::ACTION_UNSPECIFIED)), make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(code(reply(static_cast<Reply::Action>(42))), make_error_code(WireErrc::invalid_field));
}

TEST_F(CarStoreVisitTest, AReasonIsAtMost500CharactersOfUtf8) {
  apply(visit_update(q_, 3000, wire::VISIT_PROPOSED));
  const auto queued = store_->outbox()->size();  // the delivered receipt
  std::string longest;
  for (int i = 0; i < 500; ++i) longest += "时";  // 500 characters, 1500 bytes
  EXPECT_EQ(code(reply(wire::VisitReply::DECLINE, "", "", longest + "x")), make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(code(reply(wire::VisitReply::DECLINE, "", "", "\xff\xfe")), make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(code(reply(wire::VisitReply::DECLINE, "", "", std::string("a\0b", 3))),
            make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(store_->outbox()->size(), queued);  // nothing half-queued
  EXPECT_FALSE(view().visit->pending);
  EXPECT_TRUE(reply(wire::VisitReply::DECLINE, "", "", longest));
}

TEST_F(CarStoreVisitTest, OnlyTheApprovalAskedIsAnsweredAndOnlyOnce) {
  apply(visit_update(q_, 3000, wire::VISIT_REPAIR));
  EXPECT_EQ(code(reply(wire::VisitReply::APPROVE_EXTRA, "", "a1")), make_error_code(AgentErrc::not_offered));
  apply(with_extra_cost(visit_update(q_, 4000, wire::VISIT_REPAIR), "a1", 35000));
  auto v = view();
  ASSERT_TRUE(v.visit->latest.has_extra_cost());
  EXPECT_EQ(v.visit->latest.extra_cost().amount().minor(), 35000);
  EXPECT_TRUE(v.visit->approval_open);
  EXPECT_EQ(code(reply(wire::VisitReply::APPROVE_EXTRA, "", "a0")), make_error_code(AgentErrc::not_offered));
  auto id = reply(wire::VisitReply::APPROVE_EXTRA, "", "a1");
  ASSERT_TRUE(id) << id.error().what();
  v = view();
  EXPECT_FALSE(v.visit->approval_open);
  ASSERT_TRUE(v.visit->pending);
  EXPECT_EQ(v.visit->pending->answer.approval_id, "a1");
  EXPECT_EQ(code(reply(wire::VisitReply::REFUSE_EXTRA, "", "a1")), make_error_code(AgentErrc::already_answered));
  auto sent = codec::decode(*store_->payload(*id));
  EXPECT_EQ(sent->visit_reply().approval_id(), "a1");
  EXPECT_EQ(sent->visit_reply().action(), wire::VisitReply::APPROVE_EXTRA);

  // The dealer asks again (a second approval): that one may be refused; the first stays answered
  // even after the wait has ended.
  apply(with_extra_cost(visit_update(q_, 5000, wire::VISIT_REPAIR), "a2", 12000));
  EXPECT_TRUE(view().visit->approval_open);
  EXPECT_TRUE(reply(wire::VisitReply::REFUSE_EXTRA, "", "a2", "太贵 too expensive"));
  apply(with_extra_cost(visit_update(q_, 6000, wire::VISIT_REPAIR), "a2", 12000));  // re-asked, same id
  EXPECT_EQ(code(reply(wire::VisitReply::APPROVE_EXTRA, "", "a2")), make_error_code(AgentErrc::already_answered));
  EXPECT_FALSE(view().visit->approval_open);
}

TEST_F(CarStoreVisitTest, TheHandoverIsASurveyRequestAnsweredOnce) {
  apply(visit_update(q_, 3000, wire::VISIT_QUALITY_CHECK));
  const auto handover = visit_update(q_, 4000, wire::VISIT_HANDED_OVER, wire::CASE_STATUS_CLOSED);
  apply(handover);
  auto v = view();
  EXPECT_EQ(v.status, ReportStatus::closed);
  EXPECT_EQ(v.visit->latest.stage(), wire::VISIT_HANDED_OVER);
  EXPECT_EQ(v.survey_request_id, handover.message_id());
  EXPECT_FALSE(v.survey_answered);
  auto id = store_->enqueue_survey_answer(handover.message_id(), 2, "等了很久 waited long", receipts_, 10000);
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(codec::decode(*store_->payload(*id))->survey().score(), 2u);
  EXPECT_TRUE(view().survey_answered);
  EXPECT_EQ(code(store_->enqueue_survey_answer(handover.message_id(), 5, "", receipts_, 11000)),
            make_error_code(AgentErrc::already_answered));
}

TEST_F(CarStoreVisitTest, ACallbackIsAskedOncePerReportUntilItIsLogged) {
  auto id = store_->enqueue_callback_request(report_id_, "+86 138-0000-0000", "", receipts_, 10000);
  ASSERT_TRUE(id) << id.error().what();
  auto v = view();
  ASSERT_TRUE(v.callback);
  EXPECT_EQ(v.callback->callback_id, *id);
  EXPECT_EQ(v.callback->state, wire::CALLBACK_STATE_UNSPECIFIED);  // waiting for an agent
  EXPECT_TRUE(v.callback->open());
  auto sent = codec::decode(*store_->payload(*id));
  ASSERT_TRUE(sent && sent->has_callback_request());
  EXPECT_EQ(sent->message_id(), *id);  // the callback id
  EXPECT_EQ(sent->callback_request().report_id(), report_id_);
  EXPECT_EQ(sent->callback_request().language(), "zh-CN");  // the report's
  EXPECT_EQ(code(store_->enqueue_callback_request(report_id_, "", "en", receipts_, 11000)),
            make_error_code(AgentErrc::callback_open));

  auto update = [&](std::int64_t sent_at, wire::CallbackState state, const std::string& agent,
                    const std::string& outcome) {
    auto env = notification_for(q_, wire::CASE_STATUS_IN_PROGRESS);
    env.set_sent_at_ms(sent_at);
    auto* c = env.mutable_notification()->mutable_callback();
    c->set_callback_id(*id);
    c->set_state(state);
    c->set_agent(agent);
    c->set_outcome(outcome);
    apply(env);
  };
  update(5000, wire::CALLBACK_PICKED_UP, "王芳", "");
  EXPECT_EQ(view().callback->state, wire::CALLBACK_PICKED_UP);
  EXPECT_EQ(view().callback->agent, "王芳");
  update(4000, wire::CALLBACK_QUEUED, "", "");  // older: changes nothing
  EXPECT_EQ(view().callback->state, wire::CALLBACK_PICKED_UP);
  EXPECT_EQ(code(store_->enqueue_callback_request(report_id_, "", "", receipts_, 12000)),
            make_error_code(AgentErrc::callback_open));
  update(6000, wire::CALLBACK_LOGGED, "", "已安排到店检查");
  v = view();
  EXPECT_EQ(v.callback->state, wire::CALLBACK_LOGGED);
  EXPECT_EQ(v.callback->agent, "王芳");  // kept
  EXPECT_EQ(v.callback->outcome, "已安排到店检查");
  EXPECT_FALSE(v.callback->open());
  EXPECT_TRUE(store_->inbox()->front().callback);

  auto second = store_->enqueue_callback_request(report_id_, "", "", receipts_, 13000);
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_EQ(view().callback->callback_id, *second);  // the newest is shown
}

// A callback state the car does not know (a newer backend's), or 0 (the car's own "asked"), does
// not take the callback back or hold it open: the notice is kept, the callback's state is not.
TEST_F(CarStoreVisitTest, ACallbackStateThisBuildDoesNotKnowChangesNothing) {
  auto id = store_->enqueue_callback_request(report_id_, "", "", receipts_, 10000);
  ASSERT_TRUE(id) << id.error().what();
  auto update = [&](std::int64_t sent_at, wire::CallbackState state) {
    auto env = notification_for(q_, wire::CASE_STATUS_IN_PROGRESS);
    env.set_sent_at_ms(sent_at);
    env.mutable_notification()->mutable_callback()->set_callback_id(*id);
    env.mutable_notification()->mutable_callback()->set_state(state);
    apply(env);
  };
  update(5000, wire::CALLBACK_PICKED_UP);
  update(6000, wire::CALLBACK_STATE_UNSPECIFIED);
  EXPECT_EQ(view().callback->state, wire::CALLBACK_PICKED_UP);
  update(7000, static_cast<wire::CallbackState>(42));
  EXPECT_EQ(view().callback->state, wire::CALLBACK_PICKED_UP);
  EXPECT_EQ(store_->inbox()->size(), 3u) << "every notice is kept";
  update(8000, wire::CALLBACK_LOGGED);
  EXPECT_FALSE(view().callback->open());
  EXPECT_TRUE(store_->enqueue_callback_request(report_id_, "", "", receipts_, 13000));
}

TEST_F(CarStoreVisitTest, ACallbackNeedsAReportWithACase) {
  EXPECT_EQ(code(store_->enqueue_callback_request("no-such-report", "", "", receipts_, 10000)),
            make_error_code(StorageErrc::not_found));
  const auto unsent = make_report("still queued");
  ASSERT_TRUE(store_->enqueue_report(unsent.env, unsent.payload, ReportClass::normal, 2000));
  EXPECT_EQ(code(store_->enqueue_callback_request(unsent.env.report().report_id(), "", "", receipts_, 10000)),
            make_error_code(AgentErrc::no_case));
  EXPECT_EQ(code(store_->enqueue_callback_request(report_id_, "call me maybe", "", receipts_, 10000)),
            make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(code(store_->enqueue_callback_request(report_id_, "(021) 5555 0100", "", receipts_, 10000)),
            make_error_code(WireErrc::invalid_field));  // the backend takes digits, '+', '-' and spaces
  EXPECT_EQ(code(store_->enqueue_callback_request(report_id_, std::string(33, '1'), "", receipts_, 10000)),
            make_error_code(WireErrc::invalid_field));
}

TEST_F(CarStoreVisitTest, AVisitUpdateCarriedByAnAckIsAppliedLikeAnyOther) {
  const auto other = make_report("another report");
  ASSERT_TRUE(store_->enqueue_report(other.env, other.payload, ReportClass::normal, 2000));
  auto ack = accepted_ack(other, "FB-2026-000043");
  auto carried = visit_update(other, 3000, wire::VISIT_PROPOSED);
  *ack.mutable_accepted()->mutable_notification() = codec::carry(carried);
  auto r = store_->apply_ack(ack, 4000);
  ASSERT_TRUE(r && r->notification);
  ASSERT_TRUE(r->notification->visit);
  EXPECT_TRUE((*store_->report(other.env.report().report_id()))->visit);
}

// ---- Classes, time to live and the size cap (issue 8) -------------------------------------------

class CarStoreQueueTest : public CarStoreTest {
 protected:
  std::string add(CarStore& store, ReportClass c, std::int64_t now, const std::string& text = "x") {
    const auto q = make_report(text);
    auto r = store.enqueue_report(q.env, q.payload, c, now);
    EXPECT_TRUE(r) << r.error().what();
    if (r) evicted_.insert(evicted_.end(), r->evicted.begin(), r->evicted.end());
    return q.env.report().report_id();
  }
  static std::vector<std::string> ids(const std::vector<ReportView>& views) {
    std::vector<std::string> out;
    out.reserve(views.size());
    for (const auto& v : views) out.push_back(v.report_id);
    return out;
  }
  static std::vector<std::string> queued(CarStore& store) {
    std::vector<std::string> out;
    const auto entries = store.outbox();
    for (const auto& e : *entries) out.push_back(e.id);
    return out;
  }
  static ReportView row(CarStore& store, const std::string& id) { return **store.report(id); }
  std::vector<ReportView> evicted_;
};

TEST_F(CarStoreQueueTest, SafetyIsSentFirstThenNormalThenLowEachOldestFirst) {
  auto store = open();
  const auto low = add(store, ReportClass::low, 1000);
  const auto normal_new = add(store, ReportClass::normal, 3000);
  const auto normal_old = add(store, ReportClass::normal, 2000);  // queued later, made earlier
  const auto safety = add(store, ReportClass::safety, 4000);
  EXPECT_EQ(queued(store), (std::vector<std::string>{safety, normal_old, normal_new, low}));
}

TEST_F(CarStoreQueueTest, EachClassExpiresAfterItsOwnTimeToLiveAndMyReportsSaysWhy) {
  auto o = options();
  o.ttl_safety = 30s;
  o.ttl_normal = 20s;
  o.ttl_low = 10s;
  auto store = open(o);
  const auto low = add(store, ReportClass::low, 0);
  const auto normal = add(store, ReportClass::normal, 0);
  const auto safety = add(store, ReportClass::safety, 0);
  EXPECT_EQ(store.outbox()->back().expires_ms, 10'000);  // the low one, last in send order

  EXPECT_TRUE(store.expire(9'999)->empty());  // not a millisecond early
  EXPECT_EQ(ids(*store.expire(10'000)), std::vector<std::string>{low});
  EXPECT_EQ(queued(store), (std::vector<std::string>{safety, normal}));
  auto dropped = row(store, low);
  EXPECT_EQ(dropped.status, ReportStatus::dropped);
  EXPECT_EQ(dropped.drop_reason, DropReason::expired);
  EXPECT_EQ(dropped.updated_ms, 10'000);
  EXPECT_FALSE(row(store, normal).drop_reason);

  EXPECT_EQ(ids(*store.expire(25'000)), std::vector<std::string>{normal});
  EXPECT_EQ(ids(*store.expire(30'000)), std::vector<std::string>{safety});
  EXPECT_TRUE(store.outbox()->empty());
  EXPECT_TRUE(store.expire(40'000)->empty());  // each is dropped once
  const auto rows = store.reports();
  for (const auto& r : *rows) EXPECT_EQ(r.status, ReportStatus::dropped);
}

TEST_F(CarStoreQueueTest, AReportWhoseCaseAnsweredBeforeItsAckLeavesTheOutboxWithoutShowingDropped) {
  auto o = options();
  o.ttl_normal = 10s;
  auto store = open(o);
  const auto q = make_report();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 0));
  // The case's notification came, its ack did not (yet): the backend has the report.
  ASSERT_TRUE(store.apply_notification(notification_for(q, wire::CASE_STATUS_IN_PROGRESS), receipts_, 1000));
  auto expired = store.expire(10'000);
  ASSERT_TRUE(expired);
  EXPECT_TRUE(expired->empty()) << "nobody is told of a drop that lost nothing";
  const auto outbox = store.outbox();
  for (const auto& e : *outbox) EXPECT_NE(e.kind, OutboxKind::report) << e.id;  // the receipt stays
  const auto view = *store.report(q.env.report().report_id());
  EXPECT_EQ(view->status, ReportStatus::in_progress);
  EXPECT_FALSE(view->drop_reason);
}

TEST_F(CarStoreQueueTest, AZeroTimeToLiveNeverExpiresAndReceiptsNeverExpire) {
  auto o = options();
  o.ttl_normal = 0ms;
  auto store = open(o);
  const auto q = make_report();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 0));
  ASSERT_TRUE(store.apply_notification(notification_for(q), receipts_, 0));  // queues a receipt
  EXPECT_TRUE(store.expire(std::numeric_limits<std::int64_t>::max())->empty());
  const auto entries = store.outbox();
  EXPECT_EQ(entries->size(), 2u);
  for (const auto& e : *entries) EXPECT_EQ(e.expires_ms, 0);
}

TEST_F(CarStoreQueueTest, TheCountCapEvictsTheLowestClassOldestFirstAndNeverSafety) {
  auto o = options();
  o.max_reports = 4;
  auto store = open(o);
  const auto low_new = add(store, ReportClass::low, 2000);
  const auto low_old = add(store, ReportClass::low, 1000);  // queued later, made earlier: evicted first
  const auto normal_old = add(store, ReportClass::normal, 500);
  const auto safety_old = add(store, ReportClass::safety, 100);
  ASSERT_TRUE(evicted_.empty());

  add(store, ReportClass::normal, 3000);
  EXPECT_EQ(ids(evicted_), std::vector<std::string>{low_old});
  add(store, ReportClass::normal, 3100);
  EXPECT_EQ(ids(evicted_), (std::vector<std::string>{low_old, low_new}));
  // Only normal and safety left: a new normal one evicts the oldest normal, never the older safety.
  add(store, ReportClass::normal, 3200);
  EXPECT_EQ(ids(evicted_).back(), normal_old);
  EXPECT_EQ(store.outbox()->size(), 4u);
  EXPECT_EQ(store.outbox()->front().id, safety_old);

  auto dropped = row(store, low_old);
  EXPECT_EQ(dropped.status, ReportStatus::dropped);
  EXPECT_EQ(dropped.drop_reason, DropReason::evicted_for_space);
  EXPECT_EQ(evicted_.front().drop_reason, DropReason::evicted_for_space);
}

TEST_F(CarStoreQueueTest, ANewReportNeverEvictsAMoreUrgentOneAndIsRefusedInstead) {
  auto o = options();
  o.max_reports = 2;
  auto store = open(o);
  const auto a = add(store, ReportClass::normal, 1000);
  const auto b = add(store, ReportClass::normal, 2000);
  const auto idea = make_report("an idea");
  auto r = store.enqueue_report(idea.env, idea.payload, ReportClass::low, 3000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(AgentErrc::queue_full));
  EXPECT_EQ(queued(store), (std::vector<std::string>{a, b}));  // nothing evicted for it
  EXPECT_FALSE(store.report(idea.env.report().report_id())->has_value());
}

TEST_F(CarStoreQueueTest, WhenOnlySafetyReportsFillItANewSafetyReportIsStillTakenAndOthersAreRefused) {
  auto o = options();
  o.max_reports = 2;
  auto store = open(o);
  const auto s1 = add(store, ReportClass::safety, 1000);
  const auto s2 = add(store, ReportClass::safety, 2000);
  const auto s3 = add(store, ReportClass::safety, 3000);  // over the cap: safety is never refused
  EXPECT_TRUE(evicted_.empty());
  EXPECT_EQ(queued(store), (std::vector<std::string>{s1, s2, s3}));
  const auto normal = make_report("normal");
  auto r = store.enqueue_report(normal.env, normal.payload, ReportClass::normal, 4000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(AgentErrc::queue_full));
  // A normal report that was there before the safety ones is evicted by the next safety one.
  EXPECT_EQ(store.outbox()->size(), 3u);
}

TEST_F(CarStoreQueueTest, ABatchQueuesEachReportAsAloneAndTheCapRefusesOnlyTheOneOverIt) {
  auto o = options();
  o.max_reports = 2;
  auto store = open(o);
  const auto kept = add(store, ReportClass::normal, 1000);
  const std::vector<Queued> burst{make_report("a"), make_report("b"), make_report("c"), make_report("d")};
  const std::vector<NewReport> batch{{&burst[0].env, &burst[0].payload, ReportClass::normal, 2000, {}},
                                     {&burst[1].env, &burst[1].payload, ReportClass::low, 2100, {}},
                                     {&burst[2].env, &burst[2].payload, ReportClass::normal, 2200, {}},
                                     {&burst[3].env, &burst[3].payload, ReportClass::safety, 2300, {}}};
  auto r = store.enqueue_reports(batch);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 4u);
  const auto id = [&](int i) { return burst[i].env.report().report_id(); };
  // The first fills the cap; the low one then finds it full of reports more urgent than itself.
  ASSERT_TRUE((*r)[0]);
  EXPECT_TRUE((*r)[0]->evicted.empty());
  ASSERT_FALSE((*r)[1]);
  EXPECT_EQ((*r)[1].error().code, make_error_code(AgentErrc::queue_full));
  // Each later one sees the batch's earlier reports: the oldest normal goes, then the batch's own.
  ASSERT_TRUE((*r)[2]);
  EXPECT_EQ(ids((*r)[2]->evicted), std::vector<std::string>{kept});
  ASSERT_TRUE((*r)[3]);
  EXPECT_EQ(ids((*r)[3]->evicted), std::vector<std::string>{id(0)});
  EXPECT_EQ(queued(store), (std::vector<std::string>{id(3), id(2)}));
  EXPECT_FALSE(store.report(id(1))->has_value());
  EXPECT_EQ(row(store, id(0)).status, ReportStatus::dropped);
  EXPECT_EQ(row(store, kept).status, ReportStatus::dropped);

  // The counts the cap goes by are the store's after the batch: one more normal report evicts
  // the batch's normal one, nothing else.
  const auto after = add(store, ReportClass::normal, 3000);
  EXPECT_EQ(ids(evicted_), std::vector<std::string>{id(2)});
  EXPECT_EQ(queued(store), (std::vector<std::string>{id(3), after}));
}

TEST_F(CarStoreTest, ABatchThatFillsTheDiskIsRefusedWholeAndTheRowsBeforeItStay) {
  auto o = options();
  o.max_pages = 24;
  o.max_reports = 3;
  auto store = open(o);
  const auto first = make_report("first");
  ASSERT_TRUE(store.enqueue_report(first.env, first.payload, ReportClass::normal, 1000));
  std::vector<Queued> burst;
  burst.reserve(60);
  for (int i = 0; i < 60; ++i) burst.push_back(make_report(std::string(1500, 'x') + std::to_string(i)));
  std::vector<NewReport> batch;
  batch.reserve(burst.size());
  for (const auto& q : burst) batch.push_back({&q.env, &q.payload, ReportClass::safety, 2000, {}});
  auto r = store.enqueue_reports(batch);
  ASSERT_FALSE(r) << "the page limit was never reached";
  EXPECT_EQ(r.error().code, make_error_code(StorageErrc::full)) << r.error().what();
  EXPECT_EQ(store.outbox()->size(), 1u);  // nothing of the batch, the earlier row intact
  EXPECT_EQ(store.reports()->size(), 1u);
  // The cap's counts were not left holding the rolled-back rows: two more fit beside the first
  // without evicting it.
  for (int i = 0; i < 2; ++i) {
    const auto q = make_report("after " + std::to_string(i));
    auto more = store.enqueue_report(q.env, q.payload, ReportClass::normal, 3000 + i);
    ASSERT_TRUE(more) << more.error().what();
    EXPECT_TRUE(more->evicted.empty());
  }
  EXPECT_EQ(store.outbox()->size(), 3u);
}

TEST_F(CarStoreQueueTest, TheByteCapCountsPayloadsAndEvictsAsManyAsNeeded) {
  const auto probe = make_report(std::string(1000, 'a'));
  auto o = options();
  o.max_report_bytes = static_cast<std::int64_t>(probe.payload.size()) * 3;  // three of these
  auto store = open(o);
  const auto l1 = add(store, ReportClass::low, 1000, std::string(1000, 'a'));
  const auto l2 = add(store, ReportClass::low, 2000, std::string(1000, 'b'));
  const auto n1 = add(store, ReportClass::normal, 3000, std::string(1000, 'c'));
  ASSERT_TRUE(evicted_.empty());
  // Twice the size: two must go, the two low ones, oldest first.
  const auto big = add(store, ReportClass::normal, 4000, std::string(2000, 'd'));
  EXPECT_EQ(ids(evicted_), (std::vector<std::string>{l1, l2}));
  EXPECT_EQ(queued(store), (std::vector<std::string>{n1, big}));
}

TEST_F(CarStoreQueueTest, AcksExpiriesAndReopensFreeRoomUnderTheCap) {
  auto o = options();
  o.max_reports = 2;
  o.ttl_low = 10s;
  auto store = open(o);
  const auto first = make_report("first");
  ASSERT_TRUE(store.enqueue_report(first.env, first.payload, ReportClass::normal, 1000));
  add(store, ReportClass::normal, 2000);
  ASSERT_TRUE(store.apply_ack(accepted_ack(first, "FB-2026-000001"), 3000));
  add(store, ReportClass::normal, 4000);  // the ack made room: nothing evicted
  EXPECT_TRUE(evicted_.empty());
  const auto idea = make_report("idea");
  EXPECT_EQ(store.enqueue_report(idea.env, idea.payload, ReportClass::low, 5000).error().code,
            make_error_code(AgentErrc::queue_full));

  store = open(o);  // the same file again: the counts come from the store
  const auto old = add(store, ReportClass::normal, 6000);
  ASSERT_EQ(evicted_.size(), 1u);  // full again: the oldest normal one made room
  EXPECT_EQ(store.outbox()->size(), 2u);
  EXPECT_EQ(store.expire(7000)->size(), 0u);
  EXPECT_EQ(queued(store).back(), old);
}

TEST_F(CarStoreQueueTest, AReportDroppedWhileItsAckWasOnTheWayShowsAcknowledgedWhenTheAckComes) {
  auto o = options();
  o.ttl_normal = 10s;
  auto store = open(o);
  const auto q = make_report();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 0));
  ASSERT_EQ(store.expire(10'000)->size(), 1u);  // sent, but the ack came after its time was up
  auto r = store.apply_ack(accepted_ack(q, "FB-2026-000099"), 11'000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->matched);
  auto view = row(store, q.env.report().report_id());
  EXPECT_EQ(view.status, ReportStatus::acknowledged);
  EXPECT_EQ(view.case_number, "FB-2026-000099");
  EXPECT_FALSE(view.drop_reason);
}

TEST_F(CarStoreQueueTest, DroppedReportsSurviveAReopen) {
  auto o = options();
  o.max_reports = 1;
  std::string low;
  {
    auto store = open(o);
    low = add(store, ReportClass::low, 1000);
    add(store, ReportClass::normal, 2000);
  }
  auto store = open(o);
  auto view = row(store, low);
  EXPECT_EQ(view.status, ReportStatus::dropped);
  EXPECT_EQ(view.drop_reason, DropReason::evicted_for_space);
}

// ---- Time to live and the car's clock (car_store.hpp) ------------------------------------------

constexpr std::int64_t kUnset = 946'684'800'000;  // 2000-01-01: the RTC before NTP or GNSS set it
constexpr std::int64_t kSet = 1'780'000'000'000;  // 2026-05-28
constexpr std::int64_t kDay = std::int64_t{24} * 3600 * 1000;

TEST_F(CarStoreQueueTest, AReportQueuedWithTheClockUnsetStartsItsTimeToLiveAtTheFirstValidTime) {
  CarStore::Options o;  // the real rule: kClockValidFromMs
  o.ttl_normal = 14 * 24h;
  auto store = open(o);
  const auto q = make_report("queued before the clock was set");
  auto r = store.enqueue_report(q.env, q.payload, ReportClass::normal, kUnset);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->expires_ms, 0) << "not known yet";
  EXPECT_EQ(store.outbox()->front().expires_ms, 0);
  EXPECT_TRUE(*store.expiry_pending());
  // Weeks pass on the unset clock: nothing is dropped, an unset clock tells no age.
  EXPECT_TRUE(store.expire(kUnset + 60 * kDay)->empty());
  EXPECT_EQ(*store.fix_expiries(kUnset + 60 * kDay), 0u);
  // The clock is set (a jump of 26 years): the time to live starts now, it is not spent at once.
  EXPECT_TRUE(store.expire(kSet)->empty());
  EXPECT_FALSE(*store.expiry_pending());
  EXPECT_EQ(store.outbox()->front().expires_ms, kSet + 14 * kDay);
  EXPECT_TRUE(store.expire(kSet + 14 * kDay - 1)->empty());
  const auto dropped = store.expire(kSet + 14 * kDay);
  ASSERT_EQ(dropped->size(), 1u);
  EXPECT_EQ(dropped->front().drop_reason, DropReason::expired);
  // Kept across a reopen while pending, too.
  const auto later = make_report("also before the clock was set");
  ASSERT_TRUE(store.enqueue_report(later.env, later.payload, ReportClass::low, kUnset + 1000));
  auto reopened = open(o);
  EXPECT_TRUE(*reopened.expiry_pending());
  EXPECT_EQ(*reopened.fix_expiries(kSet + 20 * kDay), 1u);
  EXPECT_EQ(reopened.outbox()->front().expires_ms, kSet + 20 * kDay + o.ttl_low.count());
}

TEST_F(CarStoreQueueTest, NormalExpiryWithASetClock) {
  CarStore::Options o;
  auto store = open(o);
  const auto id = add(store, ReportClass::low, kSet);
  EXPECT_EQ(store.outbox()->front().expires_ms, kSet + 7 * kDay);
  EXPECT_EQ(*store.fix_expiries(kSet + kDay), 0u) << "a consistent clock changes nothing";
  EXPECT_TRUE(store.expire(kSet + 7 * kDay - 1)->empty());
  EXPECT_EQ(ids(*store.expire(kSet + 7 * kDay)), std::vector<std::string>{id});
}

TEST_F(CarStoreQueueTest, ABackwardStepNeverMakesAReportOlderNorLetsItLiveMoreThanAFullTimeToLive) {
  CarStore::Options o;
  auto store = open(o);
  const auto young = add(store, ReportClass::normal, kSet);            // 14 days left at kSet
  const auto old = add(store, ReportClass::normal, kSet - 10 * kDay);  // 4 days left at kSet
  // The clock steps back an hour: nothing expires, the old one keeps its expiry (more time left,
  // never less), the young one now has a full time to live left, not more.
  EXPECT_TRUE(store.expire(kSet - 3'600'000)->empty());
  std::map<std::string, std::int64_t> expiry;
  const auto before = store.outbox();
  for (const auto& e : *before) expiry[e.id] = e.expires_ms;
  EXPECT_EQ(expiry[old], kSet + 4 * kDay);
  EXPECT_EQ(expiry[young], kSet - 3'600'000 + 14 * kDay);
  // 100 days back (a clock that ran ahead, corrected): at most a full time to live from now.
  EXPECT_TRUE(store.expire(kSet - 100 * kDay)->empty());
  const auto after = store.outbox();
  for (const auto& e : *after) EXPECT_EQ(e.expires_ms, kSet - 100 * kDay + 14 * kDay) << e.id;
  EXPECT_TRUE(store.expire(kSet - 86 * kDay - 1)->empty());
  EXPECT_EQ(store.expire(kSet - 86 * kDay)->size(), 2u);
}

TEST_F(CarStoreQueueTest, AForwardStepOfMoreThanTheTimeToLiveDropsWhatIsDueAndNamesEachOne) {
  CarStore::Options o;
  auto store = open(o);
  const auto low = add(store, ReportClass::low, kSet);        // 7 days
  const auto normal = add(store, ReportClass::normal, kSet);  // 14 days
  const auto safety = add(store, ReportClass::safety, kSet);  // 30 days
  // 20 days ahead at once (a sleep, or a clock corrected forward: the same to the car).
  const auto dropped = store.expire(kSet + 20 * kDay);
  ASSERT_TRUE(dropped);
  const auto names = ids(*dropped);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), (std::set<std::string>{low, normal}))
      << "each one, to tell the driver";
  for (const auto& r : *dropped) EXPECT_EQ(r.drop_reason, DropReason::expired);
  EXPECT_EQ(queued(store), std::vector<std::string>{safety});
  EXPECT_EQ(store.outbox()->front().expires_ms, kSet + 30 * kDay) << "a forward step moves no expiry";
}

// ---- Recovery of a corrupt store (issue 8): tests/fixtures/make-fixtures.sh <build> recovery ------

class CarStoreRecoveryTest : public CarStoreTest {
 protected:
  static std::string fixture(const std::string& name) { return std::string(test::kFixturesDir) + "/" + name; }
  // rowid -> primary key (and for the outbox, the payload too) of one table.
  static std::map<std::int64_t, std::string> rows(const std::string& file, const std::string& table,
                                                  const std::string& columns) {
    auto db = sql::Database::open(file, sql::OpenOptions{.create = false, .read_only = true});
    EXPECT_TRUE(db) << db.error().what();
    auto st = db->prepare("SELECT rowid, " + columns + " FROM " + table);
    EXPECT_TRUE(st) << st.error().what();
    std::map<std::int64_t, std::string> out;
    EXPECT_TRUE(st->each_row([&](const sql::Statement& s) { out[s.int64(0)] = s.blob(1) + "|" + s.blob(2); }));
    return out;
  }
  static std::map<std::string, std::set<std::int64_t>> lost(const std::string& name) {
    std::map<std::string, std::set<std::int64_t>> out;
    std::ifstream in(fixture(name));
    std::string table;
    std::int64_t rowid = 0;
    while (in >> table >> rowid) out[table].insert(rowid);
    return out;
  }

  /// Checkpoints `db` (the store's file, opened on its own) and writes garbage over a leaf of the
  /// outbox, which has at least 3, so that the next open recovers the file. `last`: the last
  /// leaf, else the first.
  void garble_outbox_leaf(sql::Database& db, bool last) {
    ASSERT_TRUE(db.query_int("PRAGMA wal_checkpoint(TRUNCATE)"));
    auto st = db.prepare("SELECT pageno FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf' ORDER BY path");
    ASSERT_TRUE(st);
    std::vector<std::int64_t> leaves;
    ASSERT_TRUE(st->each_row([&](const sql::Statement& row) { leaves.push_back(row.int64(0)); }));
    ASSERT_GE(leaves.size(), 3u);
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(((last ? leaves.back() : leaves.front()) - 1) * 1024);
    file << std::string(1024, '\x5a');
  }

  // Opens the damaged fixture as the car would and checks that exactly the rows its manifest
  // does not name come back, byte for byte; returns the store for more checks.
  CarStore open_damaged(const std::string& name, std::size_t expect_lost) {
    fs::copy_file(fixture(name + ".db"), path_);
    auto store = open();
    check_recovered(store, name, expect_lost);
    return store;
  }

  void check_recovered(CarStore& store, const std::string& name, std::size_t expect_lost) {
    EXPECT_TRUE(store.set_aside());
    if (!store.set_aside()) return;
    EXPECT_TRUE(fs::exists(*store.set_aside()));  // kept for diagnosis, untouched
    EXPECT_FALSE(fs::exists(store.set_aside()->string() + ".salvage"));
    const auto source = fixture("car-store-recovery-source.db");
    const auto gone = lost(name + ".lost");
    std::size_t lost_rows = 0;
    for (const auto& [table, rowids] : gone) lost_rows += rowids.size();
    EXPECT_EQ(lost_rows, expect_lost) << "the manifest changed: regenerate the fixtures and this test together";
    const auto& recovery = store.recovery();
    EXPECT_TRUE(recovery);
    // The fixtures are of v4, whose report rows held their words; a recovered store keeps them in
    // report_texts (v10).
    struct Compared {
      const char* table;
      const char* source_columns;
      const char* recovered_columns;
    };
    const Compared tables[] = {{"outbox", "id, payload", "id, payload"},
                               {"reports", "report_id, text",
                                "report_id, (SELECT t.text FROM report_texts t WHERE t.report_id = reports.report_id)"},
                               {"inbox", "message_id, title", "message_id, title"}};
    const bool source_has_texts = std::ranges::any_of(rows(source, "sqlite_schema", "name, ''"),
                                                      [](const auto& row) { return row.second == "report_texts|"; });
    for (const auto& [table, columns, recovered_columns] : tables) {
      // A fixture made by a build of v10 or later keeps the words in report_texts too.
      auto expected = rows(source, table,
                           source_has_texts && std::string(table) == "reports" ? recovered_columns : columns);
      const auto gone_here = gone.contains(table) ? gone.at(table) : std::set<std::int64_t>{};
      for (auto rowid : gone_here) EXPECT_EQ(expected.erase(rowid), 1u) << table << " " << rowid;
      auto got = rows(path_, table, recovered_columns);
      if (std::string(table) == "reports") {
        // Rows rebuilt from a recovered outbox report whose My reports row was lost.
        for (auto it = got.begin(); it != got.end();) {
          it = expected.contains(it->first) ? std::next(it) : got.erase(it);
        }
      }
      EXPECT_EQ(got, expected) << table;
      if (recovery) {
        const auto* t = recovery->table(table);
        EXPECT_NE(t, nullptr);
        if (t != nullptr) {
          EXPECT_EQ(t->recovered, expected.size()) << table;
        }
      }
    }
    {
      auto db = sql::Database::open(path_);
      EXPECT_TRUE(db);
      EXPECT_EQ(**db->query_int("SELECT count(*) FROM reports WHERE text <> ''"), 0) << "words left in a row";
      EXPECT_EQ(**db->query_int("SELECT count(*) FROM report_texts WHERE report_id NOT IN (SELECT report_id FROM "
                                "reports)"),
                0)
          << "words of a report no longer there";
    }
    if (recovery) {
      // An upper bound, except when a table's end was unreadable (how many were there is unknown).
      if (std::ranges::none_of(recovery->tables, &TableRecovery::tail_unreadable)) {
        EXPECT_GE(recovery->lost_at_most(), lost_rows);
      }
      EXPECT_EQ(recovery->incomplete(), lost_rows > 0);
    }
  }

  // The files beside the store, by name.
  std::set<std::string> files() const {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(fs::path(path_).parent_path())) out.insert(e.path().filename());
    return out;
  }

  static std::string bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  static RecoveryFault kill_at(RecoveryStep step) {
    return [step](RecoveryStep at) -> Result<void> {
      if (at == step) return fail(StorageErrc::io, "killed at step " + std::to_string(static_cast<int>(at)));
      return {};
    };
  }
};

TEST_F(CarStoreRecoveryTest, AGarbagePageInTheMiddleOfATableLosesOnlyTheRowsOnIt) {
  auto store = open_damaged("car-store-damaged-page", 4);
  EXPECT_FALSE(store.recovery()->header_rebuilt);
  // The reports lost were queued: their outbox rows came back, so My reports shows them again
  // (rebuilt from the report itself) and they are still sent.
  const auto gone = lost("car-store-damaged-page.lost");
  const auto source = rows(fixture("car-store-recovery-source.db"), "reports", "report_id, ''");
  for (auto rowid : gone.at("reports")) {
    const auto& id = source.at(rowid);
    const auto report_id = id.substr(0, id.size() - 1);
    auto view = store.report(report_id);
    ASSERT_TRUE(view && *view) << report_id;
    EXPECT_EQ((*view)->status, ReportStatus::queued);
    EXPECT_NE((*view)->text.find("queued offline"), std::string::npos);
    EXPECT_TRUE(store.payload(report_id));
  }
  EXPECT_NE(store.recovery()->summary().find("at most 4 lost"), std::string::npos) << store.recovery()->summary();
}

TEST_F(CarStoreRecoveryTest, ATruncatedFileGivesBackEveryRowBeforeTheCut) {
  auto store = open_damaged("car-store-truncated", 27);
  EXPECT_TRUE(store.recovery()->table("reports")->tail_unreadable);
  EXPECT_NE(store.recovery()->summary().find("unreadable from some point on: reports"), std::string::npos)
      << store.recovery()->summary();
  // Every queued report is still queued (the cut took only My reports rows, rebuilt from the
  // outbox), and the store works on: a new report is queued after the recovered ones.
  const auto all = store.reports(1000);
  EXPECT_EQ(std::ranges::count(*all, ReportStatus::queued, &ReportView::status), 61);
  const auto q = make_report("after recovery");
  EXPECT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 2'000'000'000'000));
  EXPECT_EQ(store.outbox()->size(), 62u);
}

TEST_F(CarStoreRecoveryTest, AReportWhoseQueuedCopyIsLostIsShownAsDroppedBecauseTheStoreWasDamaged) {
  auto store = open_damaged("car-store-damaged-outbox", 3);
  const auto source = rows(fixture("car-store-recovery-source.db"), "outbox", "id, ''");
  std::set<std::string> lost_ids;
  const auto gone = lost("car-store-damaged-outbox.lost");
  for (auto rowid : gone.at("outbox")) {
    const auto& key = source.at(rowid);
    lost_ids.insert(key.substr(0, key.size() - 1));
  }
  std::size_t damaged = 0;
  const auto all = store.reports(1000);
  for (const auto& r : *all) {
    if (r.status != ReportStatus::dropped) continue;
    EXPECT_EQ(r.drop_reason, DropReason::store_damaged);
    EXPECT_TRUE(lost_ids.contains(r.report_id)) << r.report_id;
    ++damaged;
  }
  EXPECT_EQ(damaged, lost_ids.size());
}

TEST_F(CarStoreRecoveryTest, AClobberedHeaderIsRebuiltAndEveryRowComesBack) {
  auto store = open_damaged("car-store-bad-header", 0);
  EXPECT_TRUE(store.recovery()->header_rebuilt);
  EXPECT_FALSE(store.recovery()->incomplete());
  EXPECT_NE(store.recovery()->summary().find("nothing lost"), std::string::npos);
}

TEST_F(CarStoreRecoveryTest, AFileWithNothingReadableStartsEmptyAndSaysSo) {
  std::ofstream(path_, std::ios::binary) << std::string(std::size_t{3} * 4096, '\x5a');
  auto store = open();
  ASSERT_TRUE(store.recovery());
  EXPECT_EQ(store.recovery()->recovered(), 0u);
  EXPECT_TRUE(store.recovery()->incomplete());
  EXPECT_TRUE(store.outbox()->empty());
}

// ---- group commit of acks (CarStore::apply_acks) ----

class GroupCommitTest : public CarStoreTest {
 protected:
  void SetUp() override {
    auto store = open();
    for (int i = 0; i < 3; ++i) {
      queued_.push_back(make_report("group " + std::to_string(i)));
      ASSERT_TRUE(store.enqueue_report(queued_[i].env, queued_[i].payload, ReportClass::normal, 1000 + i));
      acks_.push_back(accepted_ack(queued_[i], "FB-2026-00010" + std::to_string(i)));
    }
  }
  /// A trigger in the file that makes the second report's ack stop inside the transaction: an
  /// error (RAISE), or a query that never ends (a crash is then the only way out).
  void plant_trigger(const std::string& body) {
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TRIGGER stop_second AFTER UPDATE ON reports WHEN NEW.report_id = '" + id(1) +
                         "' BEGIN " + body + "; END"));
  }
  void drop_trigger() {
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("DROP TRIGGER stop_second"));
  }
  std::string id(std::size_t i) const { return queued_[i].env.report().report_id(); }
  /// Every report of the group queued (none applied) or every one acknowledged (all applied).
  void expect_all_or_none(bool all) {
    auto store = open();
    EXPECT_EQ(store.outbox()->size(), all ? 0u : 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      auto view = *store.report(id(i));
      ASSERT_TRUE(view);
      EXPECT_EQ(view->status, all ? ReportStatus::acknowledged : ReportStatus::queued) << i;
      EXPECT_EQ(view->case_number, all ? "FB-2026-00010" + std::to_string(i) : "") << i;
    }
  }
  std::vector<Queued> queued_;
  std::vector<wire::Ack> acks_;
};

TEST_F(GroupCommitTest, AcksThatArriveTogetherAreAppliedInOneCommit) {
  auto store = open();
  wire::Ack unknown = accepted_ack(make_report("never queued"), "FB-2026-000999");
  acks_.push_back(unknown);
  auto r = store.apply_acks(acks_, 5000);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE((*r)[i].matched) << i;
    EXPECT_EQ((*r)[i].report_id, id(i));
  }
  EXPECT_FALSE((*r)[3].matched);  // in order, one result per ack
  expect_all_or_none(true);
}

// The agent tells its listeners from these views instead of reading each report again after
// the commit: each must be the report as the whole batch left it. The first report is
// acknowledged twice in the batch, the second time with its notification: its first result
// shows the title that came last (a view read per ack would not have it yet).
TEST_F(GroupCommitTest, EachResultCarriesItsReportAsCommittedWhenAsked) {
  auto store = open();
  acks_.push_back(ack_carrying(queued_[0], notification_for(queued_[0])));
  acks_.push_back(accepted_ack(make_report("never queued"), "FB-2026-000999"));
  auto r = store.apply_acks(acks_, 5000, /*with_views=*/true);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 5u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& view = (*r)[i].report;
    ASSERT_TRUE(view) << i;
    auto stored = *store.report(id(i));
    ASSERT_TRUE(stored);
    EXPECT_EQ(view->report_id, id(i));
    EXPECT_EQ(view->status, stored->status) << i;
    EXPECT_EQ(view->case_number, stored->case_number) << i;
    EXPECT_EQ(view->last_title, stored->last_title) << i;
    EXPECT_EQ(view->updated_ms, 5000) << i;
  }
  EXPECT_EQ((*r)[0].report->last_title, "反馈已受理 FB-2026-000042");
  EXPECT_EQ((*r)[3].report->last_title, "反馈已受理 FB-2026-000042");
  EXPECT_EQ((*r)[1].report->status, ReportStatus::acknowledged);
  EXPECT_EQ((*r)[1].report->case_number, "FB-2026-000101");
  EXPECT_FALSE((*r)[4].report);  // the car never had it

  auto again = store.apply_acks(acks_, 6000);  // duplicates, and no views asked for
  ASSERT_TRUE(again);
  for (const auto& result : *again) EXPECT_FALSE(result.report);
}

// A report whose view cannot be read (its text sealed under a key this store does not have)
// must not undo the batch's acks: they would come back and fail again for as long as it lasts.
TEST_F(GroupCommitTest, AReportThatCannotBeReadDoesNotUndoTheAcks) {
  {
    crypto::KeyBytes key{};
    key.fill(7);
    auto ring = crypto::KeyRing::make({{7, key}}, 7);
    ASSERT_TRUE(ring);
    auto sealed = ring->seal("lost words", "reports.text:" + id(1));
    ASSERT_TRUE(sealed);
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    auto st = db->cached("UPDATE report_texts SET text = ? WHERE report_id = ?");
    ASSERT_TRUE(st);
    st->bind_blob(1, *sealed).bind(2, id(1));
    ASSERT_TRUE(st->run());
  }
  auto store = open();
  ASSERT_FALSE(store.report(id(1)));  // unreadable: no key ring here
  auto r = store.apply_acks(acks_, 5000, /*with_views=*/true);
  ASSERT_TRUE(r) << r.error().what();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE((*r)[i].matched) << i;
  EXPECT_TRUE((*r)[0].report);
  EXPECT_FALSE((*r)[1].report);
  EXPECT_TRUE((*r)[2].report);
  EXPECT_TRUE(store.outbox()->empty());
}

TEST_F(GroupCommitTest, AnErrorInTheMiddleOfAGroupLeavesNoneApplied) {
  plant_trigger("SELECT RAISE(ABORT, 'planted')");
  {
    auto store = open();
    auto r = store.apply_acks(acks_, 5000);
    ASSERT_FALSE(r);  // the first ack was applied in the transaction before the second failed
  }
  drop_trigger();
  expect_all_or_none(false);
}

TEST_F(GroupCommitTest, AKillInTheMiddleOfAGroupLeavesNoneApplied) {
  // The second ack's update never ends (a cross join of 3000^3 rows): the first is applied in
  // the open transaction when the process is killed.
  {
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        db->exec("CREATE TABLE big(x); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) "
                 "INSERT INTO big SELECT x FROM c"));
  }
  plant_trigger("SELECT count(*) FROM big a, big b, big c");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = CarStore::open(path_, {});
    if (store) (void)store->apply_acks(acks_, 5000);
    _exit(0);
  }
  // Until the child holds the write lock (its group's transaction is open).
  auto probe = sql::Database::open(path_, sql::OpenOptions{.busy_timeout_ms = 0});
  ASSERT_TRUE(probe);
  for (;;) {
    auto tx = sql::Transaction::begin(*probe);
    if (!tx && tx.error().code == make_error_code(StorageErrc::busy)) break;
    ASSERT_TRUE(tx) << tx.error().what();
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, WNOHANG), 0) << "the child ended without reaching the group";
  }
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  drop_trigger();
  expect_all_or_none(false);
}

TEST_F(GroupCommitTest, AGroupSurvivesTheProcessEndingRightAfterIt) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = CarStore::open(path_, {});
    const bool ok = store && store->apply_acks(acks_, 5000);
    _exit(ok ? 0 : 1);  // no close, no checkpoint: as a crash right after the commit
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  expect_all_or_none(true);
}

// v11: the delivered receipt of every notification is queued too, but only reports count against
// the cap: the cap's index holds them alone, so a receipt's insert and delete do not write it.
TEST_F(CarStoreTest, TheCapsIndexHoldsTheQueuedReportsAndNoReceipts) {
  auto store = open();
  std::vector<Queued> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(make_report("cap " + std::to_string(i)));
    ASSERT_TRUE(store.enqueue_report(queued.back().env, queued.back().payload, ReportClass::normal, 1000 + i));
  }
  for (int i = 0; i < 2; ++i) {
    auto applied = store.apply_notification(notification_for(queued[i]), "vehicles/x/receipts", 2000 + i);
    ASSERT_TRUE(applied) << applied.error().what();
    EXPECT_FALSE(applied->receipt_id.empty());
  }
  ASSERT_EQ(store.outbox()->size(), 5u);
  auto db = sql::Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_EQ(**db->query_int("SELECT sum(ncell) FROM dbstat WHERE name = 'outbox_cap'"), 3);
  EXPECT_EQ(**db->query_int("SELECT count(*) FROM outbox INDEXED BY outbox_cap WHERE kind = 'report'"), 3);
}

TEST_F(CarStoreTest, ANewFileHasSmallPagesAndNoDigestIndex) {
  { auto store = open(); }
  auto db = sql::Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_EQ(**db->query_int("PRAGMA page_size"), 1024);
  EXPECT_EQ(**db->query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'outbox_digest'"), 0);
  EXPECT_EQ(**db->query_int("PRAGMA user_version"), 15);
}

// A store of this build's schema (the fixtures are of v4), damaged on a page of My reports among
// the acknowledged reports and on a page of their words among the queued ones: every word that was
// readable comes back, and the words of a report whose row was lost go with it. A queued report's
// words are kept once (v14), not in its queued copy: one whose words are lost is not sent without
// them but shown as dropped, the store damaged, for the driver to report again.
TEST_F(CarStoreRecoveryTest, ACurrentStoreGetsBackEveryReadableWordAndDropsAQueuedReportWhoseWordsAreLost) {
  std::vector<Queued> queued;
  constexpr int kAcked = 30, kReports = 60;
  {
    auto store = open();
    for (int i = 0; i < kReports; ++i) {
      queued.push_back(
          make_report("report " + std::to_string(i) + ": " + std::string(300, static_cast<char>('a' + i % 26))));
      ASSERT_TRUE(store.enqueue_report(queued.back().env, queued.back().payload, ReportClass::normal, 1000 + i));
    }
    for (int i = 0; i < kAcked; ++i) {
      ASSERT_TRUE(store.apply_ack(accepted_ack(queued[i], "FB-2026-0001" + std::to_string(i)), 5000));
    }
  }
  {
    // Damage quick_check does not see: a key read as NULL in each table (a changed record
    // header), and a queued report's words that no longer open (sealed under another key).
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        db->exec("INSERT INTO reports(report_id, created_ms, source, category, text, language, status, "
                 "updated_ms) VALUES(NULL, 1, 0, 0, '', 'en', 'queued', 1)"));
    ASSERT_TRUE(db->exec("INSERT INTO report_texts(report_id, text) VALUES(NULL, 'no one''s words')"));
    crypto::KeyBytes key{};
    key.fill(9);
    auto ring = crypto::KeyRing::make({{9, key}}, 9);
    ASSERT_TRUE(ring);
    const auto& unreadable = queued[kReports - 2].env.report().report_id();
    auto sealed = ring->seal("other words", "reports.text:" + unreadable);
    ASSERT_TRUE(sealed);
    auto st = db->cached("UPDATE report_texts SET text = ? WHERE report_id = ?");
    ASSERT_TRUE(st);
    st->bind_blob(1, *sealed).bind(2, unreadable);
    ASSERT_TRUE(st->run());
    ASSERT_EQ(db->changes(), 1);
  }
  // Leaf pages of each table in key order (dbstat's path), so the first ones hold the first reports.
  const auto leaves = [&](const std::string& table) {
    auto db = sql::Database::open(path_);
    EXPECT_TRUE(db);
    EXPECT_TRUE(db->query_int("PRAGMA wal_checkpoint(TRUNCATE)"));
    auto st = db->prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path");
    EXPECT_TRUE(st);
    st->bind(1, table);
    std::vector<std::int64_t> pages;
    EXPECT_TRUE(st->each_row([&](const sql::Statement& row) { pages.push_back(row.int64(0)); }));
    return pages;
  };
  const auto report_leaves = leaves("reports");
  const auto text_leaves = leaves("report_texts");
  ASSERT_GE(report_leaves.size(), 4u);
  ASSERT_GE(text_leaves.size(), 4u);
  {
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    for (auto page : {report_leaves[1], text_leaves[text_leaves.size() * 3 / 4]}) {
      file.seekp((page - 1) * 1024);
      file << std::string(1024, '\x5a');
    }
  }
  auto store = open();
  ASSERT_TRUE(store.recovery());
  std::size_t acked_lost = 0;
  std::set<std::string> words_lost;
  for (int i = 0; i < kReports; ++i) {
    const auto& id = queued[i].env.report().report_id();
    const auto view = store.report(id);
    ASSERT_TRUE(view) << view.error().what();
    if (!*view) {
      EXPECT_LT(i, kAcked) << "a queued report is rebuilt from its outbox row";
      ++acked_lost;
      continue;
    }
    if (i >= kAcked && (*view)->status == ReportStatus::dropped) {
      EXPECT_EQ((*view)->drop_reason, DropReason::store_damaged) << i;
      EXPECT_EQ((*view)->text, "") << i;
      auto payload = store.payload(id);
      ASSERT_FALSE(payload) << i << ": sent without its words";
      EXPECT_EQ(payload.error().code, make_error_code(StorageErrc::not_found));
      words_lost.insert(id);
      continue;
    }
    EXPECT_EQ((*view)->text, queued[i].env.report().text()) << i;
    if (i >= kAcked) {
      EXPECT_EQ((*view)->status, ReportStatus::queued) << i;
      EXPECT_EQ(store.payload(id).value(), queued[i].payload) << i << ": not the bytes queued";
    }
  }
  EXPECT_GT(acked_lost, 0u) << "the damaged page of My reports held no report: the test shows nothing";
  EXPECT_TRUE(words_lost.contains(queued[kReports - 2].env.report().report_id())) << "the words that do not open";
  EXPECT_GE(words_lost.size(), 2u) << "the damaged page of words held no queued report: the test shows nothing";
  auto db = sql::Database::open(path_);
  ASSERT_TRUE(db);
  EXPECT_EQ(**db->query_int("SELECT count(*) FROM report_texts WHERE report_id NOT IN (SELECT report_id FROM reports)"),
            0)
      << "the words of a report whose row was lost stayed";
  EXPECT_EQ(**db->query_int("SELECT count(*) FROM report_texts"),
            kReports - static_cast<int>(acked_lost) - static_cast<int>(words_lost.size()));
  EXPECT_EQ(**db->query_int("SELECT count(*) FROM reports WHERE report_id IS NULL"), 0);
  EXPECT_GE(store.recovery()->table("report_texts")->unreadable, 2u) << "the NULL key's and the unopenable words";
}

// A queued report whose My reports row and words are both lost (its queued copy, kept without the
// words, survives): it is not sent without them, and My reports still shows it, dropped as damaged.
TEST_F(CarStoreRecoveryTest, AQueuedReportThatLostItsRowAndItsWordsShowsAsDroppedNotGone) {
  std::vector<Queued> queued;
  {
    auto store = open();
    ASSERT_NO_FATAL_FAILURE(queue_wordy_reports(store, 60, 'w', 1000, queued));
  }
  const auto& lost = queued[0].env.report().report_id();
  {
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("DELETE FROM reports WHERE report_id = '" + lost + "'"));  // the words follow
    ASSERT_EQ(**db->query_int("SELECT count(*) FROM report_texts WHERE report_id = '" + lost + "'"), 0);
    ASSERT_NO_FATAL_FAILURE(garble_outbox_leaf(*db, /*last=*/true));
  }
  auto store = open();
  ASSERT_TRUE(store.recovery());
  auto view = store.report(lost);
  ASSERT_TRUE(view) << view.error().what();
  ASSERT_TRUE(*view) << "gone from My reports without a word";
  EXPECT_EQ((*view)->status, ReportStatus::dropped);
  EXPECT_EQ((*view)->drop_reason, DropReason::store_damaged);
  EXPECT_EQ((*view)->category, queued[0].env.report().category());
  auto payload = store.payload(lost);
  ASSERT_FALSE(payload) << "sent without its words";
  EXPECT_EQ(payload.error().code, make_error_code(StorageErrc::not_found));
  EXPECT_EQ(store.payload(queued[1].env.report().report_id()).value(), queued[1].payload);
}

// Sealed values a recovery keeps but that no longer open (damaged inside a readable page, or
// sealed under a key the ring lacks) are blanked: one of them would otherwise fail every read of
// My reports, the inbox or a report's timeline, not only its own row.
TEST_F(CarStoreRecoveryTest, ARecoveredValueThatNoLongerOpensIsBlankedAndTheListsStillLoad) {
  std::vector<Queued> queued;
  {
    auto store = open();
    ASSERT_NO_FATAL_FAILURE(queue_wordy_reports(store, 40, 'x', 1000, queued));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store.apply_notification(notification_for(queued[i]), receipts_, 9000 + i));
  }
  const auto& hit = queued[0].env.report().report_id();
  {
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    crypto::KeyBytes key{};
    key.fill(7);
    auto other = crypto::KeyRing::make({{7, key}}, 7);
    ASSERT_TRUE(other);
    const auto damage = [&](const std::string& sql, const std::string& place) {
      auto sealed = other->seal("someone else's words", place);
      ASSERT_TRUE(sealed);
      auto st = db->cached(sql);
      ASSERT_TRUE(st);
      st->bind_blob(1, *sealed).bind(2, hit);
      ASSERT_TRUE(st->run());
      ASSERT_GE(db->changes(), 1) << sql;
    };
    damage("UPDATE reports SET last_text = ?1 WHERE report_id = ?2", "reports.last_text:" + hit);
    damage("UPDATE inbox SET text = ?1 WHERE report_id = ?2", "inbox.text");
    damage("UPDATE timeline SET text = ?1 WHERE report_id = ?2 AND text <> ''", "timeline.text");
    ASSERT_NO_FATAL_FAILURE(garble_outbox_leaf(*db, /*last=*/true));
  }
  auto store = open();
  ASSERT_TRUE(store.recovery());
  auto list = store.reports(100);
  ASSERT_TRUE(list) << list.error().what();
  EXPECT_GE(list->size(), 30u);
  auto inbox = store.inbox(100);
  ASSERT_TRUE(inbox) << inbox.error().what();
  EXPECT_EQ(inbox->size(), 3u);
  auto steps = store.timeline(hit);
  ASSERT_TRUE(steps) << steps.error().what();
  auto view = store.report(hit);
  ASSERT_TRUE(view && *view);
  EXPECT_EQ((*view)->text, queued[0].env.report().text());  // its own words were not touched
  EXPECT_EQ((*view)->last_text, "");
}

// A callback request whose queued copy the damage took never reaches the backend, so nothing
// would end it: recovery cancels it (the timeline says why) and "Call me" can be asked again.
TEST_F(CarStoreRecoveryTest, ACallbackRequestWhoseQueuedCopyIsLostIsCancelledAndCanBeAskedAgain) {
  const auto q = make_report("rattle: " + std::string(300, 'x'));
  const auto confirmed = make_report("hum: " + std::string(300, 'z'));
  const std::string topic = "vehicles/LSVAX60E5K2000001/receipts";
  std::string callback_id;
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 1000));
    ASSERT_TRUE(store.apply_ack(accepted_ack(q, "FB-2026-000007"), 2000));
    std::vector<Queued> others;  // more outbox pages, one to damage
    ASSERT_NO_FATAL_FAILURE(queue_wordy_reports(store, 30, 'y', 2100, others));
    auto asked = store.enqueue_callback_request(q.env.report().report_id(), "", "", topic, 3000);
    ASSERT_TRUE(asked) << asked.error().what();
    callback_id = *asked;
    EXPECT_EQ(store.enqueue_callback_request(q.env.report().report_id(), "", "", topic, 3100).error().code,
              make_error_code(AgentErrc::callback_open));
    // Another report's request the backend confirmed (AnswerStored): in its live queue, no
    // longer in the outbox, and not to be cancelled by the recovery.
    ASSERT_TRUE(store.enqueue_report(confirmed.env, confirmed.payload, ReportClass::normal, 1000));
    ASSERT_TRUE(store.apply_ack(accepted_ack(confirmed, "FB-2026-000009"), 2000));
    auto other = store.enqueue_callback_request(confirmed.env.report().report_id(), "", "", topic, 3000);
    ASSERT_TRUE(other);
    ASSERT_TRUE(store.confirm_answer(*other, 3200));
    EXPECT_EQ((*store.report(confirmed.env.report().report_id()))->callback->state, wire::CALLBACK_QUEUED);
  }
  {
    auto db = sql::Database::open(path_);
    ASSERT_TRUE(db);
    auto st = db->cached("UPDATE outbox SET digest = x'00' WHERE id = ?1");  // its copy no longer matches
    ASSERT_TRUE(st);
    st->bind(1, callback_id);
    ASSERT_TRUE(st->run());
    ASSERT_EQ(db->changes(), 1);
    ASSERT_NO_FATAL_FAILURE(garble_outbox_leaf(*db, /*last=*/false));
  }
  auto store = open();
  ASSERT_TRUE(store.recovery());
  auto view = store.report(q.env.report().report_id());
  ASSERT_TRUE(view && *view);
  ASSERT_TRUE((*view)->callback);
  EXPECT_EQ((*view)->callback->state, wire::CALLBACK_CANCELLED);
  auto steps = store.timeline(q.env.report().report_id());
  ASSERT_TRUE(steps);
  EXPECT_TRUE(std::ranges::any_of(*steps, [&](const TimelineEvent& e) {
    return e.kind == TimelineKind::action_refused && e.detail == "store_damaged" && e.source_id == callback_id;
  }));
  EXPECT_TRUE(store.enqueue_callback_request(q.env.report().report_id(), "", "", topic, 4000));
  EXPECT_EQ((*store.report(confirmed.env.report().report_id()))->callback->state, wire::CALLBACK_QUEUED);
}

// A kill at each step of the recovery (issue 8 review): the next open resumes it from the marker
// and ends with the same store an uninterrupted recovery gives: every readable row exactly once,
// one set-aside file (untouched), no half store and no marker left.
TEST_F(CarStoreRecoveryTest, AKillAtAnyStepIsFinishedByTheNextOpenWithEveryReadableRowOnce) {
  const std::string name = "car-store-damaged-page";
  const auto original = bytes(fixture(name + ".db"));
  for (auto step : {RecoveryStep::marker_written, RecoveryStep::set_aside, RecoveryStep::copied, RecoveryStep::checked,
                    RecoveryStep::replaced}) {
    SCOPED_TRACE("killed after step " + std::to_string(static_cast<int>(step)));
    const auto dir = dir_ / ("step-" + std::to_string(static_cast<int>(step)));
    fs::create_directories(dir);
    path_ = dir + "/car.db";
    fs::copy_file(fixture(name + ".db"), path_);
    auto o = options();
    o.recovery_fault = kill_at(step);
    auto killed = CarStore::open(path_, o);
    ASSERT_FALSE(killed);
    EXPECT_EQ(killed.error().code, make_error_code(StorageErrc::io));
    EXPECT_TRUE(fs::exists(recovery_marker(path_))) << "a kill leaves the marker: the next start resumes";

    auto store = open();
    check_recovered(store, name, 4);
    ASSERT_TRUE(store.set_aside());
    const auto aside = store.set_aside()->filename().string();
    // Nothing left of the recovery: the store, its WAL, the room kept for acks, the evidence.
    EXPECT_EQ(files(), (std::set<std::string>{"car.db", "car.db-wal", "car.db-shm", "car.db.room", aside}));
    EXPECT_EQ(bytes(store.set_aside()->string()), original) << "the evidence is never written";
    // And it is a working store.
    const auto q = make_report("after the resumed recovery");
    EXPECT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 2'000'000'000'000));
  }
}

// A copy of the damaged file that cannot be made (no room for it beside the file, a read error):
// the file is read where it is, immutable, and every readable row comes back all the same; the
// car keeps working and the evidence is still never written (review: before, such a recovery
// put an empty store in place of the queued reports).
TEST_F(CarStoreRecoveryTest, AFileThatCannotBeCopiedIsReadInPlaceUnwrittenAndEveryRowComesBack) {
  const std::string name = "car-store-damaged-page";
  const auto original = bytes(fixture(name + ".db"));
  fs::copy_file(fixture(name + ".db"), path_);
  fs::path obstacle;
  auto o = options();
  o.recovery_fault = [&](RecoveryStep step) -> Result<void> {
    if (step != RecoveryStep::set_aside) return {};
    // A directory where the copy goes (with a file in it, so that it stays): copy_file fails.
    obstacle = (*read_recovery_marker(path_))->string() + ".salvage";
    fs::create_directories(obstacle / "in-the-way");
    return {};
  };
  auto store = CarStore::open(path_, o);
  ASSERT_TRUE(store) << store.error().what();
  fs::remove_all(obstacle);
  check_recovered(*store, name, 4);
  ASSERT_TRUE(store->recovery());
  EXPECT_NE(store->recovery()->not_copied.find("cannot copy"), std::string::npos);
  EXPECT_FALSE(store->recovery()->wal_unread);
  EXPECT_EQ(bytes(store->set_aside()->string()), original) << "the evidence is never written";
  EXPECT_FALSE(fs::exists(recovery_marker(path_)));
}

// A -wal beside the damaged file that cannot be copied: the recovery goes on without it and says
// so (incomplete, wal_unread), rather than "nothing lost"; the -wal is kept with the set-aside file.
TEST_F(CarStoreRecoveryTest, AWalThatCannotBeCopiedIsNamedNotReadAndKept) {
  std::string in_wal;
  {
    auto store = open();
    const auto q = make_report("only in the wal");
    ASSERT_TRUE(store.enqueue_report(q.env, q.payload, ReportClass::normal, 2'000'000'000'000));
    in_wal = q.env.report().report_id();
    // A copy of the files as they are now, the report in the -wal only (not checkpointed).
    ASSERT_GT(fs::file_size(path_ + "-wal"), 0u);
    fs::copy_file(path_, dir_ / "damaged.db");
    fs::copy_file(path_ + "-wal", dir_ / "damaged.db-wal");
  }
  for (const char* f : {"", "-wal", "-shm"}) fs::remove(path_ + f);
  fs::rename(dir_ / "damaged.db", path_);
  fs::rename(dir_ / "damaged.db-wal", path_ + "-wal");
  // A recovery under way (as a start that found the file corrupt leaves it), its copy of the
  // -wal made impossible by a directory in the way.
  auto aside = begin_recovery(path_, 1'780'000'000'000);
  ASSERT_TRUE(aside) << aside.error().what();
  ASSERT_TRUE(fs::exists(aside->string() + "-wal"));
  const fs::path obstacle = aside->string() + ".salvage-wal";
  fs::create_directories(obstacle / "in-the-way");
  auto store = CarStore::open(path_, options());
  ASSERT_TRUE(store) << store.error().what();
  ASSERT_TRUE(store->recovery());
  const auto& recovery = *store->recovery();
  EXPECT_TRUE(recovery.wal_unread);
  EXPECT_TRUE(recovery.incomplete());
  EXPECT_NE(recovery.summary().find("-wal was not read"), std::string::npos) << recovery.summary();
  EXPECT_NE(recovery.not_copied.find("-wal"), std::string::npos) << recovery.not_copied;
  EXPECT_TRUE(fs::exists(aside->string() + "-wal")) << "kept for a later look";
  EXPECT_FALSE(fs::exists(recovery_marker(path_)));
  // What it held is missing: that report is not in the new outbox.
  const auto outbox = store->outbox();
  ASSERT_TRUE(outbox);
  for (const auto& e : *outbox) EXPECT_NE(e.id, in_wal);
}

// A damaged child pointer of an interior page that leads back to an earlier leaf: a seek past
// that leaf's last row (deleted, as acked outbox rows are) comes back with the leaf's first row.
// The copy steps over the rows under the damaged pointer instead of going round forever (review).
TEST(Salvage, AChildPointerThatLeadsBackIsSteppedOverNotFollowedForever) {
  test::TempDir dir;
  const std::string damaged = dir / "looped.db";
  std::int64_t root = 0;
  {
    auto db = sql::Database::open(damaged, sql::OpenOptions{.page_size = 1024});
    ASSERT_TRUE(db) << db.error().what();
    ASSERT_TRUE(db->exec("CREATE TABLE t(x)"));
    for (int i = 1; i <= 60; ++i) {
      ASSERT_TRUE(db->exec("INSERT INTO t VALUES('" + std::string(100, 'v') + std::to_string(i) + "')"));
    }
    ASSERT_TRUE(db->exec("DELETE FROM t WHERE rowid = 9"));
    root = **db->query_int("SELECT rootpage FROM sqlite_schema WHERE name = 't'");
  }
  // The root is an interior page of table t (0x05) whose first two cells point to the first two
  // leaves (rows 1-9 and 10-18 with 1 KiB pages): the second is pointed at the first.
  std::string bytes;
  {
    std::ifstream in(damaged, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::size_t page = static_cast<std::size_t>(root - 1) * 1024;
  ASSERT_EQ(static_cast<unsigned char>(bytes[page]), 0x05);
  const auto cell = [&](int k) {
    const auto at = page + 12 + 2 * static_cast<std::size_t>(k);
    return page + (static_cast<unsigned char>(bytes[at]) << 8 | static_cast<unsigned char>(bytes[at + 1]));
  };
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(cell(0)), 4,
              bytes.begin() + static_cast<std::ptrdiff_t>(cell(1)));
  {
    std::ofstream out(damaged, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  auto into = sql::Database::open(dir / "into.db");
  ASSERT_TRUE(into);
  ASSERT_TRUE(into->exec("CREATE TABLE t(x)"));
  const std::string_view tables[] = {"t"};
  auto recovery = salvage(damaged, *into, tables);
  ASSERT_TRUE(recovery) << recovery.error().what();
  std::vector<std::int64_t> rowids;
  auto st = into->prepare("SELECT rowid FROM t ORDER BY rowid");
  ASSERT_TRUE(st->each_row([&](const sql::Statement& s) { rowids.push_back(s.int64(0)); }));
  std::vector<std::int64_t> expected;
  for (std::int64_t i = 1; i <= 60; ++i) {
    if (i < 9 || i > 18) expected.push_back(i);  // 9 deleted, 10-18 under the damaged pointer
  }
  EXPECT_EQ(rowids, expected);
  EXPECT_EQ(recovery->table("t")->recovered, expected.size());
  EXPECT_EQ(recovery->table("t")->skipped_rowids, 10u);
}

TEST_F(CarStoreRecoveryTest, ARecoveryKilledTwiceIsStillFinishedOnce) {
  const std::string name = "car-store-truncated";
  fs::copy_file(fixture(name + ".db"), path_);
  // Killed on the first run, then on two resumes (a resume starts again at the copy).
  for (auto step : {RecoveryStep::set_aside, RecoveryStep::copied, RecoveryStep::replaced}) {
    auto o = options();
    o.recovery_fault = kill_at(step);
    ASSERT_FALSE(CarStore::open(path_, o));
  }
  auto store = open();
  check_recovered(store, name, 27);
  std::size_t aside = 0;
  for (const auto& f : files()) aside += f.starts_with("car.db.corrupt-") && !f.ends_with("-shm") ? 1 : 0;
  EXPECT_EQ(aside, 1u) << "one set-aside file, however often the recovery was resumed";
  EXPECT_FALSE(fs::exists(recovering_file(path_)));
  // Reopened: a healthy store, nothing recovered again.
  auto again = open();
  EXPECT_FALSE(again.set_aside());
  EXPECT_EQ(again.outbox()->size(), store.outbox()->size());
}

// A damaged store of schema v3 (before classes and time to live): its queued reports come back
// under today's rules, each with the class a new report would get and its class's time to live
// from its creation. The fixture is car-store-v3.db with reports of each class added in v3's
// shape, then its header clobbered, so the recovery reads v3 tables.
TEST_F(CarStoreRecoveryTest, ReportsRecoveredFromAVersion3StoreGetTodaysClassesAndTimeToLive) {
  fs::copy_file(fixture("car-store-v3.db"), path_);
  struct Added {
    std::string id;
    std::int64_t priority;  // v3's hint: > 0 a telematics safety fault
    ReportClass expected;
  };
  std::vector<Added> added;
  {
    auto db = sql::Database::open(path_, sql::OpenOptions{.create = false, .durable = false});
    ASSERT_TRUE(db) << db.error().what();
    ASSERT_EQ(*db->query_int("PRAGMA user_version"), 3);
    auto add = [&](wire::Category category, const std::string& text, std::int64_t priority, ReportClass expected) {
      auto q = make_report(text);
      q.env.mutable_report()->set_category(category);
      q.payload = codec::encode(q.env);
      auto st = db->prepare(
          "INSERT INTO outbox(id, kind, topic, payload, digest, priority, created_ms) VALUES(?,?,?,?,?,?,?)");
      ASSERT_TRUE(st);
      st->bind(1, q.env.report().report_id())
          .bind(2, "report")
          .bind(3, "vehicles/" + std::string(kVinA) + "/reports")
          .bind_blob(4, q.payload)
          .bind_blob(5, codec::sha256(q.payload))
          .bind(6, priority)
          .bind(7, std::int64_t{1'780'000'000'000});
      ASSERT_TRUE(st->run());
      added.push_back({q.env.report().report_id(), priority, expected});
    };
    add(wire::CATEGORY_WARNING_LAMP, "engine lamp on", 0, ReportClass::safety);
    add(wire::CATEGORY_IDEA, "a cup holder for the back seats", 0, ReportClass::low);
    add(wire::CATEGORY_NOISE, "the brakes failed once on the hill", 0, ReportClass::safety);  // a safety word
    add(wire::CATEGORY_NOISE, "misfire", 1, ReportClass::safety);  // the old hint stays safety
    add(wire::CATEGORY_DRIVING_FEEL, "the seat is a bit soft", 0, ReportClass::normal);
    ASSERT_TRUE(db->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.write(std::string(100, '\x5a').data(), 100);
  }
  auto o = options();
  o.ttl_safety = 3 * 24h;  // not the defaults the v4 migration writes: today's options decide
  o.ttl_normal = 2 * 24h;
  o.ttl_low = 24h;
  auto store = open(o);
  ASSERT_TRUE(store.set_aside());
  ASSERT_TRUE(store.recovery());
  EXPECT_TRUE(store.recovery()->header_rebuilt);
  EXPECT_TRUE(store.recovery()->table("outbox")->lacks("expires_ms"));
  const auto outbox = store.outbox();
  ASSERT_TRUE(outbox);
  std::map<std::string, OutboxEntry> by_id;
  for (const auto& e : *outbox) by_id[e.id] = e;
  for (const auto& a : added) {
    SCOPED_TRACE(a.id);
    ASSERT_TRUE(by_id.contains(a.id));
    const auto& e = by_id.at(a.id);
    EXPECT_EQ(e.priority, static_cast<int>(a.expected));
    const auto ttl = a.expected == ReportClass::safety   ? o.ttl_safety
                     : a.expected == ReportClass::normal ? o.ttl_normal
                                                         : o.ttl_low;
    EXPECT_EQ(e.expires_ms, e.created_ms + ttl.count());
  }
  // The fixture's own queued report (a rattle, noise): normal, with normal's time to live.
  std::size_t others = 0;
  for (const auto& e : *outbox) {
    if (e.kind != OutboxKind::report || std::ranges::any_of(added, [&](auto& a) { return a.id == e.id; })) continue;
    ++others;
    EXPECT_EQ(e.priority, static_cast<int>(ReportClass::normal)) << e.id;
    EXPECT_EQ(e.expires_ms, e.created_ms + o.ttl_normal.count()) << e.id;
  }
  EXPECT_GE(others, 1u);
  // Sent in today's order (safety first, low last) and expired by today's rules.
  EXPECT_EQ(outbox->front().priority, static_cast<int>(ReportClass::safety));

  const auto expired = store.expire(1'780'000'000'000 + std::chrono::milliseconds(24h).count());
  ASSERT_TRUE(expired) << expired.error().what();
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ(expired->front().report_id, added[1].id);  // the idea, low
}

}  // namespace
}  // namespace fb::agent
