#include "fb/backend/ingest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "failing_store.hpp"
#include "fake_clock.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/common/sqlite.hpp"
#include "fb/common/topics.hpp"
#include "process.hpp"
#include "store_fixture.hpp"

namespace fb::backend {
namespace {

using test::kVinA;
using test::kVinB;
using test_support::FailingStore;

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::open_case_store(dir_ / "cases.db");
    ASSERT_TRUE(s) << s.error().what();
    real_ = std::move(*s);
    store_ = std::make_unique<FailingStore>(*real_);
    auto& rules = test::shipped_rules();
    ingest_ = std::make_unique<Ingest>(*store_, rules, clock_);
  }

  std::vector<Outgoing> process(std::vector<RawMessage> batch) {
    auto out = ingest_->process(batch);
    EXPECT_TRUE(out) << out.error().what();
    return out ? *out : std::vector<Outgoing>{};
  }
  static RawMessage report_message(const wire::Envelope& env, const std::string& vin = kVinA) {
    return RawMessage{topics::reports(vin), codec::encode(env)};
  }
  static wire::AnswerStored stored_of(const Outgoing& o) {
    wire::Envelope e;
    EXPECT_TRUE(e.ParseFromString(o.payload));
    EXPECT_TRUE(e.has_answer_stored()) << e.ShortDebugString();
    return e.answer_stored();
  }
  static wire::Ack ack_of(const Outgoing& o) {
    auto env = codec::decode(o.payload);
    EXPECT_TRUE(env && env->has_ack());
    return env->ack();
  }

  test::TempDir dir_;
  test::FakeClock clock_;
  std::unique_ptr<CaseStore> real_;
  std::unique_ptr<FailingStore> store_;
  std::unique_ptr<Ingest> ingest_;
};

