// Telematics auto-reports on the car: a monitor that feeds a SignalSource into the RuleEngine
// (telematics_rules.hpp) and submits what it confirms through the agent, and the links between
// auto-reports and the driver's own reports made close in time (docs/telematics.md).
//
// Threads: TelematicsMonitor lives on the agent's executor (a strand), given by the composition
// root; the SignalSource must deliver there too. Construct, start, stop and destroy it there.
// Its driver_api() may be called from any thread, like AgentApi, and posts to that strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fb/agent/agent_api.hpp"
#include "fb/agent/signals.hpp"
#include "fb/agent/telematics_rules.hpp"
#include "fb/async/timer.hpp"
#include "fb/common/clock.hpp"

namespace fb::agent {

/// Whether a driver's report of `category` is about the same part of the car as an auto-report
/// on `system` (which carried `lamp`: a DTC or a lit lamp). The mapping:
///   noise         <-> engine, brakes, transmission
///   driving_feel  <-> transmission, engine, brakes
///   warning_lamp  <-> any auto-report with a DTC or a lamp
///   ui, service, idea, other: none
bool related(wire::Category category, VehicleSystem system, bool lamp);

/// The recent reports of this car, auto and driver, for linking: kept for the link window.
/// Not thread-safe.
class RecentReports {
 public:
  explicit RecentReports(std::chrono::milliseconds window) : window_(window.count()) {}

  /// The entries as JSON with wall-clock times (steady time does not survive a reboot):
  /// `now_ms` steady and `wall_ms` epoch are the same instant.
  std::string to_json(std::int64_t now_ms, std::int64_t wall_ms) const;
  /// Adds the entries of to_json() text still within the window. Errors: ConfigErrc::parse_error.
  Result<void> load_json(std::string_view text, std::int64_t now_ms, std::int64_t wall_ms);

  void add_auto(std::string id, VehicleSystem system, bool lamp, std::int64_t t_ms);
  void add_driver(std::string id, wire::Category category, std::int64_t t_ms);
  /// Auto-reports within the window before t_ms (inclusive) on a system related to `category`,
  /// newest first, at most codec::kMaxRelatedReports.
  std::vector<std::string> autos_for_driver(wire::Category category, std::int64_t t_ms) const;
  /// Driver reports within the window before t_ms on a category related to `system`.
  std::vector<std::string> drivers_for_auto(VehicleSystem system, bool lamp, std::int64_t t_ms) const;

 private:
  struct Entry {
    std::string id;
    bool automatic = false;
    VehicleSystem system = VehicleSystem::other;
    bool lamp = false;
    wire::Category category = wire::CATEGORY_OTHER;
    std::int64_t t_ms = 0;
  };
  void forget_before(std::int64_t t_ms);
  void insert(Entry e);
  std::deque<Entry> entries_;  // oldest first (by t_ms)
  std::int64_t window_;
};

/// Consumes a SignalSource, confirms rules and submits auto-reports through `agent`
/// (AgentApi::submit); driver reports that go through driver_api() are linked to them.
class TelematicsMonitor {
 public:
  struct Stats {
    std::uint64_t submitted = 0;  // auto-reports the agent saved
    std::uint64_t failed = 0;     // refusals by the agent (logged), each retry's included
    std::uint64_t retried = 0;    // submissions of a refused auto-report again
    std::uint64_t given_up = 0;   // refused auto-reports dropped beyond kMaxRefused (logged)
    std::size_t waiting = 0;      // refused auto-reports waiting for room now
    RuleEngine::Stats rules;
  };

  /// An auto-report the agent refused for want of room (a full disk, a busy or failing store, an
  /// outbox full of more urgent reports) is submitted again this long after, until it is saved:
  /// its throttle slot is spent, so it is the fault's only report. Its snapshot moment stays the
  /// confirmation's (the agent sends it without a snapshot once the ring no longer holds it).
  /// Other refusals (the report breaks a wire rule) are final. Kept in memory: after a restart
  /// the ECU's stored codes start new episodes.
  static constexpr std::chrono::seconds kRefusedRetry{30};
  /// At most this many refused auto-reports wait; beyond it the oldest of the lowest class is
  /// given up (logged, Stats::given_up). Safety faults are never given up: they may exceed it.
  static constexpr std::size_t kMaxRefused = 32;

  /// `source` and `agent` must outlive the monitor. `executor` is the agent's strand.
  TelematicsMonitor(boost::asio::any_io_executor executor, const Clock& clock, SignalSource& source, AgentApi& agent,
                    TelematicsConfig config);
  ~TelematicsMonitor();
  TelematicsMonitor(const TelematicsMonitor&) = delete;
  TelematicsMonitor& operator=(const TelematicsMonitor&) = delete;

