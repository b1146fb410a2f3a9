#pragma once
// One stream's live state in Redis, as its owning streamer sees it: the lease, the queue pop,
// now playing, the listener count and the skip counter (keys in common/stream_keys.h).
//
// The lease is what makes a stream played by exactly one streamer: SET NX PX claims it, a
// script renews it only while it still holds our id, and a script releases it only if it is
// ours. The state and listener keys expire with the lease, so a streamer killed with -9 leaves
// nothing that claims the stream still plays.
//
// Runs on the caller's Redis (not thread-safe, like it). Throws common::RedisError when Redis
// cannot be reached.

#include <cstdint>
#include <optional>
#include <string>

#include "common/redis.h"

namespace sattva::streamer {

struct PoppedItem {
  std::string id;
  std::string json;  // the item snapshot: {"id","track":{...},"added_by":{...},"added_at"}
};

struct NowPlaying {
  std::string item_json;  // "" when nothing is recorded
  int64_t position_ms = 0;
  std::string started_at;
};

class LiveState {
 public:
  // |redis| must outlive this object.
  LiveState(common::Redis& redis, int64_t stream_id, std::string owner, int64_t lease_ttl_ms,
            int64_t events_maxlen);

  // Claims the lease if nobody holds it. True when we hold it now.
  bool Acquire();
  // Extends the lease, and the state and listener keys with it, while it is still ours.
  // False when another streamer holds it (or it lapsed): stop playing at once.
  bool Renew();
  // Gives the lease up if it is ours, and removes the state and listener keys.
  void Release();

  // Moves the queue's head to now playing atomically and writes one queue_update (op "pop").
  // Returns nothing when the queue is empty.
  std::optional<PoppedItem> Pop(const std::string& ts, int64_t wall_ms);
  // The head item's id, or "" when the queue is empty.
  std::string HeadId();
  // The head item (for a prefetch), or nothing.
  std::optional<PoppedItem> Head();

  // Now playing for what is not a queue item (the placeholder, silence).
  void SetNowPlaying(const std::string& item_json, const std::string& started_at, int64_t wall_ms);
  void SetPosition(int64_t position_ms, int64_t wall_ms);
  void ClearNowPlaying();
  NowPlaying ReadNowPlaying();

  void SetState(const std::string& state);
  void SetListeners(int64_t total, int64_t live, int64_t bridge);
  int64_t Skips();

 private:
  common::Redis& redis_;
  const int64_t sid_;
  const std::string owner_;
  const int64_t ttl_ms_;
  const int64_t events_maxlen_;
};

}  // namespace sattva::streamer
