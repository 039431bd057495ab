// Quick feedback: large tiles for the common cases; a tile opens the review (ReviewPanel), whose
// Send queues the report: two taps. "It is happening now" (on by default) marks the tile tap as
// the moment of the diagnostic snapshot. Reports kept for later are listed under the tiles while
// parked; "Something else" opens the free composer (ComposePanel).
pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FeedbackUi

Item {
    id: panel

    /// "grid", "review" (QuickComposer.reviewing) or "describe" (ComposePanel).
    property bool describing: false
    readonly property string page: QuickComposer.reviewing ? "review" : describing ? "describe" : "grid"
    // The review and the composer are built the first time each is shown, then kept (what the
    // driver typed stays): a driver who only looks at the tiles does not pay for them at start.
    property bool reviewBuilt: false
    property bool describeBuilt: false
    function buildShownPage() {
        if (page === "review")
            reviewBuilt = true
        else if (page === "describe")
            describeBuilt = true
    }
    /// Reports kept to complete: listed while parked only, when they can be completed (their
    /// line would not fit beside the tiles at their driving size).
    readonly property bool showDrafts: QuickComposer.drafts.count > 0 && !FeedbackController.vehicleMoving
    onPageChanged: buildShownPage()
    Component.onCompleted: buildShownPage()

    Rectangle {
        objectName: "quickGrid"
        anchors.fill: parent
        visible: panel.page === "grid"
        color: Theme.surface
        radius: Theme.radius

        ColumnLayout {
            anchors { fill: parent; margins: Theme.margin }
            spacing: Theme.spacing

            Label {
                textFormat: Text.PlainText
                Layout.fillWidth: true
                text: qsTr("What is it about?")
                font.pixelSize: Theme.fontTitle
                font.bold: true
                color: Theme.text
                elide: Text.ElideRight
            }

            GridLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                columns: 2  // wide tiles: every label fits on at most two lines in either language
                rowSpacing: Theme.spacing
                columnSpacing: Theme.spacing

                Repeater {
                    model: QuickComposer.kinds

                    TapButton {
                        required property string key
                        required property string priority

                        objectName: "quickTile_" + key
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        Layout.preferredWidth: 1  // equal columns and rows
                        Layout.preferredHeight: 1
                        // A draft's line takes room only while parked: the tiles may be lower
                        // then (still above the 48 px minimum); while moving they keep their 80.
                        Layout.minimumHeight: panel.showDrafts ? Theme.touchTarget * 0.7 : Theme.touchTarget
                        font.pixelSize: Theme.fontBody
                        text: Texts.quickKind(key)
                        accent: priority === "safety"
                        onClicked: {
                            panel.describing = false
                            QuickComposer.choose(key)
                        }
                    }
                }
            }

            ListView {
                objectName: "quickDrafts"
                Layout.fillWidth: true
                Layout.preferredHeight: Math.min(count, 1) * Theme.touchTarget
                Layout.minimumHeight: Layout.preferredHeight
                visible: panel.showDrafts
                clip: true
                spacing: Theme.spacing / 2
                model: QuickComposer.drafts

                delegate: TapButton {
                    required property int index
                    required property string kind

                    width: ListView.view.width
                    font.pixelSize: Theme.fontBody
                    text: qsTr("%1: add details").arg(Texts.quickKind(kind))
                    onClicked: QuickComposer.resumeDraft(index)
                }
            }

            RowLayout {
                Layout.fillWidth: true
                spacing: Theme.spacing

                ConsentSwitch {
                    objectName: "happeningNow"
                    Layout.fillWidth: true
                    text: qsTr("It is happening now")
                    checked: QuickComposer.happeningNow
                    onToggled: QuickComposer.happeningNow = checked
                }
                TapButton {
                    objectName: "describeOther"
                    Layout.preferredWidth: 220
                    font.pixelSize: Theme.fontBody
                    text: qsTr("Something else…")
                    onClicked: panel.describing = true
                }
            }
        }
    }

    // From their own files: a bound inline component cannot be made by a Loader in Qt 6.4.
    Loader {
        objectName: "reviewLoader"
        anchors.fill: parent
        visible: panel.page === "review"
        active: panel.reviewBuilt
        source: "ReviewPanel.qml"
    }

    Loader {
        objectName: "describeLoader"
        anchors.fill: parent
        visible: panel.page === "describe"
        active: panel.describeBuilt
        source: "DescribePage.qml"
        onLoaded: (item as DescribePage).back.connect(() => panel.describing = false)
    }
}
