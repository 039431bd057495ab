// The driver's drafts in the car store (fb/agent/drafts.hpp, schema v8), and a corrupt store's
// recovery keeping the timeline and the drafts (salvage.hpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../common/report_fixture.hpp"
#include "fb/agent/car_store.hpp"
#include "fb/common/codec.hpp"
#include "process.hpp"

namespace fb::agent {
namespace {

namespace fs = std::filesystem;

class CarStoreDraftsTest : public ::testing::Test {
 protected:
  CarStore open() {
    CarStore::Options o;
    o.clock_valid_from_ms = 0;
    auto s = CarStore::open(path_, std::move(o));
    EXPECT_TRUE(s) << s.error().what();
    return std::move(*s);
  }
  static SavedDraft draft(std::string id, std::string text, std::int64_t at) {
    SavedDraft d;
    d.draft_id = std::move(id);
    d.kind = "noise";
    d.text = std::move(text);
    d.consent.set_diagnostics(true);
    d.consent.set_contact(true);
    d.phone = "+86 138 0000 0000";
    d.saved_ms = at;
    return d;
  }
  // Overwrites the file's first bytes, as a torn write of page 1 would: the next open finds
  // it corrupt and recovers it.
  void clobber_header() {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    const std::string zeros(100, '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }

  test::TempDir dir_;
  std::string path_ = dir_ / "car.db";
};

TEST_F(CarStoreDraftsTest, DraftsSurviveAReopenNewestFirstAndGoOnceDeleted) {
  {
    auto store = open();
    ASSERT_TRUE(store.save_draft(draft("a", "rattle", 1000)));
    ASSERT_TRUE(store.save_draft(draft("b", "刹车有异响", 2000)));
    auto again = draft("a", "rattle from the dashboard at 80 km/h", 3000);  // typed on: replaced
    again.consent.set_contact(false);
    again.phone.clear();
    ASSERT_TRUE(store.save_draft(again));
  }  // closed as a killed process leaves it: every save was committed
  auto store = open();
  auto kept = store.drafts();
  ASSERT_TRUE(kept);
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ((*kept)[0].draft_id, "a");
  EXPECT_EQ((*kept)[0].text, "rattle from the dashboard at 80 km/h");
  EXPECT_TRUE((*kept)[0].consent.diagnostics());
  EXPECT_FALSE((*kept)[0].consent.contact());
  EXPECT_EQ((*kept)[0].phone, "");
  EXPECT_EQ((*kept)[0].saved_ms, 3000);
  EXPECT_EQ((*kept)[1].draft_id, "b");
  EXPECT_EQ((*kept)[1].text, "刹车有异响");
  EXPECT_EQ((*kept)[1].phone, "+86 138 0000 0000");

  ASSERT_TRUE(store.delete_draft("a"));
  ASSERT_TRUE(store.delete_draft("unknown"));
  kept = store.drafts();
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].draft_id, "b");
}

TEST_F(CarStoreDraftsTest, ADraftIsCheckedBeforeItIsKeptAndTheirNumberIsBounded) {
  auto store = open();
  auto bad_phone = draft("p", "x", 1);
  bad_phone.phone = "call me maybe";
  EXPECT_EQ(store.save_draft(bad_phone).error().code, make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(store.save_draft(draft("t", std::string(kMaxDraftChars + 1, 'x'), 1)).error().code,
            make_error_code(WireErrc::invalid_field));
  EXPECT_TRUE(store.save_draft(draft("t", std::string(kMaxDraftChars, 'x'), 1)));
  EXPECT_EQ(store.save_draft(draft("", "x", 1)).error().code, make_error_code(WireErrc::invalid_field));
  EXPECT_EQ(store.save_draft(draft("t", std::string("a\0b", 3), 1)).error().code,
            make_error_code(WireErrc::invalid_field));
  for (std::size_t i = 1; i < kMaxDrafts; ++i) ASSERT_TRUE(store.save_draft(draft("d" + std::to_string(i), "x", 2)));
  EXPECT_EQ(store.save_draft(draft("one-too-many", "x", 3)).error().code, make_error_code(AgentErrc::queue_full));
  EXPECT_TRUE(store.save_draft(draft("d1", "typed on", 4))) << "saving a kept one again is no new draft";
  EXPECT_EQ(store.drafts()->size(), kMaxDrafts);
}

// The draft a report sends goes in the report's own commit: a power cut between the two cannot
// leave the draft to be sent again as a second report, and a report that is not saved keeps it.
TEST_F(CarStoreDraftsTest, ADraftGoesInTheCommitOfItsReportAndStaysWhenThatCommitFails) {
  auto store = open();
  ASSERT_TRUE(store.save_draft(draft("a", "rattle", 1000)));
  ASSERT_TRUE(store.save_draft(draft("b", "刹车有异响", 1100)));
  const auto first = test::valid_report_envelope();
  const auto first_payload = codec::encode(first);
  ASSERT_TRUE(store.enqueue_report(first, first_payload, ReportClass::normal, 1200));

  // The same report id again fails its insert after the draft's delete: both roll back.
  const NewReport clash{&first, &first_payload, ReportClass::normal, 1300, std::nullopt, "a"};
  EXPECT_FALSE(store.enqueue_reports({&clash, 1}));
  ASSERT_EQ(store.drafts()->size(), 2u) << "a report not saved keeps its draft";

  const auto second = test::valid_report_envelope();
  const auto second_payload = codec::encode(second);
  const NewReport sent{&second, &second_payload, ReportClass::normal, 1400, std::nullopt, "a"};
  auto saved = store.enqueue_reports({&sent, 1});
  ASSERT_TRUE(saved) << saved.error().what();
  ASSERT_TRUE(saved->front());
  const auto drafts = store.drafts();
  ASSERT_EQ(drafts->size(), 1u);
  EXPECT_EQ((*drafts)[0].draft_id, "b");
  EXPECT_EQ(store.outbox()->size(), 2u);
}

TEST_F(CarStoreDraftsTest, ARecoveredStoreKeepsEachReportsTimelineAndTheDrafts) {
  std::string id;
  std::vector<TimelineEvent> before;
  {
    auto store = open();
    auto env = test::valid_report_envelope();
    id = env.report().report_id();
    ASSERT_TRUE(store.enqueue_report(env, codec::encode(env), ReportClass::normal, 1000));
    ASSERT_TRUE(store.record_delivery(id, 1100, 1200));
    ASSERT_TRUE(store.save_draft(draft("a", "rattle", 1300)));
    before = *store.timeline(id);
    ASSERT_GE(before.size(), 3u);  // queued (the report row's time), sent, delivered
    EXPECT_EQ(before.front().kind, TimelineKind::queued);
    EXPECT_EQ(before.front().at_ms, 1000);
  }
  clobber_header();
  auto store = open();
  ASSERT_TRUE(store.set_aside());
  ASSERT_TRUE(store.recovery());
  EXPECT_FALSE(store.recovery()->incomplete()) << store.recovery()->summary();
  ASSERT_NE(store.recovery()->table("timeline"), nullptr);
  EXPECT_EQ(store.recovery()->table("timeline")->recovered, before.size() - 1);  // all but the implied "queued"
  EXPECT_EQ(store.recovery()->table("drafts")->recovered, 1u);
  const auto after = store.timeline(id);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ((*after)[i].kind, before[i].kind) << i;
    EXPECT_EQ((*after)[i].at_ms, before[i].at_ms) << i;
  }
  const auto drafts = store.drafts();
  ASSERT_EQ(drafts->size(), 1u);
  EXPECT_EQ((*drafts)[0].text, "rattle");
  EXPECT_EQ((*drafts)[0].phone, "+86 138 0000 0000");
  // The recovered store works on: a step after the recovery joins the same timeline.
  ASSERT_TRUE(store.record_delivery(id, 5000, 5100));
  EXPECT_EQ(store.timeline(id)->size(), before.size());  // sent and delivered happen once
}

}  // namespace
}  // namespace fb::agent
