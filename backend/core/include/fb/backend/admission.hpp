// Admission: the cheap checks a message from a car passes before it may take a place in the
// service's queue (before decode, classify and store). A per-VIN token bucket (the VIN is in
// the topic), QoS 0 refused (the car always publishes at QoS 1), retained values refused (a
// retained report would come again on every (re)subscribe). What is refused is counted and
// dropped: the car gets no answer and, for a report, sends it again on its own resend timer.
//
// Threads: check() runs on the MQTT library's receive thread (mqtt::Receiver::set_admission),
// stats() anywhere: both are thread-safe (one mutex, held for a map lookup).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "fb/common/clock.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::backend {

struct AdmissionOptions {
  /// Messages per second one VIN may send (reports and receipts together), sustained. 0: no limit.
  double per_vin_rate = 20.0;
  /// What one VIN may send at once after a quiet period (the bucket's size): a car back from a
  /// long time offline drains its outbox within it.
  double per_vin_burst = 500.0;
  /// Buckets kept at most; beyond, idle (full) buckets are forgotten first.
  std::size_t max_tracked_vins = 200000;
};

struct AdmissionStats {
  std::uint64_t admitted = 0;
  std::uint64_t rate_limited = 0;  // over the VIN's limit: dropped, the car resends
  std::uint64_t qos0 = 0;          // QoS 0 on a car's topic: dropped (the car uses QoS 1)
  std::uint64_t retained = 0;      // a retained value replayed by the broker: ignored
};

class Admission {
 public:
  enum class Verdict { admit, rate_limited, qos0, retained };

  Admission(const Clock& clock, AdmissionOptions options);
  /// The verdict for one message; counts it. Thread-safe, never blocks for long.
  Verdict check(const mqtt::Message& m);
  AdmissionStats stats() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::SteadyTime refilled;
  };
  bool take(const std::string& vin);
  void forget_idle(Clock::SteadyTime now);

  const Clock& clock_;
  const AdmissionOptions options_;
  mutable std::mutex mu_;  // guards everything below (receive thread, stats readers)
  std::unordered_map<std::string, Bucket> buckets_;
  AdmissionStats stats_;
};

}  // namespace fb::backend
