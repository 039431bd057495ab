#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fb/mqtt/client.hpp"
#include "fb/mqtt/tcp_nodelay.hpp"

namespace fb::mqtt {
namespace {

struct Endpoint {
  std::string host;
  int port = 0;
  bool tls = false;
};

std::optional<Endpoint> parse_uri(const std::string& uri) {
  Endpoint ep;
  std::string rest;
  for (const auto& [scheme, tls] : {std::pair{"ssl://", true}, {"mqtts://", true}, {"tcp://", false}, {"mqtt://", false}}) {
    if (uri.starts_with(scheme)) {
      ep.tls = tls;
      rest = uri.substr(std::string_view(scheme).size());
    }
  }
  const auto colon = rest.rfind(':');
  if (rest.empty() || colon == std::string::npos || colon == 0) return std::nullopt;
  ep.host = rest.substr(0, colon);
  try {
    ep.port = std::stoi(rest.substr(colon + 1));
  } catch (...) {
    return std::nullopt;
  }
  if (ep.port <= 0 || ep.port > 65535) return std::nullopt;
  return ep;
}

Error paho_error(MqttErrc code, const ::mqtt::exception& e) {
  return Error(code, std::string(e.what()) + " (rc " + std::to_string(e.get_return_code()) + ")");
}

bool readable(const std::filesystem::path& p) {
  std::ifstream f(p);
  return f.good();
}

class PahoClient final : public Client, private ::mqtt::iaction_listener {
 public:
  explicit PahoClient(ClientOptions o) : opts_(std::move(o)) {}
  ~PahoClient() override {
    stop();
    client_.reset();  // before the members its callbacks use
  }

  void on_message(MessageHandler h) override { message_handler_ = std::move(h); }
  void on_connection(ConnectionHandler h) override { connection_handler_ = std::move(h); }

  Result<void> start() override {
    auto ep = parse_uri(opts_.server_uri);
    if (!ep) return fail(MqttErrc::invalid_argument, "server URI '" + opts_.server_uri + "' (want ssl://host:port)");
    endpoint_ = *ep;
    if (opts_.client_id.empty()) return fail(MqttErrc::invalid_argument, "empty client id");
    if (endpoint_.tls) {
      for (const auto* f : {&opts_.tls.ca_file, &opts_.tls.cert_file, &opts_.tls.key_file}) {
        if (f->empty() || !readable(*f)) return fail(MqttErrc::tls_setup, "cannot read '" + f->string() + "'");
      }
    }
    try {
      // Paho's own buffer must never be the bound: we bound in-flight and queued publishes.
      auto create = ::mqtt::create_options_builder()
                        .max_buffered_messages(static_cast<int>(opts_.max_inflight + 16))
                        .send_while_disconnected(false)
                        .finalize();
      client_ = std::make_unique<::mqtt::async_client>(opts_.server_uri, opts_.client_id, create, nullptr);
    } catch (const ::mqtt::exception& e) {
      return fail(paho_error(MqttErrc::invalid_argument, e));
    }
    client_->set_message_callback([this](::mqtt::const_message_ptr m) {
      if (message_handler_ && !stopping_.load()) message_handler_(Message{m->get_topic(), m->get_payload_str()});
    });
    client_->set_connection_lost_handler([this](const std::string& cause) { on_lost(cause); });
    // Paho's receive thread calls this on CONNACK, before it hands over any message of the
    // session's backlog: from here on answers to those messages may be published. Kept short:
    // Paho holds its global lock here.
    client_->set_connected_handler([this](const std::string&) {
      std::lock_guard lock(mu_);
      if (losses_ == losses_at_attempt_) link_up_ = true;
    });
    connector_ = std::thread([this] { connector_loop(); });
    return {};
  }

