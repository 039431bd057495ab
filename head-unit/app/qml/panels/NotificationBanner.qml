// Slides in with the banner FeedbackController.banners shows (the title of a new notification;
// while driving, only urgent safety guidance, with its text); a tap closes it and marks it read,
// and the next one waiting follows. A non-urgent banner closes itself after 10 s.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    id: banner

    readonly property BannerQueue queue: FeedbackController.banners
    readonly property string messageId: queue.messageId
    readonly property string title: queue.title
    readonly property string caseNumber: queue.caseNumber
    readonly property bool shown: queue.showing

    // Grows for an urgent banner's text (title, two lines, case number) rather than cutting it.
    implicitHeight: Math.max(104, lines.implicitHeight + 2 * Theme.spacing)
    radius: Theme.radius
    color: Theme.banner
    border.color: banner.queue.urgent ? Theme.error : Theme.bannerTextDim
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
            id: lines
            Layout.fillWidth: true
            spacing: 2
            Label {
                textFormat: Text.PlainText
                Layout.fillWidth: true
                text: banner.title
                color: Theme.bannerText
                font.pixelSize: Theme.fontLarge
                font.bold: true
                elide: Text.ElideRight
            }
            Label {
                textFormat: Text.PlainText
                Layout.fillWidth: true
                text: banner.queue.text
                visible: banner.queue.urgent && text !== ""
                color: Theme.textOnAccent
                font.pixelSize: Theme.fontBody
                wrapMode: Text.Wrap
                maximumLineCount: 2
                elide: Text.ElideRight
            }
            Label {
                textFormat: Text.PlainText
                Layout.fillWidth: true
                text: banner.caseNumber
                visible: banner.caseNumber !== "" && banner.title.indexOf(banner.caseNumber) < 0
                color: Theme.bannerTextDim
                font.pixelSize: Theme.fontBody
            }
        }
        Label {
            textFormat: Text.PlainText
            text: qsTr("Tap to close")
            color: Theme.bannerTextDim
            font.pixelSize: Theme.fontSmall
        }
    }

    Timer {
        id: hideTimer
        interval: 10000
        onTriggered: banner.queue.dismiss()
    }

    TapHandler {
        onTapped: {
            FeedbackController.markRead(banner.messageId)
            banner.queue.dismiss()
        }
    }

    Connections {
        target: banner.queue

        function onCurrentChanged() {
            if (banner.shown && !banner.queue.urgent)
                hideTimer.restart()
            else
                hideTimer.stop()
        }
    }
}
