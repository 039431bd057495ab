#include "fb/mqtt/subscription_registry.hpp"

#include <gtest/gtest.h>

namespace fb::mqtt {
namespace {

class SubscriptionRegistryTest : public ::testing::Test {
 protected:
  struct Asked {
    std::string filter;
    QoS qos;
    std::function<void(Error)> done;
  };
  std::vector<Asked> asked;
  std::vector<Error> rounds;
  SubscriptionRegistry registry{[this](const std::string& f, QoS q, std::function<void(Error)> done) {
                                  asked.push_back({f, q, std::move(done)});
                                },
                                [this](Error e) { rounds.push_back(std::move(e)); }};

  void answer(std::size_t i, Error e = {}) { std::exchange(asked.at(i).done, nullptr)(std::move(e)); }
};

TEST_F(SubscriptionRegistryTest, FiltersAreAppliedOneAtATimeInOrderOnEachConnection) {
  registry.add("a/#", QoS::at_least_once);
  registry.add("b/+", QoS::at_most_once);
  EXPECT_TRUE(asked.empty());  // not before a link
  registry.link_up();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].filter, "a/#");
  EXPECT_EQ(asked[0].qos, QoS::at_least_once);
  answer(0);
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[1].qos, QoS::at_most_once);
  EXPECT_TRUE(rounds.empty());
  answer(1);
  ASSERT_EQ(rounds.size(), 1u);
  EXPECT_FALSE(rounds[0].code);
  EXPECT_FALSE(registry.applying());

  registry.link_down();
  registry.link_up();  // the next connection starts over
  ASSERT_EQ(asked.size(), 3u);
  EXPECT_EQ(asked[2].filter, "a/#");
}

TEST_F(SubscriptionRegistryTest, WithoutFiltersARoundEndsAtOnce) {
  registry.link_up();
  ASSERT_EQ(rounds.size(), 1u);
  EXPECT_FALSE(rounds[0].code);
}

TEST_F(SubscriptionRegistryTest, AFilterAddedDuringARoundIsPartOfIt) {
  registry.add("a", QoS::at_least_once);
  registry.link_up();
  registry.add("b", QoS::at_least_once);
  EXPECT_EQ(asked.size(), 1u);
  answer(0);
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[1].filter, "b");
  EXPECT_TRUE(rounds.empty());
  answer(1);
  EXPECT_EQ(rounds.size(), 1u);
}

TEST_F(SubscriptionRegistryTest, AFilterAddedWhileUpAndIdleIsAppliedAtOnce) {
  registry.link_up();
  registry.add("late", QoS::at_least_once);
  EXPECT_FALSE(registry.add("late", QoS::at_most_once));  // already registered
  ASSERT_EQ(asked.size(), 1u);
  answer(0);
  EXPECT_EQ(rounds.size(), 2u);
  EXPECT_EQ(registry.filters().size(), 1u);
}

TEST_F(SubscriptionRegistryTest, ARefusalEndsTheRoundWithIt) {
  registry.add("a", QoS::at_least_once);
  registry.add("forbidden", QoS::at_least_once);
  registry.add("c", QoS::at_least_once);
  registry.link_up();
  answer(0);
  answer(1, Error(MqttErrc::subscribe_failed, "forbidden: refused"));
  ASSERT_EQ(rounds.size(), 1u);
  EXPECT_EQ(rounds[0].code, make_error_code(MqttErrc::subscribe_failed));
  EXPECT_EQ(asked.size(), 2u);  // c not asked on this connection
  EXPECT_EQ(registry.applied_count(), 1u);
}

TEST_F(SubscriptionRegistryTest, AnswersFromAnAbandonedRoundAreIgnored) {
  registry.add("a", QoS::at_least_once);
  registry.link_up();
  registry.link_down();
  answer(0);
  EXPECT_TRUE(rounds.empty());
  registry.link_up();
  answer(1);
  EXPECT_EQ(rounds.size(), 1u);
}

}  // namespace
}  // namespace fb::mqtt
