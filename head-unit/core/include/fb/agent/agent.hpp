// The head-unit agent: the car's side of the feedback loop, without any UI.
// It commits a report before it says "saved", sends it over MQTT until the backend acknowledges
// it, stores notifications and answers them with receipts. A report that asks for a diagnostic
// snapshot is committed at once but held until its post-tap window has passed, then rebuilt with
// the snapshot and released to sending; held reports block nothing else. One still held when the
// agent starts (its recording died with the previous process) is released without a snapshot,
// flagged Report.snapshot_lost and SnapshotState::lost. The Qt app and the fb-car command
// line both sit on top of it (through AgentApi).
//
// Threads: the agent owns no thread. It lives on one executor (a strand) given by its
// composition root, the same one its MQTT client was made on; that strand owns the CarStore,
// the SendScheduler, the send and expiry timers and the connection flag. AgentApi calls post to it; MQTT
// handlers and timers already run on it. Completion rule: see agent_api.hpp.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "fb/agent/agent_api.hpp"
#include "fb/agent/parked.hpp"
#include "fb/agent/send_scheduler.hpp"
#include "fb/agent/snapshot.hpp"
#include "fb/async/timer.hpp"
#include "fb/common/clock.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::agent {

struct AgentConfig {
  VehicleIdentity vehicle;
  std::filesystem::path database = "fb-car.db";
  /// Key file sealing the personal data in `database` (docs/privacy.md; mode 0600, created with a
  /// fresh key when absent: the key never leaves the car). Empty: nothing sealed, unless
  /// storage.keys is set (e.g. from a hardware keystore's KeySource).
  std::filesystem::path key_file;
  /// client_id is the VIN (the broker enforces it from the certificate). With a will, the agent
  /// publishes topics::status_online, retained, on the will's topic after each connect.
  mqtt::ClientOptions mqtt;
  SendScheduler::Policy sending;
  CarStore::Options storage;
  /// Whether the car is parked, asked on the agent's strand (e.g. a ParkedTracker fed by the
  /// vehicle's signals). Empty: the agent knows nothing of the car and treats it as not parked.
  ParkedCheck parked;
  /// Records the snapshots of drafts that ask for one (Draft::capture_snapshot with
  /// consent.diagnostics); null: none are recorded and such drafts are sent without one. Owned by
  /// the composition root, which feeds it from a SignalSource on the agent's executor; it must
  /// outlive the agent.
  SnapshotRecorder* recorder = nullptr;
};

/// A car's configuration on embedded defaults, with the PKI layout of deploy/gen-certs.sh:
/// client id = VIN, certificate files in <pki_dir>/vehicles/<VIN>/, and a retained will of
/// topics::status_offline on topics::status(VIN), which a clean stop() also publishes itself
/// (Will::on_clean_stop): the status is offline after a normal shutdown as after a crash.
/// The store's key file is "<database>.keys".
AgentConfig make_agent_config(VehicleIdentity vehicle, std::string broker_uri, const std::filesystem::path& pki_dir,
                              std::filesystem::path database);

/// Sets config.storage.keys from config.key_file (made with a fresh key, mode 0600, when absent),
/// unless either is already decided. Agent::open calls it; so must any other opener of the store.
/// Errors: CryptoErrc (key_file_insecure, key_file_invalid), StorageErrc::io.
Result<void> load_store_keys(AgentConfig& config);

/// Where the app keeps the driver's consent choices and callback number, beside the queue file
/// `database` (`<stem>-consent.ini`): the app's ConsentStore writes it, an erasure removes it.
inline std::filesystem::path consent_file(const std::filesystem::path& database) {
  return database.parent_path() / (database.stem().string() + "-consent.ini");
}

