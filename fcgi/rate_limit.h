#pragma once
// Fixed-window counters in Redis (sattva:rl:<name>), incremented atomically with their expiry
// by one Lua script. Uses the caller's Redis (not thread-safe).

#include <cstdint>
#include <string>

#include "common/redis.h"

namespace sattva::fcgi {

struct RateDecision {
  bool allowed = true;
  int64_t count = 0;
  int64_t retry_after_s = 0;  // when not allowed: seconds until the window resets (>= 1)
};

class RateLimiter {
 public:
  explicit RateLimiter(common::Redis& redis) : redis_(redis) {}
  // Counts one hit on `key` and decides: allowed while the count is <= limit.
  RateDecision Hit(const std::string& key, int64_t limit, int64_t window_s);
  // Decides without counting (is the key already over the limit?).
  RateDecision Peek(const std::string& key, int64_t limit);
  void Reset(const std::string& key);

 private:
  common::Redis& redis_;
};

}  // namespace sattva::fcgi
