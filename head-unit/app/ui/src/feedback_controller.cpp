#include "fb/ui/feedback_controller.hpp"

#include <spdlog/spdlog.h>
#include <QMetaObject>

#include "fb/agent/agent_api.hpp"
#include "fb/ui/categories.hpp"
#include "fb/ui/error_keys.hpp"

namespace fb::ui {

namespace {

// The key QML shows; the detail (file names, field names, SQLite's words) goes to the log.
QString key_of(const Error& e, const char* what) {
  spdlog::info("ui: {}: {}", what, e.what());
  return errorKey(e.code);
}

}  // namespace

// Runs on the agent's executor: copies each event into a functor that runs on the Qt thread.
class FeedbackController::AgentEvents final : public agent::AgentListener {
 public:
  explicit AgentEvents(FeedbackController& controller) : controller_(controller) {}

  void report_changed(const agent::ReportView& report) override {
    post([report](FeedbackController& s) {
      s.reports_.applyReport(report);
      s.refreshTimeline(QString::fromStdString(report.report_id));
    });
  }
  void report_sent(const std::string& report_id) override {
    post([id = QString::fromStdString(report_id)](FeedbackController& s) {
      s.reports_.markSent(id);
      s.refreshTimeline(id);
    });
  }
  void notification_received(const agent::InboxEntry& n) override {
    post([n](FeedbackController& s) {
      Q_EMIT s.notificationArrived(QString::fromStdString(n.message_id), QString::fromStdString(n.report_id),
                                   QString::fromStdString(n.case_number), QString::fromStdString(n.title),
                                   QString::fromStdString(n.text));
      // Kept in the inbox and timeline, but not news: "pick a slot" after the visit is booked
      // would send the driver to an answer the card no longer offers.
      if (n.superseded) return;
      s.banners_.push(Banner{QString::fromStdString(n.message_id), QString::fromStdString(n.report_id),
                             QString::fromStdString(n.case_number), QString::fromStdString(n.title),
                             QString::fromStdString(n.text), n.urgent});
    });
  }
  void connection_changed(bool connected) override {
    post([connected](FeedbackController& s) { s.setConnected(connected); });
  }
  void link_problem(const Error& e) override {
    post([problem = key_of(e, "link problem")](FeedbackController& s) { s.setLinkError(problem); });
  }
  void storage_problem(const Error& e) override {
    post([problem = key_of(e, "storage problem")](FeedbackController& s) { s.setStorageProblem(problem); });
  }

 private:
  template <typename F>
  void post(F apply) {
    QMetaObject::invokeMethod(
        &controller_, [controller = &controller_, apply = std::move(apply)] { apply(*controller); },
        Qt::QueuedConnection);
  }

