// Backend configuration: embedded defaults, a JSON file (deploy/backend.json), then flags.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "fb/common/error.hpp"
#include "fb/mqtt/client.hpp"

namespace fb::backend {

struct BackendConfig {
  mqtt::ClientOptions mqtt;                 // server_uri, tls, client_id "fb-backend"
  std::filesystem::path database = "fb-backend.db";
  std::filesystem::path rules_dir = "deploy/rules";  // classifier.json, routing.json, templates.json
  std::size_t max_batch = 512;              // reports per transaction
  std::size_t max_pending = 20000;          // received, not yet stored; beyond, dropped (cars resend)
  std::chrono::milliseconds notification_check{2000};
  std::chrono::milliseconds notification_resend_base{60000};
  std::chrono::milliseconds notification_resend_max{6 * 3600 * 1000};
  std::string log_level = "info";
};

/// Defaults for a local run: ssl://127.0.0.1:8883, PKI under ./run/pki/backend.
BackendConfig default_config();

/// Applies a JSON file over `base`. Errors name the file and key (ConfigErrc).
Result<BackendConfig> load_config(const std::filesystem::path& file, BackendConfig base);

}  // namespace fb::backend
