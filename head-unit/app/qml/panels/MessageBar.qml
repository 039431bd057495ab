// Bottom line for problems the driver should know about: the link could not start, storage.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    readonly property bool hasMessage: FeedbackController.linkError !== "" || FeedbackController.storageProblem !== ""

    implicitHeight: hasMessage ? 44 : 0
    visible: hasMessage
    color: Theme.surface

    RowLayout {
        anchors { fill: parent; leftMargin: Theme.margin; rightMargin: Theme.margin }
        spacing: Theme.margin

        Label {
            Layout.fillWidth: true
            visible: FeedbackController.linkError !== ""
            text: qsTr("Connection not started: %1").arg(Texts.error(FeedbackController.linkError))
            color: Theme.warning
            font.pixelSize: Theme.fontSmall
            elide: Text.ElideRight
        }
        Label {
            Layout.fillWidth: true
            visible: FeedbackController.storageProblem !== ""
            text: qsTr("Storage problem: %1").arg(Texts.error(FeedbackController.storageProblem))
            color: Theme.error
            font.pixelSize: Theme.fontSmall
            elide: Text.ElideRight
        }
    }
}
