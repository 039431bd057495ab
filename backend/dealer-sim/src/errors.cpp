#include "fb/dealer_sim/errors.hpp"

#include <string>

namespace fb::dealer {
namespace {

class DealerCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dealer"; }
  std::string message(int c) const override {
    switch (static_cast<DealerErrc>(c)) {
      case DealerErrc::bad_url: return "bad API URL";
      case DealerErrc::transport: return "API unreachable";
      case DealerErrc::http: return "API refused the request";
      case DealerErrc::bad_answer: return "unexpected answer from the API";
      case DealerErrc::timeout: return "timed out";
      case DealerErrc::token: return "no token";
      case DealerErrc::conflict: return "refused in this state";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& dealer_category() noexcept {
  static const DealerCategory category;
  return category;
}

std::error_code make_error_code(DealerErrc e) noexcept { return {static_cast<int>(e), dealer_category()}; }

}  // namespace fb::dealer
