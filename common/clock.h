#pragma once
// Time as an interface. Code that waits, paces or expires things takes a Clock& so tests can
// advance a FakeClock instead of sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace sattva::common {

class Clock {
 public:
  using MonoTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  // Monotonic time, for durations and deadlines within one process.
  virtual MonoTime Now() const = 0;
  // Wall-clock time, for timestamps that leave the process.
  virtual WallTime WallNow() const = 0;
};

// The real clocks. Thread-safe.
class RealClock : public Clock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  static RealClock& Instance();
};

// A clock that moves only when told. Starts at a fixed wall time (2026-01-01T00:00:00Z).
// Thread-safe.
class FakeClock : public Clock {
 public:
  FakeClock();
  MonoTime Now() const override;
  WallTime WallNow() const override;
  void Advance(std::chrono::nanoseconds d);
  void SetWall(WallTime t);

 private:
  mutable std::mutex mu_;
  MonoTime mono_;
  WallTime wall_;
};

int64_t UnixMillis(Clock::WallTime t);
// "2026-11-25T20:12:25.123Z"
std::string IsoUtcMillis(Clock::WallTime t);

}  // namespace sattva::common
