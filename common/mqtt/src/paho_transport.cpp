#include "fb/mqtt/paho_transport.hpp"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "fb/async/io_thread.hpp"
#include "fb/mqtt/tcp_nodelay.hpp"

namespace fb::mqtt {
namespace {

std::string describe(const ::mqtt::exception& e) {
  return std::string(e.what()) + " (rc " + std::to_string(e.get_return_code()) + ")";
}

// What Paho's threads reach: the completions waiting for their token and the event handlers,
// under one mutex, so that close() can cut them all off at once. Completions and events only
// post, so holding the mutex while calling them is short; Paho is never called under it.
struct Sink final : ::mqtt::iaction_listener {
  enum class Kind { connect, subscribe, publish, disconnect };
  struct Op {
    Kind kind;
    std::string what;  // URI, filter or topic, for error details
    Transport::ConnectDone connected;
    Transport::Done done;
    std::function<void()> disconnected;
  };

  std::mutex mu;
  bool closed = false;
  Transport::Events events;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, Op> ops;
  Endpoint endpoint;
  // Which Paho client is current (PahoTransport::renew() counts them); events of an earlier
  // one are stale. Under mu.
  std::uint64_t generation = 0;
  // The next connect gets a fresh Paho client: the link was lost, or the network said to be up.
  bool renew_next = false;

  void* add(Op op) {
    std::lock_guard lock(mu);
    const auto id = ++next_id;
    ops.emplace(id, std::move(op));
    // Paho's user context is a void*; ours is a number, never dereferenced.
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));  // NOLINT(performance-no-int-to-ptr)
  }

  // With mu held.
  std::optional<Op> take(void* context) {
    if (closed) return std::nullopt;
    auto it = ops.find(reinterpret_cast<std::uintptr_t>(context));
    if (it == ops.end()) return std::nullopt;
    auto op = std::move(it->second);
    ops.erase(it);
    return op;
  }

  static void finish(Op& op, Error e, bool session_present = false) {
    switch (op.kind) {
      case Kind::connect: return op.connected(std::move(e), session_present);
      case Kind::disconnect: return op.disconnected();
      default: return op.done(std::move(e));
    }
  }

  // A call into Paho threw: its token will never complete.
  void fail(void* context, Error e) {
    std::lock_guard lock(mu);
    if (auto op = take(context)) finish(*op, std::move(e));
  }

  // The current client is being destroyed: its tokens will never complete, its events are stale.
  void end_generation() {
    std::lock_guard lock(mu);
    ++generation;
    auto pending = std::exchange(ops, {});
    for (auto& [id, op] : pending) {
      finish(op, Error(MqttErrc::not_connected, op.what + ": the link this was sent on is gone"));
    }
  }

  void on_success(const ::mqtt::token& tok) override {
    if (tok.get_type() == ::mqtt::token::Type::CONNECT) {
      // Paho C 1.3 leaves Nagle on: every QoS 1 exchange would wait for a delayed ACK. Found by
      // the broker's port, not its name: a DNS lookup here would hold Paho's global lock for as
      // long as the resolver takes. Paho calls this twice for a connect; the second finds the
      // operation gone.
      bool pending = false;
      {
        std::lock_guard lock(mu);
        pending = !closed && ops.contains(reinterpret_cast<std::uintptr_t>(tok.get_user_context()));
      }
      if (pending) set_tcp_nodelay_to_port(endpoint.port);
    }
    std::lock_guard lock(mu);
    auto op = take(tok.get_user_context());
    if (!op) return;
    try {
      if (op->kind == Kind::connect) return finish(*op, Error{}, tok.get_connect_response().is_session_present());
      if (op->kind == Kind::subscribe) {
        const auto response = tok.get_subscribe_response();  // by value: the codes live in it
        for (const auto code : response.get_reason_codes()) {
          if (code >= 0x80) {
            return finish(*op, Error(MqttErrc::subscribe_failed,
                                     op->what + ": refused by broker (reason code " + std::to_string(int(code)) + ")"));
          }
        }
      }
      finish(*op, Error{});
    } catch (const ::mqtt::exception& e) {
      finish(*op, failure(*op, tok, &e));
    }
  }

  void on_failure(const ::mqtt::token& tok) override {
    std::lock_guard lock(mu);
    auto op = take(tok.get_user_context());
    if (!op) return;
    // Paho C++ 1.2 gives a failed token's message only through the exception its getters throw.
    std::optional<::mqtt::exception> thrown;
    try {
      if (op->kind == Kind::connect) (void)tok.get_connect_response();
      if (op->kind == Kind::subscribe) (void)tok.get_subscribe_response();
    } catch (const ::mqtt::exception& e) {
      thrown = e;
    } catch (...) {
    }
    finish(*op, failure(*op, tok, thrown ? &*thrown : nullptr));
  }

