// Drafts that survive a restart and the callback number on the wire (issue 10): the composer on
// a real agent and car store, closed and opened again as a power cut or a killed app would.
#include <gtest/gtest.h>

#include <QCoreApplication>

#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/agent/agent.hpp"
#include "fb/common/codec.hpp"
#include "fb/ui/consent_store.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/quick_composer.hpp"
#include "process.hpp"

namespace fb::ui {
namespace {

class DraftsTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void TearDown() override { stop(); }

  // As fb-headunit starts: the agent on the car store, the composer, the kept drafts loaded.
  void start() {
    mqtt_ = std::make_shared<test::FakeMqtt::State>();
    agent::AgentConfig c;
    c.vehicle = {"LSVAX60E5K2000001", "Aurora EV", 2026, "HU-3.2.1"};
    c.database = dir_ / "car.db";
    auto a = agent::Agent::open(strand_, clock_, c, std::make_unique<test::FakeMqtt>(strand_, mqtt_));
    ASSERT_TRUE(a) << a.error().what();
    agent_ = std::move(*a);
    controller_ = std::make_unique<FeedbackController>(*agent_);
    consent_ = std::make_unique<ConsentStore>(QString::fromStdString(dir_ / "consent.ini"));
    composer_ = std::make_unique<QuickComposer>(*controller_, *agent_, *consent_);
    ASSERT_TRUE(agent_->start());
    test::set_connected(*mqtt_, true);
    composer_->loadDrafts();
    settle();
  }
  // Everything goes, the review still open: nothing is cancelled or sent on the way out.
  void stop() {
    if (agent_) agent_->stop();
    settle();
    composer_.reset();
    controller_.reset();
    consent_.reset();
    agent_.reset();
  }
  void settle() {
    for (int idle_rounds = 0; idle_rounds < 2;) {
      QCoreApplication::sendPostedEvents();
      idle_rounds = test::run_ready(io_) == 0 ? idle_rounds + 1 : 0;
    }
  }
  std::vector<agent::SavedDraft> kept() {
    std::vector<agent::SavedDraft> out;
    agent_->drafts([&](auto d) { out = d.value_or(std::vector<agent::SavedDraft>{}); });
    settle();
    return out;
  }
  QString draftText(int row) {
    return composer_->drafts()->data(composer_->drafts()->index(row), QuickDraftsModel::TextRole).toString();
  }
  wire::Report published() {
    EXPECT_EQ(test::pending_publishes(*mqtt_), 1u);
    if (test::pending_publishes(*mqtt_) == 0) return {};
    auto env = codec::decode(test::complete_next(*mqtt_).payload);
    EXPECT_TRUE(env && env->has_report());
    settle();
    return env ? env->report() : wire::Report{};
  }

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

TEST_F(DraftsTest, WhatWasTypedComesBackAfterARestartAndGoesOnceSent) {
  ASSERT_TRUE(composer_->choose("noise"));
  composer_->setText(QString::fromUtf8("仪表台异响 rattle"));
  EXPECT_TRUE(composer_->draftSavePending()) << "each change is saved, a little later";
  composer_->saveDraftNow();  // the save timer's work, without waiting for it
  settle();
  ASSERT_EQ(kept().size(), 1u);

  stop();  // the power goes while the review is open
  start();
  ASSERT_EQ(composer_->drafts()->rowCount(), 1);
  EXPECT_EQ(draftText(0), QString::fromUtf8("仪表台异响 rattle"));
  EXPECT_FALSE(composer_->reviewing());

  ASSERT_TRUE(composer_->resumeDraft(0));
  EXPECT_EQ(composer_->kind(), "noise");
  EXPECT_EQ(composer_->text(), QString::fromUtf8("仪表台异响 rattle"));
  EXPECT_EQ(kept().size(), 1u) << "kept until its report is committed";
  ASSERT_TRUE(composer_->send());
  settle();
  EXPECT_EQ(published().text(), "仪表台异响 rattle");
  EXPECT_TRUE(kept().empty());

  stop();
  start();
  EXPECT_EQ(composer_->drafts()->rowCount(), 0) << "a sent draft does not come back";
}

TEST_F(DraftsTest, AddDetailsLaterIsKeptAtOnceAndCancelThrowsItAway) {
  ASSERT_TRUE(composer_->choose("climate"));
  composer_->setAllowContact(true);
  composer_->setPhone("13800000000");
  ASSERT_TRUE(composer_->saveForLater());
  settle();
  auto drafts = kept();
  ASSERT_EQ(drafts.size(), 1u);
  EXPECT_EQ(drafts[0].kind, "climate");
  EXPECT_TRUE(drafts[0].consent.contact());
  EXPECT_EQ(drafts[0].phone, "13800000000");

  stop();
  start();
  ASSERT_EQ(composer_->drafts()->rowCount(), 1);
  ASSERT_TRUE(composer_->resumeDraft(0));
  EXPECT_TRUE(composer_->allowContact());
  EXPECT_EQ(composer_->phone(), "13800000000");
  composer_->cancel();
  settle();
  EXPECT_TRUE(kept().empty());
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
}

TEST_F(DraftsTest, TheCallbackNumberGoesWithTheReportOnlyWithConsentToBeCalled) {
  ASSERT_TRUE(composer_->choose("brakes"));
  composer_->setAllowContact(true);
  composer_->setPhone(" +86 138 0000 0000 ");
  ASSERT_TRUE(composer_->send());
  settle();
  auto report = published();
  EXPECT_TRUE(report.consent().contact());
  EXPECT_EQ(report.callback_phone(), "+86 138 0000 0000");
  EXPECT_EQ(report.category(), wire::CATEGORY_BRAKES);

  // A number pasted with brackets or a hash keeps only what the wire accepts, and still goes.
  ASSERT_TRUE(composer_->choose("brakes"));
  composer_->setAllowContact(true);
  composer_->setPhone("(030) 1234#567.");
  EXPECT_EQ(composer_->phone(), "030 1234567");
  ASSERT_TRUE(composer_->send());
  settle();
  EXPECT_EQ(published().callback_phone(), "030 1234567");

  ASSERT_TRUE(composer_->choose("brakes"));
  composer_->setAllowContact(false);
  ASSERT_TRUE(composer_->send());
  settle();
  report = published();
  EXPECT_FALSE(report.consent().contact());
  EXPECT_EQ(report.callback_phone(), "") << "no number without consent";
}

}  // namespace
}  // namespace fb::ui
