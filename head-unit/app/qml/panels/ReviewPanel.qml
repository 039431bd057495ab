// The review before sending a quick report: what goes with it, in plain words, each part
// removable (the choice is remembered per kind and shown as such the next time); optional
// details (typing only while parked); Send, or keep it to add details later.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Rectangle {
    id: review

    color: Theme.surface
    radius: Theme.radius

    ColumnLayout {
        anchors { fill: parent; margins: Theme.margin }
        spacing: Theme.spacing / 2

        Label {
            textFormat: Text.PlainText
            objectName: "reviewTitle"
            Layout.fillWidth: true
            text: qsTr("Report: %1").arg(Texts.quickKind(QuickComposer.kind))
            font.pixelSize: Theme.fontTitle
            font.bold: true
            color: Theme.text
            elide: Text.ElideRight
        }
        // What goes with it and the details; scrolls where a language needs more room.
        Flickable {
            id: flick
            Layout.fillWidth: true
            Layout.fillHeight: true
            contentHeight: parts.implicitHeight
            clip: true
            boundsBehavior: Flickable.StopAtBounds

            ColumnLayout {
                id: parts
                width: flick.width
                spacing: Theme.spacing / 2

                Label {
                    textFormat: Text.PlainText
                    Layout.fillWidth: true
                    text: QuickComposer.rememberedChoice ? qsTr("Sent with it, as you chose last time for this kind:")
                                                         : qsTr("Sent with it (you can remove each part):")
                    font.pixelSize: Theme.fontSmall
                    color: Theme.textDim
                    wrapMode: Text.Wrap
                }

                ConsentSwitch {
                    objectName: "attachSignals"
                    Layout.fillWidth: true
                    visible: QuickComposer.snapshotOffered
                    text: qsTr("Car signals from when you tapped")
                    detail: Texts.signalNames(QuickComposer.snapshotSignals)
                    checked: QuickComposer.attachSignals
                    onToggled: QuickComposer.attachSignals = checked
                }
                ConsentSwitch {
                    objectName: "attachLocation"
                    Layout.fillWidth: true
                    enabled: QuickComposer.locationAvailable
                    text: qsTr("Location (rounded to about 1 km)")
                    detail: QuickComposer.locationAvailable ? "" : qsTr("Not available")
                    checked: QuickComposer.attachLocation && QuickComposer.locationAvailable
                    onToggled: QuickComposer.attachLocation = checked
                }
                RowLayout {
                    Layout.fillWidth: true
                    spacing: Theme.spacing

                    ConsentSwitch {
                        objectName: "allowContact"
                        Layout.fillWidth: true
                        text: qsTr("The service team may call me back")
                        detail: QuickComposer.phone === "" ? qsTr("On the number on record")
                                                           : qsTr("On %1").arg(QuickComposer.phone)
                        checked: QuickComposer.allowContact
                        onToggled: QuickComposer.allowContact = checked
                    }
                    TextField {
                        objectName: "phoneField"
                        Layout.preferredWidth: 220
                        Layout.preferredHeight: Theme.touchTarget
                        visible: QuickComposer.allowContact
                        enabled: !QuickComposer.textLocked
                        text: QuickComposer.phone
                        onTextEdited: QuickComposer.phone = text
                        inputMethodHints: Qt.ImhDialableCharactersOnly
                        placeholderText: qsTr("Other number")
                        placeholderTextColor: Theme.textDim
                        font.pixelSize: Theme.fontBody
                        color: Theme.text
                        maximumLength: 32
                    }
                }

                TextField {
                    id: details
                    objectName: "quickText"
                    Layout.fillWidth: true
                    Layout.preferredHeight: Theme.touchTarget
                    enabled: !QuickComposer.textLocked
                    text: QuickComposer.text
                    onTextEdited: QuickComposer.text = text
                    maximumLength: QuickComposer.maxTextLength
                    placeholderText: QuickComposer.textLocked ? qsTr("Typing is locked while driving")
                                                              : qsTr("Details (optional)")
                    placeholderTextColor: Theme.textDim
                    font.pixelSize: Theme.fontBody
                    color: Theme.text
                    leftPadding: Theme.margin
                    background: Rectangle {
                        radius: Theme.radius
                        color: details.enabled ? Theme.background : Theme.surfaceDisabled
                        border.color: details.activeFocus ? Theme.accent : Theme.border
                        border.width: details.activeFocus ? 2 : 1
                    }
                }
            }
        }

        Label {
            textFormat: Text.PlainText
            objectName: "lockedHint"
            Layout.fillWidth: true
            visible: QuickComposer.textLocked
            text: qsTr("Send it now, or add details later when parked.")
            font.pixelSize: Theme.fontSmall
            color: Theme.warning
            elide: Text.ElideRight
        }
        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.spacing

            TapButton {
                objectName: "quickCancel"
                font.pixelSize: Theme.fontBody
                text: qsTr("Cancel")
                onClicked: QuickComposer.cancel()
            }
            TapButton {
                objectName: "quickLater"
                Layout.fillWidth: true
                font.pixelSize: Theme.fontBody
                text: qsTr("Add details later")
                onClicked: QuickComposer.saveForLater()
            }
            TapButton {
                objectName: "quickSend"
                Layout.preferredWidth: 160
                accent: QuickComposer.canSend
                enabled: QuickComposer.canSend
                text: FeedbackController.saving ? qsTr("Saving…") : qsTr("Send")
                onClicked: QuickComposer.send()
            }
        }
    }
}
