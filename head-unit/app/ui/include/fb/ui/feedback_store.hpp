// FeedbackStore: the dashboard's state and actions on top of the head-unit agent. The QML
// views read its properties and call its invokables; it owns "My reports" (ReportsModel).
// No QML in here: main registers it with the QML engine.
//
// Threads:
//  - "Qt" (the GUI thread that made the store): the store and its model live there; every
//    property, invokable and signal is used there only.
//  - "agent" (agent.hpp): the agent calls the store's private AgentListener (AgentEvents)
//    there. It copies each event and posts it to the store with
//    QMetaObject::invokeMethod(store, ..., Qt::QueuedConnection), so all state changes happen on
//    the Qt thread, in the order the agent produced them. Agent::submit's completion is posted
//    the same way.
//  - A link that cannot start (no TLS files, bad broker URI) leaves the agent thread running
//    offline. Only when the agent did not start at all (its queue file unreadable) does the
//    store save with Agent::submit_sync (one SQLite commit on the Qt thread).
//
// Lifetime: the agent must outlive the store. The store's destructor stops the agent, so no
// callback can reach a destroyed store.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>

#include "fb/ui/reports_model.hpp"

namespace fb::agent {
class Agent;
}

namespace fb::ui {

class FeedbackStore final : public QObject {
  Q_OBJECT
  /// The broker link is up; false: reports stay queued on the car.
  Q_PROPERTY(bool connected READ connected NOTIFY connectedChanged)
  /// Why the link could not start at all (e.g. "mqtt: ...: cannot read '.../ca.crt'"); "" if it did.
  Q_PROPERTY(QString linkError READ linkError NOTIFY linkErrorChanged)
  /// Driver-distraction rule: while moving, only quick taps (no text) are accepted.
  Q_PROPERTY(bool vehicleMoving READ vehicleMoving WRITE setVehicleMoving NOTIFY vehicleMovingChanged)
  /// Every category key in display order ("noise", "driving_feel", ..., "other").
  Q_PROPERTY(QStringList categories READ categories CONSTANT)
  /// The keys the driver may pick now: while moving, only quick taps ("other" needs a text).
  Q_PROPERTY(QStringList availableCategories READ availableCategories NOTIFY vehicleMovingChanged)
  /// A submitted report is being committed.
  Q_PROPERTY(bool saving READ saving NOTIFY savingChanged)
  /// Why the last submit was not saved (the agent's one-line error); "" after a saved one.
  Q_PROPERTY(QString lastError READ lastError NOTIFY lastErrorChanged)
  /// The latest storage trouble the agent reported (corrupt file set aside, disk full); "" if none.
  Q_PROPERTY(QString storageProblem READ storageProblem NOTIFY storageProblemChanged)
  /// UI and report language: "zh" or "en".
  Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY languageChanged)
  Q_PROPERTY(QString vin READ vin CONSTANT)
  Q_PROPERTY(fb::ui::ReportsModel* reports READ reports CONSTANT)

 public:
  /// Registers itself as the agent's listener: call before agent.start() (use start() below).
  explicit FeedbackStore(agent::Agent& agent, QObject* parent = nullptr);
  ~FeedbackStore() override;

  /// Loads My reports, then starts the agent (once; later calls return the first result).
  /// Returns false when the link cannot start (linkError says why): the store keeps working
  /// offline and saved reports stay queued until the link works.
  bool start();

  bool connected() const { return connected_; }
  QString linkError() const { return link_error_; }
  bool vehicleMoving() const { return vehicle_moving_; }
  void setVehicleMoving(bool moving);
  QStringList categories() const;
  QStringList availableCategories() const;
  bool saving() const { return pending_saves_ > 0; }
  QString lastError() const { return last_error_; }
  QString storageProblem() const { return storage_problem_; }
  QString language() const { return language_; }
  /// Anything starting with "zh" selects Chinese, everything else English.
  void setLanguage(const QString& language);
  QString vin() const { return vin_; }
  ReportsModel* reports() { return &reports_; }

  /// Saves a report of the driver (categoryKey from `categories`, text may be empty except for
  /// "other"). Returns false when refused at once (unknown category, text while moving; lastError
  /// says why); otherwise reportSaved or reportNotSaved follows once the agent has committed it.
  Q_INVOKABLE bool submit(const QString& categoryKey, const QString& text);
  /// The category needs a text with it ("other"); false for quick taps and unknown keys.
  Q_INVOKABLE bool needsText(const QString& categoryKey) const;
  /// The driver has seen a notification: queues a read receipt.
  Q_INVOKABLE void markRead(const QString& messageId);
  Q_INVOKABLE void clearError();

 Q_SIGNALS:
  void connectedChanged();
  void linkErrorChanged();
  void vehicleMovingChanged();
  void savingChanged();
  void lastErrorChanged();
  void storageProblemChanged();
  void languageChanged();
  /// The report is durable on the car (it shows in `reports` as "queued").
  void reportSaved(const QString& reportId);
  void reportNotSaved(const QString& error);
  /// A new notification from the service side (duplicates are not signalled), for the banner.
  void notificationArrived(const QString& messageId, const QString& reportId, const QString& caseNumber,
                           const QString& title, const QString& text);

 private:
  class AgentEvents;

  void finishSubmit(bool saved, const QString& reportIdOrError);
  void setLastError(const QString& error);
  void setStorageProblem(const QString& problem);
  void setConnected(bool connected);

  agent::Agent& agent_;
  std::unique_ptr<AgentEvents> events_;
  ReportsModel reports_;
  bool start_attempted_ = false;
  bool agent_running_ = false;
  bool connected_ = false;
  QString link_error_;
  bool vehicle_moving_ = false;
  int pending_saves_ = 0;
  QString last_error_;
  QString storage_problem_;
  QString language_ = QStringLiteral("en");
  QString vin_;
};

}  // namespace fb::ui
