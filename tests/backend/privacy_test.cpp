// Privacy at rest in the case store (docs/privacy.md): personal values sealed before they are
// stored, found by keyed digest, erased for good, rotated, retained. On SQLite (AES-GCM in the
// process; the file's raw bytes checked) and, in ctest's postgres_store_suite, on PostgreSQL
// (pgcrypto on the server; every column of every table checked as a reader of the database sees it).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/backend/config.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/sealed_sql.hpp"
#include "fb/common/topics.hpp"
#include "process.hpp"
#include "store_fixture.hpp"

namespace fb::backend {
namespace {
using test::kDay;
using test::kHour;
using test::kT;

constexpr const char* kText = "PRIVTEXT 刹车异响 brake squeal near my home";
constexpr const char* kName = "Zhang PRIVNAME";
constexpr const char* kPhone = "13912345678";

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

/// `bytes` as PostgreSQL's encode(..., 'escape') writes them: a zero byte or one with the high bit
/// set as a backslash and three octal digits, a backslash doubled, any other byte as it is.
std::string pg_escape(std::string_view bytes) {
  std::string out;
  for (const unsigned char c : bytes) {
    if (c == '\\') out += "\\\\";
    else if (c != 0 && c < 0x80) out += static_cast<char>(c);
    else {
      out += '\\';
      out += static_cast<char>('0' + (c >> 6));
      out += static_cast<char>('0' + ((c >> 3) & 7));
      out += static_cast<char>('0' + (c & 7));
    }
  }
  return out;
}

/// What a reader of the store sees of it. SQLite: the main file and its WAL, as on the disk.
/// PostgreSQL: every column of every table of the store's schema, bytea in escape form.
std::string raw_store(const std::string& db) {
  if (!test::store_is_postgres()) return file_bytes(db) + file_bytes(db + "-wal");
  auto conn = test::open_store_database(db);
  EXPECT_TRUE(conn);
  if (!conn) return {};
  std::vector<std::string> selects;
  auto columns = conn->prepare(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = "
      "current_schema() ORDER BY table_name, ordinal_position");
  EXPECT_TRUE(columns) << columns.error().what();
  if (!columns) return {};
  EXPECT_TRUE(columns->each_row([&](const sql::Statement& c) {
    const auto column = "\"" + c.text(1) + "\"";
    const auto value = c.text(2) == "bytea" ? "encode(" + column + ", 'escape')" : column + "::text";
    selects.push_back("SELECT coalesce(string_agg(" + value + ", '|'), '') FROM \"" + c.text(0) + "\"");
  }));
  std::string out;
  for (const auto& q : selects) {
    auto st = conn->prepare(q);
    EXPECT_TRUE(st) << q << ": " << st.error().what();
    if (!st) continue;
    EXPECT_TRUE(st->each_row([&](const sql::Statement& r) { out += r.text(0) + "\n"; }));
  }
  return out;
}

/// Whether `stored` (raw_store) holds `value`: as written, or in PostgreSQL's escape form.
bool holds(const std::string& stored, std::string_view value) {
  return contains(stored, value) || (test::store_is_postgres() && contains(stored, pg_escape(value)));
}

class PrivacyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::ensure_key_file(key_file()));
    open();
  }

  std::string key_file() const { return dir_ / "store.keys"; }
  std::string db() const { return dir_ / "cases.db"; }

  std::shared_ptr<const crypto::KeyRing> load_keys() {
    BackendConfig cfg;
    cfg.key_file = key_file();
    auto keys = load_store_keys(cfg);
    EXPECT_TRUE(keys) << keys.error().what();
    return keys ? *keys : nullptr;
  }

  void open() {
    store_.reset();
    keys_ = load_keys();
    auto s = test::open_case_store(db(), 0, {}, {}, keys_);
    ASSERT_TRUE(s) << s.error().what();
    store_ = std::move(*s);
  }

  /// A hotline report with a caller's name and number; its case number.
  std::string submit(const std::string& vin, const std::string& text, std::int64_t at_ms,
                     std::optional<Contact> contact = Contact{kName, kPhone}) {
    envs_.push_back(std::make_unique<wire::Envelope>(test::valid_report_envelope(vin, text)));
    auto in = test::intake(*envs_.back(), at_ms);
    in.contact = std::move(contact);
    auto out = store_->commit_batch(std::vector<BatchItem>{std::move(in)}, test::simple_notifications());
    EXPECT_TRUE(out) << out.error().what();
    if (!out || !out->front().accepted) return {};
    return out->front().accepted->case_number;
  }

  /// Reads stored values as they are stored, through a connection of its own (no keys).
  std::vector<std::string> raw_values(const std::string& query, const std::string& file = {}) {
    auto raw = test::open_store_database(file.empty() ? db() : file);
    EXPECT_TRUE(raw);
    std::vector<std::string> out;
    if (!raw) return out;
    auto st = raw->prepare(query);
    EXPECT_TRUE(st) << st.error().what();
    if (!st) return out;
    auto rows = st->each_row([&](const sql::Statement& s) { out.push_back(s.is_null(0) ? "NULL" : s.blob(0)); });
    EXPECT_TRUE(rows) << rows.error().what();
    return out;
  }

  Result<TransitionOutcome> move(const std::string& number, CaseState to, std::int64_t at_ms) {
    TransitionRequest r{number, to, "li.na@after_sales", "test step", at_ms, {}, {}, {}};
    if (to == CaseState::assigned) r.assignee = "li.na";
    return store_->transition(r, render_);
  }

  test::TempDir dir_;
  std::shared_ptr<const crypto::KeyRing> keys_;
  std::unique_ptr<CaseStore> store_;
  std::vector<std::unique_ptr<wire::Envelope>> envs_;
  Notifier notifier_{test::shipped_rules().templates, test::shipped_rules().router};
  NoticeRenderer render_ = [this](const CaseNotice& n) { return notifier_.render(n); };
};

