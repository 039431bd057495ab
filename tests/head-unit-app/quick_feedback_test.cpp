// Quick feedback (issue 10, compose side): the tiles, the driving lockout from the vehicle's
// signals, consent remembered per kind, and consent removal reaching the report the agent queues.
#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QFile>
#include <QSignalSpy>
#include <set>

#include "composer_fixture.hpp"
#include "fake_agent.hpp"
#include "fake_clock.hpp"
#include "fake_mqtt.hpp"
#include "fb/agent/agent.hpp"
#include "fb/common/codec.hpp"
#include "fb/ui/consent_store.hpp"
#include "fb/ui/drive_lockout.hpp"
#include "fb/ui/feedback_controller.hpp"
#include "fb/ui/quick_composer.hpp"
#include "fb/ui/quick_feedback.hpp"
#include "process.hpp"

namespace fb::ui {
namespace {

using namespace std::chrono_literals;
using agent::SignalSample;

// --- the tiles ---------------------------------------------------------------------------------

TEST(QuickFeedbackModel, OffersTheCommonCasesAsTwoTapReports) {
  QuickFeedbackModel model;
  std::set<QString> keys;
  for (int row = 0; row < model.rowCount(); ++row) keys.insert(model.value(row, "key").toString());
  EXPECT_EQ(keys, (std::set<QString>{"noise", "driving_feel", "brakes", "warning_lamp", "screen_voice", "climate",
                                     "service", "idea"}));
  for (int row = 0; row < model.rowCount(); ++row) {
    EXPECT_FALSE(model.value(row, "needsText").toBool()) << row;
    // A tile with no text must make a report the wire accepts: the second tap can send it.
    const auto kind = quick_kind(model.value(row, "key").toString().toStdString());
    ASSERT_TRUE(kind);
    agent::Draft draft;
    draft.category = kind->category;
    EXPECT_TRUE(agent::build_report({"LSVAX60E5K2000001", "Aurora EV", 2026, "HU-3.2.1"}, draft, 1'780'000'000'000))
        << kind->key;
  }
  EXPECT_FALSE(model.value(model.rowCount(), "key").isValid());
}

TEST(QuickFeedbackModel, BrakesAndWarningLightsAreSafetyIdeasLow) {
  EXPECT_EQ(quick_kind("brakes")->report_class, agent::ReportClass::safety);
  EXPECT_EQ(quick_kind("brakes")->category, wire::CATEGORY_BRAKES);
  EXPECT_EQ(quick_kind("climate")->category, wire::CATEGORY_CLIMATE);
  EXPECT_EQ(quick_kind("warning_lamp")->report_class, agent::ReportClass::safety);
  EXPECT_EQ(quick_kind("idea")->report_class, agent::ReportClass::low);
  EXPECT_TRUE(quick_kind("noise")->offers_snapshot);
  EXPECT_FALSE(quick_kind("service")->offers_snapshot);
  EXPECT_FALSE(quick_kind("other"));

  QuickFeedbackModel model;
  for (int row = 0; row < model.rowCount(); ++row) {
    if (model.value(row, "key") == "brakes") {
      EXPECT_EQ(model.value(row, "priority").toString(), "safety");
      EXPECT_EQ(model.value(row, "category").toString(), "brakes");
    }
  }
}

// --- the driving lockout -----------------------------------------------------------------------

SignalSample speed(std::int64_t t_ms, double kmh) { return {agent::vss::kSpeed, t_ms, kmh}; }

TEST(DriveLockout, LockedUntilTheFirstSpeedAndUntilStoodStillLongEnough) {
  DriveLockout lockout;  // 5 km/h up, 1 km/h down, 3 s standing
  EXPECT_TRUE(lockout.locked());
  EXPECT_FALSE(lockout.on_sample({agent::vss::kEngineSpeed, 0, 800}));
  EXPECT_FALSE(lockout.on_sample(speed(0, 0)));
  EXPECT_FALSE(lockout.on_sample(speed(2999, 0)));
  EXPECT_TRUE(lockout.locked());
  EXPECT_TRUE(lockout.on_sample(speed(3000, 0)));
  EXPECT_FALSE(lockout.locked());
}

TEST(DriveLockout, HysteresisBetweenTheThresholds) {
  DriveLockout lockout;
  lockout.on_sample(speed(0, 0));
  lockout.on_sample(speed(3000, 0));
  ASSERT_FALSE(lockout.locked());
  EXPECT_FALSE(lockout.on_sample(speed(3100, 4.9)));  // creeping: stays unlocked
  EXPECT_FALSE(lockout.locked());
  EXPECT_TRUE(lockout.on_sample(speed(3200, 5.1)));  // moving: locked at once
  EXPECT_TRUE(lockout.locked());
  EXPECT_FALSE(lockout.on_sample(speed(4000, 3)));  // slowing down: stays locked
  EXPECT_FALSE(lockout.on_sample(speed(5000, 0.5)));
  EXPECT_FALSE(lockout.on_sample(speed(6000, 2)));  // rolled again: the standing time starts over
  EXPECT_FALSE(lockout.on_sample(speed(7000, 0)));
  EXPECT_FALSE(lockout.on_sample(speed(9999, 0)));
  EXPECT_TRUE(lockout.locked());
  EXPECT_TRUE(lockout.on_sample(speed(10000, 0)));
  EXPECT_FALSE(lockout.locked());
}

TEST(DriveLockout, ParkOrTheParkingBrakeUnlocksAtOnceWhenStanding) {
  DriveLockout lockout;
  lockout.on_sample(speed(0, 30));
  lockout.on_sample({agent::vss::kSelectedGear, 0, agent::ParkedTracker::kSelectorPark});
  EXPECT_TRUE(lockout.locked());  // P is not enough while the speed says moving
  EXPECT_TRUE(lockout.on_sample(speed(100, 0)));
  EXPECT_FALSE(lockout.locked());

  DriveLockout brake;
  brake.on_sample(speed(0, 0.2));
  EXPECT_TRUE(brake.on_sample({agent::vss::kParkingBrakeEngaged, 50, 1}));
  EXPECT_FALSE(brake.locked());
}

// --- consent remembered per kind ---------------------------------------------------------------

TEST(ConsentStore, RemembersEachKindApartAndAcrossRestarts) {
  test::TempDir dir;
  const QString file = QString::fromStdString(dir / "consent.ini");
  {
    ConsentStore store(file);
    const auto fresh = store.choice("noise", true);
    EXPECT_EQ(fresh, (ConsentChoice{true, false, false, false}));
    EXPECT_EQ(store.choice("service", false), (ConsentChoice{false, false, false, false}));
    store.remember("noise", {false, true, true, false});
    store.setPhone("+86 138 0000 0000");
  }
  ConsentStore again(file);
  EXPECT_EQ(again.choice("noise", true), (ConsentChoice{false, true, true, true}));
  EXPECT_EQ(again.choice("brakes", true), (ConsentChoice{true, false, false, false}));  // another kind
  EXPECT_EQ(again.phone(), "+86 138 0000 0000");
}

TEST(ConsentStore, TheCallbackNumberIsSealedWithTheCarsKeysAndForgottenWithoutThem) {
  test::TempDir dir;
  const QString file = QString::fromStdString(dir / "consent.ini");
  ASSERT_TRUE(crypto::ensure_key_file(dir / "car.keys"));
  auto ring = crypto::load_key_file(dir / "car.keys");
  ASSERT_TRUE(ring) << ring.error().what();
  auto keys = std::make_shared<const crypto::KeyRing>(std::move(*ring));
  ConsentStore(file, keys).setPhone("+86 139 2222 3333");

  QFile raw(file);
  ASSERT_TRUE(raw.open(QIODevice::ReadOnly));
  const auto bytes = raw.readAll();
  EXPECT_FALSE(bytes.contains("2222")) << bytes.toStdString();
  EXPECT_TRUE(bytes.contains("sealed:"));
  EXPECT_EQ(ConsentStore(file, keys).phone(), "+86 139 2222 3333");
  // Another car's key, or none: the number does not open and is forgotten, never shown sealed.
  ASSERT_TRUE(crypto::ensure_key_file(dir / "other.keys"));
  auto other = crypto::load_key_file(dir / "other.keys");
  ASSERT_TRUE(other);
  EXPECT_EQ(ConsentStore(file, std::make_shared<const crypto::KeyRing>(std::move(*other))).phone(), "");
  EXPECT_EQ(ConsentStore(file).phone(), "");

  // A number remembered before the car had keys is sealed at its first read with them.
  const QString old_file = QString::fromStdString(dir / "old.ini");
  ConsentStore(old_file).setPhone("+86 137 4444 5555");
  EXPECT_EQ(ConsentStore(old_file, keys).phone(), "+86 137 4444 5555");
  QFile old_raw(old_file);
  ASSERT_TRUE(old_raw.open(QIODevice::ReadOnly));
  EXPECT_FALSE(old_raw.readAll().contains("4444"));
  EXPECT_EQ(ConsentStore(old_file, keys).phone(), "+86 137 4444 5555");
}

// --- the composer on a fake agent --------------------------------------------------------------

class QuickComposerFakeTest : public ::testing::Test {
 protected:
  void settle() { QCoreApplication::sendPostedEvents(); }

