#include "fb/ui/reports_model.hpp"

#include <QDateTime>

#include "fb/common/utc_offset.hpp"
#include "fb/ui/categories.hpp"

namespace fb::ui {

namespace {

/// A visit's time as the driver reads it: on the service region's clock that the visit's
/// notification text uses, when the update names it; else on the car's own zone (a backend
/// before utc_offset_minutes). "" for 0 (unknown).
QString visit_time_text(std::int64_t ms, const wire::VisitUpdate& u) {
  if (ms <= 0) return {};
  if (u.has_utc_offset_minutes()) {
    return QString::fromStdString(wall_clock_text(ms, std::int64_t{u.utc_offset_minutes()} * 60'000));
  }
  return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd hh:mm"));
}

QVariantMap slot_map(const wire::VisitSlot& s, const wire::VisitUpdate& u) {
  return {
      {QStringLiteral("slotId"), QString::fromStdString(s.slot_id())},
      {QStringLiteral("dealerCode"), QString::fromStdString(s.dealer_code())},
      {QStringLiteral("dealerName"), QString::fromStdString(s.dealer_name())},
      {QStringLiteral("startMs"), qint64{s.start_ms()}},
      {QStringLiteral("endMs"), qint64{s.end_ms()}},
      {QStringLiteral("startText"), visit_time_text(s.start_ms(), u)},
      {QStringLiteral("work"), QString::fromStdString(s.work())},
  };
}

QVariantMap money_map(const wire::Money& m) {
  return {{QStringLiteral("minor"), qint64{m.minor()}},
          {QStringLiteral("currency"), QString::fromStdString(m.currency())}};
}

// "VISIT_QUALITY_CHECK" -> "quality_check"
QString enum_key(const std::string& name, std::string_view prefix) {
  auto key = QString::fromStdString(name.starts_with(prefix) ? name.substr(prefix.size()) : name).toLower();
  return key;
}

}  // namespace

QString ReportsModel::visitStageKey(wire::VisitStage stage) { return enum_key(wire::VisitStage_Name(stage), "VISIT_"); }

QString ReportsModel::pendingKey(wire::VisitReply::Action action) {
  return enum_key(wire::VisitReply::Action_Name(action), "");
}

QString ReportsModel::callbackStateKey(wire::CallbackState state) {
  if (state == wire::CALLBACK_STATE_UNSPECIFIED) return QStringLiteral("asked");
  return enum_key(wire::CallbackState_Name(state), "CALLBACK_");
}

ReportsModel::ReportsModel(QObject* parent) : QAbstractListModel(parent) {}

int ReportsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant ReportsModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
  const Row& r = rows_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case Qt::DisplayRole:
    case TextRole: return r.text;
    case ReportIdRole: return r.report_id;
    case CategoryRole: return r.category;
    case LanguageRole: return r.language;
    case StatusRole: return QString::fromLatin1(to_string(r.status));
    case CaseNumberRole: return r.case_number;
    case TeamRole: return r.team;
    case LastTitleRole: return r.last_title;
    case LastTextRole: return r.last_text;
    case RejectReasonRole: return r.reject_reason;
    case DropReasonRole: return r.drop_reason;
    case CreatedMsRole: return r.created_ms;
    case UpdatedMsRole: return r.updated_ms;
    case FirstReplyDueMsRole: return r.first_reply_due_ms;
    case VisitIdRole: return r.visit_id;
    case VisitStageRole: return r.visit_stage;
    case VisitSlotsRole: return r.visit_slots;
    case VisitBookedRole: return r.visit_booked;
    case VisitReadyAtMsRole: return r.visit_ready_at_ms;
    case VisitReadyAtTextRole: return r.visit_ready_at_text;
    case VisitEstimateRole: return r.visit_estimate;
    case VisitExtraCostRole: return r.visit_extra_cost;
    case VisitApprovalOpenRole: return r.visit_approval_open;
    case VisitReminderRole: return r.visit_reminder;
    case VisitQualityFailedRole: return r.visit_quality_failed;
    case VisitPendingRole: return r.visit_pending;
    case VisitPendingSlotRole: return r.visit_pending_slot;
    case CallbackStateRole: return r.callback_state;
    case CallbackAgentRole: return r.callback_agent;
    case CallbackOutcomeRole: return r.callback_outcome;
    case CallbackOpenRole: return r.callback_open;
    case SurveyRequestIdRole: return r.survey_request_id;
    case SurveyAnsweredRole: return r.survey_answered;
    case CanReplyRole: return r.actions.reply;
    case CanReopenRole: return r.actions.reopen;
    case CanRateRole: return r.actions.rate;
    case CanAnswerVisitRole: return r.actions.answer_visit;
    case ReopenPendingRole: return r.reopen_pending;
    default: return {};
  }
}

QHash<int, QByteArray> ReportsModel::roleNames() const {
  return {
      {ReportIdRole, "reportId"},
      {CategoryRole, "category"},
      {TextRole, "text"},
      {LanguageRole, "language"},
      {StatusRole, "status"},
      {CaseNumberRole, "caseNumber"},
      {TeamRole, "team"},
      {LastTitleRole, "lastTitle"},
      {LastTextRole, "lastText"},
      {RejectReasonRole, "rejectReason"},
      {DropReasonRole, "dropReason"},
      {CreatedMsRole, "createdMs"},
      {UpdatedMsRole, "updatedMs"},
      {FirstReplyDueMsRole, "firstReplyDueMs"},
      {VisitIdRole, "visitId"},
      {VisitStageRole, "visitStage"},
      {VisitSlotsRole, "visitSlots"},
      {VisitBookedRole, "visitBooked"},
      {VisitReadyAtMsRole, "visitReadyAtMs"},
      {VisitReadyAtTextRole, "visitReadyAtText"},
      {VisitEstimateRole, "visitEstimate"},
      {VisitExtraCostRole, "visitExtraCost"},
      {VisitApprovalOpenRole, "visitApprovalOpen"},
      {VisitReminderRole, "visitReminder"},
      {VisitQualityFailedRole, "visitQualityFailed"},
      {VisitPendingRole, "visitPending"},
      {VisitPendingSlotRole, "visitPendingSlot"},
      {CallbackStateRole, "callbackState"},
      {CallbackAgentRole, "callbackAgent"},
      {CallbackOutcomeRole, "callbackOutcome"},
      {CallbackOpenRole, "callbackOpen"},
      {SurveyRequestIdRole, "surveyRequestId"},
      {SurveyAnsweredRole, "surveyAnswered"},
      {CanReplyRole, "canReply"},
      {CanReopenRole, "canReopen"},
      {CanRateRole, "canRate"},
      {CanAnswerVisitRole, "canAnswerVisit"},
      {ReopenPendingRole, "reopenPending"},
  };
}

ReportsModel::Row ReportsModel::toRow(const agent::ReportView& v) {
  Row row{
      .report_id = QString::fromStdString(v.report_id),
      .category = QString::fromUtf8(category_key(v.category)),
      .text = QString::fromStdString(v.text),
      .language = QString::fromStdString(v.language),
      .status = v.status == ReportStatus::queued && v.delivered ? ReportStatus::sent : v.status,
      .case_number = QString::fromStdString(v.case_number),
      .team = QString::fromStdString(v.team),
      .last_title = QString::fromStdString(v.last_title),
      .last_text = QString::fromStdString(v.last_text),
      .reject_reason = QString::fromStdString(v.reject_reason),
      .drop_reason = v.drop_reason ? QString::fromLatin1(to_string(*v.drop_reason)) : QString(),
      .created_ms = v.created_ms,
      .updated_ms = v.updated_ms,
      .first_reply_due_ms = v.first_reply_due_ms,
  };
  if (v.visit) {
    const auto& u = v.visit->latest;
    row.visit_id = QString::fromStdString(u.visit_id());
    row.visit_stage = visitStageKey(u.stage());
    for (const auto& s : u.slots()) row.visit_slots.push_back(slot_map(s, u));
    if (u.has_booked() && !u.booked().slot_id().empty()) row.visit_booked = slot_map(u.booked(), u);
    row.visit_ready_at_ms = u.ready_at_ms();
    row.visit_ready_at_text = visit_time_text(u.ready_at_ms(), u);
    if (u.has_estimate()) row.visit_estimate = money_map(u.estimate());
    if (u.has_extra_cost() && !u.extra_cost().approval_id().empty()) {
      row.visit_extra_cost = money_map(u.extra_cost().amount());
      row.visit_extra_cost.insert(QStringLiteral("approvalId"), QString::fromStdString(u.extra_cost().approval_id()));
      row.visit_extra_cost.insert(QStringLiteral("reason"), QString::fromStdString(u.extra_cost().reason()));
    }
    row.visit_approval_open = v.visit->approval_open;
    row.visit_reminder = u.reminder();
    row.visit_quality_failed = u.quality_failed();
    if (v.visit->pending) {
      row.visit_pending = pendingKey(v.visit->pending->answer.action);
      row.visit_pending_slot = QString::fromStdString(v.visit->pending->answer.slot_id);
    }
  }
  if (v.callback) {
    row.callback_state = callbackStateKey(v.callback->state);
    row.callback_agent = QString::fromStdString(v.callback->agent);
    row.callback_outcome = QString::fromStdString(v.callback->outcome);
    row.callback_open = v.callback->open();
  }
  row.survey_request_id = QString::fromStdString(v.survey_request_id);
  row.survey_answered = v.survey_answered;
  row.actions = agent::actions_of(v);
  row.reopen_pending = v.reopen_pending;
  return row;
}

void ReportsModel::resetReports(const std::vector<agent::ReportView>& reports) {
  beginResetModel();
  rows_.clear();
  rows_.reserve(reports.size());
  for (const auto& r : reports) rows_.push_back(toRow(r));
  endResetModel();
  Q_EMIT countChanged();
}

void ReportsModel::applyReport(const agent::ReportView& report) {
  Row row = toRow(report);
  const int at = rowOf(row.report_id);
  if (at < 0) {
    beginInsertRows({}, 0, 0);
    rows_.insert(rows_.begin(), std::move(row));
    endInsertRows();
    Q_EMIT countChanged();
    return;
  }
  Row& current = rows_[static_cast<std::size_t>(at)];
  if (current.status == ReportStatus::sent && row.status == ReportStatus::queued) row.status = current.status;
  current = std::move(row);
  const QModelIndex index = this->index(at);
  Q_EMIT dataChanged(index, index);
}

void ReportsModel::markSent(const QString& reportId) {
  const int at = rowOf(reportId);
  if (at < 0) return;
  Row& row = rows_[static_cast<std::size_t>(at)];
  if (row.status != ReportStatus::queued) return;
  row.status = ReportStatus::sent;
  const QModelIndex index = this->index(at);
  Q_EMIT dataChanged(index, index, {StatusRole});
}

int ReportsModel::rowOf(const QString& reportId) const {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].report_id == reportId) return static_cast<int>(i);
  }
  return -1;
}

QVariant ReportsModel::value(int row, const QString& roleName) const {
  const auto roles = roleNames();
  const int role = roles.key(roleName.toUtf8(), -1);
  if (role < 0) return {};
  return data(index(row), role);
}

}  // namespace fb::ui
