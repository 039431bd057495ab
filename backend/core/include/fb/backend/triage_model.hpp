// The statistical half of triage: hashed text features, a linear model over them (one block of
// scores per decision: type, system, priority), its text file format and its training.
// The same tokenizer and feature extractor serve training and inference (Classifier::features).
// Pure functions and immutable objects; LinearModel is safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fb/common/error.hpp"
#include "fb/common/vocabulary.hpp"

namespace fb::backend {

inline constexpr std::size_t kTypeClasses = vocabulary<CaseType>().size();
inline constexpr std::size_t kSystemClasses = vocabulary<VehicleSystem>().size();
inline constexpr std::size_t kPriorityClasses = vocabulary<Priority>().size();
inline constexpr std::size_t kTypeOffset = 0;
inline constexpr std::size_t kSystemOffset = kTypeOffset + kTypeClasses;
inline constexpr std::size_t kPriorityOffset = kSystemOffset + kSystemClasses;
inline constexpr std::size_t kModelClasses = kPriorityOffset + kPriorityClasses;

using ClassScores = std::array<float, kModelClasses>;

/// One token of a text: an ASCII word (lowercased, light English suffix stripping) or one CJK
/// character. `joined` is false when punctuation separates it from the token before (n-grams
/// and lexicon phrases never cross it; spaces do not separate).
struct Token {
  std::uint64_t hash = 0;
  std::uint32_t begin = 0, end = 0;  // bytes in the original text
  bool cjk = false;
  bool joined = false;
};

/// `text` with the full-width forms of ASCII (U+FF01..U+FF5E: what Chinese input methods type
/// for letters, digits and signs, "Ｐ０３００", "ＡＢＳ", "ＯＴＡ") as ASCII and the ideographic
/// space as a space, so that triage, the knowledge base and the similarity features read them as
/// the words they are. Everything else, invalid bytes included, is copied as it is.
std::string fold_width(std::string_view text);
/// Whether `text` may hold what fold_width() changes (a byte that starts one).
bool has_width_forms(std::string_view text);
/// `text` as triage, the knowledge base and the similarity features read it: `text` itself when
/// it has no width form (no copy: the similarity runs for every merge candidate), else
/// fold_width(text), kept in `storage`.
std::string_view width_folded(std::string_view text, std::string& storage);
/// Appends the tokens of `text` (UTF-8; invalid bytes are separators) to `out`.
void tokenize(std::string_view text, std::vector<Token>& out);
/// The hash of a token sequence, as lexicon phrases and n-gram features use it.
std::uint64_t combine_token_hash(std::uint64_t sequence, std::uint64_t next);
/// A model feature id: a kind tag ('U' unigram, 'B' bigram, 'T' trigram, 'L' lexicon hit, ...)
/// and a hash; never 0.
std::uint32_t feature_id(char kind, std::uint64_t hash);
/// FNV-1a of bytes (names of lexicon groups, categories, DTC prefixes).
std::uint64_t hash_bytes(std::string_view bytes);

/// Weights per feature id, looked up with an open-addressing table (inference is on the ingest
/// path: ~300 lookups per report).
class LinearModel {
 public:
  /// The model file (docs/classification.md): header, class list (must equal this build's
  /// vocabularies), then one line per feature. Errors: ConfigErrc::parse_error naming
  /// origin:line, ConfigErrc::unsupported_version.
  static Result<LinearModel> parse(std::string_view text, const std::string& origin);
  /// Deterministic text: features sorted by id, weights rounded to 4 significant digits,
  /// near-zero weights left out.
  std::string serialize(std::string_view comment) const;

  void set(std::uint32_t feature, const ClassScores& weights);
  const ClassScores* find(std::uint32_t feature) const;
  std::size_t size() const { return weights_.size(); }

 private:
  void rehash(std::size_t capacity);
  std::vector<std::uint32_t> slots_;  // feature id, 0 = empty
  std::vector<std::uint32_t> index_;  // slot -> index into weights_
  std::vector<std::uint32_t> ids_;
  std::vector<ClassScores> weights_;
};

/// A labelled example of the triage corpus (data/triage/*.jsonl, see PROVENANCE.md).
struct LabelledReport {
  std::string id, text, lang, category, source;
  std::vector<std::string> dtcs;
  double speed_kmh = 0;
  CaseType type = CaseType::product_fault;
  VehicleSystem system = VehicleSystem::other;
  std::optional<Priority> priority;  // absent: not labelled (real complaints without a safety flag)
  bool safety = false;               // crash, fire, injury, loss of braking/steering, airbags
};

/// Reads a JSON Lines corpus. Errors: ConfigErrc::file_not_found / parse_error / invalid_value
/// naming file and line.
Result<std::vector<LabelledReport>> read_labelled_corpus(const std::string& path);

}  // namespace fb::backend
