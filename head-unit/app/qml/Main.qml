// The head unit's feedback app window: 1280x720 landscape dashboard.
import QtQuick
import QtQuick.Controls
import FeedbackUi

ApplicationWindow {
    id: window

    width: 1280
    height: 720
    visible: true
    /// Qt Virtual Keyboard is installed (set by main): the on-screen keyboard is loaded.
    property bool virtualKeyboard: false

    title: qsTr("Feedback")
    color: Theme.background
    font.family: Theme.fontFamily
    font.pixelSize: Theme.fontBody

    header: TopBar {}
    footer: MessageBar {}

    DashboardView {
        anchors.fill: parent
    }

    // The on-screen keyboard, only while parked (typing is locked while driving).
    Loader {
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
        z: 20
        active: window.virtualKeyboard && !FeedbackController.vehicleMoving
        source: "controls/KeyboardPanel.qml"
    }

    NotificationBanner {
        anchors.horizontalCenter: parent.horizontalCenter
        width: Math.min(parent.width - 2 * Theme.margin, 760)
        z: 10
    }
}
