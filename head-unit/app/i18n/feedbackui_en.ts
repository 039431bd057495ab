<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
    <context>
        <name>CallbackLine</name>
        <message>
            <source>Call me</source>
            <translation>Call me</translation>
        </message>
        <message>
            <source>"Call me" works when the car is parked</source>
            <translation>"Call me" works when the car is parked</translation>
        </message>
    </context>
    <context>
        <name>ComposePanel</name>
        <message>
            <source>What would you like to tell us?</source>
            <translation>What would you like to tell us?</translation>
        </message>
        <message>
            <source>Describe it (needed)</source>
            <translation>Describe it (needed)</translation>
        </message>
        <message>
            <source>Describe it (optional)</source>
            <translation>Describe it (optional)</translation>
        </message>
        <message>
            <source>Driving: tap only, no typing</source>
            <translation>Driving: tap only, no typing</translation>
        </message>
        <message>
            <source>Saving…</source>
            <translation>Saving…</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>Send</translation>
        </message>
        <message>
            <source>Not saved: %1</source>
            <translation>Not saved: %1</translation>
        </message>
        <message>
            <source>Saved. Sending now.</source>
            <translation>Saved. Sending now.</translation>
        </message>
        <message>
            <source>Saved. It will be sent when the car is online.</source>
            <translation>Saved. It will be sent when the car is online.</translation>
        </message>
    </context>
    <context>
        <name>ConnectionIndicator</name>
        <message>
            <source>Online</source>
            <translation>Online</translation>
        </message>
        <message>
            <source>Offline: reports stay queued</source>
            <translation>Offline: reports stay queued</translation>
        </message>
    </context>
    <context>
        <name>DescribePage</name>
        <message>
            <source>Back to quick feedback</source>
            <translation>Back to quick feedback</translation>
        </message>
    </context>
    <context>
        <name>Main</name>
        <message>
            <source>Feedback</source>
            <translation>Feedback</translation>
        </message>
    </context>
    <context>
        <name>MessageBar</name>
        <message>
            <source>Connection not started: %1</source>
            <translation>Connection not started: %1</translation>
        </message>
        <message>
            <source>Storage problem: %1</source>
            <translation>Storage problem: %1</translation>
        </message>
        <message>
            <source>Not done: %1</source>
            <translation>Not done: %1</translation>
        </message>
        <message>
            <source>OK</source>
            <translation>OK</translation>
        </message>
    </context>
    <context>
        <name>NotificationBanner</name>
        <message>
            <source>Tap to close</source>
            <translation>Tap to close</translation>
        </message>
    </context>
    <context>
        <name>ReportCard</name>
        <message>
            <source>(quick tap, no text)</source>
            <translation>(quick tap, no text)</translation>
        </message>
        <message>
            <source>Not accepted: %1</source>
            <translation>Not accepted: %1</translation>
        </message>
        <message>
            <source>Not sent: %1</source>
            <translation>Not sent: %1</translation>
        </message>
        <message>
            <source>Team: %1</source>
            <translation>Team: %1</translation>
        </message>
        <message>
            <source>Hide details</source>
            <translation>Hide details</translation>
        </message>
        <message>
            <source>Details</source>
            <translation>Details</translation>
        </message>
    </context>
    <context>
        <name>ReportDetails</name>
        <message>
            <source>Timeline</source>
            <translation>Timeline</translation>
        </message>
        <message>
            <source>Replies can be typed when parked</source>
            <translation>Replies can be typed when parked</translation>
        </message>
        <message>
            <source>Reply to the service team</source>
            <translation>Reply to the service team</translation>
        </message>
        <message>
            <source>Reply</source>
            <translation>Reply</translation>
        </message>
        <message>
            <source>How well was it solved? Rate 1 to 5</source>
            <translation>How well was it solved? Rate 1 to 5</translation>
        </message>
        <message>
            <source>Comment (optional)</source>
            <translation>Comment (optional)</translation>
        </message>
        <message>
            <source>Rate</source>
            <translation>Rate</translation>
        </message>
        <message>
            <source>What is still wrong? (optional)</source>
            <translation>What is still wrong? (optional)</translation>
        </message>
        <message>
            <source>Not fixed: reopen</source>
            <translation>Not fixed: reopen</translation>
        </message>
        <message>
            <source>Reopen asked, waiting for the service team</source>
            <translation>Reopen asked, waiting for the service team</translation>
        </message>
    </context>
    <context>
        <name>ReportsPanel</name>
        <message>
            <source>My reports</source>
            <translation>My reports</translation>
        </message>
        <message>
            <source>No reports yet. What you send and the service team's answers appear here.</source>
            <translation>No reports yet. What you send and the service team's answers appear here.</translation>
        </message>
    </context>
    <context>
        <name>SurveyCard</name>
        <message>
            <source>Thank you for your score</source>
            <translation>Thank you for your score</translation>
        </message>
        <message>
            <source>How was it? Score 1 to 5</source>
            <translation>How was it? Score 1 to 5</translation>
        </message>
        <message>
            <source>Comment (optional)</source>
            <translation>Comment (optional)</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>Send</translation>
        </message>
    </context>
    <context>
        <name>Texts</name>
        <message>
            <source>Noise</source>
            <translation>Noise</translation>
        </message>
        <message>
            <source>Driving feel</source>
            <translation>Driving feel</translation>
        </message>
        <message>
            <source>Warning lamp</source>
            <translation>Warning lamp</translation>
        </message>
        <message>
            <source>Screen / UI</source>
            <translation>Screen / UI</translation>
        </message>
        <message>
            <source>Service</source>
            <translation>Service</translation>
        </message>
        <message>
            <source>Idea</source>
            <translation>Idea</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>Other</translation>
        </message>
        <message>
            <source>Queued</source>
            <translation>Queued</translation>
        </message>
        <message>
            <source>Sent</source>
            <translation>Sent</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>Acknowledged</translation>
        </message>
        <message>
            <source>Received</source>
            <translation>Received</translation>
        </message>
        <message>
            <source>In progress</source>
            <translation>In progress</translation>
        </message>
        <message>
            <source>Waiting for you</source>
            <translation>Waiting for you</translation>
        </message>
        <message>
            <source>Service visit</source>
            <comment>report status</comment>
            <translation>Service visit</translation>
        </message>
        <message>
            <source>Resolved</source>
            <translation>Resolved</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Closed</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>Rejected</translation>
        </message>
        <message>
            <source>Not sent</source>
            <translation>Not sent</translation>
        </message>
        <message>
            <source>Pick a time</source>
            <translation>Pick a time</translation>
        </message>
        <message>
            <source>We will propose other times</source>
            <translation>We will propose other times</translation>
        </message>
        <message>
            <source>Booked</source>
            <translation>Booked</translation>
        </message>
        <message>
            <source>Checked in</source>
            <translation>Checked in</translation>
        </message>
        <message>
            <source>Inspection</source>
            <translation>Inspection</translation>
        </message>
        <message>
            <source>Diagnosis</source>
            <translation>Diagnosis</translation>
        </message>
        <message>
            <source>Repair</source>
            <translation>Repair</translation>
        </message>
        <message>
            <source>Quality check</source>
            <translation>Quality check</translation>
        </message>
        <message>
            <source>Your car is ready</source>
            <translation>Your car is ready</translation>
        </message>
        <message>
            <source>No visit (declined)</source>
            <translation>No visit (declined)</translation>
        </message>
        <message>
            <source>No visit (cancelled)</source>
            <translation>No visit (cancelled)</translation>
        </message>
        <message>
            <source>Service visit</source>
            <comment>visit stage</comment>
            <translation>Service visit</translation>
        </message>
        <message>
            <source>Time picked, waiting for confirmation</source>
            <translation>Time picked, waiting for confirmation</translation>
        </message>
        <message>
            <source>Declined, waiting for confirmation</source>
            <translation>Declined, waiting for confirmation</translation>
        </message>
        <message>
            <source>Other times asked for</source>
            <translation>Other times asked for</translation>
        </message>
        <message>
            <source>Cancelling, waiting for confirmation</source>
            <translation>Cancelling, waiting for confirmation</translation>
        </message>
        <message>
            <source>Approved, waiting for the dealer</source>
            <translation>Approved, waiting for the dealer</translation>
        </message>
        <message>
            <source>Refused, waiting for the dealer</source>
            <translation>Refused, waiting for the dealer</translation>
        </message>
        <message>
            <source>Answer on its way</source>
            <translation>Answer on its way</translation>
        </message>
        <message>
            <source>Waiting for an agent</source>
            <translation>Waiting for an agent</translation>
        </message>
        <message>
            <source>An agent will call you</source>
            <translation>An agent will call you</translation>
        </message>
        <message>
            <source>Call logged</source>
            <translation>Call logged</translation>
        </message>
        <message>
            <source>Callback cancelled</source>
            <translation>Callback cancelled</translation>
        </message>
        <message>
            <source>Unknown category</source>
            <translation>Unknown category</translation>
        </message>
        <message>
            <source>No typing while driving: choose a category only</source>
            <translation>No typing while driving: choose a category only</translation>
        </message>
        <message>
            <source>Choose a score from 1 to 5</source>
            <translation>Choose a score from 1 to 5</translation>
        </message>
        <message>
            <source>Only while the car is parked</source>
            <translation>Only while the car is parked</translation>
        </message>
        <message>
            <source>The report has no case yet</source>
            <translation>The report has no case yet</translation>
        </message>
        <message>
            <source>A callback for this report is already open</source>
            <translation>A callback for this report is already open</translation>
        </message>
        <message>
            <source>Not possible at this stage of the visit</source>
            <translation>Not possible at this stage of the visit</translation>
        </message>
        <message>
            <source>No longer offered: see the latest update</source>
            <translation>No longer offered: see the latest update</translation>
        </message>
        <message>
            <source>Already answered</source>
            <translation>Already answered</translation>
        </message>
        <message>
            <source>An earlier answer is waiting for confirmation</source>
            <translation>An earlier answer is waiting for confirmation</translation>
        </message>
        <message>
            <source>The queue is full of more urgent reports</source>
            <translation>The queue is full of more urgent reports</translation>
        </message>
        <message>
            <source>Storage is full</source>
            <translation>Storage is full</translation>
        </message>
        <message>
            <source>Saved data was damaged and set aside</source>
            <translation>Saved data was damaged and set aside</translation>
        </message>
        <message>
            <source>Storage cannot be opened</source>
            <translation>Storage cannot be opened</translation>
        </message>
        <message>
            <source>Storage was written by a newer version</source>
            <translation>Storage was written by a newer version</translation>
        </message>
        <message>
            <source>Storage read or write error</source>
            <translation>Storage read or write error</translation>
        </message>
        <message>
            <source>Storage is busy</source>
            <translation>Storage is busy</translation>
        </message>
        <message>
            <source>Not found</source>
            <translation>Not found</translation>
        </message>
        <message>
            <source>Too large to save</source>
            <translation>Too large to save</translation>
        </message>
        <message>
            <source>Some details are missing</source>
            <translation>Some details are missing</translation>
        </message>
        <message>
            <source>Some details are not valid</source>
            <translation>Some details are not valid</translation>
        </message>
        <message>
            <source>Too long</source>
            <translation>Too long</translation>
        </message>
        <message>
            <source>The text has invalid characters</source>
            <translation>The text has invalid characters</translation>
        </message>
        <message>
            <source>The vehicle's certificate is missing or unusable</source>
            <translation>The vehicle's certificate is missing or unusable</translation>
        </message>
        <message>
            <source>Cannot reach the service</source>
            <translation>Cannot reach the service</translation>
        </message>
        <message>
            <source>Not connected</source>
            <translation>Not connected</translation>
        </message>
        <message>
            <source>Storage error</source>
            <translation>Storage error</translation>
        </message>
        <message>
            <source>The data is not valid</source>
            <translation>The data is not valid</translation>
        </message>
        <message>
            <source>Connection error</source>
            <translation>Connection error</translation>
        </message>
        <message>
            <source>Settings file problem</source>
            <translation>Settings file problem</translation>
        </message>
        <message>
            <source>Something went wrong (%1)</source>
            <translation>Something went wrong (%1)</translation>
        </message>
        <message>
            <source>Saved in the car</source>
            <translation>Saved in the car</translation>
        </message>
        <message>
            <source>Delivered</source>
            <translation>Delivered</translation>
        </message>
        <message>
            <source>Received by the service team</source>
            <translation>Received by the service team</translation>
        </message>
        <message>
            <source>Assigned to a team</source>
            <translation>Assigned to a team</translation>
        </message>
        <message>
            <source>Waiting for your answer</source>
            <translation>Waiting for your answer</translation>
        </message>
        <message>
            <source>Workaround offered</source>
            <translation>Workaround offered</translation>
        </message>
        <message>
            <source>Appointment proposed</source>
            <translation>Appointment proposed</translation>
        </message>
        <message>
            <source>Reopened</source>
            <translation>Reopened</translation>
        </message>
        <message>
            <source>Message from the service team</source>
            <translation>Message from the service team</translation>
        </message>
        <message>
            <source>Not accepted</source>
            <translation>Not accepted</translation>
        </message>
        <message>
            <source>Your reply</source>
            <translation>Your reply</translation>
        </message>
        <message>
            <source>You asked to reopen</source>
            <translation>You asked to reopen</translation>
        </message>
        <message>
            <source>Your rating</source>
            <translation>Your rating</translation>
        </message>
        <message>
            <source>Your answer to the appointment</source>
            <translation>Your answer to the appointment</translation>
        </message>
        <message>
            <source>Your request was refused</source>
            <translation>Your request was refused</translation>
        </message>
        <message>
            <source>Only a resolved or closed case can be reopened</source>
            <translation>Only a resolved or closed case can be reopened</translation>
        </message>
        <message>
            <source>The case is closed: reopen it to reply</source>
            <translation>The case is closed: reopen it to reply</translation>
        </message>
        <message>
            <source>The service team could not take this answer</source>
            <translation>The service team could not take this answer</translation>
        </message>
        <message>
            <source>The car&apos;s saved copy of this request was damaged: please ask again</source>
            <translation>The car&apos;s saved copy of this request was damaged: please ask again</translation>
        </message>
        <message>
            <source>the report could not be read</source>
            <translation>the report could not be read</translation>
        </message>
        <message>
            <source>this car&apos;s software is too old for the service</source>
            <translation>this car&apos;s software is too old for the service</translation>
        </message>
        <message>
            <source>something the report needs is missing</source>
            <translation>something the report needs is missing</translation>
        </message>
        <message>
            <source>something in the report is not valid</source>
            <translation>something in the report is not valid</translation>
        </message>
        <message>
            <source>it names another vehicle</source>
            <translation>it names another vehicle</translation>
        </message>
        <message>
            <source>it is too large</source>
            <translation>it is too large</translation>
        </message>
        <message>
            <source>its text could not be read</source>
            <translation>its text could not be read</translation>
        </message>
        <message>
            <source>the service did not expect it</source>
            <translation>the service did not expect it</translation>
        </message>
        <message>
            <source>its number is already used by another report</source>
            <translation>its number is already used by another report</translation>
        </message>
        <message>
            <source>it was sent before with other content</source>
            <translation>it was sent before with other content</translation>
        </message>
        <message>
            <source>the service could not take it</source>
            <translation>the service could not take it</translation>
        </message>
        <message>
            <source>it could not be sent before its time to live ended</source>
            <translation>it could not be sent before its time to live ended</translation>
        </message>
        <message>
            <source>the car&apos;s queue was full, and more urgent or newer reports went first</source>
            <translation>the car&apos;s queue was full, and more urgent or newer reports went first</translation>
        </message>
        <message>
            <source>the car&apos;s saved copy of it was damaged</source>
            <translation>the car&apos;s saved copy of it was damaged</translation>
        </message>
        <message>
            <source>it could not be sent</source>
            <translation>it could not be sent</translation>
        </message>
        <message>
            <source>You can rate once the case is resolved</source>
            <translation>You can rate once the case is resolved</translation>
        </message>
        <message>
            <source>Write a few words first</source>
            <translation>Write a few words first</translation>
        </message>
        <message>
            <source>A noise</source>
            <translation>A noise</translation>
        </message>
        <message>
            <source>Shifting / driving feel</source>
            <translation>Shifting / driving feel</translation>
        </message>
        <message>
            <source>Brakes</source>
            <translation>Brakes</translation>
        </message>
        <message>
            <source>Warning light</source>
            <translation>Warning light</translation>
        </message>
        <message>
            <source>Screen and voice</source>
            <translation>Screen and voice</translation>
        </message>
        <message>
            <source>Climate</source>
            <translation>Climate</translation>
        </message>
        <message>
            <source>Service experience</source>
            <translation>Service experience</translation>
        </message>
        <message>
            <source>An idea</source>
            <translation>An idea</translation>
        </message>
        <message>
            <source>Vehicle speed</source>
            <translation>Vehicle speed</translation>
        </message>
        <message>
            <source>Engine speed</source>
            <translation>Engine speed</translation>
        </message>
        <message>
            <source>Current gear</source>
            <translation>Current gear</translation>
        </message>
        <message>
            <source>Gear selector</source>
            <translation>Gear selector</translation>
        </message>
        <message>
            <source>Accelerator pedal</source>
            <translation>Accelerator pedal</translation>
        </message>
        <message>
            <source>Brake pedal</source>
            <translation>Brake pedal</translation>
        </message>
        <message>
            <source>Coolant temperature</source>
            <translation>Coolant temperature</translation>
        </message>
        <message>
            <source>12 V battery</source>
            <translation>12 V battery</translation>
        </message>
        <message>
            <source>Battery charge</source>
            <translation>Battery charge</translation>
        </message>
        <message>
            <source>Charging</source>
            <translation>Charging</translation>
        </message>
        <message>
            <source>Acceleration</source>
            <translation>Acceleration</translation>
        </message>
        <message>
            <source>Engine warning light</source>
            <translation>Engine warning light</translation>
        </message>
        <message>
            <source>Engine noise level</source>
            <translation>Engine noise level</translation>
        </message>
        <message>
            <source>Brake noise level</source>
            <translation>Brake noise level</translation>
        </message>
        <message>
            <source>, </source>
            <comment>list separator</comment>
            <translation>, </translation>
        </message>
    </context>
    <context>
        <name>TimelineEntry</name>
        <message>
            <source>Your rating: %1 of 5</source>
            <translation>Your rating: %1 of 5</translation>
        </message>
    </context>
    <context>
        <name>TopBar</name>
        <message>
            <source>Feedback</source>
            <translation>Feedback</translation>
        </message>
        <message>
            <source>VIN %1</source>
            <translation>VIN %1</translation>
        </message>
        <message>
            <source>Driving</source>
            <translation>Driving</translation>
        </message>
        <message>
            <source>Parked</source>
            <translation>Parked</translation>
        </message>
    </context>
    <context>
        <name>VisitCard</name>
        <message>
            <source>Service visit</source>
            <translation>Service visit</translation>
        </message>
        <message>
            <source>Extra cost needs your approval: %1</source>
            <translation>Extra cost needs your approval: %1</translation>
        </message>
        <message>
            <source>Approve</source>
            <translation>Approve</translation>
        </message>
        <message>
            <source>Refuse</source>
            <translation>Refuse</translation>
        </message>
        <message>
            <source>Pick</source>
            <translation>Pick</translation>
        </message>
        <message>
            <source>No, thanks</source>
            <translation>No, thanks</translation>
        </message>
        <message>
            <source>Other times</source>
            <translation>Other times</translation>
        </message>
        <message>
            <source>Booked: %1</source>
            <translation>Booked: %1</translation>
        </message>
        <message>
            <source>Reminder: your visit is on %1</source>
            <translation>Reminder: your visit is on %1</translation>
        </message>
        <message>
            <source>Cancel visit</source>
            <translation>Cancel visit</translation>
        </message>
        <message>
            <source>Quality check failed: back to repair</source>
            <translation>Quality check failed: back to repair</translation>
        </message>
        <message>
            <source>Expected ready: %1</source>
            <translation>Expected ready: %1</translation>
        </message>
        <message>
            <source>Estimate: %1</source>
            <translation>Estimate: %1</translation>
        </message>
    </context>
    <context>
        <name>QuickPanel</name>
        <message>
            <source>What is it about?</source>
            <translation>What is it about?</translation>
        </message>
        <message>
            <source>It is happening now</source>
            <translation>It is happening now</translation>
        </message>
        <message>
            <source>%1: add details</source>
            <translation>%1: add details</translation>
        </message>
        <message>
            <source>Something else…</source>
            <translation>Something else…</translation>
        </message>
    </context>
    <context>
        <name>ReviewPanel</name>
        <message>
            <source>Report: %1</source>
            <translation>Report: %1</translation>
        </message>
        <message>
            <source>Sent with it, as you chose last time for this kind:</source>
            <translation>Sent with it, as you chose last time for this kind:</translation>
        </message>
        <message>
            <source>Sent with it (you can remove each part):</source>
            <translation>Sent with it (you can remove each part):</translation>
        </message>
        <message>
            <source>Location (rounded to about 1 km)</source>
            <translation>Location (rounded to about 1 km)</translation>
        </message>
        <message>
            <source>Not available</source>
            <translation>Not available</translation>
        </message>
        <message>
            <source>The service team may call me back</source>
            <translation>The service team may call me back</translation>
        </message>
        <message>
            <source>On the number on record</source>
            <translation>On the number on record</translation>
        </message>
        <message>
            <source>On %1</source>
            <translation>On %1</translation>
        </message>
        <message>
            <source>Other number</source>
            <translation>Other number</translation>
        </message>
        <message>
            <source>Typing is locked while driving</source>
            <translation>Typing is locked while driving</translation>
        </message>
        <message>
            <source>Details (optional)</source>
            <translation>Details (optional)</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Cancel</translation>
        </message>
        <message>
            <source>Add details later</source>
            <translation>Add details later</translation>
        </message>
        <message>
            <source>Saving…</source>
            <translation>Saving…</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>Send</translation>
        </message>
        <message>
            <source>Car signals from when you tapped</source>
            <translation>Car signals from when you tapped</translation>
        </message>
        <message>
            <source>Send it now, or add details later when parked.</source>
            <translation>Send it now, or add details later when parked.</translation>
        </message>
    </context>
</TS>
