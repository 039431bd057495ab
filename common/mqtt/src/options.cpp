#include "fb/mqtt/options.hpp"

#include <charconv>
#include <fstream>
#include <string_view>
#include <utility>

namespace fb::mqtt {
namespace {

bool readable(const std::filesystem::path& p) {
  std::ifstream f(p);
  return f.good();
}

}  // namespace

TlsFiles tls_files_in(const std::filesystem::path& dir) {
  return {dir / "ca.crt", dir / "client.crt", dir / "client.key"};
}

Result<Endpoint> parse_server_uri(const std::string& uri) {
  const auto bad = [&] { return fail(MqttErrc::invalid_argument, "server URI '" + uri + "' (want ssl://host:port)"); };
  Endpoint ep;
  std::string_view rest;
  bool known = false;
  for (const auto& [scheme, tls] :
       {std::pair{"ssl://", true}, {"mqtts://", true}, {"tcp://", false}, {"mqtt://", false}}) {
    if (uri.starts_with(scheme)) {
      known = true;
      ep.tls = tls;
      rest = std::string_view(uri).substr(std::string_view(scheme).size());
    }
  }
  const auto colon = rest.rfind(':');
  if (!known || colon == std::string_view::npos || colon == 0) return bad();
  ep.host = std::string(rest.substr(0, colon));
  const auto digits = rest.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ep.port);
  if (ec != std::errc() || end != digits.data() + digits.size() || ep.port <= 0 || ep.port > 65535) return bad();
  return ep;
}

Result<Endpoint> check_options(const ClientOptions& o) {
  auto ep = parse_server_uri(o.server_uri);
  if (!ep) return ep;
  if (o.client_id.empty()) return fail(MqttErrc::invalid_argument, "empty client id");
  if (o.max_inflight == 0) return fail(MqttErrc::invalid_argument, "max_inflight is 0");
  if (o.reconnect_min.count() <= 0 || o.reconnect_max < o.reconnect_min) {
    return fail(MqttErrc::invalid_argument, "reconnect backoff: want 0 < reconnect_min <= reconnect_max");
  }
  if (o.publish_timeout.count() <= 0) return fail(MqttErrc::invalid_argument, "publish_timeout must be positive");
  if (o.will && (o.will->topic.empty() || o.will->topic.find_first_of("+#") != std::string::npos)) {
    return fail(MqttErrc::invalid_argument, "will topic '" + o.will->topic + "' (want a topic without wildcards)");
  }
  if (ep->tls) {
    for (const auto* f : {&o.tls.ca_file, &o.tls.cert_file, &o.tls.key_file}) {
      if (f->empty() || !readable(*f)) return fail(MqttErrc::tls_setup, "cannot read '" + f->string() + "'");
    }
  }
  return ep;
}

ConnectParams connect_params(const ClientOptions& o) {
  ConnectParams p;
  p.version = o.version;
  p.clean_start = o.clean_session;
  p.session_expiry = o.version == ProtocolVersion::v5 ? o.session_expiry : std::chrono::seconds(0);
  p.keep_alive = o.keep_alive;
  p.connect_timeout = o.connect_timeout;
  p.will = o.will;
  return p;
}

Result<ProtocolVersion> parse_protocol_version(std::string_view text) {
  if (text == "3.1.1") return ProtocolVersion::v3_1_1;
  if (text == "5") return ProtocolVersion::v5;
  return fail(MqttErrc::invalid_argument, "MQTT version '" + std::string(text) + "' (want 3.1.1 or 5)");
}

std::string_view to_string(ProtocolVersion version) { return version == ProtocolVersion::v5 ? "5" : "3.1.1"; }

}  // namespace fb::mqtt
