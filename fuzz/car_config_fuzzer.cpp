// Fuzz target: the car's own files — telematics rules, snapshot settings and recorded signal
// logs (CSV or JSON Lines) for replay. The first byte picks the parser, the rest is the text.
#include <cstdint>

#include "fb/agent/signals.hpp"
#include "fb/agent/snapshot_config.hpp"
#include "fb/agent/telematics_rules.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto text = fb::fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: (void)fb::agent::parse_telematics_config(text, "telematics-rules.json"); break;
    case 1: (void)fb::agent::parse_snapshot_settings(text, "snapshot.json"); break;
    case 2: (void)fb::agent::LogReplay::parse(text, false, "drive.csv"); break;
    default: (void)fb::agent::LogReplay::parse(text, true, "drive.jsonl");
  }
  return 0;
}
