#include "fb/common/topics.hpp"

namespace fb::topics {
namespace {
constexpr std::string_view prefix = "vehicles/";
std::string build(std::string_view vin, std::string_view kind) {
  std::string t;
  t.reserve(prefix.size() + vin.size() + 1 + kind.size());
  t.append(prefix).append(vin).append("/").append(kind);
  return t;
}
}  // namespace

std::string reports(std::string_view vin) { return build(vin, "reports"); }
std::string receipts(std::string_view vin) { return build(vin, "receipts"); }
std::string inbox(std::string_view vin) { return build(vin, "inbox"); }
std::string status(std::string_view vin) { return build(vin, "status"); }

std::optional<Parsed> parse(std::string_view topic) {
  if (!topic.starts_with(prefix)) return std::nullopt;
  topic.remove_prefix(prefix.size());
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const auto vin = topic.substr(0, slash);
  const auto kind = topic.substr(slash + 1);
  if (kind == "reports") return Parsed{std::string(vin), Kind::reports};
  if (kind == "receipts") return Parsed{std::string(vin), Kind::receipts};
  if (kind == "inbox") return Parsed{std::string(vin), Kind::inbox};
  return std::nullopt;
}

}  // namespace fb::topics
