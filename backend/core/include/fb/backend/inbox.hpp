// Inbox: the bounded queue between the MQTT library's receive thread and the service's strand.
// A push into a full inbox waits for room instead of dropping: the receive thread then reads no
// more from the broker, which holds what follows (back-pressure). The service takes batches
// from it on its strand; taking never needs the MQTT library, so a receive thread waiting here
// (holding Paho's global lock) is always released by the next take.
//
// Threads: every member is thread-safe (one mutex); push() is meant for the receive thread,
// take() for the service's strand.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "fb/backend/ingest.hpp"

namespace fb::backend {

class Inbox {
 public:
  /// At most `capacity` messages and `max_bytes` of topics and payloads (the broker lets
  /// messages of up to 2 MiB through: a count alone would let 20,000 of them take 40 GiB). A
  /// message larger than `max_bytes` still goes into an empty inbox.
  explicit Inbox(std::size_t capacity, std::size_t max_bytes = kDefaultMaxBytes)
      : capacity_(capacity == 0 ? 1 : capacity),
        max_bytes_(max_bytes) {}
  static constexpr std::size_t kDefaultMaxBytes = std::size_t{64} * 1024 * 1024;

  enum class Push { taken, closed, timed_out };
  /// Appends `m`, waiting while the inbox is full, at most `max_wait` (a safety net: a wait that
  /// long means the consumer is stuck, and the message is left to its sender's resend).
  Push push(RawMessage m, std::chrono::milliseconds max_wait) {
    const auto size = bytes_of(m);
    std::unique_lock lock(mu_);
    const auto has_room = [&] { return q_.size() < capacity_ && (q_.empty() || bytes_ + size <= max_bytes_); };
    if (!closed_ && !has_room()) {
      ++waits_;
      if (!room_.wait_for(lock, max_wait, [&] { return closed_ || has_room(); })) return Push::timed_out;
    }
    if (closed_) return Push::closed;
    q_.push_back(std::move(m));
    bytes_ += size;
    return Push::taken;
  }
  /// Up to `max` messages, oldest first; wakes pushers waiting for room.
  std::vector<RawMessage> take(std::size_t max) {
    std::vector<RawMessage> out;
    {
      std::lock_guard lock(mu_);
      const auto n = std::min(max, q_.size());
      out.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        bytes_ -= bytes_of(q_.front());
        out.push_back(std::move(q_.front()));
        q_.pop_front();
      }
    }
    if (!out.empty()) room_.notify_all();
    return out;
  }
  /// Refuses further pushes and releases waiting ones (Push::closed); what is queued stays for take().
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    room_.notify_all();
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return q_.size();
  }
  /// Pushes that found the inbox full and waited (back-pressure episodes), for metrics.
  std::uint64_t waits() const {
    std::lock_guard lock(mu_);
    return waits_;
  }
  std::size_t capacity() const { return capacity_; }
  /// Bytes of the messages waiting (topics and payloads).
  std::size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  static std::size_t bytes_of(const RawMessage& m) { return m.topic.size() + m.payload.size(); }

  const std::size_t capacity_;
  const std::size_t max_bytes_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable room_;
  std::deque<RawMessage> q_;
  std::size_t bytes_ = 0;
  bool closed_ = false;
  std::uint64_t waits_ = 0;
};

}  // namespace fb::backend