  Error failure(const Op& op, const ::mqtt::token& tok, const ::mqtt::exception* e) const {
    std::string detail = op.what + ": " + (e ? describe(*e) : "rc " + std::to_string(tok.get_return_code()));
    if (tok.get_reason_code() >= 0x80) {
      detail += " (reason code " + std::to_string(int(tok.get_reason_code())) + ": " +
                ::mqtt::exception::reason_code_str(tok.get_reason_code()) + ")";
    }
    switch (op.kind) {
      case Kind::connect:
        if (endpoint.tls) detail += " (TLS: check the broker's certificate against our CA, and ours against its)";
        return Error(MqttErrc::connect_failed, detail);
      case Kind::subscribe: return Error(MqttErrc::subscribe_failed, detail);
      default: return Error(MqttErrc::publish_failed, detail);
    }
  }
};

// Why a fresh Paho client for the attempt after a lost link or network_up() (issue 8: the first
// queued report out within 1 s of the broker coming back). Paho C 1.3.11's receive thread waits
// in poll() for readable sockets only, 1 s at a time (after the first socket it ever found
// ready), on a copy of its socket set taken before the wait. A socket whose TCP connect
// completes is writable, not readable, so the receive thread notices it (and starts the TLS
// handshake) only when such a poll() ends: up to 1.1 s after the connect (upstream issue 1430,
// fixed by pull request 1642, not in Debian). Until it first finds a socket ready, the thread
// waits 10 ms at a time. Paho stops its threads when the process's last client is destroyed and
// starts new ones at the next MQTTAsync_connect; so, when this is the process's only Paho client
// (the car: fb-car, the head-unit app), a client destroyed and made anew before the attempt
// meets a receive thread that notices the connect within about 0.1 s. With other clients alive
// the threads keep running: no gain, no harm. Plain retries in the backoff keep their client:
// every renewal costs Paho a little memory it never frees (its socket lists, an OpenSSL ex-data
// index) and blocks 0.1-0.2 s while Paho's threads stop, on a thread of our own (paho_).
class PahoTransport final : public Transport {
 public:
  PahoTransport(const ClientOptions& o, const Endpoint& ep, const ::mqtt::create_options& create,
                std::unique_ptr<::mqtt::async_client> client)
      : options_(o),
        create_(create),
        sink_(std::make_shared<Sink>()),
        client_(std::move(client)) {
    sink_->endpoint = ep;
    set_handlers();
  }

  ~PahoTransport() override {
    close(std::chrono::seconds(2));
    // Paho's threads are done with the sink's listener once the client is destroyed.
    paho_.call([this] { client_.reset(); });
    paho_.join();
  }

  void set_events(Events events) override {
    std::lock_guard lock(sink_->mu);
    sink_->events = std::move(events);
  }

  void connect(const ConnectParams& p, ConnectDone done) override {
    on_paho([this, p, done = std::move(done)]() mutable {
      if (!client_ || (used_ && take_renew_next())) renew();
      used_ = true;
      auto* ctx = sink_->add({Sink::Kind::connect, options_.server_uri, std::move(done), {}, {}});
      try {
        auto opts = connect_options(p);
        if (p.version == ProtocolVersion::v5) {
          // Set on the object Paho reads: connect_options' copies keep pointing at the original's
          // properties (Paho C++ 1.2), which are gone by now; connect() copies them into Paho C.
          opts.set_properties(
              {{::mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int>(p.session_expiry.count())}});
        }
        if (p.will) {
          opts.set_will(
              ::mqtt::will_options(p.will->topic, p.will->payload, static_cast<int>(p.will->qos), p.will->retain));
        }
        client().connect(opts, ctx, *sink_);
      } catch (const ::mqtt::exception& e) {
        sink_->fail(ctx, Error(MqttErrc::connect_failed, options_.server_uri + ": " + describe(e)));
      }
    });
  }

  void network_up() override {
    std::lock_guard lock(sink_->mu);
    sink_->renew_next = true;
  }

