// Qt Quick Test runner for the app's QML (qml/tst_*.qml): the FeedbackUi module on a fake agent.
// The tests reach the fake through the context property `probe` (submitted reports, the car's
// signals saying moving or not).
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest/quicktest.h>
#include <QObject>
#include <QQmlContext>
#include <QQmlEngine>
#include <memory>

#include "fake_agent.hpp"
#include "fb/ui/consent_store.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/quick_composer.hpp"
#include "process.hpp"
#include "registrations.hpp"
#include "ui_fonts.hpp"
#include "ui_translator.hpp"

Q_IMPORT_QML_PLUGIN(FeedbackUiPlugin)

namespace {

class Probe final : public QObject {
  Q_OBJECT
 public:
  Probe() {
    agent_.snapshot_clock = 1000;
    composer_.setSnapshotSignals({"Vehicle.Speed", "Vehicle.Powertrain.CombustionEngine.Speed",
                                  "Vehicle.Powertrain.Transmission.CurrentGear", "Vehicle.Chassis.Brake.PedalPosition",
                                  "Vehicle.Chassis.Accelerator.PedalPosition", "Vehicle.OBD.CoolantTemperature"});
    fb::ui::qml::FeedbackControllerForeign::instance = &controller_;
    fb::ui::qml::QuickComposerForeign::instance = &composer_;
  }

  /// Reports the controller handed to the agent.
  Q_INVOKABLE int submittedCount() const { return static_cast<int>(agent_.submitted.size()); }
  Q_INVOKABLE QString lastCategory() const {
    return agent_.submitted.empty()
               ? QString()
               : QString::fromStdString(fb::wire::Category_Name(agent_.submitted.back().draft.category));
  }
  Q_INVOKABLE bool lastHasSnapshotMoment() const {
    return !agent_.submitted.empty() && agent_.submitted.back().draft.snapshot_at_ms.has_value();
  }
  /// What the vehicle's signals say.
  Q_INVOKABLE void setMoving(bool moving) { controller_.setMovingFromSignals(moving); }
  /// Back to the start: what was submitted saved and forgotten, parked, the grid showing.
  Q_INVOKABLE void reset() {
    for (auto& s : agent_.submitted) s.done(std::string("00000000-0000-4000-8000-000000000000"));  // saved
    agent_.submitted.clear();
    controller_.setMovingFromSignals(false);
    composer_.cancel();
    while (composer_.drafts()->rowCount() > 0) composer_.drafts()->take(0);
  }

 private:
  fb::test::TempDir dir_;
  fb::test::FakeAgent agent_;
  fb::ui::FeedbackController controller_{agent_};
  fb::ui::ConsentStore consent_{QString::fromStdString(dir_ / "consent.ini")};
  fb::ui::QuickComposer composer_{controller_, agent_, consent_};
};

class Setup final : public QObject {
  Q_OBJECT
 public Q_SLOTS:
  void qmlEngineAvailable(QQmlEngine* engine) {
    // The static module sits at qrc:/FeedbackUi (Qt 6.4), as in fb-headunit.
    engine->addImportPath(QStringLiteral("qrc:/"));
    fb::ui::qml::load_ui_fonts();                     // as fb-headunit: its texts in its own font
    if (!probe_) probe_ = std::make_unique<Probe>();  // once the application exists
    engine->rootContext()->setContextProperty(QStringLiteral("probe"), probe_.get());
    translator_ = std::make_unique<fb::ui::qml::UiTranslator>(*engine);
    translator_->setLanguage(QStringLiteral("en"));
    fb::ui::qml::UiTranslator::instance = translator_.get();
  }
  void cleanupTestCase() {
    fb::ui::qml::UiTranslator::instance = nullptr;
    translator_.reset();  // before its engine goes
  }

 private:
  std::unique_ptr<Probe> probe_;
  std::unique_ptr<fb::ui::qml::UiTranslator> translator_;
};

}  // namespace

QUICK_TEST_MAIN_WITH_SETUP(headunit_qml, Setup)

#include "qml_test_main.moc"
