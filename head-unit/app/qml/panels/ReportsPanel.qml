// "My reports": the driver's reports with their latest status, newest first.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    color: Theme.surface
    radius: Theme.radius

    ColumnLayout {
        anchors { fill: parent; margins: Theme.margin }
        spacing: Theme.margin

        Label {
            textFormat: Text.PlainText
            text: qsTr("My reports")
            font.pixelSize: Theme.fontTitle
            font.bold: true
            color: Theme.text
        }

        ListView {
            id: list
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: Theme.spacing
            model: FeedbackController.reports
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}

            delegate: ReportCard {
                width: ListView.view.width
            }

            Label {
                textFormat: Text.PlainText
                anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter }
                visible: list.count === 0
                text: qsTr("No reports yet. What you send and the service team's answers appear here.")
                color: Theme.textDim
                font.pixelSize: Theme.fontBody
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
            }
        }
    }
}
