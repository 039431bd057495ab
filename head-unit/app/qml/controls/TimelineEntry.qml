// One step of a report's timeline: a dot, the step, its time, and the words with it (the
// service team's message or known-issue answer, or the driver's own reply, rating or answer).
// Its properties are the TimelineModel roles.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

RowLayout {
    id: entry

    required property string kind
    required property double atMs
    required property string title
    required property string text
    required property string detail
    required property bool mine

    spacing: Theme.spacing

    Rectangle {
        Layout.alignment: Qt.AlignTop
        Layout.topMargin: Theme.spacing / 2
        implicitWidth: Theme.spacing
        implicitHeight: Theme.spacing
        radius: width / 2
        color: entry.kind === "action_refused" || entry.kind === "rejected" || entry.kind === "dropped"
               ? Theme.error : entry.mine ? Theme.accentBright : Theme.ok
    }
    ColumnLayout {
        Layout.fillWidth: true
        spacing: 2

        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.spacing
            Label {
                textFormat: Text.PlainText
                Layout.fillWidth: true
                text: entry.kind === "rated" ? qsTr("Your rating: %1 of 5").arg(entry.detail)
                                             : Texts.timelineStep(entry.kind)
                color: Theme.text
                font.pixelSize: Theme.fontBody
                font.bold: true
                wrapMode: Text.Wrap
            }
            Label {
                textFormat: Text.PlainText
                text: Qt.formatDateTime(new Date(entry.atMs), "MM-dd hh:mm")
                color: Theme.textDim
                font.pixelSize: Theme.fontSmall
            }
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: text !== ""
            text: entry.kind === "action_refused" ? Texts.actionRefusal(entry.detail)
                  : entry.kind === "visit_answer" ? Texts.visitPending(entry.detail)
                  : entry.kind === "rejected" ? Texts.rejectReason(entry.detail)
                  : entry.kind === "dropped" ? Texts.dropReason(entry.detail)
                  : entry.title !== "" && entry.text !== "" ? entry.title + " · " + entry.text
                  : entry.title + entry.text
            color: entry.mine ? Theme.accentBright : Theme.textDim
            font.pixelSize: Theme.fontBody
            wrapMode: Text.Wrap
        }
    }
}
