// The quick-feedback grid as the driver uses it: a tile and Send queue one report; while the car
// moves the details field is disabled and the reason is shown.
import QtQuick
import QtTest
import FeedbackUi

Item {
    id: root
    width: 580
    height: 560

    QuickPanel {
        id: panel
        anchors.fill: parent
    }

    TestCase {
        name: "QuickFeedback"
        when: windowShown

        function init() {
            probe.reset()
        }

        function tap(name) {
            const item = findChild(panel, name)
            verify(item, name)
            tryVerify(() => item.visible && item.enabled, 2000, name + " visible and enabled")
            mouseClick(item)
        }

        function test_twoTapsQueueOneReport() {
            const tile = findChild(panel, "quickTile_noise")
            verify(tile)
            verify(tile.height >= 72, "touch target " + tile.height)
            tap("quickTile_noise")
            tap("quickSend")
            compare(probe.submittedCount(), 1)
            compare(probe.lastCategory(), "CATEGORY_NOISE")
            verify(probe.lastHasSnapshotMoment())
            tryVerify(() => findChild(panel, "quickGrid").visible)
        }

        function test_textFieldLockedWhileMoving() {
            tap("quickTile_brakes")
            const field = findChild(panel, "quickText")
            verify(field)
            verify(field.enabled)
            probe.setMoving(true)
            verify(!field.enabled)
            verify(findChild(panel, "lockedHint").visible)
            tap("quickSend")  // a quick report still goes while moving
            compare(probe.submittedCount(), 1)
            compare(probe.lastCategory(), "CATEGORY_BRAKES")
        }

        function test_addDetailsLaterWhileMoving() {
            probe.setMoving(true)
            tap("quickTile_climate")
            tap("quickLater")
            compare(probe.submittedCount(), 0)
            const drafts = findChild(panel, "quickDrafts")
            tryVerify(() => drafts.count === 1)
            verify(!drafts.visible, "listed while moving: it cannot be completed before parking")
            probe.setMoving(false)
            tryVerify(() => drafts.visible, 2000, "listed once parked")
            const tile = findChild(panel, "quickTile_noise")
            verify(tile.height >= 56, "tiles lower but still a touch target: " + tile.height)
            // The other cases start without a draft (their tiles at full height).
            verify(QuickComposer.resumeDraft(0))
            QuickComposer.cancel()
            tryVerify(() => drafts.count === 0)
        }
    }
}
