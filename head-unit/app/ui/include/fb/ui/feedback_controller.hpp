// FeedbackController: the dashboard's state and actions on top of the head-unit agent (the
// view-model of the QML views). The views read its properties and call its invokables; it owns
// "My reports" (ReportsModel). No QML in here: main registers it with the QML engine. It talks
// to the agent through AgentApi only, so it is tested with any agent.
//
// Threads:
//  - "Qt" (the GUI thread that made it): the controller and its model live there; every
//    property, invokable and signal is used there only.
//  - the agent's executor: the agent calls the controller's private AgentListener
//    (AgentEvents) and every AgentApi completion there. Each is copied and posted to the
//    controller with QMetaObject::invokeMethod(controller, ..., Qt::QueuedConnection), so all
//    state changes happen on the Qt thread, in the order the agent produced them.
//
// Lifetime: the composition root starts the agent after making the controller, and stops it
// (and lets its executor run dry) before destroying the controller.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>

#include "fb/agent/report_builder.hpp"
#include "fb/ui/banner_queue.hpp"
#include "fb/ui/reports_model.hpp"
#include "fb/ui/timeline_model.hpp"

namespace fb::agent {
class AgentApi;
}

namespace fb::ui {

class FeedbackController final : public QObject {
  Q_OBJECT
  /// The broker link is up; false: reports stay queued on the car.
  Q_PROPERTY(bool connected READ connected NOTIFY connectedChanged)
  /// Why the link could not start at all, as an error key (fb/ui/error_keys.hpp, e.g.
  /// "mqtt.tls_setup"; the detail is logged); "" if it did. Reports are still saved and stay queued.
  Q_PROPERTY(QString linkError READ linkError NOTIFY linkErrorChanged)
  /// Driver-distraction rule: while moving, only quick taps (no text) are accepted. Moving when
  /// the vehicle's signals say so (setMovingFromSignals, DriveLockout) or the demo override
  /// (setVehicleMoving, --moving) is on.
  Q_PROPERTY(bool vehicleMoving READ vehicleMoving WRITE setVehicleMoving NOTIFY vehicleMovingChanged)
  /// Every category key in display order ("noise", "driving_feel", ..., "other").
  Q_PROPERTY(QStringList categories READ categories CONSTANT)
  /// The keys the driver may pick now: while moving, only quick taps ("other" needs a text).
  Q_PROPERTY(QStringList availableCategories READ availableCategories NOTIFY vehicleMovingChanged)
  /// A submitted report is being committed.
  Q_PROPERTY(bool saving READ saving NOTIFY savingChanged)
  /// Why the free composer's last submit() was refused, as an error key ("storage.full",
  /// "ui.typing_while_moving": fb/ui/error_keys.hpp); "" after its next saved one. Only the
  /// composer's own: the other actions' refusals are actionError's.
  Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
  /// Why the driver's last action away from the free composer (a quick report sent from its
  /// review, a visit answer, survey, "Call me", reply, reopen, rating) was refused, at once or by
  /// the agent, as an error key; "" once that action goes through or clearActionError() is called. The
  /// composer shows lastError; these actions live on cards and a review that has closed, so the
  /// dashboard's problems line shows this one.
  Q_PROPERTY(QString actionError READ actionError NOTIFY actionErrorChanged)
  /// The latest storage trouble the agent reported, as an error key ("storage.corrupt",
  /// "storage.full"); "" if none.
  Q_PROPERTY(QString storageProblem READ storageProblem NOTIFY storageProblemChanged)
  /// The language reports are tagged with: "zh" or "en" (the UI's is UiTranslator's, which the
  /// composition root keeps in step with this one).
  Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY languageChanged)
  Q_PROPERTY(QString vin READ vin CONSTANT)
  /// The car is parked (standing, in P or with the parking brake): "Call me" is offered only then.
  /// The composition root keeps it and the agent's own parked check in step.
  Q_PROPERTY(bool parked READ parked WRITE setParked NOTIFY parkedChanged)
  /// A visit's repair-order stages in order, for its timeline ("checked_in" ... "handed_over").
  Q_PROPERTY(QStringList visitStages READ visitStages CONSTANT)
  Q_PROPERTY(fb::ui::ReportsModel* reports READ reports CONSTANT)
  /// The timeline of the selected report (selectReport), kept up to date as it changes.
  Q_PROPERTY(fb::ui::TimelineModel* timeline READ timeline CONSTANT)
  /// The notification banner showing and those waiting (non-urgent ones wait while moving).
  Q_PROPERTY(fb::ui::BannerQueue* banners READ banners CONSTANT)
  /// The report whose details (timeline, actions) are open; "" none.
  Q_PROPERTY(QString selectedReport READ selectedReport NOTIFY selectedReportChanged)

