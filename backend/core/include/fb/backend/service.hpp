// The backend service: receives reports and receipts over MQTT, stores them through Ingest in
// batches, acknowledges after the commit, and resends notifications until the car receipts
// them.
//
// Threads and ownership: the service owns no thread. It lives on one executor (a strand) given
// by its composition root; that strand owns the CaseStore, Ingest, the incoming queue and the
// resend schedule. Its MQTT client lives on the client's own executor: the same strand (tests,
// one thread), or a strand of its own on a context run by two threads (fb-backend), so that
// flow control with the broker (PUBACKs, the publish window) goes on while a batch commits.
// Every client handler hands over to the service's strand, and every call into the client is
// made on the client's executor (directly when the two are one). Messages arrive one by one
// on the client's receive thread (mqtt::Receiver::set_intake), pass Admission there (per-VIN
// rate limit, QoS 0 and retained refused: admission.hpp), and wait in the Inbox, at most
// ServiceOptions::max_pending; when it is full the receive thread waits for room, so the broker
// holds the rest instead of the service dropping what it took (inbox.hpp). The first one posts a
// drain, which stores up to max_batch in one transaction (group commit: the busier, the bigger
// the batches). A report is acknowledged only after its batch is committed; a message
// PUBACKed to the broker but lost in a crash before the commit comes again from the car, which
// keeps it until acknowledged.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "fb/async/timer.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/backend/config.hpp"
#include "fb/backend/inbox.hpp"
#include "fb/backend/ingest.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/backend/rules.hpp"
#include "fb/common/histogram.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::backend {

struct ServiceStats {
  IngestStats ingest;
  AdmissionStats admission;  // refused before ingest: rate limited, QoS 0, retained
  std::uint64_t received = 0;
  std::uint64_t dropped_overload = 0;    // waited for room longer than max_intake_wait: the cars resend
  std::uint64_t backpressure_waits = 0;  // times the receive thread waited for room (broker held the rest)
  std::uint64_t published = 0;
  std::uint64_t publish_failures = 0;
  std::uint64_t notifications_resent = 0;
  std::size_t largest_batch = 0;
  std::uint64_t escalations = 0;       // SLA escalations at 50 % and 100 % of a target
  std::uint64_t progress_updates = 0;  // automatic updates to drivers of silent cases
  std::uint64_t transitions = 0;
};

/// A person's triage (分诊) from the team API or console: what they set; what they leave unset
/// stays as the case has it.
struct TriageRequest {
  std::string case_number;
  std::string actor;   // required: who
  std::string reason;  // required: why
  std::optional<CaseType> type;
  std::optional<Priority> priority;
  std::optional<VehicleSystem> system;
  std::string team;  // empty: the team routing.conf gives the triaged classification
  std::int64_t at_ms = 0;
  /// What the person saw when deciding (any of them): a case that differs now was changed
  /// meanwhile (a joining report raised it, another lead triaged it), and the triage is refused.
  struct Seen {
    std::optional<CaseType> type;
    std::optional<Priority> priority;
    std::optional<VehicleSystem> system;
    std::optional<std::string> team;
  } seen;
};

/// What a triage request decides for case `c` under `router`: a named team must be one of
/// routing.conf's (the team routing.conf would give collaborates); without one, a changed type,
/// priority or system is routed again, an unchanged one keeps the case's team. Collaborators are
/// kept, and a re-routing's are added (a merge's or a joining report's teams still see it); the
/// SLA targets are those of the priority.
/// Errors: CaseErrc::invalid_transition (the case differs from what the person saw: read it
/// again), ConfigErrc::invalid_value (an unknown team; the detail names field 'team').
Result<TriageDecision> decide_triage(const CaseSummary& c, const TriageRequest& request, const Router& router);

class Service {
 public:
  /// Receives its parts. `client` may live on `executor` or on another strand of the same
  /// context; `store`, `rules` and `clock` are used on `executor` only. Destroy it after stop(),
  /// once neither executor runs any more of its handlers (the context has returned from run()).
  Service(boost::asio::any_io_executor executor, const Clock& clock, ServiceOptions options,
          std::unique_ptr<CaseStore> store, Rules rules, std::unique_ptr<mqtt::Client> client);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// Subscribes to every car's reports and receipts, arms the resend timer and starts the
  /// client. Call before the context runs, or on the executor while the client is not yet
  /// started. Errors: MqttErrc (TLS files, URI) from the client. A failed start leaves nothing
  /// running.
  Result<void> start();
  /// Stops receiving, stores what was received, stops the timer, and stops the client (on its
  /// executor). Call on the executor. Idempotent. The client's last completions still run
  /// afterwards: let the context run dry before destroying the service.
  void stop();

  /// Moves a case (team API, console, CLI) and sends its driver's notification at once. Call
  /// from any thread; runs on the service's executor, where `done` is called.
  /// Errors: CaseErrc, StorageErrc.
  void transition(TransitionRequest request, std::function<void(Result<TransitionOutcome>)> done);
  /// Applies a person's triage: CaseStore::triage_case deciding by decide_triage under the current
  /// routing.conf, once `permit` accepts the case as read in the triage's transaction (the API's
  /// access check; its error is returned). Any thread; `done` runs on the service's executor.
  /// Errors: CaseErrc, StorageErrc, ConfigErrc::invalid_value, and those of `permit`.
  void triage(TriageRequest request, std::function<Result<void>(const CaseSummary&)> permit,
              std::function<void(Result<CaseSummary>)> done);
  /// A report from another channel (hotline, dealer, web) through the same pipeline as the cars'
  /// (see Ingest::accept_from_channel). Any thread; `done` runs on the service's executor.
  void submit_from_channel(wire::Report report, std::string channel, std::optional<Contact> contact,
                           std::function<void(Result<CaseRef>)> done);

