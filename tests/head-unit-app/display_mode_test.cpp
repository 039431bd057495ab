// DisplayMode: the day/night palette switch. "auto" follows the clock (night from 19:00 to
// 07:00), "day" and "night" hold whatever the time; unknown modes are refused.
#include "fb/ui/display_mode.hpp"

#include <gtest/gtest.h>

#include <QSignalSpy>

namespace fb::ui {
namespace {

class DisplayModeTest : public ::testing::Test {
 protected:
  QTime now_{12, 0};
  DisplayMode mode_{[this] { return now_; }};
};

TEST_F(DisplayModeTest, AutoFollowsTheClock) {
  EXPECT_EQ(mode_.mode(), "auto");
  EXPECT_FALSE(mode_.night());
  QSignalSpy changed(&mode_, &DisplayMode::nightChanged);
  now_ = QTime(19, 0);
  mode_.refresh();
  EXPECT_TRUE(mode_.night());
  now_ = QTime(6, 59);
  mode_.refresh();
  EXPECT_TRUE(mode_.night());
  now_ = QTime(7, 0);
  mode_.refresh();
  EXPECT_FALSE(mode_.night());
  EXPECT_EQ(changed.count(), 2);
}

TEST_F(DisplayModeTest, FixedModesIgnoreTheClock) {
  ASSERT_TRUE(mode_.setMode("night"));
  EXPECT_TRUE(mode_.night());
  now_ = QTime(13, 0);
  mode_.refresh();
  EXPECT_TRUE(mode_.night());
  ASSERT_TRUE(mode_.setMode("day"));
  now_ = QTime(23, 0);
  mode_.refresh();
  EXPECT_FALSE(mode_.night());
  ASSERT_TRUE(mode_.setMode("auto"));
  EXPECT_TRUE(mode_.night());  // 23:00
}

TEST_F(DisplayModeTest, RefusesUnknownModes) {
  QSignalSpy changed(&mode_, &DisplayMode::modeChanged);
  EXPECT_FALSE(mode_.setMode("dusk"));
  EXPECT_EQ(mode_.mode(), "auto");
  EXPECT_EQ(changed.count(), 0);
}

}  // namespace
}  // namespace fb::ui
