// fb-car: a headless head unit. Sends reports, lists them with their status and prints the
// notifications that come back; `follow` plays the driver of a service visit (ScriptedDriver);
// With --snapshot a DriveSimulator drives the car and reports carry its diagnostic snapshot.
// `drive` runs the drive simulator with a fault under the telematics rules (auto-reports).
// `stream` queues a numbered stream of reports for fault-injection tests (stream.hpp).
// Used by the demo, the tests and the benchmarks.
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "fb/agent/agent.hpp"
#include "fb/agent/personal_data_json.hpp"
#include "fb/agent/scripted_driver.hpp"
#include "fb/agent/signals.hpp"
#include "fb/agent/snapshot_config.hpp"
#include "fb/agent/telematics.hpp"
#include "fb/asio.hpp"
#include "fb/async/timer.hpp"
#include "fb/common/config.hpp"
#include "fb/common/guarded_main.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/logging.hpp"
#include "fb/common/private_file.hpp"
#include "fb/common/utc_offset.hpp"
#include "fb/common/vocabulary.hpp"
#include "fb/mqtt/options.hpp"
#include "stream.hpp"

namespace {

using fb::agent::Agent;
using fb::agent::ReportView;

using fb::ReportStatus;

std::string local_time(std::int64_t ms) {
  if (ms <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string money(const fb::wire::Money& m) {
  const auto minor = m.minor() < 0 ? -m.minor() : m.minor();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld %s", m.minor() < 0 ? "-" : "", static_cast<long long>(minor / 100),
                static_cast<long long>(minor % 100), m.currency().c_str());
  return buf;
}

std::string stage_name(fb::wire::VisitStage stage) {
  std::string name = fb::wire::VisitStage_Name(stage);
  if (name.starts_with("VISIT_")) name = name.substr(6);
  std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

// A visit's time on the service region's clock that its notification text uses, when the
// update names it; else this host's zone (a backend before utc_offset_minutes).
std::string visit_time(std::int64_t ms, const fb::wire::VisitUpdate& v) {
  if (ms <= 0 || !v.has_utc_offset_minutes()) return local_time(ms);
  return fb::wall_clock_text(ms, std::int64_t{v.utc_offset_minutes()} * 60'000);
}

std::string slot_line(const fb::wire::VisitSlot& s, const fb::wire::VisitUpdate& v) {
  const auto end = visit_time(s.end_ms(), v);  // its clock time only; "-" or "" as it is
  return "[" + s.slot_id() + "] " + s.dealer_name() + " (" + s.dealer_code() + ") " + visit_time(s.start_ms(), v) +
         " - " + (end.size() > 11 ? end.substr(11) : end) + "  " + s.work();
}

// A visit update in a few lines: stage, slots, booking, ready time, money.
void print_visit(const fb::wire::VisitUpdate& v, const std::string& indent) {
  std::cout << indent << "visit " << fb::short_id(v.visit_id()) << ": " << stage_name(v.stage())
            << (v.reminder() ? " (reminder)" : "")
            << (v.quality_failed() ? " (quality check failed, back to repair)" : "") << "\n";
  for (const auto& s : v.slots()) std::cout << indent << "  slot " << slot_line(s, v) << "\n";
  if (v.has_booked() && !v.booked().slot_id().empty())
    std::cout << indent << "  booked " << slot_line(v.booked(), v) << "\n";
  if (v.ready_at_ms() > 0) std::cout << indent << "  ready at " << visit_time(v.ready_at_ms(), v) << "\n";
  if (v.has_estimate() && v.estimate().minor() > 0) std::cout << indent << "  estimate " << money(v.estimate()) << "\n";
  if (v.has_extra_cost() && !v.extra_cost().approval_id().empty()) {
    std::cout << indent << "  extra cost to approve (" << v.extra_cost().approval_id()
              << "): " << money(v.extra_cost().amount()) << "  " << v.extra_cost().reason() << "\n";
  }
}

std::string callback_state(fb::wire::CallbackState state) {
  switch (state) {
    case fb::wire::CALLBACK_QUEUED: return "queued: waiting for an agent";
    case fb::wire::CALLBACK_PICKED_UP: return "picked up: an agent will call you";
    case fb::wire::CALLBACK_LOGGED: return "call logged";
    case fb::wire::CALLBACK_CANCELLED: return "cancelled";
    default: return "asked: waiting for an agent";
  }
}

void print_callback(const fb::wire::CallbackUpdate& c, const std::string& indent) {
  std::cout << indent << "callback " << fb::short_id(c.callback_id()) << ": " << callback_state(c.state())
            << (c.agent().empty() ? "" : " (" + c.agent() + ")") << (c.outcome().empty() ? "" : ": " + c.outcome())
            << "\n";
}

std::string pending_line(const fb::agent::PendingVisitReply& p) {
  switch (p.answer.action) {
    case fb::wire::VisitReply::PICK_SLOT: return "slot " + p.answer.slot_id + " picked, waiting for confirmation";
    case fb::wire::VisitReply::DECLINE: return "declined, waiting for confirmation";
    case fb::wire::VisitReply::RESCHEDULE: return "other times asked, waiting for new slots";
    case fb::wire::VisitReply::CANCEL: return "cancel asked, waiting for confirmation";
    case fb::wire::VisitReply::APPROVE_EXTRA: return "extra cost approved, waiting for the dealer";
    case fb::wire::VisitReply::REFUSE_EXTRA: return "extra cost refused, waiting for the dealer";
    default: return "answer on its way";
  }
}

std::string drop_line(fb::DropReason reason) {
  switch (reason) {
    case fb::DropReason::expired: return "expired: not sent within its time to live";
    case fb::DropReason::evicted_for_space:
      return "evicted for space: the queue was full, and more urgent or newer reports went first";
    case fb::DropReason::store_damaged: return "store damaged: its saved copy could not be recovered";
  }
  return std::string(fb::to_string(reason));
}

// Prints events and says when every report it waits for has its answer. Runs on the agent's
// strand (the main thread runs it), so it needs no lock.
class Printer final : public fb::agent::AgentListener {
 public:
  void report_changed(const ReportView& r) override {
    std::cout << "  report " << fb::short_id(r.report_id) << "  " << fb::to_string(r.status);
    if (r.snapshot == fb::agent::SnapshotState::waiting) std::cout << "  (waiting for its snapshot)";
    if (r.snapshot == fb::agent::SnapshotState::lost) std::cout << "  (snapshot lost)";
    if (!r.case_number.empty()) std::cout << "  " << r.case_number;
    if (!r.reject_reason.empty()) std::cout << "  (" << r.reject_reason << ")";
    std::cout << std::endl;
    if (r.status == ReportStatus::rejected || r.status == ReportStatus::dropped) answered(r.report_id);
  }
  void report_sent(const std::string& id) override {
    std::cout << "  report " << fb::short_id(id) << "  taken by the broker" << std::endl;
  }
  void notification_received(const fb::agent::InboxEntry& n) override {
    std::cout << "  >> " << n.title << "\n     " << n.text << "\n";
    if (n.visit) print_visit(*n.visit, "     ");
    if (n.callback) print_callback(*n.callback, "     ");
    std::cout << std::flush;
    ++notifications_;
    answered(n.report_id);
  }
  void connection_changed(bool up) override {
    connected_ = up;
    std::cout << (up ? "  connected to broker" : "  offline: reports stay queued") << std::endl;
  }
  void link_problem(const fb::Error& e) override { std::cout << "  link not started: " << e.what() << std::endl; }
  void storage_problem(const fb::Error& e) override { std::cout << "  storage problem: " << e.what() << std::endl; }
  void report_dropped(const ReportView& r) override {
    std::cout << "  report " << fb::short_id(r.report_id) << "  dropped: " << drop_line(*r.drop_reason) << std::endl;
  }

  /// `done` runs once every id has a notification or a rejection (ids answered before the
  /// call count: `drive` waits only after its auto-reports went out).
  void wait_for(std::set<std::string> ids, std::function<void()> done) {
    waiting_ = std::move(ids);
    for (const auto& id : answered_) waiting_.erase(id);
    done_ = std::move(done);
    check();
  }
  bool all_answered() const { return waiting_.empty(); }
  /// New notifications so far (a change between two looks: one arrived in between).
  std::uint64_t notifications() const { return notifications_; }
  bool connected() const { return connected_; }

 private:
  void answered(const std::string& id) {
    answered_.insert(id);
    waiting_.erase(id);
    check();
  }
  void check() {
    if (waiting_.empty() && done_) std::exchange(done_, nullptr)();
  }
  std::set<std::string> waiting_;
  std::set<std::string> answered_;
  std::function<void()> done_;
  std::uint64_t notifications_ = 0;
  bool connected_ = false;
};

struct Options {
  std::string config_file;
  std::string vin = "LSVAX60E5K2000001";
  std::string model = "Aurora EV";
  unsigned model_year = 2026;
  std::string software = "HU-3.2.1";
  std::string db;
  std::string broker = "ssl://127.0.0.1:8883";
  std::string pki = "run/pki";
  std::string log_level = "warn";
  std::string mqtt_version = "3.1.1";
};

int fail_with(const fb::Error& e) {
  std::cerr << "fb-car: " << e.what() << "\n";
  return 1;
}

/// Root on a queue that another user owns (the packaged service's user, fb-car): the files root
/// would create beside it (its key file, the WAL) would lock that user's service out of its own
/// queue. Refused, with the way to do it.
std::optional<fb::Error> foreign_queue_as_root(const std::string& db) {
  if (::geteuid() != 0) return std::nullopt;
  const std::filesystem::path path(db);
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  // The directory first: a queue file an earlier root run left there is root's, the place is not.
  struct stat st {};
  for (const auto& p : {dir, path}) {
    if (::stat(p.c_str(), &st) != 0 || st.st_uid == 0) continue;
    const auto* pw = ::getpwuid(st.st_uid);
    const std::string user = pw ? pw->pw_name : std::to_string(st.st_uid);
    return fb::Error(fb::StorageErrc::open_failed,
                     p.string() + " belongs to user " + user +
                         ": files root creates there would lock it out of its queue; run fb-car as that user, "
                         "e.g. `runuser -u " +
                         user +
                         " -- fb-car ...` (stop its service first for list, inbox and privacy; files an "
                         "earlier run as root left there go back with `chown " +
                         user + "`)");
  }
  return std::nullopt;
}

void print_reports(const std::vector<ReportView>& reports) {
  if (reports.empty()) std::cout << "no reports\n";
  for (const auto& r : reports) {
    std::cout << local_time(r.created_ms) << "  " << fb::short_id(r.report_id) << "  " << fb::to_string(r.category)
              << "  " << fb::to_string(r.status) << (r.case_number.empty() ? "" : "  " + r.case_number)
              << (r.team.empty() ? "" : "  -> " + r.team) << "\n    \"" << r.text << "\"\n";
    if (!r.last_text.empty()) std::cout << "    latest: " << r.last_text << "\n";
    if (!r.reject_reason.empty()) std::cout << "    rejected: " << r.reject_reason << "\n";
    if (r.drop_reason) std::cout << "    dropped: " << drop_line(*r.drop_reason) << "\n";
    if (r.visit) {
      print_visit(r.visit->latest, "    ");
      if (r.visit->pending) std::cout << "      you: " << pending_line(*r.visit->pending) << "\n";
    }
    if (r.callback) {
      fb::wire::CallbackUpdate c;
      c.set_callback_id(r.callback->callback_id);
      c.set_state(r.callback->state);
      c.set_agent(r.callback->agent);
      c.set_outcome(r.callback->outcome);
      print_callback(c, "    ");
    }
    if (r.snapshot != fb::agent::SnapshotState::none) {
      std::cout << "    snapshot: " << fb::to_string(r.snapshot) << "\n";
    }
    if (!r.survey_request_id.empty()) {
      std::cout << "    survey: " << (r.survey_answered ? "answered" : "waiting for your answer") << "\n";
    }
  }
}

struct Sample {
  fb::wire::Category category;
  const char* language;
  const char* text;
};

const Sample kSamples[] = {
    {fb::wire::CATEGORY_DRIVING_FEEL, "zh-CN", "低速时变速箱换挡顿挫，二挡升三挡时车身抖动明显。"},
    {fb::wire::CATEGORY_NOISE, "en", "Brake squeal from the front left wheel when braking gently at low speed."},
    {fb::wire::CATEGORY_SERVICE, "zh-CN", "4S店维修延迟了两周，配件价格也不合理，服务态度差。"},
    {fb::wire::CATEGORY_UI, "en", "The navigation menu is not intuitive: I can't find how to avoid toll roads."},
    {fb::wire::CATEGORY_IDEA, "zh-CN", "希望增加新功能：保养提醒可以直接预约附近的4S店。"},
    {fb::wire::CATEGORY_WARNING_LAMP, "en", "Airbag warning light came on while driving on the motorway."},
};

// Reports of these categories ask for a snapshot in `demo --snapshot`.
bool about_the_car(fb::wire::Category c) {
  return c == fb::wire::CATEGORY_DRIVING_FEEL || c == fb::wire::CATEGORY_NOISE || c == fb::wire::CATEGORY_WARNING_LAMP;
}

}  // namespace

static int run_main(int argc, char** argv) {
  CLI::App app{"fb-car: a headless head unit for the vehicle feedback loop."};
  Options o;
  // Keys are the long options (vin = "...", broker = "...", ...); a flag on the command line wins.
  app.set_config("--config", "", "Read options from this file (TOML/INI, e.g. /etc/fb-car/fb-car.conf)");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt key is an error, not a default
  app.add_option("--vin", o.vin, "Vehicle identification number (17 characters)");
  app.add_option("--model", o.model, "Model name");
  app.add_option("--model-year", o.model_year, "Model year");
  app.add_option("--software", o.software, "Head unit software version");
  app.add_option("--db", o.db, "Queue file (default run/car-<VIN>.db)");
  app.add_option("--broker", o.broker, "Broker URI");
  app.add_option("--pki", o.pki, "PKI directory from deploy/gen-certs.sh (uses <pki>/vehicles/<VIN>/*)");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error");
  double ack_timeout_s = 30;
  app.add_option("--ack-timeout", ack_timeout_s,
                 "Seconds to wait for the backend's Ack before a report is sent again (doubling up to 10 min)")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--mqtt-version", o.mqtt_version, "MQTT protocol: 3.1.1 or 5")->check(CLI::IsMember({"3.1.1", "5"}));
  int wait_seconds = 20;
  app.add_option("--wait", wait_seconds, "Seconds to wait for answers (send, demo, listen, follow; not stream)");
  double receipt_wait_s = 5;
  app.add_option("--receipt-wait", receipt_wait_s,
                 "Seconds to wait at the end for the receipts of received notifications to reach the broker "
                 "(else the backend sends those notifications again) and for the backend to confirm the "
                 "scripted driver's answers (else they go again on the next run)")
      ->check(CLI::NonNegativeNumber);

  auto* send = app.add_subcommand("send", "Queue one report, send it and wait for its notification");
  std::string category = "other", text, language = "en";
  std::vector<std::string> dtcs;
  std::vector<std::string> category_keys;
  for (const auto& e : fb::vocabulary<fb::wire::Category>()) category_keys.emplace_back(e.key);
  // The keys of the category vocabulary; the dashed spelling of older versions ("driving-feel")
  // is still accepted.
  send->add_option("--category", category,
                   "Category: noise, driving_feel, warning_lamp, ui, service, idea, brakes, climate, other")
      ->transform([](std::string s) {
        std::ranges::replace(s, '-', '_');
        return s;
      })
      ->check(CLI::IsMember(category_keys));
  send->add_option("--text", text, "What happened, in the driver's words");
  send->add_option("--lang", language, "BCP 47 language tag, e.g. zh-CN or en");
  send->add_option("--dtc", dtcs, "Active diagnostic trouble code (repeatable)");
  auto* demo = app.add_subcommand("demo", "Send sample reports in Chinese and English and show the answers");
  bool snapshot = false;
  std::string fault = "none", signals_file;
  double post_s = 30, drive_before_s = 0;
  app.add_flag("--snapshot", snapshot,
               "send: the report carries a diagnostic snapshot (diagnostics consent given) of a simulated drive; "
               "demo: so do its driving-feel, noise and warning-lamp samples; stream: so does every report");
  app.add_option("--fault", fault,
                 "Fault the simulated drive shows: none, harsh-shift, slipping-shift, knock, misfire, brake-squeal, "
                 "overheat, warning-lamp")
      ->check(CLI::IsMember(fb::agent::fault_names()));
  auto* post = app.add_option("--post", post_s,
                              "Seconds of the snapshot after the tap (default 30, or the --signals file's); the report "
                              "waits that long, so keep it below --wait (e.g. 2 for demos and tests)")
                   ->check(CLI::Range(0.0, 600.0));
  app.add_option("--drive-before", drive_before_s,
                 "Seconds to drive before the reports are submitted (the pre-tap part)")
      ->check(CLI::Range(0.0, 60.0));
  app.add_option("--signals", signals_file,
                 "Snapshot settings (allow-list and windows, deploy/car/snapshot.json); default: every simulated "
                 "signal, -60 s / +30 s");
  auto* list = app.add_subcommand("list", "List my reports and their status (offline)");
  auto* inbox = app.add_subcommand("inbox", "List notifications (offline)");
  auto* privacy = app.add_subcommand("privacy", "The driver's data on this car (offline, with the agent stopped)");
  privacy->require_subcommand(1);
  auto* export_cmd = privacy->add_subcommand(
      "export", "Write everything the car keeps about its driver as JSON (docs/privacy.md), opened");
  std::string export_file;
  export_cmd->add_option("--output,-o", export_file, "File to write, mode 0600 (default: standard output)");
  auto* erase_cmd = privacy->add_subcommand(
      "erase",
      "Erase the driver's reports, answers, notifications, drafts, unsent messages and the app's remembered "
      "consent and number; keeps queued telematics reports");
  bool erase_confirmed = false;
  erase_cmd->add_flag("--yes", erase_confirmed, "Confirm: this cannot be undone")->required();
  auto* listen = app.add_subcommand("listen", "Connect, send what is queued, print notifications for --wait seconds");
  auto* run =
      app.add_subcommand("run", "The agent as a service: like listen, but until SIGINT or SIGTERM (--wait is ignored)");
  bool driving = false;
  app.add_flag("--driving", driving, "The car is moving: \"Call me\" is refused (otherwise fb-car is a parked car)");

  auto* follow = app.add_subcommand(
      "follow",
      "Play the driver of a service visit: connect, print visit and callback updates and answer them as told, for "
      "--wait seconds or until an --until condition holds (exit 3 if it never does)");
  fb::agent::DriverScript script;
  bool approve_extra = false, refuse_extra = false, until_survey = false, until_callback = false;
  int survey_score = 0;
  follow->add_flag("--pick-first-slot", script.pick_first_slot, "Pick the first slot of every visit proposal");
  auto* approve = follow->add_flag("--approve-extra", approve_extra, "Approve every extra cost the dealer asks");
  follow->add_flag("--refuse-extra", refuse_extra, "Refuse every extra cost the dealer asks")->excludes(approve);
  auto* score = follow
                    ->add_option("--survey-score", survey_score,
                                 "Answer the survey of a handover or closed case with this score (1-5)")
                    ->check(CLI::Range(1, 5));
  follow->add_option("--survey-comment", script.survey_comment, "The survey's comment")->needs(score);
  auto* callback =
      follow->add_option("--request-callback", script.callback_report,
                         "Ask for a live callback (\"Call me\") about this report (its id, its first characters or "
                         "the 8 characters fb-car shows, or 'any': the first report with a case) once it has a case");
  follow->add_option("--phone", script.callback_phone, "The number to call back (default: the one on record)")
      ->needs(callback);
  follow->add_flag("--until-survey", until_survey, "Stop once the survey answer has left the car")->needs(score);
  follow->add_flag("--until-callback-logged", until_callback, "Stop once the callback is logged")->needs(callback);

  auto* drive_cmd = app.add_subcommand(
      "drive",
      "Drive the simulated car with a fault for --seconds under the telematics rules; send the auto-reports and "
      "wait (--wait) for their answers");
  std::string drive_fault = "misfire", rules_file = "deploy/telematics-rules.json";
  int drive_seconds = 60;
  std::uint64_t drive_seed = 1;
  drive_cmd->add_option("--fault", drive_fault, "misfire, overheat, warning-lamp, slipping-shift or none")
      ->check(CLI::IsMember({"misfire", "overheat", "warning-lamp", "slipping-shift", "none"}));
  drive_cmd->add_option("--seconds", drive_seconds, "How long to drive (real time)")->check(CLI::Range(1, 86400));
  drive_cmd->add_option("--rules", rules_file, "Telematics rules file (docs/telematics.md)");
  drive_cmd->add_option("--seed", drive_seed, "Drive simulator seed");
  int report_at = -1;
  std::string report_category = "noise", report_text = "The engine sounds rough and the car shakes.";
  drive_cmd->add_option("--report-at", report_at,
                        "Seconds into the drive when the driver reports too (linked to a related auto-report)");
  drive_cmd->add_option("--report-category", report_category, "The driver's category")
      ->check(CLI::IsMember(category_keys));
  drive_cmd->add_option("--report-text", report_text, "The driver's words");
  auto* stream = app.add_subcommand(
      "stream",
      "Queue --count reports with report ids from --id-seed and their index, send them and exit once all are "
      "acknowledged; restarted on the same --db, it queues only those not in its store (for fault-injection tests)");
  fb::car::StreamOptions stream_options;
  stream->add_option("--count", stream_options.count, "Reports in the stream")->check(CLI::PositiveNumber);
  stream->add_option("--rate", stream_options.rate, "Reports queued per second (0: as fast as they commit)")
      ->check(CLI::NonNegativeNumber);
  stream->add_option("--id-seed", stream_options.seed, "Seed of the report ids (the same on every restart)");
  double stream_drive_before_s = 0;
  stream
      ->add_option("--drive-before", stream_drive_before_s,
                   "Seconds of simulated driving before the first report (with --snapshot: fills the pre-tap "
                   "history)")
      ->check(CLI::Range(0.0, 600.0));
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);

  if (auto r = fb::init_logging("car", o.log_level); !r) return fail_with(r.error());
  auto config = fb::agent::make_agent_config({o.vin, o.model, o.model_year, o.software}, o.broker, o.pki,
                                             o.db.empty() ? "run/car-" + o.vin + ".db" : o.db);
  if (auto refused = foreign_queue_as_root(config.database.string())) return fail_with(*refused);
  config.mqtt.version = *fb::mqtt::parse_protocol_version(o.mqtt_version);  // checked by CLI11
  config.sending.ack_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(ack_timeout_s * 1000));
  // fb-car has no vehicle signals: a parked car unless told it is driving.
  config.parked = [driving] { return !driving; };
  if (approve_extra || refuse_extra) script.approve_extra = approve_extra;
  if (*score) script.survey_score = survey_score;
  // --snapshot: the recorder's settings (allow-list and windows), for `stream` and the others alike.
  std::optional<fb::agent::SnapshotRecorder::Config> recorder_config;
  if (snapshot) {
    auto settings = signals_file.empty() ? fb::agent::default_snapshot_settings()
                                         : fb::agent::load_snapshot_settings(signals_file);
    if (!settings) return fail_with(settings.error());
    if (*post) settings->post = std::chrono::milliseconds(static_cast<std::int64_t>(post_s * 1000));
    recorder_config = settings->recorder_config();
    recorder_config->ecu_software = {{"HU", o.software}};
  }
  if (*stream) {
    stream_options.snapshot = recorder_config;
    stream_options.drive_before = std::chrono::milliseconds(static_cast<std::int64_t>(stream_drive_before_s * 1000));
    return fb::car::run_stream(std::move(config), stream_options);
  }
  // Composition root. Thread "main" runs the io_context; the agent, its MQTT client, its timers,
  // the simulated drive, the snapshot recorder and the Printer live on one strand of it.
  boost::asio::io_context io;
  auto strand = boost::asio::make_strand(io.get_executor());
  auto& clock = fb::SystemClock::instance();
  // One simulated drive feeds the snapshot recorder (--snapshot) and, for `drive`, the telematics
  // monitor: the global --fault, or drive's own.
  std::unique_ptr<fb::agent::DriveSimulator> drive;
  std::unique_ptr<fb::agent::SnapshotRecorder> recorder;
  if (snapshot || *drive_cmd) {
    fb::agent::DriveSimulator::Config sim;
    sim.seed = drive_seed;
    sim.faults = *fb::agent::fault_named(*drive_cmd ? drive_fault : fault);  // checked by CLI11
    drive = std::make_unique<fb::agent::DriveSimulator>(strand, clock, sim);
  }
  if (recorder_config) {
    recorder_config->active_dtcs = [sim = drive.get()] { return sim->active_dtcs(); };
    auto made = fb::agent::SnapshotRecorder::create(strand, clock, *recorder_config);
    if (!made) return fail_with(made.error());
    recorder = std::move(*made);
    config.recorder = recorder.get();
  }
  auto opened = Agent::open(strand, clock, config, fb::mqtt::make_paho_client(strand, clock, config.mqtt));
  if (!opened) return fail_with(opened.error());
  auto& agent = **opened;
  std::optional<fb::Error> failure;

  if (*privacy) {
    if (*export_cmd) {
      agent.personal_data([&](fb::Result<fb::agent::PersonalData> data) {
        if (!data) {
          failure = data.error();
          return;
        }
        const auto json = fb::agent::personal_data_json(*data, o.vin, clock.epoch_ms()) + "\n";
        if (export_file.empty()) {
          std::cout << json << std::flush;
          if (!std::cout) failure = fb::Error(fb::StorageErrc::io, "cannot write the export to standard output");
        } else if (auto written = fb::write_private_file(export_file, json); !written) {
          failure = written.error();
        }
      });
    } else {
      // The app remembers the last consent and callback number beside the queue (head-unit/app).
      const auto consent = fb::agent::consent_file(config.database);
      if (std::error_code ec; !std::filesystem::remove(consent, ec) && ec) {
        failure = fb::Error(fb::StorageErrc::io, "cannot remove " + consent.string() + ": " + ec.message());
      }
      agent.erase_personal_data([&](fb::Result<fb::agent::Erased> erased) {
        if (!erased) {
          failure = erased.error();
          return;
        }
        std::cout << "erased: " << erased->reports << " report(s), " << erased->inbox << " notification(s), "
                  << erased->drafts << " draft(s), " << erased->unsent.size() << " unsent message(s), "
                  << erased->set_aside_removed << " set-aside file(s)"
                  << (erased->wal_kept ? "; the WAL is emptied at the next checkpoint (a reader held it)" : "") << "\n";
      });
    }
    io.run();
    return failure ? fail_with(*failure) : 0;
  }

  if (*list || *inbox) {
    if (*list) {
      agent.reports([&](fb::Result<std::vector<ReportView>> reports) {
        if (reports) print_reports(*reports);
        else failure = reports.error();
      });
    } else {
      agent.inbox([&](fb::Result<std::vector<fb::agent::InboxEntry>> entries) {
        if (!entries) {
          failure = entries.error();
          return;
        }
        if (entries->empty()) std::cout << "no notifications\n";
        for (const auto& n : *entries) {
          std::cout << local_time(n.received_ms) << "  " << n.case_number << "  " << n.title << "\n    " << n.text
                    << "\n";
          if (n.visit) print_visit(*n.visit, "    ");
          if (n.callback) print_callback(*n.callback, "    ");
        }
      });
    }
    io.run();
    return failure ? fail_with(*failure) : 0;
  }

  Printer printer;
  agent.add_listener(&printer);
  std::optional<fb::agent::ScriptedDriver> driver;
  if (*follow) {
    driver.emplace(agent, script);
    driver->on_action = [](const std::string& line) { std::cout << "  << " << line << std::endl; };
    driver->on_error = [](const fb::Error& e) { std::cout << "  !! not answered: " << e.what() << std::endl; };
  }
  // drive: the simulator and the monitor live on the agent's strand.
  std::optional<fb::agent::TeeSource> tee;  // the monitor's samples feed the recorder too
  std::optional<fb::agent::TelematicsMonitor> monitor;
  auto auto_reports = std::make_shared<std::set<std::string>>();
  if (*drive_cmd) {
    auto rules = fb::agent::load_telematics_config(rules_file);
    if (!rules) return fail_with(rules.error());
    fb::agent::SignalSource* source = drive.get();
    if (recorder) source = &tee.emplace(*drive, [&recorder](const fb::agent::SignalSample& s) { recorder->add(s); });
    monitor.emplace(strand, clock, *source, agent, std::move(*rules));
    monitor->persist_to(config.database.string() + ".telematics.json");  // links survive a restart
    monitor->on_submitted([auto_reports](const std::string& id, const fb::agent::TelematicsRule& rule) {
      std::cout << "auto-report " << fb::short_id(id) << ": rule " << rule.id << " (" << fb::to_string(rule.severity)
                << "): \"" << rule.text << "\"" << std::endl;
      auto_reports->insert(id);
    });
  }
  std::vector<fb::agent::Draft> drafts;
  if (*send) {
    fb::agent::Draft d;
    d.category = *fb::parse<fb::wire::Category>(category);  // checked by --category
    d.text = text;
    d.language = language;
    d.dtcs = dtcs;
    d.consent.set_diagnostics(snapshot);
    d.capture_snapshot = snapshot;
    drafts.push_back(std::move(d));
  } else if (*demo) {
    for (const auto& s : kSamples) {
      fb::agent::Draft d;
      d.category = s.category;
      d.text = s.text;
      d.language = s.language;
      d.capture_snapshot = snapshot && about_the_car(s.category);
      d.consent.set_diagnostics(d.capture_snapshot);
      drafts.push_back(std::move(d));
    }
  }

  std::cout << "car " << o.vin << " (" << o.model << " " << o.model_year << "), queue " << config.database.string()
            << "\n";
  fb::Timer deadline(strand, clock);
  fb::Timer drive_end(strand, clock);
  fb::Timer driver_report(strand, clock);
  fb::Timer until_poll(strand, clock);
  fb::Timer drive_before(strand, clock);
  fb::Timer settle_poll(strand, clock);
  boost::asio::signal_set signals(strand, SIGINT, SIGTERM);
  // SIGUSR1: the network is up again (e.g. from a NetworkManager dispatcher script): reconnect
  // now instead of waiting out the backoff.
  boost::asio::signal_set network_up(strand, SIGUSR1);
  bool timed_out = false;
  bool finished = false;
  const auto stop_agent = [&] {
    agent.stop();
    if (*demo) {
      agent.reports([](fb::Result<std::vector<ReportView>> reports) {
        std::cout << "\nMy reports:\n";
        if (reports) print_reports(*reports);
      });
    }
  };
  // Before the agent stops: every notification received has its receipt taken by the broker,
  // or the backend sends it again (issue 11), and every answer of the scripted driver is
  // confirmed by the backend (AnswerStored), or it goes again on the next run. The backend sends a known problem's
  // workaround right behind the report's ack, so the link also stays up until no notification arrived for one look
  // (kSettle); at most --receipt-wait in all. Offline, the receipts wait for the next run.
  constexpr auto kSettle = std::chrono::milliseconds(250);
  fb::Clock::SteadyTime settle_deadline{};
  std::function<void(std::uint64_t)> settle = [&](std::uint64_t seen) {
    agent.stats([&, seen](fb::agent::AgentStats s) {
      const bool quiet = printer.notifications() == seen;
      if (s.receipts == 0 && s.answers == 0 && quiet) return stop_agent();
      if (!printer.connected() || clock.steady_now() >= settle_deadline) {
        if (s.receipts > 0) {
          std::cout << s.receipts << " receipt(s) not taken by the broker "
                    << (printer.connected() ? "within --receipt-wait" : "(offline)")
                    << ": they stay queued and go out on the next run; until then the backend sends those "
                       "notifications again"
                    << std::endl;
        }
        if (s.answers > 0) {
          std::cout << s.answers << " answer(s) not confirmed by the backend "
                    << (printer.connected() ? "within --receipt-wait" : "(offline)")
                    << ": they stay queued and go out again on the next run" << std::endl;
        }
        return stop_agent();
      }
      settle_poll.arm_after(kSettle, [&, now_seen = printer.notifications()] { settle(now_seen); });
    });
  };
  const auto finish = [&] {
    if (std::exchange(finished, true)) return;
    deadline.cancel();
    drive_end.cancel();
    driver_report.cancel();
    if (monitor) monitor->stop();
    until_poll.cancel();
    drive_before.cancel();
    signals.cancel();
    network_up.cancel();
    if (drive) drive->stop();
    // Not from inside the listener call that may have brought us here: the agent queues the
    // receipt of a notification before it tells its listeners, and sends it after.
    settle_deadline = clock.steady_now() + std::chrono::milliseconds(static_cast<std::int64_t>(receipt_wait_s * 1000));
    settle_poll.arm_after(printer.connected() ? kSettle : std::chrono::milliseconds(0),
                          [&, seen = printer.notifications()] { settle(seen); });
  };
  auto remaining = std::make_shared<std::set<std::string>>();
  auto saved = std::make_shared<std::size_t>(0);
  // listen and follow: only the deadline, a signal or an --until condition end the run; run: only a signal.
  const auto all_saved = [&] {
    if (!*listen && !*follow && !*drive_cmd && !*run) printer.wait_for(*remaining, finish);
  };
  const bool until = until_survey || until_callback;
  bool until_met = false;
  // The answer must have left the car (its outbox is empty) before the run ends.
  std::function<void()> poll_until = [&] {
    const bool met = (!until_survey || driver->survey_answered()) && (!until_callback || driver->callback_logged());
    if (!met) return until_poll.arm_after(std::chrono::milliseconds(100), poll_until);
    agent.stats([&](fb::agent::AgentStats s) {
      if (s.outbox > 0) return until_poll.arm_after(std::chrono::milliseconds(100), poll_until);
      until_met = true;
      std::cout << "done: " << (until_survey ? "survey answered" : "callback logged") << std::endl;
      finish();
    });
  };
  const auto submit_all = [&] {
    for (auto& d : drafts) {
      auto shown = d.text;
      agent.submit(std::move(d), [&, shown = std::move(shown), remaining, saved](fb::Result<std::string> id) {
        if (!id) {
          failure = id.error();
          finish();
          return;
        }
        std::cout << "saved report " << fb::short_id(*id) << ": \"" << shown << "\"\n";
        remaining->insert(*id);
        if (++*saved == drafts.size()) all_saved();
      });
    }
  };
  if (drive && recorder && !monitor) drive->start([&](const fb::agent::SignalSample& s) { recorder->add(s); });
  if (drive && drive_before_s > 0 && !drafts.empty()) {
    drive_before.arm_after(std::chrono::milliseconds(static_cast<std::int64_t>(drive_before_s * 1000)), submit_all);
  } else {
    submit_all();
  }
  if (auto r = agent.start(); !r) return fail_with(r.error());
  if (drafts.empty()) all_saved();
  if (driver) {
    driver->start();
    if (until) poll_until();
  }
  if (monitor) {
    // Drive, then wait up to --wait for the answers to what the rules reported.
    monitor->start();
    std::cout << "driving with fault '" << drive_fault << "' for " << drive_seconds << " s" << std::endl;
    if (report_at >= 0) {
      driver_report.arm_after(std::chrono::seconds(report_at), [&] {
        fb::agent::Draft d;
        d.category = *fb::parse<fb::wire::Category>(report_category);  // checked by --report-category
        d.text = report_text;
        monitor->driver_api().submit(std::move(d), [auto_reports](fb::Result<std::string> id) {
          if (!id) {
            std::cout << "driver report not saved: " << id.error().what() << std::endl;
            return;
          }
          std::cout << "driver report " << fb::short_id(*id) << " saved" << std::endl;
          auto_reports->insert(*id);
        });
      });
    }
    drive_end.arm_after(std::chrono::seconds(drive_seconds), [&] {
      monitor->stop();
      const auto s = monitor->stats();
      std::cout << "drive over: " << s.submitted << " auto-report(s), " << s.rules.confirmed << " confirmed, "
                << s.rules.throttled << " throttled" << std::endl;
      // The monitor stopped: those the agent refused for want of room are not tried again.
      if (s.waiting + s.given_up > 0) {
        std::cout << "not saved: " << s.waiting << " auto-report(s) refused for want of room"
                  << (s.given_up ? ", " + std::to_string(s.given_up) + " given up before" : std::string()) << std::endl;
      }
      printer.wait_for(*auto_reports, finish);
      deadline.arm_after(std::chrono::seconds(wait_seconds), [&] {
        timed_out = true;
        finish();
      });
    });
  } else if (!*run) {
    deadline.arm_after(std::chrono::seconds(wait_seconds), [&] {
      timed_out = true;
      finish();
    });
  }
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) finish();
  });
  std::function<void()> wait_network_up = [&] {
    network_up.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec || finished) return;
      std::cout << "network up: reconnecting now" << std::endl;
      agent.network_up();
      wait_network_up();
    });
  };
  wait_network_up();
  io.run();
  if (failure) return fail_with(*failure);
  if (until && !until_met) {
    std::cout << "stopped before " << (until_survey ? "the survey was answered" : "the callback was logged") << "\n";
    return 3;
  }
  if (timed_out && !printer.all_answered()) {
    std::cout << "no answer within " << wait_seconds << " s: the reports stay queued and are sent again\n";
    return 3;
  }
  return 0;
}

int main(int argc, char** argv) { return fb::guarded_main("fb-car", argc, argv, run_main); }
