// The API's errors: each maps to an HTTP status and becomes an application/problem+json body.
#pragma once

#include <system_error>

#include "fb/common/error.hpp"

namespace fb::api {

enum class ApiErrc {
  bad_request = 1,         // 400: malformed JSON, unknown field, wrong type, bad query parameter
  unauthorized = 2,        // 401: no token, or one we do not know
  forbidden = 3,           // 403: the role or team may not
  not_found = 4,           // 404
  method_not_allowed = 5,  // 405
  conflict = 6,            // 409: the case is not in a state for this
  payload_too_large = 7,   // 413
  unsupported_media = 8,   // 415: a body that is not application/json
  unavailable = 9,         // 503: the store or the service cannot answer now
  listen_failed = 10,      // the server could not bind
};

const std::error_category& api_category() noexcept;
std::error_code make_error_code(ApiErrc e) noexcept;

/// The HTTP status for an error of any of our categories (CaseErrc, WireErrc, ConfigErrc,
/// StorageErrc, ApiErrc).
int http_status(const Error& e);

}  // namespace fb::api

template <>
struct std::is_error_code_enum<fb::api::ApiErrc> : std::true_type {};