  /// A change to the store by a person (comment, message, assignment, merge, erasure, ...):
  /// `work` runs on the service's executor with the store and the notice renderer, and any
  /// notification it queued is sent at once; then `done(result)` runs there too. Any thread.
  template <typename T>
  void update(std::function<Result<T>(CaseStore&, const NoticeRenderer&)> work, std::function<void(Result<T>)> done) {
    boost::asio::post(executor_, [this, work = std::move(work), done = std::move(done)] {
      auto result = work(*store_, renderer_);
      if (result) after_update();
      done(std::move(result));
    });
  }
  /// Replaces the rule files the service runs on (an edit of the knowledge base or the routing
  /// through the API, already checked by load_rules). Any thread; `done` on the executor.
  void replace_rules(Rules rules, std::function<void()> done);
  /// Whether the service runs and its client is connected to the broker (for /readyz); any thread.
  bool connected() const { return connected_flag_.load(); }

  /// A copy of the counters, as of the last batch or publish (admission, back-pressure and
  /// overload ones as of now); any thread.
  ServiceStats stats() const;
  const boost::asio::any_io_executor& get_executor() const { return executor_; }
  /// From a report's arrival at the service to its ack's hand-over to the client (after the commit).
  const LatencyHistogram& ingest_latency() const { return ingest_latency_; }
  /// From a notification's queueing to the broker's PUBACK of its first send.
  const LatencyHistogram& notify_latency() const { return notify_latency_; }
  /// Messages waiting for the service's strand, for metrics; any thread.
  std::size_t pending() const { return inbox_.size(); }

 private:
  void take(mqtt::Message m);  // on the client's receive thread
  void drain();
  void publish(Outgoing out);
  void check_notifications();
  void after_update();
  void notification_published(const std::string& id, bool ok);
  void flush_sent_notifications();
  void arm_notification_timer();
  void check_sla();
  void purge_dead_letters();           // now, then every dead_letter_purge_every
  void erase_expired_personal_data();  // with each purge: closed cases past personal_data_retention
  void arm_sla_timer();
  void renew_lease();    // when connected, then every lease_ttl / 3 (with an instance name); given up offline
  void give_up_lease();  // releases it in the store if this instance holds it
  /// Without an instance name, always; else while the lease this instance last took has not
  /// expired by its own clock (a paused instance that resumes stops at once, not at its next renewal).
  bool runs_timers() const { return options_.instance.empty() || clock_.epoch_ms() < lease_until_ms_; }
  void update_stats(const std::function<void(ServiceStats&)>& change);
  template <typename F>
  void run_on(const boost::asio::any_io_executor& target, F f);
  template <typename F>
  void on_service(F f);  // runs f on the service's executor
  template <typename F>
  void on_client(F f);  // runs f on the client's executor

  boost::asio::any_io_executor executor_;
  const Clock& clock_;
  const ServiceOptions options_;
  // Owner of everything below: the executor.
  std::unique_ptr<CaseStore> store_;
  Rules rules_;
  std::unique_ptr<mqtt::Client> client_;
  const boost::asio::any_io_executor client_executor_;
  // Shared with the client's receive thread (Admission is thread-safe); outlives both.
  std::shared_ptr<Admission> admission_;
  Ingest ingest_;
  Notifier notifier_;
  NoticeRenderer renderer_;  // notifier_.render, for the store
  Timer notification_timer_;
  Timer sla_timer_;
  Timer purge_timer_;                      // dead-letter retention
  Timer lease_timer_;                      // renews the timers' lease
  std::int64_t lease_until_ms_ = 0;        // expiry of the lease as last taken; 0: not held
  Inbox inbox_;                            // filled on the receive thread, taken on the executor
  std::atomic<bool> drain_posted_{false};  // set by whoever posts the drain (either side)
  bool running_ = false;
  bool connected_ = false;                                     // as the client last reported
  std::atomic<bool> connected_flag_{false};                    // the same, for connected() on any thread
  std::atomic<std::uint64_t> dropped_pending_{0};              // intake waits that timed out (receive thread)
  bool notification_backlog_ = false;                          // the last check found a full chunk due
  std::unordered_set<std::string> notifications_in_flight_;    // published, not yet rescheduled
  std::unordered_map<std::string, std::int64_t> first_sends_;  // in flight for the first time: queued at
  LatencyHistogram ingest_latency_;                            // observed on the executor, read anywhere
  LatencyHistogram notify_latency_;
  std::vector<std::string> sent_notifications_;  // PUBACKed, not yet recorded
  bool flush_posted_ = false;
  bool reschedule_failing_ = false;  // the last flush could not record them: the timer retries
  bool sla_failing_ = false;         // the last SLA pass failed: the next waits the check interval

  mutable std::mutex stats_mu_;  // guards stats_: written on the executor, read by stats() anywhere
  ServiceStats stats_;
};

}  // namespace fb::backend
