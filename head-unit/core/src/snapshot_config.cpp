#include "fb/agent/snapshot_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "fb/common/config.hpp"

namespace fb::agent {
namespace {

using std::chrono::milliseconds;

// The line of the nth occurrence of `needle` in `text` (1 when absent): JSON values carry no
// positions, so a bad entry is found again in the text to name its line.
std::size_t line_of(std::string_view text, std::string_view needle, int nth) {
  auto at = text.find(needle);
  while (--nth > 0 && at != std::string_view::npos) at = text.find(needle, at + 1);
  if (at == std::string_view::npos || needle.empty()) return 1;
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

Error invalid(const std::string& origin, std::string_view text, std::string_view needle, const std::string& why,
              int nth = 1) {
  return Error(ConfigErrc::invalid_value, origin + ":" + std::to_string(line_of(text, needle, nth)) + ": " + why);
}

}  // namespace

SnapshotRecorder::Config SnapshotSettings::recorder_config() const {
  SnapshotRecorder::Config c;
  c.ring.allowed = signals;
  // The ring's history stays the configured 60 s: SnapshotRecorder::create() grows it to what
  // longer windows need together with the per-signal bound, keeping each signal's rate.
  c.pre = pre;
  c.post = post;
  return c;
}

SnapshotSettings default_snapshot_settings() {
  SnapshotSettings s;
  for (const auto& [path, period] : DriveSimulator::default_periods()) s.signals.insert(path);
  return s;
}

Result<SnapshotSettings> parse_snapshot_settings(std::string_view text, const std::string& origin) {
  auto doc = config::parse_json(text, origin);
  if (!doc) return fail(doc.error());
  if (!doc->is_object()) return fail(invalid(origin, text, "", "need a JSON object"));
  if (auto v = config::expect_version(*doc, 1, origin); !v) return fail(v.error());
  // A misspelt key ("pre_s") would leave its default in force without a word.
  if (auto key = config::unknown_key(*doc, {"version", "signals", "pre_ms", "post_ms", "comment"})) {
    return fail(invalid(origin, text, "\"" + *key + "\"",
                        *key + ": unknown key (known: version, signals, pre_ms, post_ms, comment)"));
  }
  SnapshotSettings out;
  const auto signals = doc->find("signals");
  if (signals == doc->end() || !signals->is_array()) {
    return fail(invalid(origin, text, "\"signals\"", "signals: need an array of VSS paths"));
  }
  for (std::size_t i = 0; i < signals->size(); ++i) {
    const auto& entry = (*signals)[i];
    const auto key = "signals[" + std::to_string(i) + "]";
    if (!entry.is_string()) return fail(invalid(origin, text, "\"signals\"", key + ": need a string"));
    const auto path = entry.get<std::string>();
    const auto quoted = "\"" + path + "\"";
    if (!path.starts_with("Vehicle.") || path.size() > 200) {
      return fail(invalid(origin, text, quoted, key + ": '" + path + "' is not a VSS path (Vehicle.*)"));
    }
    if (!out.signals.insert(path).second) {
      return fail(invalid(origin, text, quoted, key + ": '" + path + "' is listed twice", 2));
    }
  }
  for (auto [key, target] : {std::pair{"pre_ms", &out.pre}, std::pair{"post_ms", &out.post}}) {
    const auto it = doc->find(key);
    if (it == doc->end()) continue;
    const auto needle = "\"" + std::string(key) + "\"";
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > 600'000) {
      return fail(invalid(origin, text, needle, std::string(key) + ": need whole milliseconds in 0..600000"));
    }
    *target = milliseconds(it->get<std::int64_t>());
  }
  return out;
}

Result<SnapshotSettings> load_snapshot_settings(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ConfigErrc::file_not_found, path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse_snapshot_settings(text.str(), path.string());
}

}  // namespace fb::agent
