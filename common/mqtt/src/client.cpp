// fb::mqtt::Client over a Transport: the reconnect loop, the publish window and the
// subscription registry, composed on the client's executor.
#include <spdlog/spdlog.h>

#include <atomic>
#include <bit>
#include <future>

#include "fb/mqtt/publish_window.hpp"
#include "fb/mqtt/reconnect_loop.hpp"
#include "fb/mqtt/subscription_registry.hpp"
#include "fb/mqtt/transport.hpp"

namespace fb::mqtt {
namespace {

class TransportClient;

// How long the transport may take to end a link we cannot use (Transport::disconnect's timeout).
constexpr std::chrono::milliseconds kAbandonWait{1000};

// What the transport's threads reach. Work they post runs only while `self` is set; it is read
// and cleared on the executor only (stop()), so nothing runs after stop() or destruction.
struct Shared {
  TransportClient* self = nullptr;
  std::atomic<std::size_t> undelivered{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> refused{0};
};

// Posts `f(client)` from any thread; it runs only if the client is still live by then.
template <typename F>
void hand_over(const std::shared_ptr<Shared>& shared, const boost::asio::any_io_executor& executor, F f) {
  boost::asio::post(executor, [shared, f = std::move(f)]() mutable {
    if (shared->self) f(*shared->self);
  });
}

class TransportClient final : public Client {
 public:
  // executor_ is declared first: the parts below are made on it (never on the moved-from argument).
  TransportClient(boost::asio::any_io_executor executor, const Clock& clock, ClientOptions options,
                  TransportFactory factory, ReconnectLoop::Jitter jitter)
      : executor_(std::move(executor)),
        opts_(std::move(options)),
        factory_(std::move(factory)),
        shared_(std::make_shared<Shared>()),
        loop_(
            executor_, clock, opts_.reconnect_min, opts_.reconnect_max, [this] { attempt(); }, std::move(jitter)),
        window_(executor_, clock, {opts_.max_inflight, opts_.max_queued, opts_.publish_timeout},
                [this](std::uint64_t id, const std::string& topic, const std::string& payload, QoS qos,
                       const PublishProps& props) { send(id, topic, payload, qos, props); }),
        registry_([this](const std::string& filter, QoS qos,
                         std::function<void(Error)> done) { subscribe_on_transport(filter, qos, std::move(done)); },
                  [this](const Error& e) { subscriptions_applied(e); }),
        watchdog_(executor_, clock) {
    shared_->self = this;
  }

  ~TransportClient() override { stop(); }

  void on_message(MessageHandler h) override { message_handler_ = std::move(h); }
  void on_connection(ConnectionHandler h) override { connection_handler_ = std::move(h); }
  void set_admission(Admission admit) override { admit_ = std::move(admit); }
  void set_intake(Intake take) override { intake_ = std::move(take); }

  Result<void> start() override {
    if (stopped_) return fail(MqttErrc::shutting_down, "client stopped");
    if (transport_) return fail(MqttErrc::invalid_argument, "client already started");
    auto endpoint = check_options(opts_);
    if (!endpoint) return fail(endpoint.error());
    auto transport = factory_(opts_, *endpoint);
    if (!transport) return fail(transport.error());
    transport_ = std::move(*transport);
    params_ = connect_params(opts_);
    transport_->set_events(events());
    loop_.start();
    return {};
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    shared_->self = nullptr;
    loop_.stop();
    watchdog_.cancel();
    if (transport_) {
      spdlog::info("mqtt {}: stopping", opts_.client_id);
      if (link_ == Link::subscribing || link_ == Link::connected) say_goodbye();
      transport_->close(opts_.connect_timeout);
    }
    window_.stop();
    registry_.link_down();
    link_ = Link::down;
  }

  void subscribe(std::string filter, QoS qos) override {
    if (!stopped_) registry_.add(std::move(filter), qos);
  }

  using Sender::publish;
  void publish(std::string topic, std::string payload, QoS qos, PublishProps props, PublishHandler done) override {
    window_.publish(std::move(topic), std::move(payload), qos, std::move(done), props);
  }

  void network_up() override {
    if (stopped_ || !transport_) return;
    spdlog::info("mqtt {}: network up", opts_.client_id);
    transport_->network_up();  // before the attempt it may start
    loop_.network_up();
  }

  bool connected() const override { return link_ == Link::connected; }

  ClientStats stats() const override {
    auto s = stats_;
    s.dropped_undelivered = shared_->dropped.load();
    s.refused_by_admission = shared_->refused.load();
    s.publish_timeouts = window_.timeouts();
    return s;
  }

  const boost::asio::any_io_executor& get_executor() const override { return executor_; }

 private:
  enum class Link {
    down,         // idle, or waiting for the next attempt
    connecting,   // CONNECT sent, no CONNACK yet
    subscribing,  // CONNACK: publishing allowed, subscriptions being applied
    connected,    // every subscription applied
    abandoning,   // dropping a link we cannot use, before the next attempt
  };