TEST_F(IngestTest, AValidReportIsStoredAcknowledgedAndAnsweredInItsLanguage) {
  auto env = test::valid_report_envelope(kVinA, "低速时变速箱换挡顿挫");
  auto out = process({report_message(env)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, topics::inbox(kVinA));
  auto ack = ack_of(out[0]);
  EXPECT_EQ(ack.report_id(), env.report().report_id());
  EXPECT_EQ(ack.payload_sha256(), codec::sha256(codec::encode(env)));
  ASSERT_TRUE(ack.has_accepted());
  EXPECT_EQ(ack.accepted().case_number(), "FB-2026-000001");

  EXPECT_FALSE(out[1].notification_id.empty());
  auto note = codec::decode(out[1].payload);
  ASSERT_TRUE(note && note->has_notification());
  EXPECT_EQ(note->message_id(), out[1].notification_id);
  EXPECT_EQ(note->notification().status(), wire::CASE_STATUS_RECEIVED);
  EXPECT_EQ(note->notification().language(), "zh");
  EXPECT_EQ(note->notification().team(), "研发/技术支持");
  EXPECT_NE(note->notification().text().find("FB-2026-000001"), std::string::npos);
  EXPECT_NE(note->notification().text().find("24 小时"), std::string::npos);
  EXPECT_EQ(note->notification().first_reply_due_ms(), clock_.epoch_ms() + 24LL * 3600 * 1000);
}

TEST_F(IngestTest, ARedeliveredReportGetsTheSameAnswerAndNoSecondCase) {
  auto env = test::valid_report_envelope();
  auto first = process({report_message(env)});
  clock_.advance(std::chrono::minutes(5));
  auto again = process({report_message(env)});
  ASSERT_EQ(again.size(), 1u);  // the ack only; the notification has its own resend
  auto a1 = ack_of(first[0]);
  auto a2 = ack_of(again[0]);
  EXPECT_EQ(a2.accepted().case_id(), a1.accepted().case_id());
  EXPECT_EQ(a2.accepted().case_number(), a1.accepted().case_number());
  EXPECT_TRUE(a2.accepted().duplicate());
  EXPECT_EQ(real_->counts()->cases, 1);
  EXPECT_EQ(ingest_->stats().duplicates, 1u);
}

struct BadInput {
  const char* name;
  RawMessage (*make)();
  wire::RejectReason reason;
  const char* detail;
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

RawMessage with_envelope(void (*change)(wire::Envelope&)) {
  auto env = test::valid_report_envelope();
  change(env);
  return RawMessage{topics::reports(kVinA), codec::encode(env)};
}

class IngestBadInput : public IngestTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(IngestBadInput, IsDeadLetteredAndAnsweredWithItsReason) {
  const auto m = GetParam().make();
  auto good = test::valid_report_envelope();
  auto out = process({m, report_message(good)});

  // The bad message: a rejection to the topic's vehicle, matched by digest, with the reason.
  ASSERT_GE(out.size(), 1u);
  EXPECT_EQ(out[0].topic, topics::inbox(kVinA));
  auto ack = ack_of(out[0]);
  ASSERT_TRUE(ack.has_rejected());
  EXPECT_EQ(ack.rejected().reason(), GetParam().reason) << ack.rejected().detail();
  EXPECT_NE(ack.rejected().detail().find(GetParam().detail), std::string::npos) << ack.rejected().detail();
  EXPECT_EQ(ack.payload_sha256(), codec::sha256(m.payload));
  auto dead = real_->list_dead_letters(10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(dead->front().reason, dead_letter_reason(GetParam().reason));
  EXPECT_EQ(dead->front().topic, m.topic);

  // The good message in the same batch is unaffected.
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(ack_of(out[1]).has_accepted());
  EXPECT_EQ(real_->counts()->cases, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, IngestBadInput,
    ::testing::Values(
        BadInput{"malformed_protobuf",
                 [] {
                   return RawMessage{topics::reports(kVinA), "\x08\x01\x12\xff garbage"};
                 },
                 wire::REJECT_MALFORMED, ""},
        BadInput{"json_instead_of_protobuf",
                 [] {
                   return RawMessage{topics::reports(kVinA), R"({"text":"hi"})"};
                 },
                 wire::REJECT_MALFORMED, ""},
        BadInput{"missing_vin",
                 [] { return with_envelope([](wire::Envelope& e) { e.mutable_report()->clear_vin(); }); },
                 wire::REJECT_MISSING_FIELD, "report.vin"},
        BadInput{"missing_language",
                 [] { return with_envelope([](wire::Envelope& e) { e.mutable_report()->clear_language(); }); },
                 wire::REJECT_MISSING_FIELD, "report.language"},
        BadInput{"vin_of_another_car",
                 [] { return with_envelope([](wire::Envelope& e) { e.mutable_report()->set_vin(kVinB); }); },
                 wire::REJECT_VIN_MISMATCH, kVinB},
        BadInput{"oversize",
                 [] {
                   return with_envelope([](wire::Envelope& e) {
                     e.mutable_report()->mutable_consent()->set_diagnostics(true);
                     auto* s = e.mutable_report()->mutable_snapshot()->add_signals();
                     s->set_path("Vehicle.Speed");
                     for (int i = 0; i < 70000; ++i) {
                       s->add_t_ms(i);
                       s->add_values(1.0);
                     }
                   });
                 },
                 wire::REJECT_OVERSIZE, "limit 524288"},
        BadInput{"compact_series_length_mismatch",
                 [] {
                   return with_envelope([](wire::Envelope& e) {
                     e.mutable_report()->mutable_consent()->set_diagnostics(true);
                     auto* s = e.mutable_report()->mutable_snapshot()->add_signals();
                     s->set_path("Vehicle.Speed");
                     s->set_count(3);
                     s->set_resolution(0.1);
                     s->set_period_ms(100);
                     s->add_dv(1);
                     s->add_dv(2);
                   });
                 },
                 wire::REJECT_INVALID_FIELD, "report.snapshot.signals[0].dv: 2 entries for count 3 (Vehicle.Speed)"},
        BadInput{"compact_series_absurd_count",
                 [] {
                   return with_envelope([](wire::Envelope& e) {
                     e.mutable_report()->mutable_consent()->set_diagnostics(true);
                     auto* ok = e.mutable_report()->mutable_snapshot()->add_signals();
                     ok->set_path("Vehicle.Speed");
                     ok->add_t_ms(0);
                     ok->add_values(1);
                     auto* s = e.mutable_report()->mutable_snapshot()->add_signals();
                     s->set_path("Vehicle.OBD.CoolantTemperature");
                     s->set_count(4'000'000'000u);
                     s->set_resolution(0.1);
                     s->add_dv(1);
                   });
                 },
                 wire::REJECT_INVALID_FIELD, "report.snapshot.signals[1].count: 4000000000, limit 100000"},
        BadInput{"compact_series_time_deviations_mismatch",
                 [] {
                   return with_envelope([](wire::Envelope& e) {
                     e.mutable_report()->mutable_consent()->set_diagnostics(true);
                     auto* s = e.mutable_report()->mutable_snapshot()->add_signals();
                     s->set_path("Vehicle.Speed");
                     s->set_count(2);
                     s->set_resolution(0.1);
                     s->add_dv(1);
                     s->add_dv(2);
                     s->add_dt_ms(5);
                     s->add_dt_ms(5);
                   });
                 },
                 wire::REJECT_INVALID_FIELD, "report.snapshot.signals[0].dt_ms: 2 entries, need 0 or count - 1 = 1"},
        BadInput{"invalid_utf8",
                 [] { return with_envelope([](wire::Envelope& e) { e.mutable_report()->set_text("ok \xfe\xfe"); }); },
                 wire::REJECT_INVALID_UTF8, "envelope.report.text"},
        // The detail quotes the DTC cut to 16 bytes: never inside a character, or the car could
        // not read the rejection and would resend forever.
        BadInput{"dtc_with_chinese_text",
                 [] {
                   return with_envelope([](wire::Envelope& e) { e.mutable_report()->add_dtcs("P07异响异响异响"); });
                 },
                 wire::REJECT_INVALID_FIELD, "report.dtcs: 'P07异响异响' is not"},
        BadInput{"ack_on_reports_topic",
                 [] { return with_envelope([](wire::Envelope& e) { e.mutable_ack()->set_report_id("x"); }); },
                 wire::REJECT_WRONG_MESSAGE_TYPE, "Report"}),
    [](const auto& info) { return std::string(info.param.name); });

// Refused, the car would delete its only copy; unanswered, it resends it until the backend is
// updated and reads it.
TEST_F(IngestTest, AReportOfANewerSchemaIsDeadLetteredButNotRefusedSoTheCarKeepsIt) {
  auto newer = with_envelope([](wire::Envelope& e) { e.set_schema_version(7); });
  auto good = test::valid_report_envelope();
  auto out = process({newer, report_message(good)});
  for (const auto& m : out) {
    auto env = codec::decode(m.payload);
    ASSERT_TRUE(env);
    EXPECT_FALSE(env->has_ack() && env->ack().has_rejected()) << env->ShortDebugString();
    EXPECT_FALSE(env->has_ack() && env->ack().payload_sha256() == codec::sha256(newer.payload));
  }
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(ack_of(out[0]).has_accepted());
  EXPECT_EQ(ack_of(out[0]).report_id(), good.report().report_id());
  auto dead = real_->list_dead_letters(10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(dead->front().reason, DeadLetterReason::unsupported_version);
  EXPECT_NE(dead->front().detail.find("schema_version 7"), std::string::npos) << dead->front().detail;
  EXPECT_EQ(real_->counts()->cases, 1);
}

TEST_F(IngestTest, AMessageOnAnUnexpectedTopicIsKeptButCannotBeAnswered) {
  auto out = process({RawMessage{"vehicles/not-a-vin/reports", "x"}});
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(real_->list_dead_letters(10)->front().reason, DeadLetterReason::unroutable_topic);
  EXPECT_EQ(ingest_->stats().unroutable, 1u);
}

TEST_F(IngestTest, AStoreFailureAnswersNothingSoTheCarsSendAgain) {
  auto env = test::valid_report_envelope();
  store_->fail_next = true;
  auto failed = ingest_->process(std::vector<RawMessage>{report_message(env)});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, make_error_code(StorageErrc::full));
  EXPECT_EQ(real_->counts()->cases, 0);
  EXPECT_EQ(ingest_->stats().retry_later, 1u);
  auto out = process({report_message(env)});  // the car's resend
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(ack_of(out[0]).accepted().duplicate());
}

TEST_F(IngestTest, ADeliveryReceiptStopsTheResends) {
  auto out = process({report_message(test::valid_report_envelope())});
  const auto notification_id = out[1].notification_id;
  auto receipt = codec::new_envelope(clock_.epoch_ms());
  receipt.mutable_receipt()->set_notification_id(notification_id);
  receipt.mutable_receipt()->set_kind(wire::RECEIPT_DELIVERED);
  EXPECT_TRUE(process({RawMessage{topics::receipts(kVinA), codec::encode(receipt)}}).empty());
  EXPECT_EQ(ingest_->stats().receipts, 1u);
  EXPECT_EQ(real_->counts()->notifications_undelivered, 0);
}

TEST_F(IngestTest, AnUnreadableReceiptIsDeadLetteredWithoutAnAnswer) {
  auto out = process({RawMessage{topics::receipts(kVinA), "\xff\xfe not a receipt"}});
  EXPECT_TRUE(out.empty());  // receipts are never answered
  auto dead = real_->list_dead_letters(10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(dead->front().reason, DeadLetterReason::bad_receipt);
}

// A receipt that decodes but names no notification or an unknown kind: kept, unanswered, and it
// stops no resend.
TEST_F(IngestTest, AReceiptWithoutAUuidOrWithAnUnknownKindIsDeadLetteredAndStopsNothing) {
  auto out = process({report_message(test::valid_report_envelope())});
  const auto notification_id = out[1].notification_id;
  const auto receipt = [&](const std::string& id, wire::ReceiptKind kind) {
    auto e = codec::new_envelope(clock_.epoch_ms());
    e.mutable_receipt()->set_notification_id(id);
    e.mutable_receipt()->set_kind(kind);
    return RawMessage{topics::receipts(kVinA), codec::encode(e)};
  };
  EXPECT_TRUE(process({receipt("x", wire::RECEIPT_DELIVERED)}).empty());
  EXPECT_TRUE(process({receipt(notification_id, static_cast<wire::ReceiptKind>(42))}).empty());
  EXPECT_TRUE(process({receipt(notification_id, wire::RECEIPT_KIND_UNSPECIFIED)}).empty());
  EXPECT_EQ(real_->counts()->notifications_undelivered, 1);
  auto dead = real_->list_dead_letters(10);
  ASSERT_EQ(dead->size(), 3u);
  for (const auto& d : *dead) EXPECT_EQ(d.reason, DeadLetterReason::bad_receipt) << d.detail;
  EXPECT_EQ(ingest_->stats().receipts, 0u);
}

// Another car's report id: refused to that car (which then stops resending), without its case.
TEST_F(IngestTest, AReportIdOfAnotherCarIsRefusedToTheSenderWithoutTheCase) {
  auto mine = test::valid_report_envelope(kVinA);
  ASSERT_TRUE(ack_of(process({report_message(mine)})[0]).has_accepted());
  auto theirs = mine;
  theirs.mutable_report()->set_vin(kVinB);
  auto out = process({report_message(theirs, kVinB)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, topics::inbox(kVinB));
  auto ack = ack_of(out[0]);
  ASSERT_TRUE(ack.has_rejected()) << ack.ShortDebugString();
  EXPECT_EQ(ack.rejected().reason(), wire::REJECT_REPORT_ID_CONFLICT);
  EXPECT_EQ(ack.ShortDebugString().find("FB-"), std::string::npos) << "B learns nothing of A's case";
  EXPECT_EQ(real_->counts()->cases, 1);
}

TEST_F(IngestTest, ADeadLetterKeepsAtMostTheStoresPayloadCapOfAHugePayload) {
  const std::string huge(codec::kMaxPayloadBytes + 1000, 'z');
  auto out = process({RawMessage{topics::reports(kVinA), huge}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ack_of(out[0]).payload_sha256(), codec::sha256(huge));  // matched on the whole payload
  test::TempDir copy;
  auto db = test::open_store_database(dir_ / "cases.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_int("SELECT length(payload) FROM dead_letters"),
            static_cast<std::int64_t>(DeadLetterPolicy{}.max_payload_bytes));
}

TEST_F(IngestTest, AReceiptFromTheWrongCarIsDeadLettered) {
  auto out = process({report_message(test::valid_report_envelope())});
  auto receipt = codec::new_envelope(clock_.epoch_ms());
  receipt.mutable_receipt()->set_notification_id(out[1].notification_id);
  receipt.mutable_receipt()->set_kind(wire::RECEIPT_READ);
  process({RawMessage{topics::receipts(kVinB), codec::encode(receipt)}});
  EXPECT_EQ(real_->counts()->notifications_undelivered, 1);
  EXPECT_EQ(real_->counts()->dead_letters, 1);
  // What /metrics reads: the same two, without counting every report and case.
  auto outstanding = real_->outstanding_counts();
  ASSERT_TRUE(outstanding) << outstanding.error().what();
  EXPECT_EQ(outstanding->notifications_undelivered, 1);
  EXPECT_EQ(outstanding->dead_letters, 1);
  EXPECT_EQ(outstanding->cases, 0) << "not counted";
  EXPECT_TRUE(real_->check_readable());
}

TEST_F(IngestTest, ASurveyAnswerArrivesOnTheReceiptsTopicAndBadOnesAreDeadLettered) {
  const auto answer = [&](const std::string& id, int score, const std::string& comment) {
    auto env = codec::new_envelope(clock_.epoch_ms());
    env.mutable_survey()->set_notification_id(id);
    env.mutable_survey()->set_score(static_cast<std::uint32_t>(score));
    env.mutable_survey()->set_comment(comment);
    return RawMessage{topics::receipts(kVinA), codec::encode(env)};
  };
  const auto out = process({answer(new_uuid(), 5, "good")});
  ASSERT_EQ(out.size(), 1u) << "answered with AnswerStored only";
  EXPECT_TRUE(stored_of(out[0]).refused()) << "a survey nobody asked: the car stops sending it";
  EXPECT_EQ(ingest_->stats().surveys, 1u);
  auto dead = real_->list_dead_letters(10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_NE(dead->front().detail.find("unknown survey"), std::string::npos) << dead->front().detail;

  process({answer(new_uuid(), 5, std::string(1001, 'x'))});
  process({answer("not-a-uuid", 5, "")});
  process({answer(new_uuid(), 5, std::string("a\0b", 3))});
  dead = real_->list_dead_letters(10);
  ASSERT_EQ(dead->size(), 4u);
  EXPECT_EQ(dead->at(0).reason, DeadLetterReason::bad_receipt);
  EXPECT_NE(dead->at(0).detail.find("survey.comment: UTF-8 without U+0000"), std::string::npos) << dead->at(0).detail;
  EXPECT_EQ(dead->at(1).reason, DeadLetterReason::bad_receipt);
  EXPECT_EQ(dead->at(2).reason, DeadLetterReason::bad_receipt);
  EXPECT_EQ(real_->survey_score()->second, 0);
}

// The rating of the resolved notice and the closed case's survey are one closing's answers: the
// one the driver gave last counts (Envelope.sent_at_ms), not the one that arrived last; a car
// clock that cannot be right (not yet set after a boot) gives way to the arrival.
TEST_F(IngestTest, OfAClosingsAnswersTheOneTheCarSentLastCountsWhateverTheirArrival) {
  const auto ack = ack_of(process({report_message(test::valid_report_envelope())})[0]);
  const auto number = ack.accepted().case_number();
  Notifier notifier{test::shipped_rules().templates, test::shipped_rules().router};
  const NoticeRenderer render = [&](const CaseNotice& n) { return notifier.render(n); };
  const auto move = [&](std::initializer_list<CaseState> states) {
    for (auto to : states) {
      TransitionRequest r{number, to, "li.na", "step", clock_.epoch_ms(), "li.na", {}, {}};
      ASSERT_TRUE(real_->transition(r, render));
    }
  };
  // The nth notification of `event` sent for the case (case_notifications: in the order sent).
  const auto id_of = [&](std::string_view event, std::size_t nth) {
    auto sent = real_->case_notifications(number);
    EXPECT_TRUE(sent) << sent.error().what();
    std::vector<std::string> ids;
    for (const auto& n : *sent)
      if (n.event == event) ids.push_back(n.id);
    return nth < ids.size() ? ids[nth] : std::string{};
  };
  const auto answer = [&](const std::string& id, int score, std::int64_t sent_at) {
    EXPECT_FALSE(id.empty());
    auto env = codec::new_envelope(sent_at);
    env.mutable_survey()->set_notification_id(id);
    env.mutable_survey()->set_score(static_cast<std::uint32_t>(score));
    return RawMessage{topics::receipts(kVinA), codec::encode(env)};
  };
  const auto csat = [&] {
    auto s = real_->survey_score();
    EXPECT_TRUE(s) << s.error().what();
    return s ? *s : std::pair<double, std::int64_t>{};
  };
  move({CaseState::acknowledged, CaseState::assigned, CaseState::in_progress, CaseState::resolved, CaseState::closed});
  clock_.advance(std::chrono::minutes(10));
  const auto t = clock_.epoch_ms();
  process({answer(id_of("survey_request", 0), 5, t - 1000)});
  clock_.advance(std::chrono::hours(1));
  process({answer(id_of("resolved", 0), 1, t - 2000)});  // rated first, delivered later
  EXPECT_EQ(csat(), (std::pair<double, std::int64_t>{5.0, 1}));

  // Reopened and closed again. The car's clock was not set when the survey was answered (2000,
  // after a boot): that answer is taken as given when it arrived, after the rating.
  move({CaseState::reopened, CaseState::in_progress, CaseState::resolved, CaseState::closed});
  clock_.advance(std::chrono::minutes(10));
  const auto t2 = clock_.epoch_ms();
  process({answer(id_of("survey_request", 1), 4, 946'771'200'000)});  // 2000-01-02
  clock_.advance(std::chrono::hours(1));
  process({answer(id_of("resolved", 1), 1, t2 - 1000)});
  EXPECT_EQ(csat(), (std::pair<double, std::int64_t>{4.5, 2}));
}

TEST_F(IngestTest, MalformedVisitRepliesAndCallbackRequestsAreDeadLetteredWithTheField) {
  std::string sent_id;
  const auto send = [&](const std::function<void(wire::Envelope&)>& fill) {
    auto env = codec::new_envelope(clock_.epoch_ms());
    fill(env);
    sent_id = env.message_id();
    return process({RawMessage{topics::receipts(kVinA), codec::encode(env)}});
  };
  const std::pair<std::function<void(wire::Envelope&)>, std::string> cases[] = {
      {[](auto& e) { e.mutable_visit_reply()->set_visit_id("v1"); }, "visit_reply.action"},
      {[](auto& e) {
         e.mutable_visit_reply()->set_visit_id("v1");
         e.mutable_visit_reply()->set_action(wire::VisitReply::PICK_SLOT);
       },
       "visit_reply.slot_id"},
      {[](auto& e) {
         e.mutable_visit_reply()->set_visit_id("v1");
         e.mutable_visit_reply()->set_action(wire::VisitReply::APPROVE_EXTRA);
         e.mutable_visit_reply()->set_approval_id("yes");
       },
       "visit_reply.approval_id"},
      {[](auto& e) {
         e.mutable_visit_reply()->set_visit_id("v1");
         e.mutable_visit_reply()->set_action(static_cast<wire::VisitReply::Action>(42));
       },
       "42 is not an action"},
      {[](auto& e) { e.mutable_callback_request()->set_report_id("r1"); }, "callback_request.report_id"},
      {[](auto& e) {
         e.mutable_callback_request()->set_report_id(new_uuid());
         e.mutable_callback_request()->set_phone("call me maybe");
       },
       "callback_request.phone"},
      {[](auto& e) { e.mutable_ack()->set_report_id("r"); }, "not a Receipt"},
      {[](auto& e) {
         e.mutable_driver_message()->set_report_id("r1");
         e.mutable_driver_message()->set_text("hi");
       },
       "driver_message.report_id"},
      {[](auto& e) { e.mutable_driver_message()->set_report_id(new_uuid()); }, "driver_message.text"},
      {[](auto& e) {
         e.mutable_driver_message()->set_report_id(new_uuid());
         e.mutable_driver_message()->set_text(std::string("a\0b", 3));
       },
       "driver_message.text: UTF-8 without U+0000"},
      {[](auto& e) {
         e.mutable_visit_reply()->set_visit_id("v1");
         e.mutable_visit_reply()->set_action(wire::VisitReply::DECLINE);
         e.mutable_visit_reply()->set_reason(std::string("a\0b", 3));
       },
       "visit_reply.reason"},
      {[](auto& e) {
         e.mutable_reopen_request()->set_report_id(new_uuid());
         e.mutable_reopen_request()->set_reason(std::string(501, 'x'));
       },
       "reopen_request.reason"},
  };
  for (const auto& [fill, expected] : cases) {
    const auto out = send(fill);
    auto dead = real_->list_dead_letters(1);
    ASSERT_TRUE(dead && !dead->empty());
    EXPECT_EQ(dead->front().reason, DeadLetterReason::bad_receipt);
    EXPECT_NE(dead->front().detail.find(expected), std::string::npos) << dead->front().detail;
    if (expected == "not a Receipt") {
      EXPECT_TRUE(out.empty()) << "an Ack is no answer of the car's: nothing to confirm";
      continue;
    }
    // The car is told, so it stops sending an answer no resend can mend.
    ASSERT_EQ(out.size(), 1u) << expected;
    const auto stored = stored_of(out[0]);
    EXPECT_EQ(out[0].topic, topics::inbox(kVinA));
    EXPECT_EQ(stored.answer_id(), sent_id);
    EXPECT_TRUE(stored.refused());
    EXPECT_NE(stored.detail().find(expected), std::string::npos) << stored.detail();
  }
  // A well-formed reply for a visit nobody proposed is the store's to refuse: a dead letter too.
  auto out = send([](auto& e) {
    e.mutable_visit_reply()->set_visit_id(new_uuid());
    e.mutable_visit_reply()->set_action(wire::VisitReply::DECLINE);
  });
  auto dead = real_->list_dead_letters(1);
  EXPECT_NE(dead->front().detail.find("unknown for this car"), std::string::npos) << dead->front().detail;
  EXPECT_EQ(ingest_->stats().car_replies, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(stored_of(out[0]).answer_id(), sent_id);
  EXPECT_TRUE(stored_of(out[0]).refused());
  EXPECT_NE(stored_of(out[0]).detail().find("dead letter #" + std::to_string(dead->front().id)), std::string::npos)
      << stored_of(out[0]).detail();
  // So is a reopen request for a report this car never sent.
  out = send([](auto& e) { e.mutable_reopen_request()->set_report_id(new_uuid()); });
  dead = real_->list_dead_letters(1);
  EXPECT_NE(dead->front().detail.find("reopen request for report"), std::string::npos) << dead->front().detail;
  EXPECT_EQ(ingest_->stats().car_replies, 2u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(stored_of(out[0]).refused());
}

// A car keeps a driver's answer queued until AnswerStored (it sends it again after its ack
// timeout), so the backend confirms an answer only once the store has it, and applies a resend once.
TEST_F(IngestTest, AnAnswerTheStoreCannotTakeIsNotConfirmedAndItsResendIsAppliedOnceAndConfirmedEachTime) {
  auto env = test::valid_report_envelope();
  ASSERT_FALSE(process({report_message(env)}).empty());
  auto answer = codec::new_envelope(clock_.epoch_ms());
  answer.mutable_callback_request()->set_report_id(env.report().report_id());
  const RawMessage message{topics::receipts(kVinA), codec::encode(answer)};
  store_->fail_next = true;  // the answers' transaction fails (a full disk)
  EXPECT_TRUE(process({message}).empty()) << "no AnswerStored: the car sends it again";
  EXPECT_EQ(ingest_->stats().retry_later, 1u);
  EXPECT_TRUE(real_->callbacks(CallbackQuery{})->empty());

  for (int resend = 0; resend < 2; ++resend) {
    auto out = process({message});
    ASSERT_EQ(out.size(), 1u) << resend;
    const auto stored = stored_of(out[0]);
    EXPECT_EQ(out[0].topic, topics::inbox(kVinA));
    EXPECT_EQ(stored.answer_id(), answer.message_id());
    EXPECT_FALSE(stored.refused());
    ASSERT_EQ(real_->callbacks(CallbackQuery{})->size(), 1u) << "applied once";
  }
  EXPECT_EQ(real_->counts()->cases, 1);
}

// A batch whose store transaction fails is answered with nothing, its drivers' answers included:
// every car sends again what it sent, reports and answers alike.
TEST_F(IngestTest, ABatchThatFailsToStoreAppliesNoAnswerAndTheResentBatchAppliesAndConfirmsEach) {
  auto env = test::valid_report_envelope();
  ASSERT_FALSE(process({report_message(env)}).empty());
  const auto number = real_->find_case_by_report(env.report().report_id())->value().case_number;

  auto callback = codec::new_envelope(clock_.epoch_ms());
  callback.mutable_callback_request()->set_report_id(env.report().report_id());
  auto reopen = codec::new_envelope(clock_.epoch_ms());  // a new case is not reopenable: refused, with a notice
  reopen.mutable_reopen_request()->set_report_id(env.report().report_id());
  auto fresh = test::valid_report_envelope(kVinA, "空调不制冷");
  const std::vector<RawMessage> batch{report_message(fresh),
                                      {topics::receipts(kVinA), codec::encode(callback)},
                                      {topics::receipts(kVinA), codec::encode(reopen)}};
  store_->fail_batches = 1;
  auto failed = ingest_->process(batch);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, make_error_code(StorageErrc::full));
  EXPECT_EQ(real_->counts()->cases, 1) << "the new report waits for its car's resend";
  EXPECT_TRUE(real_->callbacks(CallbackQuery{})->empty());
  EXPECT_EQ(ingest_->stats().retry_later, 3u);

  auto out = process(batch);  // the cars' resends
  EXPECT_EQ(real_->counts()->cases, 2);
  EXPECT_EQ(real_->callbacks(CallbackQuery{})->size(), 1u);
  const auto events = real_->case_events(number).value();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const CaseEvent& e) { return e.kind == "reopen_refused"; }));
  std::vector<std::string> confirmed;
  for (const auto& o : out) {
    wire::Envelope e;
    ASSERT_TRUE(e.ParseFromString(o.payload));
    if (!e.has_answer_stored()) continue;
    EXPECT_FALSE(e.answer_stored().refused()) << "a refused reopen is applied: the car hears why in a notice";
    confirmed.push_back(e.answer_stored().answer_id());
  }
  EXPECT_EQ(confirmed, (std::vector<std::string>{callback.message_id(), reopen.message_id()}));
}

// Whatever the failure (here one a plain retry meets again, as a notice that does not render
// until the rules are reloaded), an answer not stored is not confirmed: the car's copy is kept.
TEST_F(IngestTest, AnAnswerWhoseItemFailsIsNotConfirmedWhateverTheErrorAndItsResendIsApplied) {
  auto env = test::valid_report_envelope();
  ASSERT_FALSE(process({report_message(env)}).empty());
  const auto number = real_->find_case_by_report(env.report().report_id())->value().case_number;
  auto message = codec::new_envelope(clock_.epoch_ms());
  message.mutable_driver_message()->set_report_id(env.report().report_id());
  message.mutable_driver_message()->set_text("still noisy");
  const RawMessage raw{topics::receipts(kVinA), codec::encode(message)};
  store_->fail_answer_item = true;
  EXPECT_TRUE(process({raw}).empty()) << "confirmed, so the car would drop what nobody kept";
  EXPECT_EQ(ingest_->stats().retry_later, 1u);
  auto out = process({raw});
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(stored_of(out.back()).answer_id(), message.message_id());
  EXPECT_FALSE(stored_of(out.back()).refused());
  const auto events = real_->case_events(number).value();
  EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const CaseEvent& e) { return e.kind == "driver_message"; }),
            1);
}

// A refused answer is not remembered as applied: if the first AnswerStored was lost, the resend
// is refused again, not confirmed as applied.
TEST_F(IngestTest, ARefusedAnswersResendIsRefusedAgain) {
  auto reopen = codec::new_envelope(clock_.epoch_ms());
  reopen.mutable_reopen_request()->set_report_id(new_uuid());  // no such report for this car
  const RawMessage raw{topics::receipts(kVinA), codec::encode(reopen)};
  for (int copy = 0; copy < 2; ++copy) {
    auto out = process({raw});
    ASSERT_EQ(out.size(), 1u) << copy;
    EXPECT_EQ(stored_of(out[0]).answer_id(), reopen.message_id());
    EXPECT_TRUE(stored_of(out[0]).refused()) << copy;
  }
}

// An answer this backend cannot read at all (here a text field that is not UTF-8) is refused by
// the message id it carries, once its dead letter is stored: its car does not send it forever.
// One of a newer schema version is not: an updated backend will read the car's next copy.
TEST_F(IngestTest, AnAnswerThatDoesNotDecodeIsRefusedByTheMessageIdOnTheWireUnlessItIsFromANewerSchema) {
  auto broken = codec::new_envelope(clock_.epoch_ms());
  broken.mutable_driver_message()->set_report_id(new_uuid());
  broken.mutable_driver_message()->set_text("caf\xe9");  // Latin-1, not UTF-8: the parser refuses it
  auto out = process({RawMessage{topics::receipts(kVinA), broken.SerializePartialAsString()}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(stored_of(out[0]).answer_id(), broken.message_id());
  EXPECT_TRUE(stored_of(out[0]).refused());
  EXPECT_NE(stored_of(out[0]).detail().find("driver_message.text"), std::string::npos) << stored_of(out[0]).detail();
  EXPECT_EQ(real_->list_dead_letters(1)->front().reason, DeadLetterReason::bad_receipt);

  auto future = codec::new_envelope(clock_.epoch_ms());
  future.set_schema_version(2);
  future.mutable_driver_message()->set_report_id(new_uuid());
  future.mutable_driver_message()->set_text("from a newer car");
  EXPECT_TRUE(process({RawMessage{topics::receipts(kVinA), future.SerializeAsString()}}).empty())
      << "refused: the car would drop words an updated backend can read";
  EXPECT_EQ(real_->counts()->dead_letters, 2);
  EXPECT_TRUE(process({RawMessage{topics::receipts(kVinA), "\xff\xfe not protobuf"}}).empty()) << "no id: no answer";
}

// ---- The ack that carries the first notification (issue 7) -------------------------------------

wire::Envelope new_car_report(const std::string& text = "低速时变速箱换挡顿挫") {
  auto env = test::valid_report_envelope(kVinA, text);
  env.mutable_report()->set_ack_carries_notification(true);
  return env;
}

TEST_F(IngestTest, ACarThatReadsTheAckGetsOneMessageWithTheFirstNotification) {
  auto env = new_car_report();
  auto out = process({report_message(env)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].notification_id.empty());  // nothing to reschedule: it is never re-sent alone
  auto ack = ack_of(out[0]);
  ASSERT_TRUE(ack.has_accepted());
  EXPECT_EQ(ack.accepted().case_number(), "FB-2026-000001");
  ASSERT_TRUE(ack.accepted().has_notification());
  const auto& carried = ack.accepted().notification();
  EXPECT_FALSE(carried.message_id().empty());
  EXPECT_EQ(carried.sent_at_ms(), clock_.epoch_ms());
  const auto& n = carried.notification();
  EXPECT_EQ(n.report_id(), env.report().report_id());
  EXPECT_EQ(n.case_number(), "FB-2026-000001");
  EXPECT_EQ(n.status(), wire::CASE_STATUS_RECEIVED);
  EXPECT_EQ(n.language(), "zh");
  EXPECT_EQ(n.team(), "研发/技术支持");
  EXPECT_NE(n.text().find("24 小时"), std::string::npos);
  EXPECT_EQ(n.first_reply_due_ms(), clock_.epoch_ms() + 24LL * 3600 * 1000);
  auto counts = real_->counts();
  EXPECT_EQ(counts->notifications_carried, 1);
  EXPECT_EQ(counts->notifications_undelivered, 0);
  EXPECT_EQ(ingest_->stats().notifications_in_ack, 1u);
}

TEST_F(IngestTest, ADuplicateAckCarriesTheSameNotificationReadFromTheStore) {
  auto env = new_car_report();
  auto first = process({report_message(env)});
  clock_.advance(std::chrono::minutes(5));
  // A new Ingest, as after a backend restart: nothing but the store remembers the first answer.
  auto& rules = test::shipped_rules();
  Ingest restarted(*store_, rules, clock_);
  auto again = restarted.process(std::vector<RawMessage>{report_message(env)});
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 1u);
  auto a1 = ack_of(first[0]);
  auto a2 = ack_of((*again)[0]);
  EXPECT_TRUE(a2.accepted().duplicate());
  EXPECT_EQ(a2.accepted().case_number(), a1.accepted().case_number());
  ASSERT_TRUE(a2.accepted().has_notification());
  EXPECT_EQ(a2.accepted().notification().SerializeAsString(), a1.accepted().notification().SerializeAsString());
  EXPECT_EQ(real_->counts()->cases, 1);
}

TEST_F(IngestTest, TheCarriedNotificationIsNeverResentButASeparateOneIs) {
  auto new_car = new_car_report("刹车异响");
  auto old_car = test::valid_report_envelope(kVinB, "brake noise");  // a car that ignores field 4
  auto out = process({report_message(new_car), report_message(old_car, kVinB)});
  ASSERT_EQ(out.size(), 3u);  // new car: the ack; old car: ack + notification
  EXPECT_TRUE(ack_of(out[0]).accepted().has_notification());
  EXPECT_FALSE(ack_of(out[1]).accepted().has_notification());
  ASSERT_FALSE(out[2].notification_id.empty());

  const auto day = clock_.epoch_ms() + 24LL * 3600 * 1000;
  auto due = real_->due_notifications(day, 100);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().id, out[2].notification_id);
  ASSERT_TRUE(real_->reschedule(std::vector<std::string>{out[2].notification_id}, clock_.epoch_ms(), 1000, 60000));
  due = real_->due_notifications(day, 100);
  ASSERT_EQ(due->size(), 1u);  // sent, not yet receipted: still re-sent
  EXPECT_EQ(due->front().id, out[2].notification_id);
}

TEST_F(IngestTest, AReadReceiptForTheCarriedNotificationIsRecorded) {
  auto out = process({report_message(new_car_report())});
  auto receipt = codec::new_envelope(clock_.epoch_ms());
  receipt.mutable_receipt()->set_notification_id(ack_of(out[0]).accepted().notification().message_id());
  receipt.mutable_receipt()->set_kind(wire::RECEIPT_READ);
  process({RawMessage{topics::receipts(kVinA), codec::encode(receipt)}});
  EXPECT_EQ(real_->counts()->dead_letters, 0);  // it named a notification sent to this car
  auto db = test::open_store_database(dir_ / "cases.db");
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->query_int("SELECT count(*) FROM notifications WHERE state = 'read' AND carried_by_ack = 1"), 1);
}

TEST_F(IngestTest, AMergedReportsAckCarriesTheMergeNoticeAndItsDuplicateTheSameOne) {
  auto first = new_car_report("低速时变速箱换挡顿挫，二挡升三挡冲击");
  auto second = new_car_report("低速时变速箱换挡顿挫，二挡升三挡有冲击");
  auto a1 = ack_of(process({report_message(first)})[0]);
  clock_.advance(std::chrono::hours(24));
  auto a2 = ack_of(process({report_message(second)})[0]);
  EXPECT_EQ(a2.accepted().case_number(), a1.accepted().case_number());  // joined the open case
  ASSERT_TRUE(a2.accepted().has_notification());
  const auto& merged = a2.accepted().notification();
  EXPECT_NE(merged.message_id(), a1.accepted().notification().message_id());
  EXPECT_NE(merged.notification().title().find("已并入"), std::string::npos) << merged.notification().title();
  EXPECT_EQ(merged.notification().report_id(), second.report().report_id());
  // The car sends the second report again: its own answer, not the first report's.
  auto again = ack_of(process({report_message(second)})[0]);
  EXPECT_TRUE(again.accepted().duplicate());
  EXPECT_EQ(again.accepted().notification().SerializeAsString(), merged.SerializeAsString());
}

// A more urgent report joining an open case raises the case to its priority, SLA and teams:
// a stall on top of an engine noise must not wait on the noise's 24 h clock.
TEST_F(IngestTest, AMoreUrgentReportThatJoinsAnOpenCaseRaisesItsPrioritySlaAndTeams) {
  auto noise = new_car_report("发动机异响");
  auto a1 = ack_of(process({report_message(noise)})[0]);
  const auto number = a1.accepted().case_number();
  const auto before = real_->find_case(number).value().value();
  ASSERT_NE(before.priority, Priority::high);

  // The same words on another car: a case of their own, to compare with.
  auto stall_text = std::string("发动机异响，然后突然熄火");
  auto alone = new_car_report(stall_text);
  alone.mutable_report()->set_vin(kVinB);
  const auto alone_number = ack_of(process({report_message(alone, kVinB)})[0]).accepted().case_number();
  const auto fresh = real_->find_case(alone_number).value().value();
  ASSERT_EQ(fresh.priority, Priority::high);

  clock_.advance(std::chrono::hours(2));
  auto stall = new_car_report(stall_text);
  auto a2 = ack_of(process({report_message(stall)})[0]);
  ASSERT_EQ(a2.accepted().case_number(), number);  // joined the open case
  const auto after = real_->find_case(number).value().value();
  EXPECT_EQ(after.priority, Priority::high);
  EXPECT_EQ(after.team, before.team);
  for (const auto& team : fresh.collaborators) {
    if (team == after.team) continue;
    EXPECT_NE(std::find(after.collaborators.begin(), after.collaborators.end(), team), after.collaborators.end())
        << team;
  }
  const auto merged_at = clock_.epoch_ms();
  EXPECT_LE(after.first_reply_due_ms, merged_at + (fresh.first_reply_due_ms - fresh.created_ms));
  EXPECT_LT(after.first_reply_due_ms, before.first_reply_due_ms);
  EXPECT_LE(after.resolution_due_ms, before.resolution_due_ms);
  const auto events = real_->case_events(number).value();
  EXPECT_TRUE(
      std::any_of(events.begin(), events.end(), [](const CaseEvent& e) { return e.kind == "priority_raised"; }));

  // A less urgent one joining it lowers nothing.
  clock_.advance(std::chrono::hours(1));
  process({report_message(new_car_report("发动机异响，有点吵"))});
  const auto later = real_->find_case(number).value().value();
  EXPECT_EQ(later.priority, Priority::high);
  EXPECT_EQ(later.first_reply_due_ms, after.first_reply_due_ms);
}

TEST_F(IngestTest, AKnownProblemSendsItsAnswerAtOnceAndIsRecordedOnTheCase) {
  auto env = new_car_report("中控屏幕死机，导航和音乐都没了");
  env.mutable_report()->set_software_version("2.3.5");  // the known freeze, fixed in 2.4.1
  auto out = process({report_message(env)});
  ASSERT_EQ(out.size(), 2u);                     // the ack (carrying "received") and the answer on its own
  EXPECT_FALSE(out[1].notification_id.empty());  // resent until the car's receipt
  auto answer = codec::decode(out[1].payload);
  ASSERT_TRUE(answer) << answer.error().what();
  EXPECT_NE(answer->notification().text().find("2.4.1"), std::string::npos) << answer->notification().text();
  EXPECT_NE(answer->notification().text().find("音量旋钮"), std::string::npos);  // the workaround, in Chinese
  const auto number = ack_of(out[0]).accepted().case_number();
  const auto events = real_->case_events(number).value();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const CaseEvent& e) {
    return e.kind == "knowledge_match" && e.detail.find("infotainment-freeze-2.4") != std::string::npos;
  }));

  // Fixed in the car's software: no such answer.
  auto fixed = new_car_report("中控屏幕死机");
  fixed.mutable_report()->set_vin(kVinB);
  fixed.mutable_report()->set_software_version("2.4.1");
  EXPECT_EQ(process({report_message(fixed, kVinB)}).size(), 1u);
}

// A report the classifier finds safety-relevant gets no automatic "known issue" answer, even
// when an article matches and its `unless` words miss the danger: a person answers it.
TEST_F(IngestTest, ASafetyReportGetsNoKnownProblemAnswerEvenWhenAnArticleMatches) {
  for (const auto& [text, language] : std::vector<std::pair<std::string, std::string>>{
           {"My brakes squeal in the morning for the first few stops, and today the car would not stop", "en"},
           {"早上刹车吱吱响，今天刹车完全没反应", "zh"}}) {
    auto env = new_car_report(text);
    env.mutable_report()->set_language(language);
    env.mutable_report()->set_vin(kVinB);
    env.mutable_report()->set_category(wire::CATEGORY_NOISE);
    auto out = process({report_message(env, kVinB)});
    ASSERT_EQ(out.size(), 1u) << text;  // the ack alone
    const auto number = ack_of(out[0]).accepted().case_number();
    const auto c = real_->find_case(number).value();
    ASSERT_TRUE(c) << text;
    EXPECT_EQ(c->priority, Priority::high) << text;
    const auto events = real_->case_events(number).value();
    EXPECT_TRUE(std::none_of(events.begin(), events.end(), [](const CaseEvent& e) {
      return e.kind == "knowledge_match";
    })) << text;
  }
  // The same squeal without the danger still gets its answer.
  auto harmless = new_car_report("My brakes squeal in the morning for the first few stops");
  harmless.mutable_report()->set_language("en");
  harmless.mutable_report()->set_category(wire::CATEGORY_NOISE);
  EXPECT_EQ(process({report_message(harmless)}).size(), 2u);
}

// ---- Related reports (docs/telematics.md) ----

wire::Envelope auto_report(const std::string& rule, const std::string& dtc, const std::string& text) {
  auto env = test::valid_report_envelope(kVinA, text);
  auto* r = env.mutable_report();
  r->set_source(wire::SOURCE_TELEMATICS);
  r->set_category(wire::CATEGORY_WARNING_LAMP);
  r->set_language("en");
  r->add_dtcs(dtc);
  r->set_rule_id(rule);
  r->set_suggested_severity("high");
  return env;
}

std::vector<std::string> related_events(CaseStore& store, const std::string& number) {
  std::vector<std::string> out;
  const auto events = store.case_events(number).value();
  for (const auto& e : events) {
    if (e.kind == "related") out.push_back(e.detail);
  }
  return out;
}

TEST_F(IngestTest, ADriverReportNamingAnAutoReportLinksBothCasesWhicheverArrivesFirst) {
  for (const bool auto_first : {true, false}) {
    SCOPED_TRACE(auto_first ? "auto-report first" : "driver report first");
    // A store of its own for each order.
    ingest_.reset();
    store_.reset();
    real_ = test::open_case_store(dir_ / (auto_first ? "auto-first.db" : "driver-first.db")).value();
    store_ = std::make_unique<FailingStore>(*real_);
    ingest_ = std::make_unique<Ingest>(*store_, test::shipped_rules(), clock_);
    auto a = auto_report("misfire", "P0300", "Engine misfire detected (DTC); the check-engine lamp is on.");
    auto d = test::valid_report_envelope(kVinA, "Brake squeal from the front left wheel at low speed.");
    d.mutable_report()->set_category(wire::CATEGORY_NOISE);
    d.mutable_report()->set_language("en");
    d.mutable_report()->add_related_report_ids(a.report().report_id());
    const auto first = process({report_message(auto_first ? a : d)});
    const auto second = process({report_message(auto_first ? d : a)});
    const auto n1 = ack_of(first[0]).accepted().case_number();
    const auto n2 = ack_of(second[0]).accepted().case_number();
    ASSERT_NE(n1, n2) << "the test needs two cases";
    const auto& auto_number = auto_first ? n1 : n2;
    const auto& driver_number = auto_first ? n2 : n1;
    EXPECT_EQ(related_events(*real_, auto_number),
              std::vector<std::string>{"related to " + driver_number + " (report " + d.report().report_id() + ")"});
    EXPECT_EQ(related_events(*real_, driver_number),
              std::vector<std::string>{"related to " + auto_number + " (report " + a.report().report_id() + ")"});
    // Sent again: no second link.
    process({report_message(d), report_message(a)});
    EXPECT_EQ(related_events(*real_, auto_number).size(), 1u);
    EXPECT_EQ(related_events(*real_, driver_number).size(), 1u);
    // The file passes the integrity check a reopening runs.
    ingest_.reset();
    store_.reset();
    real_.reset();
    auto reopened = test::open_case_store(dir_ / (auto_first ? "auto-first.db" : "driver-first.db"));
    ASSERT_TRUE(reopened) << reopened.error().what();
    real_ = std::move(*reopened);
  }
}

TEST_F(IngestTest, AReportOfAnotherCarIsNeverLinked) {
  auto other = auto_report("misfire", "P0300", "Engine misfire detected.");
  other.mutable_report()->set_vin(kVinB);
  const auto other_number = ack_of(process({report_message(other, kVinB)})[0]).accepted().case_number();
  auto d = test::valid_report_envelope(kVinA, "Brake squeal at low speed.");
  d.mutable_report()->set_category(wire::CATEGORY_NOISE);
  d.mutable_report()->add_related_report_ids(other.report().report_id());
  const auto number = ack_of(process({report_message(d)})[0]).accepted().case_number();
  EXPECT_TRUE(related_events(*real_, number).empty());
  EXPECT_TRUE(related_events(*real_, other_number).empty());
  // The other way round: a report of car B names an id before car A's report of that id arrives.
  auto later = auto_report("misfire", "P0300", "Engine misfire detected.");
  auto naming = test::valid_report_envelope(kVinB, "Brake squeal at low speed.");
  naming.mutable_report()->set_category(wire::CATEGORY_NOISE);
  naming.mutable_report()->add_related_report_ids(later.report().report_id());
  const auto naming_number = ack_of(process({report_message(naming, kVinB)})[0]).accepted().case_number();
  const auto later_number = ack_of(process({report_message(later)})[0]).accepted().case_number();
  EXPECT_TRUE(related_events(*real_, naming_number).empty());
  EXPECT_TRUE(related_events(*real_, later_number).empty());
}

TEST_F(IngestTest, RelatedIdsThatAreNotUuidsAreRejectedWithTheField) {
  auto d = test::valid_report_envelope();
  d.mutable_report()->add_related_report_ids("FB-2026-000001");
  const auto out = process({report_message(d)});
  ASSERT_EQ(out.size(), 1u);
  const auto ack = ack_of(out[0]);
  ASSERT_TRUE(ack.has_rejected());
  EXPECT_EQ(ack.rejected().reason(), wire::REJECT_INVALID_FIELD);
  EXPECT_NE(ack.rejected().detail().find("report.related_report_ids"), std::string::npos) << ack.rejected().detail();
}

}  // namespace
}  // namespace fb::backend

namespace fb::backend {
namespace {

// ---- The driver's callback number (issue 10) ---------------------------------------------------

TEST_F(IngestTest, TheDriversCallbackNumberIsTheReportsContactAndCalledWhenTheRequestHasNone) {
  auto env = test::valid_report_envelope();
  env.mutable_report()->mutable_consent()->set_contact(true);
  env.mutable_report()->set_callback_phone("+86 138 0000 0000");
  auto out = process({report_message(env)});
  ASSERT_FALSE(out.empty());
  ASSERT_TRUE(ack_of(out[0]).has_accepted());
  auto found = real_->find_case_by_report(env.report().report_id());
  ASSERT_TRUE(found && *found);
  auto detail = real_->case_detail((*found)->case_number);
  ASSERT_TRUE(detail && *detail);
  ASSERT_TRUE((*detail)->contact);
  EXPECT_EQ((*detail)->contact->phone, "+86 138 0000 0000");

  auto answer = codec::new_envelope(clock_.epoch_ms());
  answer.mutable_callback_request()->set_report_id(env.report().report_id());  // no number of its own
  process({RawMessage{topics::receipts(kVinA), codec::encode(answer)}});
  CallbackQuery all;
  auto callbacks = real_->callbacks(all);
  ASSERT_TRUE(callbacks);
  ASSERT_EQ(callbacks->size(), 1u);
  EXPECT_EQ(callbacks->front().phone, "+86 138 0000 0000");
}

TEST_F(IngestTest, ACallbackNumberWithoutContactConsentIsRefusedAndNoneIsKept) {
  auto env = test::valid_report_envelope();
  env.mutable_report()->set_callback_phone("13800000000");  // a car that did not drop it
  auto out = process({report_message(env)});
  ASSERT_FALSE(out.empty());
  const auto ack = ack_of(out[0]);
  ASSERT_TRUE(ack.has_rejected());
  EXPECT_NE(ack.rejected().detail().find("callback_phone"), std::string::npos) << ack.rejected().detail();
  EXPECT_EQ(real_->counts()->cases, 0);

  auto plain = test::valid_report_envelope();  // consent without a number: nothing to keep
  plain.mutable_report()->mutable_consent()->set_contact(true);
  out = process({report_message(plain)});
  ASSERT_TRUE(ack_of(out[0]).has_accepted());
  auto found = real_->find_case_by_report(plain.report().report_id());
  EXPECT_FALSE(real_->case_detail((*found)->case_number)->value().contact);
}

}  // namespace
}  // namespace fb::backend
