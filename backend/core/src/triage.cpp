#include "fb/backend/triage.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <tuple>

#include "fb/common/config.hpp"
#include "fb/common/series_codec.hpp"
#include "text_classes.hpp"

namespace fb::backend {
namespace {

using detail::is_service_system;
using detail::vocabulary_index;

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

// ---- Classifier ----

namespace {

constexpr std::size_t kMaxPhraseTokens = 8;

/// Softmax probability of `best` among the classes [first, first + count) that `allowed` admits.
template <typename Allowed>
double probability(const std::array<double, kModelClasses>& s, std::size_t first, std::size_t count, std::size_t best,
                   double scale, Allowed allowed) {
  double sum = 0;
  for (std::size_t i = 0; i < count; ++i)
    if (allowed(i)) sum += std::exp(scale * (s[first + i] - s[first + best]));
  return sum > 0 ? 1.0 / sum : 1.0;
}

Result<double> number_in(const nlohmann::json& j, const std::string& key, double fallback, double lo, double hi,
                         const std::string& origin) {
  auto v = config::get_or<double>(j, key, fallback, origin);
  if (!v) return fail(v.error());
  if (!(*v >= lo && *v <= hi)) {
    return fail(ConfigErrc::invalid_value, origin + ": " + key + ": " + std::to_string(*v) + " outside [" +
                                               std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return *v;
}

}  // namespace

void Classifier::add_phrase(int group, int label, const std::string& phrase) {
  std::vector<Token> tokens;
  tokenize(phrase, tokens);
  std::uint64_t h = 0;
  entries_.push_back(Entry{group, label, phrase});
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    h = i == 0 ? tokens[0].hash : combine_token_hash(h, tokens[i].hash);
    prefixes_[h] += 1;
  }
  phrases_[h].push_back(static_cast<int>(entries_.size() - 1));
}

Result<Classifier> Classifier::load(const nlohmann::json& j, const std::string& origin) {
  if (auto r = config::expect_version(j, 2, origin); !r) return fail(r.error());
  // A misspelt key would drop its rules in silence ("high_priority_system": brakes no longer high).
  if (auto k = config::unknown_key(j, {"version", "comment", "model", "confidence_threshold", "confidence_scale",
                                       "rule_weight", "category_weight", "dtc_weight", "model_high_priority", "lexicon",
                                       "dtc_systems", "safety_dtcs", "category_types", "category_systems",
                                       "type_priority", "high_priority_systems"})) {
    return fail(ConfigErrc::invalid_value, origin + ": unknown key '" + *k + "'");
  }
  Classifier c;
  for (auto [field, key, lo, hi, fallback] :
       {std::tuple{&c.rule_weight_, "rule_weight", 0.0, 100.0, 1.0},
        std::tuple{&c.category_weight_, "category_weight", 0.0, 100.0, 1.5},
        std::tuple{&c.dtc_weight_, "dtc_weight", 0.0, 100.0, 2.0},
        std::tuple{&c.confidence_scale_, "confidence_scale", 0.001, 1000.0, 1.0},
        std::tuple{&c.confidence_threshold_, "confidence_threshold", 0.0, 1.0, 0.5},
        std::tuple{&c.model_high_priority_, "model_high_priority", 0.0, 1.0, 0.5}}) {
    auto v = number_in(j, key, fallback, lo, hi, origin);
    if (!v) return fail(v.error());
    *field = *v;
  }

  auto lexicon = config::get<nlohmann::json>(j, "lexicon", origin);
  if (!lexicon) return fail(lexicon.error());
  if (!lexicon->is_object()) return fail(ConfigErrc::invalid_value, origin + ": lexicon: expected an object");
  const auto phrases = [&](const nlohmann::json& node, const std::string& where, int group, int label) -> Result<void> {
    if (!node.is_object()) return fail(ConfigErrc::invalid_value, where + ": expected an object with zh and en");
    for (const auto& [lang, list] : node.items()) {
      if (lang == "comment") continue;
      if (lang != "zh" && lang != "en")
        return fail(ConfigErrc::invalid_value, where + "." + lang + ": unknown language (zh, en)");
      if (!list.is_array()) return fail(ConfigErrc::invalid_value, where + "." + lang + ": expected an array");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const auto at = where + "." + lang + "[" + std::to_string(i) + "]";
        if (!list[i].is_string()) return fail(ConfigErrc::invalid_value, at + ": expected a string");
        const auto phrase = list[i].get<std::string>();
        std::vector<Token> tokens;
        tokenize(phrase, tokens);
        if (tokens.empty() || tokens.size() > kMaxPhraseTokens)
          return fail(ConfigErrc::invalid_value, at + ": '" + phrase + "' must have 1 to " +
                                                     std::to_string(kMaxPhraseTokens) + " words or characters");
        for (std::size_t k = 1; k < tokens.size(); ++k)
          if (!tokens[k].joined) return fail(ConfigErrc::invalid_value, at + ": '" + phrase + "' contains punctuation");
        c.add_phrase(group, label, phrase);
      }
    }
    return {};
  };
  const auto labelled_group = [&]<HasVocabulary E>(const char* key, int group, bool every) -> Result<void> {
    const auto where = origin + ": lexicon." + key;
    if (!lexicon->contains(key)) return fail(ConfigErrc::invalid_value, where + " missing");
    const auto& node = lexicon->at(key);
    if (!node.is_object()) return fail(ConfigErrc::invalid_value, where + ": expected an object");
    for (const auto& [name, value] : node.items()) {
      auto v = parse<E>(name);
      if (!v)
        return fail(ConfigErrc::invalid_value,
                    where + "." + name + ": unknown " + std::string(Vocabulary<E>::name) + " '" + name + "'");
      if (auto r = phrases(value, where + "." + name, group, static_cast<int>(vocabulary_index(*v))); !r) return r;
    }
    if (every) {
      for (const auto& e : vocabulary<E>())
        if (!node.contains(std::string(e.key)))
          return fail(ConfigErrc::invalid_value, where + "." + std::string(e.key) + " missing");
    }
    return {};
  };
  if (auto r = labelled_group.template operator()<CaseType>("types", kTypeGroup, true); !r) return fail(r.error());
  if (auto r = labelled_group.template operator()<VehicleSystem>("systems", kSystemGroup, false); !r)
    return fail(r.error());
  for (auto [key, group] : {std::pair{"safety", kSafetyGroup}, std::pair{"warning_lamp", kLampGroup}}) {
    if (!lexicon->contains(key)) return fail(ConfigErrc::invalid_value, origin + ": lexicon." + key + " missing");
    if (auto r = phrases(lexicon->at(key), origin + ": lexicon." + key, group, -1); !r) return fail(r.error());
  }
  for (const auto& [key, value] : lexicon->items()) {
    if (key != "types" && key != "systems" && key != "safety" && key != "warning_lamp" && key != "comment")
      return fail(ConfigErrc::invalid_value,
                  origin + ": lexicon." + key + ": unknown group (types, systems, safety, warning_lamp)");
  }

