#include "fb/backend/service.hpp"

#include <spdlog/spdlog.h>

#include "fb/common/config.hpp"
#include "fb/common/topics.hpp"

namespace fb::backend {

namespace asio = boost::asio;

Result<Rules> load_rules(const std::filesystem::path& dir) {
  auto c = config::load_json(dir / "classifier.json");
  if (!c) return fail(c.error());
  auto classifier = Classifier::load(*c, (dir / "classifier.json").string());
  if (!classifier) return fail(classifier.error());
  auto r = config::load_json(dir / "routing.json");
  if (!r) return fail(r.error());
  auto router = Router::load(*r, (dir / "routing.json").string());
  if (!router) return fail(router.error());
  auto t = config::load_json(dir / "templates.json");
  if (!t) return fail(t.error());
  auto templates = Templates::load(*t, (dir / "templates.json").string());
  if (!templates) return fail(templates.error());
  return Rules{std::move(*classifier), std::move(*router), std::move(*templates)};
}

Result<std::unique_ptr<Service>> Service::create(const BackendConfig& config, std::unique_ptr<mqtt::Client> client,
                                                 const Clock& clock) {
  auto rules = load_rules(config.rules_dir);
  if (!rules) return fail(rules.error());
  auto store = open_sqlite_case_store(config.database);
  if (!store) return fail(store.error());
  return std::unique_ptr<Service>(new Service(config, std::move(client), clock, std::move(*store),
                                              std::move(rules->classifier), std::move(rules->router),
                                              std::move(rules->templates)));
}

Service::Service(const BackendConfig& config, std::unique_ptr<mqtt::Client> client, const Clock& clock,
                 std::unique_ptr<CaseStore> store, Classifier classifier, Router router, Templates templates)
    : config_(config),
      client_(std::move(client)),
      clock_(clock),
      store_(std::move(store)),
      classifier_(std::move(classifier)),
      router_(std::move(router)),
      templates_(std::move(templates)),
      ingest_core_(*store_, classifier_, router_, templates_, clock_),
      ingest_(asio::make_strand(io_)),
      notification_timer_(ingest_) {}

Service::~Service() { stop(); }

Result<void> Service::start() {
  client_->on_message([this](mqtt::Message m) { on_message(std::move(m)); });
  client_->on_connection([this](bool up, const Error& why) {
    if (up) {
      spdlog::info("backend ready: connected to {} and subscribed", config_.mqtt.server_uri);
      asio::post(ingest_, [this] { check_notifications(); });
    } else {
      spdlog::warn("backend: broker connection lost: {}", why.what());
    }
  });
  for (auto filter : {topics::all_reports, topics::all_receipts}) {
    if (auto r = client_->subscribe(std::string(filter), 1); !r) return r;
  }
  work_.emplace(io_.get_executor());
  // Thread "backend-io": runs every handler of the ingest strand and the resend timer.
  io_thread_ = std::thread([this] { io_.run(); });
  asio::post(ingest_, [this] { arm_notification_timer(); });
  started_ = true;
  if (auto r = client_->start(); !r) {
    stop();
    return r;
  }
  return {};
}

void Service::stop() {
  if (!started_) return;
  started_ = false;
  {
    std::lock_guard lock(incoming_mu_);
    stopping_ = true;
  }
  client_->stop();  // no more messages; pending publishes fail with shutting_down
  asio::post(ingest_, [this] {
    timer_stopped_ = true;
    notification_timer_.cancel();
    // Store everything received (its acks cannot go out any more; the cars send again and get
    // the same answer).
    for (;;) {
      {
        std::lock_guard lock(incoming_mu_);
        if (incoming_.empty()) break;
      }
      drain();
    }
    flush_sent_notifications();
  });
  work_.reset();
  if (io_thread_.joinable()) io_thread_.join();
  const auto s = stats();
  spdlog::info("backend stopped: {} received, {} new cases, {} duplicates, {} rejected, {} batches", s.received,
               s.ingest.accepted, s.ingest.duplicates, s.ingest.rejected, s.ingest.batches);
}

ServiceStats Service::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

// Runs on a Paho thread that holds Paho's global lock: never wait here (a publish from the
// ingest strand needs that lock).
void Service::on_message(mqtt::Message m) {
  bool post = false;
  bool dropped = false;
  {
    std::lock_guard lock(incoming_mu_);
    if (stopping_) return;  // the car sends it again until acknowledged
    if (incoming_.size() >= config_.max_pending) {
      dropped = true;
    } else {
      incoming_.push_back(RawMessage{std::move(m.topic), std::move(m.payload)});
      post = !std::exchange(drain_posted_, true);
    }
  }
  if (post) asio::post(ingest_, [this] { drain(); });
  if (dropped) {
    std::uint64_t total = 0;
    {
      std::lock_guard lock(stats_mu_);
      total = ++stats_.dropped_overload;
    }
    if ((total & (total - 1)) == 0) {  // 1, 2, 4, 8, ...: a trace, not a flood
      spdlog::warn("backend: overloaded, {} message(s) dropped so far ({} waiting); their cars send them again",
                   total, config_.max_pending);
    }
  }
}

void Service::drain() {
  std::vector<RawMessage> batch;
  {
    std::lock_guard lock(incoming_mu_);
    const auto n = std::min(incoming_.size(), config_.max_batch);
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(incoming_.front()));
      incoming_.pop_front();
    }
    if (!incoming_.empty() && !stopping_) asio::post(ingest_, [this] { drain(); });
    else drain_posted_ = false;
  }
  if (batch.empty()) return;

  auto out = ingest_core_.process(batch);
  {
    std::lock_guard lock(stats_mu_);
    stats_.received += batch.size();
    stats_.largest_batch = std::max(stats_.largest_batch, batch.size());
    stats_.ingest = ingest_core_.stats();
  }
  if (!out) {
    spdlog::error("backend: batch of {} not stored: {}; no acks sent, cars will resend", batch.size(), out.error().what());
    return;
  }
  for (auto& o : *out) publish(std::move(o));
}

