// fb-backend: the feedback backend service and its operator commands.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "analytics_commands.hpp"
#include "case_commands.hpp"
#include "cli_error.hpp"
#include "fb/asio.hpp"
#include "fb/common/guarded_main.hpp"

#include "fb/api/api.hpp"
#include "fb/backend/analytics.hpp"
#include "fb/backend/rules.hpp"
#include "fb/backend/service.hpp"
#include "fb/common/config.hpp"
#include "fb/common/logging.hpp"
#include "fb/mqtt/options.hpp"

namespace {

/// Appends the hash of a fresh token to the token file and prints the token (shown once).
int add_token(const fb::backend::BackendConfig& cfg, const std::string& role, const std::string& team,
              const std::string& name) {
  if (cfg.http.tokens_file.empty()) {
    return fb::backend::print_error(
        fb::Error(fb::ConfigErrc::invalid_value, "no token file: give --tokens FILE or http.tokens_file"));
  }
  const auto token = fb::api::TokenStore::new_token();
  auto r = fb::parse<fb::api::Role>(role);
  if (!r) return fb::backend::print_error(fb::Error(fb::ConfigErrc::invalid_value, "unknown role '" + role + "'"));
  const auto line = fb::api::TokenStore::line_for(token, fb::api::Principal{name, *r, team == "-" ? "" : team});
  if (auto checked = fb::api::TokenStore::parse(line, "token"); !checked)
    return fb::backend::print_error(checked.error());
  std::ofstream out(cfg.http.tokens_file, std::ios::app);
  out << line << "\n";
  if (!out.flush()) {
    return fb::backend::print_error(
        fb::Error(fb::ConfigErrc::file_not_found, "cannot write " + cfg.http.tokens_file.string()));
  }
  std::cout << token << "\n";
  return 0;
}

}  // namespace

