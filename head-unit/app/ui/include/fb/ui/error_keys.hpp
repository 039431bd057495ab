// What the dashboard shows for an error: a key ("storage.full", "agent.not_parked",
// "ui.typing_while_moving"), which the QML side turns into a text in the UI language
// (qml/i18n/Texts.qml, error()). No sentence for people leaves C++: the one-line details of
// fb::Error are for logs. Pure; thread-safe.
#pragma once

#include <QString>
#include <system_error>

namespace fb::ui {

/// Refusals of the controller itself, before the agent is asked.
namespace error_key {
inline constexpr auto kUnknownCategory = "ui.unknown_category";
inline constexpr auto kTypingWhileMoving = "ui.typing_while_moving";
inline constexpr auto kSurveyScore = "ui.survey_score";
inline constexpr auto kNotParked = "agent.not_parked";
inline constexpr auto kEmptyText = "ui.empty_text";
}  // namespace error_key

/// "<category>.<enumerator>" for a code of our categories (wire, storage, mqtt, config, agent),
/// e.g. "storage.full"; "<category>.unknown" for a value without a name and for foreign
/// categories ("system.unknown"); "" for no error.
QString errorKey(const std::error_code& code);

}  // namespace fb::ui
