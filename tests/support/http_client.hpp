// A small HTTP/1.1 client for tests, on Boost.Beast over loopback. `HttpClient` runs its
// operations on an io_context the test runs on its own thread (run_one until the answer
// arrives: the socket is the signal, nothing sleeps), so a server on the same context answers
// in between. Header-only.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "fb/asio.hpp"

namespace fb::test {

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercased names
  nlohmann::json json() const {
    auto j = nlohmann::json::parse(body, nullptr, false);
    return j;
  }
};

class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, std::uint16_t port) : io_(io), port_(port) {}

  HttpAnswer get(const std::string& target, const std::string& token = {}) { return send("GET", target, token, {}); }
  HttpAnswer post(const std::string& target, const std::string& token, const std::string& body,
                  const std::string& content_type = "application/json") {
    return send("POST", target, token, body, content_type);
  }
  HttpAnswer put(const std::string& target, const std::string& token, const std::string& body) {
    return send("PUT", target, token, body, "application/json");
  }

  /// One request on a keep-alive connection (opened on first use, reopened if the server closed it).
  HttpAnswer send(const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body, const std::string& content_type = "application/json") {
    namespace http = boost::beast::http;
    if (!stream_ || !stream_->socket().is_open()) connect();
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty() || method != "GET") {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    std::optional<boost::beast::error_code> written, read;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{64} * 1024 * 1024);
    http::async_write(*stream_, req, [&](boost::beast::error_code ec, std::size_t) { written = ec; });
    run_until([&] { return written.has_value(); });
    if (*written) throw std::runtime_error("http write: " + written->message());
    http::async_read(*stream_, buffer_, parser, [&](boost::beast::error_code ec, std::size_t) { read = ec; });
    run_until([&] { return read.has_value(); });
    if (*read) {
      stream_.reset();
      throw std::runtime_error("http read: " + read->message());
    }
    auto& res = parser.get();
    HttpAnswer a;
    a.status = static_cast<int>(res.result_int());
    a.content_type = std::string(res[http::field::content_type]);
    a.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      a.headers[name] = std::string(f.value());
    }
    if (!res.keep_alive()) stream_.reset();
    return a;
  }

  /// Sends raw bytes and reads whatever comes back until the server closes (for malformed HTTP).
  std::string raw(const std::string& bytes) {
    connect();
    std::optional<boost::beast::error_code> written;
    boost::asio::async_write(stream_->socket(), boost::asio::buffer(bytes),
                             [&](boost::beast::error_code ec, std::size_t) { written = ec; });
    run_until([&] { return written.has_value(); });
    std::string out;
    char chunk[4096];
    for (;;) {
      std::optional<boost::beast::error_code> got;
      std::size_t n = 0;
      stream_->socket().async_read_some(boost::asio::buffer(chunk), [&](boost::beast::error_code ec, std::size_t k) {
        got = ec;
        n = k;
      });
      run_until([&] { return got.has_value(); });
      out.append(chunk, n);
      if (*got) break;
    }
    stream_.reset();
    return out;
  }

 private:
  void connect() {
    stream_.emplace(io_);
    std::optional<boost::beast::error_code> done;
    stream_->async_connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_),
                           [&](boost::beast::error_code ec) { done = ec; });
    run_until([&] { return done.has_value(); });
    if (*done) throw std::runtime_error("http connect: " + done->message());
    buffer_.clear();
  }
  template <typename Pred>
  void run_until(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("http: no answer within 10 s");
      if (io_.stopped()) io_.restart();
      io_.run_one_for(std::chrono::milliseconds(100));
    }
  }

  boost::asio::io_context& io_;
  std::uint16_t port_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace fb::test
