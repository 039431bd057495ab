// The MQTT 5 Message Expiry Interval of an outbox entry: the broker may hold a message for its
// subscriber no longer than the car would have kept it queued. Pure, any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace fb::agent {

/// For an entry expiring at `expires_ms` (Unix ms; 0: never) published at `now_ms`: the whole
/// seconds left, rounded up (0: no expiry), or nullopt once it has expired (not to be sent).
inline std::optional<std::chrono::seconds> message_expiry(std::int64_t expires_ms, std::int64_t now_ms) {
  if (expires_ms <= 0) return std::chrono::seconds(0);
  const auto left_ms = expires_ms - now_ms;
  if (left_ms <= 0) return std::nullopt;
  return std::chrono::seconds((left_ms + 999) / 1000);
}

}  // namespace fb::agent
