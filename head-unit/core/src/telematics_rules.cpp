#include "fb/agent/telematics_rules.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include "fb/common/codec.hpp"
#include "fb/common/config.hpp"
#include "fb/common/utf8.hpp"

namespace fb::agent {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr std::int64_t kDayMs = std::int64_t{24} * 3600 * 1000;

// The line of each key (and of each array element that is an object or array) of valid JSON
// text, by the dotted path used in our errors: "rules[1].when". nlohmann::json 3.11 keeps no
// positions, so a small scan of the text that parsed finds them.
std::map<std::string, std::size_t> key_lines(std::string_view text) {
  struct Frame {
    bool array = false;
    std::string path;
    std::size_t index = 0;
    std::string key;
    bool expecting_key = false;
  };
  std::vector<Frame> stack;
  std::map<std::string, std::size_t> out;
  std::size_t line = 1;
  const auto join = [](const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (c == '"') {
      std::string s;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        s += text[i];
      }
      if (!stack.empty() && !stack.back().array && stack.back().expecting_key) {
        stack.back().key = s;
        stack.back().expecting_key = false;
        out.emplace(join(stack.back().path, s), line);
      }
    } else if (c == '{' || c == '[') {
      std::string path;
      if (!stack.empty()) {
        const auto& top = stack.back();
        path = top.array ? top.path + "[" + std::to_string(top.index) + "]" : join(top.path, top.key);
        out.emplace(path, line);
      }
      stack.push_back(Frame{c == '[', path, 0, {}, c == '{'});
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
    } else if (c == ',' && !stack.empty()) {
      if (stack.back().array) {
        ++stack.back().index;
      } else {
        stack.back().expecting_key = true;
      }
    }
  }
  return out;
}

// Builds errors "origin:line: path: why", the line being that of the path's key, or of the
// nearest enclosing one present (a missing key: its object).
class Errors {
 public:
  Errors(std::string_view text, std::string origin) : lines_(key_lines(text)), origin_(std::move(origin)) {}

  Error at(const std::string& path, const std::string& why, ConfigErrc code = ConfigErrc::invalid_value) const {
    std::string p = path;
    std::size_t line = 1;
    while (!p.empty()) {
      if (auto it = lines_.find(p); it != lines_.end()) {
        line = it->second;
        break;
      }
      const auto cut = p.find_last_of(".[");
      p = cut == std::string::npos ? std::string() : p.substr(0, cut);
    }
    return Error(code, origin_ + ":" + std::to_string(line) + ": " + path + ": " + why);
  }

 private:
  std::map<std::string, std::size_t> lines_;
  std::string origin_;
};

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// Checks that `obj` has only `known` keys (a misspelt key would otherwise be silently ignored).
Result<void> only_keys(const json& obj, const std::string& path, std::initializer_list<std::string_view> known,
                       const Errors& errors) {
  if (auto key = config::unknown_key(obj, known)) return fail(errors.at(join(path, *key), "unknown key"));
  return {};
}

// The typed readers: absent keys keep `out` as it is unless required.
Result<void> read_number(const json& obj, const std::string& path, const std::string& key, double& out,
                         const Errors& errors, bool required = false) {
  if (!obj.contains(key)) {
    if (required) return fail(errors.at(join(path, key), "missing"));
    return {};
  }
  const auto& v = obj.at(key);
  if (!v.is_number() || !std::isfinite(v.get<double>())) return fail(errors.at(join(path, key), "need a number"));
  out = v.get<double>();
  return {};
}

Result<void> read_int(const json& obj, const std::string& path, const std::string& key, std::int64_t& out,
                      std::int64_t min, std::int64_t max, const Errors& errors) {
  if (!obj.contains(key)) return {};
  const auto& v = obj.at(key);
  if (!v.is_number_integer() || v.get<std::int64_t>() < min || v.get<std::int64_t>() > max) {
    return fail(
        errors.at(join(path, key), "need a whole number from " + std::to_string(min) + " to " + std::to_string(max)));
  }
  out = v.get<std::int64_t>();
  return {};
}

Result<void> read_string(const json& obj, const std::string& path, const std::string& key, std::string& out,
                         const Errors& errors, bool required = false) {
  if (!obj.contains(key)) {
    if (required) return fail(errors.at(join(path, key), "missing"));
    return {};
  }
  const auto& v = obj.at(key);
  if (!v.is_string() || v.get<std::string>().empty())
    return fail(errors.at(join(path, key), "need a non-empty string"));
  out = v.get<std::string>();
  return {};
}

