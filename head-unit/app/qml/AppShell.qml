// The app's dashboard as the driver uses it: the top bar, quick feedback and My reports, the
// problems line and the notification banner. Main.qml loads it after the window's first frame.
import QtQuick
import QtQuick.Controls
import FeedbackUi

Page {
    // The controls' font, as ApplicationWindow gave it before (a plain Window gives none).
    font.family: Theme.fontFamily
    font.pixelSize: Theme.fontBody
    background: null  // the window's own colour

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
