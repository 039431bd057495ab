#include "fb/backend/triage.hpp"

#include <algorithm>

#include "fb/common/config.hpp"

namespace fb::backend {
namespace {

bool is_word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/// A vocabulary key from a rule file; the error names the file, the key path and the text.
template <HasVocabulary E>
Result<E> parse_key(const nlohmann::json& v, const std::string& where) {
  if (!v.is_string()) return fail(ConfigErrc::invalid_value, where + ": expected a string");
  const auto text = v.get<std::string>();
  auto parsed = parse<E>(text);
  if (!parsed) {
    return fail(ConfigErrc::invalid_value, where + ": unknown " + std::string(Vocabulary<E>::name) + " '" + text + "'");
  }
  return *parsed;
}

template <HasVocabulary E>
Result<std::vector<E>> one_or_many(const nlohmann::json& j, const std::string& where) {
  std::vector<E> out;
  const auto add = [&](const nlohmann::json& v) -> Result<void> {
    auto p = parse_key<E>(v, where);
    if (!p) return fail(p.error());
    out.push_back(*p);
    return {};
  };
  if (j.is_array()) {
    for (const auto& v : j)
      if (auto r = add(v); !r) return fail(r.error());
  } else if (auto r = add(j); !r) {
    return fail(r.error());
  }
  return out;
}

/// An object whose keys and values are both vocabulary keys, e.g. category_types.
template <HasVocabulary K, HasVocabulary V>
Result<std::map<K, V>> key_map(const nlohmann::json& doc, const std::string& key, const std::string& origin,
                               bool required) {
  std::map<K, V> out;
  if (!doc.contains(key) && !required) return out;
  auto obj = config::get<nlohmann::json>(doc, key, origin);
  if (!obj) return fail(obj.error());
  if (!obj->is_object()) return fail(ConfigErrc::invalid_value, origin + ": " + key + ": expected an object");
  for (const auto& [name, value] : obj->items()) {
    const auto where = origin + ": " + key + "." + name;
    auto k = parse<K>(name);
    if (!k)
      return fail(ConfigErrc::invalid_value,
                  where + ": unknown " + std::string(Vocabulary<K>::name) + " '" + name + "'");
    auto v = parse_key<V>(value, where);
    if (!v) return fail(v.error());
    out[*k] = *v;
  }
  return out;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool contains_word(std::string_view lower, std::string_view word) {
  if (word.empty()) return false;
  for (auto pos = lower.find(word); pos != std::string_view::npos; pos = lower.find(word, pos + 1)) {
    if (pos > 0 && is_word_char(lower[pos - 1]) && is_word_char(word.front())) continue;
    auto rest = lower.substr(pos + word.size());
    if (!is_word_char(word.back())) return true;
    for (std::string_view suffix : {"", "s", "es", "d", "ed", "ing"}) {
      if (rest.starts_with(suffix) && (rest.size() == suffix.size() || !is_word_char(rest[suffix.size()]))) return true;
    }
  }
  return false;
}

// ---- Classifier ----

Result<Classifier::Keywords> Classifier::load_keywords(const nlohmann::json& j, const std::string& where) {
  Keywords k;
  auto zh = config::get_or<std::vector<std::string>>(j, "zh", {}, where);
  if (!zh) return fail(zh.error());
  auto en = config::get_or<std::vector<std::string>>(j, "en", {}, where);
  if (!en) return fail(en.error());
  for (auto& w : *zh) k.zh.push_back(ascii_lower(w));  // "4S店" matches "4s店"
  for (auto& w : *en) k.en.push_back(ascii_lower(w));
  return k;
}

std::optional<std::string> Classifier::match(const Keywords& k, std::string_view lower) {
  for (const auto& w : k.zh)
    if (!w.empty() && lower.find(w) != std::string_view::npos) return w;
  for (const auto& w : k.en)
    if (contains_word(lower, w)) return w;
  return std::nullopt;
}

Result<Classifier> Classifier::load(const nlohmann::json& j, const std::string& origin) {
  if (auto r = config::expect_version(j, 1, origin); !r) return fail(r.error());
  Classifier c;
  auto weight = config::get_or<double>(j, "category_weight", 1.5, origin);
  if (!weight) return fail(weight.error());
  c.category_weight_ = *weight;
  auto safety = config::get_or<double>(j, "safety_weight", 2.0, origin);
  if (!safety) return fail(safety.error());
  c.safety_weight_ = *safety;

  auto types = config::get<nlohmann::json>(j, "types", origin);
  if (!types) return fail(types.error());
  if (!types->is_object()) return fail(ConfigErrc::invalid_value, origin + ": types: expected an object");
  for (const auto& [t, key] : vocabulary<CaseType>()) {
    const std::string name(key);
    if (!types->contains(name)) return fail(ConfigErrc::invalid_value, origin + ": types." + name + " missing");
    auto k = load_keywords(types->at(name), origin + ": types." + name);
    if (!k) return fail(k.error());
    c.types_.emplace_back(t, std::move(*k));
  }

  auto cat = key_map<wire::Category, CaseType>(j, "category_types", origin, true);
  if (!cat) return fail(cat.error());
  c.category_types_ = std::move(*cat);

  auto tp = key_map<CaseType, Priority>(j, "type_priority", origin, true);
  if (!tp) return fail(tp.error());
  c.type_priority_ = std::move(*tp);

  auto high = config::get<nlohmann::json>(j, "high_priority", origin);
  if (!high) return fail(high.error());
  auto hk = load_keywords(*high, origin + ": high_priority");
  if (!hk) return fail(hk.error());
  c.high_priority_ = std::move(*hk);
  auto hd = config::get_or<std::vector<std::string>>(j, "high_priority_dtcs", {}, origin);
  if (!hd) return fail(hd.error());
  c.high_priority_dtcs_ = std::move(*hd);

  auto systems = config::get_or<nlohmann::json>(j, "systems", nlohmann::json::array(), origin);
  if (!systems) return fail(systems.error());
  if (!systems->is_array()) return fail(ConfigErrc::invalid_value, origin + ": systems: expected an array");
  for (std::size_t i = 0; i < systems->size(); ++i) {
    const auto where = origin + ": systems[" + std::to_string(i) + "]";
    auto name = config::get<nlohmann::json>((*systems)[i], "system", where);
    if (!name) return fail(name.error());
    auto system = parse_key<VehicleSystem>(*name, where + ".system");
    if (!system) return fail(system.error());
    auto k = load_keywords((*systems)[i], where);
    if (!k) return fail(k.error());
    c.systems_.emplace_back(*system, std::move(*k));
  }
  auto dtc = config::get_or<nlohmann::json>(j, "dtc_systems", nlohmann::json::array(), origin);
  if (!dtc) return fail(dtc.error());
  if (!dtc->is_array()) return fail(ConfigErrc::invalid_value, origin + ": dtc_systems: expected an array");
  for (std::size_t i = 0; i < dtc->size(); ++i) {
    const auto where = origin + ": dtc_systems[" + std::to_string(i) + "]";
    auto prefix = config::get<std::string>((*dtc)[i], "prefix", where);
    if (!prefix) return fail(prefix.error());
    auto name = config::get<nlohmann::json>((*dtc)[i], "system", where);
    if (!name) return fail(name.error());
    auto system = parse_key<VehicleSystem>(*name, where + ".system");
    if (!system) return fail(system.error());
    c.dtc_systems_.emplace_back(std::move(*prefix), *system);
  }
  auto cs = key_map<wire::Category, VehicleSystem>(j, "category_systems", origin, false);
  if (!cs) return fail(cs.error());
  c.category_systems_ = std::move(*cs);
  if (j.contains("default_system")) {
    auto ds = parse_key<VehicleSystem>(j.at("default_system"), origin + ": default_system");
    if (!ds) return fail(ds.error());
    c.default_system_ = *ds;
  }
  return c;
}

Classification Classifier::classify(const wire::Report& r) const {
  Classification out;
  const std::string lower = ascii_lower(r.text());
  const auto category = r.category();

  // Type: keyword hits per type, plus a weight for the driver's own category choice.
  std::map<CaseType, double> score;
  std::map<CaseType, std::string> first_hit;
  for (const auto& [type, kw] : types_) {
    for (const auto& w : kw.zh) {
      if (!w.empty() && lower.find(w) != std::string::npos) {
        score[type] += 1;
        first_hit.try_emplace(type, w);
      }
    }
    for (const auto& w : kw.en) {
      if (contains_word(lower, w)) {
        score[type] += 1;
        first_hit.try_emplace(type, w);
      }
    }
  }
  std::optional<CaseType> by_category;
  if (auto it = category_types_.find(category); it != category_types_.end()) {
    by_category = it->second;
    score[it->second] += category_weight_;
  }
  // A safety word ("smoke", "刹车失灵") is a fault of the car whatever button was pressed.
  const auto safety_hit = match(high_priority_, lower);
  if (safety_hit) score[CaseType::product_fault] += safety_weight_;
  if (r.source() == wire::SOURCE_TELEMATICS && !r.dtcs().empty()) {
    out.type = CaseType::product_fault;
    out.evidence.emplace_back("type:telematics_dtc");
  } else if (score.empty()) {
    out.type = CaseType::usage_experience;
    out.evidence.emplace_back("type:default");
  } else {
    auto best = std::max_element(score.begin(), score.end(), [&](const auto& a, const auto& b) {
      if (a.second != b.second) return a.second < b.second;
      return by_category && b.first == *by_category;  // ties go to the driver's category
    });
    out.type = best->first;
    if (auto hit = first_hit.find(out.type); hit != first_hit.end())
      out.evidence.push_back("type:keyword:" + hit->second);
    if (by_category && *by_category == out.type)
      out.evidence.push_back("type:category:" + std::string(to_string(category)));
  }

  // Priority: safety words or safety DTCs make it high; otherwise the type's default.
  if (safety_hit) {
    out.priority = Priority::high;
    out.evidence.push_back("priority:keyword:" + *safety_hit);
  } else {
    for (const auto& dtc : r.dtcs()) {
      auto it = std::find_if(high_priority_dtcs_.begin(), high_priority_dtcs_.end(),
                             [&](const std::string& p) { return dtc.starts_with(p); });
      if (it != high_priority_dtcs_.end()) {
        out.priority = Priority::high;
        out.evidence.push_back("priority:dtc:" + dtc);
        break;
      }
    }
    if (out.priority != Priority::high) {
      auto it = type_priority_.find(out.type);
      out.priority = it != type_priority_.end() ? it->second : Priority::medium;
      out.evidence.emplace_back("priority:type_default");
    }
  }

  // System: keywords, then DTCs, then the driver's category.
  std::optional<VehicleSystem> system;
  for (const auto& [candidate, kw] : systems_) {
    if (auto hit = match(kw, lower)) {
      system = candidate;
      out.evidence.push_back("system:keyword:" + *hit);
      break;
    }
  }
  for (const auto& dtc : r.dtcs()) {
    if (system) break;
    for (const auto& [prefix, candidate] : dtc_systems_) {
      if (dtc.starts_with(prefix)) {
        system = candidate;
        out.evidence.push_back("system:dtc:" + dtc);
        break;
      }
    }
  }
  if (!system) {
    if (auto it = category_systems_.find(category); it != category_systems_.end()) {
      system = it->second;
      out.evidence.push_back("system:category:" + std::string(to_string(category)));
    }
  }
  out.system = system.value_or(default_system_);
  return out;
}

// ---- Router ----

Result<Router> Router::load(const nlohmann::json& j, const std::string& origin) {
  if (auto r = config::expect_version(j, 1, origin); !r) return fail(r.error());
  Router router;
  auto teams = config::get<std::map<std::string, std::map<std::string, std::string>>>(j, "teams", origin);
  if (!teams) return fail(teams.error());
  for (const auto& [id, names] : *teams) {
    if (!is_vocabulary_key(id)) {
      return fail(ConfigErrc::invalid_value, origin + ": teams." + id + ": a team id is lowercase snake_case");
    }
    for (const char* language : {"en", "zh"}) {  // every text the driver sees exists in both
      if (auto it = names.find(language); it == names.end() || it->second.empty()) {
        return fail(ConfigErrc::invalid_value, origin + ": teams." + id + "." + language + ": missing name");
      }
    }
  }
  router.teams_ = std::move(*teams);

  auto rules = config::get<nlohmann::json>(j, "rules", origin);
  if (!rules) return fail(rules.error());
  if (!rules->is_array()) return fail(ConfigErrc::invalid_value, origin + ": rules: expected an array");
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const auto where = origin + ": rules[" + std::to_string(i) + "]";
    const auto& jr = (*rules)[i];
    auto when = config::get<nlohmann::json>(jr, "when", where);
    if (!when) return fail(when.error());
    if (!when->is_object()) return fail(ConfigErrc::invalid_value, where + ".when: expected an object");
    for (const auto& [key, value] : when->items()) {  // a misspelt condition would match anything
      if (key != "type" && key != "priority" && key != "system") {
        return fail(ConfigErrc::invalid_value, where + ".when." + key + ": unknown condition (type, priority, system)");
      }
    }
    Rule rule;
    if (when->contains("type")) {
      auto v = one_or_many<CaseType>(when->at("type"), where + ".when.type");
      if (!v) return fail(v.error());
      rule.types = std::move(*v);
    }
    if (when->contains("priority")) {
      auto v = one_or_many<Priority>(when->at("priority"), where + ".when.priority");
      if (!v) return fail(v.error());
      rule.priorities = std::move(*v);
    }
    if (when->contains("system")) {
      auto v = one_or_many<VehicleSystem>(when->at("system"), where + ".when.system");
      if (!v) return fail(v.error());
      rule.systems = std::move(*v);
    }
    auto team = config::get<std::string>(jr, "team", where);
    if (!team) return fail(team.error());
    if (!router.teams_.contains(*team))
      return fail(ConfigErrc::invalid_value, where + ": unknown team '" + *team + "'");
    rule.team = *team;
    router.rules_.push_back(std::move(rule));
  }
  auto def = config::get<std::string>(j, "default_team", origin);
  if (!def) return fail(def.error());
  if (!router.teams_.contains(*def))
    return fail(ConfigErrc::invalid_value, origin + ": default_team: unknown team '" + *def + "'");
  router.default_team_ = *def;

  auto hours = config::get<std::map<std::string, int>>(j, "first_reply_hours", origin);
  if (!hours) return fail(hours.error());
  for (const auto& [name, h] : *hours) {
    if (!parse<Priority>(name)) {
      return fail(ConfigErrc::invalid_value,
                  origin + ": first_reply_hours." + name + ": unknown priority '" + name + "'");
    }
  }
  for (const auto& [p, key] : vocabulary<Priority>()) {
    auto it = hours->find(std::string(key));
    if (it == hours->end() || it->second <= 0) {
      return fail(ConfigErrc::invalid_value, origin + ": first_reply_hours." + std::string(key) + " must be > 0");
    }
    router.first_reply_hours_[p] = it->second;
  }
  return router;
}

Route Router::route(const Classification& c) const {
  Route out;
  out.team = default_team_;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& r = rules_[i];
    const auto has = [](const auto& v, const auto& x) {
      return v.empty() || std::find(v.begin(), v.end(), x) != v.end();
    };
    if (has(r.types, c.type) && has(r.priorities, c.priority) && has(r.systems, c.system)) {
      out.team = r.team;
      out.rule_index = static_cast<int>(i);
      break;
    }
  }
  out.team_names = teams_.at(out.team);
  out.first_reply_hours = first_reply_hours_.at(c.priority);
  return out;
}

std::string Router::team_name(const std::string& team, const std::string& language) const {
  auto t = teams_.find(team);
  if (t == teams_.end()) return team;
  auto n = t->second.find(language);
  return n != t->second.end() ? n->second : team;
}

}  // namespace fb::backend
