// A small HTTP/1.1 server on Boost.Beast: keep-alive, a bound on header and body size, an idle
// timeout, and a bound on open connections. It parses and writes; what a request means is the
// Handler's business.
//
// Threads: the server and each connection live on strands of the io_context given (one strand
// per connection, made here). The handler is called on the connection's strand and may answer
// from any thread: the answer is handed back to that strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "fb/asio.hpp"
#include "fb/common/error.hpp"

namespace fb::api {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as sent: path and query
  std::string path;                            // percent-decoded path
  std::map<std::string, std::string> query;    // percent-decoded; a repeated key keeps the last value
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra ones (Cache-Control, WWW-Authenticate, ...)
};

using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(const HttpRequest&, Responder)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 = any free port (see HttpServer::port())
  std::size_t max_body_bytes = std::size_t{64} * 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::chrono::seconds idle_timeout{30};
  std::size_t max_connections = 256;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and listens. Errors: ApiErrc::listen_failed naming the address and the reason.
  Result<void> start();
  /// Stops accepting and closes open connections (their strands finish what runs). Any thread.
  void stop();
  /// The port bound (after start()).
  std::uint16_t port() const { return bound_port_; }
  std::size_t open_connections() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::uint16_t bound_port_ = 0;
};

/// One whole request as bytes (start line, fields, body), parsed as a connection parses it, with
/// the same limits: what the handler would be given. For tests and fuzzing; the server itself
/// reads from the socket. Errors: ApiErrc::bad_request with Beast's reason or the bad part
/// ("bad percent-encoding in the query"); over a limit too (header_limit, body_limit).
Result<HttpRequest> parse_request(std::string_view raw, const HttpServerOptions& limits = {});

/// "%E4%BD%A0" -> bytes; '+' stays '+' in paths and becomes ' ' in queries. Nullopt on a bad escape
/// and on %00 (a NUL byte: PostgreSQL cuts a text parameter at it).
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

}  // namespace fb::api