  test::TempDir dir_;
  test::FakeAgent agent_;
  FeedbackController controller_{agent_};
  ConsentStore store_{QString::fromStdString(dir_ / "consent.ini")};
  QuickComposer composer_{controller_, agent_, store_};
};

TEST_F(QuickComposerFakeTest, TwoTapsQueueOneReportWithTheMomentOfTheTileTap) {
  agent_.snapshot_clock = 1000;
  ASSERT_TRUE(composer_.choose("brakes"));
  EXPECT_TRUE(composer_.reviewing());
  EXPECT_TRUE(composer_.snapshotOffered());
  EXPECT_TRUE(composer_.attachSignals());  // the default, shown on the review
  EXPECT_FALSE(composer_.rememberedChoice());
  agent_.snapshot_clock = 9000;  // the driver took 8 s to tap Send
  ASSERT_TRUE(composer_.send());
  ASSERT_EQ(agent_.submitted.size(), 1u);
  const auto& d = agent_.submitted[0].draft;
  EXPECT_EQ(d.category, wire::CATEGORY_BRAKES);
  EXPECT_EQ(d.report_class, agent::ReportClass::safety);
  EXPECT_TRUE(d.capture_snapshot);
  EXPECT_EQ(d.snapshot_at_ms, 1000);
  EXPECT_TRUE(d.consent.diagnostics());
  EXPECT_TRUE(d.text.empty());
  EXPECT_FALSE(composer_.reviewing());
}

TEST_F(QuickComposerFakeTest, NotHappeningNowTakesNoSnapshot) {
  agent_.snapshot_clock = 1000;
  composer_.setHappeningNow(false);
  composer_.choose("noise");
  EXPECT_FALSE(composer_.snapshotOffered());
  composer_.send();
  ASSERT_EQ(agent_.submitted.size(), 1u);
  EXPECT_FALSE(agent_.submitted[0].draft.capture_snapshot);
}

TEST_F(QuickComposerFakeTest, TheChoiceIsRememberedPerKindAndShownAsSuch) {
  composer_.choose("noise");
  composer_.setAttachSignals(false);
  composer_.setAllowContact(true);
  composer_.setPhone("13800000000");
  composer_.send();

  composer_.choose("noise");
  EXPECT_TRUE(composer_.rememberedChoice());
  EXPECT_FALSE(composer_.attachSignals());
  EXPECT_TRUE(composer_.allowContact());
  composer_.cancel();
  composer_.choose("climate");  // another kind keeps its own defaults
  EXPECT_FALSE(composer_.rememberedChoice());
  EXPECT_TRUE(composer_.attachSignals());
  EXPECT_FALSE(composer_.allowContact());
  EXPECT_EQ(ConsentStore(QString::fromStdString(dir_ / "consent.ini")).phone(), "13800000000");
}

TEST_F(QuickComposerFakeTest, WhileMovingTextIsLockedAndTheReportCanWaitForDetails) {
  composer_.choose("noise");
  composer_.setText("rattle from the dashboard");
  EXPECT_TRUE(composer_.canSend());
  QSignalSpy locked(&composer_, &QuickComposer::textLockedChanged);
  controller_.setMovingFromSignals(true);
  EXPECT_EQ(locked.count(), 1);
  EXPECT_TRUE(composer_.textLocked());
  EXPECT_FALSE(composer_.canSend());  // text typed while parked does not go while moving
  EXPECT_FALSE(composer_.send());
  EXPECT_TRUE(agent_.submitted.empty());

  ASSERT_TRUE(composer_.saveForLater());
  EXPECT_FALSE(composer_.reviewing());
  ASSERT_EQ(composer_.drafts()->rowCount(), 1);
  EXPECT_EQ(composer_.drafts()->data(composer_.drafts()->index(0), QuickDraftsModel::KindRole).toString(), "noise");

  controller_.setMovingFromSignals(false);
  ASSERT_TRUE(composer_.resumeDraft(0));
  EXPECT_EQ(composer_.drafts()->rowCount(), 0);
  EXPECT_EQ(composer_.text(), "rattle from the dashboard");
  composer_.setText("rattle from the dashboard at 80 km/h");
  ASSERT_TRUE(composer_.send());
  ASSERT_EQ(agent_.submitted.size(), 1u);
  EXPECT_EQ(agent_.submitted[0].draft.text, "rattle from the dashboard at 80 km/h");
}

TEST_F(QuickComposerFakeTest, TheDemoOverrideKeepsTheCarMovingWhateverTheSignalsSay) {
  controller_.setVehicleMoving(true);
  controller_.setMovingFromSignals(false);
  EXPECT_TRUE(controller_.vehicleMoving());
  controller_.setVehicleMoving(false);
  EXPECT_FALSE(controller_.vehicleMoving());
  controller_.setMovingFromSignals(true);
  EXPECT_TRUE(controller_.vehicleMoving());
}

// --- consent removal, down to the queued report ------------------------------------------------

class QuickConsentAgentTest : public test_support::ComposerOnAgent {
 protected:
  void SetUp() override {
    agent::SnapshotRecorder::Config rc;
    rc.ring.allowed = {agent::vss::kSpeed};
    rc.pre = 2s;
    rc.post = 1s;
    auto recorder = agent::SnapshotRecorder::create(strand_, clock_, rc);
    ASSERT_TRUE(recorder);
    recorder_ = std::move(*recorder);
    ASSERT_NO_FATAL_FAILURE(open(recorder_.get()));
    composer_->setLocationSource([] {
      wire::Location here;
      here.set_latitude(31.37471);
      here.set_longitude(121.25104);
      return std::optional(here);
    });
    settle();
  }
  // Drives for a while: a speed sample every 100 ms into the recorder.
  void drive(std::chrono::milliseconds how_long) {
    for (auto t = 0ms; t < how_long; t += 100ms) {
      recorder_->add({agent::vss::kSpeed, agent::steady_ms(clock_), 42});
      clock_.advance(100ms);
      settle();
    }
  }

