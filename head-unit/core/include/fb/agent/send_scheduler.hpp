// When to (re)send each outbox entry. Pure logic on a given time, so tests drive it directly.
//
// Send order: priority (a report's ReportClass) first, then age, then id.
// An entry is: due -> publishing (handed to MQTT) -> awaiting_ack (broker PUBACK received) ->
// removed by the backend's Ack (a report) or AnswerStored (an answer); a receipt is removed at
// its PUBACK instead. A report or answer not confirmed within ack_timeout is due again, with
// the timeout doubling per attempt up to max_backoff. A failed publish is due again after
// retry_after_failure, doubling likewise. Each of these waits is stretched by a random part of
// itself (Policy::jitter). Re-sending is always safe: the backend de-duplicates by
// report id.
//
// Cost: every call is O(log n) in the entries it holds (plus what it returns), whatever their
// state: due and waiting entries are found through indexes (send order, due time, expiry), never
// by a scan, so a drain of thousands awaiting their acks stays cheap per event. Only
// on_reconnected() visits every entry.
//
// Threads: not thread-safe; owned by the agent strand.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "fb/agent/car_store.hpp"

namespace fb::agent {

class SendScheduler {
 public:
  using Clock = std::chrono::steady_clock;
  struct Policy {
    std::chrono::milliseconds ack_timeout{30000};
    std::chrono::milliseconds retry_after_failure{1000};
    std::chrono::milliseconds max_backoff{600000};
    std::size_t max_inflight = 16;  // entries publishing at once
    /// After a reconnect, a report the broker took but the backend has not acknowledged is sent
    /// again after this (or its own timeout, if sooner), not after the whole ack timeout.
    std::chrono::milliseconds resend_after_reconnect{2000};
    /// Each wait before a send is tried again (the ack timeout, the backoff after a failure) is
    /// drawn from [d, (1 + jitter) x d]: the cars an outage of the broker or the backend failed
    /// together do not all try again at the same moment, and none sooner than its configured
    /// wait (a backend given ack_timeout to answer is not asked again before). 0: exactly d.
    double jitter = 0.5;
    /// Seed of that draw; 0: from std::random_device.
    std::uint32_t seed = 0;
  };

  explicit SendScheduler(Policy policy);

  /// A new entry, due at once.
  void add(const OutboxEntry& entry, Clock::time_point now);
  void remove(const std::string& id);
  /// The entry's OutboxEntry::expires_ms changed in the store (its time to live started late).
  void set_expiry(const std::string& id, std::int64_t expires_ms);
  bool contains(const std::string& id) const { return by_id_.contains(id); }
  /// The kind of the entry `id`; nullopt when it holds none.
  std::optional<OutboxKind> kind_of(const std::string& id) const;

  /// Due entries in send order, at most the free in-flight slots; they become "publishing".
  std::vector<OutboxEntry> take_due(Clock::time_point now);
  /// The broker took it (PUBACK): it waits for the backend's confirmation (a receipt is removed
  /// by the caller instead).
  void on_published(const std::string& id, Clock::time_point now);
  void on_publish_failed(const std::string& id, Clock::time_point now);
  /// After a reconnect: what was publishing on the old connection is due now; what awaits the
  /// backend's ack is due after resend_after_reconnect.
  void on_reconnected(Clock::time_point now);

  /// The earliest time something becomes due (nullopt: nothing waits, or all slots are busy).
  std::optional<Clock::time_point> next_due() const;
  /// The earliest OutboxEntry::expires_ms of an entry (nullopt: none expires).
  std::optional<std::int64_t> next_expiry() const;
  /// The ids of the entries whose expires_ms (> 0) is at most `now_ms`. A scan: for the rare
  /// entry the store dropped without saying so (Agent::reconcile_expired).
  std::vector<std::string> expiring_by(std::int64_t now_ms) const;

  std::size_t size() const { return by_id_.size(); }
  /// Entries of OutboxKind::receipt: done once the broker has taken them.
  std::size_t receipts() const { return receipts_; }
  /// Entries of OutboxKind::answer: done at the backend's AnswerStored.
  std::size_t answers() const { return answers_; }
  std::size_t publishing() const { return publishing_; }
  int attempts(const std::string& id) const;

 private:
  enum class State { due, publishing, awaiting_ack };
  struct Item {
    OutboxEntry entry;
    State state = State::due;
    int attempts = 0;
    Clock::time_point due_at;
    bool ready = false;  // in ready_ (due_at has passed), not in waiting_
  };
  // Send order: higher priority first, then older, then id.
  using Key = std::tuple<int, std::int64_t, std::string>;
  static Key key_of(const OutboxEntry& e) { return {-e.priority, e.created_ms, e.id}; }
  /// base doubled per attempt after the first, capped at max_backoff, then stretched by jitter.
  std::chrono::milliseconds backoff(std::chrono::milliseconds base, int attempts);
  /// Puts a not-publishing item in line at `due_at` (waiting_); takes it out of any index first.
  void wait_until(const Key& key, Item& item, Clock::time_point due_at);
  /// Takes an item out of waiting_ / ready_ (whichever holds it).
  void unindex(const Key& key, Item& item);

  Policy policy_;
  std::minstd_rand jitter_rng_;
  std::map<Key, Item> items_;
  std::map<std::string, Key> by_id_;
  // The indexes over items_: every item not publishing is in exactly one of waiting_ (by due
  // time) and ready_ (due, in send order; ready_times_ holds their due times for next_due()).
  std::set<std::pair<Clock::time_point, Key>> waiting_;
  std::set<Key> ready_;
  std::multiset<Clock::time_point> ready_times_;
  std::multiset<std::int64_t> expiries_;  // expires_ms > 0 of every item
  std::size_t publishing_ = 0;
  std::size_t receipts_ = 0;
  std::size_t answers_ = 0;
};

}  // namespace fb::agent