 public:
  /// Registers itself as the agent's listener: make it before the agent starts.
  explicit FeedbackController(agent::AgentApi& agent, QObject* parent = nullptr);
  ~FeedbackController() override;

  /// Asks the agent for My reports; `reports` is reset when they arrive (reportsLoaded).
  void load();

  bool connected() const { return connected_; }
  QString linkError() const { return link_error_; }
  bool vehicleMoving() const { return vehicle_moving_ || signals_moving_; }
  /// The demo override: true keeps the car "moving" whatever its signals say.
  void setVehicleMoving(bool moving);
  /// What the vehicle's signals say (DriveLockout::locked()), from the composition root.
  void setMovingFromSignals(bool moving);
  QStringList categories() const;
  QStringList availableCategories() const;
  bool saving() const { return pending_saves_ > 0; }
  QString lastError() const { return last_error_; }
  QString actionError() const { return action_error_; }
  QString storageProblem() const { return storage_problem_; }
  QString language() const { return language_; }
  /// Anything starting with "zh" selects Chinese, everything else English.
  void setLanguage(const QString& language);
  QString vin() const { return vin_; }
  ReportsModel* reports() { return &reports_; }
  bool parked() const { return parked_; }
  void setParked(bool parked);
  QStringList visitStages() const;
  TimelineModel* timeline() { return &timeline_; }
  BannerQueue* banners() { return &banners_; }
  QString selectedReport() const { return selected_report_; }

  /// Saves a report of the driver (categoryKey from `categories`, text may be empty except for
  /// "other"). Returns false when refused at once (unknown category, text while moving; lastError
  /// says why); otherwise reportSaved or reportNotSaved follows once the agent has committed it.
  Q_INVOKABLE bool submit(const QString& categoryKey, const QString& text);
  /// Saves a report built by another view-model (QuickComposer), with the same rules as
  /// submit() (false when it has text while moving). `after`, if given, runs on this thread with
  /// the outcome. A refusal sets actionError, not lastError, and neither reportSaved nor
  /// reportNotSaved is emitted: those are the composer's, which must not take another view's
  /// report for its own (and clear what the driver typed there).
  bool submitDraft(agent::Draft draft, std::function<void(bool saved)> after = {});
  /// The category needs a text with it ("other"); false for quick taps and unknown keys.
  Q_INVOKABLE bool needsText(const QString& categoryKey) const;
  /// The driver has seen a notification: queues a read receipt.
  Q_INVOKABLE void markRead(const QString& messageId);
  Q_INVOKABLE void clearError();
  /// The driver dismissed the refusal on the problems line.
  Q_INVOKABLE void clearActionError();

  // The driver's answers to a visit update (docs/visits.md). Each goes to the agent, which checks
  // it against the visit's latest update and queues it; answerDone follows (on a refusal,
  // actionError says why). The report's row then shows it pending (visitPending).
  Q_INVOKABLE void pickSlot(const QString& visitId, const QString& slotId);
  Q_INVOKABLE void declineVisit(const QString& visitId, const QString& reason);
  /// "Other times": asks for new slots.
  Q_INVOKABLE void askOtherTimes(const QString& visitId, const QString& reason);
  Q_INVOKABLE void cancelVisit(const QString& visitId, const QString& reason);
  Q_INVOKABLE void approveExtra(const QString& visitId, const QString& approvalId);
  Q_INVOKABLE void refuseExtra(const QString& visitId, const QString& approvalId, const QString& reason);
  /// Answers a survey request (1..5 and a comment). False when refused at once (score outside
  /// 1..5); otherwise answerDone follows.
  Q_INVOKABLE bool answerSurvey(const QString& notificationId, int score, const QString& comment);
  /// "Call me" about a report. False when refused at once (not parked: actionError says so);
  /// otherwise answerDone follows and the row's callbackState moves on.
  Q_INVOKABLE bool requestCallback(const QString& reportId, const QString& phone);

