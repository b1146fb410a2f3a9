#pragma once
// The station's numbers for the dashboard and the chart series: all their SQL is here, and the
// Redis reads are one round trip (one read-only script over every key). Runs on the caller's
// transaction and Redis (not thread-safe).

#include <cstdint>
#include <optional>
#include <vector>

#include <pqxx/pqxx>

#include "common/redis.h"
#include "fcgi/streams.h"

namespace sattva::fcgi {

// From PostgreSQL, in one query. "Today" is since 00:00 UTC (the panel shows UTC times).
struct StationCounts {
  int64_t streams_total = 0;
  int64_t streams_running = 0;  // desired_state running
  int64_t tracks = 0;           // in the catalog (not deleted)
  int64_t plays_today = 0;      // play_history rows started today
  int64_t auto_ends_today = 0;  // sessions ended by auto-end today
  std::vector<int64_t> stream_ids;   // every live stream
  std::vector<int64_t> running_ids;  // the running ones
};

// From Redis, in one round trip.
struct LiveTotals {
  int64_t listeners = 0;  // live + bridge, over the running streams
  int64_t listeners_live = 0;
  int64_t listeners_bridge = 0;
  int64_t queue_items = 0;  // over every stream
};

// One bucket of the listeners chart: the most listeners at once (summed over the streams
// minute by minute) and the listener-milliseconds in it (divided by the bucket's length: the
// time-weighted mean).
struct ListenerBucket {
  int64_t start_ms = 0;
  int64_t peak = 0;
  int64_t listener_ms = 0;
};

// Tracks that started in one hour.
struct PlaysBucket {
  int64_t start_ms = 0;
  int64_t plays = 0;
};

class StatsStore {
 public:
  static StationCounts Station(pqxx::transaction_base& tx, int64_t now_ms);
  static LiveTotals Live(common::Redis& redis, const std::vector<int64_t>& running_ids,
                         const std::vector<int64_t>& stream_ids);
  // Listener samples from `since_ms` on, in buckets of `bucket_ms` (only buckets with samples;
  // the chart draws the rest as 0), for one stream or (nullopt) all of them. One query.
  static std::vector<ListenerBucket> ListenerSeries(pqxx::transaction_base& tx,
                                                    std::optional<int64_t> stream_id,
                                                    int64_t since_ms, int64_t bucket_ms);
  // Plays per hour from `since_ms` (an hour boundary) on; only hours with plays. One query.
  static std::vector<PlaysBucket> PlaysPerHour(pqxx::transaction_base& tx, int64_t since_ms);
  // The public status page's one query: live (not deleted), public streams whose desired
  // state is running, by title (id, slug, title, description, desired_state and auto-end
  // filled; what Redis says about them is read next). Prepared.
  static std::vector<Stream> PublicRunning(pqxx::transaction_base& tx);
};

}  // namespace sattva::fcgi
