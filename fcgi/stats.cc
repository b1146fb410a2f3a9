#include "fcgi/stats.h"

#include <cstdlib>
#include <string>

#include "common/redis_script.h"
#include "common/stream_keys.h"

namespace sattva::fcgi {
namespace {

std::vector<int64_t> SplitIds(const pqxx::field& f) {
  std::vector<int64_t> out;
  if (f.is_null()) return out;
  const std::string s = f.as<std::string>();
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(std::stoll(s.substr(start, comma - start)));
    start = comma + 1;
  }
  return out;
}

// KEYS: the running streams' listeners hashes (ARGV[1] of them), then every stream's queue id
// list. Returns {total, live, bridge, queue items}. Reads only.
common::RedisScript& LiveTotalsScript() {
  static common::RedisScript script(R"lua(
local n = tonumber(ARGV[1])
local total, live, bridge, queued = 0, 0, 0, 0
for i = 1, n do
  local v = redis.call('HMGET', KEYS[i], 'total', 'live', 'bridge')
  total = total + (tonumber(v[1]) or 0)
  live = live + (tonumber(v[2]) or 0)
  bridge = bridge + (tonumber(v[3]) or 0)
end
for i = n + 1, #KEYS do queued = queued + redis.call('LLEN', KEYS[i]) end
return {total, live, bridge, queued}
)lua");
  return script;
}

int64_t ReplyInt(const redisReply* r) {
  if (r == nullptr) return 0;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING) return std::atoll(r->str);
  return 0;
}

}  // namespace

StationCounts StatsStore::Station(pqxx::transaction_base& tx, int64_t now_ms) {
  const int64_t day_start_ms = now_ms - now_ms % 86400000;
  pqxx::row r = tx.exec_params1(
      "SELECT (SELECT string_agg(id::text, ',' ORDER BY id) FROM streams "
      "        WHERE deleted_at IS NULL), "
      "       (SELECT string_agg(id::text, ',' ORDER BY id) FROM streams "
      "        WHERE deleted_at IS NULL AND desired_state = 'running'), "
      "       (SELECT count(*) FROM tracks WHERE deleted_at IS NULL), "
      "       (SELECT count(*) FROM play_history WHERE started_at >= to_timestamp($1::bigint / 1000)), "
      "       (SELECT count(*) FROM stream_sessions "
      "        WHERE end_reason = 'auto_end' AND ended_at >= to_timestamp($1::bigint / 1000))",
      day_start_ms);
  StationCounts c;
  c.stream_ids = SplitIds(r[0]);
  c.running_ids = SplitIds(r[1]);
  c.streams_total = static_cast<int64_t>(c.stream_ids.size());
  c.streams_running = static_cast<int64_t>(c.running_ids.size());
  c.tracks = r[2].as<int64_t>();
  c.plays_today = r[3].as<int64_t>();
  c.auto_ends_today = r[4].as<int64_t>();
  return c;
}

LiveTotals StatsStore::Live(common::Redis& redis, const std::vector<int64_t>& running_ids,
                            const std::vector<int64_t>& stream_ids) {
  LiveTotals t;
  if (running_ids.empty() && stream_ids.empty()) return t;
  std::vector<std::string> keys;
  keys.reserve(running_ids.size() + stream_ids.size());
  for (int64_t id : running_ids) keys.push_back(common::StreamListenersKey(id));
  for (int64_t id : stream_ids) keys.push_back(common::QueueIdsKey(id));
  common::RedisReplyPtr r =
      LiveTotalsScript().Run(redis, keys, {std::to_string(running_ids.size())});
  if (r->type == REDIS_REPLY_ERROR) {
    throw common::RedisError("redis: live totals: " + std::string(r->str, r->len));
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
    throw common::RedisError("redis: live totals: unexpected reply");
  }
  t.listeners = ReplyInt(r->element[0]);
  t.listeners_live = ReplyInt(r->element[1]);
  t.listeners_bridge = ReplyInt(r->element[2]);
  t.queue_items = ReplyInt(r->element[3]);
  return t;
}

std::vector<ListenerBucket> StatsStore::ListenerSeries(pqxx::transaction_base& tx,
                                                       std::optional<int64_t> stream_id,
                                                       int64_t since_ms, int64_t bucket_ms) {
  // Per minute first (summed over the streams), then per bucket: the peak is the busiest
  // minute's sum of peaks, the mean the listener-milliseconds over the bucket's length.
  pqxx::result rows = tx.exec_params(
      "SELECT (m.ms - $1::bigint) / $2::bigint AS b, max(m.peak), sum(m.lms) "
      "FROM (SELECT floor(extract(epoch FROM minute) * 1000)::bigint AS ms, "
      "             sum(peak_listeners) AS peak, sum(listener_ms) AS lms "
      "      FROM listener_samples "
      "      WHERE minute >= to_timestamp($1::bigint / 1000.0) "
      "        AND ($3::bigint IS NULL OR stream_id = $3::bigint) "
      "      GROUP BY minute) m "
      "GROUP BY b ORDER BY b",
      since_ms, bucket_ms, stream_id);
  std::vector<ListenerBucket> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    ListenerBucket b;
    b.start_ms = since_ms + row[0].as<int64_t>() * bucket_ms;
    b.peak = row[1].as<int64_t>();
    b.listener_ms = row[2].as<int64_t>();
    out.push_back(b);
  }
  return out;
}

std::vector<PlaysBucket> StatsStore::PlaysPerHour(pqxx::transaction_base& tx, int64_t since_ms) {
  pqxx::result rows = tx.exec_params(
      "SELECT (floor(extract(epoch FROM started_at) * 1000)::bigint - $1::bigint) / 3600000 AS h, "
      "       count(*) "
      "FROM play_history WHERE started_at >= to_timestamp($1::bigint / 1000.0) "
      "GROUP BY h ORDER BY h",
      since_ms);
  std::vector<PlaysBucket> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    out.push_back({since_ms + row[0].as<int64_t>() * 3600000, row[1].as<int64_t>()});
  }
  return out;
}

std::vector<Stream> StatsStore::PublicRunning(pqxx::transaction_base& tx) {
  static const char kName[] = "stats_public_running";
  // libpqxx prepares it once per connection (the same definition again is a no-op).
  tx.conn().prepare(kName,
                    "SELECT id, slug, title, description, auto_end_enabled FROM streams "
                    "WHERE deleted_at IS NULL AND public AND desired_state = 'running' "
                    "ORDER BY lower(title), id");
  pqxx::result rows = tx.exec_prepared(kName);
  std::vector<Stream> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    Stream s;
    s.id = row[0].as<int64_t>();
    s.slug = row[1].as<std::string>();
    s.title = row[2].as<std::string>();
    s.description = row[3].as<std::string>();
    s.auto_end_enabled = row[4].as<bool>();
    s.desired_state = "running";
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sattva::fcgi
