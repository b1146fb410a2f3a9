#include "wsd/subscription.h"

#include <gtest/gtest.h>

namespace sattva::wsd {
namespace {

TEST(SubscriptionTest, NewSubscriptionMatchesEverything) {
  Subscription s;
  EXPECT_TRUE(s.matches_all());
  EXPECT_TRUE(s.Matches("stats"));
  EXPECT_TRUE(s.Matches("anything"));
}

TEST(SubscriptionTest, NamedTypesOnly) {
  Subscription s;
  s.Set({"stats", "queue_update"});
  EXPECT_FALSE(s.matches_all());
  EXPECT_TRUE(s.Matches("stats"));
  EXPECT_TRUE(s.Matches("queue_update"));
  EXPECT_FALSE(s.Matches("stream_update"));
  EXPECT_FALSE(s.Matches("Stats"));
  EXPECT_FALSE(s.Matches(""));
}

TEST(SubscriptionTest, EmptyOrStarMeansAll) {
  Subscription s;
  s.Set({"stats"});
  s.Set({});
  EXPECT_TRUE(s.Matches("error"));
  s.Set({"stats"});
  s.Set({"stats", "*"});
  EXPECT_TRUE(s.matches_all());
  EXPECT_TRUE(s.Matches("listeners_update"));
}

TEST(SubscriptionTest, SetReplacesThePreviousSet) {
  Subscription s;
  s.Set({"stats"});
  s.Set({"error"});
  EXPECT_FALSE(s.Matches("stats"));
  EXPECT_TRUE(s.Matches("error"));
}

}  // namespace
}  // namespace sattva::wsd
