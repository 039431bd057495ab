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

// nlohmann::json's destructor may allocate (it flattens nested values), hence the NOLINTs on
// the structs that hold one: only an allocation failure can throw there.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct ApiAnswer {
  int status = 0;
  nlohmann::json body;  // null when the answer had no JSON body
};

/// What the dealer needs of the API; ApiClient speaks HTTP, tests give a fake.
class Api {
 public:
  virtual ~Api() = default;
  /// A 2xx answer; else DealerErrc::conflict for 409, DealerErrc::http for any other status
  /// (detail: "<method> <target>: <status> <problem detail> [<code>]"), or DealerErrc::transport.
  virtual Result<ApiAnswer> get(const std::string& target) = 0;
  virtual Result<ApiAnswer> post(const std::string& target, const nlohmann::json& body) = 0;
};

class ApiClient final : public Api {
 public:
  ApiClient(ApiEndpoint endpoint, std::string token,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  ~ApiClient() override;
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  /// One request on the caller's thread; no answer within the timeout is DealerErrc::transport.
  /// A kept-alive connection the server has closed is noticed before it is reused. A GET whose
  /// reused connection fails anyway is sent once more on a fresh one; a POST, once written, never
  /// is: the server may have applied it (a repair entry billed twice), so its failure is returned.
  Result<ApiAnswer> get(const std::string& target) override;
  Result<ApiAnswer> post(const std::string& target, const nlohmann::json& body) override;

 private:
  Result<ApiAnswer> send(const std::string& method, const std::string& target, const std::string& body);
  struct Connection;  // the io_context and the Beast stream
  ApiEndpoint endpoint_;
  std::string token_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace fb::dealer
