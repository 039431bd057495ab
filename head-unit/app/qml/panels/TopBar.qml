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
            text: Strings.t("app.title")
            font.pixelSize: Theme.fontTitle
            font.bold: true
            color: Theme.text
        }
        Label {
            text: Strings.t("app.vin").arg(FeedbackController.vin)
            font.pixelSize: Theme.fontSmall
            color: Theme.textDim
        }
        Item { Layout.fillWidth: true }
        Label {
            text: Strings.t(FeedbackController.vehicleMoving ? "vehicle.moving" : "vehicle.parked")
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
            text: Strings.t("language.switch")
            onClicked: FeedbackController.language = (FeedbackController.language === "zh" ? "en" : "zh")
        }
    }
}
