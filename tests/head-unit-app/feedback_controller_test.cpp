// The view-model on a real agent (SQLite, the fake MQTT client, the fake clock) whose executor
// runs on the test thread: settle() runs the agent's handlers and Qt's posted events in turn
// until both are idle, so every step is deterministic and nothing waits for time.
#include "fb/ui/feedback_controller.hpp"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QSignalSpy>
#include <thread>

#include "composer_fixture.hpp"
#include "fake_agent.hpp"
#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/agent/agent.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"
#include "process.hpp"
#include "wire_fixtures.hpp"

namespace fb::ui {
namespace {

using test::FakeMqtt;

constexpr const char* kVin = "LSVAX60E5K2000001";

class FeedbackControllerTest : public ::testing::Test {
 protected:
  void open(agent::CarStore::Options storage = {}) {
    close();
    mqtt_ = std::make_shared<FakeMqtt::State>();
    agent::AgentConfig c;
    c.vehicle = {kVin, "Aurora EV", 2026, "HU-3.2.1"};
    c.database = dir_ / "car.db";
    c.storage = std::move(storage);
    c.parked = [this] { return agent_parked_; };
    auto a = agent::Agent::open(strand_, clock_, c, std::make_unique<FakeMqtt>(strand_, mqtt_));
    ASSERT_TRUE(a) << a.error().what();
    agent_ = std::move(*a);
    store_ = std::make_unique<FeedbackController>(*agent_);
  }
  // As fb-headunit does: the controller listens, the agent starts, My reports load.
  void start() {
    ASSERT_TRUE(agent_->start());
    store_->load();
    settle();
  }
  void openAndStart() {
    open();
    start();
  }
  void close() {
    if (agent_) agent_->stop();
    settle();
    store_.reset();
    agent_.reset();
  }
  void TearDown() override { close(); }

  // Runs the agent's executor and Qt's posted events until neither has anything left.
  void settle() { test_support::settle_agent_and_qt(io_); }
  void connect(bool up = true) {
    test::set_connected(*mqtt_, up);
    settle();
  }

  ReportsModel& model() { return *store_->reports(); }
  QString value(int row, const char* role) { return model().value(row, role).toString(); }

  // Submits and lets the agent save it; returns the report id ("" if not saved).
  QString submitSaved(const QString& category, const QString& text) {
    QSignalSpy saved(store_.get(), &FeedbackController::reportSaved);
    QSignalSpy notSaved(store_.get(), &FeedbackController::reportNotSaved);
    if (!store_->submit(category, text)) return {};
    EXPECT_TRUE(store_->saving());
    settle();
    EXPECT_EQ(saved.count() + notSaved.count(), 1);
    return saved.isEmpty() ? QString() : saved.first().first().toString();
  }

  // Connects, sends one report and answers it with the backend's ack; returns the report id.
  QString submitAndAcknowledge(const std::string& case_number) {
    connect();
    QString id = submitSaved("noise", QString::fromUtf8("刹车异响 brake squeal"));
    EXPECT_FALSE(id.isEmpty());
    EXPECT_EQ(test::pending_publishes(*mqtt_), 1u);
    const auto sent = test::complete_next(*mqtt_);
    deliver(ack_for(sent, case_number));
    EXPECT_EQ(value(0, "status"), "acknowledged");
    return id;
  }

