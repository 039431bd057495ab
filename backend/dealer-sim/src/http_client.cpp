#include "fb/dealer_sim/http_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "fb/asio.hpp"

namespace fb::dealer {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;

Result<ApiEndpoint> parse_api_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return fail(DealerErrc::bad_url, "'" + url + "': expected http://host[:port]");
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  ApiEndpoint e;
  if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    e.host = rest.substr(0, colon);
    e.port = rest.substr(colon + 1);
    if (e.port.empty() || e.port.find_first_not_of("0123456789") != std::string::npos) {
      return fail(DealerErrc::bad_url, "'" + url + "': the port is not a number");
    }
  } else {
    e.host = rest;
  }
  if (e.host.empty()) return fail(DealerErrc::bad_url, "'" + url + "': no host");
  return e;
}

namespace {

/// Whether the peer has closed the connection (readable with nothing to read, or hung up), without
/// waiting or consuming anything.
bool closed_by_peer(int fd) {
  pollfd p{fd, static_cast<short>(POLLIN | POLLRDHUP), 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
  char byte = 0;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

}  // namespace

struct ApiClient::Connection {
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  // Runs the io_context until `done`; the stream's expiry bounds every operation.
  template <typename Pred>
  void run_until(Pred done) {
    io.restart();
    while (!done() && io.run_one() > 0) {
    }
  }
};

ApiClient::ApiClient(ApiEndpoint endpoint, std::string token, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)),
      token_(std::move(token)),
      timeout_(timeout),
      connection_(std::make_unique<Connection>()) {}

ApiClient::~ApiClient() = default;

Result<ApiAnswer> ApiClient::get(const std::string& target) { return send("GET", target, {}); }

Result<ApiAnswer> ApiClient::post(const std::string& target, const nlohmann::json& body) {
  return send("POST", target, body.dump());
}

Result<ApiAnswer> ApiClient::send(const std::string& method, const std::string& target, const std::string& body) {
  auto& c = *connection_;
  const auto where = method + " " + target;
  // A kept-alive connection the server closed (its idle timeout) is readable at EOF: checked
  // before reuse, so that the request is not written into a dead connection.
  if (c.stream && c.stream->socket().is_open() && closed_by_peer(c.stream->socket().native_handle())) {
    c.stream.reset();
    c.buffer.clear();
  }
  const bool idempotent = method == "GET" || method == "HEAD";
  for (int attempt = 0;; ++attempt) {
    const bool fresh = !c.stream || !c.stream->socket().is_open();
    if (fresh) {
      c.stream.emplace(c.io);
      c.buffer.clear();
      asio::ip::tcp::resolver resolver(c.io);
      beast::error_code ec;
      const auto endpoints = resolver.resolve(endpoint_.host, endpoint_.port, ec);
      if (ec) return fail(DealerErrc::transport, "resolve " + endpoint_.host + ": " + ec.message());
      std::optional<beast::error_code> connected;
      c.stream->expires_after(timeout_);
      c.stream->async_connect(endpoints, [&](beast::error_code e, const auto&) { connected = e; });
      c.run_until([&] { return connected.has_value(); });
      if (!connected || *connected) {
        c.stream.reset();
        return fail(DealerErrc::transport, "connect " + endpoint_.host + ":" + endpoint_.port + ": " +
                                               (connected ? connected->message() : "no answer"));
      }
    }
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, endpoint_.host);
    req.set(http::field::authorization, "Bearer " + token_);
    req.set(http::field::accept, "application/json");
    if (method != "GET") {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();

    std::optional<beast::error_code> written, read;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{16} * 1024 * 1024);
    c.stream->expires_after(timeout_);
    http::async_write(*c.stream, req, [&](beast::error_code e, std::size_t) { written = e; });
    c.run_until([&] { return written.has_value(); });
    if (written && !*written) {
      http::async_read(*c.stream, c.buffer, parser, [&](beast::error_code e, std::size_t) { read = e; });
      c.run_until([&] { return read.has_value(); });
    }
    const auto failed = !written   ? beast::error_code(asio::error::timed_out)
                        : *written ? *written
                        : !read    ? beast::error_code(asio::error::timed_out)
                                   : *read;
    if (failed) {
      c.stream.reset();
      // Resent only when the server cannot have applied it: a read-only request, or a write that
      // failed on the reused connection. Never after a timeout.
      const bool unsent = written && *written;
      if (!fresh && attempt == 0 && failed != beast::error_code(asio::error::timed_out) &&
          failed != beast::error::timeout && (idempotent || unsent)) {
        continue;
      }
      return fail(DealerErrc::transport, where + ": " + failed.message());
    }
    auto& res = parser.get();
    ApiAnswer answer;
    answer.status = static_cast<int>(res.result_int());
    if (!res.body().empty()) {
      answer.body = nlohmann::json::parse(res.body(), nullptr, false);
      if (answer.body.is_discarded()) {
        if (answer.status < 300) return fail(DealerErrc::bad_answer, where + ": the answer is not JSON");
        answer.body = nullptr;
      }
    }
    if (!res.keep_alive()) c.stream.reset();
    if (answer.status >= 200 && answer.status < 300) return answer;
    std::string detail = where + ": " + std::to_string(answer.status);
    if (answer.body.is_object()) {
      if (auto d = answer.body.find("detail"); d != answer.body.end() && d->is_string())
        detail += " " + d->get<std::string>();
      if (auto code = answer.body.find("code"); code != answer.body.end() && code->is_string()) {
        detail += " [" + code->get<std::string>() + "]";
      }
    }
    return fail(answer.status == 409 ? DealerErrc::conflict : DealerErrc::http, detail);
  }
}

}  // namespace fb::dealer
