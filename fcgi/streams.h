#pragma once
// Streams in PostgreSQL (records) plus their live parts in Redis (state, listeners, now
// playing). Runs on the caller's transaction and Redis (not thread-safe).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>
#include <pqxx/pqxx>

#include "common/redis.h"
#include "common/stream_keys.h"

namespace sattva::fcgi {

struct Stream {
  int64_t id = 0;
  std::string slug;
  std::string title;
  std::string description;
  std::optional<int64_t> placeholder_track_id;
  bool auto_end_enabled = true;
  int64_t auto_end_timeout_s = 300;
  std::string desired_state;  // running | stopped
  std::string created_at;
  std::string updated_at;
  std::string last_end_reason;  // "" when it never ended
  std::string last_ended_at;    // ISO-8601 UTC of that end, "" when it never ended
  bool is_public = true;        // shown on the public status page and now-playing API
  Json::Value ToJson() const;  // the record only; the API adds the live parts
};

struct StreamFields {  // for create and update; unset fields are left alone
  std::optional<std::string> slug;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::optional<int64_t>> placeholder_track_id;
  std::optional<bool> auto_end_enabled;
  std::optional<int64_t> auto_end_timeout_s;
  std::optional<bool> is_public;
};

// The streams list's filters, sort and page (the admin list and GET /api/v1/streams).
struct StreamQuery {
  std::string q;      // substring of title or slug, case-insensitive; % and _ literal
  std::string state;  // "" | running | stopped (desired_state)
  std::string sort = "id";  // id | title | slug | created_at
  bool descending = false;
  int page = 1;
  int per_page = 50;
};

// A live track as a queue item needs it.
struct QueueTrack {
  int64_t id = 0;
  std::string title;
  std::string artist;
  std::optional<int64_t> duration_ms;
};

class StreamStore {
 public:
  static std::optional<Stream> Find(pqxx::transaction_base& tx, int64_t id, bool lock = false);
  // Whether a live (not deleted) stream has this id. Prepared: every queue request asks.
  static bool IsLive(pqxx::transaction_base& tx, int64_t id);
  // One page of live streams matching `q`, and how many match in all. One query.
  static std::vector<Stream> List(pqxx::transaction_base& tx, const StreamQuery& q,
                                  int64_t* total);
  // The live tracks among `track_ids`, by id, when stream `stream_id` is live; an empty map
  // when it is not (ask IsLive to tell the two apart). One prepared query.
  static std::map<int64_t, QueueTrack> QueueTracks(pqxx::transaction_base& tx, int64_t stream_id,
                                                   const std::vector<int64_t>& track_ids);
  // Throws HttpError 409 for a taken slug, 422 for an unknown placeholder track.
  static Stream Create(pqxx::transaction_base& tx, const StreamFields& f);
  static Stream Update(pqxx::transaction_base& tx, const Stream& before, const StreamFields& f);
  static void SoftDelete(pqxx::transaction_base& tx, int64_t id);
  static void SetDesiredState(pqxx::transaction_base& tx, int64_t id, const std::string& state);
  // Ends the open session, if any, with `reason` (and the actor for manual stops).
  static bool EndOpenSession(pqxx::transaction_base& tx, int64_t id, const std::string& reason,
                             std::optional<int64_t> actor);
};

// The live view of a stream from Redis: state, listeners, queue length, now playing.
struct StreamLive {
  std::string state;  // starting | running | stopped
  int64_t listeners = 0;         // total
  int64_t listeners_live = 0;    // live mount connections
  int64_t listeners_bridge = 0;  // voice-call participants
  // The auto-end countdown the owning streamer keeps: when the count reached 0 (0: not armed).
  int64_t auto_end_zero_since_ms = 0;
  int64_t queue_length = 0;
  int64_t queue_version = 0;
  // Now playing: the item JSON ("" when nothing plays), when it started, and the position the
  // streamer last wrote (position_ms at wall time position_at_ms).
  std::string now_item;
  std::string now_started_at;
  int64_t now_position_ms = 0;
  int64_t now_position_at_ms = 0;
};
// Where playback is at `now_ms` (wall clock), from what the streamer last wrote: while a stream
// runs it has moved on since position_at. A queue item stops at its end (duration_ms > 0); a
// placeholder (`looping`) starts over, and its position is written only when the loop begins.
int64_t PlaybackPositionMs(const StreamLive& live, int64_t duration_ms, bool looping,
                           int64_t now_ms);
// One stream's live view: one Redis round trip.
StreamLive ReadLive(common::Redis& redis, const Stream& s);
// Every stream's live view, in the order given: one Redis round trip (one read-only script)
// whatever the number of streams.
std::vector<StreamLive> ReadLiveMany(common::Redis& redis, const std::vector<Stream>& streams);

// The auto-end countdown as shown (API auto_end object, the list's "ending in 0:42").
struct AutoEndView {
  bool armed = false;
  int64_t deadline_ms = 0;        // when armed
  int64_t seconds_remaining = 0;  // when armed; 0 once the deadline passed
};
// The deadline follows the stream's current timeout, so an edit shows at once.
AutoEndView AutoEndOf(const Stream& s, const StreamLive& live, int64_t now_ms);
using common::StreamListenersKey;
using common::StreamStateKey;
// Start, stop and skip reach the streamers through this channel at once; their reconcile loop
// re-reads desired_state (and the skip counter), so a lost message does no harm.
using common::kControlChannel;

}  // namespace sattva::fcgi
