#include "fb/backend/ingest.hpp"

#include <google/protobuf/unknown_field_set.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <variant>

#include "fb/backend/notifier.hpp"
#include "fb/common/ids.hpp"
#include "fb/common/topics.hpp"
#include "fb/common/utf8.hpp"
#include "fb/common/vocabulary.hpp"

namespace fb::backend {
namespace {

bool is_phone(std::string_view s) {
  return s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ';
         });
}

bool is_language_tag(std::string_view s) {
  return s.size() <= 35 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
         });
}

bool is_answer(wire::Envelope::BodyCase body) {
  switch (body) {
    case wire::Envelope::kSurvey:
    case wire::Envelope::kVisitReply:
    case wire::Envelope::kCallbackRequest:
    case wire::Envelope::kDriverMessage:
    case wire::Envelope::kReopenRequest: return true;
    default: return false;
  }
}

/// What a receipts topic may carry besides a Receipt: a driver's answer, checked field by field.
/// Returns the intake, or why it is refused (a dead letter; an answer's car is told, AnswerStored).
std::variant<CarReplyIntake, std::string> car_reply(const wire::Envelope& e) {
  CarReplyIntake in;
  in.message_id = e.message_id();
  if (!is_uuid(e.message_id())) return std::string("message_id: a UUID (it makes a re-send harmless)");
  switch (e.body_case()) {
    case wire::Envelope::kSurvey:
      if (!is_uuid(e.survey().notification_id())) return std::string("survey.notification_id: a UUID");
      if (!is_valid_text(e.survey().comment()) || utf8_length(e.survey().comment()) > kMaxSurveyComment)
        return "survey.comment: UTF-8 without U+0000, at most " + std::to_string(kMaxSurveyComment) + " characters";
      in.body = e.survey();
      return in;
    case wire::Envelope::kVisitReply: {
      const auto& r = e.visit_reply();
      if (r.visit_id().empty() || r.visit_id().size() > 64 || !is_valid_utf8(r.visit_id()))
        return std::string("visit_reply.visit_id: 1-64 characters");
      if (!wire::VisitReply::Action_IsValid(r.action()) || r.action() == wire::VisitReply::ACTION_UNSPECIFIED)
        return "visit_reply.action: " + std::to_string(r.action()) + " is not an action this backend knows";
      if (r.action() == wire::VisitReply::PICK_SLOT && (r.slot_id().empty() || r.slot_id().size() > 16))
        return std::string("visit_reply.slot_id: required with PICK_SLOT, at most 16 characters");
      if ((r.action() == wire::VisitReply::APPROVE_EXTRA || r.action() == wire::VisitReply::REFUSE_EXTRA) &&
          !is_uuid(r.approval_id()))
        return std::string("visit_reply.approval_id: the UUID of the approval asked");
      if (!is_valid_text(r.reason()) || utf8_length(r.reason()) > 500)
        return std::string("visit_reply.reason: UTF-8 without U+0000, at most 500 characters");
      in.body = r;
      return in;
    }
    case wire::Envelope::kCallbackRequest: {
      const auto& r = e.callback_request();
      if (!is_uuid(r.report_id()))
        return std::string("callback_request.report_id: the UUID of one of the car's reports");
      if (!is_phone(r.phone())) return std::string("callback_request.phone: digits, '+', '-' or spaces, at most 32");
      if (!is_language_tag(r.language())) return std::string("callback_request.language: a BCP 47 tag");
      in.body = r;
      return in;
    }
    case wire::Envelope::kDriverMessage: {
      const auto& r = e.driver_message();
      if (!is_uuid(r.report_id())) return std::string("driver_message.report_id: the UUID of one of the car's reports");
      if (r.text().empty() || !is_valid_text(r.text()) || utf8_length(r.text()) > 1000)
        return std::string("driver_message.text: UTF-8 without U+0000, 1-1000 characters");
      in.body = r;
      return in;
    }
    case wire::Envelope::kReopenRequest: {
      const auto& r = e.reopen_request();
      if (!is_uuid(r.report_id())) return std::string("reopen_request.report_id: the UUID of one of the car's reports");
      if (!is_valid_text(r.reason()) || utf8_length(r.reason()) > 500)
        return std::string("reopen_request.reason: UTF-8 without U+0000, at most 500 characters");
      in.body = r;
      return in;
    }
    default:
      return std::string(
          "not a Receipt with a notification id and kind, a SurveyAnswer, a VisitReply, a CallbackRequest, a "
          "DriverMessage or a ReopenRequest");
  }
}

