// fb-backend: the feedback backend service and its operator commands.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <thread>

#include "case_commands.hpp"
#include "fb/asio.hpp"
#include "fb/common/guarded_main.hpp"

#include "fb/backend/rules.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/logging.hpp"
#include "fb/mqtt/options.hpp"

namespace {

int fail_with(const fb::Error& e) {
  std::cerr << "fb-backend: " << e.what() << "\n";
  return 1;
}

}  // namespace

static int run_main(int argc, char** argv) {
  CLI::App app{"Vehicle feedback backend: receives reports over MQTT, creates and routes cases, answers the car."};
  auto cfg = fb::backend::default_config();
  std::string config_file, broker, db, rules, pki, log_level, mqtt_version;
  app.add_option("-c,--config", config_file, "JSON configuration file (see deploy/backend.json)");
  app.add_option("--broker", broker, "Broker URI, e.g. ssl://127.0.0.1:8883");
  app.add_option("--db", db, "Case store SQLite file");
  app.add_option("--rules", rules, "Directory with classifier.json, routing.json, templates.json");
  app.add_option("--pki", pki, "PKI directory from deploy/gen-certs.sh (uses <pki>/backend/*)");
  app.add_option("--mqtt-version", mqtt_version, "MQTT protocol: 3.1.1 (default) or 5");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  auto* serve = app.add_subcommand("serve", "Run the service (default)");
  auto* cases = app.add_subcommand("cases", "List the newest cases in the store");
  auto* dead = app.add_subcommand("dead-letters", "List the newest dead letters in the store");
  std::size_t limit = 20;
  cases->add_option("-n,--limit", limit, "How many");
  dead->add_option("-n,--limit", limit, "How many");
  fb::backend::CaseCommands case_commands(app);
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);

  if (!config_file.empty()) {
    auto loaded = fb::backend::load_config(config_file, cfg);
    if (!loaded) return fail_with(loaded.error());
    cfg = *loaded;
  }
  if (!broker.empty()) cfg.mqtt.server_uri = broker;
  if (!db.empty()) cfg.database = db;
  if (!rules.empty()) cfg.rules_dir = rules;
  if (!pki.empty()) cfg.mqtt.tls = fb::mqtt::tls_files_in(std::filesystem::path(pki) / "backend");
  if (!log_level.empty()) cfg.log_level = log_level;
  if (!mqtt_version.empty()) {
    auto v = fb::mqtt::parse_protocol_version(mqtt_version);
    if (!v) return fail_with(v.error());
    cfg.mqtt.version = *v;
  }
  if (auto r = fb::init_logging("backend", cfg.log_level); !r) return fail_with(r.error());

  if (case_commands.selected()) return case_commands.run(cfg);
  if (*cases || *dead) {
    auto store = fb::backend::open_sqlite_case_store(cfg.database);
    if (!store) return fail_with(store.error());
    if (*cases) {
      auto list = (*store)->list_cases(limit);
      if (!list) return fail_with(list.error());
      for (const auto& c : *list) {
        std::cout << c.case_number << "  " << c.vin << "  " << fb::to_string(c.type) << "/" << fb::to_string(c.priority)
                  << "/" << fb::to_string(c.system) << "  -> " << c.team << "  [" << fb::to_string(c.state) << "]\n";
      }
    } else {
      auto list = (*store)->list_dead_letters(limit);
      if (!list) return fail_with(list.error());
      for (const auto& d : *list) {
        std::cout << "#" << d.id << "  " << fb::to_string(d.reason) << " x" << d.count << "  " << d.topic << "  "
                  << d.detail << "\n";
      }
    }
    return 0;
  }
  (void)serve;

  // Composition root. Threads "main" and "io-2" run the io_context. The service (case store,
  // ingest, resend timer) lives on one strand, its MQTT client on another, so that the broker
  // flow (PUBACKs, the publish window) goes on while a batch commits. SIGINT/SIGTERM arrive
  // through a signal_set on the service's strand.
  boost::asio::io_context io;
  auto strand = boost::asio::make_strand(io.get_executor());
  auto client_strand = boost::asio::make_strand(io.get_executor());
  auto& clock = fb::SystemClock::instance();
  auto loaded_rules = fb::backend::load_rules(cfg.rules_dir);
  if (!loaded_rules) return fail_with(loaded_rules.error());
  auto store = fb::backend::open_sqlite_case_store(cfg.database, 0, cfg.grouping);
  if (!store) return fail_with(store.error());
  fb::backend::Service service(strand, clock, cfg.service, std::move(*store), std::move(*loaded_rules),
                               fb::mqtt::make_paho_client(client_strand, clock, cfg.mqtt));
  if (auto r = service.start(); !r) return fail_with(r.error());
  spdlog::info("backend started: store {}, rules {}, broker {}", cfg.database.string(), cfg.rules_dir.string(),
               cfg.mqtt.server_uri);
  boost::asio::signal_set signals(strand, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("backend: signal {}, stopping", sig);
    service.stop();
  });
  // Thread "io-2"; both return once the service has stopped and its last completions have run.
  std::thread second([&io] { io.run(); });
  io.run();
  second.join();
  return 0;
}

int main(int argc, char** argv) { return fb::guarded_main("fb-backend", argc, argv, run_main); }
