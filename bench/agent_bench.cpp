#include "agent_bench.hpp"

#include <signal.h>
#include <spdlog/fmt/fmt.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <thread>
#include <tuple>

#include "bench_support.hpp"
#include "broker.hpp"
#include "fb/agent/agent.hpp"
#include "fb/agent/car_store.hpp"
#include "fb/async/io_thread.hpp"
#include "fb/backend/config.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"
#include "in_process_backend.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace fb::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kCarVin = "LSVBENCHAGENT0001";
constexpr const char* kOtherVin = "LSVBENCHAGENT0002";  // the baselines' clients: never the car's session
constexpr std::size_t kReportBytes = 1024;
constexpr auto kWait = 60s;

Error prefixed(const std::string& what, const Error& e) { return Error(e.code, what + ": " + e.detail); }

/// A driver's draft whose report's encoded envelope is about kReportBytes (text padded to fit).
Result<agent::Draft> draft_of_1kib(std::size_t i, const std::string& vin = kCarVin) {
  agent::Draft d;
  d.category = wire::CATEGORY_NOISE;
  d.text = fmt::format("agent bench #{}: rattle from the dashboard at low speed", i);
  auto probe = agent::build_report(vehicle(vin), d, SystemClock::instance().epoch_ms());
  if (!probe) return fail(probe.error());
  const auto size = probe->ByteSizeLong();
  // The text's length prefix grows by a byte past 127 characters.
  if (size + 1 < kReportBytes) d.text += std::string(kReportBytes - size - 1, '.');
  return d;
}

/// That draft's report.
Result<wire::Envelope> report_of_1kib(std::size_t i, const std::string& vin = kCarVin) {
  auto d = draft_of_1kib(i, vin);
  if (!d) return fail(d.error());
  return agent::build_report(vehicle(vin), *d, SystemClock::instance().epoch_ms());
}

/// Bytes this process has caused to be written to storage (/proc/self/io).
std::uint64_t write_bytes() {
  std::ifstream in("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "write_bytes:") return value;
  }
  return 0;
}

// ---- enqueue and disk bytes -------------------------------------------------------------------

/// The options of a car's store at `db`: sealed with the key file beside it, as a car's store is
/// (docs/privacy.md: every outbox payload and the reports' text), so that the bytes and the rates
/// measured are a car's. `with_room`: without the outbox's size cap. The default cap (2,000
/// reports) is reached after a few rounds of the enqueue measure, and from then on every report
/// queued also evicts the oldest one (its outbox row deleted and zeroed, its My reports row and
/// timeline marked dropped): the measure would be of a queue that stayed full, which a car only
/// sees after days offline, not of enqueueing.
Result<agent::CarStore::Options> car_store_options(const std::filesystem::path& db, bool with_room) {
  agent::AgentConfig c;
  c.key_file = db.string() + ".keys";
  if (with_room) {
    c.storage.max_reports = 0;
    c.storage.max_report_bytes = 0;
  }
  if (auto keys = agent::load_store_keys(c); !keys) return fail(keys.error());
  return c.storage;
}