TEST_F(PrivacyTest, PersonalValuesAreSealedOnDiskAndReadBackInTheClear) {
  const auto number = submit(test::kVinA, kText, kT);
  ASSERT_FALSE(number.empty());

  // Neither the file nor its WAL holds the text, the name or the number, while the store is open
  // (the WAL has the commit) and after it closed (checkpointed into the file).
  for (int pass = 0; pass < 2; ++pass) {
    const auto bytes = raw_store(db());
    ASSERT_GT(bytes.size(), 0u);
    EXPECT_FALSE(contains(bytes, "PRIVTEXT")) << "pass " << pass;
    EXPECT_FALSE(contains(bytes, "PRIVNAME")) << "pass " << pass;
    EXPECT_FALSE(contains(bytes, kPhone)) << "pass " << pass;
    EXPECT_TRUE(contains(bytes, test::kVinA));  // the pseudonymous key stays in the clear
    store_.reset();
  }
  open();

  // Each column holds a sealed value under the current key.
  for (const auto* q : {"SELECT text FROM reports", "SELECT payload FROM reports", "SELECT name FROM contacts",
                        "SELECT phone FROM contacts"}) {
    for (const auto& v : raw_values(q)) EXPECT_TRUE(sql::is_sealed_value(v)) << q;
  }
  auto ids = raw_values("SELECT fb_key_id(phone) FROM contacts");
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], std::to_string(keys_->current_id()));

  // Read back: the console's detail (and the privacy export built on it), search, lookup by phone.
  auto d = store_->case_detail(number);
  ASSERT_TRUE(d) << d.error().what();
  ASSERT_TRUE(*d);
  ASSERT_TRUE((*d)->contact);
  EXPECT_EQ((*d)->contact->name, kName);
  EXPECT_EQ((*d)->contact->phone, kPhone);
  ASSERT_EQ((*d)->reports.size(), 1u);
  auto env = codec::decode((*d)->reports[0].payload);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->report().text(), kText);

  auto by_phone = store_->cases_of_subject("", kPhone);
  ASSERT_TRUE(by_phone);
  EXPECT_EQ(*by_phone, std::vector<std::string>{number});
  CaseQuery q;
  q.text = "PRIVTEXT";
  auto found = store_->search_cases(q);
  ASSERT_TRUE(found) << found.error().what();
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].case_number, number);
  // A duplicate (re-sent report) is recognised through the sealed payload.
  auto again = store_->commit_batch(std::vector<BatchItem>{test::intake(*envs_.back(), kT + 1)},
                                    test::simple_notifications());
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->front().accepted);
  EXPECT_TRUE(again->front().accepted->duplicate);
}

