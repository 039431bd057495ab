#include "ui_translator.hpp"

#include <QCoreApplication>
#include <QJSEngine>
#include <QQmlEngine>

namespace fb::ui::qml {

UiTranslator::UiTranslator(QQmlEngine& engine, QObject* parent) : QObject(parent), engine_(engine) {}

UiTranslator::~UiTranslator() {
  if (translator_) QCoreApplication::removeTranslator(translator_.get());
}

UiTranslator* UiTranslator::create(QQmlEngine*, QJSEngine*) {
  Q_ASSERT(instance);
  QJSEngine::setObjectOwnership(instance, QJSEngine::CppOwnership);
  return instance;
}

bool UiTranslator::setLanguage(const QString& language) {
  const QString normalized = language.startsWith(QLatin1String("zh")) ? QStringLiteral("zh") : QStringLiteral("en");
  if (normalized == language_) return true;
  const QString file = normalized == QLatin1String("zh") ? QStringLiteral(":/i18n/feedbackui_zh_CN.qm")
                                                         : QStringLiteral(":/i18n/feedbackui_en.qm");
  auto loaded = std::make_unique<QTranslator>();
  if (!loaded->load(file)) return false;
  if (translator_) QCoreApplication::removeTranslator(translator_.get());
  translator_ = std::move(loaded);
  QCoreApplication::installTranslator(translator_.get());
  language_ = normalized;
  engine_.setUiLanguage(normalized);  // Qt.uiLanguage, which Texts.qml reads
  engine_.retranslate();
  Q_EMIT languageChanged();
  return true;
}

}  // namespace fb::ui::qml
