// Title, vehicle state, connection and the language switch.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    implicitHeight: 76
    color: Theme.surface

    RowLayout {
        anchors { fill: parent; leftMargin: Theme.margin; rightMargin: Theme.margin }
        spacing: Theme.margin

        Label {
            textFormat: Text.PlainText
            text: qsTr("Feedback")
            font.pixelSize: Theme.fontTitle
            font.bold: true
            color: Theme.text
        }
        Label {
            textFormat: Text.PlainText
            text: qsTr("VIN %1").arg(FeedbackController.vin)
            font.pixelSize: Theme.fontSmall
            color: Theme.textDim
        }
        Item { Layout.fillWidth: true }
        Label {
            textFormat: Text.PlainText
            text: FeedbackController.vehicleMoving ? qsTr("Driving") : qsTr("Parked")
            font.pixelSize: Theme.fontBody
            font.bold: FeedbackController.vehicleMoving
            color: FeedbackController.vehicleMoving ? Theme.warning : Theme.textDim
        }
        ConnectionIndicator {
            online: FeedbackController.connected
        }
        TapButton {
            Layout.preferredHeight: 60
            font.pixelSize: Theme.fontBody
            objectName: "languageSwitch"
            // The other language, named in itself: not translated.
            text: UiTranslator.language === "zh" ? "English" : "中文"
            onClicked: UiTranslator.language = (UiTranslator.language === "zh" ? "en" : "zh")
        }
    }
}
