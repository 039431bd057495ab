// The app's own font (ui_fonts.hpp): it loads under its own family in both weights, and it holds
// every character of every translation, so that the app's own texts never pull the system's
// full CJK collection into memory (the reason it exists). The .ts files are read here with Qt's
// XML reader, not with the build script's parser, so a character that script misses shows up.
#include <gtest/gtest.h>

#include <QFile>
#include <QFontDatabase>
#include <QRawFont>
#include <QSet>
#include <QXmlStreamReader>

#include "ui_fonts.hpp"

namespace fb::ui::qml {
namespace {

QString texts_of_ts(const QString& path) {
  QFile file(path);
  EXPECT_TRUE(file.open(QIODevice::ReadOnly)) << path.toStdString();
  QXmlStreamReader xml(&file);
  QString all;
  while (!xml.atEnd()) {
    if (xml.readNext() == QXmlStreamReader::StartElement &&
        (xml.name() == QLatin1String("source") || xml.name() == QLatin1String("translation"))) {
      all += xml.readElementText(QXmlStreamReader::IncludeChildElements);
    }
  }
  EXPECT_FALSE(xml.hasError()) << path.toStdString() << ": " << xml.errorString().toStdString();
  return all;
}

QRawFont raw_font(const char* resource) {
  QFile file(QString::fromLatin1(resource));
  EXPECT_TRUE(file.open(QIODevice::ReadOnly)) << resource;
  return QRawFont(file.readAll(), 22);
}

TEST(UiFonts, BothWeightsLoadUnderTheAppsOwnFamily) {
  ASSERT_TRUE(load_ui_fonts());
  const auto family = QString::fromLatin1(kUiFontFamily);
  ASSERT_TRUE(QFontDatabase::hasFamily(family));
  const auto styles = QFontDatabase::styles(family);
  EXPECT_TRUE(styles.contains(QStringLiteral("Regular"))) << styles.join(u',').toStdString();
  EXPECT_TRUE(styles.contains(QStringLiteral("Bold"))) << styles.join(u',').toStdString();
}

TEST(UiFonts, EveryCharacterOfEveryTranslationIsInBothWeights) {
  QString texts;
  for (const auto& ts : QStringLiteral(FB_HEADUNIT_TS_FILES).split(u'|')) texts += texts_of_ts(ts);
  ASSERT_GT(texts.size(), 1000);
  for (const auto* resource : {":/fonts/FBUISans-Regular.otf", ":/fonts/FBUISans-Bold.otf"}) {
    const auto font = raw_font(resource);
    ASSERT_TRUE(font.isValid()) << resource;
    QSet<uint> missing;
    for (const uint c : texts.toUcs4()) {
      if (QChar::isPrint(c) && !QChar::isSpace(c) && !font.supportsCharacter(c)) missing.insert(c);
    }
    QString listed;
    for (const uint c : missing) listed += QString::fromUcs4(reinterpret_cast<const char32_t*>(&c), 1);
    EXPECT_TRUE(missing.isEmpty()) << resource << " lacks " << missing.size() << ": " << listed.toStdString();
  }
}

}  // namespace
}  // namespace fb::ui::qml
