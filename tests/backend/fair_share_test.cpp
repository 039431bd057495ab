// Fair share under load (issue 11): admission before ingest (per-VIN token bucket, QoS 0 and
// retained refused) with the fake clock, and the service with the fake MQTT client: one VIN's
// flood costs the others nothing, and what is refused never reaches decode or the store.
#include <gtest/gtest.h>

#include "fb/backend/admission.hpp"
#include "fb/backend/inbox.hpp"
#include "fb/backend/ingest.hpp"
#include "fb/backend/service.hpp"
#include "service_fixture.hpp"

#include <cstdio>
#include <filesystem>
#include <thread>

namespace fb::backend {
namespace {
using test::kT;

using namespace std::chrono_literals;
using test::FakeMqtt;
using test::kVinA;
using test::kVinB;

mqtt::Message report_from(const std::string& vin, mqtt::QoS qos = mqtt::QoS::at_least_once, bool retained = false) {
  return mqtt::Message{topics::reports(vin), "x", qos, retained};
}

TEST(AdmissionTest, AVinGetsItsBurstThenItsRateAndOthersAreNotAffected) {
  test::FakeClock clock;
  Admission a(clock, AdmissionOptions{.per_vin_rate = 2.0, .per_vin_burst = 5.0});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.check(report_from(kVinA)), Admission::Verdict::admit) << i;
  EXPECT_EQ(a.check(report_from(kVinA)), Admission::Verdict::rate_limited);
  EXPECT_EQ(a.check(report_from(kVinB)), Admission::Verdict::admit) << "another car pays for the flood";
  clock.advance(499ms);
  EXPECT_EQ(a.check(report_from(kVinA)), Admission::Verdict::rate_limited) << "a token before 1/rate";
  clock.advance(1ms);
  EXPECT_EQ(a.check(report_from(kVinA)), Admission::Verdict::admit);
  EXPECT_EQ(a.check(report_from(kVinA)), Admission::Verdict::rate_limited);
  clock.advance(1h);  // refilled to the burst, not beyond
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.check(report_from(kVinA)), Admission::Verdict::admit) << i;
  EXPECT_EQ(a.check(report_from(kVinA)), Admission::Verdict::rate_limited);
  const auto s = a.stats();
  EXPECT_EQ(s.admitted, 12u);
  EXPECT_EQ(s.rate_limited, 4u);
}

TEST(AdmissionTest, QosZeroAndRetainedAreRefusedAndCountedWithoutTakingATokenAndRateZeroIsNoLimit) {
  test::FakeClock clock;
  Admission a(clock, AdmissionOptions{.per_vin_rate = 1.0, .per_vin_burst = 1.0});
  EXPECT_EQ(a.check(report_from(kVinA, mqtt::QoS::at_most_once)), Admission::Verdict::qos0);
  EXPECT_EQ(a.check(report_from(kVinA, mqtt::QoS::at_least_once, true)), Admission::Verdict::retained);
  EXPECT_EQ(a.check(report_from(kVinA)), Admission::Verdict::admit) << "the refused ones took its token";
  EXPECT_EQ(a.stats().qos0, 1u);
  EXPECT_EQ(a.stats().retained, 1u);
  Admission unlimited(clock, AdmissionOptions{.per_vin_rate = 0});
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(unlimited.check(report_from(kVinA)), Admission::Verdict::admit);
}

TEST(AdmissionTest, IdleBucketsAreForgottenSoManyVinsStayBounded) {
  test::FakeClock clock;
  Admission a(clock, AdmissionOptions{.per_vin_rate = 1.0, .per_vin_burst = 2.0, .max_tracked_vins = 4});
  const std::vector<std::string> vins{"LSVAX60E5K2000001", "LSVAX60E5K2000002", "LSVAX60E5K2000003",
                                      "LSVAX60E5K2000004", "LSVAX60E5K2000005"};
  for (const auto& v : vins) {
    EXPECT_EQ(a.check(report_from(v)), Admission::Verdict::admit);
    EXPECT_EQ(a.check(report_from(v)), Admission::Verdict::admit);
  }
  // The fifth VIN found four busy buckets: the map started over rather than grow.
  EXPECT_EQ(a.check(report_from(vins[4])), Admission::Verdict::rate_limited);
  clock.advance(10s);
  EXPECT_EQ(a.check(report_from(vins[0])), Admission::Verdict::admit);
}

