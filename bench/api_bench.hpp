// api_list: filtered case-list requests per second under 32 concurrent keep-alive connections,
// as the case store grows (10^3, 10^4, 10^5 cases), beside the same server's /healthz in the
// same run (the HTTP stack alone: the baseline). Latency p50/p99 of both. No broker: the API
// reads its own connection on the store, and nothing here writes.
#pragma once

#include <filesystem>
#include <vector>

#include "fb/common/error.hpp"

namespace fb::bench {

struct ApiLoad {
  double rate = 0;  // requests/s
  double p50_ms = 0, p99_ms = 0;
  std::size_t errors = 0;  // non-200 answers
};

struct ApiMeasure {
  std::size_t cases = 0;
  ApiLoad list;      // the agent's queue: own team, open states, newest first, 50 a page
  ApiLoad list_due;  // the same, most urgent first (sort=due)
  ApiLoad health;    // /healthz
};

struct ApiBenchOptions {
  std::vector<std::size_t> sizes{1000, 10000, 100000};
  int connections = 32;
  double seconds = 3.0;  // per load
  std::filesystem::path rules_dir;
  std::filesystem::path work_dir;
};

/// Seeds the store up to each size in turn and measures at each. Errors: the store's, the rules'.
Result<std::vector<ApiMeasure>> measure_api(const ApiBenchOptions& o);

}  // namespace fb::bench
