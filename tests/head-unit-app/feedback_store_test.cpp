#include "fb/ui/feedback_store.hpp"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTest>

#include "fake_mqtt.hpp"
#include "wire_fixtures.hpp"
#include "fb/agent/agent.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"
#include "process.hpp"

namespace fb::ui {
namespace {

using test::FakeMqtt;

constexpr const char* kVin = "LSVAX60E5K2000001";
constexpr int kDeadlineMs = 5000;

// A link that cannot start, like Paho without readable certificate files.
class UnstartableMqtt final : public mqtt::Client {
 public:
  void on_message(MessageHandler) override {}
  void on_connection(ConnectionHandler) override {}
  Result<void> start() override { return fail(MqttErrc::tls_setup, "cannot read '/nonexistent/ca.crt'"); }
  void stop() override {}
  Result<void> subscribe(const std::string&, int) override { return {}; }
  void publish(std::string, std::string, int, Completion done) override {
    const Error e(MqttErrc::not_connected);
    if (done) done(&e);
  }
  bool connected() const override { return false; }
};

class FeedbackStoreTest : public ::testing::Test {
 protected:
  void open(std::unique_ptr<mqtt::Client> client = nullptr, agent::CarStore::Options storage = {}) {
    store_.reset();
    agent_.reset();
    mqtt_ = std::make_shared<FakeMqtt::State>();
    if (!client) client = std::make_unique<FakeMqtt>(mqtt_);
    agent::AgentConfig c;
    c.vehicle = {kVin, "Aurora EV", 2026, "HU-3.2.1"};
    c.database = dir_ / "car.db";
    c.storage = storage;
    auto a = agent::Agent::open(c, std::move(client), SystemClock::instance());
    ASSERT_TRUE(a) << a.error().what();
    agent_ = std::move(*a);
    store_ = std::make_unique<FeedbackStore>(*agent_);
  }
  void openAndStart() {
    open();
    ASSERT_TRUE(store_->start()) << store_->linkError().toStdString();
  }

  ReportsModel& model() { return *store_->reports(); }
  QString value(int row, const char* role) { return model().value(row, role).toString(); }

  // Submits and waits until the agent says it is saved; returns the report id ("" if not saved).
  QString submitSaved(const QString& category, const QString& text) {
    QSignalSpy saved(store_.get(), &FeedbackStore::reportSaved);
    QSignalSpy notSaved(store_.get(), &FeedbackStore::reportNotSaved);
    if (!store_->submit(category, text)) return {};
    if (!QTest::qWaitFor([&] { return saved.count() + notSaved.count() > 0; }, kDeadlineMs)) return {};
    return saved.isEmpty() ? QString() : saved.first().first().toString();
  }

  // Connects, sends one report and answers it with the backend's ack; returns the report id.
  QString submitAndAcknowledge(const std::string& case_number) {
    test::set_connected(*mqtt_, true);
    const QString id = submitSaved("noise", QString::fromUtf8("刹车异响 brake squeal"));
    EXPECT_FALSE(id.isEmpty());
    EXPECT_TRUE(test::wait_for_pending(*mqtt_, 1));
    const auto sent = test::complete_next(*mqtt_);
    deliver(ack_for(sent, case_number));
    EXPECT_TRUE(QTest::qWaitFor([&] { return value(0, "status") == "acknowledged"; }, kDeadlineMs));
    return id;
  }

  void deliver(const wire::Envelope& env) { test::deliver_to_inbox(*mqtt_, kVin, env); }
  static wire::Envelope ack_for(const FakeMqtt::Published& p, const std::string& case_number) {
    return test::accepted_ack_for(p.payload, case_number);
  }
  static wire::Envelope notification(const QString& report_id, const std::string& case_number) {
    auto env = codec::new_envelope(1);
    auto* n = env.mutable_notification();
    n->set_report_id(report_id.toStdString());
    n->set_case_number(case_number);
    n->set_status(wire::CASE_STATUS_RECEIVED);
    n->set_title("已受理 Feedback received");
    n->set_text("售后服务团队将在24小时内联系您。");
    n->set_team("售后服务团队");
    n->set_language("zh-CN");
    return env;
  }

