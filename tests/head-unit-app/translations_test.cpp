// The dashboard's translations (Qt .ts/.qm, qml/i18n/Texts.qml): switching UiTranslator's
// language at run time changes the texts on screen, every key C++ hands to QML (categories,
// statuses, visit stages, pending answers, callback states, error codes) has its own text in
// both languages, and a report card binds without warnings. That every .ts message is
// translated is checked by the ctest headunit_translations_complete.
#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQmlListReference>
#include <QSignalSpy>
#include <functional>
#include <memory>

#include "fake_agent.hpp"
#include "fb/agent/errors.hpp"
#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"
#include "fb/ui/categories.hpp"
#include "fb/ui/error_keys.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/reports_model.hpp"
#include "registrations.hpp"
#include "ui_translator.hpp"

namespace fb::ui {
namespace {

class TranslationsTest : public ::testing::Test {
 protected:
  // One controller, translator and engine for the suite, handed to QML as fb-headunit does.
  static void SetUpTestSuite() {
    agent_ = new test::FakeAgent;
    controller_ = new FeedbackController(*agent_);
    qml::FeedbackControllerForeign::instance = controller_;
    engine_ = new QQmlEngine;
    engine_->addImportPath(QStringLiteral("qrc:/"));  // as fb-headunit does
    translator_ = new qml::UiTranslator(*engine_);
    qml::UiTranslator::instance = translator_;
  }
  static void TearDownTestSuite() {
    delete translator_;
    delete engine_;
    delete controller_;
    delete agent_;
  }

  void SetUp() override {
    ASSERT_TRUE(translator_->setLanguage("en"));
    QQmlComponent component(engine_);
    component.setData(R"(
        import QtQml
        import FeedbackUi
        QtObject {
            function text(kind, key) { return Texts[kind](key) }
        })",
                      QUrl(QStringLiteral("qrc:/translations_test.qml")));
    probe_.reset(component.create());
    ASSERT_TRUE(probe_) << component.errorString().toStdString();
  }

  /// Texts.<kind>(key) in `language`.
  QString text(const QString& language, const char* kind, const QString& key) {
    EXPECT_TRUE(translator_->setLanguage(language));
    QVariant result;
    QMetaObject::invokeMethod(probe_.get(), "text", Q_RETURN_ARG(QVariant, result), Q_ARG(QVariant, kind),
                              Q_ARG(QVariant, key));
    return result.toString();
  }

  /// The key has a text of its own in both languages, and they differ.
  void expectTranslated(const char* kind, const QString& key) {
    const QString en = text("en", kind, key);
    const QString zh = text("zh", kind, key);
    EXPECT_NE(en, key) << kind << " " << key.toStdString();
    EXPECT_FALSE(en.isEmpty()) << kind << " " << key.toStdString();
    EXPECT_NE(zh, en) << kind << " " << key.toStdString() << ": " << en.toStdString();
  }

  /// The engine's QML warnings from now on go into `into` (disconnect the result when done).
  static QMetaObject::Connection collectWarnings(QStringList& into) {
    return QObject::connect(engine_, &QQmlEngine::warnings, [&into](const QList<QQmlError>& list) {
      for (const auto& w : list) into << w.toString();
    });
  }
  /// Selects report `id` and answers its timeline request with `events`.
  static void showTimeline(const QString& id, std::vector<agent::TimelineEvent> events) {
    controller_->selectReport(id);
    ASSERT_FALSE(agent_->timeline_requests.empty());
    agent_->timeline_requests.back().done(std::move(events));
    QCoreApplication::processEvents();
  }

