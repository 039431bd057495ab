#include "fb/backend/triage_model.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fb/common/config.hpp"
#include "text_classes.hpp"

namespace fb::backend {
namespace {

using detail::is_cjk_ideograph;

constexpr std::uint64_t kFnvOffset = 1469598103934665603ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;
constexpr std::string_view kMagic = "fb-triage-model";
constexpr int kFormatVersion = 1;

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

bool is_alnum(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
char lower(unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); }

/// Length of the English word once a plural/past/-ing ending is stripped, so that "brakes",
/// "braked" and "brake" are one token; the lexicon goes through the same function.
std::size_t stem_length(std::string_view w) {
  const auto ends = [&](std::string_view s) {
    if (w.size() < s.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (lower(w[w.size() - s.size() + i]) != s[i]) return false;
    return true;
  };
  if (w.size() > 5 && ends("ing")) return w.size() - 3;
  if (w.size() > 4 && ends("ed")) return w.size() - 2;
  if (w.size() > 3 && ends("s") && !ends("ss")) return w.size() - 1;
  return w.size();
}

std::vector<std::string> class_names() {
  std::vector<std::string> out;
  for (const auto& e : vocabulary<CaseType>()) out.push_back("type:" + std::string(e.key));
  for (const auto& e : vocabulary<VehicleSystem>()) out.push_back("system:" + std::string(e.key));
  for (const auto& e : vocabulary<Priority>()) out.push_back("priority:" + std::string(e.key));
  return out;
}

}  // namespace

std::uint64_t hash_bytes(std::string_view bytes) {
  std::uint64_t h = kFnvOffset;
  for (unsigned char c : bytes) h = (h ^ c) * kFnvPrime;
  return h;
}

std::uint64_t combine_token_hash(std::uint64_t sequence, std::uint64_t next) {
  return mix(sequence * 0x9E3779B97F4A7C15ull + next);
}

std::uint32_t feature_id(char kind, std::uint64_t hash) {
  const auto h = mix(hash ^ (static_cast<std::uint64_t>(static_cast<unsigned char>(kind)) << 56));
  const auto id = static_cast<std::uint32_t>(h ^ (h >> 32));
  return id == 0 ? 1 : id;
}

bool has_width_forms(std::string_view text) {
  // Every full-width ASCII form starts with 0xEF and the ideographic space with 0xE3.
  return text.find('\xEF') != std::string_view::npos || text.find('\xE3') != std::string_view::npos;
}

std::string_view width_folded(std::string_view text, std::string& storage) {
  if (!has_width_forms(text)) return text;
  storage = fold_width(text);
  return storage;
}

std::string fold_width(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (i + 2 < text.size()) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]), c2 = static_cast<unsigned char>(text[i + 2]);
      // U+FF01..U+FF3F is EF BC 81..BF, U+FF40..U+FF5E is EF BD 80..9E; U+3000 is E3 80 80.
      if (c == 0xEF && ((c1 == 0xBC && c2 >= 0x81 && c2 <= 0xBF) || (c1 == 0xBD && c2 >= 0x80 && c2 <= 0x9E))) {
        const std::uint32_t cp = 0xF000u | ((c1 & 0x3Fu) << 6) | (c2 & 0x3Fu);
        out.push_back(static_cast<char>(cp - 0xFEE0u));
        i += 2;
        continue;
      }
      if (c == 0xE3 && c1 == 0x80 && c2 == 0x80) {
        out.push_back(' ');
        i += 2;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

void tokenize(std::string_view text, std::vector<Token>& out) {
  bool joined = false;  // no punctuation since the last token
  std::size_t i = 0;
  const auto n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_alnum(c)) {
      std::size_t j = i;
      while (j < n && is_alnum(static_cast<unsigned char>(text[j]))) ++j;
      const auto word = text.substr(i, j - i);
      const auto len = stem_length(word);
      std::uint64_t h = kFnvOffset;
      for (std::size_t k = 0; k < len; ++k) h = (h ^ static_cast<unsigned char>(lower(word[k]))) * kFnvPrime;
      out.push_back(Token{h, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), false, joined});
      joined = true;
      i = j;
      continue;
    }
    if (c < 0x80) {
      if (c != ' ' && c != '\t' && c != '\'') joined = false;  // punctuation and line breaks end a phrase
      ++i;
      continue;
    }
    // A multi-byte UTF-8 sequence; anything malformed is a separator.
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len == 1 || i + len > n) {
      joined = false;
      ++i;
      continue;
    }
    std::uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (is_cjk_ideograph(static_cast<char32_t>(cp))) {
      out.push_back(Token{hash_bytes(text.substr(i, len)), static_cast<std::uint32_t>(i),
                          static_cast<std::uint32_t>(i + len), true, joined});
      joined = true;
    } else if (cp != 0x3000) {  // the ideographic space joins like a space; 。，！ and the rest do not
      joined = false;
    }
    i += len;
  }
}

// ---- LinearModel ----

void LinearModel::rehash(std::size_t capacity) {
  slots_.assign(capacity, 0);
  index_.assign(capacity, 0);
  for (std::uint32_t k = 0; k < ids_.size(); ++k) {
    auto s = static_cast<std::size_t>(ids_[k] * 0x9E3779B1u) & (capacity - 1);  // 32-bit hash on purpose
    while (slots_[s] != 0) s = (s + 1) & (capacity - 1);
    slots_[s] = ids_[k];
    index_[s] = k;
  }
}