  test::TempDir dir_;
  std::shared_ptr<FakeMqtt::State> mqtt_;
  std::unique_ptr<agent::Agent> agent_;
  std::unique_ptr<FeedbackStore> store_;  // destroyed first: it stops the agent
};

TEST_F(FeedbackStoreTest, ASubmittedReportIsSavedAndShownAsQueuedOnTop) {
  openAndStart();
  const QString first = submitSaved("noise", QString::fromUtf8("刹车异响 brake squeal"));
  ASSERT_FALSE(first.isEmpty()) << store_->lastError().toStdString();
  ASSERT_TRUE(QTest::qWaitFor([&] { return model().rowCount() == 1; }, kDeadlineMs));
  EXPECT_EQ(value(0, "reportId"), first);
  EXPECT_EQ(value(0, "status"), "queued");
  EXPECT_EQ(value(0, "category"), "noise");
  EXPECT_EQ(value(0, "text"), QString::fromUtf8("刹车异响 brake squeal"));
  EXPECT_TRUE(store_->lastError().isEmpty());
  EXPECT_FALSE(store_->saving());

  QSignalSpy reset(&model(), &QAbstractItemModel::modelReset);
  const QString second = submitSaved("idea", "");
  ASSERT_TRUE(QTest::qWaitFor([&] { return model().rowCount() == 2; }, kDeadlineMs));
  EXPECT_EQ(value(0, "reportId"), second);
  EXPECT_EQ(value(1, "reportId"), first);
  EXPECT_EQ(reset.count(), 0);
}

TEST_F(FeedbackStoreTest, TheBackendsAckUpdatesTheRowInPlace) {
  openAndStart();
  test::set_connected(*mqtt_, true);
  const QString id = submitSaved("noise", "brake squeal");
  ASSERT_TRUE(QTest::qWaitFor([&] { return model().rowCount() == 1; }, kDeadlineMs));
  ASSERT_TRUE(test::wait_for_pending(*mqtt_, 1));
  const auto sent = test::complete_next(*mqtt_);  // the broker's PUBACK
  ASSERT_TRUE(QTest::qWaitFor([&] { return value(0, "status") == "sent"; }, kDeadlineMs));

  QSignalSpy changed(&model(), &QAbstractItemModel::dataChanged);
  QSignalSpy inserted(&model(), &QAbstractItemModel::rowsInserted);
  QSignalSpy reset(&model(), &QAbstractItemModel::modelReset);
  deliver(ack_for(sent, "FB-2026-000123"));
  ASSERT_TRUE(QTest::qWaitFor([&] { return value(0, "status") == "acknowledged"; }, kDeadlineMs));
  EXPECT_EQ(value(0, "caseNumber"), "FB-2026-000123");
  EXPECT_EQ(value(0, "reportId"), id);
  ASSERT_EQ(changed.count(), 1);
  EXPECT_EQ(changed.first().at(0).toModelIndex().row(), 0);
  EXPECT_EQ(inserted.count(), 0);
  EXPECT_EQ(reset.count(), 0);
  EXPECT_EQ(model().rowCount(), 1);
}

TEST_F(FeedbackStoreTest, ANotificationUpdatesTheRowAndRaisesTheBannerOnce) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  QSignalSpy banner(store_.get(), &FeedbackStore::notificationArrived);
  const auto note = notification(id, "FB-2026-000123");
  deliver(note);
  ASSERT_TRUE(banner.wait(kDeadlineMs));
  ASSERT_EQ(banner.count(), 1);
  EXPECT_EQ(banner.first().at(0).toString().toStdString(), note.message_id());
  EXPECT_EQ(banner.first().at(1).toString(), id);
  EXPECT_EQ(banner.first().at(2).toString(), "FB-2026-000123");
  EXPECT_EQ(banner.first().at(3).toString(), QString::fromUtf8("已受理 Feedback received"));
  EXPECT_EQ(value(0, "status"), "received");
  EXPECT_EQ(value(0, "lastTitle"), QString::fromUtf8("已受理 Feedback received"));
  EXPECT_EQ(value(0, "lastText"), QString::fromUtf8("售后服务团队将在24小时内联系您。"));
  EXPECT_EQ(value(0, "team"), QString::fromUtf8("售后服务团队"));

