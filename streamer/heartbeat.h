#pragma once
// The streamer's liveness record in Redis. Every interval it writes
//   SET sattva:streamer:<id> <payload> PX <ttl>      payload: {id,pid,host,started_at,
//   SADD sattva:streamers <id>                                   heartbeat_at,version}
// so a streamer that dies disappears within one TTL. Unregister() removes both on a clean
// shutdown. Every tenth beat also drops members of sattva:streamers whose key has expired
// (streamers that crashed), so the set lists live streamers only.
//
// Redis outages are survived: a failed beat counts in heartbeat_failures, sets redis_up to 0
// and is logged once when Redis goes down and once when it is back.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include <json/json.h>

#include "common/clock.h"

namespace sattva::common {
class Redis;
}

namespace sattva::streamer {

struct StreamerMetrics;

inline constexpr const char* kStreamersKey = "sattva:streamers";

struct HeartbeatInfo {
  std::string id;
  int64_t pid = 0;
  std::string host;
  common::Clock::WallTime started_at;
  std::string version;
};

// "sattva:streamer:<id>"
std::string HeartbeatKey(const std::string& id);
// "<host>-<pid>", the default streamer_id.
std::string DefaultStreamerId(const std::string& host, int64_t pid);
// {"id","pid","host","started_at","heartbeat_at","version"}; times are ISO-8601 UTC ms.
Json::Value HeartbeatPayload(const HeartbeatInfo& info, common::Clock::WallTime now);

class Heartbeat {
 public:
  // |clock| (for the payload's timestamps), |redis| and |metrics| must outlive the Heartbeat.
  // The beats are paced by the real steady clock: every `interval`.
  Heartbeat(HeartbeatInfo info, std::chrono::milliseconds ttl, std::chrono::milliseconds interval,
            const common::Clock& clock, common::Redis& redis, StreamerMetrics& metrics);
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // Writes one heartbeat. Returns false when Redis could not be reached or refused it.
  // Beat, Run and Unregister use |redis| and must not run concurrently with each other.
  bool Beat();
  // Beats every interval until Stop(); the first beat is immediate.
  void Run();
  // Makes Run return at once (it does not wait for a Redis call in flight to finish).
  // Thread-safe; may be called before Run.
  void Stop();
  // Removes the id from sattva:streamers and deletes the key. Best effort: logs failures.
  void Unregister();

  const std::string& key() const { return key_; }

 private:
  enum class RedisState { kUnknown, kUp, kDown };

  const HeartbeatInfo info_;
  const std::string key_;
  const std::chrono::milliseconds ttl_;
  const std::chrono::milliseconds interval_;
  const common::Clock& clock_;
  common::Redis& redis_;
  StreamerMetrics& metrics_;
  RedisState redis_state_ = RedisState::kUnknown;  // used by the beating thread only
  uint64_t beats_ = 0;                             // used by the beating thread only

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
};

}  // namespace sattva::streamer
