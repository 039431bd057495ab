// fb-car: a headless head unit. Sends reports, lists them with their status and prints the
// notifications that come back; `follow` plays the driver of a service visit (ScriptedDriver).
// Used by the demo, the tests and the benchmarks.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "fb/agent/agent.hpp"
#include "fb/agent/scripted_driver.hpp"
#include "fb/asio.hpp"
#include "fb/async/timer.hpp"
#include "fb/common/config.hpp"
#include "fb/common/guarded_main.hpp"
#include "fb/common/logging.hpp"
#include "fb/common/vocabulary.hpp"
#include "fb/mqtt/options.hpp"

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

std::string slot_line(const fb::wire::VisitSlot& s) {
  return "[" + s.slot_id() + "] " + s.dealer_name() + " (" + s.dealer_code() + ") " + local_time(s.start_ms()) + " - " +
         local_time(s.end_ms()).substr(11) + "  " + s.work();
}

// A visit update in a few lines: stage, slots, booking, ready time, money.
void print_visit(const fb::wire::VisitUpdate& v, const std::string& indent) {
  std::cout << indent << "visit " << v.visit_id().substr(0, 8) << ": " << stage_name(v.stage())
            << (v.reminder() ? " (reminder)" : "")
            << (v.quality_failed() ? " (quality check failed, back to repair)" : "") << "\n";
  for (const auto& s : v.slots()) std::cout << indent << "  slot " << slot_line(s) << "\n";
  if (v.has_booked() && !v.booked().slot_id().empty())
    std::cout << indent << "  booked " << slot_line(v.booked()) << "\n";
  if (v.ready_at_ms() > 0) std::cout << indent << "  ready at " << local_time(v.ready_at_ms()) << "\n";
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
  std::cout << indent << "callback " << c.callback_id().substr(0, 8) << ": " << callback_state(c.state())
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

// Prints events and says when every report it waits for has its answer. Runs on the agent's
// strand (the main thread runs it), so it needs no lock.
class Printer final : public fb::agent::AgentListener {
 public:
  void report_changed(const ReportView& r) override {
    std::cout << "  report " << r.report_id.substr(0, 8) << "  " << fb::to_string(r.status);
    if (!r.case_number.empty()) std::cout << "  " << r.case_number;
    if (!r.reject_reason.empty()) std::cout << "  (" << r.reject_reason << ")";
    std::cout << std::endl;
    if (r.status == ReportStatus::rejected) answered(r.report_id);
  }
  void notification_received(const fb::agent::InboxEntry& n) override {
    std::cout << "  >> " << n.title << "\n     " << n.text << "\n";
    if (n.visit) print_visit(*n.visit, "     ");
    if (n.callback) print_callback(*n.callback, "     ");
    std::cout << std::flush;
    answered(n.report_id);
  }
  void connection_changed(bool up) override {
    std::cout << (up ? "  connected to broker" : "  offline: reports stay queued") << std::endl;
  }
  void link_problem(const fb::Error& e) override { std::cout << "  link not started: " << e.what() << std::endl; }
  void storage_problem(const fb::Error& e) override { std::cout << "  storage problem: " << e.what() << std::endl; }

  /// `done` runs once every id has a notification or a rejection.
  void wait_for(std::set<std::string> ids, std::function<void()> done) {
    waiting_ = std::move(ids);
    done_ = std::move(done);
    check();
  }
  bool all_answered() const { return waiting_.empty(); }

 private:
  void answered(const std::string& id) {
    waiting_.erase(id);
    check();
  }
  void check() {
    if (waiting_.empty() && done_) std::exchange(done_, nullptr)();
  }
  std::set<std::string> waiting_;
  std::function<void()> done_;
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

void print_reports(const std::vector<ReportView>& reports) {
  if (reports.empty()) std::cout << "no reports\n";
  for (const auto& r : reports) {
    std::cout << local_time(r.created_ms) << "  " << r.report_id.substr(0, 8) << "  " << fb::to_string(r.category)
              << "  " << fb::to_string(r.status) << (r.case_number.empty() ? "" : "  " + r.case_number)
              << (r.team.empty() ? "" : "  -> " + r.team) << "\n    \"" << r.text << "\"\n";
    if (!r.last_text.empty()) std::cout << "    latest: " << r.last_text << "\n";
    if (!r.reject_reason.empty()) std::cout << "    rejected: " << r.reject_reason << "\n";
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
  app.add_option("--mqtt-version", o.mqtt_version, "MQTT protocol: 3.1.1 or 5")->check(CLI::IsMember({"3.1.1", "5"}));
  int wait_seconds = 20;
  app.add_option("--wait", wait_seconds, "Seconds to wait for answers (send, demo, listen, follow)");

  auto* send = app.add_subcommand("send", "Queue one report, send it and wait for its notification");
  std::string category = "other", text, language = "en";
  std::vector<std::string> dtcs;
  std::vector<std::string> category_keys;
  for (const auto& e : fb::vocabulary<fb::wire::Category>()) category_keys.emplace_back(e.key);
  // The keys of the category vocabulary; the dashed spelling of older versions ("driving-feel")
  // is still accepted.
  send->add_option("--category", category, "Category: noise, driving_feel, warning_lamp, ui, service, idea, other")
      ->transform([](std::string s) {
        std::ranges::replace(s, '-', '_');
        return s;
      })
      ->check(CLI::IsMember(category_keys));
  send->add_option("--text", text, "What happened, in the driver's words");
  send->add_option("--lang", language, "BCP 47 language tag, e.g. zh-CN or en");
  send->add_option("--dtc", dtcs, "Active diagnostic trouble code (repeatable)");
  auto* demo = app.add_subcommand("demo", "Send sample reports in Chinese and English and show the answers");
  auto* list = app.add_subcommand("list", "List my reports and their status (offline)");
  auto* inbox = app.add_subcommand("inbox", "List notifications (offline)");
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
                         "Ask for a live callback (\"Call me\") about this report (its id or first characters, or "
                         "'any': the first report with a case) once it has a case");
  follow->add_option("--phone", script.callback_phone, "The number to call back (default: the one on record)")
      ->needs(callback);
  follow->add_flag("--until-survey", until_survey, "Stop once the survey answer has left the car")->needs(score);
  follow->add_flag("--until-callback-logged", until_callback, "Stop once the callback is logged")->needs(callback);
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);

  if (auto r = fb::init_logging("car", o.log_level); !r) return fail_with(r.error());
  auto config = fb::agent::make_agent_config({o.vin, o.model, o.model_year, o.software}, o.broker, o.pki,
                                             o.db.empty() ? "run/car-" + o.vin + ".db" : o.db);
  config.mqtt.version = *fb::mqtt::parse_protocol_version(o.mqtt_version);  // checked by CLI11
  // fb-car has no vehicle signals: a parked car unless told it is driving.
  config.parked = [driving] { return !driving; };
  if (approve_extra || refuse_extra) script.approve_extra = approve_extra;
  if (*score) script.survey_score = survey_score;
  // Composition root. Thread "main" runs the io_context; the agent, its MQTT client, its timers
  // and the Printer live on one strand of it.
  boost::asio::io_context io;
  auto strand = boost::asio::make_strand(io.get_executor());
  auto& clock = fb::SystemClock::instance();
  auto opened = Agent::open(strand, clock, config, fb::mqtt::make_paho_client(strand, clock, config.mqtt));
  if (!opened) return fail_with(opened.error());
  auto& agent = **opened;
  std::optional<fb::Error> failure;

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
  std::vector<fb::agent::Draft> drafts;
  if (*send) {
    fb::agent::Draft d;
    d.category = *fb::parse<fb::wire::Category>(category);  // checked by --category
    d.text = text;
    d.language = language;
    d.dtcs = dtcs;
    drafts.push_back(std::move(d));
  } else if (*demo) {
    for (const auto& s : kSamples) {
      fb::agent::Draft d;
      d.category = s.category;
      d.text = s.text;
      d.language = s.language;
      drafts.push_back(std::move(d));
    }
  }

  std::cout << "car " << o.vin << " (" << o.model << " " << o.model_year << "), queue " << config.database.string()
            << "\n";
  fb::Timer deadline(strand, clock);
  fb::Timer until_poll(strand, clock);
  boost::asio::signal_set signals(strand, SIGINT, SIGTERM);
  bool timed_out = false;
  bool finished = false;
  const auto finish = [&] {
    if (std::exchange(finished, true)) return;
    deadline.cancel();
    until_poll.cancel();
    signals.cancel();
    agent.stop();
    if (*demo) {
      agent.reports([](fb::Result<std::vector<ReportView>> reports) {
        std::cout << "\nMy reports:\n";
        if (reports) print_reports(*reports);
      });
    }
  };
  auto remaining = std::make_shared<std::set<std::string>>();
  auto saved = std::make_shared<std::size_t>(0);
  // listen and follow: only the deadline, a signal or an --until condition end the run; run: only a signal.
  const auto all_saved = [&] {
    if (!*listen && !*follow && !*run) printer.wait_for(*remaining, finish);
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
  for (auto& d : drafts) {
    auto shown = d.text;
    agent.submit(std::move(d), [&, shown = std::move(shown), remaining, saved](fb::Result<std::string> id) {
      if (!id) {
        failure = id.error();
        finish();
        return;
      }
      std::cout << "saved report " << id->substr(0, 8) << ": \"" << shown << "\"\n";
      remaining->insert(*id);
      if (++*saved == drafts.size()) all_saved();
    });
  }
  if (auto r = agent.start(); !r) return fail_with(r.error());
  if (drafts.empty()) all_saved();
  if (driver) {
    driver->start();
    if (until) poll_until();
  }
  if (!*run) {
    deadline.arm_after(std::chrono::seconds(wait_seconds), [&] {
      timed_out = true;
      finish();
    });
  }
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) finish();
  });
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
