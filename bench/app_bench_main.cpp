// fb-app-bench: phase C of the benchmark alone (bench/README.md, "C. The app"), without the
// broker, the backend or the agent's phases, so that `bench/run.sh --app-only` builds only the
// Qt app, this and the minimal window. Prints the same lines as fb-bench's phase C and writes
// app_first_frame and app_rss_mb with --json.
#include <spdlog/fmt/fmt.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "app_bench.hpp"
#include "fb/common/guarded_main.hpp"
#include "json_report.hpp"
#include "process.hpp"

static int run_main(int argc, char** argv) {
  CLI::App cli{"fb-app-bench: fb-headunit's first frame and RSS beside a minimal Qt Quick window's."};
  fb::bench::AppBenchOptions o;
  o.app = FB_BENCH_APP_BIN;
  o.min_window = FB_BENCH_MIN_WINDOW_BIN;
  std::string json;
  cli.add_option("--app-runs", o.runs, "Runs of each program (median), after one warm-up each")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cli.add_option("--lang", o.language, "fb-headunit's --lang")->check(CLI::IsMember({"zh", "en"}));
  cli.add_option("--json", json, "Also write app_first_frame and app_rss_mb to FILE as JSON");
  bool app_only = true;  // what this program does anyway; bench/run.sh passes the flag on
  cli.add_flag("--app-only", app_only, "Accepted for bench/run.sh (this program runs the app's phase only)");
  CLI11_PARSE(cli, argc, argv);
  if (const auto dir = std::filesystem::path(json).parent_path();
      !json.empty() && !dir.empty() && !std::filesystem::is_directory(dir)) {
    std::cerr << "fb-app-bench: --json " << json << ": no such directory\n";
    return 2;
  }
  fmt::print("C. The app: first frame and memory of fb-headunit beside a minimal Qt Quick window\n");
  std::cout.flush();
  fb::test::TempDir dir("fbbench-app");
  o.work_dir = dir.path();
  auto results = fb::bench::run_app_bench(o);
  if (!results) {
    std::cerr << "fb-app-bench: " << results.error().what() << "\n";
    return 1;
  }
  fb::bench::print_app_bench(o, *results);
  if (json.empty()) return 0;
  fb::bench::JsonReport report;
  fb::bench::add_app_bench(report, *results);
  if (auto written = report.write(json); !written) {
    std::cerr << "fb-app-bench: --json: " << written.error().what() << "\n";
    return 1;
  }
  fmt::print("JSON written to {}\n", json);
  return 0;
}

int main(int argc, char** argv) { return fb::guarded_main("fb-app-bench", argc, argv, run_main); }
