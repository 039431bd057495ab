// fb-bench's machine-readable output (--json FILE): one entry per measure that has a baseline
// measured in the same run, so that CI or a notebook can compare runs without parsing the table.
//
//   {"roundtrip_p50": {"value": 8.01, "baseline": 0.22, "ratio": 36.8, "unit": "ms"}, ...}
//
// ratio is value / baseline, as printed in the table; null when the baseline is 0. The names and
// what each baseline is are listed in bench/README.md. No GoogleTest, no Paho: just the file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "fb/common/error.hpp"

namespace fb::bench {

class JsonReport {
 public:
  /// Adds (or replaces) the measure `name`. `unit` is the unit of value and baseline.
  void add(const std::string& name, double value, double baseline, const std::string& unit);

  /// The whole report as JSON text (an object, measures in the order they were added).
  std::string dump() const;

  /// Writes dump() to `file` (replaced atomically: written next to it, then renamed).
  Result<void> write(const std::filesystem::path& file) const;

 private:
  struct Measure {
    std::string name;
    double value;
    double baseline;
    std::string unit;
  };
  std::vector<Measure> measures_;
};

}  // namespace fb::bench
