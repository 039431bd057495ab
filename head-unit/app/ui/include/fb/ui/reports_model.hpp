// "My reports" as a Qt list model: one row per report, newest first, with its latest status, its
// service visit, its live callback and its survey request (docs/visits.md).
//
// Threads: a plain QObject of the Qt (GUI) thread; every method must be called there.
// FeedbackController feeds it (it marshals the agent's events to the Qt thread first).
#pragma once

#include <QAbstractListModel>
#include <QString>
#include <QVariantList>
#include <QVariantMap>
#include <vector>

#include "fb/agent/car_store.hpp"

namespace fb::ui {

// Not final: the QML module's type registration (app/qml/registrations.hpp) derives from it.
class ReportsModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

 public:
  enum Role {
    ReportIdRole = Qt::UserRole + 1,
    CategoryRole,  // category vocabulary key, e.g. "driving_feel" (fb/common/vocabulary.hpp)
    TextRole,
    LanguageRole,
    StatusRole,      // ReportStatus vocabulary key, e.g. "in_progress" (fb/common/vocabulary.hpp)
    CaseNumberRole,  // "FB-2026-000123", empty until acknowledged
    TeamRole,
    LastTitleRole,  // of the latest notification
    LastTextRole,
    RejectReasonRole,
    DropReasonRole,  // why it left the car unsent (a DropReason key: "expired", ...); "" while not dropped
    CreatedMsRole,   // Unix epoch ms on the car's clock
    UpdatedMsRole,
    FirstReplyDueMsRole,
    // The report's visit ("" / empty when it has none). Keys: visitStageKey(), pendingKey().
    VisitIdRole,
    VisitStageRole,  // "proposed", "booked", "checked_in", ... "handed_over", "declined", ...
    // list of {slotId, dealerCode, dealerName, startMs, endMs, startText, work}; startText is
    // "2026-12-05 09:30" on the service region's clock, as the visit's notification text says it
    // (the car's own zone for an update from a backend that does not name the region's clock)
    VisitSlotsRole,
    VisitBookedRole,        // {slotId, ...} or an empty map
    VisitReadyAtMsRole,     // 0 when unknown
    VisitReadyAtTextRole,   // the same on the clock of startText; "" when unknown
    VisitEstimateRole,      // {minor, currency} or an empty map
    VisitExtraCostRole,     // {approvalId, minor, currency, reason} or an empty map
    VisitApprovalOpenRole,  // the extra cost waits for the driver's answer
    VisitReminderRole,
    VisitQualityFailedRole,
    VisitPendingRole,  // the driver's answer on its way: "pick_slot", "decline", ...; "" none
    VisitPendingSlotRole,
    // The report's live callback: "" none, "asked", "queued", "picked_up", "logged", "cancelled".
    CallbackStateRole,
    CallbackAgentRole,
    CallbackOutcomeRole,
    CallbackOpenRole,     // a callback is asked or under way: "Call me" is not offered again
    SurveyRequestIdRole,  // the survey request (handover or closed case) to answer; "" none
    SurveyAnsweredRole,
    // What the driver may do now (fb::agent::actions_of): the UI offers only these.
    CanReplyRole,
    CanReopenRole,
    CanRateRole,
    CanAnswerVisitRole,
    ReopenPendingRole,  // a reopen request is on its way
  };
  Q_ENUM(Role)

  explicit ReportsModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  /// Replaces every row (a model reset), e.g. with My reports from AgentApi::reports() at start.
  void resetReports(const std::vector<agent::ReportView>& reports);
  /// A new report goes on top (rowsInserted); a known one is updated in place (dataChanged).
  void applyReport(const agent::ReportView& report);
  /// The broker has the report: "queued" becomes "sent" (after a restart too: a queued report
  /// whose timeline has the broker's PUBACK, ReportView::delivered); later statuses are kept.
  void markSent(const QString& reportId);

  /// The keys QML uses for a visit's stage, a pending answer and a callback's state.
  static QString visitStageKey(wire::VisitStage stage);
  static QString pendingKey(wire::VisitReply::Action action);
  static QString callbackStateKey(wire::CallbackState state);

  /// -1 when unknown.
  int rowOf(const QString& reportId) const;
  /// One role of one row by name ("status", "caseNumber" ...), for tests and tools.
  Q_INVOKABLE QVariant value(int row, const QString& roleName) const;

 Q_SIGNALS:
  void countChanged();

 private:
  struct Row {
    QString report_id;
    QString category;
    QString text;
    QString language;
    ReportStatus status = ReportStatus::queued;
    QString case_number;
    QString team;
    QString last_title;
    QString last_text;
    QString reject_reason;
    QString drop_reason;
    qint64 created_ms = 0;
    qint64 updated_ms = 0;
    qint64 first_reply_due_ms = 0;
    QString visit_id;
    QString visit_stage;
    QVariantList visit_slots;
    QVariantMap visit_booked;
    qint64 visit_ready_at_ms = 0;
    QString visit_ready_at_text;
    QVariantMap visit_estimate;
    QVariantMap visit_extra_cost;
    bool visit_approval_open = false;
    bool visit_reminder = false;
    bool visit_quality_failed = false;
    QString visit_pending;
    QString visit_pending_slot;
    QString callback_state;
    QString callback_agent;
    QString callback_outcome;
    bool callback_open = false;
    QString survey_request_id;
    bool survey_answered = false;
    agent::ReportActions actions;
    bool reopen_pending = false;
  };
  static Row toRow(const agent::ReportView& report);

  std::vector<Row> rows_;
};

}  // namespace fb::ui