Result<void> read_bool(const json& obj, const std::string& path, const std::string& key, bool& out,
                       const Errors& errors) {
  if (!obj.contains(key)) return {};
  if (!obj.at(key).is_boolean()) return fail(errors.at(join(path, key), "need true or false"));
  out = obj.at(key).get<bool>();
  return {};
}

template <typename E>
Result<void> read_key(const json& obj, const std::string& path, const std::string& key, E& out, const Errors& errors,
                      bool required) {
  std::string s;
  if (auto r = read_string(obj, path, key, s, errors, required); !r) return r;
  if (s.empty()) return {};
  auto v = parse<E>(s);
  if (!v) {
    std::string keys;
    for (const auto& e : vocabulary<E>()) keys += (keys.empty() ? "" : ", ") + std::string(e.key);
    return fail(errors.at(join(path, key), "'" + s + "' is not one of " + keys));
  }
  out = *v;
  return {};
}

Result<void> read_object(const json& doc, const std::string& key, const json*& out, const Errors& errors) {
  out = nullptr;
  if (!doc.contains(key)) return {};
  if (!doc.at(key).is_object()) return fail(errors.at(key, "need an object"));
  out = &doc.at(key);
  return {};
}

Result<TelematicsRule> read_rule(const json& r, const std::string& path, const Errors& errors) {
  if (!r.is_object()) return fail(errors.at(path, "need an object"));
  if (auto ok = only_keys(r, path,
                          {"id", "dtc", "signal", "above", "below", "transmission_slip_rpm_above", "without_dtcs",
                           "hold_ms", "confirm_cycles", "category", "system", "severity", "text"},
                          errors);
      !ok) {
    return fail(ok.error());
  }
  TelematicsRule rule;
  if (auto ok = read_string(r, path, "id", rule.id, errors, true); !ok) return fail(ok.error());
  static const std::regex kId("^[a-z0-9][a-z0-9_.-]{0,63}$");
  if (!std::regex_match(rule.id, kId)) return fail(errors.at(join(path, "id"), "need up to 64 of a-z 0-9 _ . -"));

  const int kinds = static_cast<int>(r.contains("dtc")) + static_cast<int>(r.contains("signal")) +
                    static_cast<int>(r.contains("transmission_slip_rpm_above"));
  if (kinds != 1) {
    return fail(errors.at(path, "need exactly one of dtc, signal, transmission_slip_rpm_above"));
  }
  auto& w = rule.when;
  if (r.contains("dtc")) {
    w.kind = RuleCondition::Kind::dtc;
    const auto& list = r.at("dtc");
    static const std::regex kPattern("^[PCBU][0-9A-F?*]{0,6}[*]?$");
    if (!list.is_array() || list.empty()) return fail(errors.at(join(path, "dtc"), "need a list of DTC patterns"));
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto at = join(path, "dtc") + "[" + std::to_string(i) + "]";
      if (!list[i].is_string() || !std::regex_match(list[i].get<std::string>(), kPattern)) {
        return fail(errors.at(at, "need a DTC or pattern like \"P0300\", \"P03*\", \"P0?00\""));
      }
      w.dtc_patterns.push_back(list[i].get<std::string>());
    }
  } else if (r.contains("signal")) {
    if (auto ok = read_string(r, path, "signal", w.signal, errors, true); !ok) return fail(ok.error());
    if (!w.signal.starts_with("Vehicle.")) return fail(errors.at(join(path, "signal"), "need a VSS path (Vehicle.*)"));
    if (r.contains("above") == r.contains("below")) return fail(errors.at(path, "need exactly one of above, below"));
    w.kind = r.contains("above") ? RuleCondition::Kind::above : RuleCondition::Kind::below;
    if (auto ok = read_number(r, path, r.contains("above") ? "above" : "below", w.threshold, errors, true); !ok) {
      return fail(ok.error());
    }
  } else {
    w.kind = RuleCondition::Kind::transmission_slip;
    if (auto ok = read_number(r, path, "transmission_slip_rpm_above", w.threshold, errors, true); !ok) {
      return fail(ok.error());
    }
  }
  if (w.kind != RuleCondition::Kind::above && w.kind != RuleCondition::Kind::below &&
      (r.contains("above") || r.contains("below"))) {
    return fail(errors.at(path, "above and below go with signal"));
  }
  if (auto ok = read_bool(r, path, "without_dtcs", w.without_dtcs, errors); !ok) return fail(ok.error());
  if (w.without_dtcs && w.kind == RuleCondition::Kind::dtc) {
    return fail(errors.at(join(path, "without_dtcs"), "a DTC rule needs an active code: it could never fire"));
  }

  std::int64_t hold = 0, cycles = 1;
  if (auto ok = read_int(r, path, "hold_ms", hold, 0, kDayMs, errors); !ok) return fail(ok.error());
  if (auto ok = read_int(r, path, "confirm_cycles", cycles, 1, 100000, errors); !ok) return fail(ok.error());
  rule.hold = milliseconds(hold);
  rule.confirm_cycles = static_cast<int>(cycles);
  if (auto ok = read_key(r, path, "category", rule.category, errors, true); !ok) return fail(ok.error());
  if (auto ok = read_key(r, path, "system", rule.system, errors, true); !ok) return fail(ok.error());
  if (auto ok = read_key(r, path, "severity", rule.severity, errors, true); !ok) return fail(ok.error());
  if (auto ok = read_string(r, path, "text", rule.text, errors, true); !ok) return fail(ok.error());
  // As the wire takes a report's text: one the backend would refuse would refuse every report.
  if (utf8_length(rule.text) > codec::kMaxTextChars || !is_valid_text(rule.text)) {
    return fail(errors.at(join(path, "text"), "need UTF-8 text without U+0000, at most " +
                                                  std::to_string(codec::kMaxTextChars) + " characters"));
  }
  return rule;
}

}  // namespace

