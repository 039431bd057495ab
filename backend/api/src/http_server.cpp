#include "fb/api/http_server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <set>

#include "fb/api/errors.hpp"
#include "fb/common/utf8.hpp"

namespace fb::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string problem_body(int status, std::string_view title, std::string_view detail) {
  // Built by hand: the server itself does not depend on a JSON library's escaping of its own words.
  return R"({"type":"about:blank","title":")" + std::string(title) + R"(","status":)" + std::to_string(status) +
         R"(,"detail":")" + std::string(detail) + "\"}";
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      // %00: no name, number or text of ours holds a NUL, and PostgreSQL would cut the value there.
      if (hi < 0 || lo < 0 || hi * 16 + lo == 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

namespace {

/// The request as the handler sees it. Errors: ApiErrc::bad_request naming the bad part.
Result<HttpRequest> to_http_request(http::request<http::string_body>&& req) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  const auto q = r.target.find('?');
  auto path = percent_decode(std::string_view(r.target).substr(0, q), false);
  if (!path) return fail(ApiErrc::bad_request, "bad percent-encoding in the path (or a %00)");
  // Every store reads parameters as text: PostgreSQL refuses bytes that are not UTF-8 (a 500).
  if (!is_valid_utf8(*path)) return fail(ApiErrc::bad_request, "the path is not UTF-8 once decoded");
  r.path = std::move(*path);
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(r.target).substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (!key || !value) return fail(ApiErrc::bad_request, "bad percent-encoding in the query (or a %00)");
      if (!is_valid_utf8(*key) || !is_valid_utf8(*value))
        return fail(ApiErrc::bad_request, "the query is not UTF-8 once decoded");
      if (!key->empty()) r.query[*key] = *value;
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    }
  }
  for (const auto& field : req)
    r.headers[lower(std::string_view(field.name_string().data(), field.name_string().size()))] = std::string(
        field.value());
  r.body = std::move(req.body());
  return r;
}

}  // namespace

Result<HttpRequest> parse_request(std::string_view raw, const HttpServerOptions& limits) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
  parser.body_limit(limits.max_body_bytes);
  parser.eager(true);
  beast::error_code ec;
  const auto used = parser.put(asio::buffer(raw.data(), raw.size()), ec);
  if (!ec && !parser.is_done()) {
    parser.put_eof(ec);
  }
  if (ec) return fail(ApiErrc::bad_request, "malformed HTTP request: " + ec.message());
  if (used < raw.size() && !parser.is_done()) return fail(ApiErrc::bad_request, "incomplete HTTP request");
  return to_http_request(parser.release());
}

class Session;

/// Shared by the server and its sessions; guarded by `mu` where sessions come and go.
struct HttpServer::State {
  State(asio::io_context& io, HttpServerOptions o, HttpHandler h)
      : io(io),
        options(std::move(o)),
        handler(std::move(h)),
        acceptor(asio::make_strand(io)) {}
  asio::io_context& io;
  const HttpServerOptions options;
  const HttpHandler handler;
  tcp::acceptor acceptor;  // on its own strand
  std::atomic<bool> stopped{false};
  mutable std::mutex mu;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;  // guarded by mu
};