TEST(InboxTest, APushIntoAFullInboxWaitsForATakeInsteadOfDropping) {
  Inbox inbox(2);
  ASSERT_EQ(inbox.push(RawMessage{"t", "0", 0}, 1h), Inbox::Push::taken);
  ASSERT_EQ(inbox.push(RawMessage{"t", "1", 0}, 1h), Inbox::Push::taken);
  std::atomic<bool> pushed{false};
  std::thread receive([&] {
    EXPECT_EQ(inbox.push(RawMessage{"t", "2", 0}, 1h), Inbox::Push::taken);
    pushed = true;
  });
  while (inbox.waits() == 0) std::this_thread::yield();  // the receive thread is waiting for room
  EXPECT_FALSE(pushed.load());
  auto first = inbox.take(1);
  receive.join();
  EXPECT_TRUE(pushed.load());
  auto rest = inbox.take(10);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(first[0].payload, "0");
  EXPECT_EQ(rest[1].payload, "2");
}

TEST(InboxTest, BytesBoundTheInboxAsWellAsCountsAndALargeMessageStillEntersAnEmptyOne) {
  Inbox inbox(100, 10);
  ASSERT_EQ(inbox.push(RawMessage{"t", "12345", 0}, 1h), Inbox::Push::taken);  // 6 bytes
  EXPECT_EQ(inbox.bytes(), 6u);
  EXPECT_EQ(inbox.push(RawMessage{"t", "12345", 0}, 0ms), Inbox::Push::timed_out) << "12 bytes would be over 10";
  ASSERT_EQ(inbox.push(RawMessage{"t", "123", 0}, 0ms), Inbox::Push::taken);  // 10 bytes: just fits
  EXPECT_EQ(inbox.take(10).size(), 2u);
  EXPECT_EQ(inbox.bytes(), 0u);
  const std::string large(64, 'x');
  ASSERT_EQ(inbox.push(RawMessage{"t", large, 0}, 0ms), Inbox::Push::taken) << "alone, it must not wait forever";
  std::thread receive([&] { EXPECT_EQ(inbox.push(RawMessage{"t", "1", 0}, 1h), Inbox::Push::taken); });
  while (inbox.waits() < 2) std::this_thread::yield();  // the second push waits for room
  EXPECT_EQ(inbox.take(1).front().payload, large);
  receive.join();
  EXPECT_EQ(inbox.bytes(), 2u);
}

TEST(InboxTest, CloseReleasesAWaitingPushAndATimedOutWaitSaysSo) {
  Inbox inbox(1);
  ASSERT_EQ(inbox.push(RawMessage{"t", "0", 0}, 1h), Inbox::Push::taken);
  EXPECT_EQ(inbox.push(RawMessage{"t", "1", 0}, 0ms), Inbox::Push::timed_out);
  std::thread receive([&] { EXPECT_EQ(inbox.push(RawMessage{"t", "2", 0}, 1h), Inbox::Push::closed); });
  while (inbox.waits() < 2) std::this_thread::yield();
  inbox.close();
  receive.join();
  EXPECT_EQ(inbox.take(10).size(), 1u) << "what was queued stays for the service";
}

class FairShareTest : public test::ServiceFixture {
 protected:
  // Completes every waiting publish; returns the acks, by VIN.
  std::map<std::string, std::vector<wire::Ack>> acks() {
    std::map<std::string, std::vector<wire::Ack>> out;
    while (test::pending_publishes(*mqtt_) > 0) {
      auto p = test::complete_next(*mqtt_);
      auto env = codec::decode(p.payload);
      if (env && env->has_ack()) out[p.topic].push_back(env->ack());
    }
    run();
    return out;
  }
};

