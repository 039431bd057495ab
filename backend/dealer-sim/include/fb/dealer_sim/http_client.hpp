// A small synchronous HTTP/1.1 client (Boost.Beast) for the service teams' API: JSON in, JSON
// out, a bearer token on every request, one keep-alive connection reopened when the server
// closes it. Not thread-safe: one thread uses one client.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "fb/dealer_sim/errors.hpp"

namespace fb::dealer {

/// Where the API listens, from "http://host[:port]" (a trailing slash or path is ignored).
struct ApiEndpoint {
  std::string host;
  std::string port = "80";
};
Result<ApiEndpoint> parse_api_url(const std::string& url);

struct ApiAnswer {
  int status = 0;
  nlohmann::json body;  // null when the answer had no JSON body
};

class ApiClient {
 public:
  ApiClient(ApiEndpoint endpoint, std::string token,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  /// One request. A 2xx answer is returned; any other status is DealerErrc::http with
  /// "<status> <problem detail>" (the problem+json body is in Error::detail, not lost).
  /// Transport failures (and no answer within the timeout) are DealerErrc::transport.
  Result<ApiAnswer> get(const std::string& target);
  Result<ApiAnswer> post(const std::string& target, const nlohmann::json& body);

 private:
  Result<ApiAnswer> send(const std::string& method, const std::string& target, const std::string& body);
  struct Connection;  // the io_context and the Beast stream
  ApiEndpoint endpoint_;
  std::string token_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace fb::dealer
