#pragma once

#include <string>

#include "fb/common/error.hpp"

namespace fb {

/// Sets the process-wide spdlog logger: one line per event, "time level [name] message",
/// to stderr. `level` is one of trace, debug, info, warn, error. Call once from main.
Result<void> init_logging(const std::string& name, const std::string& level);

}  // namespace fb
