#include "fb/agent/agent.hpp"

#include <spdlog/spdlog.h>

#include <future>

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
  c.vehicle = std::move(vehicle);
  c.database = std::move(database);
  return c;
}

Result<std::unique_ptr<Agent>> Agent::open(AgentConfig config, std::unique_ptr<mqtt::Client> client,
                                           const Clock& clock) {
  auto store = CarStore::open(config.database, config.storage);
  if (!store) return fail(store.error());
  return std::unique_ptr<Agent>(new Agent(std::move(config), std::move(client), clock, std::move(*store)));
}

Agent::Agent(AgentConfig config, std::unique_ptr<mqtt::Client> client, const Clock& clock, CarStore store)
    : config_(std::move(config)),
      client_(std::move(client)),
      clock_(clock),
      store_(std::move(store)),
      scheduler_(config_.sending),
      strand_(asio::make_strand(io_)),
      timer_(strand_) {}

Agent::~Agent() { stop(); }

void Agent::add_listener(AgentListener* listener) { listeners_.push_back(listener); }

Result<void> Agent::start() {
  auto outbox = store_.outbox();
  if (!outbox) return fail(outbox.error());
  for (const auto& e : *outbox) scheduler_.add(e, clock_.steady_now());
  if (!outbox->empty()) spdlog::info("agent: {} message(s) waiting in the outbox", outbox->size());

  client_->on_message([this](mqtt::Message m) {
    asio::post(strand_, [this, m = std::move(m)] { on_message(m); });
  });
  client_->on_connection([this](bool up, const Error&) { asio::post(strand_, [this, up] { on_connection(up); }); });
  if (auto r = client_->subscribe(topics::inbox(config_.vehicle.vin), 1); !r) return r;

  io_.restart();  // a *_sync call before start() ran the context dry, which stops it
  work_.emplace(io_.get_executor());
  // Thread "agent": runs the strand that owns the store, the scheduler and the listeners' calls.
  thread_ = std::thread([this] { io_.run(); });
  io_running_ = true;
  started_ = true;
  if (const auto& aside = store_.set_aside()) {
    asio::post(strand_, [this, aside = *aside] {
      storage_problem(Error(StorageErrc::corrupt, "the queue file was unreadable; kept as " + aside.string() +
                                                      " and a new one started"));
    });
  }
  if (auto r = client_->start(); !r) {
    spdlog::error("agent: link not started: {}; reports are saved and stay queued", r.error().what());
    asio::post(strand_, [this, e = r.error()] {
      for (auto* l : listeners_) l->link_problem(e);
    });
    return r;
  }
  return {};
}

void Agent::stop() {
  if (!started_) return;
  started_ = false;
  // First on the strand: from here on nothing publishes or re-arms the timer, so the context
  // runs dry once the client's last completions (posted by client_->stop()) are handled.
  asio::post(strand_, [this] {
    stopping_ = true;
    connected_ = false;
    timer_.cancel();
  });
  client_->stop();
  work_.reset();
  if (thread_.joinable()) thread_.join();
  io_running_ = false;
}

template <typename F>
auto Agent::run_sync(F f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  asio::post(strand_, [&task] { task(); });
  run_here_if_idle();
  return result.get();
}

void Agent::run_here_if_idle() {
  if (io_running_) return;  // the agent thread runs it
  io_.restart();            // before start() or after stop(): run it on this thread
  io_.poll();
}

void Agent::submit(Draft draft, std::function<void(Result<std::string>)> done) {
  asio::post(strand_, [this, draft = std::move(draft), done = std::move(done)] {
    const auto now = clock_.epoch_ms();  // one time for the report, its row and its place in line
    auto env = build_report(config_.vehicle, draft, now);
    if (!env) {
      spdlog::warn("agent: report not saved: {}", env.error().what());
      if (done) done(fail(env.error()));
      return;
    }
    const auto payload = codec::encode(*env);
    if (auto r = store_.enqueue_report(*env, payload, draft.priority, now); !r) {
      spdlog::error("agent: report not saved: {}", r.error().what());
      storage_problem(r.error());
      if (done) done(fail(r.error()));
      return;
    }
    const auto& id = env->report().report_id();
    scheduler_.add(OutboxEntry{id, OutboxKind::report, topics::reports(config_.vehicle.vin), draft.priority, now},
                   clock_.steady_now());
    if (done) done(id);
    if (auto view = store_.report(id); view && *view) {
      for (auto* l : listeners_) l->report_changed(**view);
    }
    pump();
  });
}

Result<std::string> Agent::submit_sync(Draft draft) {
  std::promise<Result<std::string>> p;
  auto f = p.get_future();
  submit(std::move(draft), [&p](Result<std::string> r) { p.set_value(std::move(r)); });
  run_here_if_idle();
  return f.get();
}

