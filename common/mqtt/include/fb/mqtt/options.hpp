// Checking ClientOptions before anything connects, and what one connect attempt needs of them.
// Pure functions, any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "fb/common/error.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::mqtt {

/// Where the broker is, from ClientOptions::server_uri.
struct Endpoint {
  std::string host;
  int port = 0;
  bool tls = false;  // ssl:// or mqtts://
};

/// "ssl://host:port", "mqtts://", "tcp://", "mqtt://". Error: invalid_argument.
Result<Endpoint> parse_server_uri(const std::string& uri);

/// Everything start() refuses: a bad URI, an empty client id, zero bounds or backoff
/// (invalid_argument), a will without a topic or with a wildcard in it (invalid_argument); for TLS, a CA, certificate
/// or key file missing or unreadable (tls_setup, detail names the file).
Result<Endpoint> check_options(const ClientOptions& options);

/// The CONNECT of one attempt.
struct ConnectParams {
  ProtocolVersion version = ProtocolVersion::v3_1_1;
  /// v3.1.1: clean session; v5: clean start (then session_expiry says how long the broker keeps
  /// the session once we are gone).
  bool clean_start = false;
  std::chrono::seconds session_expiry{0};  // v5 only
  std::chrono::seconds keep_alive{30};
  std::chrono::seconds connect_timeout{10};
  std::optional<Will> will;
};

ConnectParams connect_params(const ClientOptions& options);

/// "3.1.1" or "5" (the spelling of configuration files and command lines). Error:
/// invalid_argument naming the value.
Result<ProtocolVersion> parse_protocol_version(std::string_view text);
std::string_view to_string(ProtocolVersion version);

}  // namespace fb::mqtt