  void subscribe(const std::string& filter, QoS qos, Done done) override {
    on_paho([this, filter, qos, done = std::move(done)]() mutable {
      auto* ctx = sink_->add({Sink::Kind::subscribe, filter, {}, std::move(done), {}});
      try {
        client().subscribe(filter, static_cast<int>(qos), ctx, *sink_);
      } catch (const ::mqtt::exception& e) {
        sink_->fail(ctx, Error(MqttErrc::subscribe_failed, filter + ": " + describe(e)));
      }
    });
  }

  void publish(const std::string& topic, const std::string& payload, QoS qos, const PublishProps& props,
               Done done) override {
    on_paho([this, topic, payload, qos, props, done = std::move(done)]() mutable {
      auto* ctx = sink_->add({Sink::Kind::publish, topic, {}, std::move(done), {}});
      try {
        auto message = ::mqtt::make_message(topic, payload, static_cast<int>(qos), props.retain);
        if (options_.version == ProtocolVersion::v5 && props.message_expiry.count() > 0) {
          message->set_properties(
              {{::mqtt::property::MESSAGE_EXPIRY_INTERVAL,
                static_cast<int>(std::min<std::int64_t>(props.message_expiry.count(), INT32_MAX))}});
        }
        client().publish(message, ctx, *sink_);
      } catch (const ::mqtt::exception& e) {
        sink_->fail(ctx, Error(MqttErrc::publish_failed, topic + ": " + describe(e)));
      }
    });
  }

  void disconnect(std::chrono::milliseconds timeout, std::function<void()> done) override {
    on_paho([this, timeout, done = std::move(done)]() mutable {
      auto* ctx = sink_->add({Sink::Kind::disconnect, {}, {}, {}, std::move(done)});
      try {
        client().disconnect(static_cast<int>(timeout.count()), ctx, *sink_);
      } catch (const ::mqtt::exception& e) {
        // Paho has no CONNACK (MQTTASYNC_DISCONNECTED): nothing to end, unless a connect is still
        // under way (a connect the caller gave up on). Paho would go on with it, and the next
        // connect on this client would join it and fail with its timeout: the next gets a fresh
        // client, whose making ends this one's attempt.
        if (used_) {
          std::lock_guard lock(sink_->mu);
          sink_->renew_next = true;
        }
        sink_->fail(ctx, Error{});
      }
    });
  }

  void close(std::chrono::milliseconds timeout) override {
    if (closed_) return;
    closed_ = true;
    paho_.call([this, timeout] {
      closing_ = true;
      try {
        if (client().is_connected()) client().disconnect(static_cast<int>(timeout.count()))->wait_for(timeout);
      } catch (const ::mqtt::exception& e) {
        spdlog::debug("mqtt {}: disconnect: {}", options_.client_id, e.what());
      }
      try {
        client().disable_callbacks();  // throws (rc -1) when Paho is still tearing the link down
      } catch (const ::mqtt::exception& e) {
        spdlog::debug("mqtt {}: disable callbacks: {}", options_.client_id, e.what());
      }
    });
    std::lock_guard lock(sink_->mu);
    sink_->closed = true;
    sink_->events = {};
    sink_->ops.clear();
  }

 private:
  // Runs `f` on paho_, unless close() has begun there.
  template <typename F>
  void on_paho(F f) {
    boost::asio::post(paho_.strand(), [this, f = std::move(f)]() mutable {
      if (!closing_) f();
    });
  }

  std::uint64_t current_generation() const {
    std::lock_guard lock(sink_->mu);
    return sink_->generation;
  }

  bool take_renew_next() {
    std::lock_guard lock(sink_->mu);
    return std::exchange(sink_->renew_next, false);
  }

  // On paho_: replaces the client by a fresh one. The old one's pending tokens fail with
  // not_connected (the publish window has written them off with the link, and the caller's own
  // resend covers them: Paho's resend within its session goes with the old client); its late
  // events are ignored.
  void renew() {
    sink_->end_generation();
    if (client_) {
      try {
        client_->disable_callbacks();
      } catch (const ::mqtt::exception&) {
        // Still tearing the link down: end it, then try again.
        try {
          client_->disconnect(0)->wait_for(std::chrono::seconds(1));
          client_->disable_callbacks();
        } catch (const ::mqtt::exception& e) {
          spdlog::debug("mqtt {}: disable callbacks: {}", options_.client_id, e.what());
        }
      }
      client_.reset();  // the process's last Paho client: Paho's threads stop in here
    }
    try {
      client_ = std::make_unique<::mqtt::async_client>(options_.server_uri, options_.client_id, create_, nullptr);
      set_handlers();
    } catch (const ::mqtt::exception& e) {
      // The same arguments were accepted at start: only a failed allocation gets here. The
      // calls fail until the next attempt tries again.
      spdlog::error("mqtt {}: new Paho client: {}", options_.client_id, e.what());
      client_.reset();
    }
    used_ = false;
  }

