// The driver's category choices as stable keys ("noise", "driving-feel", ...) shared by the
// UI (labels are looked up by key) and fb-car's --category. Pure; thread-safe.
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
