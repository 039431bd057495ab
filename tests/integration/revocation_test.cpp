// Issue 11: a stolen head-unit key is locked out. deploy/revoke-vehicle.sh revokes the vehicle's
// certificate in the CA database, writes the CRL the broker loads (crlfile) and reloads the broker
// (SIGHUP); from then on the broker refuses the TLS handshake with that certificate, and the other
// cars are not disturbed.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.hpp"

namespace fb::test {
namespace {

constexpr const char* kVinC = "LSVAX60E5K2000003";

struct ThreeCars {
  static std::vector<std::string> vins() { return {kVinA, kVinB, kVinC}; }
};

class Revocation : public BrokerTest<ThreeCars> {
 protected:
  /// What a thief copied from the head unit before the revocation: `<dir>/vehicles/<vin>/*`.
  std::string steal(const std::string& vin) {
    auto pki = dir_ / ("stolen-" + vin);
    std::filesystem::create_directories(pki + "/vehicles");
    std::filesystem::copy(pki_->dir() + "/vehicles/" + vin, pki + "/vehicles/" + vin);
    return pki;
  }
  /// deploy/revoke-vehicle.sh with the running broker's pid; waits until the broker reloaded.
  void revoke(const std::string& vin) {
    std::string out;
    ASSERT_EQ(run_command(std::string(kDeployDir) + "/revoke-vehicle.sh " + pki_->dir() + " " + vin + " --broker-pid " +
                              std::to_string(broker_->process().pid()),
                          &out),
              0)
        << out;
    // Mosquitto is one thread: a handshake it takes after this line is checked with the new CRL.
    ASSERT_TRUE(broker_->process().wait_for_line("Reloading config", kWait));
  }
  /// mosquitto_pub with the vehicle's files in `pki`: 0 when the broker took the message.
  int publish_status(const std::string& pki, const std::string& vin, std::string* out) {
    const auto files = pki + "/vehicles/" + vin;
    return run_command("mosquitto_pub -h 127.0.0.1 -p " + std::to_string(broker_->port()) + " -q 1 -t " +
                           topics::status(vin) + " -m x --cafile " + pki_->dir() + "/ca/ca.crt --cert " + files +
                           "/client.crt --key " + files + "/client.key",
                       out);
  }
  static constexpr const char* kRefused = "certificate verify failed";

  /// Waits until the broker has logged `n` refused handshakes in all: it logs after the client
  /// has already given up, so the line may come a little after the refusal itself.
  bool wait_for_refusals(std::size_t n) {
    std::size_t seen = 0;
    for (std::size_t i = 0; seen < n; ++i) {
      auto line = broker_->process().line(i, kWait);
      if (!line) return false;
      if (line->find(kRefused) != std::string::npos) ++seen;
    }
    return true;
  }
};

TEST_F(Revocation, ARevokedCarIsRefusedAtTheHandshakeAndCreatesNoCaseWhileTheOthersCarryOn) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  Car honest(*broker_, *pki_, kVinB, dir_ / "car-b.db");
  const auto before = honest.submit("Brake squeal at low speed", "en");
  ASSERT_TRUE(honest.wait_notified({before}));

  const auto stolen = steal(kVinA);
  std::string out;
  ASSERT_EQ(publish_status(stolen, kVinA, &out), 0) << "the key worked before its revocation: " << out;
  revoke(kVinA);
  EXPECT_FALSE(std::filesystem::exists(pki_->dir() + "/vehicles/" + kVinA)) << "kept where gen-certs.sh would reuse it";

  EXPECT_NE(publish_status(stolen, kVinA, &out), 0) << "a revoked certificate connected: " << out;
  EXPECT_TRUE(wait_for_refusals(1)) << "the broker did not log the refused handshake";
  // The thief's head unit with the stolen files: it saves a report and never gets a link.
  out.clear();
  const std::string car = std::string(kCarBin) + " --vin " + kVinA + " --broker " + broker_->uri() + " --pki " +
                          stolen + " --db " + (dir_ / "thief.db") + " --wait 2";
  EXPECT_EQ(run_command(car + " send --category noise --text 'rattle from the dashboard'", &out), 3) << out;
  EXPECT_NE(out.find("saved report"), std::string::npos) << out;
  EXPECT_EQ(out.find("connected to broker"), std::string::npos) << out;
  EXPECT_TRUE(wait_for_refusals(2)) << "the broker did not log the thief's refused handshake";

  // The honest car kept its connection through the reload and still reports.
  const auto after = honest.submit("Wind noise from the mirror", "en");
  ASSERT_TRUE(honest.wait_notified({after}));
  EXPECT_EQ(honest.disconnects(), 0);
  auto store = open_cases(backend.db());
  EXPECT_EQ(store->counts()->cases, 2) << "a case from the revoked car";
  EXPECT_EQ(store->counts()->dead_letters, 0);
}

// Mosquitto 2.0.11 checks the CRL at the handshake only: a connection the revoked car has open
// survives the reload (docs/deploy.md), and a broker restart (revoke-vehicle.sh --restart) cuts it.
TEST_F(Revocation, AConnectionOpenAtTheRevocationLastsUntilTheBrokerRestartsAndThenIsRefused) {
  BackendProcess backend(*broker_, *pki_, dir_ / "cases.db");
  const auto stolen = steal(kVinC);
  RawClient thief(*broker_, kVinC, mqtt::tls_files_in(stolen + "/vehicles/" + kVinC), {topics::inbox(kVinC)});
  Car honest(*broker_, *pki_, kVinB, dir_ / "car-b.db");
  ASSERT_TRUE(honest.wait_connected());
  revoke(kVinC);

  // What the reload does not do: the open session still delivers.
  auto open_session = valid_report_envelope(kVinC);
  ASSERT_TRUE(thief.publish(topics::reports(kVinC), codec::encode(open_session)));
  ASSERT_TRUE(thief.next([&](const wire::Envelope& e) {
    return e.has_ack() && e.ack().report_id() == open_session.report().report_id();
  }));

  broker_->stop();
  broker_->start();
  // The thief's client reconnects on its own and is refused; the honest car is back and reports.
  EXPECT_TRUE(broker_->process().wait_for_line(kRefused, kWait));
  const auto id = honest.submit("Seat heater does not switch off", "en");
  ASSERT_TRUE(honest.wait_notified({id}));
  EXPECT_EQ(broker_->process().count_lines("as " + std::string(kVinC) + " "), 0u) << "the revoked car got back in";
}

}  // namespace
}  // namespace fb::test
