#include "wsd/handoff.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/unit/wsd/test_events.h"

namespace sattva::wsd {
namespace {

using testing::Ev;

RingItem Item(uint64_t ms) {
  RingItem i;
  i.event = Ev(ms);
  return i;
}

TEST(EventRingTest, KeepsOrderAcrossWrapAround) {
  std::atomic<int> wakes{0};
  EventRing ring(3, [&] { ++wakes; });
  std::vector<RingItem> out;
  uint64_t next = 1;
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(ring.Push(Item(next++)));
    ASSERT_TRUE(ring.Push(Item(next++)));
    ring.Drain(&out);
  }
  ASSERT_EQ(out.size(), 10u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].event->id.ms, i + 1);
  EXPECT_EQ(wakes.load(), 10);
  EXPECT_EQ(ring.size(), 0u);
}

TEST(EventRingTest, FullRingMakesThePusherWaitNotDrop) {
  EventRing ring(2, nullptr);
  ASSERT_TRUE(ring.Push(Item(1)));
  ASSERT_TRUE(ring.Push(Item(2)));
  std::atomic<bool> pushed{false};
  std::thread t([&] {
    EXPECT_TRUE(ring.Push(Item(3)));
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(pushed.load());
  std::vector<RingItem> out;
  ring.Drain(&out);
  t.join();
  EXPECT_TRUE(pushed.load());
  ring.Drain(&out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].event->id.ms, 3u);
}

TEST(EventRingTest, StopReleasesABlockedPusher) {
  EventRing ring(1, nullptr);
  ASSERT_TRUE(ring.Push(Item(1)));
  std::thread t([&] { EXPECT_FALSE(ring.Push(Item(2))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ring.Stop();
  t.join();
  EXPECT_FALSE(ring.Push(Item(3)));
}

TEST(BackfillExchangeTest, RequestsAndRepliesFlow) {
  std::atomic<int> wakes{0};
  BackfillExchange x([&] { ++wakes; });
  x.Request(BackfillRequest{7, 1, StreamId{5, 0}});
  BackfillRequest req;
  ASSERT_TRUE(x.NextRequest(&req));
  EXPECT_EQ(req.session, 7u);
  BackfillReply reply;
  reply.session = req.session;
  reply.generation = req.generation;
  x.Reply(std::move(reply));
  EXPECT_EQ(wakes.load(), 1);
  std::vector<BackfillReply> out;
  x.DrainReplies(&out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].session, 7u);
  std::thread t([&] { EXPECT_FALSE(x.NextRequest(&req)); });
  x.Stop();
  t.join();
}

}  // namespace
}  // namespace sattva::wsd
