// One row of "My reports": category, status, case number, the driver's text, the team and
// the latest answer. Its properties are the ReportsModel roles.
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
    required property double createdMs

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
                text: Strings.t("category." + card.category)
                font.pixelSize: Theme.fontLarge
                font.bold: true
                color: Theme.text
            }
            StatusChip {
                status: card.status
            }
            Item { Layout.fillWidth: true }
            Label {
                visible: card.caseNumber !== ""
                text: card.caseNumber
                font.pixelSize: Theme.fontBody
                font.bold: true
                color: Theme.accentBright
            }
        }
        Label {
            Layout.fillWidth: true
            text: card.text !== "" ? card.text : Strings.t("reports.noText")
            color: card.text !== "" ? Theme.text : Theme.textDim
            font.pixelSize: Theme.fontBody
            wrapMode: Text.Wrap
            maximumLineCount: 2
            elide: Text.ElideRight
        }
        Label {
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
            Layout.fillWidth: true
            visible: card.rejectReason !== ""
            text: Strings.t("reports.rejected").arg(card.rejectReason)
            color: Theme.error
            font.pixelSize: Theme.fontSmall
            wrapMode: Text.Wrap
        }
        RowLayout {
            Layout.fillWidth: true
            Label {
                text: Qt.formatDateTime(new Date(card.createdMs), "yyyy-MM-dd hh:mm")
                color: Theme.textDim
                font.pixelSize: Theme.fontSmall
            }
            Item { Layout.fillWidth: true }
            Label {
                visible: card.team !== ""
                text: Strings.t("reports.team").arg(card.team)
                color: Theme.textDim
                font.pixelSize: Theme.fontSmall
            }
        }
    }
}