/// The baseline: sqlite3 directly, one table, one INSERT per transaction (autocommit), on pages
/// of the car store's size (1 KiB): the same frame size per page written, so that the bytes and
/// the rate compare the work done, not the page size. `journal_mode`: WAL, as the car store's;
/// TRUNCATE for the rollback-journal floor of disk_bytes (a page appended to the file is written
/// once there, not to the WAL and again at the checkpoint).
class RawOutbox {
 public:
  static Result<std::unique_ptr<RawOutbox>> open(const std::filesystem::path& path,
                                                 std::string_view journal_mode = "WAL") {
    auto o = std::unique_ptr<RawOutbox>(new RawOutbox);
    if (sqlite3_open(path.c_str(), &o->db_) != SQLITE_OK) return fail(StorageErrc::open_failed, path.string());
    const auto setup = fmt::format(
        "PRAGMA page_size=1024; PRAGMA journal_mode={}; PRAGMA synchronous=FULL;"
        "CREATE TABLE outbox(id TEXT PRIMARY KEY, payload BLOB NOT NULL);",
        journal_mode);
    if (sqlite3_exec(o->db_, setup.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(o->db_, "INSERT INTO outbox(id, payload) VALUES(?, ?)", -1, &o->insert_, nullptr) !=
            SQLITE_OK) {
      return fail(StorageErrc::io, sqlite3_errmsg(o->db_));
    }
    return o;
  }
  ~RawOutbox() { close(); }
  Result<void> insert(const std::string& id, const std::string& payload) {
    sqlite3_bind_text(insert_, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 2, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    if (rc != SQLITE_DONE) return fail(StorageErrc::io, sqlite3_errmsg(db_));
    return {};
  }
  /// The rows inserted in one transaction (synchronous=FULL), as a group commit would.
  Result<void> insert_batch(std::span<const std::string> ids, std::span<const std::string> payloads) {
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(StorageErrc::io, sqlite3_errmsg(db_));
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (auto e = insert(ids[i], payloads[i]); !e) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return e;
      }
    }
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(StorageErrc::io, sqlite3_errmsg(db_));
    }
    return {};
  }
  /// The rows `ids` deleted in one transaction committed with synchronous=NORMAL, as the car
  /// store commits an ack batch (its loss on a power cut only re-sends the reports).
  Result<void> remove_batch(std::span<const std::string> ids) {
    if (!remove_ && sqlite3_prepare_v2(db_, "DELETE FROM outbox WHERE id = ?", -1, &remove_, nullptr) != SQLITE_OK) {
      return fail(StorageErrc::io, sqlite3_errmsg(db_));
    }
    if (sqlite3_exec(db_, "PRAGMA synchronous=NORMAL; BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(StorageErrc::io, sqlite3_errmsg(db_));
    }
    for (const auto& id : ids) {
      sqlite3_bind_text(remove_, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
      const int rc = sqlite3_step(remove_);
      sqlite3_reset(remove_);
      if (rc != SQLITE_DONE) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return fail(StorageErrc::io, sqlite3_errmsg(db_));
      }
    }
    if (sqlite3_exec(db_, "COMMIT; PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(StorageErrc::io, sqlite3_errmsg(db_));
    }
    return {};
  }
  /// Copies the WAL into the file and empties it, so that the writes counted next are only the
  /// next operations' (and their own checkpoint).
  Result<void> checkpoint() {
    if (sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(StorageErrc::io, sqlite3_errmsg(db_));
    }
    return {};
  }
  /// Closing checkpoints the WAL into the file (counted with the rows).
  void close() {
    if (remove_) sqlite3_finalize(std::exchange(remove_, nullptr));
    if (insert_) sqlite3_finalize(std::exchange(insert_, nullptr));
    if (db_) sqlite3_close(std::exchange(db_, nullptr));
  }

 private:
  RawOutbox() = default;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
};

/// The agent's side of `enqueue`: an Agent (not started: no link, the store only) on its own
/// strand, fed by this thread as a UI or a telematics rule would, through submit().
class EnqueueingAgent {
 public:
  static Result<std::unique_ptr<EnqueueingAgent>> open(const std::filesystem::path& db) {
    auto e = std::unique_ptr<EnqueueingAgent>(new EnqueueingAgent);
    agent::AgentConfig c;
    c.vehicle = vehicle(kCarVin);
    c.database = db;
    auto storage = car_store_options(db, true);
    if (!storage) return fail(storage.error());
    c.storage = std::move(*storage);
    auto& clock = SystemClock::instance();
    auto opened = agent::Agent::open(e->io_.strand(), clock, c, mqtt::make_paho_client(e->io_.strand(), clock, c.mqtt));
    if (!opened) return fail(opened.error());
    e->agent_ = std::move(*opened);
    return e;
  }
  ~EnqueueingAgent() { close(); }

  /// Submits every draft at once and waits until each one's commit is durable; the time from
  /// each submit to its completion goes into `latencies`.
  Result<void> submit_all(std::vector<agent::Draft> drafts, Samples& latencies) {
    // Shared with the completions: on a timeout they may still run after this returns.
    struct Pending {
      std::mutex mu;
      std::condition_variable cv;
      std::size_t done = 0;
      std::optional<Error> error;
      std::vector<Duration> latencies;
    };
    auto pending = std::make_shared<Pending>();
    const auto n = drafts.size();
    for (auto& d : drafts) {
      const auto t0 = Clock::now();
      agent_->submit(std::move(d), [pending, n, t0](Result<std::string> r) {
        std::lock_guard lock(pending->mu);
        if (!r && !pending->error) pending->error = r.error();
        pending->latencies.push_back(Clock::now() - t0);
        if (++pending->done == n) pending->cv.notify_all();
      });
    }
    std::unique_lock lock(pending->mu);
    if (!pending->cv.wait_for(lock, kWait, [&] { return pending->done == n; })) {
      return fail(StorageErrc::io, "submits not answered");
    }
    for (const auto& l : pending->latencies) latencies.add(l);
    if (pending->error) return fail(*pending->error);
    return {};
  }
  std::uint64_t commits() {
    std::promise<std::uint64_t> p;
    agent_->stats([&](agent::AgentStats s) { p.set_value(s.report_commits); });  // answered on the strand
    return p.get_future().get();
  }
  /// Closes the store (its last checkpoint) and joins the strand's thread.
  void close() {
    if (agent_) io_.call([&] { agent_.reset(); });
    io_.join();
  }

 private:
  EnqueueingAgent() = default;
  IoThread io_;  // the agent's strand; joined after the agent is gone
  std::unique_ptr<agent::Agent> agent_;
};

/// Rounds of 50 reports, the same bytes on each side, so all see the disk in the same state,
/// until each side has run `seconds`: the agent's submit() of the 50 at once (one burst), the
/// store's enqueue_report() one report at a time, then the raw table one row at a time. Each
/// round also gives the raw table its 50 in one transaction, in WAL and in rollback-journal
/// mode: the least any SQLite queue of these reports writes in the agent's bursts.
Result<void> measure_enqueue(const AgentBenchOptions& o, AgentResults& r) {
  auto car = EnqueueingAgent::open(o.work_dir / "enqueue-agent.db");
  if (!car) return fail(car.error());
  auto store_options = car_store_options(o.work_dir / "enqueue-car.db", true);
  if (!store_options) return fail(store_options.error());
  auto store = agent::CarStore::open(o.work_dir / "enqueue-car.db", *store_options);
  if (!store) return fail(store.error());
  auto raw = RawOutbox::open(o.work_dir / "enqueue-raw.db");
  if (!raw) return fail(raw.error());
  auto raw_wal_batch = RawOutbox::open(o.work_dir / "enqueue-raw-batch.db");
  if (!raw_wal_batch) return fail(raw_wal_batch.error());
  auto raw_journal_batch = RawOutbox::open(o.work_dir / "enqueue-raw-journal.db", "TRUNCATE");
  if (!raw_journal_batch) return fail(raw_journal_batch.error());
  constexpr std::size_t kRound = 50;
  Samples car_samples, lone_samples, raw_samples;
  Duration car_time{}, lone_time{}, raw_time{};
  std::uint64_t car_bytes = 0, lone_bytes = 0, raw_bytes = 0, wal_batch_bytes = 0, journal_batch_bytes = 0;
  std::size_t batched = 0;
  const auto limit = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.enqueue_seconds));
  std::size_t next = 0, bytes = 0;
  while (car_time < limit || lone_time < limit || raw_time < limit) {
    std::vector<agent::Draft> drafts;
    std::vector<std::pair<wire::Envelope, std::string>> round;
    for (std::size_t i = 0; i < kRound; ++i) {
      auto d = draft_of_1kib(next++);
      if (!d) return fail(d.error());
      auto env = agent::build_report(vehicle(kCarVin), *d, SystemClock::instance().epoch_ms());
      if (!env) return fail(env.error());
      auto payload = codec::encode(*env);
      bytes += payload.size();
      drafts.push_back(std::move(*d));
      round.emplace_back(std::move(*env), std::move(payload));
    }
    const auto w0 = write_bytes();
    const auto t0 = Clock::now();
    if (auto e = (*car)->submit_all(std::move(drafts), car_samples); !e) return fail(e.error());
    car_time += Clock::now() - t0;
    const auto w1 = write_bytes();
    for (const auto& [env, payload] : round) {
      const auto t = Clock::now();
      if (auto e = store->enqueue_report(env, payload, agent::ReportClass::normal, SystemClock::instance().epoch_ms());
          !e)
        return fail(e.error());
      lone_samples.add(Clock::now() - t);
      lone_time += Clock::now() - t;
    }
    const auto w2 = write_bytes();
    for (const auto& [env, payload] : round) {
      const auto t = Clock::now();
      if (auto e = (*raw)->insert(env.report().report_id(), payload); !e) return fail(e.error());
      raw_samples.add(Clock::now() - t);
      raw_time += Clock::now() - t;
    }
    const auto w3 = write_bytes();
    std::vector<std::string> ids, payloads;
    for (const auto& [env, payload] : round) {
      ids.push_back(env.report().report_id());
      payloads.push_back(payload);
    }
    if (auto e = (*raw_wal_batch)->insert_batch(ids, payloads); !e) return fail(e.error());
    const auto w4 = write_bytes();
    if (auto e = (*raw_journal_batch)->insert_batch(ids, payloads); !e) return fail(e.error());
    const auto w5 = write_bytes();
    batched += ids.size();
    car_bytes += w1 - w0;
    lone_bytes += w2 - w1;
    raw_bytes += w3 - w2;
    wal_batch_bytes += w4 - w3;
    journal_batch_bytes += w5 - w4;
  }
  r.enqueue_commits = (*car)->commits();
  // Each side's last checkpoint: the rows are in the database file only then.
  auto w0 = write_bytes();
  (*car)->close();
  auto w1 = write_bytes();
  { auto closing = std::move(*store); }
  auto w2 = write_bytes();
  (*raw)->close();
  const auto w3 = write_bytes();
  (*raw_wal_batch)->close();
  const auto w4 = write_bytes();
  (*raw_journal_batch)->close();
  const auto w5 = write_bytes();
  car_bytes += w1 - w0;
  lone_bytes += w2 - w1;
  raw_bytes += w3 - w2;
  wal_batch_bytes += w4 - w3;
  journal_batch_bytes += w5 - w4;

  r.report_bytes = bytes / next;
  r.enqueued = car_samples.size();
  r.lone_enqueued = lone_samples.size();
  r.raw_inserted = raw_samples.size();
  r.enqueue_rate = static_cast<double>(r.enqueued) / to_s(car_time);
  r.lone_enqueue_rate = static_cast<double>(r.lone_enqueued) / to_s(lone_time);
  r.raw_insert_rate = static_cast<double>(r.raw_inserted) / to_s(raw_time);
  r.enqueue_p99_ms = car_samples.percentile_ms(0.99);
  r.lone_enqueue_p99_ms = lone_samples.percentile_ms(0.99);
  r.raw_insert_p99_ms = raw_samples.percentile_ms(0.99);
  r.disk_bytes_per_report = static_cast<double>(car_bytes) / static_cast<double>(r.enqueued);
  r.lone_disk_bytes_per_report = static_cast<double>(lone_bytes) / static_cast<double>(r.lone_enqueued);
  r.raw_disk_bytes_per_row = static_cast<double>(raw_bytes) / static_cast<double>(r.raw_inserted);
  r.raw_batch_disk_bytes_per_row = static_cast<double>(wal_batch_bytes) / static_cast<double>(batched);
  r.raw_journal_batch_disk_bytes_per_row = static_cast<double>(journal_batch_bytes) / static_cast<double>(batched);
  return {};
}