TEST_F(FairShareTest, AFloodingVinIsCutAtItsBurstBeforeIngestAndAnHonestCarIsAcknowledged) {
  start(ServiceOptions{.admission = {.per_vin_rate = 1.0, .per_vin_burst = 10.0}});
  for (int i = 0; i < 1000; ++i) send_report(kVinA, "flood " + std::to_string(i));
  const auto honest = send_report(kVinB, "刹车异响");
  run();
  const auto s = service_->stats();
  EXPECT_EQ(s.received, 11u) << "only the burst and the honest report reach ingest";
  EXPECT_EQ(s.admission.rate_limited, 990u);
  EXPECT_EQ(s.ingest.accepted, 11u);
  auto by_vin = acks();
  ASSERT_EQ(by_vin[topics::inbox(kVinB)].size(), 1u);
  EXPECT_EQ(by_vin[topics::inbox(kVinB)][0].report_id(), honest.report().report_id());
  EXPECT_TRUE(by_vin[topics::inbox(kVinB)][0].has_accepted());
  EXPECT_EQ(by_vin[topics::inbox(kVinA)].size(), 10u) << "nothing is sent for a rate-limited report";
  // Its refill lets the car's own resend through later.
  clock_.advance(1s);
  send_report(kVinA, "flood 10");
  run();
  EXPECT_EQ(service_->stats().ingest.accepted, 12u);
}

TEST_F(FairShareTest, QosZeroAndRetainedReportsAreCountedAndNeverStored) {
  start();
  send_report(kVinA, "sent at QoS 0", mqtt::QoS::at_most_once);
  send_report(kVinA, "replayed retained value", mqtt::QoS::at_least_once, true);
  run();
  const auto s = service_->stats();
  EXPECT_EQ(s.received, 0u);
  EXPECT_EQ(s.admission.qos0, 1u);
  EXPECT_EQ(s.admission.retained, 1u);
  EXPECT_TRUE(acks().empty());
}

// ---- The store: conflicting duplicates, dead-letter caps and retention ----

class FairShareStoreTest : public ::testing::Test {
 protected:
  void open(DeadLetterPolicy policy = {}) {
    auto s = test::open_case_store(path_, 0, {}, policy);
    ASSERT_TRUE(s) << s.error().what();
    store_ = std::move(*s);
  }
  std::vector<ItemOutcome> commit(std::vector<BatchItem> items) {
    auto r = store_->commit_batch(items, test::simple_notifications());
    EXPECT_TRUE(r) << r.error().what();
    return r ? *r : std::vector<ItemOutcome>{};
  }
  static DeadLetterRecord garbage(const std::string& vin, const std::string& payload, std::int64_t at = kT) {
    return DeadLetterRecord{
        codec::sha256(payload), topics::reports(vin), DeadLetterReason::malformed, "test", payload, at};
  }
  std::uintmax_t disk_bytes() const {
    std::uintmax_t n = 0;
    for (const auto* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(path_ + suffix, ec);
      if (!ec) n += size;
    }
    return n;
  }
  test::TempDir dir_;
  std::string path_ = dir_ / "cases.db";
  std::unique_ptr<CaseStore> store_;
};

TEST_F(FairShareStoreTest, TheSameReportIdWithOtherContentIsRefusedAndAnIdenticalResendStaysADuplicate) {
  open();
  auto env = test::valid_report_envelope(kVinA, "刹车异响");
  auto first = commit({test::intake(env, kT)});
  ASSERT_TRUE(first[0].accepted);
  // The car sends the same bytes again: a duplicate, answered with the same case.
  auto again = commit({test::intake(env, kT + 1000)});
  ASSERT_TRUE(again[0].accepted);
  EXPECT_TRUE(again[0].accepted->duplicate);
  // Re-encoded with a new message id (a client that builds its envelope again): the same report.
  auto reenveloped = env;
  reenveloped.set_message_id("6f1c1f8e-0000-4000-8000-000000000001");
  auto same = commit({test::intake(reenveloped, kT + 2000)});
  ASSERT_TRUE(same[0].accepted) << (same[0].error ? same[0].error->what() : "");
  EXPECT_TRUE(same[0].accepted->duplicate);
  // The same id with other content: refused with its own reason, and kept.
  auto edited = env;
  edited.mutable_report()->set_text("完全不同的内容");
  auto out = commit({test::intake(edited, kT + 3000)});
  ASSERT_TRUE(out[0].error);
  EXPECT_EQ(out[0].error->code, make_error_code(WireErrc::conflicting_duplicate));
  EXPECT_FALSE(out[0].accepted);
  EXPECT_GT(out[0].dead_letter_id, 0);
  EXPECT_EQ(store_->list_dead_letters(10)->front().reason, DeadLetterReason::conflicting_duplicate);
  EXPECT_EQ(store_->counts()->reports, 1);
}

