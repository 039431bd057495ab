// Quick feedback: the dashboard's large tiles for the common cases (noise, driving feel, brakes,
// a warning light, screen and voice, climate, service, an idea), each mapped to a wire category
// and an outbox class. A tile plus "Send" is a whole report: no text is needed for any of them.
//
// Each tile has its own wire category ("brakes" and "climate" since the wire has them; before,
// they went as driving_feel and ui); "brakes" is in the safety class. The tile's key is the
// label/icon key QML translates (Texts.quickKind()).
//
// quick_kinds()/quick_kind(): pure, thread-safe. QuickFeedbackModel: the Qt thread only.
#pragma once

#include <QAbstractListModel>
#include <optional>
#include <span>
#include <string_view>

#include "fb/agent/report_class.hpp"
#include "feedback.pb.h"

namespace fb::ui {

struct QuickKind {
  std::string_view key;  // "noise", "driving_feel", "brakes", "warning_lamp", "screen_voice", ...
  wire::Category category;
  agent::ReportClass report_class;
  /// A diagnostic snapshot is offered (and on by default): the car's signals tell about it.
  bool offers_snapshot;
};

/// Every tile, in the order the grid shows them.
std::span<const QuickKind> quick_kinds();
/// nullopt for an unknown key.
std::optional<QuickKind> quick_kind(std::string_view key);
/// "low", "normal" or "safety".
std::string_view report_class_key(agent::ReportClass c);

/// The tiles as a list model (not final: its QML registration derives from it). Roles: key, category (its wire category
/// key), iconKey (the key of its icon, the same as key), priority (report_class_key of its class), needsText (false:
/// every tile is a two-tap report), offersSnapshot.
class QuickFeedbackModel : public QAbstractListModel {
  Q_OBJECT
 public:
  enum Role { KeyRole = Qt::UserRole + 1, CategoryRole, IconKeyRole, PriorityRole, NeedsTextRole, OffersSnapshotRole };

  explicit QuickFeedbackModel(QObject* parent = nullptr) : QAbstractListModel(parent) {}

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;
  /// The value of a role (by its name) of a row, for tests and QML; invalid for a bad row.
  Q_INVOKABLE QVariant value(int row, const QString& role) const;
};

}  // namespace fb::ui
