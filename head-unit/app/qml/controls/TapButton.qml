// A large touch button; `checked` marks the chosen one of a group, `accent` the main action.
import QtQuick
import QtQuick.Controls
import FeedbackUi

Button {
    id: control

    property bool accent: false

    implicitHeight: Theme.touchTarget
    implicitWidth: Math.max(Theme.touchTarget * 1.5, implicitContentWidth + 2 * Theme.margin)
    font.pixelSize: Theme.fontLarge
    focusPolicy: Qt.NoFocus
    leftPadding: Theme.spacing
    rightPadding: Theme.spacing

    contentItem: Label {
        textFormat: Text.PlainText
        text: control.text
        font: control.font
        color: !control.enabled ? Theme.textDisabled
              : (control.checked || control.accent) ? Theme.textOnAccent : Theme.text
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        wrapMode: Text.WordWrap
        maximumLineCount: 2
        lineHeight: 0.9
        elide: Text.ElideRight
    }

    background: Rectangle {
        radius: Theme.radius
        color: !control.enabled ? Theme.surfaceDisabled
              : control.down ? Theme.pressed
              : (control.checked || control.accent) ? Theme.accent : Theme.surfaceRaised
        border.color: control.checked ? Theme.accentBright : Theme.border
        border.width: control.checked ? 3 : 1
    }
}
