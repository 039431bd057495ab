// The MQTT client interface used by the head unit and the backend, and its Paho implementation.
//
// One completion rule for every asynchronous operation (as in Boost.MQTT5):
//  - A client belongs to one executor (its owner's strand), given at construction. Every member
//    function is called on that executor, and every handler (message, connection, publish
//    completion) runs on it, never inline inside the call that started the operation.
//  - Paho's threads only hand over: they post to the executor and return.
//  - Every publish completion runs exactly once, with an empty Error on success.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "fb/asio.hpp"
#include "fb/common/clock.hpp"
#include "fb/common/error.hpp"

namespace fb::mqtt {

/// Delivery guarantee of a publish or a subscription.
enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1 };

/// Protocol spoken with the broker. v5 brings reason codes, session and message expiry and
/// shared subscriptions; v3_1_1 is the default and keeps working.
enum class ProtocolVersion : std::uint8_t { v3_1_1, v5 };

struct TlsFiles {
  std::filesystem::path ca_file;    // CA that signed the broker certificate
  std::filesystem::path cert_file;  // our client certificate (CN = VIN or service name)
  std::filesystem::path key_file;   // its private key
};

/// The files deploy/gen-certs.sh writes for one identity: <dir>/{ca.crt,client.crt,client.key},
/// e.g. <pki>/vehicles/<VIN> or <pki>/backend.
TlsFiles tls_files_in(const std::filesystem::path& dir);

/// The message the broker publishes for us when our link ends without a DISCONNECT (a crash, a
/// dead network: the keep-alive runs out). A clean stop() publishes it itself only when
/// `on_clean_stop` says so.
struct Will {
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_least_once;
  bool retain = true;
  /// A clean stop() while the broker has accepted us publishes this message itself (QoS 1 and
  /// `retain` as above) and waits for its PUBACK before the DISCONNECT, so that the topic says the
  /// same after a normal shutdown as after a crash: the broker drops the will on a DISCONNECT.
  bool on_clean_stop = false;
};

struct ClientOptions {
  std::string server_uri;  // "ssl://127.0.0.1:8883"; tcp:// only for local tools
  std::string client_id;
  TlsFiles tls;
  /// MQTT user name and password, for a broker that authenticates by password (the benchmark's
  /// plain-TCP listener). Empty: none sent; with TLS the certificate is the identity.
  std::string username;
  std::string password;
  ProtocolVersion version = ProtocolVersion::v3_1_1;
  /// false: the broker keeps our subscriptions and queues QoS 1 messages while we are away
  /// (v5: clean start off, with session_expiry below).
  bool clean_session = false;
  /// v5 only: how long the broker keeps our session after we disconnect.
  std::chrono::seconds session_expiry{7 * 24 * 3600};
  std::chrono::seconds keep_alive{30};
  /// An attempt without CONNACK within this (+1 s), or without every SUBACK within it after the
  /// CONNACK, is abandoned and retried; the transport then has 1 s + this to let go of the link
  /// before the next attempt goes ahead without it, on a fresh link.
  std::chrono::seconds connect_timeout{10};
  /// Reconnect backoff with full jitter: after the n-th failed attempt in a row, a wait drawn
  /// uniformly from [0, min(reconnect_max, reconnect_min * 2^(n-1))]; reset on success and by
  /// network_up().
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{30000};
  /// Publishes handed to Paho and not yet acknowledged by the broker (QoS 1 PUBACK).
  std::size_t max_inflight = 64;
  /// Publishes waiting in the client for an in-flight slot; beyond this publish fails at once.
  std::size_t max_queued = 10000;
  /// A QoS 1 publish without PUBACK for this long fails with publish_failed (its slot is freed).
  std::chrono::milliseconds publish_timeout{30000};
  /// Received messages handed over by Paho and not yet given to the message handler; beyond
  /// this, messages are dropped and counted (the broker has PUBACKed them already, so the
  /// sender's own resend must cover them).
  std::size_t max_undelivered = 10000;
  /// Set on every CONNECT. Empty: none.
  std::optional<Will> will;
};

struct Message {
  std::string topic;
  std::string payload;
  /// As delivered: the lower of the publisher's QoS and the subscription's.
  QoS qos = QoS::at_least_once;
  /// A retained value the broker replays on subscribe (not a live publish).
  bool retained = false;
};

/// How one message is published, beyond its QoS.
struct PublishProps {
  /// The broker keeps it as the topic's last value for later subscribers.
  bool retain = false;
  /// MQTT 5 Message Expiry Interval: the broker drops the message once it has waited this long
  /// for a subscriber (offline, or a retained value grown stale). 0: it never expires. Ignored
  /// on 3.1.1.
  std::chrono::seconds message_expiry{0};
};