// The copies of people's words outside the report: the audit trail (a comment), what was said to
// the driver (a message), and a refused message kept as evidence (a dead letter with a number).
TEST_F(PrivacyTest, AuditTrailNotificationsAndDeadLettersAreSealedAndStillErasable) {
  const auto number = submit(test::kVinA, kText, kT);
  ASSERT_FALSE(number.empty());
  ASSERT_TRUE(store_->add_comment(number, "li.na", "PRIVCOMMENT she asked us to call 13912345678", kT + 1));
  auto sent = store_->send_message(number, "li.na", "PRIVMESSAGE we will call you at home", "message", kT + 2, render_);
  ASSERT_TRUE(sent) << sent.error().what();
  const auto topic_a = topics::reports(test::kVinA);
  const auto topic_b = topics::reports(test::kVinB);
  const std::string dead_a = "PRIVDEAD a refused report of " + std::string(test::kVinA);
  const std::string dead_b = std::string("PRIVDEAD callback to ") + kPhone;  // on another car's topic
  auto dead = store_->commit_batch(
      std::vector<BatchItem>{DeadLetterRecord{codec::sha256(dead_a), topic_a, DeadLetterReason::invalid_field,
                                              "bad field", dead_a, kT + 3},
                             DeadLetterRecord{codec::sha256(dead_b), topic_b, DeadLetterReason::invalid_field,
                                              "bad field", dead_b, kT + 4},
                             DeadLetterRecord{codec::sha256("kept"), topic_b, DeadLetterReason::invalid_field,
                                              "bad field", "PRIVKEPT", kT + 5}},
      test::simple_notifications());
  ASSERT_TRUE(dead) << dead.error().what();

  for (int pass = 0; pass < 2; ++pass) {
    const auto bytes = raw_store(db());
    for (const auto* word : {"PRIVCOMMENT", "PRIVMESSAGE", "PRIVDEAD", "PRIVKEPT"}) {
      EXPECT_FALSE(contains(bytes, word)) << word << ", pass " << pass;
    }
    store_.reset();
    open();
  }
  for (const auto* q : {"SELECT detail FROM case_events WHERE kind = 'comment'", "SELECT payload FROM notifications",
                        "SELECT payload FROM dead_letters"}) {
    const auto values = raw_values(q);
    EXPECT_FALSE(values.empty()) << q;
    for (const auto& v : values) EXPECT_TRUE(sql::is_sealed_value(v)) << q;
  }
  // The triage evidence stays readable for the statistics.
  for (const auto& v : raw_values("SELECT detail FROM case_events WHERE kind = 'created'")) {
    EXPECT_FALSE(sql::is_sealed_value(v));
  }

  // Read back in the clear: the timeline and what the car was sent.
  auto d = store_->case_detail(number);
  ASSERT_TRUE(d && *d) << (d ? "no case" : d.error().what());
  bool comment_read = false;
  for (const auto& e : (*d)->events) comment_read |= contains(e.detail, "PRIVCOMMENT");
  EXPECT_TRUE(comment_read);
  bool message_read = false;
  // (The fixture's "received" notification is a plain text, the message a real Envelope.)
  for (const auto& p : (*d)->notification_payloads) {
    EXPECT_TRUE(p.starts_with("payload for ") || codec::decode(p)) << "every notification payload opens";
    if (auto env = codec::decode(p)) message_read |= contains(env->notification().text(), "PRIVMESSAGE");
  }
  EXPECT_TRUE(message_read);
  auto due = store_->due_notifications(kT + kDay, 10);
  ASSERT_TRUE(due) << due.error().what();
  ASSERT_FALSE(due->empty());
  for (const auto& n : *due) {
    EXPECT_TRUE(n.payload.starts_with("payload for ") || codec::decode(n.payload)) << "the resend path gets it opened";
  }

  // Erasure still finds the dead letters inside their sealed payloads: by VIN, then by number.
  ASSERT_TRUE(store_->erase_subject(test::kVinA, "", "dpo", kT + kHour));
  EXPECT_EQ(raw_values("SELECT count(*) FROM dead_letters"), std::vector<std::string>{"2"});
  ASSERT_TRUE(store_->erase_subject("", kPhone, "dpo", kT + kHour));
  EXPECT_EQ(raw_values("SELECT count(*) FROM dead_letters"), std::vector<std::string>{"1"});
}

// A cluster's exemplar is a copy of its first report's words: erasing that report's car must not
// leave them there.
TEST_F(PrivacyTest, ErasingTheCarOfAClustersExemplarReplacesItWithWordsStillKept) {
  ASSERT_FALSE(submit(test::kVinA, "PRIVA the brakes squeal loudly when stopping at low speed", kT).empty());
  ASSERT_FALSE(submit(test::kVinB, "PRIVB the brakes squeal loudly when stopping at low speed", kT + 1).empty());
  auto exemplars = [&] {
    auto db_with_keys = test::open_store_database(db(), keys_);
    EXPECT_TRUE(db_with_keys);
    std::vector<std::string> out;
    auto st = db_with_keys->prepare(
        "SELECT fb_open(exemplar, 'clusters.exemplar:' || key || ':' || model || ':' || software_version || ':' || "
        "created_ms) FROM clusters ORDER BY id");
    EXPECT_TRUE(st) << st.error().what();
    if (st) {
      EXPECT_TRUE(st->each_row([&](const sql::Statement& s) { out.push_back(s.text(0)); }));
    }
    return out;
  };
  auto before = exemplars();
  ASSERT_EQ(before.size(), 1u) << "both reports in one cluster";
  EXPECT_TRUE(contains(before[0], "PRIVA"));

  ASSERT_TRUE(store_->erase_subject(test::kVinA, "", "dpo", kT + kHour));
  auto after = exemplars();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(contains(after[0], "PRIVB")) << after[0];
  ASSERT_TRUE(store_->erase_subject(test::kVinB, "", "dpo", kT + kHour));
  EXPECT_EQ(exemplars(), std::vector<std::string>{""});
}

