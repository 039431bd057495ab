// The driver's category choices on the dashboard: which categories, in which order, and which
// are quick taps. Their keys ("noise", "driving_feel", ...) are the category vocabulary's
// (fb/common/vocabulary.hpp), the same fb-car's --category takes and the dashboard's texts
// (qml/i18n/Texts.qml, category()) are keyed by. Pure; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "feedback.pb.h"

namespace fb::ui {

struct CategoryChoice {
  std::string_view key;
  wire::Category category;
  /// false: the wire rules want a text with it (CATEGORY_OTHER), so it is no quick tap.
  bool quick_tap;
};

/// Every choice, in the order the dashboard shows them.
std::span<const CategoryChoice> category_choices();
/// nullopt for an unknown key.
std::optional<CategoryChoice> category_from_key(std::string_view key);
/// "other" for a category without a key.
std::string_view category_key(wire::Category category);

}  // namespace fb::ui
