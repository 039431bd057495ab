#include "first_frame.hpp"

namespace fb::ui::qml {

void FirstFrame::setWindow(QObject* object) {
  auto* window = qobject_cast<QQuickWindow*>(object);
  if (window == window_) return;
  QObject::disconnect(swapped_);
  window_ = window;
  if (window_ && !shown_) {
    swapped_ = connect(window_, &QQuickWindow::frameSwapped, this, &FirstFrame::on_frame_swapped, Qt::QueuedConnection);
  }
  Q_EMIT windowChanged();
}

void FirstFrame::on_frame_swapped() {
  QObject::disconnect(swapped_);
  if (shown_) return;
  shown_ = true;
  Q_EMIT shownChanged();
}

}  // namespace fb::ui::qml
