#include "fb/agent/telematics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "fb/common/codec.hpp"

namespace fb::agent {

namespace asio = boost::asio;

bool related(wire::Category category, VehicleSystem system, bool lamp) {
  switch (category) {
    case wire::CATEGORY_NOISE:
    case wire::CATEGORY_DRIVING_FEEL:
      return system == VehicleSystem::engine || system == VehicleSystem::transmission ||
             system == VehicleSystem::brakes;
    case wire::CATEGORY_WARNING_LAMP: return lamp;
    default: return false;
  }
}

// ---- RecentReports ----

void RecentReports::forget_before(std::int64_t t_ms) {
  while (!entries_.empty() && entries_.front().t_ms < t_ms) entries_.pop_front();
}

void RecentReports::add_auto(std::string id, VehicleSystem system, bool lamp, std::int64_t t_ms) {
  forget_before(t_ms - window_);
  entries_.push_back(Entry{std::move(id), true, system, lamp, wire::CATEGORY_OTHER, t_ms});
}

void RecentReports::add_driver(std::string id, wire::Category category, std::int64_t t_ms) {
  forget_before(t_ms - window_);
  entries_.push_back(Entry{std::move(id), false, VehicleSystem::other, false, category, t_ms});
}

std::vector<std::string> RecentReports::autos_for_driver(wire::Category category, std::int64_t t_ms) const {
  std::vector<std::string> out;
  for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < codec::kMaxRelatedReports; ++it) {
    if (t_ms - it->t_ms > window_) break;
    if (it->automatic && it->t_ms <= t_ms && related(category, it->system, it->lamp)) out.push_back(it->id);
  }
  return out;
}

std::vector<std::string> RecentReports::drivers_for_auto(VehicleSystem system, bool lamp, std::int64_t t_ms) const {
  std::vector<std::string> out;
  for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < codec::kMaxRelatedReports; ++it) {
    if (t_ms - it->t_ms > window_) break;
    if (!it->automatic && it->t_ms <= t_ms && related(it->category, system, lamp)) out.push_back(it->id);
  }
  return out;
}

// ---- TelematicsMonitor ----

TelematicsMonitor::TelematicsMonitor(asio::any_io_executor executor, const Clock& clock, SignalSource& source,
                                     AgentApi& agent, TelematicsConfig config)
    : executor_(std::move(executor)),
      clock_(clock),
      source_(source),
      agent_(agent),
      driver_api_(*this),
      engine_(std::move(config)),
      recent_(engine_.config().link_window),
      timer_(executor_, clock_) {}

TelematicsMonitor::~TelematicsMonitor() {
  stop();
  *alive_ = false;
}

void TelematicsMonitor::start() {
  running_ = true;
  // Codes already stored (the ECU keeps them across our restarts) count from now.
  const auto now = steady_ms(clock_);
  for (const auto& code : source_.active_dtcs()) engine_.on_dtc(code, true, now);
  source_.start([this](const SignalSample& s) { on_sample(s); },
                [this](const std::string& code, bool active) { on_dtc(code, active); });
  arm_if_pending();
}

void TelematicsMonitor::stop() {
  if (!running_) return;
  running_ = false;
  source_.stop();
  timer_.cancel();
}

void TelematicsMonitor::on_sample(const SignalSample& s) {
  engine_.on_sample(s);
  submit_confirmed();
  arm_if_pending();
}

void TelematicsMonitor::on_dtc(const std::string& code, bool active) {
  engine_.on_dtc(code, active, steady_ms(clock_));
  submit_confirmed();
  arm_if_pending();
}

void TelematicsMonitor::tick() {
  engine_.evaluate(steady_ms(clock_));
  submit_confirmed();
  arm_if_pending();
}

void TelematicsMonitor::arm_if_pending() {
  // Cycles are counted only while a condition waits for confirmation: an idle car has no timer.
  if (!running_ || !engine_.pending() || timer_.deadline()) return;
  timer_.arm_after(engine_.config().evaluation_period, [this] { tick(); });
}

void TelematicsMonitor::submit_confirmed() {
  for (auto& r : engine_.take_reports()) {
    const auto& rule = *r.rule;
    const bool lamp = !r.dtcs.empty() || rule.category == wire::CATEGORY_WARNING_LAMP;
    const auto& cfg = engine_.config();
    Draft d;
    d.source = wire::SOURCE_TELEMATICS;
    d.category = rule.category;
    d.text = rule.text;
    d.language = cfg.language;
    d.consent = cfg.consent;
    d.dtcs = r.dtcs;
    d.capture_snapshot = true;
    d.rule_id = rule.id;
    d.suggested_severity = std::string(to_string(rule.severity));
    d.priority = rule.severity == Priority::high ? 2 : rule.severity == Priority::medium ? 1 : 0;
    d.related_report_ids = recent_.drivers_for_auto(rule.system, lamp, r.t_ms);
    spdlog::info("telematics: rule {} confirmed ({}), drive cycle {}", rule.id,
                 r.dtcs.empty() ? std::string("no DTC") : r.dtcs.front(), engine_.drive_cycle());
    agent_.submit(std::move(d), [this, alive = alive_, rule = &rule, lamp, t = r.t_ms](Result<std::string> id) {
      if (!*alive) return;
      if (!id) {
        ++stats_.failed;
        spdlog::warn("telematics: auto-report of rule {} not saved: {}", rule->id, id.error().what());
        return;
      }
      ++stats_.submitted;
      recent_.add_auto(*id, rule->system, lamp, t);
      if (on_submitted_) on_submitted_(*id, *rule);
    });
  }
}

void TelematicsMonitor::DriverApi::submit(Draft draft, std::function<void(Result<std::string>)> done) {
  asio::post(m_.executor_, [&m = m_, &agent = m_.agent_, alive = m_.alive_, draft = std::move(draft),
                            done = std::move(done)]() mutable {
    if (!*alive) {  // the monitor is gone (the agent outlives it): the report goes unlinked
      agent.submit(std::move(draft), std::move(done));
      return;
    }
    const auto now = steady_ms(m.clock_);
    const auto category = draft.category;
    if (draft.source == wire::SOURCE_DRIVER) {
      for (auto& id : m.recent_.autos_for_driver(category, now)) {
        if (draft.related_report_ids.size() >= codec::kMaxRelatedReports) break;
        if (std::find(draft.related_report_ids.begin(), draft.related_report_ids.end(), id) ==
            draft.related_report_ids.end()) {
          draft.related_report_ids.push_back(std::move(id));
        }
      }
    }
    const bool driver = draft.source == wire::SOURCE_DRIVER;
    m.agent_.submit(std::move(draft),
                    [&m, alive, driver, category, now, done = std::move(done)](Result<std::string> id) {
                      if (*alive && id && driver) m.recent_.add_driver(*id, category, now);
                      if (done) done(std::move(id));
                    });
  });
}

}  // namespace fb::agent