  /// A ReportCard's required properties (the ReportsModel roles): report r2, resolved, with no
  /// visit, callback or survey; then `overrides`.
  static QVariantMap cardProperties(const QVariantMap& overrides) {
    QVariantMap p{{"category", "ui"},
                  {"text", "screen froze"},
                  {"status", "resolved"},
                  {"caseNumber", "FB-2026-000124"},
                  {"team", ""},
                  {"lastTitle", ""},
                  {"lastText", ""},
                  {"rejectReason", ""},
                  {"dropReason", ""},
                  {"createdMs", 1'780'000'000'000.0},
                  {"reportId", "r2"},
                  {"visitId", ""},
                  {"visitStage", ""},
                  {"visitSlots", QVariantList{}},
                  {"visitBooked", QVariantMap{}},
                  {"visitReadyAtMs", 0.0},
                  {"visitReadyAtText", ""},
                  {"visitEstimate", QVariantMap{}},
                  {"visitExtraCost", QVariantMap{}},
                  {"visitApprovalOpen", false},
                  {"visitReminder", false},
                  {"visitQualityFailed", false},
                  {"visitPending", ""},
                  {"callbackState", ""},
                  {"callbackAgent", ""},
                  {"callbackOutcome", ""},
                  {"callbackOpen", false},
                  {"surveyRequestId", ""},
                  {"surveyAnswered", false},
                  {"canReply", true},
                  {"canReopen", true},
                  {"canRate", false},
                  {"reopenPending", false}};
    for (auto it = overrides.begin(); it != overrides.end(); ++it) p.insert(it.key(), it.value());
    return p;
  }

  /// A ReportCard with cardProperties(overrides), events processed once it is built; nullptr (the
  /// test failed with QML's error) when it does not build.
  static std::unique_ptr<QObject> createCard(const QVariantMap& overrides) {
    QQmlComponent component(engine_, QUrl(QStringLiteral("qrc:/FeedbackUi/controls/ReportCard.qml")));
    std::unique_ptr<QObject> card(component.createWithInitialProperties(cardProperties(overrides)));
    if (!card) ADD_FAILURE() << component.errorString().toStdString();
    QCoreApplication::processEvents();
    return card;
  }

  /// The visible texts of `root`'s item tree (a Repeater's delegates are child items, not
  /// QObject children), joined with " | ". `drawnOnly`: only the texts drawn (Text and Label
  /// items), not the `text` properties of controls and delegates.
  static std::string shownTexts(QObject* root, bool drawnOnly = false) {
    QStringList texts;
    std::function<void(QObject*)> walk = [&](QObject* o) {
      const auto t = o->property("text");
      if (t.isValid() && o->property("visible").toBool() && (!drawnOnly || o->inherits("QQuickText"))) {
        texts << t.toString();
      }
      QQmlListReference items(o, "children");
      for (qsizetype i = 0; items.isValid() && i < items.count(); ++i) walk(items.at(i));
    };
    walk(root);
    return texts.join(" | ").toStdString();
  }

  static QString label(QObject* root, const char* objectName) {
    auto* item = root->findChild<QObject*>(QString::fromLatin1(objectName));
    return item ? item->property("text").toString() : QStringLiteral("<no %1>").arg(QLatin1String(objectName));
  }

