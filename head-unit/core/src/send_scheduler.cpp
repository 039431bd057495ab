#include "fb/agent/send_scheduler.hpp"

#include <algorithm>

namespace fb::agent {

std::chrono::milliseconds SendScheduler::backoff(std::chrono::milliseconds base, int attempts) const {
  auto d = base;
  for (int i = 1; i < attempts && d < policy_.max_backoff; ++i) d *= 2;
  return std::min(d, policy_.max_backoff);
}

void SendScheduler::add(const OutboxEntry& entry, Clock::time_point now) {
  if (by_id_.contains(entry.id)) return;
  const auto key = key_of(entry);
  items_.emplace(key, Item{entry, State::due, 0, now});
  by_id_.emplace(entry.id, key);
}

void SendScheduler::set_expiry(const std::string& id, std::int64_t expires_ms) {
  if (auto it = by_id_.find(id); it != by_id_.end()) items_.at(it->second).entry.expires_ms = expires_ms;
}

void SendScheduler::remove(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto item = items_.find(it->second);
  if (item->second.state == State::publishing) --publishing_;
  items_.erase(item);
  by_id_.erase(it);
}

std::vector<OutboxEntry> SendScheduler::take_due(Clock::time_point now) {
  std::vector<OutboxEntry> out;
  for (auto& [key, item] : items_) {
    if (publishing_ >= policy_.max_inflight) break;
    if (item.state == State::publishing || item.due_at > now) continue;
    item.state = State::publishing;
    ++item.attempts;
    ++publishing_;
    out.push_back(item.entry);
  }
  return out;
}

void SendScheduler::on_published(const std::string& id, Clock::time_point now) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto& item = items_.at(it->second);
  if (item.state == State::publishing) --publishing_;
  item.state = State::awaiting_ack;
  item.due_at = now + backoff(policy_.ack_timeout, item.attempts);
}

void SendScheduler::on_publish_failed(const std::string& id, Clock::time_point now) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto& item = items_.at(it->second);
  if (item.state == State::publishing) --publishing_;
  item.state = State::due;
  item.due_at = now + backoff(policy_.retry_after_failure, item.attempts);
}

void SendScheduler::on_reconnected(Clock::time_point now) {
  for (auto& [key, item] : items_) {
    if (item.state == State::publishing) {
      item.state = State::due;
      --publishing_;
    }
    if (item.state == State::due) {
      item.due_at = std::min(item.due_at, now);
    } else if (item.state == State::awaiting_ack) {
      // Its ack may be lost with the old link (a restarted broker forgets what the backend could
      // not deliver): ask again once a session's queued ack has had time to arrive.
      item.due_at = std::min(item.due_at, now + policy_.resend_after_reconnect);
    }
  }
}

std::optional<SendScheduler::Clock::time_point> SendScheduler::next_due() const {
  if (publishing_ >= policy_.max_inflight) return std::nullopt;
  std::optional<Clock::time_point> best;
  for (const auto& [key, item] : items_) {
    if (item.state == State::publishing) continue;
    if (!best || item.due_at < *best) best = item.due_at;
  }
  return best;
}

std::optional<std::int64_t> SendScheduler::next_expiry() const {
  std::optional<std::int64_t> best;
  for (const auto& [key, item] : items_) {
    const auto at = item.entry.expires_ms;
    if (at > 0 && (!best || at < *best)) best = at;
  }
  return best;
}

int SendScheduler::attempts(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? 0 : items_.at(it->second).attempts;
}

}  // namespace fb::agent
