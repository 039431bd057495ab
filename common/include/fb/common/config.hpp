// Loading of JSON configuration and rule files with errors that name the file, line and key.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "fb/common/error.hpp"

namespace fb::config {

/// Reads and parses a JSON file. Errors: file_not_found, parse_error ("file:line:col: message").
Result<nlohmann::json> load_json(const std::filesystem::path& path);

/// Parses JSON text; `origin` names it in errors.
Result<nlohmann::json> parse_json(std::string_view text, const std::string& origin);

/// Checks the file's top-level "version" equals `expected` (unsupported_version otherwise).
Result<void> expect_version(const nlohmann::json& doc, int expected, const std::string& origin);

/// The first key of the object `obj` that is not one of `known` (nullopt: none). A misspelt key
/// would otherwise leave its default in force without a word; the caller says where it is.
std::optional<std::string> unknown_key(const nlohmann::json& obj, std::initializer_list<std::string_view> known);

/// Typed member access with a clear error: "<origin>: <key>: expected string".
/// Numbers are checked against T: a fraction or a value outside T's range for an integer T, a
/// negative one for an unsigned T, a non-finite or out-of-range one for a floating T is an error
/// (nlohmann's get() would truncate, wrap or, converting a large double, be undefined behaviour).
template <typename T>
Result<T> get(const nlohmann::json& obj, const std::string& key, const std::string& origin) {
  if (!obj.is_object() || !obj.contains(key))
    return fail(ConfigErrc::invalid_value, origin + ": missing key '" + key + "'");
  const auto& v = obj.at(key);
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    const auto out_of_range = [&] {
      return fail(ConfigErrc::invalid_value, origin + ": key '" + key + "': " + v.dump() + " is not a valid " +
                                                 (std::is_integral_v<T> ? "integer" : "number") + " here");
    };
    if (!v.is_number()) return fail(ConfigErrc::invalid_value, origin + ": key '" + key + "': need a number");
    if constexpr (std::is_integral_v<T>) {
      using Limits = std::numeric_limits<T>;
      if (v.is_number_float()) {
        // Integers written as floats (5.0) are taken while exact: below 2^53.
        const double d = v.get<double>();
        if (!(std::abs(d) < 9007199254740992.0) || std::trunc(d) != d) return out_of_range();
        if (d < static_cast<double>(Limits::min()) || d > static_cast<double>(Limits::max())) return out_of_range();
        return static_cast<T>(d);
      }
      if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(Limits::max())) return out_of_range();
        return static_cast<T>(u);
      }
      const auto i = v.get<std::int64_t>();
      if (i < 0 && (!std::is_signed_v<T> || i < static_cast<std::int64_t>(Limits::min()))) return out_of_range();
      if (i > 0 && static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(Limits::max())) return out_of_range();
      return static_cast<T>(i);
    } else {
      const double d = v.get<double>();
      if (!std::isfinite(d) || std::abs(d) > static_cast<double>(std::numeric_limits<T>::max())) return out_of_range();
      return static_cast<T>(d);
    }
  } else {
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception& e) {
      return fail(ConfigErrc::invalid_value, origin + ": key '" + key + "': " + e.what());
    }
  }
}

/// Like get(), but returns `fallback` when the key is absent.
template <typename T>
Result<T> get_or(const nlohmann::json& obj, const std::string& key, T fallback, const std::string& origin) {
  if (!obj.is_object() || !obj.contains(key)) return fallback;
  return get<T>(obj, key, origin);
}

}  // namespace fb::config
