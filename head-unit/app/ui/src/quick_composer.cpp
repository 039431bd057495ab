#include "fb/ui/quick_composer.hpp"

#include <QPointer>

#include <ranges>
#include <utility>

#include "fb/agent/agent_api.hpp"
#include "fb/common/ids.hpp"
#include "fb/ui/feedback_controller.hpp"

namespace fb::ui {

int QuickDraftsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(entries_.size());
}

QVariant QuickDraftsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const auto& e = entries_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case KindRole: return e.kind;
    case SavedAtRole: return e.saved_at;
    case TextRole: return e.text;
    default: return {};
  }
}

QHash<int, QByteArray> QuickDraftsModel::roleNames() const {
  return {{KindRole, "kind"}, {SavedAtRole, "savedAt"}, {TextRole, "text"}};
}

void QuickDraftsModel::add(Entry entry) {
  beginInsertRows({}, 0, 0);
  entries_.insert(entries_.begin(), std::move(entry));
  endInsertRows();
  Q_EMIT countChanged();
}

std::optional<QuickDraftsModel::Entry> QuickDraftsModel::take(int row) {
  if (row < 0 || row >= rowCount()) return std::nullopt;
  beginRemoveRows({}, row, row);
  auto entry = std::move(entries_[static_cast<std::size_t>(row)]);
  entries_.erase(entries_.begin() + row);
  endRemoveRows();
  Q_EMIT countChanged();
  return entry;
}

QuickComposer::QuickComposer(FeedbackController& controller, agent::AgentApi& agent, ConsentStore& consent,
                             QObject* parent)
    : QObject(parent),
      controller_(controller),
      agent_(agent),
      store_(consent),
      phone_(consent.phone()) {
  connect(&controller_, &FeedbackController::vehicleMovingChanged, this, [this] {
    Q_EMIT textLockedChanged();
    refreshCanSend();
  });
  connect(&controller_, &FeedbackController::savingChanged, this, &QuickComposer::refreshCanSend);
  save_timer_.setSingleShot(true);
  save_timer_.setInterval(kSaveDelayMs);
  connect(&save_timer_, &QTimer::timeout, this, &QuickComposer::saveDraftNow);
  for (auto changed : {&QuickComposer::textChanged, &QuickComposer::consentChanged, &QuickComposer::phoneChanged}) {
    connect(this, changed, this, &QuickComposer::reviewChanged);
  }
}

namespace {

wire::Consent to_wire(const ConsentChoice& c) {
  wire::Consent w;
  w.set_diagnostics(c.diagnostics);
  w.set_location(c.location);
  w.set_contact(c.contact);
  return w;
}

}  // namespace

void QuickComposer::reviewChanged() {
  if (reviewing()) save_timer_.start();
}

agent::SavedDraft QuickComposer::savedDraft() const {
  agent::SavedDraft d;
  d.draft_id = draft_id_;
  d.kind = kind_.toStdString();
  d.text = text_.toStdString();
  d.consent = to_wire(consent_);
  d.phone = consent_.contact ? phone_.trimmed().toStdString() : std::string();
  return d;
}

void QuickComposer::saveDraftNow() {
  save_timer_.stop();
  if (!reviewing() || draft_id_.empty()) return;
  agent_.save_draft(savedDraft(), [](Result<void> saved) {
    // A draft not kept is still in memory for this run; the agent told the listeners if the
    // disk is the reason (storage_problem).
    (void)saved;
  });
}

void QuickComposer::discardCurrent() {
  save_timer_.stop();
  if (draft_id_.empty()) return;
  agent_.discard_draft(std::exchange(draft_id_, std::string()), [](Result<void>) {});
}

void QuickComposer::loadDrafts() {
  agent_.drafts([this](Result<std::vector<agent::SavedDraft>> kept) {
    if (!kept) return;
    QMetaObject::invokeMethod(
        this,
        [this, kept = std::move(*kept)] {
          // Oldest first: add() puts each on top, so the newest ends first.
          for (const auto& d : std::views::reverse(kept)) {
            ConsentChoice consent{d.consent.diagnostics(), d.consent.location(), d.consent.contact(), false};
            drafts_.add({d.draft_id, QString::fromStdString(d.kind), std::nullopt, consent,
                         QString::fromStdString(d.text), QDateTime::fromMSecsSinceEpoch(d.saved_ms),
                         QString::fromStdString(d.phone)});
          }
        },
        Qt::QueuedConnection);
  });
}

void QuickComposer::setHappeningNow(bool on) {
  if (on == happening_now_) return;
  happening_now_ = on;
  Q_EMIT happeningNowChanged();
}

bool QuickComposer::snapshotOffered() const {
  const auto k = quick_kind(kind_.toStdString());
  return k && k->offers_snapshot && moment_ms_.has_value();
}

void QuickComposer::setSnapshotSignals(const QStringList& vssPaths) {
  if (vssPaths == snapshot_signals_) return;
  snapshot_signals_ = vssPaths;
  Q_EMIT snapshotSignalsChanged();
}

void QuickComposer::setAttachSignals(bool on) {
  if (on == consent_.diagnostics) return;
  consent_.diagnostics = on;
  Q_EMIT consentChanged();
}

void QuickComposer::setLocationSource(std::function<std::optional<wire::Location>()> source) {
  location_source_ = std::move(source);
  Q_EMIT locationAvailableChanged();
}

void QuickComposer::setAttachLocation(bool on) {
  if (on == consent_.location) return;
  consent_.location = on;
  Q_EMIT consentChanged();
}

