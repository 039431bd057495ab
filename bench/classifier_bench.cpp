#include "classifier_bench.hpp"

#include <chrono>

#include "fb/backend/triage.hpp"
#include "fb/common/config.hpp"

namespace fb::bench {
namespace {

/// Calls `one(i)` over the items round-robin until `seconds` have passed; returns items/s.
template <typename F>
double rate_of(std::size_t items, double seconds, F&& one) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::size_t done = 0;
  double elapsed = 0;
  do {
    for (std::size_t i = 0; i < items; ++i) one(i);
    done += items;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(done) / elapsed;
}

void collect_phrases(const nlohmann::json& node, std::vector<std::string>& out) {
  if (node.is_string()) {
    out.push_back(backend::ascii_lower(node.get<std::string>()));
  } else if (node.is_array() || node.is_object()) {
    for (const auto& [key, value] : node.items())
      if (key != "comment") collect_phrases(value, out);
  }
}

}  // namespace

Result<ClassifierMeasure> measure_classifier(const std::filesystem::path& rules_dir,
                                             const std::filesystem::path& test_set, double seconds) {
  const auto file = rules_dir / "classifier.json";
  auto doc = config::load_json(file);
  if (!doc) return fail(doc.error());
  auto classifier = backend::Classifier::load(*doc, file.string());
  if (!classifier) return fail(classifier.error());
  auto corpus = backend::read_labelled_corpus(test_set.string());
  if (!corpus) return fail(corpus.error());
  std::vector<wire::Report> reports;
  for (const auto& item : *corpus) reports.push_back(backend::to_report(item));
  std::vector<std::string> phrases;
  collect_phrases(doc->at("lexicon"), phrases);

  ClassifierMeasure m;
  m.texts = reports.size();
  m.phrases = phrases.size();
  if (reports.empty()) return m;
  m.rate = rate_of(reports.size(), seconds, [&](std::size_t i) {
    const auto c = classifier->classify(reports[i]);
    m.checksum += static_cast<std::size_t>(c.system) + c.evidence.size();
  });
  m.baseline_rate = rate_of(reports.size(), seconds, [&](std::size_t i) {
    const auto lower = backend::ascii_lower(reports[i].text());
    for (const auto& p : phrases) m.checksum += lower.find(p) != std::string::npos;
  });
  return m;
}

}  // namespace fb::bench
