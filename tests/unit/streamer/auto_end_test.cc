// The auto-end countdown driven by numbers: no sleeping through timeouts.
#include "streamer/auto_end.h"

#include <gtest/gtest.h>

namespace sattva::streamer {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // an arbitrary wall-clock ms

// Ticks every 20 ms from `from` to `to` (exclusive) with `listeners`; collects what happened.
struct Countdown {
  std::vector<std::pair<int64_t, int>> warnings;  // (ms, seconds_remaining)
  int64_t ended_at = -1;
  int armed = 0, cancelled = 0;
};
void Tick(AutoEndTimer& t, int64_t from, int64_t to, int64_t listeners, Countdown* run) {
  for (int64_t now = from; now < to && run->ended_at < 0; now += 20) {
    AutoEndTimer::Actions a = t.Tick(now, listeners);
    run->armed += a.armed;
    run->cancelled += a.cancelled;
    for (int w : a.warnings) run->warnings.emplace_back(now, w);
    if (a.end) run->ended_at = now;
  }
}

TEST(AutoEndTest, EndsAtTheDeadlineWithThreeWarnings) {
  AutoEndTimer t({true, 300});
  Countdown run;
  Tick(t, kT0, kT0 + 400'000, 0, &run);
  EXPECT_EQ(run.armed, 1);
  EXPECT_EQ(run.ended_at, kT0 + 300'000);
  ASSERT_EQ(run.warnings.size(), 3u);
  EXPECT_EQ(run.warnings[0], std::make_pair(kT0 + 240'000, 60));
  EXPECT_EQ(run.warnings[1], std::make_pair(kT0 + 270'000, 30));
  EXPECT_EQ(run.warnings[2], std::make_pair(kT0 + 290'000, 10));
}

TEST(AutoEndTest, TenMinuteTimeoutWaitsExactlyTenMinutes) {
  AutoEndTimer t({true, 600});
  Countdown run;
  Tick(t, kT0, kT0 + 700'000, 0, &run);
  EXPECT_EQ(run.ended_at - kT0, 600'000);
}

TEST(AutoEndTest, OnlyWarningsStillAheadAreWritten) {
  AutoEndTimer t({true, 45});
  Countdown run;
  Tick(t, kT0, kT0 + 60'000, 0, &run);
  ASSERT_EQ(run.warnings.size(), 2u);  // 60 s was never ahead of a 45 s countdown
  EXPECT_EQ(run.warnings[0].second, 30);
  EXPECT_EQ(run.warnings[1].second, 10);
  EXPECT_EQ(run.ended_at, kT0 + 45'000);
}

TEST(AutoEndTest, AListenerCancelsAndLeavingStartsAFullCountdown) {
  AutoEndTimer t({true, 100});
  Countdown run;
  Tick(t, kT0, kT0 + 80'000, 0, &run);
  EXPECT_TRUE(t.armed());
  Tick(t, kT0 + 80'000, kT0 + 81'000, 1, &run);
  EXPECT_EQ(run.cancelled, 1);
  EXPECT_FALSE(t.armed());
  Tick(t, kT0 + 81'000, kT0 + 500'000, 0, &run);
  EXPECT_EQ(run.armed, 2);
  EXPECT_EQ(run.ended_at, kT0 + 181'000);  // a full 100 s from when the count fell to 0 again
}

TEST(AutoEndTest, WithAutoEndDisabledItNeverEnds) {
  AutoEndTimer t({false, 10});
  Countdown run;
  Tick(t, kT0, kT0 + 3'600'000, 0, &run);
  EXPECT_EQ(run.ended_at, -1);
  EXPECT_EQ(run.armed, 0);
  EXPECT_TRUE(run.warnings.empty());
}

TEST(AutoEndTest, DisablingCancelsAtOnce) {
  AutoEndTimer t({true, 60});
  Countdown run;
  Tick(t, kT0, kT0 + 30'000, 0, &run);
  AutoEndTimer::Actions a = t.Configure({false, 60}, kT0 + 30'000);
  EXPECT_TRUE(a.cancelled);
  Tick(t, kT0 + 30'000, kT0 + 200'000, 0, &run);
  EXPECT_EQ(run.ended_at, -1);
}

TEST(AutoEndTest, ANewTimeoutCountsFromWhenTheCountReachedZero) {
  AutoEndTimer t({true, 300});
  Countdown run;
  Tick(t, kT0, kT0 + 100'000, 0, &run);
  AutoEndTimer::Actions a = t.Configure({true, 120}, kT0 + 100'000);
  EXPECT_TRUE(a.changed);
  EXPECT_EQ(t.saved().deadline_ms, kT0 + 120'000);
  Tick(t, kT0 + 100'000, kT0 + 200'000, 0, &run);
  EXPECT_EQ(run.ended_at, kT0 + 120'000);
  // 60 s was already behind at the change (20 s left); 10 s was ahead.
  ASSERT_FALSE(run.warnings.empty());
  EXPECT_EQ(run.warnings.back().second, 10);
}

TEST(AutoEndTest, AShorterTimeoutAlreadyPastEndsOnTheNextTick) {
  AutoEndTimer t({true, 300});
  Countdown run;
  Tick(t, kT0, kT0 + 100'000, 0, &run);
  t.Configure({true, 10}, kT0 + 100'000);
  AutoEndTimer::Actions a = t.Tick(kT0 + 100'020, 0);
  EXPECT_TRUE(a.end);
}

TEST(AutoEndTest, AListenerJoiningAtTheDeadlineItselfCancels) {
  AutoEndTimer t({true, 10});
  Countdown run;
  Tick(t, kT0, kT0 + 10'000, 0, &run);  // up to the deadline, not including it
  EXPECT_EQ(run.ended_at, -1);
  AutoEndTimer::Actions a = t.Tick(kT0 + 10'000, 1);
  EXPECT_FALSE(a.end);
  EXPECT_TRUE(a.cancelled);
}

TEST(AutoEndTest, AListenerLeavingAtTheDeadlineStartsANewCountdown) {
  AutoEndTimer t({true, 10});
  Countdown run;
  Tick(t, kT0, kT0 + 5'000, 0, &run);
  Tick(t, kT0 + 5'000, kT0 + 15'000, 1, &run);   // cancelled; the old deadline passes
  Tick(t, kT0 + 15'000, kT0 + 40'000, 0, &run);  // leaves at the old deadline + 5 s
  EXPECT_EQ(run.ended_at, kT0 + 25'000);
}

TEST(AutoEndTest, ARestoredCountdownKeepsItsDeadline) {
  AutoEndTimer first({true, 60});
  Countdown run;
  Tick(first, kT0, kT0 + 35'000, 0, &run);
  ASSERT_EQ(run.warnings.size(), 1u);  // 60 s was not ahead; 30 s is due at 30 s
  AutoEndTimer second({true, 60});
  second.Restore(first.saved());
  Countdown after;
  Tick(second, kT0 + 40'000, kT0 + 100'000, 0, &after);
  EXPECT_EQ(after.armed, 0);
  EXPECT_EQ(after.ended_at, kT0 + 60'000);
  ASSERT_EQ(after.warnings.size(), 1u);  // the 30 s warning is not written twice
  EXPECT_EQ(after.warnings[0].second, 10);
}

TEST(AutoEndTest, SecondsRemainingRoundsUp) {
  AutoEndTimer t({true, 10});
  t.Tick(kT0, 0);
  EXPECT_EQ(t.SecondsRemaining(kT0), 10);
  EXPECT_EQ(t.SecondsRemaining(kT0 + 1), 10);
  EXPECT_EQ(t.SecondsRemaining(kT0 + 9'001), 1);
  EXPECT_EQ(t.SecondsRemaining(kT0 + 10'000), 0);
}

}  // namespace
}  // namespace sattva::streamer
