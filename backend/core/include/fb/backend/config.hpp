// Backend configuration: embedded defaults, a JSON file (deploy/backend.json), then flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fb/backend/admission.hpp"
#include "fb/backend/analytics.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/backend/inbox.hpp"
#include "fb/common/crypto.hpp"
#include "fb/common/error.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::backend {

/// What the Service itself runs on (its parts, store, rules and client, come separately).
struct ServiceOptions {
  std::size_t max_batch = 512;  // reports per transaction
  /// Messages received and not yet stored (the Inbox); when it is full, the MQTT receive thread
  /// waits for room and the broker holds what follows (back-pressure), nothing is dropped.
  std::size_t max_pending = 20000;
  /// The same bound in bytes (topics and payloads): the broker passes messages of up to 2 MiB,
  /// so 20,000 of them could take 40 GiB. 64 MiB holds thousands of snapshot-sized reports.
  std::size_t max_pending_bytes = Inbox::kDefaultMaxBytes;
  /// Longest such wait: beyond it the message is dropped and counted (dropped_overload) and its
  /// car's resend covers it. A safety net against a stuck store; a batch takes far less.
  std::chrono::milliseconds max_intake_wait{20000};
  std::chrono::milliseconds notification_check{2000};
  std::chrono::milliseconds notification_resend_base{60000};
  std::chrono::milliseconds notification_resend_max{6 * 3600 * 1000};
  /// The SLA pass runs at the next deadline, and at least this often (cases changed by another
  /// process, such as the CLI, are picked up).
  std::chrono::milliseconds sla_check{30000};
  /// Per-VIN rate limit, QoS 0 and retained refusal before ingest (the file's "rate_limit":
  /// {"per_second", "burst"}).
  AdmissionOptions admission;
  /// Dead letters last seen longer ago than this are deleted, checked every purge interval (the
  /// file's "dead_letters": {"retention_days"}); their caps are BackendConfig::dead_letters.
  std::chrono::hours dead_letter_retention{24 * 30};
  std::chrono::milliseconds dead_letter_purge_every{3600 * 1000};
  /// Closed cases with no event for this long lose their personal data (CaseStore::
  /// erase_closed_cases), checked with the dead-letter purge; 0 = kept (the file's "privacy":
  /// {"retention_days"}).
  std::chrono::hours personal_data_retention{0};
  /// Several instances on one store (docs/deploy.md, "Several backend instances"): this one's
  /// name, unique among them (its MQTT client id and its name on the timers' lease). Empty: the
  /// only instance, which runs the timers without a lease (the file's "instance": {"name"}).
  std::string instance;
  /// The MQTT shared subscription group of the instances ($share/<group>/vehicles/+/reports): the
  /// broker gives each message to one of them. Empty: plain subscriptions ("instance":
  /// {"shared_group"}).
  std::string shared_group;
  /// The timers (notification resends, SLA passes, dead-letter purge and retention) run on the
  /// instance holding the store's lease "timers"; it renews it every lease_ttl / 3, and another
  /// takes it over when it lapses ("instance": {"lease_seconds"}).
  std::chrono::milliseconds lease_ttl{15000};
};

/// The service teams' API and console (backend/api). Off unless `listen` is set.
struct HttpConfig {
  std::string listen;                 // "127.0.0.1:8080"; empty = no API
  std::filesystem::path tokens_file;  // hashed bearer tokens (fb-backend token add)
  std::filesystem::path console_dir;  // the console's static files; empty = the built-in location
};

/// The address and port of an http.listen value "ADDRESS:PORT" (port 0..65535, digits only, 0:
/// any free one; an IPv6 address in brackets, "[::1]:8080", given back without them).
/// Errors: ConfigErrc::invalid_value, naming `where`.
struct ListenAddress {
  std::string address;
  std::uint16_t port = 0;
};
Result<ListenAddress> parse_listen(std::string_view listen, const std::string& where);

struct BackendConfig {
  /// server_uri, tls, client_id "fb-backend"; mqtt.max_undelivered bounds what was received
  /// and not yet stored (beyond it messages are dropped and the cars resend them).
  mqtt::ClientOptions mqtt;
  std::filesystem::path database = "fb-backend.db";
  /// The case store in PostgreSQL instead (a libpq connection string; the file's "postgres"):
  /// empty for the SQLite file `database`, the embedded default.
  std::string postgres;
  std::filesystem::path rules_dir = "deploy/rules";  // classifier.json, routing.conf, templates.json
  ServiceOptions service;
  /// Merging, clustering and the SLA clock's start; the file's "grouping" object.
  GroupingPolicy grouping;
  /// Caps on the dead-letter table (the file's "dead_letters": {"max_per_vin", "max_total",
  /// "max_payload_bytes"}).
  DeadLetterPolicy dead_letters;
  std::string log_level = "info";
  HttpConfig http;
  /// Keys that seal personal data in the case store (fb/common/crypto.hpp; the file's "privacy":
  /// {"key_file"}, relative to the file). Empty: stored unsealed. The file must exist
  /// with mode 0600 (deploy/ makes it: fb-backend key init).
  std::filesystem::path key_file;
};

/// Defaults for a local run: ssl://127.0.0.1:8883, PKI under ./run/pki/backend.
BackendConfig default_config();

/// The key ring of `cfg.key_file` (nullptr when none is configured). Errors: CryptoErrc
/// (key_file_missing, key_file_insecure, key_file_invalid), naming the file.
Result<std::shared_ptr<const crypto::KeyRing>> load_store_keys(const BackendConfig& cfg);

/// What an instance's name and group imply (ServiceOptions::instance, shared_group): its MQTT
/// client id is its name, and a group means clean sessions. Call after every change to either
/// (load_config does). Errors: ConfigErrc::invalid_value for a group without a name.
Result<void> settle_instance(BackendConfig& config);

/// Applies a JSON file over `base`. Errors name the file and key (ConfigErrc).
Result<BackendConfig> load_config(const std::filesystem::path& file, BackendConfig base);

/// The case store the configuration names: PostgreSQL when `postgres` is set, else the SQLite
/// file `database`; with its grouping and dead-letter policies, and `keys` (load_store_keys) to
/// seal personal data. Errors: as the store's open; ConfigErrc::invalid_value for keys with
/// PostgreSQL, whose store does not seal yet (docs/privacy.md).
Result<std::unique_ptr<CaseStore>> open_case_store(const BackendConfig& config,
                                                   const std::shared_ptr<const crypto::KeyRing>& keys = {});

/// The dashboard's and the monthly report's reader (analytics.hpp) on the same store as
/// open_case_store(config, keys), which must have created it. Errors: as the analytics' open;
/// ConfigErrc::invalid_value for keys with PostgreSQL, as open_case_store.
Result<std::unique_ptr<Analytics>> open_analytics(const BackendConfig& config,
                                                  const std::shared_ptr<const crypto::KeyRing>& keys = {});

}  // namespace fb::backend