  Transport::Events events() {
    Transport::Events ev;
    ev.lost = [s = shared_, ex = executor_](std::string cause) {
      hand_over(s, ex, [cause = std::move(cause)](TransportClient& c) { c.on_lost(cause); });
    };
    ev.connected = [s = shared_, ex = executor_] { hand_over(s, ex, [](TransportClient& c) { c.on_connack(); }); };
    ev.message = [s = shared_, ex = executor_, max = opts_.max_undelivered, id = opts_.client_id, admit = admit_,
                  take = intake_](Message m) {
      // Before the bound: what is not wanted never takes the room of what is.
      if (admit && !admit(m)) {
        s->refused.fetch_add(1);
        return;
      }
      if (take) return take(std::move(m));  // may wait: back-pressure on the broker
      if (s->undelivered.fetch_add(1) >= max) {
        s->undelivered.fetch_sub(1);
        const auto n = s->dropped.fetch_add(1) + 1;
        if (std::has_single_bit(n)) {
          spdlog::warn("mqtt {}: {} received messages dropped: more than {} waiting for the handler", id, n, max);
        }
        return;
      }
      boost::asio::post(ex, [s, m = std::move(m)]() mutable {
        s->undelivered.fetch_sub(1);
        if (s->self) s->self->deliver(std::move(m));
      });
    };
    return ev;
  }

  void attempt() {
    const auto id = ++attempt_;
    link_ = Link::connecting;
    watchdog_.arm_after(opts_.connect_timeout + std::chrono::seconds(1),
                        [this] { abandon(Error(MqttErrc::connect_failed, "no CONNACK from " + opts_.server_uri)); });
    transport_->connect(params_, [s = shared_, ex = executor_, id](Error e, bool) {
      hand_over(s, ex, [id, e = std::move(e)](TransportClient& c) { c.on_connect_done(id, e); });
    });
  }

  void on_connect_done(std::uint64_t id, const Error& e) {
    if (id != attempt_) return;  // an attempt given up already
    if (e.code) {
      if (link_ == Link::connecting || link_ == Link::subscribing) attempt_failed(e);
      return;
    }
    if (link_ == Link::connecting) link_opened();
  }

  // Paho's connected handler can run before the connect token completes; either opens the link.
  void on_connack() {
    if (link_ == Link::connecting) link_opened();
  }

  void link_opened() {
    link_ = Link::subscribing;
    watchdog_.arm_after(opts_.connect_timeout, [this] {
      abandon(Error(MqttErrc::subscribe_failed,
                    "no SUBACK within " + std::to_string(opts_.connect_timeout.count()) + " s"));
    });
    window_.link_up();
    registry_.link_up();  // with no filters, subscriptions_applied() runs in here
  }

  void subscriptions_applied(const Error& e) {
    if (e.code) return abandon(e);
    if (link_ != Link::subscribing) return;  // a filter added while connected
    link_ = Link::connected;
    watchdog_.cancel();
    loop_.connected();
    ++stats_.connects;
    spdlog::info("mqtt {}: connected to {}", opts_.client_id, opts_.server_uri);
    report(true, Error{});
  }

  void on_lost(const std::string& cause) {
    switch (link_) {
      case Link::connecting:
        return attempt_failed(Error(MqttErrc::connect_failed, "connection lost while connecting: " + cause));
      case Link::subscribing:
        return attempt_failed(Error(MqttErrc::connect_failed, "connection lost while subscribing: " + cause));
      case Link::connected: {
        const Error why(MqttErrc::not_connected, cause.empty() ? "connection lost" : cause);
        spdlog::warn("mqtt {}: connection lost: {}", opts_.client_id, why.detail);
        link_down(why);
        report(false, why);
        return loop_.lost();  // no-op if the handler stopped us
      }
      default: return;
    }
  }

  // The will's message from ourselves (Will::on_clean_stop), its PUBACK awaited here: stop() is
  // the one place that may block, and the transport completes on its own threads.
  void say_goodbye() {
    if (!opts_.will || !opts_.will->on_clean_stop) return;
    const auto& w = *opts_.will;
    auto acked = std::make_shared<std::promise<Error>>();
    auto answer = acked->get_future();
    transport_->publish(w.topic, w.payload, QoS::at_least_once, PublishProps{.retain = w.retain},
                        [acked](Error e) { acked->set_value(std::move(e)); });
    if (answer.wait_for(opts_.connect_timeout) != std::future_status::ready) {
      spdlog::warn("mqtt {}: no PUBACK for {} within {} s", opts_.client_id, w.topic, opts_.connect_timeout.count());
    } else if (const auto e = answer.get(); e.code) {
      spdlog::warn("mqtt {}: {} not published: {}", opts_.client_id, w.topic, e.what());
    }
  }

