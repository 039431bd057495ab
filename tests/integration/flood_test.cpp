// Fair share under a real flood (issue 11): while an authenticated car floods the broker with
// mosquitto_pub (QoS 1 garbage at full speed), an honest car's reports are acknowledged within a
// stated bound, nothing the backend took is dropped, and the flood is counted.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>

#include "harness.hpp"

namespace fb::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kVinC = "LSVAX60E5K2000003";
/// docs/deploy.md states it: an honest car's report is acknowledged within this while another
/// VIN floods at full speed (measured: see the test's output line "flood: ...").
constexpr auto kHonestAckBound = 5s;
/// Under a sanitizer the backend refuses a flood some ten times slower than mosquitto_pub sends
/// it, so an endless flood fills the broker's queue for the backend ahead of the honest report:
/// there the flood is finite and only the behaviour is checked (acknowledged, nothing dropped),
/// not the time bound.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
constexpr int kFloodMessages = kSanitized ? 4000 : 10'000'000;

struct FloodCars {
  static std::vector<std::string> vins() { return {kVinA, kVinB, kVinC}; }
};
class Flood : public BrokerTest<FloodCars> {
 protected:
  // mosquitto_pub as `vin` (its own certificate), publishing `payload` `repeat` times at `qos`.
  std::unique_ptr<Process> flooder(const std::string& vin, int qos, const std::string& payload, int repeat) {
    const auto tls = pki_->vehicle(vin);
    return std::make_unique<Process>("flood-" + vin,
                                     std::vector<std::string>{"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p",
                                                              std::to_string(broker_->port()), "--cafile",
                                                              tls.ca_file.string(), "--cert", tls.cert_file.string(),
                                                              "--key", tls.key_file.string(), "-q", std::to_string(qos),
                                                              "-t", topics::reports(vin), "-m", payload, "--repeat",
                                                              std::to_string(repeat)});
  }
};

TEST_F(Flood, AnHonestCarIsAcknowledgedWithinTheBoundWhileAnotherFloodsAtQos1) {
  auto config = backend::default_config();  // the production limits
  config.mqtt = client_options(*broker_, "fb-backend", pki_->backend());
  config.database = dir_ / "cases.db";
  config.rules_dir = kRulesDir;
  InProcessBackend backend(config);
  ASSERT_TRUE(backend.start());
  Car honest(*broker_, *pki_, kVinB, dir_ / "car-b.db");  // the car's own 30 s resend
  ASSERT_TRUE(honest.wait_connected());

  // FB_FLOOD_QOS0=1 adds a QoS 0 flood at full speed: it still starves the honest car at the
  // broker (docs/deploy.md, "The bound"), so it is not part of the default run.
  const bool with_qos0 = std::getenv("FB_FLOOD_QOS0") != nullptr;
  auto qos0 = with_qos0 ? flooder(kVinA, 0, "x", kFloodMessages) : nullptr;
  auto qos1 = flooder(kVinC, 1, "garbage", kFloodMessages);
  // The floods are under way once the backend has refused some of each.
  const auto flooding = [&] {
    const auto s = backend.stats().admission;
    return (!with_qos0 || s.qos0 > 1000) && s.rate_limited > 1000;
  };
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!flooding() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);  // polling
  ASSERT_TRUE(flooding()) << "the floods did not reach the backend: QoS 0 refused " << backend.stats().admission.qos0
                          << ", rate limited " << backend.stats().admission.rate_limited << ", received "
                          << backend.stats().received << "\n"
                          << (qos0 ? qos0->output() : "") << qos1->output();

  std::chrono::steady_clock::duration worst{};
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto id = honest.submit("Brake squeal " + std::to_string(i), "en");
    ASSERT_TRUE(honest.wait_acknowledged({id}, 1))
        << "not acknowledged; refused QoS 0 " << backend.stats().admission.qos0 << ", rate limited "
        << backend.stats().admission.rate_limited << ", received " << backend.stats().received;
    worst = std::max(worst, std::chrono::steady_clock::now() - t0);
  }
  const auto s = backend.stats();
  if (qos0) qos0->kill_and_wait(SIGKILL);
  qos1->kill_and_wait(SIGKILL);
  const auto worst_ms = std::chrono::duration_cast<std::chrono::milliseconds>(worst).count();
  std::printf(
      "flood: honest ack worst %lld ms over 5 reports; refused QoS 0 %llu, rate limited %llu, "
      "received %llu, back-pressure waits %llu, dropped %llu\n",
      static_cast<long long>(worst_ms), static_cast<unsigned long long>(s.admission.qos0),
      static_cast<unsigned long long>(s.admission.rate_limited), static_cast<unsigned long long>(s.received),
      static_cast<unsigned long long>(s.backpressure_waits), static_cast<unsigned long long>(s.dropped_overload));
  if (!kSanitized) {
    EXPECT_LE(worst, kHonestAckBound);
  }
  EXPECT_EQ(s.dropped_overload, 0u) << "a message the backend took was dropped";
  // The QoS 1 flooder's garbage: its burst reached ingest, one dead letter (the same payload).
  backend.stop();
  auto store = open_cases(config.database);
  EXPECT_LE(store->counts()->dead_letters, 2);
}

}  // namespace
}  // namespace fb::test
