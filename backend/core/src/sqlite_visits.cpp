#include "sqlite_visits.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "case_store_sql.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/utc_offset.hpp"
#include "fb/common/utf8.hpp"

namespace fb::backend {
namespace {

class VisitCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "visit"; }
  std::string message(int v) const override {
    switch (static_cast<VisitErrc>(v)) {
      case VisitErrc::not_found: return "no such visit or callback";
      case VisitErrc::invalid_stage: return "not allowed at this stage";
      case VisitErrc::approval_required: return "extra cost needs the driver's approval";
      case VisitErrc::invalid_request: return "invalid visit request";
      case VisitErrc::already_taken: return "already taken";
    }
    return "visit error";
  }
};

}  // namespace

const std::error_category& visit_category() noexcept {
  static const VisitCategory c;
  return c;
}
std::error_code make_error_code(VisitErrc e) noexcept { return {static_cast<int>(e), visit_category()}; }

std::optional<VisitState> next_stage(VisitState s) {
  switch (s) {
    case VisitState::booked: return VisitState::checked_in;
    case VisitState::checked_in: return VisitState::inspection;
    case VisitState::inspection: return VisitState::diagnosis;
    case VisitState::diagnosis: return VisitState::repair;
    case VisitState::repair: return VisitState::quality_check;
    case VisitState::quality_check: return VisitState::handed_over;
    default: return std::nullopt;
  }
}

bool is_final(VisitState s) {
  return s == VisitState::handed_over || s == VisitState::declined || s == VisitState::cancelled;
}

wire::VisitStage wire_stage(VisitState s) {
  switch (s) {
    case VisitState::proposed: return wire::VISIT_PROPOSED;
    case VisitState::reschedule_requested: return wire::VISIT_RESCHEDULE_REQUESTED;
    case VisitState::booked: return wire::VISIT_BOOKED;
    case VisitState::checked_in: return wire::VISIT_CHECKED_IN;
    case VisitState::inspection: return wire::VISIT_INSPECTION;
    case VisitState::diagnosis: return wire::VISIT_DIAGNOSIS;
    case VisitState::repair: return wire::VISIT_REPAIR;
    case VisitState::quality_check: return wire::VISIT_QUALITY_CHECK;
    case VisitState::handed_over: return wire::VISIT_HANDED_OVER;
    case VisitState::declined: return wire::VISIT_DECLINED;
    case VisitState::cancelled: return wire::VISIT_CANCELLED;
  }
  return wire::VISIT_STAGE_UNSPECIFIED;
}