DeadLetterReason reason_of(const Error& e) {
  if (e.code.category() == wire_category()) return dead_letter_reason(static_cast<wire::RejectReason>(e.code.value()));
  return DeadLetterReason::internal;
}

/// The message id (a UUID) of a payload that does not decode, read from the Envelope's field 2
/// as it is on the wire; "" when there is none.
std::string undecoded_message_id(const std::string& payload) {
  google::protobuf::UnknownFieldSet raw;
  if (!raw.ParseFromString(payload)) return {};
  for (int i = 0; i < raw.field_count(); ++i) {
    const auto& f = raw.field(i);
    if (f.number() == wire::Envelope::kMessageIdFieldNumber &&
        f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED && is_uuid(f.length_delimited())) {
      return f.length_delimited();
    }
  }
  return {};
}

}  // namespace

Ingest::Ingest(CaseStore& store, const Rules& rules, const Clock& clock, IngestOptions options)
    : store_(store),
      rules_(rules),
      clock_(clock),
      options_(options) {}

void Ingest::triage(ReportIntake& intake) const {
  const auto& r = *intake.report;
  intake.classification = rules_.classifier.classify(r);
  intake.route = rules_.router.route(intake.classification, r.model());
  intake.sla = SlaTargets::of(intake.route.sla);
  // A safety report is for a person to answer: a "known, harmless" article whose `unless` words
  // missed the danger must not tell the driver it is normal.
  if (intake.classification.safety) return;
  const std::vector<std::string> dtcs(r.dtcs().begin(), r.dtcs().end());
  intake.knowledge = rules_.knowledge.match(
      KnowledgeQuery{r.text(), r.language(), intake.classification.system, dtcs, r.model(), r.software_version()});
}