  FeedbackController& controller_;
};

FeedbackController::FeedbackController(agent::AgentApi& agent, QObject* parent)
    : QObject(parent),
      agent_(agent),
      events_(std::make_unique<AgentEvents>(*this)),
      vin_(QString::fromStdString(agent.vehicle().vin)) {
  agent_.add_listener(events_.get());
}

FeedbackController::~FeedbackController() = default;

void FeedbackController::load() {
  agent_.reports([this](Result<std::vector<agent::ReportView>> reports) {
    QMetaObject::invokeMethod(
        this,
        [this, reports = std::move(reports)] {
          if (reports) {
            reports_.resetReports(*reports);
          } else {
            setStorageProblem(key_of(reports.error(), "My reports not loaded"));
          }
          Q_EMIT reportsLoaded();
        },
        Qt::QueuedConnection);
  });
}

void FeedbackController::setVehicleMoving(bool moving) {
  const bool before = vehicleMoving();
  vehicle_moving_ = moving;
  banners_.setMoving(vehicleMoving());
  if (vehicleMoving() != before) Q_EMIT vehicleMovingChanged();
}

void FeedbackController::setMovingFromSignals(bool moving) {
  const bool before = vehicleMoving();
  signals_moving_ = moving;
  banners_.setMoving(vehicleMoving());
  if (vehicleMoving() != before) Q_EMIT vehicleMovingChanged();
}

QStringList FeedbackController::categories() const {
  QStringList keys;
  for (const auto& c : category_choices()) keys << QString::fromUtf8(c.key);
  return keys;
}

QStringList FeedbackController::availableCategories() const {
  QStringList keys;
  for (const auto& c : category_choices()) {
    if (c.quick_tap || !vehicleMoving()) keys << QString::fromUtf8(c.key);
  }
  return keys;
}

bool FeedbackController::needsText(const QString& categoryKey) const {
  const auto choice = category_from_key(categoryKey.toStdString());
  return choice && !choice->quick_tap;
}

void FeedbackController::setLanguage(const QString& language) {
  const QString normalized = language.startsWith(QLatin1String("zh")) ? QStringLiteral("zh") : QStringLiteral("en");
  if (normalized == language_) return;
  language_ = normalized;
  Q_EMIT languageChanged();
}

bool FeedbackController::submit(const QString& categoryKey, const QString& text) {
  const auto choice = category_from_key(categoryKey.toStdString());
  if (!choice) {
    setLastError(QString::fromLatin1(error_key::kUnknownCategory));
    return false;
  }
  const QString trimmed = text.trimmed();
  agent::Draft draft;
  draft.source = wire::SOURCE_DRIVER;
  draft.category = choice->category;
  draft.text = trimmed.toStdString();
  draft.language = language_ == QLatin1String("zh") ? "zh-CN" : "en";
  draft.capture_snapshot = true;  // recorded only with consent.diagnostics (none asked yet: issue 10)
  return submitReport(std::move(draft), {}, /*fromComposer=*/true);
}

bool FeedbackController::submitDraft(agent::Draft draft, std::function<void(bool saved)> after) {
  return submitReport(std::move(draft), std::move(after), /*fromComposer=*/false);
}

bool FeedbackController::submitReport(agent::Draft draft, std::function<void(bool saved)> after, bool fromComposer) {
  if (vehicleMoving() && !draft.text.empty()) {
    const auto refused = QString::fromLatin1(error_key::kTypingWhileMoving);
    if (!fromComposer) return refuseAction(QStringLiteral("report"), {}, refused);
    setLastError(refused);
    return false;
  }
  ++pending_saves_;
  if (pending_saves_ == 1) Q_EMIT savingChanged();
  agent_.submit(std::move(draft), [this, after = std::move(after), fromComposer](Result<std::string> saved) mutable {
    QMetaObject::invokeMethod(
        this,
        [this, ok = saved.has_value(),
         message = saved ? QString::fromStdString(*saved) : key_of(saved.error(), "report not saved"),
         after = std::move(after), fromComposer] {
          finishSubmit(ok, message, fromComposer);
          // The review that sent it has closed: the problems line says why it was not saved.
          if (!fromComposer) actionDone(QStringLiteral("report"), {}, ok ? QString() : message);
          if (after) after(ok);
        },
        Qt::QueuedConnection);
  });
  return true;
}

void FeedbackController::finishSubmit(bool saved, const QString& reportIdOrError, bool fromComposer) {
  --pending_saves_;
  if (pending_saves_ == 0) Q_EMIT savingChanged();
  if (saved) {
    if (fromComposer) setLastError({});
    // A commit went through: a full or busy disk is past. Any other problem (a damaged store, a
    // queued report that cannot be read) is still there.
    if (storage_problem_ == errorKey(make_error_code(StorageErrc::full)) ||
        storage_problem_ == errorKey(make_error_code(StorageErrc::busy))) {
      setStorageProblem({});
    }
    if (fromComposer) Q_EMIT reportSaved(reportIdOrError);
  } else if (fromComposer) {
    setLastError(reportIdOrError);
    Q_EMIT reportNotSaved(reportIdOrError);
  }
}

void FeedbackController::markRead(const QString& messageId) { agent_.mark_read(messageId.toStdString()); }

void FeedbackController::clearError() { setLastError({}); }

void FeedbackController::clearActionError() {
  action_source_.clear();
  setActionError({});
}

void FeedbackController::setParked(bool parked) {
  if (parked == parked_) return;
  parked_ = parked;
  Q_EMIT parkedChanged();
}

QStringList FeedbackController::visitStages() const {
  QStringList keys;
  for (auto stage : {wire::VISIT_CHECKED_IN, wire::VISIT_INSPECTION, wire::VISIT_DIAGNOSIS, wire::VISIT_REPAIR,
                     wire::VISIT_QUALITY_CHECK, wire::VISIT_HANDED_OVER}) {
    keys << ReportsModel::visitStageKey(stage);
  }
  return keys;
}

template <typename T>
auto FeedbackController::completion(QString kind, QString id) {
  return [this, kind = std::move(kind), id = std::move(id)](Result<T> done) {
    QMetaObject::invokeMethod(
        this,
        [this, kind, id, ok = done.has_value(), error = done ? QString() : key_of(done.error(), "answer refused")] {
          actionDone(kind, id, error);
          Q_EMIT answerDone(kind, id, ok, error);
        },
        Qt::QueuedConnection);
  };
}

void FeedbackController::answerVisit(const QString& visitId, int action, const QString& slotId,
                                     const QString& approvalId, const QString& reason) {
  agent::VisitAnswer answer{static_cast<wire::VisitReply::Action>(action), slotId.toStdString(),
                            approvalId.toStdString(), reason.trimmed().toStdString()};
  agent_.answer_visit(visitId.toStdString(), std::move(answer),
                      completion<std::string>(QStringLiteral("visit"), visitId));
}

void FeedbackController::pickSlot(const QString& visitId, const QString& slotId) {
  answerVisit(visitId, wire::VisitReply::PICK_SLOT, slotId, {}, {});
}

void FeedbackController::declineVisit(const QString& visitId, const QString& reason) {
  answerVisit(visitId, wire::VisitReply::DECLINE, {}, {}, reason);
}

void FeedbackController::askOtherTimes(const QString& visitId, const QString& reason) {
  answerVisit(visitId, wire::VisitReply::RESCHEDULE, {}, {}, reason);
}

void FeedbackController::cancelVisit(const QString& visitId, const QString& reason) {
  answerVisit(visitId, wire::VisitReply::CANCEL, {}, {}, reason);
}

void FeedbackController::approveExtra(const QString& visitId, const QString& approvalId) {
  answerVisit(visitId, wire::VisitReply::APPROVE_EXTRA, {}, approvalId, {});
}

void FeedbackController::refuseExtra(const QString& visitId, const QString& approvalId, const QString& reason) {
  answerVisit(visitId, wire::VisitReply::REFUSE_EXTRA, {}, approvalId, reason);
}

bool FeedbackController::answerSurvey(const QString& notificationId, int score, const QString& comment) {
  const QString kind = QStringLiteral("survey");
  if (score < 1 || score > 5) return refuseAction(kind, notificationId, QString::fromLatin1(error_key::kSurveyScore));
  if (refusedTypingWhileMoving(comment, kind, notificationId)) return false;
  agent_.answer_survey(notificationId.toStdString(), score, comment.trimmed().toStdString(),
                       completion<void>(QStringLiteral("survey"), notificationId));
  return true;
}

bool FeedbackController::requestCallback(const QString& reportId, const QString& phone) {
  if (!parked_) return refuseAction(QStringLiteral("callback"), reportId, QString::fromLatin1(error_key::kNotParked));
  agent_.request_callback(reportId.toStdString(), phone.trimmed().toStdString(),
                          completion<std::string>(QStringLiteral("callback"), reportId));
  return true;
}

void FeedbackController::selectReport(const QString& reportId) {
  if (reportId != selected_report_) {
    selected_report_ = reportId;
    // Not the last report's steps under this one while its own are read (or if they cannot be).
    timeline_.reset(reportId, {});
    Q_EMIT selectedReportChanged();
  }
  if (reportId.isEmpty()) return;
  refreshTimeline(reportId);
}

void FeedbackController::refreshTimeline(const QString& reportId) {
  if (reportId.isEmpty() || reportId != selected_report_) return;
  agent_.timeline(reportId.toStdString(), [this, reportId](Result<std::vector<agent::TimelineEvent>> events) {
    QMetaObject::invokeMethod(
        this,
        [this, reportId, events = std::move(events)] {
          if (reportId != selected_report_) return;  // another report was opened meanwhile
          if (events) {
            timeline_.reset(reportId, *events);
          } else {
            setStorageProblem(key_of(events.error(), "timeline not loaded"));
          }
        },
        Qt::QueuedConnection);
  });
}

bool FeedbackController::refusedTypingWhileMoving(const QString& text, const QString& kind, const QString& id) {
  if (!vehicleMoving() || text.trimmed().isEmpty()) return false;
  refuseAction(kind, id, QString::fromLatin1(error_key::kTypingWhileMoving));
  return true;
}

bool FeedbackController::reply(const QString& reportId, const QString& text) {
  if (refusedTypingWhileMoving(text, QStringLiteral("reply"), reportId)) return false;
  if (text.trimmed().isEmpty())
    return refuseAction(QStringLiteral("reply"), reportId, QString::fromLatin1(error_key::kEmptyText));
  agent_.reply(reportId.toStdString(), text.trimmed().toStdString(),
               completion<std::string>(QStringLiteral("reply"), reportId));
  return true;
}

bool FeedbackController::reopen(const QString& reportId, const QString& reason) {
  if (refusedTypingWhileMoving(reason, QStringLiteral("reopen"), reportId)) return false;
  agent_.reopen(reportId.toStdString(), reason.trimmed().toStdString(),
                completion<std::string>(QStringLiteral("reopen"), reportId));
  return true;
}

bool FeedbackController::rate(const QString& reportId, int score, const QString& comment) {
  if (score < 1 || score > 5)
    return refuseAction(QStringLiteral("rating"), reportId, QString::fromLatin1(error_key::kSurveyScore));
  if (refusedTypingWhileMoving(comment, QStringLiteral("rating"), reportId)) return false;
  agent_.rate(reportId.toStdString(), score, comment.trimmed().toStdString(),
              completion<std::string>(QStringLiteral("rating"), reportId));
  return true;
}

void FeedbackController::setLastError(const QString& error) {
  if (error == last_error_) return;
  last_error_ = error;
  Q_EMIT lastErrorChanged();
}

void FeedbackController::setActionError(const QString& error) {
  if (error == action_error_) return;
  action_error_ = error;
  Q_EMIT actionErrorChanged();
}

bool FeedbackController::refuseAction(const QString& kind, const QString& id, const QString& error) {
  actionDone(kind, id, error);
  return false;
}

void FeedbackController::actionDone(const QString& kind, const QString& id, const QString& error) {
  const QString source = kind + QLatin1Char('/') + id;
  if (!error.isEmpty()) {
    action_source_ = source;
    setActionError(error);
  } else if (source == action_source_) {  // that action went through after all
    action_source_.clear();
    setActionError({});
  }
}

void FeedbackController::setStorageProblem(const QString& problem) {
  if (problem == storage_problem_) return;
  storage_problem_ = problem;
  Q_EMIT storageProblemChanged();
}

void FeedbackController::setLinkError(const QString& error) {
  if (error == link_error_) return;
  link_error_ = error;
  Q_EMIT linkErrorChanged();
}

void FeedbackController::setConnected(bool connected) {
  if (connected == connected_) return;
  connected_ = connected;
  Q_EMIT connectedChanged();
}

}  // namespace fb::ui