// ---- ack_apply -------------------------------------------------------------------------------

/// A notification of a case's step as the backend sends it to the car.
wire::Envelope case_notification(const std::string& report_id, const std::string& case_number, wire::CaseStatus status,
                                 wire::Milestone milestone, const std::string& title, const std::string& text) {
  auto note = codec::new_envelope(SystemClock::instance().epoch_ms());
  auto* n = note.mutable_notification();
  n->set_report_id(report_id);
  n->set_case_number(case_number);
  n->set_status(status);
  n->set_milestone(milestone);
  n->set_title(title);
  n->set_text(text);
  n->set_language("en");
  n->set_team("R&D / tech support");
  return note;
}

/// The backend's answer to `env` as the car gets it: Accepted with a case number, carrying the
/// case's first notification ("received"), which the car stores with the ack in one commit.
wire::Ack accepted_ack_of(const wire::Envelope& env, const std::string& payload, std::size_t i) {
  wire::Ack ack;
  const auto& report_id = env.report().report_id();
  const auto case_number = fmt::format("FB-2026-{:06d}", i);
  ack.set_report_id(report_id);
  ack.set_payload_sha256(codec::sha256(payload));
  ack.mutable_accepted()->set_case_id(fmt::format("case-{}", i));
  ack.mutable_accepted()->set_case_number(case_number);
  *ack.mutable_accepted()->mutable_notification() = codec::carry(
      case_notification(report_id, case_number, wire::CASE_STATUS_RECEIVED, wire::MILESTONE_RECEIVED,
                        "Feedback received " + case_number, "Passed to R&D / tech support"));
  return ack;
}