  deliver(note);  // re-sent by the backend: receipted again, not shown again
  ASSERT_TRUE(QTest::qWaitFor([&] { return agent_->stats_sync().duplicate_notifications == 1; }, kDeadlineMs));
  QCoreApplication::processEvents();  // whatever the agent posted while handling it
  EXPECT_EQ(banner.count(), 1);

  store_->markRead(QString::fromStdString(note.message_id()));
  auto inbox = agent_->inbox_sync();
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_TRUE(inbox->front().read);
}

TEST_F(FeedbackStoreTest, AnInvalidReportIsNotSavedAndSaysWhy) {
  openAndStart();
  QSignalSpy notSaved(store_.get(), &FeedbackStore::reportNotSaved);
  EXPECT_TRUE(store_->submit("other", "   "));  // "other" needs a text
  ASSERT_TRUE(notSaved.wait(kDeadlineMs));
  EXPECT_NE(store_->lastError().indexOf("report.text"), -1) << store_->lastError().toStdString();
  EXPECT_EQ(notSaved.first().first().toString(), store_->lastError());
  EXPECT_EQ(model().rowCount(), 0);
  EXPECT_TRUE(agent_->reports_sync()->empty());

  EXPECT_FALSE(store_->submit("engine", "unknown category"));
  EXPECT_NE(store_->lastError().indexOf("engine"), -1);

  ASSERT_FALSE(submitSaved("other", "rattle from the boot").isEmpty());
  EXPECT_TRUE(store_->lastError().isEmpty()) << "a saved report clears the last error";
}

TEST_F(FeedbackStoreTest, WhileMovingOnlyQuickTapsAreAccepted) {
  openAndStart();
  QSignalSpy movingChanged(store_.get(), &FeedbackStore::vehicleMovingChanged);
  store_->setVehicleMoving(true);
  EXPECT_EQ(movingChanged.count(), 1);
  EXPECT_TRUE(store_->vehicleMoving());
  EXPECT_FALSE(store_->availableCategories().contains("other"));
  EXPECT_TRUE(store_->availableCategories().contains("warning_lamp"));
  EXPECT_TRUE(store_->needsText("other"));
  EXPECT_FALSE(store_->needsText("noise"));

  EXPECT_FALSE(store_->submit("noise", "typed while driving"));
  EXPECT_NE(store_->lastError().indexOf("moving"), -1) << store_->lastError().toStdString();
  QCoreApplication::processEvents();
  EXPECT_EQ(model().rowCount(), 0);
  EXPECT_TRUE(agent_->reports_sync()->empty());

  const QString id = submitSaved("warning_lamp", "");
  ASSERT_FALSE(id.isEmpty()) << store_->lastError().toStdString();
  ASSERT_TRUE(QTest::qWaitFor([&] { return model().rowCount() == 1; }, kDeadlineMs));
  EXPECT_EQ(value(0, "category"), "warning_lamp");
  EXPECT_EQ(value(0, "text"), "");

  store_->setVehicleMoving(false);
  EXPECT_TRUE(store_->availableCategories().contains("other"));
}

TEST_F(FeedbackStoreTest, TheConnectionIsShown) {
  openAndStart();
  EXPECT_FALSE(store_->connected());
  QSignalSpy changed(store_.get(), &FeedbackStore::connectedChanged);
  test::set_connected(*mqtt_, true);
  ASSERT_TRUE(QTest::qWaitFor([&] { return store_->connected(); }, kDeadlineMs));
  test::set_connected(*mqtt_, false);
  ASSERT_TRUE(QTest::qWaitFor([&] { return !store_->connected(); }, kDeadlineMs));
  EXPECT_EQ(changed.count(), 2);
}

TEST_F(FeedbackStoreTest, WithoutALinkReportsAreStillSavedAndStayQueued) {
  open(std::make_unique<UnstartableMqtt>());
  EXPECT_FALSE(store_->start());
  EXPECT_NE(store_->linkError().indexOf("ca.crt"), -1) << store_->linkError().toStdString();
  EXPECT_FALSE(store_->connected());
  const QString id = submitSaved("service", QString::fromUtf8("4S店维修延迟"));
  ASSERT_FALSE(id.isEmpty()) << store_->lastError().toStdString();
  ASSERT_TRUE(QTest::qWaitFor([&] { return model().rowCount() == 1; }, kDeadlineMs));
  EXPECT_EQ(value(0, "status"), "queued");
  EXPECT_EQ(agent_->reports_sync()->size(), 1u);
}

TEST_F(FeedbackStoreTest, MyReportsAreLoadedAtStart) {
  openAndStart();
  const QString id = submitSaved("ui", "navigation menu");
  ASSERT_FALSE(id.isEmpty());
  open();  // the app is closed and started again
  EXPECT_EQ(model().rowCount(), 0);
  QSignalSpy reset(&model(), &QAbstractItemModel::modelReset);
  ASSERT_TRUE(store_->start());
  EXPECT_EQ(reset.count(), 1);
  ASSERT_EQ(model().rowCount(), 1);
  EXPECT_EQ(value(0, "reportId"), id);
  EXPECT_EQ(value(0, "status"), "queued");
}

TEST_F(FeedbackStoreTest, AFullStorageSaysTheReportWasNotSaved) {
  open(nullptr, agent::CarStore::Options{.max_pages = 24});
  ASSERT_TRUE(store_->start());
  QSignalSpy notSaved(store_.get(), &FeedbackStore::reportNotSaved);
  int saved = 0;
  for (int i = 0; i < 200 && notSaved.isEmpty(); ++i) {
    if (!submitSaved("noise", QString(1500, QChar('x')) + QString::number(i)).isEmpty()) ++saved;
  }
  ASSERT_EQ(notSaved.count(), 1) << "the page limit was never reached";
  EXPECT_NE(store_->lastError().indexOf("full"), -1) << store_->lastError().toStdString();
  ASSERT_TRUE(QTest::qWaitFor([&] { return !store_->storageProblem().isEmpty(); }, kDeadlineMs));
  ASSERT_TRUE(QTest::qWaitFor([&] { return model().rowCount() == saved; }, kDeadlineMs));
  EXPECT_GT(saved, 0);
}

TEST_F(FeedbackStoreTest, TheLanguageIsChineseOrEnglishAndTagsTheReport) {
  openAndStart();
  QSignalSpy changed(store_.get(), &FeedbackStore::languageChanged);
  store_->setLanguage("zh-CN");
  EXPECT_EQ(store_->language(), "zh");
  store_->setLanguage("zh");
  EXPECT_EQ(changed.count(), 1);
  ASSERT_FALSE(submitSaved("noise", QString::fromUtf8("异响")).isEmpty());
  ASSERT_TRUE(QTest::qWaitFor([&] { return model().rowCount() == 1; }, kDeadlineMs));
  EXPECT_EQ(value(0, "language"), "zh-CN");
  store_->setLanguage("de");
  EXPECT_EQ(store_->language(), "en");
}

}  // namespace
}  // namespace fb::ui
