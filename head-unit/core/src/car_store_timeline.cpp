// CarStore: each report's timeline and the driver's actions on its case (reply, reopen, rating).
#include <array>

#include "fb/agent/car_store.hpp"
#include "fb/common/codec.hpp"
#include "fb/common/utf8.hpp"

namespace fb::agent {

TimelineKind timeline_kind(const wire::Notification& n) {
  switch (n.milestone()) {
    case wire::MILESTONE_RECEIVED: return TimelineKind::received;
    case wire::MILESTONE_ASSIGNED: return TimelineKind::assigned;
    case wire::MILESTONE_IN_PROGRESS: return TimelineKind::in_progress;
    case wire::MILESTONE_WORKAROUND: return TimelineKind::workaround;
    case wire::MILESTONE_APPOINTMENT: return TimelineKind::appointment;
    case wire::MILESTONE_RESOLVED: return TimelineKind::resolved;
    case wire::MILESTONE_CLOSED: return TimelineKind::closed;
    case wire::MILESTONE_REOPENED: return TimelineKind::reopened;
    case wire::MILESTONE_WAITING_FOR_DRIVER: return TimelineKind::waiting_for_driver;
    case wire::MILESTONE_MESSAGE: return TimelineKind::message;
    default: break;  // unspecified (an older backend) or newer than this build: by status
  }
  if (n.has_callback()) return TimelineKind::message;
  switch (n.status()) {
    case wire::CASE_STATUS_RECEIVED: return TimelineKind::received;
    case wire::CASE_STATUS_IN_PROGRESS: return TimelineKind::in_progress;
    case wire::CASE_STATUS_WAITING_FOR_DRIVER: return TimelineKind::waiting_for_driver;
    case wire::CASE_STATUS_RESOLVED: return TimelineKind::resolved;
    case wire::CASE_STATUS_CLOSED: return TimelineKind::closed;
    case wire::CASE_STATUS_APPOINTMENT: return TimelineKind::appointment;
    default: return TimelineKind::message;
  }
}

ReportActions actions_of(const ReportView& r) {
  ReportActions a;
  const bool has_case = !r.case_number.empty() && r.status != ReportStatus::rejected;
  const bool done = r.status == ReportStatus::resolved || r.status == ReportStatus::closed;
  a.reply = has_case && r.status != ReportStatus::closed;
  a.reopen = has_case && done && !r.reopen_pending;
  a.rate = has_case && done && !r.rating_request_id.empty() && !r.rated;
  a.answer_visit = r.visit && r.visit->latest.stage() == wire::VISIT_PROPOSED && !r.visit->pending;
  return a;
}

Result<void> CarStore::add_step_in_tx(const std::string& report_id, TimelineKind kind, std::int64_t at_ms,
                                      const std::string& source_id, const std::string& title, const std::string& text,
                                      const std::string& detail) {
  // The first copy of a step keeps its time; a later one (the "received" notification after
  // the ack) only adds the words the first lacked.
  // Only for a report the car has: not for one erased (erase_personal_data) while its publish or
  // ack was on its way, nor for one it never had.
  auto st = db_.cached(
      "INSERT INTO timeline(report_id, kind, at_ms, source_id, title, text, detail) SELECT ?1,?2,?3,?4,?5,"
      "fb_seal(?6, 'timeline.text:' || ?1 || ':' || ?2 || ':' || ?4),?7 "
      "WHERE EXISTS (SELECT 1 FROM reports WHERE report_id = ?1) "
      "ON CONFLICT(report_id, kind, source_id) DO UPDATE SET title = excluded.title, text = excluded.text "
      "WHERE timeline.title = '' AND excluded.title <> ''");
  if (!st) return fail(st.error());
  st->bind(1, report_id)
      .bind(2, to_string(kind))
      .bind(3, at_ms)
      .bind(4, source_id)
      .bind(5, title)
      .bind(6, text)
      .bind(7, detail);
  return st->run();
}

Result<void> CarStore::add_notification_step_in_tx(const wire::Envelope& env, std::int64_t now_ms,
                                                   const std::vector<std::string>& others) {
  const auto& n = env.notification();
  const auto at = env.sent_at_ms() > 0 ? env.sent_at_ms() : now_ms;
  if (n.has_action_result() && !n.action_result().accepted()) {
    return add_step_in_tx(n.report_id(), TimelineKind::action_refused, at, env.message_id(), n.title(), n.text(),
                          n.action_result().reason());
  }
  const auto kind = timeline_kind(n);
  // "Received" happens once (the ack's step and its notification are the same step).
  const auto source = kind == TimelineKind::received ? std::string() : env.message_id();
  if (auto r = add_step_in_tx(n.report_id(), kind, at, source, n.title(), n.text()); !r) return r;
  for (const auto& id : others) {
    if (auto r = add_step_in_tx(id, kind, at, source, n.title(), n.text()); !r) return r;
  }
  return {};
}

Result<void> CarStore::add_rated_step_in_tx(const std::string& notification_id, const wire::Envelope& env,
                                            std::int64_t now_ms) {
  auto report_id = report_of_notification(notification_id);
  if (!report_id) return fail(report_id.error());
  if (report_id->empty()) return {};
  return add_step_in_tx(*report_id, TimelineKind::rated, now_ms, env.message_id(), {}, env.survey().comment(),
                        std::to_string(env.survey().score()));
}

Result<void> CarStore::record_delivery(const std::string& report_id, std::int64_t sent_ms, std::int64_t delivered_ms) {
  const Delivery one{report_id, sent_ms, delivered_ms};
  return record_deliveries({&one, 1});
}

Result<void> CarStore::record_deliveries(std::span<const Delivery> deliveries) {
  if (deliveries.empty()) return {};
  return in_unsynced_transaction([&]() -> Result<void> {
    for (const auto& d : deliveries) {
      if (auto r = add_step_in_tx(d.report_id, TimelineKind::sent, d.sent_ms); !r) return fail(r.error());
      if (auto r = add_step_in_tx(d.report_id, TimelineKind::delivered, d.delivered_ms); !r) return fail(r.error());
    }
    return {};
  });
}

Result<std::vector<TimelineEvent>> CarStore::timeline(const std::string& report_id) {
  // The "queued" step is the report's created_ms; a store written before kept it as a row.
  auto st = db_.cached(
      "SELECT 'queued' AS kind, created_ms AS at_ms, '', '', '', '', 0 AS seq FROM reports WHERE report_id = ?1 AND "
      "NOT EXISTS (SELECT 1 FROM timeline WHERE report_id = ?1 AND kind = 'queued') UNION ALL "
      "SELECT kind, at_ms, title, fb_open(text, 'timeline.text:' || report_id || ':' || kind || ':' || source_id), "
      "detail, source_id, seq FROM timeline WHERE report_id = ?1 ORDER BY at_ms, seq");
  if (!st) return fail(st.error());
  st->bind(1, report_id);
  std::vector<TimelineEvent> out;
  auto rows = st->each_row([&](const sql::Statement& s) {
    out.push_back(TimelineEvent{parse<TimelineKind>(s.text(0)).value_or(TimelineKind::message), s.int64(1), s.text(2),
                                s.text(3), s.text(4), s.text(5)});
  });
  if (!rows) return fail(rows.error());
  return out;
}

Result<std::string> CarStore::enqueue_case_action(const std::string& report_id, const wire::Envelope& env,
                                                  TimelineKind step, const std::string& text, const std::string& topic,
                                                  std::int64_t now_ms,
                                                  const std::function<Result<void>(const ReportView&)>& check) {
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return fail(tx.error());
  auto report = report_with_case(report_id);
  if (!report) return fail(report.error());
  if (auto r = check(*report); !r) return fail(r.error());
  // Above receipts, like a callback request: the driver is waiting for the answer.
  if (auto r = insert_outbox(env.message_id(), OutboxKind::answer, topic, codec::encode(env), 1, now_ms); !r) {
    return fail(r.error());
  }
  if (auto r = add_step_in_tx(report_id, step, now_ms, env.message_id(), {}, text); !r) return fail(r.error());
  if (auto r = tx->commit(); !r) return fail(r.error());
  return env.message_id();
}

Result<std::string> CarStore::enqueue_driver_message(const std::string& report_id, const std::string& text,
                                                     const std::string& topic, std::int64_t now_ms) {
  if (text.empty() || !is_valid_text(text) || utf8_length(text) > kMaxReplyChars) {
    return fail(WireErrc::invalid_field,
                "reply: 1.." + std::to_string(kMaxReplyChars) + " characters of UTF-8, no U+0000");
  }
  auto env = codec::new_envelope(now_ms);
  env.mutable_driver_message()->set_report_id(report_id);
  env.mutable_driver_message()->set_text(text);
  return enqueue_case_action(report_id, env, TimelineKind::driver_reply, text, topic, now_ms,
                             [&](const ReportView& v) -> Result<void> {
                               if (v.status == ReportStatus::closed) {
                                 return fail(AgentErrc::case_closed, "report " + report_id + ": reopen it to reply");
                               }
                               return {};
                             });
}

Result<std::string> CarStore::enqueue_reopen_request(const std::string& report_id, const std::string& reason,
                                                     const std::string& topic, std::int64_t now_ms) {
  if (!is_valid_text(reason) || utf8_length(reason) > kMaxReopenReasonChars) {
    return fail(WireErrc::invalid_field,
                "reopen reason: at most " + std::to_string(kMaxReopenReasonChars) + " characters of UTF-8, no U+0000");
  }
  auto env = codec::new_envelope(now_ms);
  env.mutable_reopen_request()->set_report_id(report_id);
  env.mutable_reopen_request()->set_reason(reason);
  return enqueue_case_action(report_id, env, TimelineKind::reopen_asked, reason, topic, now_ms,
                             [&](const ReportView& v) -> Result<void> {
                               if (!actions_of(v).reopen) {
                                 return fail(AgentErrc::not_reopenable,
                                             "report " + report_id + " is " + std::string(to_string(v.status)) +
                                                 (v.reopen_pending ? ", a reopen is on its way" : ""));
                               }
                               return {};
                             });
}

Result<std::string> CarStore::enqueue_rating(const std::string& report_id, int score, const std::string& comment,
                                             const std::string& topic, std::int64_t now_ms) {
  auto report = read_report(report_id);
  if (!report) return fail(report.error());
  if (!*report) return fail(StorageErrc::not_found, "no report " + report_id);
  const auto& view = **report;
  if ((view.status != ReportStatus::resolved && view.status != ReportStatus::closed) ||
      view.rating_request_id.empty()) {
    return fail(AgentErrc::not_resolved, "report " + report_id + " is " + std::string(to_string(view.status)));
  }
  if (view.rated) return fail(AgentErrc::already_answered, "report " + report_id + " is rated");
  return enqueue_survey_answer(view.rating_request_id, score, comment, topic, now_ms);
}

}  // namespace fb::agent
