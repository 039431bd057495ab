// Colours, sizes and fonts of the dashboard: dark, high contrast, large touch targets.
pragma Singleton
import QtQuick

QtObject {
    readonly property color background: "#0d1014"
    readonly property color surface: "#161b22"
    readonly property color surfaceRaised: "#212833"
    readonly property color surfaceDisabled: "#171b21"
    readonly property color pressed: "#2c3644"
    readonly property color border: "#2f3946"
    readonly property color text: "#f1f4f8"
    readonly property color textDim: "#9aa5b4"
    readonly property color textDisabled: "#56606d"
    readonly property color accent: "#2d8cff"
    readonly property color accentBright: "#7cb8ff"
    readonly property color textOnAccent: "#ffffff"
    readonly property color ok: "#35c48a"
    readonly property color warning: "#f2a93b"
    readonly property color error: "#ff6161"
    readonly property color banner: "#1e4f8c"

    readonly property string fontFamily: "Noto Sans CJK SC"
    readonly property int fontSmall: 18
    readonly property int fontBody: 22
    readonly property int fontLarge: 26
    readonly property int fontTitle: 30

    readonly property int touchTarget: 80
    readonly property int spacing: 12
    readonly property int margin: 20
    readonly property int radius: 14

    readonly property var statusColors: ({
        "queued": "#9aa5b4",
        "sent": "#7cb8ff",
        "acknowledged": "#2d8cff",
        "received": "#35c48a",
        "in_progress": "#f2a93b",
        "waiting_for_driver": "#f2a93b",
        "appointment": "#f2a93b",
        "resolved": "#35c48a",
        "closed": "#6f7a88",
        "rejected": "#ff6161",
        "dropped": "#ff6161"
    })

    function statusColor(status) {
        const c = statusColors[status]
        return c === undefined ? textDim : c
    }
}