  // An attempt that did not get us connected, with no link left to drop.
  void attempt_failed(const Error& why) {
    link_down(why);
    ++stats_.connect_failures;
    loop_.failed();
    spdlog::warn("mqtt {}: {}; retry in {} ms", opts_.client_id, why.what(), loop_.last_wait().count());
    report(false, why);
  }

  // A link (or attempt) we cannot use: a refused subscription, no CONNACK or SUBACK in time.
  void abandon(const Error& why) {
    link_down(why);
    link_ = Link::abandoning;
    ++stats_.connect_failures;
    spdlog::warn("mqtt {}: {}; dropping the link", opts_.client_id, why.what());
    transport_->disconnect(kAbandonWait, [s = shared_, ex = executor_, id = attempt_] {
      hand_over(s, ex, [id](TransportClient& c) { c.on_abandoned(id); });
    });
    // The transport's word is all that ends the wait: should it never come (a library that drops
    // the request), the car would stay offline for good. After a bound, the next attempt goes
    // ahead on a fresh link (network_up(): the Paho transport makes a new client).
    watchdog_.arm_after(kAbandonWait + opts_.connect_timeout, [this, id = attempt_] {
      spdlog::warn("mqtt {}: the link was not let go of within {} s; the next attempt starts afresh", opts_.client_id,
                   std::chrono::duration_cast<std::chrono::seconds>(kAbandonWait + opts_.connect_timeout).count());
      transport_->network_up();
      on_abandoned(id);
    });
    report(false, why);
  }

  // The next attempt only once the transport has let go of the last one (or the wait for it ended).
  void on_abandoned(std::uint64_t id) {
    if (id != attempt_ || link_ != Link::abandoning) return;
    watchdog_.cancel();
    link_ = Link::down;
    loop_.failed();
    spdlog::info("mqtt {}: retry in {} ms", opts_.client_id, loop_.last_wait().count());
  }

  void link_down(const Error& why) {
    ++attempt_;  // answers to the old attempt are stale from here on
    watchdog_.cancel();
    link_ = Link::down;
    registry_.link_down();
    // Publishers are told the link is down, whatever took it down.
    window_.link_down(
        why.code == make_error_code(MqttErrc::not_connected) ? why : Error(MqttErrc::not_connected, why.what()));
  }

  void report(bool up, const Error& why) {
    if (connection_handler_ && !stopped_) connection_handler_(up, why);
  }

  void deliver(Message m) {
    if (message_handler_ && !stopped_) message_handler_(std::move(m));
  }

  void send(std::uint64_t id, const std::string& topic, const std::string& payload, QoS qos,
            const PublishProps& props) {
    transport_->publish(topic, payload, qos, props, [s = shared_, ex = executor_, id](Error e) {
      hand_over(s, ex, [id, e = std::move(e)](TransportClient& c) mutable { c.window_.acked(id, std::move(e)); });
    });
  }

  void subscribe_on_transport(const std::string& filter, QoS qos, std::function<void(Error)> done) {
    transport_->subscribe(filter, qos, [s = shared_, ex = executor_, done = std::move(done)](Error e) mutable {
      hand_over(s, ex, [done = std::move(done), e = std::move(e)](TransportClient&) mutable { done(std::move(e)); });
    });
  }

  boost::asio::any_io_executor executor_;
  const ClientOptions opts_;
  TransportFactory factory_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Transport> transport_;
  ConnectParams params_;
  ReconnectLoop loop_;
  PublishWindow window_;
  SubscriptionRegistry registry_;
  Timer watchdog_;  // CONNACK, then every SUBACK, within connect_timeout; an abandoned link's release
  MessageHandler message_handler_;
  ConnectionHandler connection_handler_;
  Admission admit_;  // copied into the transport's message event at start()
  Intake intake_;    // the same
  Link link_ = Link::down;
  std::uint64_t attempt_ = 0;
  bool stopped_ = false;
  ClientStats stats_;
};

}  // namespace

std::unique_ptr<Client> make_client(boost::asio::any_io_executor executor, const Clock& clock, ClientOptions options,
                                    TransportFactory factory, ReconnectLoop::Jitter jitter) {
  return std::make_unique<TransportClient>(std::move(executor), clock, std::move(options), std::move(factory),
                                           std::move(jitter));
}

std::unique_ptr<Client> make_client(boost::asio::any_io_executor executor, const Clock& clock, ClientOptions options,
                                    std::unique_ptr<Transport> transport, ReconnectLoop::Jitter jitter) {
  auto shared = std::make_shared<std::unique_ptr<Transport>>(std::move(transport));
  return make_client(
      std::move(executor), clock, std::move(options),
      [shared](const ClientOptions&, const Endpoint&) -> Result<std::unique_ptr<Transport>> {
        if (!*shared) return fail(MqttErrc::invalid_argument, "transport already used");
        return std::move(*shared);
      },
      std::move(jitter));
}

}  // namespace fb::mqtt
