#pragma once
// The station's live figures as wsd's `stats` message and fcgi's GET /api/v1/stats show them:
// per stream (running, listeners, queue length, now playing) from the keys of
// common/stream_keys.h, and per streamer from its heartbeat payload (streamer/heartbeat.h).
// One place for both daemons, so the two never disagree.
//
// The readers run on the caller's Redis (not thread-safe, like it) and throw common::RedisError
// when Redis cannot be reached. The rest is pure and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>
#include <pqxx/pqxx>

#include "common/redis.h"

namespace sattva::common {

// Every streamer's id (SADD by its heartbeat), and each one's liveness record (SET with a TTL).
inline constexpr const char* kStreamersKey = "sattva:streamers";
inline std::string StreamerKey(const std::string& id) { return "sattva:streamer:" + id; }

// One stream's live figures.
struct StreamFigures {
  int64_t id = 0;
  bool running = false;  // its :state key says "running" (a streamer holds its lease)
  int64_t listeners = 0;
  int64_t listeners_live = 0;
  int64_t listeners_bridge = 0;
  int64_t queue_length = 0;
  // Now playing: the item JSON ("" when nothing is recorded) and the position the streamer last
  // wrote (position_ms at wall time position_at_ms).
  std::string now_item;
  int64_t position_ms = 0;
  int64_t position_at_ms = 0;
};

// One streamer as its heartbeat describes it. The host figures are absent when the streamer
// predates them or could not read /proc.
struct StreamerFigures {
  std::string id;
  std::string host;
  int64_t pid = 0;
  std::optional<double> cpu_percent;     // host CPU busy %, over the last heartbeat interval
  std::optional<double> memory_percent;  // host memory in use %
  int64_t rss_bytes = 0;                 // the streamer process's resident memory
  int64_t uptime_seconds = 0;            // since the streamer started
  int64_t streams = 0;                   // how many streams it plays
};

struct StationStats {
  int64_t active_streams = 0;  // streams that run now
  int64_t total_listeners = 0;
  int64_t queue_items = 0;     // queued items over every stream
  // Aggregated over the streamer hosts: the mean of each host's figure (a host running several
  // streamers counts once); absent when no streamer reported one.
  std::optional<double> cpu_percent;
  std::optional<double> memory_percent;
  int64_t uptime_seconds = 0;  // the oldest running streamer's uptime; 0 when none runs
  std::vector<StreamerFigures> streamers;
};

// The ids of every live (not deleted) stream, ascending.
std::vector<int64_t> LiveStreamIds(pqxx::transaction_base& tx);

// The figures of the streams |ids|, in that order: one read-only script, one round trip.
std::vector<StreamFigures> ReadStreamFigures(Redis& redis, const std::vector<int64_t>& ids);

// Every registered streamer whose heartbeat is still there (SMEMBERS, then one MGET), by id.
std::vector<StreamerFigures> ReadStreamers(Redis& redis);

// A heartbeat payload as StreamerFigures. False when it is not a JSON object with an "id".
bool ParseStreamerPayload(const std::string& json, StreamerFigures* out);

StationStats AggregateStationStats(const std::vector<StreamFigures>& streams,
                                   std::vector<StreamerFigures> streamers);

// {"active_streams","total_listeners","queue_items","cpu_percent","memory_percent",
//  "uptime_seconds","streamers":[{"id","host","pid","cpu_percent","memory_percent","rss_bytes",
//  "uptime_seconds","streams"}]}; an absent percentage is null. Percentages are rounded to 0.1.
Json::Value StationStatsJson(const StationStats& stats);

// Where playback is at |now_ms| from what the streamer last wrote: while the stream runs it has
// moved on since |position_at_ms|. A queue item stops at its end (duration_ms > 0); a
// placeholder (|looping|) starts over.
int64_t ExtrapolatePositionMs(int64_t position_ms, int64_t position_at_ms, bool running,
                              int64_t duration_ms, bool looping, int64_t now_ms);

}  // namespace sattva::common