struct AgentStats {
  std::uint64_t published = 0;
  std::uint64_t publish_failures = 0;
  std::uint64_t acks = 0;
  std::uint64_t rejections = 0;
  std::uint64_t notifications = 0;
  std::uint64_t duplicate_notifications = 0;
  std::uint64_t superseded_notifications = 0;     // of those, older than one applied (no banner)
  std::uint64_t erased_report_notifications = 0;  // about a report erased from the car: receipted, not kept or shown
  std::uint64_t bad_messages = 0;                 // unreadable messages on our inbox topic
  std::uint64_t answers_stored = 0;               // the driver's answers the backend confirmed (AnswerStored)
  std::uint64_t answers_refused = 0;              // of those, refused by the backend (AnswerStored.refused; logged)
  std::uint64_t expired = 0;                      // reports dropped unsent at the end of their time to live
  std::uint64_t evicted = 0;                      // reports dropped unsent by the outbox's size cap
  /// Store commits that queued submitted reports: a burst submitted together is one (group
  /// commit), a lone report one of its own. Flash wear goes by these, not by the reports.
  std::uint64_t report_commits = 0;
  std::size_t outbox = 0;
  /// Of the outbox: receipts the broker has not taken yet (`fb-car` waits for them).
  std::size_t receipts = 0;
  /// Of the outbox: the driver's answers the backend has not confirmed yet (AnswerStored).
  std::size_t answers = 0;
};

class Agent final : public AgentApi {
 public:
  /// Opens the store (a corrupt file is set aside and reported once started). `client` must
  /// have been made on `executor`. Errors: StorageErrc (open_failed, schema_too_new),
  /// MqttErrc::invalid_argument (client on another executor).
  static Result<std::unique_ptr<Agent>> open(boost::asio::any_io_executor executor, const Clock& clock,
                                             AgentConfig config, std::unique_ptr<mqtt::Client> client);
  /// Destroy it after stop(), once its executor runs no more of its handlers (the context has
  /// returned from run(), or is destroyed).
  ~Agent() override;

  /// Loads the outbox, drops what expired while the agent was not running (report_dropped) and
  /// starts the link. Call on the executor, or before its context runs.
  /// A link that cannot start is not a failed start: the agent runs offline and listeners get
  /// link_problem(). Errors: StorageErrc (the outbox cannot be read). A failed start leaves
  /// nothing running.
  Result<void> start();
  /// Stops the link and the timer; what is queued stays in the store. Call on the executor.
  /// Idempotent. The client's last completions still run on the executor afterwards. Connected,
  /// it blocks for the offline status's PUBACK and the DISCONNECT (each bounded by the MQTT
  /// connect_timeout).
  void stop();

  void add_listener(AgentListener* listener) override;
  const VehicleIdentity& vehicle() const override { return config_.vehicle; }
  /// steady_ms() of the agent's clock while it has a recorder, else nullopt.
  std::optional<std::int64_t> snapshot_clock_ms() const override;
  void submit(Draft draft, std::function<void(Result<std::string>)> done) override;
  void mark_read(std::string message_id) override;
  void answer_survey(std::string notification_id, int score, std::string comment,
                     std::function<void(Result<void>)> done) override;
  void answer_visit(std::string visit_id, VisitAnswer answer, std::function<void(Result<std::string>)> done) override;
  void request_callback(std::string report_id, std::string phone,
                        std::function<void(Result<std::string>)> done) override;
  void reply(std::string report_id, std::string text, std::function<void(Result<std::string>)> done) override;
  void reopen(std::string report_id, std::string reason, std::function<void(Result<std::string>)> done) override;
  void rate(std::string report_id, int score, std::string comment,
            std::function<void(Result<std::string>)> done) override;
  void timeline(std::string report_id, std::function<void(Result<std::vector<TimelineEvent>>)> done) override;
  void reports(std::function<void(Result<std::vector<ReportView>>)> done) override;
  void inbox(std::function<void(Result<std::vector<InboxEntry>>)> done) override;
  void save_draft(SavedDraft draft, std::function<void(Result<void>)> done) override;
  void discard_draft(std::string draft_id, std::function<void(Result<void>)> done) override;
  void drafts(std::function<void(Result<std::vector<SavedDraft>>)> done) override;

