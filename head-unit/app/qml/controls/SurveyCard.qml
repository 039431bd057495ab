// The survey of a handover or a closed case: a score from 1 to 5 and an optional comment
// (no typing while moving), then a thank-you.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    id: card

    property string requestId
    property bool answered: false
    property int score: 0

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
            text: card.answered ? qsTr("Thank you for your score") : qsTr("How was it? Score 1 to 5")
            color: card.answered ? Theme.ok : Theme.text
            font.pixelSize: Theme.fontBody
            font.bold: true
            wrapMode: Text.Wrap
        }
        RowLayout {
            visible: !card.answered
            spacing: Theme.spacing / 2
            Repeater {
                model: 5
                delegate: TapButton {
                    required property int index
                    text: String(index + 1)
                    checked: card.score === index + 1
                    onClicked: card.score = index + 1
                }
            }
        }
        DashTextField {
            id: comment
            Layout.fillWidth: true
            visible: !card.answered
            enabled: !FeedbackController.vehicleMoving
            maximumLength: 1000
            placeholderText: qsTr("Comment (optional)")
        }
        TapButton {
            visible: !card.answered
            enabled: card.score > 0
            accent: true
            text: qsTr("Send")
            onClicked: FeedbackController.answerSurvey(card.requestId, card.score, comment.text)
        }
    }
}
