// JSON of the service visit and the live callback for the API (docs/visits.md): what the
// console and the dealer simulator read, and the bodies they send. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "fb/api/auth.hpp"
#include "fb/backend/visits.hpp"

namespace fb::api {

nlohmann::json visit_json(const backend::Visit& v, const Principal& who);
nlohmann::json callback_json(const backend::Callback& c, const Principal& who, std::int64_t now_ms);
nlohmann::json approval_json(const backend::Approval& a);

/// `{"minor": 80000, "currency": "CNY"}` in field `name`. Errors: ApiErrc::bad_request naming it.
Result<backend::Money> money_of(const nlohmann::json& doc, std::string_view name);
/// The body's `slots` array. Errors: bad_request naming the slot and field.
Result<std::vector<backend::VisitSlot>> slots_of(const nlohmann::json& doc);
/// A stage entry's fields besides visit, actor and time (stage, note, ready_at_ms, findings,
/// dtcs, parts, labour, passed).
Result<backend::StageEntry> stage_of(const nlohmann::json& doc);

}  // namespace fb::api