  void deliver(const wire::Envelope& env) {
    test::deliver_to_inbox(*mqtt_, kVin, env);
    settle();
  }
  std::vector<agent::ReportView> agentReports() {
    std::vector<agent::ReportView> out;
    agent_->reports([&](auto r) { out = r.value_or(std::vector<agent::ReportView>{}); });
    settle();
    return out;
  }
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
  boost::asio::io_context io_;
  boost::asio::any_io_executor strand_ = boost::asio::make_strand(io_);
  test::FakeClock clock_;
  std::shared_ptr<FakeMqtt::State> mqtt_;
  std::unique_ptr<agent::Agent> agent_;
  std::unique_ptr<FeedbackController> store_;
  bool agent_parked_ = true;  // what the agent's parked check says (the car's signals)
};

TEST_F(FeedbackControllerTest, ASubmittedReportIsSavedAndShownAsQueuedOnTop) {
  openAndStart();
  const QString first = submitSaved("noise", QString::fromUtf8("刹车异响 brake squeal"));
  ASSERT_FALSE(first.isEmpty()) << store_->lastError().toStdString();
  settle();
  ASSERT_TRUE(model().rowCount() == 1);
  EXPECT_EQ(value(0, "reportId"), first);
  EXPECT_EQ(value(0, "status"), "queued");
  EXPECT_EQ(value(0, "category"), "noise");
  EXPECT_EQ(value(0, "text"), QString::fromUtf8("刹车异响 brake squeal"));
  EXPECT_TRUE(store_->lastError().isEmpty());
  EXPECT_FALSE(store_->saving());

  QSignalSpy reset(&model(), &QAbstractItemModel::modelReset);
  const QString second = submitSaved("idea", "");
  settle();
  ASSERT_TRUE(model().rowCount() == 2);
  EXPECT_EQ(value(0, "reportId"), second);
  EXPECT_EQ(value(1, "reportId"), first);
  EXPECT_EQ(reset.count(), 0);
}

TEST_F(FeedbackControllerTest, TheBackendsAckUpdatesTheRowInPlace) {
  openAndStart();
  connect();
  const QString id = submitSaved("noise", "brake squeal");
  settle();
  ASSERT_TRUE(model().rowCount() == 1);
  ASSERT_EQ(test::pending_publishes(*mqtt_), 1u);
  const auto sent = test::complete_next(*mqtt_);  // the broker's PUBACK
  settle();
  ASSERT_TRUE(value(0, "status") == "sent");

  QSignalSpy changed(&model(), &QAbstractItemModel::dataChanged);
  QSignalSpy inserted(&model(), &QAbstractItemModel::rowsInserted);
  QSignalSpy reset(&model(), &QAbstractItemModel::modelReset);
  deliver(ack_for(sent, "FB-2026-000123"));
  settle();
  ASSERT_TRUE(value(0, "status") == "acknowledged");
  EXPECT_EQ(value(0, "caseNumber"), "FB-2026-000123");
  EXPECT_EQ(value(0, "reportId"), id);
  ASSERT_EQ(changed.count(), 1);
  EXPECT_EQ(changed.first().at(0).toModelIndex().row(), 0);
  EXPECT_EQ(inserted.count(), 0);
  EXPECT_EQ(reset.count(), 0);
  EXPECT_EQ(model().rowCount(), 1);
}

TEST_F(FeedbackControllerTest, ANotificationUpdatesTheRowAndRaisesTheBannerOnce) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  QSignalSpy banner(store_.get(), &FeedbackController::notificationArrived);
  const auto note = notification(id, "FB-2026-000123");
  deliver(note);
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
  EXPECT_EQ(banner.count(), 1);

  store_->markRead(QString::fromStdString(note.message_id()));
  settle();
  std::vector<agent::InboxEntry> inbox;
  agent_->inbox([&](auto r) { inbox = r.value_or(std::vector<agent::InboxEntry>{}); });
  settle();
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_TRUE(inbox.front().read);

