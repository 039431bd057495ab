#include "ui_fonts.hpp"

#include <QByteArray>
#include <QFont>
#include <QFontDatabase>
#include <QResource>
#include <QString>

namespace fb::ui::qml {

bool load_ui_fonts() {
  static const bool loaded = [] {
    bool all = true;
    for (const auto* file : {":/fonts/FBUISans-Regular.otf", ":/fonts/FBUISans-Bold.otf"}) {
      const QResource resource(QString::fromLatin1(file));
      // Stored uncompressed (qml/CMakeLists.txt): the font is read where the binary holds it,
      // not copied to the heap first.
      const auto data = resource.compressionAlgorithm() == QResource::NoCompression
                            ? QByteArray::fromRawData(reinterpret_cast<const char*>(resource.data()),
                                                      static_cast<qsizetype>(resource.size()))
                            : resource.uncompressedData();
      all = !data.isEmpty() && QFontDatabase::addApplicationFontFromData(data) >= 0 && all;
    }
    // A character the cut lacks comes from the font it was cut from, not whichever CJK font the
    // locale's fallback list names first (a Japanese or Korean form, in the middle of a line).
    QFont::insertSubstitution(QString::fromLatin1(kUiFontFamily), QStringLiteral("Noto Sans CJK SC"));
    return all;
  }();
  return loaded;
}

}  // namespace fb::ui::qml
