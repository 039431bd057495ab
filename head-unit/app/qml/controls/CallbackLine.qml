// "Call me" for a report's case: the button (enabled only while parked, with the reason when
// not), then the callback's state: waiting for an agent, an agent will call you, call logged.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

RowLayout {
    id: line

    property string reportId
    property string callbackState
    property string agent
    property string outcome
    property bool open: false

    spacing: Theme.spacing

    TapButton {
        visible: !line.open
        enabled: FeedbackController.parked
        text: qsTr("Call me")
        onClicked: FeedbackController.requestCallback(line.reportId, "")
    }
    Label {
        textFormat: Text.PlainText
        Layout.fillWidth: true
        visible: !line.open && !FeedbackController.parked
        text: qsTr("\"Call me\" works when the car is parked")
        color: Theme.textDim
        font.pixelSize: Theme.fontSmall
        wrapMode: Text.Wrap
    }
    Label {
        textFormat: Text.PlainText
        Layout.fillWidth: true
        visible: line.callbackState !== ""
        text: line.callbackState === "" ? "" : Texts.callbackState(line.callbackState)
                                     + (line.agent !== "" ? " · " + line.agent : "")
                                     + (line.outcome !== "" ? " · " + line.outcome : "")
        color: line.callbackState === "logged" ? Theme.ok : Theme.warning
        font.pixelSize: Theme.fontSmall
        wrapMode: Text.Wrap
    }
}