  /// Keeps the recent-reports log in `file` too (rewritten, by rename, at each report; a few
  /// hundred bytes), so links survive a restart of the agent. Loads what is there; an unreadable
  /// file is logged and replaced. Call before start(), on the executor.
  void persist_to(std::filesystem::path file);
  /// Starts the source; codes it reports active already start their episodes now. Call on the
  /// executor.
  void start();
  /// Stops the source and the evaluation timer; auto-reports already submitted stay submitted.
  /// Idempotent.
  void stop();

  /// The agent as the driver's UI should see it: submit() links a driver report to recent
  /// auto-reports on related systems (Report.related_report_ids), everything else is the agent.
  AgentApi& driver_api() { return driver_api_; }

  /// Called on the executor with each auto-report's id once the agent saved it.
  void on_submitted(std::function<void(const std::string& report_id, const TelematicsRule&)> f) {
    on_submitted_ = std::move(f);
  }
  Stats stats() const {
    auto s = stats_;
    s.rules = engine_.stats();
    s.waiting = refused_.size();
    return s;
  }

 private:
  class DriverApi final : public AgentApi {
   public:
    explicit DriverApi(TelematicsMonitor& m) : m_(m) {}
    void add_listener(AgentListener* l) override { m_.agent_.add_listener(l); }
    const VehicleIdentity& vehicle() const override { return m_.agent_.vehicle(); }
    void submit(Draft draft, std::function<void(Result<std::string>)> done) override;
    void mark_read(std::string id) override { m_.agent_.mark_read(std::move(id)); }
    void answer_survey(std::string id, int score, std::string comment,
                       std::function<void(Result<void>)> done) override {
      m_.agent_.answer_survey(std::move(id), score, std::move(comment), std::move(done));
    }
    void answer_visit(std::string id, VisitAnswer a, std::function<void(Result<std::string>)> done) override {
      m_.agent_.answer_visit(std::move(id), std::move(a), std::move(done));
    }
    void request_callback(std::string id, std::string phone, std::function<void(Result<std::string>)> done) override {
      m_.agent_.request_callback(std::move(id), std::move(phone), std::move(done));
    }
    void reply(std::string id, std::string text, std::function<void(Result<std::string>)> done) override {
      m_.agent_.reply(std::move(id), std::move(text), std::move(done));
    }
    void reopen(std::string id, std::string reason, std::function<void(Result<std::string>)> done) override {
      m_.agent_.reopen(std::move(id), std::move(reason), std::move(done));
    }
    void rate(std::string id, int score, std::string comment, std::function<void(Result<std::string>)> done) override {
      m_.agent_.rate(std::move(id), score, std::move(comment), std::move(done));
    }
    void timeline(std::string id, std::function<void(Result<std::vector<TimelineEvent>>)> done) override {
      m_.agent_.timeline(std::move(id), std::move(done));
    }
    void reports(std::function<void(Result<std::vector<ReportView>>)> done) override {
      m_.agent_.reports(std::move(done));
    }
    void inbox(std::function<void(Result<std::vector<InboxEntry>>)> done) override { m_.agent_.inbox(std::move(done)); }

   private:
    TelematicsMonitor& m_;
  };

  void on_sample(const SignalSample& s);
  void on_dtc(const std::string& code, bool active);
  void tick();
  void arm_if_pending();
  void submit_confirmed();
  struct AutoDraft {
    Draft draft;
    const TelematicsRule* rule = nullptr;  // into engine_'s config
    bool lamp = false;
    std::int64_t t_ms = 0;  // when it confirmed
  };
  void submit_auto(AutoDraft a);
  void retry_refused();
  void give_up_least_urgent_refused();
  void save_recent();

  boost::asio::any_io_executor executor_;
  const Clock& clock_;
  SignalSource& source_;
  AgentApi& agent_;
  DriverApi driver_api_;
  // Owner of everything below: the executor.
  RuleEngine engine_;
  RecentReports recent_;
  std::filesystem::path recent_file_;  // empty: memory only
  Timer timer_;
  std::deque<AutoDraft> refused_;  // waiting for room, oldest first
  Timer retry_timer_;              // armed while refused_ is not empty
  std::function<void(const std::string&, const TelematicsRule&)> on_submitted_;
  Stats stats_;
  bool running_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed: late completions skip us
};

}  // namespace fb::agent
