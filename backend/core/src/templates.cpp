#include "fb/backend/templates.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "fb/backend/triage.hpp"
#include "fb/common/config.hpp"

namespace fb::backend {
namespace {

constexpr std::array<std::string_view, 27> kEvents{"received",
                                                   "merged",
                                                   "routed",
                                                   "workaround",
                                                   "appointment_proposed",
                                                   "progress",
                                                   "resolved",
                                                   "survey_request",
                                                   "message",
                                                   "visit_proposed",
                                                   "visit_booked",
                                                   "visit_reminder",
                                                   "visit_reschedule_requested",
                                                   "visit_declined",
                                                   "visit_cancelled",
                                                   "visit_checked_in",
                                                   "visit_inspection",
                                                   "visit_diagnosis",
                                                   "visit_repair",
                                                   "visit_quality_check",
                                                   "visit_quality_failed",
                                                   "visit_handover",
                                                   "visit_approval",
                                                   "follow_up",
                                                   "callback_picked",
                                                   "callback_logged",
                                                   "callback_cancelled"};
constexpr std::array<std::string_view, 3> kCommon{"case_number", "team", "hours"};
constexpr std::array<std::string_view, 2> kRequiredLanguages{"zh", "en"};

bool is_placeholder_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

/// Splits a template into literal text and {name} placeholders. Calls `literal(text)` and
/// `placeholder(name)` in order; returns a problem on a brace that is not a placeholder.
template <typename Literal, typename Placeholder>
std::optional<std::string> scan(std::string_view s, Literal&& literal, Placeholder&& placeholder) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto open = s.find_first_of("{}", pos);
    if (open == std::string_view::npos) {
      literal(s.substr(pos));
      break;
    }
    if (s[open] == '}') return "a '}' without '{'";
    const auto close = s.find('}', open);
    if (close == std::string_view::npos) return "a '{' without '}'";
    const auto name = s.substr(open + 1, close - open - 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_placeholder_char))
      return "'{" + std::string(name) + "}' is not a placeholder name";
    literal(s.substr(pos, open - pos));
    if (auto problem = placeholder(name)) return problem;
    pos = close + 1;
  }
  return std::nullopt;
}

}  // namespace

std::span<const std::string_view> Templates::events() { return kEvents; }

std::vector<std::string_view> Templates::placeholders(std::string_view event) {
  if (std::find(kEvents.begin(), kEvents.end(), event) == kEvents.end()) return {};
  std::vector<std::string_view> out(kCommon.begin(), kCommon.end());
  if (event == "routed") out.insert(out.end(), {"assignee"});
  if (event == "workaround") out.insert(out.end(), {"answer", "workaround"});
  if (event == "appointment_proposed") out.insert(out.end(), {"when", "place"});
  if (event == "progress") out.insert(out.end(), {"status", "note"});
  if (event == "resolved") out.insert(out.end(), {"note"});
  if (event == "message") out.insert(out.end(), {"message", "sender"});
  if (event == "visit_proposed") out.insert(out.end(), {"slots", "estimate"});
  if (event == "visit_booked") out.insert(out.end(), {"dealer", "when", "work"});
  if (event == "visit_reminder") out.insert(out.end(), {"dealer", "when"});
  if (event == "visit_cancelled") out.insert(out.end(), {"reason"});
  if (event == "visit_checked_in") out.insert(out.end(), {"dealer", "ready"});
  if (event == "visit_inspection" || event == "visit_quality_check" || event == "visit_quality_failed")
    out.insert(out.end(), {"ready"});
  if (event == "visit_diagnosis") out.insert(out.end(), {"findings", "ready"});
  if (event == "visit_repair") out.insert(out.end(), {"cost", "ready"});
  if (event == "visit_handover") out.insert(out.end(), {"dealer", "cost"});
  if (event == "visit_approval") out.insert(out.end(), {"amount", "reason"});
  if (event == "callback_picked") out.insert(out.end(), {"agent"});
  if (event == "callback_logged") out.insert(out.end(), {"outcome"});
  return out;
}