/// One status change applied to each acknowledged case, `batch` a commit, and the same loop's
/// figures beside raw sqlite3 INSERTs of the notifications' bytes, `batch` a commit
/// (synchronous=FULL): the least a durable notification could cost.
struct NotificationLoop {
  std::size_t batch = 1;
  wire::CaseStatus status{};
  wire::Milestone milestone{};
  ReportStatus shown{};  // what the report must read after its notification
  std::string title_prefix, text, raw_file;
};
struct NotificationFigures {
  double rate = 0, raw_rate = 0, disk_bytes = 0, raw_disk_bytes = 0;
};

Result<NotificationFigures> measure_notification_loop(const AgentBenchOptions& o, const std::filesystem::path& db,
                                                      const agent::CarStore::Options& options,
                                                      const std::vector<wire::Ack>& acks,
                                                      const NotificationLoop& loop) {
  std::vector<wire::Envelope> notes;
  std::vector<std::string> ids, encoded;
  for (const auto& ack : acks) {
    const auto& case_number = ack.accepted().case_number();
    auto note = case_notification(ack.report_id(), case_number, loop.status, loop.milestone,
                                  loop.title_prefix + case_number, loop.text);
    ids.push_back(note.message_id());
    encoded.push_back(codec::encode(note));
    notes.push_back(std::move(note));
  }
  auto raw = RawOutbox::open(o.work_dir / loop.raw_file);
  if (!raw) return fail(raw.error());
  const auto receipts = topics::receipts(kCarVin);
  const auto batches = [&](auto&& apply) -> Result<void> {
    for (std::size_t at = 0; at < notes.size(); at += loop.batch) {
      if (auto e = apply(at, std::min(loop.batch, notes.size() - at)); !e) return e;
    }
    return {};
  };
  const auto per_note = [&](auto total) { return static_cast<double>(total) / static_cast<double>(notes.size()); };
  NotificationFigures f;
  const auto w0 = write_bytes();
  {
    auto store = agent::CarStore::open(db, options);
    if (!store) return fail(store.error());
    const auto t0 = Clock::now();
    auto applied = batches([&](std::size_t at, std::size_t n) -> Result<void> {
      // With the views, as the agent asks for them for the app.
      auto results = store->apply_notifications(std::span(notes).subspan(at, n), receipts,
                                                SystemClock::instance().epoch_ms(), /*with_views=*/true);
      if (!results) return fail(results.error());
      for (const auto& one : *results) {
        if (!one.report || one.report->status != loop.shown) {
          return fail(StorageErrc::not_found, "notifications: a case's report was not updated");
        }
      }
      return {};
    });
    if (!applied) return fail(applied.error());
    f.rate = static_cast<double>(notes.size()) / to_s(Clock::now() - t0);
  }
  const auto w1 = write_bytes();
  const auto t0 = Clock::now();
  if (auto e = batches([&](std::size_t at, std::size_t n) {
        return (*raw)->insert_batch(std::span(ids).subspan(at, n), std::span(encoded).subspan(at, n));
      });
      !e) {
    return fail(e.error());
  }
  f.raw_rate = static_cast<double>(notes.size()) / to_s(Clock::now() - t0);
  (*raw)->close();
  const auto w2 = write_bytes();
  f.disk_bytes = per_note(w1 - w0);
  f.raw_disk_bytes = per_note(w2 - w1);
  return f;
}

/// The car's work per later notification of a case, on the reports `measure_ack_apply`
/// acknowledged (the inbox row, the report's row, its timeline step and the delivered receipt
/// queued): a status change ("in progress") one a commit, as the agent applies a lone one; then
/// the next ("waiting for you") kNotificationBatch a commit, as it applies the notifications that
/// arrive together (after a reconnect).
Result<void> measure_notifications(const AgentBenchOptions& o, const std::filesystem::path& db,
                                   const agent::CarStore::Options& options, const std::vector<wire::Ack>& acks,
                                   AgentResults& r) {
  constexpr std::size_t kNotificationBatch = 16;
  auto lone =
      measure_notification_loop(o, db, options, acks,
                                {.batch = 1,
                                 .status = wire::CASE_STATUS_IN_PROGRESS,
                                 .milestone = wire::MILESTONE_IN_PROGRESS,
                                 .shown = ReportStatus::in_progress,
                                 .title_prefix = "Work started on ",
                                 .text = "An engineer is looking into the rattle; we will tell you what we find",
                                 .raw_file = "notify-raw.db"});
  if (!lone) return fail(lone.error());
  r.notification_rate = lone->rate;
  r.raw_notification_rate = lone->raw_rate;
  r.notification_disk_bytes = lone->disk_bytes;
  r.raw_notification_disk_bytes = lone->raw_disk_bytes;
  auto grouped = measure_notification_loop(o, db, options, acks,
                                           {.batch = kNotificationBatch,
                                            .status = wire::CASE_STATUS_WAITING_FOR_DRIVER,
                                            .milestone = wire::MILESTONE_WAITING_FOR_DRIVER,
                                            .shown = ReportStatus::waiting_for_driver,
                                            .title_prefix = "A question about ",
                                            .text = "Does the rattle come back after the car has stood overnight?",
                                            .raw_file = "notify-grouped-raw.db"});
  if (!grouped) return fail(grouped.error());
  r.grouped_notification_rate = grouped->rate;
  r.raw_grouped_notification_rate = grouped->raw_rate;
  r.grouped_notification_disk_bytes = grouped->disk_bytes;
  r.raw_grouped_notification_disk_bytes = grouped->raw_disk_bytes;
  r.notification_batch = kNotificationBatch;
  return {};
}

