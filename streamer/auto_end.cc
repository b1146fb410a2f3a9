#include "streamer/auto_end.h"

namespace sattva::streamer {

constexpr int AutoEndTimer::kWarnings[3];

void AutoEndTimer::Restore(const AutoEndSaved& saved) {
  saved_ = saved;
  armed_ = settings_.enabled;
  if (armed_) saved_.deadline_ms = saved_.zero_since_ms + settings_.timeout_s * 1000;
}

void AutoEndTimer::Arm(int64_t zero_since_ms, int64_t now_ms) {
  armed_ = true;
  saved_.zero_since_ms = zero_since_ms;
  saved_.deadline_ms = zero_since_ms + settings_.timeout_s * 1000;
  saved_.warned_mask = 0;
  SkipPassedWarnings(now_ms);
}

void AutoEndTimer::SkipPassedWarnings(int64_t now_ms) {
  const int64_t remaining = saved_.deadline_ms - now_ms;
  for (int i = 0; i < 3; ++i) {
    if (remaining <= static_cast<int64_t>(kWarnings[i]) * 1000) saved_.warned_mask |= 1 << i;
  }
}

AutoEndTimer::Actions AutoEndTimer::Configure(AutoEndSettings settings, int64_t now_ms) {
  Actions a;
  const bool was_armed = armed_;
  settings_ = settings;
  if (!was_armed) return a;
  if (!settings_.enabled) {
    armed_ = false;
    a.cancelled = true;
    return a;
  }
  const int64_t deadline = saved_.zero_since_ms + settings_.timeout_s * 1000;
  if (deadline != saved_.deadline_ms) {
    saved_.deadline_ms = deadline;
    // Warnings are due again for what is still ahead under the new deadline.
    saved_.warned_mask = 0;
    SkipPassedWarnings(now_ms);
    a.changed = true;
  }
  return a;
}

AutoEndTimer::Actions AutoEndTimer::Tick(int64_t now_ms, int64_t listeners) {
  Actions a;
  if (ended_) return a;
  if (listeners > 0) {
    if (armed_) {
      armed_ = false;
      a.cancelled = true;
    }
    return a;
  }
  if (!settings_.enabled) return a;
  if (!armed_) {
    Arm(now_ms, now_ms);
    a.armed = true;
  }
  const int64_t remaining = saved_.deadline_ms - now_ms;
  if (remaining <= 0) {
    ended_ = true;
    a.end = true;
    return a;
  }
  for (int i = 0; i < 3; ++i) {
    if ((saved_.warned_mask & (1 << i)) == 0 &&
        remaining <= static_cast<int64_t>(kWarnings[i]) * 1000) {
      saved_.warned_mask |= 1 << i;
      a.warnings.push_back(kWarnings[i]);
    }
  }
  return a;
}

int64_t AutoEndTimer::SecondsRemaining(int64_t now_ms) const {
  if (!armed_) return 0;
  const int64_t left = saved_.deadline_ms - now_ms;
  return left <= 0 ? 0 : (left + 999) / 1000;
}

}  // namespace sattva::streamer