  // A step the backend wrote before the last one, arriving late: in the inbox, but no banner.
  auto* banners = store_->banners();
  auto resolved = notification(id, "FB-2026-000123");
  resolved.set_sent_at_ms(5000);
  resolved.mutable_notification()->set_status(wire::CASE_STATUS_RESOLVED);
  resolved.mutable_notification()->set_milestone(wire::MILESTONE_RESOLVED);
  deliver(resolved);
  ASSERT_EQ(banner.count(), 2);
  const auto raised = banners->waiting() + (banners->showing() ? 1 : 0);
  auto older = notification(id, "FB-2026-000123");
  older.set_sent_at_ms(3000);
  older.mutable_notification()->set_status(wire::CASE_STATUS_IN_PROGRESS);
  older.mutable_notification()->set_milestone(wire::MILESTONE_IN_PROGRESS);
  deliver(older);
  EXPECT_EQ(banner.count(), 3) << "the inbox has it";
  EXPECT_EQ(banners->waiting() + (banners->showing() ? 1 : 0), raised) << "but it is not news";
  EXPECT_EQ(value(0, "status"), "resolved");
}

TEST_F(FeedbackControllerTest, AnInvalidReportIsNotSavedAndSaysWhy) {
  openAndStart();
  QSignalSpy notSaved(store_.get(), &FeedbackController::reportNotSaved);
  EXPECT_TRUE(store_->submit("other", "   "));  // "other" needs a text
  settle();
  ASSERT_EQ(notSaved.count(), 1);
  EXPECT_EQ(store_->lastError(), "wire.missing_field");
  EXPECT_EQ(notSaved.first().first().toString(), store_->lastError());
  EXPECT_EQ(model().rowCount(), 0);
  EXPECT_TRUE(agentReports().empty());

  EXPECT_FALSE(store_->submit("engine", "unknown category"));
  EXPECT_EQ(store_->lastError(), "ui.unknown_category");

  ASSERT_FALSE(submitSaved("other", "rattle from the boot").isEmpty());
  EXPECT_TRUE(store_->lastError().isEmpty()) << "a saved report clears the last error";
}

TEST_F(FeedbackControllerTest, WhileMovingOnlyQuickTapsAreAccepted) {
  openAndStart();
  QSignalSpy movingChanged(store_.get(), &FeedbackController::vehicleMovingChanged);
  store_->setVehicleMoving(true);
  EXPECT_EQ(movingChanged.count(), 1);
  EXPECT_TRUE(store_->vehicleMoving());
  EXPECT_FALSE(store_->availableCategories().contains("other"));
  EXPECT_TRUE(store_->availableCategories().contains("warning_lamp"));
  EXPECT_TRUE(store_->needsText("other"));
  EXPECT_FALSE(store_->needsText("noise"));

  EXPECT_FALSE(store_->submit("noise", "typed while driving"));
  EXPECT_EQ(store_->lastError(), "ui.typing_while_moving");
  settle();
  EXPECT_EQ(model().rowCount(), 0);
  EXPECT_TRUE(agentReports().empty());

  const QString id = submitSaved("warning_lamp", "");
  ASSERT_FALSE(id.isEmpty()) << store_->lastError().toStdString();
  settle();
  ASSERT_TRUE(model().rowCount() == 1);
  EXPECT_EQ(value(0, "category"), "warning_lamp");
  EXPECT_EQ(value(0, "text"), "");

  store_->setVehicleMoving(false);
  EXPECT_TRUE(store_->availableCategories().contains("other"));
}

TEST_F(FeedbackControllerTest, TheConnectionIsShown) {
  openAndStart();
  EXPECT_FALSE(store_->connected());
  QSignalSpy changed(store_.get(), &FeedbackController::connectedChanged);
  connect(true);
  ASSERT_TRUE(store_->connected());
  connect(false);
  ASSERT_FALSE(store_->connected());
  EXPECT_EQ(changed.count(), 2);
}

TEST_F(FeedbackControllerTest, WithoutALinkReportsAreStillSavedAndStayQueued) {
  open();
  mqtt_->start_error = Error(MqttErrc::tls_setup, "cannot read '/nonexistent/ca.crt'");
  start();
  EXPECT_EQ(store_->linkError(), "mqtt.tls_setup");
  EXPECT_FALSE(store_->connected());
  const QString id = submitSaved("service", QString::fromUtf8("4S店维修延迟"));
  ASSERT_FALSE(id.isEmpty()) << store_->lastError().toStdString();
  settle();
  ASSERT_TRUE(model().rowCount() == 1);
  EXPECT_EQ(value(0, "status"), "queued");
  EXPECT_EQ(agentReports().size(), 1u);
}

TEST_F(FeedbackControllerTest, MyReportsAreLoadedAtStart) {
  openAndStart();
  const QString id = submitSaved("ui", "navigation menu");
  ASSERT_FALSE(id.isEmpty());
  open();  // the app is closed and started again
  EXPECT_EQ(model().rowCount(), 0);
  QSignalSpy reset(&model(), &QAbstractItemModel::modelReset);
  QSignalSpy loaded(store_.get(), &FeedbackController::reportsLoaded);
  start();
  EXPECT_EQ(reset.count(), 1);
  EXPECT_EQ(loaded.count(), 1);
  ASSERT_EQ(model().rowCount(), 1);
  EXPECT_EQ(value(0, "reportId"), id);
  EXPECT_EQ(value(0, "status"), "queued");
}

TEST_F(FeedbackControllerTest, AFullStorageSaysTheReportWasNotSaved) {
  open(agent::CarStore::Options{.max_pages = 24});
  start();
  QSignalSpy notSaved(store_.get(), &FeedbackController::reportNotSaved);
  int saved = 0;
  for (int i = 0; i < 200 && notSaved.isEmpty(); ++i) {
    if (!submitSaved("noise", QString(1500, QChar('x')) + QString::number(i)).isEmpty()) ++saved;
  }
  ASSERT_EQ(notSaved.count(), 1) << "the page limit was never reached";
  EXPECT_EQ(store_->lastError(), "storage.full");
  settle();
  EXPECT_EQ(store_->storageProblem(), "storage.full");
  settle();
  ASSERT_TRUE(model().rowCount() == saved);
  EXPECT_GT(saved, 0);
}

TEST_F(FeedbackControllerTest, TheLanguageIsChineseOrEnglishAndTagsTheReport) {
  openAndStart();
  QSignalSpy changed(store_.get(), &FeedbackController::languageChanged);
  store_->setLanguage("zh-CN");
  EXPECT_EQ(store_->language(), "zh");
  store_->setLanguage("zh");
  EXPECT_EQ(changed.count(), 1);
  ASSERT_FALSE(submitSaved("noise", QString::fromUtf8("异响")).isEmpty());
  settle();
  ASSERT_TRUE(model().rowCount() == 1);
  EXPECT_EQ(value(0, "language"), "zh-CN");
  store_->setLanguage("de");
  EXPECT_EQ(store_->language(), "en");
}

// The view-model on its seam alone: a fake agent that answers from another thread, as the real
// one answers from its executor.
TEST(FeedbackControllerOnAFakeAgent, AnswersFromTheAgentsThreadChangeTheViewOnlyOnTheQtThread) {
  test::FakeAgent agent;
  FeedbackController controller(agent);
  ASSERT_EQ(agent.listeners.size(), 1u) << "the controller listens from its construction";
  controller.setLanguage("zh");
  ASSERT_TRUE(controller.submit("driving_feel", QString::fromUtf8("换挡顿挫")));
  ASSERT_EQ(agent.submitted.size(), 1u);
  EXPECT_EQ(agent.submitted[0].draft.category, wire::CATEGORY_DRIVING_FEEL);
  EXPECT_EQ(agent.submitted[0].draft.language, "zh-CN");
  EXPECT_EQ(agent.submitted[0].draft.source, wire::SOURCE_DRIVER);
  EXPECT_TRUE(controller.saving());

  QSignalSpy saved(&controller, &FeedbackController::reportSaved);
  QSignalSpy connected(&controller, &FeedbackController::connectedChanged);
  std::thread agent_thread([&] {
    agent.submitted[0].done(std::string("report-1"));
    agent.listeners[0]->connection_changed(true);
  });
  agent_thread.join();
  EXPECT_EQ(saved.count(), 0) << "state changed on the agent's thread";
  EXPECT_FALSE(controller.connected());

  QCoreApplication::sendPostedEvents();
  ASSERT_EQ(saved.count(), 1);
  EXPECT_EQ(saved.first().first().toString(), "report-1");
  EXPECT_FALSE(controller.saving());
  EXPECT_TRUE(controller.connected());
  EXPECT_EQ(connected.count(), 1);
}

TEST(FeedbackControllerOnAFakeAgent, ALinkProblemIsShownAndAStorageErrorOnLoadToo) {
  test::FakeAgent agent;
  FeedbackController controller(agent);
  controller.load();
  ASSERT_EQ(agent.report_requests.size(), 1u);
  agent.report_requests[0](fail(StorageErrc::io, "test: read error"));
  agent.listeners[0]->link_problem(Error(MqttErrc::tls_setup, "cannot read 'ca.crt'"));
  QSignalSpy loaded(&controller, &FeedbackController::reportsLoaded);
  QCoreApplication::sendPostedEvents();
  EXPECT_EQ(loaded.count(), 1);
  EXPECT_EQ(controller.storageProblem(), "storage.io");
  EXPECT_EQ(controller.linkError(), "mqtt.tls_setup");
}

// A full disk clears itself as acks free space (the agent's own message says so): the bar says
// so until a report is saved again, not until a restart. Other problems stay said.
TEST(FeedbackControllerOnAFakeAgent, AFullDiskClearsOnceAReportIsSavedAgainButOtherStorageProblemsStay) {
  test::FakeAgent agent;
  FeedbackController controller(agent);
  controller.setLanguage("en");
  agent.listeners[0]->storage_problem(Error(StorageErrc::full, "test: disk full"));
  QCoreApplication::sendPostedEvents();
  ASSERT_EQ(controller.storageProblem(), "storage.full");
  ASSERT_TRUE(controller.submit("noise", {}));
  agent.submitted.back().done(std::string("report-1"));
  QCoreApplication::sendPostedEvents();
  EXPECT_EQ(controller.storageProblem(), "") << "a commit went through: the disk has room again";

  // A damaged store, a queued report that cannot be read: still there after another commit.
  for (auto still : {StorageErrc::corrupt, StorageErrc::io}) {
    agent.listeners[0]->storage_problem(Error(still, "test"));
    QCoreApplication::sendPostedEvents();
    const auto shown = controller.storageProblem();
    ASSERT_TRUE(controller.submit("noise", {}));
    agent.submitted.back().done(std::string("report-2"));
    QCoreApplication::sendPostedEvents();
    EXPECT_EQ(controller.storageProblem(), shown);
    EXPECT_FALSE(shown.isEmpty());
  }
}

// Typing while moving is refused by the speed signals too, not only the demo flag, for every
// answer that carries words (a reopen reason, a rating's or a survey's comment).
TEST(FeedbackControllerOnAFakeAgent, WordsWhileTheSignalsSayMovingAreRefusedInEveryAnswer) {
  test::FakeAgent agent;
  FeedbackController controller(agent);
  controller.setMovingFromSignals(true);
  EXPECT_FALSE(controller.reopen("report-1", "still squeals"));
  EXPECT_FALSE(controller.rate("report-1", 4, "ok"));
  EXPECT_FALSE(controller.answerSurvey("note-1", 4, "ok"));
  EXPECT_TRUE(agent.case_actions.empty()) << "a refused action reached the agent";
  EXPECT_TRUE(agent.surveys.empty()) << "a refused survey answer reached the agent";
  EXPECT_EQ(controller.actionError(), "ui.typing_while_moving");
  EXPECT_TRUE(controller.answerSurvey("note-1", 4, "")) << "a score alone is a tap";
  ASSERT_EQ(agent.surveys.size(), 1u);
  EXPECT_EQ(agent.surveys[0].notification_id, "note-1");
  EXPECT_EQ(agent.surveys[0].score, 4);
  EXPECT_EQ(agent.surveys[0].comment, "");
}

// ---- Service visit and live callback (issue 13) --------------------------------------------------

wire::Envelope visitUpdate(const QString& reportId, std::int64_t sentAt, wire::VisitStage stage) {
  auto env = codec::new_envelope(sentAt);
  auto* n = env.mutable_notification();
  n->set_report_id(reportId.toStdString());
  n->set_case_number("FB-2026-000123");
  n->set_status(stage == wire::VISIT_HANDED_OVER ? wire::CASE_STATUS_CLOSED : wire::CASE_STATUS_APPOINTMENT);
  n->set_title("预约到店 Service visit");
  auto* v = n->mutable_visit();
  v->set_visit_id("visit-1");
  v->set_utc_offset_minutes(8 * 60);  // the backend's default region, UTC+08:00
  v->set_stage(stage);
  v->mutable_estimate()->set_minor(80000);
  v->mutable_estimate()->set_currency("CNY");
  for (const char* id : {"s1", "s2"}) {
    auto* slot = v->add_slots();
    slot->set_slot_id(id);
    slot->set_dealer_code("SH-001");
    slot->set_dealer_name("上海浦东4S店");
    slot->set_start_ms(1'780'200'000'000);
    slot->set_work("变速箱检查");
  }
  return env;
}

TEST_F(FeedbackControllerTest, TheVisitCardOffersTheSlotsAndShowsThePickWaitingForConfirmation) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  deliver(visitUpdate(id, 2000, wire::VISIT_PROPOSED));
  EXPECT_EQ(value(0, "status"), "appointment");
  EXPECT_EQ(value(0, "visitId"), "visit-1");
  EXPECT_EQ(value(0, "visitStage"), "proposed");
  const auto slots = model().value(0, "visitSlots").toList();
  ASSERT_EQ(slots.size(), 2);
  EXPECT_EQ(slots[1].toMap().value("slotId").toString(), "s2");
  EXPECT_EQ(slots[1].toMap().value("dealerName").toString(), QString::fromUtf8("上海浦东4S店"));
  // 04:00 UTC, on the clock of the notification's text (UTC+08:00), whatever the car's own zone.
  EXPECT_EQ(slots[1].toMap().value("startText").toString(), "2026-05-31 12:00");
  EXPECT_EQ(model().value(0, "visitEstimate").toMap().value("minor").toLongLong(), 80000);
  EXPECT_EQ(value(0, "visitPending"), "");

