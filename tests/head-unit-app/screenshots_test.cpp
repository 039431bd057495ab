// The screenshot test (issue 10): every screen of the dashboard, in each of its states, rendered
// offscreen (software renderer) in Chinese and English and in the day and night palettes, saved
// as build/<preset>/screenshots/<screen>_<lang>_<theme>.png, and checked: no text on it is elided
// or overflows its box or its control, and none is smaller than the readable minimum (20 px at
// the 1280x720 design size). Also: the palettes' text contrast (at least 4.5:1), and that the
// check finds a label that is too long (it can fail).
//
// Adding a screen: one line in kScreens below (a name, a QML file of the FeedbackUi module and
// a state; a new state is one more function like those above it).
#include <gtest/gtest.h>

#include <QColor>
#include <QDir>
#include <QGuiApplication>
#include <QImage>
#include <QQmlComponent>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QSGRendererInterface>
#include <QSignalSpy>
#include <QTest>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fake_agent.hpp"
#include "fb/agent/car_store.hpp"
#include "fb/common/error.hpp"
#include "fb/ui/consent_store.hpp"
#include "fb/ui/display_mode.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/quick_composer.hpp"
#include "process.hpp"
#include "registrations.hpp"
#include "startup_report.hpp"
#include "text_fit.hpp"
#include "ui_translator.hpp"

namespace fb::ui {
namespace {

constexpr int kDesignWidth = 1280;
constexpr int kDesignHeight = 720;
constexpr int kFrameTimeoutMs = 20000;
constexpr std::int64_t kDay = std::int64_t{24} * 3600 * 1000;
constexpr std::int64_t kNowMs = 1796300000000;  // 2026-12-03, a fixed time for the sample data

/// What one screenshot needs: the app's objects as fb-headunit makes them, with the fake agent.
/// Declared in the order fb-headunit destroys them (the engine before the controller).
struct Scene {
  test::TempDir dir{"fbshots"};
  test::FakeAgent agent;
  FeedbackController controller{agent};
  ConsentStore consent{QString::fromStdString(dir / "consent.ini")};
  QuickComposer composer{controller, agent, consent};
  DisplayMode display;
  QQmlEngine engine;
  qml::UiTranslator translator{engine};

