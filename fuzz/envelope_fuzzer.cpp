// Fuzz target: an MQTT payload from the network, through what the backend does before any
// costly work (decode, header checks, report validation, the snapshot's signal series) and what
// the car does with what the backend sends (topic parsing aside). Properties besides "no crash,
// no sanitizer report": whatever decodes re-encodes to bytes that decode to the same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fb/common/codec.hpp"
#include "fb/common/series_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto envelope = fb::codec::decode(payload);
  if (!envelope) return 0;
  const auto bytes = fb::codec::encode(*envelope);
  auto again = fb::codec::decode(bytes);
  if (!again || fb::codec::encode(*again) != bytes) std::abort();
  if (envelope->has_report()) {
    const auto& report = envelope->report();
    if (fb::codec::validate_report(report) && report.has_snapshot()) {
      for (const auto& series : report.snapshot().signals()) {
        if (fb::series::check(series)) (void)fb::series::decode(series);
      }
    }
  }
  if (envelope->has_ack() && envelope->ack().has_accepted() && envelope->ack().accepted().has_notification()) {
    (void)fb::codec::uncarry(envelope->ack().accepted().notification());
  }
  return 0;
}