static int run_main(int argc, char** argv) {
  CLI::App app{"Vehicle feedback backend: receives reports over MQTT, creates and routes cases, answers the car."};
  auto cfg = fb::backend::default_config();
  std::string config_file, broker, db, rules, pki, log_level, mqtt_version;
  app.add_option("-c,--config", config_file, "JSON configuration file (see deploy/backend.json)");
  app.add_option("--broker", broker, "Broker URI, e.g. ssl://127.0.0.1:8883");
  app.add_option("--db", db, "Case store SQLite file");
  std::string postgres;
  app.add_option("--postgres", postgres,
                 "Case store in PostgreSQL instead of the SQLite file: a libpq connection string, e.g. "
                 "postgresql://fb@db.example/feedback");
  app.add_option("--rules", rules, "Directory with classifier.json, routing.conf, templates.json");
  app.add_option("--pki", pki,
                 "PKI directory from deploy/gen-certs.sh (uses <pki>/backend/*, or <pki>/backends/NAME/* "
                 "with --instance NAME)");
  std::string instance, shared_group;
  app.add_option("--instance", instance,
                 "This instance's name among several on one store: its MQTT identity (fb-backend-<n>) "
                 "and its name on the timers' lease (docs/deploy.md)");
  app.add_option("--shared-group", shared_group, "Receive through the MQTT shared subscription $share/GROUP/...");
  app.add_option("--mqtt-version", mqtt_version, "MQTT protocol: 3.1.1 (default) or 5");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  std::string http_listen, tokens_file, console_dir;
  app.add_option("--http", http_listen, "Serve the API and console on ADDRESS:PORT (port 0: any free one)");
  app.add_option("--tokens", tokens_file, "API token file (hashed bearer tokens; see `token add`)");
  app.add_option("--console", console_dir, "Directory of the console's files");
  app.fallthrough();  // `fb-backend classify --rules DIR` as well as `fb-backend --rules DIR classify`
  auto* serve = app.add_subcommand("serve", "Run the service (default)");
  auto* cases = app.add_subcommand("cases", "List the newest cases in the store");
  auto* dead = app.add_subcommand("dead-letters", "List the newest dead letters in the store");
  std::size_t limit = 20;
  cases->add_option("-n,--limit", limit, "How many");
  dead->add_option("-n,--limit", limit, "How many");
  fb::backend::CaseCommands case_commands(app);
  fb::backend::AnalyticsCommands analytics_commands(app);
  auto* classify = app.add_subcommand(
      "classify", "Classify JSON Lines from stdin ({\"id\",\"text\",\"lang\"?,\"dtcs\"?,\"category\"?}) to stdout");
  bool explain = false;
  classify->add_flag("--explain", explain, "Add needs_human_triage and the explanation to each line");
  auto* evaluate = app.add_subcommand("eval-classifier", "Classify a labelled corpus and print quality per language");
  std::string eval_data = "data/triage/test.jsonl";
  bool eval_json = false;
  evaluate->add_option("--data", eval_data, "Labelled JSON Lines (data/triage/PROVENANCE.md)");
  evaluate->add_flag("--json", eval_json, "Print JSON instead of a table");
  auto* train = app.add_subcommand("train-classifier", "Retrain the classifier's model from <data>/train.jsonl");
  std::string train_data = "data/triage", train_out;
  train->add_option("--data", train_data, "Corpus directory (reads train.jsonl)");
  train->add_option("--out", train_out, "Model file to write (default: <rules>/classifier-model.txt)");
  auto* token = app.add_subcommand("token", "Manage API tokens");
  auto* token_add = token->add_subcommand("add", "Create a token: prints it once, appends its hash to the token file");
  std::string token_role, token_team = "-", token_name;
  token_add->add_option("--role", token_role, "agent, team_lead, admin, auditor, dealer")->required();
  token_add->add_option("--team", token_team,
                        "The team of an agent or team lead (routing.conf team id), a dealer's dealer code");
  token_add->add_option("--name", token_name, "The person (the actor in the audit trail)")->required();
  token->require_subcommand(1);
  std::string key_file;
  app.add_option("--key-file", key_file, "Key file sealing personal data in the store (mode 0600; see `key init`)");
  auto* key = app.add_subcommand("key", "Manage the key file that seals personal data (docs/privacy.md)");
  auto* key_init = key->add_subcommand("init", "Create the key file (mode 0600) unless it exists");
  auto* key_rotate = key->add_subcommand("rotate",
                                         "Add a fresh current key (old ones kept) and seal the store's values with it");
  auto* key_reseal = key->add_subcommand("reseal", "Seal every personal value not yet sealed with the current key");
  key->require_subcommand(1);
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);

  if (!config_file.empty()) {
    auto loaded = fb::backend::load_config(config_file, cfg);
    if (!loaded) return fb::backend::print_error(loaded.error());
    cfg = *loaded;
  }
  if (!broker.empty()) cfg.mqtt.server_uri = broker;
  if (!db.empty()) cfg.database = db;
  if (!postgres.empty()) cfg.postgres = postgres;
  if (!rules.empty()) cfg.rules_dir = rules;
  if (!instance.empty()) cfg.service.instance = instance;
  if (!shared_group.empty()) cfg.service.shared_group = shared_group;
  if (auto r = fb::backend::settle_instance(cfg); !r) return fb::backend::print_error(r.error());
  if (!pki.empty()) {
    // Each further instance has a certificate of its own (gen-certs.sh FB_BACKENDS): the broker
    // takes the client id from its CN, so falling back to fb-backend's would log the two out in turn.
    auto dir = std::filesystem::path(pki) / "backend";
    if (!cfg.service.instance.empty() && cfg.service.instance != "fb-backend") {
      dir = std::filesystem::path(pki) / "backends" / cfg.service.instance;
      if (!std::filesystem::is_directory(dir)) {
        return fb::backend::print_error(
            fb::Error(fb::ConfigErrc::invalid_value, "no certificate for instance " + cfg.service.instance + " in " +
                                                         dir.string() + " (deploy/gen-certs.sh with FB_BACKENDS)"));
      }
    }
    cfg.mqtt.tls = fb::mqtt::tls_files_in(dir);
  }
  if (!log_level.empty()) cfg.log_level = log_level;
  if (!http_listen.empty()) cfg.http.listen = http_listen;
  if (!tokens_file.empty()) cfg.http.tokens_file = tokens_file;
  if (!console_dir.empty()) cfg.http.console_dir = console_dir;
  if (!key_file.empty()) cfg.key_file = key_file;
  if (cfg.http.console_dir.empty() && std::filesystem::is_directory(FB_CONSOLE_DIR))
    cfg.http.console_dir = FB_CONSOLE_DIR;
  if (!mqtt_version.empty()) {
    auto v = fb::mqtt::parse_protocol_version(mqtt_version);
    if (!v) return fb::backend::print_error(v.error());
    cfg.mqtt.version = *v;
  }
  if (auto r = fb::init_logging("backend", cfg.log_level); !r) return fb::backend::print_error(r.error());

  // Every command but serve, token and key init works on a case store that serve made: a store
  // path that names nothing is a typo (or a missing --config), not a new empty store to report on.
  const bool reads_store = case_commands.selected() || analytics_commands.selected() || *cases || *dead ||
                           (*key && !*key_init);
  if (reads_store && cfg.postgres.empty() && !std::filesystem::exists(cfg.database)) {
    return fb::backend::print_error(
        fb::Error(fb::StorageErrc::open_failed, "no case store at " + cfg.database.string() +
                                                    ": give --config or --db (and --key-file for a sealed store); "
                                                    "`fb-backend serve` creates it"));
  }
  if (*key) {
    if (cfg.key_file.empty())
      return fb::backend::print_error(
          fb::Error(fb::ConfigErrc::invalid_value, "key: give the key file (--key-file or privacy.key_file)"));
    if (*key_init) {
      if (auto r = fb::crypto::ensure_key_file(cfg.key_file); !r) return fb::backend::print_error(r.error());
      return 0;
    }
    if (*key_rotate) {
      auto id = fb::crypto::rotate_key_file(cfg.key_file);
      if (!id) return fb::backend::print_error(id.error());
      std::cerr << "fb-backend: key " << *id << " is current\n";
    }
    (void)key_reseal;  // rotate reseals too
    auto keys = fb::backend::load_store_keys(cfg);
    if (!keys) return fb::backend::print_error(keys.error());
    auto store = fb::backend::open_case_store(cfg, *keys);  // SQLite or PostgreSQL, as configured
    if (!store) return fb::backend::print_error(store.error());
    auto n = (*store)->reseal_personal_data();
    if (!n) return fb::backend::print_error(n.error());
    std::cerr << "fb-backend: " << *n << " value(s) sealed with key " << (*keys)->current_id() << "\n";
    return 0;
  }
  auto store_keys = fb::backend::load_store_keys(cfg);
  if (!store_keys) return fb::backend::print_error(store_keys.error());
  const auto keys = *store_keys;
  if (case_commands.selected()) return case_commands.run(cfg, keys);
  if (*token_add) return add_token(cfg, token_role, token_team, token_name);
  if (analytics_commands.selected()) return analytics_commands.run(cfg, keys);
  if (*classify || *evaluate) {
    auto loaded = fb::backend::load_rules(cfg.rules_dir);
    if (!loaded) return fb::backend::print_error(loaded.error());
    if (*classify) {
      std::ios::sync_with_stdio(false);
      fb::backend::classify_stream(std::cin, std::cout, loaded->classifier, loaded->router, explain);
      return 0;
    }
    auto corpus = fb::backend::read_labelled_corpus(eval_data);
    if (!corpus) return fb::backend::print_error(corpus.error());
    const auto scores = fb::backend::evaluate(loaded->classifier, *corpus);
    if (eval_json) {
      nlohmann::json out;
      for (const auto& [key, s] : scores) out[key] = fb::backend::to_json(s);
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    std::printf("%-4s %6s %8s %8s %8s %8s %14s %10s %8s\n", "lang", "items", "system", "type_f1", "type_acc",
                "prio_acc", "safety_recall", "high_prec", "human");
    for (const auto& [key, s] : scores) {
      std::printf("%-4s %6zu %8.3f %8.3f %8.3f %8.3f %7.3f (n=%zu) %10.3f %8.3f\n", key.c_str(), s.items,
                  s.system_accuracy, s.type_macro_f1, s.type_accuracy, s.priority_accuracy, s.safety_recall,
                  s.safety_items, s.high_precision, s.needs_human_share);
    }
    return 0;
  }
  if (*train) {
    const auto rules_file = cfg.rules_dir / "classifier.json";
    auto doc = fb::config::load_json(rules_file);
    if (!doc) return fb::backend::print_error(doc.error());
    doc->erase("model");  // the features come from the rules alone; the old model plays no part
    auto rules_only = fb::backend::Classifier::load(*doc, rules_file.string());
    if (!rules_only) return fb::backend::print_error(rules_only.error());
    auto corpus = fb::backend::read_labelled_corpus((std::filesystem::path(train_data) / "train.jsonl").string());
    if (!corpus) return fb::backend::print_error(corpus.error());
    const auto model = fb::backend::train_model(*rules_only, *corpus);
    const auto out_path = train_out.empty() ? cfg.rules_dir / "classifier-model.txt" : std::filesystem::path(train_out);
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out << model.serialize(fb::backend::kModelComment);
    if (!out.flush())
      return fb::backend::print_error(fb::Error(fb::ConfigErrc::file_not_found, "cannot write " + out_path.string()));
    std::cerr << "fb-backend: trained on " << corpus->size() << " items, " << model.size() << " features -> "
              << out_path.string() << "\n";
    return 0;
  }
  if (*cases || *dead) {
    auto store = fb::backend::open_case_store(cfg, keys);
    if (!store) return fb::backend::print_error(store.error());
    if (*cases) {
      auto list = (*store)->list_cases(limit);
      if (!list) return fb::backend::print_error(list.error());
      for (const auto& c : *list) {
        std::cout << c.case_number << "  " << c.vin << "  " << fb::to_string(c.type) << "/" << fb::to_string(c.priority)
                  << "/" << fb::to_string(c.system) << "  -> " << c.team << "  [" << fb::to_string(c.state) << "]\n";
      }
    } else {
      auto list = (*store)->list_dead_letters(limit);
      if (!list) return fb::backend::print_error(list.error());
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
  if (!loaded_rules) return fb::backend::print_error(loaded_rules.error());
  auto store = fb::backend::open_case_store(cfg, keys);
  if (!store) return fb::backend::print_error(store.error());
  if (keys) {
    // Rows written before the keys (or under a rotated key) are sealed now, before any reader.
    auto resealed = (*store)->reseal_personal_data();
    if (!resealed) return fb::backend::print_error(resealed.error());
    if (*resealed > 0) spdlog::info("backend: {} personal value(s) sealed with key {}", *resealed, keys->current_id());
  } else {
    spdlog::warn("backend: no key file configured: personal data is stored unsealed (docs/privacy.md)");
  }
  fb::backend::Service service(strand, clock, cfg.service, std::move(*store), std::move(*loaded_rules),
                               fb::mqtt::make_paho_client(client_strand, clock, cfg.mqtt));
  // The API: its reads on a strand of their own with a second connection on the store (WAL),
  // its HTTP connections on a strand each, its changes through the service's strand.
  std::unique_ptr<fb::api::Api> api;
  std::unique_ptr<fb::api::HttpServer> http;
  if (!cfg.http.listen.empty()) {
    auto listen = fb::backend::parse_listen(cfg.http.listen, "http.listen (--http)");
    if (!listen) return fb::backend::print_error(listen.error());
    fb::api::HttpServerOptions http_options;
    http_options.address = listen->address;
    http_options.port = listen->port;
    fb::api::TokenStore tokens;
    if (!cfg.http.tokens_file.empty() && std::filesystem::exists(cfg.http.tokens_file)) {
      auto loaded = fb::api::TokenStore::load_file(cfg.http.tokens_file);
      if (!loaded) return fb::backend::print_error(loaded.error());
      tokens = std::move(*loaded);
    } else {
      spdlog::warn("api: no token file ({}): every API call is refused; create tokens with `fb-backend token add`",
                   cfg.http.tokens_file.string());
    }
    // One reader per thread of the context: the console's queries use both cores.
    std::vector<std::unique_ptr<fb::backend::CaseStore>> readers;
    for (int i = 0; i < 2; ++i) {
      auto reads = fb::backend::open_case_store(cfg, keys);
      if (!reads) return fb::backend::print_error(reads.error());
      readers.push_back(std::move(*reads));
    }
    auto analytics = fb::backend::open_analytics(cfg, keys);
    if (!analytics) return fb::backend::print_error(analytics.error());
    auto created = fb::api::Api::create(io.get_executor(), clock, service, std::move(readers), std::move(*analytics),
                                        std::move(tokens),
                                        fb::api::ApiOptions{.console_dir = cfg.http.console_dir,
                                                            .rules_dir = cfg.rules_dir,
                                                            .utc_offset_ms = cfg.grouping.utc_offset_ms,
                                                            .tokens_file = cfg.http.tokens_file});
    if (!created) return fb::backend::print_error(created.error());
    api = std::move(*created);
    http = std::make_unique<fb::api::HttpServer>(io, http_options,
                                                 [&api](const fb::api::HttpRequest& r, fb::api::Responder done) {
                                                   api->handle(r, std::move(done));
                                                 });
    if (auto r = http->start(); !r) return fb::backend::print_error(r.error());
    spdlog::info("api listening on http://{}:{}", http_options.address, http->port());
  }
  if (auto r = service.start(); !r) return fb::backend::print_error(r.error());
  spdlog::info("backend started: store {}, rules {}, broker {}",
               cfg.postgres.empty() ? cfg.database.string() : "postgresql", cfg.rules_dir.string(),
               cfg.mqtt.server_uri);
  boost::asio::signal_set signals(strand, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("backend: signal {}, stopping", sig);
    if (http) http->stop();
    service.stop();
  });
  // Thread "io-2"; both return once the service has stopped and its last completions have run.
  std::thread second([&io] { io.run(); });
  pthread_setname_np(second.native_handle(), "io-2");
  io.run();
  second.join();
  return 0;
}

int main(int argc, char** argv) { return fb::guarded_main("fb-backend", argc, argv, run_main); }
