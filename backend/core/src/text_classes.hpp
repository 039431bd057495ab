// Small rules that the classifier (triage.cpp), its training (triage_training.cpp), its text
// features (triage_model.cpp) and the similarity features (similarity.cpp) share, so that they
// cannot drift apart. Internal to fb_backend.
#pragma once

#include <cstddef>

#include "fb/common/vocabulary.hpp"

namespace fb::backend::detail {

/// Whether `c` is a CJK ideograph (the unified block, extension A, the compatibility ideographs,
/// extensions B and later): the characters that the text features cut into n-grams, not words.
constexpr bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x2FFFF);
}

/// Whether `s` is a part of the service organisation (sales, service, parts, charges), not of the
/// car: reports about it are service complaints whatever their words.
constexpr bool is_service_system(VehicleSystem s) {
  return s == VehicleSystem::sales || s == VehicleSystem::service || s == VehicleSystem::parts ||
         s == VehicleSystem::charges;
}

/// The position of `value` in vocabulary<E>() (0, the first entry, when it is not there): an index
/// for per-value tables such as the classifier's weights.
template <HasVocabulary E>
constexpr std::size_t vocabulary_index(E value) {
  const auto v = vocabulary<E>();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].value == value) return i;
  return 0;
}

}  // namespace fb::backend::detail
