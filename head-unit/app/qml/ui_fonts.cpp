#include "ui_fonts.hpp"

#include <QFontDatabase>
#include <QString>

namespace fb::ui::qml {

bool load_ui_fonts() {
  static const bool loaded = [] {
    bool all = true;
    for (const auto* file : {":/fonts/FBUISans-Regular.otf", ":/fonts/FBUISans-Bold.otf"}) {
      all = QFontDatabase::addApplicationFont(QString::fromLatin1(file)) >= 0 && all;
    }
    return all;
  }();
  return loaded;
}

}  // namespace fb::ui::qml
