// The free composer (ComposePanel) under a way back to the quick tiles; QuickPanel loads it the
// first time the driver picks "Something else".
import QtQuick
import QtQuick.Layouts
import FeedbackUi

ColumnLayout {
    id: page

    /// The driver wants the tiles again.
    signal back

    spacing: Theme.spacing

    TapButton {
        objectName: "describeBack"
        font.pixelSize: Theme.fontBody
        text: qsTr("Back to quick feedback")
        onClicked: page.back()
    }
    ComposePanel {
        Layout.fillWidth: true
        Layout.fillHeight: true
    }
}
