// The case store's SQL implementation (sqlite_case_store.cpp) over any fb::sql::Database: the
// SQLite file (open_sqlite_case_store) or a PostgreSQL connection (open_postgres_case_store).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fb/backend/case_store.hpp"
#include "fb/backend/notifier.hpp"
#include "fb/common/crypto.hpp"
#include "fb/common/postgres.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::backend::detail {

/// Schema v10 on SQLite, migration 2 on PostgreSQL (issue 11, privacy at rest): a phone number is
/// found through a keyed digest in a column beside its sealed value. Rows from before carry their
/// plain number as the "digest" until reseal_personal_data() seals them (the backend runs it at
/// start when it has keys; a store without keys keeps the value itself as its digest).
inline constexpr std::string_view kSchemaPhoneDigests = R"sql(
ALTER TABLE contacts ADD COLUMN phone_mac TEXT NOT NULL DEFAULT '';
UPDATE contacts SET phone_mac = phone;
CREATE INDEX contacts_phone_mac ON contacts(phone_mac);
ALTER TABLE callbacks ADD COLUMN phone_mac TEXT NOT NULL DEFAULT '';
UPDATE callbacks SET phone_mac = phone;
CREATE INDEX callbacks_phone_mac ON callbacks(phone_mac);
)sql";

/// Schema v11 on SQLite, migration 3 on PostgreSQL (issue 12, several instances): named leases,
/// held by one instance at a time until they expire (CaseStore::hold_lease). BIGINT is an
/// INTEGER to SQLite.
inline constexpr std::string_view kSchemaLeases = R"sql(
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_ms BIGINT NOT NULL
);
)sql";

/// Schema v12 on SQLite, migration 5 on PostgreSQL: the service console's visit list reads the
/// newest visits along an index instead of sorting every visit (15 ms at 20,000 visits on
/// PostgreSQL, growing with them).
inline constexpr std::string_view kSchemaVisitsByUpdate = R"sql(
CREATE INDEX visits_updated ON visits(updated_ms DESC, id);
)sql";

/// Schema v13 on SQLite, migration 6 on PostgreSQL: one survey answer counts per closing. The car
/// may rate a resolved case's outcome (its "resolved" notice) and, once the case is closed,
/// answer its survey: the same question about the same closing, asked twice. Both rows stay (a
/// resend of either is still known as one). Each names its closing (`closing`, by
/// kSetSurveyClosing) and when the driver answered (`answered_ms`: the car's Envelope.sent_at_ms
/// where it is plausible, else the arrival; answers stored before are ordered by arrival); the
/// latest answer of a closing is counted, the others not (kSetSurveyCounted). A case reopened and
/// resolved again is another closing.
inline constexpr std::string_view kSurveyClosingColumns = R"sql(
ALTER TABLE surveys ADD COLUMN answered_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE surveys ADD COLUMN closing TEXT NOT NULL DEFAULT '';
ALTER TABLE surveys ADD COLUMN counted BIGINT NOT NULL DEFAULT 1;
UPDATE surveys SET answered_ms = at_ms;
CREATE INDEX IF NOT EXISTS notifications_closings ON notifications(case_id, event);
CREATE INDEX surveys_closing ON surveys(case_id, closing);
)sql";

/// A survey row's closing: the id of the notification that opened it, the latest "resolved"
/// notice or visit handover of the case written no later than the notification answered (in the
/// order the store wrote them, not by any instance's clock; the id, not the rowid, is kept, as a
/// VACUUM may renumber SQLite's). Without one, the notification answered; an answer whose
/// notification is gone (its vehicle's data erased before v13) is of closing '': one per case.
inline constexpr std::string_view kSetSurveyClosing =
    "UPDATE surveys SET closing = coalesce((SELECT r.id FROM notifications r JOIN notifications n ON "
    "n.id = surveys.notification_id WHERE r.case_id = surveys.case_id AND r.event IN ('resolved', "
    "'visit_handover') AND r.rowid <= n.rowid ORDER BY r.rowid DESC LIMIT 1), (SELECT n.id FROM notifications n "
    "WHERE n.id = surveys.notification_id), '')";