/// The car's work per backend acknowledgement, without the link: o.drain_reports reports queued
/// in a sealed store, then their acks applied kAckBatch at a time, as Agent applies the acks
/// that arrive together (CarStore::apply_acks with the reports' views for the listeners). The
/// baseline deletes the same number of rows from the raw outbox table, kAckBatch a transaction
/// committed the same way (synchronous=NORMAL): the least an ack could cost in SQLite.
Result<void> measure_ack_apply(const AgentBenchOptions& o, AgentResults& r) {
  constexpr std::size_t kAckBatch = 16;  // the publish window: acks of one window come together
  const auto db = o.work_dir / "ack-car.db";
  auto store_options = car_store_options(db, true);
  if (!store_options) return fail(store_options.error());
  auto store = agent::CarStore::open(db, *store_options);
  if (!store) return fail(store.error());
  auto raw = RawOutbox::open(o.work_dir / "ack-raw.db");
  if (!raw) return fail(raw.error());
  std::vector<wire::Ack> acks;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < static_cast<std::size_t>(o.drain_reports); ++i) {
    auto env = report_of_1kib(i);
    if (!env) return fail(env.error());
    auto payload = codec::encode(*env);
    const auto now = SystemClock::instance().epoch_ms();
    if (auto e = store->enqueue_report(*env, payload, agent::ReportClass::normal, now); !e) return fail(e.error());
    if (auto e = (*raw)->insert(env->report().report_id(), payload); !e) return fail(e.error());
    acks.push_back(accepted_ack_of(*env, payload, i));
    ids.push_back(env->report().report_id());
  }
  // The queued reports checkpointed first (closing the store does), so that the bytes counted
  // are the acks' own: their WAL frames and, at the close after them, their checkpoint.
  { auto closing = std::move(*store); }
  if (auto e = (*raw)->checkpoint(); !e) return fail(e.error());
  store = agent::CarStore::open(db, *store_options);
  if (!store) return fail(store.error());
  const auto now = SystemClock::instance().epoch_ms();
  const auto w0 = write_bytes();
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < acks.size(); i += kAckBatch) {
    const auto n = std::min(kAckBatch, acks.size() - i);
    auto applied = store->apply_acks(std::span<const wire::Ack>(acks.data() + i, n), now, /*with_views=*/true);
    if (!applied) return fail(applied.error());
    if (!std::ranges::all_of(*applied, [](const agent::AckResult& a) { return a.matched && a.report; })) {
      return fail(StorageErrc::not_found, "ack_apply: an ack matched no queued report");
    }
  }
  r.ack_apply_rate = static_cast<double>(acks.size()) / to_s(Clock::now() - t0);
  { auto closing = std::move(*store); }
  const auto w1 = write_bytes();
  t0 = Clock::now();
  for (std::size_t i = 0; i < ids.size(); i += kAckBatch) {
    const auto n = std::min(kAckBatch, ids.size() - i);
    if (auto e = (*raw)->remove_batch(std::span<const std::string>(ids.data() + i, n)); !e) return fail(e.error());
  }
  r.raw_ack_delete_rate = static_cast<double>(ids.size()) / to_s(Clock::now() - t0);
  (*raw)->close();
  const auto w2 = write_bytes();
  r.ack_disk_bytes = static_cast<double>(w1 - w0) / static_cast<double>(acks.size());
  r.raw_ack_disk_bytes = static_cast<double>(w2 - w1) / static_cast<double>(ids.size());
  r.ack_batch = kAckBatch;
  return measure_notifications(o, db, *store_options, acks, r);
}

// ---- drain ------------------------------------------------------------------------------------

/// Counts the reports the agent has seen acknowledged, and when its link came up.
class DrainListener final : public agent::AgentListener {
 public:
  explicit DrainListener(std::size_t expected) : expected_(expected) {}
  void report_changed(const agent::ReportView& r) override {
    if (r.status == ReportStatus::queued) return;
    std::lock_guard lock(mu_);
    if (acked_.insert(r.report_id).second && acked_.size() == expected_) {
      last_ = Clock::now();
      cv_.notify_all();
    }
  }
  void report_sent(const std::string& report_id) override {
    std::lock_guard lock(mu_);
    if (sent_.insert(report_id).second && sent_.size() == expected_) last_sent_ = Clock::now();
  }
  void connection_changed(bool up) override {
    std::lock_guard lock(mu_);
    if (up && !connected_) connected_ = Clock::now();
  }
  struct Times {
    TimePoint up, last_sent, last_acked;
  };
  /// When the link came up, the last report was taken by the broker (PUBACK; the ack's time if
  /// acks came first) and the last ack was applied; nullopt on timeout.
  std::optional<Times> wait(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return acked_.size() >= expected_ && connected_; })) return std::nullopt;
    return Times{*connected_, last_sent_.value_or(last_), last_};
  }
  std::size_t acked() {
    std::lock_guard lock(mu_);
    return acked_.size();
  }

 private:
  std::size_t expected_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> acked_;
  std::set<std::string> sent_;
  std::optional<TimePoint> last_sent_;
  std::optional<TimePoint> connected_;
  TimePoint last_{};
};

