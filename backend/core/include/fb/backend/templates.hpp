// Standard scripts (标准化话术): the notification texts per event and language, from
// deploy/rules/templates.json. Every event in Templates::events() must be there in zh and en,
// and may use only its placeholders (placeholders()); both are checked at load, and rendering
// with a value missing is an error, so the driver never sees "{case_number}".
// Immutable after load; thread-safe.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fb/common/error.hpp"

namespace fb::backend {

struct RenderedText {
  std::string language;  // the template language used, e.g. "zh"
  std::string title;
  std::string text;
};

class Templates {
 public:
  /// The events the service notifies about, in the order of a case's life:
  /// received, merged (joined an open case), routed, workaround (knowledge-base answer),
  /// appointment_proposed, progress, resolved, survey_request.
  static std::span<const std::string_view> events();
  /// The placeholders `event` may use: case_number, team, hours for every event, plus
  /// routed: assignee; workaround: answer, workaround; appointment_proposed: when, place; progress: status, note;
  /// resolved: note. Empty for an unknown event.
  static std::vector<std::string_view> placeholders(std::string_view event);

  /// Errors: unsupported_version; invalid_value naming the event ("templates.json: event
  /// 'progress': en.text: unknown placeholder '{eta}'"), for an unknown or missing event, a
  /// missing language (zh and en are required), an unknown placeholder or a stray brace.
  static Result<Templates> load(const nlohmann::json& doc, const std::string& origin);

  /// Renders `event` for a report language such as "zh-CN" (see pick_language). Each
  /// placeholder is replaced once by its value from `vars` (values are not scanned again).
  /// Errors: invalid_value for an unknown event, or a placeholder the template uses that
  /// `vars` lacks (named in the detail); an empty value is the caller's choice and is inserted.
  /// Extra vars are ignored.
  Result<RenderedText> render(const std::string& event, const std::string& language,
                              const std::map<std::string, std::string>& vars) const;

  /// The template language chosen for a report language: the longest template language that
  /// prefixes it at a subtag boundary ("zh-Hans-CN" -> "zh"), else default_language.
  std::string pick_language(const std::string& event, const std::string& language) const;

 private:
  struct Text {
    std::string title;
    std::string text;
  };
  std::string default_language_;
  std::map<std::string, std::map<std::string, Text>> events_;  // event -> language -> text
};

}  // namespace fb::backend
