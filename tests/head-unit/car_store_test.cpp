#include "fb/agent/car_store.hpp"

#include <gtest/gtest.h>

#include <google/protobuf/unknown_field_set.h>
#include <filesystem>
#include <fstream>

#include "../common/report_fixture.hpp"
#include "fb/common/codec.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace fb::agent {
namespace {

namespace fs = std::filesystem;
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

class CarStoreTest : public ::testing::Test {
 protected:
  CarStore open(CarStore::Options o = {}) {
    auto s = CarStore::open(path_, o);
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
    ASSERT_TRUE(store.enqueue_report(low.env, low.payload, 0, 1000));
    ASSERT_TRUE(store.enqueue_report(high.env, high.payload, 5, 2000));
    ASSERT_TRUE(store.enqueue_report(low2.env, low2.payload, 0, 3000));
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

TEST_F(CarStoreTest, AckRemovesTheReportFromTheOutboxAndKeepsItsHistory) {
  const auto q = make_report();
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
  wire::Ack ack;  // as a newer backend might send with a result type added later
  ack.set_report_id(q.env.report().report_id());
  ack.set_payload_sha256(codec::sha256(q.payload));
  auto r = store.apply_ack(ack, 2000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->matched);
  EXPECT_EQ(store.outbox()->size(), 1u);  // still queued, still sent again
}

TEST_F(CarStoreTest, TheNewestNotificationWinsWhateverTheOrderOfArrival) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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

TEST_F(CarStoreTest, AnAckForSomethingElseChangesNothing) {
  const auto q = make_report();
  const auto other = make_report("other");
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
  auto r = store.apply_ack(accepted_ack(other, "FB-2026-000001"), 2000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->matched);
  EXPECT_EQ(store.outbox()->size(), 1u);
  EXPECT_EQ((*store.report(q.env.report().report_id()))->status, ReportStatus::queued);
}

TEST_F(CarStoreTest, NotificationIsStoredOnceAndEveryCopyIsReceipted) {
  const auto q = make_report();
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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
    return e.id == *id && e.kind == OutboxKind::receipt && e.topic == receipts_;
  }));

  EXPECT_EQ(store.enqueue_survey_answer(progress.message_id(), 4, "", receipts_, 5000).error().code,
            make_error_code(StorageErrc::not_found));  // not a survey request
  EXPECT_EQ(store.enqueue_survey_answer(closed.message_id(), 0, "", receipts_, 5000).error().code,
            make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(store.enqueue_survey_answer(closed.message_id(), 5, std::string(1001, 'x'), receipts_, 5000).error().code,
            make_error_code(WireErrc::invalid_field));
}

TEST_F(CarStoreTest, FullStorageRefusesTheNewReportAndKeepsTheOthers) {
  auto store = open(CarStore::Options{.max_pages = 24});
  std::vector<std::string> saved;
  Result<void> r;
  for (int i = 0; i < 200; ++i) {
    auto q = make_report(std::string(1500, 'x') + std::to_string(i));
    r = store.enqueue_report(q.env, q.payload, 0, 1000 + i);
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
  // Confirmed reports free their pages for new ones.
  ASSERT_TRUE(store.remove(saved[0]));
  ASSERT_TRUE(store.remove(saved[1]));
  auto q = make_report("after cleanup");
  EXPECT_TRUE(store.enqueue_report(q.env, q.payload, 0, 5000));
}

TEST_F(CarStoreTest, ACorruptFileIsSetAsideAndANewQueueStarts) {
  std::ofstream(path_, std::ios::binary) << std::string(10000, '\x5a');
  auto store = open();
  ASSERT_TRUE(store.set_aside());
  EXPECT_TRUE(fs::exists(*store.set_aside()));
  EXPECT_TRUE(store.outbox()->empty());
  const auto q = make_report();
  EXPECT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
}

TEST_F(CarStoreTest, ReadsAVersion1FileFromTheFixtures) {
  fs::copy_file(std::string(test::kFixturesDir) + "/car-store-v1.db", path_);
  {
    auto store = open();  // migrates v1 -> v2 in place
  }
  EXPECT_EQ(*sql::Database::open(path_)->query_int("PRAGMA user_version"), 2);
  auto store = open();
  EXPECT_FALSE(store.set_aside());
  auto reports = store.reports();
  ASSERT_TRUE(reports);
  ASSERT_FALSE(reports->empty());
  EXPECT_TRUE(
      std::any_of(reports->begin(), reports->end(), [](auto& r) { return r.status == ReportStatus::received; }));
  EXPECT_TRUE(std::any_of(reports->begin(), reports->end(), [](auto& r) { return r.status == ReportStatus::queued; }));
  EXPECT_FALSE(store.inbox()->empty());
}

TEST_F(CarStoreTest, RefusesAFileFromANewerBuild) {
  fs::copy_file(std::string(test::kFixturesDir) + "/car-store-future.db", path_);
  auto s = CarStore::open(path_, {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(StorageErrc::schema_too_new));
}

// ---- The ack that carries the first notification (issue 7) -------------------------------------

wire::Ack ack_carrying(const Queued& q, const wire::Envelope& notification) {
  auto ack = accepted_ack(q, "FB-2026-000042");
  *ack.mutable_accepted()->mutable_notification() = codec::carry(notification);
  return ack;
}

TEST_F(CarStoreTest, AnAckCarryingTheNotificationAppliesBothAndQueuesNoReceipt) {
  const auto q = make_report();
  const auto note = notification_for(q);
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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
  EXPECT_EQ((*view)->last_notification_ms, note.sent_at_ms());
}

// apply_ack is the only way to apply either half and it is one transaction: a failure at the
// notification (forced here by a trigger) leaves the ack unapplied too, so no interruption can
// leave an acknowledged report without its inbox entry, or the reverse.
TEST_F(CarStoreTest, AckAndCarriedNotificationAreOneTransaction) {
  const auto q = make_report();
  const auto note = notification_for(q);
  auto store = open();
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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
  ASSERT_TRUE(store.enqueue_report(q.env, q.payload, 0, 1000));
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

}  // namespace
}  // namespace fb::agent