  QSignalSpy done(store_.get(), &FeedbackController::answerDone);
  store_->pickSlot("visit-1", "s9");  // not offered
  settle();
  ASSERT_EQ(done.count(), 1);
  EXPECT_FALSE(done.first().at(2).toBool());
  EXPECT_EQ(store_->actionError(), "agent.not_offered");
  EXPECT_TRUE(store_->lastError().isEmpty()) << "the composer's line shows its own reports only";

  store_->pickSlot("visit-1", "s2");
  settle();
  ASSERT_EQ(done.count(), 2);
  EXPECT_EQ(done.last().at(0).toString(), "visit");
  EXPECT_TRUE(done.last().at(2).toBool());
  EXPECT_EQ(value(0, "visitPending"), "pick_slot");
  EXPECT_EQ(value(0, "visitPendingSlot"), "s2");
  test::complete_next(*mqtt_);  // the delivered receipt
  const auto published = test::complete_next(*mqtt_).payload;
  auto reply = codec::decode(published);
  ASSERT_TRUE(reply && reply->has_visit_reply());
  EXPECT_EQ(reply->visit_reply().slot_id(), "s2");

  auto booked = visitUpdate(id, 3000, wire::VISIT_BOOKED);
  *booked.mutable_notification()->mutable_visit()->mutable_booked() = booked.notification().visit().slots(1);
  booked.mutable_notification()->mutable_visit()->set_reminder(true);
  deliver(booked);
  EXPECT_EQ(value(0, "visitStage"), "booked");
  EXPECT_EQ(value(0, "visitPending"), "pick_slot") << "until the backend's AnswerStored, which follows the booking";
  deliver(test::answer_stored_for(published));
  EXPECT_EQ(value(0, "visitPending"), "");
  EXPECT_EQ(model().value(0, "visitBooked").toMap().value("slotId").toString(), "s2");
  EXPECT_TRUE(model().value(0, "visitReminder").toBool());
}

