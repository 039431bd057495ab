#include "fb/common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace fb {

Result<void> init_logging(const std::string& name, const std::string& level) {
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    return fail(ConfigErrc::invalid_value, "log level '" + level + "' (use trace, debug, info, warn, error)");
  }
  auto logger = spdlog::stderr_color_mt(name);
  // The offset makes a line placeable beside another host's log or an API time in UTC.
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v");
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace fb
