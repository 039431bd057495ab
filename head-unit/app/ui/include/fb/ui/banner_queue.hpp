// BannerQueue: which notification banner the dashboard shows now, and which wait. While the car
// moves, a non-urgent banner (progress on a case) waits in line until it stops, so as not to
// draw the driver's eyes; an urgent one (safety guidance such as "pull over safely",
// Notification.urgent) shows at once, moving or not, ahead of any other. One banner shows at a
// time; the driver (or the view's timer) dismisses it and the next one in line follows.
// Waiting order: urgent ones first, then the rest in arrival order.
//
// Threads: a plain QObject of the Qt (GUI) thread; every method must be called there.
// FeedbackController feeds it with notifications and the moving state.
#pragma once

#include <QObject>
#include <QString>
#include <deque>
#include <optional>

namespace fb::ui {

struct Banner {
  QString message_id;
  QString report_id;
  QString case_number;
  QString title;
  QString text;
  bool urgent = false;
};

// Not final: the QML module's type registration (app/qml/registrations.hpp) derives from it.
class BannerQueue : public QObject {
  Q_OBJECT
  /// A banner is showing; the properties below describe it ("" / false when none).
  Q_PROPERTY(bool showing READ showing NOTIFY currentChanged)
  Q_PROPERTY(QString messageId READ messageId NOTIFY currentChanged)
  Q_PROPERTY(QString reportId READ reportId NOTIFY currentChanged)
  Q_PROPERTY(QString caseNumber READ caseNumber NOTIFY currentChanged)
  Q_PROPERTY(QString title READ title NOTIFY currentChanged)
  Q_PROPERTY(QString text READ text NOTIFY currentChanged)
  Q_PROPERTY(bool urgent READ urgent NOTIFY currentChanged)
  /// Banners waiting (for the car to stop, or behind the one showing).
  Q_PROPERTY(int waiting READ waiting NOTIFY waitingChanged)

 public:
  explicit BannerQueue(QObject* parent = nullptr);

  /// A new banner: shown now if urgent, or if the car stands and none is showing; else it waits.
  /// An urgent one puts a non-urgent one that was showing back at the head of the line.
  void push(Banner banner);
  /// The car's moving state. Starting to move puts a non-urgent banner showing back in line;
  /// stopping shows the next one waiting.
  void setMoving(bool moving);
  bool moving() const { return moving_; }
  /// The driver has seen the banner showing: the next one that may show follows.
  Q_INVOKABLE void dismiss();

  bool showing() const { return current_.has_value(); }
  QString messageId() const { return current_ ? current_->message_id : QString(); }
  QString reportId() const { return current_ ? current_->report_id : QString(); }
  QString caseNumber() const { return current_ ? current_->case_number : QString(); }
  QString title() const { return current_ ? current_->title : QString(); }
  QString text() const { return current_ ? current_->text : QString(); }
  bool urgent() const { return current_ && current_->urgent; }
  int waiting() const { return static_cast<int>(waiting_.size()); }

 Q_SIGNALS:
  void currentChanged();
  void waitingChanged();

 private:
  /// Puts `b` in line: urgent ones after the urgent ones waiting, the rest at the end (or, with
  /// `front`, a non-urgent one back at the head of the non-urgent ones).
  void wait(Banner b, bool front = false);
  /// Shows the head of the line if it may show now (urgent, or the car stands).
  void showNext();

  std::optional<Banner> current_;
  std::deque<Banner> waiting_;
  bool moving_ = false;
};

}  // namespace fb::ui
