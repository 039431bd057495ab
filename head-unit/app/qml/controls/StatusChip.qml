// A report's status as a coloured pill.
import QtQuick
import QtQuick.Controls
import FeedbackUi

Rectangle {
    id: chip

    required property string status

    implicitWidth: label.implicitWidth + 2 * Theme.spacing
    implicitHeight: label.implicitHeight + Theme.spacing / 2
    radius: height / 2
    color: "transparent"
    border.width: 2
    border.color: Theme.statusColor(chip.status)

    Label {
        textFormat: Text.PlainText
        id: label
        anchors.centerIn: parent
        text: Texts.status(chip.status)
        color: Theme.statusColor(chip.status)
        font.pixelSize: Theme.fontSmall
        font.bold: true
    }
}
