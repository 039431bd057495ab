// One row of "My reports": category, status, case number, the driver's text, the team and
// the latest answer; below them the report's service visit, its survey and "Call me".
// Its properties are the ReportsModel roles.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    id: card

    required property string category
    required property string text
    required property string status
    required property string caseNumber
    required property string team
    required property string lastTitle
    required property string lastText
    required property string rejectReason
    required property string dropReason
    required property double createdMs
    required property string reportId
    required property string visitId
    required property string visitStage
    required property var visitSlots
    required property var visitBooked
    required property double visitReadyAtMs
    required property string visitReadyAtText
    required property var visitEstimate
    required property var visitExtraCost
    required property bool visitApprovalOpen
    required property bool visitReminder
    required property bool visitQualityFailed
    required property string visitPending
    required property string callbackState
    required property string callbackAgent
    required property string callbackOutcome
    required property bool callbackOpen
    required property string surveyRequestId
    required property bool surveyAnswered
    required property bool canReply
    required property bool canReopen
    required property bool canRate
    required property bool reopenPending
    readonly property bool selected: FeedbackController.selectedReport === card.reportId

    implicitHeight: content.implicitHeight + 2 * Theme.margin
    radius: Theme.radius
    color: Theme.surfaceRaised
    border.color: Theme.border

    ColumnLayout {
        id: content
        anchors { left: parent.left; right: parent.right; top: parent.top; margins: Theme.margin }
        spacing: Theme.spacing / 2

        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.spacing

            Label {
                textFormat: Text.PlainText
                text: Texts.category(card.category)
                font.pixelSize: Theme.fontLarge
                font.bold: true
                color: Theme.text
            }
            StatusChip {
                status: card.status
            }
            Item { Layout.fillWidth: true }
            Label {
                textFormat: Text.PlainText
                visible: card.caseNumber !== ""
                text: card.caseNumber
                font.pixelSize: Theme.fontBody
                font.bold: true
                color: Theme.accentBright
            }
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            text: card.text !== "" ? card.text : qsTr("(quick tap, no text)")
            color: card.text !== "" ? Theme.text : Theme.textDim
            font.pixelSize: Theme.fontBody
            wrapMode: Text.Wrap
            maximumLineCount: 2
            elide: Text.ElideRight
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: card.lastTitle !== "" || card.lastText !== ""
            text: card.lastTitle !== "" && card.lastText !== "" ? card.lastTitle + " · " + card.lastText
                                                               : card.lastTitle + card.lastText
            color: Theme.ok
            font.pixelSize: Theme.fontBody
            wrapMode: Text.Wrap
            maximumLineCount: 3
            elide: Text.ElideRight
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: card.rejectReason !== ""
            text: qsTr("Not accepted: %1").arg(Texts.rejectReason(card.rejectReason))
            color: Theme.error
            font.pixelSize: Theme.fontSmall
            wrapMode: Text.Wrap
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: card.dropReason !== ""
            text: qsTr("Not sent: %1").arg(Texts.dropReason(card.dropReason))
            color: Theme.error
            font.pixelSize: Theme.fontSmall
            wrapMode: Text.Wrap
        }
        VisitCard {
            Layout.fillWidth: true
            visible: card.visitId !== ""
            visitId: card.visitId
            stage: card.visitStage
            slots: card.visitSlots
            booked: card.visitBooked
            readyAtMs: card.visitReadyAtMs
            readyAtText: card.visitReadyAtText
            estimate: card.visitEstimate
            extraCost: card.visitExtraCost
            approvalOpen: card.visitApprovalOpen
            reminder: card.visitReminder
            qualityFailed: card.visitQualityFailed
            pending: card.visitPending
        }
        SurveyCard {
            Layout.fillWidth: true
            visible: card.surveyRequestId !== ""
            requestId: card.surveyRequestId
            answered: card.surveyAnswered
        }
        CallbackLine {
            Layout.fillWidth: true
            visible: card.caseNumber !== "" && card.status !== "rejected"
            reportId: card.reportId
            callbackState: card.callbackState
            agent: card.callbackAgent
            outcome: card.callbackOutcome
            open: card.callbackOpen
        }
        ReportDetails {
            Layout.fillWidth: true
            visible: card.selected
            reportId: card.reportId
            canReply: card.canReply
            canReopen: card.canReopen
            canRate: card.canRate
            reopenPending: card.reopenPending
        }
        RowLayout {
            Layout.fillWidth: true
            TapButton {
                text: card.selected ? qsTr("Hide details") : qsTr("Details")
                onClicked: FeedbackController.selectReport(card.selected ? "" : card.reportId)
            }
            Label {
                textFormat: Text.PlainText
                text: Qt.formatDateTime(new Date(card.createdMs), "yyyy-MM-dd hh:mm")
                color: Theme.textDim
                font.pixelSize: Theme.fontSmall
            }
            Item { Layout.fillWidth: true }
            Label {
                textFormat: Text.PlainText
                visible: card.team !== ""
                text: qsTr("Team: %1").arg(card.team)
                color: Theme.textDim
                font.pixelSize: Theme.fontSmall
            }
        }
    }
}
