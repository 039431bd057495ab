#include "fb/backend/triage.hpp"

#include <algorithm>

#include "fb/common/config.hpp"

namespace fb::backend {
namespace {

bool is_word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

template <typename T>
Result<std::vector<T>> one_or_many(const nlohmann::json& j, const std::string& where,
                                   std::optional<T> (*parse)(std::string_view)) {
  std::vector<T> out;
  const auto add = [&](const nlohmann::json& v) -> Result<void> {
    if (!v.is_string()) return fail(ConfigErrc::invalid_value, where + ": expected a string");
    auto p = parse(v.get<std::string>());
    if (!p) return fail(ConfigErrc::invalid_value, where + ": unknown value '" + v.get<std::string>() + "'");
    out.push_back(*p);
    return {};
  };
  if (j.is_array()) {
    for (const auto& v : j) if (auto r = add(v); !r) return fail(r.error());
  } else if (auto r = add(j); !r) {
    return fail(r.error());
  }
  return out;
}

std::optional<std::string> parse_any(std::string_view s) { return std::string(s); }

}  // namespace

std::string_view to_string(CaseType t) {
  switch (t) {
    case CaseType::product_fault: return "product_fault";
    case CaseType::usage_experience: return "usage_experience";
    case CaseType::service_complaint: return "service_complaint";
    case CaseType::suggestion: return "suggestion";
  }
  return "usage_experience";
}

std::string_view to_string(Priority p) {
  switch (p) {
    case Priority::high: return "high";
    case Priority::medium: return "medium";
    case Priority::low: return "low";
  }
  return "medium";
}

std::optional<CaseType> parse_case_type(std::string_view s) {
  for (auto t : {CaseType::product_fault, CaseType::usage_experience, CaseType::service_complaint, CaseType::suggestion}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

std::optional<Priority> parse_priority(std::string_view s) {
  for (auto p : {Priority::high, Priority::medium, Priority::low}) {
    if (to_string(p) == s) return p;
  }
  return std::nullopt;
}

std::string_view category_name(wire::Category c) {
  switch (c) {
    case wire::CATEGORY_NOISE: return "noise";
    case wire::CATEGORY_DRIVING_FEEL: return "driving_feel";
    case wire::CATEGORY_WARNING_LAMP: return "warning_lamp";
    case wire::CATEGORY_UI: return "ui";
    case wire::CATEGORY_SERVICE: return "service";
    case wire::CATEGORY_IDEA: return "idea";
    case wire::CATEGORY_OTHER: return "other";
    default: return "unspecified";
  }
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
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
  for (const auto& w : k.zh) if (!w.empty() && lower.find(w) != std::string_view::npos) return w;
  for (const auto& w : k.en) if (contains_word(lower, w)) return w;
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
  for (auto t : {CaseType::product_fault, CaseType::usage_experience, CaseType::service_complaint, CaseType::suggestion}) {
    const std::string name(to_string(t));
    if (!types->contains(name)) return fail(ConfigErrc::invalid_value, origin + ": types." + name + " missing");
    auto k = load_keywords(types->at(name), origin + ": types." + name);
    if (!k) return fail(k.error());
    c.types_.emplace_back(t, std::move(*k));
  }

  auto cat = config::get<std::map<std::string, std::string>>(j, "category_types", origin);
  if (!cat) return fail(cat.error());
  for (const auto& [category, type] : *cat) {
    auto t = parse_case_type(type);
    if (!t) return fail(ConfigErrc::invalid_value, origin + ": category_types." + category + ": unknown type '" + type + "'");
    c.category_types_[category] = *t;
  }

  auto tp = config::get<std::map<std::string, std::string>>(j, "type_priority", origin);
  if (!tp) return fail(tp.error());
  for (const auto& [type, prio] : *tp) {
    auto t = parse_case_type(type);
    auto p = parse_priority(prio);
    if (!t || !p) return fail(ConfigErrc::invalid_value, origin + ": type_priority." + type + ": '" + prio + "'");
    c.type_priority_[*t] = *p;
  }

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
    auto name = config::get<std::string>((*systems)[i], "system", where);
    if (!name) return fail(name.error());
    auto k = load_keywords((*systems)[i], where);
    if (!k) return fail(k.error());
    c.systems_.emplace_back(std::move(*name), std::move(*k));
  }
  auto dtc = config::get_or<nlohmann::json>(j, "dtc_systems", nlohmann::json::array(), origin);
  if (!dtc) return fail(dtc.error());
  if (!dtc->is_array()) return fail(ConfigErrc::invalid_value, origin + ": dtc_systems: expected an array");
  for (std::size_t i = 0; i < dtc->size(); ++i) {
    const auto where = origin + ": dtc_systems[" + std::to_string(i) + "]";
    auto prefix = config::get<std::string>((*dtc)[i], "prefix", where);
    auto system = config::get<std::string>((*dtc)[i], "system", where);
    if (!prefix) return fail(prefix.error());
    if (!system) return fail(system.error());
    c.dtc_systems_.emplace_back(std::move(*prefix), std::move(*system));
  }
  auto cs = config::get_or<std::map<std::string, std::string>>(j, "category_systems", {}, origin);
  if (!cs) return fail(cs.error());
  c.category_systems_.insert(cs->begin(), cs->end());
  auto ds = config::get_or<std::string>(j, "default_system", "unknown", origin);
  if (!ds) return fail(ds.error());
  c.default_system_ = *ds;
  return c;
}

Classification Classifier::classify(const wire::Report& r) const {
  Classification out;
  const std::string lower = ascii_lower(r.text());
  const auto category = category_name(r.category());

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
    out.evidence.push_back("type:telematics_dtc");
  } else if (score.empty()) {
    out.type = CaseType::usage_experience;
    out.evidence.push_back("type:default");
  } else {
    auto best = std::max_element(score.begin(), score.end(), [&](const auto& a, const auto& b) {
      if (a.second != b.second) return a.second < b.second;
      return by_category && b.first == *by_category;  // ties go to the driver's category
    });
    out.type = best->first;
    if (auto hit = first_hit.find(out.type); hit != first_hit.end()) out.evidence.push_back("type:keyword:" + hit->second);
    if (by_category && *by_category == out.type) out.evidence.push_back("type:category:" + std::string(category));
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
      out.evidence.push_back("priority:type_default");
    }
  }

