// The client's error codes as the MQTT tests compare them.
#pragma once

#include <system_error>

#include "fb/common/error.hpp"

namespace fb::mqtt::test_support {

inline const std::error_code not_connected = make_error_code(MqttErrc::not_connected);
inline const std::error_code shutting_down = make_error_code(MqttErrc::shutting_down);
inline const std::error_code publish_failed = make_error_code(MqttErrc::publish_failed);
inline const std::error_code subscribe_failed = make_error_code(MqttErrc::subscribe_failed);

}  // namespace fb::mqtt::test_support
