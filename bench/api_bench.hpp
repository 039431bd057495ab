// api_list: filtered case-list requests per second under 32 concurrent keep-alive connections,
// as the case store grows (10^3, 10^4, 10^5 cases), beside the same server's /healthz in the
// same run (the HTTP stack alone: the baseline). Latency p50/p99 of both. No broker: the API
// reads its own connection on the store.
// api_visit_stage: then, on the largest store, dealers' stage entries per second
// (POST /api/v1/visits/{id}/stages, a write transaction on the service's strand that queues the
// car's notification), each connection walking its own booked visits to the handover.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fb/backend/case_store.hpp"
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
  /// With ApiBenchOptions::ingest_probe: reports/s committed through commit_batch (1,000 a
  /// transaction, classified and routed as the service does) once the store has `cases`.
  double commit_rate = 0;
  double fill_seconds = 0;  // seeding or copying from the previous size up to this one
  /// Analytics::dashboard over every case in the store, all teams: median of 5 calls.
  double dashboard_ms = 0;
};

/// Dealer stage entries on the largest store, beside that store's /healthz (as api_list).
struct ApiVisitMeasure {
  std::size_t cases = 0;       // in the store, visits' cases included
  std::size_t visits = 0;      // booked before the timed window
  double booking_seconds = 0;  // creating and booking them, before the window
  ApiLoad stages;              // POST /api/v1/visits/{id}/stages
  ApiLoad health;              // /healthz
  bool ran_out = false;        // a connection walked all its visits before the window ended
  std::string first_error;     // the first non-200 answer's status and body, if any
};

struct ApiResults {
  std::vector<ApiMeasure> lists;               // one per size
  std::optional<ApiVisitMeasure> visit_stage;  // unless ApiBenchOptions::visit_stage is off
};

struct ApiBenchOptions {
  std::vector<std::size_t> sizes{1000, 10000, 100000};
  int connections = 32;
  double seconds = 3.0;  // per load
  bool visit_stage = true;
  double stage_seconds = 3.0;              // the stage entries' window
  std::size_t visits_per_connection = 40;  // booked visits each connection may walk (6 entries each)
  std::filesystem::path rules_dir;
  std::filesystem::path work_dir;
  /// The store on PostgreSQL (a connection string to an empty schema) instead of a SQLite file in
  /// work_dir; the dealers' stage entries are SQLite's only.
  std::string postgres;
  /// Beyond this many cases the store grows by copying its first cases and their reports under
  /// new ids, numbers and report ids (SQL on the store's tables), not through commit_batch: the
  /// same rows at a fraction of the time (on PostgreSQL commit_batch takes about a millisecond a
  /// report, 10^6 of them a quarter of an hour).
  std::size_t copy_beyond = SIZE_MAX;
  /// Reports committed after the lists at each size, timed: ApiMeasure::commit_rate (0: none).
  std::size_t ingest_probe = 0;
};

/// Reports/s that commit_batch stores into `store` (empty, as opened), `reports` of them in
/// batches of 1,000, each with a caller's name and number (hotline reports): what sealing costs
/// when `store` was opened with keys. Errors: the store's, the rules'.
Result<double> measure_commit_with_contacts(backend::CaseStore& store, const std::filesystem::path& rules_dir,
                                            std::size_t reports);

/// Seeds the store up to each size in turn and measures the lists at each; then books visits
/// through the store (proposal, the car's pick) and measures the dealers' stage entries.
/// Runs its own server threads; call from one thread. Errors: the store's, the rules'.
Result<ApiResults> measure_api(const ApiBenchOptions& o);

}  // namespace fb::bench
