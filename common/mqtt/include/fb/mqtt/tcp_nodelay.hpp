// TCP_NODELAY for Paho C sockets. Paho C 1.3 leaves Nagle on and has neither an option nor a
// socket accessor, so every QoS 1 exchange waits ~40 ms for a delayed ACK; we find its socket
// through /proc/self/fd. Thread-safe; touching another client's socket to the same broker is
// harmless.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <string>
#include <vector>

namespace fb::mqtt {

/// The addresses host:port resolves to (empty when it does not). A DNS lookup: it may block for
/// seconds on a network just come up, so never from a Paho callback (Paho holds its global lock).
std::vector<sockaddr_storage> resolve_peer(const std::string& host, int port);

/// Calls `on_socket(fd)` for every TCP socket of this process connected to one of `peers` (no
/// lookup: a scan of /proc/self/fd).
void for_each_socket_to(const std::vector<sockaddr_storage>& peers, const std::function<void(int fd)>& on_socket);
/// The same for host:port, resolved first.
void for_each_socket_to(const std::string& host, int port, const std::function<void(int fd)>& on_socket);

/// Sets TCP_NODELAY on every TCP socket of this process connected to one of `peers`; returns how many.
int set_tcp_nodelay_to(const std::vector<sockaddr_storage>& peers);
/// Sets TCP_NODELAY on every TCP socket of this process connected to `port` on any host; returns
/// how many. No lookup (safe in a Paho callback); a socket to another host on that port only
/// loses Nagle's delay.
int set_tcp_nodelay_to_port(int port);
/// The same for host:port, resolved first.
int set_tcp_nodelay_to_peer(const std::string& host, int port);

}  // namespace fb::mqtt