  static inline test::FakeAgent* agent_ = nullptr;
  static inline FeedbackController* controller_ = nullptr;
  static inline QQmlEngine* engine_ = nullptr;
  static inline qml::UiTranslator* translator_ = nullptr;
  std::unique_ptr<QObject> probe_;
};

TEST_F(TranslationsTest, SwitchingTheLanguageAtRunTimeChangesTheTextsOnScreen) {
  QQmlComponent component(engine_, QUrl(QStringLiteral("qrc:/FeedbackUi/panels/TopBar.qml")));
  std::unique_ptr<QObject> bar(component.create());
  ASSERT_TRUE(bar) << component.errorString().toStdString();
  QQmlComponent compose_component(engine_, QUrl(QStringLiteral("qrc:/FeedbackUi/panels/ComposePanel.qml")));
  std::unique_ptr<QObject> compose(compose_component.create());
  ASSERT_TRUE(compose) << compose_component.errorString().toStdString();
  EXPECT_EQ(label(compose.get(), "composeTitle"), "What would you like to tell us?");
  EXPECT_EQ(label(bar.get(), "languageSwitch"), QString::fromUtf8("中文"));

  QSignalSpy changed(translator_, &qml::UiTranslator::languageChanged);
  // The driver taps the switch: QML sets UiTranslator.language.
  ASSERT_TRUE(QMetaObject::invokeMethod(bar->findChild<QObject*>("languageSwitch"), "clicked"));
  EXPECT_EQ(changed.count(), 1);
  EXPECT_EQ(translator_->language(), "zh");
  EXPECT_EQ(label(compose.get(), "composeTitle"), QString::fromUtf8("您想反馈什么？"));
  EXPECT_EQ(label(bar.get(), "languageSwitch"), "English");

  ASSERT_TRUE(translator_->setLanguage("en"));
  EXPECT_EQ(label(compose.get(), "composeTitle"), "What would you like to tell us?");
}

// What the driver typed in the composer goes only with the composer's own report: a quick report
// saved meanwhile, or a Send while moving (the field hidden, its text not sent), leaves it.
TEST_F(TranslationsTest, TheComposerClearsWhatWasTypedOnlyOnceItsOwnReportWithThatTextIsSaved) {
  QQmlComponent component(engine_, QUrl(QStringLiteral("qrc:/FeedbackUi/panels/ComposePanel.qml")));
  std::unique_ptr<QObject> compose(component.create());
  ASSERT_TRUE(compose) << component.errorString().toStdString();
  auto* field = compose->findChild<QObject*>("composeText");
  auto* send = compose->findChild<QObject*>("composeSend");
  ASSERT_TRUE(field && send);
  const auto typed = QString::fromUtf8("仪表台异响 rattle");
  field->setProperty("text", typed);
  const auto saved = [&](const char* id) {
    ASSERT_FALSE(agent_->submitted.empty());
    agent_->submitted.back().done(std::string(id));
    QCoreApplication::processEvents();
  };

  agent::Draft quick;
  quick.category = wire::CATEGORY_BRAKES;
  ASSERT_TRUE(controller_->submitDraft(quick));
  saved("quick");
  EXPECT_EQ(field->property("text").toString(), typed) << "a quick report is not the composer's";

  controller_->setVehicleMoving(true);
  compose->setProperty("selectedCategory", "noise");
  ASSERT_TRUE(QMetaObject::invokeMethod(send, "clicked"));
  ASSERT_EQ(agent_->submitted.size(), 2u);
  EXPECT_EQ(agent_->submitted.back().draft.text, "");
  saved("moving");
  EXPECT_EQ(field->property("text").toString(), typed) << "hidden while moving, so not sent";

  controller_->setVehicleMoving(false);
  compose->setProperty("selectedCategory", "noise");
  ASSERT_TRUE(QMetaObject::invokeMethod(send, "clicked"));
  ASSERT_EQ(agent_->submitted.size(), 3u);
  EXPECT_EQ(agent_->submitted.back().draft.text, typed.toStdString());
  saved("sent");
  EXPECT_EQ(field->property("text").toString(), "");
}

// A reply stays in its field until the agent has queued it: a refused one can be sent again.
TEST_F(TranslationsTest, AReplyIsClearedOnlyOnceTheAgentHasQueuedIt) {
  QQmlComponent component(engine_, QUrl(QStringLiteral("qrc:/FeedbackUi/controls/ReportDetails.qml")));
  std::unique_ptr<QObject> details(component.createWithInitialProperties({{"reportId", "r1"}, {"canReply", true}}));
  ASSERT_TRUE(details) << component.errorString().toStdString();
  auto* field = details->findChild<QObject*>("replyText");
  auto* send = details->findChild<QObject*>("replySend");
  ASSERT_TRUE(field && send);
  const auto typed = QString::fromUtf8("刹车还是有异响 still squeals");
  field->setProperty("text", typed);
  ASSERT_TRUE(QMetaObject::invokeMethod(send, "clicked"));
  ASSERT_EQ(agent_->case_actions.size(), 1u);
  agent_->case_actions.back().done(fail(StorageErrc::full, "disk full"));
  QCoreApplication::processEvents();
  EXPECT_EQ(field->property("text").toString(), typed) << "refused: the words are still there";
  ASSERT_TRUE(QMetaObject::invokeMethod(send, "clicked"));
  ASSERT_EQ(agent_->case_actions.size(), 2u);
  agent_->case_actions.back().done(std::string("m1"));
  QCoreApplication::processEvents();
  EXPECT_EQ(field->property("text").toString(), "");
}

TEST_F(TranslationsTest, AKeyFromCppIsTranslatedAgainWhenTheLanguageChanges) {
  QQmlComponent component(engine_);
  component.setData(R"(
      import QtQuick
      import FeedbackUi
      Text { text: Texts.category("noise") + " | " + Texts.error(FeedbackController.lastError) })",
                    QUrl(QStringLiteral("qrc:/translations_test_binding.qml")));
  std::unique_ptr<QObject> shown(component.create());
  ASSERT_TRUE(shown) << component.errorString().toStdString();
  controller_->setVehicleMoving(true);
  EXPECT_FALSE(controller_->submit("noise", "typed"));
  EXPECT_EQ(controller_->lastError(), "ui.typing_while_moving");
  EXPECT_EQ(shown->property("text").toString(), "Noise | No typing while driving: choose a category only");
  ASSERT_TRUE(translator_->setLanguage("zh"));
  EXPECT_EQ(shown->property("text").toString(), QString::fromUtf8("异响 | 行驶中不能打字，请只选择类别"));
  controller_->clearError();
  controller_->setVehicleMoving(false);
}