void Agent::mark_read(std::string message_id) {
  asio::post(strand_, [this, id = std::move(message_id)] {
    auto r = store_.mark_read(id, topics::receipts(config_.vehicle.vin), clock_.epoch_ms());
    if (!r) {
      storage_problem(r.error());
      return;
    }
    if (*r) {
      scheduler_.add(OutboxEntry{**r, OutboxKind::receipt, topics::receipts(config_.vehicle.vin), 0, clock_.epoch_ms()},
                     clock_.steady_now());
      pump();
    }
  });
}

Result<std::vector<ReportView>> Agent::reports_sync() {
  return run_sync([this] { return store_.reports(); });
}

Result<std::vector<InboxEntry>> Agent::inbox_sync() {
  return run_sync([this] { return store_.inbox(); });
}

AgentStats Agent::stats_sync() {
  return run_sync([this] {
    auto s = stats_;
    s.outbox = scheduler_.size();
    return s;
  });
}

void Agent::on_connection(bool up) {
  if (stopping_) return;
  connected_ = up;
  for (auto* l : listeners_) l->connection_changed(up);
  if (up) {
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
  const auto now = clock_.epoch_ms();
  if (env->has_ack()) {
    auto r = store_.apply_ack(env->ack(), now);
    if (!r) {
      // Not applied: the report stays queued and is sent again; the backend answers again.
      storage_problem(r.error());
      return;
    }
    if (r->matched) {
      scheduler_.remove(r->report_id);
      ++(env->ack().has_rejected() ? stats_.rejections : stats_.acks);
      if (env->ack().has_rejected()) {
        spdlog::warn("agent: report {} rejected by the backend: {} {}", r->report_id,
                     wire::RejectReason_Name(env->ack().rejected().reason()), env->ack().rejected().detail());
      }
    }
    if (!r->report_id.empty()) {
      if (auto view = store_.report(r->report_id); view && *view) {
        for (auto* l : listeners_) l->report_changed(**view);
      }
    }
  } else if (env->has_notification()) {
    auto r = store_.apply_notification(*env, topics::receipts(config_.vehicle.vin), now);
    if (!r) {
      // Not stored and no receipt: the backend sends it again.
      storage_problem(r.error());
      return;
    }
    scheduler_.add(OutboxEntry{r->receipt_id, OutboxKind::receipt, topics::receipts(config_.vehicle.vin), 0, now},
                   clock_.steady_now());
    if (r->duplicate) {
      ++stats_.duplicate_notifications;
    } else {
      ++stats_.notifications;
      // The report's new state first: a listener woken by the notification sees it already.
      if (r->report) for (auto* l : listeners_) l->report_changed(*r->report);
      for (auto* l : listeners_) l->notification_received(r->entry);
    }
  } else {
    ++stats_.bad_messages;
    spdlog::warn("agent: unexpected message type on {}", m.topic);
    return;
  }
  pump();
}

void Agent::pump() {
  if (!connected_) {
    timer_.cancel();  // on_connection(true) pumps again
    return;
  }
  {
    for (auto& e : scheduler_.take_due(clock_.steady_now())) {
      auto payload = store_.payload(e.id);
      if (!payload) {
        spdlog::error("agent: outbox entry {} unreadable: {}", e.id, payload.error().what());
        if (payload.error().code == make_error_code(StorageErrc::not_found)) scheduler_.remove(e.id);
        else scheduler_.on_publish_failed(e.id, clock_.steady_now());  // try again later
        continue;
      }
      client_->publish(e.topic, std::move(*payload), 1, [this, e](const Error* err) {
        std::optional<Error> error;
        if (err) error = *err;
        asio::post(strand_, [this, e, error] { on_publish_done(e, error); });
      });
    }
  }
  arm_timer();
}

void Agent::on_publish_done(const OutboxEntry& e, std::optional<Error> error) {
  const auto now = clock_.steady_now();
  if (error) {
    ++stats_.publish_failures;
    spdlog::debug("agent: publish of {} failed: {}", e.id, error->what());
    scheduler_.on_publish_failed(e.id, now);
  } else {
    ++stats_.published;
    if (e.kind == OutboxKind::receipt) {
      if (auto r = store_.remove(e.id); !r) storage_problem(r.error());
      scheduler_.remove(e.id);
    } else {
      scheduler_.on_published(e.id, now);
      for (auto* l : listeners_) l->report_sent(e.id);
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
  const auto delay = std::max(std::chrono::steady_clock::duration::zero(), *next - clock_.steady_now());
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) pump();
  });
}

void Agent::storage_problem(const Error& e) {
  for (auto* l : listeners_) l->storage_problem(e);
}

}  // namespace fb::agent
