#include "fb/ui/reports_model.hpp"

#include <gtest/gtest.h>

#include <QSignalSpy>

namespace fb::ui {
namespace {

agent::ReportView report(const std::string& id, ReportStatus status = ReportStatus::queued) {
  agent::ReportView r;
  r.report_id = id;
  r.category = wire::CATEGORY_NOISE;
  r.text = "刹车异响 brake squeal";
  r.language = "zh-CN";
  r.status = status;
  r.created_ms = 1'780'000'000'000;
  return r;
}

QString status(const ReportsModel& m, int row) { return m.value(row, QStringLiteral("status")).toString(); }

TEST(ReportsModelTest, ResetKeepsTheAgentsOrder) {
  ReportsModel model;
  QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
  model.resetReports({report("b"), report("a")});
  EXPECT_EQ(reset.count(), 1);
  ASSERT_EQ(model.rowCount(), 2);
  EXPECT_EQ(model.value(0, "reportId").toString(), "b");
  EXPECT_EQ(model.value(1, "reportId").toString(), "a");
  EXPECT_EQ(model.value(0, "category").toString(), "noise");
  EXPECT_EQ(model.value(0, "text").toString(), QString::fromUtf8("刹车异响 brake squeal"));
}

TEST(ReportsModelTest, ANewReportIsInsertedOnTop) {
  ReportsModel model;
  model.resetReports({report("a")});
  QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
  QSignalSpy count(&model, &ReportsModel::countChanged);
  model.applyReport(report("b"));
  ASSERT_EQ(inserted.count(), 1);
  EXPECT_EQ(inserted.first().at(1).toInt(), 0);
  EXPECT_EQ(inserted.first().at(2).toInt(), 0);
  EXPECT_EQ(count.count(), 1);
  EXPECT_EQ(model.value(0, "reportId").toString(), "b");
  EXPECT_EQ(model.rowOf("a"), 1);
}

TEST(ReportsModelTest, AnUpdateChangesItsRowInPlace) {
  ReportsModel model;
  model.resetReports({report("b"), report("a")});
  QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
  QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
  QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
  auto acked = report("a", ReportStatus::acknowledged);
  acked.case_number = "FB-2026-000123";
  model.applyReport(acked);
  ASSERT_EQ(changed.count(), 1);
  EXPECT_EQ(changed.first().at(0).toModelIndex().row(), 1);
  EXPECT_EQ(changed.first().at(1).toModelIndex().row(), 1);
  EXPECT_EQ(inserted.count(), 0);
  EXPECT_EQ(reset.count(), 0);
  EXPECT_EQ(status(model, 1), "acknowledged");
  EXPECT_EQ(model.value(1, "caseNumber").toString(), "FB-2026-000123");
  EXPECT_EQ(status(model, 0), "queued");
}

TEST(ReportsModelTest, SentOnlyFollowsQueued) {
  ReportsModel model;
  model.resetReports({report("a"), report("b", ReportStatus::acknowledged)});
  model.markSent("a");
  model.markSent("b");  // a late PUBACK after the backend's ack
  model.markSent("unknown");
  EXPECT_EQ(status(model, 0), "sent");
  EXPECT_EQ(status(model, 1), "acknowledged");
  model.applyReport(report("a"));  // still queued in the agent's store
  EXPECT_EQ(status(model, 0), "sent");
}

// After a restart the agent's live PUBACKs are gone; the stored delivery still says "sent".
TEST(ReportsModelTest, AQueuedReportTheBrokerHadShowsAsSentAfterARestart) {
  auto delivered = report("a");
  delivered.delivered = true;
  auto acknowledged = report("b", ReportStatus::acknowledged);
  acknowledged.delivered = true;
  ReportsModel model;
  model.resetReports({delivered, acknowledged, report("c")});
  EXPECT_EQ(status(model, 0), "sent");
  EXPECT_EQ(status(model, 1), "acknowledged");
  EXPECT_EQ(status(model, 2), "queued");
}

TEST(ReportsModelTest, ADroppedReportCarriesWhyItWasDropped) {
  ReportsModel model;
  model.resetReports({report("a")});
  EXPECT_EQ(model.value(0, "dropReason").toString(), "");
  auto dropped = report("a", ReportStatus::dropped);
  dropped.drop_reason = DropReason::evicted_for_space;
  model.applyReport(dropped);
  EXPECT_EQ(status(model, 0), "dropped");
  EXPECT_EQ(model.value(0, "dropReason").toString(), "evicted_for_space");
}

TEST(ReportsModelTest, RolesHaveTheNamesTheViewsUse) {
  ReportsModel model;
  const auto names = model.roleNames().values();
  for (const char* role : {"reportId", "category", "text", "status", "caseNumber", "team", "lastTitle", "lastText",
                           "rejectReason", "dropReason", "createdMs"}) {
    EXPECT_TRUE(names.contains(role)) << role;
  }
}

TEST(ReportsModelTest, AVisitACallbackAndASurveyBecomeRoles) {
  auto r = report("a", ReportStatus::appointment);
  agent::VisitView v;
  v.latest.set_visit_id("visit-1");
  v.latest.set_stage(wire::VISIT_QUALITY_CHECK);
  v.latest.set_quality_failed(false);
  v.latest.mutable_booked()->set_slot_id("s1");
  v.latest.mutable_booked()->set_dealer_name("SH");
  v.approval_open = false;
  v.pending = agent::PendingVisitReply{"m1", {wire::VisitReply::CANCEL, "", "", ""}, 5};
  r.visit = v;
  r.callback = agent::CallbackView{"cb-1", wire::CALLBACK_PICKED_UP, "王芳", "", 1, 2};
  r.survey_request_id = "n-1";
  ReportsModel model;
  model.resetReports({r, report("b")});
  EXPECT_EQ(model.value(0, "visitStage").toString(), "quality_check");
  EXPECT_EQ(model.value(0, "visitBooked").toMap().value("dealerName").toString(), "SH");
  EXPECT_TRUE(model.value(0, "visitSlots").toList().isEmpty());
  EXPECT_TRUE(model.value(0, "visitExtraCost").toMap().isEmpty());
  EXPECT_EQ(model.value(0, "visitPending").toString(), "cancel");
  EXPECT_EQ(model.value(0, "callbackState").toString(), "picked_up");
  EXPECT_TRUE(model.value(0, "callbackOpen").toBool());
  EXPECT_EQ(model.value(0, "surveyRequestId").toString(), "n-1");
  // A report without any: empty keys, so QML shows no card.
  EXPECT_EQ(model.value(1, "visitStage").toString(), "");
  EXPECT_EQ(model.value(1, "callbackState").toString(), "");
  EXPECT_FALSE(model.value(1, "callbackOpen").toBool());

  r.callback->state = wire::CALLBACK_STATE_UNSPECIFIED;  // asked, not in the queue yet
  model.applyReport(r);
  EXPECT_EQ(model.value(0, "callbackState").toString(), "asked");
}

}  // namespace
}  // namespace fb::ui