TEST_F(TranslationsTest, AnUnknownLanguageIsEnglishAndTheControllerDoesNotDecideTheUi) {
  ASSERT_TRUE(translator_->setLanguage("zh-CN"));
  EXPECT_EQ(translator_->language(), "zh");
  ASSERT_TRUE(translator_->setLanguage("de"));
  EXPECT_EQ(translator_->language(), "en");
  EXPECT_EQ(text("en", "status", "no_such_status"), "no_such_status");
}

TEST_F(TranslationsTest, EveryCategoryStatusVisitAndCallbackKeyHasItsText) {
  for (const auto& e : vocabulary<wire::Category>()) expectTranslated("category", QString::fromUtf8(e.key));
  for (const auto& choice : category_choices()) expectTranslated("category", QString::fromUtf8(choice.key));
  for (const auto& e : vocabulary<ReportStatus>()) expectTranslated("status", QString::fromUtf8(e.key));
  for (int v = wire::VisitStage_MIN; v <= wire::VisitStage_MAX; ++v) {
    if (wire::VisitStage_IsValid(v)) {
      expectTranslated("visitStage", ReportsModel::visitStageKey(static_cast<wire::VisitStage>(v)));
    }
  }
  for (int a = wire::VisitReply::Action_MIN; a <= wire::VisitReply::Action_MAX; ++a) {
    if (wire::VisitReply::Action_IsValid(a)) {
      expectTranslated("visitPending", ReportsModel::pendingKey(static_cast<wire::VisitReply::Action>(a)));
    }
  }
  for (int c = wire::CallbackState_MIN; c <= wire::CallbackState_MAX; ++c) {
    if (wire::CallbackState_IsValid(c)) {
      expectTranslated("callbackState", ReportsModel::callbackStateKey(static_cast<wire::CallbackState>(c)));
    }
  }
  EXPECT_EQ(text("en", "callbackState", "picked_up"), "An agent will call you");
  EXPECT_EQ(text("zh", "callbackState", "logged"), QString::fromUtf8("通话已记录"));
  EXPECT_EQ(text("zh", "status", "appointment"), QString::fromUtf8("预约到店"));
  EXPECT_EQ(text("zh", "visitStage", "stage_unspecified"), QString::fromUtf8("到店服务"));
}

