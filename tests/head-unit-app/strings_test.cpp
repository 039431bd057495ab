// The UI texts (qml/stores/Strings.qml): every key in both languages, the controller's language
// selects them, and there is a label for every category and status the C++ side produces.
#include <gtest/gtest.h>

#include <QQmlComponent>
#include <QQmlEngine>
#include <memory>

#include "fake_agent.hpp"
#include "fb/ui/categories.hpp"
#include "fb/ui/feedback_controller.hpp"

namespace fb::ui {
namespace {

class StringsTest : public ::testing::Test {
 protected:
  // Strings reads FeedbackController.language: one controller for the suite, registered as
  // fb-headunit does (a QML singleton registration is process-wide).
  static void SetUpTestSuite() {
    agent_ = new test::FakeAgent;
    controller_ = new FeedbackController(*agent_);
    qmlRegisterSingletonInstance("HeadUnit", 1, 0, "FeedbackController", controller_);
    // Qt 6.4: an instance singleton serves one engine only, so the suite shares one engine.
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
        })",
                      QUrl(QStringLiteral("qrc:/strings_test.qml")));
    probe_.reset(component.create());
    ASSERT_TRUE(probe_) << component.errorString().toStdString();
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

TEST_F(StringsTest, EveryCategoryAndStatusHasALabel) {
  for (const auto& choice : category_choices()) {
    const QString key = QStringLiteral("category.") + QString::fromUtf8(choice.key);
    EXPECT_NE(text("zh", key), key);
  }
  for (const char* status : {"queued", "sent", "acknowledged", "received", "in_progress", "waiting_for_driver",
                             "resolved", "closed", "rejected"}) {
    const QString key = QStringLiteral("status.") + QString::fromLatin1(status);
    EXPECT_NE(text("zh", key), key);
  }
}

}  // namespace
}  // namespace fb::ui
