#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace fb {

/// Byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates and code points
/// above U+10FFFF are invalid), or nullopt when the whole string is valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view s);

inline bool is_valid_utf8(std::string_view s) { return !first_invalid_utf8(s).has_value(); }

/// Valid UTF-8 without U+0000: what a person's words may be. PostgreSQL's text cannot hold
/// U+0000, and whatever reads the text as a C string would cut it there.
inline bool is_valid_text(std::string_view s) { return is_valid_utf8(s) && s.find('\0') == std::string_view::npos; }

/// The longest prefix of valid UTF-8 text that fits in `max_bytes` and ends on a character
/// boundary (for details and logs cut to length).
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

/// Number of code points in valid UTF-8 text (for length limits that users see as characters).
std::size_t utf8_length(std::string_view s);

}  // namespace fb
