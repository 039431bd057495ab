// The dealer's HTTP client against a scripted server on loopback: a kept-alive connection the
// server closed is not reused, and a POST the server may have applied is never sent twice.
#include "fb/dealer_sim/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

namespace fb::dealer {
namespace {

/// A loopback listener whose connections a test drives by hand, one request at a time.
class ScriptedServer {
 public:
  ScriptedServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    socklen_t n = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
  }
  ~ScriptedServer() { ::close(listener_); }
  ApiEndpoint endpoint() const { return {"127.0.0.1", std::to_string(port_)}; }

  /// The next connection, or -1 when none comes within `ms`.
  int accept(int ms = 5000) const {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return -1;
    return ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  /// One whole request (headers and a Content-Length body) from `fd`; "" when it closed first.
  static std::string read_request(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
      const auto end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        if (const auto cl = in.find("Content-Length: "); cl != std::string::npos && cl < end)
          length = std::stoul(in.substr(cl + 16));
        if (in.size() >= end + 4 + length) return in;
      }
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return "";
      in.append(buf, static_cast<std::size_t>(n));
    }
  }
  static void answer(int fd, const std::string& body = "{}") {
    const auto res = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nConnection: keep-alive\r\n\r\n" + body;
    EXPECT_EQ(::send(fd, res.data(), res.size(), MSG_NOSIGNAL), static_cast<ssize_t>(res.size()));
  }

 private:
  int listener_ = -1;
  int port_ = 0;
};

TEST(DealerHttpClient, AConnectionTheServerClosedWhileIdleIsNotReusedForAPost) {
  ScriptedServer server;
  std::atomic<int> posts{0};
  std::promise<void> idle_closed;
  std::thread script([&] {
    const int first = server.accept();
    ASSERT_GE(first, 0);
    EXPECT_EQ(ScriptedServer::read_request(first).rfind("GET ", 0), 0u);
    ScriptedServer::answer(first);
    ::close(first);  // the server's idle timeout
    idle_closed.set_value();
    const int second = server.accept();
    ASSERT_GE(second, 0);
    if (ScriptedServer::read_request(second).rfind("POST ", 0) == 0) ++posts;
    ScriptedServer::answer(second, R"({"ok": true})");
    EXPECT_EQ(ScriptedServer::read_request(second), "");  // the client closes when it is done
    ::close(second);
  });
  {
    ApiClient client(server.endpoint(), "token", std::chrono::milliseconds(5000));
    ASSERT_TRUE(client.get("/api/v1/visits"));
    ASSERT_EQ(idle_closed.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    auto posted = client.post("/api/v1/visits/v-1/stages", {{"stage", "repair"}});
    ASSERT_TRUE(posted) << posted.error().what();
    EXPECT_EQ(posted->body["ok"], true);
  }
  script.join();
  EXPECT_EQ(posts.load(), 1);
}

TEST(DealerHttpClient, APostTheServerReadAndThenDroppedIsNotSentAgain) {
  ScriptedServer server;
  std::atomic<int> posts{0};
  std::thread script([&] {
    const int first = server.accept();
    ASSERT_GE(first, 0);
    ScriptedServer::read_request(first);
    ScriptedServer::answer(first);
    if (ScriptedServer::read_request(first).rfind("POST ", 0) == 0) ++posts;
    ::close(first);  // read it, maybe applied it, and died before answering
    const int again = server.accept(1000);
    if (again >= 0) {
      if (ScriptedServer::read_request(again).rfind("POST ", 0) == 0) ++posts;
      ScriptedServer::answer(again);
      ::close(again);
    }
  });
  ApiClient client(server.endpoint(), "token", std::chrono::milliseconds(5000));
  ASSERT_TRUE(client.get("/api/v1/visits"));
  auto posted = client.post("/api/v1/visits/v-1/stages", {{"stage", "repair"}, {"parts", "400 CNY"}});
  EXPECT_FALSE(posted);
  if (!posted) EXPECT_EQ(posted.error().code, make_error_code(DealerErrc::transport));
  script.join();
  EXPECT_EQ(posts.load(), 1) << "a repair entry the server may have billed was sent again";
}

}  // namespace
}  // namespace fb::dealer
