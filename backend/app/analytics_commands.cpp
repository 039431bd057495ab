#include "analytics_commands.hpp"

#include <chrono>
#include <fstream>
#include <iostream>

#include "cli_error.hpp"
#include "fb/backend/analytics.hpp"

namespace fb::backend {
namespace {

Result<void> write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) return fail(StorageErrc::io, "cannot write " + path.string());
  return {};
}

}  // namespace

AnalyticsCommands::AnalyticsCommands(CLI::App& app)
    : monthly_(
          app.add_subcommand("monthly-report",
                             "Write the month's high-frequency problems report: DIR/monthly-YYYY-MM.html and .csv")) {
  monthly_->add_option("--month", month_, "The month, YYYY-MM, of the service region's clock (utc_offset)")->required();
  monthly_->add_option("--out", out_dir_, "Directory to write to (created if missing)");
  monthly_->add_option("--lang", lang_, "Language of the HTML page: zh (default) or en")
      ->check(CLI::IsMember({"zh", "en"}));
}

bool AnalyticsCommands::selected() const { return monthly_->parsed(); }

int AnalyticsCommands::run(const BackendConfig& cfg, const std::shared_ptr<const crypto::KeyRing>& keys) const {
  auto month = parse_month(month_);
  if (!month) return print_error(month.error());
  auto analytics = open_analytics(cfg, keys);
  if (!analytics) return print_error(analytics.error());
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto report = (*analytics)->monthly_report(month->first, month->second, now);
  if (!report) return print_error(report.error());
  std::error_code ec;
  std::filesystem::create_directories(out_dir_, ec);
  if (ec) return print_error(Error(StorageErrc::io, "cannot create " + out_dir_ + ": " + ec.message()));
  const auto base = std::filesystem::path(out_dir_) / ("monthly-" + month_);
  const auto html = base.string() + ".html", csv = base.string() + ".csv";
  if (auto w = write_file(html, render_monthly_html(*report, lang_)); !w) return print_error(w.error());
  if (auto w = write_file(csv, render_monthly_csv(*report)); !w) return print_error(w.error());
  std::cout << html << "\n" << csv << "\n";
  return 0;
}

}  // namespace fb::backend
