// CarStore: the driver's copy of what the car keeps, and its erasure (docs/privacy.md,
// "Erasure and export on the car").
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <set>

#include "fb/agent/car_store.hpp"
#include "fb/common/codec.hpp"

namespace fb::agent {
namespace {

std::string_view body_name(const wire::Envelope& env) {
  switch (env.body_case()) {
    case wire::Envelope::kReport: return "report";
    case wire::Envelope::kReceipt: return "receipt";
    case wire::Envelope::kSurvey: return "survey";
    case wire::Envelope::kVisitReply: return "visit_reply";
    case wire::Envelope::kCallbackRequest: return "callback_request";
    case wire::Envelope::kDriverMessage: return "driver_message";
    case wire::Envelope::kReopenRequest: return "reopen_request";
    default: return "other";
  }
}

/// What an erasure keeps queued: vehicle data and receipts, which carry nothing of the driver.
/// A payload that does not decode is not kept (it cannot be shown to hold nothing personal).
bool carries_nothing_personal(const Result<wire::Envelope>& env) {
  if (!env) return false;
  if (env->has_receipt()) return true;
  return env->has_report() && env->report().source() == wire::SOURCE_TELEMATICS;
}

}  // namespace

Result<PersonalData> CarStore::personal_data() {
  constexpr std::size_t kAll = std::numeric_limits<std::int32_t>::max();
  auto tx = sql::Transaction::begin(db_);  // one consistent view; rolled back at the end
  if (!tx) return fail(tx.error());
  PersonalData out;
  auto reports = this->reports(kAll);
  if (!reports) return fail(reports.error());
  out.reports = std::move(*reports);
  for (const auto& r : out.reports) {
    auto steps = timeline(r.report_id);
    if (!steps) return fail(steps.error());
    out.steps.push_back(std::move(*steps));
  }
  auto inbox = this->inbox(kAll);
  if (!inbox) return fail(inbox.error());
  out.inbox = std::move(*inbox);
  auto drafts = this->drafts();
  if (!drafts) return fail(drafts.error());
  out.drafts = std::move(*drafts);

  auto callbacks = db_.prepare(
      "SELECT callback_id, report_id, fb_open(phone, 'callbacks.phone:' || callback_id), state, agent, "
      "fb_open(outcome, 'callbacks.outcome:' || callback_id), "
      "requested_ms FROM callbacks ORDER BY requested_ms, rowid");
  if (!callbacks) return fail(callbacks.error());
  if (auto r = callbacks->each_row([&](const sql::Statement& s) {
        out.callbacks.push_back({s.text(0), s.text(1), s.text(2), static_cast<wire::CallbackState>(s.int64(3)),
                                 s.text(4), s.text(5), s.int64(6)});
      });
      !r) {
    return fail(r.error());
  }
  auto answers = db_.prepare(
      "SELECT message_id, visit_id, action, slot_id, reason, queued_ms FROM visit_replies ORDER BY queued_ms, rowid");
  if (!answers) return fail(answers.error());
  if (auto r = answers->each_row([&](const sql::Statement& s) {
        out.visit_answers.push_back({s.text(0), s.text(1), static_cast<wire::VisitReply::Action>(s.int64(2)), s.text(3),
                                     s.text(4), s.int64(5)});
      });
      !r) {
    return fail(r.error());
  }
  auto queued = db_.prepare(
      "SELECT id, fb_open(payload, 'outbox.payload:' || id), created_ms FROM outbox "
      "ORDER BY created_ms, id");
  if (!queued) return fail(queued.error());
  if (auto r = queued->each_row([&](const sql::Statement& s) {
        auto env = codec::decode(s.blob(1));
        out.queued.push_back({s.text(0), env ? std::string(body_name(*env)) : "unreadable", s.int64(2)});
      });
      !r) {
    return fail(r.error());
  }
  return out;
}

Result<Erased> CarStore::erase_personal_data() {
  Erased erased;
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  {
    // fb_try_open: a payload that does not open (sealed under a key the car no longer has) is NULL,
    // and erased like the rest.
    std::vector<std::string> drop;
    auto outbox = db_.prepare("SELECT id, fb_try_open(payload, 'outbox.payload:' || id) FROM outbox");
    if (!outbox) return fail(outbox.error());
    if (auto r = outbox->each_row([&](const sql::Statement& s) {
          const bool keep = !s.is_null(1) && carries_nothing_personal(codec::decode(s.blob(1)));
          if (!keep) drop.push_back(s.text(0));
        });
        !r) {
      return fail(r.error());
    }
    for (const auto& id : drop) {
      if (auto r = delete_row(id); !r) return fail(r.error());
    }
    erased.unsent = std::move(drop);
  }
  // Report rows stay only for the reports still queued (telematics ones): their acks apply to them.
  constexpr std::string_view kNotQueued = " WHERE report_id NOT IN (SELECT id FROM outbox WHERE kind = 'report')";
  auto count = [&](std::string_view sql) -> Result<std::size_t> {
    auto n = db_.query_int(sql);
    if (!n) return fail(n.error());
    return static_cast<std::size_t>(n->value_or(0));
  };
  auto reports = count("SELECT count(*) FROM reports" + std::string(kNotQueued));
  auto inbox = count("SELECT count(*) FROM inbox");
  auto drafts = count("SELECT count(*) FROM drafts");
  if (!reports || !inbox || !drafts) return fail((!reports ? reports : !inbox ? inbox : drafts).error());
  erased.reports = *reports;
  erased.inbox = *inbox;
  erased.drafts = *drafts;
  // A kept report may have a case already (its notification came before its ack): its steps from
  // the backend and the driver's answers go, and so do the words shown on its row.
  // Remembered by id only, so that what the backend still writes about them is not shown again.
  if (auto r = db_.exec("INSERT OR IGNORE INTO erased_reports(report_id) SELECT report_id FROM reports" +
                        std::string(kNotQueued));
      !r) {
    return fail(r.error());
  }
  for (const auto& sql :
       {"DELETE FROM reports" + std::string(kNotQueued), "DELETE FROM timeline" + std::string(kNotQueued),
        std::string("DELETE FROM timeline WHERE source_id <> ''"),
        std::string("UPDATE reports SET last_title = '', last_text = '', reject_reason = ''"),
        std::string("DELETE FROM inbox"), std::string("DELETE FROM visits"), std::string("DELETE FROM visit_replies"),
        std::string("DELETE FROM callbacks"), std::string("DELETE FROM drafts")}) {
    if (auto r = db_.exec(sql); !r) return fail(r.error());
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  totals_.reset();
  auto busy = db_.query_int("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!busy) return fail(busy.error());
  erased.wal_kept = busy->value_or(0) != 0;
  if (erased.wal_kept) spdlog::warn("car store: a reader kept the WAL from being emptied after an erasure");
  return erased;
}

Result<std::optional<std::set<std::string>>> CarStore::reports_of_queued_answers() {
  std::vector<std::string> answers;
  auto st = db_.prepare("SELECT id FROM outbox WHERE answer = 1");
  if (!st) return fail(st.error());
  if (auto r = st->each_row([&](const sql::Statement& s) { answers.push_back(s.text(0)); }); !r) return fail(r.error());
  std::set<std::string> reports;
  for (const auto& id : answers) {
    auto payload = this->payload(id);
    // A sealed payload that no longer opens (StorageErrc::internal) is unreadable; a failing
    // store is an error.
    if (!payload && payload.error().code != make_error_code(StorageErrc::internal)) return fail(payload.error());
    auto env = payload ? codec::decode(*payload) : Result<wire::Envelope>(fail(payload.error()));
    if (!env) return std::optional<std::set<std::string>>();
    auto about = report_of_answer(*env);
    if (!about) return fail(about.error());
    if (!*about) return std::optional<std::set<std::string>>();
    // "" too: a notification or visit without a report keeps the rows without one.
    reports.insert(std::move(**about));
  }
  return std::optional(std::move(reports));
}

Result<std::vector<std::string>> CarStore::forget_finished(std::int64_t now_ms) {
  std::vector<std::string> ids;
  if (options_.history.count() <= 0 || !clock_valid(now_ms)) return ids;
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  // A driver's answer still queued (a reopen, a rating, a visit reply, a callback) may be about a
  // closed report: that report stays until the backend has confirmed the answer, and one answer
  // the backend never confirms holds back only its own report. One that cannot be read may be
  // about any report: then nothing goes.
  auto answered = reports_of_queued_answers();
  if (!answered) return fail(answered.error());
  if (!*answered) return ids;
  // The reports the answers are about, as a JSON array for json_each(): every query below keeps them.
  // An id read back as bytes that are not UTF-8 (a damaged page, a salvaged row) has no JSON
  // form: which report it names is unknown, so nothing goes, as for an answer that cannot be read.
  std::string kept_json;
  try {
    kept_json = nlohmann::json(**answered).dump();
  } catch (const nlohmann::json::exception&) {
    return ids;
  }
  // A change stamped while the clock was unset (year 2000) is not old: its year starts now.
  auto restamp = db_.prepare("UPDATE reports SET updated_ms = ? WHERE updated_ms < ?");
  if (!restamp) return fail(restamp.error());
  restamp->bind(1, now_ms).bind(2, options_.clock_valid_from_ms);
  if (auto r = restamp->run(); !r) return fail(r.error());
  // What the backend answered counts by the backend's clock (see the header): an RTC stepped
  // ahead erases none of it. A report dropped unsent never reached it: the car's clock alone.
  auto backend_ms = db_.query_int("SELECT newest_ms FROM backend_clock WHERE id = 1");
  if (!backend_ms) return fail(backend_ms.error());
  const auto before = within_lead(now_ms, backend_ms->value_or(0)) - options_.history.count();
  const auto dropped_before = now_ms - options_.history.count();
  auto old = db_.prepare(
      "SELECT report_id FROM reports WHERE ((status IN (?1, ?2) AND updated_ms < ?4) OR (status = ?3 AND "
      "updated_ms < ?5)) AND report_id NOT IN (SELECT id FROM outbox WHERE kind = 'report') AND report_id NOT IN "
      "(SELECT value FROM json_each(?6))");
  if (!old) return fail(old.error());
  old->bind(1, to_string(ReportStatus::closed))
      .bind(2, to_string(ReportStatus::rejected))
      .bind(3, to_string(ReportStatus::dropped))
      .bind(4, before)
      .bind(5, dropped_before)
      .bind(6, kept_json);
  if (auto r = old->each_row([&](const sql::Statement& s) { ids.push_back(s.text(0)); }); !r) return fail(r.error());
  for (const auto* sql :
       {"DELETE FROM visit_replies WHERE visit_id IN (SELECT visit_id FROM visits WHERE report_id = ?)",
        "DELETE FROM visits WHERE report_id = ?", "DELETE FROM callbacks WHERE report_id = ?",
        "DELETE FROM inbox WHERE report_id = ?", "DELETE FROM timeline WHERE report_id = ?",
        "DELETE FROM reports WHERE report_id = ?"}) {
    auto st = db_.prepare(sql);
    if (!st) return fail(st.error());
    for (const auto& id : ids) {
      st->bind(1, id);
      if (auto r = st->run(); !r) return fail(r.error());
    }
  }
  // What a late notification left about a report forgotten before (or never on this car).
  // An answer's own report is kept here too (a rating of a notification left by a late one).
  for (const auto* sql :
       {"DELETE FROM visit_replies WHERE visit_id IN (SELECT visit_id FROM visits WHERE received_ms < ?1 AND "
        "report_id NOT IN (SELECT report_id FROM reports) AND report_id NOT IN (SELECT value FROM json_each(?2)))",
        "DELETE FROM visits WHERE received_ms < ?1 AND report_id NOT IN (SELECT report_id FROM reports) AND "
        "report_id NOT IN (SELECT value FROM json_each(?2))",
        "DELETE FROM callbacks WHERE updated_ms < ?1 AND report_id NOT IN (SELECT report_id FROM reports) AND "
        "report_id NOT IN (SELECT value FROM json_each(?2))",
        "DELETE FROM inbox WHERE received_ms < ?1 AND report_id NOT IN (SELECT report_id FROM reports) AND "
        "report_id NOT IN (SELECT value FROM json_each(?2))"}) {
    auto st = db_.prepare(sql);
    if (!st) return fail(st.error());
    st->bind(1, before).bind(2, kept_json);
    if (auto r = st->run(); !r) return fail(r.error());
  }
  if (auto r = tx->commit(); !r) return fail(r.error());
  return ids;
}

}  // namespace fb::agent
