// The live view of a stream the API and pages show (fcgi/streams.h): where playback is
// (PlaybackPositionMs) and the auto-end countdown (AutoEndOf).
#include <gtest/gtest.h>

#include "fcgi/streams.h"

namespace sattva::fcgi {
namespace {

StreamLive Live(const std::string& state, int64_t position_ms, int64_t position_at_ms) {
  StreamLive l;
  l.state = state;
  l.now_position_ms = position_ms;
  l.now_position_at_ms = position_at_ms;
  return l;
}

TEST(PlaybackPositionTest, ARunningTrackMovesOnFromTheLastWriteAndStopsAtItsEnd) {
  const StreamLive l = Live("running", 10'000, 1'000'000);
  EXPECT_EQ(PlaybackPositionMs(l, 60'000, false, 1'000'000), 10'000);
  EXPECT_EQ(PlaybackPositionMs(l, 60'000, false, 1'000'400), 10'400);
  EXPECT_EQ(PlaybackPositionMs(l, 60'000, false, 1'900'000), 60'000);  // never past its end
  EXPECT_EQ(PlaybackPositionMs(l, 0, false, 1'900'000), 910'000);      // unknown length
  EXPECT_EQ(PlaybackPositionMs(l, 60'000, false, 999'000), 10'000);    // clock behind the write
}

TEST(PlaybackPositionTest, ALoopingPlaceholderStartsOver) {
  // Written once, when the loop began; 24 s long.
  const StreamLive l = Live("running", 0, 1'000'000);
  EXPECT_EQ(PlaybackPositionMs(l, 24'000, true, 1'010'000), 10'000);
  EXPECT_EQ(PlaybackPositionMs(l, 24'000, true, 1'024'000), 0);
  EXPECT_EQ(PlaybackPositionMs(l, 24'000, true, 1'250'500), 10'500);
}

TEST(PlaybackPositionTest, AStoppedStreamStaysWhereItWas) {
  const StreamLive l = Live("stopped", 5'000, 1'000'000);
  EXPECT_EQ(PlaybackPositionMs(l, 60'000, false, 2'000'000), 5'000);
  EXPECT_EQ(PlaybackPositionMs(Live("running", -3, 0), 60'000, false, 2'000'000), 0);
}

TEST(AutoEndViewTest, ArmedOnlyWhileARunningStreamHasNoListeners) {
  Stream s;
  s.desired_state = "running";
  s.auto_end_enabled = true;
  s.auto_end_timeout_s = 60;
  StreamLive l = Live("running", 0, 0);
  l.auto_end_zero_since_ms = 1'000'000;
  AutoEndView v = AutoEndOf(s, l, 1'010'000);
  EXPECT_TRUE(v.armed);
  EXPECT_EQ(v.deadline_ms, 1'060'000);
  EXPECT_EQ(v.seconds_remaining, 50);
  // Someone joined: the streamer wrote the count and clears the countdown on its next tick.
  l.listeners = 3;
  EXPECT_FALSE(AutoEndOf(s, l, 1'010'000).armed);
  l.listeners = 0;
  s.auto_end_enabled = false;
  EXPECT_FALSE(AutoEndOf(s, l, 1'010'000).armed);
  s.auto_end_enabled = true;
  s.desired_state = "stopped";
  EXPECT_FALSE(AutoEndOf(s, l, 1'010'000).armed);
}

}  // namespace
}  // namespace sattva::fcgi
