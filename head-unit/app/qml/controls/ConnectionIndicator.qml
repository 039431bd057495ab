// Online / offline dot with its text.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

RowLayout {
    id: indicator

    required property bool online

    spacing: Theme.spacing

    Rectangle {
        Layout.preferredWidth: 18
        Layout.preferredHeight: 18
        radius: 9
        color: indicator.online ? Theme.ok : Theme.warning
    }
    Label {
        textFormat: Text.PlainText
        text: indicator.online ? qsTr("Online") : qsTr("Offline: reports stay queued")
        color: indicator.online ? Theme.text : Theme.warning
        font.pixelSize: Theme.fontBody
    }
}