  std::unique_ptr<agent::SnapshotRecorder> recorder_;
};

TEST_F(QuickConsentAgentTest, RemovedSignalsAndLocationAreNotInTheQueuedReport) {
  drive(3s);
  ASSERT_TRUE(composer_->choose("noise"));
  composer_->setAttachSignals(false);
  composer_->setAttachLocation(false);
  ASSERT_TRUE(composer_->send());
  settle();
  const auto report = published();  // not held for a snapshot: it goes at once
  EXPECT_FALSE(report.consent().diagnostics());
  EXPECT_FALSE(report.consent().location());
  EXPECT_FALSE(report.has_snapshot());
  EXPECT_FALSE(report.has_location());
}

TEST_F(QuickConsentAgentTest, KeptSignalsAreRecordedAroundTheTileTapAndTheLocationIsCoarse) {
  drive(3s);
  ASSERT_TRUE(composer_->choose("noise"));
  composer_->setAttachLocation(true);
  drive(500ms);  // the driver looks at the review before Send
  ASSERT_TRUE(composer_->send());
  settle();
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);  // held for the post-tap window
  drive(2s);
  const auto report = published();
  EXPECT_TRUE(report.consent().diagnostics());
  ASSERT_TRUE(report.has_snapshot());
  EXPECT_GT(report.snapshot().signals_size(), 0);
  // Around the tile tap, 500 ms before the report's time: -2 s / +1 s from the tap.
  EXPECT_EQ(report.snapshot().window_start_ms(), -2500);
  EXPECT_EQ(report.snapshot().window_end_ms(), 500);
  ASSERT_TRUE(report.has_location());
  EXPECT_DOUBLE_EQ(report.location().latitude(), 31.37);
  EXPECT_DOUBLE_EQ(report.location().longitude(), 121.25);
}

TEST_F(QuickConsentAgentTest, AMomentNoLongerRecordedGoesOutFlaggedNotAsAnotherMomentsSnapshot) {
  drive(3s);
  ASSERT_TRUE(composer_->choose("noise"));  // the tile tap
  drive(3s);                                // longer than post + settle + the ring's slack (2.1 s)
  ASSERT_TRUE(composer_->send());
  settle();
  const auto report = published();  // released at once, without waiting for a window
  EXPECT_TRUE(report.consent().diagnostics());
  EXPECT_FALSE(report.has_snapshot());
  EXPECT_TRUE(report.snapshot_lost());
}

}  // namespace
}  // namespace fb::ui
