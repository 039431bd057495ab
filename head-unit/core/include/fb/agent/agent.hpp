// The head-unit agent: the car's side of the feedback loop, without any UI.
// It commits a report before it says "saved", sends it over MQTT until the backend acknowledges
// it, stores notifications and answers them with receipts. The Qt app and the fb-car command
// line both sit on top of it.
//
// Threads:
//  - "agent": one thread runs the io_context; its strand owns the CarStore, the SendScheduler
//    and the connection flag. Every listener callback runs on it.
//  - MQTT callbacks (Paho threads) only post to the strand.
//  - Public methods may be called from any thread; the *_sync ones wait for the agent thread
//    and must not be called from a listener callback.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "fb/agent/car_store.hpp"
#include "fb/agent/report_builder.hpp"
#include "fb/agent/send_scheduler.hpp"
#include "fb/asio.hpp"
#include "fb/common/clock.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::agent {

struct AgentConfig {
  VehicleIdentity vehicle;
  std::filesystem::path database = "fb-car.db";
  mqtt::ClientOptions mqtt;  // client_id is the VIN (the broker enforces it from the certificate)
  SendScheduler::Policy sending;
  CarStore::Options storage;
};

/// A car's configuration on embedded defaults, with the PKI layout of deploy/gen-certs.sh:
/// client id = VIN, certificate files in <pki_dir>/vehicles/<VIN>/.
AgentConfig make_agent_config(VehicleIdentity vehicle, std::string broker_uri, const std::filesystem::path& pki_dir,
                              std::filesystem::path database);

/// Events for a UI or a log. Called on the agent thread; keep them short.
class AgentListener {
 public:
  virtual ~AgentListener() = default;
  virtual void report_changed(const ReportView&) {}
  /// The broker has the report (PUBACK); the backend's acknowledgement is still to come.
  virtual void report_sent(const std::string& /*report_id*/) {}
  virtual void notification_received(const InboxEntry&) {}
  virtual void connection_changed(bool /*connected*/) {}
  /// The MQTT link could not be started at all (e.g. a certificate file is unreadable).
  virtual void link_problem(const Error&) {}
  /// Storage trouble the driver may need to know about (a corrupt file set aside, disk full).
  virtual void storage_problem(const Error&) {}
};

struct AgentStats {
  std::uint64_t published = 0;
  std::uint64_t publish_failures = 0;
  std::uint64_t acks = 0;
  std::uint64_t rejections = 0;
  std::uint64_t notifications = 0;
  std::uint64_t duplicate_notifications = 0;
  std::uint64_t bad_messages = 0;  // unreadable messages on our inbox topic
  std::size_t outbox = 0;
};

class Agent {
 public:
  /// Opens the store and loads the outbox. Errors: StorageErrc (open_failed, schema_too_new).
  static Result<std::unique_ptr<Agent>> open(AgentConfig config, std::unique_ptr<mqtt::Client> client,
                                             const Clock& clock);
  ~Agent();

  /// Add before start().
  void add_listener(AgentListener* listener);
  /// Starts the agent thread, then the MQTT client. Errors:
  ///  - StorageErrc: the outbox cannot be read; nothing was started.
  ///  - MqttErrc (unreadable TLS files, bad URI): the link did not start, but the agent runs
  ///    offline: reports are saved and queued, listeners get link_problem(); stop() as usual.
  Result<void> start();
  /// Stops MQTT and the thread; what is queued stays in the store. Idempotent.
  void stop();

  /// Builds and commits a report; `done` runs on the agent thread with the report id once the
  /// commit is durable, or with the reason it was not saved (WireErrc for a bad draft,
  /// StorageErrc::full ...).
  void submit(Draft draft, std::function<void(Result<std::string>)> done);
  Result<std::string> submit_sync(Draft draft);

  /// Marks a notification read (queues a read receipt).
  void mark_read(std::string message_id);

  Result<std::vector<ReportView>> reports_sync();
  Result<std::vector<InboxEntry>> inbox_sync();
  AgentStats stats_sync();

  const VehicleIdentity& vehicle() const { return config_.vehicle; }

 private:
  Agent(AgentConfig config, std::unique_ptr<mqtt::Client> client, const Clock& clock, CarStore store);

  template <typename F>
  auto run_sync(F f) -> decltype(f());
  /// Before start() or after stop() nothing runs posted handlers: run them on the caller.
  void run_here_if_idle();

  void on_connection(bool up);
  void on_message(const mqtt::Message& m);
  void on_publish_done(const OutboxEntry& entry, std::optional<Error> error);
  void pump();
  void arm_timer();
  void storage_problem(const Error& e);

  AgentConfig config_;
  std::unique_ptr<mqtt::Client> client_;
  const Clock& clock_;
  CarStore store_;
  SendScheduler scheduler_;
  std::vector<AgentListener*> listeners_;
  AgentStats stats_;
  bool connected_ = false;
  bool stopping_ = false;

  boost::asio::io_context io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<bool> started_{false};     // between start() and stop()
  std::atomic<bool> io_running_{false};  // the agent thread runs the context (until joined)
};

}  // namespace fb::agent
