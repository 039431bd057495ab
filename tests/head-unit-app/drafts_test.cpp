// Drafts that survive a restart and the callback number on the wire (issue 10): the composer on
// a real agent and car store, closed and opened again as a power cut or a killed app would.
#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTest>

#include "composer_fixture.hpp"

namespace fb::ui {
namespace {

class DraftsTest : public test_support::ComposerOnAgent {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(start()); }

  // As fb-headunit starts: the agent on the car store, the composer, the kept drafts loaded.
  void start() {
    ASSERT_NO_FATAL_FAILURE(open());
    composer_->loadDrafts();
    settle();
  }
  // Everything goes, the review still open.
  void stop() { close(); }
  std::vector<agent::SavedDraft> kept() {
    std::vector<agent::SavedDraft> out;
    agent_->drafts([&](auto d) { out = d.value_or(std::vector<agent::SavedDraft>{}); });
    settle();
    return out;
  }
  QString draftText(int row) {
    return composer_->drafts()->data(composer_->drafts()->index(row), QuickDraftsModel::TextRole).toString();
  }
};

TEST_F(DraftsTest, WhatWasTypedComesBackAfterARestartAndGoesOnceSent) {
  ASSERT_TRUE(composer_->choose("noise"));
  composer_->setText(QString::fromUtf8("仪表台异响 rattle"));
  EXPECT_TRUE(composer_->draftSavePending()) << "each change is saved, a little later";
  EXPECT_TRUE(kept().empty()) << "not before the timer";
  // The timer itself saves it (its delay cut to 0 for the test).
  composer_->setDraftSaveDelay(0);
  composer_->setText(QString::fromUtf8("仪表台异响 rattle"));  // the same text: a restart of the timer
  composer_->setText(QString::fromUtf8("仪表台异响 rattle "));
  composer_->setText(QString::fromUtf8("仪表台异响 rattle"));
  ASSERT_TRUE(QTest::qWaitFor([&] { return !composer_->draftSavePending(); }, 5000));
  settle();
  ASSERT_EQ(kept().size(), 1u);

  stop();  // the power goes while the review is open
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_EQ(composer_->drafts()->rowCount(), 1);
  EXPECT_EQ(draftText(0), QString::fromUtf8("仪表台异响 rattle"));
  EXPECT_FALSE(composer_->reviewing());

  ASSERT_TRUE(composer_->resumeDraft(0));
  EXPECT_EQ(composer_->kind(), "noise");
  EXPECT_EQ(composer_->text(), QString::fromUtf8("仪表台异响 rattle"));
  EXPECT_EQ(kept().size(), 1u) << "kept until its report is committed";
  ASSERT_TRUE(composer_->send());
  settle();
  EXPECT_EQ(published().text(), "仪表台异响 rattle");
  EXPECT_TRUE(kept().empty());

  stop();
  ASSERT_NO_FATAL_FAILURE(start());
  EXPECT_EQ(composer_->drafts()->rowCount(), 0) << "a sent draft does not come back";
}

// The driver types and taps Send within the second before the draft's save: the queue refuses
// the report (full of safety reports, which nothing evicts). The words are kept as a draft, on
// disk and in the list, not lost with the closed review.
TEST_F(DraftsTest, WhatWasTypedJustBeforeASendTheQueueRefusesIsKeptAsADraft) {
  stop();
  max_reports_ = 1;
  ASSERT_NO_FATAL_FAILURE(start());
  agent::Draft safety;
  safety.category = wire::CATEGORY_BRAKES;
  safety.report_class = agent::ReportClass::safety;
  // The composer's signals are its own: a quick report neither clears what was typed there nor
  // says "Saved" under it.
  QSignalSpy composerSaved(controller_.get(), &FeedbackController::reportSaved);
  bool saved = false;
  ASSERT_TRUE(controller_->submitDraft(safety, [&](bool ok) { saved = ok; }));
  settle();
  ASSERT_TRUE(saved) << controller_->actionError().toStdString();
  EXPECT_EQ(composerSaved.count(), 0);

  ASSERT_TRUE(composer_->choose("noise"));
  composer_->setText(QString::fromUtf8("仪表台异响 rattle"));
  ASSERT_TRUE(composer_->draftSavePending());
  ASSERT_TRUE(composer_->send());
  settle();
  EXPECT_FALSE(controller_->actionError().isEmpty()) << "the queue is full: the report was refused";
  EXPECT_TRUE(controller_->lastError().isEmpty()) << "not the composer's report";
  ASSERT_EQ(kept().size(), 1u) << "the words typed are kept on disk";
  EXPECT_EQ(kept().front().text, "仪表台异响 rattle");
  ASSERT_EQ(composer_->drafts()->rowCount(), 1) << "and in the list, to send again";
  EXPECT_EQ(draftText(0), QString::fromUtf8("仪表台异响 rattle"));
}

TEST_F(DraftsTest, AddDetailsLaterIsKeptAtOnceAndCancelThrowsItAway) {
  ASSERT_TRUE(composer_->choose("climate"));
  composer_->setAllowContact(true);
  composer_->setPhone("13800000000");
  ASSERT_TRUE(composer_->saveForLater());
  settle();
  auto drafts = kept();
  ASSERT_EQ(drafts.size(), 1u);
  EXPECT_EQ(drafts[0].kind, "climate");
  EXPECT_TRUE(drafts[0].consent.contact());
  EXPECT_EQ(drafts[0].phone, "13800000000");

  stop();
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_EQ(composer_->drafts()->rowCount(), 1);
  ASSERT_TRUE(composer_->resumeDraft(0));
  EXPECT_TRUE(composer_->allowContact());
  EXPECT_EQ(composer_->phone(), "13800000000");
  composer_->cancel();
  settle();
  EXPECT_TRUE(kept().empty());
  EXPECT_EQ(test::pending_publishes(*mqtt_), 0u);
}

TEST_F(DraftsTest, TheCallbackNumberGoesWithTheReportOnlyWithConsentToBeCalled) {
  ASSERT_TRUE(composer_->choose("brakes"));
  composer_->setAllowContact(true);
  composer_->setPhone(" +86 138 0000 0000 ");
  ASSERT_TRUE(composer_->send());
  settle();
  auto report = published();
  EXPECT_TRUE(report.consent().contact());
  EXPECT_EQ(report.callback_phone(), "+86 138 0000 0000");
  EXPECT_EQ(report.category(), wire::CATEGORY_BRAKES);

  // A number pasted with brackets or a hash keeps only what the wire accepts, and still goes.
  ASSERT_TRUE(composer_->choose("brakes"));
  composer_->setAllowContact(true);
  composer_->setPhone("(030) 1234#567.");
  EXPECT_EQ(composer_->phone(), "030 1234567");
  ASSERT_TRUE(composer_->send());
  settle();
  EXPECT_EQ(published().callback_phone(), "030 1234567");

  ASSERT_TRUE(composer_->choose("brakes"));
  composer_->setAllowContact(false);
  ASSERT_TRUE(composer_->send());
  settle();
  report = published();
  EXPECT_FALSE(report.consent().contact());
  EXPECT_EQ(report.callback_phone(), "") << "no number without consent";
}

}  // namespace
}  // namespace fb::ui