  // "My reports" details (issue 10): the timeline and the driver's actions on the case. Which
  // actions a report allows now is in its ReportsModel roles (canReply, canReopen, canRate,
  // canAnswerVisit); the agent checks them again. Each queues durably; answerDone follows with
  // kind "reply", "reopen" or "rating" and the report id.
  /// Opens a report's details: `timeline` loads its steps. "" closes them.
  Q_INVOKABLE void selectReport(const QString& reportId);
  /// A reply to the case (1..1000 characters). False when refused at once: empty, or typing
  /// while moving (actionError says why).
  Q_INVOKABLE bool reply(const QString& reportId, const QString& text);
  /// "Not fixed": reopen a resolved or closed case; the reason is optional (none while moving).
  Q_INVOKABLE bool reopen(const QString& reportId, const QString& reason);
  /// Rates the outcome 1..5 with an optional comment (none while moving). False when refused
  /// at once (score outside 1..5, a comment while moving).
  Q_INVOKABLE bool rate(const QString& reportId, int score, const QString& comment);

 Q_SIGNALS:
  void connectedChanged();
  void linkErrorChanged();
  void vehicleMovingChanged();
  void savingChanged();
  void lastErrorChanged();
  void actionErrorChanged();
  void storageProblemChanged();
  void languageChanged();
  void parkedChanged();
  void selectedReportChanged();
  /// An answer (kind "visit", "survey" or "callback"; id: the visit, notification or report
  /// answered) was queued (ok) or refused (error: its error key, as actionError).
  void answerDone(const QString& kind, const QString& id, bool ok, const QString& error);
  /// The report is durable on the car (it shows in `reports` as "queued").
  void reportSaved(const QString& reportId);
  /// error: its error key, as lastError.
  void reportNotSaved(const QString& error);
  /// My reports were loaded (load()).
  void reportsLoaded();
  /// A new notification from the service side (duplicates are not signalled), for the banner.
  void notificationArrived(const QString& messageId, const QString& reportId, const QString& caseNumber,
                           const QString& title, const QString& text);

 private:
  class AgentEvents;

  /// submit() and submitDraft(): `fromComposer` outcomes show in the composer (lastError,
  /// reportSaved, reportNotSaved) only; the others' refusals in actionError, as the review that
  /// sent them has closed.
  bool submitReport(agent::Draft draft, std::function<void(bool saved)> after, bool fromComposer);
  void finishSubmit(bool saved, const QString& reportIdOrError, bool fromComposer);
  void setLastError(const QString& error);
  void setActionError(const QString& error);
  /// An action away from the composer (kind as answerDone's: "report", "survey", "visit", ...;
  /// id what it answers) refused at once: actionError says why. Returns false.
  bool refuseAction(const QString& kind, const QString& id, const QString& error);
  /// Such an action's outcome: a refusal (error) shows until dismissed, replaced by another, or
  /// that same action goes through; another action's success leaves it.
  void actionDone(const QString& kind, const QString& id, const QString& error);
  void setStorageProblem(const QString& problem);
  void setConnected(bool connected);

  void setLinkError(const QString& error);
  /// Reloads the timeline if `reportId` is the selected report.
  void refreshTimeline(const QString& reportId);
  /// Text typed while moving: refuses the action (refuseAction, error_key::kTypingWhileMoving)
  /// and returns true; false when it may go on.
  bool refusedTypingWhileMoving(const QString& text, const QString& kind, const QString& id);
  void answerVisit(const QString& visitId, int action, const QString& slotId, const QString& approvalId,
                   const QString& reason);
  /// Completion of an agent call, marshalled to the Qt thread.
  template <typename T>
  auto completion(QString kind, QString id);

  agent::AgentApi& agent_;
  std::unique_ptr<AgentEvents> events_;
  ReportsModel reports_;
  TimelineModel timeline_;
  BannerQueue banners_;
  QString selected_report_;
  bool connected_ = false;
  QString link_error_;
  bool vehicle_moving_ = false;
  bool signals_moving_ = false;
  int pending_saves_ = 0;
  QString last_error_;
  QString action_error_;
  QString action_source_;  // "<kind>/<id>" of the refusal actionError shows
  QString storage_problem_;
  QString language_ = QStringLiteral("en");
  QString vin_;
  bool parked_ = true;
};

}  // namespace fb::ui
