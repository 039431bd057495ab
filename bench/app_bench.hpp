// The app's phase of fb-bench (bench/README.md, "C. The app"): the real Qt Quick app
// (fb-headunit) against a minimal Qt Quick window (fb-bench-min-window: one Window and one Text,
// the same Qt and platform plugin), each started as a process with --report-first-frame, on the
// offscreen platform with the software renderer, alternately, several times:
//  - app_first_frame: process start -> first frame swapped (median of the runs, ms);
//  - app_rss_mb: VmRSS half a second after that first frame (median, MiB).
// No broker: the app runs without certificates (its link does not start; it still queues).
// No GoogleTest, no Qt: the two programs are children. fb-bench runs it after its other phases
// in a build with the Qt app; fb-app-bench (app_bench_main.cpp, `bench/run.sh --app-only`) runs
// it alone without building the backend.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "fb/common/error.hpp"
#include "json_report.hpp"

namespace fb::bench {

struct AppBenchOptions {
  std::string app;                 // fb-headunit
  std::string min_window;          // fb-bench-min-window
  std::filesystem::path work_dir;  // the app's queue file goes here
  int runs = 5;                    // counted runs of each, after one warm-up run of each
  std::string language = "zh";     // the app's --lang (Chinese: the CJK font is loaded)
};

struct AppRun {
  double first_frame_ms = 0;
  double ready_ms = 0;  // READY_MS: the app's dashboard shown (the minimal window: its first frame)
  double rss_mb = 0;
};

struct AppBenchResults {
  std::vector<AppRun> app;
  std::vector<AppRun> baseline;
  double first_frame_ms = 0;  // medians
  double baseline_first_frame_ms = 0;
  double ready_ms = 0;
  double baseline_ready_ms = 0;
  double rss_mb = 0;
  double baseline_rss_mb = 0;
};

/// Runs both programs as described above. Fails when either does not print its two lines
/// within a minute or exits non-zero.
Result<AppBenchResults> run_app_bench(const AppBenchOptions& options);

/// Prints the phase's lines (each run, the medians, the ratios) to stdout.
void print_app_bench(const AppBenchOptions& options, const AppBenchResults& results);

/// Adds app_first_frame and app_rss_mb (medians, baselines the minimal window's) to `report`.
void add_app_bench(JsonReport& report, const AppBenchResults& results);

}  // namespace fb::bench
