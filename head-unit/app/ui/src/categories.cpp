#include "fb/ui/categories.hpp"

#include <algorithm>
#include <array>

namespace fb::ui {
namespace {

constexpr std::array kChoices = {
    CategoryChoice{"noise", wire::CATEGORY_NOISE, true},
    CategoryChoice{"driving-feel", wire::CATEGORY_DRIVING_FEEL, true},
    CategoryChoice{"warning-lamp", wire::CATEGORY_WARNING_LAMP, true},
    CategoryChoice{"ui", wire::CATEGORY_UI, true},
    CategoryChoice{"service", wire::CATEGORY_SERVICE, true},
    CategoryChoice{"idea", wire::CATEGORY_IDEA, true},
    CategoryChoice{"other", wire::CATEGORY_OTHER, false},
};

}  // namespace

std::span<const CategoryChoice> category_choices() { return kChoices; }

std::optional<CategoryChoice> category_from_key(std::string_view key) {
  const auto it = std::ranges::find(kChoices, key, &CategoryChoice::key);
  if (it == kChoices.end()) return std::nullopt;
  return *it;
}

std::string_view category_key(wire::Category category) {
  const auto it = std::ranges::find(kChoices, category, &CategoryChoice::category);
  return it == kChoices.end() ? std::string_view("other") : it->key;
}

}  // namespace fb::ui
