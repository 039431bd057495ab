// QuickComposer: the quick-feedback flow of the dashboard, as a view-model. Tap a tile
// (choose): the review opens with the moment marked for the snapshot ("it is happening now");
// tap Send (send): the report is queued. Text is optional and locked while the car moves
// (FeedbackController::vehicleMoving); "add details later" keeps the report as a draft in
// `drafts`, to be completed from that list once parked.
//
// Drafts survive a restart (a power cut, the app killed while the driver typed): each is kept
// in the car store through the agent (AgentApi::save_draft, fb/agent/drafts.hpp). The open
// review is saved too, kSaveDelay after its last change (at once by saveForLater), so what was
// typed comes back as a draft at the next start (loadDrafts); a draft is deleted when its
// report is committed (Draft::draft_id) or the review is cancelled.
//
// The review shows plainly what goes with the report and lets the driver remove each part:
// the signals of the snapshot (snapshotSignals, VSS paths QML names), the coarse location,
// and whether the service team may call back (and on which number). The choice is remembered
// per kind in a ConsentStore and shown again (rememberedChoice) the next time: never applied
// silently. The choice becomes the report's wire Consent; the agent's report builder drops what
// it does not allow from the report before it is queued (fb/agent/report_builder.hpp).
//
// Threads: the Qt thread only (like FeedbackController, which it submits through).
#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <functional>
#include <optional>
#include <vector>

#include "fb/agent/drafts.hpp"
#include "fb/agent/report_builder.hpp"
#include "fb/ui/consent_store.hpp"
#include "fb/ui/quick_feedback.hpp"

namespace fb::agent {
class AgentApi;
}

namespace fb::ui {

class FeedbackController;

/// A quick report kept for later ("add details later"): its kind, the moment of its tap, the
/// consent shown when it was kept and any text. Roles: kind, savedAt (QDateTime), text. Not
/// final: its QML registration derives from it.
class QuickDraftsModel : public QAbstractListModel {
  Q_OBJECT
  Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
 public:
  struct Entry {
    std::string draft_id;  // its row in the car store (SavedDraft::draft_id)
    QString kind;
    std::optional<std::int64_t> moment_ms;
    ConsentChoice consent;
    QString text;
    QDateTime saved_at;
    QString phone;  // the callback number typed on its review
  };
  enum Role { KindRole = Qt::UserRole + 1, SavedAtRole, TextRole };

  explicit QuickDraftsModel(QObject* parent = nullptr) : QAbstractListModel(parent) {}
  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

  void add(Entry entry);
  /// nullopt for a bad row.
  std::optional<Entry> take(int row);
  const std::vector<Entry>& entries() const { return entries_; }

 Q_SIGNALS:
  void countChanged();

 private:
  std::vector<Entry> entries_;  // newest first
};

class QuickComposer final : public QObject {
  Q_OBJECT
  Q_PROPERTY(fb::ui::QuickFeedbackModel* kinds READ kinds CONSTANT)
  Q_PROPERTY(fb::ui::QuickDraftsModel* drafts READ drafts CONSTANT)
  /// "It is happening now": a tile tap marks the moment for the snapshot (default on). Off: the
  /// driver reports something from earlier, and no snapshot is taken.
  Q_PROPERTY(bool happeningNow READ happeningNow WRITE setHappeningNow NOTIFY happeningNowChanged)
  /// The tile chosen ("" while the grid shows): the review is open.
  Q_PROPERTY(QString kind READ kind NOTIFY kindChanged)
  Q_PROPERTY(bool reviewing READ reviewing NOTIFY kindChanged)
  /// A snapshot around the tap will go with the report, if attachSignals stays on.
  Q_PROPERTY(bool snapshotOffered READ snapshotOffered NOTIFY kindChanged)
  /// The VSS paths a snapshot holds (the recorder's allow-list), for the review to name.
  Q_PROPERTY(QStringList snapshotSignals READ snapshotSignals NOTIFY snapshotSignalsChanged)
  Q_PROPERTY(bool attachSignals READ attachSignals WRITE setAttachSignals NOTIFY consentChanged)
  /// The car knows where it is: a coarse location (about 1 km) can go with the report.
  Q_PROPERTY(bool locationAvailable READ locationAvailable NOTIFY locationAvailableChanged)
  Q_PROPERTY(bool attachLocation READ attachLocation WRITE setAttachLocation NOTIFY consentChanged)
  Q_PROPERTY(bool allowContact READ allowContact WRITE setAllowContact NOTIFY consentChanged)
  /// The callback number ("": the one on record with the service team).
  Q_PROPERTY(QString phone READ phone WRITE setPhone NOTIFY phoneChanged)
  /// The consent shown was remembered from the last report of this kind (the review says so).
  Q_PROPERTY(bool rememberedChoice READ rememberedChoice NOTIFY consentChanged)
  Q_PROPERTY(QString text READ text WRITE setText NOTIFY textChanged)
  /// Typing is locked now (the car moves): the text field is disabled, with the reason shown.
  Q_PROPERTY(bool textLocked READ textLocked NOTIFY textLockedChanged)
  Q_PROPERTY(int maxTextLength READ maxTextLength CONSTANT)
  Q_PROPERTY(bool canSend READ canSend NOTIFY canSendChanged)

