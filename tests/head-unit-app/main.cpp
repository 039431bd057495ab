// The suite's own main: the stores need a Qt application and its event loop on this thread.
#include <gtest/gtest.h>

#include <QtQml/qqmlextensionplugin.h>
#include <QGuiApplication>

#include "ui_fonts.hpp"

Q_IMPORT_QML_PLUGIN(FeedbackUiPlugin)

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QGuiApplication app(argc, argv);
  if (!fb::ui::qml::load_ui_fonts()) return 3;  // the screens would not be drawn as the app draws them
  return RUN_ALL_TESTS();
}