TEST_F(TranslationsTest, EveryErrorTheDriverCanMeetHasItsOwnText) {
  const QString generic = text("en", "error", "no.such_code");
  EXPECT_EQ(generic, "Something went wrong (no.such_code)");
  std::vector<QString> keys = {error_key::kUnknownCategory, error_key::kTypingWhileMoving, error_key::kSurveyScore,
                               error_key::kNotParked};
  // Every AgentErrc: the values run from 1 until the category no longer knows one.
  int agent_errors = 0;
  for (int v = 1;; ++v) {
    const auto key = errorKey(make_error_code(static_cast<agent::AgentErrc>(v)));
    if (key.endsWith(".unknown")) break;
    keys.push_back(key);
    ++agent_errors;
  }
  EXPECT_GE(agent_errors, static_cast<int>(agent::AgentErrc::case_closed));
  for (auto e :
       {StorageErrc::full, StorageErrc::corrupt, StorageErrc::open_failed, StorageErrc::io, StorageErrc::not_found}) {
    keys.push_back(errorKey(make_error_code(e)));
  }
  for (auto e : {WireErrc::missing_field, WireErrc::invalid_field, WireErrc::oversize, WireErrc::invalid_utf8}) {
    keys.push_back(errorKey(make_error_code(e)));
  }
  keys.push_back(errorKey(make_error_code(MqttErrc::tls_setup)));
  for (const auto& key : keys) {
    EXPECT_FALSE(key.endsWith(".unknown")) << key.toStdString();
    expectTranslated("error", key);
    EXPECT_FALSE(text("en", "error", key).startsWith("Something went wrong")) << key.toStdString();
  }
  EXPECT_EQ(text("zh", "error", "storage.full"), QString::fromUtf8("存储空间已满"));
  EXPECT_EQ(text("en", "error", ""), "");
}

// The report card with a visit, a survey and a callback: it must build and bind without a QML
// warning (a misspelt role or property only shows at run time), and show the texts a driver acts on.
TEST_F(TranslationsTest, AReportCardWithAVisitASurveyAndACallbackBindsWithoutWarnings) {
  QStringList warnings;
  auto connection = collectWarnings(warnings);
  controller_->setParked(false);
  QVariantMap slot{{"slotId", "s1"},
                   {"dealerCode", "SH-001"},
                   {"dealerName", "Pudong"},
                   {"startMs", 1'780'200'000'000.0},
                   {"endMs", 1'780'207'200'000.0},
                   {"startText", "2026-05-31 12:00"},
                   {"work", "gearbox check"}};
  QVariantMap extra{{"approvalId", "a1"}, {"minor", 35000}, {"currency", "CNY"}, {"reason", "clutch plates worn"}};
  auto card = createCard({{"category", "noise"},
                          {"text", "squeal"},
                          {"status", "appointment"},
                          {"caseNumber", "FB-2026-000123"},
                          {"reportId", "r1"},
                          {"visitId", "visit-1"},
                          {"visitStage", "repair"},
                          {"visitSlots", QVariantList{slot}},
                          {"visitBooked", slot},
                          {"visitReadyAtMs", 1'780'300'000'000.0},
                          {"visitReadyAtText", "2026-06-01 15:46"},
                          {"visitEstimate", QVariantMap{{"minor", 80000}, {"currency", "CNY"}}},
                          {"visitExtraCost", extra},
                          {"visitApprovalOpen", true},
                          {"callbackState", "picked_up"},
                          {"callbackAgent", "Wang Fang"},
                          {"callbackOpen", true},
                          {"surveyRequestId", "n1"},
                          {"canReopen", false}});
  ASSERT_TRUE(card);
  auto shown = [&] {
    QStringList texts;
    for (auto* child : card->findChildren<QObject*>()) {
      const auto t = child->property("text");
      if (t.isValid() && child->property("visible").toBool()) texts << t.toString();
    }
    return texts;
  };
  auto texts = shown();
  EXPECT_TRUE(texts.contains("Service visit · Repair")) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("Extra cost needs your approval: 350.00 CNY")) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("Approve")) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("An agent will call you · Wang Fang")) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("How was it? Score 1 to 5")) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("Estimate: 800.00 CNY")) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("Booked: Pudong · 2026-05-31 12:00 · gearbox check")) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("Expected ready: 2026-06-01 15:46")) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains("Details")) << texts.join(" | ").toStdString();
  ASSERT_TRUE(translator_->setLanguage("zh"));
  texts = shown();
  EXPECT_TRUE(texts.contains(QString::fromUtf8("到店服务 · 维修"))) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains(QString::fromUtf8("客服将给您回电 · Wang Fang"))) << texts.join(" | ").toStdString();
  EXPECT_TRUE(texts.contains(QString::fromUtf8("预约到店"))) << texts.join(" | ").toStdString();
  card.reset();
  controller_->setParked(true);
  QObject::disconnect(connection);
  EXPECT_TRUE(warnings.isEmpty()) << warnings.join("\n").toStdString();
}