agent::AgentConfig car_config(const test::Broker& broker, const test::Pki& pki, const std::filesystem::path& db,
                              agent::SendScheduler::Policy sending) {
  agent::AgentConfig c;
  c.sending = sending;
  c.vehicle = vehicle(kCarVin);
  c.database = db;
  c.key_file = db.string() + ".keys";  // sealed, as a car's store is
  c.mqtt = test::client_options(broker, kCarVin, pki.vehicle(kCarVin));
  return c;
}

/// Starts an agent on `db`, waits until `expected` reports are acknowledged, stops it. Returns
/// the moment start() was called and the listener's times. `threads_at_end`, if given: this
/// process's CPU by thread name once the last ack is in, while the car's threads still run.
Result<std::pair<TimePoint, DrainListener::Times>> run_agent_until_acked(
    const test::Broker& broker, const test::Pki& pki, const std::filesystem::path& db, std::size_t expected,
    const std::optional<agent::Draft>& submit, agent::SendScheduler::Policy sending = {},
    std::map<std::string, double>* threads_at_end = nullptr) {
  DrainListener listener(expected);
  IoThread io{1, "car"};  // the car's strand; joined after the agent is stopped
  auto config = car_config(broker, pki, db, sending);
  auto& clock = SystemClock::instance();
  auto opened = agent::Agent::open(io.strand(), clock, config, mqtt::make_paho_client(io.strand(), clock, config.mqtt));
  if (!opened) return fail(opened.error());
  auto& car = **opened;
  car.add_listener(&listener);
  const auto started = Clock::now();
  if (auto r = io.call([&] { return car.start(); }); !r) return fail(r.error());
  if (submit) car.submit(*submit, nullptr);
  auto times = listener.wait(std::chrono::duration_cast<std::chrono::seconds>(kWait * 5));
  if (threads_at_end) *threads_at_end = thread_cpu_seconds();
  io.call([&] { car.stop(); });
  io.join();
  if (!times) {
    return fail(MqttErrc::not_connected,
                fmt::format("drain: {} of {} reports acknowledged in time", listener.acked(), expected));
  }
  return std::pair{started, *times};
}

backend::BackendConfig agent_backend_config(const test::Broker& broker, const test::Pki& pki,
                                            const AgentBenchOptions& o) {
  auto c = backend::default_config();
  c.grouping.merge_window_ms = 0;  // a case per report, as the drain's reports are all alike
  c.mqtt.server_uri = broker.uri();
  c.mqtt.tls = pki.backend();
  c.database = o.work_dir / "agent-bench-cases.db";
  c.rules_dir = o.rules_dir;
  c.service.admission.per_vin_rate = 0;  // the drain is one car's whole outbox at once
  return c;
}

/// CPU seconds used so far by this process and the broker (pid `broker`).
double cpu_seconds_with(pid_t broker) { return own_cpu_seconds() + process_cpu_seconds(broker); }