  /// The driver's copy of everything the car keeps about them (CarStore::personal_data()).
  void personal_data(std::function<void(Result<PersonalData>)> done);
  /// Erases it (CarStore::erase_personal_data()): what it dropped from the outbox is no longer
  /// sent, a snapshot recording for it stops, and the damaged stores a recovery set aside
  /// (`<database>.corrupt-*`, which hold older copies) are deleted. `done` runs on the executor.
  void erase_personal_data(std::function<void(Result<Erased>)> done);

  /// The network is up again (e.g. the OS reports connectivity): a reconnect waiting out its
  /// backoff starts now (mqtt::Client::network_up()). Any thread: posts to the executor.
  void network_up();

  /// Counters; `done` runs on the executor.
  void stats(std::function<void(AgentStats)> done);
  const boost::asio::any_io_executor& get_executor() const { return executor_; }

 private:
  Agent(boost::asio::any_io_executor executor, const Clock& clock, AgentConfig config,
        std::unique_ptr<mqtt::Client> client, CarStore store);

  /// Queues the reports of one batch (submitted together, with no other call posted in between)
  /// in one store transaction (group commit), then answers each submitter, tells the listeners
  /// and pumps.
  struct Submission;
  void flush_submits(const std::shared_ptr<std::vector<Submission>>& batch);
  /// Posts an AgentApi call to the executor, behind every report submitted before it and ahead
  /// of every one submitted after it; the acks and notifications received before it run first.
  void post_call(std::function<void()> call);
  /// A submitted report, built and ready for the store.
  struct BuiltReport;
  /// A submitted report's outcome in the store: tells its submitter and the listeners, and puts
  /// it in line for sending (or for its snapshot).
  void queued(const BuiltReport& report, Result<Enqueued> r);
  void on_connection(bool up);
  void on_message(const mqtt::Message& m);
  /// Applies the acks and notifications received since the last call, in their order: each run
  /// of acks in one unsynced store transaction, each run of notifications in one durable one
  /// (group commit), telling the listeners after each; then pumps. Runs from a post after the
  /// first of them, and before any other message or AgentApi call, so the store applies what
  /// the backend sent in its order.
  void apply_inbound();
  void apply_acks(const std::vector<wire::Ack>& acks, std::int64_t sent_ms);  // sent_ms: the newest Envelope.sent_at_ms
  void apply_notifications(std::span<const wire::Envelope> notes);
  /// Counts a stored notification (or its duplicate) and tells the listeners of a new one.
  void notification_applied(const InboxEntry& entry, bool duplicate);
  /// The backend has the driver's answer (applied or refused): it leaves the outbox.
  void answer_stored(const wire::AnswerStored& stored, std::int64_t sent_ms);  // sent_ms: its envelope's
  /// Records the sent and delivered steps of the reports the broker took since the last call, in
  /// one commit, then tells the listeners (report_sent); runs from a post after the first of
  /// them, and before any ack is applied.
  void record_deliveries();
  /// `started_ms`: the car's wall time the publish began (the report's sent step).
  void on_publish_done(const OutboxEntry& entry, const Error& error, std::int64_t started_ms);
  /// Queues a driver's action on a report's case with `enqueue` (a CarStore call) and tells
  /// the listeners of the report's new state. `priority`: the store's for that entry.
  void case_action(const std::string& report_id,
                   const std::function<Result<std::string>(const std::string& topic, std::int64_t now)>& enqueue,
                   const std::function<void(Result<std::string>)>& done, int priority = 1);
  void pump();
  void arm_timer();
  void notify_report(const std::string& report_id);
  /// Drops the reports whose time to live has ended and re-arms the expiry timer. First, with a
  /// set clock, starts the time to live of reports queued while it was unset and, after a
  /// backward step, pulls expiries back to at most a full TTL (CarStore::fix_expiries).
  void expire_due();
  /// CarStore::forget_finished, logged; a failure leaves the history for the next try.
  static void forget_finished(CarStore& store, std::int64_t now_ms);
  void arm_expiry();
  /// The scheduler's copy of each entry's expiry, after the store changed them.
  void refresh_expiries();
  /// After CarStore::expire(now_ms): forgets the entries due to expire by then that the store no
  /// longer has (expire() removes such a row without a report to show when its report had left
  /// `queued`, e.g. its case notification came before the ack) and takes the store's expiry for
  /// the others. Without it their expiry stays due and the timer fires at once, again and again.
  void reconcile_expired(std::int64_t now_ms);
  void dropped(const std::vector<ReportView>& reports);
  /// Forgets an outbox entry that left the store unsent: no send, no pending release, no recording.
  void forget_unsent(const std::string& id);
  /// Rebuilds a held report with its snapshot (or, null, flagged snapshot_lost), releases it in
  /// the store and puts it in line for sending. A release the store refuses (e.g. a full disk:
  /// the snapshot makes the report larger) is kept in unreleased_ and tried again at each pump();
  /// `retry`: such a try (no pump, no second storage_problem).
  void release_held(const OutboxEntry& entry, const Snapshot* snapshot, bool retry = false);
  /// Puts an answer just queued in the store in line for sending.
  void schedule_answer(const std::string& message_id, int priority, std::int64_t now_ms);
  /// Logs a driver's answer that was not queued; storage trouble also goes to the listeners.
  void refused(const Error& e);
  void storage_problem(const Error& e);