  auto dtc = config::get_or<nlohmann::json>(j, "dtc_systems", nlohmann::json::array(), origin);
  if (!dtc) return fail(dtc.error());
  if (!dtc->is_array()) return fail(ConfigErrc::invalid_value, origin + ": dtc_systems: expected an array");
  for (std::size_t i = 0; i < dtc->size(); ++i) {
    const auto where = origin + ": dtc_systems[" + std::to_string(i) + "]";
    auto prefix = config::get<std::string>((*dtc)[i], "prefix", where);
    if (!prefix) return fail(prefix.error());
    if (prefix->empty()) return fail(ConfigErrc::invalid_value, where + ".prefix: empty");
    auto name = config::get<nlohmann::json>((*dtc)[i], "system", where);
    if (!name) return fail(name.error());
    auto system = parse_key<VehicleSystem>(*name, where + ".system");
    if (!system) return fail(system.error());
    c.dtc_systems_.emplace_back(std::move(*prefix), *system);
  }
  // Longest prefix first, so that "P0A" (traction battery) wins over "P0" (engine).
  std::stable_sort(c.dtc_systems_.begin(), c.dtc_systems_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  auto sd = config::get_or<std::vector<std::string>>(j, "safety_dtcs", {}, origin);
  if (!sd) return fail(sd.error());
  for (std::size_t i = 0; i < sd->size(); ++i) {
    // DTCs arrive upper case (codec.cpp): "" would make every coded report high, "c0035" none.
    const auto& d = (*sd)[i];
    const bool ok = !d.empty() && std::string_view("PCBU").find(d.front()) != std::string_view::npos &&
                    std::all_of(d.begin(), d.end(), [](char ch) {
                      return std::isdigit(static_cast<unsigned char>(ch)) || (ch >= 'A' && ch <= 'Z') || ch == '-';
                    });
    if (!ok) {
      return fail(ConfigErrc::invalid_value, origin + ": safety_dtcs[" + std::to_string(i) + "]: '" + d +
                                                 "' is not a DTC or prefix in capitals (P, C, B or U first)");
    }
  }
  c.safety_dtcs_ = std::move(*sd);

  auto cat = key_map<wire::Category, CaseType>(j, "category_types", origin, true);
  if (!cat) return fail(cat.error());
  c.category_types_ = std::move(*cat);
  auto cs = key_map<wire::Category, VehicleSystem>(j, "category_systems", origin, false);
  if (!cs) return fail(cs.error());
  c.category_systems_ = std::move(*cs);
  auto tp = key_map<CaseType, Priority>(j, "type_priority", origin, true);
  if (!tp) return fail(tp.error());
  c.type_priority_ = std::move(*tp);
  if (j.contains("high_priority_systems")) {
    auto hs = one_or_many<VehicleSystem>(j.at("high_priority_systems"), origin + ": high_priority_systems");
    if (!hs) return fail(hs.error());
    c.high_priority_systems_ = std::move(*hs);
  }

  if (j.contains("model")) {
    if (!j.at("model").is_string()) return fail(ConfigErrc::invalid_value, origin + ": model: expected a file name");
    const auto path = std::filesystem::path(origin).parent_path() / j.at("model").get<std::string>();
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ConfigErrc::file_not_found, origin + ": model: " + path.string());
    std::stringstream text;
    text << in.rdbuf();
    auto model = LinearModel::parse(text.str(), path.string());
    if (!model) return fail(model.error());
    c.model_ = std::make_shared<const LinearModel>(std::move(*model));
  }
  return c;
}

Classifier Classifier::with_model(LinearModel model) const {
  Classifier c = *this;
  c.model_ = std::make_shared<const LinearModel>(std::move(model));
  return c;
}

void Classifier::features(const wire::Report& r, ReportFeatures& out) const {
  thread_local std::vector<Token> tokens;
  tokens.clear();
  out.features.clear();
  out.lexicon_hits.clear();
  out.dtc_systems.clear();
  out.safety_dtc.reset();
  std::string folded;
  out.text.assign(width_folded(r.text(), folded));  // the buffer of the last report is reused
  const std::string_view text = out.text;
  tokenize(text, tokens);

  std::size_t cjk = 0;
  for (const auto& t : tokens) cjk += t.cjk ? 1 : 0;
  const std::string_view lang = r.language();
  out.zh = lang.starts_with("zh") ? true : lang.starts_with("en") ? false : 10 * cjk > 3 * tokens.size();

  const auto add = [&](char kind, std::uint64_t h, ReportFeatures::Origin origin) {
    origin.kind = kind;
    out.features.emplace_back(feature_id(kind, h), origin);
  };
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    add('U', t.hash, {'U', t.begin, t.end, {}});
    if (i + 1 < tokens.size() && tokens[i + 1].joined) {
      add('B', combine_token_hash(t.hash, tokens[i + 1].hash), {'B', t.begin, tokens[i + 1].end, {}});
      if (t.cjk && tokens[i + 1].cjk && i + 2 < tokens.size() && tokens[i + 2].joined && tokens[i + 2].cjk) {
        add('T', combine_token_hash(combine_token_hash(t.hash, tokens[i + 1].hash), tokens[i + 2].hash),
            {'T', t.begin, tokens[i + 2].end, {}});
      }
    }
    // Lexicon phrases starting here: extend while some phrase has this prefix.
    std::uint64_t h = t.hash;
    for (std::size_t n = 1; n <= kMaxPhraseTokens && i + n <= tokens.size(); ++n) {
      if (n > 1) {
        if (!tokens[i + n - 1].joined) break;
        h = combine_token_hash(h, tokens[i + n - 1].hash);
      }
      if (!prefixes_.contains(h)) break;
      if (auto it = phrases_.find(h); it != phrases_.end()) {
        for (int e : it->second) {
          const auto& entry = entries_[static_cast<std::size_t>(e)];
          out.lexicon_hits.push_back({entry.group, entry.label, entry.phrase});
        }
      }
    }
  }
  for (const auto& hit : out.lexicon_hits) {
    const std::string_view name = hit.group == kTypeGroup
                                      ? vocabulary<CaseType>()[static_cast<std::size_t>(hit.label)].key
                                  : hit.group == kSystemGroup
                                      ? vocabulary<VehicleSystem>()[static_cast<std::size_t>(hit.label)].key
                                  : hit.group == kSafetyGroup ? std::string_view("safety")
                                                              : std::string_view("warning_lamp");
    add('L', hash_bytes(name) + static_cast<std::uint64_t>(hit.group), {'L', 0, 0, name});
  }
  if (r.category() != wire::CATEGORY_UNSPECIFIED) {
    const auto name = to_string(r.category());
    add('C', hash_bytes(name), {'C', 0, 0, name});
  }
  for (const auto& dtc : r.dtcs()) {
    const std::string_view code = dtc;
    add('D', hash_bytes(code.substr(0, 3)), {'D', 0, 0, code});
    for (const auto& [prefix, system] : dtc_systems_) {
      if (code.starts_with(prefix)) {
        out.dtc_systems.emplace_back(code, system);
        const auto name = to_string(system);
        add('S', hash_bytes(name), {'S', 0, 0, name});
        break;
      }
    }
    if (!out.safety_dtc) {
      for (const auto& p : safety_dtcs_)
        if (code.starts_with(p)) out.safety_dtc = code;
    }
  }
  out.moving = false;
  for (const auto& s : r.snapshot().signals()) {
    if (s.path() != "Vehicle.Speed") continue;
    // Either wire form; ingest has checked the series, an unreadable one says nothing.
    if (auto points = series::decode(s)) {
      for (const auto& p : *points)
        if (p.value > 0) out.moving = true;
    }
  }
  if (out.moving) add('M', 1, {'M', 0, 0, "moving"});
  add('Z', out.zh ? 1 : 2, {'Z', 0, 0, out.zh ? "zh" : "en"});
  add('0', 0, {'0', 0, 0, "bias"});
  std::sort(out.features.begin(), out.features.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out.features.erase(std::unique(out.features.begin(), out.features.end(),
                                 [](const auto& a, const auto& b) { return a.first == b.first; }),
                     out.features.end());
}

Classification Classifier::classify(const wire::Report& r) const {
  thread_local ReportFeatures f;
  features(r, f);
  Classification out;
  std::array<double, kModelClasses> s{};
  if (model_) {
    for (const auto& [id, origin] : f.features) {
      if (const auto* w = model_->find(id))
        for (std::size_t k = 0; k < kModelClasses; ++k) s[k] += (*w)[k];
    }
  }
  const auto category = r.category();
  std::array<std::optional<std::string_view>, kTypeClasses> type_hit;
  std::array<std::optional<std::string_view>, kSystemClasses> system_hit;
  std::optional<std::string_view> safety_hit, lamp_hit;
  for (const auto& hit : f.lexicon_hits) {
    const auto label = static_cast<std::size_t>(hit.label);
    if (hit.group == kTypeGroup) {
      s[kTypeOffset + label] += rule_weight_;
      if (!type_hit[label] || hit.phrase.size() > type_hit[label]->size()) type_hit[label] = hit.phrase;
    } else if (hit.group == kSystemGroup) {
      s[kSystemOffset + label] += rule_weight_;
      if (!system_hit[label] || hit.phrase.size() > system_hit[label]->size()) system_hit[label] = hit.phrase;
    } else if (hit.group == kSafetyGroup) {
      if (!safety_hit) safety_hit = hit.phrase;
    } else if (!lamp_hit) {
      lamp_hit = hit.phrase;
    }
  }
  std::optional<CaseType> by_category;
  if (auto it = category_types_.find(category); it != category_types_.end()) {
    by_category = it->second;
    s[kTypeOffset + vocabulary_index(it->second)] += category_weight_;
  }
  if (auto it = category_systems_.find(category); it != category_systems_.end()) {
    // A category newer than the model (the dashboard's brakes and climate) has no weight in it,
    // and the model's prior for an empty text outweighs the rule: the driver's choice then names
    // the system outright, unless the text's words or a DTC name one.
    const bool model_knows = !model_ || std::any_of(f.features.begin(), f.features.end(), [&](const auto& x) {
      return x.second.kind == 'C' && model_->find(x.first) != nullptr;
    });
    const bool named = !f.dtc_systems.empty() ||
                       std::any_of(system_hit.begin(), system_hit.end(), [](const auto& h) { return h.has_value(); });
    auto& score = s[kSystemOffset + vocabulary_index(it->second)];
    if (model_knows || named) {
      score += category_weight_ / 2;
    } else {
      score = *std::max_element(s.begin() + kSystemOffset, s.begin() + kSystemOffset + kSystemClasses) + 1.0;
    }
  }
  for (const auto& [code, system] : f.dtc_systems) s[kSystemOffset + vocabulary_index(system)] += dtc_weight_;

  // Type.
  std::size_t type = 0;
  for (std::size_t i = 1; i < kTypeClasses; ++i)
    if (s[kTypeOffset + i] > s[kTypeOffset + type]) type = i;
  const bool any_type_signal = model_ || std::any_of(s.begin() + kTypeOffset, s.begin() + kTypeOffset + kTypeClasses,
                                                     [](double v) { return v != 0; });
  double type_p = 1.0;
  if (r.source() == wire::SOURCE_TELEMATICS && !r.dtcs().empty()) {
    type = vocabulary_index(CaseType::product_fault);
    out.evidence.emplace_back("type:telematics_dtc");
  } else if (!any_type_signal) {
    type = vocabulary_index(CaseType::usage_experience);
    out.evidence.emplace_back("type:default");
    type_p = 0;
  } else {
    type_p = probability(s, kTypeOffset, kTypeClasses, type, confidence_scale_, [](std::size_t) { return true; });
    if (type_hit[type]) out.evidence.push_back("type:lexicon:" + std::string(*type_hit[type]));
    if (by_category && vocabulary_index(*by_category) == type)
      out.evidence.push_back("type:category:" + std::string(to_string(category)));
  }
  out.type = vocabulary<CaseType>()[type].value;

  // System, among the service's parts for a service complaint, among the car's otherwise.
  const bool service = out.type == CaseType::service_complaint;
  const auto allowed = [&](std::size_t i) {
    return is_service_system(vocabulary<VehicleSystem>()[i].value) == service;
  };
  std::size_t system = vocabulary_index(service ? VehicleSystem::service : VehicleSystem::other);
  for (std::size_t i = 0; i < kSystemClasses; ++i) {
    if (allowed(i) && s[kSystemOffset + i] > s[kSystemOffset + system]) system = i;
  }
  double system_p = 0;
  if (!model_ && s[kSystemOffset + system] <= 0) {
    out.system = vocabulary<VehicleSystem>()[system].value;
    out.evidence.emplace_back("system:default");
  } else {
    out.system = vocabulary<VehicleSystem>()[system].value;
    system_p = probability(s, kSystemOffset, kSystemClasses, system, confidence_scale_, allowed);
    if (system_hit[system]) out.evidence.push_back("system:lexicon:" + std::string(*system_hit[system]));
    for (const auto& [code, sys] : f.dtc_systems)
      if (sys == out.system) out.evidence.push_back("system:dtc:" + std::string(code));
  }

  // What the model's features said for the chosen type and system (the strongest two each).
  if (model_) {
    const auto top = [&](std::size_t cls, const char* what) {
      std::pair<float, const ReportFeatures::Origin*> best[2]{{0.f, nullptr}, {0.f, nullptr}};
      for (const auto& [id, origin] : f.features) {
        const auto* w = model_->find(id);
        if (!w || (*w)[cls] <= best[1].first) continue;
        best[1] = {(*w)[cls], &origin};
        if (best[1].first > best[0].first) std::swap(best[0], best[1]);
      }
      for (const auto& [w, origin] : best) {
        if (!origin) continue;
        const std::string name = origin->name.empty()
                                     ? ascii_lower(
                                           std::string_view(f.text).substr(origin->begin, origin->end - origin->begin))
                                     : std::string(1, origin->kind) + ":" + std::string(origin->name);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%+.2f", static_cast<double>(w));
        out.evidence.push_back(std::string(what) + ":model:" + name + buf);
      }
    };
    top(kTypeOffset + type, "type");
    top(kSystemOffset + system, "system");
  }

  // Priority: safety and usability first, then the model, then the type's default.
  const bool lamp = category == wire::CATEGORY_WARNING_LAMP || lamp_hit || !r.dtcs().empty();
  const double model_high = model_ ? probability(s, kPriorityOffset, kPriorityClasses, vocabulary_index(Priority::high),
                                                 confidence_scale_, [](std::size_t) { return true; })
                                   : 0.0;
  const bool fault = out.type == CaseType::product_fault;
  if (safety_hit) {
    out.priority = Priority::high;
    out.safety = true;
    out.evidence.push_back("priority:safety:" + std::string(*safety_hit));
  } else if (f.safety_dtc) {
    out.priority = Priority::high;
    out.safety = true;
    out.evidence.push_back("priority:dtc:" + std::string(*f.safety_dtc));
  } else if (fault && lamp && f.moving) {
    out.priority = Priority::high;
    out.evidence.emplace_back("priority:warning_lamp_while_moving");
  } else if (fault && std::find(high_priority_systems_.begin(), high_priority_systems_.end(), out.system) !=
                          high_priority_systems_.end()) {
    out.priority = Priority::high;
    out.evidence.push_back("priority:system:" + std::string(to_string(out.system)));
  } else if (fault && model_ && model_high >= model_high_priority_) {
    out.priority = Priority::high;
    char buf[48];
    std::snprintf(buf, sizeof buf, "priority:model:%.2f", model_high);
    out.evidence.emplace_back(buf);
  } else {
    auto it = type_priority_.find(out.type);
    out.priority = it != type_priority_.end() ? it->second : Priority::medium;
    out.evidence.emplace_back("priority:type_default");
  }

  out.confidence = std::clamp(std::min(type_p, system_p), 0.0, 1.0);
  out.needs_human_triage = out.confidence < confidence_threshold_;
  if (out.needs_human_triage) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "confidence:%.2f<%.2f:needs_human_triage", out.confidence, confidence_threshold_);
    out.evidence.emplace_back(buf);
  }
  return out;
}

}  // namespace fb::backend