// The visit card's times are those of the notification's text: the region's clock that the update
// names (here UTC-03:30, so that no car zone of this test's host could give the same text), and
// the car's own zone only for an update from a backend that names none.
TEST_F(FeedbackControllerTest, TheVisitCardsTimesAreOnTheClockTheUpdateNames) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  auto booked = visitUpdate(id, 2000, wire::VISIT_BOOKED);
  auto* v = booked.mutable_notification()->mutable_visit();
  v->set_utc_offset_minutes(-(3 * 60 + 30));
  *v->mutable_booked() = v->slots(0);
  v->set_ready_at_ms(1'780'300'000'000);
  deliver(booked);
  EXPECT_EQ(model().value(0, "visitBooked").toMap().value("startText").toString(), "2026-05-31 00:30");
  EXPECT_EQ(model().value(0, "visitSlots").toList().at(0).toMap().value("startText").toString(), "2026-05-31 00:30");
  EXPECT_EQ(value(0, "visitReadyAtText"), "2026-06-01 04:16");

  auto older_backend = visitUpdate(id, 3000, wire::VISIT_CHECKED_IN);
  v = older_backend.mutable_notification()->mutable_visit();
  v->clear_utc_offset_minutes();
  *v->mutable_booked() = v->slots(0);
  v->set_ready_at_ms(0);
  deliver(older_backend);
  ASSERT_EQ(value(0, "visitStage"), "checked_in");
  const auto car_zone = QDateTime::fromMSecsSinceEpoch(1'780'200'000'000).toString("yyyy-MM-dd hh:mm");
  EXPECT_EQ(model().value(0, "visitBooked").toMap().value("startText").toString(), car_zone);
  EXPECT_EQ(value(0, "visitReadyAtText"), "") << "no ready time: nothing to show";
}

