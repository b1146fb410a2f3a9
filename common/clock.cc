#include "common/clock.h"

#include <cstdio>
#include <ctime>

namespace sattva::common {

RealClock& RealClock::Instance() {
  static RealClock clock;
  return clock;
}

FakeClock::FakeClock()
    : mono_(MonoTime(std::chrono::hours(1000))),
      wall_(WallTime(std::chrono::seconds(1767225600))) {}

Clock::MonoTime FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mono_;
}

Clock::WallTime FakeClock::WallNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wall_;
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::lock_guard<std::mutex> lock(mu_);
  mono_ += d;
  wall_ += std::chrono::duration_cast<WallTime::duration>(d);
}

void FakeClock::SetWall(WallTime t) {
  std::lock_guard<std::mutex> lock(mu_);
  wall_ = t;
}

int64_t UnixMillis(Clock::WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string IsoUtcMillis(Clock::WallTime t) {
  int64_t ms = UnixMillis(t);
  int64_t secs = ms / 1000;
  int rem = static_cast<int>(ms % 1000);
  if (rem < 0) {
    rem += 1000;
    secs -= 1;
  }
  time_t tt = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
  return buf;
}

}  // namespace sattva::common
