// Money as the API writes it (minor units of CNY), for the dealer simulator's tests.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace fb::dealer::test_support {

inline nlohmann::json money(std::int64_t minor) { return {{"minor", minor}, {"currency", "CNY"}}; }

}  // namespace fb::dealer::test_support
