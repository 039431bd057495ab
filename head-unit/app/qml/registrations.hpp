// How the QML module FeedbackUi sees the app's C++ types, declared here (QML_FOREIGN) so that
// the view-model library (fb_headunit_ui) keeps no QML knowledge. qmltyperegistrar reads this
// header when it builds the module; QML imports `FeedbackUi` only.
//
//  - FeedbackController: a singleton. The composition root owns the one instance and sets
//    `FeedbackControllerForeign::instance` before the engine loads any QML; the engine never
//    owns or deletes it.
//  - ReportsModel: reached through FeedbackController.reports, never made in QML (its
//    registration derives from it, hence no `final` on it).
//
// Threads: the Qt (GUI) thread only; `instance` is set there before an engine exists.
#pragma once

#include <QtQml/qqml.h>  // QML_FOREIGN needs the registration internals, not only the macros
#include <QJSEngine>

#include "fb/ui/banner_queue.hpp"
#include "fb/ui/display_mode.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/quick_composer.hpp"
#include "fb/ui/reports_model.hpp"
#include "fb/ui/timeline_model.hpp"

class QQmlEngine;

namespace fb::ui::qml {

struct FeedbackControllerForeign {
  Q_GADGET
  QML_FOREIGN(fb::ui::FeedbackController)
  QML_NAMED_ELEMENT(FeedbackController)
  QML_SINGLETON

 public:
  /// The controller QML gets; set by the owner before the first engine loads.
  inline static FeedbackController* instance = nullptr;

  /// Called by each engine on first use. Crashes (Q_ASSERT) in debug builds if `instance` is unset.
  static FeedbackController* create(QQmlEngine*, QJSEngine*) {
    Q_ASSERT(instance);
    QJSEngine::setObjectOwnership(instance, QJSEngine::CppOwnership);
    return instance;
  }
};

struct ReportsModelForeign {
  Q_GADGET
  QML_FOREIGN(fb::ui::ReportsModel)
  QML_NAMED_ELEMENT(ReportsModel)
  QML_UNCREATABLE("My reports come from FeedbackController.reports")
};

struct TimelineModelForeign {
  Q_GADGET
  QML_FOREIGN(fb::ui::TimelineModel)
  QML_NAMED_ELEMENT(TimelineModel)
  QML_UNCREATABLE("A report's timeline comes from FeedbackController.timeline")
};

struct BannerQueueForeign {
  Q_GADGET
  QML_FOREIGN(fb::ui::BannerQueue)
  QML_NAMED_ELEMENT(BannerQueue)
  QML_UNCREATABLE("The banners come from FeedbackController.banners")
};

/// The quick-feedback flow (tiles, review and consent, drafts): a singleton owned by the
/// composition root like FeedbackController, set before any engine loads.
struct QuickComposerForeign {
  Q_GADGET
  QML_FOREIGN(fb::ui::QuickComposer)
  QML_NAMED_ELEMENT(QuickComposer)
  QML_SINGLETON

 public:
  inline static QuickComposer* instance = nullptr;

  static QuickComposer* create(QQmlEngine*, QJSEngine*) {
    Q_ASSERT(instance);
    QJSEngine::setObjectOwnership(instance, QJSEngine::CppOwnership);
    return instance;
  }
};

struct QuickFeedbackModelForeign {
  Q_GADGET
  QML_FOREIGN(fb::ui::QuickFeedbackModel)
  QML_NAMED_ELEMENT(QuickFeedbackModel)
  QML_UNCREATABLE("The tiles come from QuickComposer.kinds")
};

struct QuickDraftsModelForeign {
  Q_GADGET
  QML_FOREIGN(fb::ui::QuickDraftsModel)
  QML_NAMED_ELEMENT(QuickDraftsModel)
  QML_UNCREATABLE("Drafts come from QuickComposer.drafts")
};

}  // namespace fb::ui::qml

namespace fb::ui::qml {

/// DisplayMode (day or night palette): a singleton. The composition root owns the one instance
/// and sets `DisplayModeForeign::instance` before the engine loads; an engine without one
/// (a test that loads a single file) gets its own, in "auto" mode, owned by the engine.
struct DisplayModeForeign {
  Q_GADGET
  QML_FOREIGN(fb::ui::DisplayMode)
  QML_NAMED_ELEMENT(DisplayMode)
  QML_SINGLETON

 public:
  inline static DisplayMode* instance = nullptr;

  static DisplayMode* create(QQmlEngine*, QJSEngine*) {
    if (!instance) return new DisplayMode;  // JavaScript ownership: the engine deletes it
    QJSEngine::setObjectOwnership(instance, QJSEngine::CppOwnership);
    return instance;
  }
};

}  // namespace fb::ui::qml
