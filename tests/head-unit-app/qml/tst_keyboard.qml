// The on-screen keyboard is not part of the app's start: Main.qml loads it the first time a text
// field has the focus while parked, shows it for that field, and unloads it while the car moves.
// Run with QT_IM_MODULE=qtvirtualkeyboard (tests/head-unit-app/CMakeLists.txt).
import QtQuick
import QtTest
import FeedbackUi

TestCase {
    name: "KeyboardOnDemand"
    when: windowShown

    Component {
        id: app
        Main {
            virtualKeyboard: true
        }
    }

    function init() {
        probe.reset()
    }

    function keyboardInstalled() {
        try {
            Qt.createQmlObject("import QtQuick; import QtQuick.VirtualKeyboard; Item {}", this).destroy()
            return true
        } catch (e) {
            return false
        }
    }

    function test_loadedOnlyOnceTheDriverTypesAndNotWhileMoving() {
        if (!keyboardInstalled())
            skip("Qt Virtual Keyboard is not installed")
        const window = createTemporaryObject(app, null)
        verify(window)
        tryVerify(() => window.ready, 5000, "the dashboard is built after the first frame")
        const loader = findChild(window.contentItem, "keyboardLoader")
        verify(loader)
        waitForRendering(window.contentItem)
        verify(!loader.active, "no keyboard at the start")
        compare(loader.item, null)

        mouseClick(findChild(window.contentItem, "describeOther"))
        const field = findChild(window.contentItem, "composeText")
        verify(field)
        tryVerify(() => field.visible, 2000)
        mouseClick(field)
        verify(field.activeFocus)
        tryVerify(() => loader.status === Loader.Ready, 5000, "the keyboard loads for the field")
        tryVerify(() => loader.item.active, 5000, "and shows for it")
        // The keys cover the field: the line above them shows what is typed.
        const echo = findChild(loader.item, "typingEchoText")
        verify(echo)
        field.text = "rattle under the dash"
        compare(echo.text, "rattle under the dash")
        verify(echo.y + echo.height <= loader.item.height)
        field.text = ""

        probe.setMoving(true)
        tryVerify(() => !loader.active, 2000, "unloaded while moving")
        probe.setMoving(false)
        tryVerify(() => loader.status === Loader.Ready, 5000, "back once parked: it was wanted before")
    }
}
