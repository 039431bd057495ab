// Texts for keys that come from C++ at run time: category and status keys of the vocabularies
// (fb/common/vocabulary.hpp), a visit's stage and pending answer, a callback's state
// (ReportsModel), and error codes (fb/ui/error_keys.hpp: "storage.full", "agent.not_parked").
// Each is a qsTr literal here so that lupdate finds it (context "Texts"); an unknown key gives
// the key itself. A binding that calls one of these is re-evaluated when the language changes.
//
// No `import FeedbackUi` here: Theme (the other singleton) imports the module, and two singletons
// importing their own module make a load cycle. Qt.uiLanguage is UiTranslator's language (it
// sets the engine's uiLanguage when it switches).
pragma Singleton
import QtQml

QtObject {
    // Read by every function: the calling binding then depends on the language too.
    readonly property string language: Qt.uiLanguage

    function category(key) {
        void language
        switch (key) {
        case "noise": return qsTr("Noise")
        case "driving_feel": return qsTr("Driving feel")
        case "warning_lamp": return qsTr("Warning lamp")
        case "ui": return qsTr("Screen / UI")
        case "service": return qsTr("Service")
        case "idea": return qsTr("Idea")
        case "brakes": return qsTr("Brakes")
        case "climate": return qsTr("Climate")
        case "other": return qsTr("Other")
        }
        return key
    }

    function status(key) {
        void language
        switch (key) {
        case "queued": return qsTr("Queued")
        case "sent": return qsTr("Sent")
        case "acknowledged": return qsTr("Acknowledged")
        case "received": return qsTr("Received")
        case "in_progress": return qsTr("In progress")
        case "waiting_for_driver": return qsTr("Waiting for you")
        case "appointment": return qsTr("Service visit", "report status")
        case "resolved": return qsTr("Resolved")
        case "closed": return qsTr("Closed")
        case "rejected": return qsTr("Rejected")
        case "dropped": return qsTr("Not sent")
        }
        return key
    }

    function visitStage(key) {
        void language
        switch (key) {
        case "proposed": return qsTr("Pick a time")
        case "reschedule_requested": return qsTr("We will propose other times")
        case "booked": return qsTr("Booked")
        case "checked_in": return qsTr("Checked in")
        case "inspection": return qsTr("Inspection")
        case "diagnosis": return qsTr("Diagnosis")
        case "repair": return qsTr("Repair")
        case "quality_check": return qsTr("Quality check")
        case "handed_over": return qsTr("Your car is ready")
        case "declined": return qsTr("No visit (declined)")
        case "cancelled": return qsTr("No visit (cancelled)")
        case "stage_unspecified": return qsTr("Service visit", "visit stage")
        }
        return key
    }

    function visitPending(key) {
        void language
        switch (key) {
        case "pick_slot": return qsTr("Time picked, waiting for confirmation")
        case "decline": return qsTr("Declined, waiting for confirmation")
        case "reschedule": return qsTr("Other times asked for")
        case "cancel": return qsTr("Cancelling, waiting for confirmation")
        case "approve_extra": return qsTr("Approved, waiting for the dealer")
        case "refuse_extra": return qsTr("Refused, waiting for the dealer")
        case "action_unspecified": return qsTr("Answer on its way")
        }
        return key
    }

    /// A step of a report's timeline (fb/agent/timeline.hpp, TimelineKind keys).
    function timelineStep(key) {
        void language
        switch (key) {
        case "queued": return qsTr("Saved in the car")
        case "sent": return qsTr("Sent")
        case "delivered": return qsTr("Delivered")
        case "received": return qsTr("Received by the service team")
        case "assigned": return qsTr("Assigned to a team")
        case "in_progress": return qsTr("In progress")
        case "waiting_for_driver": return qsTr("Waiting for your answer")
        case "workaround": return qsTr("Workaround offered")
        case "appointment": return qsTr("Appointment proposed")
        case "resolved": return qsTr("Resolved")
        case "closed": return qsTr("Closed")
        case "reopened": return qsTr("Reopened")
        case "message": return qsTr("Message from the service team")
        case "rejected": return qsTr("Not accepted")
        case "dropped": return qsTr("Not sent")
        case "driver_reply": return qsTr("Your reply")
        case "reopen_asked": return qsTr("You asked to reopen")
        case "rated": return qsTr("Your rating")
        case "visit_answer": return qsTr("Your answer to the appointment")
        case "action_refused": return qsTr("Your request was refused")
        }
        return key
    }

    /// Why the backend refused a driver's action (Notification.action_result.reason).
    function actionRefusal(key) {
        void language
        switch (key) {
        case "not_reopenable": return qsTr("Only a resolved or closed case can be reopened")
        case "case_closed": return qsTr("The case is closed: reopen it to reply")
        case "answer_refused": return qsTr("The service team could not take this answer")
        case "store_damaged": return qsTr("The car's saved copy of this request was damaged: please ask again")
        case "": return ""
        }
        return key
    }

    // Why the backend refused a report, as the car keeps it ("<reason>: <detail>", the detail in
    // English for support and the log): the reason alone, in the driver's language.
    function rejectReason(stored) {
        void language
        const colon = stored.indexOf(":")
        const key = colon < 0 ? stored : stored.substring(0, colon)
        switch (key) {
        case "": return ""
        case "malformed": return qsTr("the report could not be read")
        case "unsupported_version": return qsTr("this car's software is too old for the service")
        case "missing_field": return qsTr("something the report needs is missing")
        case "invalid_field": return qsTr("something in the report is not valid")
        case "vin_mismatch": return qsTr("it names another vehicle")
        case "oversize": return qsTr("it is too large")
        case "invalid_utf8": return qsTr("its text could not be read")
        case "wrong_message_type": return qsTr("the service did not expect it")
        case "report_id_conflict": return qsTr("its number is already used by another report")
        case "conflicting_duplicate": return qsTr("it was sent before with other content")
        }
        return qsTr("the service could not take it")
    }

    // Why a report left the car unsent (DropReason keys).
    function dropReason(key) {
        void language
        switch (key) {
        case "": return ""
        case "expired": return qsTr("it could not be sent before its time to live ended")
        case "evicted_for_space": return qsTr("the car's queue was full, and more urgent or newer reports went first")
        case "store_damaged": return qsTr("the car's saved copy of it was damaged")
        }
        return qsTr("it could not be sent")
    }

    function callbackState(key) {
        void language
        switch (key) {
        case "asked": return qsTr("Waiting for an agent")
        case "queued": return qsTr("Waiting for an agent")
        case "picked_up": return qsTr("An agent will call you")
        case "logged": return qsTr("Call logged")
        case "cancelled": return qsTr("Callback cancelled")
        }
        return key
    }

    /// The text of an error code ("" for none); codes without their own text get their
    /// category's, then a generic one with the code.
    function error(code) {
        void language
        switch (code) {
        case "": return ""
        case "ui.unknown_category": return qsTr("Unknown category")
        case "ui.typing_while_moving": return qsTr("No typing while driving: choose a category only")
        case "ui.survey_score": return qsTr("Choose a score from 1 to 5")
        case "agent.not_parked": return qsTr("Only while the car is parked")
        case "agent.no_case": return qsTr("The report has no case yet")
        case "agent.callback_open": return qsTr("A callback for this report is already open")
        case "agent.visit_stage": return qsTr("Not possible at this stage of the visit")
        case "agent.not_offered": return qsTr("No longer offered: see the latest update")
        case "agent.already_answered": return qsTr("Already answered")
        case "agent.answer_pending": return qsTr("An earlier answer is waiting for confirmation")
        case "agent.queue_full": return qsTr("The queue is full of more urgent reports")
        case "agent.not_reopenable": return qsTr("Only a resolved or closed case can be reopened")
        case "agent.not_resolved": return qsTr("You can rate once the case is resolved")
        case "agent.case_closed": return qsTr("The case is closed: reopen it to reply")
        case "ui.empty_text": return qsTr("Write a few words first")
        case "storage.full": return qsTr("Storage is full")
        case "storage.corrupt": return qsTr("Saved data was damaged and set aside")
        case "storage.open_failed": return qsTr("Storage cannot be opened")
        case "storage.schema_too_new": return qsTr("Storage was written by a newer version")
        case "storage.io": return qsTr("Storage read or write error")
        case "storage.busy": return qsTr("Storage is busy")
        case "storage.not_found": return qsTr("Not found")
        case "storage.too_large": return qsTr("Too large to save")
        case "wire.missing_field": return qsTr("Some details are missing")
        case "wire.invalid_field": return qsTr("Some details are not valid")
        case "wire.oversize": return qsTr("Too long")
        case "wire.invalid_utf8": return qsTr("The text has invalid characters")
        case "mqtt.tls_setup": return qsTr("The vehicle's certificate is missing or unusable")
        case "mqtt.connect_failed": return qsTr("Cannot reach the service")
        case "mqtt.not_connected": return qsTr("Not connected")
        }
        if (code.startsWith("storage."))
            return qsTr("Storage error")
        if (code.startsWith("wire."))
            return qsTr("The data is not valid")
        if (code.startsWith("mqtt."))
            return qsTr("Connection error")
        if (code.startsWith("config."))
            return qsTr("Settings file problem")
        return qsTr("Something went wrong (%1)").arg(code)
    }

    // Quick feedback (QuickComposer): a tile's kind (fb/ui/quick_feedback.hpp).
    function quickKind(key) {
        void language
        switch (key) {
        case "noise": return qsTr("A noise")
        case "driving_feel": return qsTr("Shifting / driving feel")
        case "brakes": return qsTr("Brakes")
        case "warning_lamp": return qsTr("Warning light")
        case "screen_voice": return qsTr("Screen and voice")
        case "climate": return qsTr("Climate")
        case "service": return qsTr("Service experience")
        case "idea": return qsTr("An idea")
        }
        return key
    }

    // A VSS path of a snapshot's signals (QuickComposer.snapshotSignals), named for the driver.
    function signalName(path) {
        void language
        switch (path) {
        case "Vehicle.Speed": return qsTr("Vehicle speed")
        case "Vehicle.Powertrain.CombustionEngine.Speed": return qsTr("Engine speed")
        case "Vehicle.Powertrain.Transmission.CurrentGear": return qsTr("Current gear")
        case "Vehicle.Powertrain.Transmission.SelectedGear": return qsTr("Gear selector")
        case "Vehicle.Chassis.Accelerator.PedalPosition": return qsTr("Accelerator pedal")
        case "Vehicle.Chassis.Brake.PedalPosition": return qsTr("Brake pedal")
        case "Vehicle.OBD.CoolantTemperature": return qsTr("Coolant temperature")
        case "Vehicle.LowVoltageBattery.CurrentVoltage": return qsTr("12 V battery")
        case "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": return qsTr("Battery charge")
        case "Vehicle.Powertrain.TractionBattery.Charging.IsCharging": return qsTr("Charging")
        case "Vehicle.Acceleration.Longitudinal": return qsTr("Acceleration")
        case "Vehicle.OBD.Status.IsMILOn": return qsTr("Engine warning light")
        case "Vehicle.Private.Acoustic.EngineNoiseLevel": return qsTr("Engine noise level")
        case "Vehicle.Private.Acoustic.BrakeNoiseLevel": return qsTr("Brake noise level")
        }
        return path
    }

    /// The signals' names, joined for one line of the review.
    function signalNames(paths) {
        void language
        let names = []
        for (let i = 0; i < paths.length; ++i)
            names.push(signalName(paths[i]))
        return names.join(qsTr(", ", "list separator"))
    }
}