Result<void> measure_drain(const test::Broker& broker, pid_t broker_pid, const test::Pki& pki,
                           const AgentBenchOptions& o, AgentResults& r) {
  const auto db = o.work_dir / "drain-car.db";
  // A probe report first: the backend's session and the car's exist before the clock starts.
  agent::Draft probe;
  probe.category = wire::CATEGORY_NOISE;
  probe.text = "agent bench probe";
  // Until the backend has subscribed, the broker drops reports: the probe is re-sent every second.
  if (auto p = run_agent_until_acked(broker, pki, db, 1, probe, {.ack_timeout = 1s, .max_backoff = 1s}); !p) {
    return fail(p.error());
  }
  {
    auto store_options = car_store_options(db, false);
    if (!store_options) return fail(store_options.error());
    auto store = agent::CarStore::open(db, *store_options);
    if (!store) return fail(store.error());
    for (int i = 0; i < o.drain_reports; ++i) {
      auto env = report_of_1kib(static_cast<std::size_t>(i));
      if (!env) return fail(env.error());
      if (auto e = store->enqueue_report(*env, codec::encode(*env), agent::ReportClass::normal,
                                         SystemClock::instance().epoch_ms());
          !e) {
        return fail(e.error());
      }
    }
  }
  const auto threads0 = thread_cpu_seconds();
  const double own0 = own_cpu_seconds(), broker0 = process_cpu_seconds(broker_pid);
  std::map<std::string, double> threads1;
  auto times = run_agent_until_acked(broker, pki, db, static_cast<std::size_t>(o.drain_reports), std::nullopt, {},
                                     &threads1);
  if (!times) return fail(times.error());
  const double broker_s = process_cpu_seconds(broker_pid) - broker0;
  r.drain_cpu_by_thread.clear();
  for (const auto& [name, s] : threads1) {
    const auto before = threads0.find(name);
    const double used = s - (before == threads0.end() ? 0.0 : before->second);
    if (used > 0) r.drain_cpu_by_thread.emplace_back(name, used / o.drain_reports);
  }
  r.drain_cpu_by_thread.emplace_back("mosquitto", broker_s / o.drain_reports);
  std::sort(r.drain_cpu_by_thread.begin(), r.drain_cpu_by_thread.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  r.drain_cpu_s_per_report = (own_cpu_seconds() - own0 + broker_s) / o.drain_reports;
  r.drain_broker_cpu_s_per_report = broker_s / o.drain_reports;
  const auto& [started, t] = *times;
  r.drain_connect_s = to_s(t.up - started);
  r.drain_rate = o.drain_reports / to_s(t.last_acked - t.up);
  r.drain_published_rate = o.drain_reports / to_s(t.last_sent - t.up);
  r.drain_window = agent::SendScheduler::Policy{}.max_inflight;
  return {};
}

/// Raw Paho C++ with a car's certificate: the same number of fresh 1 KiB reports, publish ->
/// PUBACK with the agent's in-flight window, TCP_NODELAY set as our wrapper sets it.
/// `cpu_s_per_report`, if given: this process's and the broker's (pid `broker_pid`) CPU seconds
/// per report from the first publish to the last PUBACK.
Result<double> measure_raw_puback(const test::Broker& broker, const test::Pki& pki, const AgentBenchOptions& o,
                                  std::size_t window, pid_t broker_pid = -1, double* cpu_s_per_report = nullptr) {
  std::vector<std::string> payloads;
  for (int i = 0; i < o.drain_reports; ++i) {
    auto env = report_of_1kib(static_cast<std::size_t>(i), kOtherVin);
    if (!env) return fail(env.error());
    payloads.push_back(codec::encode(*env));
  }
  // The other car's identity: the backend's acks to these reports must not reach the car's session.
  auto client = RawPahoClient::connect(broker.uri(), kOtherVin, pki.vehicle(kOtherVin), "", nullptr,
                                       static_cast<int>(window));
  if (!client) return fail(client.error());
  enable_tcp_nodelay_to(broker.port());
  const double cpu0 = cpu_s_per_report ? cpu_seconds_with(broker_pid) : 0;
  const auto t0 = Clock::now();
  if (auto p = (*client)->publish_all(topics::reports(kOtherVin), payloads, window); !p) return fail(p.error());
  const auto elapsed = Clock::now() - t0;
  if (cpu_s_per_report) *cpu_s_per_report = (cpu_seconds_with(broker_pid) - cpu0) / o.drain_reports;
  return o.drain_reports / to_s(elapsed);
}

/// Waits until `backend` has taken `reports` in all (accepted or duplicates), polling its counters.
Result<void> wait_taken(test::InProcessBackend& backend, std::uint64_t reports) {
  const auto deadline = Clock::now() + kWait;
  while (backend.stats().ingest.accepted + backend.stats().ingest.duplicates < reports) {
    if (Clock::now() > deadline) return fail(MqttErrc::not_connected, "the backend did not take the raw reports");
    std::this_thread::sleep_for(10ms);
  }
  return {};
}

// ---- fb-car processes: RSS and idle CPU -------------------------------------------------------

std::vector<std::string> car_argv(const test::Broker& broker, const test::Pki& pki, const std::filesystem::path& db,
                                  const AgentBenchOptions& o) {
  std::vector<std::string> argv = o.car_command;
  if (argv.empty()) argv.emplace_back(test::kCarBin);
  // The child is started with execv: a bare program name is looked up in PATH here.
  if (argv.front().find('/') == std::string::npos) {
    if (auto found = find_program(argv.front()); !found.empty()) argv.front() = found;
  }
  argv.insert(argv.end(), {"--vin", kCarVin, "--broker", broker.uri(), "--pki", pki.dir(), "--db", db.string()});
  return argv;
}

/// mosquitto_sub with the other car's certificate on its inbox (keepalive 30 s, the agent's).
Result<std::unique_ptr<test::Process>> idle_mqtt_client(const test::Broker& broker, const test::Pki& pki) {
  const auto program = find_program("mosquitto_sub"), stdbuf = find_program("stdbuf");
  if (program.empty()) return fail(StorageErrc::not_found, "mosquitto_sub not found (Debian: mosquitto-clients)");
  if (stdbuf.empty()) return fail(StorageErrc::not_found, "stdbuf not found (coreutils)");
  const auto tls = pki.vehicle(kOtherVin);
  // stdbuf execs mosquitto_sub with a line-buffered stdout, so that its "SUBACK" line arrives.
  std::vector<std::string> argv{stdbuf, "-oL", program, "-h", "127.0.0.1", "-p", std::to_string(broker.port())};
  argv.insert(argv.end(),
              {"--cafile", tls.ca_file.string(), "--cert", tls.cert_file.string(), "--key", tls.key_file.string(), "-i",
               kOtherVin, "-k", "30", "-q", "1", "-t", topics::inbox(kOtherVin), "-d"});
  return std::make_unique<test::Process>("mosquitto_sub", std::move(argv));
}

Result<void> measure_rss(const test::Broker& broker, const test::Pki& pki, const AgentBenchOptions& o,
                         AgentResults& r) {
  const auto count = static_cast<std::size_t>(std::max(1.0, o.rss_seconds * 10));
  auto argv = car_argv(broker, pki, o.work_dir / "rss-car.db", o);
  argv.insert(argv.end(),
              {"--snapshot", "--post", fmt::format("{}", o.rss_post_s), "stream", "--count", std::to_string(count),
               "--rate", "10", "--id-seed", "7", "--drive-before", fmt::format("{}", o.rss_drive_before_s)});
  auto baseline = idle_mqtt_client(broker, pki);
  if (!baseline) return fail(baseline.error());
  test::Process car("fb-car", argv);
  if (!(*baseline)->wait_for_line("SUBACK", kWait)) return fail(MqttErrc::connect_failed, (*baseline)->output());
  // VmHWM is the peak so far; read until the stream is done (the process is gone right after).
  const auto deadline = Clock::now() + kWait + std::chrono::seconds(count / 10) +
                        std::chrono::seconds(static_cast<int>(o.rss_drive_before_s + o.rss_post_s));
  for (;;) {
    r.rss_mb = std::max(r.rss_mb, peak_rss_mb(car.pid()));
    if (car.wait_for_line("^done ", 100ms)) break;
    if (!car.running() || Clock::now() > deadline) {
      return fail(MqttErrc::not_connected, "fb-car stream did not finish:\n" + car.output());
    }
  }
  r.baseline_rss_mb = peak_rss_mb((*baseline)->pid());
  r.rss_reports = car.count_lines("^acked ");
  if (car.wait_exit(kWait) != 0) return fail(MqttErrc::not_connected, "fb-car stream failed:\n" + car.output());
  (*baseline)->kill_and_wait(SIGTERM);
  return {};
}

Result<void> measure_idle_cpu(const test::Broker& broker, const test::Pki& pki, const AgentBenchOptions& o,
                              AgentResults& r) {
  auto argv = car_argv(broker, pki, o.work_dir / "idle-car.db", o);
  argv.insert(argv.end(), {"--wait", std::to_string(static_cast<int>(o.idle_seconds) + 60), "listen"});
  auto baseline = idle_mqtt_client(broker, pki);
  if (!baseline) return fail(baseline.error());
  test::Process car("fb-car", argv);
  if (!car.wait_for_line("connected to broker", kWait)) return fail(MqttErrc::connect_failed, car.output());
  if (!(*baseline)->wait_for_line("SUBACK", kWait)) return fail(MqttErrc::connect_failed, (*baseline)->output());
  const double car0 = process_cpu_seconds(car.pid()), base0 = process_cpu_seconds((*baseline)->pid());
  const auto t0 = Clock::now();
  // A benchmark's window, not a synchronisation: both are left alone for this long.
  std::this_thread::sleep_for(std::chrono::duration<double>(o.idle_seconds));
  r.idle_cpu_s = process_cpu_seconds(car.pid()) - car0;
  r.baseline_idle_cpu_s = process_cpu_seconds((*baseline)->pid()) - base0;
  r.idle_window_s = to_s(Clock::now() - t0);
  car.kill_and_wait(SIGTERM);
  (*baseline)->kill_and_wait(SIGTERM);
  return {};
}

}  // namespace