bool dtc_matches(std::string_view pattern, std::string_view code) {
  if (pattern.empty()) return code.empty();
  if (pattern.front() == '*') {
    for (std::size_t skip = 0; skip <= code.size(); ++skip) {
      if (dtc_matches(pattern.substr(1), code.substr(skip))) return true;
    }
    return false;
  }
  if (code.empty()) return false;
  if (pattern.front() != '?' && pattern.front() != code.front()) return false;
  return dtc_matches(pattern.substr(1), code.substr(1));
}

Result<TelematicsConfig> parse_telematics_config(std::string_view text, const std::string& origin) {
  auto doc = config::parse_json(text, origin);
  if (!doc) return fail(doc.error());
  const Errors errors(text, origin);
  if (!doc->is_object()) return fail(errors.at("", "need a JSON object"));
  if (!doc->contains("version") || !doc->at("version").is_number_integer()) {
    return fail(errors.at("version", "need the format version, 1"));
  }
  if (doc->at("version").get<std::int64_t>() != 1) {
    return fail(errors.at("version", "this build reads version 1", ConfigErrc::unsupported_version));
  }
  if (auto ok = only_keys(*doc, "",
                          {"version", "evaluation_period_ms", "drive_cycle", "throttle", "link_window_s",
                           "transmission", "consent", "language", "rules", "comment"},
                          errors);
      !ok) {
    return fail(ok.error());
  }
  TelematicsConfig c;
  std::int64_t n = c.evaluation_period.count();
  if (auto ok = read_int(*doc, "", "evaluation_period_ms", n, 10, 60000, errors); !ok) return fail(ok.error());
  c.evaluation_period = milliseconds(n);
  n = 600;
  if (auto ok = read_int(*doc, "", "link_window_s", n, 0, 86400, errors); !ok) return fail(ok.error());
  c.link_window = std::chrono::seconds(n);
  if (auto ok = read_string(*doc, "", "language", c.language, errors); !ok) return fail(ok.error());
  if (!codec::is_language_tag(c.language)) {
    return fail(errors.at("language", "need a language tag such as zh-CN (every auto-report would be refused)"));
  }

  const json* o = nullptr;
  if (auto ok = read_object(*doc, "drive_cycle", o, errors); !ok) return fail(ok.error());
  if (o) {
    if (auto ok = only_keys(*o, "drive_cycle", {"standstill_ends_cycle_s", "moving_above_kmh"}, errors); !ok) {
      return fail(ok.error());
    }
    n = 300;
    if (auto ok = read_int(*o, "drive_cycle", "standstill_ends_cycle_s", n, 1, 86400, errors); !ok) {
      return fail(ok.error());
    }
    c.standstill_ends_cycle = std::chrono::seconds(n);
    if (auto ok = read_number(*o, "drive_cycle", "moving_above_kmh", c.moving_above_kmh, errors); !ok) {
      return fail(ok.error());
    }
  }
  if (auto ok = read_object(*doc, "throttle", o, errors); !ok) return fail(ok.error());
  if (o) {
    if (auto ok = only_keys(*o, "throttle", {"max_per_drive_cycle", "max_per_day"}, errors); !ok) {
      return fail(ok.error());
    }
    std::int64_t cycle = c.max_per_drive_cycle, day = c.max_per_day;
    if (auto ok = read_int(*o, "throttle", "max_per_drive_cycle", cycle, 0, 1000, errors); !ok) {
      return fail(ok.error());
    }
    if (auto ok = read_int(*o, "throttle", "max_per_day", day, 0, 1000, errors); !ok) return fail(ok.error());
    c.max_per_drive_cycle = static_cast<int>(cycle);
    c.max_per_day = static_cast<int>(day);
  }
  if (auto ok = read_object(*doc, "transmission", o, errors); !ok) return fail(ok.error());
  if (o) {
    if (auto ok = only_keys(*o, "transmission", {"gear_rpm_per_kmh", "slip_min_speed_kmh"}, errors); !ok) {
      return fail(ok.error());
    }
    if (o->contains("gear_rpm_per_kmh")) {
      const auto& g = o->at("gear_rpm_per_kmh");
      if (!g.is_array() || g.size() < 2 || g.size() > 16 ||
          !std::all_of(g.begin(), g.end(), [](const json& v) { return v.is_number() && v.get<double>() >= 0; })) {
        return fail(errors.at("transmission.gear_rpm_per_kmh",
                              "need 2 to 16 numbers >= 0: rpm per km/h for neutral, 1st, 2nd ..."));
      }
      c.gear_rpm_per_kmh = g.get<std::vector<double>>();
    }
    if (auto ok = read_number(*o, "transmission", "slip_min_speed_kmh", c.slip_min_speed_kmh, errors); !ok) {
      return fail(ok.error());
    }
  }
  if (auto ok = read_object(*doc, "consent", o, errors); !ok) return fail(ok.error());
  if (o) {
    if (auto ok = only_keys(*o, "consent", {"diagnostics", "location"}, errors); !ok) return fail(ok.error());
    bool diagnostics = false, location = false;
    if (auto ok = read_bool(*o, "consent", "diagnostics", diagnostics, errors); !ok) return fail(ok.error());
    if (auto ok = read_bool(*o, "consent", "location", location, errors); !ok) return fail(ok.error());
    c.consent.set_diagnostics(diagnostics);
    c.consent.set_location(location);
  }

  if (!doc->contains("rules") || !doc->at("rules").is_array()) return fail(errors.at("rules", "need a list of rules"));
  const auto& rules = doc->at("rules");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto path = "rules[" + std::to_string(i) + "]";
    auto rule = read_rule(rules[i], path, errors);
    if (!rule) return fail(rule.error());
    if (!ids.insert(rule->id).second) return fail(errors.at(path + ".id", "'" + rule->id + "' is used twice"));
    c.rules.push_back(std::move(*rule));
  }
  return c;
}

