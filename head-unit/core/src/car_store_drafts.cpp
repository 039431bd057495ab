// CarStore: the driver's unsent drafts (drafts.hpp), kept across restarts.
#include <algorithm>

#include "fb/agent/car_store.hpp"
#include "fb/common/utf8.hpp"

namespace fb::agent {

Result<void> CarStore::save_draft(const SavedDraft& d) {
  if (d.draft_id.empty() || d.draft_id.size() > 64 || d.kind.empty() || d.kind.size() > 64) {
    return fail(WireErrc::invalid_field, "draft: an id and a kind of 1..64 bytes");
  }
  if (!is_valid_text(d.text) || utf8_length(d.text) > kMaxDraftChars) {
    return fail(WireErrc::invalid_field,
                "draft text: at most " + std::to_string(kMaxDraftChars) + " characters of UTF-8, no U+0000");
  }
  const bool phone_ok = d.phone.size() <= 32 && std::ranges::all_of(d.phone, [](char c) {
                          return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ';
                        });
  if (!phone_ok) return fail(WireErrc::invalid_field, "draft phone: digits, '+', '-' or spaces, at most 32");
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto count = db_.cached("SELECT count(*) FROM drafts WHERE draft_id <> ?");
  if (!count) return fail(count.error());
  count->bind(1, d.draft_id);
  std::int64_t others = 0;
  if (auto r = count->each_row([&](const sql::Statement& st) { others = st.int64(0); }); !r) return fail(r.error());
  if (others >= static_cast<std::int64_t>(kMaxDrafts)) {
    return fail(AgentErrc::queue_full, std::to_string(kMaxDrafts) + " drafts kept already");
  }
  auto st = db_.cached(
      "INSERT INTO drafts(draft_id, kind, text, consent, phone, saved_ms) "
      "VALUES(?1,?2,fb_seal(?3, 'drafts.text:' || ?1),?4,fb_seal(?5, 'drafts.phone:' || ?1),?6) "
      "ON CONFLICT(draft_id) DO UPDATE SET kind = excluded.kind, text = excluded.text, consent = excluded.consent, "
      "phone = excluded.phone, saved_ms = excluded.saved_ms");
  if (!st) return fail(st.error());
  st->bind(1, d.draft_id)
      .bind(2, d.kind)
      .bind(3, d.text)
      .bind_blob(4, d.consent.SerializeAsString())
      .bind(5, d.phone)
      .bind(6, d.saved_ms);
  if (auto r = st->run(); !r) return fail(r.error());
  return tx->commit();
}

Result<void> CarStore::delete_draft(const std::string& draft_id) {
  auto st = db_.cached("DELETE FROM drafts WHERE draft_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, draft_id);
  return st->run();
}

Result<std::vector<SavedDraft>> CarStore::drafts() {
  auto st = db_.cached(
      "SELECT draft_id, kind, fb_open(text, 'drafts.text:' || draft_id), consent, fb_open(phone, 'drafts.phone:' || "
      "draft_id), saved_ms FROM drafts ORDER BY saved_ms DESC, rowid DESC");
  if (!st) return fail(st.error());
  std::vector<SavedDraft> out;
  auto rows = st->each_row([&](const sql::Statement& s) {
    SavedDraft d{s.text(0), s.text(1), s.text(2), {}, s.text(4), s.int64(5)};
    // A consent this build cannot read shows as none given: the review asks again.
    if (!d.consent.ParseFromString(s.blob(3))) d.consent.Clear();
    out.push_back(std::move(d));
  });
  if (!rows) return fail(rows.error());
  return out;
}

}  // namespace fb::agent
