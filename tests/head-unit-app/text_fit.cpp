#include "text_fit.hpp"

#include <QFont>
#include <QQmlContext>
#include <QQmlEngine>
#include <QQuickItem>
#include <QRectF>
#include <QRegularExpression>
#include <QStringList>

namespace fb::test {
namespace {

constexpr double kTolerance = 1.0;  // px: font metrics are rounded

// Qt::Alignment values of Text.horizontalAlignment / verticalAlignment.
constexpr int kAlignRight = 0x2;
constexpr int kAlignHCenter = 0x4;
constexpr int kAlignBottom = 0x40;
constexpr int kAlignVCenter = 0x80;

double number(const QObject& o, const char* name) { return o.property(name).toDouble(); }

/// The id of `o` in its QML file, else its objectName, else its type (without QML's suffixes).
QString name_of(const QObject& o) {
  if (const auto* context = qmlContext(&o)) {
    if (auto id = context->nameForObject(&o); !id.isEmpty()) return id;
  }
  if (!o.objectName().isEmpty()) return o.objectName();
  // "[_]" rather than "_": lint.sh's reserved-identifier grep reads the pattern as a name.
  static const QRegularExpression suffix(QStringLiteral("[_]QML(TYPE)?_\\d+$"));
  QString type = QString::fromLatin1(o.metaObject()->className()).remove(suffix);
  if (type.startsWith(QLatin1String("QQuick"))) type = type.mid(6);
  return type;
}

QString path_of(const QQuickItem& item) {
  QStringList parts;
  for (const QQuickItem* i = &item; i; i = i->parentItem()) parts.prepend(name_of(*i));
  return parts.join(QLatin1Char('/'));
}

bool shown(const QQuickItem& item) {
  if (!item.isVisible()) return false;  // the effective visibility: every ancestor too
  for (const QQuickItem* i = &item; i; i = i->parentItem()) {
    if (i->opacity() <= 0) return false;
  }
  return true;
}

/// The box a text must stay inside: its nearest ancestor that draws one.
const QQuickItem* control_of(const QQuickItem& text) {
  const QQuickItem* last = &text;
  for (const QQuickItem* i = text.parentItem(); i; i = i->parentItem()) {
    if (i->inherits("QQuickControl") || i->inherits("QQuickRectangle") || i->inherits("QQuickTextInput") ||
        i->inherits("QQuickTextEdit")) {
      return i;
    }
    last = i;
  }
  return last;  // the root
}

/// Where the text's glyphs are, in its own coordinates (its content placed by its alignment).
QRectF painted_rect(const QQuickItem& text) {
  const double left = number(text, "leftPadding");
  const double right = number(text, "rightPadding");
  const double top = number(text, "topPadding");
  const double bottom = number(text, "bottomPadding");
  const double w = number(text, "contentWidth");
  const double h = number(text, "contentHeight");
  const double free_x = text.width() - left - right - w;
  const double free_y = text.height() - top - bottom - h;
  const int h_align = text.property("horizontalAlignment").toInt();
  const int v_align = text.property("verticalAlignment").toInt();
  const double x = left + (h_align & kAlignRight ? free_x : h_align & kAlignHCenter ? free_x / 2 : 0);
  const double y = top + (v_align & kAlignBottom ? free_y : v_align & kAlignVCenter ? free_y / 2 : 0);
  return {x, y, w, h};
}

void check_text(const QQuickItem& text, std::vector<std::string>& problems) {
  const QString content = text.property("text").toString();
  if (content.trimmed().isEmpty() || !shown(text)) return;
  auto report = [&](const QString& what) {
    problems.push_back(QStringLiteral("%1: %2: \"%3\"").arg(path_of(text), what, content.left(120)).toStdString());
  };
  if (text.property("truncated").toBool()) report(QStringLiteral("elided (truncated)"));
  const QRectF painted = painted_rect(text);
  const double box_w = text.width() - number(text, "leftPadding") - number(text, "rightPadding");
  const double box_h = text.height() - number(text, "topPadding") - number(text, "bottomPadding");
  if (painted.width() > box_w + kTolerance) {
    report(QStringLiteral("wider than its box (%1 px in %2 px)").arg(painted.width()).arg(box_w));
  }
  if (painted.height() > box_h + kTolerance) {
    report(QStringLiteral("taller than its box (%1 px in %2 px)").arg(painted.height()).arg(box_h));
  }
  if (const auto* control = control_of(text)) {
    const QRectF in_control = text.mapRectToItem(control, painted);
    const QRectF bounds(0, 0, control->width(), control->height());
    if (!bounds.adjusted(-kTolerance, -kTolerance, kTolerance, kTolerance).contains(in_control)) {
      report(QStringLiteral("outside its control %1 (text at %2,%3 %4x%5 in %6x%7)")
                 .arg(path_of(*control))
                 .arg(in_control.x())
                 .arg(in_control.y())
                 .arg(in_control.width())
                 .arg(in_control.height())
                 .arg(control->width())
                 .arg(control->height()));
    }
  }
  if (const int px = text.property("font").value<QFont>().pixelSize(); px > 0 && px < kMinPixelSize) {
    report(QStringLiteral("%1 px, below the readable %2 px").arg(px).arg(kMinPixelSize));
  }
}

void walk(const QQuickItem& item, std::vector<std::string>& problems) {
  if (item.inherits("QQuickText")) check_text(item, problems);
  for (const auto* child : item.childItems()) walk(*child, problems);
}

bool interactive(const QQuickItem& item) {
  return item.inherits("QQuickAbstractButton") || item.inherits("QQuickTextField") || item.inherits("QQuickTextArea") ||
         item.inherits("QQuickComboBox") || item.inherits("QQuickSlider");
}

/// Where `item` can be seen, in scene coordinates: its box cut by every ancestor that clips.
QRectF visible_rect(const QQuickItem& item) {
  QRectF r = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()));
  for (const QQuickItem* i = item.parentItem(); i; i = i->parentItem()) {
    if (i->clip()) r = r.intersected(i->mapRectToScene(QRectF(0, 0, i->width(), i->height())));
  }
  return r;
}

