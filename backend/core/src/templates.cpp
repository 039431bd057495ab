#include "fb/backend/templates.hpp"

#include "fb/backend/triage.hpp"
#include "fb/common/config.hpp"

namespace fb::backend {

Result<Templates> Templates::load(const nlohmann::json& doc, const std::string& origin) {
  if (auto r = config::expect_version(doc, 1, origin); !r) return fail(r.error());
  Templates t;
  auto def = config::get<std::string>(doc, "default_language", origin);
  if (!def) return fail(def.error());
  t.default_language_ = *def;
  for (const auto& [kind, langs] : doc.items()) {
    if (kind == "version" || kind == "comment" || kind == "default_language") continue;
    if (!langs.is_object()) return fail(ConfigErrc::invalid_value, origin + ": " + kind + ": expected an object");
    for (const auto& [lang, body] : langs.items()) {
      const auto where = origin + ": " + kind + "." + lang;
      auto title = config::get<std::string>(body, "title", where);
      auto text = config::get<std::string>(body, "text", where);
      if (!title) return fail(title.error());
      if (!text) return fail(text.error());
      t.kinds_[kind][lang] = Text{*title, *text};
    }
    if (!t.kinds_[kind].contains(t.default_language_)) {
      return fail(ConfigErrc::invalid_value,
                  origin + ": " + kind + " has no text in default language '" + t.default_language_ + "'");
    }
  }
  return t;
}

std::string Templates::pick_language(const std::string& kind, const std::string& language) const {
  auto it = kinds_.find(kind);
  if (it == kinds_.end()) return default_language_;
  const std::string lower = ascii_lower(language);
  std::string best;
  for (const auto& [lang, text] : it->second) {
    const bool prefix = lower == lang ||
                        (lower.starts_with(lang) && lower.size() > lang.size() && lower[lang.size()] == '-');
    if (prefix && lang.size() > best.size()) best = lang;
  }
  return best.empty() ? default_language_ : best;
}

Result<RenderedText> Templates::render(const std::string& kind, const std::string& language,
                                       const std::map<std::string, std::string>& vars) const {
  auto it = kinds_.find(kind);
  if (it == kinds_.end()) return fail(ConfigErrc::invalid_value, "no template '" + kind + "'");
  const auto lang = pick_language(kind, language);
  const auto& source = it->second.at(lang);
  const auto fill = [&](std::string s) {
    for (const auto& [name, value] : vars) {
      const std::string key = "{" + name + "}";
      for (auto pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + value.size())) {
        s.replace(pos, key.size(), value);
      }
    }
    return s;
  };
  return RenderedText{lang, fill(source.title), fill(source.text)};
}

}  // namespace fb::backend
