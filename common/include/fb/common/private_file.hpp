// Files that hold secrets or personal data: written whole, readable by the owner only.
#pragma once

#include <filesystem>
#include <string>

#include "fb/common/error.hpp"

namespace fb {

/// Writes `text` to `path` with mode 0600 through `<path>.tmp` (created afresh: a leftover, with
/// its own mode or a link elsewhere, is removed first), fsync and a rename, so a reader sees the
/// old file or the whole new one. Any thread. Errors: StorageErrc::io naming the file and why.
Result<void> write_private_file(const std::filesystem::path& path, const std::string& text);

}  // namespace fb
