// The backend service: the composition root that wires MQTT, ingest, the case store and the
// notification resender.
//
// Threads and ownership:
//  - "backend-io": one thread runs the io_context. The strand `ingest_` owns the CaseStore,
//    Ingest and the resend schedule; nothing else touches them.
//  - Paho threads deliver messages into `incoming_` (guarded by incoming_mu_) and post one
//    drain to the strand when the queue turns non-empty. A drain takes up to max_batch messages
//    and stores them in one transaction (group commit: the busier, the bigger the batches).
//    Paho hands a message over while holding its global lock, and has sent the PUBACK already,
//    so the callback must never wait: when max_pending messages wait, further ones are dropped
//    and counted. Nothing is lost: a report stays in its car's outbox until acknowledged and is
//    sent again; a receipt is answered again when its notification is resent.
//  - Publish completions arrive on Paho threads and are posted back to the strand.
// A report is acknowledged only after its batch is committed. A message PUBACKed to the broker
// but lost in a crash before the commit comes again from the car, which keeps it until acked.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "fb/asio.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/backend/config.hpp"
#include "fb/backend/ingest.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::backend {

struct ServiceStats {
  IngestStats ingest;
  std::uint64_t received = 0;
  std::uint64_t dropped_overload = 0;  // beyond max_pending: left to the cars' resend
  std::uint64_t published = 0;
  std::uint64_t publish_failures = 0;
  std::uint64_t notifications_resent = 0;
  std::size_t largest_batch = 0;
};

class Service {
 public:
  /// Loads the rule files and opens the store. Errors: ConfigErrc (rules), StorageErrc (database).
  static Result<std::unique_ptr<Service>> create(const BackendConfig& config, std::unique_ptr<mqtt::Client> client,
                                                 const Clock& clock);
  ~Service();

  /// Subscribes, starts "backend-io" and the MQTT client. Errors: MqttErrc (TLS files, URI).
  Result<void> start();
  /// Stops receiving, stores what was received, stops the thread. Idempotent.
  void stop();

  /// A copy of the counters; thread-safe.
  ServiceStats stats() const;

 private:
  Service(const BackendConfig& config, std::unique_ptr<mqtt::Client> client, const Clock& clock,
          std::unique_ptr<CaseStore> store, Classifier classifier, Router router, Templates templates);

  void on_message(mqtt::Message m);
  void drain();
  void publish(Outgoing out);
  void check_notifications();
  void notification_published(const std::string& id, bool ok);
  void flush_sent_notifications();
  void arm_notification_timer();

  BackendConfig config_;
  std::unique_ptr<mqtt::Client> client_;
  const Clock& clock_;
  std::unique_ptr<CaseStore> store_;
  Classifier classifier_;
  Router router_;
  Templates templates_;
  Ingest ingest_core_;

  boost::asio::io_context io_;
  boost::asio::strand<boost::asio::io_context::executor_type> ingest_;
  boost::asio::steady_timer notification_timer_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread io_thread_;
  // Owner of these: the ingest strand.
  bool timer_stopped_ = false;
  bool notification_backlog_ = false;  // the last check found a full chunk due
  std::unordered_set<std::string> notifications_in_flight_;  // published, not yet rescheduled
  std::vector<std::string> sent_notifications_;              // PUBACKed, not yet recorded
  bool flush_posted_ = false;

  std::mutex incoming_mu_;  // owner: handoff Paho threads -> ingest strand
  std::deque<RawMessage> incoming_;
  bool drain_posted_ = false;
  bool stopping_ = false;

  mutable std::mutex stats_mu_;  // owner: stats_ is written on the strand and Paho threads
  ServiceStats stats_;
  bool started_ = false;
};

/// Loads classifier.json, routing.json and templates.json from a directory.
struct Rules {
  Classifier classifier;
  Router router;
  Templates templates;
};
Result<Rules> load_rules(const std::filesystem::path& dir);

}  // namespace fb::backend