/// One connection, on a strand of its own: read a request, hand it to the handler, write the
/// answer, again while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::State> state)
      : stream_(std::move(socket)),
        state_(std::move(state)) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }
  /// At stop: an idle connection closes now; one whose request is being handled answers it first
  /// (a change already made is not turned into a connection reset), then closes.
  void close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->busy_) return;  // write() sees the server stopped and shuts down after the answer
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    stream_.expires_after(state_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset) {
      return shutdown();
    }
    if (ec == http::error::body_limit) {
      return reply_error(413, "Payload Too Large",
                         "body above " + std::to_string(state_->options.max_body_bytes) + " bytes", false);
    }
    if (ec == http::error::header_limit) {
      return reply_error(431, "Request Header Fields Too Large", "headers too large", false);
    }
    if (ec) return reply_error(400, "Bad Request", "malformed HTTP request: " + ec.message(), false);

    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    auto r = to_http_request(std::move(req));
    if (!r) return reply_error(400, "Bad Request", r.error().detail, keep_alive_);
    busy_ = true;
    stream_.expires_never();  // the handler may take a while (a big export); the write has its own limit
    state_->handler(*r, [self = shared_from_this()](HttpResponse response) {
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
    });
  }

  void reply_error(int status, std::string_view title, const std::string& detail, bool keep_alive) {
    keep_alive_ = keep_alive;
    write(HttpResponse{status, "application/problem+json", problem_body(status, title, detail), {}});
  }

  void write(HttpResponse r) {
    busy_ = false;
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "fb-backend");
    res->set(http::field::content_type, r.content_type);
    // Every answer: its type is what it says (no sniffing a JSON body into HTML), no page of ours
    // inside another site's frame, and no URL of ours (case numbers) in a Referer.
    res->set("X-Content-Type-Options", "nosniff");
    res->set("X-Frame-Options", "DENY");
    res->set("Referrer-Policy", "no-referrer");
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    // A response to HEAD has the GET's headers and no body (RFC 9110 9.3.2): a body here would be
    // read by a keep-alive client as the start of the next response.
    if (std::exchange(head_, false)) res->body().clear();
    stream_.expires_after(state_->options.idle_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_ || self->state_->stopped) return self->shutdown();
      self->read();
    });
  }

  void shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool head_ = false;  // the request being answered is a HEAD
  bool busy_ = false;  // a request is with the handler (this strand only)
  std::shared_ptr<HttpServer::State> state_;
};

namespace {

void accept_next(const std::shared_ptr<HttpServer::State>& state) {
  state->acceptor.async_accept(asio::make_strand(state->io), [state](beast::error_code ec, tcp::socket socket) {
    if (state->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors, say: try again shortly rather than spin on the error.
      spdlog::warn("http: accept failed: {}; retrying in 100 ms", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(state->acceptor.get_executor(), std::chrono::milliseconds(100));
      timer->async_wait([state, timer](beast::error_code) {
        if (!state->stopped) accept_next(state);
      });
      return;
    } else {
      std::unique_lock lock(state->mu);
      std::erase_if(state->sessions, [](const auto& w) { return w.expired(); });
      if (state->sessions.size() >= state->options.max_connections) {
        lock.unlock();
        beast::error_code ignored;
        socket.close(ignored);  // over the bound: refused rather than queued without limit
      } else {
        auto session = std::make_shared<Session>(std::move(socket), state);
        state->sessions.insert(session);
        lock.unlock();
        session->run();
      }
    }
    if (!state->stopped) accept_next(state);
  });
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, HttpHandler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::start() {
  const auto where = state_->options.address + ":" + std::to_string(state_->options.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(state_->options.address, ec);
  if (ec) return fail(ApiErrc::listen_failed, "http listen " + where + ": " + ec.message());
  const tcp::endpoint endpoint(address, state_->options.port);
  auto& a = state_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    a.close(ignored);
    return fail(ApiErrc::listen_failed, "http listen " + where + ": " + ec.message());
  }
  bound_port_ = a.local_endpoint().port();
  accept_next(state_);
  return {};
}

void HttpServer::stop() {
  if (state_->stopped.exchange(true)) return;
  asio::post(state_->acceptor.get_executor(), [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
  });
  std::lock_guard lock(state_->mu);
  for (const auto& w : state_->sessions)
    if (auto s = w.lock()) s->close();
  state_->sessions.clear();
}

std::size_t HttpServer::open_connections() const {
  std::lock_guard lock(state_->mu);
  return static_cast<std::size_t>(
      std::count_if(state_->sessions.begin(), state_->sessions.end(), [](const auto& w) { return !w.expired(); }));
}

}  // namespace fb::api
