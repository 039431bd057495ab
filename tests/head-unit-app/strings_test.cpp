// The translation table (qml/i18n/Strings.qml): every key in both languages, the language
// selects them, and every category and report status key of the vocabularies
// (fb/common/vocabulary.hpp) has its text in both languages and its status colour.
#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QQmlComponent>
#include <QQmlEngine>
#include <memory>

#include "fake_agent.hpp"
#include "fb/common/vocabulary.hpp"
#include "fb/ui/categories.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/reports_model.hpp"
#include "registrations.hpp"

namespace fb::ui {
namespace {

class StringsTest : public ::testing::Test {
 protected:
  // Strings reads FeedbackController.language: one controller for the suite, handed to QML as
  // fb-headunit does.
  static void SetUpTestSuite() {
    agent_ = new test::FakeAgent;
    controller_ = new FeedbackController(*agent_);
    qml::FeedbackControllerForeign::instance = controller_;
    // The suite shares one engine (the singleton is the engine's once it asked for it).
    engine_ = new QQmlEngine;
    engine_->addImportPath(QStringLiteral("qrc:/"));  // as fb-headunit does
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete controller_;
    delete agent_;
  }

  void SetUp() override {
    QQmlComponent component(engine_);
    component.setData(R"(
        import QtQml
        import FeedbackUi
        QtObject {
            function untranslated() { return Strings.untranslated() }
            function text(key) { return Strings.t(key) }
            function translated(key) { return Strings.translated(key) }
            function hasColour(status) { return Theme.statusColors[status] !== undefined }
        })",
                      QUrl(QStringLiteral("qrc:/strings_test.qml")));
    probe_.reset(component.create());
    ASSERT_TRUE(probe_) << component.errorString().toStdString();
  }

  bool call(const char* function, std::string_view arg) {
    QVariant result;
    QMetaObject::invokeMethod(probe_.get(), function, Q_RETURN_ARG(QVariant, result),
                              Q_ARG(QVariant, QString::fromUtf8(arg.data(), static_cast<qsizetype>(arg.size()))));
    return result.toBool();
  }

  QString text(const QString& language, const QString& key) {
    controller_->setLanguage(language);
    QVariant result;
    QMetaObject::invokeMethod(probe_.get(), "text", Q_RETURN_ARG(QVariant, result), Q_ARG(QVariant, key));
    return result.toString();
  }

