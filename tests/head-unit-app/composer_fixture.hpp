// The quick composer on a real agent and car store (a temporary SQLite file), over the fake MQTT
// client and the fake clock: what fb-headunit builds at start, for the tests of the composer's
// effects on the queue (consent, drafts). Single-threaded: the agent's strand runs on io_ in the
// test's thread (settle()), Qt's posted events too.
#pragma once

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QString>
#include <memory>
#include <optional>

#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/agent/agent.hpp"
#include "fb/asio.hpp"
#include "fb/common/codec.hpp"
#include "fb/ui/consent_store.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/quick_composer.hpp"
#include "process.hpp"

namespace fb::ui::test_support {

/// Runs the ready handlers of `io` (the agent's strand) and Qt's posted events in turn until
/// neither has work twice in a row.
inline void settle_agent_and_qt(boost::asio::io_context& io) {
  for (int idle_rounds = 0; idle_rounds < 2;) {
    QCoreApplication::sendPostedEvents();
    idle_rounds = test::run_ready(io) == 0 ? idle_rounds + 1 : 0;
  }
}

class ComposerOnAgent : public ::testing::Test {
 protected:
  /// Opens the agent on dir_/car.db (with `recorder`, if any), then the controller, the consent
  /// store and the composer, and goes online.
  void open(agent::SnapshotRecorder* recorder = nullptr) {
    mqtt_ = std::make_shared<test::FakeMqtt::State>();
    agent::AgentConfig c;
    c.vehicle = {"LSVAX60E5K2000001", "Aurora EV", 2026, "HU-3.2.1"};
    c.database = dir_ / "car.db";
    c.recorder = recorder;
    if (max_reports_) c.storage.max_reports = *max_reports_;
    auto a = agent::Agent::open(strand_, clock_, c, std::make_unique<test::FakeMqtt>(strand_, mqtt_));
    ASSERT_TRUE(a) << a.error().what();
    agent_ = std::move(*a);
    controller_ = std::make_unique<FeedbackController>(*agent_);
    consent_ = std::make_unique<ConsentStore>(QString::fromStdString(dir_ / "consent.ini"));
    composer_ = std::make_unique<QuickComposer>(*controller_, *agent_, *consent_);
    ASSERT_TRUE(agent_->start());
    test::set_connected(*mqtt_, true);
  }
  /// Everything goes, as at a power cut: nothing is cancelled or sent on the way out.
  void close() {
    if (agent_) agent_->stop();
    settle();
    composer_.reset();
    controller_.reset();
    consent_.reset();
    agent_.reset();
  }
  void TearDown() override { close(); }

  void settle() { settle_agent_and_qt(io_); }
  /// The one report the agent published (acknowledged by the fake broker); an empty report and a
  /// failure when there is not exactly one.
  wire::Report published() {
    EXPECT_EQ(test::pending_publishes(*mqtt_), 1u);
    if (test::pending_publishes(*mqtt_) == 0) return {};
    auto env = codec::decode(test::complete_next(*mqtt_).payload);
    EXPECT_TRUE(env && env->has_report());
    settle();
    return env ? env->report() : wire::Report{};
  }

  std::optional<std::size_t> max_reports_;  // the outbox's cap, if not the default
  test::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  test::FakeClock clock_;
  std::shared_ptr<test::FakeMqtt::State> mqtt_;
  std::unique_ptr<agent::Agent> agent_;
  std::unique_ptr<FeedbackController> controller_;
  std::unique_ptr<ConsentStore> consent_;
  std::unique_ptr<QuickComposer> composer_;
};

}  // namespace fb::ui::test_support
