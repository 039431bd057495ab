#pragma once

#include <string>

namespace fb::mqtt::detail {

/// Sets TCP_NODELAY on every TCP socket of this process connected to host:port and returns
/// how many it set. Paho C 1.3 leaves Nagle on and has no option or socket accessor, so we
/// find its socket through /proc/self/fd. Setting it on a second client's socket to the same
/// broker is harmless.
int set_tcp_nodelay_to_peer(const std::string& host, int port);

}  // namespace fb::mqtt::detail
