#include "fb/backend/service.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "fb/common/topics.hpp"

namespace fb::backend {

namespace asio = boost::asio;

namespace {
constexpr std::string_view kTimersLease = "timers";  // the store's lease of the instance that runs the timers
}  // namespace

Service::Service(asio::any_io_executor executor, const Clock& clock, ServiceOptions options,
                 std::unique_ptr<CaseStore> store, Rules rules, std::unique_ptr<mqtt::Client> client)
    : executor_(std::move(executor)),
      clock_(clock),
      options_(std::move(options)),
      store_(std::move(store)),
      rules_(std::move(rules)),
      client_(std::move(client)),
      client_executor_(client_->get_executor()),
      admission_(std::make_shared<Admission>(clock_, options_.admission)),
      ingest_(*store_, rules_, clock_),
      notifier_(rules_.templates, rules_.router),
      renderer_([this](const CaseNotice& n) { return notifier_.render(n); }),
      notification_timer_(executor_, clock_),
      sla_timer_(executor_, clock_),
      purge_timer_(executor_, clock_),
      lease_timer_(executor_, clock_),
      inbox_(options_.max_pending, options_.max_pending_bytes) {}

Service::~Service() { stop(); }

// With one executor for both, we are on it already: run at once, in order.
template <typename F>
void Service::run_on(const asio::any_io_executor& target, F f) {
  if (client_executor_ == executor_) {
    f();
  } else {
    asio::post(target, std::move(f));
  }
}

template <typename F>
void Service::on_service(F f) {
  run_on(executor_, std::move(f));
}

template <typename F>
void Service::on_client(F f) {
  run_on(client_executor_, std::move(f));
}

Result<void> Service::start() {
  if (running_) return {};
  // On the receive thread, before the queue's bound: one car's flood never takes the places of
  // the others' messages.
  client_->set_admission([a = admission_](const mqtt::Message& m) { return a->check(m) == Admission::Verdict::admit; });
  // Admitted messages come to the inbox straight from the receive thread, which waits there
  // while it is full: the broker holds the rest (see take()).
  client_->set_intake([this](mqtt::Message m) { take(std::move(m)); });
  // Connection events run on the client's executor and hand over to ours.
  client_->on_connection([this](bool up, const Error& why) {
    on_service([this, up, why] {
      connected_ = up;
      connected_flag_ = up;
      if (up) {
        spdlog::info("backend ready: connected and subscribed");
        if (!options_.instance.empty()) renew_lease();  // the timers need the broker: taken once connected
        check_notifications();
      } else {
        spdlog::warn("backend: broker connection lost: {}", why.what());
        if (!options_.instance.empty()) renew_lease();  // gives the timers up to a connected instance
      }
    });
  });
  const auto shared = options_.shared_group.empty() ? std::string() : "$share/" + options_.shared_group + "/";
  for (auto filter : {topics::all_reports, topics::all_receipts}) {
    client_->subscribe(shared + std::string(filter), mqtt::QoS::at_least_once);
  }
  if (auto r = client_->start(); !r) return r;
  running_ = true;
  arm_notification_timer();
  arm_sla_timer();
  purge_dead_letters();
  return {};
}

void Service::stop() {
  if (!running_) return;
  running_ = false;
  connected_ = false;
  // No more messages; pending publishes complete with shutting_down. On a client strand of its
  // own, the client stops there, after what it is doing now.
  inbox_.close();  // a receive thread waiting for room returns now (its message: the car resends)
  on_client([this] { client_->stop(); });
  notification_timer_.cancel();
  sla_timer_.cancel();
  purge_timer_.cancel();
  lease_timer_.cancel();
  // Store everything received (its acks cannot go out any more; the cars send again and get
  // the same answer).
  while (inbox_.size() > 0) drain();
  flush_sent_notifications();
  give_up_lease();
  const auto s = stats();
  spdlog::info("backend stopped: {} received, {} new cases, {} duplicates, {} rejected, {} batches", s.received,
               s.ingest.accepted, s.ingest.duplicates, s.ingest.rejected, s.ingest.batches);
}

ServiceStats Service::stats() const {
  std::lock_guard lock(stats_mu_);
  auto s = stats_;
  s.admission = admission_->stats();
  s.dropped_overload = dropped_pending_.load();
  s.backpressure_waits = inbox_.waits();
  return s;
}

void Service::update_stats(const std::function<void(ServiceStats&)>& change) {
  std::lock_guard lock(stats_mu_);
  change(stats_);
}

// On the client's receive thread. Waiting here is what holds the broker back; it is safe
// because drain() takes from the inbox without any call into the client.
void Service::take(mqtt::Message m) {
  const auto r = inbox_.push(RawMessage{std::move(m.topic), std::move(m.payload), clock_.epoch_ms()},
                             options_.max_intake_wait);
  if (r == Inbox::Push::timed_out) {
    const auto total = dropped_pending_.fetch_add(1) + 1;
    if ((total & (total - 1)) == 0) {  // 1, 2, 4, 8, ...: a trace, not a flood
      spdlog::error("backend: ingest stuck for {} ms with {} waiting; {} message(s) dropped so far (cars resend)",
                    options_.max_intake_wait.count(), inbox_.capacity(), total);
    }
    return;
  }
  if (r == Inbox::Push::taken && !drain_posted_.exchange(true)) asio::post(executor_, [this] { drain(); });
}

void Service::drain() {
  auto batch = inbox_.take(options_.max_batch);
  // Cleared before looking again: a message pushed in between either sees the flag clear and
  // posts, or is seen here.
  drain_posted_ = false;
  if (running_ && inbox_.size() > 0 && !drain_posted_.exchange(true)) asio::post(executor_, [this] { drain(); });
  if (batch.empty()) return;

  auto out = ingest_.process(batch);
  update_stats([&](ServiceStats& s) {
    s.received += batch.size();
    s.largest_batch = std::max(s.largest_batch, batch.size());
    s.ingest = ingest_.stats();
  });
  if (!out) {
    spdlog::error(
        "backend: a batch of {} not stored: {}; nothing answered, the cars send their reports and answers again",
        batch.size(), out.error().what());
    return;
  }
  for (auto& o : *out) publish(std::move(o));
  const auto now = clock_.epoch_ms();
  for (const auto& m : batch) ingest_latency_.observe(static_cast<double>(now - m.arrived_ms));
}

void Service::publish(Outgoing out) {
  std::string notification_id = std::move(out.notification_id);
  if (!notification_id.empty()) notifications_in_flight_.insert(notification_id);
  on_client([this, topic = std::move(out.topic), payload = std::move(out.payload),
             id = std::move(notification_id)]() mutable {
    client_->publish(topic, std::move(payload), mqtt::QoS::at_least_once,
                     [this, topic, id = std::move(id)](const Error& e) {
                       if (e.code == make_error_code(MqttErrc::shutting_down)) {
                         spdlog::debug("backend: publish to {} dropped at stop", topic);  // cars resend
                       } else if (e.code) {
                         spdlog::warn("backend: publish to {} failed: {}", topic, e.what());
                       }
                       update_stats([&](ServiceStats& s) { ++(e.code ? s.publish_failures : s.published); });
                       if (!id.empty()) on_service([this, id, ok = !e.code] { notification_published(id, ok); });
                     });
  });
}

void Service::notification_published(const std::string& id, bool ok) {
  if (auto first = first_sends_.find(id); first != first_sends_.end()) {
    if (ok) notify_latency_.observe(static_cast<double>(clock_.epoch_ms() - first->second));
    first_sends_.erase(first);
  }
  if (!ok) {
    notifications_in_flight_.erase(id);  // still due: the next check sends it again
    return;
  }
  // Stays "in flight" until flush_sent_notifications() has rescheduled it, or a check in
  // between would find it due and send it again.
  sent_notifications_.push_back(id);
  if (!std::exchange(flush_posted_, true)) asio::post(executor_, [this] { flush_sent_notifications(); });
}

// One transaction for every notification the broker took since the last flush.
void Service::flush_sent_notifications() {
  flush_posted_ = false;
  if (sent_notifications_.empty()) return;
  if (auto r = store_->reschedule(sent_notifications_, clock_.epoch_ms(), options_.notification_resend_base.count(),
                                  options_.notification_resend_max.count());
      !r) {
    // Not recorded, so still due in the store: they stay in flight (not sent again every check)
    // until the notification timer's next flush records them.
    if (!std::exchange(reschedule_failing_, true)) {
      spdlog::error("backend: cannot record {} sent notifications (kept, not resent; tried again every {} ms): {}",
                    sent_notifications_.size(), options_.notification_check.count(), r.error().what());
    }
    return;
  }
  if (std::exchange(reschedule_failing_, false)) spdlog::info("backend: sent notifications recorded again");
  for (const auto& id : sent_notifications_) notifications_in_flight_.erase(id);
  sent_notifications_.clear();
  // A backlog (after a restart or an outage) goes out chunk by chunk as the broker takes each.
  if (notification_backlog_ && running_) asio::post(executor_, [this] { check_notifications(); });
}

void Service::arm_notification_timer() {
  if (!running_) return;
  notification_timer_.arm_after(options_.notification_check, [this] {
    if (reschedule_failing_ && !flush_posted_) flush_sent_notifications();
    check_notifications();
    arm_notification_timer();
  });
}

// Notifications not confirmed by a delivery receipt are sent again with exponential backoff.
// A new one is due at once, so one whose publish failed, or that a crashed backend committed
// but never published, goes out on the next check.
void Service::check_notifications() {
  if (!running_ || !connected_ || !runs_timers()) return;
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
    if (n.attempts == 0) first_sends_.emplace(n.id, n.created_ms);
    publish(Outgoing{topics::inbox(n.vin), std::move(n.payload), n.id});
    ++resent;
  }
  update_stats([&](ServiceStats& s) { s.notifications_resent += resent; });
}

