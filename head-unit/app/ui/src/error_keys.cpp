#include "fb/ui/error_keys.hpp"

#include <string_view>

#include "fb/agent/errors.hpp"
#include "fb/common/error.hpp"

namespace fb::ui {
namespace {

std::string_view wire_name(WireErrc e) {
  switch (e) {
    case WireErrc::malformed: return "malformed";
    case WireErrc::unsupported_version: return "unsupported_version";
    case WireErrc::missing_field: return "missing_field";
    case WireErrc::invalid_field: return "invalid_field";
    case WireErrc::vin_mismatch: return "vin_mismatch";
    case WireErrc::oversize: return "oversize";
    case WireErrc::invalid_utf8: return "invalid_utf8";
    case WireErrc::wrong_message_type: return "wrong_message_type";
    case WireErrc::report_id_conflict: return "report_id_conflict";
    case WireErrc::conflicting_duplicate: return "conflicting_duplicate";
  }
  return "unknown";
}

std::string_view storage_name(StorageErrc e) {
  switch (e) {
    case StorageErrc::open_failed: return "open_failed";
    case StorageErrc::corrupt: return "corrupt";
    case StorageErrc::schema_too_new: return "schema_too_new";
    case StorageErrc::full: return "full";
    case StorageErrc::io:
    case StorageErrc::unavailable: return "io";
    case StorageErrc::busy: return "busy";
    case StorageErrc::constraint: return "constraint";
    case StorageErrc::not_found: return "not_found";
    case StorageErrc::too_large: return "too_large";
    case StorageErrc::internal: return "internal";
  }
  return "unknown";
}

std::string_view mqtt_name(MqttErrc e) {
  switch (e) {
    case MqttErrc::not_connected: return "not_connected";
    case MqttErrc::connect_failed: return "connect_failed";
    case MqttErrc::tls_setup: return "tls_setup";
    case MqttErrc::publish_failed: return "publish_failed";
    case MqttErrc::subscribe_failed: return "subscribe_failed";
    case MqttErrc::invalid_argument: return "invalid_argument";
    case MqttErrc::shutting_down: return "shutting_down";
  }
  return "unknown";
}

std::string_view config_name(ConfigErrc e) {
  switch (e) {
    case ConfigErrc::file_not_found: return "file_not_found";
    case ConfigErrc::parse_error: return "parse_error";
    case ConfigErrc::invalid_value: return "invalid_value";
    case ConfigErrc::unsupported_version: return "unsupported_version";
  }
  return "unknown";
}

std::string_view agent_name(agent::AgentErrc e) {
  using agent::AgentErrc;
  switch (e) {
    case AgentErrc::not_parked: return "not_parked";
    case AgentErrc::no_case: return "no_case";
    case AgentErrc::callback_open: return "callback_open";
    case AgentErrc::visit_stage: return "visit_stage";
    case AgentErrc::not_offered: return "not_offered";
    case AgentErrc::already_answered: return "already_answered";
    case AgentErrc::answer_pending: return "answer_pending";
    case AgentErrc::queue_full: return "queue_full";
    case AgentErrc::not_reopenable: return "not_reopenable";
    case AgentErrc::not_resolved: return "not_resolved";
    case AgentErrc::case_closed: return "case_closed";
  }
  return "unknown";
}

std::string_view name_in(const std::error_code& code) {
  const auto& category = code.category();
  const int v = code.value();
  if (category == wire_category()) return wire_name(static_cast<WireErrc>(v));
  if (category == storage_category()) return storage_name(static_cast<StorageErrc>(v));
  if (category == mqtt_category()) return mqtt_name(static_cast<MqttErrc>(v));
  if (category == config_category()) return config_name(static_cast<ConfigErrc>(v));
  if (category == agent::agent_category()) return agent_name(static_cast<agent::AgentErrc>(v));
  return "unknown";
}

}  // namespace

QString errorKey(const std::error_code& code) {
  if (!code) return {};
  const std::string_view name = name_in(code);
  return QString::fromLatin1(code.category().name()) + QLatin1Char('.') +
         QString::fromLatin1(name.data(), static_cast<qsizetype>(name.size()));
}

}  // namespace fb::ui