TEST_F(FairShareStoreTest, DeadLettersAreCappedPerVinAndInTotalAndTheOverflowIsCounted) {
  open(DeadLetterPolicy{.max_per_vin = 3, .max_total = 5, .max_payload_bytes = 16});
  for (int i = 0; i < 10; ++i) commit({garbage(kVinA, "a" + std::to_string(i))});
  commit({garbage(kVinA, "a0")});  // a repeat counts up, capped or not
  auto letters = *store_->list_dead_letters(100);
  ASSERT_EQ(letters.size(), 4u) << "three kept and one overflow row for the VIN";
  EXPECT_NE(letters.front().detail.find("beyond the cap of 3"), std::string::npos) << letters.front().detail;
  EXPECT_EQ(letters.front().count, 7);
  EXPECT_EQ(letters.back().count, 2) << "the repeat of a0";
  // Another VIN fills the table's cap (5 rows): the rest counts on the table's overflow row.
  for (int i = 0; i < 5; ++i) commit({garbage(kVinB, "b" + std::to_string(i))});
  letters = *store_->list_dead_letters(100);
  EXPECT_EQ(letters.size(), 6u);
  EXPECT_NE(letters.front().detail.find("the whole table"), std::string::npos) << letters.front().detail;
  EXPECT_EQ(letters.front().count, 4);
}

TEST_F(FairShareStoreTest, DeadLettersLastSeenBeforeTheRetentionArePurged) {
  open();
  commit({garbage(kVinA, "old", kT - 40LL * 24 * 3600 * 1000), garbage(kVinA, "recent", kT - 1000),
          garbage(kVinA, "old but seen again", kT - 40LL * 24 * 3600 * 1000)});
  commit({garbage(kVinA, "old but seen again", kT)});
  auto purged = store_->purge_dead_letters(kT - 30LL * 24 * 3600 * 1000);
  ASSERT_TRUE(purged) << purged.error().what();
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(store_->counts()->dead_letters, 2);
}

TEST_F(FairShareStoreTest, TwoThousandDistinctGarbagePayloadsOfUpTo64KiBGrowTheDatabaseByLessThan2MiB) {
  open();  // the shipped defaults
  test::FakeClock clock;
  Ingest ingest(*store_, test::shipped_rules(), clock);
  const auto before = disk_bytes();
  std::vector<RawMessage> batch;
  std::uint64_t seed = 20261203;
  for (int i = 0; i < 2000; ++i) {
    std::string payload(1024 + static_cast<std::size_t>(i * 31) % (64 * 1024 - 1024), '\0');
    for (auto& c : payload) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      c = static_cast<char>(seed >> 56);
    }
    batch.push_back(RawMessage{topics::reports(kVinA), std::move(payload), 0});
    if (batch.size() == 512 || i == 1999) {
      ASSERT_TRUE(ingest.process(batch));
      batch.clear();
    }
  }
  const auto grown = disk_bytes() - before;
  std::printf("dead letters: 2000 distinct garbage payloads grew the database by %ju bytes\n", grown);
  EXPECT_LT(grown, std::uintmax_t{2} * 1024 * 1024);
  EXPECT_EQ(ingest.stats().rejected, 2000u) << "every one is still answered";
  EXPECT_LE(store_->counts()->dead_letters, DeadLetterPolicy{}.max_per_vin + 1);
}

}  // namespace
}  // namespace fb::backend
