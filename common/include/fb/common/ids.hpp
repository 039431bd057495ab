// Identifiers: message/report UUIDs and vehicle identification numbers.
// All functions are thread-safe; all but new_time_ordered_uuid (which keeps its sequence under a
// mutex) are pure.
#pragma once

#include <string>
#include <string_view>

namespace fb {

/// A random (version 4) UUID in lowercase 8-4-4-4-12 form, from OpenSSL's CSPRNG.
std::string new_uuid();

/// A time-ordered (version 7, RFC 9562) UUID in the same form: the Unix time in milliseconds in
/// its first 48 bits, a 26-bit counter (RFC 9562 method 1: random at each new millisecond, then
/// counting), then 48 random bits. Ids made later by this process sort after, as text too, even
/// within a millisecond; if the clock steps back, they keep the last millisecond and count on.
/// For rows keyed by id (reports, notifications, cases): an index takes each new id at its right
/// edge instead of on a random page, so a batch dirties a few pages instead of one per row, and
/// rows made together are found together. Not for ids that must not reveal when they were made.
std::string new_time_ordered_uuid();

/// The 8 characters that tell ids apart when shown to a person: the last 8, random in both
/// versions (the first 8 of a time-ordered id are the same for a minute). A shorter string is
/// returned whole.
std::string_view short_id(std::string_view uuid);

/// True when `text` names `id` as a person would type it: the whole id, its first characters
/// (4 or more), or its short_id().
bool names_id(std::string_view id, std::string_view text);

/// True for a lowercase or uppercase 8-4-4-4-12 hexadecimal UUID.
bool is_uuid(std::string_view s);

/// True for a 17-character VIN of ISO 3779 characters (digits and capitals except I, O, Q).
/// The check digit is not enforced: it is optional outside North America and China.
bool is_valid_vin(std::string_view vin);

}  // namespace fb
