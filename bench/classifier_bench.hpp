// classifier_per_core: how many reports one thread classifies per second (fb::backend::Classifier
// with the shipped rules and model, over data/triage/test.jsonl), beside a baseline measured in
// the same run over the same texts: a plain keyword scan that lowercases each text and looks for
// every phrase of the same lexicon with std::string::find (what a first-cut keyword classifier
// does, before any decision).
#pragma once

#include <filesystem>

#include "fb/common/error.hpp"

namespace fb::bench {

struct ClassifierMeasure {
  std::size_t texts = 0, phrases = 0;
  double rate = 0;           // reports/s, Classifier::classify
  double baseline_rate = 0;  // reports/s, substring scan of the lexicon
  std::size_t checksum = 0;  // keeps the work observable
};

/// Runs each side for at least `seconds` on the calling thread. Errors: the rule files' or the
/// corpus' ConfigErrc.
Result<ClassifierMeasure> measure_classifier(const std::filesystem::path& rules_dir,
                                             const std::filesystem::path& test_set, double seconds);

}  // namespace fb::bench
