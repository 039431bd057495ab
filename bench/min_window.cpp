// fb-bench-min-window: the baseline of app_first_frame and app_rss_mb (bench/README.md, "C. The
// app"): the least a Qt Quick program on this machine does, one Window with one Text, with the
// same Qt, the same platform plugin and the same report as fb-headunit --report-first-frame.
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickWindow>

#include "startup_report.hpp"

int main(int argc, char** argv) {
  QGuiApplication app(argc, argv);
  QQmlApplicationEngine engine;
  engine.loadData(R"(
import QtQuick
Window {
    width: 1280
    height: 720
    visible: true
    Text { anchors.centerIn: parent; text: "Feedback"; font.pixelSize: 22 }
})");
  auto* window = engine.rootObjects().isEmpty() ? nullptr : qobject_cast<QQuickWindow*>(engine.rootObjects().first());
  if (!window) return 2;
  fb::startup::report_first_frame(*window, 500);
  return QGuiApplication::exec();
}
