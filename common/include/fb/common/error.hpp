// Errors at component boundaries: a std::error_code from one of our categories plus a one-line
// detail for people ("field vin: 16 characters, need 17"). No exception crosses a boundary;
// wrappers around Paho, SQLite and protobuf catch and translate.
#pragma once

#include <expected>
#include <string>
#include <system_error>
#include <utility>

namespace fb {

/// Why a message on the wire is refused. Values equal fb.wire.RejectReason so that a code
/// maps 1:1 onto the rejection sent back to the car.
enum class WireErrc {
  malformed = 1,
  unsupported_version = 2,
  missing_field = 3,
  invalid_field = 4,
  vin_mismatch = 5,
  oversize = 6,
  invalid_utf8 = 7,
  wrong_message_type = 8,
  report_id_conflict = 9,
  conflicting_duplicate = 10,  // the same report id again with different content
};

/// Persistent storage (SQLite files: outbox, inbox, case store).
enum class StorageErrc {
  open_failed = 1,     // cannot open or create the file
  corrupt = 2,         // not a database, or integrity check failed
  schema_too_new = 3,  // written by a newer version; refused rather than downgraded
  full = 4,            // disk or quota full (SQLITE_FULL); nothing was written
  io = 5,              // read/write error from the OS
  busy = 6,            // locked by another process for longer than the timeout
  constraint = 7,      // a uniqueness or check constraint refused the row
  not_found = 8,       // the row asked for does not exist
  too_large = 9,       // a row above the configured size limit
  internal = 10,       // any other SQLite error (detail has sqlite3_errmsg)
  unavailable = 11,    // the database server cannot be reached now (PostgreSQL); try again later
};

/// MQTT link (Paho wrapper).
enum class MqttErrc {
  not_connected = 1,
  connect_failed = 2,
  tls_setup = 3,  // certificate or key file unusable
  publish_failed = 4,
  subscribe_failed = 5,
  invalid_argument = 6,
  shutting_down = 7,
};

/// Configuration and rule files.
enum class ConfigErrc {
  file_not_found = 1,
  parse_error = 2,
  invalid_value = 3,
  unsupported_version = 4,
};

const std::error_category& wire_category() noexcept;
const std::error_category& storage_category() noexcept;
const std::error_category& mqtt_category() noexcept;
const std::error_category& config_category() noexcept;

std::error_code make_error_code(WireErrc e) noexcept;
std::error_code make_error_code(StorageErrc e) noexcept;
std::error_code make_error_code(MqttErrc e) noexcept;
std::error_code make_error_code(ConfigErrc e) noexcept;

/// An error code with a human-readable detail. `what()` gives "<category>: <message>: <detail>".
struct Error {
  std::error_code code;
  std::string detail;

  Error() = default;
  Error(std::error_code c, std::string d = {}) : code(c), detail(std::move(d)) {}
  template <typename E>
  requires std::is_error_code_enum_v<E> Error(E e, std::string d = {})
      : code(make_error_code(e)),
        detail(std::move(d)) {}

  std::string what() const;
};

template <typename T>
using Result = std::expected<T, Error>;

/// Shorthand for returning an error from a function that returns Result<T>.
template <typename E>
std::unexpected<Error> fail(E e, std::string detail = {}) {
  return std::unexpected<Error>(Error(e, std::move(detail)));
}
inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace fb

template <>
struct std::is_error_code_enum<fb::WireErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<fb::StorageErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<fb::MqttErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<fb::ConfigErrc> : std::true_type {};