/// The sending half.
class Sender {
 public:
  /// Error::code empty on success (QoS 0: written; QoS 1: PUBACK received), otherwise why not:
  /// not_connected, publish_failed (queue full, refused, no PUBACK in time), shutting_down.
  using PublishHandler = std::function<void(Error)>;

  virtual ~Sender() = default;
  /// Publishes; `done` runs exactly once on the client's executor. Allowed from the broker's
  /// CONNACK on (before our subscriptions are applied: a persistent session's backlog may
  /// already be arriving, and answers to it must not be refused). Offline: not_connected.
  virtual void publish(std::string topic, std::string payload, QoS qos, PublishProps props, PublishHandler done) = 0;
  /// The same, not retained, never expiring.
  void publish(std::string topic, std::string payload, QoS qos, PublishHandler done) {
    publish(std::move(topic), std::move(payload), qos, PublishProps{}, std::move(done));
  }
  /// Connected and every subscription applied.
  virtual bool connected() const = 0;
};

/// The receiving half.
class Receiver {
 public:
  using MessageHandler = std::function<void(Message)>;

  virtual ~Receiver() = default;
  /// Set before start().
  virtual void on_message(MessageHandler handler) = 0;
  /// Decides, on the library's receive thread and before a message counts against
  /// ClientOptions::max_undelivered or is handed over, whether it is wanted at all; `false`
  /// discards it there (the broker has acknowledged it already). For cheap checks that keep a
  /// flood out of the queue (a per-sender rate limit, QoS, retained). Must be thread-safe, must
  /// not block and must not call the client. Set before start(); none: every message is wanted.
  using Admission = std::function<bool(const Message&)>;
  virtual void set_admission(Admission admit) = 0;
  /// Back-pressure, opt-in: every admitted message goes to `take` on the library's receive
  /// thread, in arrival order, instead of to the message handler, and nothing is counted against
  /// max_undelivered. `take` may block while its owner has no room: the library then reads no
  /// more from the broker, which holds the rest (TCP flow control, then its own queue). While it
  /// blocks, no call into the client completes (Paho holds its global lock around the call), so
  /// `take` must never wait for anything that calls the client, and its wait must end when
  /// its owner stops. Set before start().
  using Intake = std::function<void(Message)>;
  virtual void set_intake(Intake take) = 0;
  /// Registers a filter, applied on every connect (now, if connected). The client reports
  /// connected only once every filter has its SUBACK; a refused filter (e.g. by the broker's
  /// ACL) is reported through the connection handler and the connect is retried with backoff.
  virtual void subscribe(std::string filter, QoS qos) = 0;
};

struct ClientStats {
  std::uint64_t connects = 0;  // successful connects (CONNACK and subscriptions)
  std::uint64_t connect_failures = 0;
  std::uint64_t dropped_undelivered = 0;   // beyond max_undelivered
  std::uint64_t refused_by_admission = 0;  // Receiver::set_admission said no
  std::uint64_t publish_timeouts = 0;
};

class Client : public Sender, public Receiver {
 public:
  /// connected = true once connected and subscribed; false on loss or a failed attempt (why
  /// says which). Set before start().
  using ConnectionHandler = std::function<void(bool connected, Error why)>;

  virtual void on_connection(ConnectionHandler handler) = 0;
  /// Checks the options (URI, client id, TLS files), then connects in the background and keeps
  /// reconnecting until stop(). Errors: invalid_argument, tls_setup. A failed start leaves
  /// nothing running.
  virtual Result<void> start() = 0;
  /// Disconnects and stops reconnecting. Queued and in-flight publishes complete with
  /// shutting_down (posted, as always); no message or connection handler runs after stop()
  /// returns. Idempotent. May block for the DISCONNECT (bounded by connect_timeout) and, with a
  /// Will::on_clean_stop, before it for that message's PUBACK (bounded by connect_timeout too).
  virtual void stop() = 0;
  /// The network is up again (e.g. the OS reports connectivity): while waiting to reconnect,
  /// the next attempt starts now and the backoff returns to its minimum; an attempt under way
  /// that then fails is retried at once. Connected, or not started: nothing. Never blocks.
  virtual void network_up() = 0;

  virtual ClientStats stats() const = 0;
  virtual const boost::asio::any_io_executor& get_executor() const = 0;
};

/// The Eclipse Paho C++ implementation: no Paho persistence (callers own durability),
/// TCP_NODELAY on its socket; reconnect backoff timed by `clock`. `clock` must outlive it.
std::unique_ptr<Client> make_paho_client(boost::asio::any_io_executor executor, const Clock& clock,
                                         ClientOptions options);

}  // namespace fb::mqtt
