#include "wsd/backfill.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/wsd/test_events.h"

namespace sattva::wsd {
namespace {

using testing::Entry;

// XREVRANGE key + <after> COUNT limit+1 over a stream holding ids first..last (ms, seq 0).
std::vector<StreamEntry> RevRange(uint64_t first, uint64_t last, uint64_t after, size_t count) {
  std::vector<StreamEntry> out;
  for (uint64_t i = last; i >= first && i >= after && out.size() < count; --i) {
    out.push_back(Entry(std::to_string(i) + "-0"));
    if (i == 0) break;
  }
  return out;
}

std::vector<std::string> Ids(const Backfill& b) {
  std::vector<std::string> out;
  for (const auto& e : b.events) out.push_back(e->id.ToString());
  return out;
}

TEST(PlanBackfillTest, EventsAfterTheIdOldestFirst) {
  Backfill b = PlanBackfill(StreamId{5, 0}, StreamId{1, 0}, RevRange(1, 8, 5, 11), 10);
  EXPECT_EQ(Ids(b), (std::vector<std::string>{"6-0", "7-0", "8-0"}));
  EXPECT_FALSE(b.resync);
  EXPECT_EQ(*b.lower, (StreamId{5, 0}));
}

TEST(PlanBackfillTest, UpToDateClientGetsNothing) {
  Backfill b = PlanBackfill(StreamId{8, 0}, StreamId{1, 0}, RevRange(1, 8, 8, 11), 10);
  EXPECT_TRUE(b.events.empty());
  EXPECT_FALSE(b.resync);
}

TEST(PlanBackfillTest, TrimmedIdMeansResync) {
  // The stream now starts at 20; the client last saw 5.
  Backfill b = PlanBackfill(StreamId{5, 0}, StreamId{20, 0}, RevRange(20, 25, 5, 11), 10);
  EXPECT_TRUE(b.resync);
  EXPECT_EQ(Ids(b).front(), "20-0");
  EXPECT_EQ(Ids(b).back(), "25-0");
}

TEST(PlanBackfillTest, MoreThanTheLimitKeepsTheNewestAndResyncs) {
  Backfill b = PlanBackfill(StreamId{5, 0}, StreamId{1, 0}, RevRange(1, 100, 5, 4), 3);
  EXPECT_TRUE(b.resync);
  EXPECT_EQ(Ids(b), (std::vector<std::string>{"98-0", "99-0", "100-0"}));
}

TEST(PlanBackfillTest, ExactlyTheLimitIsComplete) {
  Backfill b = PlanBackfill(StreamId{5, 0}, StreamId{1, 0}, RevRange(1, 8, 5, 4), 3);
  EXPECT_FALSE(b.resync);
  EXPECT_EQ(Ids(b), (std::vector<std::string>{"6-0", "7-0", "8-0"}));
}

TEST(PlanBackfillTest, IdNewerThanTheStreamIsUnknown) {
  Backfill b = PlanBackfill(StreamId{500, 0}, StreamId{1, 0}, {}, 10);
  EXPECT_TRUE(b.resync);
  EXPECT_FALSE(b.lower);
  EXPECT_TRUE(b.events.empty());
}

TEST(PlanBackfillTest, EmptyStream) {
  Backfill b = PlanBackfill(StreamId{5, 0}, std::nullopt, {}, 10);
  EXPECT_FALSE(b.resync);
  EXPECT_TRUE(b.events.empty());
  EXPECT_EQ(*b.lower, (StreamId{5, 0}));
}

TEST(PlanBackfillTest, MissingIdInsideTheStream) {
  // 5-0 was never an entry (a client's made-up id between 4-0 and 6-0).
  std::vector<StreamEntry> rev = {Entry("7-0"), Entry("6-0")};
  Backfill b = PlanBackfill(StreamId{5, 0}, StreamId{1, 0}, rev, 10);
  EXPECT_FALSE(b.resync);
  EXPECT_EQ(Ids(b), (std::vector<std::string>{"6-0", "7-0"}));
}

TEST(PlanBackfillTest, MalformedEntriesAreSkipped) {
  std::vector<StreamEntry> rev = {Entry("8-0"), Entry("7-0", "stats", "not json"), Entry("6-0", ""),
                                  Entry("5-0")};
  Backfill b = PlanBackfill(StreamId{5, 0}, StreamId{1, 0}, rev, 10);
  EXPECT_EQ(Ids(b), (std::vector<std::string>{"8-0"}));
  EXPECT_FALSE(b.resync);
}

TEST(PlanBackfillTest, EventsCarryTheEnvelope) {
  std::vector<StreamEntry> rev = {Entry("6-1", "queue_update", R"({"version":3})"), Entry("5-0")};
  Backfill b = PlanBackfill(StreamId{5, 0}, StreamId{1, 0}, rev, 10);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0]->type, "queue_update");
  EXPECT_NE(b.events[0]->json->find(R"("version":3)"), std::string::npos);
  EXPECT_NE(b.events[0]->json->find(R"("id":"6-1")"), std::string::npos);
}

TEST(PlanBackfillTest, UnavailableMeansResyncWithNoEvents) {
  Backfill b = UnavailableBackfill(StreamId{5, 0});
  EXPECT_TRUE(b.resync);
  EXPECT_TRUE(b.events.empty());
  EXPECT_EQ(*b.lower, (StreamId{5, 0}));
}

}  // namespace
}  // namespace sattva::wsd