void Service::publish(Outgoing out) {
  std::string notification_id = std::move(out.notification_id);
  if (!notification_id.empty()) notifications_in_flight_.insert(notification_id);
  client_->publish(out.topic, std::move(out.payload), 1,
                   [this, topic = out.topic, id = std::move(notification_id)](const Error* e) {
                     if (e && e->code == make_error_code(MqttErrc::shutting_down)) {
                       spdlog::debug("backend: publish to {} dropped at stop", topic);  // cars resend
                     } else if (e) {
                       spdlog::warn("backend: publish to {} failed: {}", topic, e->what());
                     }
                     {
                       std::lock_guard lock(stats_mu_);
                       if (e) ++stats_.publish_failures;
                       else ++stats_.published;
                     }
                     if (!id.empty()) asio::post(ingest_, [this, id, ok = e == nullptr] { notification_published(id, ok); });
                   });
}

void Service::notification_published(const std::string& id, bool ok) {
  if (!ok) {
    notifications_in_flight_.erase(id);  // still due: the next check sends it again
    return;
  }
  // Stays "in flight" until flush_sent_notifications() has rescheduled it, or a check in
  // between would find it due and send it again.
  sent_notifications_.push_back(id);
  if (!std::exchange(flush_posted_, true)) asio::post(ingest_, [this] { flush_sent_notifications(); });
}

// One transaction for every notification the broker took since the last flush.
void Service::flush_sent_notifications() {
  flush_posted_ = false;
  if (sent_notifications_.empty()) return;
  if (auto r = store_->reschedule(sent_notifications_, clock_.epoch_ms(), config_.notification_resend_base.count(),
                                  config_.notification_resend_max.count());
      !r) {
    spdlog::error("backend: cannot record {} sent notifications: {}", sent_notifications_.size(), r.error().what());
  }
  for (const auto& id : sent_notifications_) notifications_in_flight_.erase(id);
  sent_notifications_.clear();
  // A backlog (after a restart or an outage) goes out chunk by chunk as the broker takes each.
  if (notification_backlog_ && !timer_stopped_) asio::post(ingest_, [this] { check_notifications(); });
}

void Service::arm_notification_timer() {
  if (timer_stopped_) return;
  notification_timer_.expires_after(config_.notification_check);
  notification_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    check_notifications();
    arm_notification_timer();
  });
}

// Notifications not confirmed by a delivery receipt are sent again with exponential backoff.
// A new one is due at once, so one whose publish failed, or that a crashed backend committed
// but never published, goes out on the next check.
void Service::check_notifications() {
  if (!client_->connected()) return;
  constexpr std::size_t kChunk = 500;
  auto due = store_->due_notifications(clock_.epoch_ms(), kChunk);
  if (!due) {
    spdlog::error("backend: cannot read due notifications: {}", due.error().what());
    return;
  }
  notification_backlog_ = due->size() == kChunk;
  std::size_t resent = 0;
  for (auto& n : *due) {
    if (notifications_in_flight_.contains(n.id)) continue;
    publish(Outgoing{topics::inbox(n.vin), std::move(n.payload), n.id});
    ++resent;
  }
  std::lock_guard lock(stats_mu_);
  stats_.notifications_resent += resent;
}

}  // namespace fb::backend