void Service::transition(TransitionRequest request, std::function<void(Result<TransitionOutcome>)> done) {
  asio::post(executor_, [this, request = std::move(request), done = std::move(done)]() mutable {
    if (request.at_ms == 0) request.at_ms = clock_.epoch_ms();
    auto outcome = store_->transition(request, [this](const CaseNotice& n) { return notifier_.render(n); });
    if (outcome) {
      spdlog::info("case {}: -> {} by {} ({} notification(s))", request.case_number, to_string(request.to),
                   request.actor, outcome->notifications.size());
      update_stats([](ServiceStats& s) { ++s.transitions; });
      check_notifications();  // the new ones are due at once
      arm_sla_timer();
    }
    done(std::move(outcome));
  });
}

void Service::triage(TriageRequest request, std::function<Result<void>(const CaseSummary&)> permit,
                     std::function<void(Result<CaseSummary>)> done) {
  asio::post(executor_, [this, request = std::move(request), permit = std::move(permit),
                         done = std::move(done)]() mutable {
    if (request.at_ms == 0) request.at_ms = clock_.epoch_ms();
    auto triaged = store_->triage_case(request.case_number, [&](const CaseSummary& current) -> Result<TriageDecision> {
      if (permit) {
        if (auto allowed = permit(current); !allowed) return fail(allowed.error());
      }
      return decide_triage(current, request, rules_.router);
    });
    if (triaged) {
      spdlog::info("case {}: triaged by {} ({}, {}, {}, team {})", request.case_number, request.actor,
                   to_string(triaged->type), to_string(triaged->priority), to_string(triaged->system), triaged->team);
      arm_sla_timer();  // the due times may be earlier now
    }
    done(std::move(triaged));
  });
}

