// Privacy at rest on the car (docs/privacy.md): the outbox and the car's own records hold the
// driver's words and number sealed; the raw file and its WAL never show them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "../common/report_fixture.hpp"
#include "fb/agent/agent.hpp"
#include "fb/agent/car_store.hpp"
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

  CarStore open() {
    AgentConfig config;
    config.database = db();
    config.key_file = dir_ / "car.keys";
    config.storage.clock_valid_from_ms = 0;
    auto keys = load_store_keys(config);
    EXPECT_TRUE(keys) << keys.error().what();
    auto s = CarStore::open(config.database, config.storage);
    if (!s) throw std::runtime_error(s.error().what());
    return std::move(*s);
  }

  test::TempDir dir_;
};

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

  const auto bytes = raw();
  EXPECT_FALSE(contains(bytes, "PRIVTEXT"));
  EXPECT_FALSE(contains(bytes, "139-1234"));
  EXPECT_FALSE(contains(bytes, "PRIVREPLY"));
  EXPECT_FALSE(contains(bytes, "PRIVDRAFT"));
  EXPECT_FALSE(contains(bytes, "137-7777"));
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

}  // namespace
}  // namespace fb::agent