TEST_F(FeedbackControllerTest, TheExtraCostPromptIsAnsweredOnce) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  auto repair = visitUpdate(id, 2000, wire::VISIT_REPAIR);
  auto* extra = repair.mutable_notification()->mutable_visit()->mutable_extra_cost();
  extra->set_approval_id("a1");
  extra->mutable_amount()->set_minor(35000);
  extra->mutable_amount()->set_currency("CNY");
  extra->set_reason("离合器片磨损");
  repair.mutable_notification()->mutable_visit()->set_ready_at_ms(1'780'300'000'000);
  deliver(repair);
  EXPECT_EQ(value(0, "visitStage"), "repair");
  EXPECT_EQ(model().value(0, "visitReadyAtMs").toLongLong(), 1'780'300'000'000);
  EXPECT_EQ(value(0, "visitReadyAtText"), "2026-06-01 15:46");
  const auto cost = model().value(0, "visitExtraCost").toMap();
  EXPECT_EQ(cost.value("approvalId").toString(), "a1");
  EXPECT_EQ(cost.value("minor").toLongLong(), 35000);
  EXPECT_EQ(cost.value("reason").toString(), QString::fromUtf8("离合器片磨损"));
  EXPECT_TRUE(model().value(0, "visitApprovalOpen").toBool());

  QSignalSpy done(store_.get(), &FeedbackController::answerDone);
  store_->refuseExtra("visit-1", "a1", "too expensive");
  settle();
  EXPECT_FALSE(model().value(0, "visitApprovalOpen").toBool());
  EXPECT_EQ(value(0, "visitPending"), "refuse_extra");
  store_->approveExtra("visit-1", "a1");  // changed my mind: too late, it is answered
  settle();
  ASSERT_EQ(done.count(), 2);
  EXPECT_TRUE(done.first().at(2).toBool());
  EXPECT_FALSE(done.last().at(2).toBool());
  EXPECT_EQ(store_->actionError(), "agent.already_answered");
}

TEST_F(FeedbackControllerTest, TheHandoverAsksForTheSurveyAndItIsAnsweredOnce) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  const auto handover = visitUpdate(id, 2000, wire::VISIT_HANDED_OVER);
  deliver(handover);
  EXPECT_EQ(value(0, "visitStage"), "handed_over");
  EXPECT_EQ(value(0, "surveyRequestId").toStdString(), handover.message_id());
  EXPECT_FALSE(model().value(0, "surveyAnswered").toBool());
  const QString request = QString::fromStdString(handover.message_id());
  EXPECT_FALSE(store_->answerSurvey(request, 0, ""));  // 1..5
  EXPECT_EQ(store_->actionError(), "ui.survey_score");
  QSignalSpy done(store_.get(), &FeedbackController::answerDone);
  EXPECT_TRUE(store_->answerSurvey(request, 2, QString::fromUtf8("等太久了")));
  settle();
  ASSERT_EQ(done.count(), 1);
  EXPECT_EQ(done.first().at(0).toString(), "survey");
  EXPECT_TRUE(done.first().at(2).toBool());
  EXPECT_TRUE(model().value(0, "surveyAnswered").toBool());
}