Result<TriageDecision> decide_triage(const CaseSummary& c, const TriageRequest& request, const Router& router) {
  const auto& seen = request.seen;
  std::string changed;
  const auto differs = [&](bool mismatch, std::string_view field, std::string_view now) {
    if (mismatch) changed += (changed.empty() ? "" : ", ") + std::string(field) + " is now " + std::string(now);
  };
  differs(seen.type && *seen.type != c.type, "type", to_string(c.type));
  differs(seen.priority && *seen.priority != c.priority, "priority", to_string(c.priority));
  differs(seen.system && *seen.system != c.system, "system", to_string(c.system));
  differs(seen.team && *seen.team != c.team, "team", c.team);
  if (!changed.empty()) {
    return fail(CaseErrc::invalid_transition,
                "case " + c.case_number + " changed since it was read (" + changed + "): read it again");
  }
  TriageDecision d;
  d.actor = request.actor;
  d.reason = request.reason;
  d.at_ms = request.at_ms;
  d.type = request.type.value_or(c.type);
  d.priority = request.priority.value_or(c.priority);
  d.system = request.system.value_or(c.system);
  const bool reclassified = d.type != c.type || d.priority != c.priority || d.system != c.system;
  const auto route = router.route(RouteQuery{d.type, d.priority, d.system, c.model, {}});
  if (!request.team.empty() && !router.has_team(request.team)) {
    return fail(ConfigErrc::invalid_value, "field 'team': no team '" + request.team + "' in routing.conf");
  }
  d.team = !request.team.empty() ? request.team : reclassified ? route.team : c.team;
  for (const auto& t : c.collaborators) add_collaborator(d.collaborators, d.team, t);
  if (reclassified) {
    for (const auto& t : route.collaborators) add_collaborator(d.collaborators, d.team, t);
  }
  if (!request.team.empty() && (reclassified || request.team != c.team)) {
    add_collaborator(d.collaborators, d.team, route.team);
  }
  d.sla = SlaTargets::of(router.sla(d.priority));
  return d;
}