Result<std::vector<Outgoing>> Ingest::process(std::span<const RawMessage> batch) {
  ++stats_.batches;
  const auto now = clock_.epoch_ms();
  // Envelopes must outlive the store call: ReportIntake points into them.
  std::vector<wire::Envelope> envelopes(batch.size());
  std::vector<BatchItem> items;
  std::vector<std::size_t> origin;  // items[i] came from batch[origin[i]]
  std::vector<std::string> vins(batch.size());
  std::vector<std::string> digests(batch.size());  // SHA-256 of each payload: dead letters and acks name it
  std::vector<std::optional<Rejection>> rejections(batch.size());
  std::vector<CarReplyIntake> replies;  // drivers' answers: applied after the batch, with rendering
  // batch[i] is a driver's answer refused before the store (its message id): the car is told once
  // its dead letter is stored, so it stops sending it.
  std::vector<std::string> refused_answers(batch.size());
  items.reserve(batch.size());
  const auto reject = [&](std::size_t i, Rejection r) {
    ++stats_.rejected;
    const auto& m = batch[i];
    spdlog::warn("rejected message from {} ({} bytes, sha256 {}): {} [{}]{}", vins[i], m.payload.size(),
                 codec::to_hex(digests[i]).substr(0, 16), r.error.what(), to_string(reason_of(r.error)),
                 r.report_id.empty() ? "" : " report " + r.report_id);
    items.emplace_back(dead_letter(m, digests[i], reason_of(r.error), r.error.detail, now));
    origin.push_back(i);
    rejections[i] = std::move(r);
  };

  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& m = batch[i];
    digests[i] = codec::sha256(m.payload);
    auto topic = topics::parse(m.topic);
    if (!topic || !is_valid_vin(topic->vin) || topic->kind == topics::Kind::inbox) {
      ++stats_.unroutable;
      spdlog::warn("dead letter: message on unexpected topic '{}' ({} bytes); no reply possible", m.topic.substr(0, 80),
                   m.payload.size());
      items.emplace_back(dead_letter(m, digests[i], DeadLetterReason::unroutable_topic,
                                     "not vehicles/{vin}/reports or receipts", now));
      origin.push_back(i);
      continue;
    }
    vins[i] = topic->vin;
    auto env = codec::decode(m.payload, options_.max_payload_bytes);
    if (!env && topic->kind == topics::Kind::receipts) {
      // Perhaps a driver's answer this backend cannot read: refused by its message id, if it has
      // one, so its car stops sending what no resend mends (malformed, oversize). Not one of a
      // newer schema version: updating the backend mends that, and the car's copy is the one kept.
      ++stats_.unroutable;
      spdlog::warn("dead letter: unreadable receipt or answer from {}: {}", topic->vin, env.error().what());
      items.emplace_back(dead_letter(m, digests[i], DeadLetterReason::bad_receipt, env.error().what(), now));
      origin.push_back(i);
      if (env.error().code != make_error_code(WireErrc::unsupported_version)) {
        refused_answers[i] = undecoded_message_id(m.payload);
      }
      continue;
    }
    if (!env && env.error().code == make_error_code(WireErrc::unsupported_version)) {
      // A report of a newer schema, from a car updated before this backend: kept, not refused.
      // A refusal would make the car delete its only copy; unanswered, it resends the report
      // until an updated backend reads it (the same payload again only counts up here).
      ++stats_.unroutable;
      spdlog::warn(
          "dead letter: report of a newer schema from {} ({} bytes): {}; kept by the car until the "
          "backend is updated",
          topic->vin, m.payload.size(), env.error().what());
      items.emplace_back(dead_letter(m, digests[i], DeadLetterReason::unsupported_version, env.error().detail, now));
      origin.push_back(i);
      continue;
    }
    if (!env) {
      reject(i, Rejection{env.error(), {}});
      continue;
    }
    envelopes[i] = std::move(*env);
    const auto& e = envelopes[i];

    if (topic->kind == topics::Kind::receipts) {
      if (e.body_case() == wire::Envelope::kReceipt) {
        if (!is_uuid(e.receipt().notification_id()) || !wire::ReceiptKind_IsValid(e.receipt().kind()) ||
            e.receipt().kind() == wire::RECEIPT_KIND_UNSPECIFIED) {
          ++stats_.unroutable;
          spdlog::warn("dead letter: bad receipt from {}", topic->vin);
          items.emplace_back(dead_letter(m, digests[i], DeadLetterReason::bad_receipt,
                                         "receipt: a notification id (UUID) and a known kind", now));
        } else {
          items.emplace_back(
              ReceiptIntake{e.receipt().notification_id(), topic->vin, e.receipt().kind(), now, m.topic, m.payload});
        }
        origin.push_back(i);
        continue;
      }
      auto reply = car_reply(e);
      if (auto* why = std::get_if<std::string>(&reply)) {
        ++stats_.unroutable;
        spdlog::warn("dead letter: bad answer {} from {}: {}", e.message_id(), topic->vin, *why);
        items.emplace_back(dead_letter(m, digests[i], DeadLetterReason::bad_receipt, *why, now));
        origin.push_back(i);
        if (is_answer(e.body_case())) refused_answers[i] = e.message_id();
        continue;
      }
      auto& intake = std::get<CarReplyIntake>(reply);
      intake.vin = topic->vin;
      intake.at_ms = now;
      intake.answered_ms = e.sent_at_ms();
      intake.topic = m.topic;
      intake.payload = m.payload;
      replies.push_back(std::move(intake));
      continue;
    }

    std::optional<Error> bad;
    if (e.body_case() != wire::Envelope::kReport) {
      bad = Error(WireErrc::wrong_message_type, "a reports topic carries Report envelopes only");
    } else if (auto v = codec::validate_report(e.report()); !v) {
      bad = v.error();
    } else if (e.report().vin() != topic->vin) {
      bad = Error(WireErrc::vin_mismatch, "report.vin " + e.report().vin() + ", topic VIN " + topic->vin);
    }
    if (bad) {
      reject(i, Rejection{*bad, e.body_case() == wire::Envelope::kReport ? e.report().report_id() : std::string()});
      continue;
    }
    ReportIntake intake;
    intake.report = &e.report();
    intake.payload = m.payload;
    intake.digest = digests[i];
    intake.topic = m.topic;
    intake.received_ms = now;
    triage(intake);
    intake.notification_in_ack = e.report().ack_carries_notification();
    // The number the driver typed for a callback (validate_report refused one without
    // consent.contact) is the report's contact: what a callback request without a number of
    // its own calls, personal data masked and erased like a caller's from another channel.
    if (!e.report().callback_phone().empty() && e.report().consent().contact()) {
      intake.contact = Contact{"", e.report().callback_phone()};
    }
    items.emplace_back(std::move(intake));
    origin.push_back(i);
  }

  // A batch of drivers' answers only needs no transaction of its own here.
  auto outcomes = items.empty() ? Result<std::vector<ItemOutcome>>{}
                                : store_.commit_batch(items, [this](const ReportIntake& in, const CaseRef& ref,
                                                                    std::string_view event) {
                                    return make_notification(in, ref, event);
                                  });
  if (!outcomes) {
    // Nothing of the batch is answered: its reports and drivers' answers come again from their
    // cars (an answer stays queued on its car until AnswerStored).
    stats_.retry_later += items.size() + replies.size();
    return fail(outcomes.error());
  }

  std::vector<Outgoing> out;
  out.reserve(items.size() * 2);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const auto i = origin[k];
    const auto& o = (*outcomes)[k];
    if (!refused_answers[i].empty()) {
      if (o.error) {
        ++stats_.retry_later;
      } else {
        const auto& dead = std::get<DeadLetterRecord>(items[k]);
        out.push_back(Outgoing{topics::inbox(vins[i]), answer_stored_payload(refused_answers[i], &dead.detail), {}});
      }
      continue;
    }
    if (rejections[i]) {
      if (o.error) {  // the dead letter itself failed to store: let the car retry
        ++stats_.retry_later;
        continue;
      }
      out.push_back(Outgoing{topics::inbox(vins[i]),
                             ack_payload(rejections[i]->report_id, digests[i], nullptr, &rejections[i]->error),
                             {}});
      continue;
    }
    if (const auto* intake = std::get_if<ReportIntake>(&items[k])) {
      const auto& report_id = intake->report->report_id();
      if (o.error && (o.error->code == make_error_code(WireErrc::report_id_conflict) ||
                      o.error->code == make_error_code(WireErrc::conflicting_duplicate))) {
        ++stats_.rejected;
        spdlog::warn("rejected report {} from {}: {}; dead letter #{}", report_id, vins[i], o.error->what(),
                     o.dead_letter_id);
        out.push_back(Outgoing{topics::inbox(vins[i]), ack_payload(report_id, digests[i], nullptr, &*o.error), {}});
      } else if (o.error) {
        ++stats_.retry_later;
        spdlog::error("report {} from {} not stored: {}; the car will send it again", report_id, vins[i],
                      o.error->what());
      } else if (o.accepted) {
        ++(o.accepted->duplicate ? stats_.duplicates : stats_.accepted);
        const auto* carried = o.notification && o.notification_in_ack ? &*o.notification : nullptr;
        if (carried) ++stats_.notifications_in_ack;
        out.push_back(
            Outgoing{topics::inbox(vins[i]), ack_payload(report_id, digests[i], &*o.accepted, nullptr, carried), {}});
        if (o.notification && !carried)
          out.push_back(Outgoing{topics::inbox(vins[i]), o.notification->payload, o.notification->id});
        if (o.workaround) out.push_back(Outgoing{topics::inbox(vins[i]), o.workaround->payload, o.workaround->id});
      }
    } else if (std::holds_alternative<ReceiptIntake>(items[k])) {
      ++stats_.receipts;
      if (!o.error && !o.receipt_matched) {
        spdlog::warn("dead letter #{}: receipt from {} for a notification it was not sent", o.dead_letter_id, vins[i]);
      }
    }
  }
  apply_replies(replies, out);
  return out;
}

