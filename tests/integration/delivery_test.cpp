// Issue 11, delivery honesty. The backend's MQTT client (Paho C 1.3) acknowledges a report to the
// broker (PUBACK) when it reads it, before the case is committed; a backend killed in between has
// taken the report from the broker and stored nothing. What makes the report arrive anyway is the
// sender's resend of the same message until the application Ack on its inbox (docs/protocol.md,
// "Delivery contract"). These tests kill the backend exactly there: the test holds the case
// store's write lock, so the backend can read and PUBACK but not commit, and Mosquitto's debug
// log says when its PUBACK came. The kill at random points is
// EndToEnd.ABackendKilledMidBurstLosesNothingAndDuplicatesNothing.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <thread>

#include "fb/common/sqlite.hpp"
#include "harness.hpp"

namespace fb::test {
namespace {

constexpr const char* kBackendPubacked = "Received PUBACK from fb-backend";

/// The case store's write lock, held from construction to release(): the backend's commits wait.
class WriteLock {
 public:
  explicit WriteLock(const std::string& db) {
    auto d = sql::Database::open(db, sql::OpenOptions{.create = false});
    if (!d) throw std::runtime_error(d.error().what());
    db_ = std::move(*d);
    if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) throw std::runtime_error(r.error().what());
  }
  ~WriteLock() { release(); }
  void release() {
    if (!held_) return;
    held_ = false;
    (void)db_.exec("ROLLBACK");
    db_ = sql::Database();
  }

 private:
  sql::Database db_;
  bool held_ = true;
};

/// Polls `pred` until it holds or `timeout` ends: for what only the store shows (a receipt's
/// commit in the backend has no other sign outside its process).
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = kWait) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class Delivery : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    // Debug log: Mosquitto writes a line for each PUBACK it gets.
    std::ofstream(dir_ / "broker/mosquitto.conf", std::ios::app) << "log_type debug\n";
    broker_->stop();
    broker_->start();
  }
};

TEST_F(Delivery, TheCarsResendDeliversAReportTheBackendAcknowledgedToTheBrokerButDiedBeforeStoring) {
  const auto db = dir_ / "cases.db";
  BackendProcess backend(*broker_, *pki_, db);
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db", agent::SendScheduler::Policy{.ack_timeout = 1500ms});
  ASSERT_TRUE(car.wait_connected());
  std::string id;
  {
    WriteLock lock(db);
    id = car.submit("Rattle from the glovebox", "en");
    ASSERT_TRUE(broker_->process().wait_for_line(kBackendPubacked, kWait));
    backend.kill();
  }
  backend.start();
  ASSERT_TRUE(car.wait_notified({id}));
  auto store = open_cases(db);
  auto c = store->find_case_by_report(id);
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->case_number, car.case_number(id));
  EXPECT_EQ(store->counts()->cases, 1);
  // It arrived through the car's resend: the broker had nothing left for the new backend.
  EXPECT_GE(broker_->process().count_lines("Received PUBLISH from " + std::string(kVinA) + " .*reports"), 2u);
}

// The same for a driver's answer: the car keeps it until the backend's AnswerStored, so the
// driver's words survive a backend killed after its PUBACK and before its commit.
TEST_F(Delivery, TheCarsResendDeliversADriversAnswerTheBackendAcknowledgedToTheBrokerButDiedBeforeStoring) {
  const auto db = dir_ / "cases.db";
  BackendProcess backend(*broker_, *pki_, db);
  Car car(*broker_, *pki_, kVinA, dir_ / "car.db", agent::SendScheduler::Policy{.ack_timeout = 1500ms});
  ASSERT_TRUE(car.wait_connected());
  const auto id = car.submit("Rattle from the glovebox", "en");
  ASSERT_TRUE(car.wait_notified({id}));
  const auto number = car.case_number(id);
  // Nothing else of the car's on its way to the backend (a receipt's PUBACK would pass for the
  // reply's below): the outbox is empty and the backend has PUBACKed each of the car's messages.
  const auto car_publishes = [&] {
    return broker_->process().count_lines("Received PUBLISH from " + std::string(kVinA) + " .*(reports|receipts)");
  };
  ASSERT_TRUE(eventually([&] {
    std::promise<agent::AgentStats> s;
    car.agent().stats([&](agent::AgentStats st) { s.set_value(st); });
    return s.get_future().get().outbox == 0 && broker_->process().count_lines(kBackendPubacked) >= car_publishes();
  }));
  const auto pubacks_before = broker_->process().count_lines(kBackendPubacked);
  const auto receipts_before = broker_->process().count_lines("Received PUBLISH from " + std::string(kVinA) +
                                                              " .*receipts");
  std::string reply_id;
  {
    WriteLock lock(db);
    std::promise<Result<std::string>> queued;
    car.agent().reply(id, "It rattles only below 10 degrees",
                      [&](Result<std::string> r) { queued.set_value(std::move(r)); });
    auto r = queued.get_future().get();
    ASSERT_TRUE(r) << r.error().what();
    reply_id = *r;
    ASSERT_TRUE(eventually([&] { return broker_->process().count_lines(kBackendPubacked) > pubacks_before; }));
    backend.kill();
  }
  backend.start();
  const auto stored = car.wait_answers_stored(1);
  ASSERT_TRUE(stored.contains(reply_id)) << "the answer never reached the new backend";
  EXPECT_FALSE(stored.at(reply_id));
  const auto events = open_cases(db)->case_events(number).value();
  EXPECT_EQ(std::count_if(events.begin(), events.end(),
                          [](const backend::CaseEvent& e) {
                            return e.kind == "driver_message" && e.detail.find("below 10 degrees") != std::string::npos;
                          }),
            1);
  EXPECT_GE(broker_->process().count_lines("Received PUBLISH from " + std::string(kVinA) + " .*receipts"),
            receipts_before + 2)
      << "the reply went once: the broker, not the car's resend, delivered it";
}

