// Where playback is, from the streamer's last write (fcgi/streams.h, PlaybackPositionMs).
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

}  // namespace
}  // namespace sattva::fcgi
