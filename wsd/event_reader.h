#pragma once
// The Redis side of wsd: a reader thread that tails sattva:events into the EventRing, and a
// backfill thread that answers resume requests. Each owns its own EventSource (own Redis
// connection). Neither ever throws out of its loop: Redis failures are logged once per outage
// and retried with backoff.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

#include "wsd/event_source.h"
#include "wsd/handoff.h"
#include "wsd/snapshot.h"
#include "wsd/wsd_metrics.h"

namespace sattva::wsd {

// Whether the reader can reach Redis, for /healthz. Thread-safe.
class RedisHealth {
 public:
  // Starts down with "not connected yet".
  RedisHealth();
  void SetUp();
  void SetDown(const std::string& error);
  // True when up; otherwise false and *error says why.
  bool Get(std::string* error) const;

 private:
  mutable std::mutex mu_;
  bool up_ = false;    // guarded by mu_
  std::string error_;  // guarded by mu_
};

struct ReaderOptions {
  int block_ms = 500;  // XREAD BLOCK; also bounds how long Stop() waits
  int batch = 100;     // XREAD COUNT
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
};

// Tails the stream from its newest entry at start (only new events). Pushes, in order: one
// kHead item, then kEvent items, and a kReset item when, after a reconnect, the stream's newest
// id is below the last one read (the stream was replaced). Malformed entries are logged and
// skipped. After a Redis failure it resumes after the last id it read.
class EventReader {
 public:
  // |source|, |ring|, |health| and |metrics| must outlive the reader.
  EventReader(EventSource& source, EventRing& ring, RedisHealth& health, WsdMetrics& metrics,
              ReaderOptions options);
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  void Start();
  // Stops |ring| (so a blocked push returns) and joins the thread. Idempotent.
  void Stop();
  // The loop itself, on the calling thread, until Stop(). Exposed for tests.
  void Run();

 private:
  bool Stopping() const { return stop_.load(); }
  void SleepFor(std::chrono::milliseconds d);
  void MarkUp();
  void MarkDown(const std::string& error);
  bool PushEntry(const StreamEntry& entry, StreamId* last);

  EventSource& source_;
  EventRing& ring_;
  RedisHealth& health_;
  WsdMetrics& metrics_;
  const ReaderOptions options_;
  std::atomic<bool> stop_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  bool up_ = false;             // reader thread only
  bool outage_logged_ = false;  // reader thread only
  std::thread thread_;
};

// Answers BackfillRequests: reads the stored events after the client's id and plans the resume
// (PlanBackfill). When Redis cannot be reached it replies UnavailableBackfill.
class Backfiller {
 public:
  // |source| and |exchange| must outlive the backfiller. |limit|: most events per resume.
  Backfiller(EventSource& source, BackfillExchange& exchange, size_t limit);
  ~Backfiller();
  Backfiller(const Backfiller&) = delete;
  Backfiller& operator=(const Backfiller&) = delete;

  void Start();
  // Stops |exchange| and joins the thread. Idempotent.
  void Stop();
  // Serves requests on the calling thread until the exchange stops. Exposed for tests.
  void Run();
  // Answers one request. Exposed for tests.
  BackfillReply Answer(const BackfillRequest& request);
  // Where snapshot requests get their snapshot (used on this thread only). Without one, a
  // snapshot request is answered like a failed one. Set before Start.
  void set_snapshots(SnapshotCache* snapshots) { snapshots_ = snapshots; }

 private:
  // A snapshot, then the events after its id; when no snapshot can be read, a resync.
  Backfill AnswerSnapshot();

  EventSource& source_;
  BackfillExchange& exchange_;
  const size_t limit_;
  SnapshotCache* snapshots_ = nullptr;
  bool snapshot_failing_ = false;  // backfill thread only: one log line per outage
  std::thread thread_;
};

}  // namespace sattva::wsd
