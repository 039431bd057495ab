// The head unit's feedback app window: 1280x720 landscape dashboard.
import QtQuick
import QtQuick.Controls
import FeedbackUi

ApplicationWindow {
    id: window

    width: 1280
    height: 720
    visible: true
    title: qsTr("Feedback")
    color: Theme.background
    font.family: Theme.fontFamily
    font.pixelSize: Theme.fontBody

    header: TopBar {}
    footer: MessageBar {}

    DashboardView {
        anchors.fill: parent
    }

    NotificationBanner {
        anchors.horizontalCenter: parent.horizontalCenter
        width: Math.min(parent.width - 2 * Theme.margin, 760)
        z: 10
    }
}
