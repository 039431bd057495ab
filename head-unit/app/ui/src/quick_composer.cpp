#include "fb/ui/quick_composer.hpp"

#include "fb/agent/agent_api.hpp"
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
  if (phone == phone_) return;
  phone_ = phone;
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
  // Always handed over: the report builder drops it without consent.location, on the car.
  if (location_source_) d.location = location_source_();
  return d;
}

bool QuickComposer::send() {
  if (!reviewing()) return false;
  if (!controller_.submitDraft(draft())) return false;
  store_.remember(kind_, consent_);
  if (consent_.contact) store_.setPhone(phone_.trimmed());
  close();
  return true;
}

void QuickComposer::cancel() { close(); }

bool QuickComposer::saveForLater() {
  if (!reviewing()) return false;
  drafts_.add({kind_, moment_ms_, consent_, text_, QDateTime::currentDateTime()});
  close();
  return true;
}

bool QuickComposer::resumeDraft(int row) {
  auto entry = drafts_.take(row);
  if (!entry) return false;
  kind_ = entry->kind;
  moment_ms_ = entry->moment_ms;
  consent_ = entry->consent;
  text_ = entry->text;
  Q_EMIT textChanged();
  Q_EMIT consentChanged();
  Q_EMIT kindChanged();
  refreshCanSend();
  return true;
}

void QuickComposer::close() {
  kind_.clear();
  moment_ms_.reset();
  text_.clear();
  Q_EMIT textChanged();
  Q_EMIT kindChanged();
  refreshCanSend();
}

}  // namespace fb::ui
