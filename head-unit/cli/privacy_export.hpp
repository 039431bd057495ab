// fb-car privacy export: where the JSON goes.
#pragma once

#include <string>

#include "fb/common/error.hpp"

namespace fb::car {

/// Writes `json` to standard output (`path` empty), or to `path` with mode 0600 (it holds the
/// driver's words and number): written to a temporary file beside it, then renamed, so a
/// reader never sees half of it. Errors: StorageErrc::io naming the file.
Result<void> write_export(const std::string& json, const std::string& path);

}  // namespace fb::car