void Service::after_update() {
  update_stats([](ServiceStats& s) { ++s.transitions; });
  check_notifications();  // what the change queued for a car goes now
  arm_sla_timer();
}

void Service::replace_rules(Rules rules, std::function<void()> done) {
  asio::post(executor_, [this, rules = std::move(rules), done = std::move(done)]() mutable {
    // Ingest and the notifier hold references to rules_: assigning in place keeps them valid.
    rules_ = std::move(rules);
    spdlog::info("backend: rules replaced");
    done();
  });
}

void Service::submit_from_channel(wire::Report report, std::string channel, std::optional<Contact> contact,
                                  std::function<void(Result<CaseRef>)> done) {
  asio::post(executor_, [this, report = std::move(report), channel = std::move(channel), contact = std::move(contact),
                         done = std::move(done)] {
    auto outcome = ingest_.accept_from_channel(report, channel, contact);
    if (!outcome) {
      spdlog::warn("report from channel {} refused: {}", channel, outcome.error().what());
      done(fail(outcome.error()));
      return;
    }
    for (auto& o : outcome->out) publish(std::move(o));
    arm_sla_timer();
    done(outcome->ref);
  });
}

// At the next SLA deadline in the store, and at least every sla_check.
void Service::arm_sla_timer() {
  if (!running_) return;
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(options_.sla_check);
  if (!runs_timers()) {
    // Another instance runs the pass: a deadline it has not met yet must not wake this one at once.
    sla_timer_.arm_after(delay, [this] { arm_sla_timer(); });
    return;
  }
  if (sla_failing_) {
    // The last pass failed and rolled back: its deadline is still past, and the store's deadline
    // would run it again at once, a busy loop. Tried again at the check interval instead, and a
    // retry already set stays: changes from the console (each re-arms) must not put it off.
    if (sla_timer_.deadline()) return;
  } else if (auto next = store_->next_sla_deadline(); !next) {
    spdlog::error("backend: cannot read SLA deadlines: {}", next.error().what());
  } else if (*next) {
    delay = std::clamp(std::chrono::milliseconds(**next - clock_.epoch_ms()), std::chrono::milliseconds(0), delay);
  }
  sla_timer_.arm_after(delay, [this] {
    check_sla();
    arm_sla_timer();
  });
}

