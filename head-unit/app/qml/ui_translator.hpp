// UiTranslator: the dashboard's UI language, switched at run time. Loads the module's compiled
// translations (feedbackui_<locale>.qm, embedded at :/i18n by the build), installs the one for
// the chosen language on the application, sets the engine's uiLanguage (Qt.uiLanguage, which
// Texts.qml reads) and makes the engine re-evaluate every qsTr binding.
// QML sees it as the singleton UiTranslator (module FeedbackUi).
//
// Threads: the Qt (GUI) thread only. Lifetime: made after the engine it retranslates and
// destroyed before it; the owner sets `instance` before the engine loads any QML.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QString>
#include <QTranslator>
#include <memory>

class QQmlEngine;
class QJSEngine;

namespace fb::ui::qml {

class UiTranslator final : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_SINGLETON
  /// "zh" (Simplified Chinese) or "en"; writing another value selects English.
  Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY languageChanged)

 public:
  explicit UiTranslator(QQmlEngine& engine, QObject* parent = nullptr);
  ~UiTranslator() override;

  /// The translator QML gets; set by the owner before the engine loads.
  inline static UiTranslator* instance = nullptr;
  /// Called by the engine on first use; the engine does not own the result.
  static UiTranslator* create(QQmlEngine*, QJSEngine*);

  QString language() const { return language_; }
  /// Anything starting with "zh" selects Chinese, everything else English. Returns false (and
  /// keeps the current language) when the language's translation cannot be loaded.
  bool setLanguage(const QString& language);

 Q_SIGNALS:
  /// After the new translation is installed and the engine retranslated.
  void languageChanged();

 private:
  QQmlEngine& engine_;
  std::unique_ptr<QTranslator> translator_;  // installed on the application; null before the first language
  QString language_;
};

}  // namespace fb::ui::qml