// A case triaged out of its cluster takes its words out of the exemplar: an erasure of its car
// (which rewrites the exemplars of the car's clusters) would no longer find them there.
TEST_F(PrivacyTest, ACaseTriagedOutOfItsClusterTakesItsWordsOutOfTheExemplar) {
  const auto a = submit(test::kVinA, "PRIVA the brakes squeal loudly when stopping at low speed", kT);
  ASSERT_FALSE(submit(test::kVinB, "PRIVB the brakes squeal loudly when stopping at low speed", kT + 1).empty());
  auto exemplar = [&] {
    auto with_keys = test::open_store_database(db(), keys_);
    EXPECT_TRUE(with_keys);
    auto st = with_keys->prepare(
        "SELECT fb_open(exemplar, 'clusters.exemplar:' || key || ':' || model || ':' || software_version || ':' || "
        "created_ms) FROM clusters ORDER BY id");
    EXPECT_TRUE(st) << st.error().what();
    std::string out;
    if (st) {
      EXPECT_TRUE(st->each_row([&](const sql::Statement& s) { out += s.text(0); }));
    }
    return out;
  };
  ASSERT_TRUE(contains(exemplar(), "PRIVA"));
  auto triaged = store_->triage_case(a, [](const CaseSummary& c) -> Result<TriageDecision> {
    return TriageDecision{"dpo",      "the dealer's work",    kT + kHour,    CaseType::service_complaint,
                          c.priority, VehicleSystem::service, "after_sales", {},
                          {}};
  });
  ASSERT_TRUE(triaged) << triaged.error().what();
  EXPECT_TRUE(contains(exemplar(), "PRIVB")) << exemplar();
  EXPECT_FALSE(contains(exemplar(), "PRIVA"));
}

TEST_F(PrivacyTest, ASealedValueMovedToAnotherRowDoesNotOpen) {
  const auto a = submit(test::kVinA, "first PRIVTEXT", kT);
  const auto b = submit(test::kVinB, "second text", kT + 1, Contact{"Li", "13800000000"});
  auto raw = test::open_store_database(db());
  ASSERT_TRUE(raw);
  // Every contact gets the same sealed name: one of the two rows holds the other's now.
  ASSERT_TRUE(raw->exec("UPDATE contacts SET name = (SELECT min(name) FROM contacts)"));
  auto da = store_->case_detail(a);
  auto db_ = store_->case_detail(b);
  EXPECT_TRUE(!da || !db_);
  const auto& failed = !da ? da : db_;
  ASSERT_FALSE(failed);
  EXPECT_TRUE(contains(failed.error().what(), "authentication")) << failed.error().what();
}

TEST_F(PrivacyTest, EraseByVinLeavesNeitherPlainNorSealedBytes) {
  const auto number = submit(test::kVinA, kText, kT);
  const auto other = submit(test::kVinB, "another car's words", kT + 1, Contact{"Other", "13700000000"});
  ASSERT_FALSE(number.empty());
  // What is on disk for this subject before the erasure (the sealed values).
  std::vector<std::string> sealed;
  for (const auto* q :
       {"SELECT text FROM reports WHERE vin = 'LSVAX60E5K2000001'",
        "SELECT name FROM contacts k JOIN reports r USING (report_id) WHERE r.vin = 'LSVAX60E5K2000001'",
        "SELECT phone FROM contacts k JOIN reports r USING (report_id) WHERE r.vin = "
        "'LSVAX60E5K2000001'",
        "SELECT payload FROM reports WHERE vin = 'LSVAX60E5K2000001'"}) {
    auto v = raw_values(q);
    ASSERT_EQ(v.size(), 1u) << q;
    ASSERT_TRUE(sql::is_sealed_value(v[0])) << q;
    sealed.push_back(v[0]);
  }
  {
    const auto before = raw_store(db());
    for (const auto& s : sealed) {
      // Text columns are found as written; the payload's raw bytes too (a few, to avoid a page split).
      EXPECT_TRUE(holds(before, s.substr(0, 48)) || contains(file_bytes(db() + "-wal"), s.substr(0, 48)));
    }
  }

  auto erased = store_->erase_subject(test::kVinA, "", "dpo", kT + kHour);
  ASSERT_TRUE(erased) << erased.error().what();
  EXPECT_EQ(erased->contacts, 1);

  const auto after = raw_store(db());
  for (const auto& s : sealed) EXPECT_FALSE(holds(after, s.substr(8, 40)));
  EXPECT_FALSE(contains(after, "PRIVTEXT"));
  EXPECT_FALSE(contains(after, kPhone));
  EXPECT_FALSE(contains(after, test::kVinA));
  // The other subject is untouched and still opens.
  auto d = store_->case_detail(other);
  ASSERT_TRUE(d && *d);
  ASSERT_TRUE((*d)->contact);
  EXPECT_EQ((*d)->contact->phone, "13700000000");
}

