// Colours, sizes and fonts of the dashboard: a day and a night palette (DisplayMode.night picks
// one at run time), large touch targets, text readable at arm's length (no text under
// fontSmall, 20 px at the 1280x720 design size). Every text colour has a contrast of at least
// 4.5:1 on the surfaces it is drawn on (tests/head-unit-app/screenshots_test.cpp checks it); the
// night palette has no pure white, to spare the driver's eyes in the dark.
pragma Singleton
import QtQuick
import FeedbackUi

QtObject {
    readonly property bool night: DisplayMode.night

    // Surfaces, darkest (night) or lightest (day) first.
    readonly property color background: night ? "#0d1014" : "#eef1f5"
    readonly property color surface: night ? "#161b22" : "#ffffff"
    readonly property color surfaceRaised: night ? "#212833" : "#e4e9f0"
    readonly property color surfaceDisabled: night ? "#171b21" : "#eceff3"
    readonly property color pressed: night ? "#2c3644" : "#cdd6e2"
    readonly property color border: night ? "#3a4554" : "#aab5c3"
    // Text on the surfaces above.
    readonly property color text: night ? "#dfe5ec" : "#111820"
    readonly property color textDim: night ? "#a3adba" : "#4a5461"
    readonly property color textDisabled: night ? "#56606d" : "#9aa3ae"
    // The main action and the chosen item: accent with textOnAccent on it.
    readonly property color accent: night ? "#1f64c4" : "#0b57b8"
    readonly property color accentBright: night ? "#8ec2ff" : "#073f87"
    readonly property color textOnAccent: night ? "#eef3f8" : "#ffffff"
    // States, as text or borders on the surfaces.
    readonly property color ok: night ? "#3fc98f" : "#136b44"
    readonly property color warning: night ? "#f2ab45" : "#8f5300"
    readonly property color error: night ? "#ff7a7a" : "#b3261e"
    readonly property color info: night ? "#8ec2ff" : "#0b57b8"
    readonly property color inactive: night ? "#8c96a3" : "#5b6573"
    // The notification banner and its two kinds of text.
    readonly property color banner: night ? "#17457d" : "#0b4a9c"
    readonly property color bannerText: night ? "#eef3f8" : "#ffffff"
    readonly property color bannerTextDim: night ? "#b9d7ff" : "#d6e6ff"

    // The app's own cut of Noto Sans CJK SC (ui_fonts.hpp); other characters fall back to the system's.
    readonly property string fontFamily: "FB UI Sans"
    readonly property int fontSmall: 20
    readonly property int fontBody: 22
    readonly property int fontLarge: 26
    readonly property int fontTitle: 30

    readonly property int touchTarget: 80
    readonly property int spacing: 12
    readonly property int margin: 20
    readonly property int radius: 14

    readonly property var statusColors: ({
        "queued": textDim,
        "sent": info,
        "acknowledged": info,
        "received": ok,
        "in_progress": warning,
        "waiting_for_driver": warning,
        "appointment": warning,
        "resolved": ok,
        "closed": inactive,
        "rejected": error,
        "dropped": error
    })

    function statusColor(status) {
        const c = statusColors[status]
        return c === undefined ? textDim : c
    }
}
