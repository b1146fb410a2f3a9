#pragma once
// Listener samples: per stream, one row per wall-clock minute with the peak and the
// time-weighted mean of its listeners (live mount + bridge), for the dashboard's and the stream
// page's charts (sql/006_listener_samples.sql).
//
// ListenerSampler is the aggregation, pure logic over a Clock's wall time: the player tells it
// the count whenever the count changes and ticks it between frames; it hands back each minute
// when the minute closes, and the minute in progress when the stream stops or is handed over.
// Not thread-safe (one per player thread).
//
// ListenerSampleWriter writes them: one background thread with its own PostgreSQL connection,
// so no player ever waits for PostgreSQL. Everything queued is written in one upsert per
// round (the larger peak kept, the listener-milliseconds and covered time added, so two
// streamers that each played part of a minute make one row). The same thread deletes rows older
// than the retention about once an hour; a Redis key (SET NX PX) makes only one streamer of
// many do it each hour. Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/pg.h"
#include "common/redis.h"

namespace sattva::streamer {

struct ListenerSample {
  int64_t stream_id = 0;
  int64_t minute_ms = 0;    // the minute's start, Unix ms (UTC, a multiple of 60000)
  int64_t peak = 0;         // the most listeners at once during the covered part
  int64_t listener_ms = 0;  // the count integrated over the covered part (listeners x ms)
  int64_t covered_ms = 0;   // how much of the minute this sampler saw (0..60000)
  // The mean over the whole minute (a stream that played half of it with 2 listeners: 1.0).
  double Mean() const { return static_cast<double>(listener_ms) / 60000.0; }
  bool operator==(const ListenerSample& o) const {
    return stream_id == o.stream_id && minute_ms == o.minute_ms && peak == o.peak &&
           listener_ms == o.listener_ms && covered_ms == o.covered_ms;
  }
};

class ListenerSampler {
 public:
  static constexpr int64_t kMinuteMs = 60000;
  // A wall-clock jump forward of more than this many minutes between two calls (a suspended
  // host) is not filled in: sampling restarts at the current minute.
  static constexpr int64_t kMaxGapMinutes = 60;

  ListenerSampler(int64_t stream_id, const common::Clock& clock)
      : stream_id_(stream_id), clock_(clock) {}

  // The count is `listeners` from now on. The first call starts sampling. Minutes that closed
  // since the last call are appended to *closed.
  void Set(int64_t listeners, std::vector<ListenerSample>* closed);
  // Accounts the time since the last call and appends every minute that closed. A few
  // additions when none did: call it often (the player does, between frames), so a jump of the
  // wall clock is told from time played through.
  void Tick(std::vector<ListenerSample>* closed);
  // Stop or hand-over: appends the minute in progress (its covered part) and stops sampling
  // until the next Set. Nothing when sampling had not started.
  void Close(std::vector<ListenerSample>* closed);

  bool started() const { return started_; }
  int64_t count() const { return count_; }

 private:
  // Moves time forward to `now_ms`, closing minutes on the way.
  void AdvanceTo(int64_t now_ms, std::vector<ListenerSample>* closed);
  void StartMinute(int64_t minute_ms);

  const int64_t stream_id_;
  const common::Clock& clock_;
  bool started_ = false;
  int64_t count_ = 0;
  int64_t last_ms_ = 0;  // time accounted up to
  ListenerSample cur_;   // the minute in progress
};

struct ListenerSampleWriterOptions {
  int64_t retention_days = 30;
  // How often this streamer tries to be the one that deletes old rows.
  int64_t retention_every_ms = 3600 * 1000;
  std::string retention_lock_key = "sattva:listener_samples:retention";
};

class ListenerSampleWriter {
 public:
  ListenerSampleWriter(std::unique_ptr<common::Pg> pg, common::RedisOptions redis,
                       const common::Clock& clock, ListenerSampleWriterOptions options);
  ListenerSampleWriter(const ListenerSampleWriter&) = delete;
  ListenerSampleWriter& operator=(const ListenerSampleWriter&) = delete;
  // Writes what is queued (for up to a few seconds), then stops.
  ~ListenerSampleWriter();

  // Queues samples for writing. Never blocks on PostgreSQL.
  void Write(std::vector<ListenerSample> samples);
  // Blocks until everything queued so far is written (or `timeout_ms` passes). For tests.
  bool Flush(int timeout_ms);

  // Merges samples of the same stream and minute (peak: max; listener_ms, covered_ms: summed,
  // covered capped at a minute), in first-seen order: one upsert may not touch a row twice.
  static std::vector<ListenerSample> Merge(const std::vector<ListenerSample>& samples);

 private:
  void Run();
  void WriteBatch(const std::vector<ListenerSample>& batch);
  void MaybeDeleteOld();

  std::unique_ptr<common::Pg> pg_;
  common::Redis redis_;
  const common::Clock& clock_;
  const ListenerSampleWriterOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ListenerSample> pending_;  // guarded by mu_
  int64_t pushed_ = 0;                   // guarded by mu_
  int64_t done_ = 0;                     // guarded by mu_
  bool stop_ = false;                    // guarded by mu_
  common::Clock::MonoTime next_retention_{};
  std::thread thread_;
};

}  // namespace sattva::streamer
