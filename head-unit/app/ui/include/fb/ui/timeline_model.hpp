// The timeline of the report selected in "My reports" as a Qt list model: one row per step
// (queued, sent, delivered, received, assigned, ... reopened), oldest first, with its time, the
// service team's words (messages, known-issue answers) and the driver's own actions
// (fb/agent/timeline.hpp). The agent keeps the steps; FeedbackController loads them.
//
// Threads: a plain QObject of the Qt (GUI) thread; every method must be called there.
#pragma once

#include <QAbstractListModel>
#include <QString>
#include <vector>

#include "fb/agent/timeline.hpp"

namespace fb::ui {

// Not final: the QML module's type registration (app/qml/registrations.hpp) derives from it.
class TimelineModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
  /// The report whose steps are shown; "" none.
  Q_PROPERTY(QString reportId READ reportId NOTIFY reportIdChanged)

 public:
  enum Role {
    KindRole = Qt::UserRole + 1,  // TimelineKind vocabulary key, e.g. "workaround", "driver_reply"
    AtMsRole,                     // Unix epoch ms
    TitleRole,                    // a notification's title; "" for the car's own steps
    TextRole,                     // the team's words, or the driver's
    DetailRole,                   // a score, a visit answer ("pick_slot") or a refusal's reason key
    MineRole,                     // the driver's own action
  };
  Q_ENUM(Role)

  explicit TimelineModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  QString reportId() const { return report_id_; }
  /// Shows `events` (already in order) of `reportId` (a model reset).
  void reset(const QString& reportId, const std::vector<agent::TimelineEvent>& events);
  /// One role of one row by name ("kind", "text" ...), for tests and tools.
  Q_INVOKABLE QVariant value(int row, const QString& roleName) const;

 Q_SIGNALS:
  void countChanged();
  void reportIdChanged();

 private:
  QString report_id_;
  std::vector<agent::TimelineEvent> events_;
};

}  // namespace fb::ui
