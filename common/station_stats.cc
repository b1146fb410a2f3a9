#include "common/station_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "common/json.h"
#include "common/redis_script.h"
#include "common/stream_keys.h"

namespace sattva::common {
namespace {

// KEYS: per stream, 4 keys: state, listeners, queue ids, now playing.
// Returns per stream {state, {listeners hash}, queue length, {item, position_ms, position_at}}.
constexpr const char* kReadFigures = R"lua(
local out = {}
for i = 0, #KEYS / 4 - 1 do
  local k = i * 4
  out[i + 1] = {
    redis.call('GET', KEYS[k + 1]) or '',
    redis.call('HGETALL', KEYS[k + 2]),
    redis.call('LLEN', KEYS[k + 3]),
    redis.call('HMGET', KEYS[k + 4], 'item', 'position_ms', 'position_at'),
  }
end
return out
)lua";

int64_t ToInt(const std::string& s) { return s.empty() ? 0 : std::atoll(s.c_str()); }

std::optional<double> OptionalNumber(const Json::Value& v) {
  if (!v.isNumeric()) return std::nullopt;
  return v.asDouble();
}

int64_t IntOr0(const Json::Value& v) { return v.isIntegral() ? v.asInt64() : 0; }

Json::Value Percent(const std::optional<double>& p) {
  if (!p) return Json::Value(Json::nullValue);
  return Json::Value(std::round(*p * 10.0) / 10.0);
}

// The mean over hosts of one figure (each host's figure from its most recent streamer in the
// list; streamers on one host report the same host figure).
std::optional<double> MeanOverHosts(const std::vector<StreamerFigures>& streamers,
                                    std::optional<double> StreamerFigures::*field) {
  std::map<std::string, double> by_host;
  for (const StreamerFigures& s : streamers) {
    if (s.*field) by_host[s.host] = *(s.*field);
  }
  if (by_host.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& [host, v] : by_host) sum += v;
  return sum / static_cast<double>(by_host.size());
}

}  // namespace

std::vector<int64_t> LiveStreamIds(pqxx::transaction_base& tx) {
  std::vector<int64_t> ids;
  for (const auto& row : tx.exec("SELECT id FROM streams WHERE deleted_at IS NULL ORDER BY id")) {
    ids.push_back(row[0].as<int64_t>());
  }
  return ids;
}

std::vector<StreamFigures> ReadStreamFigures(Redis& redis, const std::vector<int64_t>& ids) {
  std::vector<StreamFigures> out(ids.size());
  if (ids.empty()) return out;
  static RedisScript script(kReadFigures);
  std::vector<std::string> keys;
  keys.reserve(ids.size() * 4);
  for (int64_t id : ids) {
    keys.push_back(StreamStateKey(id));
    keys.push_back(StreamListenersKey(id));
    keys.push_back(QueueIdsKey(id));
    keys.push_back(NowPlayingKey(id));
  }
  RedisReplyPtr r = script.Run(redis, keys, {});
  if (r->type == REDIS_REPLY_ERROR) {
    throw RedisError("redis: stream figures read failed: " + std::string(r->str, r->len));
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != ids.size()) {
    throw RedisError("redis: unexpected stream figures reply");
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const redisReply* e = r->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 4 ||
        e->element[1]->type != REDIS_REPLY_ARRAY || e->element[3]->type != REDIS_REPLY_ARRAY ||
        e->element[3]->elements != 3) {
      throw RedisError("redis: unexpected stream figures reply");
    }
    StreamFigures& f = out[i];
    f.id = ids[i];
    f.running = ReplyString(e->element[0]) == "running";
    const redisReply* l = e->element[1];
    for (size_t j = 0; j + 1 < l->elements; j += 2) {
      const std::string k = ReplyString(l->element[j]);
      const int64_t v = ToInt(ReplyString(l->element[j + 1]));
      if (k == "total") f.listeners = v;
      if (k == "live") f.listeners_live = v;
      if (k == "bridge") f.listeners_bridge = v;
    }
    f.queue_length = e->element[2]->integer;
    const redisReply* n = e->element[3];
    f.now_item = ReplyString(n->element[0]);
    f.position_ms = ToInt(ReplyString(n->element[1]));
    f.position_at_ms = ToInt(ReplyString(n->element[2]));
  }
  return out;
}

