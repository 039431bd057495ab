// fb-headunit: the driver's feedback app on the dashboard. Composition root: command line,
// agent (car store + MQTT link), the vehicle's signals (a DriveSimulator feeding the snapshot
// recorder and the parked tracker), the view-model (FeedbackController), the QML engine and the
// UI language (UiTranslator).
//
// Threads: "Qt" (this one) runs the event loop, the controller and QML; "agent" runs the
// io_context on whose strand the agent, its MQTT client and its timers live (see
// fb/ui/feedback_controller.hpp for how events cross over).
#include <CLI/CLI.hpp>

#include <QtQml/qqmlextensionplugin.h>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QLibraryInfo>
#include <QLocale>
#include <QQmlApplicationEngine>
#include <QQmlComponent>
#include <QQuickWindow>
#include <QTimer>

#include <cstdio>
#include <filesystem>
#include <string>

#include "fb/agent/agent.hpp"
#include "fb/agent/snapshot_config.hpp"
#include "fb/async/io_thread.hpp"
#include "fb/common/guarded_main.hpp"
#include "fb/common/logging.hpp"
#include "fb/mqtt/options.hpp"
#include "fb/ui/consent_store.hpp"
#include "fb/ui/display_mode.hpp"
#include "fb/ui/drive_lockout.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/quick_composer.hpp"
#include "registrations.hpp"
#include "startup_report.hpp"
#include "ui_fonts.hpp"
#include "ui_translator.hpp"

Q_IMPORT_QML_PLUGIN(FeedbackUiPlugin)

namespace {

constexpr auto kMainQml = "qrc:/FeedbackUi/Main.qml";
constexpr int kFrameTimeoutMs = 60000;
constexpr int kSettleMs = 500;  // --report-first-frame: RSS this long after the dashboard is shown

struct Options {
  std::string vin = "LSVAX60E5K2000001";
  std::string model = "Aurora EV";
  unsigned model_year = 2026;
  std::string software = "HU-3.2.1";
  std::string broker = "ssl://127.0.0.1:8883";
  std::string pki = "run/pki";
  std::string db;
  std::string language;
  std::string log_level = "warn";
  std::string mqtt_version = "3.1.1";
  std::string screenshot;
  bool moving = false;
  bool parked = false;
  std::string signals_file;
  std::string fault = "none";
  bool self_test = false;
  bool demo_data = false;
  std::string theme = "auto";
  bool report_first_frame = false;
};

std::string system_language() { return QLocale::system().language() == QLocale::Chinese ? "zh" : "en"; }

// Two reports for screenshots and demos, saved only into an empty queue.
void add_demo_reports(fb::agent::Agent& agent) {
  fb::agent::Draft gearbox;
  gearbox.category = fb::wire::CATEGORY_DRIVING_FEEL;
  gearbox.text = "低速时变速箱换挡顿挫，二挡升三挡时车身抖动明显。";
  gearbox.language = "zh-CN";
  fb::agent::Draft brakes;
  brakes.category = fb::wire::CATEGORY_NOISE;
  brakes.text = "Brake squeal from the front left wheel when braking gently at low speed.";
  agent.reports([&agent, drafts = std::vector{gearbox, brakes}](auto existing) {
    if (!existing || !existing->empty()) return;
    for (const auto& draft : drafts) {
      agent.submit(draft, [](fb::Result<std::string> saved) {
        if (!saved) std::fprintf(stderr, "fb-headunit: demo report not saved: %s\n", saved.error().what().c_str());
      });
    }
  });
}

// Every QML file of the module must compile, not only those Main.qml happens to create.
// `keyboard`: Qt Virtual Keyboard is installed (else KeyboardPanel.qml, which imports it, is left out).
QStringList compile_every_qml_file(QQmlEngine& engine, bool keyboard) {
  QStringList errors;
  QDirIterator files(QStringLiteral(":/FeedbackUi"), {QStringLiteral("*.qml")}, QDir::Files,
                     QDirIterator::Subdirectories);
  while (files.hasNext()) {
    const QString path = files.next();
    if (!keyboard && path.endsWith(QLatin1String("/KeyboardPanel.qml"))) continue;
    QFile source(path);
    // Singletons cannot be made by QQmlComponent; the files that use them load them.
    if (source.open(QIODevice::ReadOnly) && source.readAll().contains("pragma Singleton")) continue;
    QQmlComponent component(&engine, QUrl(QStringLiteral("qrc") + path));
    for (const auto& e : component.errors()) errors << e.toString();
  }
  return errors;
}

}  // namespace

