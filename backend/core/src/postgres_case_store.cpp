// The case store on PostgreSQL: the same SQL as on SQLite (sqlite_case_store.cpp, through the
// fb::sql PostgreSQL driver), with a schema of its own. Its migration 1 is the SQLite schema at
// version 9 written in PostgreSQL's types; later changes add migrations to both lists.
#include <memory>
#include <span>
#include <string>

#include "case_store_sql.hpp"
#include "fb/backend/case_store.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/postgres.hpp"

namespace fb::backend {
namespace {

// BIGINT for every integer (SQLite's are 64-bit), BYTEA for blobs, BIGSERIAL for SQLite's
// INTEGER PRIMARY KEY. reports and notifications, whose key is text, get the `rowid` SQLite
// gives them implicitly: the store orders by it.
constexpr std::string_view kPgSchemaV1 = R"sql(
CREATE TABLE cases (
  id BIGSERIAL PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  vin TEXT NOT NULL,
  type TEXT NOT NULL,
  priority TEXT NOT NULL,
  system TEXT NOT NULL,
  team TEXT NOT NULL,
  status TEXT NOT NULL,
  language TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  first_reply_due_ms BIGINT NOT NULL,
  triage TEXT NOT NULL,
  sla_start_ms BIGINT NOT NULL DEFAULT 0,
  resolution_due_ms BIGINT NOT NULL DEFAULT 0,
  first_response_ms BIGINT,
  resolved_ms BIGINT,
  response_escalation BIGINT NOT NULL DEFAULT 0,
  resolution_escalation BIGINT NOT NULL DEFAULT 0,
  progress_every_ms BIGINT NOT NULL DEFAULT 0,
  last_contact_ms BIGINT NOT NULL DEFAULT 0,
  next_sla_ms BIGINT,
  assignee TEXT NOT NULL DEFAULT '',
  collaborators TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT 'car',
  model TEXT NOT NULL DEFAULT '',
  software_version TEXT NOT NULL DEFAULT '',
  parent_id BIGINT REFERENCES cases(id),
  major BIGINT NOT NULL DEFAULT 0,
  cluster_id BIGINT,
  follow_up_of BIGINT REFERENCES cases(id)
);
CREATE INDEX cases_vin ON cases(vin);
CREATE INDEX cases_sla ON cases(next_sla_ms) WHERE next_sla_ms IS NOT NULL;
CREATE INDEX cases_open_vin ON cases(vin, system, created_ms);
CREATE INDEX cases_cluster ON cases(cluster_id);
CREATE INDEX cases_team ON cases(team, id);
CREATE INDEX cases_status ON cases(status, id);
CREATE INDEX cases_due ON cases((CASE WHEN first_response_ms IS NULL THEN first_reply_due_ms ELSE resolution_due_ms END), id);
CREATE INDEX cases_created ON cases(created_ms);
CREATE TABLE reports (
  rowid BIGSERIAL NOT NULL UNIQUE,
  report_id TEXT PRIMARY KEY,
  vin TEXT NOT NULL,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  received_ms BIGINT NOT NULL,
  car_time_ms BIGINT NOT NULL,
  source BIGINT NOT NULL,
  category BIGINT NOT NULL,
  language TEXT NOT NULL,
  text TEXT NOT NULL,
  dtcs TEXT NOT NULL,
  payload BYTEA NOT NULL
);
CREATE INDEX reports_case ON reports(case_id, rowid);
CREATE TABLE case_counters (year BIGINT PRIMARY KEY, last BIGINT NOT NULL);
CREATE TABLE case_events (
  id BIGSERIAL PRIMARY KEY,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  at_ms BIGINT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT 'system'
);
CREATE INDEX case_events_case ON case_events(case_id);
CREATE TABLE notifications (
  rowid BIGSERIAL NOT NULL UNIQUE,
  id TEXT PRIMARY KEY,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  vin TEXT NOT NULL,
  payload BYTEA NOT NULL,
  created_ms BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'delivered', 'read')),
  attempts BIGINT NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  delivered_ms BIGINT,
  read_ms BIGINT,
  carried_by_ack BIGINT NOT NULL DEFAULT 0,
  event TEXT NOT NULL DEFAULT 'received',
  report_id TEXT
);
CREATE INDEX notifications_due ON notifications(state, next_attempt_ms) WHERE carried_by_ack = 0;
CREATE INDEX notifications_carried ON notifications(report_id) WHERE carried_by_ack = 1;
CREATE INDEX notifications_case ON notifications(case_id);
CREATE TABLE dead_letters (
  id BIGSERIAL PRIMARY KEY,
  digest BYTEA NOT NULL UNIQUE,
  topic TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  payload BYTEA NOT NULL,
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  count BIGINT NOT NULL,
  vin TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dead_letters_vin ON dead_letters(vin);
CREATE INDEX dead_letters_last_seen ON dead_letters(last_seen_ms);
CREATE TABLE clusters (
  id BIGSERIAL PRIMARY KEY,
  key TEXT NOT NULL,
  model TEXT NOT NULL,
  software_version TEXT NOT NULL,
  exemplar TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  major_case_id BIGINT REFERENCES cases(id),
  warned_ms BIGINT NOT NULL DEFAULT 0,
  last_ms BIGINT NOT NULL,
  vehicles BIGINT NOT NULL DEFAULT 0,
  cases BIGINT NOT NULL DEFAULT 0,
  window_start_ms BIGINT NOT NULL DEFAULT 0,
  window_count BIGINT NOT NULL DEFAULT 0,
  previous_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX clusters_key ON clusters(key, model, software_version, last_ms);
CREATE TABLE cluster_vehicles (
  cluster_id BIGINT NOT NULL REFERENCES clusters(id),
  vin TEXT NOT NULL,
  PRIMARY KEY (cluster_id, vin)
);
CREATE TABLE surveys (
  id BIGSERIAL PRIMARY KEY,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  notification_id TEXT NOT NULL UNIQUE,
  score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment TEXT NOT NULL,
  at_ms BIGINT NOT NULL
);
CREATE INDEX surveys_case ON surveys(case_id);
CREATE TABLE contacts (
  report_id TEXT PRIMARY KEY REFERENCES reports(report_id),
  name TEXT NOT NULL,
  phone TEXT NOT NULL
);
CREATE INDEX contacts_phone ON contacts(phone);
CREATE TABLE privacy_audit (
  id BIGSERIAL PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE visits (
  id TEXT PRIMARY KEY,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  state TEXT NOT NULL,
  proposal BIGINT NOT NULL DEFAULT 1,
  slots TEXT NOT NULL,
  booked TEXT,
  dealer_code TEXT NOT NULL DEFAULT '',
  estimate_minor BIGINT NOT NULL,
  currency TEXT NOT NULL,
  approved_extra_minor BIGINT NOT NULL DEFAULT 0,
  repair_cost_minor BIGINT NOT NULL DEFAULT 0,
  ready_at_ms BIGINT NOT NULL DEFAULT 0,
  reminder_due_ms BIGINT,
  survey_notification_id TEXT,
  survey_score BIGINT,
  survey_comment TEXT,
  follow_up_case_id BIGINT REFERENCES cases(id),
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE INDEX visits_case ON visits(case_id);
CREATE INDEX visits_dealer ON visits(dealer_code, state);
CREATE INDEX visits_reminder ON visits(reminder_due_ms) WHERE reminder_due_ms IS NOT NULL;
CREATE INDEX visits_survey ON visits(survey_notification_id) WHERE survey_notification_id IS NOT NULL;
CREATE TABLE visit_stages (
  id BIGSERIAL PRIMARY KEY,
  visit_id TEXT NOT NULL REFERENCES visits(id),
  stage TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX visit_stages_visit ON visit_stages(visit_id, id);
CREATE TABLE visit_approvals (
  id TEXT PRIMARY KEY,
  visit_id TEXT NOT NULL REFERENCES visits(id),
  amount_minor BIGINT NOT NULL,
  currency TEXT NOT NULL,
  reason TEXT NOT NULL,
  state TEXT NOT NULL,
  requested_ms BIGINT NOT NULL,
  answered_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX visit_approvals_visit ON visit_approvals(visit_id);
CREATE TABLE callbacks (
  id TEXT PRIMARY KEY,
  case_id BIGINT NOT NULL REFERENCES cases(id),
  vin TEXT NOT NULL,
  phone TEXT NOT NULL,
  language TEXT NOT NULL,
  state TEXT NOT NULL,
  requested_ms BIGINT NOT NULL,
  picked_ms BIGINT NOT NULL DEFAULT 0,
  agent TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  logged_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX callbacks_state ON callbacks(state, requested_ms);
CREATE INDEX callbacks_case ON callbacks(case_id);
CREATE TABLE car_replies (
  message_id TEXT PRIMARY KEY,
  vin TEXT NOT NULL,
  at_ms BIGINT NOT NULL
);
CREATE TABLE report_relations (
  report_id TEXT NOT NULL,
  related_id TEXT NOT NULL,
  PRIMARY KEY (related_id, report_id)
);
-- SQLite's shift of 64-bit integers (the resend backoff: 1 << min(attempts, 30)).
CREATE FUNCTION fb_shift_left(value INTEGER, bits BIGINT) RETURNS BIGINT
  LANGUAGE sql IMMUTABLE STRICT AS 'SELECT value::BIGINT << bits::INTEGER';
CREATE OPERATOR << (LEFTARG = INTEGER, RIGHTARG = BIGINT, FUNCTION = fb_shift_left);
-- SQLite's instr() over blobs (erasure looks for a VIN inside dead letters' payloads).
CREATE FUNCTION strpos(haystack BYTEA, needle BYTEA) RETURNS INTEGER
  LANGUAGE sql IMMUTABLE STRICT AS 'SELECT position(needle IN haystack)';
)sql";

// Migration 2 is SQLite's v10 (privacy at rest): the keyed-digest columns for lookups by phone
// (detail::kSchemaPhoneDigests), then the sealing functions the store's SQL calls. The PostgreSQL
// store does not seal yet (open_case_store refuses keys with it): here they pass values through,
// and a digest is the value itself, as on a SQLite store without keys.
constexpr std::string_view kPgSealingPassThrough = R"sql(
CREATE FUNCTION fb_seal(value TEXT, place TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS 'SELECT value';
CREATE FUNCTION fb_seal(value BYTEA, place TEXT) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS 'SELECT value';
CREATE FUNCTION fb_open(value TEXT, place TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS 'SELECT value';
CREATE FUNCTION fb_open(value BYTEA, place TEXT) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS 'SELECT value';
CREATE FUNCTION fb_try_open(value TEXT, place TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS 'SELECT value';
CREATE FUNCTION fb_try_open(value BYTEA, place TEXT) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS 'SELECT value';
CREATE FUNCTION fb_lookup(value TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS 'SELECT value';
CREATE FUNCTION fb_key_id(value TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS 'SELECT NULL::BIGINT';
CREATE FUNCTION fb_key_id(value BYTEA) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS 'SELECT NULL::BIGINT';
CREATE FUNCTION fb_current_key() RETURNS BIGINT LANGUAGE sql IMMUTABLE AS 'SELECT NULL::BIGINT';
)sql";

// Migration 4 (docs/privacy.md): the sealing functions seal, on the server, with pgcrypto. The
// keys reach the session as the setting fb.keys (sql::PgOptions::session_settings, in the
// startup packet: never in a statement or the server's log), and only keys derived from the
// ring's (key_setting): "<current id>;<lookup key>;<id>:<enc key><mac key>,...", in hex.
// Without the setting the functions behave as SQLite's without a key ring.
//
// A sealed value: "fbP1", the key id (4 bytes, big endian), a random 16-byte IV, AES-256-CBC
// ciphertext (PKCS#7 padding), then HMAC-SHA256 under the mac key over all of that, the place
// and the place's length (encrypt-then-MAC: pgcrypto has no GCM). Text columns hold "enc:p1:"
// and its base64. The place binds a value to its row and column as on SQLite.
//
// pgcrypto's functions are reached through fb_aes_encrypt, fb_aes_decrypt, fb_hmac and
// fb_random_bytes, which fb_bind_crypto() (re)makes to name the schema the extension lives in
// (creating it there if it is missing and this user may): the store runs it when it opens with
// keys, so an extension installed later by a DBA is found then.
constexpr std::string_view kPgSealing = R"sql(
CREATE FUNCTION fb_bind_crypto() RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
  home TEXT;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto') THEN
    CREATE EXTENSION pgcrypto;
  END IF;
  SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pgcrypto';
  EXECUTE format('CREATE OR REPLACE FUNCTION fb_aes_encrypt(data BYTEA, k BYTEA, iv BYTEA) RETURNS BYTEA '
                 'LANGUAGE sql IMMUTABLE STRICT AS %L',
                 format('SELECT %I.encrypt_iv(data, k, iv, ''aes-cbc/pad:pkcs'')', home));
  EXECUTE format('CREATE OR REPLACE FUNCTION fb_aes_decrypt(data BYTEA, k BYTEA, iv BYTEA) RETURNS BYTEA '
                 'LANGUAGE sql IMMUTABLE STRICT AS %L',
                 format('SELECT %I.decrypt_iv(data, k, iv, ''aes-cbc/pad:pkcs'')', home));
  EXECUTE format('CREATE OR REPLACE FUNCTION fb_hmac(data BYTEA, k BYTEA) RETURNS BYTEA '
                 'LANGUAGE sql IMMUTABLE STRICT AS %L', format('SELECT %I.hmac(data, k, ''sha256'')', home));
  EXECUTE format('CREATE OR REPLACE FUNCTION fb_random_bytes(n INTEGER) RETURNS BYTEA '
                 'LANGUAGE sql VOLATILE STRICT AS %L', format('SELECT %I.gen_random_bytes(n)', home));
  RETURN home;
END $$;

CREATE FUNCTION fb_keys() RETURNS TEXT LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('fb.keys', true), '') $$;

CREATE OR REPLACE FUNCTION fb_current_key() RETURNS BIGINT LANGUAGE sql STABLE AS $$ SELECT split_part(fb_keys(), ';', 1)::BIGINT $$;

-- The encryption (part 1) or MAC (part 2) key of key id.
-- (position(), not a regular expression: a {128} bound made each call cost 90 us.)
CREATE FUNCTION fb_key(id BIGINT, part INTEGER) RETURNS BYTEA LANGUAGE plpgsql STABLE AS $$
DECLARE
  list TEXT := ',' || split_part(fb_keys(), ';', 3);
  head TEXT := ',' || id || ':';
  at INTEGER := position(head IN list);
BEGIN
  IF at = 0 OR at IS NULL THEN
    RAISE EXCEPTION 'unknown key: key %', id;
  END IF;
  RETURN decode(substr(list, at + length(head) + (part - 1) * 64, 64), 'hex');
END $$;

CREATE FUNCTION fb_seal_bytes(plain BYTEA, place TEXT) RETURNS BYTEA LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  id BIGINT := fb_current_key();
  iv BYTEA := fb_random_bytes(16);
  body BYTEA;
BEGIN
  body := 'fbP1'::BYTEA || substring(int8send(id) FROM 5 FOR 4) || iv || fb_aes_encrypt(plain, fb_key(id, 1), iv);
  RETURN body || fb_hmac(body || convert_to(coalesce(place, ''), 'UTF8') || int4send(octet_length(coalesce(place, ''))),
                         fb_key(id, 2));
END $$;

CREATE FUNCTION fb_is_sealed_bytes(value BYTEA) RETURNS BOOLEAN LANGUAGE sql IMMUTABLE AS
  $$ SELECT octet_length(value) >= 4 AND substring(value FROM 1 FOR 4) = 'fbP1'::BYTEA $$;

-- The sealed bytes a text holds ("enc:p1:" and their base64), NULL for any other text.
CREATE FUNCTION fb_sealed_text_bytes(value TEXT) RETURNS BYTEA LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  raw BYTEA;
BEGIN
  IF value IS NULL OR left(value, 7) <> 'enc:p1:' OR substr(value, 8) !~ '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' THEN
    RETURN NULL;
  END IF;
  raw := decode(substr(value, 8), 'base64');
  IF NOT fb_is_sealed_bytes(raw) THEN
    RETURN NULL;
  END IF;
  RETURN raw;
END $$;

CREATE FUNCTION fb_open_bytes(sealed BYTEA, place TEXT) RETURNS BYTEA LANGUAGE plpgsql STABLE AS $$
DECLARE
  n INTEGER := octet_length(sealed);
  id BIGINT;
  body BYTEA;
BEGIN
  IF fb_keys() IS NULL THEN
    RAISE EXCEPTION 'sealed value but no key ring configured';
  END IF;
  IF n < 4 + 4 + 16 + 16 + 32 THEN
    RAISE EXCEPTION 'authentication failed: shorter than a sealed value';
  END IF;
  id := fb_key_id(sealed);
  body := substring(sealed FROM 1 FOR n - 32);
  IF fb_hmac(body || convert_to(coalesce(place, ''), 'UTF8') || int4send(octet_length(coalesce(place, ''))),
             fb_key(id, 2)) IS DISTINCT FROM substring(sealed FROM n - 31) THEN
    RAISE EXCEPTION 'authentication failed: key %', id;
  END IF;
  RETURN fb_aes_decrypt(substring(body FROM 25), fb_key(id, 1), substring(body FROM 9 FOR 16));
END $$;

CREATE OR REPLACE FUNCTION fb_seal(value TEXT, place TEXT) RETURNS TEXT LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF value IS NULL OR value = '' THEN
    RETURN value;
  END IF;
  IF fb_keys() IS NULL THEN
    RETURN CASE WHEN left(value, 4) = 'enc:' THEN 'enc:raw:' || value ELSE value END;
  END IF;
  RETURN 'enc:p1:' || translate(encode(fb_seal_bytes(convert_to(value, 'UTF8'), place), 'base64'), chr(10), '');
END $$;

CREATE OR REPLACE FUNCTION fb_seal(value BYTEA, place TEXT) RETURNS BYTEA LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF value IS NULL OR octet_length(value) = 0 OR fb_keys() IS NULL THEN
    RETURN value;
  END IF;
  RETURN fb_seal_bytes(value, place);
END $$;

CREATE OR REPLACE FUNCTION fb_open(value TEXT, place TEXT) RETURNS TEXT LANGUAGE plpgsql STABLE AS $$
DECLARE
  raw BYTEA;
BEGIN
  IF left(value, 8) = 'enc:raw:' THEN
    RETURN substr(value, 9);
  END IF;
  raw := fb_sealed_text_bytes(value);
  IF raw IS NULL THEN
    RETURN value;
  END IF;
  RETURN convert_from(fb_open_bytes(raw, place), 'UTF8');
END $$;

CREATE OR REPLACE FUNCTION fb_open(value BYTEA, place TEXT) RETURNS BYTEA LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF value IS NULL OR NOT fb_is_sealed_bytes(value) THEN
    RETURN value;
  END IF;
  RETURN fb_open_bytes(value, place);
END $$;

CREATE OR REPLACE FUNCTION fb_try_open(value TEXT, place TEXT) RETURNS TEXT LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN fb_open(value, place);
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION fb_try_open(value BYTEA, place TEXT) RETURNS BYTEA LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN fb_open(value, place);
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END $$;

-- plpgsql, as those above: fb_hmac does not exist before fb_bind_crypto() makes it.
CREATE OR REPLACE FUNCTION fb_lookup(value TEXT) RETURNS TEXT LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF value IS NULL OR value = '' OR fb_keys() IS NULL THEN
    RETURN value;
  END IF;
  RETURN encode(fb_hmac(convert_to(value, 'UTF8'), decode(split_part(fb_keys(), ';', 2), 'hex')), 'hex');
END $$;

CREATE OR REPLACE FUNCTION fb_key_id(value BYTEA) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN fb_is_sealed_bytes(value) AND octet_length(value) >= 8
              THEN (get_byte(value, 4)::BIGINT << 24) | (get_byte(value, 5)::BIGINT << 16) |
                   (get_byte(value, 6)::BIGINT << 8) | get_byte(value, 7)::BIGINT END
$$;

-- From the first 9 bytes alone (magic and id): the reseal at each start asks it of every row.
CREATE OR REPLACE FUNCTION fb_key_id(value TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN left(value, 7) = 'enc:p1:' AND substr(value, 8, 12) ~ '^[A-Za-z0-9+/]{12}$'
              THEN fb_key_id(decode(substr(value, 8, 12), 'base64')) END
$$;
)sql";

/// Migration i upgrades version i to i + 1 (sql::StoreSchema); built at first use.
std::span<const std::string_view> pg_migrations() {
  static const std::string privacy = std::string(detail::kSchemaPhoneDigests) + std::string(kPgSealingPassThrough);
  // Several instances may share the store: one still on the build before would insert answers
  // without a closing, counted beside this build's. Without defaults its insert fails instead,
  // and the car sends the answer again until an upgraded instance takes it.
  static const std::string survey_closings = std::string(detail::survey_closings_migration()) +
                                             "ALTER TABLE surveys ALTER COLUMN answered_ms DROP DEFAULT;\n"
                                             "ALTER TABLE surveys ALTER COLUMN closing DROP DEFAULT;\n";
  static const std::string_view migrations[] = {kPgSchemaV1,
                                                privacy,
                                                detail::kSchemaLeases,
                                                kPgSealing,
                                                detail::kSchemaVisitsByUpdate,
                                                survey_closings,
                                                detail::kSchemaTriageQueue};
  return migrations;
}

/// The store's writer lock (sql::PgOptions::writer_lock): any constant all instances share.
constexpr std::int64_t kCaseStoreLock = 0x66622d6361736573;  // "fb-cases"

std::string hex(const crypto::KeyBytes& key) {
  return codec::to_hex(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

/// The session setting fb.keys the sealing functions read (kPgSealing): keys derived from the
/// ring's, never its own.
Result<std::string> key_setting(const crypto::KeyRing& keys) {
  auto lookup = keys.lookup_key();
  if (!lookup) return fail(lookup.error());
  std::string out = std::to_string(keys.current_id()) + ";" + hex(*lookup) + ";";
  for (const auto id : keys.ids()) {
    auto enc = keys.derived_key(id, "fb pg enc v1");
    if (!enc) return fail(enc.error());
    auto mac = keys.derived_key(id, "fb pg mac v1");
    if (!mac) return fail(mac.error());
    out += (out.back() == ';' ? "" : ",") + std::to_string(id) + ":" + hex(*enc) + hex(*mac);
  }
  return out;
}

}  // namespace

namespace detail {

Result<sql::PgOptions> pg_store_options(const crypto::KeyRing* keys) {
  sql::PgOptions options;
  options.writer_lock = kCaseStoreLock;
  if (keys != nullptr) {
    auto setting = key_setting(*keys);
    if (!setting) return fail(setting.error());
    options.session_settings = {{"fb.keys", std::move(*setting)}};
  }
  return options;
}

Result<void> enable_pg_sealing(sql::Database& db, std::uint32_t current_key, PgSealingRole role) {
  if (role == PgSealingRole::writer) {
    // Under the store's writer lock: instances starting together replace the functions in turn.
    auto tx = sql::Transaction::begin(db);
    if (!tx) return fail(tx.error());
    if (auto bound = db.exec("SELECT fb_bind_crypto()"); !bound) {
      return fail(StorageErrc::open_failed,
                  "binding the sealing functions to pgcrypto failed (is the extension there? as a superuser or the "
                  "database's owner: CREATE EXTENSION pgcrypto): " +
                      bound.error().what());
    }
    if (auto c = tx->commit(); !c) return fail(c.error());
  }
  // This session has the keys (a proxy may drop startup options: then fb_seal would store the
  // words in the clear), and what it seals opens.
  auto probe = db.prepare(
      "SELECT coalesce(fb_current_key(), -1), CASE WHEN left(fb_seal(?1, 'fb.probe'), 7) = 'enc:p1:' THEN 1 ELSE 0 "
      "END, "
      "CASE WHEN fb_open(fb_seal(?1, 'fb.probe'), 'fb.probe') = ?1 THEN 1 ELSE 0 END");
  if (!probe) return fail(probe.error());
  probe->bind(1, std::string("probe"));
  auto row = probe->step();
  if (!row) {
    return fail(StorageErrc::open_failed,
                std::string("sealing on PostgreSQL does not work") +
                    (role == PgSealingRole::reader ? " (fb-backend binds it to pgcrypto when it starts with the keys)"
                                                   : "") +
                    ": " + row.error().what());
  }
  if (!*row || probe->int64(0) != static_cast<std::int64_t>(current_key)) {
    return fail(StorageErrc::open_failed,
                "sealing on PostgreSQL: the session did not get its keys (setting fb.keys); a connection pooler or "
                "proxy that drops startup options cannot carry them: connect to the server itself");
  }
  if (probe->int64(1) != 1 || probe->int64(2) != 1) {
    return fail(StorageErrc::open_failed, "sealing on PostgreSQL: a value sealed in this session did not open");
  }
  return {};
}

}  // namespace detail

Result<std::unique_ptr<CaseStore>> open_postgres_case_store(const std::string& conninfo, GroupingPolicy grouping,
                                                            DeadLetterPolicy dead_letters,
                                                            const std::shared_ptr<const crypto::KeyRing>& keys) {
  auto options = detail::pg_store_options(keys.get());
  if (!options) return fail(options.error());
  options->id_tables = {"cases", "case_events", "dead_letters", "clusters", "surveys", "privacy_audit", "visit_stages"};
  auto db = sql::open_postgres_store(conninfo, sql::StoreSchema{"case store", pg_migrations()}, std::move(*options));
  if (!db) return fail(db.error());
  if (keys) {
    if (auto r = detail::enable_pg_sealing(*db, keys->current_id(), detail::PgSealingRole::writer); !r) {
      return fail(r.error());
    }
  }
  return detail::case_store_over(std::move(*db), grouping, dead_letters);
}

}  // namespace fb::backend