/// Marks the latest answer of each row's closing counted and the others not.
inline constexpr std::string_view kSetSurveyCounted =
    "UPDATE surveys SET counted = CASE WHEN id = (SELECT s.id FROM surveys s WHERE s.case_id = surveys.case_id "
    "AND s.closing = surveys.closing ORDER BY s.answered_ms DESC, s.id DESC LIMIT 1) THEN 1 ELSE 0 END";

/// The migration: the columns, then every stored answer's closing and count.
inline std::string_view survey_closings_migration() {
  static const std::string migration = std::string(kSurveyClosingColumns) + std::string(kSetSurveyClosing) + ";\n" +
                                       std::string(kSetSurveyCounted) + ";\n";
  return migration;
}

/// Schema v14 on SQLite, migration 7 on PostgreSQL: the human triage queue. A case the classifier
/// was not sure of waits there (`needs_triage`) until a person triages it. Open cases stored
/// before are put in it from their evidence; closed ones are history.
/// And the length of a case's resolution target (`resolution_target_ms`), which a reopening
/// restarts from the reopening: due minus start, used before, is cut short (or below zero) once
/// a case has taken the earlier due time of a case merged into it. Rows stored before get due
/// minus start where it is positive; 0 (unknown) where it is not, and a reopening gives those the
/// default target (SlaTargets).
inline constexpr std::string_view kSchemaTriageQueue = R"sql(
ALTER TABLE cases ADD COLUMN needs_triage BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN resolution_target_ms BIGINT NOT NULL DEFAULT 0;
UPDATE cases SET resolution_target_ms = resolution_due_ms - sla_start_ms WHERE resolution_due_ms > sla_start_ms;
UPDATE cases SET needs_triage = 1
  WHERE triage LIKE '%:needs\_human\_triage%' ESCAPE '\' AND status NOT IN ('resolved', 'closed') AND major = 0;
CREATE INDEX cases_triage_queue ON cases(id) WHERE needs_triage = 1;
)sql";

/// PostgreSQL's case store migration that makes fb_seal and its kin seal (postgres_case_store.cpp).
inline constexpr std::int64_t kPgSealingVersion = 4;

/// Connection options of a reader or writer of the PostgreSQL case store: its writer lock and,
/// with `keys`, the session setting fb.keys that the sealing functions read (keys derived from
/// the ring's, never its own). Errors: CryptoErrc::backend_failed.
Result<sql::PgOptions> pg_store_options(const crypto::KeyRing* keys);

enum class PgSealingRole {
  writer,  // the store: binds the sealing functions to pgcrypto (DDL, under the writer lock)
  reader,  // the analytics: a read-only role, or a standby, may not; the store has bound them
};
/// On a connection opened with pg_store_options and keys, over a case store at
/// kPgSealingVersion or later (the caller knows: it migrated or checked it): as `role` says, binds the sealing
/// functions to pgcrypto (creating the extension if this user may); then checks that the session has the keys (current
/// key `current_key`), seals and opens. Errors: open_failed, saying what is missing.
Result<void> enable_pg_sealing(sql::Database& db, std::uint32_t current_key, PgSealingRole role);

/// The SQL condition on a case row `c` that one of `teams` may see it, as may_see() decides: its
/// own team or a collaborator. Each team is compared exactly (a team id is not a LIKE pattern);
/// `bind` gets the values of its placeholders in order. Empty `teams`: "" (no condition).
inline std::string visible_to_teams(const std::vector<std::string>& teams,
                                    const std::function<void(std::string)>& bind) {
  std::string any;
  for (const auto& t : teams) {
    any += std::string(any.empty() ? "" : " OR ") + "c.team = ? OR instr(',' || c.collaborators || ',', ?) > 0";
    bind(t);
    bind("," + t + ",");
  }
  return any.empty() ? any : "(" + any + ")";
}

/// `db` holds the current schema (migrated by the caller). Errors: a statement that does not prepare.
Result<std::unique_ptr<CaseStore>> case_store_over(sql::Database db, GroupingPolicy grouping,
                                                   DeadLetterPolicy dead_letters);

}  // namespace fb::backend::detail
