// Loading of JSON configuration and rule files with errors that name the file, line and key.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "fb/common/error.hpp"

namespace fb::config {

/// Reads and parses a JSON file. Errors: file_not_found, parse_error ("file:line:col: message").
Result<nlohmann::json> load_json(const std::filesystem::path& path);

/// Parses JSON text; `origin` names it in errors.
Result<nlohmann::json> parse_json(std::string_view text, const std::string& origin);

/// Checks the file's top-level "version" equals `expected` (unsupported_version otherwise).
Result<void> expect_version(const nlohmann::json& doc, int expected, const std::string& origin);

/// Typed member access with a clear error: "<origin>: <key>: expected string".
template <typename T>
Result<T> get(const nlohmann::json& obj, const std::string& key, const std::string& origin) {
  if (!obj.is_object() || !obj.contains(key))
    return fail(ConfigErrc::invalid_value, origin + ": missing key '" + key + "'");
  try {
    return obj.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    return fail(ConfigErrc::invalid_value, origin + ": key '" + key + "': " + e.what());
  }
}

/// Like get(), but returns `fallback` when the key is absent.
template <typename T>
Result<T> get_or(const nlohmann::json& obj, const std::string& key, T fallback, const std::string& origin) {
  if (!obj.is_object() || !obj.contains(key)) return fallback;
  return get<T>(obj, key, origin);
}

}  // namespace fb::config
