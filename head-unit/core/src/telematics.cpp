#include "fb/agent/telematics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "fb/agent/errors.hpp"
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
    case wire::CATEGORY_BRAKES: return system == VehicleSystem::brakes;
    case wire::CATEGORY_CLIMATE: return system == VehicleSystem::hvac;
    default: return false;
  }
}

// ---- RecentReports ----

void RecentReports::forget_before(std::int64_t t_ms) {
  while (!entries_.empty() && entries_.front().t_ms < t_ms) entries_.pop_front();
}

void RecentReports::add_auto(std::string id, VehicleSystem system, bool lamp, std::int64_t t_ms) {
  insert(Entry{std::move(id), true, system, lamp, wire::CATEGORY_OTHER, t_ms});
}

void RecentReports::add_driver(std::string id, wire::Category category, std::int64_t t_ms) {
  insert(Entry{std::move(id), false, VehicleSystem::other, false, category, t_ms});
}

void RecentReports::insert(Entry e) {
  // In time order, which the scans rely on: an auto-report saved after a retry comes in with
  // the time it confirmed, behind newer entries.
  forget_before(e.t_ms - window_);
  const auto at = std::upper_bound(entries_.begin(), entries_.end(), e.t_ms,
                                   [](std::int64_t t, const Entry& x) { return t < x.t_ms; });
  entries_.insert(at, std::move(e));
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

std::string RecentReports::to_json(std::int64_t now_ms, std::int64_t wall_ms) const {
  auto list = nlohmann::json::array();
  for (const auto& e : entries_) {
    nlohmann::json j{{"id", e.id}, {"at_ms", wall_ms - (now_ms - e.t_ms)}};
    if (e.automatic) {
      j["system"] = std::string(to_string(e.system));
      j["lamp"] = e.lamp;
    } else {
      j["category"] = std::string(to_string(e.category));
    }
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"version", 1}, {"reports", std::move(list)}}.dump();
}

Result<void> RecentReports::load_json(std::string_view text, std::int64_t now_ms, std::int64_t wall_ms) {
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const auto bad = [](const std::string& why) { return fail(ConfigErrc::parse_error, why); };
  // Types checked before each get(): nlohmann's value()/get() throw on a wrong one.
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("version") || !doc["version"].is_number_integer() ||
      doc["version"].get<std::int64_t>() != 1 || !doc.contains("reports") || !doc["reports"].is_array()) {
    return bad("not a version 1 recent-reports file");
  }
  std::vector<Entry> loaded;
  for (const auto& j : doc["reports"]) {
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("at_ms") ||
        !j["at_ms"].is_number_integer()) {
      return bad("an entry without id or at_ms");
    }
    Entry e;
    e.id = j["id"].get<std::string>();
    std::int64_t age = 0;
    if (__builtin_sub_overflow(wall_ms, j["at_ms"].get<std::int64_t>(), &age) ||
        __builtin_sub_overflow(now_ms, age, &e.t_ms)) {
      return bad("an entry's at_ms is out of range");
    }
    if (j.contains("system") && j["system"].is_string()) {
      auto system = parse<VehicleSystem>(j["system"].get<std::string>());
      if (!system) return bad("unknown system");
      e.automatic = true;
      e.system = *system;
      if (j.contains("lamp") && !j["lamp"].is_boolean()) return bad("lamp: need true or false");
      e.lamp = j.contains("lamp") && j["lamp"].get<bool>();
    } else if (j.contains("category") && j["category"].is_string()) {
      auto category = parse<wire::Category>(j["category"].get<std::string>());
      if (!category) return bad("unknown category");
      e.category = *category;
    } else {
      return bad("an entry with neither system nor category");
    }
    if (now_ms - e.t_ms <= window_ && e.t_ms <= now_ms) loaded.push_back(std::move(e));
  }
  std::sort(loaded.begin(), loaded.end(), [](const Entry& a, const Entry& b) { return a.t_ms < b.t_ms; });
  entries_.insert(entries_.begin(), loaded.begin(), loaded.end());
  return {};
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
      timer_(executor_, clock_),
      retry_timer_(executor_, clock_) {}

TelematicsMonitor::~TelematicsMonitor() {
  stop();
  *alive_ = false;
}

void TelematicsMonitor::persist_to(std::filesystem::path file) {
  recent_file_ = std::move(file);
  std::ifstream in(recent_file_, std::ios::binary);
  if (!in) return;  // none yet
  std::ostringstream text;
  text << in.rdbuf();
  if (auto r = recent_.load_json(text.str(), steady_ms(clock_), clock_.epoch_ms()); !r) {
    spdlog::warn("telematics: {} unreadable ({}); starting a new one", recent_file_.string(), r.error().what());
  }
}

