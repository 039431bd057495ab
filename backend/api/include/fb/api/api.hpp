// The service teams' HTTP API and the console's files (docs/api.md, docs/openapi.json): cases and
// their work, other channels' reports, knowledge base and routing rules, privacy requests,
// health and Prometheus metrics.
//
// Threads: reads run on the API's readers, each a connection on the case store owned by a strand
// of its own made here on `executor` (SQLite's WAL lets them read while the service writes, so
// the console never stalls ingest, and several readers use several cores); requests go to them
// round robin. The rule files are read and edited on one more strand, the analytics on another.
// Every change goes through the Service (its strand owns the writing store and sends what a
// change queues for a car). handle() may be called on any thread; the answer goes to `respond`
// on a reader's, the rules', the analytics' or the service's strand.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "fb/api/auth.hpp"
#include "fb/api/http_server.hpp"
#include "fb/backend/lifecycle.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/clock.hpp"
#include "fb/common/histogram.hpp"

namespace fb::backend {
class Analytics;
}

namespace fb::api {

struct ApiOptions {
  std::filesystem::path console_dir;  // index.html, app.js, ...; empty = no console
  std::filesystem::path rules_dir;    // knowledge.json and routing.conf, edited through the API
  std::size_t max_page = 200;         // largest `limit` of a case list
  /// The service region's offset from UTC (config `utc_offset`): its year picks a VIN's model year.
  std::int64_t utc_offset_ms = backend::kChinaStandardTimeOffsetMs;
  /// The file the tokens came from: followed (LiveTokens), so that a token removed from it is
  /// refused at the next request. Empty: the tokens given, for ever.
  std::filesystem::path tokens_file;
};

class Api {
 public:
  /// Loads the console's files into memory. Errors: ConfigErrc when console_dir is set but unreadable.
  static Result<std::unique_ptr<Api>> create(const boost::asio::any_io_executor& executor, const Clock& clock,
                                             backend::Service& service,
                                             std::vector<std::unique_ptr<backend::CaseStore>> reads,
                                             std::unique_ptr<backend::Analytics> analytics, TokenStore tokens,
                                             ApiOptions options);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  /// The HttpHandler of the server. Any thread.
  void handle(const HttpRequest& request, Responder respond);

  struct Impl;
  explicit Api(std::unique_ptr<Impl> impl);
  ~Api();

 private:
  std::unique_ptr<Impl> impl_;
};

/// The OpenAPI 3 description kept in docs/openapi.json, compiled into the binary.
std::string_view openapi_document();

}  // namespace fb::api
