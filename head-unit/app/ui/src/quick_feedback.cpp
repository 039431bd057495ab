#include "fb/ui/quick_feedback.hpp"

#include <algorithm>
#include <array>

#include "fb/common/vocabulary.hpp"

namespace fb::ui {
namespace {

using agent::ReportClass;

constexpr std::array kKinds = {
    QuickKind{"noise", wire::CATEGORY_NOISE, ReportClass::normal, true},
    QuickKind{"driving_feel", wire::CATEGORY_DRIVING_FEEL, ReportClass::normal, true},
    QuickKind{"brakes", wire::CATEGORY_BRAKES, ReportClass::safety, true},
    QuickKind{"warning_lamp", wire::CATEGORY_WARNING_LAMP, ReportClass::safety, true},
    QuickKind{"screen_voice", wire::CATEGORY_UI, ReportClass::normal, false},
    QuickKind{"climate", wire::CATEGORY_CLIMATE, ReportClass::normal, true},
    QuickKind{"service", wire::CATEGORY_SERVICE, ReportClass::normal, false},
    QuickKind{"idea", wire::CATEGORY_IDEA, ReportClass::low, false},
};

}  // namespace

std::span<const QuickKind> quick_kinds() { return kKinds; }

std::optional<QuickKind> quick_kind(std::string_view key) {
  const auto it = std::ranges::find(kKinds, key, &QuickKind::key);
  if (it == kKinds.end()) return std::nullopt;
  return *it;
}

std::string_view report_class_key(ReportClass c) {
  switch (c) {
    case ReportClass::low: return "low";
    case ReportClass::safety: return "safety";
    case ReportClass::normal: break;
  }
  return "normal";
}

int QuickFeedbackModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(kKinds.size());
}

QVariant QuickFeedbackModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rowCount()) return {};
  const auto& k = kKinds[static_cast<std::size_t>(index.row())];
  switch (role) {
    case KeyRole:
    case IconKeyRole:
    case Qt::DisplayRole: return QString::fromUtf8(k.key);
    case CategoryRole: return QString::fromUtf8(fb::to_string(k.category));
    case PriorityRole: return QString::fromUtf8(report_class_key(k.report_class));
    case NeedsTextRole: return false;
    case OffersSnapshotRole: return k.offers_snapshot;
    default: return {};
  }
}

QHash<int, QByteArray> QuickFeedbackModel::roleNames() const {
  return {{KeyRole, "key"},           {CategoryRole, "category"},   {IconKeyRole, "iconKey"},
          {PriorityRole, "priority"}, {NeedsTextRole, "needsText"}, {OffersSnapshotRole, "offersSnapshot"}};
}

QVariant QuickFeedbackModel::value(int row, const QString& role) const {
  const auto names = roleNames();
  for (auto it = names.begin(); it != names.end(); ++it) {
    if (it.value() == role.toUtf8()) return data(index(row), it.key());
  }
  return {};
}

}  // namespace fb::ui