TEST_F(PrivacyTest, EraseByPhoneFindsTheSealedNumber) {
  const auto number = submit(test::kVinA, kText, kT);
  auto erased = store_->erase_subject("", kPhone, "dpo", kT + kHour);
  ASSERT_TRUE(erased) << erased.error().what();
  EXPECT_EQ(erased->contacts, 1);
  EXPECT_EQ(erased->cases, 1);
  auto d = store_->case_detail(number);
  ASSERT_TRUE(d && *d);
  EXPECT_FALSE((*d)->contact);
  EXPECT_TRUE(raw_values("SELECT phone_mac FROM contacts").empty());
  EXPECT_FALSE(contains(raw_store(db()), "PRIVTEXT"));
}

TEST_F(PrivacyTest, RotationKeepsOldRowsReadableAndResealMovesThemToTheNewKey) {
  const auto old_case = submit(test::kVinA, kText, kT);
  const auto old_id = keys_->current_id();
  auto rotated = crypto::rotate_key_file(key_file());
  ASSERT_TRUE(rotated) << rotated.error().what();
  ASSERT_NE(*rotated, old_id);
  open();
  EXPECT_EQ(keys_->current_id(), *rotated);

  // Old rows still open; a new one is sealed under the new key; the lookup digest is unchanged.
  auto d = store_->case_detail(old_case);
  ASSERT_TRUE(d && *d) << (d ? "" : d.error().what());
  EXPECT_EQ((*d)->contact->phone, kPhone);
  submit(test::kVinB, "new words", kT + 1, Contact{"New", kPhone});
  auto by_phone = store_->cases_of_subject("", kPhone);
  ASSERT_TRUE(by_phone);
  EXPECT_EQ(by_phone->size(), 2u);
  auto ids = raw_values("SELECT fb_key_id(k.phone) FROM contacts k JOIN reports r USING (report_id) ORDER BY r.rowid");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], std::to_string(old_id));
  EXPECT_EQ(ids[1], std::to_string(*rotated));

  auto n = store_->reseal_personal_data();
  ASSERT_TRUE(n) << n.error().what();
  // The old report's text and payload, its contact's name and phone, its cluster's exemplar, its
  // "received" notification and one audit event of its case ("created" stays readable).
  EXPECT_EQ(*n, 7);
  for (const auto* q : {"SELECT fb_key_id(text) FROM reports", "SELECT fb_key_id(payload) FROM reports",
                        "SELECT fb_key_id(name) FROM contacts", "SELECT fb_key_id(phone) FROM contacts"}) {
    for (const auto& id : raw_values(q)) EXPECT_EQ(id, std::to_string(*rotated)) << q;
  }
  auto again = store_->reseal_personal_data();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  d = store_->case_detail(old_case);
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->contact->name, kName);
}

TEST_F(PrivacyTest, PlainRowsFromBeforeTheKeysAreSealedByReseal) {
  store_.reset();
  auto plain = test::open_case_store(db());
  ASSERT_TRUE(plain);
  store_ = std::move(*plain);
  const auto number = submit(test::kVinA, kText, kT);
  EXPECT_TRUE(contains(raw_store(db()), "PRIVTEXT"));  // the test can see plaintext when it is there
  open();
  // Readable before the reseal (not sealed yet), and found by phone after it.
  auto d = store_->case_detail(number);
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((*d)->contact->phone, kPhone);
  auto n = store_->reseal_personal_data();
  ASSERT_TRUE(n) << n.error().what();
  EXPECT_EQ(*n, 7);  // text, payload, name, phone, the cluster's exemplar, a notification, an event
  auto by_phone = store_->cases_of_subject("", kPhone);
  ASSERT_TRUE(by_phone);
  EXPECT_EQ(*by_phone, std::vector<std::string>{number});
  store_.reset();  // the last connection checkpoints the WAL into the file
  EXPECT_FALSE(contains(raw_store(db()), "PRIVTEXT"));
  EXPECT_FALSE(contains(raw_store(db()), kPhone));
}

