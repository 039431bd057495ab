// The narrow seam between our client logic and an MQTT library (Paho's async_client in
// production, a fake in unit tests): connect, subscribe, publish, disconnect, and three events.
//
// Threads: a Transport is called from the client's executor only. Its completions and events
// run on threads of the library's choosing (Paho's), possibly inline inside the call that started
// them; they must only hand over (post) and return. After close() returns none of them runs.
// No member throws.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "fb/mqtt/client.hpp"
#include "fb/mqtt/options.hpp"
#include "fb/mqtt/reconnect_loop.hpp"

namespace fb::mqtt {

class Transport {
 public:
  /// Empty Error: done. Otherwise connect_failed (detail has the library's text and, for TLS,
  /// the handshake error), subscribe_failed (refused: SUBACK reason code >= 0x80, or no answer),
  /// publish_failed, not_connected.
  using Done = std::function<void(Error)>;
  using ConnectDone = std::function<void(Error, bool session_present)>;

  struct Events {
    std::function<void(std::string cause)> lost;  // an established link went down by itself
    std::function<void(Message)> message;
    std::function<void()> connected;  // CONNACK received (may come before connect's done)
  };

  virtual ~Transport() = default;

  /// Before the first connect().
  virtual void set_events(Events events) = 0;
  /// One attempt: TCP (+TLS) and CONNECT (with params.will, if any); `done` once, with the CONNACK or the failure.
  virtual void connect(const ConnectParams& params, ConnectDone done) = 0;
  virtual void subscribe(const std::string& filter, QoS qos, Done done) = 0;
  /// `done`: QoS 0 once written, QoS 1 on PUBACK, or the failure. `props.message_expiry` is
  /// sent on MQTT 5 only.
  virtual void publish(const std::string& topic, const std::string& payload, QoS qos, const PublishProps& props,
                       Done done) = 0;
  /// A hint that the network has just come up: the next connect() should be as quick as the
  /// library allows (the Paho transport makes it on a fresh client). The client also calls it
  /// when a link it dropped was never let go of (disconnect()'s `done` did not come): the next
  /// connect() must not reuse that link. Default: nothing.
  virtual void network_up() {}
  /// Ends the link (or an attempt in progress); `done` once, whatever happened.
  virtual void disconnect(std::chrono::milliseconds timeout, std::function<void()> done) = 0;
  /// Blocking, for shutdown: disconnects if connected (waiting at most `timeout`), then detaches
  /// every completion and event: none runs once this returns. Idempotent.
  virtual void close(std::chrono::milliseconds timeout) = 0;
};

/// Builds the transport once start() has checked the options.
using TransportFactory = std::function<Result<std::unique_ptr<Transport>>(const ClientOptions&, const Endpoint&)>;

/// The client logic (reconnect loop, publish window, subscription registry) over any transport,
/// on `executor`, its timers on `clock` (which must outlive it), its reconnect waits drawn by
/// `jitter`. See client.hpp for the contract.
std::unique_ptr<Client> make_client(boost::asio::any_io_executor executor, const Clock& clock, ClientOptions options,
                                    TransportFactory factory,
                                    ReconnectLoop::Jitter jitter = ReconnectLoop::uniform_jitter());
/// The same over one given transport (tests: a fake).
std::unique_ptr<Client> make_client(boost::asio::any_io_executor executor, const Clock& clock, ClientOptions options,
                                    std::unique_ptr<Transport> transport,
                                    ReconnectLoop::Jitter jitter = ReconnectLoop::uniform_jitter());

}  // namespace fb::mqtt
