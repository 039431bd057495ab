// BannerQueue with a fake moving state (setMoving by hand): non-urgent banners wait while the
// car moves and follow once it stops, in order; urgent safety guidance shows at once.
#include "fb/ui/banner_queue.hpp"

#include <gtest/gtest.h>

#include <QSignalSpy>

namespace fb::ui {
namespace {

Banner banner(const char* id, bool urgent = false) {
  return Banner{QString::fromLatin1(id), "r1", "FB-2026-000123", QString::fromLatin1(id) + " title", "text", urgent};
}

TEST(BannerQueue, ParkedABannerShowsAtOnceAndTheNextOneFollowsWhenDismissed) {
  BannerQueue q;
  QSignalSpy changed(&q, &BannerQueue::currentChanged);
  q.push(banner("a"));
  EXPECT_TRUE(q.showing());
  EXPECT_EQ(q.messageId(), "a");
  q.push(banner("b"));
  EXPECT_EQ(q.messageId(), "a");  // one at a time
  EXPECT_EQ(q.waiting(), 1);
  q.dismiss();
  EXPECT_EQ(q.messageId(), "b");
  EXPECT_EQ(q.waiting(), 0);
  q.dismiss();
  EXPECT_FALSE(q.showing());
  EXPECT_EQ(changed.count(), 3);
}

TEST(BannerQueue, WhileDrivingProgressWaitsAndShowsInOrderOnceTheCarStops) {
  BannerQueue q;
  q.setMoving(true);
  q.push(banner("a"));
  q.push(banner("b"));
  EXPECT_FALSE(q.showing());
  EXPECT_EQ(q.waiting(), 2);
  q.dismiss();  // nothing showing: nothing happens
  EXPECT_FALSE(q.showing());
  q.setMoving(false);
  EXPECT_EQ(q.messageId(), "a");
  q.dismiss();
  EXPECT_EQ(q.messageId(), "b");
}

TEST(BannerQueue, StartingToDriveTakesAShownProgressBannerBackInLine) {
  BannerQueue q;
  q.push(banner("a"));
  q.push(banner("b"));
  q.setMoving(true);
  EXPECT_FALSE(q.showing());
  EXPECT_EQ(q.waiting(), 2);
  q.setMoving(false);
  EXPECT_EQ(q.messageId(), "a");  // back at the head, before b
}

TEST(BannerQueue, SafetyGuidanceShowsAtOnceWhileDrivingAheadOfEverything) {
  BannerQueue q;
  q.push(banner("progress"));  // showing, parked
  q.setMoving(true);
  q.push(banner("later"));
  q.push(banner("pull-over", true));
  EXPECT_TRUE(q.showing());
  EXPECT_TRUE(q.urgent());
  EXPECT_EQ(q.messageId(), "pull-over");
  q.push(banner("second-urgent", true));
  EXPECT_EQ(q.messageId(), "pull-over");  // not replaced; next in line
  q.dismiss();
  EXPECT_EQ(q.messageId(), "second-urgent");  // urgent: shows while moving
  q.dismiss();
  EXPECT_FALSE(q.showing());  // the rest wait for the car to stop
  EXPECT_EQ(q.waiting(), 2);
  q.setMoving(false);
  EXPECT_EQ(q.messageId(), "progress");
  q.dismiss();
  EXPECT_EQ(q.messageId(), "later");
}

TEST(BannerQueue, AnUrgentBannerPutsAShownProgressBannerBackFirst) {
  BannerQueue q;
  q.push(banner("a"));
  q.push(banner("b"));
  q.push(banner("urgent", true));
  EXPECT_EQ(q.messageId(), "urgent");
  q.dismiss();
  EXPECT_EQ(q.messageId(), "a");
}

}  // namespace
}  // namespace fb::ui