  boost::asio::any_io_executor executor_;
  const Clock& clock_;
  AgentConfig config_;
  std::unique_ptr<mqtt::Client> client_;
  // Owner of everything below: the executor.
  CarStore store_;
  SendScheduler scheduler_;
  Timer timer_;
  Timer expiry_timer_;
  std::vector<AgentListener*> listeners_;
  std::map<std::string, std::uint64_t> taps_;  // held report id -> its recorder tap
  struct Unreleased {
    OutboxEntry entry;
    std::optional<Snapshot> snapshot;
  };
  std::map<std::string, Unreleased> unreleased_;  // held report id -> a release the store refused
  std::vector<wire::Envelope> inbound_;           // acks and notifications not yet applied (apply_inbound)
  struct Submission {
    Draft draft;
    std::function<void(Result<std::string>)> done;
  };
  struct BuiltReport {
    Submission submission;
    wire::Envelope envelope;
    std::string payload;  // the envelope's encoding, published as it is
    ReportClass report_class = ReportClass::normal;
    std::int64_t now = 0;              // one time for the report, its row and its place in line
    std::optional<std::int64_t> hold;  // held for its snapshot until then
    bool capture = false;              // a snapshot is recorded for it
  };
  // Owner: submitted_mu_, as submit() and the other calls run on any thread. The batch a new
  // submit joins (its flush is posted); null once that flush or another call was posted.
  std::mutex submitted_mu_;
  std::shared_ptr<std::vector<Submission>> open_batch_;
  bool inbound_posted_ = false;                         // apply_inbound() is posted
  std::vector<CarStore::Delivery> pending_deliveries_;  // PUBACKed reports, steps not yet recorded
  bool deliveries_posted_ = false;                      // record_deliveries() is posted
  AgentStats stats_;
  /// The last wall time expire_due() saw (a smaller one later: the clock stepped back), and
  /// whether the store's expiries need fixing once the clock is set (car_store.hpp).
  std::int64_t last_wall_ms_ = 0;
  bool expiry_fix_due_ = true;
  /// The clock was unset when open() would have forgotten the finished reports: done once it is
  /// set (expire_due()), not again at every later fix of the expiries.
  bool forget_due_ = false;
  /// No expiry work before this (steady time) after the store failed it (e.g. a read-only disk)
  /// or it left an expiry due: such an expiry would otherwise fire the timer at once, again and
  /// again.
  Clock::SteadyTime expiry_retry_at_{};
  bool connected_ = false;
  bool running_ = false;
};

}  // namespace fb::agent
