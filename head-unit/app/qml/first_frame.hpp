// QML type FirstFrame: `shown` turns true once its window has presented a frame. Main.qml builds
// the dashboard behind it, so the screen lights up (the window and the app's name) before the
// dashboard's modules and controls are loaded.
//
// Threads: the GUI thread. QQuickWindow::frameSwapped may come from the scene graph's render
// thread; it reaches this object queued, on the thread it lives on.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QPointer>
#include <QQuickWindow>

namespace fb::ui::qml {

class FirstFrame : public QObject {
  Q_OBJECT
  QML_ELEMENT
  // QObject* for qmllint (it knows QtQuick's Window only as QML); a non-window is ignored.
  Q_PROPERTY(QObject* window READ window WRITE setWindow NOTIFY windowChanged)
  Q_PROPERTY(bool shown READ shown NOTIFY shownChanged)

 public:
  explicit FirstFrame(QObject* parent = nullptr) : QObject(parent) {}

  QObject* window() const { return window_; }
  /// The window (a QQuickWindow) to watch; once shown, `shown` stays true whatever is set later.
  void setWindow(QObject* window);
  bool shown() const { return shown_; }

 Q_SIGNALS:
  void windowChanged();
  void shownChanged();

 private:
  void on_frame_swapped();

  QPointer<QQuickWindow> window_;
  QMetaObject::Connection swapped_;
  bool shown_ = false;
};

}  // namespace fb::ui::qml