bool is_ancestor(const QQuickItem& a, const QQuickItem& b) {
  for (const QQuickItem* i = b.parentItem(); i; i = i->parentItem()) {
    if (i == &a) return true;
  }
  return false;
}

void collect_interactive(const QQuickItem& item, std::vector<const QQuickItem*>& out) {
  if (!shown(item)) return;
  if (interactive(item)) out.push_back(&item);
  for (const auto* child : item.childItems()) collect_interactive(*child, out);
}

QString rect_text(const QRectF& r) {
  return QStringLiteral("%1,%2 %3x%4").arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height());
}

}  // namespace

std::vector<std::string> overlap_problems(QQuickItem& root) {
  std::vector<const QQuickItem*> controls;
  collect_interactive(root, controls);
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < controls.size(); ++i) {
    const QRectF a = visible_rect(*controls[i]);
    if (a.isEmpty()) continue;
    for (std::size_t j = i + 1; j < controls.size(); ++j) {
      if (is_ancestor(*controls[i], *controls[j]) || is_ancestor(*controls[j], *controls[i])) continue;
      const QRectF b = visible_rect(*controls[j]);
      const QRectF both = a.intersected(b);
      if (both.width() > kTolerance && both.height() > kTolerance) {
        problems.push_back(QStringLiteral("%1 (at %2) overlaps %3 (at %4)")
                               .arg(path_of(*controls[i]), rect_text(a), path_of(*controls[j]), rect_text(b))
                               .toStdString());
      }
    }
  }
  return problems;
}

std::vector<std::string> touch_problems(QQuickItem& root, double min_px) {
  std::vector<const QQuickItem*> controls;
  collect_interactive(root, controls);
  std::vector<std::string> problems;
  for (const auto* c : controls) {
    if (c->width() <= 0 || c->height() <= 0) continue;  // laid out to nothing: not shown
    if (c->height() + kTolerance < min_px || c->width() + kTolerance < min_px) {
      problems.push_back(QStringLiteral("%1 is %2x%3, under the %4 px touch target")
                             .arg(path_of(*c))
                             .arg(c->width())
                             .arg(c->height())
                             .arg(min_px)
                             .toStdString());
    }
    // A layout given less room than its minimum lays its last controls out past its panel's
    // edge (under the next panel or off the screen), without squeezing them.
    if (const auto* box = control_of(*c)) {
      const QRectF in_box = c->mapRectToItem(box, QRectF(0, 0, c->width(), c->height()));
      const QRectF bounds(0, 0, box->width(), box->height());
      if (!bounds.adjusted(-kTolerance, -kTolerance, kTolerance, kTolerance).contains(in_box)) {
        problems.push_back(QStringLiteral("%1 (at %2) lies outside %3 (%4x%5)")
                               .arg(path_of(*c), rect_text(in_box), path_of(*box))
                               .arg(box->width())
                               .arg(box->height())
                               .toStdString());
      }
    }
  }
  return problems;
}

std::vector<std::string> text_problems(QQuickItem& root) {
  std::vector<std::string> problems;
  walk(root, problems);
  return problems;
}

}  // namespace fb::test
