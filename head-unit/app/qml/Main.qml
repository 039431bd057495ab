// The head unit's feedback app window: 1280x720 landscape dashboard.
// Its first frame is the window and the app's name in plain Qt Quick, which is all it needs to
// load; the dashboard (AppShell.qml, with Qt Quick Controls) is built right after that frame has
// been presented, so the screen lights up before the UI is ready. `ready` says when it is.
import QtQuick
import FeedbackUi

Window {
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
    /// The dashboard is built and shown in the next frame.
    readonly property bool ready: shell.status === Loader.Ready

    title: qsTr("Feedback")
    color: Theme.background

    FirstFrame {
        id: firstFrame
        window: window
    }

    // What the first frame shows: the top bar's place and the app's name.
    Rectangle {
        visible: !window.ready
        width: parent.width
        height: 76
        color: Theme.surface

        Text {
            textFormat: Text.PlainText
            anchors { left: parent.left; leftMargin: Theme.margin; verticalCenter: parent.verticalCenter }
            text: window.title
            font.family: Theme.fontFamily
            font.pixelSize: Theme.fontTitle
            font.bold: true
            color: Theme.text
        }
    }

    Loader {
        id: shell
        objectName: "shellLoader"
        anchors.fill: parent
        active: firstFrame.shown
        source: "AppShell.qml"
        // As a Main.qml that does not load: the app stops with the QML errors logged above.
        onStatusChanged: {
            if (status === Loader.Error) {
                console.error("the dashboard (AppShell.qml) does not load")
                Qt.exit(2)
            }
        }
    }

    // The on-screen keyboard, only while parked (typing is locked while driving).
    Loader {
        objectName: "keyboardLoader"
        // Above the problems line, as in the dashboard's content area.
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
        anchors.bottomMargin: shell.item ? (shell.item as AppShell).footer.height : 0
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
}
