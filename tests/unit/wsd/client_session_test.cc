#include "wsd/client_session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json.h"
#include "tests/unit/wsd/test_events.h"

namespace sattva::wsd {
namespace {

using testing::Ev;
using Result = ClientSession::Result;

// Pops every queued message and returns, for each, the event id or the control type.
std::vector<std::string> Drain(ClientSession& s) {
  std::vector<std::string> out;
  while (Message m = s.PopOutbound()) {
    Json::Value v;
    std::string error;
    EXPECT_TRUE(common::ParseJson(*m, &v, &error)) << *m;
    out.push_back(v.isMember("id") ? v["id"].asString() : v["type"].asString());
  }
  return out;
}

Backfill Stored(std::vector<WireEventPtr> events, std::optional<StreamId> lower,
                bool resync = false) {
  Backfill b;
  b.events = std::move(events);
  b.lower = lower;
  b.resync = resync;
  return b;
}

TEST(ClientSessionTest, LiveEventsInOrderAndDuplicatesDropped) {
  ClientSession s(16);
  EXPECT_EQ(s.OnLiveEvent(Ev(1)), Result::kQueued);
  EXPECT_EQ(s.OnLiveEvent(Ev(2)), Result::kQueued);
  EXPECT_EQ(s.OnLiveEvent(Ev(2)), Result::kNothing);  // same id again
  EXPECT_EQ(s.OnLiveEvent(Ev(1)), Result::kNothing);  // older id
  EXPECT_EQ(s.OnLiveEvent(Ev(2, 1)), Result::kQueued);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"1-0", "2-0", "2-1"}));
  EXPECT_EQ(*s.cursor(), (StreamId{2, 1}));
}

TEST(ClientSessionTest, SubscriptionFilters) {
  ClientSession s(16);
  s.SetSubscription({"queue_update"});
  EXPECT_EQ(s.OnLiveEvent(Ev(1, 0, "stats")), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(2, 0, "queue_update")), Result::kQueued);
  s.SetSubscription({"*"});
  EXPECT_EQ(s.OnLiveEvent(Ev(3, 0, "stats")), Result::kQueued);
  s.SetSubscription({"error"});
  EXPECT_EQ(s.OnLiveEvent(Ev(4, 0, "stats")), Result::kNothing);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"2-0", "3-0"}));
  // Filtered events still count as seen: no later duplicate.
  s.SetSubscription({});
  EXPECT_EQ(s.OnLiveEvent(Ev(4, 0, "stats")), Result::kNothing);
}

TEST(ClientSessionTest, OverflowRequestsCloseAndStopsQueueing) {
  ClientSession s(8);
  for (uint64_t i = 1; i <= 8; ++i) ASSERT_EQ(s.OnLiveEvent(Ev(i)), Result::kQueued);
  EXPECT_EQ(s.queued(), 8u);
  EXPECT_EQ(s.OnLiveEvent(Ev(9)), Result::kOverflow);
  ASSERT_TRUE(s.close_request());
  EXPECT_TRUE(s.close_request()->code == kClosePolicyViolation ||
              s.close_request()->code == kCloseTryAgainLater);
  EXPECT_FALSE(s.close_request()->reason.empty());
  EXPECT_LE(s.close_request()->reason.size(), 123u);  // fits a close frame
  EXPECT_FALSE(s.HasOutbound());
  EXPECT_EQ(s.OnLiveEvent(Ev(10)), Result::kNothing);
  EXPECT_EQ(s.SendControl(std::string("{}")), Result::kNothing);
}

TEST(ClientSessionTest, ReadingKeepsTheClientUnderTheBound) {
  ClientSession s(8);
  for (uint64_t i = 1; i <= 100; ++i) {
    ASSERT_EQ(s.OnLiveEvent(Ev(i)), Result::kQueued) << i;
    ASSERT_TRUE(s.PopOutbound());
  }
  EXPECT_FALSE(s.close_request());
}

TEST(ClientSessionTest, ControlMessagesHaveHeadroom) {
  ClientSession s(8);
  for (uint64_t i = 1; i <= 8; ++i) ASSERT_EQ(s.OnLiveEvent(Ev(i)), Result::kQueued);
  // A full event queue still takes a pong, but not endless ones.
  EXPECT_EQ(s.SendControl(std::string("{\"type\":\"pong\"}")), Result::kQueued);
  size_t sent = 1;
  while (s.SendControl(std::string("{\"type\":\"pong\"}")) == Result::kQueued) ++sent;
  EXPECT_EQ(sent, kControlHeadroom);
  EXPECT_TRUE(s.close_request());
}

TEST(ClientSessionTest, FirstCloseRequestWins) {
  ClientSession s(8);
  s.RequestClose(kCloseGoingAway, "going away");
  s.RequestClose(kClosePolicyViolation, "slow");
  EXPECT_EQ(s.close_request()->code, kCloseGoingAway);
}

TEST(ClientSessionTest, ResumeSendsStoredThenHeldLiveWithoutDuplicates) {
  ClientSession s(16);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  EXPECT_TRUE(s.resuming());
  // Live events arrive while Redis is being read; 12 and 13 are also in the stored reply.
  EXPECT_EQ(s.OnLiveEvent(Ev(12)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(13)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(14)), Result::kNothing);
  EXPECT_FALSE(s.HasOutbound());
  EXPECT_EQ(s.OnBackfill(gen, Stored({Ev(11), Ev(12), Ev(13)}, StreamId{10, 0})), Result::kQueued);
  EXPECT_FALSE(s.resuming());
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"11-0", "12-0", "13-0", "14-0"}));
  // A live copy of an event the stored reply already delivered is dropped.
  EXPECT_EQ(s.OnLiveEvent(Ev(13)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(15)), Result::kQueued);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"15-0"}));
}

