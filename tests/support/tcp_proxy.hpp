// A TCP proxy on loopback for tests of a network partition between a car and the broker, with
// no privileges (no iptables): the car connects to the proxy, the proxy to the target port.
// cut() is the partition: every connection through it is closed and new ones are refused (the
// port is not listened on) until restore() listens on the same port again.
//
// Threads: the proxy runs its own io_context on one thread made here (`proxy`); every socket
// lives on it. cut(), restore() and connections() may be called from any thread: they run on
// that thread and wait for it. Bytes are forwarded as they come, both ways, 16 KiB at a time.
#pragma once

#include <array>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "fb/asio.hpp"

namespace fb::test {

class TcpProxy {
 public:
  /// Listens on a free loopback port and forwards each connection to 127.0.0.1:`target_port`.
  explicit TcpProxy(std::uint16_t target_port) : target_port_(target_port) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_.bind({boost::asio::ip::address_v4::loopback(), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TcpProxy() {
    call([this] { close_all(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }

  /// The partition: closes every connection and stops listening (a connect is refused).
  void cut() {
    call([this] { close_all(); });
  }
  /// The network is back: listens on the same port again.
  void restore() {
    call([this] {
      if (acceptor_.is_open()) return;
      acceptor_.open(boost::asio::ip::tcp::v4());
      acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
      acceptor_.bind({boost::asio::ip::address_v4::loopback(), port_});
      acceptor_.listen();
      accept();
    });
  }
  /// Connections forwarded now.
  std::size_t connections() {
    return call([this] { return pairs_.size(); });
  }

 private:
  using tcp = boost::asio::ip::tcp;
  struct Pair {
    explicit Pair(boost::asio::io_context& io) : downstream(io), upstream(io) {}
    tcp::socket downstream;  // the car's side
    tcp::socket upstream;    // the broker's side
    std::array<char, 16384> down_buf{};
    std::array<char, 16384> up_buf{};
  };

  template <typename F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto done = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return done.get();
  }

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      // Closed by cut(); or accepted just before it, with this completion already queued: that
      // connection must not get through a partition either (the socket closes here).
      if (ec || !acceptor_.is_open()) return;
      auto pair = std::make_shared<Pair>(io_);
      pair->downstream = std::move(socket);
      pairs_.insert(pair);
      pair->upstream.async_connect({boost::asio::ip::address_v4::loopback(), target_port_},
                                   [this, pair](boost::system::error_code error) {
                                     if (error) return drop(pair);
                                     pump(pair, pair->downstream, pair->upstream, pair->down_buf);
                                     pump(pair, pair->upstream, pair->downstream, pair->up_buf);
                                   });
      accept();
    });
  }

  void pump(const std::shared_ptr<Pair>& pair, tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
    from.async_read_some(boost::asio::buffer(buf), [this, pair, &from, &to, &buf](boost::system::error_code ec,
                                                                                  std::size_t n) {
      if (ec) return drop(pair);
      boost::asio::async_write(to, boost::asio::buffer(buf.data(), n),
                               [this, pair, &from, &to, &buf](boost::system::error_code error, std::size_t) {
                                 if (error) return drop(pair);
                                 pump(pair, from, to, buf);
                               });
    });
  }

  void drop(const std::shared_ptr<Pair>& pair) {
    boost::system::error_code ignored;
    pair->downstream.close(ignored);
    pair->upstream.close(ignored);
    pairs_.erase(pair);
  }

  void close_all() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto pairs = pairs_; const auto& pair : pairs) drop(pair);
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      boost::asio::make_work_guard(io_)};
  tcp::acceptor acceptor_{io_};
  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  std::set<std::shared_ptr<Pair>> pairs_;  // owned by the proxy thread
  std::thread thread_;
};

}  // namespace fb::test
