// The details of one report in "My reports": its status timeline and what the driver may do
// now (reply, "not fixed" to reopen, rate the outcome). Which actions show comes from C++ (the
// report's canReply, canReopen, canRate roles); typing is locked while the car moves.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

ColumnLayout {
    id: details

    property string reportId
    property bool canReply: false
    property bool canReopen: false
    property bool canRate: false
    property bool reopenPending: false
    property int score: 0

    spacing: Theme.spacing / 2

    Label {
        text: qsTr("Timeline")
        color: Theme.text
        font.pixelSize: Theme.fontLarge
        font.bold: true
    }
    Repeater {
        model: FeedbackController.timeline
        delegate: TimelineEntry {
            Layout.fillWidth: true
        }
    }

    // Reply to the service team.
    RowLayout {
        Layout.fillWidth: true
        visible: details.canReply
        spacing: Theme.spacing
        TextField {
            id: replyText
            Layout.fillWidth: true
            enabled: !FeedbackController.vehicleMoving
            placeholderText: FeedbackController.vehicleMoving ? qsTr("Replies can be typed when parked")
                                                              : qsTr("Reply to the service team")
            font.pixelSize: Theme.fontBody
        }
        TapButton {
            text: qsTr("Reply")
            accent: true
            enabled: replyText.text.trim() !== "" && !FeedbackController.vehicleMoving
            onClicked: {
                if (FeedbackController.reply(details.reportId, replyText.text))
                    replyText.clear()
            }
        }
    }

    // Rate the outcome, 1 to 5, with an optional comment.
    ColumnLayout {
        Layout.fillWidth: true
        visible: details.canRate
        spacing: Theme.spacing / 2
        Label {
            Layout.fillWidth: true
            text: qsTr("How well was it solved? Rate 1 to 5")
            color: Theme.text
            font.pixelSize: Theme.fontBody
            wrapMode: Text.Wrap
        }
        RowLayout {
            spacing: Theme.spacing / 2
            Repeater {
                model: 5
                delegate: TapButton {
                    required property int index
                    text: String(index + 1)
                    checkable: true
                    checked: details.score === index + 1
                    onClicked: details.score = index + 1
                }
            }
        }
        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.spacing
            TextField {
                id: rateComment
                Layout.fillWidth: true
                enabled: !FeedbackController.vehicleMoving
                placeholderText: qsTr("Comment (optional)")
                font.pixelSize: Theme.fontBody
            }
            TapButton {
                text: qsTr("Rate")
                accent: true
                enabled: details.score > 0
                onClicked: FeedbackController.rate(details.reportId, details.score, rateComment.text)
            }
        }
    }

    // "Not fixed": reopen a resolved or closed case.
    RowLayout {
        Layout.fillWidth: true
        visible: details.canReopen || details.reopenPending
        spacing: Theme.spacing
        TextField {
            id: reopenReason
            Layout.fillWidth: true
            visible: details.canReopen
            enabled: !FeedbackController.vehicleMoving
            placeholderText: qsTr("What is still wrong? (optional)")
            font.pixelSize: Theme.fontBody
        }
        TapButton {
            visible: details.canReopen
            text: qsTr("Not fixed: reopen")
            onClicked: FeedbackController.reopen(details.reportId, reopenReason.text)
        }
        Label {
            Layout.fillWidth: true
            visible: details.reopenPending
            text: qsTr("Reopen asked, waiting for the service team")
            color: Theme.warning
            font.pixelSize: Theme.fontBody
            wrapMode: Text.Wrap
        }
    }
}
