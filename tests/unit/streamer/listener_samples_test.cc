// ListenerSampler: per-minute peak and time-weighted mean over a fake clock; the writer's merge.
#include <gtest/gtest.h>

#include <chrono>

#include "common/clock.h"
#include "streamer/listener_samples.h"

namespace sattva::streamer {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ListenerSamplerTest : public ::testing::Test {
 protected:
  int64_t NowMs() const { return common::UnixMillis(clock_.WallNow()); }
  int64_t MinuteStart() const { return NowMs() - NowMs() % 60000; }
  common::FakeClock clock_;  // starts at 2026-01-01T00:00:00Z, a minute boundary
  ListenerSampler sampler_{7, clock_};
  std::vector<ListenerSample> closed_;
};

TEST_F(ListenerSamplerTest, NothingBeforeTheFirstCount) {
  sampler_.Tick(&closed_);
  sampler_.Close(&closed_);
  EXPECT_TRUE(closed_.empty());
  EXPECT_FALSE(sampler_.started());
}

TEST_F(ListenerSamplerTest, ConstantCountFillsWholeMinutes) {
  const int64_t m0 = MinuteStart();
  sampler_.Set(3, &closed_);
  clock_.Advance(seconds(59));
  sampler_.Tick(&closed_);
  EXPECT_TRUE(closed_.empty()) << "the minute has not closed yet";
  clock_.Advance(seconds(1));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_[0].stream_id, 7);
  EXPECT_EQ(closed_[0].minute_ms, m0);
  EXPECT_EQ(closed_[0].peak, 3);
  EXPECT_EQ(closed_[0].listener_ms, 3 * 60000);
  EXPECT_EQ(closed_[0].covered_ms, 60000);
  EXPECT_DOUBLE_EQ(closed_[0].Mean(), 3.0);
  // A tick far later closes every minute on the way, each with the same count.
  clock_.Advance(seconds(150));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 3u);
  EXPECT_EQ(closed_[1].minute_ms, m0 + 60000);
  EXPECT_EQ(closed_[2].minute_ms, m0 + 120000);
  EXPECT_DOUBLE_EQ(closed_[2].Mean(), 3.0);
}

TEST_F(ListenerSamplerTest, MeanIsTimeWeightedAndPeakIsTheMost) {
  const int64_t m0 = MinuteStart();
  sampler_.Set(0, &closed_);
  clock_.Advance(seconds(15));
  sampler_.Set(4, &closed_);  // 4 listeners for 15 s
  clock_.Advance(seconds(15));
  sampler_.Set(2, &closed_);  // 2 for 30 s
  clock_.Advance(seconds(30));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_[0].minute_ms, m0);
  EXPECT_EQ(closed_[0].peak, 4);
  EXPECT_EQ(closed_[0].listener_ms, 4 * 15000 + 2 * 30000);
  EXPECT_DOUBLE_EQ(closed_[0].Mean(), 2.0);
  // The next minute starts with the count that carried over: its peak is 2, not 4.
  clock_.Advance(seconds(60));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 2u);
  EXPECT_EQ(closed_[1].peak, 2);
  EXPECT_EQ(closed_[1].listener_ms, 2 * 60000);
}

TEST_F(ListenerSamplerTest, ABriefSpikeCountsInThePeakButBarelyInTheMean) {
  sampler_.Set(1, &closed_);
  clock_.Advance(seconds(30));
  sampler_.Set(50, &closed_);
  clock_.Advance(milliseconds(120));
  sampler_.Set(1, &closed_);
  clock_.Advance(milliseconds(29880));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_[0].peak, 50);
  EXPECT_EQ(closed_[0].listener_ms, 1 * 30000 + 50 * 120 + 1 * 29880);
  EXPECT_NEAR(closed_[0].Mean(), 1.098, 0.001);
}

TEST_F(ListenerSamplerTest, ACountChangeExactlyOnTheBoundaryBelongsToTheNextMinute) {
  sampler_.Set(1, &closed_);
  clock_.Advance(seconds(60));
  sampler_.Set(9, &closed_);
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_[0].peak, 1);
  EXPECT_EQ(closed_[0].listener_ms, 60000);
  clock_.Advance(seconds(60));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 2u);
  EXPECT_EQ(closed_[1].peak, 9);
  EXPECT_EQ(closed_[1].listener_ms, 9 * 60000);
}

