#include "fb/backend/case_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "fb/backend/notifier.hpp"
#include "fb/common/sqlite.hpp"
#include "process.hpp"
#include "store_fixture.hpp"

namespace fb::backend {
namespace {
using test::kT;

namespace fs = std::filesystem;

class CaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = test::open_case_store(path_);
    ASSERT_TRUE(s) << s.error().what();
    store_ = std::move(*s);
  }
  std::vector<ItemOutcome> commit(std::vector<BatchItem> items,
                                  const NotificationFactory& f = test::simple_notifications()) {
    auto r = store_->commit_batch(items, f);
    EXPECT_TRUE(r) << r.error().what();
    return r ? *r : std::vector<ItemOutcome>{};
  }
  test::TempDir dir_;
  std::string path_ = dir_ / "cases.db";
  std::unique_ptr<CaseStore> store_;
};

TEST_F(CaseStoreTest, ANewReportOpensACaseWithANumberAndAFirstNotification) {
  auto env = test::valid_report_envelope();
  auto out = commit({test::intake(env, kT)});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].accepted);
  EXPECT_FALSE(out[0].accepted->duplicate);
  EXPECT_EQ(out[0].accepted->case_number, "FB-2026-000001");
  EXPECT_EQ(out[0].accepted->team, "rnd_tech_support");
  EXPECT_EQ(out[0].accepted->first_reply_due_ms, kT + std::int64_t{24} * 3600 * 1000);
  ASSERT_TRUE(out[0].notification);
  auto c = store_->find_case_by_report(env.report().report_id());
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->type, CaseType::product_fault);
  EXPECT_EQ((*c)->state, CaseState::new_);
  EXPECT_EQ(store_->counts()->notifications_undelivered, 1);
}

// The API's list queries take a shape from their filters and limit: a client paging with every
// limit from 1 to 1,500 must not leave a prepared statement behind for each.
TEST_F(CaseStoreTest, ListQueriesOfManyShapesKeepABoundedNumberOfPreparedStatements) {
  auto env = test::valid_report_envelope();
  ASSERT_EQ(commit({test::intake(env, kT)}).size(), 1u);
  const auto before = store_->prepared_statements();
  EXPECT_GT(before, 0u);
  for (std::size_t limit = 1; limit <= 1500; ++limit) {
    auto list = store_->list_cases(limit);
    ASSERT_TRUE(list) << list.error().what();
    ASSERT_EQ(list->size(), 1u) << limit;
  }
  EXPECT_LE(store_->prepared_statements(), 520u);
  // The store's own statements still work after the list shapes passed the bound.
  auto again = commit({test::intake(test::valid_report_envelope(test::kVinB, "another"), kT + 1)});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].accepted);
  EXPECT_EQ(store_->list_cases(10)->size(), 2u);
}

TEST_F(CaseStoreTest, TheSameReportIdNeverOpensASecondCase) {
  auto env = test::valid_report_envelope();
  auto out = commit({test::intake(env, kT), test::intake(env, kT)});  // twice in one batch
  ASSERT_TRUE(out[1].accepted);
  EXPECT_TRUE(out[1].accepted->duplicate);
  EXPECT_FALSE(out[1].notification);
  EXPECT_EQ(out[1].accepted->case_number, out[0].accepted->case_number);
  auto later = commit({test::intake(env, kT + 5000)});  // and again later
  EXPECT_EQ(later[0].accepted->case_id, out[0].accepted->case_id);
  auto counts = store_->counts();
  EXPECT_EQ(counts->cases, 1);
  EXPECT_EQ(counts->reports, 1);
  EXPECT_EQ(counts->notifications_undelivered, 1);
}

TEST_F(CaseStoreTest, AReportIdReusedByAnotherVehicleIsRefusedAndKept) {
  auto env = test::valid_report_envelope(test::kVinA);
  commit({test::intake(env, kT)});
  auto stolen = env;
  stolen.mutable_report()->set_vin(test::kVinB);
  auto out = commit({test::intake(stolen, kT)});
  ASSERT_TRUE(out[0].error);
  EXPECT_EQ(out[0].error->code, make_error_code(WireErrc::report_id_conflict));
  EXPECT_FALSE(out[0].accepted);  // B learns nothing about A's case
  EXPECT_GT(out[0].dead_letter_id, 0);
  EXPECT_EQ(store_->counts()->cases, 1);
  EXPECT_EQ(store_->list_dead_letters(10)->front().reason, DeadLetterReason::report_id_conflict);
}