Result<Templates> Templates::load(const nlohmann::json& doc, const std::string& origin) {
  if (auto r = config::expect_version(doc, 1, origin); !r) return fail(r.error());
  Templates t;
  auto def = config::get<std::string>(doc, "default_language", origin);
  if (!def) return fail(def.error());
  if (std::find(kRequiredLanguages.begin(), kRequiredLanguages.end(), *def) == kRequiredLanguages.end())
    return fail(ConfigErrc::invalid_value, origin + ": default_language '" + *def + "': must be zh or en");
  t.default_language_ = *def;
  for (const auto& [event, langs] : doc.items()) {
    if (event == "version" || event == "comment" || event == "default_language") continue;
    const auto where = origin + ": event '" + event + "'";
    const auto allowed = placeholders(event);
    if (allowed.empty()) {
      std::string list;
      for (auto e : kEvents) list += (list.empty() ? "" : ", ") + std::string(e);
      return fail(ConfigErrc::invalid_value, where + ": unknown event (" + list + ")");
    }
    if (!langs.is_object()) return fail(ConfigErrc::invalid_value, where + ": expected an object per language");
    for (const auto& [lang, body] : langs.items()) {
      auto title = config::get<std::string>(body, "title", where + ": " + lang);
      if (!title) return fail(title.error());
      auto text = config::get<std::string>(body, "text", where + ": " + lang);
      if (!text) return fail(text.error());
      for (const auto& [field, value] : {std::pair{"title", &*title}, std::pair{"text", &*text}}) {
        auto problem = scan(
            *value, [](std::string_view) {},
            [&](std::string_view name) -> std::optional<std::string> {
              if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) return std::nullopt;
              std::string list;
              for (auto a : allowed) list += (list.empty() ? "{" : ", {") + std::string(a) + "}";
              return "unknown placeholder '{" + std::string(name) + "}' (" + list + ")";
            });
        if (problem) return fail(ConfigErrc::invalid_value, where + ": " + lang + "." + field + ": " + *problem);
      }
      t.events_[event][lang] = Text{*title, *text};
    }
    for (auto lang : kRequiredLanguages) {
      if (!t.events_[event].contains(std::string(lang)))
        return fail(ConfigErrc::invalid_value, where + ": no text in '" + std::string(lang) + "'");
    }
  }
  for (auto event : kEvents) {
    if (!t.events_.contains(std::string(event)))
      return fail(ConfigErrc::invalid_value, origin + ": event '" + std::string(event) + "' missing");
  }
  return t;
}

std::string Templates::pick_language(const std::string& event, const std::string& language) const {
  auto it = events_.find(event);
  if (it == events_.end()) return default_language_;
  const std::string lower = ascii_lower(language);
  std::string best;
  for (const auto& [lang, text] : it->second) {
    const bool prefix = lower == lang ||
                        (lower.starts_with(lang) && lower.size() > lang.size() && lower[lang.size()] == '-');
    if (prefix && lang.size() > best.size()) best = lang;
  }
  return best.empty() ? default_language_ : best;
}

Result<RenderedText> Templates::render(const std::string& event, const std::string& language,
                                       const std::map<std::string, std::string>& vars) const {
  auto it = events_.find(event);
  if (it == events_.end()) return fail(ConfigErrc::invalid_value, "no template for event '" + event + "'");
  const auto lang = pick_language(event, language);
  const auto& source = it->second.at(lang);
  const auto fill = [&](std::string_view s) -> Result<std::string> {
    std::string out;
    auto problem = scan(
        s, [&](std::string_view literal) { out += literal; },
        [&](std::string_view name) -> std::optional<std::string> {
          auto v = vars.find(std::string(name));
          if (v == vars.end()) return "no value for {" + std::string(name) + "}";
          out += v->second;
          return std::nullopt;
        });
    if (problem) return fail(ConfigErrc::invalid_value, "template '" + event + "' (" + lang + "): " + *problem);
    return out;
  };
  auto title = fill(source.title);
  if (!title) return fail(title.error());
  auto text = fill(source.text);
  if (!text) return fail(text.error());
  return RenderedText{lang, std::move(*title), std::move(*text)};
}

}  // namespace fb::backend
