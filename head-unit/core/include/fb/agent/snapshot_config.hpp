// The car's snapshot settings from a JSON file (deploy/car/snapshot.json): which signals a
// snapshot may carry (the allow-list) and its window around the tap.
//
//   {"version": 1, "signals": ["Vehicle.Speed", ...], "pre_ms": 60000, "post_ms": 30000}
//
// "signals" is required; the windows are optional (defaults below). Pure; thread-safe.
// Errors: ConfigErrc::file_not_found; parse_error ("file:line:col: ..." for bad JSON);
// unsupported_version; invalid_value ("file:line: signals[2]: ..." naming the key and its line).
#pragma once

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "fb/agent/snapshot.hpp"
#include "fb/common/error.hpp"

namespace fb::agent {

struct SnapshotSettings {
  std::set<std::string> signals;  // VSS paths a snapshot may carry
  std::chrono::milliseconds pre{60000};
  std::chrono::milliseconds post{30000};

  /// A recorder configuration with these signals and windows (ring history 60 s, or the longer
  /// window if one is).
  SnapshotRecorder::Config recorder_config() const;
};

/// Every signal the DriveSimulator emits by default, -60 s / +30 s.
SnapshotSettings default_snapshot_settings();

Result<SnapshotSettings> load_snapshot_settings(const std::filesystem::path& path);
/// Parses the file's text; `origin` names it in errors.
Result<SnapshotSettings> parse_snapshot_settings(std::string_view text, const std::string& origin);

}  // namespace fb::agent
