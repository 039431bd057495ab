// Privacy at rest on the car (docs/privacy.md): the outbox and the car's own records hold the
// driver's words and number sealed; the raw file and its WAL never show them.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sqlite3.h>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "../common/report_fixture.hpp"
#include "fb/agent/agent.hpp"
#include "fb/agent/car_store.hpp"
#include "fb/agent/personal_data_json.hpp"
#include "fb/agent/salvage.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/sealed_sql.hpp"
#include "process.hpp"

namespace fb::agent {
namespace {

constexpr const char* kText = "PRIVTEXT 座椅加热 seat heater, call me at home";
constexpr const char* kPhone = "+86 139-1234-5678";
constexpr const char* kReply = "PRIVREPLY still broken";

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

class CarPrivacyTest : public ::testing::Test {
 protected:
  std::string db() const { return dir_ / "car.db"; }
  std::string raw() const { return file_bytes(db()) + file_bytes(db() + "-wal"); }
  /// The backend's time the store keeps (backend_clock, v12), read through a connection of its own.
  std::int64_t backend_clock_ms() const {
    return sql::Database::open(db())->query_int("SELECT newest_ms FROM backend_clock").value().value();
  }

  /// `sealed`: with the car's key file (as the agent opens it); else without keys, so that the
  /// raw file shows the plain text (an erasure test can then see it before and not after).
  CarStore open(bool sealed = true) {
    AgentConfig config;
    config.database = db();
    config.key_file = dir_ / "car.keys";
    config.storage.clock_valid_from_ms = 0;
    if (sealed) {
      auto keys = load_store_keys(config);
      EXPECT_TRUE(keys) << keys.error().what();
    }
    auto s = CarStore::open(config.database, config.storage);
    if (!s) throw std::runtime_error(s.error().what());
    return std::move(*s);
  }

  /// Overwrites every page of the store's inbox table with garbage: the file fails its check at
  /// the next open, and the other tables' rows are recovered.
  void overwrite_the_inbox() const {
    auto file = sql::Database::open(db());
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->query_int("PRAGMA wal_checkpoint(TRUNCATE)"));
    auto pages = file->prepare("SELECT pageno FROM dbstat WHERE name = 'inbox'");
    ASSERT_TRUE(pages);
    std::vector<std::int64_t> inbox;
    ASSERT_TRUE(pages->each_row([&](const sql::Statement& row) { inbox.push_back(row.int64(0)); }));
    const auto page_size = **file->query_int("PRAGMA page_size");
    ASSERT_FALSE(inbox.empty());
    std::fstream out(db(), std::ios::in | std::ios::out | std::ios::binary);
    for (auto page : inbox) {
      out.seekp((page - 1) * page_size);
      out << std::string(static_cast<std::size_t>(page_size), '\x5a');
    }
  }

