#include "fb/mqtt/tcp_nodelay.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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

}  // namespace

std::vector<sockaddr_storage> resolve_peer(const std::string& host, int port) {
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

void for_each_socket_to(const std::string& host, int port, const std::function<void(int fd)>& on_socket) {
  for_each_socket_to(resolve_peer(host, port), on_socket);
}

void for_each_socket_to(const std::vector<sockaddr_storage>& peers, const std::function<void(int fd)>& on_socket) {
  if (peers.empty()) return;
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
    for (const auto& p : peers) {
      if (same_address(peer, p)) {
        on_socket(fd);
        break;
      }
    }
  }
}

int set_tcp_nodelay_to(const std::vector<sockaddr_storage>& peers) {
  int count = 0;
  for_each_socket_to(peers, [&](int fd) {
    const int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0) ++count;
  });
  return count;
}

int set_tcp_nodelay_to_peer(const std::string& host, int port) { return set_tcp_nodelay_to(resolve_peer(host, port)); }

}  // namespace fb::mqtt