  // System: keywords, then DTCs, then the driver's category.
  for (const auto& [system, kw] : systems_) {
    if (auto hit = match(kw, lower)) {
      out.system = system;
      out.evidence.push_back("system:keyword:" + *hit);
      break;
    }
  }
  if (out.system.empty()) {
    for (const auto& dtc : r.dtcs()) {
      for (const auto& [prefix, system] : dtc_systems_) {
        if (dtc.starts_with(prefix)) {
          out.system = system;
          out.evidence.push_back("system:dtc:" + dtc);
          break;
        }
      }
      if (!out.system.empty()) break;
    }
  }
  if (out.system.empty()) {
    if (auto it = category_systems_.find(category); it != category_systems_.end()) {
      out.system = it->second;
      out.evidence.push_back("system:category:" + std::string(category));
    } else {
      out.system = default_system_;
    }
  }
  return out;
}

// ---- Router ----

Result<Router> Router::load(const nlohmann::json& j, const std::string& origin) {
  if (auto r = config::expect_version(j, 1, origin); !r) return fail(r.error());
  Router router;
  auto teams = config::get<std::map<std::string, std::map<std::string, std::string>>>(j, "teams", origin);
  if (!teams) return fail(teams.error());
  router.teams_ = std::move(*teams);

  auto rules = config::get<nlohmann::json>(j, "rules", origin);
  if (!rules) return fail(rules.error());
  if (!rules->is_array()) return fail(ConfigErrc::invalid_value, origin + ": rules: expected an array");
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const auto where = origin + ": rules[" + std::to_string(i) + "]";
    const auto& jr = (*rules)[i];
    auto when = config::get<nlohmann::json>(jr, "when", where);
    if (!when) return fail(when.error());
    Rule rule;
    if (when->contains("type")) {
      auto v = one_or_many<CaseType>(when->at("type"), where + ".when.type", parse_case_type);
      if (!v) return fail(v.error());
      rule.types = std::move(*v);
    }
    if (when->contains("priority")) {
      auto v = one_or_many<Priority>(when->at("priority"), where + ".when.priority", parse_priority);
      if (!v) return fail(v.error());
      rule.priorities = std::move(*v);
    }
    if (when->contains("system")) {
      auto v = one_or_many<std::string>(when->at("system"), where + ".when.system", parse_any);
      if (!v) return fail(v.error());
      rule.systems = std::move(*v);
    }
    auto team = config::get<std::string>(jr, "team", where);
    if (!team) return fail(team.error());
    if (!router.teams_.contains(*team)) return fail(ConfigErrc::invalid_value, where + ": unknown team '" + *team + "'");
    rule.team = *team;
    router.rules_.push_back(std::move(rule));
  }
  auto def = config::get<std::string>(j, "default_team", origin);
  if (!def) return fail(def.error());
  if (!router.teams_.contains(*def)) return fail(ConfigErrc::invalid_value, origin + ": default_team: unknown team '" + *def + "'");
  router.default_team_ = *def;

  auto hours = config::get<std::map<std::string, int>>(j, "first_reply_hours", origin);
  if (!hours) return fail(hours.error());
  for (auto p : {Priority::high, Priority::medium, Priority::low}) {
    auto it = hours->find(std::string(to_string(p)));
    if (it == hours->end() || it->second <= 0) {
      return fail(ConfigErrc::invalid_value, origin + ": first_reply_hours." + std::string(to_string(p)) + " must be > 0");
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
    const auto has = [](const auto& v, const auto& x) { return v.empty() || std::find(v.begin(), v.end(), x) != v.end(); };
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

}  // namespace fb::backend
