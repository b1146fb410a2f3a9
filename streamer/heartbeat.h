#pragma once
// The streamer's liveness record in Redis. Every interval it writes
//   SET sattva:streamer:<id> <payload> PX <ttl>      payload: {id,pid,host,started_at,
//   SADD sattva:streamers <id>                         heartbeat_at,version,cpu_percent,
//                                                      memory_percent,rss_bytes,uptime_seconds,
//                                                      streams}
// so a streamer that dies disappears within one TTL. Unregister() removes both on a clean
// shutdown. Every tenth beat also drops members of sattva:streamers whose key has expired
// (streamers that crashed), so the set lists live streamers only.
//
// The host figures (CPU busy % over the last interval from /proc/stat, memory in use % from
// /proc/meminfo) and the process's RSS (/proc/self/statm) are what wsd's `stats` and
// GET /api/v1/stats show per streamer (common/station_stats.h reads them back).
//
// Redis outages are survived: a failed beat counts in heartbeat_failures, sets redis_up to 0
// and is logged once when Redis goes down and once when it is back.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <json/json.h>

#include "common/clock.h"
#include "common/station_stats.h"

namespace sattva::common {
class Redis;
}

namespace sattva::streamer {

struct StreamerMetrics;

inline constexpr const char* kStreamersKey = common::kStreamersKey;

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
// What a beat measures besides identity; an absent percentage is written as null.
struct HostFigures {
  std::optional<double> cpu_percent;
  std::optional<double> memory_percent;
  int64_t rss_bytes = 0;
  int64_t streams = 0;
};

// Cumulative CPU time of the whole host (the "cpu" line of /proc/stat), in clock ticks.
struct CpuTimes {
  uint64_t busy = 0;   // everything but idle and iowait
  uint64_t total = 0;
};
// Parses the first ("cpu ") line of /proc/stat. False when there is none.
bool ParseProcStatCpu(const std::string& proc_stat, CpuTimes* out);
// Busy % between two samples; nothing when no time passed (or the counters went back).
std::optional<double> CpuBusyPercent(const CpuTimes& before, const CpuTimes& after);
// (MemTotal - MemAvailable) / MemTotal in %, from /proc/meminfo; nothing when either is missing.
std::optional<double> MemoryUsedPercent(const std::string& meminfo);
// The resident set (second field of /proc/self/statm, in pages) in bytes; 0 when unreadable.
int64_t StatmRssBytes(const std::string& statm, int64_t page_size);

// {"id","pid","host","started_at","heartbeat_at","version","cpu_percent","memory_percent",
//  "rss_bytes","uptime_seconds","streams"}; times are ISO-8601 UTC ms, uptime whole seconds.
Json::Value HeartbeatPayload(const HeartbeatInfo& info, common::Clock::WallTime now,
                             const HostFigures& figures = {});

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
  // How many streams this streamer plays, asked on every beat. Set it before Run starts.
  void SetStreamCounter(std::function<int64_t()> count) { stream_count_ = std::move(count); }

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
  std::optional<CpuTimes> last_cpu_;               // used by the beating thread only
  std::function<int64_t()> stream_count_;

  HostFigures MeasureHost();

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
};

}  // namespace sattva::streamer
