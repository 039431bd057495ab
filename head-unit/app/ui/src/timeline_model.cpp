#include "fb/ui/timeline_model.hpp"

namespace fb::ui {

TimelineModel::TimelineModel(QObject* parent) : QAbstractListModel(parent) {}

int TimelineModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(events_.size());
}

QVariant TimelineModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const auto& e = events_[static_cast<std::size_t>(index.row())];
  const auto q = [](const std::string& s) { return QString::fromStdString(s); };
  switch (role) {
    case KindRole: return QString::fromUtf8(to_string(e.kind));
    case AtMsRole: return QVariant::fromValue<qint64>(e.at_ms);
    case TitleRole: return q(e.title);
    case TextRole: return q(e.text);
    case DetailRole: return q(e.detail);
    case MineRole: return e.mine();
    default: return {};
  }
}

QHash<int, QByteArray> TimelineModel::roleNames() const {
  return {{KindRole, "kind"}, {AtMsRole, "atMs"},     {TitleRole, "title"},
          {TextRole, "text"}, {DetailRole, "detail"}, {MineRole, "mine"}};
}

void TimelineModel::reset(const QString& reportId, const std::vector<agent::TimelineEvent>& events) {
  const bool count_changed = events.size() != events_.size();
  beginResetModel();
  events_ = events;
  endResetModel();
  if (reportId != report_id_) {
    report_id_ = reportId;
    Q_EMIT reportIdChanged();
  }
  if (count_changed) Q_EMIT countChanged();
}

QVariant TimelineModel::value(int row, const QString& roleName) const {
  const auto roles = roleNames();
  for (auto it = roles.begin(); it != roles.end(); ++it) {
    if (it.value() == roleName.toUtf8()) return data(index(row), it.key());
  }
  return {};
}

}  // namespace fb::ui