  void stop() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_.exchange(true)) return;
      cv_.notify_all();
    }
    spdlog::info("mqtt {}: stopping", opts_.client_id);
    if (connector_.joinable()) connector_.join();
    if (client_) {
      try {
        if (client_->is_connected()) client_->disconnect(std::chrono::seconds(2))->wait_for(std::chrono::seconds(3));
      } catch (const ::mqtt::exception& e) {
        spdlog::debug("mqtt {}: disconnect: {}", opts_.client_id, e.what());
      }
      try {
        client_->disable_callbacks();  // throws (rc -1) when Paho is still tearing the link down
      } catch (const ::mqtt::exception& e) {
        spdlog::debug("mqtt {}: disable callbacks: {}", opts_.client_id, e.what());
      }
    }
    std::vector<Completion> orphans;
    {
      std::lock_guard lock(mu_);
      connected_ = false;
      link_up_ = false;
      for (auto& [id, p] : pending_) orphans.push_back(std::move(p.done));
      pending_.clear();
      for (auto& q : queue_) orphans.push_back(std::move(q.done));
      queue_.clear();
    }
    const Error err(MqttErrc::shutting_down);
    for (auto& d : orphans) if (d) d(&err);
  }

  Result<void> subscribe(const std::string& filter, int qos) override {
    {
      std::lock_guard lock(mu_);
      if (std::none_of(subscriptions_.begin(), subscriptions_.end(), [&](auto& s) { return s.first == filter; })) {
        subscriptions_.emplace_back(filter, qos);
      }
      if (!connected_) return {};
    }
    auto r = subscribe_now(filter, qos);
    if (!r) {
      std::lock_guard lock(mu_);
      std::erase_if(subscriptions_, [&](auto& s) { return s.first == filter; });
    }
    return r;
  }

  void publish(std::string topic, std::string payload, int qos, Completion done) override {
    Outgoing out{std::move(topic), std::move(payload), qos, std::move(done), 0, 0};
    {
      std::unique_lock lock(mu_);
      if (stopping_) return complete_now(std::move(out.done), Error(MqttErrc::shutting_down), lock);
      // Allowed from CONNACK on: a persistent session's backlog arrives before our SUBACKs, and
      // the answers to it must not be refused.
      if (!link_up_) return complete_now(std::move(out.done), Error(MqttErrc::not_connected), lock);
      if (inflight_ >= opts_.max_inflight) {
        if (queue_.size() >= opts_.max_queued) {
          return complete_now(std::move(out.done),
                              Error(MqttErrc::publish_failed, "client queue full (" + std::to_string(opts_.max_queued) + ")"),
                              lock);
        }
        queue_.push_back(std::move(out));
        return;
      }
      ++inflight_;
      out.id = ++next_id_;
      out.generation = generation_;
    }
    hand_to_paho(std::move(out));
  }

  bool connected() const override {
    std::lock_guard lock(mu_);
    return connected_;
  }

 private:
  struct Outgoing {
    std::string topic;
    std::string payload;
    int qos;
    Completion done;
    std::uint64_t id;
    std::uint64_t generation;  // connection the in-flight slot was taken on
  };
  struct Pending {
    Completion done;
    std::uint64_t generation;
  };

  static void complete_now(Completion done, Error err, std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    if (done) done(&err);
  }

  // Paho is called outside mu_: its callbacks take mu_ and may run while publish() is inside Paho.
  void hand_to_paho(Outgoing out) {
    {
      std::lock_guard lock(mu_);
      pending_.emplace(out.id, Pending{std::move(out.done), out.generation});
    }
    try {
      auto msg = ::mqtt::make_message(out.topic, out.payload, out.qos, false);
      client_->publish(msg, reinterpret_cast<void*>(static_cast<std::uintptr_t>(out.id)), *this);
    } catch (const ::mqtt::exception& e) {
      finish(out.id, paho_error(MqttErrc::publish_failed, e));
    }
  }

  // iaction_listener: completions of publishes (user context = our id).
  void on_success(const ::mqtt::token& tok) override {
    finish(reinterpret_cast<std::uintptr_t>(tok.get_user_context()), std::nullopt);
  }
  void on_failure(const ::mqtt::token& tok) override {
    finish(reinterpret_cast<std::uintptr_t>(tok.get_user_context()),
           Error(MqttErrc::publish_failed, "rc " + std::to_string(tok.get_return_code())));
  }

  void finish(std::uint64_t id, std::optional<Error> err) {
    Completion done;
    std::optional<Outgoing> next;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return;  // already failed by stop()
      done = std::move(it->second.done);
      if (it->second.generation == generation_ && inflight_ > 0) --inflight_;
      pending_.erase(it);
      if (link_up_ && !queue_.empty() && inflight_ < opts_.max_inflight) {
        next = std::move(queue_.front());
        queue_.pop_front();
        ++inflight_;
        next->id = ++next_id_;
        next->generation = generation_;
      }
    }
    if (done) done(err ? &*err : nullptr);
    if (next) hand_to_paho(std::move(*next));
  }

  void on_lost(const std::string& cause) {
    bool was_up = false;
    std::vector<Completion> queued;
    {
      std::lock_guard lock(mu_);
      ++losses_;  // also during a connect attempt: the connector then sees it and retries
      need_connect_ = true;
      cv_.notify_all();
      was_up = link_up_;
      queued = link_down_locked();
    }
    if (!was_up) return;
    const Error why(MqttErrc::not_connected, cause.empty() ? "connection lost" : cause);
    spdlog::warn("mqtt {}: connection lost: {}", opts_.client_id, why.detail);
    for (auto& d : queued) if (d) d(&why);
    if (connection_handler_ && !stopping_) connection_handler_(false, why);
  }

  // With mu_ held: the link is down; returns the queued publishes' completions to fail.
  std::vector<Completion> link_down_locked() {
    std::vector<Completion> queued;
    if (!link_up_) return queued;
    link_up_ = false;
    connected_ = false;
    ++generation_;
    inflight_ = 0;  // slots of the old connection: Paho completes or fails them on its own
    for (auto& q : queue_) queued.push_back(std::move(q.done));
    queue_.clear();
    return queued;
  }

  // A connect attempt that cannot finish (a subscription refused): drop the link and retry.
  void abandon_link(const Error& why) {
    std::vector<Completion> queued;
    {
      std::lock_guard lock(mu_);
      queued = link_down_locked();
    }
    try {
      client_->disconnect(std::chrono::seconds(1))->wait_for(std::chrono::seconds(2));
    } catch (const ::mqtt::exception&) {
      // Already down: nothing to undo.
    }
    for (auto& d : queued) if (d) d(&why);
  }

  Result<void> subscribe_now(const std::string& filter, int qos) {
    try {
      auto tok = client_->subscribe(filter, qos);
      if (!tok->wait_for(opts_.connect_timeout)) return fail(MqttErrc::subscribe_failed, filter + ": no SUBACK");
      const auto codes = tok->get_subscribe_response().get_reason_codes();
      if (!codes.empty() && codes.front() >= 0x80) {
        return fail(MqttErrc::subscribe_failed, filter + ": refused by broker");
      }
    } catch (const ::mqtt::exception& e) {
      return fail(MqttErrc::subscribe_failed, filter + ": " + e.what());
    }
    return {};
  }

  // Thread "mqtt-connect": owns (re)connection. Paho's automatic reconnect does not retry a
  // first connect that fails and backs off to its own schedule, so we run one loop for both.
  void connector_loop() {
    auto backoff = opts_.reconnect_min;
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (!need_connect_) {
        cv_.wait(lock, [&] { return stopping_ || need_connect_; });
        continue;
      }
      // Cleared before the attempt: a loss during or after it sets it again.
      need_connect_ = false;
      losses_at_attempt_ = losses_;
      lock.unlock();
      auto result = connect_once();
      lock.lock();
      if (stopping_) break;
      if (result) {
        backoff = opts_.reconnect_min;
        continue;
      }
      need_connect_ = true;
      spdlog::warn("mqtt {}: {}; retry in {} ms", opts_.client_id, result.error().what(), backoff.count());
      cv_.wait_for(lock, backoff, [&] { return stopping_.load(); });
      backoff = std::min(backoff * 2, opts_.reconnect_max);
    }
  }

  Result<void> connect_once() {
    auto builder = ::mqtt::connect_options_builder()
                       .clean_session(opts_.clean_session)
                       .keep_alive_interval(opts_.keep_alive)
                       .connect_timeout(opts_.connect_timeout)
                       .automatic_reconnect(false)
                       .mqtt_version(MQTTVERSION_3_1_1)  // no silent fallback to 3.1
                       .max_inflight(static_cast<int>(opts_.max_inflight + 16));
    if (endpoint_.tls) {
      auto ssl = ::mqtt::ssl_options_builder()
                     .trust_store(opts_.tls.ca_file.string())
                     .key_store(opts_.tls.cert_file.string())
                     .private_key(opts_.tls.key_file.string())
                     .enable_server_cert_auth(true)
                     .verify(true)
                     .error_handler([this](const std::string& msg) {
                       std::lock_guard lock(tls_error_mu_);
                       last_tls_error_ = msg;
                     })
                     .finalize();
      builder.ssl(std::move(ssl));
    }
    try {
      auto tok = client_->connect(builder.finalize());
      if (!tok->wait_for(opts_.connect_timeout + std::chrono::seconds(1))) {
        return fail(MqttErrc::connect_failed, "no CONNACK from " + opts_.server_uri);
      }
    } catch (const ::mqtt::exception& e) {
      std::string detail = opts_.server_uri + ": " + e.what();
      std::lock_guard lock(tls_error_mu_);
      if (!last_tls_error_.empty()) detail += " (TLS: " + std::exchange(last_tls_error_, {}) + ")";
      return fail(MqttErrc::connect_failed, detail);
    }
    {
      // The connected handler may run after the token completes; either one opens the link,
      // unless the link was lost since this attempt began.
      std::lock_guard lock(mu_);
      if (losses_ != losses_at_attempt_) return fail(MqttErrc::connect_failed, "connection lost while connecting");
      link_up_ = true;
    }
    set_tcp_nodelay_to_peer(endpoint_.host, endpoint_.port);
    // Re-apply every filter; loop in case subscribe() added one while we were subscribing.
    std::size_t applied = 0;
    for (;;) {
      std::vector<std::pair<std::string, int>> subs;
      {
        std::lock_guard lock(mu_);
        if (!link_up_) return fail(MqttErrc::connect_failed, "connection lost while subscribing");
        if (applied == subscriptions_.size()) {
          connected_ = true;
          break;
        }
        subs.assign(subscriptions_.begin() + static_cast<std::ptrdiff_t>(applied), subscriptions_.end());
        applied = subscriptions_.size();
      }
      for (const auto& [filter, qos] : subs) {
        if (auto r = subscribe_now(filter, qos); !r) {
          abandon_link(r.error());
          return r;
        }
      }
    }
    spdlog::info("mqtt {}: connected to {}", opts_.client_id, opts_.server_uri);
    if (connection_handler_ && !stopping_) connection_handler_(true, Error{});
    return {};
  }

  const ClientOptions opts_;
  Endpoint endpoint_;
  std::unique_ptr<::mqtt::async_client> client_;
  MessageHandler message_handler_;
  ConnectionHandler connection_handler_;
  std::thread connector_;

  // mu_ guards everything below; owner: this client. Never held while calling into Paho.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  bool need_connect_ = true;
  std::uint64_t losses_ = 0;             // connection-lost events so far
  std::uint64_t losses_at_attempt_ = 0;  // losses_ when the current connect attempt began
  bool link_up_ = false;    // CONNACK received and not lost since: publish() is allowed
  bool connected_ = false;  // link up and subscriptions applied: reported as connected
  std::uint64_t generation_ = 0;
  std::uint64_t next_id_ = 0;
  std::size_t inflight_ = 0;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::deque<Outgoing> queue_;
  std::vector<std::pair<std::string, int>> subscriptions_;

  std::mutex tls_error_mu_;
  std::string last_tls_error_;
};

}  // namespace

TlsFiles tls_files_in(const std::filesystem::path& dir) {
  return {dir / "ca.crt", dir / "client.crt", dir / "client.key"};
}

std::unique_ptr<Client> make_paho_client(ClientOptions options) {
  return std::make_unique<PahoClient>(std::move(options));
}

}  // namespace fb::mqtt
