// Standard scripts (标准化话术): notification texts per kind and language, from
// deploy/rules/templates.json. Immutable after load; thread-safe.
#pragma once

#include <map>
#include <string>

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
  /// Errors: unsupported_version, invalid_value (a kind without the default language, ...).
  static Result<Templates> load(const nlohmann::json& doc, const std::string& origin);

  /// Renders `kind` ("received") for a report language such as "zh-CN"; falls back to the default
  /// language. Placeholders {name} are replaced from `vars`; unknown ones are left as is.
  /// Errors: invalid_value when the kind does not exist.
  Result<RenderedText> render(const std::string& kind, const std::string& language,
                              const std::map<std::string, std::string>& vars) const;

  /// The template language chosen for a report language ("zh-Hans-CN" -> "zh").
  std::string pick_language(const std::string& kind, const std::string& language) const;

 private:
  struct Text {
    std::string title;
    std::string text;
  };
  std::string default_language_;
  std::map<std::string, std::map<std::string, Text>> kinds_;  // kind -> language -> text
};

}  // namespace fb::backend
