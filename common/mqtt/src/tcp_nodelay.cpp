#include "fb/mqtt/tcp_nodelay.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

namespace fb::mqtt {
namespace {

bool same_address(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto* x = reinterpret_cast<const sockaddr_in*>(&a);
    const auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
    const auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
    return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
  return -1;
}

/// Calls `on_socket(fd)` for every socket of this process whose peer `matches`.
void for_each_peer_socket(const std::function<bool(const sockaddr_storage&)>& matches,
                          const std::function<void(int fd)>& on_socket) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (...) {
      continue;
    }
    // Through the link's text rather than fstat(): no call on a descriptor that is not a socket,
    // which another thread may be closing (a pipe, a file).
    std::error_code link_ec;
    if (!std::filesystem::read_symlink(entry.path(), link_ec).string().starts_with("socket:")) continue;
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    if (matches(peer)) on_socket(fd);
  }
}

bool set_nodelay(int fd) {
  const int one = 1;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0;
}

bool any_same(const std::vector<sockaddr_storage>& peers, const sockaddr_storage& peer) {
  return std::any_of(peers.begin(), peers.end(), [&](const auto& p) { return same_address(peer, p); });
}

/// The addresses host:port resolves to (empty when it does not): a DNS lookup.
std::vector<sockaddr_storage> resolve(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* resolved = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &resolved) != 0) return {};
  std::vector<sockaddr_storage> out;
  for (const addrinfo* ai = resolved; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    sockaddr_storage a{};
    std::memcpy(&a, ai->ai_addr, ai->ai_addrlen);
    out.push_back(a);
  }
  freeaddrinfo(resolved);
  return out;
}

}  // namespace

void for_each_socket_to(const std::string& host, int port, const std::function<void(int fd)>& on_socket) {
  const auto peers = resolve(host, port);
  if (peers.empty()) return;
  for_each_peer_socket([&](const sockaddr_storage& peer) { return any_same(peers, peer); }, on_socket);
}

int set_tcp_nodelay_to_peer(const std::string& host, int port) {
  int count = 0;
  for_each_socket_to(host, port, [&](int fd) { count += set_nodelay(fd) ? 1 : 0; });
  return count;
}

int set_tcp_nodelay_to_port(int port) {
  int count = 0;
  for_each_peer_socket([port](const sockaddr_storage& peer) { return port_of(peer) == port; },
                       [&](int fd) { count += set_nodelay(fd) ? 1 : 0; });
  return count;
}

}  // namespace fb::mqtt
