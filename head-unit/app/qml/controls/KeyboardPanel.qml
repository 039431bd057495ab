// The on-screen keyboard (Qt Virtual Keyboard). Loaded by Main.qml only where the module is
// installed and only while the car is parked; it shows while a text field has the focus.
// Its keys cover the lower half of the screen, and so often the field being typed in: the line
// above them echoes that field's text (its end, where the cursor usually is).
import QtQuick
import QtQuick.VirtualKeyboard
import FeedbackUi

Column {
    id: keyboard

    /// The keys are showing (a text field has the focus).
    readonly property bool active: keys.active
    /// The focused text field, or null.
    readonly property var field: Window.activeFocusItem !== null && "cursorPosition" in Window.activeFocusItem
                                 ? Window.activeFocusItem : null
    readonly property string fieldText: field !== null ? String(field.text) : ""

    visible: active

    Rectangle {
        objectName: "typingEcho"
        width: keyboard.width
        height: Theme.touchTarget
        visible: keyboard.field !== null
        color: Theme.surfaceRaised
        border.color: Theme.accent

        Text {
            textFormat: Text.PlainText
            objectName: "typingEchoText"
            anchors { fill: parent; leftMargin: Theme.margin; rightMargin: Theme.margin }
            verticalAlignment: Text.AlignVCenter
            text: keyboard.fieldText !== "" ? keyboard.fieldText
                                            : keyboard.field !== null ? String(keyboard.field.placeholderText ?? "") : ""
            color: keyboard.fieldText !== "" ? Theme.text : Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.fontBody
            elide: Text.ElideLeft
        }
    }

    InputPanel {
        id: keys
        width: keyboard.width
    }
}