  test::TempDir dir_;
};

std::string receipts_topic() { return "vehicles/" + std::string(test::kVinA) + "/receipts"; }

/// A history of 100 s on a clock valid from 0 (tests with small times).
CarStore::Options small_history() {
  CarStore::Options options;
  options.clock_valid_from_ms = 0;
  options.history = std::chrono::milliseconds(100'000);
  return options;
}

TEST_F(CarPrivacyTest, TheOutboxAndTheCarsRecordsHoldNoPlainPersonalData) {
  auto store = open();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "car.keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // made by the car, for the car

  auto env = test::valid_report_envelope(test::kVinA, kText);
  env.mutable_report()->mutable_location()->set_latitude(31.2304);
  const auto payload = codec::encode(env);
  ASSERT_TRUE(store.enqueue_report(env, payload, ReportClass::normal, 1000));
  EXPECT_FALSE(contains(raw(), "PRIVTEXT"));
  // Sent as committed: the outbox gives back the exact bytes (the ack matches their digest).
  auto out = store.payload(env.report().report_id());
  ASSERT_TRUE(out) << out.error().what();
  EXPECT_EQ(*out, payload);

  wire::Ack ack;
  ack.set_report_id(env.report().report_id());
  ack.set_payload_sha256(codec::sha256(payload));
  ack.mutable_accepted()->set_case_id(new_uuid());
  ack.mutable_accepted()->set_case_number("FB-2026-000042");
  auto applied = store.apply_ack(ack, 2000);
  ASSERT_TRUE(applied) << applied.error().what();
  const std::string topic = "vehicles/" + std::string(test::kVinA) + "/replies";
  auto callback = store.enqueue_callback_request(env.report().report_id(), kPhone, "", topic, 3000);
  ASSERT_TRUE(callback) << callback.error().what();
  auto reply = store.enqueue_driver_message(env.report().report_id(), kReply, topic, 4000);
  ASSERT_TRUE(reply) << reply.error().what();
  SavedDraft draft{new_uuid(), "noise", "PRIVDRAFT rattle near my home", {}, "+86 137-7777-0000", 5000};
  ASSERT_TRUE(store.save_draft(draft));
  auto note = codec::new_envelope(6000);
  note.mutable_notification()->set_report_id(env.report().report_id());
  note.mutable_notification()->set_case_number("FB-2026-000042");
  note.mutable_notification()->set_status(wire::CASE_STATUS_IN_PROGRESS);
  note.mutable_notification()->set_text("PRIVINBOX Li Na will call you on Monday");
  note.mutable_notification()->mutable_callback()->set_callback_id(*callback);
  note.mutable_notification()->mutable_callback()->set_state(wire::CALLBACK_LOGGED);
  note.mutable_notification()->mutable_callback()->set_outcome("PRIVOUTCOME we agreed on Monday at 9");
  ASSERT_TRUE(store.apply_notification(note, "vehicles/x/receipts", 6000));

  const auto bytes = raw();
  EXPECT_FALSE(contains(bytes, "PRIVTEXT"));
  EXPECT_FALSE(contains(bytes, "139-1234"));
  EXPECT_FALSE(contains(bytes, "PRIVREPLY"));
  EXPECT_FALSE(contains(bytes, "PRIVDRAFT"));
  EXPECT_FALSE(contains(bytes, "137-7777"));
  EXPECT_FALSE(contains(bytes, "PRIVINBOX"));
  EXPECT_FALSE(contains(bytes, "PRIVOUTCOME"));
  // ... and the car reads all of it back in the clear.
  auto view = store.report(env.report().report_id());
  ASSERT_TRUE(view && *view);
  EXPECT_EQ((*view)->text, kText);
  auto steps = store.timeline(env.report().report_id());
  ASSERT_TRUE(steps);
  EXPECT_TRUE(std::any_of(steps->begin(), steps->end(), [](const auto& e) { return e.text == kReply; }));
  auto drafts = store.drafts();
  ASSERT_TRUE(drafts && drafts->size() == 1u);
  EXPECT_EQ(drafts->front().text, draft.text);
  EXPECT_EQ(drafts->front().phone, draft.phone);
  auto sent = codec::decode(*store.payload(*callback));
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->callback_request().phone(), kPhone);
  auto inbox = store.inbox();
  ASSERT_TRUE(inbox && inbox->size() == 1u);
  EXPECT_EQ(inbox->front().text, note.notification().text());
  ASSERT_TRUE(inbox->front().callback);
  EXPECT_EQ(inbox->front().callback->outcome(), note.notification().callback().outcome());
  // The report's row shows the last notification's words; its callback the outcome.
  view = store.report(env.report().report_id());
  ASSERT_TRUE(view && *view);
  EXPECT_EQ((*view)->last_text, note.notification().text());
  ASSERT_TRUE((*view)->callback);
  EXPECT_EQ((*view)->callback->outcome, note.notification().callback().outcome());
}

// What the car holds after some use: a report with a case, a callback with a number, a reply,
// a notification, a draft, a driver's report not sent yet and a telematics report not sent yet.
struct Used {
  std::string delivered, unsent, telematics, callback, reply, notification;
  std::string telematics_payload;
};

constexpr const char* kUnsent = "PRIVUNSENT my kid's seat rattles";
constexpr const char* kDraft = "PRIVDRAFT rattle near my home";
constexpr const char* kDraftPhone = "+86 137-7777-0000";

Used use(CarStore& store) {
  Used u;
  auto env = test::valid_report_envelope(test::kVinA, kText);
  const auto payload = codec::encode(env);
  u.delivered = env.report().report_id();
  EXPECT_TRUE(store.enqueue_report(env, payload, ReportClass::normal, 1000));
  wire::Ack ack;
  ack.set_report_id(u.delivered);
  ack.set_payload_sha256(codec::sha256(payload));
  ack.mutable_accepted()->set_case_id(new_uuid());
  ack.mutable_accepted()->set_case_number("FB-2026-000042");
  EXPECT_TRUE(store.apply_ack(ack, 2000));
  const auto topic = receipts_topic();
  u.callback = store.enqueue_callback_request(u.delivered, kPhone, "", topic, 3000).value_or("");
  u.reply = store.enqueue_driver_message(u.delivered, kReply, topic, 4000).value_or("");
  auto note = codec::new_envelope(5000);
  note.mutable_notification()->set_report_id(u.delivered);
  note.mutable_notification()->set_case_number("FB-2026-000042");
  note.mutable_notification()->set_status(wire::CASE_STATUS_IN_PROGRESS);
  note.mutable_notification()->set_title("PRIVNOTE in progress");
  note.mutable_notification()->set_text("we will call you");
  u.notification = note.message_id();
  EXPECT_TRUE(store.apply_notification(note, topic, 5000));  // queues a delivered receipt
  EXPECT_TRUE(store.save_draft({new_uuid(), "noise", kDraft, {}, kDraftPhone, 6000}));

  auto unsent = test::valid_report_envelope(test::kVinA, kUnsent);
  u.unsent = unsent.report().report_id();
  EXPECT_TRUE(store.enqueue_report(unsent, codec::encode(unsent), ReportClass::normal, 7000));
  auto auto_report = test::valid_report_envelope(test::kVinA, "coolant above 110 C for 10 s");
  auto_report.mutable_report()->set_source(wire::SOURCE_TELEMATICS);
  u.telematics = auto_report.report().report_id();
  u.telematics_payload = codec::encode(auto_report);
  EXPECT_TRUE(store.enqueue_report(auto_report, u.telematics_payload, ReportClass::safety, 8000));
  EXPECT_FALSE(u.callback.empty());
  EXPECT_FALSE(u.reply.empty());
  return u;
}

/// Every value of `column` in `table`, as the file holds it (sealed or not), read with SQLite
/// itself and no sealing functions.
std::vector<std::string> raw_column(const std::string& path, const std::string& table, const std::string& column) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    const auto sql = "SELECT " + column + " FROM " + table + " WHERE length(" + column + ") > 0";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(st, 0));
        out.emplace_back(bytes, static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

TEST_F(CarPrivacyTest, AnErasureLeavesNoneOfTheDriversWordsOrNumbersInTheFileOrItsWal) {
  auto store = open(/*sealed=*/false);
  const auto used = use(store);
  const char* personal[] = {"PRIVTEXT", "139-1234", "PRIVREPLY", "PRIVNOTE", "PRIVDRAFT", "137-7777", "PRIVUNSENT"};
  for (const auto* p : personal) ASSERT_TRUE(contains(raw(), p)) << p << ": the test does not see the bytes it checks";

  auto erased = store.erase_personal_data();
  ASSERT_TRUE(erased) << erased.error().what();
  EXPECT_EQ(erased->reports, 2u);  // the delivered one and the unsent driver's report
  EXPECT_EQ(erased->inbox, 1u);
  EXPECT_EQ(erased->drafts, 1u);
  EXPECT_FALSE(erased->wal_kept);
  // The driver's unsent report and answers; not the telematics report, not the receipt.
  auto unsent = erased->unsent;
  std::ranges::sort(unsent);
  std::vector<std::string> expected{used.unsent, used.callback, used.reply};
  std::ranges::sort(expected);
  EXPECT_EQ(unsent, expected);
  EXPECT_EQ(std::filesystem::file_size(db() + "-wal"), 0u);
  const auto bytes = raw();
  for (const auto* p : personal) EXPECT_FALSE(contains(bytes, p)) << p << " is still in the file";
}

// The driver's words are sealed as a BLOB (no base64: a third fewer bytes written) when the
// store has keys; without keys they stay TEXT, so that words that begin like a sealed BLOB's
// magic are not taken for one and refused.
TEST_F(CarPrivacyTest, TheDriversWordsAreSealedAsBytesAndWithoutKeysStayTextEvenIfTheyLookSealed) {
  const auto stored_as = [&](const std::string& report_id) {
    auto db = sql::Database::open(this->db());
    EXPECT_TRUE(db);
    auto st = db->prepare("SELECT typeof(text) FROM report_texts WHERE report_id = ?");
    EXPECT_TRUE(st);
    st->bind(1, report_id);
    std::string type;
    EXPECT_TRUE(st->each_row([&](const sql::Statement& row) { type = row.text(0); }));
    return type;
  };
  const std::string looks_sealed = "fbE1 these are a driver's words, not a sealed value";
  {
    auto store = open();
    auto env = test::valid_report_envelope(test::kVinA, kText);
    ASSERT_TRUE(store.enqueue_report(env, codec::encode(env), ReportClass::normal, 1000));
    EXPECT_EQ(stored_as(env.report().report_id()), "blob");
    EXPECT_EQ(store.report(env.report().report_id()).value()->text, kText);
  }
  std::filesystem::remove_all(dir_ / "car.keys");
  for (const auto* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db() + suffix);
  auto store = open(/*sealed=*/false);
  auto env = test::valid_report_envelope(test::kVinA, looks_sealed);
  ASSERT_TRUE(store.enqueue_report(env, codec::encode(env), ReportClass::normal, 1000));
  EXPECT_EQ(stored_as(env.report().report_id()), "text");
  auto view = store.report(env.report().report_id());
  ASSERT_TRUE(view) << view.error().what();
  ASSERT_TRUE(*view);
  EXPECT_EQ((*view)->text, looks_sealed);
}

TEST_F(CarPrivacyTest, AnErasureLeavesNoSealedCopyEither) {
  auto store = open();
  use(store);
  // The sealed values themselves (a stolen key would open them): a 24-byte run from each.
  auto sealed_runs = [&] {
    std::set<std::string> out;
    for (const auto& [table, column] : std::vector<std::pair<std::string, std::string>>{{"outbox", "payload"},
                                                                                        {"report_texts", "text"},
                                                                                        {"timeline", "text"},
                                                                                        {"callbacks", "phone"},
                                                                                        {"drafts", "text"},
                                                                                        {"drafts", "phone"},
                                                                                        {"inbox", "text"}}) {
      for (const auto& v : raw_column(db(), table, column)) {
        EXPECT_GE(v.size(), 40u) << table << "." << column << " is not sealed";
        out.insert(v.substr(v.size() / 2, 24));
      }
    }
    return out;
  };
  const auto before = sealed_runs();
  ASSERT_GE(before.size(), 12u);
  auto erased = store.erase_personal_data();
  ASSERT_TRUE(erased) << erased.error().what();
  EXPECT_FALSE(erased->wal_kept);
  EXPECT_EQ(std::filesystem::file_size(db() + "-wal"), 0u);
  const auto after = sealed_runs();
  EXPECT_EQ(after.size(), 3u);  // the telematics report's payload and text, the receipt's payload
  const auto bytes = raw();
  for (const auto& run : before) {
    if (!after.contains(run)) {
      EXPECT_FALSE(contains(bytes, run)) << "a sealed value outlived its erasure";
    }
  }
}

TEST_F(CarPrivacyTest, AQueuedTelematicsReportOutlivesTheErasureAndItsAckStillApplies) {
  auto store = open();
  const auto used = use(store);
  // Its case's notification came before its ack, and the driver replied to it.
  auto note = codec::new_envelope(8500);
  note.mutable_notification()->set_report_id(used.telematics);
  note.mutable_notification()->set_case_number("FB-2026-000043");
  note.mutable_notification()->set_status(wire::CASE_STATUS_IN_PROGRESS);
  note.mutable_notification()->set_title("PRIVTELE we saw your engine");
  ASSERT_TRUE(store.apply_notification(note, "vehicles/x/receipts", 8500));
  ASSERT_TRUE(store.enqueue_driver_message(used.telematics, "PRIVTELEREPLY at my office", "vehicles/x/receipts", 8600));
  ASSERT_TRUE(store.erase_personal_data());
  auto outbox = store.outbox();
  ASSERT_TRUE(outbox);
  ASSERT_EQ(outbox->size(), 3u);                   // the receipt of the telematics report's notification too
  EXPECT_EQ(outbox->front().id, used.telematics);  // safety first
  EXPECT_EQ(outbox->back().kind, OutboxKind::receipt);
  auto list = store.reports();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().report_id, used.telematics);
  EXPECT_TRUE(store.inbox()->empty());
  EXPECT_TRUE(store.drafts()->empty());
  EXPECT_TRUE(store.timeline(used.delivered)->empty());
  EXPECT_EQ(*store.payload(used.telematics), used.telematics_payload);
  EXPECT_EQ(list->front().last_title, "");
  const auto kept_steps = store.timeline(used.telematics);
  ASSERT_TRUE(kept_steps);
  for (const auto& step : *kept_steps) {
    EXPECT_TRUE(step.source_id.empty()) << to_string(step.kind) << " kept";
  }
  ASSERT_TRUE(store.record_delivery(used.delivered, 9000, 9001));  // a publish of an erased report ends
  EXPECT_TRUE(store.timeline(used.delivered)->empty());
  // A second ack of the erased report (a re-sent copy the backend answered again), carrying its
  // case's first notification: neither the report nor the backend's words come back.
  wire::Ack again;
  again.set_report_id(used.delivered);
  again.mutable_accepted()->set_case_number("FB-2026-000042");
  auto* carried = again.mutable_accepted()->mutable_notification();
  carried->set_message_id(new_uuid());
  carried->set_sent_at_ms(9000);
  carried->mutable_notification()->set_report_id(used.delivered);
  carried->mutable_notification()->set_case_number("FB-2026-000042");
  carried->mutable_notification()->set_status(wire::CASE_STATUS_RECEIVED);
  carried->mutable_notification()->set_title("PRIVBACK we got your report");
  auto after = store.apply_ack(again, 9002);
  ASSERT_TRUE(after) << after.error().what();
  EXPECT_FALSE(after->notification);
  EXPECT_TRUE(store.inbox()->empty());
  EXPECT_FALSE(store.report(used.delivered).value());
  EXPECT_TRUE(store.timeline(used.delivered)->empty());

  wire::Ack ack;
  ack.set_report_id(used.telematics);
  ack.set_payload_sha256(codec::sha256(used.telematics_payload));
  ack.mutable_accepted()->set_case_number("FB-2026-000043");
  auto applied = store.apply_ack(ack, 9000);
  ASSERT_TRUE(applied) << applied.error().what();
  EXPECT_TRUE(applied->matched);
  EXPECT_EQ((*store.report(used.telematics))->case_number, "FB-2026-000043");
}

