// The MQTT client interface used by the head unit and the backend, and its Paho implementation.
//
// Threads:
//  - Handlers (message, connection) run on a Paho thread or on the client's connector thread.
//    They must be quick and must not call stop(); post the work to your own executor.
//  - publish() and connected() may be called from any thread; subscribe() from any thread but a
//    handler (it waits for the broker's answer).
//  - Every publish completion is called exactly once, on a Paho thread or on the caller's
//    thread (immediate failures), or from stop() with MqttErrc::shutting_down.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "fb/common/error.hpp"

namespace fb::mqtt {

struct TlsFiles {
  std::filesystem::path ca_file;    // CA that signed the broker certificate
  std::filesystem::path cert_file;  // our client certificate (CN = VIN or service name)
  std::filesystem::path key_file;   // its private key
};

/// The files deploy/gen-certs.sh writes for one identity: <dir>/{ca.crt,client.crt,client.key},
/// e.g. <pki>/vehicles/<VIN> or <pki>/backend.
TlsFiles tls_files_in(const std::filesystem::path& dir);

struct ClientOptions {
  std::string server_uri;  // "ssl://127.0.0.1:8883"; tcp:// only for local tools
  std::string client_id;
  TlsFiles tls;
  /// false: the broker keeps our subscriptions and queues QoS 1 messages while we are away.
  bool clean_session = false;
  std::chrono::seconds keep_alive{30};
  std::chrono::seconds connect_timeout{10};
  /// Reconnect backoff: doubles from min to max after each failed attempt, reset on success.
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{30000};
  /// Publishes handed to Paho and not yet acknowledged by the broker (QoS 1 PUBACK).
  std::size_t max_inflight = 64;
  /// Publishes waiting in the client for an in-flight slot; beyond this publish fails at once.
  std::size_t max_queued = 10000;
};

struct Message {
  std::string topic;
  std::string payload;
};

class Client {
 public:
  using MessageHandler = std::function<void(Message)>;
  /// connected = true once connected and subscribed; false on loss (error says why).
  using ConnectionHandler = std::function<void(bool connected, const Error& why)>;
  /// nullptr on success (QoS 0: written; QoS 1: PUBACK received), otherwise why it failed.
  using Completion = std::function<void(const Error* error)>;

  virtual ~Client() = default;

  /// Set handlers before start().
  virtual void on_message(MessageHandler handler) = 0;
  virtual void on_connection(ConnectionHandler handler) = 0;

  /// Starts connecting in the background and keeps reconnecting until stop().
  /// Errors: tls_setup (a certificate or key file is unreadable), invalid_argument.
  virtual Result<void> start() = 0;
  /// Disconnects, stops the connector thread, fails queued publishes. Idempotent.
  virtual void stop() = 0;

  /// Subscribes now if connected (waits for SUBACK) and again after every reconnect.
  /// Errors: subscribe_failed (refused by the broker, e.g. by its ACL), not_connected is not an
  /// error: the filter is applied on the next connect.
  virtual Result<void> subscribe(const std::string& filter, int qos) = 0;

  /// Publishes; `done` is called exactly once. Allowed from the broker's CONNACK on (before our
  /// re-subscriptions complete: a persistent session's backlog may already be arriving). Fails
  /// at once with not_connected when offline, with publish_failed when max_queued is reached.
  virtual void publish(std::string topic, std::string payload, int qos, Completion done) = 0;

  virtual bool connected() const = 0;
};

/// The Eclipse Paho C++ implementation: no Paho persistence (callers own durability),
/// TCP_NODELAY on its socket, its own connector thread ("mqtt-connect") for reconnects.
std::unique_ptr<Client> make_paho_client(ClientOptions options);

}  // namespace fb::mqtt
