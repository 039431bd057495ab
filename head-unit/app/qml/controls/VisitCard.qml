// A report's service visit: the slots offered (pick, decline, other times), the booked visit and
// its reminder, the stage timeline with the expected ready time, and the extra-cost prompt.
// Its properties are ReportsModel roles; every answer goes to FeedbackController.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    id: card

    property string visitId
    property string stage
    property var slots: []
    property var booked: ({})
    property double readyAtMs: 0
    // On the service region's clock, as the visit's notification text says it (ReportsModel).
    property string readyAtText
    property var estimate: ({})
    property var extraCost: ({})
    property bool approvalOpen: false
    property bool reminder: false
    property bool qualityFailed: false
    property string pending

    readonly property bool answering: card.pending !== ""
    // A JS array: QStringList has no indexOf for qmllint.
    readonly property var stages: FeedbackController.visitStages
    readonly property int stageIndex: card.stages.indexOf(card.stage)

    function money(m) { return m && m.minor !== undefined ? (m.minor / 100).toFixed(2) + " " + m.currency : "" }
    function slotText(s) { return s.dealerName + " · " + s.startText + (s.work !== "" ? " · " + s.work : "") }

    implicitHeight: content.implicitHeight + 2 * Theme.spacing
    radius: Theme.radius
    color: Theme.surface
    border.color: Theme.border

    ColumnLayout {
        id: content
        anchors { left: parent.left; right: parent.right; top: parent.top; margins: Theme.spacing }
        spacing: Theme.spacing / 2

        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            text: qsTr("Service visit") + " · " + Texts.visitStage(card.stage)
            font.pixelSize: Theme.fontBody
            font.bold: true
            color: Theme.text
            wrapMode: Text.Wrap
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: card.answering
            text: Texts.visitPending(card.pending)
            color: Theme.warning
            font.pixelSize: Theme.fontSmall
        }

        // The extra cost the dealer asks the driver to approve: first, it holds the repair up.
        Rectangle {
            Layout.fillWidth: true
            visible: card.approvalOpen
            implicitHeight: extra.implicitHeight + 2 * Theme.spacing
            radius: Theme.radius
            color: "transparent"
            border.color: Theme.warning
            border.width: 2
            ColumnLayout {
                id: extra
                anchors { left: parent.left; right: parent.right; top: parent.top; margins: Theme.spacing }
                Label {
                    textFormat: Text.PlainText
                    Layout.fillWidth: true
                    text: qsTr("Extra cost needs your approval: %1").arg(card.money(card.extraCost))
                    color: Theme.warning
                    font.pixelSize: Theme.fontBody
                    font.bold: true
                    wrapMode: Text.Wrap
                }
                Label {
                    textFormat: Text.PlainText
                    Layout.fillWidth: true
                    text: card.extraCost.reason !== undefined ? card.extraCost.reason : ""
                    color: Theme.text
                    font.pixelSize: Theme.fontSmall
                    wrapMode: Text.Wrap
                }
                RowLayout {
                    spacing: Theme.spacing
                    TapButton {
                        text: qsTr("Approve")
                        accent: true
                        onClicked: FeedbackController.approveExtra(card.visitId, card.extraCost.approvalId)
                    }
                    TapButton {
                        text: qsTr("Refuse")
                        onClicked: FeedbackController.refuseExtra(card.visitId, card.extraCost.approvalId, "")
                    }
                }
            }
        }

        // The slots offered, one row each. Not a RowLayout per slot: its wrapping label's height
        // was taken before its width was known, so the rows came out shorter or taller than
        // their content and a row's Pick button overlapped the next one's (seen in the
        // screenshots; the screenshot test now fails on overlapping controls). Here the label's
        // width is fixed by anchors first, and the row is as tall as the taller of the two.
        Repeater {
            model: card.stage === "proposed" ? card.slots : []
            delegate: Item {
                id: slotRow
                required property var modelData
                Layout.fillWidth: true
                implicitHeight: Math.max(slotLabel.implicitHeight, pick.implicitHeight)
                Label {
                    textFormat: Text.PlainText
                    id: slotLabel
                    anchors { left: parent.left; right: pick.left; rightMargin: Theme.spacing
                              verticalCenter: parent.verticalCenter }
                    text: card.slotText(slotRow.modelData)
                    color: Theme.text
                    font.pixelSize: Theme.fontSmall
                    wrapMode: Text.Wrap
                }
                TapButton {
                    id: pick
                    objectName: "visitPick"
                    anchors { right: parent.right; verticalCenter: parent.verticalCenter }
                    text: qsTr("Pick")
                    accent: true
                    enabled: !card.answering
                    onClicked: FeedbackController.pickSlot(card.visitId, slotRow.modelData.slotId)
                }
            }
        }
        RowLayout {
            visible: card.stage === "proposed" && !card.answering
            spacing: Theme.spacing
            TapButton {
                text: qsTr("No, thanks")
                onClicked: FeedbackController.declineVisit(card.visitId, "")
            }
            TapButton {
                text: qsTr("Other times")
                onClicked: FeedbackController.askOtherTimes(card.visitId, "")
            }
        }

        // The booked visit.
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: card.booked.slotId !== undefined
            text: card.booked.slotId !== undefined ? qsTr("Booked: %1").arg(card.slotText(card.booked)) : ""
            color: Theme.text
            font.pixelSize: Theme.fontSmall
            wrapMode: Text.Wrap
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: card.reminder && card.booked.slotId !== undefined
            text: card.booked.slotId !== undefined ? qsTr("Reminder: your visit is on %1").arg(card.booked.startText) : ""
            color: Theme.warning
            font.pixelSize: Theme.fontSmall
            wrapMode: Text.Wrap
        }
        RowLayout {
            visible: (card.stage === "booked" || card.stage === "reschedule_requested") && !card.answering
            spacing: Theme.spacing
            TapButton {
                visible: card.stage === "booked"
                text: qsTr("Other times")
                onClicked: FeedbackController.askOtherTimes(card.visitId, "")
            }
            TapButton {
                text: qsTr("Cancel visit")
                onClicked: FeedbackController.cancelVisit(card.visitId, "")
            }
        }

        // The repair order's stages (wrapping on a narrow card).
        Flow {
            Layout.fillWidth: true
            visible: card.stageIndex >= 0
            spacing: Theme.spacing / 2
            Repeater {
                model: FeedbackController.visitStages
                delegate: Rectangle {
                    id: stageChip
                    required property string modelData
                    required property int index
                    width: stageLabel.implicitWidth + Theme.spacing
                    height: stageLabel.implicitHeight + Theme.spacing / 2
                    radius: height / 2
                    color: index <= card.stageIndex ? Theme.accent : "transparent"
                    border.color: index <= card.stageIndex ? Theme.accentBright : Theme.border
                    Label {
                        textFormat: Text.PlainText
                        id: stageLabel
                        anchors.centerIn: parent
                        text: Texts.visitStage(stageChip.modelData)
                        color: stageChip.index <= card.stageIndex ? Theme.textOnAccent : Theme.textDim
                        font.pixelSize: Theme.fontSmall
                    }
                }
            }
        }
        Label {
            textFormat: Text.PlainText
            visible: card.qualityFailed
            text: qsTr("Quality check failed: back to repair")
            color: Theme.warning
            font.pixelSize: Theme.fontSmall
        }
        Label {
            textFormat: Text.PlainText
            visible: card.readyAtMs > 0 && card.stage !== "handed_over"
            text: qsTr("Expected ready: %1").arg(card.readyAtText)
            color: Theme.ok
            font.pixelSize: Theme.fontSmall
        }
        Label {
            textFormat: Text.PlainText
            visible: card.estimate.minor !== undefined && card.estimate.minor > 0
            text: qsTr("Estimate: %1").arg(card.money(card.estimate))
            color: Theme.textDim
            font.pixelSize: Theme.fontSmall
        }

    }
}
