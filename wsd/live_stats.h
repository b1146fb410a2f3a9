#pragma once
// The samples wsd sends that are not events: `stream_tick` (every running stream's position
// and listeners, at most once a second) and `stats` (the station's figures, every
// stats_interval_s). They have no id, are not stored in sattva:events and are not resumable.
//
// A LiveStats thread with its own Redis and PostgreSQL connections reads them
// (common/station_stats.h, shared with GET /api/v1/stats) and hands them to the service thread
// through a SampleQueue (mutex + wake, drained on LWS_CALLBACK_EVENT_WAIT_CANCELLED); the
// service thread queues each for every client whose subscription wants its type, replacing one
// the client has not been sent yet (a slow client holds one sample of each type, never a backlog).
// The latest stats data is also kept in LatestStats for the snapshot.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <json/json.h>

#include "common/clock.h"
#include "common/pg.h"
#include "common/redis.h"
#include "common/station_stats.h"
#include "wsd/wire_event.h"

namespace sattva::wsd {

inline constexpr const char* kStatsType = "stats";
inline constexpr const char* kStreamTickType = "stream_tick";

struct LiveSample {
  std::string type;  // kStatsType or kStreamTickType
  Message json;
};

// From the LiveStats thread to the service thread. Thread-safe.
class SampleQueue {
 public:
  // |wake| is called after every push, from the pushing thread.
  explicit SampleQueue(std::function<void()> wake);
  void Push(LiveSample sample);
  // Moves every queued sample, oldest first, to the end of |out|.
  void Drain(std::vector<LiveSample>* out);

 private:
  const std::function<void()> wake_;
  std::mutex mu_;
  std::vector<LiveSample> samples_;  // guarded by mu_
};

// The newest stats data (null before the first). Thread-safe.
class LatestStats {
 public:
  void Set(Json::Value data);
  Json::Value Get() const;

 private:
  mutable std::mutex mu_;
  Json::Value data_;  // guarded by mu_
};

// {"type":"stream_tick","ts":ISO,"data":{"streams":[{"stream_id","item_id","position_ms",
// "duration_ms","listeners":{"total","live","bridge"}}]}} over the running streams in |streams|;
// "" when none runs. Positions are extrapolated to |now|.
std::string BuildStreamTick(common::Clock::WallTime now,
                            const std::vector<common::StreamFigures>& streams);

// The stats data: common::StationStatsJson plus "events_per_second" and "connections".
Json::Value StatsData(const common::StationStats& stats, double events_per_second,
                      int64_t connections);
// {"type":"stats","ts":ISO,"data":DATA}
std::string BuildStats(common::Clock::WallTime now, const Json::Value& data);

struct LiveStatsOptions {
  std::chrono::milliseconds tick{1000};  // stream_tick period
  int stats_interval_s = 5;              // stats period
};

class LiveStats {
 public:
  // |events_read| is the reader's count of events so far and |connections| the number of
  // clients; both are called from this thread and must be thread-safe. |samples|, |latest| and
  // |clock| must outlive this.
  LiveStats(std::unique_ptr<common::Pg> pg, const common::RedisOptions& redis,
            SampleQueue& samples, LatestStats& latest, std::function<double()> events_read,
            std::function<int64_t()> connections, const common::Clock& clock,
            LiveStatsOptions options);
  ~LiveStats();
  LiveStats(const LiveStats&) = delete;
  LiveStats& operator=(const LiveStats&) = delete;

  void Start();
  // Stops and joins the thread. Idempotent.
  void Stop();
  // One tick: reads the streams, pushes a stream_tick (when one runs) and, every
  // stats_interval_s, a stats sample. The first call always computes stats. Exposed for tests.
  void Step();

 private:
  void Run();

  std::unique_ptr<common::Pg> pg_;
  common::Redis redis_;
  SampleQueue& samples_;
  LatestStats& latest_;
  const std::function<double()> events_read_;
  const std::function<int64_t()> connections_;
  const common::Clock& clock_;
  const LiveStatsOptions options_;

  // Used by the stats thread only.
  std::vector<int64_t> stream_ids_;  // the last ids PostgreSQL gave
  bool have_ids_ = false;
  bool pg_down_logged_ = false;
  bool redis_down_logged_ = false;
  int64_t ticks_ = 0;
  bool stats_pending_ = true;  // the next successful read computes stats
  double last_events_ = 0;
  common::Clock::MonoTime last_stats_at_{};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace sattva::wsd
