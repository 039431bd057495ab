// --report-first-frame, shared by fb-headunit and the benchmark's minimal Qt Quick window
// (bench/min_window.cpp), so that both measure alike: when the window's first frame is swapped,
// print "FIRST_FRAME_MS <ms since the process started>"; at the first frame after the window's
// `ready` property is true (fb-headunit's Main.qml builds its dashboard after its first frame; a
// window without the property is ready at its first frame) print "READY_MS <ms>"; a settle
// time after that print "RSS_MB <VmRSS in MiB>" and quit the event loop with 0.
//
// The process start is /proc/self/stat's starttime (clock ticks since boot, 10 ms steps)
// against CLOCK_BOOTTIME, so the time before main() (loading libraries) is counted too.
//
// Threads: the Qt (GUI) thread; the window must outlive the event loop.
#pragma once

#include <QCoreApplication>
#include <QQuickWindow>
#include <QTimer>
#include <QVariant>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>

#include <unistd.h>

namespace fb::startup {

/// Milliseconds since this process started; -1 when /proc is unreadable.
inline double ms_since_process_start() {
  std::ifstream stat("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = all.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(all.substr(paren + 2));  // field 3 (state) onwards
  std::string field;
  for (int i = 3; i < 22 && fields >> field; ++i) {
  }
  unsigned long long start_ticks = 0;
  if (!(fields >> start_ticks)) return -1;
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  const double now_ms = static_cast<double>(now.tv_sec) * 1000.0 + static_cast<double>(now.tv_nsec) / 1e6;
  return now_ms - static_cast<double>(start_ticks) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// Resident set size (VmRSS of /proc/self/status) in MiB; -1 when unreadable.
inline double rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

/// Calls `f` once, on the window's thread, after the first frame presented while the window's
/// `ready` property is true (fb-headunit's Main.qml: its dashboard is in); a window without the
/// property is ready at its first frame.
template <class F>
void on_ready_frame(QQuickWindow& window, F f) {
  // Queued: the window's properties are read on its own thread (the swap may be the render thread's).
  QObject::connect(
      &window, &QQuickWindow::frameSwapped, &window,
      [&window, f = std::move(f), done = false, armed = false]() mutable {
        if (done) return;
        const QVariant ready = window.property("ready");
        if (ready.isValid()) {
          if (!ready.toBool()) return;
          // Ready now, but the frame just swapped may predate it: the next one shows it.
          if (!std::exchange(armed, true)) {
            window.update();
            return;
          }
        }
        done = true;
        f();
      },
      Qt::QueuedConnection);
}

/// Prints the lines as described above, then quits with 0 (`settle_ms` after READY_MS).
inline void report_first_frame(QQuickWindow& window, int settle_ms) {
  QObject::connect(
      &window, &QQuickWindow::frameSwapped, &window,
      [done = false]() mutable {
        if (done) return;
        done = true;
        std::printf("FIRST_FRAME_MS %.1f\n", ms_since_process_start());
        std::fflush(stdout);
      },
      Qt::DirectConnection);
  on_ready_frame(window, [&window, settle_ms] {
    std::printf("READY_MS %.1f\n", ms_since_process_start());
    std::fflush(stdout);
    // Memory once the window shows all it will show at the start.
    QTimer::singleShot(settle_ms, &window, [] {
      std::printf("RSS_MB %.1f\n", rss_mb());
      std::fflush(stdout);
      QCoreApplication::exit(0);
    });
  });
}

}  // namespace fb::startup