  /// My reports as the agent would answer them (controller.load()).
  void loadReports(std::vector<agent::ReportView> rows) {
    controller.load();
    if (agent.report_requests.empty()) {
      ADD_FAILURE() << "load() did not ask the agent for My reports: the screen would be empty";
      return;
    }
    agent.report_requests.back()(std::move(rows));
    QCoreApplication::sendPostedEvents();
  }
  void listen(const std::function<void(agent::AgentListener&)>& event) {
    for (auto* l : agent.listeners) event(*l);
    QCoreApplication::sendPostedEvents();
  }
};

// ---- Sample data ---------------------------------------------------------------------------------

agent::ReportView report(const char* id, wire::Category category, const char* text, ReportStatus status,
                         std::int64_t age_ms) {
  agent::ReportView r;
  r.report_id = id;
  r.category = category;
  r.text = text;
  r.status = status;
  r.created_ms = kNowMs - age_ms;
  r.updated_ms = r.created_ms;
  return r;
}

wire::VisitSlot slot(const char* id, const char* dealer, std::int64_t start_ms, const char* work) {
  wire::VisitSlot s;
  s.set_slot_id(id);
  s.set_dealer_code("SH-001");
  s.set_dealer_name(dealer);
  s.set_start_ms(start_ms);
  s.set_end_ms(start_ms + std::int64_t{2} * 3600 * 1000);
  s.set_work(work);
  return s;
}

std::vector<agent::ReportView> sample_reports() {
  std::vector<agent::ReportView> rows;

  auto proposed = report("r1", wire::CATEGORY_NOISE, "前左轮轻踩刹车时有尖锐异响。", ReportStatus::appointment, kDay);
  proposed.case_number = "FB-2026-000123";
  proposed.team = "售后服务 SH";
  proposed.last_title = "请选择到店时间";
  proposed.last_text = "我们为您预留了两个时段。";
  agent::VisitView visit;
  visit.latest.set_visit_id("v1");
  visit.latest.set_stage(wire::VISIT_PROPOSED);
  *visit.latest.add_slots() = slot("s1", "上海浦东服务中心", kNowMs + 2 * kDay, "刹车检查");
  *visit.latest.add_slots() = slot("s2", "上海浦东服务中心", kNowMs + 3 * kDay, "刹车检查");
  proposed.visit = visit;
  rows.push_back(proposed);

  auto repair = report("r2", wire::CATEGORY_DRIVING_FEEL, "Gearbox jerks from 2nd to 3rd at low speed.",
                       ReportStatus::in_progress, 3 * kDay);
  repair.case_number = "FB-2026-000098";
  repair.team = "Powertrain";
  agent::VisitView at_dealer;
  at_dealer.latest.set_visit_id("v2");
  at_dealer.latest.set_stage(wire::VISIT_REPAIR);
  *at_dealer.latest.mutable_booked() = slot("s9", "Shanghai Pudong Service", kNowMs - kDay, "Gearbox check");
  at_dealer.latest.set_ready_at_ms(kNowMs + kDay);
  at_dealer.latest.mutable_estimate()->set_minor(80000);
  at_dealer.latest.mutable_estimate()->set_currency("CNY");
  at_dealer.latest.mutable_extra_cost()->set_approval_id("a1");
  at_dealer.latest.mutable_extra_cost()->mutable_amount()->set_minor(25000);
  at_dealer.latest.mutable_extra_cost()->mutable_amount()->set_currency("CNY");
  at_dealer.latest.mutable_extra_cost()->set_reason("Clutch pack worn");
  at_dealer.approval_open = true;
  repair.visit = at_dealer;
  agent::CallbackView callback;
  callback.callback_id = "c1";
  callback.agent = "Li Na";
  repair.callback = callback;
  rows.push_back(repair);

  auto closed = report("r3", wire::CATEGORY_OTHER, "空调出风口有异味。", ReportStatus::closed, 9 * kDay);
  closed.case_number = "FB-2026-000042";
  closed.team = "售后服务 SH";
  closed.survey_request_id = "n7";
  rows.push_back(closed);

  rows.push_back(report("r4", wire::CATEGORY_WARNING_LAMP, "", ReportStatus::queued, std::int64_t{3600} * 1000));
  auto rejected = report("r5", wire::CATEGORY_UI, "Screen freezes.", ReportStatus::rejected, 20 * kDay);
  rejected.reject_reason = "vin_mismatch";
  rows.push_back(rejected);
  return rows;
}

// ---- States: what the driver's car and agent say before the screen loads ------------------------

void parked_offline(Scene&) {}

void parked_with_reports(Scene& s) {
  s.listen([](agent::AgentListener& l) { l.connection_changed(true); });
  s.loadReports(sample_reports());
}

void moving_with_reports(Scene& s) {
  s.controller.setVehicleMoving(true);
  s.controller.setParked(false);
  s.loadReports(sample_reports());
}

void link_and_storage_problems(Scene& s) {
  s.listen([](agent::AgentListener& l) {
    l.link_problem(Error(MqttErrc::tls_setup, "no certificate"));
    l.storage_problem(Error(StorageErrc::full, "disk full"));
  });
  s.controller.submit(QStringLiteral("noise"), {});
  if (s.agent.submitted.empty()) {
    ADD_FAILURE() << "submit() did not reach the agent";
    return;
  }
  s.agent.submitted.back().done(fail(StorageErrc::full, "disk full"));
  QCoreApplication::sendPostedEvents();
}

void quick_review_parked(Scene& s) {
  s.listen([](agent::AgentListener& l) { l.connection_changed(true); });
  s.composer.setSnapshotSignals({"Vehicle.Speed", "Vehicle.Powertrain.Transmission.CurrentGear",
                                 "Vehicle.Chassis.Brake.PedalPosition", "Vehicle.OBD.CoolantTemperature"});
  if (!s.composer.choose(QStringLiteral("noise"))) ADD_FAILURE() << "the review did not open";
  QCoreApplication::sendPostedEvents();
}

void quick_review_moving(Scene& s) {
  s.controller.setMovingFromSignals(true);
  quick_review_parked(s);
}

void report_details(Scene& s) {
  parked_with_reports(s);
  s.controller.selectReport(QStringLiteral("r3"));
  if (s.agent.timeline_requests.empty()) {
    ADD_FAILURE() << "selectReport() did not ask for the timeline";
    return;
  }
  using K = agent::TimelineKind;
  constexpr std::int64_t t0 = kNowMs - 9 * kDay;
  s.agent.timeline_requests.back().done(
      std::vector<agent::TimelineEvent>{{K::queued, t0, "", "", "", ""},
                                        {K::delivered, t0 + 2'000, "", "", "", ""},
                                        {K::received, t0 + 60'000, "已受理", "", "", "n1"},
                                        {K::workaround, t0 + kDay, "已知问题", "请重启空调滤芯自清洁程序。", "", "n2"},
                                        {K::resolved, t0 + 2 * kDay, "已解决", "", "", "n3"},
                                        {K::closed, t0 + 3 * kDay, "已关闭", "", "", "n4"}});
  QCoreApplication::sendPostedEvents();
}

// A quick report kept to complete once parked, and a refused action on the problems line: the
// most the quick panel has to fit, parked (the draft listed) and moving (not listed).
void keep_a_draft_and_refuse_an_action(Scene& s) {
  if (!s.composer.choose(QStringLiteral("climate")) || !s.composer.saveForLater()) {
    ADD_FAILURE() << "the draft was not kept";
    return;
  }
  QCoreApplication::sendPostedEvents();
  s.controller.setParked(false);
  if (!s.controller.requestCallback(QStringLiteral("r1"), {}))  // not parked: refused at once
    QCoreApplication::sendPostedEvents();
  if (s.controller.actionError().isEmpty()) ADD_FAILURE() << "no refusal on the problems line";
}

void draft_and_problem_parked(Scene& s) {
  parked_with_reports(s);
  keep_a_draft_and_refuse_an_action(s);
}

void draft_and_problem_while_moving(Scene& s) {
  moving_with_reports(s);
  keep_a_draft_and_refuse_an_action(s);
}

void urgent_banner_while_moving(Scene& s) {
  moving_with_reports(s);
  s.controller.banners()->push(Banner{QStringLiteral("n9"), QStringLiteral("r1"), QStringLiteral("FB-2026-000123"),
                                      QStringLiteral("请安全靠边停车"),
                                      QStringLiteral("制动系统故障：请减速并在安全处停车。"), true});
  QCoreApplication::sendPostedEvents();
}

// ---- The screens -----------------------------------------------------------------------------------

struct Screen {
  const char* name;
  const char* qml;  // in qrc:/FeedbackUi/; a Window is shown as it is, an Item in a 1280x720 window
  void (*state)(Scene&);
};

// clang-format off
const Screen kScreens[] = {
    {"dashboard_empty",    "Main.qml",                parked_offline},
    {"dashboard_reports",  "Main.qml",                parked_with_reports},
    {"dashboard_moving",   "Main.qml",                moving_with_reports},
    {"dashboard_problems", "Main.qml",                link_and_storage_problems},
    {"reports_panel",      "panels/ReportsPanel.qml", parked_with_reports},
    {"quick_review",       "Main.qml",                quick_review_parked},
    {"quick_review_moving","Main.qml",                quick_review_moving},
    {"report_details",     "panels/ReportsPanel.qml", report_details},
    {"urgent_banner",      "Main.qml",                urgent_banner_while_moving},
    {"dashboard_draft",    "Main.qml",                draft_and_problem_parked},
    {"dashboard_draft_moving", "Main.qml",            draft_and_problem_while_moving},
};
// clang-format on

struct Language {
  const char* code;  // UiTranslator's
  const char* file;  // in the PNG's name
};
const Language kLanguages[] = {{"zh", "zh_CN"}, {"en", "en"}};
const char* const kThemes[] = {"day", "night"};

// ---- Rendering -------------------------------------------------------------------------------------

/// A loaded screen in its window, after its first frame.
struct Rendered {
  std::unique_ptr<QObject> root;
  std::unique_ptr<QQuickWindow> host;  // set when the screen is an Item
  QQuickWindow* window = nullptr;
};

/// Loads `url` into the scene's engine and renders one frame; fails the test when it cannot.
void render(Scene& scene, const QUrl& url, Rendered& out) {
  QQmlComponent component(&scene.engine, url);
  ASSERT_FALSE(component.isError()) << component.errorString().toStdString();
  out.root.reset(component.create());
  ASSERT_TRUE(out.root) << component.errorString().toStdString();
  out.window = qobject_cast<QQuickWindow*>(out.root.get());
  if (!out.window) {
    auto* item = qobject_cast<QQuickItem*>(out.root.get());
    ASSERT_TRUE(item) << "neither a Window nor an Item: " << url.toString().toStdString();
    out.host = std::make_unique<QQuickWindow>();
    out.host->setColor(scene.display.night() ? Qt::black : Qt::white);
    item->setParentItem(out.host->contentItem());
    item->setSize(QSizeF(kDesignWidth, kDesignHeight));
    out.window = out.host.get();
  }
  out.window->resize(kDesignWidth, kDesignHeight);
  // As fb-headunit's --screenshot: Main.qml builds its dashboard after its first frame, and the
  // screen is the frame that shows it; any other screen is its first frame.
  bool shown = false;
  fb::startup::on_ready_frame(*out.window, [&shown] { shown = true; });
  out.window->show();
  ASSERT_TRUE(QTest::qWaitFor([&] { return shown; }, kFrameTimeoutMs))
      << "no frame of " << url.toString().toStdString();
}

QString screenshot_dir() { return QStringLiteral(FB_SCREENSHOT_DIR); }

class ScreenshotTest : public ::testing::TestWithParam<std::tuple<Screen, Language, const char*>> {
 protected:
  static void SetUpTestSuite() {
    // The software scene graph: the same pixels on every machine, no GPU or GL needed.
    QQuickWindow::setGraphicsApi(QSGRendererInterface::Software);
    QDir().mkpath(screenshot_dir());
  }
};

TEST_P(ScreenshotTest, RendersWithoutElidedOrOverflowingText) {
  const auto& [screen, language, theme] = GetParam();
  Scene scene;
  qml::FeedbackControllerForeign::instance = &scene.controller;
  qml::QuickComposerForeign::instance = &scene.composer;
  qml::UiTranslator::instance = &scene.translator;
  qml::DisplayModeForeign::instance = &scene.display;
  scene.engine.addImportPath(QStringLiteral("qrc:/"));  // as fb-headunit does
  ASSERT_TRUE(scene.translator.setLanguage(QString::fromLatin1(language.code)));
  scene.controller.setLanguage(QString::fromLatin1(language.code));
  ASSERT_TRUE(scene.display.setMode(QString::fromLatin1(theme)));
  screen.state(scene);

  Rendered rendered;
  render(scene, QUrl(QStringLiteral("qrc:/FeedbackUi/") + QString::fromLatin1(screen.qml)), rendered);
  if (HasFatalFailure()) return;

  const QString file = QStringLiteral("%1/%2_%3_%4.png")
                           .arg(screenshot_dir(), QString::fromLatin1(screen.name), QString::fromLatin1(language.file),
                                QString::fromLatin1(theme));
  const QImage image = rendered.window->grabWindow();
  EXPECT_EQ(image.size(), QSize(kDesignWidth, kDesignHeight) * rendered.window->devicePixelRatio());
  EXPECT_TRUE(image.save(file)) << file.toStdString();

  for (const auto& problem : test::text_problems(*rendered.window->contentItem())) {
    ADD_FAILURE() << screen.name << " " << language.file << " " << theme << ": " << problem;
  }
  for (const auto& problem : test::overlap_problems(*rendered.window->contentItem())) {
    ADD_FAILURE() << screen.name << " " << language.file << " " << theme << ": " << problem;
  }
  for (const auto& problem : test::touch_problems(*rendered.window->contentItem())) {
    ADD_FAILURE() << screen.name << " " << language.file << " " << theme << ": " << problem;
  }
  qml::FeedbackControllerForeign::instance = nullptr;
  qml::UiTranslator::instance = nullptr;
  qml::DisplayModeForeign::instance = nullptr;
}

std::string test_name(const ::testing::TestParamInfo<ScreenshotTest::ParamType>& info) {
  const auto& [screen, language, theme] = info.param;
  return std::string(screen.name) + "_" + language.file + "_" + theme;
}

INSTANTIATE_TEST_SUITE_P(Screens, ScreenshotTest,
                         ::testing::Combine(::testing::ValuesIn(kScreens), ::testing::ValuesIn(kLanguages),
                                            ::testing::ValuesIn(kThemes)),
                         test_name);

// ---- The check can fail ---------------------------------------------------------------------------

class TextFitTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { QQuickWindow::setGraphicsApi(QSGRendererInterface::Software); }

  /// Problems the check finds on `qml` (an Item, with FeedbackUi imported), rendered.
  std::vector<std::string> problemsOf(const char* qml) {
    qml::FeedbackControllerForeign::instance = &scene_.controller;
    qml::QuickComposerForeign::instance = &scene_.composer;
    qml::UiTranslator::instance = &scene_.translator;
    qml::DisplayModeForeign::instance = &scene_.display;
    scene_.engine.addImportPath(QStringLiteral("qrc:/"));
    EXPECT_TRUE(scene_.translator.setLanguage(QStringLiteral("en")));
    QQmlComponent component(&scene_.engine);
    component.setData(QByteArray("import QtQuick\nimport QtQuick.Controls\nimport FeedbackUi\n") + qml,
                      QUrl(QStringLiteral("qrc:/text_fit_test.qml")));
    Rendered rendered;
    rendered.root.reset(component.create());
    EXPECT_TRUE(rendered.root) << component.errorString().toStdString();
    if (!rendered.root) return {};
    rendered.host = std::make_unique<QQuickWindow>();
    qobject_cast<QQuickItem*>(rendered.root.get())->setParentItem(rendered.host->contentItem());
    rendered.host->resize(400, 300);
    QSignalSpy frame(rendered.host.get(), &QQuickWindow::frameSwapped);
    rendered.host->show();
    EXPECT_TRUE(frame.wait(kFrameTimeoutMs));
    auto problems = test::text_problems(*rendered.host->contentItem());
    for (auto& p : test::overlap_problems(*rendered.host->contentItem())) problems.push_back(std::move(p));
    qml::FeedbackControllerForeign::instance = nullptr;
    qml::UiTranslator::instance = nullptr;
    qml::DisplayModeForeign::instance = nullptr;
    return problems;
  }

  Scene scene_;
};

TEST_F(TextFitTest, AcceptsTextThatFits) {
  EXPECT_EQ(problemsOf(R"(
      Rectangle {
          width: 300; height: 100
          TapButton { objectName: "ok"; width: 280; text: "Send" }
      })"),
            std::vector<std::string>{});
}

TEST_F(TextFitTest, FindsAnElidedButtonLabel) {
  const auto problems = problemsOf(R"(
      Rectangle {
          width: 300; height: 100
          TapButton {
              objectName: "tooLong"
              width: 160
              text: "A label far too long for the button that it is on, in any language"
          }
      })");
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems.front().find("tooLong"), std::string::npos) << problems.front();
  EXPECT_NE(problems.front().find("elided"), std::string::npos) << problems.front();
  EXPECT_NE(problems.front().find("far too long"), std::string::npos) << problems.front();
}

TEST_F(TextFitTest, FindsTextWiderThanItsControl) {
  const auto problems = problemsOf(R"(
      Rectangle {
          objectName: "card"
          width: 200; height: 80
          Label { id: wide; x: 10; text: "This text runs past the right edge of its card"; font.pixelSize: 22 }
      })");
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems.front().find("card"), std::string::npos) << problems.front();
  EXPECT_NE(problems.front().find("wide"), std::string::npos) << problems.front();
  EXPECT_NE(problems.front().find("outside"), std::string::npos) << problems.front();
}

TEST_F(TextFitTest, FindsTextSqueezedBelowItsWidth) {
  const auto problems = problemsOf(R"(
      Rectangle {
          width: 390; height: 80
          Label { width: 60; text: "Squeezed"; font.pixelSize: 22 }
      })");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems.front().find("wider than its box"), std::string::npos) << problems.front();
}

TEST_F(TextFitTest, FindsTextBelowTheReadableSize) {
  const auto problems = problemsOf(R"(
      Rectangle {
          width: 390; height: 80
          Label { text: "Tiny"; font.pixelSize: 14 }
      })");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems.front().find("14 px"), std::string::npos) << problems.front();
}

// ---- Palettes --------------------------------------------------------------------------------------

double luminance(const QColor& c) {
  auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

/// WCAG 2 contrast ratio.
double contrast(const QColor& a, const QColor& b) {
  const double la = luminance(a);
  const double lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

class PaletteTest : public ::testing::TestWithParam<const char*> {};

TEST_P(PaletteTest, TextHasContrastOnItsSurfaces) {
  Scene scene;
  qml::DisplayModeForeign::instance = &scene.display;
  qml::UiTranslator::instance = &scene.translator;
  qml::FeedbackControllerForeign::instance = &scene.controller;
  scene.engine.addImportPath(QStringLiteral("qrc:/"));
  ASSERT_TRUE(scene.display.setMode(QString::fromLatin1(GetParam())));
  QQmlComponent component(&scene.engine);
  component.setData(R"(
      import QtQml
      import FeedbackUi
      QtObject {
          readonly property bool night: Theme.night
          function colour(name) { return Theme[name] }
      })",
                    QUrl(QStringLiteral("qrc:/palette_test.qml")));
  std::unique_ptr<QObject> probe(component.create());
  ASSERT_TRUE(probe) << component.errorString().toStdString();
  EXPECT_EQ(probe->property("night").toBool(), QString::fromLatin1(GetParam()) == QLatin1String("night"));
  auto colour = [&](const char* name) {
    QVariant result;
    QMetaObject::invokeMethod(probe.get(), "colour", Q_RETURN_ARG(QVariant, result), Q_ARG(QVariant, name));
    const QColor c = result.value<QColor>();
    EXPECT_TRUE(c.isValid()) << name;
    return c;
  };
  const std::vector<std::pair<std::vector<const char*>, std::vector<const char*>>> pairs{
      {{"text", "textDim", "accentBright", "ok", "warning", "error", "info", "inactive"},
       {"background", "surface", "surfaceRaised"}},
      {{"textOnAccent"}, {"accent"}},
      {{"bannerText", "bannerTextDim"}, {"banner"}},
  };
  for (const auto& [texts, surfaces] : pairs) {
    for (const auto* text : texts) {
      for (const auto* surface : surfaces) {
        EXPECT_GE(contrast(colour(text), colour(surface)), 4.5) << GetParam() << ": " << text << " on " << surface;
      }
    }
  }
  if (scene.display.night()) {
    for (const auto* text : {"text", "textOnAccent", "bannerText"}) {
      EXPECT_NE(colour(text), QColor(Qt::white)) << text << ": no pure white at night";
    }
  }
  qml::DisplayModeForeign::instance = nullptr;
  qml::UiTranslator::instance = nullptr;
  qml::FeedbackControllerForeign::instance = nullptr;
}

INSTANTIATE_TEST_SUITE_P(Themes, PaletteTest, ::testing::Values("day", "night"));

}  // namespace
}  // namespace fb::ui

namespace fb::ui {
namespace {

TEST_F(TextFitTest, FindsButtonsThatOverlapAndAcceptsButtonsSideBySide) {
  auto problems = problemsOf(R"(
      Rectangle {
          width: 390; height: 200
          Column {
              TapButton { objectName: "first"; text: "Pick" }
              TapButton { objectName: "second"; text: "Pick" }
              spacing: -20  // the second one drawn over the first one's lower part
          }
      })");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems.front().find("first"), std::string::npos) << problems.front();
  EXPECT_NE(problems.front().find("overlaps"), std::string::npos) << problems.front();
  EXPECT_NE(problems.front().find("second"), std::string::npos) << problems.front();

  // In rows of their own (the way VisitCard lays out its slots now), side by side, or touching.
  EXPECT_EQ(problemsOf(R"(
      Rectangle {
          width: 390; height: 200
          Column {
              Row { TapButton { text: "Pick" }  TapButton { text: "Other" } }
              Row { spacing: 8; TapButton { text: "Pick" }  TapButton { text: "Other" } }
          }
      })"),
            std::vector<std::string>{});
}

}  // namespace
}  // namespace fb::ui
