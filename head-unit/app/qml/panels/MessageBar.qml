// Bottom line for problems the driver should know about: the link could not start, storage, and
// why the last action away from the composer was refused (dismissed with its button).
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    readonly property bool hasMessage: FeedbackController.linkError !== "" || FeedbackController.storageProblem !== ""
                                       || FeedbackController.actionError !== ""

    // A refusal's button is a touch target: the line grows to hold it.
    implicitHeight: !hasMessage ? 0 : FeedbackController.actionError !== "" ? Theme.touchTarget : 44
    visible: hasMessage
    color: Theme.surface

    RowLayout {
        anchors { fill: parent; leftMargin: Theme.margin; rightMargin: Theme.margin }
        spacing: Theme.margin

        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: FeedbackController.linkError !== ""
            text: qsTr("Connection not started: %1").arg(Texts.error(FeedbackController.linkError))
            color: Theme.warning
            font.pixelSize: Theme.fontSmall
            elide: Text.ElideRight
        }
        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            visible: FeedbackController.storageProblem !== ""
            text: qsTr("Storage problem: %1").arg(Texts.error(FeedbackController.storageProblem))
            color: Theme.error
            font.pixelSize: Theme.fontSmall
            elide: Text.ElideRight
        }
        Label {
            textFormat: Text.PlainText
            objectName: "actionError"
            Layout.fillWidth: true
            visible: FeedbackController.actionError !== ""
            text: qsTr("Not done: %1").arg(Texts.error(FeedbackController.actionError))
            color: Theme.error
            font.pixelSize: Theme.fontSmall
            elide: Text.ElideRight
        }
        TapButton {
            objectName: "dismissActionError"
            visible: FeedbackController.actionError !== ""
            Layout.preferredHeight: Theme.touchTarget - 8
            font.pixelSize: Theme.fontBody
            text: qsTr("OK")
            onClicked: FeedbackController.clearActionError()
        }
    }
}
