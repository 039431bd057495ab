// MQTT topic layout (docs/protocol.md). One place builds and parses topics.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fb::topics {

enum class Kind { reports, receipts, inbox };

/// vehicles/{vin}/reports: car -> backend, Envelope{Report}.
std::string reports(std::string_view vin);
/// vehicles/{vin}/receipts: car -> backend, Envelope{Receipt}.
std::string receipts(std::string_view vin);
/// vehicles/{vin}/inbox: backend -> car, Envelope{Ack | Notification}.
std::string inbox(std::string_view vin);

/// vehicles/{vin}/status: car -> anyone allowed to read it, retained: status_online after each
/// connect, status_offline as the car's MQTT will (the broker publishes it when the link dies
/// without a DISCONNECT). Not an Envelope: the bare word.
std::string status(std::string_view vin);
inline constexpr std::string_view status_online = "online";
inline constexpr std::string_view status_offline = "offline";

/// Subscription filters for the backend (all vehicles).
inline constexpr std::string_view all_reports = "vehicles/+/reports";
inline constexpr std::string_view all_receipts = "vehicles/+/receipts";
inline constexpr std::string_view all_status = "vehicles/+/status";

struct Parsed {
  std::string vin;  // as it appears in the topic; not validated here
  Kind kind;
};
/// Splits "vehicles/{vin}/{kind}"; nullopt for any other shape.
std::optional<Parsed> parse(std::string_view topic);

}  // namespace fb::topics
