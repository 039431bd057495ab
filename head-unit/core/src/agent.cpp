#include "fb/agent/agent.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "fb/agent/message_expiry.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/topics.hpp"

namespace fb::agent {

namespace asio = boost::asio;

AgentConfig make_agent_config(VehicleIdentity vehicle, std::string broker_uri, const std::filesystem::path& pki_dir,
                              std::filesystem::path database) {
  AgentConfig c;
  c.mqtt.server_uri = std::move(broker_uri);
  c.mqtt.client_id = vehicle.vin;
  c.mqtt.tls = mqtt::tls_files_in(pki_dir / "vehicles" / vehicle.vin);
  // Offline after a clean stop too: the car says it itself (the broker drops a will on DISCONNECT).
  c.mqtt.will = mqtt::Will{.topic = topics::status(vehicle.vin),
                           .payload = std::string(topics::status_offline),
                           .qos = mqtt::QoS::at_least_once,
                           .retain = true,
                           .on_clean_stop = true};
  c.vehicle = std::move(vehicle);
  c.database = std::move(database);
  c.key_file = c.database.string() + ".keys";
  return c;
}

Result<void> load_store_keys(AgentConfig& config) {
  if (config.key_file.empty() || config.storage.keys) return {};
  if (auto made = crypto::ensure_key_file(config.key_file); !made) return fail(made.error());
  auto ring = crypto::KeyFileSource(config.key_file).load();
  if (!ring) return fail(ring.error());
  config.storage.keys = std::make_shared<const crypto::KeyRing>(std::move(*ring));
  return {};
}

void Agent::forget_finished(CarStore& store, std::int64_t now_ms) {
  // Not fatal: the history stays and is tried again at the next start.
  if (auto forgotten = store.forget_finished(now_ms); !forgotten) {
    spdlog::warn("agent: finished reports past their history not forgotten: {}", forgotten.error().what());
  } else if (!forgotten->empty()) {
    spdlog::info("agent: {} finished report(s) older than the history forgotten", forgotten->size());
  }
}

Result<std::unique_ptr<Agent>> Agent::open(asio::any_io_executor executor, const Clock& clock, AgentConfig config,
                                           std::unique_ptr<mqtt::Client> client) {
  if (!client || client->get_executor() != executor) {
    return fail(MqttErrc::invalid_argument, "the agent and its MQTT client must share one executor");
  }
  if (auto keys = load_store_keys(config); !keys) return fail(keys.error());
  auto store = CarStore::open(config.database, config.storage);
  if (!store) return fail(store.error());
  // Before anyone reads My reports; on a clock still unset, once it is set (expire_due()).
  forget_finished(*store, clock.epoch_ms());
  return std::unique_ptr<Agent>(
      new Agent(std::move(executor), clock, std::move(config), std::move(client), std::move(*store)));
}

Agent::Agent(asio::any_io_executor executor, const Clock& clock, AgentConfig config,
             std::unique_ptr<mqtt::Client> client, CarStore store)
    : executor_(std::move(executor)),
      clock_(clock),
      config_(std::move(config)),
      client_(std::move(client)),
      store_(std::move(store)),
      scheduler_(config_.sending),
      timer_(executor_, clock_),
      expiry_timer_(executor_, clock_),
      forget_due_(clock_.epoch_ms() < config_.storage.clock_valid_from_ms) {}

Agent::~Agent() { stop(); }

void Agent::add_listener(AgentListener* listener) { listeners_.push_back(listener); }

Result<void> Agent::start() {
  if (running_) return {};
  auto outbox = store_.outbox();
  if (!outbox) return fail(outbox.error());
  for (const auto& e : *outbox) {
    if (e.hold_until_ms == 0) scheduler_.add(e, clock_.steady_now());
  }
  if (!outbox->empty()) spdlog::info("agent: {} message(s) waiting in the outbox", outbox->size());

  client_->on_message([this](const mqtt::Message& m) { on_message(m); });
  client_->on_connection([this](bool up, const Error&) { on_connection(up); });
  client_->subscribe(topics::inbox(config_.vehicle.vin), mqtt::QoS::at_least_once);
  running_ = true;
  // Held reports of an earlier run: their recordings died with it. Released without a snapshot
  // (flagged) rather than held forever.
  for (const auto& e : *outbox) {
    if (e.hold_until_ms != 0) release_held(e, nullptr);
  }
  if (const auto& aside = store_.set_aside()) {
    const auto recovered = store_.recovery() ? "; " + store_.recovery()->summary() : std::string();
    spdlog::warn("agent: queue file corrupt, kept as {}{}", aside->string(), recovered);
    asio::post(executor_, [this, aside = *aside, recovered] {
      storage_problem(Error(StorageErrc::corrupt, "the queue file was damaged; kept as " + aside.string() +
                                                      " and a new one started" + recovered));
    });
  }
  asio::post(executor_, [this] { expire_due(); });
  if (auto r = client_->start(); !r) {
    spdlog::error("agent: link not started: {}; reports are saved and stay queued", r.error().what());
    asio::post(executor_, [this, e = r.error()] {
      for (auto* l : listeners_) l->link_problem(e);
    });
  }
  return {};
}

void Agent::stop() {
  if (!running_) return;
  running_ = false;
  connected_ = false;
  timer_.cancel();
  expiry_timer_.cancel();
  // Their reports stay held in the store; the next start releases them without a snapshot.
  for (const auto& [id, tap] : taps_) config_.recorder->cancel(tap);
  taps_.clear();
  unreleased_.clear();  // still held in the store: the next start releases them
  client_->stop();
}

void Agent::network_up() {
  post_call([this] {
    if (running_) client_->network_up();
  });
}

namespace {

// How long expiry work waits after the store failed it, or left an expiry due (see expire_due).
constexpr std::chrono::seconds kExpiryRetry{30};

// Moves a snapshot's window and sample times by `offset_ms` (both wire forms of a series).
void shift_times(wire::DiagnosticSnapshot& snapshot, std::int64_t offset_ms) {
  snapshot.set_window_start_ms(snapshot.window_start_ms() + offset_ms);
  snapshot.set_window_end_ms(snapshot.window_end_ms() + offset_ms);
  for (auto& series : *snapshot.mutable_signals()) {
    if (series.count() > 0) series.set_t0_ms(series.t0_ms() + offset_ms);
    for (auto& t : *series.mutable_t_ms()) t += offset_ms;
  }
}

}  // namespace

std::optional<std::int64_t> Agent::snapshot_clock_ms() const {
  if (config_.recorder == nullptr) return std::nullopt;
  return steady_ms(clock_);
}

void Agent::submit(Draft draft, std::function<void(Result<std::string>)> done) {
  std::lock_guard lock(submitted_mu_);
  // Joins the batch whose flush is posted, unless another call was posted after that flush: the
  // report then goes in a new batch, behind that call (e.g. save_draft, then its draft's report).
  if (!open_batch_) {
    open_batch_ = std::make_shared<std::vector<Submission>>();
    // Under the lock: a submit that joins this batch from another thread returns only once
    // the flush is in line. post() never runs the handler inline.
    asio::post(executor_, [this, batch = open_batch_] { flush_submits(batch); });
  }
  open_batch_->push_back(Submission{std::move(draft), std::move(done)});
}

void Agent::post_call(std::function<void()> call) {
  std::lock_guard lock(submitted_mu_);
  open_batch_.reset();  // what is submitted from now on is committed after this call
  // What the backend sent before the call is applied before it: an erasure or a read of My
  // reports never misses a notification that was already on the strand.
  asio::post(executor_, [this, call = std::move(call)] {
    apply_inbound();
    call();
  });
}

void Agent::flush_submits(const std::shared_ptr<std::vector<Submission>>& submitted) {
  std::vector<Submission> batch;
  {
    std::lock_guard lock(submitted_mu_);
    batch = std::exchange(*submitted, {});
    if (open_batch_ == submitted) open_batch_.reset();
  }
  std::vector<BuiltReport> built;
  built.reserve(batch.size());
  for (auto& s : batch) {
    const auto now = clock_.epoch_ms();
    auto env = build_report(config_.vehicle, s.draft, now);
    if (!env) {
      spdlog::warn("agent: report not saved: {}", env.error().what());
      if (s.done) s.done(fail(env.error()));
      continue;
    }
    auto payload = codec::encode(*env);
    const bool capture = s.draft.capture_snapshot && s.draft.consent.diagnostics() && !s.draft.snapshot &&
                         config_.recorder != nullptr && running_;
    std::optional<std::int64_t> hold;
    if (capture) {
      const auto& rc = config_.recorder->config();
      hold = now + (rc.post + rc.settle).count();
    }
    const auto report_class = report_class_of(s.draft);
    built.push_back(BuiltReport{std::move(s), std::move(*env), std::move(payload), report_class, now, hold, capture});
  }
  if (built.empty()) return;
  std::vector<NewReport> rows;
  rows.reserve(built.size());
  for (const auto& b : built) {
    rows.push_back(NewReport{&b.envelope, &b.payload, b.report_class, b.now, b.hold, b.submission.draft.draft_id});
  }
  auto results = store_.enqueue_reports(rows);
  if (results && std::ranges::any_of(*results, [](const auto& r) { return r.has_value(); })) ++stats_.report_commits;
  if (!results && rows.size() > 1) {
    // The whole batch failed (e.g. the disk is full): each report alone, so that each gets its own answer.
    results.emplace();
    for (const auto& row : rows) {
      auto one = store_.enqueue_reports({&row, 1});
      results->push_back(one ? std::move(one->front()) : Result<Enqueued>(fail(one.error())));
      if (results->back()) ++stats_.report_commits;
    }
  }
  for (std::size_t i = 0; i < built.size(); ++i) {
    queued(built[i], results ? std::move((*results)[i]) : Result<Enqueued>(fail(results.error())));
  }
  arm_expiry();
  pump();
}

void Agent::queued(const BuiltReport& report, Result<Enqueued> r) {
  const auto& done = report.submission.done;
  const auto& draft = report.submission.draft;
  if (!r) {
    spdlog::error("agent: report not saved: {}", r.error().what());
    if (r.error().code == make_error_code(StorageErrc::full)) {
      // What the driver reads: nothing is lost, and it clears itself as acks free space.
      auto full = Error(StorageErrc::full,
                        "storage full: this report was not saved; the reports saved before it are kept and still "
                        "sent (" +
                            r.error().detail + ")");
      storage_problem(full);
      if (done) done(fail(std::move(full)));
      return;
    }
    if (r.error().code.category() == storage_category()) storage_problem(r.error());
    if (done) done(fail(r.error()));
    return;
  }
  const auto& id = report.envelope.report().report_id();
  if (report.now < config_.storage.clock_valid_from_ms) expiry_fix_due_ = true;  // its time to live waits
  dropped(r->evicted);
  OutboxEntry entry{id,
                    OutboxKind::report,
                    topics::reports(config_.vehicle.vin),
                    static_cast<int>(report.report_class),
                    report.now,
                    r->expires_ms,
                    report.hold.value_or(0)};
  if (report.capture) {
    const auto& rc = config_.recorder->config();
    const auto steady_now = steady_ms(clock_);
    const auto at = std::min(draft.snapshot_at_ms.value_or(steady_now), steady_now);
    if (steady_now - at > (rc.post + rc.settle + SnapshotRecorder::kRingSlack).count()) {
      // The ring no longer holds that moment's pre-tap window: a snapshot of another moment would mislead.
      spdlog::info("agent: report {}: its snapshot moment is {} ms old, no longer recorded", id, steady_now - at);
      release_held(entry, nullptr);
    } else {
      // The snapshot's times are relative to its tap, the wire's to the report's car_time_ms.
      taps_[id] = config_.recorder->tap(at, [this, entry, offset = at - steady_now](const Snapshot& snapshot) {
        taps_.erase(entry.id);
        if (offset == 0) return release_held(entry, &snapshot);
        auto shifted = snapshot;
        shift_times(shifted.signals, offset);
        release_held(entry, &shifted);
      });
    }
  } else {
    scheduler_.add(entry, clock_.steady_now());
  }
  if (done) done(id);
  notify_report(id);
}

void Agent::release_held(const OutboxEntry& entry, const Snapshot* snapshot, bool retry) {
  const auto refused = [&](const Error& e) {
    // Tried again at each pump (acks free space); a restart releases it without the snapshot.
    unreleased_.insert_or_assign(entry.id,
                                 Unreleased{entry, snapshot ? std::optional<Snapshot>(*snapshot) : std::nullopt});
    if (retry) return;
    spdlog::error("agent: held report {} not released: {}", entry.id, e.what());
    storage_problem(e);
  };
  auto payload = store_.payload(entry.id);
  if (!payload && payload.error().code == make_error_code(StorageErrc::not_found)) {
    spdlog::info("agent: held report {} left the queue while it waited (expired or evicted)", entry.id);
    return;
  }
  if (!payload) return refused(payload.error());
  auto env = codec::decode(*payload);
  if (!env || !env->has_report()) {
    spdlog::error("agent: held report {} does not decode; released as it is", entry.id);
  }
  auto state = SnapshotState::lost;
  if (env && env->has_report()) {
    if (snapshot) {
      if (auto r = attach_snapshot(*env, *snapshot); r) {
        state = SnapshotState::attached;
        if (!retry) {
          spdlog::info("agent: report {} gets its snapshot ({} bytes)", entry.id,
                       encoded_size(env->report().snapshot()));
        }
      } else {
        spdlog::warn("agent: snapshot of report {} not attached: {}", entry.id, r.error().what());
      }
    } else {
      if (!retry)
        spdlog::warn("agent: report {} waited for a snapshot recorded before a restart; sent without it", entry.id);
    }
    if (state == SnapshotState::lost) env->mutable_report()->set_snapshot_lost(true);
    *payload = codec::encode(*env);
  }
  if (auto r = store_.release_report(entry.id, *payload, state, clock_.epoch_ms()); !r) return refused(r.error());
  auto released = entry;
  released.hold_until_ms = 0;
  if (released.expires_ms == 0) {
    // Captured while the clock was unset: its time to live may have started since.
    if (auto outbox = store_.outbox(); outbox) {
      for (const auto& e : *outbox) {
        if (e.id == entry.id) released.expires_ms = e.expires_ms;
      }
    }
  }
  scheduler_.add(released, clock_.steady_now());
  arm_expiry();  // it was not in the scheduler while held: the timer may be for a later one, or off
  notify_report(entry.id);
  if (!retry) pump();
}

void Agent::mark_read(std::string message_id) {
  post_call([this, id = std::move(message_id)] {
    const auto now = clock_.epoch_ms();
    auto r = store_.mark_read(id, topics::receipts(config_.vehicle.vin), now);
    if (!r) {
      storage_problem(r.error());
      return;
    }
    if (*r) {
      scheduler_.add(OutboxEntry{**r, OutboxKind::receipt, topics::receipts(config_.vehicle.vin), 0, now},
                     clock_.steady_now());
      pump();
    }
  });
}

void Agent::answer_survey(std::string notification_id, int score, std::string comment,
                          std::function<void(Result<void>)> done) {
  post_call([this, id = std::move(notification_id), score, comment = std::move(comment), done = std::move(done)] {
    const auto now = clock_.epoch_ms();
    const auto topic = topics::receipts(config_.vehicle.vin);
    auto queued = store_.enqueue_survey_answer(id, score, comment, topic, now);
    if (!queued) {
      refused(queued.error());
      done(fail(queued.error()));
      return;
    }
    schedule_answer(*queued, 0, now);
    done({});
    if (auto report = store_.report_of_notification(id); report && !report->empty()) notify_report(*report);
  });
}

void Agent::answer_visit(std::string visit_id, VisitAnswer answer, std::function<void(Result<std::string>)> done) {
  post_call([this, id = std::move(visit_id), answer = std::move(answer), done = std::move(done)] {
    const auto now = clock_.epoch_ms();
    auto queued = store_.enqueue_visit_reply(id, answer, topics::receipts(config_.vehicle.vin), now);
    if (!queued) {
      refused(queued.error());
      done(fail(queued.error()));
      return;
    }
    schedule_answer(*queued, 0, now);
    done(*queued);
    if (auto report = store_.report_of_visit(id); report && !report->empty()) notify_report(*report);
  });
}

void Agent::case_action(const std::string& report_id,
                        const std::function<Result<std::string>(const std::string& topic, std::int64_t now)>& enqueue,
                        const std::function<void(Result<std::string>)>& done, int priority) {
  const auto now = clock_.epoch_ms();
  auto queued = enqueue(topics::receipts(config_.vehicle.vin), now);
  if (!queued) {
    refused(queued.error());
    done(fail(queued.error()));
    return;
  }
  schedule_answer(*queued, priority, now);
  done(*queued);
  notify_report(report_id);
}

void Agent::reply(std::string report_id, std::string text, std::function<void(Result<std::string>)> done) {
  post_call([this, id = std::move(report_id), text = std::move(text), done = std::move(done)] {
    case_action(
        id,
        [&](const std::string& topic, std::int64_t now) { return store_.enqueue_driver_message(id, text, topic, now); },
        done);
  });
}

void Agent::reopen(std::string report_id, std::string reason, std::function<void(Result<std::string>)> done) {
  post_call([this, id = std::move(report_id), reason = std::move(reason), done = std::move(done)] {
    case_action(
        id,
        [&](const std::string& topic, std::int64_t now) {
          return store_.enqueue_reopen_request(id, reason, topic, now);
        },
        done);
  });
}

void Agent::rate(std::string report_id, int score, std::string comment, std::function<void(Result<std::string>)> done) {
  post_call([this, id = std::move(report_id), score, comment = std::move(comment), done = std::move(done)] {
    case_action(
        id,
        [&](const std::string& topic, std::int64_t now) {
          return store_.enqueue_rating(id, score, comment, topic, now);
        },
        done, 0);
  });
}

void Agent::timeline(std::string report_id, std::function<void(Result<std::vector<TimelineEvent>>)> done) {
  post_call([this, id = std::move(report_id), done = std::move(done)] { done(store_.timeline(id)); });
}

void Agent::request_callback(std::string report_id, std::string phone, std::function<void(Result<std::string>)> done) {
  post_call([this, id = std::move(report_id), phone = std::move(phone), done = std::move(done)] {
    if (!config_.parked || !config_.parked()) {
      done(fail(AgentErrc::not_parked, "stop and select P, or set the parking brake"));
      return;
    }
    const auto now = clock_.epoch_ms();
    auto queued = store_.enqueue_callback_request(id, phone, "", topics::receipts(config_.vehicle.vin), now);
    if (!queued) {
      refused(queued.error());
      done(fail(queued.error()));
      return;
    }
    schedule_answer(*queued, 1, now);
    done(*queued);
    notify_report(id);
  });
}

void Agent::refused(const Error& e) {
  spdlog::info("agent: the driver's answer was not queued: {}", e.what());
  // A rule of the car's (e.g. not parked) is the caller's to show; a storage failure (disk full)
  // is everyone's.
  if (e.code.category() == storage_category() && e.code != make_error_code(StorageErrc::not_found)) {
    storage_problem(e);
  }
}

void Agent::schedule_answer(const std::string& message_id, int priority, std::int64_t now_ms) {
  scheduler_.add(OutboxEntry{message_id, OutboxKind::answer, topics::receipts(config_.vehicle.vin), priority, now_ms},
                 clock_.steady_now());
  pump();
}

void Agent::reports(std::function<void(Result<std::vector<ReportView>>)> done) {
  post_call([this, done = std::move(done)] { done(store_.reports()); });
}

void Agent::inbox(std::function<void(Result<std::vector<InboxEntry>>)> done) {
  post_call([this, done = std::move(done)] { done(store_.inbox()); });
}

void Agent::save_draft(SavedDraft draft, std::function<void(Result<void>)> done) {
  post_call([this, draft = std::move(draft), done = std::move(done)]() mutable {
    draft.saved_ms = clock_.epoch_ms();
    auto saved = store_.save_draft(draft);
    if (!saved) refused(saved.error());
    done(std::move(saved));
  });
}

void Agent::discard_draft(std::string draft_id, std::function<void(Result<void>)> done) {
  post_call([this, id = std::move(draft_id), done = std::move(done)] { done(store_.delete_draft(id)); });
}

void Agent::drafts(std::function<void(Result<std::vector<SavedDraft>>)> done) {
  post_call([this, done = std::move(done)] { done(store_.drafts()); });
}

void Agent::personal_data(std::function<void(Result<PersonalData>)> done) {
  post_call([this, done = std::move(done)] { done(store_.personal_data()); });
}

void Agent::erase_personal_data(std::function<void(Result<Erased>)> done) {
  post_call([this, done = std::move(done)] {
    auto erased = store_.erase_personal_data();
    if (!erased) return done(fail(erased.error()));
    for (const auto& id : erased->unsent) forget_unsent(id);
    auto removed = remove_set_aside_stores(config_.database);
    if (!removed) {
      // The store is erased (committed); what is left is named so that it can be removed by hand.
      return done(fail(Error(removed.error().code,
                             "the store is erased, but not the damaged copies set aside: " + removed.error().detail)));
    }
    erased->set_aside_removed = *removed;
    spdlog::info("agent: personal data erased: {} report(s), {} notification(s), {} draft(s), {} unsent",
                 erased->reports, erased->inbox, erased->drafts, erased->unsent.size());
    done(std::move(erased));
  });
}

void Agent::stats(std::function<void(AgentStats)> done) {
  post_call([this, done = std::move(done)] {
    auto s = stats_;
    s.outbox = scheduler_.size();
    s.receipts = scheduler_.receipts();
    s.answers = scheduler_.answers();
    done(s);
  });
}

void Agent::on_connection(bool up) {
  if (!running_) return;
  connected_ = up;
  for (auto* l : listeners_) l->connection_changed(up);
  if (up) {
    if (config_.mqtt.will) {
      client_->publish(config_.mqtt.will->topic, std::string(topics::status_online), mqtt::QoS::at_least_once,
                       mqtt::PublishProps{.retain = true}, [](const Error& e) {
                         if (e.code) spdlog::debug("agent: online status not published: {}", e.what());
                       });
    }
    scheduler_.on_reconnected(clock_.steady_now());
    pump();
  }
}

void Agent::on_message(const mqtt::Message& m) {
  auto env = codec::decode(m.payload);
  if (!env) {
    ++stats_.bad_messages;
    spdlog::warn("agent: unreadable message on {}: {}", m.topic, env.error().what());
    return;
  }
  if (env->has_ack() || env->has_notification()) {
    // Group commit: the acks and notifications already waiting on the strand are applied with
    // this one once they have all been read.
    inbound_.push_back(std::move(*env));
    if (!inbound_posted_) {
      inbound_posted_ = true;
      asio::post(executor_, [this] { apply_inbound(); });
    }
    return;
  }
  // Whatever came before it is applied first: the store sees the backend's order.
  apply_inbound();
  if (env->has_answer_stored()) {
    answer_stored(env->answer_stored(), env->sent_at_ms());
  } else {
    ++stats_.bad_messages;
    spdlog::warn("agent: unexpected message type on {}", m.topic);
    return;
  }
  pump();
}

void Agent::answer_stored(const wire::AnswerStored& stored, std::int64_t sent_ms) {
  const auto& id = stored.answer_id();
  const auto kind = scheduler_.kind_of(id);
  const bool queued = kind == OutboxKind::answer;
  // Not queued: confirmed before (a resend's second AnswerStored), an answer of a build before
  // v9 (gone at its PUBACK), or no answer at all (a report's id here must not drop the report).
  // Only a refusal of an answer no longer queued still matters: it ends the wait it left.
  if (!queued && (kind || !stored.refused())) {
    spdlog::debug("agent: AnswerStored for {}, no answer in the outbox", id);
    return;
  }
  std::optional<std::string> report_id;
  if (stored.refused()) {
    auto r = store_.refuse_answer(id, clock_.epoch_ms(), sent_ms);
    if (!r) return storage_problem(r.error());  // still queued: sent again, refused again
    if (!queued && !*r) return;                 // nothing of ours waited for it
    spdlog::warn("agent: the backend refused the driver's answer {}: {}", id, stored.detail());
    report_id = std::move(*r);
    ++stats_.answers_refused;
  } else {
    auto r = store_.confirm_answer(id, clock_.epoch_ms(), sent_ms);
    // Still queued: it goes out again and the backend, which applied it once, confirms again.
    if (!r) return storage_problem(r.error());
    report_id = std::move(*r);
  }
  scheduler_.remove(id);
  ++stats_.answers_stored;
  for (auto* l : listeners_) l->answer_stored(id, stored.refused());
  if (report_id) notify_report(*report_id);
}

void Agent::record_deliveries() {
  deliveries_posted_ = false;
  if (pending_deliveries_.empty()) return;
  const auto deliveries = std::exchange(pending_deliveries_, {});
  // Only the timeline's steps: a failure here loses no report.
  if (auto r = store_.record_deliveries(deliveries); !r) {
    spdlog::warn("agent: deliveries not recorded on their timelines: {}", r.error().what());
  }
  // After the steps: a listener that reads the timeline then sees them.
  for (const auto& d : deliveries) {
    for (auto* l : listeners_) l->report_sent(d.report_id);
  }
}

void Agent::apply_inbound() {
  inbound_posted_ = false;
  record_deliveries();  // a report's delivered step before its acknowledgement
  if (inbound_.empty()) return;
  auto inbound = std::exchange(inbound_, {});
  for (auto run = inbound.begin(); run != inbound.end();) {
    const bool acks = run->has_ack();
    const auto end = std::find_if(run, inbound.end(), [&](const wire::Envelope& e) { return e.has_ack() != acks; });
    if (acks) {
      std::vector<wire::Ack> batch;
      batch.reserve(static_cast<std::size_t>(end - run));
      std::int64_t sent_ms = 0;
      for (auto it = run; it != end; ++it) {
        sent_ms = std::max(sent_ms, it->sent_at_ms());
        batch.push_back(std::move(*it->mutable_ack()));
      }
      apply_acks(batch, sent_ms);
    } else {
      apply_notifications(std::span<const wire::Envelope>(run, end));
    }
    run = end;
  }
  pump();
}

void Agent::apply_notifications(std::span<const wire::Envelope> notes) {
  const auto now = clock_.epoch_ms();
  const auto topic = topics::receipts(config_.vehicle.vin);
  auto results = store_.apply_notifications(notes, topic, now, /*with_views=*/!listeners_.empty());
  if (!results && notes.size() > 1) {
    // One that cannot be stored must not hold back the others at every resend: each alone.
    for (std::size_t i = 0; i < notes.size(); ++i) apply_notifications(notes.subspan(i, 1));
    return;
  }
  if (!results) {
    // Not stored and no receipt: the backend sends it again.
    storage_problem(results.error());
    return;
  }
  for (auto& r : *results) {
    scheduler_.add(OutboxEntry{r.receipt_id, OutboxKind::receipt, topic, 0, now}, clock_.steady_now());
    if (r.about_erased_report) {
      ++stats_.erased_report_notifications;
      continue;
    }
    // The report's new state first: a listener woken by the notification sees it already.
    if (r.report && !r.duplicate) {
      for (auto* l : listeners_) l->report_changed(*r.report);
    }
    for (const auto& other : r.others) {
      for (auto* l : listeners_) l->report_changed(other);
    }
    notification_applied(r.entry, r.duplicate);
  }
}

void Agent::notification_applied(const InboxEntry& entry, bool duplicate) {
  if (duplicate) {
    ++stats_.duplicate_notifications;
    return;
  }
  ++stats_.notifications;
  if (entry.superseded) ++stats_.superseded_notifications;
  for (auto* l : listeners_) l->notification_received(entry);
}

void Agent::apply_acks(const std::vector<wire::Ack>& acks, std::int64_t sent_ms) {
  auto results = store_.apply_acks(acks, clock_.epoch_ms(), /*with_views=*/!listeners_.empty(), sent_ms);
  if (!results) {
    // Not applied: the reports stay queued and are sent again; the backend answers again.
    storage_problem(results.error());
    return;
  }
  for (std::size_t i = 0; i < acks.size(); ++i) {
    const auto& ack = acks[i];
    const auto& r = (*results)[i];
    if (r.matched) {
      scheduler_.remove(r.report_id);
      ++(ack.has_rejected() ? stats_.rejections : stats_.acks);
      if (ack.has_rejected()) {
        spdlog::warn("agent: report {} rejected by the backend: {} {}", r.report_id,
                     wire::RejectReason_Name(ack.rejected().reason()), ack.rejected().detail());
      }
    }
    if (r.report) {
      for (auto* l : listeners_) l->report_changed(*r.report);
    }
    if (r.notification) notification_applied(*r.notification, r.notification_duplicate);
  }
}

void Agent::expire_due() {
  if (!running_) return;
  if (clock_.steady_now() < expiry_retry_at_) return arm_expiry();
  const auto now = clock_.epoch_ms();
  if (now < last_wall_ms_) {
    spdlog::warn("agent: the car's clock stepped back {} s; no queued report lives more than its time to live",
                 (last_wall_ms_ - now) / 1000);
    expiry_fix_due_ = true;
  }
  last_wall_ms_ = now;
  bool failed = false;
  if (expiry_fix_due_ && now >= config_.storage.clock_valid_from_ms) {
    if (auto fixed = store_.fix_expiries(now); !fixed) {
      storage_problem(fixed.error());
      failed = true;
    } else {
      expiry_fix_due_ = false;
      if (*fixed > 0) {
        spdlog::info("agent: the time to live of {} queued report(s) set by the car's clock", *fixed);
        refresh_expiries();
      }
      // A head unit whose clock is set only after start (NTP, GNSS) forgets its history now. The
      // app shows the reports forgotten here until its next start.
      if (std::exchange(forget_due_, false)) forget_finished(store_, now);
    }
  }
  if (auto next = scheduler_.next_expiry(); !failed && next && *next <= now) {
    auto r = store_.expire(now);
    if (!r) {
      storage_problem(r.error());
      failed = true;
    } else {
      stats_.expired += r->size();
      dropped(*r);
      if (next = scheduler_.next_expiry(); next && *next <= now) reconcile_expired(now);
    }
  }
  if (auto next = scheduler_.next_expiry(); failed || (next && *next <= now)) {
    expiry_retry_at_ = clock_.steady_now() + kExpiryRetry;  // tried again then, not at once
  }
  arm_expiry();
}

void Agent::reconcile_expired(std::int64_t now_ms) {
  auto outbox = store_.outbox();
  if (!outbox) return storage_problem(outbox.error());
  std::map<std::string, std::int64_t> stored;
  for (const auto& e : *outbox) stored.emplace(e.id, e.expires_ms);
  for (const auto& id : scheduler_.expiring_by(now_ms)) {
    if (auto it = stored.find(id); it == stored.end()) {
      spdlog::info("agent: outbox entry {} left the store at its expiry (its report had moved on); not sent", id);
      forget_unsent(id);
    } else {
      scheduler_.set_expiry(id, it->second);
    }
  }
}

void Agent::arm_expiry() {
  const auto next = scheduler_.next_expiry();
  if ((!next && !expiry_fix_due_) || !running_) {
    expiry_timer_.cancel();
    return;
  }
  // The car's clock decides (expires_ms is epoch time); the timer runs on steady time. While the
  // clock is unset, it is looked at each minute: the reports queued meanwhile start their time
  // to live when it is set.
  constexpr std::chrono::milliseconds kClockPoll = std::chrono::minutes(1);
  auto wait = next ? std::chrono::milliseconds(std::max<std::int64_t>(0, *next - clock_.epoch_ms())) : kClockPoll;
  if (expiry_fix_due_) wait = std::min(wait, kClockPoll);
  expiry_timer_.arm_at(std::max(clock_.steady_now() + wait, expiry_retry_at_), [this] { expire_due(); });
}

void Agent::refresh_expiries() {
  auto outbox = store_.outbox();
  if (!outbox) return storage_problem(outbox.error());
  for (const auto& e : *outbox) {
    scheduler_.set_expiry(e.id, e.expires_ms);
    if (auto u = unreleased_.find(e.id); u != unreleased_.end()) u->second.entry.expires_ms = e.expires_ms;
  }
}

void Agent::dropped(const std::vector<ReportView>& reports) {
  for (const auto& report : reports) {
    forget_unsent(report.report_id);
    if (report.drop_reason == DropReason::evicted_for_space) ++stats_.evicted;
    spdlog::warn("agent: report {} dropped unsent: {}", report.report_id,
                 to_string(report.drop_reason.value_or(DropReason::expired)));
    for (auto* l : listeners_) l->report_dropped(report);
    for (auto* l : listeners_) l->report_changed(report);
  }
}

void Agent::forget_unsent(const std::string& id) {
  scheduler_.remove(id);
  unreleased_.erase(id);
  if (auto tap = taps_.find(id); tap != taps_.end()) {
    config_.recorder->cancel(tap->second);
    taps_.erase(tap);
  }
}

void Agent::pump() {
  if (running_ && !unreleased_.empty()) {
    for (auto& [id, u] : std::exchange(unreleased_, {})) {
      release_held(u.entry, u.snapshot ? &*u.snapshot : nullptr, /*retry=*/true);
    }
  }
  // Before sending: a report whose time ran out while offline is not sent on reconnect.
  if (auto next = scheduler_.next_expiry(); next && *next <= clock_.epoch_ms()) expire_due();
  if (!connected_ || !running_) {
    timer_.cancel();  // on_connection(true) pumps again
    return;
  }
  const auto now_ms = clock_.epoch_ms();
  bool expired = false;
  for (auto& e : scheduler_.take_due(clock_.steady_now())) {
    const auto expiry = message_expiry(e.expires_ms, now_ms);
    if (!expiry) {
      // Its time ran out between expire_due() and now: the store drops it below, with the
      // driver told; until then it stays in line, not published.
      spdlog::info("agent: outbox entry {} expired; not sent", e.id);
      scheduler_.on_publish_failed(e.id, clock_.steady_now());
      expired = true;
      continue;
    }
    auto payload = store_.payload(e.id);
    if (!payload) {
      spdlog::error("agent: outbox entry {} unreadable: {}", e.id, payload.error().what());
      if (payload.error().code == make_error_code(StorageErrc::not_found)) {
        scheduler_.remove(e.id);
      } else {
        // Kept and tried again later (a busy or failing disk may pass); the driver is told now,
        // not after the retries, that what is queued cannot be read.
        scheduler_.on_publish_failed(e.id, clock_.steady_now());
        storage_problem(payload.error());
      }
      continue;
    }
    client_->publish(e.topic, std::move(*payload), mqtt::QoS::at_least_once,
                     mqtt::PublishProps{.message_expiry = *expiry},
                     [this, e, now_ms](const Error& error) { on_publish_done(e, error, now_ms); });
  }
  if (expired) expire_due();
  arm_timer();
}

void Agent::on_publish_done(const OutboxEntry& e, const Error& error, std::int64_t started_ms) {
  const auto now = clock_.steady_now();
  if (error.code) {
    ++stats_.publish_failures;
    spdlog::debug("agent: publish of {} failed: {}", e.id, error.what());
    scheduler_.on_publish_failed(e.id, now);
  } else {
    ++stats_.published;
    if (e.kind == OutboxKind::receipt) {
      if (auto r = store_.remove(e.id); !r) storage_problem(r.error());
      scheduler_.remove(e.id);
    } else {
      scheduler_.on_published(e.id, now);  // until the backend's Ack or AnswerStored
      if (e.kind == OutboxKind::report) {
        // Recorded with the PUBACKs already waiting on the strand, in one commit.
        pending_deliveries_.push_back({e.id, started_ms, clock_.epoch_ms()});
        if (!deliveries_posted_) {
          deliveries_posted_ = true;
          asio::post(executor_, [this] { record_deliveries(); });
        }
      }
    }
  }
  pump();
}

void Agent::arm_timer() {
  const auto next = scheduler_.next_due();
  if (!next) {
    timer_.cancel();
    return;
  }
  timer_.arm_at(*next, [this] { pump(); });
}

void Agent::notify_report(const std::string& report_id) {
  if (listeners_.empty()) return;
  if (auto view = store_.report(report_id); view && *view) {
    for (auto* l : listeners_) l->report_changed(**view);
  }
}

void Agent::storage_problem(const Error& e) {
  for (auto* l : listeners_) l->storage_problem(e);
}

}  // namespace fb::agent
