#include "fb/ui/reports_model.hpp"

#include "fb/ui/categories.hpp"

namespace fb::ui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

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
    case CreatedMsRole: return r.created_ms;
    case UpdatedMsRole: return r.updated_ms;
    case FirstReplyDueMsRole: return r.first_reply_due_ms;
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
      {CreatedMsRole, "createdMs"},
      {UpdatedMsRole, "updatedMs"},
      {FirstReplyDueMsRole, "firstReplyDueMs"},
  };
}

ReportsModel::Row ReportsModel::toRow(const agent::ReportView& v) {
  return Row{
      .report_id = q(v.report_id),
      .category = QString::fromUtf8(category_key(v.category)),
      .text = q(v.text),
      .language = q(v.language),
      .status = v.status,
      .case_number = q(v.case_number),
      .team = q(v.team),
      .last_title = q(v.last_title),
      .last_text = q(v.last_text),
      .reject_reason = q(v.reject_reason),
      .created_ms = v.created_ms,
      .updated_ms = v.updated_ms,
      .first_reply_due_ms = v.first_reply_due_ms,
  };
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
