#include "fb/backend/admission.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>

#include "fb/common/topics.hpp"

namespace fb::backend {

namespace {

const char* verdict_name(Admission::Verdict v) {
  switch (v) {
    case Admission::Verdict::admit: return "admit";
    case Admission::Verdict::rate_limited: return "rate_limited";
    case Admission::Verdict::qos0: return "qos0";
    case Admission::Verdict::retained: return "retained";
  }
  return "admit";
}

}  // namespace

Admission::Admission(const Clock& clock, AdmissionOptions options) : clock_(clock), options_(options) {}

Admission::Verdict Admission::check(const mqtt::Message& m) {
  auto verdict = Verdict::admit;
  const auto topic = topics::parse(m.topic);
  std::lock_guard lock(mu_);
  if (m.retained) {
    verdict = Verdict::retained;
    ++stats_.retained;
  } else if (m.qos == mqtt::QoS::at_most_once) {
    verdict = Verdict::qos0;
    ++stats_.qos0;
  } else if (topic && !take(topic->vin)) {
    // Not parsable: admitted, ingest dead-letters it as unroutable (the broker's ACL keeps
    // cars on their own topics, so this is not a way around the limit).
    verdict = Verdict::rate_limited;
    ++stats_.rate_limited;
  } else {
    ++stats_.admitted;
    return verdict;
  }
  const auto refused = stats_.rate_limited + stats_.qos0 + stats_.retained;
  if (std::has_single_bit(refused)) {  // 1, 2, 4, ...: a trace, not a flood
    spdlog::warn(
        "backend: {} message(s) refused before ingest so far (rate limited {}, QoS 0 {}, retained {}); "
        "last: {} on {}",
        refused, stats_.rate_limited, stats_.qos0, stats_.retained, verdict_name(verdict), m.topic.substr(0, 80));
  }
  return verdict;
}

// Token bucket: refilled at per_vin_rate up to per_vin_burst; a message takes one token.
bool Admission::take(const std::string& vin) {
  if (options_.per_vin_rate <= 0) return true;
  const auto now = clock_.steady_now();
  auto it = buckets_.find(vin);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_tracked_vins) forget_idle(now);
    it = buckets_.emplace(vin, Bucket{options_.per_vin_burst, now}).first;
  }
  auto& b = it->second;
  const std::chrono::duration<double> elapsed = now - b.refilled;
  b.tokens = std::min(options_.per_vin_burst, b.tokens + elapsed.count() * options_.per_vin_rate);
  b.refilled = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

// A full bucket says nothing a new one would not; if every bucket is busy, the map starts over
// (generous for a moment, never unbounded).
void Admission::forget_idle(Clock::SteadyTime now) {
  std::erase_if(buckets_, [&](const auto& e) {
    const std::chrono::duration<double> elapsed = now - e.second.refilled;
    return e.second.tokens + elapsed.count() * options_.per_vin_rate >= options_.per_vin_burst;
  });
  if (buckets_.size() >= options_.max_tracked_vins) buckets_.clear();
}

AdmissionStats Admission::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace fb::backend
