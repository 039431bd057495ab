// The one screen: quick feedback (and the free composer behind it) on the left, My reports on the right.
import QtQuick
import QtQuick.Layouts
import FeedbackUi

Item {
    RowLayout {
        anchors { fill: parent; margins: Theme.margin }
        spacing: Theme.margin

        QuickPanel {
            Layout.fillHeight: true
            Layout.preferredWidth: 580
        }
        ReportsPanel {
            Layout.fillHeight: true
            Layout.fillWidth: true
        }
    }
}