Result<TelematicsConfig> load_telematics_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ConfigErrc::file_not_found, file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse_telematics_config(text.str(), file.string());
}

// ---- RuleEngine ----

RuleEngine::RuleEngine(TelematicsConfig config) : config_(std::move(config)), episodes_(config_.rules.size()) {}

std::optional<double> RuleEngine::value(const std::string& path) const {
  const auto it = values_.find(path);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::set<std::string> RuleEngine::holding(const TelematicsRule& rule) const {
  const auto& w = rule.when;
  std::set<std::string> out;
  if (w.without_dtcs && !dtcs_.empty()) return out;
  switch (w.kind) {
    case RuleCondition::Kind::dtc:
      for (const auto& code : dtcs_) {
        if (std::any_of(w.dtc_patterns.begin(), w.dtc_patterns.end(),
                        [&](const std::string& p) { return dtc_matches(p, code); })) {
          out.insert(code);
        }
      }
      break;
    case RuleCondition::Kind::above:
    case RuleCondition::Kind::below: {
      const auto v = value(w.signal);
      if (v && (w.kind == RuleCondition::Kind::above ? *v > w.threshold : *v < w.threshold)) out.insert("");
      break;
    }
    case RuleCondition::Kind::transmission_slip: {
      const auto rpm = value(vss::kEngineSpeed), gear = value(vss::kCurrentGear), kmh = value(vss::kSpeed);
      if (!rpm || !gear || !kmh || *kmh < config_.slip_min_speed_kmh) break;
      const auto g = static_cast<std::size_t>(std::lround(*gear));
      if (*gear < 1 || g >= config_.gear_rpm_per_kmh.size()) break;
      if (*rpm - *kmh * config_.gear_rpm_per_kmh[g] > w.threshold) out.insert("");
      break;
    }
  }
  return out;
}

void RuleEngine::refresh(std::int64_t t_ms) {
  for (std::size_t i = 0; i < config_.rules.size(); ++i) {
    const auto now_holding = holding(config_.rules[i]);
    auto& eps = episodes_[i];
    std::erase_if(eps, [&](const auto& e) { return !now_holding.contains(e.first); });
    for (const auto& instance : now_holding) eps.try_emplace(instance, Episode{t_ms, 0, false});
  }
}

void RuleEngine::confirm_due(std::int64_t t_ms) {
  for (std::size_t i = 0; i < config_.rules.size(); ++i) {
    const auto& rule = config_.rules[i];
    for (auto& [instance, e] : episodes_[i]) {
      if (e.confirmed || e.cycles < rule.confirm_cycles || t_ms - e.since_ms < rule.hold.count()) continue;
      e.confirmed = true;
      ++stats_.confirmed;
      const auto key = instance.empty() ? rule.id : rule.id + ":" + instance;
      if (!allowed(key, t_ms)) {
        ++stats_.throttled;
        continue;
      }
      ++stats_.reported;
      AutoReport r{&rule, {}, t_ms};
      if (instance.empty()) {
        r.dtcs.assign(dtcs_.begin(), dtcs_.end());
      } else {
        r.dtcs.push_back(instance);
      }
      out_.push_back(std::move(r));
    }
  }
}

bool RuleEngine::allowed(const std::string& key, std::int64_t t_ms) {
  auto& s = sent_[key];
  while (!s.times.empty() && t_ms - s.times.front() >= kDayMs) s.times.pop_front();
  if (s.cycle != cycle_) {
    s.cycle = cycle_;
    s.in_cycle = 0;
  }
  if (config_.max_per_drive_cycle > 0 && s.in_cycle >= config_.max_per_drive_cycle) return false;
  if (config_.max_per_day > 0 && static_cast<int>(s.times.size()) >= config_.max_per_day) return false;
  ++s.in_cycle;
  s.times.push_back(t_ms);
  return true;
}

void RuleEngine::track_drive_cycle(const SignalSample& s) {
  if (s.path != vss::kSpeed) return;
  const bool moving = s.value > config_.moving_above_kmh;
  if (moving && !moving_ && standstill_since_ && s.t_ms - *standstill_since_ > config_.standstill_ends_cycle.count()) {
    ++cycle_;
  }
  if (!moving && (moving_ || !standstill_since_)) standstill_since_ = s.t_ms;
  if (moving) standstill_since_.reset();
  moving_ = moving;
}

void RuleEngine::on_sample(const SignalSample& s) {
  // The old values held until now: an episode that lasted its hold time confirms before the
  // sample that ends it is applied.
  confirm_due(s.t_ms);
  track_drive_cycle(s);
  values_[s.path] = s.value;
  refresh(s.t_ms);
}

void RuleEngine::on_dtc(const std::string& code, bool active, std::int64_t t_ms) {
  confirm_due(t_ms);
  if (active) {
    dtcs_.insert(code);
  } else {
    dtcs_.erase(code);
  }
  refresh(t_ms);
}

void RuleEngine::evaluate(std::int64_t now_ms) {
  for (auto& eps : episodes_) {
    for (auto& [_, e] : eps) {
      if (!e.confirmed) ++e.cycles;
    }
  }
  confirm_due(now_ms);
}

std::vector<AutoReport> RuleEngine::take_reports() { return std::exchange(out_, {}); }

bool RuleEngine::pending() const {
  return std::any_of(episodes_.begin(), episodes_.end(), [](const auto& eps) {
    return std::any_of(eps.begin(), eps.end(), [](const auto& e) { return !e.second.confirmed; });
  });
}

}  // namespace fb::agent