  // Throws like a Paho call when renew() could not make a client.
  ::mqtt::async_client& client() {
    if (!client_) throw ::mqtt::exception(MQTTASYNC_FAILURE);
    return *client_;
  }

  // The handlers hold the sink, not this: Paho may still be inside one while we are destroyed.
  void set_handlers() {
    const auto generation = current_generation();
    client_->set_message_callback([s = sink_, generation](const ::mqtt::const_message_ptr& m) {
      std::lock_guard lock(s->mu);
      if (!s->closed && s->generation == generation && s->events.message) {
        s->events.message(Message{m->get_topic(), m->get_payload_str(),
                                  m->get_qos() == 0 ? QoS::at_most_once : QoS::at_least_once, m->is_retained()});
      }
    });
    client_->set_connection_lost_handler([s = sink_, generation](const std::string& cause) {
      std::lock_guard lock(s->mu);
      if (s->closed || s->generation != generation) return;
      if (s->events.lost) s->events.lost(cause);
      s->renew_next = true;
    });
    client_->set_connected_handler([s = sink_, generation](const std::string&) {
      std::lock_guard lock(s->mu);
      if (!s->closed && s->generation == generation && s->events.connected) s->events.connected();
    });
  }

  ::mqtt::connect_options connect_options(const ConnectParams& p) const {
    auto b = ::mqtt::connect_options_builder();
    if (p.version == ProtocolVersion::v5) {
      // mqtt_version() first: for v5 it clears clean_session, which v5 refuses.
      b.mqtt_version(MQTTVERSION_5).clean_start(p.clean_start);  // session expiry: see connect()
    } else {
      b.mqtt_version(MQTTVERSION_3_1_1).clean_session(p.clean_start);  // no silent fallback to 3.1
    }
    b.keep_alive_interval(p.keep_alive)
        .connect_timeout(p.connect_timeout)
        .automatic_reconnect(false)
        .max_inflight(static_cast<int>(options_.max_inflight + 16));
    if (!options_.username.empty()) b.user_name(options_.username).password(options_.password);
    if (sink_->endpoint.tls) {
      // No ssl error_handler: Paho C++ 1.2 hands Paho C a pointer to the ssl_options inside the
      // connect_options copy that connect() takes by value, which is gone by the handshake.
      b.ssl(::mqtt::ssl_options_builder()
                .trust_store(options_.tls.ca_file.string())
                .key_store(options_.tls.cert_file.string())
                .private_key(options_.tls.key_file.string())
                .enable_server_cert_auth(true)
                .verify(true)
                .finalize());
    }
    return b.finalize();
  }

  const ClientOptions options_;
  const ::mqtt::create_options create_;
  std::shared_ptr<Sink> sink_;  // declared before client_: outlives it
  // The one thread that calls Paho after construction and destroys its clients (see above).
  // Transport calls are posted to it in order; the Paho client and the members below are its own.
  IoThread paho_{1, "paho-calls"};
  std::unique_ptr<::mqtt::async_client> client_;
  bool used_ = false;     // client_ has been asked to connect
  bool closing_ = false;  // close() has begun: no more Paho calls but its own
  bool closed_ = false;   // on the caller's executor
};

}  // namespace

Result<std::unique_ptr<Transport>> make_paho_transport(const ClientOptions& o, const Endpoint& ep) {
  try {
    // Paho's own buffer must never be the bound: the publish window bounds in-flight and queued.
    auto create = ::mqtt::create_options_builder()
                      .mqtt_version(o.version == ProtocolVersion::v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1)
                      .max_buffered_messages(static_cast<int>(o.max_inflight + 16))
                      .send_while_disconnected(false)
                      .finalize();
    auto client = std::make_unique<::mqtt::async_client>(o.server_uri, o.client_id, create, nullptr);
    return std::make_unique<PahoTransport>(o, ep, create, std::move(client));
  } catch (const ::mqtt::exception& e) {
    return fail(MqttErrc::invalid_argument, o.server_uri + ": " + describe(e));
  }
}

std::unique_ptr<Client> make_paho_client(boost::asio::any_io_executor executor, const Clock& clock,
                                         ClientOptions options) {
  return make_client(std::move(executor), clock, std::move(options), TransportFactory(&make_paho_transport));
}

}  // namespace fb::mqtt