// Words from outside the car that look like markup are shown as they are: a dealer's name with
// <font> or <img src=...> must not be drawn as styled text (nor make the car fetch a URL).
TEST_F(TranslationsTest, MarkupInADealersOrTheBackendsWordsIsShownAsItIs) {
  const QString hostile = QStringLiteral("<img src=\"http://example.invalid/x.png\"><font color=red>CALL 400</font>");
  QVariantMap slot{{"slotId", "s1"}, {"dealerCode", "SH-001"},          {"dealerName", hostile}, {"startMs", 1.0},
                   {"endMs", 2.0},   {"startText", "2026-05-31 12:00"}, {"work", "<b>x</b>"}};
  QVariantMap extra{{"approvalId", "a1"}, {"minor", 35000}, {"currency", "CNY"}, {"reason", hostile}};
  auto card = createCard({{"status", "appointment"},
                          {"lastTitle", hostile},
                          {"lastText", hostile},
                          {"visitId", "visit-1"},
                          {"visitStage", "proposed"},
                          {"visitSlots", QVariantList{slot}},
                          {"visitExtraCost", extra},
                          {"visitApprovalOpen", true}});
  ASSERT_TRUE(card);
  const auto texts = shownTexts(card.get(), /*drawnOnly=*/true);
  EXPECT_NE(texts.find(hostile.toStdString() + " · 2026-05-31 12:00 · <b>x</b>"), std::string::npos) << texts;
  int drawn = 0;
  std::function<void(QObject*)> walk = [&](QObject* o) {
    if (o->inherits("QQuickText") && o->property("visible").toBool()) {
      ++drawn;
      EXPECT_EQ(o->property("textFormat").toInt(), 0 /* Text.PlainText */)
          << o->property("text").toString().toStdString();
    }
    QQmlListReference items(o, "children");
    for (qsizetype i = 0; items.isValid() && i < items.count(); ++i) walk(items.at(i));
  };
  walk(card.get());
  EXPECT_GT(drawn, 5);
}

TEST_F(TranslationsTest, EveryTimelineStepAndRefusalHasItsText) {
  for (const auto& e : vocabulary<agent::TimelineKind>()) expectTranslated("timelineStep", QString::fromUtf8(e.key));
  for (const char* reason : {"not_reopenable", "case_closed"}) expectTranslated("actionRefusal", reason);
}

// The car keeps a refusal as "<reason>: <detail>", the detail in English for support: the card
// shows the reason in the driver's language and not the detail.
TEST_F(TranslationsTest, EveryRefusalOfAReportShowsItsReasonInTheDriversLanguageWithoutTheDetail) {
  for (const auto& e : vocabulary<DeadLetterReason>()) {
    const auto stored = QString::fromUtf8(e.key) + QStringLiteral(": report.vin: 'X' is not 17 ISO 3779 characters");
    expectTranslated("rejectReason", stored);
    EXPECT_FALSE(text("zh", "rejectReason", stored).contains(QStringLiteral("ISO 3779"))) << e.key;
  }
  EXPECT_EQ(text("zh", "rejectReason", "vin_mismatch: report.vin differs from the topic's"),
            QString::fromUtf8("反馈指向了另一辆车"));
  EXPECT_EQ(text("en", "rejectReason", ""), "");
}

