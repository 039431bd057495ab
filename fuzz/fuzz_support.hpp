// Shared by the fuzz targets: the input as text, and where the repository's files are (seed
// configs that a target loads once, e.g. the classifier for the batch classify target).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace fb::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The source tree (FB_SOURCE_DIR, set by fuzz/CMakeLists.txt).
inline std::filesystem::path source_dir() { return FB_SOURCE_DIR; }

}  // namespace fb::fuzz