void Ingest::apply_replies(const std::vector<CarReplyIntake>& replies, std::vector<Outgoing>& out) {
  if (replies.empty()) return;
  const Notifier notifier(rules_.templates, rules_.router);
  auto outcomes = store_.apply_car_replies(replies, [&](const CaseNotice& n) { return notifier.render(n); });
  if (!outcomes) {
    stats_.retry_later += replies.size();
    spdlog::error("{} drivers' answers not stored: {}; their cars send them again", replies.size(),
                  outcomes.error().what());
    return;
  }
  for (std::size_t k = 0; k < replies.size(); ++k) {
    auto& o = (*outcomes)[k];
    const auto& r = replies[k];
    const bool survey = std::holds_alternative<wire::SurveyAnswer>(r.body);
    if (o.error) {
      // Not stored, whatever the failure: a full disk passes, a notice that does not render is
      // mended by a rules reload, and until then the car's resend (at most max_backoff apart)
      // is the copy kept. Refusing would lose the driver's words on both sides.
      ++stats_.retry_later;
      spdlog::error("answer {} from {} not stored: {}; the car sends it again", r.message_id, r.vin, o.error->what());
      continue;
    }
    ++(survey ? stats_.surveys : stats_.car_replies);
    const std::string* refused = nullptr;
    std::string why;
    if (!o.receipt_matched) {
      spdlog::warn("dead letter #{}: answer {} from {} refused", o.dead_letter_id, r.message_id, r.vin);
      why = "nothing to answer: dead letter #" + std::to_string(o.dead_letter_id);
      refused = &why;
    } else {
      spdlog::info("{} {} from {} applied", survey ? "survey answer" : "answer", r.message_id, r.vin);
    }
    // The answer's own notices first: a car reading AnswerStored already has what it caused.
    for (auto& n : o.notices) out.push_back(Outgoing{topics::inbox(n.vin), std::move(n.payload), n.id});
    out.push_back(Outgoing{topics::inbox(r.vin), answer_stored_payload(r.message_id, refused), {}});
  }
}