// A driver's words may look like a sealed value ("enc:v1:" + base64 of the magic "fbE1"): they
// are sealed like any other with keys, escaped without, and never make a read fail.
TEST_F(PrivacyTest, ADriversTextThatLooksSealedIsStoredAndReadLikeAnyOther) {
  // (PostgreSQL's sealed text: "enc:p1:" and the base64 of "fbP1".)
  const std::string looks_sealed = test::store_is_postgres() ? "enc:p1:ZmJQMQ=="
                                                             : std::string(sql::kSealedTextPrefix) + "ZmJFMQ==";
  const auto with_keys = submit(test::kVinA, looks_sealed, kT);
  ASSERT_FALSE(with_keys.empty());
  // The next report of the car reads the first one's text (the merge candidates): no failure.
  EXPECT_FALSE(submit(test::kVinA, looks_sealed + " again", kT + kHour).empty());
  auto d = store_->case_detail(with_keys);
  ASSERT_TRUE(d && *d) << (d ? "no case" : d.error().what());
  EXPECT_EQ(codec::decode((*d)->reports.front().payload)->report().text(), looks_sealed);
  EXPECT_TRUE(store_->reseal_personal_data()) << "reseal must not trip over it";

  store_.reset();
  auto keyless = test::open_case_store(dir_ / "keyless.db");
  ASSERT_TRUE(keyless);
  store_ = std::move(*keyless);
  ASSERT_FALSE(submit(test::kVinB, looks_sealed, kT).empty());
  EXPECT_FALSE(submit(test::kVinB, looks_sealed + " again", kT + kHour).empty());
  EXPECT_EQ(raw_values("SELECT text FROM reports ORDER BY rowid LIMIT 1", dir_ / "keyless.db"),
            std::vector<std::string>{"enc:raw:" + looks_sealed});  // escaped on disk without keys
}

// A sealed text damaged on disk (its base64 broken, its header gone) reads as an error, and as
// NULL for the lookups that skip what they cannot open; never as if it were the driver's words.
/// SQLite's own sealed-text form (PostgreSQL seals on the server): not in the PostgreSQL run.
class PrivacySqliteTest : public PrivacyTest {};

TEST_F(PrivacySqliteTest, ADamagedSealedTextIsAnErrorNotPlainText) {
  if (test::store_is_postgres()) GTEST_SKIP() << "SQLite's sealed-text form";
  ASSERT_FALSE(submit(test::kVinA, kText, kT).empty());
  auto raw = test::open_store_database(db());
  ASSERT_TRUE(raw);
  for (const std::string& damaged :
       {std::string(sql::kSealedTextPrefix) + "!!!!", std::string(sql::kSealedTextPrefix) + "AAAA"}) {
    ASSERT_TRUE(raw->exec("UPDATE reports SET text = '" + damaged + "'"));
    auto opened = raw->query_int("SELECT length(fb_open(text, 'reports.text:' || report_id)) FROM reports");
    ASSERT_FALSE(opened) << damaged << " read as " << opened->value_or(-1) << " bytes of text";
    EXPECT_TRUE(contains(opened.error().what(), "damaged sealed value")) << opened.error().what();
    EXPECT_EQ(*raw->query_int(
                  "SELECT count(*) FROM reports WHERE fb_try_open(text, 'reports.text:' || report_id) IS NULL"),
              1);
  }
}

TEST_F(PrivacyTest, ASealedStoreWithoutKeysRefusesToReadRatherThanShowCiphertext) {
  const auto number = submit(test::kVinA, kText, kT);
  store_.reset();
  auto keyless = test::open_case_store(db());
  ASSERT_TRUE(keyless);
  auto d = (*keyless)->case_detail(number);
  ASSERT_FALSE(d);
  EXPECT_TRUE(contains(d.error().what(), "no key ring")) << d.error().what();
}

TEST(PrivacyKeys, AMissingOrOpenKeyFileIsRefusedWithItsName) {
  test::TempDir dir;
  BackendConfig cfg;
  cfg.key_file = dir / "absent.keys";
  auto missing = load_store_keys(cfg);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, make_error_code(CryptoErrc::key_file_missing));
  EXPECT_TRUE(contains(missing.error().what(), "absent.keys")) << missing.error().what();

  cfg.key_file = dir / "open.keys";
  ASSERT_TRUE(crypto::ensure_key_file(cfg.key_file));
  ASSERT_EQ(::chmod(cfg.key_file.c_str(), 0644), 0);
  auto insecure = load_store_keys(cfg);
  ASSERT_FALSE(insecure);
  EXPECT_EQ(insecure.error().code, make_error_code(CryptoErrc::key_file_insecure));
  EXPECT_TRUE(contains(insecure.error().what(), "open.keys")) << insecure.error().what();

  cfg.key_file.clear();
  auto none = load_store_keys(cfg);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, nullptr);
}

