// Fuzz target: `fb-backend classify`'s input, JSON Lines from stdin ({"id","text","lang"?,
// "dtcs"?,"category"?}), through the deployed classifier and routing rules. Every line gets an
// answer line (a result or an error), whatever the bytes.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "fb/backend/rules.hpp"
#include "fb/backend/triage.hpp"
#include "fuzz_support.hpp"

namespace {

const fb::backend::Rules& rules() {
  static const fb::backend::Rules loaded = [] {
    auto r = fb::backend::load_rules(fb::fuzz::source_dir() / "deploy" / "rules");
    if (!r) std::abort();
    return std::move(*r);
  }();
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fb::fuzz::as_text(data, size));
  std::istringstream in(text);
  std::ostringstream out;
  const auto answered = fb::backend::classify_stream(in, out, rules().classifier, rules().router, (size & 1) != 0);
  (void)answered;
  return 0;
}