  static inline test::FakeAgent* agent_ = nullptr;
  static inline FeedbackController* controller_ = nullptr;
  static inline QQmlEngine* engine_ = nullptr;
  std::unique_ptr<QObject> probe_;
};

TEST_F(StringsTest, EveryTextHasEnglishAndChinese) {
  QVariant missing;
  ASSERT_TRUE(QMetaObject::invokeMethod(probe_.get(), "untranslated", Q_RETURN_ARG(QVariant, missing)));
  EXPECT_TRUE(missing.toStringList().isEmpty()) << missing.toStringList().join(", ").toStdString();
}

TEST_F(StringsTest, TheLanguageSelectsTheText) {
  EXPECT_EQ(text("en", "compose.send"), "Send");
  EXPECT_EQ(text("zh", "compose.send"), QString::fromUtf8("发送"));
  EXPECT_EQ(text("zh", "no.such.key"), "no.such.key");
}

TEST_F(StringsTest, EveryCategoryAndStatusKeyHasEnglishAndChinese) {
  for (const auto& e : vocabulary<wire::Category>()) {
    EXPECT_TRUE(call("translated", "category." + std::string(e.key))) << e.key;
  }
  for (const auto& e : vocabulary<ReportStatus>()) {
    EXPECT_TRUE(call("translated", "status." + std::string(e.key))) << e.key;
    EXPECT_TRUE(call("hasColour", e.key)) << e.key;
  }
  for (const auto& choice : category_choices()) {  // what the dashboard offers
    EXPECT_TRUE(call("translated", "category." + std::string(choice.key))) << choice.key;
  }
  EXPECT_FALSE(call("translated", "category.driving-feel"));  // the old spelling is gone
}

TEST_F(StringsTest, EveryVisitStagePendingAnswerAndCallbackStateHasEnglishAndChinese) {
  for (int v = wire::VisitStage_MIN; v <= wire::VisitStage_MAX; ++v) {
    if (!wire::VisitStage_IsValid(v)) continue;
    const auto key = "visit.stage." + ReportsModel::visitStageKey(static_cast<wire::VisitStage>(v)).toStdString();
    EXPECT_TRUE(call("translated", key)) << key;
  }
  for (int a = wire::VisitReply::Action_MIN; a <= wire::VisitReply::Action_MAX; ++a) {
    if (!wire::VisitReply::Action_IsValid(a)) continue;
    const auto key = "visit.pending." +
                     ReportsModel::pendingKey(static_cast<wire::VisitReply::Action>(a)).toStdString();
    EXPECT_TRUE(call("translated", key)) << key;
  }
  for (int c = wire::CallbackState_MIN; c <= wire::CallbackState_MAX; ++c) {
    if (!wire::CallbackState_IsValid(c)) continue;
    const auto key = "callback.state." +
                     ReportsModel::callbackStateKey(static_cast<wire::CallbackState>(c)).toStdString();
    EXPECT_TRUE(call("translated", key)) << key;
  }
  EXPECT_EQ(text("en", "callback.state.picked_up"), "An agent will call you");
  EXPECT_EQ(text("zh", "callback.state.logged"), QString::fromUtf8("通话已记录"));
}

// The report card with everything issue 13 adds: it must build and bind without a QML warning
// (a misspelt role or property only shows at run time), and show the texts a driver acts on.
TEST_F(StringsTest, AReportCardWithAVisitASurveyAndACallbackBindsWithoutWarnings) {
  QStringList warnings;
  auto connection = QObject::connect(engine_, &QQmlEngine::warnings, [&](const QList<QQmlError>& list) {
    for (const auto& w : list) warnings << w.toString();
  });
  controller_->setLanguage("en");
  controller_->setParked(false);
  QVariantMap slot{{"slotId", "s1"},
                   {"dealerCode", "SH-001"},
                   {"dealerName", "Pudong"},
                   {"startMs", 1'780'200'000'000.0},
                   {"endMs", 1'780'207'200'000.0},
                   {"work", "gearbox check"}};
  QVariantMap extra{{"approvalId", "a1"}, {"minor", 35000}, {"currency", "CNY"}, {"reason", "clutch plates worn"}};
  const QVariantMap properties{{"category", "noise"},
                               {"text", "squeal"},
                               {"status", "appointment"},
                               {"caseNumber", "FB-2026-000123"},
                               {"team", ""},
                               {"lastTitle", ""},
                               {"lastText", ""},
                               {"rejectReason", ""},
                               {"createdMs", 1'780'000'000'000.0},
                               {"reportId", "r1"},
                               {"visitId", "visit-1"},
                               {"visitStage", "repair"},
                               {"visitSlots", QVariantList{slot}},
                               {"visitBooked", slot},
                               {"visitReadyAtMs", 1'780'300'000'000.0},
                               {"visitEstimate", QVariantMap{{"minor", 80000}, {"currency", "CNY"}}},
                               {"visitExtraCost", extra},
                               {"visitApprovalOpen", true},
                               {"visitReminder", false},
                               {"visitQualityFailed", false},
                               {"visitPending", ""},
                               {"callbackState", "picked_up"},
                               {"callbackAgent", "Wang Fang"},
                               {"callbackOutcome", ""},
                               {"callbackOpen", true},
                               {"surveyRequestId", "n1"},
                               {"surveyAnswered", false}};
  QQmlComponent component(engine_, QUrl(QStringLiteral("qrc:/FeedbackUi/controls/ReportCard.qml")));
  std::unique_ptr<QObject> card(component.createWithInitialProperties(properties));
  ASSERT_TRUE(card) << component.errorString().toStdString();
  QCoreApplication::processEvents();
  QStringList texts;
  for (auto* child : card->findChildren<QObject*>()) {
    const auto t = child->property("text");
    if (t.isValid() && child->property("visible").toBool()) texts << t.toString();
  }
  const auto shown = texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("Service visit · Repair")) << shown;
  EXPECT_TRUE(texts.contains("Extra cost needs your approval: 350.00 CNY")) << shown;
  EXPECT_TRUE(texts.contains("Approve")) << shown;
  EXPECT_TRUE(texts.contains("An agent will call you · Wang Fang")) << shown;
  EXPECT_TRUE(texts.contains("How was it? Score 1 to 5")) << shown;
  EXPECT_TRUE(texts.contains("Estimate: 800.00 CNY")) << shown;
  card.reset();
  controller_->setParked(true);
  QObject::disconnect(connection);
  EXPECT_TRUE(warnings.isEmpty()) << warnings.join("\n").toStdString();
}

}  // namespace
}  // namespace fb::ui