// A selected report's card opens its details: the timeline with the team's words and the
// driver's own steps, and the actions C++ allows; it binds without warnings in both languages.
TEST_F(TranslationsTest, ASelectedReportShowsItsTimelineAndItsActions) {
  QStringList warnings;
  auto connection = collectWarnings(warnings);
  using K = agent::TimelineKind;
  showTimeline("r2", std::vector<agent::TimelineEvent>{{K::queued, 1'780'000'000'000, "", "", "", ""},
                                                       {K::received, 1'780'000'060'000, "", "", "", ""},
                                                       {K::workaround, 1'780'000'120'000, "Known issue",
                                                        "Restart the screen", "", "n1"},
                                                       {K::resolved, 1'780'000'180'000, "Resolved", "", "", "n2"},
                                                       {K::rated, 1'780'000'240'000, "", "", "4", "m1"}});
  ASSERT_EQ(controller_->timeline()->rowCount(), 5);
  auto card = createCard({});
  ASSERT_TRUE(card);
  auto texts = shownTexts(card.get());
  for (const char* expected :
       {"Timeline", "Received by the service team", "Workaround offered", "Known issue · Restart the screen",
        "Your rating: 4 of 5", "Reply", "Not fixed: reopen", "Hide details"}) {
    EXPECT_NE(texts.find(expected), std::string::npos) << expected << " not in " << texts;
  }
  EXPECT_EQ(texts.find("Rate 1 to 5"), std::string::npos);  // canRate is false
  ASSERT_TRUE(translator_->setLanguage("zh"));
  texts = shownTexts(card.get());
  for (const char* expected : {"已提供临时解决办法", "您的评分：4 分（满分 5 分）", "未解决：重新打开"}) {
    EXPECT_NE(texts.find(expected), std::string::npos) << expected << " not in " << texts;
  }
  card.reset();
  controller_->selectReport("");
  QObject::disconnect(connection);
  EXPECT_TRUE(warnings.isEmpty()) << warnings.join("\n").toStdString();
}

// A report that left the car unsent says why (issue 8: the driver is told what was dropped and
// why), on its card and in its timeline; a refused one's timeline gives the reason in the
// driver's language, not the backend's English detail.
TEST_F(TranslationsTest, ADroppedOrRefusedReportSaysWhyOnItsCardAndInItsTimeline) {
  for (const auto& e : vocabulary<DropReason>()) expectTranslated("dropReason", QString::fromUtf8(e.key));
  EXPECT_EQ(text("en", "dropReason", ""), "");

  QStringList warnings;
  auto connection = collectWarnings(warnings);
  using K = agent::TimelineKind;
  showTimeline("r2",
               std::vector<agent::TimelineEvent>{{K::queued, 1'780'000'000'000, "", "", "", ""},
                                                 {K::rejected, 1'780'000'060'000, "",
                                                  "report.vin: 'X' is not 17 ISO 3779 characters", "vin_mismatch", ""},
                                                 {K::dropped, 1'780'000'120'000, "", "", "evicted_for_space", ""}});
  auto card = createCard({{"status", "dropped"}, {"caseNumber", ""}, {"dropReason", "expired"}});
  ASSERT_TRUE(card);
  auto texts = shownTexts(card.get());
  for (const char* expected :
       {"Not sent: it could not be sent before its time to live ended", "it names another vehicle",
        "the car's queue was full, and more urgent or newer reports went first"}) {
    EXPECT_NE(texts.find(expected), std::string::npos) << expected << " not in " << texts;
  }
  const auto drawn = shownTexts(card.get(), true);
  EXPECT_NE(drawn.find("it names another vehicle"), std::string::npos) << drawn;
  EXPECT_EQ(drawn.find("ISO 3779"), std::string::npos) << drawn;
  ASSERT_TRUE(translator_->setLanguage("zh"));
  texts = shownTexts(card.get());
  for (const char* expected :
       {"未发出：有效期内未能发出", "反馈指向了另一辆车", "车内队列已满，更紧急或更新的反馈优先发出"}) {
    EXPECT_NE(texts.find(expected), std::string::npos) << expected << " not in " << texts;
  }
  card.reset();
  controller_->selectReport("");
  QObject::disconnect(connection);
  EXPECT_TRUE(warnings.isEmpty()) << warnings.join("\n").toStdString();
}