// After an erasure (an owner change) the backend may still write about the old owner's reports:
// its case is open, or copies wait in the car's MQTT session. Such a notice is receipted, so the
// backend stops sending it, but nothing of it is stored or shown to the new owner. A report the
// car only forgot (history) still shows its case's later notices.
TEST_F(CarPrivacyTest, NoticesAboutAnErasedReportAreReceiptedButNeitherStoredNorShown) {
  auto store = open();
  const auto used = use(store);
  ASSERT_TRUE(store.erase_personal_data());
  const auto outbox_before = store.outbox()->size();
  auto note = codec::new_envelope(9500);
  note.mutable_notification()->set_report_id(used.delivered);
  note.mutable_notification()->set_case_number("FB-2026-000042");
  note.mutable_notification()->set_status(wire::CASE_STATUS_WAITING_FOR_DRIVER);
  note.mutable_notification()->set_title("PRIVLATER does the noise come back");
  note.mutable_notification()->mutable_callback()->set_callback_id(new_uuid());
  note.mutable_notification()->mutable_callback()->set_state(wire::CALLBACK_PICKED_UP);
  auto applied = store.apply_notification(note, "vehicles/x/receipts", 9500);
  ASSERT_TRUE(applied) << applied.error().what();
  EXPECT_FALSE(applied->report);
  EXPECT_TRUE(applied->about_erased_report);
  EXPECT_FALSE(applied->duplicate) << "not seen before: the agent counts it apart";
  EXPECT_EQ(store.outbox()->size(), outbox_before + 1) << "its receipt";
  EXPECT_EQ(store.outbox()->back().kind, OutboxKind::receipt);
  EXPECT_TRUE(store.inbox()->empty());
  EXPECT_FALSE(store.report(used.delivered).value());
  EXPECT_TRUE(store.timeline(used.delivered)->empty());
  // The erasure is remembered across a reopening of the store.
  { auto closing = std::move(store); }
  auto reopened = open();
  note.set_message_id(new_uuid());
  ASSERT_TRUE(reopened.apply_notification(note, "vehicles/x/receipts", 9600));
  EXPECT_TRUE(reopened.inbox()->empty());
}

