#include "fb/ui/feedback_store.hpp"

#include <QMetaObject>

#include "fb/agent/agent.hpp"
#include "fb/ui/categories.hpp"

namespace fb::ui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

// Runs on the agent thread: copies each event into a functor that runs on the Qt thread.
class FeedbackStore::AgentEvents final : public agent::AgentListener {
 public:
  explicit AgentEvents(FeedbackStore& store) : store_(store) {}

  void report_changed(const agent::ReportView& report) override {
    post([report](FeedbackStore& s) { s.reports_.applyReport(report); });
  }
  void report_sent(const std::string& report_id) override {
    post([id = q(report_id)](FeedbackStore& s) { s.reports_.markSent(id); });
  }
  void notification_received(const agent::InboxEntry& n) override {
    post([n](FeedbackStore& s) {
      Q_EMIT s.notificationArrived(q(n.message_id), q(n.report_id), q(n.case_number), q(n.title), q(n.text));
    });
  }
  void connection_changed(bool connected) override {
    post([connected](FeedbackStore& s) { s.setConnected(connected); });
  }
  void storage_problem(const Error& e) override {
    post([problem = q(e.what())](FeedbackStore& s) { s.setStorageProblem(problem); });
  }

 private:
  template <typename F>
  void post(F apply) {
    QMetaObject::invokeMethod(
        &store_, [store = &store_, apply = std::move(apply)] { apply(*store); }, Qt::QueuedConnection);
  }

  FeedbackStore& store_;
};

FeedbackStore::FeedbackStore(agent::Agent& agent, QObject* parent)
    : QObject(parent),
      agent_(agent),
      events_(std::make_unique<AgentEvents>(*this)),
      vin_(q(agent.vehicle().vin)) {
  agent_.add_listener(events_.get());
}

FeedbackStore::~FeedbackStore() { agent_.stop(); }

bool FeedbackStore::start() {
  // Once only: an agent is started once per app run.
  if (start_attempted_) return agent_running_;
  start_attempted_ = true;
  if (auto reports = agent_.reports_sync()) {
    reports_.resetReports(*reports);
  } else {
    setStorageProblem(q(reports.error().what()));
  }
  auto started = agent_.start();
  // A link that cannot start leaves the agent running offline; only a storage error stops it.
  agent_running_ = started || started.error().code.category() == mqtt_category();
  if (!started) {
    link_error_ = q(started.error().what());
    Q_EMIT linkErrorChanged();
    return false;
  }
  return true;
}

void FeedbackStore::setVehicleMoving(bool moving) {
  if (moving == vehicle_moving_) return;
  vehicle_moving_ = moving;
  Q_EMIT vehicleMovingChanged();
}

QStringList FeedbackStore::categories() const {
  QStringList keys;
  for (const auto& c : category_choices()) keys << QString::fromUtf8(c.key);
  return keys;
}

QStringList FeedbackStore::availableCategories() const {
  QStringList keys;
  for (const auto& c : category_choices()) {
    if (c.quick_tap || !vehicle_moving_) keys << QString::fromUtf8(c.key);
  }
  return keys;
}

bool FeedbackStore::needsText(const QString& categoryKey) const {
  const auto choice = category_from_key(categoryKey.toStdString());
  return choice && !choice->quick_tap;
}

void FeedbackStore::setLanguage(const QString& language) {
  const QString normalized = language.startsWith(QLatin1String("zh")) ? QStringLiteral("zh") : QStringLiteral("en");
  if (normalized == language_) return;
  language_ = normalized;
  Q_EMIT languageChanged();
}

bool FeedbackStore::submit(const QString& categoryKey, const QString& text) {
  const auto choice = category_from_key(categoryKey.toStdString());
  if (!choice) {
    setLastError(QStringLiteral("unknown category '%1'").arg(categoryKey));
    return false;
  }
  const QString trimmed = text.trimmed();
  if (vehicle_moving_ && !trimmed.isEmpty()) {
    setLastError(QStringLiteral("typing is not allowed while the vehicle is moving: choose a category only"));
    return false;
  }

  agent::Draft draft;
  draft.source = wire::SOURCE_DRIVER;
  draft.category = choice->category;
  draft.text = trimmed.toStdString();
  draft.language = language_ == QLatin1String("zh") ? "zh-CN" : "en";

  ++pending_saves_;
  if (pending_saves_ == 1) Q_EMIT savingChanged();
  if (!agent_running_) {
    auto saved = agent_.submit_sync(std::move(draft));
    finishSubmit(saved.has_value(), q(saved ? *saved : saved.error().what()));
    return true;
  }
  agent_.submit(std::move(draft), [this](Result<std::string> saved) {
    QMetaObject::invokeMethod(
        this,
        [this, ok = saved.has_value(), message = q(saved ? *saved : saved.error().what())] {
          finishSubmit(ok, message);
        },
        Qt::QueuedConnection);
  });
  return true;
}

void FeedbackStore::finishSubmit(bool saved, const QString& reportIdOrError) {
  --pending_saves_;
  if (pending_saves_ == 0) Q_EMIT savingChanged();
  if (saved) {
    setLastError({});
    Q_EMIT reportSaved(reportIdOrError);
  } else {
    setLastError(reportIdOrError);
    Q_EMIT reportNotSaved(reportIdOrError);
  }
}

void FeedbackStore::markRead(const QString& messageId) {
  agent_.mark_read(messageId.toStdString());
  // Without its thread the agent runs queued work only inside a *_sync call.
  if (!agent_running_) (void)agent_.stats_sync();
}

void FeedbackStore::clearError() { setLastError({}); }

void FeedbackStore::setLastError(const QString& error) {
  if (error == last_error_) return;
  last_error_ = error;
  Q_EMIT lastErrorChanged();
}

void FeedbackStore::setStorageProblem(const QString& problem) {
  if (problem == storage_problem_) return;
  storage_problem_ = problem;
  Q_EMIT storageProblemChanged();
}

void FeedbackStore::setConnected(bool connected) {
  if (connected == connected_) return;
  connected_ = connected;
  Q_EMIT connectedChanged();
}

}  // namespace fb::ui