void TelematicsMonitor::save_recent() {
  if (recent_file_.empty()) return;
  // Rename over the old file: a crash leaves the old or the new one, never half of one.
  auto tmp = recent_file_;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << recent_.to_json(steady_ms(clock_), clock_.epoch_ms());
    if (!out.flush()) {
      spdlog::warn("telematics: cannot write {}; links live in memory only", tmp.string());
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, recent_file_, ec);
  if (ec) spdlog::warn("telematics: cannot replace {}: {}", recent_file_.string(), ec.message());
}

void TelematicsMonitor::start() {
  running_ = true;
  // Codes already stored (the ECU keeps them across our restarts) count from now.
  const auto now = steady_ms(clock_);
  for (const auto& code : source_.active_dtcs()) engine_.on_dtc(code, true, now);
  source_.start([this](const SignalSample& s) { on_sample(s); },
                [this](const std::string& code, bool active) { on_dtc(code, active); });
  arm_if_pending();
  if (!refused_.empty() && !retry_timer_.deadline()) retry_timer_.arm_after(kRefusedRetry, [this] { retry_refused(); });
}

void TelematicsMonitor::stop() {
  if (!running_) return;
  running_ = false;
  source_.stop();
  timer_.cancel();
  retry_timer_.cancel();
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
    // A rule's high severity is a safety or usability fault: it goes first and is never evicted.
    d.report_class = rule.severity == Priority::high     ? ReportClass::safety
                     : rule.severity == Priority::medium ? ReportClass::normal
                                                         : ReportClass::low;
    d.related_report_ids = recent_.drivers_for_auto(rule.system, lamp, r.t_ms);
    // The moment it confirmed, for its snapshot, also when a refusal makes it wait.
    d.snapshot_at_ms = agent_.snapshot_clock_ms();
    spdlog::info("telematics: rule {} confirmed ({}), drive cycle {}", rule.id,
                 r.dtcs.empty() ? std::string("no DTC") : r.dtcs.front(), engine_.drive_cycle());
    submit_auto(AutoDraft{std::move(d), &rule, lamp, r.t_ms});
  }
}

namespace {

/// A refusal that room may cure later: a full disk, a busy or failing store, a full outbox.
bool wants_room(const Error& e) {
  return e.code == make_error_code(StorageErrc::full) || e.code == make_error_code(StorageErrc::busy) ||
         e.code == make_error_code(StorageErrc::io) || e.code == make_error_code(AgentErrc::queue_full);
}

}  // namespace

void TelematicsMonitor::submit_auto(AutoDraft a) {
  auto draft = a.draft;
  agent_.submit(std::move(draft), [this, alive = alive_, a = std::move(a)](Result<std::string> id) mutable {
    if (!*alive) return;
    if (!id) {
      ++stats_.failed;
      if (!wants_room(id.error())) {
        spdlog::warn("telematics: auto-report of rule {} refused: {}", a.rule->id, id.error().what());
        return;
      }
      spdlog::warn("telematics: auto-report of rule {} not saved, tried again in {} s: {}", a.rule->id,
                   kRefusedRetry.count(), id.error().what());
      refused_.push_back(std::move(a));
      if (refused_.size() > kMaxRefused) give_up_least_urgent_refused();
      if (running_ && !retry_timer_.deadline()) retry_timer_.arm_after(kRefusedRetry, [this] { retry_refused(); });
      return;
    }
    ++stats_.submitted;
    recent_.add_auto(*id, a.rule->system, a.lamp, a.t_ms);
    save_recent();
    if (on_submitted_) on_submitted_(*id, *a.rule);
  });
}

void TelematicsMonitor::give_up_least_urgent_refused() {
  // The oldest of the lowest class; a safety fault is never given up (as the outbox never evicts one).
  auto least = refused_.end();
  ReportClass least_class = ReportClass::safety;
  for (auto it = refused_.begin(); it != refused_.end(); ++it) {
    const auto c = report_class_of(it->draft);
    if (c < least_class) {
      least = it;
      least_class = c;
    }
  }
  if (least == refused_.end()) return;
  spdlog::error("telematics: auto-report of rule {} given up: {} more urgent or older ones wait for room",
                least->rule->id, refused_.size() - 1);
  ++stats_.given_up;
  refused_.erase(least);
}

void TelematicsMonitor::retry_refused() {
  // Those refused again come back into refused_ (and re-arm the timer) from their completions.
  for (auto& a : std::exchange(refused_, {})) {
    ++stats_.retried;
    // A driver report saved while it waited links to it too (add_auto will not tell that one).
    auto& related = a.draft.related_report_ids;
    for (auto& id : recent_.drivers_for_auto(a.rule->system, a.lamp, steady_ms(clock_))) {
      if (related.size() < codec::kMaxRelatedReports && std::find(related.begin(), related.end(), id) == related.end())
        related.push_back(std::move(id));
    }
    submit_auto(std::move(a));
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
                      if (*alive && id && driver) {
                        m.recent_.add_driver(*id, category, now);
                        m.save_recent();
                      }
                      if (done) done(std::move(id));
                    });
  });
}

}  // namespace fb::agent