TEST_F(CaseStoreTest, CaseNumbersCountPerYear) {
  const std::int64_t y2027 = 1'800'000'000'000;  // 2027-01-15
  auto a = commit({test::intake(test::valid_report_envelope(), kT)});
  auto b = commit({test::intake(test::valid_report_envelope(test::kVinB), kT)});
  auto c = commit({test::intake(test::valid_report_envelope(), y2027)});
  EXPECT_EQ(a[0].accepted->case_number, "FB-2026-000001");
  EXPECT_EQ(b[0].accepted->case_number, "FB-2026-000002");
  EXPECT_EQ(c[0].accepted->case_number, "FB-2027-000001");
  EXPECT_EQ(format_case_number(2026, 123), "FB-2026-000123");
}

// Numbered by the year of the service region's clock (GroupingPolicy::utc_offset_ms): 16:30 UTC on
// 31 December is already 1 January in Beijing, and the case is the new year's first.
TEST_F(CaseStoreTest, CaseNumbersTakeTheYearOfTheServiceRegionsClock) {
  const std::int64_t new_year_in_beijing = 1'798'734'600'000;  // 2026-12-31T16:30:00Z
  auto a = commit({test::intake(test::valid_report_envelope(), new_year_in_beijing)});
  EXPECT_EQ(a[0].accepted->case_number, "FB-2027-000001");

  GroupingPolicy utc;
  utc.utc_offset_ms = 0;
  auto s = test::open_case_store(dir_ / "utc.db", 0, utc);
  ASSERT_TRUE(s) << s.error().what();
  const auto envelope = test::valid_report_envelope(test::kVinB);  // the intake points into it
  const std::vector<BatchItem> items{test::intake(envelope, new_year_in_beijing)};
  auto b = (*s)->commit_batch(items, test::simple_notifications());
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ((*b)[0].accepted->case_number, "FB-2026-000001");
}

TEST_F(CaseStoreTest, OneFailingItemDoesNotSinkTheBatch) {
  auto good1 = test::valid_report_envelope();
  auto bad = test::valid_report_envelope();
  auto good2 = test::valid_report_envelope(test::kVinB);
  const auto bad_id = bad.report().report_id();
  auto out = commit({test::intake(good1, kT), test::intake(bad, kT), test::intake(good2, kT)},
                    [&](const ReportIntake& in, const CaseRef& ref,
                        std::string_view event) -> Result<StoredNotification> {
                      if (in.report->report_id() == bad_id) return fail(ConfigErrc::invalid_value, "no template");
                      return test::simple_notifications()(in, ref, event);
                    });
  EXPECT_TRUE(out[0].accepted);
  ASSERT_TRUE(out[1].error);
  EXPECT_FALSE(out[1].accepted);
  EXPECT_TRUE(out[2].accepted);
  EXPECT_EQ(store_->counts()->cases, 2);
  EXPECT_FALSE(*store_->find_case_by_report(bad_id));  // its case row was undone with it
}

TEST_F(CaseStoreTest, DeadLettersCountRepeats) {
  DeadLetterRecord d{
      codec::sha256("junk"), "vehicles/X/reports", DeadLetterReason::malformed, "not a protobuf", "junk", kT};
  auto a = commit({d});
  auto b = commit({d});
  EXPECT_EQ(a[0].dead_letter_id, b[0].dead_letter_id);
  auto list = store_->list_dead_letters(10);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().count, 2);
}

