// The Transport over Eclipse Paho C++'s async_client: MQTT 3.1.1 or 5 as configured (no silent
// fallback to 3.1), no Paho persistence, no Paho automatic reconnect (ReconnectLoop does that),
// TCP_NODELAY on its socket once connected. Every ::mqtt::exception is caught and translated.
// The attempt after a lost link or network_up() gets a fresh Paho client (so that Paho C 1.3.11
// notices its TCP connect within about 0.1 s instead of up to 1.1 s; paho_transport.cpp says
// why); the old client's pending publishes then fail with not_connected (Paho's own resend
// within the session goes with it: the caller resends).
// Threads and errors: see transport.hpp; besides Paho's, each transport has one thread of its
// own, which makes every Paho call (posted to it in order) and destroys the old clients.
#pragma once

#include <memory>

#include "fb/mqtt/transport.hpp"

namespace fb::mqtt {

/// Error: invalid_argument when Paho refuses the URI or client id.
Result<std::unique_ptr<Transport>> make_paho_transport(const ClientOptions& options, const Endpoint& endpoint);

}  // namespace fb::mqtt
