// fb-backend's analytics commands: the monthly high-frequency problems report (高频问题) as HTML
// and CSV files. They read the case store through their own read-only connection.
#pragma once

#include <CLI/CLI.hpp>

#include "fb/backend/config.hpp"

namespace fb::backend {

class AnalyticsCommands {
 public:
  explicit AnalyticsCommands(CLI::App& app);
  /// True when one of these commands was given on the command line.
  bool selected() const;
  /// Runs it; the exit code. Errors are printed to stderr.
  int run(const BackendConfig& cfg, const std::shared_ptr<const crypto::KeyRing>& keys) const;

 private:
  CLI::App* monthly_;
  std::string month_, out_dir_ = ".", lang_ = "zh";
};

}  // namespace fb::backend
