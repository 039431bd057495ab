#include "fb/ui/categories.hpp"

#include <algorithm>
#include <array>

#include "fb/common/vocabulary.hpp"

namespace fb::ui {
namespace {

constexpr CategoryChoice choice(wire::Category c, bool quick_tap) { return {fb::to_string(c), c, quick_tap}; }

constexpr std::array kChoices = {
    choice(wire::CATEGORY_NOISE, true),        choice(wire::CATEGORY_DRIVING_FEEL, true),
    choice(wire::CATEGORY_WARNING_LAMP, true), choice(wire::CATEGORY_UI, true),
    choice(wire::CATEGORY_SERVICE, true),      choice(wire::CATEGORY_IDEA, true),
    choice(wire::CATEGORY_BRAKES, true),       choice(wire::CATEGORY_CLIMATE, true),
    choice(wire::CATEGORY_OTHER, false),
};
static_assert(kChoices.size() == vocabulary<wire::Category>().size(), "the dashboard offers every category");

}  // namespace

std::span<const CategoryChoice> category_choices() { return kChoices; }

std::optional<CategoryChoice> category_from_key(std::string_view key) {
  const auto it = std::ranges::find(kChoices, key, &CategoryChoice::key);
  if (it == kChoices.end()) return std::nullopt;
  return *it;
}

std::string_view category_key(wire::Category category) { return fb::to_string(category); }

}  // namespace fb::ui
