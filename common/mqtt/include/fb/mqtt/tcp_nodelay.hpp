// TCP_NODELAY for Paho C sockets. Paho C 1.3 leaves Nagle on and has neither an option nor a
// socket accessor, so every QoS 1 exchange waits ~40 ms for a delayed ACK; we find its socket
// through /proc/self/fd. Thread-safe; touching another client's socket to the same broker is
// harmless.
#pragma once

#include <functional>
#include <string>

namespace fb::mqtt {

/// Calls `on_socket(fd)` for every TCP socket of this process connected to host:port.
void for_each_socket_to(const std::string& host, int port, const std::function<void(int fd)>& on_socket);

/// Sets TCP_NODELAY on every TCP socket of this process connected to host:port; returns how many.
int set_tcp_nodelay_to_peer(const std::string& host, int port);

/// Sets TCP_NODELAY on every TCP socket of this process connected to `port` on any host; returns
/// how many. No DNS lookup, so safe in a Paho callback (Paho holds its global lock there); a
/// socket to another host on that port only loses Nagle's delay.
int set_tcp_nodelay_to_port(int port);

}  // namespace fb::mqtt
