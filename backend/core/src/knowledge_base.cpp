#include "fb/backend/knowledge_base.hpp"

#include <algorithm>
#include <set>

#include "fb/backend/triage.hpp"
#include "fb/backend/triage_model.hpp"
#include "fb/common/config.hpp"

namespace fb::backend {
namespace {

// Evidence weights: a DTC is stronger evidence than a word; a narrower scope is more specific.
constexpr double kKeywordWeight = 1.0;
constexpr double kExactDtcWeight = 3.0;
constexpr double kDtcPrefixWeight = 2.0;
constexpr double kSystemWeight = 1.0;
constexpr double kModelScopeWeight = 0.5;
constexpr double kVersionBoundWeight = 0.25;  // per bound (min, max)

bool is_word_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/// True when `word` (lowercase) occurs in `lower` at a word start and ends at a word end,
/// allowing the suffixes s, es, d, ed, ing ("screen freezes" matches "screen freeze").
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

bool valid_article_id(std::string_view id) {
  if (id.empty() || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9'))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

bool is_zh(std::string_view language) {
  const auto lower = ascii_lower(language);
  return lower == "zh" || lower.starts_with("zh-") || lower.starts_with("zh_");
}

/// Loader for one article; every error names the file and the article.
class ArticleReader {
 public:
  ArticleReader(const std::string& origin, const nlohmann::json& j, std::size_t index)
      : j_(j),
        where_(origin + ": article #" + std::to_string(index + 1)) {}

  void named(const std::string& origin, const std::string& id) { where_ = origin + ": article '" + id + "'"; }
  std::unexpected<Error> error(const std::string& problem) const {
    return fail(ConfigErrc::invalid_value, where_ + ": " + problem);
  }

  Result<void> only_keys(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed,
                         const std::string& path) const {
    if (auto key = config::unknown_key(obj, allowed)) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return error("unknown key '" + path + *key + "' (" + list + ")");
    }
    return {};
  }

  Result<std::vector<std::string>> strings(const nlohmann::json& obj, const std::string& key,
                                           const std::string& path) const {
    std::vector<std::string> out;
    if (!obj.contains(key)) return out;
    const auto& v = obj.at(key);
    if (!v.is_array()) return error(path + key + ": expected an array of strings");
    for (const auto& s : v) {
      if (!s.is_string() || s.get<std::string>().empty()) return error(path + key + ": expected non-empty strings");
      out.push_back(s.get<std::string>());
    }
    return out;
  }

  /// {"zh": "...", "en": "..."}, both required and non-empty.
  Result<std::pair<std::string, std::string>> bilingual(const std::string& key) const {
    if (!j_.contains(key)) return error("missing '" + key + "'");
    const auto& v = j_.at(key);
    if (!v.is_object()) return error(key + ": expected {\"zh\": ..., \"en\": ...}");
    if (auto r = only_keys(v, {"zh", "en"}, key + "."); !r) return fail(r.error());
    std::pair<std::string, std::string> out;
    for (auto [language, target] : {std::pair{"zh", &out.first}, std::pair{"en", &out.second}}) {
      if (!v.contains(language) || !v.at(language).is_string() || v.at(language).get<std::string>().empty())
        return error(key + "." + language + ": missing text");
      *target = v.at(language).get<std::string>();
    }
    return out;
  }

  const nlohmann::json& json() const { return j_; }

 private:
  const nlohmann::json& j_;
  std::string where_;
};

}  // namespace

std::optional<std::vector<unsigned>> parse_version(std::string_view text) {
  std::vector<unsigned> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = text.find('.', start);
    const auto part = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || part.size() > 9) return std::nullopt;
    unsigned n = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    parts.push_back(n);
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

int compare_versions(const std::vector<unsigned>& a, const std::vector<unsigned>& b) {
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const unsigned x = i < a.size() ? a[i] : 0;
    const unsigned y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

Result<KnowledgeBase> KnowledgeBase::load(const nlohmann::json& doc, const std::string& origin) {
  if (auto r = config::expect_version(doc, 1, origin); !r) return fail(r.error());
  if (!doc.contains("articles") || !doc.at("articles").is_array())
    return fail(ConfigErrc::invalid_value, origin + ": 'articles' must be an array");
  KnowledgeBase kb;
  std::set<std::string> ids;
  const auto& articles = doc.at("articles");
  for (std::size_t i = 0; i < articles.size(); ++i) {
    ArticleReader in(origin, articles[i], i);
    const auto& j = articles[i];
    if (!j.is_object()) return in.error("expected an object");
    if (!j.contains("id") || !j.at("id").is_string()) return in.error("missing 'id'");
    Article a;
    a.id = j.at("id").get<std::string>();
    if (!valid_article_id(a.id)) return in.error("id '" + a.id + "' is not lowercase [a-z0-9_.-]");
    in.named(origin, a.id);
    if (!ids.insert(a.id).second) return in.error("duplicate id");
    // An unknown key is most likely a misspelt scope ("modles"), which would widen the article.
    if (auto r = in.only_keys(j, {"id", "comment", "symptoms", "unless", "models", "software", "answer", "workaround"},
                              "");
        !r)
      return fail(r.error());

    if (!j.contains("symptoms") || !j.at("symptoms").is_object()) return in.error("missing 'symptoms' object");
    const auto& s = j.at("symptoms");
    if (auto r = in.only_keys(s, {"zh", "en", "dtcs", "systems"}, "symptoms."); !r) return fail(r.error());
    auto zh = in.strings(s, "zh", "symptoms.");
    if (!zh) return fail(zh.error());
    auto en = in.strings(s, "en", "symptoms.");
    if (!en) return fail(en.error());
    auto dtcs = in.strings(s, "dtcs", "symptoms.");
    if (!dtcs) return fail(dtcs.error());
    auto systems = in.strings(s, "systems", "symptoms.");
    if (!systems) return fail(systems.error());
    for (const auto& w : *zh) a.keywords_zh.push_back(ascii_lower(w));
    for (const auto& w : *en) a.keywords_en.push_back(ascii_lower(w));
    for (const auto& d : *dtcs) {
      const auto body = d.ends_with('*') ? std::string_view(d).substr(0, d.size() - 1) : std::string_view(d);
      if (body.empty() || !std::all_of(body.begin(), body.end(),
                                       [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }))
        return in.error("symptoms.dtcs: '" + d + "' is not a DTC (e.g. U0184) or a prefix (e.g. P07*)");
      a.dtcs.push_back(d);
    }
    for (const auto& name : *systems) {
      auto v = parse<VehicleSystem>(name);
      if (!v) return in.error("symptoms.systems: unknown vehicle system '" + name + "'");
      a.systems.push_back(*v);
    }
    if (a.keywords_zh.empty() && a.keywords_en.empty() && a.dtcs.empty())
      return in.error("symptoms: needs keywords (zh, en) or dtcs; a system alone matches too much");
    if (a.keywords_zh.empty() != a.keywords_en.empty())
      return in.error("symptoms: keywords in one language only; drivers write both");

    if (j.contains("unless")) {
      const auto& u = j.at("unless");
      if (!u.is_object()) return in.error("unless: expected {\"zh\": [...], \"en\": [...]}");
      if (auto r = in.only_keys(u, {"zh", "en"}, "unless."); !r) return fail(r.error());
      auto uzh = in.strings(u, "zh", "unless.");
      if (!uzh) return fail(uzh.error());
      auto uen = in.strings(u, "en", "unless.");
      if (!uen) return fail(uen.error());
      for (const auto& w : *uzh) a.unless_zh.push_back(ascii_lower(w));
      for (const auto& w : *uen) a.unless_en.push_back(ascii_lower(w));
    }

    auto models = in.strings(j, "models", "");
    if (!models) return fail(models.error());
    for (const auto& m : *models) a.models.push_back(ascii_lower(m));

    if (j.contains("software")) {
      const auto& sw = j.at("software");
      if (!sw.is_object()) return in.error("software: expected {\"min\": \"2.0\", \"max\": \"2.4.0\"}");
      if (auto r = in.only_keys(sw, {"min", "max"}, "software."); !r) return fail(r.error());
      for (auto [key, text, parsed] :
           {std::tuple{"min", &a.min_text, &a.min_version}, std::tuple{"max", &a.max_text, &a.max_version}}) {
        if (!sw.contains(key)) continue;
        if (!sw.at(key).is_string()) return in.error(std::string("software.") + key + ": expected a string");
        *text = sw.at(key).get<std::string>();
        *parsed = parse_version(*text);
        if (!*parsed) return in.error(std::string("software.") + key + ": '" + *text + "' is not a dotted version");
      }
      if (a.min_version && a.max_version && compare_versions(*a.min_version, *a.max_version) > 0)
        return in.error("software: min " + a.min_text + " is above max " + a.max_text);
    }

    auto answer = in.bilingual("answer");
    if (!answer) return fail(answer.error());
    a.answer = {answer->first, answer->second};
    if (j.contains("workaround")) {
      auto w = in.bilingual("workaround");
      if (!w) return fail(w.error());
      a.workaround = {w->first, w->second};
    }
    kb.articles_.push_back(std::move(a));
  }
  return kb;
}

Result<KnowledgeBase> KnowledgeBase::load_file(const std::filesystem::path& path) {
  auto doc = config::load_json(path);
  if (!doc) return fail(doc.error());
  return load(*doc, path.string());
}

std::optional<KnowledgeMatch> KnowledgeBase::match(const KnowledgeQuery& q) const {
  std::string folded;
  const std::string lower = ascii_lower(width_folded(q.text, folded));
  const std::string model = ascii_lower(q.model);
  const auto version = parse_version(q.software_version);

  const Article* best = nullptr;
  double best_score = 0;
  int best_scope = 0;
  std::string best_why;
  for (const auto& a : articles_) {
    // Scope first: an answer for another model or software version is a wrong answer.
    const auto excluded = std::any_of(a.unless_zh.begin(), a.unless_zh.end(),
                                      [&](const std::string& w) { return lower.find(w) != std::string::npos; }) ||
                          std::any_of(a.unless_en.begin(), a.unless_en.end(),
                                      [&](const std::string& w) { return contains_word(lower, w); });
    if (excluded) continue;
    std::string why;
    double score = 0;
    int scope = 0;
    if (!a.models.empty()) {
      if (std::find(a.models.begin(), a.models.end(), model) == a.models.end()) continue;
      score += kModelScopeWeight;
      ++scope;
      why += "; model:" + std::string(q.model);
    }
    if (a.min_version || a.max_version) {
      if (!version) continue;
      if (a.min_version && compare_versions(*version, *a.min_version) < 0) continue;
      if (a.max_version && compare_versions(*version, *a.max_version) > 0) continue;
      why += "; software:" + std::string(q.software_version) + " in [" + (a.min_text.empty() ? "*" : a.min_text) +
             ", " + (a.max_text.empty() ? "*" : a.max_text) + "]";
      for (const auto& bound : {a.min_version, a.max_version}) {
        if (bound) {
          score += kVersionBoundWeight;
          ++scope;
        }
      }
    }

    double evidence = 0;
    std::string seen;
    for (const auto& w : a.keywords_zh) {
      if (lower.find(w) != std::string::npos) {
        evidence += kKeywordWeight;
        seen += "; keyword:" + w;
      }
    }
    for (const auto& w : a.keywords_en) {
      if (contains_word(lower, w)) {
        evidence += kKeywordWeight;
        seen += "; keyword:" + w;
      }
    }
    for (const auto& pattern : a.dtcs) {
      const bool prefix = pattern.ends_with('*');
      const auto body = std::string_view(pattern).substr(0, pattern.size() - (prefix ? 1 : 0));
      // A code with its failure-type suffix ("U0198-87", docs/protocol.md) is that code: an exact
      // article code names it whatever the suffix.
      auto hit = std::find_if(q.dtcs.begin(), q.dtcs.end(), [&](const std::string& d) {
        return prefix ? d.starts_with(body) : std::string_view(d).substr(0, d.find('-')) == body;
      });
      if (hit != q.dtcs.end()) {
        evidence += prefix ? kDtcPrefixWeight : kExactDtcWeight;
        seen += "; dtc:" + *hit;
      }
    }
    if (evidence == 0) continue;
    if (q.system && std::find(a.systems.begin(), a.systems.end(), *q.system) != a.systems.end()) {
      evidence += kSystemWeight;
      seen += "; system:" + std::string(to_string(*q.system));
    }
    score += evidence;
    why = seen + why;
    if (!best || score > best_score || (score == best_score && scope > best_scope)) {
      best = &a;
      best_score = score;
      best_scope = scope;
      best_why = why.substr(2);
    }
  }
  if (!best) return std::nullopt;
  const bool zh = is_zh(q.language);
  return KnowledgeMatch{best->id,
                        zh ? "zh" : "en",
                        zh ? best->answer.zh : best->answer.en,
                        zh ? best->workaround.zh : best->workaround.en,
                        best_score,
                        std::move(best_why)};
}

}  // namespace fb::backend