TEST_F(Delivery, QoS1AloneLosesAReportAcrossABackendKillAndResendingUntilTheAckDeliversIt) {
  const auto db = dir_ / "cases.db";
  BackendProcess backend(*broker_, *pki_, db);
  // A third-party client: raw MQTT with the vehicle's certificate, no outbox of ours.
  RawClient client(*broker_, kVinA, pki_->vehicle(kVinA), {topics::inbox(kVinA)});
  const auto report = valid_report_envelope(kVinA);
  const auto bytes = codec::encode(report);  // every resend is these bytes: same message id
  const auto id = report.report().report_id();
  const auto acked = [](const std::string& report_id) {
    return [report_id](const wire::Envelope& e) { return e.has_ack() && e.ack().report_id() == report_id; };
  };
  {
    WriteLock lock(db);
    ASSERT_TRUE(client.publish(topics::reports(kVinA), bytes));  // the broker's PUBACK: QoS 1 is done
    ASSERT_TRUE(broker_->process().wait_for_line(kBackendPubacked, kWait));
    backend.kill();
  }
  backend.start();

  // QoS 1 alone: gone. The broker keeps one client's order, so once a later report of the same
  // client is answered, the first would have been answered before it had the broker kept it.
  const auto probe = valid_report_envelope(kVinA);
  ASSERT_TRUE(client.publish(topics::reports(kVinA), codec::encode(probe)));
  ASSERT_TRUE(client.next(acked(probe.report().report_id())));
  for (const auto& m : client.all()) {
    auto env = codec::decode(m.payload);
    ASSERT_TRUE(env);
    EXPECT_FALSE(acked(id)(*env)) << "the backend answered a report its predecessor took and lost";
  }
  EXPECT_FALSE(*open_cases(db)->find_case_by_report(id));

  // The contract: the same message again, every few seconds, until the Ack on the inbox.
  std::optional<mqtt::Message> ack;
  for (int attempt = 0; attempt < 5 && !ack; ++attempt) {
    ASSERT_TRUE(client.publish(topics::reports(kVinA), bytes));
    ack = client.next(acked(id), std::chrono::seconds(5));
  }
  ASSERT_TRUE(ack);
  auto env = codec::decode(ack->payload);
  ASSERT_TRUE(env && env->ack().has_accepted());
  EXPECT_FALSE(env->ack().accepted().duplicate());
  auto store = open_cases(db);
  EXPECT_TRUE(*store->find_case_by_report(id));
  EXPECT_EQ(store->counts()->cases, 2);
}

// `fb-car send` for a known problem: the backend answers with the ack (carrying "received") and
// then the workaround as a notification of its own, resent until the car's delivered receipt.
// fb-car used to stop at the ack; now it stops once its receipts are with the broker.
TEST_F(Delivery, FbCarSendStopsOnlyAfterTheReceiptsOfWhatItReceivedSoNothingIsResent) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  const std::string car = std::string(kCarBin) + " --vin " + kVinA + " --software 2.3.0 --broker " + broker_->uri() +
                          " --pki " + pki_->dir() + " --db " + (dir_ / "cli-car.db") + " --wait 30";
  std::string out;
  ASSERT_EQ(run_command(car + " send --category ui --lang en --text 'The screen froze on the highway'", &out), 0)
      << out;
  EXPECT_NE(out.find("volume knob"), std::string::npos) << "no workaround printed:\n" << out;
  EXPECT_EQ(out.find("receipt(s) not taken"), std::string::npos) << out;
  auto store = open_cases(backend.db());
  EXPECT_TRUE(eventually([&] { return store->counts()->notifications_undelivered == 0; }))
      << "a notification is left for the backend to resend: " << store->counts()->notifications_undelivered;
  EXPECT_EQ(store->counts()->cases, 1);
}

}  // namespace
}  // namespace fb::test