TEST_F(PrivacyTest, RetentionErasesClosedCasesIdleLongerThanThePeriodOnly) {
  const auto closed_old = submit(test::kVinA, kText, kT);
  const auto closed_recent = submit(test::kVinB, "recent words", kT, Contact{"Recent", "13600000000"});
  const auto open_old = submit("LSVAX60E5K2000003", "still open words", kT, Contact{"Open", "13500000000"});
  for (const auto& n : {closed_old, closed_recent}) {
    for (auto s : {CaseState::assigned, CaseState::in_progress, CaseState::resolved}) {
      auto moved = move(n, s, kT + kHour);
      ASSERT_TRUE(moved) << moved.error().what();
    }
  }
  ASSERT_TRUE(move(closed_old, CaseState::closed, kT + 2 * kHour));
  ASSERT_TRUE(move(closed_recent, CaseState::closed, kT + 40 * kDay));

  // Retention 30 days, run at day 45: only the case closed (and idle) since day 0 goes.
  const auto now = kT + 45 * kDay;
  auto n = store_->erase_closed_cases(now - 30 * kDay, now);
  ASSERT_TRUE(n) << n.error().what();
  EXPECT_EQ(*n, 1);
  auto d = store_->case_detail(closed_old);
  ASSERT_TRUE(d && *d);
  EXPECT_FALSE((*d)->contact);
  EXPECT_TRUE((*d)->reports[0].payload.empty());
  for (const auto& n2 : {closed_recent, open_old}) {
    auto kept = store_->case_detail(n2);
    ASSERT_TRUE(kept && *kept);
    EXPECT_TRUE((*kept)->contact) << n2;
  }
  EXPECT_FALSE(contains(raw_store(db()), kPhone));
  EXPECT_FALSE(contains(raw_store(db()), "PRIVNAME"));
  auto audit = raw_values("SELECT action || ' ' || subject FROM privacy_audit");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0], "retention cases:1");
  auto events = store_->case_events(closed_old);
  ASSERT_TRUE(events);
  EXPECT_EQ(events->back().kind, "privacy_retention");

  // A second pass finds nothing left to erase.
  auto again = store_->erase_closed_cases(now - 30 * kDay, now + kHour);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
}

TEST(PrivacyConfig, KeyFileIsRelativeToTheConfigAndRetentionIsInDays) {
  test::TempDir dir;
  std::ofstream(dir / "backend.json")
      << R"({"version": 1, "privacy": {"key_file": "store.keys", "retention_days": 90}})";
  auto c = load_config(dir / "backend.json", default_config());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->key_file, std::filesystem::path(dir / "store.keys"));
  EXPECT_EQ(c->service.personal_data_retention, std::chrono::hours(90 * 24));
  EXPECT_EQ(default_config().service.personal_data_retention.count(), 0);  // kept unless configured
  std::ofstream(dir / "bad.json") << R"({"version": 1, "privacy": {"retention_days": -1}})";
  auto bad = load_config(dir / "bad.json", default_config());
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().what(), "privacy")) << bad.error().what();
}

