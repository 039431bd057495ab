#include "fb/common/config.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

namespace fb::config {

Result<nlohmann::json> parse_json(std::string_view text, const std::string& origin) {
  try {
    // nlohmann keeps the last of two equal keys in silence: a setting given twice (an edit that
    // left the old line) must be an error like an unknown one. The keys of each open object, by depth.
    std::vector<std::set<std::string>> keys;
    std::optional<std::string> duplicate;
    auto doc = nlohmann::json::parse(text.begin(), text.end(),
                                     [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
                                       using E = nlohmann::json::parse_event_t;
                                       if (event == E::object_start) {
                                         keys.resize(static_cast<std::size_t>(depth) + 1);
                                         keys[static_cast<std::size_t>(depth)].clear();
                                       } else if (event == E::key && depth >= 1 &&
                                                  static_cast<std::size_t>(depth) <= keys.size()) {
                                         auto& seen = keys[static_cast<std::size_t>(depth) - 1];
                                         if (!seen.insert(parsed.get<std::string>()).second && !duplicate)
                                           duplicate = parsed.get<std::string>();
                                       }
                                       return true;
                                     });
    if (duplicate) return fail(ConfigErrc::parse_error, origin + ": key '" + *duplicate + "' is given twice");
    return doc;
  } catch (const nlohmann::json::parse_error& e) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string msg = e.what();
    if (auto p = msg.find("parse error"); p != std::string::npos) msg = msg.substr(p);
    return fail(ConfigErrc::parse_error, origin + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + msg);
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range for a number like 1e999
    return fail(ConfigErrc::parse_error, origin + ": " + e.what());
  }
}

Result<nlohmann::json> load_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ConfigErrc::file_not_found, path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_json(ss.str(), path.string());
}

Result<void> expect_version(const nlohmann::json& doc, int expected, const std::string& origin) {
  auto v = get<int>(doc, "version", origin);
  if (!v) return fail(v.error());
  if (*v != expected) {
    return fail(ConfigErrc::unsupported_version,
                origin + ": version " + std::to_string(*v) + ", this build reads " + std::to_string(expected));
  }
  return {};
}

std::optional<std::string> unknown_key(const nlohmann::json& obj, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) return key;
  }
  return std::nullopt;
}

}  // namespace fb::config