TEST_F(CaseStoreTest, UndeliveredNotificationsComeDueWithBackoffUntilReceipted) {
  auto env = test::valid_report_envelope();
  auto out = commit({test::intake(env, kT)});
  const auto id = out[0].notification->id;
  // New: due at once (a backend that dies before publishing it sends it after its restart).
  auto due = store_->due_notifications(kT, 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().payload, "payload for FB-2026-000001");
  const std::string ids[] = {id};
  ASSERT_TRUE(store_->reschedule(ids, kT, 60'000, 3'600'000));  // the broker took it: next in 60 s
  EXPECT_TRUE(store_->due_notifications(kT + 59'999, 10)->empty());
  EXPECT_EQ(store_->due_notifications(kT + 60'000, 10)->size(), 1u);
  ASSERT_TRUE(store_->reschedule(ids, kT + 60'000, 60'000, 3'600'000));  // then 120 s
  EXPECT_TRUE(store_->due_notifications(kT + 179'999, 10)->empty());
  EXPECT_EQ(store_->due_notifications(kT + 180'000, 10)->size(), 1u);

  // A receipt from another car does not count, and is kept as a dead letter.
  auto wrong = commit({ReceiptIntake{id, test::kVinB, wire::RECEIPT_DELIVERED, kT, "vehicles/B/receipts", "r"}});
  EXPECT_FALSE(wrong[0].receipt_matched);
  EXPECT_GT(wrong[0].dead_letter_id, 0);
  auto right = commit({ReceiptIntake{id, test::kVinA, wire::RECEIPT_DELIVERED, kT, "vehicles/A/receipts", "r"}});
  EXPECT_TRUE(right[0].receipt_matched);
  EXPECT_TRUE(store_->due_notifications(kT + 99'999'999, 10)->empty());
  EXPECT_EQ(store_->counts()->notifications_undelivered, 0);
}

TEST_F(CaseStoreTest, CommittedCasesSurviveAReopen) {
  auto env = test::valid_report_envelope();
  commit({test::intake(env, kT)});
  store_.reset();
  auto s = test::open_case_store(path_);
  ASSERT_TRUE(s);
  EXPECT_TRUE(*(*s)->find_case_by_report(env.report().report_id()));
}

// The SQLite file itself: a full disk, corruption, migrations of old files (SQLite whichever store
// the suite runs against; postgres_store_suite leaves them out).
TEST(CaseStoreFiles, AFullDiskStoresNothingItDidNotAcknowledge) {
  test::TempDir dir;
  // The cap: a new store's own pages (each migration adds some) and room for a few batches, so
  // that some are acknowledged before the disk is full.
  std::int64_t new_store_pages = 0;
  {
    ASSERT_TRUE(open_sqlite_case_store(dir / "new.db"));
    auto db = sql::Database::open(dir / "new.db");
    ASSERT_TRUE(db);
    new_store_pages = db->query_int("PRAGMA page_count")->value_or(0) * db->query_int("PRAGMA page_size")->value_or(0) /
                      4096;
  }
  ASSERT_GT(new_store_pages, 0);
  auto s = open_sqlite_case_store(dir / "cases.db", new_store_pages + 40,
                                  GroupingPolicy{.merge_window_ms = 0});  // every report a case
  ASSERT_TRUE(s) << s.error().what();
  auto& store = **s;
  std::int64_t accepted = 0;
  std::optional<Error> full;
  for (int batch = 0; batch < 200 && !full; ++batch) {
    std::vector<wire::Envelope> envs;
    envs.reserve(5);
    for (int i = 0; i < 5; ++i) envs.push_back(test::valid_report_envelope(test::kVinA, std::string(3000, 'x')));
    std::vector<BatchItem> items;
    items.reserve(envs.size());
    for (const auto& e : envs) items.emplace_back(test::intake(e, kT));
    auto r = store.commit_batch(items, test::simple_notifications());
    if (!r) {
      full = r.error();  // the commit itself failed: nothing of this batch is stored
      break;
    }
    for (const auto& o : *r) {
      if (o.accepted) ++accepted;
      else if (o.error) full = *o.error;  // this item only: no ack, the car sends it again
    }
  }
  ASSERT_TRUE(full) << "the page limit was never reached";
  ASSERT_GT(accepted, 0) << "the cap left no room for a first batch: the test shows nothing";
  EXPECT_EQ(full->code, make_error_code(StorageErrc::full)) << full->what();
  EXPECT_EQ(store.counts()->cases, accepted);  // exactly what was acknowledged, nothing half-written
  EXPECT_EQ(store.counts()->reports, accepted);
}

TEST(CaseStoreFiles, ACorruptStoreIsRefusedAndLeftAlone) {
  test::TempDir dir;
  const auto path = dir / "cases.db";
  std::ofstream(path, std::ios::binary) << std::string(9000, '\x13');
  auto s = open_sqlite_case_store(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(StorageErrc::corrupt));
  EXPECT_EQ(fs::file_size(path), 9000u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(CaseStoreFiles, ReadsAVersion1FileFromTheFixtures) {
  test::TempDir dir;
  const auto path = dir / "cases.db";
  fs::copy_file(std::string(test::kFixturesDir) + "/case-store-v1.db", path);
  auto s = open_sqlite_case_store(path);
  ASSERT_TRUE(s) << s.error().what();
  auto cases = (*s)->list_cases(100);
  ASSERT_TRUE(cases);
  EXPECT_FALSE(cases->empty());
  // New cases continue the numbering of the old file.
  auto env = test::valid_report_envelope();
  auto out = (*s)->commit_batch(std::vector<BatchItem>{test::intake(env, kT)}, test::simple_notifications());
  ASSERT_TRUE(out);
  ASSERT_TRUE((*out)[0].accepted) << (*out)[0].error->what();
  EXPECT_EQ((*out)[0].accepted->case_number, format_case_number(2026, static_cast<std::int64_t>(cases->size()) + 1));
}

// Version 1 stored dead-letter reasons as proto names ("REJECT_VIN_MISMATCH", "BAD_RECEIPT");
// version 2 stores vocabulary keys, and migrates the old rows.
TEST(CaseStoreFiles, MigratesVersion1DeadLetterReasonsToVocabularyKeys) {
  test::TempDir dir;
  const auto path = dir / "cases.db";
  fs::copy_file(std::string(test::kFixturesDir) + "/case-store-v1.db", path);
  {
    auto db = sql::Database::open(path);
    ASSERT_TRUE(db) << db.error().what();
    ASSERT_EQ(*db->query_int("PRAGMA user_version"), 1);
    auto r = db->exec(
        "INSERT INTO dead_letters(digest, topic, reason, detail, payload, first_seen_ms, last_seen_ms, count) VALUES"
        "(x'01', 't', 'REJECT_VIN_MISMATCH', 'd', x'', 1, 1, 1), (x'02', 't', 'UNROUTABLE_TOPIC', 'd', x'', 2, 2, 1),"
        "(x'03', 't', 'BAD_RECEIPT', 'd', x'', 3, 3, 1), (x'04', 't', 'INTERNAL', 'd', x'', 4, 4, 1),"
        "(x'05', 't', 'REJECT_REPORT_ID_CONFLICT', 'd', x'', 5, 5, 2)");
    ASSERT_TRUE(r) << r.error().what();
  }
  auto s = open_sqlite_case_store(path);
  ASSERT_TRUE(s) << s.error().what();
  auto dead = (*s)->list_dead_letters(100);
  ASSERT_TRUE(dead) << dead.error().what();
  std::vector<DeadLetterReason> reasons;
  for (const auto& d : *dead) reasons.push_back(d.reason);  // newest first
  EXPECT_EQ(reasons, (std::vector{DeadLetterReason::report_id_conflict, DeadLetterReason::internal,
                                  DeadLetterReason::bad_receipt, DeadLetterReason::unroutable_topic,
                                  DeadLetterReason::vin_mismatch}));
}

// Version 3 has the vehicle-system vocabulary of issue 7; the names that are gone map onto the
// new ones, so the old rows still read (a name this build does not know would be a corrupt row).
TEST(CaseStoreFiles, MigratesOldVehicleSystemNamesToTheNewVocabulary) {
  test::TempDir dir;
  const auto path = dir / "cases.db";
  fs::copy_file(std::string(test::kFixturesDir) + "/case-store-v1.db", path);
  const std::vector<std::pair<std::string, VehicleSystem>> renamed{{"traction_battery", VehicleSystem::battery},
                                                                   {"airbags", VehicleSystem::restraints},
                                                                   {"unknown", VehicleSystem::other},
                                                                   {"service_attitude", VehicleSystem::service},
                                                                   {"technician_skill", VehicleSystem::service},
                                                                   {"promises", VehicleSystem::service},
                                                                   {"repair_time", VehicleSystem::service},
                                                                   {"brakes", VehicleSystem::brakes}};
  std::map<std::string, VehicleSystem> expected;
  {
    auto db = sql::Database::open(path);
    ASSERT_TRUE(db) << db.error().what();
    auto numbers = db->prepare("SELECT number FROM cases ORDER BY id");
    ASSERT_TRUE(numbers) << numbers.error().what();
    std::vector<std::string> all;
    while (*numbers->step()) all.push_back(numbers->text(0));
    numbers->reset();
    ASSERT_GE(all.size(), 6u);
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto& [old_name, now] = renamed[i % renamed.size()];
      auto r = db->exec("UPDATE cases SET system = '" + old_name + "' WHERE number = '" + all[i] + "'");
      ASSERT_TRUE(r) << r.error().what();
      expected[all[i]] = now;
    }
  }
  auto s = open_sqlite_case_store(path);
  ASSERT_TRUE(s) << s.error().what();
  auto cases = (*s)->list_cases(100);
  ASSERT_TRUE(cases) << cases.error().what();
  ASSERT_EQ(cases->size(), expected.size());
  for (const auto& c : *cases) EXPECT_EQ(c.system, expected.at(c.case_number)) << c.case_number;
}

// Version 4 marks notifications carried by the ack; every older one is a notification of its own,
// still resent until receipted.
TEST(CaseStoreFiles, MigratesToVersion4WithEveryOlderNotificationSentOnItsOwn) {
  test::TempDir dir;
  const auto path = dir / "cases.db";
  fs::copy_file(std::string(test::kFixturesDir) + "/case-store-v1.db", path);
  {
    auto db = sql::Database::open(path);
    ASSERT_TRUE(db) << db.error().what();
    ASSERT_TRUE(db->exec("UPDATE notifications SET state = 'sent', next_attempt_ms = 0 WHERE rowid = 1"));
  }
  auto s = open_sqlite_case_store(path);
  ASSERT_TRUE(s) << s.error().what();
  auto due = (*s)->due_notifications(1, 100);
  ASSERT_TRUE(due) << due.error().what();
  EXPECT_EQ(due->size(), 1u);
  EXPECT_EQ((*s)->counts()->notifications_carried, 0);
  EXPECT_EQ((*s)->counts()->notifications_undelivered, 1);
  s->reset();
  auto db = sql::Database::open(path);
  EXPECT_EQ(*db->query_int("PRAGMA user_version"),
            14);  // on to the lifecycle, the console, visits, relations, dead-letter caps, privacy, leases,
                  // the visit list's index, survey closings, the triage queue
}

// Version 13 on SQLite, migration 6 on PostgreSQL, counts one survey answer per closing (the
// resolved notice's rating and the closed case's survey). Answers stored before it get their
// closing from the notifications they answer, and the latest of each closing is counted.
TEST(CaseStoreMigration, AnswersStoredBeforeSurveyClosingsCountOncePerClosing) {
  test::TempDir dir;
  const std::string path = dir / "cases.db";
  {
    auto s = test::open_case_store(path);
    ASSERT_TRUE(s) << s.error().what();
    auto out = (*s)->commit_batch(std::vector<BatchItem>{test::intake(test::valid_report_envelope(), kT)},
                                  test::simple_notifications());
    ASSERT_TRUE(out && (*out)[0].accepted);
  }
  {
    // The store as the version before left it. The first closing answered twice (its survey's row
    // written first, answered last), the second once, its resolved notice stamped before the
    // first survey request (another instance's clock); two answers whose notifications are gone.
    auto db = test::open_store_database(path);
    ASSERT_TRUE(db) << db.error().what();
    std::string sql =
        "DROP INDEX surveys_closing; DROP INDEX notifications_closings; ALTER TABLE surveys DROP COLUMN counted; "
        "ALTER TABLE surveys DROP COLUMN closing; ALTER TABLE surveys DROP COLUMN answered_ms; "
        "DROP INDEX cases_triage_queue; ALTER TABLE cases DROP COLUMN needs_triage; "
        "ALTER TABLE cases DROP COLUMN resolution_target_ms; ";
    sql += test::store_is_postgres() ? "UPDATE fb_schema SET version = 5 WHERE name = 'case store'; "
                                     : "PRAGMA user_version = 12; ";
    const auto hours = [](int h) { return std::to_string(kT + h * test::kHour); };
    for (const auto& [id, event, created] :
         {std::tuple{"res-1", "resolved", 1}, std::tuple{"close-1", "survey_request", 3},
          std::tuple{"res-2", "resolved", 2}}) {
      sql += std::string(
                 "INSERT INTO notifications(id, case_id, vin, payload, created_ms, state, attempts, "
                 "next_attempt_ms, event) SELECT '") +
             id + "', id, vin, (SELECT payload FROM notifications LIMIT 1), " + hours(created) + ", 'read', 1, 0, '" +
             event + "' FROM cases; ";
    }
    for (const auto& [id, score, answered] :
         {std::tuple{"close-1", 4, 4}, std::tuple{"res-1", 2, 1}, std::tuple{"res-2", 5, 6}, std::tuple{"gone-1", 1, 7},
          std::tuple{"gone-2", 3, 8}}) {
      sql += std::string("INSERT INTO surveys(case_id, notification_id, score, comment, at_ms) SELECT id, '") + id +
             "', " + std::to_string(score) + ", '', " + hours(answered) + " FROM cases; ";
    }
    auto r = db->exec(sql);
    ASSERT_TRUE(r) << r.error().what();
  }
  auto s = test::open_case_store(path);
  ASSERT_TRUE(s) << s.error().what();
  auto csat = (*s)->survey_score();
  ASSERT_TRUE(csat) << csat.error().what();
  EXPECT_EQ(*csat, (std::pair<double, std::int64_t>{4.0, 3}));  // close-1, res-2, gone-2
}

// Version 14 on SQLite, migration 7 on PostgreSQL, keeps the human triage queue. The open cases
// stored before whose evidence says the classifier was not sure join it; closed ones do not.
TEST(CaseStoreMigration, OpenCasesTheClassifierWasNotSureOfJoinTheTriageQueue) {
  test::TempDir dir;
  const std::string path = dir / "cases.db";
  std::vector<std::string> numbers;
  {
    auto s = test::open_case_store(path);
    ASSERT_TRUE(s) << s.error().what();
    for (const auto* vin : {test::kVinA, test::kVinB, "LSVAX60E5K2000003"}) {
      const auto env = test::valid_report_envelope(vin, "有点奇怪 something odd");
      auto in = test::intake(env, kT);
      in.classification.needs_human_triage = std::string_view(vin) != test::kVinB;
      std::erase_if(in.classification.evidence, [](const std::string& e) { return e.starts_with("confidence:"); });
      in.classification.evidence.emplace_back(
          in.classification.needs_human_triage ? "confidence:0.31<0.70:needs_human_triage" : "confidence:0.93");
      auto out = (*s)->commit_batch(std::vector<BatchItem>{std::move(in)}, test::simple_notifications());
      ASSERT_TRUE(out && (*out)[0].accepted);
      numbers.push_back((*out)[0].accepted->case_number);
    }
  }
  {
    auto db = test::open_store_database(path);
    ASSERT_TRUE(db) << db.error().what();
    std::string sql =
        "DROP INDEX cases_triage_queue; ALTER TABLE cases DROP COLUMN needs_triage; "
        "ALTER TABLE cases DROP COLUMN resolution_target_ms; ";
    sql += test::store_is_postgres() ? "UPDATE fb_schema SET version = 6 WHERE name = 'case store'; "
                                     : "PRAGMA user_version = 13; ";
    // Closed, after taking the due time of an earlier case merged into it: before its own start.
    sql += "UPDATE cases SET status = 'closed', resolution_due_ms = sla_start_ms - 3600000 WHERE number = '" +
           numbers[2] + "'; ";
    auto r = db->exec(sql);
    ASSERT_TRUE(r) << r.error().what();
  }
  auto s = test::open_case_store(path);
  ASSERT_TRUE(s) << s.error().what();
  CaseQuery queue;
  queue.needs_triage = true;
  auto waiting = (*s)->search_cases(queue);
  ASSERT_TRUE(waiting) << waiting.error().what();
  ASSERT_EQ(waiting->items.size(), 1u);
  EXPECT_EQ(waiting->items[0].case_number, numbers[0]);
  EXPECT_FALSE((*s)->find_case(numbers[1])->value().needs_triage);
  EXPECT_EQ((*s)->outstanding_counts()->awaiting_triage, 1);
  {  // An instance of the build before v14 closed a queued case without clearing the flag.
    auto db = test::open_store_database(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("UPDATE cases SET needs_triage = 1 WHERE number = '" + numbers[2] + "'"));
  }
  EXPECT_EQ((*s)->search_cases(queue)->items.size(), 1u) << "a closed case is not in the queue";
  EXPECT_EQ((*s)->outstanding_counts()->awaiting_triage, 1);
  // Reopened, it gets the default resolution target from the reopening: its own length is unknown
  // (due minus start is below zero), and it must not be overdue at once.
  TransitionRequest reopen{numbers[2], CaseState::reopened, "li.na", "it came back", kT + 30 * test::kDay, {}, {}, {}};
  const Notifier notifier(test::shipped_rules().templates, test::shipped_rules().router);
  auto reopened = (*s)->transition(reopen, [&](const CaseNotice& n) { return notifier.render(n); });
  ASSERT_TRUE(reopened) << reopened.error().what();
  EXPECT_EQ(reopened->c.resolution_due_ms, kT + 30 * test::kDay + SlaTargets{}.resolution_ms);
}

}  // namespace
}  // namespace fb::backend
