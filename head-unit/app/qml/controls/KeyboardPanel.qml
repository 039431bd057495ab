// The on-screen keyboard (Qt Virtual Keyboard). Loaded by Main.qml only where the module is
// installed and only while the car is parked; it shows while a text field has the focus.
import QtQuick
import QtQuick.VirtualKeyboard

InputPanel {
    visible: active
}
