#include "fb/mqtt/subscription_registry.hpp"

#include <algorithm>
#include <utility>

namespace fb::mqtt {

SubscriptionRegistry::SubscriptionRegistry(Subscribe subscribe, Applied applied)
    : subscribe_(std::move(subscribe)),
      applied_handler_(std::move(applied)) {}

bool SubscriptionRegistry::add(std::string filter, QoS qos) {
  if (std::any_of(filters_.begin(), filters_.end(), [&](const Filter& f) { return f.filter == filter; })) return false;
  filters_.push_back({std::move(filter), qos});
  if (link_up_ && !applying_) {
    applying_ = true;
    ++round_;
    next();
  }
  return true;
}

void SubscriptionRegistry::link_up() {
  link_up_ = true;
  applying_ = true;
  applied_ = 0;
  ++round_;
  next();
}

void SubscriptionRegistry::link_down() {
  link_up_ = false;
  applying_ = false;
  applied_ = 0;
  ++round_;
}

void SubscriptionRegistry::next() {
  if (applied_ == filters_.size()) {
    applying_ = false;
    return applied_handler_(Error{});
  }
  const auto& f = filters_[applied_];
  subscribe_(f.filter, f.qos, [this, round = round_](Error e) {
    if (round != round_) return;
    if (e.code) {
      // Not applied on this connection; the owner drops the link and the next one starts over.
      applying_ = false;
      return applied_handler_(std::move(e));
    }
    ++applied_;
    next();
  });
}

}  // namespace fb::mqtt
