#include "fb/ui/display_mode.hpp"

#include <chrono>

namespace fb::ui {

DisplayMode::DisplayMode(Clock clock, QObject* parent)
    : QObject(parent),
      clock_(clock ? std::move(clock) : Clock([] { return QTime::currentTime(); })) {
  timer_.setInterval(std::chrono::minutes(1));
  QObject::connect(&timer_, &QTimer::timeout, this, &DisplayMode::refresh);
  timer_.start();
  night_ = isNightTime(clock_());
}

bool DisplayMode::setMode(const QString& mode) {
  if (mode != QLatin1String("day") && mode != QLatin1String("night") && mode != QLatin1String("auto")) return false;
  if (mode == mode_) return true;
  mode_ = mode;
  if (mode_ == QLatin1String("auto")) {
    timer_.start();
  } else {
    timer_.stop();
  }
  Q_EMIT modeChanged();
  refresh();
  return true;
}

void DisplayMode::refresh() {
  if (mode_ == QLatin1String("auto")) {
    setNight(isNightTime(clock_()));
  } else {
    setNight(mode_ == QLatin1String("night"));
  }
}

bool DisplayMode::isNightTime(const QTime& time) { return time.hour() >= 19 || time.hour() < 7; }

void DisplayMode::setNight(bool night) {
  if (night == night_) return;
  night_ = night;
  Q_EMIT nightChanged();
}

}  // namespace fb::ui
