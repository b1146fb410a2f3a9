#pragma once
// A stream's queue in Redis. Every change is one Lua script: it checks the optional expected
// version, applies the change, bumps the version and writes one queue_update event to
// sattva:events, all atomically, so concurrent edits apply in order of arrival and none is lost.
//
// Keys (the {sid} hash tag keeps one stream's keys in one cluster slot):
//   sattva:queue:{sid}:ids    LIST of item ids, in play order
//   sattva:queue:{sid}:items  HASH item id -> item JSON (a snapshot of the track)
//   sattva:queue:{sid}:meta   HASH version
//   sattva:stream:{sid}:now   HASH item (JSON), started_at, position_ms (written by the streamer)
//   sattva:queue:seq          the counter item ids come from (unique across streams)
// Uses the caller's Redis (one per thread; not thread-safe).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>

#include "common/redis.h"
#include "common/stream_keys.h"

namespace sattva::fcgi {

// What a queue item remembers of its track and its adder.
struct NewQueueItem {
  int64_t track_id = 0;
  std::string title;
  std::string artist;
  std::optional<int64_t> duration_ms;
  int64_t added_by = 0;
  std::string added_by_name;
  std::string added_at;  // ISO-8601 UTC
};

// One queue item's fields for display (Snapshot with as_rows).
struct QueueRow {
  std::string id;
  std::string title;
  std::string artist;
  std::optional<int64_t> duration_ms;
  std::optional<int64_t> added_by;
  std::string added_by_name;
};

struct QueueSnapshot {
  int64_t version = 0;
  // Each item as a JSON object text, position included, in play order:
  // {"position":1,"id":"41","track":{...},"added_by":{...},"added_at":"..."}. Kept as text so a
  // read joins them instead of parsing and re-serialising every item.
  std::vector<std::string> items;
  // Instead of `items` when asked for rows: the fields a page shows, in play order.
  std::vector<QueueRow> rows;
  int64_t length = 0;       // items in the queue (more than items.size() when cut short)
  Json::Value now_playing;  // null, or {item..., started_at, position_ms}
  // {"stream_id":N,"version":V,"now_playing":...,"items":[...]}
  std::string ToJsonText(int64_t stream_id) const;
};

// What a change left behind.
struct QueueChange {
  int64_t version = 0;
  int64_t length = 0;
};

// The failures a queue script reports; QueueStore turns them into these exceptions' statuses.
enum class QueueError { kStale, kFull, kBadPosition, kNoItem, kNotOwner };

class QueueStore {
 public:
  // |redis| must outlive the store. `event_maxlen` trims sattva:events.
  QueueStore(common::Redis& redis, int64_t event_maxlen);

  // The queue in play order; with max_items >= 0 only its first max_items items. With
  // `as_rows`, the items come decoded in `rows` (for pages) instead of as JSON text in `items`.
  QueueSnapshot Snapshot(int64_t stream_id, int64_t max_items = -1, bool as_rows = false);
  int64_t Length(int64_t stream_id);

  // `at` is "end", "next" or a 1-based position (1..length+1). Returns the new version and sets
  // *ids to the new items' ids. Throws HttpError: 409 stale, 422 full or bad position.
  QueueChange Add(int64_t stream_id, const std::vector<NewQueueItem>& items,
                  const std::string& at, std::optional<int64_t> if_version, int64_t max_length,
                  const std::string& ts, std::vector<std::string>* ids);
  // `only_added_by`: when set, refuse (403) unless the item was added by that user.
  QueueChange Remove(int64_t stream_id, const std::string& item_id, std::optional<int64_t> if_version,
                 std::optional<int64_t> only_added_by, const std::string& ts);
  // `to` is a 1-based position (1..length). 422 outside it.
  QueueChange Move(int64_t stream_id, const std::string& item_id, int64_t to,
               std::optional<int64_t> if_version, const std::string& ts);
  QueueChange Shuffle(int64_t stream_id, std::optional<int64_t> if_version, uint32_t seed,
                  const std::string& ts);
  QueueChange Clear(int64_t stream_id, std::optional<int64_t> if_version, const std::string& ts);
  // Drops every key of a deleted stream, and its fields of the track index.
  void Purge(int64_t stream_id);

 private:
  common::RedisReplyPtr Run(const std::string& script, int64_t stream_id,
                            const std::vector<std::string>& args);
  common::Redis& redis_;
  int64_t event_maxlen_;
};

using common::NowPlayingKey;
using common::QueueIdsKey;
using common::QueueItemsKey;
using common::QueueMetaKey;

}  // namespace sattva::fcgi
