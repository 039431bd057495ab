#include "fb/backend/config.hpp"

#include <charconv>

#include "fb/common/config.hpp"
#include "fb/mqtt/options.hpp"

namespace fb::backend {

namespace {

constexpr std::int64_t kHourMs = std::int64_t{3600} * 1000;

// Durations in the file are bounded before they become integers: a number like 1e30 would
// overflow the conversion (undefined behaviour; found by fuzz_backend_rules) and every sum of
// times after it. A century is beyond any window, retention or target anyone sets.
constexpr double kMaxHours = 100.0 * 365 * 24;

Result<void> load_grouping(const nlohmann::json& j, const std::string& origin, GroupingPolicy& g) {
  if (!j.is_object()) return fail(ConfigErrc::invalid_value, origin + ": must be an object");
  const auto hours = [&](const char* key, std::int64_t& out, bool zero_ok) -> Result<void> {
    auto v = config::get_or<double>(j, key, static_cast<double>(out) / kHourMs, origin);
    if (!v) return fail(v.error());
    if (*v < 0 || (*v == 0 && !zero_ok)) return fail(ConfigErrc::invalid_value, origin + "." + key + ": must be > 0");
    if (*v > kMaxHours) return fail(ConfigErrc::invalid_value, origin + "." + key + ": at most 100 years");
    out = static_cast<std::int64_t>(*v * kHourMs);
    return {};
  };
  const auto fraction = [&](const char* key, double& out, double max) -> Result<void> {
    auto v = config::get_or<double>(j, key, out, origin);
    if (!v) return fail(v.error());
    if (*v < 0 || *v > max) {
      return fail(ConfigErrc::invalid_value, origin + "." + key + ": must be in 0.." + std::to_string(max));
    }
    out = *v;
    return {};
  };
  const auto count = [&](const char* key, int& out) -> Result<void> {
    auto v = config::get_or<int>(j, key, out, origin);
    if (!v) return fail(v.error());
    if (*v < 1) return fail(ConfigErrc::invalid_value, origin + "." + key + ": must be >= 1");
    out = *v;
    return {};
  };
  for (auto r :
       {hours("merge_window_hours", g.merge_window_ms, true), hours("warning_window_hours", g.warning_window_ms, false),
        hours("cluster_window_hours", g.cluster_window_ms, false),
        hours("max_clock_skew_hours", g.max_clock_skew_ms, true),
        fraction("merge_min_similarity", g.merge_min_similarity, 1.0),
        fraction("cluster_min_similarity", g.cluster_min_similarity, 1.0),
        fraction("warning_rate_factor", g.warning_rate_factor, 1000.0),
        count("major_case_vehicles", g.major_case_vehicles), count("warning_min_cases", g.warning_min_cases)}) {
    if (!r) return r;
  }
  return {};
}

// "utc_offset": "+08:00": the service region's offset from UTC, whole quarter hours from -12:00 to
// +14:00 (the offsets in use), sign required, so "8" or "+8" is refused rather than guessed at.
Result<std::int64_t> parse_utc_offset(std::string_view text, const std::string& origin) {
  const auto bad = [&] {
    return fail(ConfigErrc::invalid_value, origin + ": utc_offset: '" + std::string(text) +
                                               "' is not an offset like \"+08:00\" (from -12:00 to +14:00)");
  };
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' ||
      !(digit(1) && digit(2) && digit(4) && digit(5))) {
    return bad();
  }
  const int hours = (text[1] - '0') * 10 + (text[2] - '0');
  const int minutes = (text[4] - '0') * 10 + (text[5] - '0');
  const int signed_minutes = (text[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
  if (minutes >= 60 || minutes % 15 != 0 || signed_minutes < -12 * 60 || signed_minutes > 14 * 60) return bad();
  return std::int64_t{signed_minutes} * 60 * 1000;
}

Result<void> load_rate_limit(const nlohmann::json& j, const std::string& origin, AdmissionOptions& a) {
  for (auto& [key, out] :
       {std::pair<const char*, double*>{"per_second", &a.per_vin_rate}, {"burst", &a.per_vin_burst}}) {
    auto v = config::get_or<double>(j, key, *out, origin);
    if (!v) return fail(v.error());
    if (*v < 0) return fail(ConfigErrc::invalid_value, origin + ": " + key + " must be >= 0 (per_second 0: no limit)");
    *out = *v;
  }
  if (a.per_vin_rate > 0 && a.per_vin_burst < 1) {
    return fail(ConfigErrc::invalid_value, origin + ": burst must be >= 1 with a rate limit");
  }
  return {};
}

// "instance": {"name", "shared_group", "lease_seconds"} (ServiceOptions). A name is also the MQTT
// client id, which the broker takes from the certificate's CN: the instance's own certificate.
Result<void> load_instance(const nlohmann::json& j, const std::string& origin, BackendConfig& c) {
  if (!j.is_object()) return fail(ConfigErrc::invalid_value, origin + ": must be an object");
  auto name = config::get_or<std::string>(j, "name", c.service.instance, origin);
  if (!name) return fail(name.error());
  auto group = config::get_or<std::string>(j, "shared_group", c.service.shared_group, origin);
  if (!group) return fail(group.error());
  if (group->find_first_of("/+#") != std::string::npos) {
    return fail(ConfigErrc::invalid_value, origin + ".shared_group: no '/', '+' or '#' in a group name");
  }
  auto seconds = config::get_or<double>(j, "lease_seconds", static_cast<double>(c.service.lease_ttl.count()) / 1000.0,
                                        origin);
  if (!seconds) return fail(seconds.error());
  if (!(*seconds >= 3 && *seconds <= 3600)) {
    return fail(ConfigErrc::invalid_value, origin + ".lease_seconds: must be in 3..3600");
  }
  c.service.instance = *name;
  c.service.shared_group = *group;
  c.service.lease_ttl = std::chrono::milliseconds(static_cast<std::int64_t>(*seconds * 1000));
  if (auto r = settle_instance(c); !r) return fail(ConfigErrc::invalid_value, origin + "." + r.error().detail);
  return {};
}

Result<void> load_dead_letters(const nlohmann::json& j, const std::string& origin, BackendConfig& c) {
  auto& p = c.dead_letters;
  for (auto& [key, out] :
       {std::pair<const char*, std::int64_t*>{"max_per_vin", &p.max_per_vin}, {"max_total", &p.max_total}}) {
    auto v = config::get_or<std::int64_t>(j, key, *out, origin);
    if (!v) return fail(v.error());
    if (*v < 1) return fail(ConfigErrc::invalid_value, origin + ": " + key + " must be >= 1");
    *out = *v;
  }
  auto bytes = config::get_or<std::size_t>(j, "max_payload_bytes", p.max_payload_bytes, origin);
  if (!bytes) return fail(bytes.error());
  p.max_payload_bytes = *bytes;
  auto days = config::get_or<double>(j, "retention_days",
                                     static_cast<double>(c.service.dead_letter_retention.count()) / 24.0, origin);
  if (!days) return fail(days.error());
  if (*days <= 0) return fail(ConfigErrc::invalid_value, origin + ": retention_days must be > 0");
  if (*days * 24 > kMaxHours) return fail(ConfigErrc::invalid_value, origin + ": retention_days: at most 100 years");
  c.service.dead_letter_retention = std::chrono::hours(static_cast<std::int64_t>(*days * 24));
  return {};
}

Result<void> load_privacy(const nlohmann::json& j, const std::string& origin, const std::filesystem::path& base,
                          BackendConfig& c) {
  auto key_file = config::get_or<std::string>(j, "key_file", "", origin);
  if (!key_file) return fail(key_file.error());
  if (!key_file->empty()) {
    c.key_file = std::filesystem::path(*key_file).is_absolute() ? std::filesystem::path(*key_file) : base / *key_file;
  }
  auto days = config::get_or<double>(j, "retention_days",
                                     static_cast<double>(c.service.personal_data_retention.count()) / 24.0, origin);
  if (!days) return fail(days.error());
  if (*days < 0) return fail(ConfigErrc::invalid_value, origin + ": retention_days must be >= 0 (0 = kept)");
  if (*days * 24 > kMaxHours) return fail(ConfigErrc::invalid_value, origin + ": retention_days: at most 100 years");
  c.service.personal_data_retention = std::chrono::hours(static_cast<std::int64_t>(*days * 24));
  return {};
}

}  // namespace

Result<std::shared_ptr<const crypto::KeyRing>> load_store_keys(const BackendConfig& cfg) {
  if (cfg.key_file.empty()) return std::shared_ptr<const crypto::KeyRing>{};
  auto ring = crypto::KeyFileSource(cfg.key_file).load();
  if (!ring) return fail(ring.error());
  return std::make_shared<const crypto::KeyRing>(std::move(*ring));
}

BackendConfig default_config() {
  BackendConfig c;
  c.mqtt.server_uri = "ssl://127.0.0.1:8883";
  c.mqtt.client_id = "fb-backend";
  c.mqtt.clean_session = false;
  c.mqtt.max_inflight = 256;
  c.mqtt.max_queued = 100000;
  c.mqtt.max_undelivered = 20000;
  c.mqtt.tls = mqtt::tls_files_in("run/pki/backend");
  return c;
}

namespace {

/// The object under `key` (an empty one when absent), checked for keys this build does not read:
/// a misspelt "keyfile" would otherwise leave the store unsealed without a word.
Result<nlohmann::json> section(const nlohmann::json& doc, const char* key, const std::string& origin,
                               std::initializer_list<std::string_view> known) {
  if (!doc.contains(key)) return nlohmann::json::object();
  const auto& s = doc[key];
  const auto where = origin + ": " + key;
  if (!s.is_object()) return fail(ConfigErrc::invalid_value, where + ": must be an object");
  if (auto k = config::unknown_key(s, known))
    return fail(ConfigErrc::invalid_value, where + ": unknown key '" + *k + "'");
  return s;
}

}  // namespace

Result<ListenAddress> parse_listen(std::string_view listen, const std::string& where) {
  const auto bad = [&](const char* why) {
    return fail(ConfigErrc::invalid_value, where + " '" + std::string(listen) + "': " + why);
  };
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad("ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
  auto address = listen.substr(0, colon);
  if (address.front() == '[') {
    if (address.size() < 3 || address.back() != ']') return bad("an IPv6 address goes in brackets: [::1]:8080");
    address = address.substr(1, address.size() - 2);
  } else if (address.find(':') != std::string_view::npos) {
    return bad("an IPv6 address goes in brackets: [::1]:8080");
  }
  const auto digits = listen.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port > 65535) {
    return bad("the port must be a number from 0 (any free one) to 65535");
  }
  return ListenAddress{std::string(address), static_cast<std::uint16_t>(port)};
}

Result<BackendConfig> load_config(const std::filesystem::path& file, BackendConfig c) {
  auto doc = config::load_json(file);
  if (!doc) return fail(doc.error());
  const std::string origin = file.string();
  if (auto r = config::expect_version(*doc, 1, origin); !r) return fail(r.error());
  if (!doc->is_object()) return fail(ConfigErrc::invalid_value, origin + ": must be an object");
  if (auto k = config::unknown_key(*doc,
                                   {"version", "comment", "broker", "mqtt_version", "ca_file", "cert_file", "key_file",
                                    "database", "rules_dir", "postgres", "max_batch", "log_level", "rate_limit",
                                    "dead_letters", "privacy", "grouping", "instance", "http", "utc_offset"})) {
    return fail(ConfigErrc::invalid_value, origin + ": unknown key '" + *k + "'");
  }
  auto rate_limit = section(*doc, "rate_limit", origin, {"comment", "per_second", "burst"});
  if (!rate_limit) return fail(rate_limit.error());
  auto dead_letters = section(*doc, "dead_letters", origin,
                              {"comment", "max_per_vin", "max_total", "max_payload_bytes", "retention_days"});
  if (!dead_letters) return fail(dead_letters.error());
  auto privacy = section(*doc, "privacy", origin, {"comment", "key_file", "retention_days"});
  if (!privacy) return fail(privacy.error());
  auto grouping = section(*doc, "grouping", origin,
                          {"comment", "merge_window_hours", "warning_window_hours", "cluster_window_hours",
                           "max_clock_skew_hours", "merge_min_similarity", "cluster_min_similarity",
                           "warning_rate_factor", "major_case_vehicles", "warning_min_cases"});
  if (!grouping) return fail(grouping.error());
  auto instance = section(*doc, "instance", origin, {"comment", "name", "shared_group", "lease_seconds"});
  if (!instance) return fail(instance.error());
  auto http = section(*doc, "http", origin, {"comment", "listen", "tokens_file", "console_dir"});
  if (!http) return fail(http.error());
  // Relative paths in the file are relative to the file.
  const auto base = file.parent_path();
  const auto path = [&](const std::string& key, std::filesystem::path& out) -> Result<void> {
    auto v = config::get_or<std::string>(*doc, key, "", origin);
    if (!v) return fail(v.error());
    if (!v->empty()) out = std::filesystem::path(*v).is_absolute() ? std::filesystem::path(*v) : base / *v;
    return {};
  };
  auto uri = config::get_or<std::string>(*doc, "broker", c.mqtt.server_uri, origin);
  if (!uri) return fail(uri.error());
  c.mqtt.server_uri = *uri;
  for (auto& [key, out] :
       std::initializer_list<std::pair<const char*, std::filesystem::path*>>{{"ca_file", &c.mqtt.tls.ca_file},
                                                                             {"cert_file", &c.mqtt.tls.cert_file},
                                                                             {"key_file", &c.mqtt.tls.key_file},
                                                                             {"database", &c.database},
                                                                             {"rules_dir", &c.rules_dir}}) {
    if (auto r = path(key, *out); !r) return fail(r.error());
  }
  auto postgres = config::get_or<std::string>(*doc, "postgres", c.postgres, origin);
  if (!postgres) return fail(postgres.error());
  c.postgres = *postgres;
  auto batch = config::get_or<std::size_t>(*doc, "max_batch", c.service.max_batch, origin);
  if (!batch) return fail(batch.error());
  if (*batch == 0) return fail(ConfigErrc::invalid_value, origin + ": max_batch must be > 0");
  c.service.max_batch = *batch;
  auto version = config::get_or<std::string>(*doc, "mqtt_version", std::string(mqtt::to_string(c.mqtt.version)),
                                             origin);
  if (!version) return fail(version.error());
  auto parsed = mqtt::parse_protocol_version(*version);
  if (!parsed) return fail(ConfigErrc::invalid_value, origin + ": mqtt_version: " + parsed.error().detail);
  c.mqtt.version = *parsed;
  if (auto r = load_rate_limit(*rate_limit, origin + ": rate_limit", c.service.admission); !r) {
    return fail(r.error());
  }
  if (auto r = load_dead_letters(*dead_letters, origin + ": dead_letters", c); !r) {
    return fail(r.error());
  }
  if (auto r = load_privacy(*privacy, origin + ": privacy", base, c); !r) {
    return fail(r.error());
  }
  if (auto g = load_grouping(*grouping, origin + ": grouping", c.grouping); !g) {
    return fail(g.error());
  }
  if (doc->contains("utc_offset")) {
    auto text = config::get_or<std::string>(*doc, "utc_offset", "", origin);
    if (!text) return fail(text.error());
    auto offset = parse_utc_offset(*text, origin);
    if (!offset) return fail(offset.error());
    c.grouping.utc_offset_ms = *offset;
  }
  if (auto r = load_instance(*instance, origin + ": instance", c); !r) {
    return fail(r.error());
  }
  {
    const auto& h = *http;  // absent: an empty object, every value its default
    const auto where = origin + ": http";
    auto listen = config::get_or<std::string>(h, "listen", c.http.listen, where);
    if (!listen) return fail(listen.error());
    if (!listen->empty()) {
      if (auto parsed = parse_listen(*listen, where + ".listen"); !parsed) return fail(parsed.error());
    }
    c.http.listen = *listen;
    for (auto& [key, out] :
         std::initializer_list<std::pair<const char*, std::filesystem::path*>>{{"tokens_file", &c.http.tokens_file},
                                                                               {"console_dir", &c.http.console_dir}}) {
      auto v = config::get_or<std::string>(h, key, "", where);
      if (!v) return fail(v.error());
      if (!v->empty()) *out = std::filesystem::path(*v).is_absolute() ? std::filesystem::path(*v) : base / *v;
    }
  }
  auto level = config::get_or<std::string>(*doc, "log_level", c.log_level, origin);
  if (!level) return fail(level.error());
  c.log_level = *level;
  return c;
}

Result<void> settle_instance(BackendConfig& c) {
  if (!c.service.shared_group.empty() && c.service.instance.empty()) {
    // Without names every instance would run the timers (no lease) and share one client id.
    return fail(ConfigErrc::invalid_value, "shared_group: needs a name for each instance (instance.name, --instance)");
  }
  if (!c.service.instance.empty()) c.mqtt.client_id = c.service.instance;
  // Mosquitto 2.0 keeps giving a shared group's messages to a member whose persistent session is
  // offline: a dead instance would take half the stream with it (docs/deploy.md).
  if (!c.service.shared_group.empty()) c.mqtt.clean_session = true;
  return {};
}

Result<std::unique_ptr<CaseStore>> open_case_store(const BackendConfig& config,
                                                   const std::shared_ptr<const crypto::KeyRing>& keys) {
  if (!config.postgres.empty()) {
    return open_postgres_case_store(config.postgres, config.grouping, config.dead_letters, keys);
  }
  return open_sqlite_case_store(config.database, 0, config.grouping, config.dead_letters, keys);
}

Result<std::unique_ptr<Analytics>> open_analytics(const BackendConfig& config,
                                                  const std::shared_ptr<const crypto::KeyRing>& keys) {
  if (!config.postgres.empty()) {
    return open_postgres_analytics(config.postgres, keys, config.grouping.utc_offset_ms);
  }
  return open_sqlite_analytics(config.database, keys, config.grouping.utc_offset_ms);
}

}  // namespace fb::backend
