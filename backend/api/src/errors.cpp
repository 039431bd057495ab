#include "fb/api/errors.hpp"

#include "fb/backend/lifecycle.hpp"
#include "fb/backend/visits.hpp"

namespace fb::api {

namespace {

class ApiCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "api"; }
  std::string message(int v) const override {
    switch (static_cast<ApiErrc>(v)) {
      case ApiErrc::bad_request: return "bad request";
      case ApiErrc::unauthorized: return "unauthorized";
      case ApiErrc::forbidden: return "forbidden";
      case ApiErrc::not_found: return "not found";
      case ApiErrc::method_not_allowed: return "method not allowed";
      case ApiErrc::conflict: return "conflict";
      case ApiErrc::payload_too_large: return "payload too large";
      case ApiErrc::unsupported_media: return "unsupported media type";
      case ApiErrc::unavailable: return "unavailable";
      case ApiErrc::listen_failed: return "cannot listen";
    }
    return "unknown api error";
  }
};

}  // namespace

const std::error_category& api_category() noexcept {
  static const ApiCategory c;
  return c;
}

std::error_code make_error_code(ApiErrc e) noexcept { return {static_cast<int>(e), api_category()}; }

int http_status(const Error& e) {
  const auto& cat = e.code.category();
  const auto v = e.code.value();
  if (cat == api_category()) {
    switch (static_cast<ApiErrc>(v)) {
      case ApiErrc::bad_request: return 400;
      case ApiErrc::unauthorized: return 401;
      case ApiErrc::forbidden: return 403;
      case ApiErrc::not_found: return 404;
      case ApiErrc::method_not_allowed: return 405;
      case ApiErrc::conflict: return 409;
      case ApiErrc::payload_too_large: return 413;
      case ApiErrc::unsupported_media: return 415;
      case ApiErrc::unavailable: return 503;
      case ApiErrc::listen_failed: return 500;
    }
  }
  if (cat == backend::case_category()) {
    switch (static_cast<backend::CaseErrc>(v)) {
      case backend::CaseErrc::not_found: return 404;
      case backend::CaseErrc::invalid_transition:
      case backend::CaseErrc::invalid_request: return 409;
      case backend::CaseErrc::missing_detail:
      case backend::CaseErrc::invalid_survey:
      case backend::CaseErrc::invalid_query: return 400;
    }
  }
  if (cat == backend::visit_category()) {
    switch (static_cast<backend::VisitErrc>(v)) {
      case backend::VisitErrc::not_found: return 404;
      case backend::VisitErrc::invalid_request: return 400;
      case backend::VisitErrc::invalid_stage:
      case backend::VisitErrc::approval_required:
      case backend::VisitErrc::already_taken: return 409;
    }
  }
  if (cat == wire_category()) {
    return v == static_cast<int>(WireErrc::report_id_conflict) || v == static_cast<int>(WireErrc::conflicting_duplicate)
               ? 409
               : 400;
  }
  // A value the caller gave (a month, a period) is theirs to fix; a rule file that is missing or
  // unreadable is the server's.
  if (cat == config_category()) return v == static_cast<int>(ConfigErrc::invalid_value) ? 400 : 500;
  if (cat == storage_category()) {
    return v == static_cast<int>(StorageErrc::busy) || v == static_cast<int>(StorageErrc::full) ||
                   v == static_cast<int>(StorageErrc::unavailable)
               ? 503
               : 500;
  }
  return 500;
}

}  // namespace fb::api
