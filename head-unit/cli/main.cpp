// fb-car: a headless head unit. Sends reports, lists them with their status and prints the
// notifications that come back. Used by the demo, the tests and the benchmarks.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "fb/agent/agent.hpp"
#include "fb/common/config.hpp"
#include "fb/common/logging.hpp"
#include "fb/common/vocabulary.hpp"

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

// Prints events and lets the main thread wait for the notifications it expects.
class Printer final : public fb::agent::AgentListener {
 public:
  void report_changed(const ReportView& r) override {
    std::lock_guard lock(mu_);
    std::cout << "  report " << r.report_id.substr(0, 8) << "  " << fb::to_string(r.status);
    if (!r.case_number.empty()) std::cout << "  " << r.case_number;
    if (!r.reject_reason.empty()) std::cout << "  (" << r.reject_reason << ")";
    std::cout << std::endl;
    if (r.status == ReportStatus::rejected) done_.insert(r.report_id);
    cv_.notify_all();
  }
  void notification_received(const fb::agent::InboxEntry& n) override {
    std::lock_guard lock(mu_);
    std::cout << "  >> " << n.title << "\n     " << n.text << std::endl;
    done_.insert(n.report_id);
    cv_.notify_all();
  }
  void connection_changed(bool up) override {
    std::lock_guard lock(mu_);
    std::cout << (up ? "  connected to broker" : "  offline: reports stay queued") << std::endl;
  }
  void storage_problem(const fb::Error& e) override {
    std::lock_guard lock(mu_);
    std::cout << "  storage problem: " << e.what() << std::endl;
  }

  /// Waits until every id has a notification (or a rejection); false on timeout.
  bool wait_for(const std::set<std::string>& ids, std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& id : ids) if (!done_.contains(id)) return false;
      return true;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> done_;
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

int main(int argc, char** argv) {
  CLI::App app{"fb-car: a headless head unit for the vehicle feedback loop."};
  Options o;
  app.add_option("--vin", o.vin, "Vehicle identification number (17 characters)");
  app.add_option("--model", o.model, "Model name");
  app.add_option("--model-year", o.model_year, "Model year");
  app.add_option("--software", o.software, "Head unit software version");
  app.add_option("--db", o.db, "Queue file (default run/car-<VIN>.db)");
  app.add_option("--broker", o.broker, "Broker URI");
  app.add_option("--pki", o.pki, "PKI directory from deploy/gen-certs.sh (uses <pki>/vehicles/<VIN>/*)");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error");
  int wait_seconds = 20;
  app.add_option("--wait", wait_seconds, "Seconds to wait for answers (send, demo, listen)");

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
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);

  if (auto r = fb::init_logging("car", o.log_level); !r) return fail_with(r.error());
  const auto config = fb::agent::make_agent_config({o.vin, o.model, o.model_year, o.software}, o.broker, o.pki,
                                                   o.db.empty() ? "run/car-" + o.vin + ".db" : o.db);
  auto agent = Agent::open(config, fb::mqtt::make_paho_client(config.mqtt), fb::SystemClock::instance());
  if (!agent) return fail_with(agent.error());

  if (*list || *inbox) {
    if (*list) {
      auto reports = (*agent)->reports_sync();
      if (!reports) return fail_with(reports.error());
      print_reports(*reports);
    } else {
      auto entries = (*agent)->inbox_sync();
      if (!entries) return fail_with(entries.error());
      if (entries->empty()) std::cout << "no notifications\n";
      for (const auto& n : *entries) {
        std::cout << local_time(n.received_ms) << "  " << n.case_number << "  " << n.title << "\n    " << n.text << "\n";
      }
    }
    return 0;
  }

  Printer printer;
  (*agent)->add_listener(&printer);
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
  std::set<std::string> ids;
  for (auto& d : drafts) {
    const auto shown = d.text;
    auto id = (*agent)->submit_sync(std::move(d));
    if (!id) return fail_with(id.error());
    std::cout << "saved report " << id->substr(0, 8) << ": \"" << shown << "\"\n";
    ids.insert(*id);
  }
  if (auto r = (*agent)->start(); !r) return fail_with(r.error());
  bool answered = true;
  if (!ids.empty()) {
    answered = printer.wait_for(ids, std::chrono::seconds(wait_seconds));
    if (!answered) std::cout << "no answer within " << wait_seconds << " s: the reports stay queued and are sent again\n";
  } else if (*listen) {
    printer.wait_for({"-never-"}, std::chrono::seconds(wait_seconds));
  }
  (*agent)->stop();
  if (*demo) {
    std::cout << "\nMy reports:\n";
    auto reports = (*agent)->reports_sync();
    if (reports) print_reports(*reports);
  }
  return answered ? 0 : 3;
}
