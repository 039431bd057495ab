// What the broker's TLS and ACL must stop, tried with real certificates.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace fb::test {
namespace {

class Security : public IntegrationTest {};

TEST_F(Security, AVehicleCannotPublishIntoAnotherVehiclesReports) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  RawClient a(*broker_, kVinA, pki_->vehicle(kVinA), {topics::inbox(kVinA)});
  auto forged = valid_report_envelope(kVinB);  // consistent with B's topic: only the ACL can stop it
  ASSERT_TRUE(a.publish(topics::reports(kVinB), codec::encode(forged)));
  auto own = valid_report_envelope(kVinA);
  ASSERT_TRUE(a.publish(topics::reports(kVinA), codec::encode(own)));
  // The broker keeps one client's order: once A's own report is answered, the forged one
  // would have been handled before it.
  ASSERT_TRUE(
      a.next([&](const wire::Envelope& e) { return e.has_ack() && e.ack().report_id() == own.report().report_id(); }));
  auto store = open_cases(backend.db());
  EXPECT_FALSE(*store->find_case_by_report(forged.report().report_id()));
  EXPECT_EQ(store->counts()->dead_letters, 0);
  EXPECT_EQ(store->counts()->cases, 1);
}

TEST_F(Security, AVehicleCannotReadAnotherVehiclesInbox) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  // Mosquitto 2.0 grants the SUBACK and then delivers nothing; either way A must see nothing.
  RawClient a(*broker_, kVinA, pki_->vehicle(kVinA), {topics::inbox(kVinB), "vehicles/+/inbox", topics::inbox(kVinA)});

  Car b(*broker_, *pki_, kVinB, dir_ / "car-b.db");
  const auto id = b.submit("Brake squeal", "en");
  ASSERT_TRUE(b.wait_notified({id}));

  auto own = valid_report_envelope(kVinA);
  ASSERT_TRUE(a.publish(topics::reports(kVinA), codec::encode(own)));
  ASSERT_TRUE(a.next([&](const wire::Envelope& e) {
    return e.has_notification() && e.notification().report_id() == own.report().report_id();
  }));
  for (const auto& m : a.all()) {
    EXPECT_EQ(m.topic, topics::inbox(kVinA)) << "A received a message on " << m.topic;
    auto env = codec::decode(m.payload);
    ASSERT_TRUE(env);
    if (env->has_notification()) {
      EXPECT_NE(env->notification().report_id(), id);
    }
  }
}

// Only the backend writes to a car's inbox: a car forging a notice, for another car or for
// itself (to make its own head unit show a fake "resolved" or a dealer's slot), is refused by the
// ACL and reaches nobody.
TEST_F(Security, AVehicleCannotWriteIntoAnyInbox) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  RawClient a(*broker_, kVinA, pki_->vehicle(kVinA), {topics::inbox(kVinA)});
  RawClient b(*broker_, kVinB, pki_->vehicle(kVinB), {topics::inbox(kVinB)});
  auto forged = codec::new_envelope(1);
  forged.mutable_notification()->set_report_id(new_uuid());
  forged.mutable_notification()->set_title("FORGED resolved, no need to visit");
  ASSERT_TRUE(a.publish(topics::inbox(kVinB), codec::encode(forged)));
  ASSERT_TRUE(a.publish(topics::inbox(kVinA), codec::encode(forged)));
  // A's order through the broker: its report is answered after the forgeries were handled.
  auto own_a = valid_report_envelope(kVinA);
  ASSERT_TRUE(a.publish(topics::reports(kVinA), codec::encode(own_a)));
  ASSERT_TRUE(a.next(
      [&](const wire::Envelope& e) { return e.has_ack() && e.ack().report_id() == own_a.report().report_id(); }));
  // B's inbox queue holds anything routed to it before the answer to B's own report.
  auto own_b = valid_report_envelope(kVinB);
  ASSERT_TRUE(b.publish(topics::reports(kVinB), codec::encode(own_b)));
  ASSERT_TRUE(b.next(
      [&](const wire::Envelope& e) { return e.has_ack() && e.ack().report_id() == own_b.report().report_id(); }));
  for (auto* client : {&a, &b}) {
    for (const auto& m : client->all()) {
      auto env = codec::decode(m.payload);
      ASSERT_TRUE(env) << "an unreadable message on " << m.topic;
      EXPECT_FALSE(env->has_notification() && env->notification().title().starts_with("FORGED"))
          << "a forged notice reached " << m.topic;
    }
  }
}

TEST_F(Security, AVehicleCannotTakeOverAnotherVehiclesSession) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  Car b(*broker_, *pki_, kVinB, dir_ / "car-b.db");
  ASSERT_TRUE(b.wait_connected());
  // A asks for B's client id; the broker uses A's certificate name instead.
  RawClient a(*broker_, kVinB, pki_->vehicle(kVinA));
  const auto id = b.submit("Screen freezes", "en", wire::CATEGORY_UI);
  ASSERT_TRUE(b.wait_notified({id}));
  EXPECT_EQ(b.disconnects(), 0);
  EXPECT_GE(broker_->process().count_lines("as " + std::string(kVinA) + " "), 1u);
}

TEST_F(Security, OnlyCertificatesFromOurCaAreAccepted) {
  TempDir other;
  Pki foreign(other / "pki", {kVinA});  // a different CA issuing the same VIN
  const auto common = "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(broker_->port()) + " -q 1 -t " +
                      topics::reports(kVinA) + " -m x --cafile " + pki_->dir() + "/ca/ca.crt";
  const auto foreign_files = foreign.vehicle(kVinA);
  std::string out;
  EXPECT_NE(run_command(common + " --cert " + foreign_files.cert_file.string() + " --key " +
                            foreign_files.key_file.string(),
                        &out),
            0)
      << out;
  EXPECT_NE(run_command(common, &out), 0) << "connected without a client certificate: " << out;
  const auto ours = pki_->vehicle(kVinA);
  EXPECT_EQ(run_command(common + " --cert " + ours.cert_file.string() + " --key " + ours.key_file.string(), &out), 0)
      << out;
}

}  // namespace
}  // namespace fb::test