TEST_F(FeedbackControllerTest, CallMeOnlyWhenParkedThenWaitingPickedUpAndLogged) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  store_->setParked(false);
  EXPECT_FALSE(store_->requestCallback(id, ""));
  EXPECT_EQ(store_->actionError(), "agent.not_parked");
  settle();
  EXPECT_EQ(value(0, "callbackState"), "");

  store_->setParked(true);
  agent_parked_ = false;  // the car's own signals disagree: the agent refuses too
  QSignalSpy done(store_.get(), &FeedbackController::answerDone);
  EXPECT_TRUE(store_->requestCallback(id, ""));
  settle();
  ASSERT_EQ(done.count(), 1);
  EXPECT_FALSE(done.first().at(2).toBool());
  EXPECT_EQ(store_->actionError(), "agent.not_parked");

  agent_parked_ = true;
  EXPECT_TRUE(store_->requestCallback(id, "+86 138 0000 0000"));
  settle();
  ASSERT_EQ(done.count(), 2);
  EXPECT_TRUE(done.last().at(2).toBool());
  EXPECT_EQ(value(0, "callbackState"), "asked");
  EXPECT_TRUE(model().value(0, "callbackOpen").toBool());
  const auto request = codec::decode(test::complete_next(*mqtt_).payload);
  ASSERT_TRUE(request && request->has_callback_request());
  EXPECT_EQ(request->callback_request().phone(), "+86 138 0000 0000");

  auto update = [&](std::int64_t sentAt, wire::CallbackState state, const std::string& agent) {
    auto env = codec::new_envelope(sentAt);
    env.mutable_notification()->set_report_id(id.toStdString());
    env.mutable_notification()->set_status(wire::CASE_STATUS_IN_PROGRESS);
    env.mutable_notification()->mutable_callback()->set_callback_id(request->message_id());
    env.mutable_notification()->mutable_callback()->set_state(state);
    env.mutable_notification()->mutable_callback()->set_agent(agent);
    deliver(env);
  };
  update(2000, wire::CALLBACK_QUEUED, "");
  EXPECT_EQ(value(0, "callbackState"), "queued");
  update(3000, wire::CALLBACK_PICKED_UP, "王芳");
  EXPECT_EQ(value(0, "callbackState"), "picked_up");
  EXPECT_EQ(value(0, "callbackAgent"), QString::fromUtf8("王芳"));
  update(4000, wire::CALLBACK_LOGGED, "");
  EXPECT_EQ(value(0, "callbackState"), "logged");
  EXPECT_FALSE(model().value(0, "callbackOpen").toBool());
}

// Details of another report show none of the last one's steps while (or if) its own are read.
TEST(FeedbackControllerOnAFakeAgent, SelectingAnotherReportEmptiesTheTimelineUntilItsOwnStepsCome) {
  test::FakeAgent agent;
  FeedbackController controller(agent);
  controller.selectReport("r1");
  ASSERT_EQ(agent.timeline_requests.size(), 1u);
  agent::TimelineEvent step;
  step.kind = agent::TimelineKind::queued;
  step.at_ms = 1000;
  agent.timeline_requests.back().done(std::vector<agent::TimelineEvent>{step});
  QCoreApplication::processEvents();
  ASSERT_EQ(controller.timeline()->rowCount(), 1);
  controller.selectReport("r2");
  EXPECT_EQ(controller.timeline()->rowCount(), 0) << "r1's steps under r2";
  ASSERT_EQ(agent.timeline_requests.size(), 2u);
  agent.timeline_requests.back().done(fail(StorageErrc::io, "read failed"));
  QCoreApplication::processEvents();
  EXPECT_EQ(controller.timeline()->rowCount(), 0);
}

TEST(FeedbackControllerOnAFakeAgent, VisitAnswersCarryTheirActionAndAnswerOnTheQtThread) {
  test::FakeAgent agent;
  FeedbackController controller(agent);
  controller.pickSlot("v", "s1");
  controller.declineVisit("v", "  not now  ");
  controller.askOtherTimes("v", "");
  controller.cancelVisit("v", "");
  controller.approveExtra("v", "a1");
  controller.refuseExtra("v", "a2", "no");
  ASSERT_EQ(agent.visit_answers.size(), 6u);
  using Reply = wire::VisitReply;
  const Reply::Action expected[] = {Reply::PICK_SLOT, Reply::DECLINE,       Reply::RESCHEDULE,
                                    Reply::CANCEL,    Reply::APPROVE_EXTRA, Reply::REFUSE_EXTRA};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(agent.visit_answers[i].answer.action, expected[i]) << i;
  EXPECT_EQ(agent.visit_answers[0].answer.slot_id, "s1");
  EXPECT_EQ(agent.visit_answers[1].answer.reason, "not now");
  EXPECT_EQ(agent.visit_answers[4].answer.approval_id, "a1");
  EXPECT_EQ(agent.visit_answers[5].answer.reason, "no");

  QSignalSpy done(&controller, &FeedbackController::answerDone);
  std::thread agent_thread([&] { agent.visit_answers[0].done(fail(agent::AgentErrc::visit_stage, "booked")); });
  agent_thread.join();
  EXPECT_EQ(done.count(), 0) << "answered on the agent's thread";
  QCoreApplication::sendPostedEvents();
  ASSERT_EQ(done.count(), 1);
  EXPECT_EQ(done.first().at(1).toString(), "v");
  EXPECT_EQ(controller.actionError(), "agent.visit_stage");
  EXPECT_EQ(done.first().at(3).toString(), "agent.visit_stage");

  EXPECT_TRUE(controller.parked());
  EXPECT_TRUE(controller.requestCallback("r1", ""));
  controller.setParked(false);
  EXPECT_FALSE(controller.requestCallback("r1", ""));
  EXPECT_EQ(agent.callback_requests.size(), 1u);
  EXPECT_EQ(controller.visitStages(),
            QStringList({"checked_in", "inspection", "diagnosis", "repair", "quality_check", "handed_over"}));
}

}  // namespace
}  // namespace fb::ui

