// The Transport over Eclipse Paho C++'s async_client: MQTT 3.1.1 or 5 as configured (no silent
// fallback to 3.1), no Paho persistence, no Paho automatic reconnect (ReconnectLoop does that),
// TCP_NODELAY on its socket once connected. Every ::mqtt::exception is caught and translated.
// Threads and errors: see transport.hpp.
#pragma once

#include <memory>

#include "fb/mqtt/transport.hpp"

namespace fb::mqtt {

/// Error: invalid_argument when Paho refuses the URI or client id.
Result<std::unique_ptr<Transport>> make_paho_transport(const ClientOptions& options, const Endpoint& endpoint);

}  // namespace fb::mqtt
