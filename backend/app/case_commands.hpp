// fb-backend's operator commands on cases: show one with its audit trail, move it through the
// lifecycle, list clusters, the CSAT score, and enter a report from another channel. They work
// on the case store directly; a running backend sends the notifications they queue at its next
// check (ServiceOptions::notification_check).
#pragma once

#include <CLI/CLI.hpp>

#include "fb/backend/config.hpp"

namespace fb::backend {

class CaseCommands {
 public:
  explicit CaseCommands(CLI::App& app);
  /// True when one of these commands was given on the command line.
  bool selected() const;
  /// Runs it; the exit code. Errors are printed to stderr.
  int run(const BackendConfig& cfg, const std::shared_ptr<const crypto::KeyRing>& keys) const;

 private:
  CLI::App* show_;
  CLI::App* move_;
  CLI::App* clusters_;
  CLI::App* csat_;
  CLI::App* submit_;
  std::string number_, to_, actor_, reason_, assignee_, when_, place_;
  std::string channel_, vin_, text_, language_ = "zh-CN", report_id_, model_, software_ = "unknown";
  std::uint32_t model_year_ = 0;
  std::size_t limit_ = 20;
};

}  // namespace fb::backend