// Qt Virtual Keyboard is installed (its input-method plugin and QML module): the app asks for it
// as its input method. Without it the app still starts, with the platform's input and no
// on-screen keyboard.
bool virtual_keyboard_installed() {
  return QFileInfo::exists(QLibraryInfo::path(QLibraryInfo::PluginsPath) +
                           QStringLiteral("/platforminputcontexts/libqtvirtualkeyboardplugin.so")) &&
         QFileInfo::exists(QLibraryInfo::path(QLibraryInfo::QmlImportsPath) +
                           QStringLiteral("/QtQuick/VirtualKeyboard/qmldir"));
}

// Our default for a Qt setting read from the environment; what the user set stays.
static void default_env(const char* name, const char* value) {
  if (qEnvironmentVariableIsEmpty(name)) qputenv(name, value);
}

static int run_main(int argc, char** argv) {
  default_env("QT_QUICK_CONTROLS_STYLE", "Basic");
  // Before QGuiApplication: the input method is chosen when it starts.
  const bool keyboard = virtual_keyboard_installed();
  if (keyboard) {
    default_env("QT_IM_MODULE", "qtvirtualkeyboard");
    // The keyboard is Main.qml's panel, loaded when the driver first types. Without this, a field
    // that has the focus before the panel exists makes Qt Virtual Keyboard open a window of its own.
    default_env("QT_VIRTUALKEYBOARD_DESKTOP_DISABLE", "1");
  }
  QGuiApplication app(argc, argv);  // takes Qt's own arguments (-platform ...) out of argv
  QGuiApplication::setApplicationName(QStringLiteral("fb-headunit"));

  CLI::App cli{"fb-headunit: the driver's feedback app on the dashboard."};
  Options o;
  cli.add_option("--vin", o.vin, "Vehicle identification number (17 characters)")->capture_default_str();
  cli.add_option("--model", o.model, "Model name")->capture_default_str();
  cli.add_option("--model-year", o.model_year, "Model year")->capture_default_str();
  cli.add_option("--software", o.software, "Head unit software version")->capture_default_str();
  cli.add_option("--broker", o.broker, "Broker URI")->capture_default_str();
  cli.add_option("--pki", o.pki, "PKI directory (uses <pki>/vehicles/<VIN>/{ca.crt,client.crt,client.key})")
      ->capture_default_str();
  cli.add_option("--db", o.db, "Queue file (default run/headunit-<VIN>.db)");
  cli.add_option("--lang", o.language, "UI and report language (default: from the system locale)")
      ->check(CLI::IsMember({"zh", "en"}));
  auto* moving = cli.add_flag("--moving", o.moving,
                              "Demo override: the vehicle counts as moving whatever its signals say (quick taps "
                              "only, no typing, no \"Call me\")");
  cli.add_flag("--parked", o.parked,
               "Demo override: \"Call me\" is offered whatever the vehicle's signals say (the simulated drive "
               "never stands in P); typing still follows the signals")
      ->excludes(moving);
  cli.add_option("--signals", o.signals_file,
                 "Snapshot settings (allow-list and windows, deploy/car/snapshot.json); default: every simulated "
                 "signal, -60 s / +30 s");
  cli.add_option("--fault", o.fault, "Fault the simulated drive shows (as fb-car --fault)")
      ->check(CLI::IsMember(fb::agent::fault_names()))
      ->capture_default_str();
  cli.add_flag("--self-test", o.self_test, "Load every QML file, render one frame, print SELF_TEST_OK and exit");
  cli.add_option("--screenshot", o.screenshot, "Save the first frame to this PNG file and exit");
  cli.add_flag("--demo-data", o.demo_data, "Queue two sample reports when My reports is empty");
  cli.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")->capture_default_str();
  cli.add_option("--mqtt-version", o.mqtt_version, "MQTT protocol: 3.1.1 or 5")
      ->check(CLI::IsMember({"3.1.1", "5"}))
      ->capture_default_str();
  cli.add_option("--theme", o.theme, "Palette: day, night, or auto (night from 19:00 to 07:00)")
      ->check(CLI::IsMember({"day", "night", "auto"}))
      ->capture_default_str();
  cli.add_flag("--report-first-frame", o.report_first_frame,
               "Print FIRST_FRAME_MS (since the process started) at the first frame, RSS_MB 0.5 s later, and exit "
               "(bench/README.md)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  if (auto r = fb::init_logging("headunit", o.log_level); !r) {
    std::fprintf(stderr, "fb-headunit: %s\n", r.error().what().c_str());
    return 1;
  }
  auto config = fb::agent::make_agent_config({o.vin, o.model, o.model_year, o.software}, o.broker, o.pki,
                                             o.db.empty() ? "run/headunit-" + o.vin + ".db" : o.db);
  config.mqtt.version = *fb::mqtt::parse_protocol_version(o.mqtt_version);  // checked by CLI11
  // Vehicle signals come from a simulated drive (the head unit's bus adapter would take its
  // place): they feed the snapshot recorder, the DriveLockout (typing) and the ParkedTracker
  // ("Call me"), which the agent asks and the controller follows. Only the demo override
  // --parked says "parked" without them; --moving says "not parked" whatever they say.
  fb::agent::ParkedTracker tracker;  // fed and asked on the agent's strand; each change is posted to the Qt thread
  fb::ui::DriveLockout lockout;      // fed on the agent's strand; each change is posted to the Qt thread
  // The one answer to "parked?", asked by the agent and followed by the controller (strand-only
  // once the drive runs: the Qt thread reads it before, and is posted each change after).
  const auto parked_now = [&tracker, demo_parked = o.parked, demo_moving = o.moving] {
    return demo_parked || (!demo_moving && tracker.parked());
  };
  config.parked = parked_now;
  auto settings = o.signals_file.empty() ? fb::agent::default_snapshot_settings()
                                         : fb::agent::load_snapshot_settings(o.signals_file);
  if (!settings) {
    std::fprintf(stderr, "fb-headunit: %s\n", settings.error().what().c_str());
    return 1;
  }
  if (config.database.has_parent_path()) {
    std::error_code ignored;  // Agent::open reports the real problem
    std::filesystem::create_directories(config.database.parent_path(), ignored);
  }
  // Thread "agent": runs the io_context of the strand that the agent, its MQTT client and its
  // timers live on, from here until the agent is stopped below.
  fb::IoThread agent_thread(1, "agent");
  auto& clock = fb::SystemClock::instance();
  fb::agent::DriveSimulator::Config drive_config;
  drive_config.faults = *fb::agent::fault_named(o.fault);  // checked by CLI11
  fb::agent::DriveSimulator drive(agent_thread.strand(), clock, drive_config);
  auto recorder_config = settings->recorder_config();
  recorder_config.active_dtcs = [&drive] { return drive.active_dtcs(); };
  recorder_config.ecu_software = {{"HU", o.software}};
  auto recorder = fb::agent::SnapshotRecorder::create(agent_thread.strand(), clock, recorder_config);
  if (!recorder) {
    std::fprintf(stderr, "fb-headunit: %s\n", recorder.error().what().c_str());
    return 1;
  }
  config.recorder = recorder->get();
  // Loaded here rather than by Agent::open: the consent store below seals the number with them.
  if (auto keys = fb::agent::load_store_keys(config); !keys) {
    std::fprintf(stderr, "fb-headunit: %s\n", keys.error().what().c_str());
    return 1;
  }
  auto opened = fb::agent::Agent::open(agent_thread.strand(), clock, config,
                                       fb::mqtt::make_paho_client(agent_thread.strand(), clock, config.mqtt));
  if (!opened) {
    std::fprintf(stderr, "fb-headunit: %s\n", opened.error().what().c_str());
    return 1;
  }
  auto& agent = **opened;

  fb::ui::FeedbackController controller(agent);  // listens from before the agent starts
  controller.setLanguage(QString::fromStdString(o.language.empty() ? system_language() : o.language));
  controller.setVehicleMoving(o.moving);
  controller.setMovingFromSignals(lockout.locked());  // locked until the first speed sample
  controller.setParked(parked_now());                 // the signals' answer follows (not parked until they say so)
  // The driver's consent choices per kind, beside the queue file (consent_store.hpp says why not in it).
  fb::ui::ConsentStore consent(QString::fromStdString(fb::agent::consent_file(config.database).string()),
                               config.storage.keys);
  fb::ui::QuickComposer composer(controller, agent, consent);
  // A clean quit within a second of typing: the pending save goes to the agent, which runs it
  // before it stops (StopAgentFirst below lets its thread run dry).
  QObject::connect(&app, &QCoreApplication::aboutToQuit, &composer, &fb::ui::QuickComposer::saveDraftNow);
  {
    QStringList allowed;
    for (const auto& path : recorder_config.ring.allowed) allowed << QString::fromStdString(path);
    composer.setSnapshotSignals(allowed);
  }
  // The simulated drive has no GNSS: a fixed simulated position (Shanghai Jiading) stands in for it.
  composer.setLocationSource([] {
    fb::wire::Location here;
    here.set_latitude(31.3747);
    here.set_longitude(121.2510);
    return std::optional(here);
  });
  fb::Result<void> started;
  agent_thread.call([&] {
    started = agent.start();
    if (!started) return;
    drive.start([&](const fb::agent::SignalSample& sample) {
      if (tracker.on_sample(sample)) {
        QMetaObject::invokeMethod(
            &controller, [&controller, parked = parked_now()] { controller.setParked(parked); }, Qt::QueuedConnection);
      }
      if (lockout.on_sample(sample)) {
        QMetaObject::invokeMethod(
            &controller, [&controller, locked = lockout.locked()] { controller.setMovingFromSignals(locked); },
            Qt::QueuedConnection);
      }
      (*recorder)->add(sample);
    });
    if (o.demo_data) add_demo_reports(agent);
  });
  if (!started) {
    std::fprintf(stderr, "fb-headunit: %s\n", started.error().what().c_str());
    return 1;
  }
  controller.load();
  composer.loadDrafts();  // what the driver was typing before a restart comes back as a draft
  // The agent stops (and its last events are handled) before the controller goes away.
  struct StopAgentFirst {
    fb::IoThread& thread;
    fb::agent::Agent& agent;
    fb::agent::DriveSimulator& drive;
    ~StopAgentFirst() {
      thread.call([this] {
        drive.stop();
        agent.stop();
      });
      thread.join();
    }
  } stop_agent_first{agent_thread, agent, drive};

  // QML's FeedbackController singleton (registrations.hpp): this one, owned here.
  fb::ui::qml::FeedbackControllerForeign::instance = &controller;
  fb::ui::qml::QuickComposerForeign::instance = &composer;

  // QML's DisplayMode singleton (day or night palette): this one, owned here.
  fb::ui::DisplayMode display_mode;
  display_mode.setMode(QString::fromStdString(o.theme));  // checked by CLI11
  fb::ui::qml::DisplayModeForeign::instance = &display_mode;

  if (!fb::ui::qml::load_ui_fonts()) {
    std::fprintf(stderr, "fb-headunit: the app's font did not load; texts are drawn from the system's fonts\n");
  }
  QQmlApplicationEngine engine;  // declared after the controller: destroyed before it
  // Main.qml loads the on-screen keyboard (controls/KeyboardPanel.qml) only where it is installed,
  // and only when the driver first types: loading it is not part of the start. If it is installed
  // but does not load (a QML dependency of its own missing), Main.qml logs that and goes on
  // without it; --self-test compiles it and fails.
  engine.setInitialProperties({{QStringLiteral("virtualKeyboard"), keyboard}});
  // Qt 6.4 puts the module at qrc:/FeedbackUi (no /qt/qml prefix yet): files in its
  // subdirectories find `import FeedbackUi` only through this import path.
  engine.addImportPath(QStringLiteral("qrc:/"));
  // The UI language (QML's UiTranslator, declared after the engine: destroyed before it). Reports
  // are tagged with the language the driver sees.
  fb::ui::qml::UiTranslator translator(engine);
  fb::ui::qml::UiTranslator::instance = &translator;
  QObject::connect(&translator, &fb::ui::qml::UiTranslator::languageChanged, &controller,
                   [&] { controller.setLanguage(translator.language()); });
  if (!translator.setLanguage(controller.language())) {
    std::fprintf(stderr, "fb-headunit: no translation for language %s\n", qPrintable(controller.language()));
    return 2;
  }
  QStringList qml_problems;
  QObject::connect(&engine, &QQmlEngine::warnings, &app, [&](const QList<QQmlError>& warnings) {
    for (const auto& w : warnings) qml_problems << w.toString();
  });
  if (o.self_test) qml_problems << compile_every_qml_file(engine, keyboard);

  engine.load(QUrl(QString::fromLatin1(kMainQml)));
  auto* window = engine.rootObjects().isEmpty() ? nullptr : qobject_cast<QQuickWindow*>(engine.rootObjects().first());
  if (!window) {
    std::fprintf(stderr, "fb-headunit: %s did not load\n", kMainQml);
    for (const auto& p : qml_problems) std::fprintf(stderr, "  %s\n", qPrintable(p));
    return 2;
  }

  if (o.report_first_frame) fb::startup::report_first_frame(*window, kSettleMs);
  if (o.self_test || !o.screenshot.empty()) {
    // The first frame is the window and the app's name; the dashboard comes in a later one.
    fb::startup::on_ready_frame(*window, [&] {
      int exit_code = 0;
      if (!o.screenshot.empty()) {
        if (window->grabWindow().save(QString::fromStdString(o.screenshot))) {
          std::printf("screenshot saved to %s\n", o.screenshot.c_str());
        } else {
          std::fprintf(stderr, "fb-headunit: cannot save the screenshot to %s\n", o.screenshot.c_str());
          exit_code = 3;
        }
      }
      if (o.self_test) {
        if (qml_problems.isEmpty()) {
          std::printf("SELF_TEST_OK\n");
        } else {
          std::fprintf(stderr, "SELF_TEST_FAILED: %lld QML problem(s)\n", static_cast<long long>(qml_problems.size()));
          for (const auto& p : qml_problems) std::fprintf(stderr, "  %s\n", qPrintable(p));
          exit_code = 1;
        }
      }
      std::fflush(stdout);
      QCoreApplication::exit(exit_code);
    });
    QTimer::singleShot(kFrameTimeoutMs, &app, [] {
      std::fprintf(stderr, "fb-headunit: no frame rendered within %d ms\n", kFrameTimeoutMs);
      QCoreApplication::exit(4);
    });
  }
  return QGuiApplication::exec();
}

int main(int argc, char** argv) { return fb::guarded_main("fb-headunit", argc, argv, run_main); }
