// The screenshot test's text check: walks a rendered item tree and reports every visible text
// (QQuickText: Text, Label, a control's label, a placeholder) that
//  - is elided or cut to its maximum line count (`truncated`),
//  - is wider or taller than its own box (its layout gave it less than it needs, or a wrapped
//    word is longer than the line),
//  - is painted outside its control: the nearest enclosing Control, Rectangle, text field or,
//    at the top, the window's content item,
//  - or is smaller than kMinPixelSize (readable at arm's length).
// Each problem is one line: the object's path (ids, object names, or type names), what is
// wrong, and the text. Uses public Qt API only (properties by name).
//
// Threads: the Qt (GUI) thread, after the window has rendered (layouts polished).
#pragma once

#include <string>
#include <vector>

class QQuickItem;

namespace fb::test {

/// The least pixel size of any text on the dashboard (Theme.fontSmall).
inline constexpr int kMinPixelSize = 20;

/// The problems found under `root` (included), in tree order; empty when every text fits.
std::vector<std::string> text_problems(QQuickItem& root);

/// Interactive controls that overlap: every pair of shown buttons (AbstractButton: Button,
/// Switch, CheckBox, ...), text fields and text areas under `root` whose visible rectangles
/// (each clipped by its clipping ancestors, in scene coordinates) intersect by more than a
/// pixel both ways, neither inside the other. A tap there could hit either one. Each problem
/// names both objects' paths and the rectangles.
std::vector<std::string> overlap_problems(QQuickItem& root);

/// The least size of a touch target anywhere on the dashboard: about 10 mm on a 10.25-inch
/// 1280x720 screen (143 ppi). The app's tiles and buttons aim for Theme.touchTarget (80 px); the
/// quick tiles go down to this only while parked, to make room for a draft's line.
inline constexpr double kMinTouchPx = 56;

/// Shown interactive controls (as overlap_problems counts them) narrower or lower than `min_px`
/// (a layout squeezed them below what a finger can hit while the car moves), or laid out past the
/// edge of the box they are in (their nearest enclosing Control or Rectangle: a layout that ran
/// out of room). One line each.
std::vector<std::string> touch_problems(QQuickItem& root, double min_px = kMinTouchPx);

}  // namespace fb::test
