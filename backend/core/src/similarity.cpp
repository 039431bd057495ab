#include "fb/backend/similarity.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "fb/backend/triage_model.hpp"
#include "text_classes.hpp"

namespace fb::backend {
namespace {

using detail::is_cjk_ideograph;

constexpr std::array<std::string_view, 96> kEnglishStopWords{
    "a",       "about", "after", "again",  "all",    "also", "am",    "an",    "and",   "any",   "are",  "as",
    "at",      "be",    "been",  "being",  "before", "but",  "by",    "can",   "car",   "could", "did",  "do",
    "does",    "down",  "each",  "for",    "from",   "get",  "got",   "had",   "has",   "have",  "he",   "her",
    "here",    "him",   "his",   "how",    "i",      "if",   "in",    "into",  "is",    "it",    "its",  "just",
    "me",      "more",  "most",  "my",     "no",     "not",  "of",    "off",   "on",    "only",  "or",   "other",
    "our",     "out",   "over",  "please", "she",    "so",   "some",  "such",  "than",  "that",  "the",  "their",
    "them",    "then",  "there", "these",  "they",   "this", "those", "to",    "too",   "under", "up",   "us",
    "vehicle", "very",  "was",   "we",     "were",   "what", "when",  "which", "while", "who",   "will", "with",
};

// Function characters that carry no symptom; they break a run like punctuation does.
constexpr std::array<char32_t, 30> kChineseStopChars{U'的', U'了', U'是', U'我', U'你', U'他', U'她', U'在',
                                                     U'有', U'就', U'也', U'都', U'很', U'吗', U'呢', U'啊',
                                                     U'吧', U'和', U'与', U'还', U'又', U'这', U'那', U'个',
                                                     U'着', U'过', U'被', U'把', U'给', U'一'};

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// Decodes one UTF-8 sequence at `i`; returns U+FFFD and advances one byte on invalid input.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t c = len == 1 ? b0 : b0 & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    c = (c << 6) | (b & 0x3F);
  }
  i += len;
  return c;
}

class Tokenizer {
 public:
  explicit Tokenizer(std::vector<std::uint64_t>& out) : out_(out) {}

  void feed(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
      const auto start = i;
      const char32_t c = next_code_point(text, i);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        end_run();
        word_ += static_cast<char>(c);
      } else if (c >= 'A' && c <= 'Z') {
        end_run();
        word_ += static_cast<char>(c - 'A' + 'a');
      } else if (is_cjk_ideograph(c) &&
                 std::find(kChineseStopChars.begin(), kChineseStopChars.end(), c) == kChineseStopChars.end()) {
        end_word();
        run_.emplace_back(text.substr(start, i - start));
      } else {
        end_word();
        end_run();
      }
    }
    end_word();
    end_run();
  }

 private:
  void end_word() {
    if (word_.empty()) return;
    std::string w = std::move(word_);
    word_.clear();
    if (w.size() < 2 || std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; })) return;
    if (std::find(kEnglishStopWords.begin(), kEnglishStopWords.end(), w) != kEnglishStopWords.end()) return;
    // Light stemming so that "brakes"/"brake", "shifting"/"shift", "stalled"/"stall" agree.
    if (w.size() > 5 && w.ends_with("ing")) {
      w.resize(w.size() - 3);
    } else if (w.size() > 4 && w.ends_with("ed")) {
      w.resize(w.size() - 2);
    } else if (w.size() > 3 && w.ends_with('s') && !w.ends_with("ss")) {
      w.resize(w.size() - 1);
    }
    out_.push_back(fnv1a(w));
  }

  void end_run() {
    if (run_.size() == 1) out_.push_back(fnv1a(run_[0]));
    for (std::size_t k = 0; k + 1 < run_.size(); ++k)
      out_.push_back(fnv1a(std::string(run_[k]) + std::string(run_[k + 1])));
    run_.clear();
  }

  std::vector<std::uint64_t>& out_;
  std::string word_;
  std::vector<std::string_view> run_;  // the UTF-8 bytes of each ideograph in the current run
};

}  // namespace

TextSignature text_signature(std::string_view text) {
  TextSignature sig;
  std::string folded;
  Tokenizer(sig.tokens).feed(width_folded(text, folded));
  std::sort(sig.tokens.begin(), sig.tokens.end());
  sig.tokens.erase(std::unique(sig.tokens.begin(), sig.tokens.end()), sig.tokens.end());
  return sig;
}

double similarity(const TextSignature& a, const TextSignature& b) {
  if (a.empty() || b.empty()) return 0.0;
  std::size_t common = 0;
  for (std::size_t i = 0, j = 0; i < a.tokens.size() && j < b.tokens.size();) {
    if (a.tokens[i] == b.tokens[j]) {
      ++common;
      ++i;
      ++j;
    } else if (a.tokens[i] < b.tokens[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  const auto total = a.tokens.size() + b.tokens.size() - common;
  return static_cast<double>(common) / static_cast<double>(total);
}

double text_similarity(std::string_view a, std::string_view b) {
  return similarity(text_signature(a), text_signature(b));
}

}  // namespace fb::backend
