// Slides in with the title of a new notification; a tap closes it and marks it read.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    id: banner

    property string messageId: ""
    property string title: ""
    property string caseNumber: ""
    property bool shown: false

    implicitHeight: 104
    radius: Theme.radius
    color: Theme.banner
    border.color: Theme.bannerTextDim
    border.width: 2
    opacity: shown ? 1 : 0
    visible: opacity > 0
    y: shown ? Theme.spacing : -height

    Behavior on y { NumberAnimation { duration: 200 } }
    Behavior on opacity { NumberAnimation { duration: 200 } }

    RowLayout {
        anchors { fill: parent; leftMargin: Theme.margin; rightMargin: Theme.margin }
        spacing: Theme.margin

        ColumnLayout {
            Layout.fillWidth: true
            spacing: 2
            Label {
                Layout.fillWidth: true
                text: banner.title
                color: Theme.bannerText
                font.pixelSize: Theme.fontLarge
                font.bold: true
                elide: Text.ElideRight
            }
            Label {
                Layout.fillWidth: true
                text: banner.caseNumber
                visible: banner.caseNumber !== "" && banner.title.indexOf(banner.caseNumber) < 0
                color: Theme.bannerTextDim
                font.pixelSize: Theme.fontBody
            }
        }
        Label {
            text: qsTr("Tap to close")
            color: Theme.bannerTextDim
            font.pixelSize: Theme.fontSmall
        }
    }

    Timer {
        id: hideTimer
        interval: 10000
        onTriggered: banner.shown = false
    }

    TapHandler {
        onTapped: {
            FeedbackController.markRead(banner.messageId)
            banner.shown = false
        }
    }

    Connections {
        target: FeedbackController

        function onNotificationArrived(messageId, reportId, caseNumber, title, text) {
            banner.messageId = messageId
            banner.title = title
            banner.caseNumber = caseNumber
            banner.shown = true
            hideTimer.restart()
        }
    }
}