void QuickComposer::setAllowContact(bool on) {
  if (on == consent_.contact) return;
  consent_.contact = on;
  Q_EMIT consentChanged();
}

void QuickComposer::setPhone(const QString& phone) {
  // Only what the wire and the car store accept (digits, '+', '-', spaces; 32 at most): a pasted
  // "(030) 1234567" would otherwise fail the draft's save and the report's send.
  QString kept;
  for (const QChar c : phone) {
    if ((c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('+') || c == QLatin1Char('-') ||
        c == QLatin1Char(' ')) {
      kept += c;
    }
  }
  kept.truncate(32);
  if (kept == phone_) {
    if (kept != phone) Q_EMIT phoneChanged();  // the field shows what was kept
    return;
  }
  phone_ = kept;
  Q_EMIT phoneChanged();
}

void QuickComposer::setText(const QString& text) {
  const QString limited = text.left(maxTextLength());
  if (limited == text_) return;
  text_ = limited;
  Q_EMIT textChanged();
  refreshCanSend();
}

bool QuickComposer::textLocked() const { return controller_.vehicleMoving(); }

bool QuickComposer::canSend() const {
  return reviewing() && !controller_.saving() && (text_.trimmed().isEmpty() || !textLocked());
}

void QuickComposer::refreshCanSend() {
  const bool can = canSend();
  if (can == can_send_) return;
  can_send_ = can;
  Q_EMIT canSendChanged();
}

bool QuickComposer::choose(const QString& kind) {
  const auto k = quick_kind(kind.toStdString());
  if (!k) return false;
  // The moment of the tap, before anything else: the snapshot is centred on it.
  moment_ms_ = happening_now_ && k->offers_snapshot ? agent_.snapshot_clock_ms() : std::nullopt;
  consent_ = store_.choice(kind, k->offers_snapshot);
  text_.clear();
  discardCurrent();  // a review left open without cancel (e.g. a second tile tapped)
  draft_id_ = new_uuid();
  kind_ = kind;
  Q_EMIT textChanged();
  Q_EMIT consentChanged();
  Q_EMIT kindChanged();
  refreshCanSend();
  return true;
}

agent::Draft QuickComposer::draft() const {
  agent::Draft d;
  const auto k = quick_kind(kind_.toStdString());
  if (!k) return d;
  d.source = wire::SOURCE_DRIVER;
  d.category = k->category;
  // The category alone does not say "brakes": the tile's class does.
  if (k->report_class == agent::ReportClass::safety) d.report_class = k->report_class;
  d.text = text_.trimmed().toStdString();
  d.language = controller_.language() == QLatin1String("zh") ? "zh-CN" : "en";
  d.consent.set_diagnostics(consent_.diagnostics);
  d.consent.set_location(consent_.location);
  d.consent.set_contact(consent_.contact);
  d.capture_snapshot = snapshotOffered();
  d.snapshot_at_ms = moment_ms_;
  // With consent to be called back, the number typed goes with the report (else none: the
  // report builder drops it without consent.contact too).
  if (consent_.contact) d.callback_phone = phone_.trimmed().toStdString();
  d.draft_id = draft_id_;
  // Always handed over: the report builder drops it without consent.location, on the car.
  if (location_source_) d.location = location_source_();
  return d;
}

bool QuickComposer::send() {
  if (!reviewing()) return false;
  // What was typed in the last second is kept first (on the agent's strand, before the submit):
  // if the report is not saved, the draft is still there, on disk and in the list.
  saveDraftNow();
  QuickDraftsModel::Entry kept{draft_id_, kind_, moment_ms_, consent_, text_, QDateTime::currentDateTime(), phone_};
  const auto after = [self = QPointer<QuickComposer>(this), kept = std::move(kept)](bool saved) mutable {
    if (self && !saved && !kept.draft_id.empty()) self->drafts_.add(std::move(kept));
  };
  if (!controller_.submitDraft(draft(), after)) return false;
  store_.remember(kind_, consent_);
  if (consent_.contact) store_.setPhone(phone_.trimmed());
  // The agent deletes the kept draft once the report is committed (Draft::draft_id).
  draft_id_.clear();
  close();
  return true;
}

void QuickComposer::cancel() {
  discardCurrent();
  close();
}

bool QuickComposer::saveForLater() {
  if (!reviewing()) return false;
  saveDraftNow();
  drafts_.add({draft_id_, kind_, moment_ms_, consent_, text_, QDateTime::currentDateTime(), phone_});
  draft_id_.clear();
  close();
  return true;
}

bool QuickComposer::resumeDraft(int row) {
  auto entry = drafts_.take(row);
  if (!entry) return false;
  discardCurrent();
  draft_id_ = entry->draft_id.empty() ? new_uuid() : entry->draft_id;
  kind_ = entry->kind;
  moment_ms_ = entry->moment_ms;
  consent_ = entry->consent;
  text_ = entry->text;
  if (!entry->phone.isEmpty() && entry->phone != phone_) {
    phone_ = entry->phone;
    Q_EMIT phoneChanged();
  }
  Q_EMIT textChanged();
  Q_EMIT consentChanged();
  Q_EMIT kindChanged();
  refreshCanSend();
  return true;
}

void QuickComposer::close() {
  save_timer_.stop();
  kind_.clear();
  moment_ms_.reset();
  text_.clear();
  Q_EMIT textChanged();
  Q_EMIT kindChanged();
  refreshCanSend();
}

}  // namespace fb::ui
