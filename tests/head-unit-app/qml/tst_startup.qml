// The app's start: its first frame is the window and the app's name, and the dashboard is built
// only once that frame has been presented (Main.qml's FirstFrame), then shown.
import QtQuick
import QtTest
import FeedbackUi

TestCase {
    name: "StartupFirstFrame"
    when: windowShown

    Component {
        id: app
        Main {}
    }

    function test_theDashboardIsBuiltAfterTheFirstFrame() {
        const window = createTemporaryObject(app, null)
        verify(window)
        const shell = findChild(window.contentItem, "shellLoader")
        verify(shell)
        // Created, not yet presented: nothing of the dashboard exists.
        verify(!shell.active, "the dashboard is built before the first frame")
        verify(!window.ready)
        tryVerify(() => window.ready, 5000, "the dashboard is built after the first frame")
        verify(findChild(window.contentItem, "quickGrid"), "the quick-feedback tiles are in it")
    }
}
