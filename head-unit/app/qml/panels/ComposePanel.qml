// Pick a category, optionally type a sentence (not while driving), send.
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    id: panel

    property string selectedCategory: ""
    /// "", "saved" or "notSaved": the outcome of the last send, for the line under the button.
    property string outcome: ""
    /// The text of the report being saved: the field is cleared once it is, unless the driver
    /// typed on (or it was hidden while moving, and so not sent).
    property string sentText: ""
    // A JS array: QStringList has no indexOf for qmllint.
    readonly property var available: FeedbackController.availableCategories
    readonly property string draftText: textField.visible ? textField.text : ""
    readonly property bool canSend: selectedCategory !== ""
        && available.indexOf(selectedCategory) >= 0
        && (!FeedbackController.needsText(selectedCategory) || draftText.trim() !== "")
        && !FeedbackController.saving

    color: Theme.surface
    radius: Theme.radius

    ColumnLayout {
        anchors { fill: parent; margins: Theme.margin }
        spacing: Theme.margin

        Label {
            textFormat: Text.PlainText
            objectName: "composeTitle"
            text: qsTr("What would you like to tell us?")
            font.pixelSize: Theme.fontTitle
            font.bold: true
            color: Theme.text
        }

        GridLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            columns: 3
            rowSpacing: Theme.spacing
            columnSpacing: Theme.spacing

            Repeater {
                model: FeedbackController.categories

                TapButton {
                    required property string modelData

                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredWidth: 1  // equal columns and rows
                    Layout.preferredHeight: 1
                    Layout.minimumHeight: Theme.touchTarget
                    text: Texts.category(modelData)
                    checked: panel.selectedCategory === modelData
                    enabled: panel.available.indexOf(modelData) >= 0
                    onClicked: {
                        panel.selectedCategory = modelData
                        panel.outcome = ""
                    }
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.spacing

            TextField {
                id: textField
                objectName: "composeText"
                Layout.fillWidth: true
                Layout.preferredHeight: Theme.touchTarget
                visible: !FeedbackController.vehicleMoving
                font.pixelSize: Theme.fontBody
                color: Theme.text
                placeholderText: FeedbackController.needsText(panel.selectedCategory) ? qsTr("Describe it (needed)")
                                                                                 : qsTr("Describe it (optional)")
                placeholderTextColor: Theme.textDim
                maximumLength: 2000
                leftPadding: Theme.margin
                background: Rectangle {
                    radius: Theme.radius
                    color: Theme.background
                    border.color: textField.activeFocus ? Theme.accent : Theme.border
                    border.width: textField.activeFocus ? 2 : 1
                }
            }
            Label {
                textFormat: Text.PlainText
                Layout.fillWidth: true
                Layout.preferredHeight: Theme.touchTarget
                visible: FeedbackController.vehicleMoving
                text: qsTr("Driving: tap only, no typing")
                color: Theme.warning
                font.pixelSize: Theme.fontBody
                verticalAlignment: Text.AlignVCenter
                wrapMode: Text.Wrap
            }
            TapButton {
                objectName: "composeSend"
                Layout.preferredWidth: 180
                accent: panel.canSend
                enabled: panel.canSend
                text: FeedbackController.saving ? qsTr("Saving…") : qsTr("Send")
                onClicked: {
                    panel.sentText = panel.draftText
                    FeedbackController.submit(panel.selectedCategory, panel.draftText)
                }
            }
        }

        Label {
            textFormat: Text.PlainText
            Layout.fillWidth: true
            Layout.minimumHeight: Theme.touchTarget / 2
            visible: FeedbackController.lastError !== "" || panel.outcome === "saved"
            text: FeedbackController.lastError !== ""
                  ? qsTr("Not saved: %1").arg(Texts.error(FeedbackController.lastError))
                  : FeedbackController.connected ? qsTr("Saved. Sending now.")
                                                 : qsTr("Saved. It will be sent when the car is online.")
            color: FeedbackController.lastError !== "" ? Theme.error : Theme.ok
            font.pixelSize: Theme.fontBody
            font.bold: FeedbackController.lastError !== ""
            wrapMode: Text.Wrap
            maximumLineCount: 2
            elide: Text.ElideRight
        }
    }

    Timer {
        id: outcomeTimer
        interval: 6000
        onTriggered: panel.outcome = ""
    }

    Connections {
        target: FeedbackController

        function onReportSaved(reportId) {
            if (textField.text === panel.sentText) textField.clear()
            panel.selectedCategory = ""
            panel.outcome = "saved"
            outcomeTimer.restart()
        }
        function onReportNotSaved(error) {
            panel.outcome = "notSaved"
        }
    }
}