void LinearModel::set(std::uint32_t feature, const ClassScores& weights) {
  if (auto* w = find(feature)) {
    weights_[static_cast<std::size_t>(w - weights_.data())] = weights;
    return;
  }
  ids_.push_back(feature);
  weights_.push_back(weights);
  if (slots_.size() < 2 * ids_.size()) {
    rehash(std::max<std::size_t>(64, std::bit_ceil(4 * ids_.size())));
  } else {
    auto s = static_cast<std::size_t>(feature * 0x9E3779B1u) & (slots_.size() - 1);
    while (slots_[s] != 0) s = (s + 1) & (slots_.size() - 1);
    slots_[s] = feature;
    index_[s] = static_cast<std::uint32_t>(ids_.size() - 1);
  }
}

const ClassScores* LinearModel::find(std::uint32_t feature) const {
  if (slots_.empty()) return nullptr;
  const auto mask = slots_.size() - 1;
  for (auto s = static_cast<std::size_t>(feature * 0x9E3779B1u) & mask;; s = (s + 1) & mask) {
    if (slots_[s] == feature) return &weights_[index_[s]];
    if (slots_[s] == 0) return nullptr;
  }
}

std::string LinearModel::serialize(std::string_view comment) const {
  std::string out;
  out += "# " + std::string(comment) + "\n";
  out += std::string(kMagic) + " " + std::to_string(kFormatVersion) + "\n";
  out += "classes";
  for (const auto& c : class_names()) out += " " + c;
  out += "\n";
  std::vector<std::uint32_t> order(ids_.size());
  for (std::uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return ids_[a] < ids_[b]; });
  char buf[64];
  for (auto k : order) {
    std::string line;
    for (std::size_t c = 0; c < kModelClasses; ++c) {
      const float w = weights_[k][c];
      if (std::fabs(w) < 1e-4f) continue;
      std::snprintf(buf, sizeof buf, " %zu:%.4g", c, static_cast<double>(w));
      line += buf;
    }
    if (line.empty()) continue;
    std::snprintf(buf, sizeof buf, "%08x", ids_[k]);
    out += buf + line + "\n";
  }
  return out;
}

Result<LinearModel> LinearModel::parse(std::string_view text, const std::string& origin) {
  LinearModel m;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  bool header = false, classes = false;
  const auto bad = [&](const std::string& what) {
    return fail(ConfigErrc::parse_error, origin + ":" + std::to_string(line_no) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    if (!header) {
      std::string magic;
      int version = 0;
      fields >> magic >> version;
      if (magic != kMagic) return bad("not a triage model (expected '" + std::string(kMagic) + " 1')");
      if (version != kFormatVersion)
        return fail(ConfigErrc::unsupported_version,
                    origin + ":" + std::to_string(line_no) + ": model format " + std::to_string(version));
      header = true;
      continue;
    }
    if (!classes) {
      std::string word;
      fields >> word;
      if (word != "classes") return bad("expected the class list");
      std::vector<std::string> names;
      while (fields >> word) names.push_back(word);
      if (names != class_names())
        return bad(
            "the model's classes differ from this build's vocabularies; retrain it (fb-backend train-classifier)");
      classes = true;
      continue;
    }
    std::string id_text, pair;
    fields >> id_text;
    std::uint32_t id = 0;
    try {
      std::size_t used = 0;
      const auto v = std::stoul(id_text, &used, 16);
      if (used != id_text.size() || v == 0 || v > 0xFFFFFFFFul) return bad("bad feature id '" + id_text + "'");
      id = static_cast<std::uint32_t>(v);
    } catch (const std::exception&) {
      return bad("bad feature id '" + id_text + "'");
    }
    ClassScores w{};
    while (fields >> pair) {
      const auto colon = pair.find(':');
      char* end = nullptr;
      const auto cls = colon == std::string::npos ? kModelClasses : std::strtoul(pair.c_str(), &end, 10);
      if (colon == std::string::npos || end != pair.c_str() + colon || cls >= kModelClasses)
        return bad("bad weight '" + pair + "'");
      const float v = std::strtof(pair.c_str() + colon + 1, &end);
      if (*end != '\0' || !std::isfinite(v)) return bad("bad weight '" + pair + "'");
      w[cls] = v;
    }
    if (m.find(id)) return bad("feature " + id_text + " twice");
    m.set(id, w);
  }
  if (!classes) return fail(ConfigErrc::parse_error, origin + ": empty or truncated model file");
  return m;
}

// ---- corpus ----

Result<std::vector<LabelledReport>> read_labelled_corpus(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ConfigErrc::file_not_found, path);
  std::vector<LabelledReport> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto where = path + ":" + std::to_string(line_no);
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(ConfigErrc::parse_error, where + ": not a JSON object");
    try {
      LabelledReport r;
      r.id = j.at("id").get<std::string>();
      r.text = j.at("text").get<std::string>();
      r.lang = j.value("lang", "");
      r.category = j.value("category", "");
      r.source = j.value("source", "");
      r.dtcs = j.value("dtcs", std::vector<std::string>{});
      r.speed_kmh = j.value("speed_kmh", 0.0);
      r.safety = j.value("safety", false);
      auto type = parse<CaseType>(j.at("type").get<std::string>());
      auto system = parse<VehicleSystem>(j.at("system").get<std::string>());
      if (!type || !system) return fail(ConfigErrc::invalid_value, where + ": unknown type or system");
      r.type = *type;
      r.system = *system;
      if (j.contains("priority")) {
        auto p = parse<Priority>(j.at("priority").get<std::string>());
        if (!p) return fail(ConfigErrc::invalid_value, where + ": unknown priority");
        r.priority = *p;
      }
      out.push_back(std::move(r));
    } catch (const nlohmann::json::exception& e) {
      return fail(ConfigErrc::invalid_value, where + ": " + e.what());
    }
  }
  return out;
}

}  // namespace fb::backend