TEST_F(ListenerSamplerTest, StopMidMinuteWritesTheCoveredPart) {
  clock_.Advance(seconds(10));  // the stream starts 10 s into the minute
  const int64_t m0 = MinuteStart();
  sampler_.Set(2, &closed_);
  clock_.Advance(seconds(20));
  sampler_.Close(&closed_);
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_[0].minute_ms, m0);
  EXPECT_EQ(closed_[0].covered_ms, 20000);
  EXPECT_EQ(closed_[0].listener_ms, 40000);
  EXPECT_EQ(closed_[0].peak, 2);
  // The mean is over the whole minute, so the part another streamer plays adds to it.
  EXPECT_NEAR(closed_[0].Mean(), 40000.0 / 60000.0, 1e-9);
  // Closed: nothing more until the next Set.
  clock_.Advance(seconds(120));
  sampler_.Tick(&closed_);
  sampler_.Close(&closed_);
  EXPECT_EQ(closed_.size(), 1u);
  EXPECT_FALSE(sampler_.started());
}

TEST_F(ListenerSamplerTest, CloseRightAfterABoundaryAddsNoEmptyRow) {
  sampler_.Set(1, &closed_);
  clock_.Advance(seconds(60));
  sampler_.Tick(&closed_);
  sampler_.Close(&closed_);
  EXPECT_EQ(closed_.size(), 1u);
}

TEST_F(ListenerSamplerTest, WallClockSteppingBackCountsNoTime) {
  sampler_.Set(5, &closed_);
  clock_.Advance(seconds(20));
  sampler_.Set(5, &closed_);  // 20 s of 5 accounted
  clock_.SetWall(clock_.WallNow() - seconds(10));
  sampler_.Set(1, &closed_);  // at "10 s" again: nothing is undone, nothing counted twice
  clock_.Advance(seconds(10));
  sampler_.Tick(&closed_);
  clock_.Advance(seconds(10));  // "30 s": 10 s past the last accounted moment
  sampler_.Close(&closed_);
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_[0].listener_ms, 5 * 20000 + 1 * 10000);
  EXPECT_EQ(closed_[0].covered_ms, 30000);
  EXPECT_EQ(closed_[0].peak, 5);
}

TEST_F(ListenerSamplerTest, AJumpOfHoursIsNotFilledIn) {
  sampler_.Set(3, &closed_);
  clock_.Advance(seconds(30));
  sampler_.Tick(&closed_);
  clock_.Advance(std::chrono::hours(5));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 1u) << "only the minute that was seen";
  EXPECT_EQ(closed_[0].covered_ms, 30000);
  clock_.Advance(seconds(60));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 2u);
  EXPECT_EQ(closed_[1].minute_ms % 60000, 0);
  EXPECT_EQ(closed_[1].peak, 3);
}

TEST_F(ListenerSamplerTest, NegativeCountsAreZero) {
  sampler_.Set(-4, &closed_);
  clock_.Advance(seconds(60));
  sampler_.Tick(&closed_);
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_[0].peak, 0);
  EXPECT_EQ(closed_[0].listener_ms, 0);
  EXPECT_EQ(closed_[0].covered_ms, 60000);
}

TEST(ListenerSampleWriterTest, MergeKeepsThePeakAndAddsTheRest) {
  ListenerSample a{1, 60000, 3, 30000, 30000};
  ListenerSample b{2, 60000, 1, 60000, 60000};
  ListenerSample c{1, 60000, 5, 50000, 40000};
  ListenerSample d{1, 120000, 2, 120000, 60000};
  const std::vector<ListenerSample> out = ListenerSampleWriter::Merge({a, b, c, d});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (ListenerSample{1, 60000, 5, 80000, 60000}));  // covered capped at a minute
  EXPECT_EQ(out[1], b);
  EXPECT_EQ(out[2], d);
  EXPECT_TRUE(ListenerSampleWriter::Merge({}).empty());
}

}  // namespace
}  // namespace sattva::streamer
