// The head unit's feedback app window: 1280x720 landscape dashboard.
import QtQuick
import QtQuick.Controls
import FeedbackUi

ApplicationWindow {
    id: window

    width: 1280
    height: 720
    visible: true
    /// Qt Virtual Keyboard is installed (set by main): the on-screen keyboard may be loaded.
    property bool virtualKeyboard: false
    /// A text field has had the focus: from then on the keyboard is loaded whenever the car is
    /// parked. Not before: the keyboard's module and layouts are a part of the app's start and
    /// memory, and a driver who only taps tiles never needs them. (Text fields hide while moving.)
    property bool keyboardWanted: false
    readonly property bool typing: activeFocusItem !== null && "cursorPosition" in activeFocusItem
    onTypingChanged: if (typing) keyboardWanted = true

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
        objectName: "keyboardLoader"
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
        z: 20
        active: window.virtualKeyboard && window.keyboardWanted && !FeedbackController.vehicleMoving
        source: "controls/KeyboardPanel.qml"
        onStatusChanged: {
            if (status === Loader.Error) {
                console.warn("Qt Virtual Keyboard does not load; no on-screen keyboard")
                window.virtualKeyboard = false
            }
        }
    }

    NotificationBanner {
        anchors.horizontalCenter: parent.horizontalCenter
        width: Math.min(parent.width - 2 * Theme.margin, 760)
        z: 10
    }
}