TEST_F(CarPrivacyTest, TheExportHoldsEverythingTheCarKeepsAboutItsDriverInTheClear) {
  auto store = open();
  const auto used = use(store);
  auto data = store.personal_data();
  ASSERT_TRUE(data) << data.error().what();
  const auto doc = nlohmann::json::parse(personal_data_json(*data, test::kVinA, 10'000));
  EXPECT_EQ(doc["vin"], test::kVinA);
  ASSERT_EQ(doc["reports"].size(), 3u);
  std::map<std::string, nlohmann::json> reports;
  for (const auto& r : doc["reports"]) reports[r["report_id"]] = r;
  EXPECT_EQ(reports[used.delivered]["text"], kText);
  EXPECT_EQ(reports[used.delivered]["case_number"], "FB-2026-000042");
  EXPECT_EQ(reports[used.telematics]["source"], "telematics");
  bool reply_shown = false;
  for (const auto& step : reports[used.delivered]["timeline"]) reply_shown |= step["text"] == kReply;
  EXPECT_TRUE(reply_shown);
  ASSERT_EQ(doc["callbacks"].size(), 1u);
  EXPECT_EQ(doc["callbacks"][0]["phone"], kPhone);
  EXPECT_EQ(doc["callbacks"][0]["state"], "CALLBACK_STATE_UNSPECIFIED");
  EXPECT_TRUE(doc["visit_answers"].is_array());
  EXPECT_EQ(reports[used.delivered]["last_title"], "PRIVNOTE in progress");
  ASSERT_EQ(doc["drafts"].size(), 1u);
  EXPECT_EQ(doc["drafts"][0]["text"], kDraft);
  EXPECT_EQ(doc["drafts"][0]["phone"], kDraftPhone);
  ASSERT_EQ(doc["notifications"].size(), 1u);
  EXPECT_EQ(doc["notifications"][0]["message_id"], used.notification);
  std::multiset<std::string> kinds;
  for (const auto& q : doc["unsent"]) kinds.insert(q["kind"]);
  EXPECT_EQ(kinds, (std::multiset<std::string>{"callback_request", "driver_message", "receipt", "report", "report"}));
}

TEST_F(CarPrivacyTest, AnErasureAlsoDropsWhatNoLongerOpensAfterTheKeyWasLost) {
  std::string id;
  {
    auto store = open();
    auto env = test::valid_report_envelope(test::kVinA, kText);
    id = env.report().report_id();
    ASSERT_TRUE(store.enqueue_report(env, codec::encode(env), ReportClass::normal, 1000));
  }
  std::filesystem::remove(dir_ / "car.keys");  // a new key is made: the old payload does not open
  auto store = open();
  auto erased = store.erase_personal_data();
  ASSERT_TRUE(erased) << erased.error().what();
  EXPECT_EQ(erased->unsent, std::vector<std::string>{id});
  EXPECT_TRUE(store.outbox()->empty());
}

// The size cap counts plain payloads (enqueue_report); a recovered row's size must too, or the
// cap fills early by the seal's overhead on every recovered report.
TEST_F(CarPrivacyTest, ARecoveredSealedPayloadCountsItsPlainSizeAgainstTheCap) {
  auto env = test::valid_report_envelope(test::kVinA, kText);
  const auto payload = codec::encode(env);
  {
    auto store = open();
    ASSERT_TRUE(store.enqueue_report(env, payload, ReportClass::normal, 1000));
  }
  overwrite_the_inbox();
  auto store = open();
  ASSERT_TRUE(store.recovery()) << "the damage is found";
  EXPECT_EQ(*store.payload(env.report().report_id()), payload);
  auto size = sql::Database::open(db())->query_int("SELECT size FROM outbox WHERE kind = 'report'");
  ASSERT_TRUE(size && *size);
  EXPECT_EQ(**size, static_cast<std::int64_t>(payload.size()));
}

TEST(SetAsideStores, AreRemovedByNameAndNothingElseIs) {
  test::TempDir dir;
  const auto store = dir / "car.db";
  for (const auto* name :
       {"car.db.corrupt-1780000000000", "car.db.corrupt-1780000000000-wal", "car.db.corrupt-1790000000000", "car.db",
        "other.db.corrupt-1", "car.db.keys", "car.db.corrupt-notes.txt", "car.db.corrupt-1780000000000.bak"}) {
    std::ofstream(dir / name) << "x";
  }
  std::filesystem::create_directory(dir / "car.db.corrupt-1770000000000");
  auto removed = remove_set_aside_stores(store);
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(*removed, 3u);
  EXPECT_FALSE(std::filesystem::exists(dir / "car.db.corrupt-1790000000000"));
  EXPECT_TRUE(std::filesystem::exists(dir / "car.db"));
  EXPECT_TRUE(std::filesystem::exists(dir / "other.db.corrupt-1"));
  EXPECT_TRUE(std::filesystem::exists(dir / "car.db.keys"));
  EXPECT_TRUE(std::filesystem::exists(dir / "car.db.corrupt-notes.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "car.db.corrupt-1780000000000.bak"));
  EXPECT_TRUE(std::filesystem::exists(dir / "car.db.corrupt-1770000000000"));
  // A recovery under way needs its set-aside file: refused.
  std::ofstream(dir / "car.db.corrupt-1800000000000") << "x";
  std::ofstream(recovery_marker(store)) << "car.db.corrupt-1800000000000\n";
  auto refused = remove_set_aside_stores(store);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, make_error_code(StorageErrc::busy));
  EXPECT_TRUE(std::filesystem::exists(dir / "car.db.corrupt-1800000000000"));
}

TEST_F(CarPrivacyTest, AStoreSealedWithAnotherKeyIsNotReadAsPlainText) {
  {
    auto store = open();
    auto env = test::valid_report_envelope(test::kVinA, kText);
    ASSERT_TRUE(store.enqueue_report(env, codec::encode(env), ReportClass::normal, 1000));
  }
  // The key file lost (a new one made): the old rows do not open; nothing shows ciphertext as text.
  std::filesystem::remove(dir_ / "car.keys");
  auto store = open();
  auto reports = store.reports();
  EXPECT_FALSE(reports);
}

TEST_F(CarPrivacyTest, AnOpenKeyFileIsRefused) {
  ASSERT_TRUE(crypto::ensure_key_file(dir_ / "car.keys"));
  ASSERT_EQ(::chmod((dir_ / "car.keys").c_str(), 0640), 0);
  AgentConfig config;
  config.database = db();
  config.key_file = dir_ / "car.keys";
  auto keys = load_store_keys(config);
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, make_error_code(CryptoErrc::key_file_insecure));
}

// ---- History (CarStore::Options::history) ----

/// The number of the case a report of these tests is in: one case per report (the car moves
/// every report of a case together).
std::string case_of(const std::string& report_id) {
  return fmt::format("FB-2026-{:06}", std::hash<std::string>{}(report_id) % 1'000'000);
}

/// A report queued at `at` and acknowledged a moment later; its id.
std::string acknowledged(CarStore& store, const std::string& text, std::int64_t at, bool refused = false) {
  auto env = test::valid_report_envelope(test::kVinA, text);
  const auto payload = codec::encode(env);
  EXPECT_TRUE(store.enqueue_report(env, payload, ReportClass::normal, at));
  wire::Ack ack;
  ack.set_report_id(env.report().report_id());
  ack.set_payload_sha256(codec::sha256(payload));
  if (refused) {
    ack.mutable_rejected()->set_reason(wire::REJECT_INVALID_FIELD);
  } else {
    ack.mutable_accepted()->set_case_id(new_uuid());
    ack.mutable_accepted()->set_case_number(case_of(env.report().report_id()));
  }
  EXPECT_TRUE(store.apply_ack(ack, at + 1));
  return env.report().report_id();
}

/// A notification moving the report's case to `status` at `at`, applied; its message id.
std::string case_now(CarStore& store, const std::string& report_id, wire::CaseStatus status, std::int64_t at) {
  auto note = codec::new_envelope(at);
  note.mutable_notification()->set_report_id(report_id);
  note.mutable_notification()->set_case_number(case_of(report_id));
  note.mutable_notification()->set_status(status);
  note.mutable_notification()->set_text("case update");
  EXPECT_TRUE(store.apply_notification(note, "vehicles/x/receipts", at));
  return note.message_id();
}

TEST_F(CarPrivacyTest, FinishedReportsPastTheHistoryAreForgottenWithWhatHangsOnThem) {
  auto opened = CarStore::open(db(), small_history());
  ASSERT_TRUE(opened) << opened.error().what();
  auto& store = *opened;
  const auto topic = receipts_topic();
  // Finished long ago: a closed case (with a callback and its notifications) and a refused report.
  const auto closed = acknowledged(store, "old rattle", 1000);
  const auto callback = store.enqueue_callback_request(closed, kPhone, "", topic, 1500);
  ASSERT_TRUE(callback);
  case_now(store, closed, wire::CASE_STATUS_CLOSED, 2000);
  const auto refused = acknowledged(store, "old refused", 1000, true);
  // Kept: closed lately, an old case still open, an old report still queued.
  const auto recent = acknowledged(store, "recent rattle", 1000);
  case_now(store, recent, wire::CASE_STATUS_CLOSED, 150'000);
  const auto open_case = acknowledged(store, "old but open", 1000);
  case_now(store, open_case, wire::CASE_STATUS_IN_PROGRESS, 2000);
  auto queued = test::valid_report_envelope(test::kVinA, "old, never sent");
  ASSERT_TRUE(store.enqueue_report(queued, codec::encode(queued), ReportClass::normal, 1000));
  // Closed by a notification that came before its ack: still in the outbox, so that the ack applies.
  auto unacked = test::valid_report_envelope(test::kVinA, "old, closed, ack still to come");
  ASSERT_TRUE(store.enqueue_report(unacked, codec::encode(unacked), ReportClass::normal, 1000));
  case_now(store, unacked.report().report_id(), wire::CASE_STATUS_CLOSED, 2000);
  ASSERT_EQ(store.report(unacked.report().report_id()).value()->status, ReportStatus::closed);

  // While the driver's callback request waits for the backend's AnswerStored, the closed case it
  // is about stays; the refused report goes.
  EXPECT_EQ(store.forget_finished(200'000).value(), std::vector<std::string>{refused});
  EXPECT_TRUE(store.report(closed).value());
  ASSERT_TRUE(store.confirm_answer(*callback));
  auto forgotten = store.forget_finished(200'000);
  ASSERT_TRUE(forgotten) << forgotten.error().what();
  EXPECT_EQ(*forgotten, std::vector<std::string>{closed});
  for (const auto& id : {closed, refused}) {
    EXPECT_FALSE(store.report(id).value()) << id;
    EXPECT_TRUE(store.timeline(id).value().empty()) << id;
  }
  for (const auto& id : {recent, open_case, queued.report().report_id(), unacked.report().report_id()}) {
    EXPECT_TRUE(store.report(id).value()) << id;
    EXPECT_FALSE(store.timeline(id).value().empty()) << id;
  }
  {
    // The driver's words (a table of their own since v10) went with their reports, and only those.
    auto raw = sql::Database::open(db());
    ASSERT_TRUE(raw);
    auto words = raw->prepare("SELECT report_id FROM report_texts");
    ASSERT_TRUE(words);
    std::set<std::string> left;
    ASSERT_TRUE(words->each_row([&](const sql::Statement& s) { left.insert(s.text(0)); }));
    EXPECT_EQ(left,
              (std::set<std::string>{recent, open_case, queued.report().report_id(), unacked.report().report_id()}));
  }
  auto data = store.personal_data();
  ASSERT_TRUE(data) << data.error().what();
  std::set<std::string> inbox_reports;
  for (const auto& n : data->inbox) inbox_reports.insert(n.report_id);
  EXPECT_EQ(inbox_reports, (std::set<std::string>{recent, open_case, unacked.report().report_id()}));
  EXPECT_TRUE(data->callbacks.empty()) << "the closed case's callback went with it";
  EXPECT_TRUE(store.forget_finished(200'000).value().empty()) << "nothing left to forget";
  // A late notification about a forgotten report is kept as it came, and goes a history later.
  const auto about_closed = [&] {
    const auto inbox = store.inbox().value();
    return std::count_if(inbox.begin(), inbox.end(), [&](const InboxEntry& n) { return n.report_id == closed; });
  };
  case_now(store, closed, wire::CASE_STATUS_CLOSED, 210'000);
  EXPECT_EQ(about_closed(), 1);
  ASSERT_TRUE(store.forget_finished(300'000));  // (`recent` is past its history by then)
  EXPECT_EQ(about_closed(), 1) << "within its history";
  ASSERT_TRUE(store.forget_finished(320'000));
  EXPECT_EQ(about_closed(), 0) << "the orphan went";
}

// Before, one answer the backend never confirmed (its backend gone, the car offline for good)
// kept every report past its history for as long as it stayed queued.
TEST_F(CarPrivacyTest, AQueuedAnswerHoldsBackOnlyTheReportItIsAboutUnlessItCannotBeRead) {
  auto opened = CarStore::open(db(), small_history());
  ASSERT_TRUE(opened) << opened.error().what();
  auto& store = *opened;
  const auto topic = receipts_topic();
  std::map<std::string, std::string> closed;   // name -> report id, each closed at 2000
  std::map<std::string, std::string> closing;  // name -> the closing notification's id
  for (const auto* name : {"rated", "reopened", "plain", "late"}) {
    closed[name] = acknowledged(store, name, 1000);
    closing[name] = case_now(store, closed[name], wire::CASE_STATUS_CLOSED, 2000);
  }
  // A survey answer names the notification (the report through the inbox), a reopen the report.
  auto rating = store.enqueue_survey_answer(closing["rated"], 4, "", topic, 3000);
  ASSERT_TRUE(rating) << rating.error().what();
  auto reopen = store.enqueue_reopen_request(closed["reopened"], "still rattles", topic, 3000);
  ASSERT_TRUE(reopen) << reopen.error().what();
  // "late": closed again by a notification that came after its report was forgotten (an orphan
  // inbox row), and the driver rated that one.
  auto forgotten = store.forget_finished(200'000);
  ASSERT_TRUE(forgotten) << forgotten.error().what();
  EXPECT_EQ(std::set<std::string>(forgotten->begin(), forgotten->end()),
            (std::set<std::string>{closed["plain"], closed["late"]}));
  EXPECT_TRUE(store.report(closed["rated"]).value());
  EXPECT_TRUE(store.report(closed["reopened"]).value());
  const auto orphan = case_now(store, closed["late"], wire::CASE_STATUS_CLOSED, 210'000);
  auto late_rating = store.enqueue_survey_answer(orphan, 2, "", topic, 210'000);
  ASSERT_TRUE(late_rating) << late_rating.error().what();
  const auto inbox_has = [&](const std::string& id) {
    const auto inbox = store.inbox().value();
    return std::any_of(inbox.begin(), inbox.end(), [&](const InboxEntry& n) { return n.message_id == id; });
  };
  ASSERT_TRUE(store.confirm_answer(*rating));
  forgotten = store.forget_finished(320'000);
  ASSERT_TRUE(forgotten) << forgotten.error().what();
  EXPECT_EQ(*forgotten, std::vector<std::string>{closed["rated"]});
  EXPECT_TRUE(store.report(closed["reopened"]).value()) << "its reopen is still queued";
  EXPECT_TRUE(inbox_has(orphan)) << "the orphan the queued rating names stays";

  // An answer that cannot be read may be about any report: then nothing goes.
  const auto newer = acknowledged(store, "newer", 1000);
  case_now(store, newer, wire::CASE_STATUS_CLOSED, 2000);
  {
    auto raw = sql::Database::open(db());
    ASSERT_TRUE(raw);
    auto garble = raw->prepare("UPDATE outbox SET payload = x'ffffffff' WHERE id = ?");
    ASSERT_TRUE(garble);
    garble->bind(1, *late_rating);
    ASSERT_TRUE(garble->run());
  }
  EXPECT_TRUE(store.forget_finished(330'000).value().empty());
  EXPECT_TRUE(store.report(newer).value());
  EXPECT_TRUE(inbox_has(orphan));
}

TEST_F(CarPrivacyTest, AQueuedAnswerAboutADamagedReportIdKeepsEverythingAndThrowsNothing) {
  auto opened = CarStore::open(db(), small_history());
  ASSERT_TRUE(opened) << opened.error().what();
  auto& store = *opened;
  const auto rated = acknowledged(store, "rated", 1000);
  const auto closing = case_now(store, rated, wire::CASE_STATUS_CLOSED, 2000);
  const auto plain = acknowledged(store, "plain", 1000);
  case_now(store, plain, wire::CASE_STATUS_CLOSED, 2000);
  auto rating = store.enqueue_survey_answer(closing, 4, "", receipts_topic(), 3000);
  ASSERT_TRUE(rating) << rating.error().what();
  {
    // A flipped bit in the rated notification's report id: bytes that are not UTF-8.
    auto raw = sql::Database::open(db());
    ASSERT_TRUE(raw);
    auto damage = raw->prepare("UPDATE inbox SET report_id = CAST(x'c328' AS TEXT) WHERE message_id = ?");
    ASSERT_TRUE(damage);
    damage->bind(1, closing);
    ASSERT_TRUE(damage->run());
  }
  auto forgotten = store.forget_finished(200'000);
  ASSERT_TRUE(forgotten) << forgotten.error().what();
  EXPECT_TRUE(forgotten->empty()) << "which report the answer is about is unknown: nothing goes";
  EXPECT_TRUE(store.report(plain).value());
  EXPECT_TRUE(store.report(rated).value());
}

TEST_F(CarPrivacyTest, AReportClosedWhileTheClockWasUnsetStartsItsHistoryWhenTheClockIsSet) {
  CarStore::Options options;
  options.clock_valid_from_ms = 1'000'000;  // earlier: the clock is not set yet
  options.history = std::chrono::milliseconds(100'000);
  auto opened = CarStore::open(db(), options);
  ASSERT_TRUE(opened) << opened.error().what();
  const auto closed = acknowledged(*opened, "closed in 1970", 1000);
  case_now(*opened, closed, wire::CASE_STATUS_CLOSED, 2000);
  // The clock is set, 1,500 s since 1970: the report is not 1,498 s old, its history starts now.
  EXPECT_TRUE(opened->forget_finished(1'500'000).value().empty());
  EXPECT_TRUE(opened->forget_finished(1'550'000).value().empty());
  EXPECT_EQ(opened->forget_finished(1'600'001).value(), std::vector<std::string>{closed});
}

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kStart = 1'780'000'000'000;  // June 2026

/// small_history(), the car's clock counted up to 10 s past the backend's.
CarStore::Options small_history_with_lead() {
  auto options = small_history();
  options.clock_lead = std::chrono::milliseconds(10'000);
  options.backend_clock_step = std::chrono::milliseconds(1);  // every newer stamp kept
  return options;
}

TEST_F(CarPrivacyTest, AClockSteppedYearsAheadForgetsOnlyWhatTheBackendsTimeHasPassed) {
  auto opened = CarStore::open(db(), small_history_with_lead());
  ASSERT_TRUE(opened) << opened.error().what();
  auto& store = *opened;
  const auto closed_early = acknowledged(store, "closed early", 1000);
  case_now(store, closed_early, wire::CASE_STATUS_CLOSED, 2000);
  const auto closed_mid = acknowledged(store, "closed in the middle", 50'000);
  case_now(store, closed_mid, wire::CASE_STATUS_CLOSED, 55'000);
  const auto closed_late = acknowledged(store, "closed late", 60'000);
  case_now(store, closed_late, wire::CASE_STATUS_CLOSED, 65'000);
  const auto kept = [&](const std::string& id) { return store.report(id).value().has_value(); };

  // The RTC steps years ahead: by its time all three are past their history, but the backend
  // last wrote at 65 s, and the car's clock counts only 10 s past that.
  constexpr std::int64_t kStepped = 100'000'000'000;
  EXPECT_TRUE(store.forget_finished(kStepped).value().empty());
  EXPECT_TRUE(kept(closed_early) && kept(closed_mid) && kept(closed_late));

  // The backend's time moves on (a notification about another case, written at 150 s): the
  // history now ends at 150 s + 10 s - 100 s = 60 s.
  const auto open_case = acknowledged(store, "still open", 140'000);
  case_now(store, open_case, wire::CASE_STATUS_IN_PROGRESS, 150'000);
  auto forgotten = store.forget_finished(kStepped);
  ASSERT_TRUE(forgotten) << forgotten.error().what();
  EXPECT_EQ(std::set<std::string>(forgotten->begin(), forgotten->end()),
            (std::set<std::string>{closed_early, closed_mid}));
  EXPECT_TRUE(kept(closed_late) && kept(open_case));
  // A car clock behind the backend's (now at 200 s) counts as it is.
  case_now(store, open_case, wire::CASE_STATUS_IN_PROGRESS, 200'000);
  EXPECT_TRUE(store.forget_finished(150'000).value().empty());
  EXPECT_EQ(store.forget_finished(170'000).value(), std::vector<std::string>{closed_late});
}

TEST_F(CarPrivacyTest, WithTheDefaultsAYearOfTheBackendsTimeForgetsAndAQuietBackendKeeps) {
  auto opened = CarStore::open(db(), {});  // history 365 days, clock lead 30 days
  ASSERT_TRUE(opened) << opened.error().what();
  auto& store = *opened;
  const auto closed = acknowledged(store, "rattle", kStart);
  case_now(store, closed, wire::CASE_STATUS_CLOSED, kStart + kDay);
  // A year and two days on by the car's clock, and not a word from the backend since: kept.
  EXPECT_TRUE(store.forget_finished(kStart + 367 * kDay).value().empty());
  // The backend answers a new report that day (its ack's envelope stamped then): now it goes.
  auto env = test::valid_report_envelope(test::kVinA, "a new squeak");
  const auto payload = codec::encode(env);
  ASSERT_TRUE(store.enqueue_report(env, payload, ReportClass::normal, kStart + 367 * kDay));
  wire::Ack ack;
  ack.set_report_id(env.report().report_id());
  ack.mutable_accepted()->set_case_number("FB-2027-000001");
  ASSERT_TRUE(store.apply_acks(std::span(&ack, 1), kStart + 367 * kDay, false, kStart + 367 * kDay));
  EXPECT_EQ(store.forget_finished(kStart + 367 * kDay).value(), std::vector<std::string>{closed});
  // The kept stamp is rewritten once the backend's clock is an hour on, not at every message.
  EXPECT_EQ(backend_clock_ms(), kStart + 367 * kDay);
  constexpr std::int64_t kMinute = 60'000;
  case_now(store, ack.report_id(), wire::CASE_STATUS_IN_PROGRESS, kStart + 367 * kDay + 59 * kMinute);
  EXPECT_EQ(backend_clock_ms(), kStart + 367 * kDay);
  case_now(store, ack.report_id(), wire::CASE_STATUS_IN_PROGRESS, kStart + 367 * kDay + 61 * kMinute);
  EXPECT_EQ(backend_clock_ms(), kStart + 367 * kDay + 61 * kMinute);
}

// A damaged store is recovered into a fresh file, whose backend clock starts at 0: it takes the
// newest stamp the recovered reports hold (an integer, no further than the lead past its
// report's update), so the history a year of the backend's time ends still ends, and is not
// kept until the backend next writes.
TEST_F(CarPrivacyTest, ARecoveredStoreTakesTheBackendsTimeFromTheReportsItGetsBack) {
  std::string closed, garbled, open_case;
  {
    auto opened = CarStore::open(db(), {});
    ASSERT_TRUE(opened) << opened.error().what();
    closed = acknowledged(*opened, "rattle", kStart);
    case_now(*opened, closed, wire::CASE_STATUS_CLOSED, kStart + kDay);
    open_case = acknowledged(*opened, "squeak", kStart + 300 * kDay);
    case_now(*opened, open_case, wire::CASE_STATUS_IN_PROGRESS, kStart + 366 * kDay);
    garbled = acknowledged(*opened, "hum", kStart + 10 * kDay);
    case_now(*opened, garbled, wire::CASE_STATUS_IN_PROGRESS, kStart + 11 * kDay);
  }
  {
    // The inbox's pages overwritten: the reports survive, the file fails its check. One report's
    // stamp is garbled into text, which a copy keeps as it is and which sorts above any number.
    auto file = sql::Database::open(db());
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->exec("UPDATE reports SET last_notification_ms = 'garbled' WHERE report_id = '" + garbled + "'"));
    // And one integer stamp is years ahead (a flipped bit): it counts only as far as the lead
    // past its report's last change (the year 3000 would stop the clock for good).
    ASSERT_TRUE(
        file->exec("UPDATE reports SET last_notification_ms = 32503680000000 WHERE report_id = '" + open_case + "'"));
  }
  overwrite_the_inbox();
  auto opened = CarStore::open(db(), {});
  ASSERT_TRUE(opened) << opened.error().what();
  ASSERT_TRUE(opened->recovery()) << "the damage is found";
  ASSERT_TRUE(opened->report(closed).value().has_value()) << "the reports came back";
  EXPECT_EQ(backend_clock_ms(), kStart + 396 * kDay)
      << "the year-3000 stamp, bounded by its report's update (day 366) plus the lead (30 days)";
  // By the car's clock a year and two days after the close, the backend's 366th day within the lead.
  EXPECT_EQ(opened->forget_finished(kStart + 367 * kDay).value(), std::vector<std::string>{closed});
}

// A v11 store (before the backend clock) migrates to a clock taken from its reports' stamps,
// each believed only as far as the default lead past its report's last change.
TEST_F(CarPrivacyTest, AVersion11StoreStartsTheBackendsClockFromItsReportsBoundedByTheLead) {
  std::string recent, wild;
  {
    auto opened = CarStore::open(db(), {});
    ASSERT_TRUE(opened) << opened.error().what();
    recent = acknowledged(*opened, "rattle", kStart);
    case_now(*opened, recent, wire::CASE_STATUS_IN_PROGRESS, kStart + 5 * kDay);
    wild = acknowledged(*opened, "hum", kStart);
    case_now(*opened, wild, wire::CASE_STATUS_IN_PROGRESS, kStart + 2 * kDay);
  }
  {
    // Back to v11: no backend_clock; one stamp far ahead of when it was applied (day 2).
    auto file = sql::Database::open(db());
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->exec("DROP TABLE backend_clock"));
    ASSERT_TRUE(file->exec("DROP INDEX reports_case"));    // v13's
    ASSERT_TRUE(file->exec("DROP TABLE reserve"));         // v14's
    ASSERT_TRUE(file->exec("DROP TABLE erased_reports"));  // v15's
    ASSERT_TRUE(file->exec("ALTER TABLE outbox DROP COLUMN text_apart"));
    ASSERT_TRUE(
        file->exec("UPDATE reports SET last_notification_ms = 32503680000000 WHERE report_id = '" + wild + "'"));
    ASSERT_TRUE(file->exec("PRAGMA user_version=11"));
  }
  auto opened = CarStore::open(db(), {});
  ASSERT_TRUE(opened) << opened.error().what();
  EXPECT_EQ(backend_clock_ms(), kStart + 32 * kDay) << "day 2 plus the 30-day lead, above the other report's day 5";
}

// AnswerStored is the backend's word like an ack: confirmed or refused, its stamp moves the clock,
// no further than the lead past the car's.
TEST_F(CarPrivacyTest, AnAnswerStoredMovesTheBackendsClockAsAnAckDoes) {
  auto opened = CarStore::open(db(), small_history_with_lead());
  ASSERT_TRUE(opened) << opened.error().what();
  auto& store = *opened;
  const auto report = acknowledged(store, "rattle", 1000);
  case_now(store, report, wire::CASE_STATUS_IN_PROGRESS, 2000);
  ASSERT_EQ(backend_clock_ms(), 2000);
  auto confirmed = store.enqueue_driver_message(report, "still there", receipts_topic(), 3000);
  ASSERT_TRUE(confirmed) << confirmed.error().what();
  ASSERT_TRUE(store.confirm_answer(*confirmed, 5000, 4000));
  EXPECT_EQ(backend_clock_ms(), 4000);
  auto refused = store.enqueue_driver_message(report, "and louder", receipts_topic(), 6000);
  ASSERT_TRUE(refused) << refused.error().what();
  ASSERT_TRUE(store.refuse_answer(*refused, 6000, 99'000'000));
  EXPECT_EQ(backend_clock_ms(), 16'000) << "the car's 6 s plus the 10 s lead";
}

TEST_F(CarPrivacyTest, TheBackendsClockMovesOnlyForwardAndNoFurtherThanTheLeadPastTheCars) {
  auto opened = CarStore::open(db(), small_history_with_lead());
  ASSERT_TRUE(opened) << opened.error().what();
  auto& store = *opened;
  // Dropped unsent (never reached the backend, which has said nothing yet): the car's clock.
  auto unsent = test::valid_report_envelope(test::kVinA, "never sent");
  ASSERT_TRUE(store.enqueue_report(unsent, codec::encode(unsent), ReportClass::normal, 1000));
  ASSERT_EQ(store.expire(1000 + 30LL * 86'400'000).value().size(), 1u);
  const auto closed = acknowledged(store, "closed early", 1000);
  case_now(store, closed, wire::CASE_STATUS_CLOSED, 2000);
  const auto forgotten = store.forget_finished(100'000'000'000).value();
  EXPECT_EQ(forgotten, std::vector<std::string>{unsent.report().report_id()});

  // A refusal carries no notification, but its ack's stamp moves the backend's clock.
  auto refused = test::valid_report_envelope(test::kVinA, "refused");
  ASSERT_TRUE(store.enqueue_report(refused, codec::encode(refused), ReportClass::normal, 140'000));
  wire::Ack no;
  no.set_report_id(refused.report().report_id());
  no.mutable_rejected()->set_reason(wire::REJECT_INVALID_FIELD);
  ASSERT_TRUE(store.apply_acks(std::span(&no, 1), 150'000, false, 150'000));
  EXPECT_EQ(store.forget_finished(100'000'000'000).value(), std::vector<std::string>{closed});
  EXPECT_TRUE(store.report(refused.report().report_id()).value());

  // A stamp years ahead of the car's clock counts as the car's time plus the lead (205 s + 10 s),
  // and an older stamp after it does not move it back.
  const auto mid = acknowledged(store, "closed in the middle", 100'000);
  case_now(store, mid, wire::CASE_STATUS_CLOSED, 110'000);
  const auto late = acknowledged(store, "closed late", 190'000);
  case_now(store, late, wire::CASE_STATUS_CLOSED, 200'000);
  auto future = codec::new_envelope(std::numeric_limits<std::int64_t>::max());
  future.mutable_notification()->set_report_id(late);
  future.mutable_notification()->set_status(wire::CASE_STATUS_CLOSED);
  ASSERT_TRUE(store.apply_notification(future, "vehicles/x/receipts", 205'000));
  case_now(store, late, wire::CASE_STATUS_CLOSED, 3000);
  // The car's clock stepped as far: 215 s + 10 s - 100 s = 125 s, so only `mid` goes.
  EXPECT_EQ(store.forget_finished(std::numeric_limits<std::int64_t>::max() / 2).value(), std::vector<std::string>{mid});
  EXPECT_TRUE(store.report(late).value());
  EXPECT_TRUE(store.report(refused.report().report_id()).value());
}

TEST_F(CarPrivacyTest, NothingIsForgottenOnAnUnsetClockOrWithoutAHistoryBound) {
  for (const bool unset_clock : {true, false}) {
    SCOPED_TRACE(unset_clock ? "clock unset" : "history 0");
    std::filesystem::remove(db());
    CarStore::Options options;
    options.clock_valid_from_ms = unset_clock ? 1'000'000 : 0;
    options.history = unset_clock ? std::chrono::milliseconds(100'000) : std::chrono::milliseconds(0);
    auto opened = CarStore::open(db(), options);
    ASSERT_TRUE(opened) << opened.error().what();
    const auto closed = acknowledged(*opened, "old rattle", 1000);
    case_now(*opened, closed, wire::CASE_STATUS_CLOSED, 2000);
    // 200 s on: past the history, but the car's clock says 1970 (or nothing is ever old).
    EXPECT_TRUE(opened->forget_finished(200'000).value().empty());
    EXPECT_TRUE(opened->report(closed).value());
  }
}

}  // namespace
}  // namespace fb::agent