// The service runs the retention with its dead-letter purge, on its clock (a fake one here).
TEST(PrivacyService, ClosedCasesLoseTheirPersonalDataWhenTheRetentionHasPassed) {
  test::TempDir dir;
  boost::asio::io_context io;
  auto strand = boost::asio::make_strand(io);
  test::FakeClock clock;
  ASSERT_TRUE(crypto::ensure_key_file(dir / "store.keys"));
  BackendConfig cfg;
  cfg.key_file = dir / "store.keys";
  auto keys = load_store_keys(cfg);
  ASSERT_TRUE(keys);
  ServiceOptions options;
  options.personal_data_retention = std::chrono::hours(30 * 24);
  options.dead_letter_purge_every = std::chrono::hours(24);
  options.notification_check = std::chrono::hours(24);  // few timer steps over a month
  options.sla_check = std::chrono::hours(24);
  auto mqtt = std::make_shared<test::FakeMqtt::State>();
  auto rules = load_rules(test::kRulesDir);
  ASSERT_TRUE(rules);
  auto store = test::open_case_store(dir / "cases.db", 0, {}, {}, *keys);
  ASSERT_TRUE(store);
  Service service(strand, clock, options, std::move(*store), std::move(*rules),
                  std::make_unique<test::FakeMqtt>(strand, mqtt));
  ASSERT_TRUE(service.start());
  test::set_connected(*mqtt, true);
  test::run_ready(io);
  test::deliver(*mqtt, mqtt::Message{topics::reports(test::kVinA),
                                     codec::encode(test::valid_report_envelope(test::kVinA, kText))});
  test::run_ready(io);
  auto reader = test::open_case_store(dir / "cases.db", 0, {}, {}, *keys);
  ASSERT_TRUE(reader);
  auto cases = (*reader)->list_cases(10);
  ASSERT_TRUE(cases);
  ASSERT_EQ(cases->size(), 1u);
  const auto number = cases->front().case_number;
  for (auto to : {CaseState::assigned, CaseState::in_progress, CaseState::resolved, CaseState::closed}) {
    TransitionRequest r{number, to, "li.na@after_sales", "done", clock.epoch_ms(), "li.na", {}, {}};
    std::optional<Result<TransitionOutcome>> result;
    service.transition(r, [&](Result<TransitionOutcome> out) { result = std::move(out); });
    test::run_ready(io);
    ASSERT_TRUE(result && *result) << (result ? result->error().what() : "no answer");
  }
  const auto payload_of = [&] {
    auto d = (*reader)->case_detail(number);
    EXPECT_TRUE(d && *d);
    return d && *d ? (*d)->reports.at(0).payload : std::string("?");
  };
  test::run_for(io, clock, std::chrono::hours(29 * 24));
  EXPECT_FALSE(payload_of().empty());  // within the retention
  test::run_for(io, clock, std::chrono::hours(2 * 24));
  EXPECT_TRUE(payload_of().empty());  // past it: erased by the daily pass
  service.stop();
  test::run_ready(io);
}

// A measurement, not a check (run with --gtest_also_run_disabled_tests): what sealing and
// secure_delete cost a commit_batch of 512 reports with contacts, and an erasure.
TEST(PrivacyCost, DISABLED_CommitBatchWithAndWithoutSealing) {
  test::TempDir dir;
  ASSERT_TRUE(crypto::ensure_key_file(dir / "k"));
  BackendConfig cfg;
  cfg.key_file = dir / "k";
  auto keys = load_store_keys(cfg);
  ASSERT_TRUE(keys);
  for (int sealed = 0; sealed < 2; ++sealed) {
    auto store = open_sqlite_case_store(dir / ("c" + std::to_string(sealed) + ".db"), 0, {}, {},
                                        sealed ? *keys : nullptr);
    ASSERT_TRUE(store);
    std::vector<wire::Envelope> envs;
    double best_ms = 1e9;
    for (int round = 0; round < 10; ++round) {
      envs.clear();
      envs.reserve(512);
      std::vector<BatchItem> items;
      for (int i = 0; i < 512; ++i) {
        envs.push_back(test::valid_report_envelope("LSVAX60E5K2" + std::to_string(100000 + round * 512 + i),
                                                   "刹车异响 brake squeal " + std::to_string(i)));
      }
      for (auto& e : envs) {
        auto in = test::intake(e, kT + round);
        in.contact = Contact{"Name", "139" + e.report().vin().substr(9)};
        items.emplace_back(std::move(in));
      }
      const auto t0 = std::chrono::steady_clock::now();
      auto out = (*store)->commit_batch(items, test::simple_notifications());
      const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      ASSERT_TRUE(out);
      best_ms = std::min(best_ms, ms);
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*store)->erase_subject("LSVAX60E5K2" + std::to_string(100000 + i), "", "dpo", kT + kHour));
    }
    const auto erase_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: commit_batch(512 reports + contacts) best of 10: %.1f ms; 100 erasures by VIN: %.1f ms\n",
                sealed ? "sealed" : "plain ", best_ms, erase_ms);
  }
  // secure_delete alone, on a plain table: 2,000 rows of 1 KiB inserted, then deleted.
  for (int on = 0; on < 2; ++on) {
    auto db = sql::Database::open(dir / ("sd" + std::to_string(on) + ".db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec(std::string("PRAGMA secure_delete=") + (on ? "ON" : "OFF")));
    ASSERT_TRUE(db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)"));
    ASSERT_TRUE(db->exec("INSERT INTO t(v) SELECT randomblob(1024) FROM generate_series(1, 2000)") ||
                db->exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                         "INSERT INTO t(v) SELECT randomblob(1024) FROM n"));
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 1; i <= 2000; i += 20) {
      ASSERT_TRUE(db->exec("DELETE FROM t WHERE id BETWEEN " + std::to_string(i) + " AND " + std::to_string(i + 19)));
    }
    const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("secure_delete=%s: 100 delete transactions of 20 x 1 KiB rows: %.1f ms\n", on ? "ON " : "OFF", ms);
  }
}

}  // namespace
}  // namespace fb::backend
