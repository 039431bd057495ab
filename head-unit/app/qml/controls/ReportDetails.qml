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
    /// The reply handed to the agent: the field is cleared once the agent has queued it (a
    /// refused reply stays to be sent again), unless the driver typed on meanwhile.
    property string sentReply: ""

    spacing: Theme.spacing / 2

    Label {
        textFormat: Text.PlainText
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
        DashTextField {
            id: replyText
            objectName: "replyText"
            Layout.fillWidth: true
            enabled: !FeedbackController.vehicleMoving
            maximumLength: 1000  // kMaxReplyChars: a longer reply would be refused
            placeholderText: FeedbackController.vehicleMoving ? qsTr("Replies can be typed when parked")
                                                              : qsTr("Reply to the service team")
        }
        TapButton {
            objectName: "replySend"
            text: qsTr("Reply")
            accent: true
            enabled: replyText.text.trim() !== "" && !FeedbackController.vehicleMoving
            onClicked: {
                details.sentReply = replyText.text
                FeedbackController.reply(details.reportId, replyText.text)
            }
        }
    }

    // Rate the outcome, 1 to 5, with an optional comment.
    ColumnLayout {
        Layout.fillWidth: true
        visible: details.canRate
        spacing: Theme.spacing / 2
        Label {
            textFormat: Text.PlainText
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
                    checked: details.score === index + 1
                    onClicked: details.score = index + 1
                }
            }
        }
        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.spacing
            DashTextField {
                id: rateComment
                Layout.fillWidth: true
                enabled: !FeedbackController.vehicleMoving
                maximumLength: 1000
                placeholderText: qsTr("Comment (optional)")
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
        DashTextField {
            id: reopenReason
            Layout.fillWidth: true
            visible: details.canReopen
            enabled: !FeedbackController.vehicleMoving
            maximumLength: 500  // kMaxReopenReasonChars
            placeholderText: qsTr("What is still wrong? (optional)")
        }
        TapButton {
            visible: details.canReopen
            text: qsTr("Not fixed: reopen")
            onClicked: FeedbackController.reopen(details.reportId, reopenReason.text)
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: details.reopenPending
            text: qsTr("Reopen asked, waiting for the service team")
            color: Theme.warning
            font.pixelSize: Theme.fontBody
            wrapMode: Text.Wrap
        }
    }

    Connections {
        target: FeedbackController

        function onAnswerDone(kind, id, ok, error) {
            if (kind === "reply" && id === details.reportId && ok && replyText.text === details.sentReply)
                replyText.clear()
        }
    }
}