Result<AgentResults> measure_agent(const AgentBenchOptions& o) {
  AgentResults r;
  // First, while no broker or backend of ours writes: /proc/self/io counts this process only,
  // and nothing else of ours is on the disk.
  const bool in_process = o.car_command.empty();
  if (in_process && !o.drain_only) {
    if (auto e = measure_enqueue(o, r); !e) return fail(prefixed("enqueue", e.error()));
    if (auto e = measure_ack_apply(o, r); !e) return fail(prefixed("ack_apply", e.error()));
  }

  // The broker drops privileges to "mosquitto" when run as root: it must reach its run dir.
  std::filesystem::permissions(o.work_dir, std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
  test::Pki pki((o.work_dir / "pki").string(), {kCarVin, kOtherVin});
  test::Broker broker((o.work_dir / "broker").string(), pki);
  if (in_process) {
    {
      test::InProcessBackend backend(agent_backend_config(broker, pki, o));
      if (auto s = backend.start(); !s) return fail(s.error());
      if (auto e = measure_drain(broker, broker.process().pid(), pki, o, r); !e) {
        return fail(prefixed("drain", e.error()));
      }
      // The baseline under the drain's load: the backend takes these reports and answers them as
      // it answered the car's, on the same cores.
      const auto before = backend.stats().ingest;
      auto loaded = measure_raw_puback(broker, pki, o, r.drain_window);
      if (!loaded) return fail(prefixed("raw Paho drain beside the backend", loaded.error()));
      r.raw_puback_rate_with_backend = *loaded;
      // Taken before this backend goes: none of them is left for the next one's measures.
      if (auto t = wait_taken(backend,
                              before.accepted + before.duplicates + static_cast<std::uint64_t>(o.drain_reports));
          !t) {
        return fail(t.error());
      }
    }
    // The baseline without a backend: publish -> PUBACK only (the broker keeps them for its session).
    auto raw = measure_raw_puback(broker, pki, o, r.drain_window, broker.process().pid(),
                                  &r.raw_puback_cpu_s_per_report);
    if (!raw) return fail(prefixed("raw Paho drain", raw.error()));
    r.cores = std::thread::hardware_concurrency();
    r.raw_puback_rate = *raw;
  }
  if (o.drain_only) return r;

  test::InProcessBackend backend(agent_backend_config(broker, pki, o));
  if (auto s = backend.start(); !s) return fail(s.error());
  // It takes the baseline's reports from its session first: not during the process measures.
  if (auto t = wait_taken(backend, in_process ? static_cast<std::uint64_t>(o.drain_reports) : 0); !t) {
    return fail(t.error());
  }
  if (auto e = measure_rss(broker, pki, o, r); !e) return fail(prefixed("agent_rss_mb", e.error()));
  if (auto e = measure_idle_cpu(broker, pki, o, r); !e) {
    return fail(prefixed("agent idle CPU", e.error()));
  }
  return r;
}

}  // namespace fb::bench
