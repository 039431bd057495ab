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
