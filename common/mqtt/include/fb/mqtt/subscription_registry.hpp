// The filters a client has subscribed to, and applying them to each new connection: one
// SUBSCRIBE at a time, in the order they were added, including those added while a round is
// under way; the round ends with every filter acknowledged or at the first refusal. A filter
// added while the link is up and nothing is being applied is applied at once, as a round of one.
//
// Threads: belongs to its executor: call every member there. `subscribe`'s done must be called
// there too, and later (not inside `subscribe`); `applied` then runs inside that done.
// Errors given to `applied`: whatever the transport reported (subscribe_failed: refused).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fb/common/error.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::mqtt {

class SubscriptionRegistry {
 public:
  using Subscribe = std::function<void(const std::string& filter, QoS qos, std::function<void(Error)> done)>;
  /// A round ended: empty Error when every filter so far is acknowledged.
  using Applied = std::function<void(Error)>;

  struct Filter {
    std::string filter;
    QoS qos;
  };

  SubscriptionRegistry(Subscribe subscribe, Applied applied);

  /// Registers a filter (a filter already registered is left as it is); false if it was.
  bool add(std::string filter, QoS qos);
  /// A new connection: applies every filter from the first. With none, `applied` runs at once.
  void link_up();
  /// The link is down: the round in progress is abandoned and its late answers are ignored.
  void link_down();

  bool applying() const { return applying_; }
  /// Filters acknowledged on the current connection (a prefix of filters()).
  std::size_t applied_count() const { return applied_; }
  const std::vector<Filter>& filters() const { return filters_; }

 private:
  void next();

  Subscribe subscribe_;
  Applied applied_handler_;
  std::vector<Filter> filters_;
  bool link_up_ = false;
  bool applying_ = false;
  std::size_t applied_ = 0;
  std::uint64_t round_ = 0;  // answers carry the round they were asked in
};

}  // namespace fb::mqtt
