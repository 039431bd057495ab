// One part of what goes with a report, on or off: a whole-row touch target with a title and a
// plain detail line (what exactly is attached).
import QtQuick
import QtQuick.Controls
import FeedbackUi

Switch {
    id: control

    property string detail: ""

    // A fixed implicit width: the labels wrap to the width the layout gives (no binding loop).
    implicitWidth: Theme.touchTarget * 4
    implicitHeight: Math.max(Theme.touchTarget, implicitContentHeight + topPadding + bottomPadding)
    font.pixelSize: Theme.fontBody
    focusPolicy: Qt.NoFocus
    spacing: Theme.spacing

    // The theme's colours, not the style's white handle (the night theme has no pure white).
    indicator: Rectangle {
        implicitWidth: 64
        implicitHeight: 32
        x: control.leftPadding
        y: control.topPadding + (control.availableHeight - height) / 2
        radius: height / 2
        color: control.checked ? Theme.accent : Theme.surfaceRaised
        border.color: control.checked ? Theme.accent : Theme.border
        opacity: control.enabled ? 1 : 0.5

        Rectangle {
            x: control.checked ? parent.width - width - 4 : 4
            anchors.verticalCenter: parent.verticalCenter
            width: 24
            height: 24
            radius: 12
            color: control.checked ? Theme.textOnAccent : Theme.textDim
        }
    }

    contentItem: Item {
        implicitHeight: children[0].implicitHeight  // the lines (no id: contentItem is a deferred property)

        Column {
            anchors.verticalCenter: parent.verticalCenter
            leftPadding: control.indicator.width + control.spacing
            spacing: 2

            Label {
                textFormat: Text.PlainText
                width: control.availableWidth - control.indicator.width - control.spacing
                text: control.text
                font: control.font
                color: control.enabled ? Theme.text : Theme.textDisabled
                wrapMode: Text.Wrap
                maximumLineCount: 2
                elide: Text.ElideRight
            }
            Label {
                textFormat: Text.PlainText
                width: control.availableWidth - control.indicator.width - control.spacing
                visible: control.detail !== ""
                text: control.detail
                font.pixelSize: Theme.fontSmall
                color: Theme.textDim
                wrapMode: Text.Wrap
                maximumLineCount: 2
                elide: Text.ElideRight
            }
        }
    }
}
