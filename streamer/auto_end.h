#pragma once
// The auto-end countdown of one stream, as pure logic over wall-clock milliseconds, so tests
// drive it with numbers instead of sleeping.
//
// The countdown arms when a running stream with auto-end enabled has 0 listeners; its deadline
// is the moment the count reached 0 plus the stream's timeout. Warnings fall at 60, 30 and 10 s
// remaining (each one still ahead when the countdown arms or is reconfigured). A listener
// cancels it; the count falling to 0 again arms a full new one. Disabling auto-end cancels a
// running countdown; a new timeout is counted from the moment the count reached 0. Listeners
// are looked at before the deadline, so a listener joining at the deadline itself cancels.
//
// Wall-clock time, not monotonic: the deadline is stored in Redis and survives a restart or a
// failover to a streamer on another host. Not thread-safe.

#include <cstdint>
#include <vector>

namespace sattva::streamer {

struct AutoEndSettings {
  bool enabled = true;
  int64_t timeout_s = 300;
};

// What the countdown stores, to be restored after a restart.
struct AutoEndSaved {
  int64_t zero_since_ms = 0;  // when the count reached 0
  int64_t deadline_ms = 0;
  int warned_mask = 0;        // bit 0: 60 s, bit 1: 30 s, bit 2: 10 s warnings written
};

class AutoEndTimer {
 public:
  struct Actions {
    bool armed = false;       // a countdown started (save it)
    bool cancelled = false;   // a countdown was cancelled (write auto_end_cancelled, forget it)
    bool changed = false;     // the deadline moved (reconfigured; save it)
    std::vector<int> warnings;  // seconds_remaining of each warning due now (60, 30, 10)
    bool end = false;         // the deadline passed with nobody listening: end the stream
  };

  explicit AutoEndTimer(AutoEndSettings settings) : settings_(settings) {}

  // Picks up a countdown a previous owner saved.
  void Restore(const AutoEndSaved& saved);
  // New settings from an edit; acts on a running countdown at once.
  Actions Configure(AutoEndSettings settings, int64_t now_ms);
  // Called often (every frame) with the current listener count.
  Actions Tick(int64_t now_ms, int64_t listeners);

  bool armed() const { return armed_; }
  const AutoEndSaved& saved() const { return saved_; }
  const AutoEndSettings& settings() const { return settings_; }
  // Whole seconds left, rounded up; 0 when not armed.
  int64_t SecondsRemaining(int64_t now_ms) const;

  static constexpr int kWarnings[3] = {60, 30, 10};

 private:
  void Arm(int64_t zero_since_ms, int64_t now_ms);
  // Marks as already written every warning not strictly ahead at `now_ms`.
  void SkipPassedWarnings(int64_t now_ms);

  AutoEndSettings settings_;
  bool armed_ = false;
  bool ended_ = false;
  AutoEndSaved saved_;
};

}  // namespace sattva::streamer
