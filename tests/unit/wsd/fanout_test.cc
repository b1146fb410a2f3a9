#include "wsd/fanout.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/wsd/test_events.h"

namespace sattva::wsd {
namespace {

using testing::Ev;

bool Contains(const std::vector<SessionId>& v, SessionId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

TEST(FanoutTest, EveryEventReachesEverySession) {
  Fanout f(8);
  SessionId a = f.Add(), b = f.Add();
  EXPECT_NE(a, b);
  FanoutActions actions;
  f.Broadcast(Ev(1), &actions);
  EXPECT_TRUE(Contains(actions.writable, a));
  EXPECT_TRUE(Contains(actions.writable, b));
  EXPECT_TRUE(actions.dropped.empty());
  EXPECT_EQ(*f.Find(a)->PopOutbound(), *Ev(1)->json);
  EXPECT_EQ(*f.Find(b)->PopOutbound(), *Ev(1)->json);
}

TEST(FanoutTest, FilteredSessionsNeedNoWrite) {
  Fanout f(8);
  SessionId a = f.Add(), b = f.Add();
  f.Find(b)->SetSubscription({"queue_update"});
  FanoutActions actions;
  f.Broadcast(Ev(1, 0, "stats"), &actions);
  EXPECT_EQ(actions.writable, std::vector<SessionId>{a});
}

TEST(FanoutTest, SlowSessionIsDroppedOthersKeepGoing) {
  Fanout f(8);
  SessionId slow = f.Add(), fast = f.Add();
  FanoutActions actions;
  for (uint64_t i = 1; i <= 20; ++i) {
    actions.Clear();
    f.Broadcast(Ev(i), &actions);
    // The fast client reads everything as it comes.
    ASSERT_TRUE(f.Find(fast)->PopOutbound()) << i;
    if (i <= 8) {
      EXPECT_TRUE(actions.dropped.empty());
    } else if (i == 9) {
      EXPECT_EQ(actions.dropped, std::vector<SessionId>{slow});
    } else {
      EXPECT_TRUE(actions.dropped.empty()) << "dropped twice at " << i;
    }
    EXPECT_TRUE(Contains(actions.writable, fast));
  }
  ASSERT_TRUE(f.Find(slow)->close_request());
  EXPECT_FALSE(f.Find(fast)->close_request());
  f.Remove(slow);
  EXPECT_EQ(f.size(), 1u);
  EXPECT_EQ(f.Find(slow), nullptr);
}

TEST(FanoutTest, HeadTracksNewestEvent) {
  Fanout f(8);
  EXPECT_FALSE(f.head());
  f.set_head(StreamId{5, 0});
  FanoutActions actions;
  f.Broadcast(Ev(7), &actions);
  EXPECT_EQ(*f.head(), (StreamId{7, 0}));
}

TEST(FanoutTest, StreamResetTellsEveryone) {
  Fanout f(8);
  SessionId a = f.Add(), b = f.Add();
  FanoutActions actions;
  f.Broadcast(Ev(100), &actions);
  actions.Clear();
  f.StreamReset(StreamId{3, 0}, &actions);
  EXPECT_EQ(actions.writable.size(), 2u);
  EXPECT_EQ(*f.head(), (StreamId{3, 0}));
  f.Find(a)->PopOutbound();
  EXPECT_NE(f.Find(a)->PopOutbound()->find("resync_required"), std::string::npos);
  actions.Clear();
  f.Broadcast(Ev(4), &actions);  // lower than before the reset, still delivered
  EXPECT_TRUE(Contains(actions.writable, b));
}

TEST(FanoutTest, IdsAreNotReused) {
  Fanout f(8);
  SessionId a = f.Add();
  f.Remove(a);
  SessionId b = f.Add();
  EXPECT_NE(a, b);
  EXPECT_EQ(f.Ids(), std::vector<SessionId>{b});
}

}  // namespace
}  // namespace sattva::wsd
