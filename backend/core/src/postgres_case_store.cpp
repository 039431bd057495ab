// The case store on PostgreSQL: the same SQL as on SQLite (sqlite_case_store.cpp, through the
// fb::sql PostgreSQL driver), with a schema of its own. Its migration 1 is the SQLite schema at
// version 9 written in PostgreSQL's types; later changes add migrations to both lists.
#include <memory>
#include <span>
#include <string>

#include "case_store_sql.hpp"
#include "fb/backend/case_store.hpp"
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

/// Migration i upgrades version i to i + 1 (sql::StoreSchema); built at first use.
std::span<const std::string_view> pg_migrations() {
  static const std::string privacy = std::string(detail::kSchemaPhoneDigests) + std::string(kPgSealingPassThrough);
  static const std::string_view migrations[] = {kPgSchemaV1, privacy, detail::kSchemaLeases};
  return migrations;
}

/// The store's writer lock (sql::PgOptions::writer_lock): any constant all instances share.
constexpr std::int64_t kCaseStoreLock = 0x66622d6361736573;  // "fb-cases"

}  // namespace

Result<std::unique_ptr<CaseStore>> open_postgres_case_store(const std::string& conninfo, GroupingPolicy grouping,
                                                            DeadLetterPolicy dead_letters) {
  sql::PgOptions options;
  options.id_tables = {"cases", "case_events", "dead_letters", "clusters", "surveys", "privacy_audit", "visit_stages"};
  options.writer_lock = kCaseStoreLock;
  auto db = sql::open_postgres_store(conninfo, sql::StoreSchema{"case store", pg_migrations()}, std::move(options));
  if (!db) return fail(db.error());
  return detail::case_store_over(std::move(*db), grouping, dead_letters);
}

}  // namespace fb::backend
