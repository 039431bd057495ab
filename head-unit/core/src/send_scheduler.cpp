#include "fb/agent/send_scheduler.hpp"

#include <algorithm>

namespace fb::agent {

SendScheduler::SendScheduler(Policy policy)
    : policy_(policy),
      jitter_rng_(policy.seed != 0 ? policy.seed : std::random_device{}()) {}

std::chrono::milliseconds SendScheduler::backoff(std::chrono::milliseconds base, int attempts) {
  auto d = base;
  for (int i = 1; i < attempts && d < policy_.max_backoff; ++i) d *= 2;
  d = std::min(d, policy_.max_backoff);
  const double jitter = std::clamp(policy_.jitter, 0.0, 1.0);
  if (jitter <= 0.0 || d.count() <= 0) return d;
  const auto spread = static_cast<std::int64_t>(static_cast<double>(d.count()) * jitter);
  std::uniform_int_distribution<std::int64_t> draw(0, spread);
  return d + std::chrono::milliseconds(draw(jitter_rng_));
}

void SendScheduler::unindex(const Key& key, Item& item) {
  if (item.state == State::publishing) return;
  if (item.ready) {
    ready_.erase(key);
    ready_times_.erase(ready_times_.find(item.due_at));
    item.ready = false;
  } else {
    waiting_.erase({item.due_at, key});
  }
}

void SendScheduler::wait_until(const Key& key, Item& item, Clock::time_point due_at) {
  unindex(key, item);
  item.due_at = due_at;
  waiting_.emplace(due_at, key);
}

void SendScheduler::add(const OutboxEntry& entry, Clock::time_point now) {
  if (by_id_.contains(entry.id)) return;
  const auto key = key_of(entry);
  items_.emplace(key, Item{entry, State::due, 0, now});
  waiting_.emplace(now, key);
  if (entry.expires_ms > 0) expiries_.insert(entry.expires_ms);
  if (entry.kind == OutboxKind::receipt) ++receipts_;
  if (entry.kind == OutboxKind::answer) ++answers_;
  by_id_.emplace(entry.id, key);
}

void SendScheduler::set_expiry(const std::string& id, std::int64_t expires_ms) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto& entry = items_.at(it->second).entry;
  if (entry.expires_ms > 0) expiries_.erase(expiries_.find(entry.expires_ms));
  entry.expires_ms = expires_ms;
  if (expires_ms > 0) expiries_.insert(expires_ms);
}

std::optional<OutboxKind> SendScheduler::kind_of(const std::string& id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return items_.at(it->second).entry.kind;
}

void SendScheduler::remove(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto item = items_.find(it->second);
  if (item->second.state == State::publishing) --publishing_;
  unindex(item->first, item->second);
  if (item->second.entry.expires_ms > 0) expiries_.erase(expiries_.find(item->second.entry.expires_ms));
  if (item->second.entry.kind == OutboxKind::receipt) --receipts_;
  if (item->second.entry.kind == OutboxKind::answer) --answers_;
  items_.erase(item);
  by_id_.erase(it);
}

std::vector<OutboxEntry> SendScheduler::take_due(Clock::time_point now) {
  // What has come due since the last call joins the ready line, in send order.
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    auto node = waiting_.extract(waiting_.begin());
    auto& item = items_.at(node.value().second);
    item.ready = true;
    ready_times_.insert(item.due_at);
    ready_.insert(std::move(node.value().second));
  }
  std::vector<OutboxEntry> out;
  while (publishing_ < policy_.max_inflight && !ready_.empty()) {
    const auto key = *ready_.begin();
    auto& item = items_.at(key);
    unindex(key, item);
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
  wait_until(it->second, item, now + backoff(policy_.ack_timeout, item.attempts));
}

void SendScheduler::on_publish_failed(const std::string& id, Clock::time_point now) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto& item = items_.at(it->second);
  if (item.state == State::publishing) --publishing_;
  item.state = State::due;
  wait_until(it->second, item, now + backoff(policy_.retry_after_failure, item.attempts));
}

void SendScheduler::on_reconnected(Clock::time_point now) {
  for (auto& [key, item] : items_) {
    if (item.state == State::publishing) {
      item.state = State::due;
      --publishing_;
      waiting_.emplace(item.due_at, key);  // unindexed while publishing; re-timed below
    }
    if (item.state == State::due) {
      wait_until(key, item, std::min(item.due_at, now));
    } else if (item.state == State::awaiting_ack) {
      // Its ack may be lost with the old link (a restarted broker forgets what the backend could
      // not deliver): ask again once a session's queued ack has had time to arrive.
      wait_until(key, item, std::min(item.due_at, now + policy_.resend_after_reconnect));
    }
  }
}

std::optional<SendScheduler::Clock::time_point> SendScheduler::next_due() const {
  if (publishing_ >= policy_.max_inflight) return std::nullopt;
  std::optional<Clock::time_point> best;
  if (!waiting_.empty()) best = waiting_.begin()->first;
  if (!ready_times_.empty() && (!best || *ready_times_.begin() < *best)) best = *ready_times_.begin();
  return best;
}

std::optional<std::int64_t> SendScheduler::next_expiry() const {
  if (expiries_.empty()) return std::nullopt;
  return *expiries_.begin();
}

std::vector<std::string> SendScheduler::expiring_by(std::int64_t now_ms) const {
  std::vector<std::string> out;
  if (expiries_.empty() || *expiries_.begin() > now_ms) return out;
  for (const auto& [key, item] : items_) {
    if (item.entry.expires_ms > 0 && item.entry.expires_ms <= now_ms) out.push_back(item.entry.id);
  }
  return out;
}

int SendScheduler::attempts(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? 0 : items_.at(it->second).attempts;
}

}  // namespace fb::agent