namespace fb::ui {
namespace {

// Issue 10, "My reports": the selected report's timeline, what it allows, and the banners.
class ReportDetailsTest : public FeedbackControllerTest {
 protected:
  wire::Envelope step(const QString& id, wire::CaseStatus status, wire::Milestone milestone, std::int64_t after_ms,
                      bool urgent = false) {
    auto env = notification(id, "FB-2026-000123");
    env.set_sent_at_ms(clock_.epoch_ms() + after_ms);
    env.mutable_notification()->set_status(status);
    env.mutable_notification()->set_milestone(milestone);
    env.mutable_notification()->set_urgent(urgent);
    return env;
  }
  QStringList kinds() {
    QStringList out;
    auto* t = store_->timeline();
    for (int i = 0; i < t->rowCount(); ++i) out << t->value(i, "kind").toString();
    return out;
  }
  bool role(const char* name) { return model().value(0, name).toBool(); }
};

TEST_F(ReportDetailsTest, TheSelectedReportsTimelineFollowsItsStepsAndTheActionsItAllows) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  store_->selectReport(id);
  settle();
  EXPECT_EQ(store_->selectedReport(), id);
  EXPECT_EQ(kinds(), (QStringList{"queued", "sent", "delivered", "received"}));
  EXPECT_TRUE(role("canReply"));
  EXPECT_FALSE(role("canReopen"));
  EXPECT_FALSE(role("canRate"));

  deliver(step(id, wire::CASE_STATUS_IN_PROGRESS, wire::MILESTONE_WORKAROUND, 2000));
  deliver(step(id, wire::CASE_STATUS_RESOLVED, wire::MILESTONE_RESOLVED, 3000));
  EXPECT_EQ(kinds().mid(4), (QStringList{"workaround", "resolved"}));  // refreshed as they came
  EXPECT_TRUE(role("canReopen"));
  EXPECT_TRUE(role("canRate"));

  store_->setVehicleMoving(true);
  EXPECT_FALSE(store_->reply(id, "still squeals"));  // no typing while driving
  EXPECT_EQ(store_->actionError(), "ui.typing_while_moving");
  store_->setVehicleMoving(false);
  EXPECT_FALSE(store_->rate(id, 0, ""));
  EXPECT_EQ(store_->actionError(), "ui.survey_score");

  clock_.advance(std::chrono::minutes(1));  // the driver acts after reading them
  settle();
  QSignalSpy done(store_.get(), &FeedbackController::answerDone);
  EXPECT_TRUE(store_->rate(id, 4, "ok"));
  settle();
  ASSERT_EQ(done.count(), 1);
  EXPECT_EQ(done.last().at(0).toString(), "rating");
  EXPECT_TRUE(done.last().at(2).toBool());
  EXPECT_FALSE(role("canRate"));

  EXPECT_TRUE(store_->reopen(id, "still squeals"));
  settle();
  ASSERT_EQ(done.count(), 2);
  EXPECT_TRUE(done.last().at(2).toBool());
  EXPECT_TRUE(role("reopenPending"));
  EXPECT_FALSE(role("canReopen"));
  EXPECT_EQ(kinds().mid(6), (QStringList{"rated", "reopen_asked"}));
  EXPECT_EQ(store_->timeline()->value(7, "text").toString(), "still squeals");
  EXPECT_TRUE(store_->timeline()->value(7, "mine").toBool());

  store_->selectReport("");
  settle();
  EXPECT_EQ(store_->timeline()->rowCount(), 0);
}

TEST_F(ReportDetailsTest, WhileDrivingProgressBannersWaitAndSafetyGuidanceShowsAtOnce) {
  openAndStart();
  const QString id = submitAndAcknowledge("FB-2026-000123");
  store_->setVehicleMoving(true);
  deliver(step(id, wire::CASE_STATUS_IN_PROGRESS, wire::MILESTONE_IN_PROGRESS, 1000));
  auto* banners = store_->banners();
  EXPECT_FALSE(banners->showing());
  EXPECT_EQ(banners->waiting(), 1);
  const auto urgent = step(id, wire::CASE_STATUS_IN_PROGRESS, wire::MILESTONE_MESSAGE, 2000, true);
  deliver(urgent);
  ASSERT_TRUE(banners->showing());
  EXPECT_TRUE(banners->urgent());
  EXPECT_EQ(banners->messageId().toStdString(), urgent.message_id());
  banners->dismiss();
  EXPECT_FALSE(banners->showing());
  store_->setVehicleMoving(false);
  EXPECT_TRUE(banners->showing());
  EXPECT_FALSE(banners->urgent());
}

}  // namespace
}  // namespace fb::ui