Result<Ingest::ChannelOutcome> Ingest::accept_from_channel(const wire::Report& report, const std::string& channel,
                                                           std::optional<Contact> contact) {
  const auto now = clock_.epoch_ms();
  auto env = codec::new_envelope(now);
  *env.mutable_report() = report;
  env.mutable_report()->set_source(wire::SOURCE_OTHER_CHANNEL);
  if (auto v = codec::validate_report(env.report()); !v) return fail(v.error());
  if (channel.empty() || !is_vocabulary_key(channel)) {
    return fail(WireErrc::invalid_field, "channel '" + channel + "': a lowercase name such as hotline, dealer, web");
  }
  ReportIntake intake;
  intake.report = &env.report();
  intake.payload = codec::encode(env);
  intake.digest = codec::sha256(intake.payload);
  intake.topic = "channels/" + channel;
  intake.received_ms = now;
  intake.channel = channel;
  intake.contact = std::move(contact);
  triage(intake);
  const std::array<BatchItem, 1> items{std::move(intake)};
  auto outcomes = store_.commit_batch(items,
                                      [this](const ReportIntake& in, const CaseRef& ref, std::string_view event) {
                                        return make_notification(in, ref, event);
                                      });
  if (!outcomes) return fail(outcomes.error());
  auto& o = outcomes->front();
  if (o.error) return fail(*o.error);
  ++(o.accepted->duplicate ? stats_.duplicates : stats_.accepted);
  ChannelOutcome result{*o.accepted, {}};
  for (const auto* n : {o.notification ? &*o.notification : nullptr, o.workaround ? &*o.workaround : nullptr}) {
    if (n) result.out.push_back(Outgoing{topics::inbox(report.vin()), n->payload, n->id});
  }
  return result;
}