void Service::purge_dead_letters() {
  if (!running_) return;
  if (!runs_timers()) {
    purge_timer_.arm_after(options_.dead_letter_purge_every, [this] { purge_dead_letters(); });
    return;
  }
  const auto before = clock_.epoch_ms() -
                      std::chrono::duration_cast<std::chrono::milliseconds>(options_.dead_letter_retention).count();
  if (auto n = store_->purge_dead_letters(before); !n) {
    spdlog::error("backend: dead-letter purge failed: {}", n.error().what());
  } else if (*n > 0) {
    spdlog::info("backend: {} dead letter(s) older than {} h purged", *n, options_.dead_letter_retention.count());
  }
  erase_expired_personal_data();
  purge_timer_.arm_after(options_.dead_letter_purge_every, [this] { purge_dead_letters(); });
}

void Service::erase_expired_personal_data() {
  if (options_.personal_data_retention.count() <= 0) return;
  const auto before = clock_.epoch_ms() -
                      std::chrono::duration_cast<std::chrono::milliseconds>(options_.personal_data_retention).count();
  if (auto n = store_->erase_closed_cases(before, clock_.epoch_ms()); !n) {
    spdlog::error("backend: personal-data retention failed: {}", n.error().what());
  } else if (*n > 0) {
    spdlog::info("backend: personal data of {} closed case(s) idle for {} h erased", *n,
                 options_.personal_data_retention.count());
  }
}

// Another instance takes the timers at its next renewal rather than after the lease lapses.
void Service::give_up_lease() {
  if (lease_until_ms_ == 0) return;
  if (auto r = store_->release_lease(kTimersLease, options_.instance); !r) {
    spdlog::warn("backend {}: timers' lease not released ({}): it lapses", options_.instance, r.error().what());
  }
  lease_until_ms_ = 0;
}

void Service::renew_lease() {
  if (!running_) return;
  const bool held = runs_timers();
  const auto now = clock_.epoch_ms();
  if (!connected_) {
    give_up_lease();  // resends need the broker: a connected instance takes over
  } else if (auto r = store_->hold_lease(kTimersLease, options_.instance, now, options_.lease_ttl.count()); !r) {
    // Unknown whether another took it: the timers stop when what was taken lapses.
    spdlog::error("backend {}: timers' lease not renewed: {}", options_.instance, r.error().what());
  } else {
    lease_until_ms_ = *r ? now + options_.lease_ttl.count() : 0;
  }
  const bool holds = runs_timers();
  if (holds && !held) {
    spdlog::info("backend {}: holds the timers' lease (resends, SLA, purges)", options_.instance);
    check_notifications();
    check_sla();
    arm_sla_timer();
    purge_dead_letters();
  } else if (!holds && held) {
    spdlog::warn("backend {}: lost the timers' lease", options_.instance);
  }
  lease_timer_.arm_after(options_.lease_ttl / 3, [this] { renew_lease(); });
}

void Service::check_sla() {
  if (!runs_timers()) return;
  auto events = store_->process_sla(clock_.epoch_ms(), [this](const CaseNotice& n) { return notifier_.render(n); });
  sla_failing_ = !events;
  if (!events) {
    spdlog::error("backend: SLA pass failed (tried again in {} ms): {}", options_.sla_check.count(),
                  events.error().what());
    return;
  }
  std::uint64_t escalations = 0, updates = 0;
  for (const auto& e : *events) {
    const bool told_car = e.kind == "progress" || e.kind == "visit_reminder" || e.kind == "callback_cancelled";
    ++(told_car ? updates : escalations);
  }
  update_stats([&](ServiceStats& s) {
    s.escalations += escalations;
    s.progress_updates += updates;
  });
  if (updates > 0) check_notifications();
}

}  // namespace fb::backend
