// The raw-client baseline of the ingest measure (bench/README.md, section 2): Paho C++ used
// directly, no project code on the message path, drains the backend's session and publishes one
// QoS 1 answer per message to that car's inbox, the least any backend must do per report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench_support.hpp"

namespace fb::bench {

struct RawIngest {
  Duration to_first_message{};  // connect start -> first message
  Duration to_answered{};       // connect start -> every answer PUBACKed
  std::size_t messages = 0;
  std::uint64_t publish_errors = 0;  // publishes Paho refused (then not counted as answered)
  double net_rate() const { return static_cast<double>(messages) / to_s(to_answered - to_first_message); }
};

/// Connects as `client_id` with a persistent session (the backlog must be queued in it), takes
/// `expected` messages from vehicles/+/reports and answers each with its own payload on
/// vehicles/{vin}/inbox (QoS 1, `max_inflight` in flight, TCP_NODELAY as the wrapper sets it).
/// Returns when every answer is PUBACKed. Errors: MqttErrc::connect_failed, not_connected
/// (nothing or not all within `timeout`).
Result<RawIngest> measure_raw_paho_ingest(const std::string& uri, int port, const std::string& client_id,
                                          const mqtt::TlsFiles& tls, std::size_t expected, std::size_t max_inflight,
                                          Duration timeout);

}  // namespace fb::bench
