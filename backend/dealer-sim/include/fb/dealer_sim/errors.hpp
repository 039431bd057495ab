// The dealer simulator's errors: talking to the API and what the API answered.
#pragma once

#include <system_error>

#include "fb/common/error.hpp"

namespace fb::dealer {

enum class DealerErrc {
  bad_url = 1,     // --api is not http://host[:port]
  transport = 2,   // resolve, connect, write or read failed, or no answer in time
  http = 3,        // the API answered with an error status (detail: status and problem detail)
  bad_answer = 4,  // the API's answer is not the JSON we expect
  timeout = 5,     // --timeout-s passed before the work was done
  token = 6,       // the token file is missing or empty
  conflict = 7,    // 409: not in this state (invalid_stage, approval_required, taken); detail says why
};

const std::error_category& dealer_category() noexcept;
std::error_code make_error_code(DealerErrc e) noexcept;

}  // namespace fb::dealer

template <>
struct std::is_error_code_enum<fb::dealer::DealerErrc> : std::true_type {};
