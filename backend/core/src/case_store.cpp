#include "fb/backend/case_store.hpp"

#include "fb/common/codec.hpp"

namespace fb::backend {

std::int64_t next_due_ms(const CaseSummary& c) {
  return c.first_response_ms ? c.resolution_due_ms : c.first_reply_due_ms;
}

SlaState sla_state(const CaseSummary& c, std::int64_t now_ms) {
  if (!is_open(c.state)) {
    return c.resolved_ms && *c.resolved_ms <= c.resolution_due_ms ? SlaState::met : SlaState::missed;
  }
  const auto due = next_due_ms(c);
  if (due < now_ms) return SlaState::overdue;
  if (due < now_ms + kDueSoonMs) return SlaState::due_soon;
  return SlaState::on_track;
}

Result<std::int64_t> CaseStore::reseal_personal_data() {
  return fail(StorageErrc::internal, "resealing is not supported by this store");
}

Result<std::int64_t> CaseStore::erase_closed_cases(std::int64_t, std::int64_t) {
  return fail(StorageErrc::internal, "retention is not supported by this store");
}

std::string privacy_subject(std::string_view kind, std::string_view value) {
  return std::string(kind) + ":" + codec::to_hex(codec::sha256(value)).substr(0, 16);
}

}  // namespace fb::backend