TEST(ClientSessionTest, LiveCopiesDrainedAfterTheBackfillAreDropped) {
  ClientSession s(16);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  s.OnBackfill(gen, Stored({Ev(11), Ev(12)}, StreamId{10, 0}));
  // The reader's copies of 11 and 12 reach the service thread only now.
  EXPECT_EQ(s.OnLiveEvent(Ev(11)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(12)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(13)), Result::kQueued);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"11-0", "12-0", "13-0"}));
}

TEST(ClientSessionTest, ResumeFromAnotherInstanceSkipsWhatTheClientHad) {
  // This instance lags: its ring still holds events up to the client's id.
  ClientSession s(16);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  s.OnBackfill(gen, Stored({}, StreamId{20, 0}));
  EXPECT_EQ(s.OnLiveEvent(Ev(19)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(20)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(21)), Result::kQueued);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"21-0"}));
}

TEST(ClientSessionTest, ResumeAfterLiveEventsFillsOnlyTheGap) {
  ClientSession s(16);
  // Connected, saw 5 and 6 live, then asked to resume after 2.
  s.OnLiveEvent(Ev(5));
  s.OnLiveEvent(Ev(6));
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"5-0", "6-0"}));
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  s.OnLiveEvent(Ev(7));
  s.OnBackfill(gen, Stored({Ev(3), Ev(4), Ev(5), Ev(6), Ev(7)}, StreamId{2, 0}));
  // 3 and 4 were missing; 5 and 6 were seen; 7 once.
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"3-0", "4-0", "7-0"}));
}

TEST(ClientSessionTest, ResyncGoesFirst) {
  ClientSession s(16);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  s.OnBackfill(gen, Stored({Ev(50), Ev(51)}, StreamId{1, 0}, /*resync=*/true));
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"resync_required", "50-0", "51-0"}));
}

TEST(ClientSessionTest, ResumeIsBoundedByTheQueueLimit) {
  ClientSession s(8);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  std::vector<WireEventPtr> stored;
  for (uint64_t i = 2; i <= 7; ++i) stored.push_back(Ev(i));
  for (uint64_t i = 8; i <= 12; ++i) s.OnLiveEvent(Ev(i));  // held during the resume
  EXPECT_NE(s.OnBackfill(gen, Stored(stored, StreamId{1, 0})), Result::kOverflow);
  EXPECT_FALSE(s.close_request());
  // 11 events merged; the newest 8 are kept and the client is told to resync.
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"resync_required", "5-0", "6-0", "7-0", "8-0",
                                                "9-0", "10-0", "11-0", "12-0"}));
}

TEST(ClientSessionTest, HeldEventsOverflowMeansResync) {
  ClientSession s(8);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  for (uint64_t i = 2; i <= 20; ++i) EXPECT_EQ(s.OnLiveEvent(Ev(i)), Result::kNothing);
  s.OnBackfill(gen, Stored({}, StreamId{1, 0}));
  std::vector<std::string> got = Drain(s);
  ASSERT_EQ(got.size(), 9u);
  EXPECT_EQ(got.front(), "resync_required");
  EXPECT_EQ(got[1], "13-0");
  EXPECT_EQ(got.back(), "20-0");
}

TEST(ClientSessionTest, SecondResumeWhileResumingIsRefused) {
  ClientSession s(8);
  uint64_t gen1 = 0, gen2 = 0;
  ASSERT_TRUE(s.BeginResume(&gen1));
  EXPECT_FALSE(s.BeginResume(&gen2));
  EXPECT_EQ(s.OnBackfill(gen1 + 1, Stored({Ev(5)}, StreamId{1, 0})), Result::kNothing);
  EXPECT_TRUE(s.resuming());  // a stale generation changes nothing
  EXPECT_EQ(s.OnBackfill(gen1, Stored({Ev(5)}, StreamId{1, 0})), Result::kQueued);
  ASSERT_TRUE(s.BeginResume(&gen2));
  EXPECT_NE(gen1, gen2);
}

TEST(ClientSessionTest, UnknownIdDeliversHeldEventsAndResyncs) {
  ClientSession s(8);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));  // newer than the stream
  s.OnLiveEvent(Ev(5));
  s.OnBackfill(gen, Stored({}, std::nullopt, /*resync=*/true));
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"resync_required", "5-0"}));
  EXPECT_EQ(s.OnLiveEvent(Ev(6)), Result::kQueued);
}

TEST(ClientSessionTest, SubscriptionAppliesToStoredEvents) {
  ClientSession s(8);
  s.SetSubscription({"queue_update"});
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  s.OnBackfill(gen, Stored({Ev(2, 0, "stats"), Ev(3, 0, "queue_update")}, StreamId{1, 0}));
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"3-0"}));
}

TEST(ClientSessionTest, StreamResetForgetsIdsAndCancelsResume) {
  ClientSession s(8);
  s.OnLiveEvent(Ev(100));
  Drain(s);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  EXPECT_EQ(s.OnStreamReset(), Result::kQueued);
  EXPECT_FALSE(s.resuming());
  EXPECT_EQ(s.OnBackfill(gen, Stored({Ev(60)}, StreamId{50, 0})), Result::kNothing);
  // New stream, lower ids: delivered.
  EXPECT_EQ(s.OnLiveEvent(Ev(3)), Result::kQueued);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"resync_required", "3-0"}));
}

}  // namespace
}  // namespace sattva::wsd
