#include "app_bench.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <regex>

#include "process.hpp"

namespace fb::bench {
namespace {

using namespace std::chrono_literals;

constexpr auto kRunTimeout = 60s;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Result<AppRun> run_once(const std::string& name, std::vector<std::string> argv) {
  test::Process child(name, std::move(argv));
  const int code = child.wait_exit(kRunTimeout);
  const std::string out = child.output();
  if (code != 0) {
    return fail(StorageErrc::io, fmt::format("{} exited with {}: {}", name, code, out.substr(0, 2000)));
  }
  std::smatch frame;
  std::smatch rss;
  std::smatch ready;
  static const std::regex kFrame("FIRST_FRAME_MS ([0-9.]+)");
  static const std::regex kReady("READY_MS ([0-9.]+)");
  static const std::regex kRss("RSS_MB ([0-9.]+)");
  if (!std::regex_search(out, frame, kFrame) || !std::regex_search(out, rss, kRss) ||
      !std::regex_search(out, ready, kReady)) {
    return fail(StorageErrc::not_found, fmt::format("{} printed no FIRST_FRAME_MS / READY_MS / RSS_MB: {}", name, out));
  }
  return AppRun{std::stod(frame[1]), std::stod(ready[1]), std::stod(rss[1])};
}

}  // namespace

Result<AppBenchResults> run_app_bench(const AppBenchOptions& o) {
  // Both children: no display, Qt Quick's software renderer (what CI and this machine have).
  ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
  ::setenv("QT_QUICK_BACKEND", "software", 1);
  const auto db = (o.work_dir / "app-bench.db").string();
  const std::vector<std::string> app{
      o.app,   "--report-first-frame", "--pki", "/nonexistent", "--db", db, "--lang", o.language, "--theme",
      "night", "--log-level",          "error"};
  const std::vector<std::string> minimal{o.min_window};

  AppBenchResults r;
  // One warm-up run of each (page cache, the app's queue file, fontconfig's cache), then
  // alternately, so that both see the machine alike.
  for (int i = -1; i < o.runs; ++i) {
    auto a = run_once("fb-headunit", app);
    if (!a) return fail(a.error());
    auto b = run_once("fb-bench-min-window", minimal);
    if (!b) return fail(b.error());
    if (i < 0) continue;
    r.app.push_back(*a);
    r.baseline.push_back(*b);
  }
  auto medians = [](const std::vector<AppRun>& runs, double AppRun::*field) {
    std::vector<double> v;
    v.reserve(runs.size());
    for (const auto& run : runs) v.push_back(run.*field);
    return median(v);
  };
  r.first_frame_ms = medians(r.app, &AppRun::first_frame_ms);
  r.baseline_first_frame_ms = medians(r.baseline, &AppRun::first_frame_ms);
  r.ready_ms = medians(r.app, &AppRun::ready_ms);
  r.baseline_ready_ms = medians(r.baseline, &AppRun::ready_ms);
  r.rss_mb = medians(r.app, &AppRun::rss_mb);
  r.baseline_rss_mb = medians(r.baseline, &AppRun::rss_mb);
  return r;
}

void print_app_bench(const AppBenchOptions& o, const AppBenchResults& m) {
  const auto list = [](const std::vector<AppRun>& runs, double AppRun::*field) {
    std::string out;
    for (const auto& r : runs) out += fmt::format("{}{:.1f}", out.empty() ? "" : " ", r.*field);
    return out;
  };
  fmt::print(
      "  offscreen, software renderer, fb-headunit --lang {} --theme night; {} runs each after one warm-up, "
      "alternately\n"
      "  first frame (ms since process start): fb-headunit median {:.0f} ({}); minimal window median {:.0f} ({}); "
      "ratio {:.2f}\n"
      "  dashboard shown (ms since process start; the minimal window: its first frame): fb-headunit median {:.0f} "
      "({}); minimal window median {:.0f}; ratio {:.2f}\n"
      "  RSS 0.5 s after it (MiB): fb-headunit median {:.1f} ({}); minimal window median {:.1f} ({}); "
      "ratio {:.2f}\n",
      o.language, o.runs, m.first_frame_ms, list(m.app, &AppRun::first_frame_ms), m.baseline_first_frame_ms,
      list(m.baseline, &AppRun::first_frame_ms), m.first_frame_ms / m.baseline_first_frame_ms, m.ready_ms,
      list(m.app, &AppRun::ready_ms), m.baseline_ready_ms, m.ready_ms / m.baseline_ready_ms, m.rss_mb,
      list(m.app, &AppRun::rss_mb), m.baseline_rss_mb, list(m.baseline, &AppRun::rss_mb), m.rss_mb / m.baseline_rss_mb);
}

void add_app_bench(JsonReport& report, const AppBenchResults& m) {
  report.add("app_first_frame", m.first_frame_ms, m.baseline_first_frame_ms, "ms");
  report.add("app_ready", m.ready_ms, m.baseline_ready_ms, "ms");
  report.add("app_rss_mb", m.rss_mb, m.baseline_rss_mb, "MiB");
}

}  // namespace fb::bench