 public:
  QuickComposer(FeedbackController& controller, agent::AgentApi& agent, ConsentStore& consent,
                QObject* parent = nullptr);

  QuickFeedbackModel* kinds() { return &kinds_; }
  QuickDraftsModel* drafts() { return &drafts_; }
  bool happeningNow() const { return happening_now_; }
  void setHappeningNow(bool on);
  QString kind() const { return kind_; }
  bool reviewing() const { return !kind_.isEmpty(); }
  bool snapshotOffered() const;
  QStringList snapshotSignals() const { return snapshot_signals_; }
  /// From the composition root: the signals a snapshot holds.
  void setSnapshotSignals(const QStringList& vssPaths);
  bool attachSignals() const { return consent_.diagnostics; }
  void setAttachSignals(bool on);
  bool locationAvailable() const { return static_cast<bool>(location_source_); }
  /// From the composition root: where the car is now (nullopt: unknown).
  void setLocationSource(std::function<std::optional<wire::Location>()> source);
  bool attachLocation() const { return consent_.location; }
  void setAttachLocation(bool on);
  bool allowContact() const { return consent_.contact; }
  void setAllowContact(bool on);
  QString phone() const { return phone_; }
  void setPhone(const QString& phone);
  bool rememberedChoice() const { return consent_.remembered; }
  QString text() const { return text_; }
  void setText(const QString& text);
  bool textLocked() const;
  int maxTextLength() const { return 2000; }
  bool canSend() const;

  /// The tile tap: opens the review for `kind` (a quick_kinds() key) with its remembered consent,
  /// and marks the moment for the snapshot. False for an unknown kind.
  Q_INVOKABLE bool choose(const QString& kind);
  /// The second tap: remembers the consent for this kind and queues the report through the
  /// controller (FeedbackController::submitDraft: a refusal, at once or by the agent, is its
  /// actionError). False when refused at once; the review stays open then.
  Q_INVOKABLE bool send();
  /// Closes the review without sending.
  Q_INVOKABLE void cancel();
  /// "Add details later": keeps the report as a draft and closes the review.
  Q_INVOKABLE bool saveForLater();
  /// Opens a draft again in the review (and takes it out of `drafts`). False for a bad row.
  Q_INVOKABLE bool resumeDraft(int row);

  /// At start: the drafts kept in the car store (the newest first) fill `drafts`; they arrive
  /// on the Qt thread after the agent answers. Call once.
  void loadDrafts();
  /// Saves the open review as a draft now (the save timer's job); nothing while none is open.
  void saveDraftNow();
  /// A change to the open review is saved this long after the last one.
  static constexpr int kSaveDelayMs = 1000;
  /// Whether a change of the open review waits for the save timer (tests).
  bool draftSavePending() const { return save_timer_.isActive(); }
  /// Another delay than kSaveDelayMs (tests run the timer itself with 0).
  void setDraftSaveDelay(int ms) { save_timer_.setInterval(ms); }

  /// The report send() would queue now.
  agent::Draft draft() const;

 Q_SIGNALS:
  void happeningNowChanged();
  void kindChanged();
  void snapshotSignalsChanged();
  void locationAvailableChanged();
  void consentChanged();
  void phoneChanged();
  void textChanged();
  void textLockedChanged();
  void canSendChanged();

 private:
  void close();
  void refreshCanSend();
  /// The open review changed: (re)arms the save timer.
  void reviewChanged();
  agent::SavedDraft savedDraft() const;
  void discardCurrent();

  FeedbackController& controller_;
  agent::AgentApi& agent_;
  ConsentStore& store_;
  QuickFeedbackModel kinds_;
  QuickDraftsModel drafts_;
  bool happening_now_ = true;
  QString kind_;
  std::optional<std::int64_t> moment_ms_;
  ConsentChoice consent_;
  QString phone_;
  QString text_;
  QStringList snapshot_signals_;
  std::function<std::optional<wire::Location>()> location_source_;
  bool can_send_ = false;
  /// The car-store id of the open review's draft ("" while none is open).
  std::string draft_id_;
  QTimer save_timer_;
};

}  // namespace fb::ui
