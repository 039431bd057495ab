#include "raw_ingest.hpp"

#include <fmt/format.h>

#include <mqtt/async_client.h>
#include <deque>
#include <vector>

namespace fb::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Paho refuses a publish once its command buffer or in-flight window is full, so answers wait
// in a queue and go out as PUBACKs free the window, as our wrapper's publish window does.
class Answerer final : public virtual ::mqtt::callback {
 public:
  Answerer(::mqtt::async_client& client, std::size_t expected, std::size_t window, Clock::time_point t0)
      : client_(client),
        expected_(expected),
        window_(window),
        t0_(t0) {}

  void message_arrived(::mqtt::const_message_ptr m) override {
    // vehicles/{vin}/reports -> vehicles/{vin}/inbox, spelt out: no project code on this path.
    const auto& topic = m->get_topic();
    constexpr std::string_view kSuffix = "/reports";
    if (topic.size() <= kSuffix.size() || topic.compare(topic.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
      return;  // e.g. receipts left in the session
    {
      std::lock_guard lock(mu_);
      if (received_++ == 0) first_ = Clock::now() - t0_;
      queue_.push_back(
          ::mqtt::make_message(topic.substr(0, topic.size() - kSuffix.size()) + "/inbox", m->get_payload(), 1, false));
    }
    send();
  }
  void delivery_complete(::mqtt::delivery_token_ptr) override {
    {
      std::lock_guard lock(mu_);
      if (in_flight_ > 0) --in_flight_;
      finish_one_locked();
    }
    send();
  }

  /// No more publishes: the client is about to disconnect.
  void stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  bool wait(Duration timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_ >= expected_; });
  }
  Duration first() {
    std::lock_guard lock(mu_);
    return first_;
  }
  Duration last() {
    std::lock_guard lock(mu_);
    return last_;
  }
  std::size_t done() {
    std::lock_guard lock(mu_);
    return done_;
  }
  std::uint64_t errors() {
    std::lock_guard lock(mu_);
    return errors_;
  }

 private:
  // Publishes outside our lock: Paho calls delivery_complete() holding its own.
  void send() {
    std::vector<::mqtt::message_ptr> batch;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      while (in_flight_ < window_ && !queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
        ++in_flight_;
      }
    }
    for (auto& m : batch) {
      try {
        client_.publish(m);
      } catch (const ::mqtt::exception&) {
        std::lock_guard lock(mu_);
        if (in_flight_ > 0) --in_flight_;
        ++errors_;
        finish_one_locked();
      }
    }
  }
  void finish_one_locked() {
    if (++done_ == expected_) {
      last_ = Clock::now() - t0_;
      cv_.notify_all();
    }
  }

  ::mqtt::async_client& client_;
  const std::size_t expected_, window_;
  const Clock::time_point t0_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::deque<::mqtt::message_ptr> queue_;
  std::size_t received_ = 0, in_flight_ = 0, done_ = 0;
  std::uint64_t errors_ = 0;
  Duration first_{}, last_{};
};

}  // namespace

Result<RawIngest> measure_raw_paho_ingest(const std::string& uri, int port, const std::string& client_id,
                                          const mqtt::TlsFiles& tls, std::size_t expected, std::size_t max_inflight,
                                          Duration timeout) {
  RawIngest result;
  result.messages = expected;
  try {
    // Paho C queues at most max_buffered_messages commands (100 by default): room for the window,
    // as our wrapper's transport gives it.
    auto create = ::mqtt::create_options_builder()
                      .mqtt_version(MQTTVERSION_3_1_1)
                      .max_buffered_messages(static_cast<int>(max_inflight) + 16)
                      .send_while_disconnected(false)
                      .finalize();
    ::mqtt::async_client client(uri, client_id, create, nullptr);  // no client-side persistence, as ours
    const auto t0 = Clock::now();
    Answerer answerer(client, expected, max_inflight, t0);
    client.set_callback(answerer);
    auto ssl = ::mqtt::ssl_options_builder()
                   .trust_store(tls.ca_file.string())
                   .key_store(tls.cert_file.string())
                   .private_key(tls.key_file.string())
                   .enable_server_cert_auth(true)
                   .verify(true)
                   .finalize();
    auto options = ::mqtt::connect_options_builder()
                       .clean_session(false)
                       .keep_alive_interval(std::chrono::seconds(30))
                       .connect_timeout(std::chrono::seconds(10))
                       .max_inflight(static_cast<int>(max_inflight))
                       .ssl(std::move(ssl))
                       .finalize();
    client.connect(options)->wait();
    enable_tcp_nodelay_to(port);
    client.subscribe("vehicles/+/reports", 1)->wait();
    const bool all = answerer.wait(timeout);
    result.to_first_message = answerer.first();
    result.to_answered = answerer.last();
    result.publish_errors = answerer.errors();
    // The answerer dies before the client (declared after it): no callback may reach it from the
    // disconnect or from ~async_client, which completes pending tokens (a crash seen in 2 of 11
    // full runs: the destructor re-entered send() on the destroyed answerer).
    answerer.stop();
    client.disconnect()->wait_for(std::chrono::seconds(5));
    client.disable_callbacks();
    if (!all) {
      return fail(MqttErrc::not_connected,
                  fmt::format("raw Paho ingest: {} of {} answered in time", answerer.done(), expected));
    }
  } catch (const ::mqtt::exception& e) {
    return fail(MqttErrc::connect_failed, client_id + ": " + e.what());
  }
  return result;
}

}  // namespace fb::bench
