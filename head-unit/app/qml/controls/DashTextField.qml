// A one-line text field of the dashboard: a touch target high, in the theme's colours (no pure
// white at night), dimmed while disabled (typing is locked while the car moves).
import QtQuick
import QtQuick.Controls
import FeedbackUi

TextField {
    id: field

    implicitHeight: Theme.touchTarget
    font.pixelSize: Theme.fontBody
    color: Theme.text
    placeholderTextColor: Theme.textDim
    leftPadding: Theme.margin
    background: Rectangle {
        radius: Theme.radius
        color: field.enabled ? Theme.background : Theme.surfaceDisabled
        border.color: field.activeFocus ? Theme.accent : Theme.border
        border.width: field.activeFocus ? 2 : 1
    }
}
