#pragma once
// The `snapshot` message: every stream's record (PostgreSQL) with its live state (Redis), and
// the id of the newest event in sattva:events it is consistent with.
//
// Consistency: the live parts of every stream and the newest event id are read by ONE Lua
// script, so no event can slip in between them. Whoever changes live state writes the state
// before (or, for the queue scripts, atomically with) the XADD of the event that reports it, and
// events carry absolute values (a count, a version with the queue's head, the current track).
// So the snapshot may already reflect an event newer than its last_event_id (a state written whose
// event is not XADDed yet), and replaying that event on top changes nothing; it can never miss
// an event at or below last_event_id. "Snapshot + the events after last_event_id" is the truth.
//
// The records come from PostgreSQL in a separate read (titles and settings change rarely and are
// not in any event but stream_update's title).
//
// Building is pure (BuildSnapshotJson); reading goes through a SnapshotSource, and
// SnapshotCache reuses a snapshot for up to max_age so that many clients connecting at once cost
// one read. Reading and caching run on the backfill thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>

#include "common/clock.h"
#include "common/pg.h"
#include "common/redis.h"
#include "wsd/stream_id.h"
#include "wsd/wire_event.h"

namespace sattva::wsd {

// A stream's record as the snapshot shows it.
struct SnapshotRecord {
  int64_t id = 0;
  std::string slug;
  std::string title;
  bool is_public = true;
  bool auto_end_enabled = true;
  int64_t auto_end_timeout_s = 300;
  std::string desired_state;  // running | stopped
};

// A stream's live parts, as the snapshot script reads them.
struct SnapshotLive {
  bool running = false;  // the :state key says running
  int64_t listeners = 0;
  int64_t listeners_live = 0;
  int64_t listeners_bridge = 0;
  int64_t auto_end_zero_since_ms = 0;  // 0: no countdown recorded
  int64_t queue_length = 0;
  int64_t queue_version = 0;
  // The first common::kQueueHeadItems items, each an item JSON text with its "position".
  std::vector<std::string> head;
  std::string now_item;  // the now-playing item JSON, "" when none
  std::string now_started_at;
  int64_t now_position_ms = 0;
  int64_t now_position_at_ms = 0;
};

struct SnapshotRead {
  std::optional<StreamId> last_event_id;  // nullopt: sattva:events is empty
  std::vector<SnapshotLive> live;         // in the order of the records asked for
};

// One built snapshot, shared by every client that gets it.
struct Snapshot {
  std::optional<StreamId> last_event_id;
  Message full;  // the message as sent to principals who may see user details
  // Without what a principal lacking `users.view` may not see (wsd/redact.h); null when that is
  // all of |full| (nothing was removed).
  Message redacted;
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

// The snapshot message:
//   {"type":"snapshot","last_event_id":ID|null,"server_time":ISO,"streams":[...],"stats":STATS}
// (docs/websocket.md). |stats| is the latest stats data (null before the first sample).
Json::Value BuildSnapshotJson(const std::vector<SnapshotRecord>& records, const SnapshotRead& read,
                              common::Clock::WallTime now, const Json::Value& stats);

// Where a snapshot's parts come from. Not thread-safe: one per thread.
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // Every live (not deleted) stream, by id. Throws on a PostgreSQL failure.
  virtual std::vector<SnapshotRecord> Records() = 0;
  // The live parts of |records| and the newest event id, in one script. Throws
  // common::RedisError.
  virtual SnapshotRead ReadLive(const std::vector<SnapshotRecord>& records) = 0;
};

// The real source: its own PostgreSQL connection (made on first use, so on the thread that
// uses it) and its own Redis connection.
class PgRedisSnapshotSource : public SnapshotSource {
 public:
  PgRedisSnapshotSource(std::unique_ptr<common::Pg> pg, const common::RedisOptions& redis);
  std::vector<SnapshotRecord> Records() override;
  SnapshotRead ReadLive(const std::vector<SnapshotRecord>& records) override;

 private:
  std::unique_ptr<common::Pg> pg_;
  common::Redis redis_;
};

// Parses the snapshot script's reply (exposed for tests). Throws common::RedisError when it has
// another shape.
SnapshotRead ParseSnapshotReply(const redisReply* reply, size_t streams);

// Builds snapshots and reuses one for up to |max_age|. Thread-safe, but meant for one thread.
class SnapshotCache {
 public:
  // |source| must outlive the cache. |stats| returns the latest stats data (null if none yet).
  SnapshotCache(SnapshotSource& source, const common::Clock& clock,
                std::function<Json::Value()> stats, std::chrono::milliseconds max_age);
  // A snapshot at most max_age old. Throws what the source throws (nothing is cached then).
  SnapshotPtr Get();
  uint64_t builds() const;  // how many snapshots were built (for tests and logs)

 private:
  SnapshotSource& source_;
  const common::Clock& clock_;
  const std::function<Json::Value()> stats_;
  const std::chrono::milliseconds max_age_;
  mutable std::mutex mu_;
  SnapshotPtr cached_;                 // guarded by mu_
  common::Clock::MonoTime built_at_{};  // guarded by mu_
  uint64_t builds_ = 0;                // guarded by mu_
};

}  // namespace sattva::wsd