DeadLetterRecord Ingest::dead_letter(const RawMessage& m, const std::string& digest, DeadLetterReason reason,
                                     std::string detail, std::int64_t now) {
  // The digest covers the whole payload; the stored copy is capped so that one car sending
  // distinct large garbage cannot fill the disk as fast as it can publish.
  const auto kept = std::min(m.payload.size(), kMaxDeadLetterPayload);
  return DeadLetterRecord{digest, m.topic, reason, std::move(detail), m.payload.substr(0, kept), now};
}

Result<StoredNotification> Ingest::make_notification(const ReportIntake& in, const CaseRef& ref,
                                                     std::string_view event) const {
  const auto& r = *in.report;
  const std::string kind(event);
  const auto lang = rules_.templates.pick_language(kind, r.language());
  const auto team_name = rules_.router.team_name(ref.team, lang);
  std::map<std::string, std::string> vars{{"case_number", ref.case_number},
                                          {"team", team_name},
                                          {"hours", std::to_string(in.route.first_reply_hours)}};
  if (in.knowledge) {
    vars["answer"] = in.knowledge->answer;
    vars["workaround"] = in.knowledge->workaround;
  }
  auto text = rules_.templates.render(kind, r.language(), vars);
  if (!text) return fail(text.error());
  // A new or merged-into case the car first hears of is "received" (see lifecycle.hpp).
  NotificationHeader header;
  header.at_ms = in.received_ms;
  header.vin = r.vin();
  header.report_id = r.report_id();
  header.case_number = ref.case_number;
  header.status = wire::CASE_STATUS_RECEIVED;
  header.team_name = team_name;
  header.first_reply_due_ms = ref.first_reply_due_ms;
  header.milestone = milestone_of(kind, CaseState::new_);
  header.urgent = urgent_case(in.classification.priority, in.classification.type);
  return notification_envelope(header, *text);
}

std::string Ingest::ack_payload(const std::string& report_id, const std::string& digest, const CaseRef* accepted,
                                const Error* rejected, const StoredNotification* carried) const {
  auto env = codec::new_envelope(clock_.epoch_ms());
  auto* ack = env.mutable_ack();
  ack->set_report_id(report_id);
  ack->set_payload_sha256(digest);
  if (accepted) {
    ack->mutable_accepted()->set_case_id(accepted->case_id);
    ack->mutable_accepted()->set_case_number(accepted->case_number);
    ack->mutable_accepted()->set_duplicate(accepted->duplicate);
    // The stored bytes are what a separate message would have been: the car gets the same id,
    // time and text on every ack of this report.
    if (wire::Envelope n; carried && n.ParseFromString(carried->payload) && n.has_notification()) {
      *ack->mutable_accepted()->mutable_notification() = codec::carry(n);
    } else if (carried) {
      spdlog::error("notification {} for report {} unreadable in the store; ack sent without it", carried->id,
                    report_id);
    }
  } else if (rejected) {
    const bool wire_error = rejected->code.category() == wire_category();
    ack->mutable_rejected()->set_reason(wire_error ? static_cast<wire::RejectReason>(rejected->code.value())
                                                   : wire::REJECT_REASON_UNSPECIFIED);
    // Cut on a character boundary: a detail the car cannot decode would keep it resending.
    const auto& detail = rejected->detail.empty() ? rejected->code.message() : rejected->detail;
    ack->mutable_rejected()->set_detail(std::string(utf8_prefix(detail, 300)));
  }
  return codec::encode(env);
}

std::string Ingest::answer_stored_payload(const std::string& answer_id, const std::string* refused) const {
  auto env = codec::new_envelope(clock_.epoch_ms());
  auto* stored = env.mutable_answer_stored();
  stored->set_answer_id(answer_id);
  if (refused) {
    stored->set_refused(true);
    stored->set_detail(std::string(utf8_prefix(*refused, 300)));
  }
  return codec::encode(env);
}

}  // namespace fb::backend
