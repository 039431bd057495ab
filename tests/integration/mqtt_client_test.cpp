// The Paho wrapper against the real broker: what the agent and the backend rely on.
#include <gtest/gtest.h>

#include <atomic>

#include "harness.hpp"

namespace fb::test {
namespace {

class MqttClient : public IntegrationTest {};

struct Counter {
  std::mutex mu;
  std::condition_variable cv;
  int received = 0;
  int completed = 0;
  int failed = 0;
  std::optional<Error> first_failure;

  bool wait(int n_received, int n_completed) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kWait, [&] { return received >= n_received && completed >= n_completed; });
  }
};

TEST_F(MqttClient, AnswersToAPersistentSessionsBacklogAreNotRefused) {
  constexpr int kBacklog = 3000;
  {
    RawClient backend(*broker_, "fb-backend", pki_->backend());  // creates the persistent session
    ASSERT_TRUE(backend.subscribe(std::string(topics::all_reports)));
  }
  {
    RawClient car(*broker_, kVinA, pki_->vehicle(kVinA));
    for (int i = 0; i < kBacklog; ++i) ASSERT_TRUE(car.publish(topics::reports(kVinA), "report " + std::to_string(i)));
  }
  // The backlog starts arriving right after CONNACK, before the re-subscription's SUBACK; a
  // backend answers each message at once and none of those answers may be refused.
  Counter c;
  auto client = mqtt::make_paho_client(client_options(*broker_, "fb-backend", pki_->backend()));
  auto* raw = client.get();
  client->on_message([&](mqtt::Message) {
    {
      std::lock_guard lock(c.mu);
      ++c.received;
    }
    raw->publish(topics::inbox(kVinA), "answer", 1, [&](const Error* e) {
      std::lock_guard lock(c.mu);
      ++c.completed;
      if (e && ++c.failed == 1) c.first_failure = *e;
      c.cv.notify_all();
    });
  });
  ASSERT_TRUE(client->subscribe(std::string(topics::all_reports), 1));
  ASSERT_TRUE(client->start());
  ASSERT_TRUE(c.wait(kBacklog, kBacklog)) << c.received << " received, " << c.completed << " completed";
  EXPECT_EQ(c.failed, 0) << c.first_failure->what();
  client->stop();
}

TEST_F(MqttClient, EveryPublishCompletesExactlyOnceEvenAcrossStop) {
  auto client = mqtt::make_paho_client(client_options(*broker_, kVinA, pki_->vehicle(kVinA)));
  std::atomic<int> completions = 0;
  std::atomic<int> not_connected = 0;
  // Before start: refused at once, not queued.
  client->publish(topics::reports(kVinA), "early", 1, [&](const Error* e) {
    ++completions;
    if (e && e->code == make_error_code(MqttErrc::not_connected)) ++not_connected;
  });
  EXPECT_EQ(completions, 1);
  EXPECT_EQ(not_connected, 1);

  std::promise<void> up;
  client->on_connection([&](bool connected, const Error&) {
    if (connected) up.set_value();
  });
  ASSERT_TRUE(client->start());
  ASSERT_EQ(up.get_future().wait_for(kWait), std::future_status::ready);
  constexpr int kMany = 500;  // far above max_inflight: most wait in the client's queue
  for (int i = 0; i < kMany; ++i) {
    client->publish(topics::reports(kVinA), std::string(1000, 'x'), 1, [&](const Error*) { ++completions; });
  }
  client->stop();  // what was not acknowledged yet completes with shutting_down
  EXPECT_EQ(completions, kMany + 1);
}

TEST_F(MqttClient, UnreadableCertificateFilesAreAClearError) {
  auto files = pki_->vehicle(kVinA);
  files.key_file = dir_ / "missing.key";
  auto client = mqtt::make_paho_client(client_options(*broker_, kVinA, files));
  auto r = client->start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(MqttErrc::tls_setup));
  EXPECT_NE(r.error().detail.find("missing.key"), std::string::npos);
}

}  // namespace
}  // namespace fb::test