// An answer or case action refused away from the composer (by the agent, or at once) says why
// on the dashboard's problems line in the driver's language, until the driver dismisses it or
// the next one goes through; a quick report refused after its review closed too. The free
// composer's own refusals stay in the composer.
TEST_F(TranslationsTest, ARefusedAnswerOrQuickReportSaysWhyOnTheProblemsLine) {
  QStringList warnings;
  auto connection = collectWarnings(warnings);
  QQmlComponent component(engine_, QUrl(QStringLiteral("qrc:/FeedbackUi/panels/MessageBar.qml")));
  std::unique_ptr<QObject> bar(component.create());
  ASSERT_TRUE(bar) << component.errorString().toStdString();
  const auto shown = [&] { return bar->property("visible").toBool() ? shownTexts(bar.get(), true) : std::string(); };
  EXPECT_EQ(shown(), "");

  ASSERT_TRUE(controller_->reply("r2", "still rattles"));
  ASSERT_FALSE(agent_->case_actions.empty());
  agent_->case_actions.back().done(fail(agent::AgentErrc::case_closed, "r2's case is closed"));
  QCoreApplication::processEvents();
  EXPECT_EQ(controller_->actionError(), "agent.case_closed");
  EXPECT_NE(shown().find("Not done: The case is closed: reopen it to reply"), std::string::npos) << shown();
  ASSERT_TRUE(translator_->setLanguage("zh"));
  EXPECT_NE(shown().find("未完成："), std::string::npos) << shown();
  EXPECT_NE(shown().find(text("zh", "error", "agent.case_closed").toStdString()), std::string::npos) << shown();
  EXPECT_NE(text("zh", "error", "agent.case_closed"), text("en", "error", "agent.case_closed"));
  ASSERT_TRUE(translator_->setLanguage("en"));

  auto* dismiss = bar->findChild<QObject*>(QStringLiteral("dismissActionError"));
  ASSERT_NE(dismiss, nullptr);
  EXPECT_TRUE(dismiss->property("visible").toBool());
  QMetaObject::invokeMethod(dismiss, "clicked");
  EXPECT_EQ(controller_->actionError(), "");
  EXPECT_EQ(shown(), "");

  controller_->setParked(false);
  EXPECT_FALSE(controller_->requestCallback("r2", ""));
  EXPECT_NE(shown().find("Only while the car is parked"), std::string::npos) << shown();
  controller_->setParked(true);
  ASSERT_TRUE(controller_->rate("r2", 4, ""));
  agent_->case_actions.back().done(std::string("m-rating"));
  QCoreApplication::processEvents();
  EXPECT_NE(shown().find("Only while the car is parked"), std::string::npos)
      << "another action going through leaves the refusal: " << shown();
  ASSERT_TRUE(controller_->requestCallback("r2", ""));
  ASSERT_FALSE(agent_->callback_requests.empty());
  agent_->callback_requests.back().done(std::string("m-callback"));
  QCoreApplication::processEvents();
  EXPECT_EQ(shown(), "") << "the refused action going through clears its refusal";

  agent::Draft quick;
  quick.category = wire::CATEGORY_NOISE;
  ASSERT_TRUE(controller_->submitDraft(quick));
  agent_->submitted.back().done(fail(agent::AgentErrc::queue_full, "the queue is full"));
  QCoreApplication::processEvents();
  EXPECT_NE(shown().find("Not done: The queue is full of more urgent reports"), std::string::npos) << shown();
  controller_->clearActionError();

  ASSERT_TRUE(controller_->submit("noise", ""));
  agent_->submitted.back().done(fail(agent::AgentErrc::queue_full, "the queue is full"));
  QCoreApplication::processEvents();
  EXPECT_EQ(controller_->lastError(), "agent.queue_full");
  EXPECT_EQ(shown(), "") << "the composer shows its own refusals";
  controller_->clearError();

  bar.reset();
  QObject::disconnect(connection);
  EXPECT_TRUE(warnings.isEmpty()) << warnings.join("\n").toStdString();
}

}  // namespace
}  // namespace fb::ui