bool ParseStreamerPayload(const std::string& json, StreamerFigures* out) {
  Json::Value v;
  std::string error;
  if (!ParseJson(json, &v, &error) || !v.isObject() || !v["id"].isString()) return false;
  StreamerFigures f;
  f.id = v["id"].asString();
  if (v["host"].isString()) f.host = v["host"].asString();
  f.pid = IntOr0(v["pid"]);
  f.cpu_percent = OptionalNumber(v["cpu_percent"]);
  f.memory_percent = OptionalNumber(v["memory_percent"]);
  f.rss_bytes = IntOr0(v["rss_bytes"]);
  f.uptime_seconds = IntOr0(v["uptime_seconds"]);
  f.streams = IntOr0(v["streams"]);
  *out = std::move(f);
  return true;
}

std::vector<StreamerFigures> ReadStreamers(Redis& redis) {
  std::vector<StreamerFigures> out;
  RedisReplyPtr members = redis.Checked({"SMEMBERS", kStreamersKey});
  if (members->type != REDIS_REPLY_ARRAY || members->elements == 0) return out;
  std::vector<std::string> ids;
  std::vector<std::string> mget = {"MGET"};
  for (size_t i = 0; i < members->elements; ++i) {
    ids.push_back(ReplyString(members->element[i]));
    mget.push_back(StreamerKey(ids.back()));
  }
  RedisReplyPtr payloads = redis.Checked(mget);
  if (payloads->type != REDIS_REPLY_ARRAY || payloads->elements != ids.size()) {
    throw RedisError("redis: unexpected MGET reply for the streamers");
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    // A member without a key is a streamer that died; its heartbeat prunes it soon.
    if (payloads->element[i]->type != REDIS_REPLY_STRING) continue;
    StreamerFigures f;
    if (ParseStreamerPayload(ReplyString(payloads->element[i]), &f)) out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(),
            [](const StreamerFigures& a, const StreamerFigures& b) { return a.id < b.id; });
  return out;
}

StationStats AggregateStationStats(const std::vector<StreamFigures>& streams,
                                   std::vector<StreamerFigures> streamers) {
  StationStats s;
  for (const StreamFigures& f : streams) {
    if (f.running) {
      ++s.active_streams;
      s.total_listeners += f.listeners;
    }
    s.queue_items += f.queue_length;
  }
  s.cpu_percent = MeanOverHosts(streamers, &StreamerFigures::cpu_percent);
  s.memory_percent = MeanOverHosts(streamers, &StreamerFigures::memory_percent);
  for (const StreamerFigures& f : streamers) s.uptime_seconds = std::max(s.uptime_seconds, f.uptime_seconds);
  s.streamers = std::move(streamers);
  return s;
}

Json::Value StationStatsJson(const StationStats& stats) {
  Json::Value v(Json::objectValue);
  v["active_streams"] = JsonInt(stats.active_streams);
  v["total_listeners"] = JsonInt(stats.total_listeners);
  v["queue_items"] = JsonInt(stats.queue_items);
  v["cpu_percent"] = Percent(stats.cpu_percent);
  v["memory_percent"] = Percent(stats.memory_percent);
  v["uptime_seconds"] = JsonInt(stats.uptime_seconds);
  Json::Value list(Json::arrayValue);
  for (const StreamerFigures& f : stats.streamers) {
    Json::Value s(Json::objectValue);
    s["id"] = f.id;
    s["host"] = f.host;
    s["pid"] = JsonInt(f.pid);
    s["cpu_percent"] = Percent(f.cpu_percent);
    s["memory_percent"] = Percent(f.memory_percent);
    s["rss_bytes"] = JsonInt(f.rss_bytes);
    s["uptime_seconds"] = JsonInt(f.uptime_seconds);
    s["streams"] = JsonInt(f.streams);
    list.append(std::move(s));
  }
  v["streamers"] = std::move(list);
  return v;
}

int64_t ExtrapolatePositionMs(int64_t position_ms, int64_t position_at_ms, bool running,
                              int64_t duration_ms, bool looping, int64_t now_ms) {
  int64_t pos = std::max<int64_t>(0, position_ms);
  if (running && position_at_ms > 0 && now_ms > position_at_ms) pos += now_ms - position_at_ms;
  if (duration_ms > 0) pos = looping ? pos % duration_ms : std::min(pos, duration_ms);
  return pos;
}

}  // namespace sattva::common
