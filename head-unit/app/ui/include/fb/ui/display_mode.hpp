// DisplayMode: whether the dashboard shows its day or its night palette. The mode is "day",
// "night" or "auto"; in auto the palette follows the clock (night from 19:00 to 07:00): the
// agent has no light-sensor or headlamp signal yet. The QML Theme reads `night` and picks its
// colours from it. No QML in here: the QML module declares it (registrations.hpp).
//
// Threads: the Qt (GUI) thread that made it; its timer (auto only, re-reads the clock every
// minute) runs there too.
#pragma once

#include <QObject>
#include <QString>
#include <QTime>
#include <QTimer>
#include <functional>

namespace fb::ui {

class DisplayMode final : public QObject {
  Q_OBJECT
  /// "day", "night" or "auto"; writing anything else is refused (setMode returns false).
  Q_PROPERTY(QString mode READ mode WRITE setMode NOTIFY modeChanged)
  /// The night palette is shown.
  Q_PROPERTY(bool night READ night NOTIFY nightChanged)

 public:
  /// The local time of day, asked in auto mode (tests pass their own).
  using Clock = std::function<QTime()>;

  /// Starts in "auto". `clock` defaults to QTime::currentTime.
  explicit DisplayMode(Clock clock = {}, QObject* parent = nullptr);

  QString mode() const { return mode_; }
  /// False (and nothing changes) for a mode other than "day", "night" or "auto".
  bool setMode(const QString& mode);
  bool night() const { return night_; }

  /// In auto mode: reads the clock now (the timer does so every minute).
  void refresh();

  /// The clock's rule: night from 19:00 (inclusive) to 07:00 (exclusive).
  static bool isNightTime(const QTime& time);

 Q_SIGNALS:
  void modeChanged();
  void nightChanged();

 private:
  void setNight(bool night);

  Clock clock_;
  QTimer timer_;
  QString mode_ = QStringLiteral("auto");
  bool night_ = false;
};

}  // namespace fb::ui