namespace detail {

// v7 (issue 13): a visit keeps its latest proposal's slots and the booked one as JSON (they are
// read and written whole); stages and approvals are rows of their own (the timeline, the
// analytics' time per stage). A follow-up case (回访) has no report of its own: follow_up_of
// names the case it follows, whose first report its notifications name on the car. car_replies remembers the message
// ids of visit replies and callback requests so that a re-send changes nothing.
const std::string_view kVisitSchema = R"sql(
CREATE TABLE visits (
  id TEXT PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  state TEXT NOT NULL,
  proposal INTEGER NOT NULL DEFAULT 1,
  slots TEXT NOT NULL,
  booked TEXT,
  dealer_code TEXT NOT NULL DEFAULT '',
  estimate_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  approved_extra_minor INTEGER NOT NULL DEFAULT 0,
  repair_cost_minor INTEGER NOT NULL DEFAULT 0,
  ready_at_ms INTEGER NOT NULL DEFAULT 0,
  reminder_due_ms INTEGER,
  survey_notification_id TEXT,
  survey_score INTEGER,
  survey_comment TEXT,
  follow_up_case_id INTEGER REFERENCES cases(id),
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX visits_case ON visits(case_id);
CREATE INDEX visits_dealer ON visits(dealer_code, state);
CREATE INDEX visits_reminder ON visits(reminder_due_ms) WHERE reminder_due_ms IS NOT NULL;
CREATE INDEX visits_survey ON visits(survey_notification_id) WHERE survey_notification_id IS NOT NULL;
CREATE TABLE visit_stages (
  id INTEGER PRIMARY KEY,
  visit_id TEXT NOT NULL REFERENCES visits(id),
  stage TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX visit_stages_visit ON visit_stages(visit_id, id);
CREATE TABLE visit_approvals (
  id TEXT PRIMARY KEY,
  visit_id TEXT NOT NULL REFERENCES visits(id),
  amount_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  reason TEXT NOT NULL,
  state TEXT NOT NULL,
  requested_ms INTEGER NOT NULL,
  answered_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX visit_approvals_visit ON visit_approvals(visit_id);
CREATE TABLE callbacks (
  id TEXT PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  vin TEXT NOT NULL,
  phone TEXT NOT NULL,
  language TEXT NOT NULL,
  state TEXT NOT NULL,
  requested_ms INTEGER NOT NULL,
  picked_ms INTEGER NOT NULL DEFAULT 0,
  agent TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  logged_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX callbacks_state ON callbacks(state, requested_ms);
CREATE INDEX callbacks_case ON callbacks(case_id);
ALTER TABLE cases ADD COLUMN follow_up_of INTEGER REFERENCES cases(id);
CREATE TABLE car_replies (
  message_id TEXT PRIMARY KEY,
  vin TEXT NOT NULL,
  at_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

namespace {

using nlohmann::json;

constexpr std::size_t kMaxSlots = 5;
constexpr std::int64_t kHour = std::int64_t{3600} * 1000;

/// Times in the texts are the service region's wall clock (`utc_offset_ms`, GroupingPolicy); the
/// car shows the structured times (VisitUpdate) on the same clock (`utc_offset_minutes`).
std::string format_time(std::int64_t ms, std::int64_t utc_offset_ms) {
  if (ms <= 0) return "-";
  return wall_clock_text(ms, utc_offset_ms);
}

std::string format_money(std::int64_t minor, const std::string& currency) {
  const bool negative = minor < 0;
  const auto a = negative ? -minor : minor;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld %s", negative ? "-" : "", static_cast<long long>(a / 100),
                static_cast<long long>(a % 100), currency.c_str());
  return buf;
}

json slot_json(const VisitSlot& s) {
  return {{"id", s.id},
          {"dealer_code", s.dealer_code},
          {"dealer_name", s.dealer_name},
          {"start_ms", s.start_ms},
          {"end_ms", s.end_ms},
          {"work", s.work}};
}
VisitSlot slot_of(const json& j) {
  return VisitSlot{j.value("id", ""),
                   j.value("dealer_code", ""),
                   j.value("dealer_name", ""),
                   j.value("start_ms", std::int64_t{0}),
                   j.value("end_ms", std::int64_t{0}),
                   j.value("work", "")};
}
void to_wire(const VisitSlot& s, wire::VisitSlot& w) {
  w.set_slot_id(s.id);
  w.set_dealer_code(s.dealer_code);
  w.set_dealer_name(s.dealer_name);
  w.set_start_ms(s.start_ms);
  w.set_end_ms(s.end_ms);
  w.set_work(s.work);
}

bool valid_code(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}
bool valid_currency(std::string_view s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}
bool valid_dtc(const std::string& s) {
  static const std::regex kDtc("^[PCBU][0-3][0-9A-F]{3}(-[0-9A-F]{2})?$");  // as codec::validate_report
  return std::regex_match(s, kDtc);
}
bool valid_text(std::string_view s, std::size_t max_chars) { return is_valid_utf8(s) && utf8_length(s) <= max_chars; }

/// Ten billion in major units: far above any repair, far below where sums of them could overflow.
constexpr std::int64_t kMaxMoneyMinor = 1'000'000'000'000;

Result<void> check_money(const Money& m, std::string_view what, std::string_view currency = {}) {
  if (m.minor < 0 || m.minor > kMaxMoneyMinor || !valid_currency(m.currency))
    return fail(VisitErrc::invalid_request,
                std::string(what) + ": an amount of 0 to 10^12 minor units and an ISO 4217 currency");
  if (!currency.empty() && m.currency != currency)
    return fail(VisitErrc::invalid_request,
                std::string(what) + ": in " + m.currency + ", the visit's estimate is in " + std::string(currency));
  return {};
}

}  // namespace

struct VisitBook::Row {
  std::string id;
  std::int64_t case_row = 0;
  std::string case_number;
  std::string vin;
  VisitState state = VisitState::proposed;
  std::int64_t proposal = 1;
  std::vector<VisitSlot> slots;
  std::optional<VisitSlot> booked;
  std::string dealer_code;
  Money estimate;
  std::int64_t approved_extra_minor = 0;
  std::int64_t repair_cost_minor = 0;
  std::int64_t ready_at_ms = 0;
  std::optional<std::int64_t> reminder_due_ms;
  std::optional<std::pair<int, std::string>> survey;
  std::string follow_up_case;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;

  bool visible_to(std::string_view dealer) const {
    if (dealer.empty() || dealer_code == dealer) return true;
    if (state != VisitState::proposed && state != VisitState::reschedule_requested) return false;
    return std::any_of(slots.begin(), slots.end(), [&](const VisitSlot& s) { return s.dealer_code == dealer; });
  }
  std::string dealer_name() const { return booked ? booked->dealer_name : std::string(); }
};

namespace {
/// Appends " AND <column> IN (?, ...)" for `values` (none: no condition) and their bindings.
void append_in(std::string& where, std::vector<std::string>& args, std::string_view column,
               const std::vector<std::string>& values) {
  if (values.empty()) return;
  where += " AND " + std::string(column) + " IN (";
  for (std::size_t i = 0; i < values.size(); ++i) where += i ? ", ?" : "?";
  where += ")";
  args.insert(args.end(), values.begin(), values.end());
}

constexpr std::string_view kVisitColumns =
    "SELECT v.id, v.case_id, c.number, c.vin, v.state, v.proposal, v.slots, v.booked, v.dealer_code, v.estimate_minor, "
    "v.currency, v.approved_extra_minor, v.repair_cost_minor, v.ready_at_ms, v.reminder_due_ms, v.survey_score, "
    "fb_open(v.survey_comment, 'visits.survey_comment:' || v.id), coalesce((SELECT number FROM cases f WHERE f.id = "
    "v.follow_up_case_id), ''), v.created_ms, "
    "v.updated_ms FROM visits v JOIN cases c ON c.id = v.case_id ";
}  // namespace

Result<std::optional<VisitBook::Row>> VisitBook::load(std::string_view id) {
  auto st = core_.cached(std::string(kVisitColumns) + "WHERE v.id = ?");
  if (!st) return fail(st.error());
  (*st)->bind(1, id);
  std::optional<Row> out;
  Result<void> parsed;
  auto rows = (*st)->each_row([&](const sql::Statement& s) {
    Row r;
    r.id = s.text(0);
    r.case_row = s.int64(1);
    r.case_number = s.text(2);
    r.vin = s.text(3);
    if (auto state = parse<VisitState>(s.text(4))) r.state = *state;
    else parsed = fail(StorageErrc::corrupt, "visits.state: unknown visit state '" + s.text(4) + "'");
    r.proposal = s.int64(5);
    auto slots = json::parse(s.text(6), nullptr, false);
    if (slots.is_array())
      for (const auto& j : slots) r.slots.push_back(slot_of(j));
    if (!s.is_null(7)) {
      auto b = json::parse(s.text(7), nullptr, false);
      if (b.is_object()) r.booked = slot_of(b);
    }
    r.dealer_code = s.text(8);
    r.estimate = Money{s.int64(9), s.text(10)};
    r.approved_extra_minor = s.int64(11);
    r.repair_cost_minor = s.int64(12);
    r.ready_at_ms = s.int64(13);
    if (!s.is_null(14)) r.reminder_due_ms = s.int64(14);
    if (!s.is_null(15)) r.survey.emplace(static_cast<int>(s.int64(15)), s.text(16));
    r.follow_up_case = s.text(17);
    r.created_ms = s.int64(18);
    r.updated_ms = s.int64(19);
    out = std::move(r);
  });
  if (!rows) return fail(rows.error());
  if (!parsed) return fail(parsed.error());
  return out;
}

Result<Visit> VisitBook::existing(std::string_view id, std::string_view dealer_code) {
  auto row = load(id);
  if (!row) return fail(row.error());
  if (!*row || !(*row)->visible_to(dealer_code)) return fail(VisitErrc::not_found, "visit " + std::string(id));
  return read(**row, dealer_code);
}

Result<Visit> VisitBook::read(const Row& r, std::string_view dealer) {
  Visit v;
  v.id = r.id;
  v.case_number = r.case_number;
  v.vin = r.vin;
  v.state = r.state;
  v.slots = r.slots;
  v.booked = r.booked;
  v.dealer_code = r.dealer_code;
  v.estimate = r.estimate;
  v.approved_extra = Money{r.approved_extra_minor, r.estimate.currency};
  v.ready_at_ms = r.ready_at_ms;
  v.survey = r.survey;
  v.follow_up_case = r.follow_up_case;
  v.created_ms = r.created_ms;
  v.updated_ms = r.updated_ms;
  auto c = core_.existing_case(r.case_number);
  if (!c) return fail(c.error());
  v.team = c->team;
  v.language = c->language;

  auto stages = core_.cached(
      "SELECT stage, at_ms, actor, note, detail FROM visit_stages WHERE visit_id = ? ORDER BY id");
  if (!stages) return fail(stages.error());
  (*stages)->bind(1, r.id);
  auto srows = (*stages)->each_row([&](const sql::Statement& s) {
    v.stages.push_back(VisitStageRecord{parse<VisitState>(s.text(0)).value_or(VisitState::proposed), s.int64(1),
                                        s.text(2), s.text(3), s.text(4)});
  });
  if (!srows) return fail(srows.error());

  if (!dealer.empty()) {
    // A dealer sees its own slots, not which other dealers were offered or booked the visit: not
    // another's booking (kept through a reschedule), nor its stages' details and actors.
    const auto own = [&](const VisitSlot& slot) { return slot.dealer_code == dealer; };
    std::erase_if(v.slots, [&](const VisitSlot& slot) { return !own(slot); });
    if (v.dealer_code != dealer) {
      v.booked.reset();
      v.dealer_code.clear();
    }
    const auto own_actor = "dealer:" + std::string(dealer) + ":";
    for (auto& st : v.stages) {
      if (st.actor.starts_with("dealer:") && !st.actor.starts_with(own_actor)) {
        st.actor = "dealer";
        st.note.clear();
      }
      auto d = json::parse(st.detail, nullptr, false);
      if (!d.is_object()) continue;
      if (d.contains("dealer_code") && d["dealer_code"] != dealer) {
        st.detail = "{}";  // another dealer's slot, booked
        continue;
      }
      if (!d.contains("slots") || !d["slots"].is_array()) continue;
      json mine = json::array();
      for (const auto& j : d["slots"])
        if (j.value("dealer_code", "") == dealer) mine.push_back(j);
      d["slots"] = mine;
      st.detail = d.dump();
    }
  }
  auto approvals = core_.cached(
      "SELECT id, amount_minor, currency, reason, state, requested_ms, answered_ms FROM visit_approvals "
      "WHERE visit_id = ? ORDER BY requested_ms, id");
  if (!approvals) return fail(approvals.error());
  (*approvals)->bind(1, r.id);
  auto arows = (*approvals)->each_row([&](const sql::Statement& s) {
    v.approvals.push_back(
        Approval{s.text(0), Money{s.int64(1), s.text(2)}, s.text(3), s.text(4), s.int64(5), s.int64(6)});
  });
  if (!arows) return fail(arows.error());

  // The car's own evidence: what its reports on this case said (the driver's and the telematics').
  auto reports = core_.cached(
      "SELECT report_id, fb_open(payload, 'reports.payload:' || report_id) FROM reports WHERE case_id = ? ORDER BY "
      "rowid");
  if (!reports) return fail(reports.error());
  (*reports)->bind(1, r.case_row);
  std::set<std::string> car_dtcs;
  auto rrows = (*reports)->each_row([&](const sql::Statement& s) {
    auto env = codec::decode(s.blob(1));
    if (!env || env->body_case() != wire::Envelope::kReport) return;
    const auto& rep = env->report();
    for (const auto& d : rep.dtcs())
      if (car_dtcs.insert(d).second) v.evidence.dtcs.push_back(d);
    if (rep.snapshot().signals_size() > 0) v.evidence.snapshot_reports.push_back(s.text(0));
    if (rep.source() == wire::SOURCE_TELEMATICS) ++v.evidence.auto_reports;
  });
  if (!rrows) return fail(rrows.error());
  for (const auto& st : v.stages) {
    if (st.stage != VisitState::diagnosis) continue;
    auto d = json::parse(st.detail, nullptr, false);
    if (!d.is_object() || !d.contains("dtcs")) continue;
    for (const auto& code : d["dtcs"])
      if (code.is_string() && car_dtcs.contains(code.get<std::string>()) &&
          std::find(v.evidence.dealer_dtcs_confirmed.begin(), v.evidence.dealer_dtcs_confirmed.end(),
                    code.get<std::string>()) == v.evidence.dealer_dtcs_confirmed.end())
        v.evidence.dealer_dtcs_confirmed.push_back(code.get<std::string>());
  }
  return v;
}

Result<std::optional<StoredNotification>> VisitBook::notify(const Row& v, std::string_view event,
                                                            std::map<std::string, std::string> vars, std::int64_t at_ms,
                                                            const NoticeRenderer& render,
                                                            std::optional<CaseState> state_shown,
                                                            const std::function<void(wire::VisitUpdate&)>& adjust) {
  auto c = core_.existing_case(v.case_number);
  if (!c) return fail(c.error());
  if (c->vin.empty()) return std::optional<StoredNotification>{};  // erased: nothing is sent for it again
  if (state_shown) c->state = *state_shown;
  wire::VisitUpdate u;
  u.set_visit_id(v.id);
  u.set_stage(wire_stage(v.state));
  if (v.booked) to_wire(*v.booked, *u.mutable_booked());
  u.set_ready_at_ms(v.ready_at_ms);
  u.set_utc_offset_minutes(static_cast<std::int32_t>(core_.utc_offset_ms() / 60'000));
  u.mutable_estimate()->set_minor(v.estimate.minor);
  u.mutable_estimate()->set_currency(v.estimate.currency);
  // The car shows what the latest update says: an approval still waiting goes with every update,
  // or a later stage would take the driver's "approve" away.
  auto waiting = core_.cached(
      "SELECT id, amount_minor, currency, reason FROM visit_approvals WHERE visit_id = ? AND state = 'requested' "
      "ORDER BY requested_ms DESC, id LIMIT 1");
  if (!waiting) return fail(waiting.error());
  (*waiting)->bind(1, v.id);
  auto row = (*waiting)->step();
  if (!row) return fail(row.error());
  if (*row) {
    auto* x = u.mutable_extra_cost();
    x->set_approval_id((*waiting)->text(0));
    x->mutable_amount()->set_minor((*waiting)->int64(1));
    x->mutable_amount()->set_currency((*waiting)->text(2));
    x->set_reason((*waiting)->text(3));
  }
  (*waiting)->reset();
  if (adjust) adjust(u);
  CaseNotice notice{std::string(event), *c, v.vin, c->report_id, std::move(vars), at_ms, std::move(u), std::nullopt};
  auto n = render(notice);
  if (!n) return fail(n.error());
  if (auto x = core_.queue_notification(v.case_row, *n, event, at_ms, c->report_id); !x) return fail(x.error());
  return std::optional<StoredNotification>{std::move(*n)};
}

Result<void> VisitBook::add_stage(std::string_view visit_id, VisitState stage, std::int64_t at_ms,
                                  std::string_view actor, std::string_view note, const std::string& detail) {
  auto st = core_.cached("INSERT INTO visit_stages(visit_id, stage, at_ms, actor, note, detail) VALUES(?,?,?,?,?,?)");
  if (!st) return fail(st.error());
  (*st)->bind(1, visit_id).bind(2, to_string(stage)).bind(3, at_ms).bind(4, actor).bind(5, note).bind(6, detail);
  return (*st)->run();
}

Result<void> VisitBook::set_state(std::string_view visit_id, VisitState s, std::int64_t at_ms) {
  auto st = core_.cached("UPDATE visits SET state = ?, updated_ms = ? WHERE id = ?");
  if (!st) return fail(st.error());
  (*st)->bind(1, to_string(s)).bind(2, at_ms).bind(3, visit_id);
  return (*st)->run();
}

Result<Visit> VisitBook::propose(const VisitProposal& p, const NoticeRenderer& render) {
  if (p.actor.empty()) return fail(VisitErrc::invalid_request, "a proposal needs who (actor)");
  if (p.slots.empty() || p.slots.size() > kMaxSlots)
    return fail(VisitErrc::invalid_request, "slots: between 1 and " + std::to_string(kMaxSlots) + " slots");
  for (std::size_t i = 0; i < p.slots.size(); ++i) {
    const auto& s = p.slots[i];
    const auto where = "slots[" + std::to_string(i) + "]";
    if (!valid_code(s.dealer_code))
      return fail(VisitErrc::invalid_request, where + ".dealer_code: 1-32 letters, digits, '-' or '_'");
    if (s.dealer_name.empty() || !valid_text(s.dealer_name, 100))
      return fail(VisitErrc::invalid_request, where + ".dealer_name: 1-100 characters");
    if (s.work.empty() || !valid_text(s.work, 200))
      return fail(VisitErrc::invalid_request, where + ".work: 1-200 characters");
    if (s.start_ms <= p.at_ms) return fail(VisitErrc::invalid_request, where + ".start_ms: a time in the future");
    if (s.end_ms <= s.start_ms) return fail(VisitErrc::invalid_request, where + ".end_ms: after start_ms");
    if (!p.dealer_code.empty() && s.dealer_code != p.dealer_code)
      return fail(VisitErrc::invalid_request, where + ".dealer_code: a dealer offers its own slots only");
  }
  if (!valid_text(p.note, 500)) return fail(VisitErrc::invalid_request, "note: at most 500 characters");

  Row v;
  if (p.visit_id.empty()) {
    if (!p.dealer_code.empty()) return fail(VisitErrc::invalid_request, "a new visit is proposed by the service team");
    if (!p.estimate) return fail(VisitErrc::invalid_request, "estimate: required for a new visit");
    if (auto m = check_money(*p.estimate, "estimate"); !m) return fail(m.error());
    auto c = core_.existing_case(p.case_number);
    if (!c) return fail(c.error());
    if (c->vin.empty())
      return fail(CaseErrc::invalid_request, "case " + c->case_number + " has no car (a major case, or erased)");
    if (c->state != CaseState::appointment && !can_transition(c->state, CaseState::appointment)) {
      return fail(CaseErrc::invalid_transition, "case " + c->case_number + " is " + std::string(to_string(c->state)) +
                                                    ": a visit is proposed from in_progress, waiting_for_customer or "
                                                    "appointment; from " +
                                                    std::string(to_string(c->state)) + ": " +
                                                    allowed_transitions(c->state));
    }
    auto active = core_.cached(
        "SELECT id, state FROM visits WHERE case_id = (SELECT id FROM cases WHERE number = ?) AND " +
        std::string(kVisitUnderWay) + " LIMIT 1");
    if (!active) return fail(active.error());
    (*active)->bind(1, p.case_number);
    auto found = (*active)->step();
    if (!found) return fail(found.error());
    if (*found) {
      const auto msg = "case " + p.case_number + " has visit " + (*active)->text(0) + " (" + (*active)->text(1) +
                       "): offer new slots on it instead";
      (*active)->reset();
      return fail(CaseErrc::invalid_request, msg);
    }
    auto row = core_.case_row(p.case_number);
    if (!row) return fail(row.error());
    v.id = new_uuid();
    v.case_row = *row;
    v.case_number = c->case_number;
    v.vin = c->vin;
    v.estimate = *p.estimate;
    v.created_ms = p.at_ms;
    if (c->state != CaseState::appointment) {
      if (auto x = core_.set_case_state(*c, CaseState::appointment, p.actor, "visit proposed", p.at_ms); !x)
        return fail(x.error());
    }
  } else {
    auto row = load(p.visit_id);
    if (!row) return fail(row.error());
    if (!*row || !(*row)->visible_to(p.dealer_code)) return fail(VisitErrc::not_found, "visit " + p.visit_id);
    v = std::move(**row);
    if (v.state != VisitState::proposed && v.state != VisitState::reschedule_requested &&
        v.state != VisitState::booked) {
      return fail(VisitErrc::invalid_stage,
                  "visit " + v.id + " is " + std::string(to_string(v.state)) + ": new slots only before check-in");
    }
    if (!p.dealer_code.empty() && v.state == VisitState::booked && v.dealer_code != p.dealer_code)
      return fail(VisitErrc::not_found, "visit " + v.id);
    if (!p.dealer_code.empty() && v.state != VisitState::booked &&
        std::any_of(v.slots.begin(), v.slots.end(), [&](const VisitSlot& s) { return s.dealer_code != p.dealer_code; }))
      return fail(VisitErrc::invalid_stage,
                  "visit " + v.id + " offers other dealers' slots too: the service team replaces the proposal");
    if (p.estimate) {
      if (auto m = check_money(*p.estimate, "estimate"); !m) return fail(m.error());
      v.estimate = *p.estimate;
    }
    ++v.proposal;
  }
  v.slots = p.slots;
  for (std::size_t i = 0; i < v.slots.size(); ++i)
    v.slots[i].id = "p" + std::to_string(v.proposal) + "s" + std::to_string(i + 1);
  v.state = VisitState::proposed;
  v.booked.reset();
  v.updated_ms = p.at_ms;
  json slots = json::array();
  for (const auto& s : v.slots) slots.push_back(slot_json(s));
  auto st = core_.cached(
      "INSERT INTO visits(id, case_id, state, proposal, slots, booked, dealer_code, estimate_minor, currency, "
      "created_ms, updated_ms) VALUES(?1, ?2, 'proposed', ?3, ?4, NULL, '', ?5, ?6, ?7, ?7) "
      "ON CONFLICT(id) DO UPDATE SET state = 'proposed', proposal = ?3, slots = ?4, booked = NULL, dealer_code = '', "
      "estimate_minor = ?5, currency = ?6, reminder_due_ms = NULL, updated_ms = ?7");
  if (!st) return fail(st.error());
  (*st)
      ->bind(1, v.id)
      .bind(2, v.case_row)
      .bind(3, v.proposal)
      .bind(4, slots.dump())
      .bind(5, v.estimate.minor)
      .bind(6, v.estimate.currency)
      .bind(7, p.at_ms);
  if (auto x = (*st)->run(); !x) return fail(x.error());
  if (auto x = add_stage(v.id, VisitState::proposed, p.at_ms, p.actor, p.note, json{{"slots", slots}}.dump()); !x)
    return fail(x.error());
  if (auto x = core_.event(v.case_row, p.at_ms, "visit",
                           json{{"visit", v.id}, {"state", "proposed"}, {"slots", v.slots.size()}}.dump(), p.actor);
      !x)
    return fail(x.error());

  auto c = core_.existing_case(v.case_number);
  if (!c) return fail(c.error());
  std::string lines;
  for (std::size_t i = 0; i < v.slots.size(); ++i) {
    const auto& s = v.slots[i];
    lines += (i ? "\n" : "") + std::to_string(i + 1) + ") " + format_time(s.start_ms, core_.utc_offset_ms()) + " · " +
             s.dealer_name + " · " + s.work;
  }
  auto n = notify(v, "visit_proposed",
                  {{"slots", lines}, {"estimate", format_money(v.estimate.minor, v.estimate.currency)}}, p.at_ms,
                  render, std::nullopt, [&](wire::VisitUpdate& u) {
                    for (const auto& slot : v.slots) to_wire(slot, *u.add_slots());
                  });
  if (!n) return fail(n.error());
  return read(v, p.dealer_code);
}

Result<Visit> VisitBook::record_stage(const StageEntry& e, const NoticeRenderer& render) {
  if (e.actor.empty()) return fail(VisitErrc::invalid_request, "a stage needs who (actor)");
  if (!valid_text(e.note, 1000)) return fail(VisitErrc::invalid_request, "note: at most 1000 characters");
  auto row = load(e.visit_id);
  if (!row) return fail(row.error());
  if (!*row || !(*row)->visible_to(e.dealer_code)) return fail(VisitErrc::not_found, "visit " + e.visit_id);
  Row v = std::move(**row);
  if (!e.dealer_code.empty() && v.dealer_code != e.dealer_code) return fail(VisitErrc::not_found, "visit " + v.id);
  const auto next = next_stage(v.state);
  const bool more_repair = v.state == VisitState::repair && e.stage == VisitState::repair;
  if (!more_repair && (!next || *next != e.stage)) {
    return fail(VisitErrc::invalid_stage, "visit " + v.id + " is " + std::string(to_string(v.state)) + ": " +
                                              (next ? "the next stage is " + std::string(to_string(*next)) +
                                                          (v.state == VisitState::repair ? " (or more repair)" : "")
                                                    : std::string("no stage follows")));
  }
  if (e.ready_at_ms < 0 || (e.ready_at_ms > 0 && e.ready_at_ms < v.created_ms))
    return fail(VisitErrc::invalid_request, "ready_at_ms: a time after the visit was proposed");

  json detail = json::object();
  std::map<std::string, std::string> vars;
  std::string event = "visit_" + std::string(to_string(e.stage));
  VisitState to = e.stage;
  if (e.stage == VisitState::diagnosis) {
    if (e.findings.empty() || !valid_text(e.findings, 1000))
      return fail(VisitErrc::invalid_request, "findings: what the diagnosis found (1-1000 characters)");
    json dtcs = json::array();
    for (const auto& d : e.dtcs) {
      if (!valid_dtc(d)) return fail(VisitErrc::invalid_request, "dtcs: '" + d + "' is not a DTC such as P0700");
      dtcs.push_back(d);
    }
    detail = {{"findings", e.findings}, {"dtcs", dtcs}};
    vars["findings"] = e.findings;
  } else if (e.stage == VisitState::repair) {
    std::int64_t total = 0;
    json parts = json::array();
    for (std::size_t i = 0; i < e.parts.size(); ++i) {
      const auto& part = e.parts[i];
      const auto where = "parts[" + std::to_string(i) + "]";
      if (part.name.empty() || !valid_text(part.name, 200) || part.quantity <= 0 || part.quantity > 1000)
        return fail(VisitErrc::invalid_request, where + ": a name and a quantity of 1-1000");
      if (auto m = check_money(part.unit_price, where + ".unit_price", v.estimate.currency); !m) return fail(m.error());
      std::int64_t line = 0;
      if (__builtin_mul_overflow(part.quantity, part.unit_price.minor, &line) ||
          __builtin_add_overflow(total, line, &total))
        return fail(VisitErrc::invalid_request, where + ": the repair's total is out of range");
      parts.push_back({{"name", part.name},
                       {"quantity", part.quantity},
                       {"unit_price", {{"minor", part.unit_price.minor}, {"currency", part.unit_price.currency}}}});
    }
    if (e.labour) {
      if (auto m = check_money(*e.labour, "labour", v.estimate.currency); !m) return fail(m.error());
      if (__builtin_add_overflow(total, e.labour->minor, &total))
        return fail(VisitErrc::invalid_request, "labour: the repair's total is out of range");
    }
    // Costs add up over repair entries (a second round after a failed quality check).
    std::int64_t cost = 0;
    if (__builtin_add_overflow(v.repair_cost_minor, total, &cost))
      return fail(VisitErrc::invalid_request, "parts: the repair's total is out of range");
    const auto allowed = v.estimate.minor + v.approved_extra_minor;
    if (cost > allowed) {
      auto pending = core_.cached("SELECT id FROM visit_approvals WHERE visit_id = ? AND state = 'requested'");
      if (!pending) return fail(pending.error());
      (*pending)->bind(1, v.id);
      auto has = (*pending)->step();
      if (!has) return fail(has.error());
      const std::string waiting = *has ? "; approval " + (*pending)->text(0) + " is waiting for the driver" : "";
      (*pending)->reset();
      return fail(VisitErrc::approval_required,
                  "repair cost " + format_money(cost, v.estimate.currency) + " exceeds the estimate " +
                      format_money(v.estimate.minor, v.estimate.currency) + " plus the approved extra " +
                      format_money(v.approved_extra_minor, v.estimate.currency) + " by " +
                      format_money(cost - allowed, v.estimate.currency) + waiting +
                      (waiting.empty() ? "; ask the driver first (POST /api/v1/visits/" + v.id + "/approvals)" : ""));
    }
    v.repair_cost_minor = cost;
    detail = {{"parts", parts}, {"total", {{"minor", total}, {"currency", v.estimate.currency}}}};
    if (e.labour) detail["labour"] = {{"minor", e.labour->minor}, {"currency", e.labour->currency}};
    vars["cost"] = format_money(cost, v.estimate.currency);
  } else if (e.stage == VisitState::quality_check) {
    if (!e.passed) return fail(VisitErrc::invalid_request, "passed: a quality check says whether it passed");
    // The repair is done: extra cost still unanswered will not be spent.
    auto lapse = core_.cached(
        "UPDATE visit_approvals SET state = 'lapsed', answered_ms = ? WHERE visit_id = ? AND state = 'requested'");
    if (!lapse) return fail(lapse.error());
    (*lapse)->bind(1, e.at_ms).bind(2, v.id);
    if (auto x = (*lapse)->run(); !x) return fail(x.error());
    detail = {{"passed", *e.passed}};
    if (!*e.passed) {
      to = VisitState::repair;
      event = "visit_quality_failed";
    }
  } else if (e.stage == VisitState::checked_in) {
    vars["dealer"] = v.dealer_name();
  } else if (e.stage == VisitState::handed_over) {
    event = "visit_handover";
    vars["dealer"] = v.dealer_name();
    vars["cost"] = format_money(v.repair_cost_minor, v.estimate.currency);
  }
  if (e.ready_at_ms > 0) v.ready_at_ms = e.ready_at_ms;
  vars["ready"] = format_time(v.ready_at_ms, core_.utc_offset_ms());  // "-" when none
  v.state = to;
  auto st = core_.cached(
      "UPDATE visits SET state = ?, ready_at_ms = ?, repair_cost_minor = ?, updated_ms = ? WHERE id = ?");
  if (!st) return fail(st.error());
  (*st)->bind(1, to_string(to)).bind(2, v.ready_at_ms).bind(3, v.repair_cost_minor).bind(4, e.at_ms).bind(5, v.id);
  if (auto x = (*st)->run(); !x) return fail(x.error());
  if (auto x = add_stage(v.id, e.stage, e.at_ms, e.actor, e.note, detail.dump()); !x) return fail(x.error());
  detail["visit"] = v.id;
  detail["stage"] = to_string(e.stage);
  if (auto x = core_.event(v.case_row, e.at_ms, "visit", detail.dump(), e.actor); !x) return fail(x.error());

  std::optional<CaseState> shown;
  if (e.stage == VisitState::handed_over) {
    auto c = core_.existing_case(v.case_number);
    if (!c) return fail(c.error());
    // The case may have changed hands during the visit (assigned, reopened): through in_progress
    // to resolved and closed, each move audited as the lifecycle allows it.
    for (auto [to, why] : {std::pair{CaseState::in_progress, "the car is at the dealer (visit " + v.id + ")"},
                           std::pair{CaseState::resolved, "car handed over after visit " + v.id},
                           std::pair{CaseState::closed, "visit " + v.id + " completed"}}) {
      if (c->state == to || !can_transition(c->state, to)) continue;
      if (to == CaseState::in_progress && can_transition(c->state, CaseState::resolved)) continue;
      if (auto x = core_.set_case_state(*c, to, e.actor, why, e.at_ms); !x) return fail(x.error());
      c->state = to;
    }
    shown = CaseState::closed;  // the handover is the case's survey request
  }
  const bool quality_failed = event == "visit_quality_failed";
  auto n = notify(v, event, vars, e.at_ms, render, shown,
                  [&](wire::VisitUpdate& u) { u.set_quality_failed(quality_failed); });
  if (!n) return fail(n.error());
  if (e.stage == VisitState::handed_over && *n) {
    auto mark = core_.cached("UPDATE visits SET survey_notification_id = ? WHERE id = ?");
    if (!mark) return fail(mark.error());
    (*mark)->bind(1, (*n)->id).bind(2, v.id);
    if (auto x = (*mark)->run(); !x) return fail(x.error());
  }
  return read(v, e.dealer_code);
}

Result<Approval> VisitBook::request_approval(const ApprovalRequest& r, const NoticeRenderer& render) {
  if (r.actor.empty()) return fail(VisitErrc::invalid_request, "an approval request needs who (actor)");
  if (r.reason.empty() || !valid_text(r.reason, 500))
    return fail(VisitErrc::invalid_request, "reason: why the extra cost (1-500 characters)");
  auto row = load(r.visit_id);
  if (!row) return fail(row.error());
  if (!*row || !(*row)->visible_to(r.dealer_code) || (!r.dealer_code.empty() && (*row)->dealer_code != r.dealer_code))
    return fail(VisitErrc::not_found, "visit " + r.visit_id);
  const Row& v = **row;
  if (v.state != VisitState::diagnosis && v.state != VisitState::repair)
    return fail(VisitErrc::invalid_stage, "visit " + v.id + " is " + std::string(to_string(v.state)) +
                                              ": extra cost is asked at diagnosis or repair");
  if (auto m = check_money(r.amount, "amount", v.estimate.currency); !m) return fail(m.error());
  if (r.amount.minor == 0) return fail(VisitErrc::invalid_request, "amount: more than zero");
  auto pending = core_.cached("SELECT count(*) FROM visit_approvals WHERE visit_id = ? AND state = 'requested'");
  if (!pending) return fail(pending.error());
  (*pending)->bind(1, v.id);
  auto has = (*pending)->step();
  if (!has) return fail(has.error());
  const auto open = (*pending)->int64(0);
  (*pending)->reset();
  if (open > 0) return fail(VisitErrc::invalid_stage, "visit " + v.id + " has an approval waiting for the driver");
  Approval a{new_uuid(), r.amount, r.reason, "requested", r.at_ms, 0};
  auto st = core_.cached(
      "INSERT INTO visit_approvals(id, visit_id, amount_minor, currency, reason, state, requested_ms) "
      "VALUES(?,?,?,?,?,'requested',?)");
  if (!st) return fail(st.error());
  (*st)
      ->bind(1, a.id)
      .bind(2, v.id)
      .bind(3, a.amount.minor)
      .bind(4, a.amount.currency)
      .bind(5, a.reason)
      .bind(6, r.at_ms);
  if (auto x = (*st)->run(); !x) return fail(x.error());
  if (auto x = core_.event(
          v.case_row, r.at_ms, "visit",
          json{{"visit", v.id}, {"approval", a.id}, {"amount", a.amount.minor}, {"reason", a.reason}}.dump(), r.actor);
      !x)
    return fail(x.error());
  // An erased car cannot be asked (notify() sends nothing): the dealer keeps to the estimate.
  auto n = notify(v, "visit_approval",
                  {{"amount", format_money(a.amount.minor, a.amount.currency)}, {"reason", a.reason}}, r.at_ms, render,
                  std::nullopt, [&](wire::VisitUpdate& u) {
                    auto* x = u.mutable_extra_cost();
                    x->set_approval_id(a.id);
                    x->mutable_amount()->set_minor(a.amount.minor);
                    x->mutable_amount()->set_currency(a.amount.currency);
                    x->set_reason(a.reason);
                  });
  if (!n) return fail(n.error());
  return a;
}

Result<Visit> VisitBook::cancel(std::string_view visit_id, std::string_view dealer_code, std::string_view actor,
                                std::string_view reason, std::int64_t at_ms, const NoticeRenderer& render) {
  if (actor.empty() || reason.empty() || !valid_text(reason, 500))
    return fail(VisitErrc::invalid_request, "a cancellation needs who and why (at most 500 characters)");
  auto row = load(visit_id);
  if (!row) return fail(row.error());
  if (!*row || !(*row)->visible_to(dealer_code)) return fail(VisitErrc::not_found, "visit " + std::string(visit_id));
  Row v = std::move(**row);
  if (!dealer_code.empty() && v.dealer_code != dealer_code)
    return fail(VisitErrc::invalid_stage, "visit " + v.id + " is " + std::string(to_string(v.state)) +
                                              ": a dealer cancels only a visit booked with it; the service team "
                                              "withdraws a proposal");
  if (v.state != VisitState::proposed && v.state != VisitState::reschedule_requested && v.state != VisitState::booked)
    return fail(VisitErrc::invalid_stage, "visit " + v.id + " is " + std::string(to_string(v.state)) +
                                              ": only a visit not yet checked in can be cancelled");
  v.state = VisitState::cancelled;
  if (auto x = set_state(v.id, v.state, at_ms); !x) return fail(x.error());
  if (auto x = add_stage(v.id, v.state, at_ms, actor, reason, "{}"); !x) return fail(x.error());
  if (auto x = core_.event(v.case_row, at_ms, "visit",
                           json{{"visit", v.id}, {"state", "cancelled"}, {"reason", reason}}.dump(), actor);
      !x)
    return fail(x.error());
  auto c = core_.existing_case(v.case_number);
  if (!c) return fail(c.error());
  if (c->state == CaseState::appointment) {
    if (auto x = core_.set_case_state(*c, CaseState::in_progress, actor, "visit cancelled", at_ms); !x)
      return fail(x.error());
  }
  auto n = notify(v, "visit_cancelled", {{"reason", std::string(reason)}}, at_ms, render);
  if (!n) return fail(n.error());
  return read(v, dealer_code);
}

Result<void> dead_letter_reply(CaseStoreCore& core, const CarReplyIntake& in, std::string detail, ItemOutcome& out) {
  auto id = core.store_dead_letter(DeadLetterRecord{codec::sha256(in.payload), in.topic,
                                                    DeadLetterReason::invalid_field, std::move(detail), in.payload,
                                                    in.at_ms});
  if (!id) return fail(id.error());
  out.dead_letter_id = *id;
  return {};
}

Result<ReplySeen> note_car_reply(CaseStoreCore& core, const CarReplyIntake& in) {
  auto seen = core.cached("INSERT INTO car_replies(message_id, vin, at_ms) VALUES(?,?,?) ON CONFLICT DO NOTHING");
  if (!seen) return fail(seen.error());
  (*seen)->bind(1, in.message_id).bind(2, in.vin).bind(3, in.at_ms);
  if (auto x = (*seen)->run(); !x) return fail(x.error());
  auto changed = core.cached("SELECT changes()");
  if (!changed) return fail(changed.error());
  auto step = (*changed)->step();
  if (!step) return fail(step.error());
  const bool fresh = (*changed)->int64(0) > 0;
  (*changed)->reset();
  if (fresh) return ReplySeen::fresh;
  auto owner = core.cached("SELECT vin FROM car_replies WHERE message_id = ?");
  if (!owner) return fail(owner.error());
  (*owner)->bind(1, in.message_id);
  auto row = (*owner)->step();
  if (!row) return fail(row.error());
  const bool same_car = *row && (*owner)->text(0) == in.vin;
  (*owner)->reset();
  return same_car ? ReplySeen::resent : ReplySeen::other_vehicle;
}

Result<void> VisitBook::apply(const CarReplyIntake& in, const NoticeRenderer& render, ItemOutcome& out) {
  auto seen = note_car_reply(core_, in);
  if (!seen) return fail(seen.error());
  if (*seen == ReplySeen::other_vehicle) {
    return dead_letter_reply(core_, in, "answer " + in.message_id + ": its message id is another vehicle's", out);
  }
  if (*seen == ReplySeen::resent) {
    out.receipt_matched = true;  // applied the first time
    return {};
  }

  if (const auto* req = std::get_if<wire::CallbackRequest>(&in.body)) {
    auto st = core_.cached(
        "SELECT c.number, c.id, (SELECT cb.id FROM callbacks cb WHERE cb.case_id = c.id AND cb.state IN "
        "('queued', 'picked_up')), (SELECT fb_open(k.phone, 'contacts.phone:' || k.report_id) FROM contacts k JOIN "
        "reports r2 ON r2.report_id = k.report_id "
        "WHERE r2.case_id = c.id LIMIT 1) FROM reports r JOIN cases c ON c.id = r.case_id "
        "WHERE r.report_id = ? AND r.vin = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, req->report_id()).bind(2, in.vin);
    auto row = (*st)->step();
    if (!row) return fail(row.error());
    if (!*row)
      return dead_letter_reply(core_, in, "callback request for report " + req->report_id() + ", unknown for this car",
                               out);
    const auto number = (*st)->text(0);
    const auto case_row = (*st)->int64(1);
    const auto open = (*st)->is_null(2) ? std::string() : (*st)->text(2);
    const auto phone_on_record = (*st)->is_null(3) ? std::string() : (*st)->text(3);
    (*st)->reset();
    if (!open.empty())
      return dead_letter_reply(core_, in,
                               "callback request for case " + number + ": callback " + open + " is still open", out);
    auto ins = core_.cached(
        "INSERT INTO callbacks(id, case_id, vin, phone, language, state, requested_ms, phone_mac) VALUES(?1,?2,?3,"
        "fb_seal(?4, 'callbacks.phone:' || ?1),?5,'queued',?6,fb_lookup(?4))");
    if (!ins) return fail(ins.error());
    (*ins)
        ->bind(1, in.message_id)
        .bind(2, case_row)
        .bind(3, in.vin)
        .bind(4, req->phone().empty() ? phone_on_record : req->phone())
        .bind(5, req->language())
        .bind(6, in.at_ms);
    if (auto x = (*ins)->run(); !x) return x;
    out.receipt_matched = true;
    return core_.event(case_row, in.at_ms, "callback_requested", json{{"callback", in.message_id}}.dump(), "car");
  }

  const auto& reply = std::get<wire::VisitReply>(in.body);
  auto row = load(reply.visit_id());
  if (!row) return fail(row.error());
  if (!*row || (*row)->vin != in.vin)
    return dead_letter_reply(core_, in, "visit reply for visit " + reply.visit_id() + ", unknown for this car", out);
  Row v = std::move(**row);
  const auto refuse = [&](std::string why) {
    return dead_letter_reply(core_, in,
                             "visit " + v.id + " is " + std::string(to_string(v.state)) + ": " + std::move(why), out);
  };
  const auto action = reply.action();
  const std::string actor = "car";
  auto c = core_.existing_case(v.case_number);
  if (!c) return fail(c.error());
  const auto& lang = c->language;
  std::string event;
  std::map<std::string, std::string> vars;

  if (action == wire::VisitReply::PICK_SLOT) {
    if (v.state != VisitState::proposed) return refuse(wire::VisitReply::Action_Name(action) + " needs a proposal");
    auto slot = std::find_if(v.slots.begin(), v.slots.end(),
                             [&](const VisitSlot& s) { return s.id == reply.slot_id(); });
    if (slot == v.slots.end()) return refuse("slot " + reply.slot_id() + " was not offered in its latest proposal");
    if (slot->start_ms <= in.at_ms) return refuse("slot " + slot->id + " has passed: the team offers new slots");
    v.booked = *slot;
    v.dealer_code = slot->dealer_code;
    v.state = VisitState::booked;
    std::optional<std::int64_t> reminder;
    for (std::int64_t before : {24 * kHour, kHour}) {
      if (slot->start_ms - before > in.at_ms) {
        reminder = slot->start_ms - before;
        break;
      }
    }
    auto st = core_.cached(
        "UPDATE visits SET state = 'booked', booked = ?, dealer_code = ?, reminder_due_ms = ?, updated_ms = ? "
        "WHERE id = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, slot_json(*slot).dump()).bind(2, slot->dealer_code);
    if (reminder) (*st)->bind(3, *reminder);
    else (*st)->bind_null(3);
    (*st)->bind(4, in.at_ms).bind(5, v.id);
    if (auto x = (*st)->run(); !x) return x;
    if (auto x = add_stage(v.id, VisitState::booked, in.at_ms, actor, "", slot_json(*slot).dump()); !x) return x;
    event = "visit_booked";
    vars = {{"dealer", slot->dealer_name},
            {"when", format_time(slot->start_ms, core_.utc_offset_ms())},
            {"work", slot->work}};
  } else if (action == wire::VisitReply::DECLINE || action == wire::VisitReply::CANCEL) {
    const bool decline = action == wire::VisitReply::DECLINE;
    const bool allowed = decline ? (v.state == VisitState::proposed || v.state == VisitState::reschedule_requested)
                                 : (v.state == VisitState::proposed || v.state == VisitState::booked ||
                                    v.state == VisitState::reschedule_requested);
    if (!allowed) return refuse(wire::VisitReply::Action_Name(action) + " is too late");
    v.state = decline ? VisitState::declined : VisitState::cancelled;
    if (auto x = set_state(v.id, v.state, in.at_ms); !x) return x;
    if (auto x = add_stage(v.id, v.state, in.at_ms, actor, reply.reason(), "{}"); !x) return x;
    if (c->state == CaseState::appointment) {
      if (auto x = core_.set_case_state(*c, CaseState::in_progress, actor,
                                        decline ? "the driver declined the visit" : "the driver cancelled the visit",
                                        in.at_ms);
          !x)
        return x;
    }
    event = decline ? "visit_declined" : "visit_cancelled";
    if (!decline) vars["reason"] = reply.reason().empty() ? say(lang, "by the driver", "车主取消") : reply.reason();
  } else if (action == wire::VisitReply::RESCHEDULE) {
    if (v.state != VisitState::proposed && v.state != VisitState::booked)
      return refuse("RESCHEDULE needs a proposed or booked visit");
    v.state = VisitState::reschedule_requested;
    auto st = core_.cached(
        "UPDATE visits SET state = 'reschedule_requested', reminder_due_ms = NULL, updated_ms = ? WHERE id = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, in.at_ms).bind(2, v.id);
    if (auto x = (*st)->run(); !x) return x;
    if (auto x = add_stage(v.id, v.state, in.at_ms, actor, reply.reason(), "{}"); !x) return x;
    event = "visit_reschedule_requested";
  } else {
    const bool approve = action == wire::VisitReply::APPROVE_EXTRA;
    if (v.state != VisitState::diagnosis && v.state != VisitState::repair)
      return refuse("approval " + reply.approval_id() + " can no longer be answered");
    auto st = core_.cached("SELECT amount_minor, state FROM visit_approvals WHERE id = ? AND visit_id = ?");
    if (!st) return fail(st.error());
    (*st)->bind(1, reply.approval_id()).bind(2, v.id);
    auto found = (*st)->step();
    if (!found) return fail(found.error());
    if (!*found) return refuse("approval " + reply.approval_id() + " was not asked");
    const auto amount = (*st)->int64(0);
    const auto state = (*st)->text(1);
    (*st)->reset();
    if (state != "requested") return refuse("approval " + reply.approval_id() + " was " + state + " already");
    auto upd = core_.cached("UPDATE visit_approvals SET state = ?, answered_ms = ? WHERE id = ?");
    if (!upd) return fail(upd.error());
    (*upd)->bind(1, approve ? "approved" : "refused").bind(2, in.at_ms).bind(3, reply.approval_id());
    if (auto x = (*upd)->run(); !x) return x;
    if (approve) {
      auto add = core_.cached(
          "UPDATE visits SET approved_extra_minor = approved_extra_minor + ?, updated_ms = ? WHERE id = ?");
      if (!add) return fail(add.error());
      (*add)->bind(1, amount).bind(2, in.at_ms).bind(3, v.id);
      if (auto x = (*add)->run(); !x) return x;
    }
    out.receipt_matched = true;
    return core_.event(v.case_row, in.at_ms, "visit",
                       json{{"visit", v.id},
                            {"approval", reply.approval_id()},
                            {"answer", approve ? "approved" : "refused"},
                            {"amount", amount}}
                           .dump(),
                       actor);
  }
  if (auto x = core_.event(v.case_row, in.at_ms, "visit",
                           json{{"visit", v.id}, {"state", to_string(v.state)}, {"reason", reply.reason()}}.dump(),
                           actor);
      !x)
    return x;
  auto n = notify(v, event, vars, in.at_ms, render);
  if (!n) return fail(n.error());
  if (*n) out.notices.push_back(std::move(**n));
  out.receipt_matched = true;
  return {};
}

Result<void> VisitBook::after_survey(std::string_view notification_id, int score, std::string_view comment,
                                     std::int64_t at_ms, const NoticeRenderer& render, ItemOutcome& out) {
  auto st = core_.cached("SELECT id FROM visits WHERE survey_notification_id = ? AND survey_score IS NULL");
  if (!st) return fail(st.error());
  (*st)->bind(1, notification_id);
  auto found = (*st)->step();
  if (!found) return fail(found.error());
  if (!*found) return {};
  const auto id = (*st)->text(0);
  (*st)->reset();
  auto upd = core_.cached(
      "UPDATE visits SET survey_score = ?1, survey_comment = fb_seal(?2, 'visits.survey_comment:' || ?4), "
      "updated_ms = ?3 WHERE id = ?4");
  if (!upd) return fail(upd.error());
  (*upd)->bind(1, std::int64_t{score}).bind(2, comment).bind(3, at_ms).bind(4, id);
  if (auto x = (*upd)->run(); !x) return x;
  if (score > kFollowUpMaxScore) return {};

  auto row = load(id);
  if (!row) return fail(row.error());
  const Row& v = **row;
  auto origin = core_.existing_case(v.case_number);
  if (!origin) return fail(origin.error());
  auto follow = core_.open_follow_up(*origin, "visit " + v.id + " scored " + std::to_string(score) + " of 5", at_ms);
  if (!follow) return fail(follow.error());
  auto link = core_.cached(
      "UPDATE visits SET follow_up_case_id = (SELECT id FROM cases WHERE number = ?) WHERE id = ?");
  if (!link) return fail(link.error());
  (*link)->bind(1, follow->case_number).bind(2, v.id);
  if (auto x = (*link)->run(); !x) return x;
  auto follow_row = core_.case_row(follow->case_number);
  if (!follow_row) return fail(follow_row.error());
  CaseNotice notice{"follow_up",
                    *follow,
                    v.vin,
                    origin->report_id,
                    {{"hours", std::to_string(kFollowUpResponseMs / kHour)}},
                    at_ms,
                    std::nullopt,
                    std::nullopt};
  auto n = render(notice);
  if (!n) return fail(n.error());
  if (auto x = core_.queue_notification(*follow_row, *n, "follow_up", at_ms, origin->report_id); !x) return x;
  out.notices.push_back(std::move(*n));
  return {};
}

Result<std::vector<SlaEvent>> VisitBook::send_reminders(std::int64_t now_ms, const NoticeRenderer& render) {
  auto st = core_.cached(
      "SELECT id FROM visits WHERE reminder_due_ms IS NOT NULL AND reminder_due_ms <= ? AND state = 'booked' "
      "ORDER BY reminder_due_ms LIMIT 200");
  if (!st) return fail(st.error());
  (*st)->bind(1, now_ms);
  std::vector<std::string> ids;
  auto rows = (*st)->each_row([&](const sql::Statement& s) { ids.push_back(s.text(0)); });
  if (!rows) return fail(rows.error());
  std::vector<SlaEvent> events;
  for (const auto& id : ids) {
    auto row = load(id);
    if (!row) return fail(row.error());
    const Row& v = **row;
    auto done = core_.cached("UPDATE visits SET reminder_due_ms = NULL WHERE id = ?");
    if (!done) return fail(done.error());
    (*done)->bind(1, v.id);
    if (auto x = (*done)->run(); !x) return fail(x.error());
    auto n = notify(v, "visit_reminder",
                    {{"dealer", v.dealer_name()},
                     {"when", format_time(v.booked ? v.booked->start_ms : 0, core_.utc_offset_ms())}},
                    now_ms, render, std::nullopt, [](wire::VisitUpdate& u) { u.set_reminder(true); });
    if (!n) return fail(n.error());
    if (!*n) continue;  // erased: nothing is sent for it again
    auto c = core_.existing_case(v.case_number);
    if (!c) return fail(c.error());
    events.push_back(SlaEvent{v.case_number, "visit_reminder", 0, c->team});
  }
  return events;
}

Result<std::vector<SlaEvent>> VisitBook::expire_callbacks(std::int64_t now_ms, const NoticeRenderer& render) {
  auto st = core_.cached(
      "SELECT id FROM callbacks WHERE (state = 'queued' AND requested_ms <= ?1) OR (state = 'picked_up' AND "
      "picked_ms <= ?2) ORDER BY requested_ms, id LIMIT 200");
  if (!st) return fail(st.error());
  (*st)->bind(1, now_ms - kCallbackUnansweredMs).bind(2, now_ms - kCallbackUnloggedMs);
  std::vector<std::string> ids;
  auto rows = (*st)->each_row([&](const sql::Statement& s) { ids.push_back(s.text(0)); });
  if (!rows) return fail(rows.error());
  std::vector<SlaEvent> events;
  for (const auto& id : ids) {
    auto cb = load_callback(id);
    if (!cb) return fail(cb.error());
    if (!*cb) continue;
    auto c = std::move(**cb);
    const bool unlogged = c.state == CallbackState::picked_up;
    auto done = core_.cached("UPDATE callbacks SET state = 'cancelled' WHERE id = ?");
    if (!done) return fail(done.error());
    (*done)->bind(1, c.id);
    if (auto x = (*done)->run(); !x) return fail(x.error());
    c.state = CallbackState::cancelled;
    auto kase = callback_step(c,
                              json{{"callback", c.id},
                                   {"state", "cancelled"},
                                   {"reason", unlogged ? "picked up by " + c.agent + " and never logged"
                                                       : std::string("nobody picked it up")}},
                              "system", wire::CALLBACK_CANCELLED, now_ms, render);
    if (!kase) return fail(kase.error());
    spdlog::warn("callback {} of case {} cancelled: {}", c.id, c.case_number,
                 unlogged ? "picked up and never logged" : "nobody picked it up");
    events.push_back(SlaEvent{c.case_number, "callback_cancelled", 0, kase->team});
  }
  return events;
}

Result<std::optional<std::int64_t>> VisitBook::next_reminder() {
  auto st = core_.cached(
      "SELECT min(reminder_due_ms) FROM visits WHERE reminder_due_ms IS NOT NULL AND state = 'booked'");
  if (!st) return fail(st.error());
  auto row = (*st)->step();
  if (!row) return fail(row.error());
  std::optional<std::int64_t> out;
  if (*row && !(*st)->is_null(0)) out = (*st)->int64(0);
  (*st)->reset();
  return out;
}

Result<void> VisitBook::erase_vin(std::string_view vin) {
  return run_each(
      // No VIN kept beside the case number (it would tie the kept case back to the car), and no
      // call left waiting for an agent.
      {"UPDATE callbacks SET phone = '', phone_mac = '', note = '', outcome = '', vin = '', state = CASE WHEN state "
       "IN ('queued', 'picked_up') THEN 'cancelled' ELSE state END WHERE vin = ?",
       "UPDATE visits SET survey_comment = '', reminder_due_ms = NULL WHERE case_id IN (SELECT id FROM cases WHERE "
       "vin = ?)",
       "UPDATE visit_stages SET note = '' WHERE actor = 'car' AND visit_id IN (SELECT v.id FROM visits v JOIN cases c "
       "ON c.id = v.case_id WHERE c.vin = ?)",
       "DELETE FROM car_replies WHERE vin = ?"},
      vin);
}

Result<void> VisitBook::erase_phone(std::string_view phone) {
  // The agent's words about the calls to that number, found through the number before it is
  // blanked, and only those calls' (another call on the same case keeps its record): their own
  // entries in the case history (they name the callback id), and the "call logged" notice that
  // carried the outcome to the driver, as queued (its payload) and as audited (same case and time).
  return run_each(
      {"UPDATE case_events SET detail = '[erased]' WHERE kind = 'callback' AND EXISTS (SELECT 1 FROM callbacks cb "
       "WHERE cb.phone_mac = fb_lookup(?1) AND cb.case_id = case_events.case_id AND instr(case_events.detail, "
       "cb.id) > 0)",
       "UPDATE case_events SET detail = '[erased]' WHERE kind IN ('notified', 'notified_in_ack') AND "
       "instr(detail, ' callback_logged') > 0 AND EXISTS (SELECT 1 FROM callbacks cb WHERE cb.phone_mac = "
       "fb_lookup(?1) AND cb.case_id = case_events.case_id AND cb.logged_ms = case_events.at_ms)",
       "DELETE FROM notifications WHERE event = 'callback_logged' AND EXISTS (SELECT 1 FROM callbacks cb WHERE "
       "cb.phone_mac = fb_lookup(?1) AND cb.case_id = notifications.case_id AND cb.logged_ms = "
       "notifications.created_ms)",
       "UPDATE callbacks SET phone = '', phone_mac = '', note = '', outcome = '' WHERE phone_mac = fb_lookup(?1)"},
      phone);
}

Result<std::vector<Visit>> VisitBook::visits(const VisitQuery& q) {
  std::string where = "WHERE 1 = 1";
  std::vector<std::string> args;
  if (!q.dealer_code.empty()) {
    where +=
        " AND (v.dealer_code = ? OR (v.state IN ('proposed', 'reschedule_requested') AND v.slots LIKE ? ESCAPE "
        "'\\'))";
    args.push_back(q.dealer_code);
    std::string pattern = "%\"dealer_code\":\"";
    for (char ch : q.dealer_code) {
      if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
      pattern += ch;
    }
    args.push_back(pattern + "\"%");
  }
  if (q.state) {
    where += " AND v.state = ?";
    args.emplace_back(to_string(*q.state));
  }
  if (!q.case_number.empty()) {
    where += " AND c.number = ?";
    args.push_back(q.case_number);
  }
  // The teams that may see the case: its own and its collaborators (a brake case of rnd that
  // after_sales works on shows its visit to after_sales).
  if (auto teams = detail::visible_to_teams(q.teams, [&](std::string v) { args.push_back(std::move(v)); });
      !teams.empty()) {
    where += " AND " + teams;
  }
  const auto limit = std::min<std::size_t>(q.limit, 500);
  // A dealer's LIKE only narrows (visible_to() decides): the limit applies after it.
  auto st = core_.cached("SELECT v.id FROM visits v JOIN cases c ON c.id = v.case_id " + where +
                         " ORDER BY v.updated_ms DESC, v.id" +
                         (q.dealer_code.empty() ? " LIMIT " + std::to_string(limit) : std::string()));
  if (!st) return fail(st.error());
  for (std::size_t i = 0; i < args.size(); ++i) (*st)->bind(static_cast<int>(i + 1), args[i]);
  std::vector<std::string> ids;
  auto rows = (*st)->each_row([&](const sql::Statement& s) { ids.push_back(s.text(0)); });
  if (!rows) return fail(rows.error());
  std::vector<Visit> out;
  for (const auto& id : ids) {
    auto row = load(id);
    if (!row) return fail(row.error());
    if (!*row || !(*row)->visible_to(q.dealer_code)) continue;
    if (out.size() == limit) break;
    auto v = read(**row, q.as_dealer ? q.dealer_code : std::string());
    if (!v) return fail(v.error());
    out.push_back(std::move(*v));
  }
  return out;
}

Result<std::optional<Visit>> VisitBook::visit(std::string_view id, std::string_view dealer_code) {
  auto row = load(id);
  if (!row) return fail(row.error());
  if (!*row || !(*row)->visible_to(dealer_code)) return std::optional<Visit>{};
  auto v = read(**row, dealer_code);
  if (!v) return fail(v.error());
  return std::optional<Visit>{std::move(*v)};
}

namespace {
constexpr std::string_view kCallbackColumns =
    "SELECT cb.id, c.number, cb.vin, c.team, fb_open(cb.phone, 'callbacks.phone:' || cb.id), cb.language, cb.state, "
    "cb.requested_ms, cb.picked_ms, cb.agent, "
    "cb.outcome, cb.note, cb.logged_ms FROM callbacks cb JOIN cases c ON c.id = cb.case_id ";

Callback callback_of(const sql::Statement& s) {
  return Callback{s.text(0),
                  s.text(1),
                  s.text(2),
                  s.text(3),
                  s.text(4),
                  s.text(5),
                  parse<CallbackState>(s.text(6)).value_or(CallbackState::queued),
                  s.int64(7),
                  s.int64(8),
                  s.text(9),
                  s.text(10),
                  s.text(11),
                  s.int64(12)};
}
}  // namespace

Result<std::vector<Callback>> VisitBook::callbacks(const CallbackQuery& q) {
  std::string where = "WHERE 1 = 1";
  std::vector<std::string> args;
  if (!q.id.empty()) {
    where += " AND cb.id = ?";
    args.push_back(q.id);
  }
  std::vector<std::string> states;
  states.reserve(q.states.size());
  for (auto st : q.states) states.emplace_back(to_string(st));
  append_in(where, args, "cb.state", states);
  // The team by the callback's own case, not by the joined row: PostgreSQL's generic plan of
  // `c.team IN (...)`, cached on a small store, read every case of the team for each callback
  // (about 0.4 s at 100,000 cases; 1 ms this way).
  append_in(where, args, "(SELECT t.team FROM cases t WHERE t.id = cb.case_id)", q.teams);
  auto st = core_.cached(std::string(kCallbackColumns) + where +
                         " ORDER BY cb.state != 'queued', CASE cb.state WHEN 'queued' THEN cb.requested_ms ELSE "
                         "-cb.requested_ms END LIMIT " +
                         std::to_string(std::min(q.limit, kMaxCallbackQueryLimit)));
  if (!st) return fail(st.error());
  for (std::size_t i = 0; i < args.size(); ++i) (*st)->bind(static_cast<int>(i + 1), args[i]);
  std::vector<Callback> out;
  auto rows = (*st)->each_row([&](const sql::Statement& s) { out.push_back(callback_of(s)); });
  if (!rows) return fail(rows.error());
  return out;
}

Result<std::optional<Callback>> VisitBook::load_callback(std::string_view id) {
  auto st = core_.cached(std::string(kCallbackColumns) + "WHERE cb.id = ?");
  if (!st) return fail(st.error());
  (*st)->bind(1, id);
  std::optional<Callback> out;
  auto rows = (*st)->each_row([&](const sql::Statement& s) { out = callback_of(s); });
  if (!rows) return fail(rows.error());
  return out;
}

Result<void> VisitBook::tell_car(std::int64_t case_row, const CaseSummary& kase, const Callback& c,
                                 wire::CallbackState state, std::int64_t at_ms, const NoticeRenderer& render) {
  if (kase.vin.empty()) return {};  // erased: nothing is sent for the case again
  wire::CallbackUpdate u;
  u.set_callback_id(c.id);
  u.set_state(state);
  u.set_agent(c.agent);
  u.set_outcome(c.outcome);
  const bool picked = state == wire::CALLBACK_PICKED_UP;
  const bool cancelled = state == wire::CALLBACK_CANCELLED;
  const std::string event = picked ? "callback_picked" : cancelled ? "callback_cancelled" : "callback_logged";
  std::map<std::string, std::string> vars;
  if (picked) vars["agent"] = c.agent;
  else if (!cancelled) vars["outcome"] = c.outcome;
  CaseNotice notice{event, kase, kase.vin, kase.report_id, std::move(vars), at_ms, std::nullopt, std::move(u)};
  auto n = render(notice);
  if (!n) return fail(n.error());
  return core_.queue_notification(case_row, *n, event, at_ms, kase.report_id);
}

Result<Callback> VisitBook::pick_up(std::string_view id, std::string_view agent, std::int64_t at_ms,
                                    const NoticeRenderer& render) {
  if (agent.empty()) return fail(VisitErrc::invalid_request, "a pick-up needs who (agent)");
  auto cb = load_callback(id);
  if (!cb) return fail(cb.error());
  if (!*cb) return fail(VisitErrc::not_found, "callback " + std::string(id));
  auto c = std::move(**cb);
  if (c.state != CallbackState::queued) {
    return fail(VisitErrc::already_taken, "callback " + c.id + " is " + std::string(to_string(c.state)) +
                                              (c.agent.empty() ? "" : " by " + c.agent));
  }
  auto st = core_.cached(
      "UPDATE callbacks SET state = 'picked_up', picked_ms = ?, agent = ? WHERE id = ? AND state = 'queued'");
  if (!st) return fail(st.error());
  (*st)->bind(1, at_ms).bind(2, agent).bind(3, c.id);
  if (auto x = (*st)->run(); !x) return fail(x.error());
  c.state = CallbackState::picked_up;
  c.picked_ms = at_ms;
  c.agent = std::string(agent);
  auto step = callback_step(c, json{{"callback", c.id}, {"state", "picked_up"}, {"wait_ms", at_ms - c.requested_ms}},
                            agent, wire::CALLBACK_PICKED_UP, at_ms, render);
  if (!step) return fail(step.error());
  return c;
}

Result<Callback> VisitBook::log_call(std::string_view id, std::string_view agent, bool override_owner,
                                     std::string_view outcome, std::string_view note, std::int64_t at_ms,
                                     const NoticeRenderer& render) {
  if (agent.empty() || outcome.empty() || !valid_text(outcome, 500) || !valid_text(note, 2000))
    return fail(VisitErrc::invalid_request, "a logged call needs who and its outcome (at most 500 characters)");
  auto cb = load_callback(id);
  if (!cb) return fail(cb.error());
  if (!*cb) return fail(VisitErrc::not_found, "callback " + std::string(id));
  auto c = std::move(**cb);
  if (c.state == CallbackState::queued)
    return fail(VisitErrc::invalid_stage, "callback " + c.id + " is queued: pick it up first");
  if (c.state != CallbackState::picked_up)
    return fail(VisitErrc::already_taken, "callback " + c.id + " is " + std::string(to_string(c.state)));
  if (!override_owner && c.agent != agent)
    return fail(VisitErrc::already_taken, "callback " + c.id + " was picked up by " + c.agent);
  auto st = core_.cached("UPDATE callbacks SET state = 'logged', outcome = ?, note = ?, logged_ms = ? WHERE id = ?");
  if (!st) return fail(st.error());
  (*st)->bind(1, outcome).bind(2, note).bind(3, at_ms).bind(4, c.id);
  if (auto x = (*st)->run(); !x) return fail(x.error());
  c.state = CallbackState::logged;
  c.outcome = std::string(outcome);
  c.note = std::string(note);
  c.logged_ms = at_ms;
  auto step = callback_step(c, json{{"callback", c.id}, {"state", "logged"}, {"outcome", outcome}, {"note", note}},
                            agent, wire::CALLBACK_LOGGED, at_ms, render);
  if (!step) return fail(step.error());
  return c;
}

Result<CaseSummary> VisitBook::callback_step(const Callback& c, const json& detail, std::string_view actor,
                                             wire::CallbackState state, std::int64_t at_ms,
                                             const NoticeRenderer& render) {
  auto row = core_.case_row(c.case_number);
  if (!row) return fail(row.error());
  if (auto x = core_.event(*row, at_ms, "callback", detail.dump(), actor); !x) return fail(x.error());
  if (state == wire::CALLBACK_LOGGED) {
    if (auto x = core_.record_response(*row, at_ms); !x) return fail(x.error());  // a person answered the driver
  }
  auto kase = core_.existing_case(c.case_number);
  if (!kase) return fail(kase.error());
  if (auto x = tell_car(*row, *kase, c, state, at_ms, render); !x) return fail(x.error());
  return std::move(*kase);
}

Result<void> VisitBook::run_each(std::initializer_list<std::string_view> statements, std::string_view arg) {
  for (const auto q : statements) {
    auto st = core_.cached(q);
    if (!st) return fail(st.error());
    (*st)->bind(1, arg);
    if (auto x = (*st)->run(); !x) return x;
  }
  return {};
}

}  // namespace detail
}  // namespace fb::backend
