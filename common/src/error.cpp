#include "fb/common/error.hpp"

namespace fb {
namespace {

class WireCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "wire"; }
  std::string message(int v) const override {
    switch (static_cast<WireErrc>(v)) {
      case WireErrc::malformed: return "malformed message";
      case WireErrc::unsupported_version: return "unsupported schema version";
      case WireErrc::missing_field: return "missing required field";
      case WireErrc::invalid_field: return "invalid field value";
      case WireErrc::vin_mismatch: return "VIN differs from topic";
      case WireErrc::oversize: return "payload too large";
      case WireErrc::invalid_utf8: return "text is not valid UTF-8";
      case WireErrc::wrong_message_type: return "wrong message type for topic";
      case WireErrc::report_id_conflict: return "report id used by another vehicle";
      case WireErrc::conflicting_duplicate: return "report id already used for different content";
    }
    return "unknown wire error";
  }
};

class StorageCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "storage"; }
  std::string message(int v) const override {
    switch (static_cast<StorageErrc>(v)) {
      case StorageErrc::open_failed: return "cannot open database";
      case StorageErrc::corrupt: return "database file is corrupt";
      case StorageErrc::schema_too_new: return "database written by a newer version";
      case StorageErrc::full: return "storage full";
      case StorageErrc::io: return "storage I/O error";
      case StorageErrc::busy: return "database busy";
      case StorageErrc::constraint: return "constraint violated";
      case StorageErrc::not_found: return "not found";
      case StorageErrc::too_large: return "row too large";
      case StorageErrc::internal: return "database error";
      case StorageErrc::unavailable: return "database server unavailable";
    }
    return "unknown storage error";
  }
};

class MqttCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mqtt"; }
  std::string message(int v) const override {
    switch (static_cast<MqttErrc>(v)) {
      case MqttErrc::not_connected: return "not connected to broker";
      case MqttErrc::connect_failed: return "connect failed";
      case MqttErrc::tls_setup: return "TLS setup failed";
      case MqttErrc::publish_failed: return "publish failed";
      case MqttErrc::subscribe_failed: return "subscribe failed";
      case MqttErrc::invalid_argument: return "invalid argument";
      case MqttErrc::shutting_down: return "client shutting down";
    }
    return "unknown mqtt error";
  }
};

class ConfigCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "config"; }
  std::string message(int v) const override {
    switch (static_cast<ConfigErrc>(v)) {
      case ConfigErrc::file_not_found: return "file not found";
      case ConfigErrc::parse_error: return "parse error";
      case ConfigErrc::invalid_value: return "invalid value";
      case ConfigErrc::unsupported_version: return "unsupported file version";
    }
    return "unknown config error";
  }
};

}  // namespace

const std::error_category& wire_category() noexcept {
  static WireCategory c;
  return c;
}
const std::error_category& storage_category() noexcept {
  static StorageCategory c;
  return c;
}
const std::error_category& mqtt_category() noexcept {
  static MqttCategory c;
  return c;
}
const std::error_category& config_category() noexcept {
  static ConfigCategory c;
  return c;
}

std::error_code make_error_code(WireErrc e) noexcept { return {static_cast<int>(e), wire_category()}; }
std::error_code make_error_code(StorageErrc e) noexcept { return {static_cast<int>(e), storage_category()}; }
std::error_code make_error_code(MqttErrc e) noexcept { return {static_cast<int>(e), mqtt_category()}; }
std::error_code make_error_code(ConfigErrc e) noexcept { return {static_cast<int>(e), config_category()}; }

std::string Error::what() const {
  std::string s = std::string(code.category().name()) + ": " + code.message();
  if (!detail.empty()) s += ": " + detail;
  return s;
}

}  // namespace fb
