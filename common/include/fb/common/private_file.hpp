// Files that hold secrets or personal data: written whole, readable by the owner only.
#pragma once

#include <filesystem>
#include <string>

#include "fb/common/error.hpp"

namespace fb {

/// Writes `text` to `path` with mode 0600 through a temporary of its own beside it
/// (`<path>.tmp.XXXXXX`, created exclusively: never a leftover or a link), fsync, a rename and an
/// fsync of the directory, so a reader sees the old file or the whole new one, and after a power
/// cut the new one stays. Any thread; concurrent writers of one path each leave a whole file (the
/// last rename wins). Errors: StorageErrc::io naming the file and why.
Result<void> write_private_file(const std::filesystem::path& path, const std::string& text);

}  // namespace fb
