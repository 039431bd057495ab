// The app's own font, FB UI Sans: Noto Sans CJK SC cut down to the characters of the app's texts
// at build time (head-unit/app/fonts/subset_ui_font.py), embedded at :/fonts/. Theme.fontFamily
// names it; a character it lacks (a driver's or a service team's text) is drawn from the system's
// Noto Sans CJK SC (a font substitution), with the same glyphs and metrics.
//
// Threads: the Qt (GUI) thread, after QGuiApplication exists and before QML loads.
#pragma once

namespace fb::ui::qml {

/// The family name Theme.fontFamily uses.
inline constexpr const char* kUiFontFamily = "FB UI Sans";

/// Registers both weights with QFontDatabase, and Noto Sans CJK SC as the family's substitute for
/// the characters it lacks. False when one does not load (the app still runs: Qt then draws
/// every text from the system's fonts). Idempotent.
bool load_ui_fonts();

}  // namespace fb::ui::qml
