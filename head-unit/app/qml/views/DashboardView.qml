// The one screen: compose on the left, My reports on the right.
import QtQuick
import QtQuick.Layouts
import FeedbackUi

Item {
    RowLayout {
        anchors { fill: parent; margins: Theme.margin }
        spacing: Theme.margin

        ComposePanel {
            Layout.fillHeight: true
            Layout.preferredWidth: 580
        }
        ReportsPanel {
            Layout.fillHeight: true
            Layout.fillWidth: true
        }
    }
}
