// Cheap text similarity for duplicate merging and clustering: a report's text becomes a
// signature (a set of hashed tokens) and two signatures compare by Jaccard index in [0, 1].
//
// Tokens: Chinese (CJK ideographs) as overlapping character bigrams, since Chinese has no word
// breaks (a single ideograph between breaks counts as itself); Latin text as lowercased words
// with a light suffix strip (brakes -> brake, shifting -> shift) and English stop-words dropped.
// Chinese function characters (的 了 是 ...), punctuation and pure numbers break runs and are
// not tokens (mileages and speeds differ between two reports of the same problem).
//
// Deterministic (FNV-1a, no seeds), no allocation beyond the signature; pure and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace fb::backend {

/// Sorted, de-duplicated 64-bit token hashes. Comparable across processes and builds.
struct TextSignature {
  std::vector<std::uint64_t> tokens;
  bool empty() const { return tokens.empty(); }
};

/// The signature of UTF-8 text (invalid bytes are skipped as separators).
TextSignature text_signature(std::string_view text);

/// Jaccard index |A ∩ B| / |A ∪ B|; 0 when either side has no tokens.
double similarity(const TextSignature& a, const TextSignature& b);

/// text_signature() on both, then similarity().
double text_similarity(std::string_view a, std::string_view b);

}  // namespace fb::backend
