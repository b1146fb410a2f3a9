#include "wsd/snapshot.h"

#include <cstdlib>

#include "common/events.h"
#include "common/json.h"
#include "common/redis_script.h"
#include "common/station_stats.h"
#include "common/stream_keys.h"
#include "wsd/redact.h"

namespace sattva::wsd {
namespace {

constexpr int kKeysPerStream = 7;

// KEYS: per stream 7 keys: state, listeners, auto_end, queue ids, queue items, queue meta, now
// playing; then sattva:events last. Returns {newest event id or '', {per stream: state,
// {listeners hash}, zero_since_ms or '', queue length, version, {head items with position},
// {now playing hash}}}. Read-only, so every part is of one moment.
constexpr const char* kSnapshotScript = R"lua(
local n = (#KEYS - 1) / 7
local newest = redis.call('XREVRANGE', KEYS[#KEYS], '+', '-', 'COUNT', 1)
local out = {}
for i = 0, n - 1 do
  local k = i * 7
  local head = {}
  local ids = redis.call('LRANGE', KEYS[k + 4], 0, 2)
  if #ids > 0 then
    local items = redis.call('HMGET', KEYS[k + 5], unpack(ids))
    for j = 1, #ids do
      if items[j] then
        head[#head + 1] = '{"position":' .. j .. ',' .. string.sub(items[j], 2)
      end
    end
  end
  out[i + 1] = {
    redis.call('GET', KEYS[k + 1]) or '',
    redis.call('HGETALL', KEYS[k + 2]),
    redis.call('HGET', KEYS[k + 3], 'zero_since_ms') or '',
    redis.call('LLEN', KEYS[k + 4]),
    redis.call('HGET', KEYS[k + 6], 'version') or '0',
    head,
    redis.call('HGETALL', KEYS[k + 7]),
  }
end
local id = ''
if #newest > 0 then id = newest[1][1] end
return {id, out}
)lua";

int64_t ToInt(const std::string& s) { return s.empty() ? 0 : std::atoll(s.c_str()); }

[[noreturn]] void BadReply() { throw common::RedisError("redis: unexpected snapshot reply"); }

const redisReply* Array(const redisReply* r, size_t min_elements) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < min_elements) BadReply();
  return r;
}

Json::Value IntOrNull(const Json::Value& v) {
  return v.isIntegral() ? common::JsonInt(v.asInt64()) : Json::Value(Json::nullValue);
}

Json::Value NowPlayingJson(const SnapshotLive& live, int64_t now_ms,
                           const std::string& server_time) {
  if (live.now_item.empty()) return Json::Value(Json::nullValue);
  Json::Value item;
  std::string error;
  if (!common::ParseJson(live.now_item, &item, &error) || !item.isObject()) {
    return Json::Value(Json::nullValue);
  }
  const Json::Value& t = item["track"];
  const bool placeholder = (item["placeholder"].isBool() && item["placeholder"].asBool()) ||
                           (t.isObject() && t["placeholder"].isBool() && t["placeholder"].asBool());
  Json::Value np(Json::objectValue);
  np["item_id"] = item["id"].isString() ? item["id"] : Json::Value(Json::nullValue);
  int64_t duration_ms = 0;
  if (t.isObject()) {
    Json::Value track(Json::objectValue);
    track["id"] = IntOrNull(t["id"]);
    track["title"] = t["title"].isString() ? t["title"] : Json::Value("");
    track["artist"] = t["artist"].isString() ? t["artist"] : Json::Value("");
    track["duration_ms"] = IntOrNull(t["duration_ms"]);
    track["placeholder"] = placeholder;
    if (t["duration_ms"].isIntegral()) duration_ms = t["duration_ms"].asInt64();
    np["track"] = std::move(track);
  } else {
    np["track"] = Json::Value(Json::nullValue);
  }
  np["started_at"] = live.now_started_at.empty() ? Json::Value(Json::nullValue)
                                                 : Json::Value(live.now_started_at);
  // Where playback is at server_time: a running stream has moved on since the streamer wrote
  // the position (every 500 ms), so the position is extrapolated to the snapshot's moment.
  np["position_ms"] = common::JsonInt(common::ExtrapolatePositionMs(
      live.now_position_ms, live.now_position_at_ms, live.running, duration_ms, placeholder,
      now_ms));
  np["position_at"] = server_time;
  return np;
}

Json::Value AutoEndJson(const SnapshotRecord& r, const SnapshotLive& live, int64_t now_ms) {
  Json::Value ae(Json::objectValue);
  ae["enabled"] = r.auto_end_enabled;
  ae["timeout_s"] = common::JsonInt(r.auto_end_timeout_s);
  ae["deadline"] = Json::Value(Json::nullValue);
  ae["seconds_remaining"] = Json::Value(Json::nullValue);
  // Armed only while nobody listens, as GET /api/v1/streams/{id} shows it: the streamer writes
  // a new count a tick before it clears the countdown. The deadline follows the current timeout.
  if (live.auto_end_zero_since_ms > 0 && r.auto_end_enabled && r.desired_state == "running" &&
      live.listeners == 0) {
    const int64_t deadline = live.auto_end_zero_since_ms + r.auto_end_timeout_s * 1000;
    ae["deadline"] =
        common::IsoUtcMillis(common::Clock::WallTime(std::chrono::milliseconds(deadline)));
    ae["seconds_remaining"] =
        common::JsonInt(deadline <= now_ms ? 0 : (deadline - now_ms + 999) / 1000);
  }
  return ae;
}

}  // namespace

Json::Value BuildSnapshotJson(const std::vector<SnapshotRecord>& records, const SnapshotRead& read,
                              common::Clock::WallTime now, const Json::Value& stats) {
  const int64_t now_ms = common::UnixMillis(now);
  const std::string server_time = common::IsoUtcMillis(now);
  Json::Value v(Json::objectValue);
  v["type"] = "snapshot";
  v["last_event_id"] = read.last_event_id ? Json::Value(read.last_event_id->ToString())
                                          : Json::Value(Json::nullValue);
  v["server_time"] = server_time;
  Json::Value streams(Json::arrayValue);
  for (size_t i = 0; i < records.size() && i < read.live.size(); ++i) {
    const SnapshotRecord& r = records[i];
    const SnapshotLive& live = read.live[i];
    Json::Value s(Json::objectValue);
    s["id"] = common::JsonInt(r.id);
    s["slug"] = r.slug;
    s["title"] = r.title;
    s["public"] = r.is_public;
    s["state"] = live.running ? "running" : "stopped";
    s["now_playing"] = NowPlayingJson(live, now_ms, server_time);
    s["listeners"]["total"] = common::JsonInt(live.listeners);
    s["listeners"]["live"] = common::JsonInt(live.listeners_live);
    s["listeners"]["bridge"] = common::JsonInt(live.listeners_bridge);
    Json::Value queue(Json::objectValue);
    queue["version"] = common::JsonInt(live.queue_version);
    queue["length"] = common::JsonInt(live.queue_length);
    queue["head"] = Json::Value(Json::arrayValue);
    for (const std::string& text : live.head) {
      Json::Value item;
      std::string error;
      if (common::ParseJson(text, &item, &error) && item.isObject()) queue["head"].append(item);
    }
    s["queue"] = std::move(queue);
    s["auto_end"] = AutoEndJson(r, live, now_ms);
    streams.append(std::move(s));
  }
  v["streams"] = std::move(streams);
  v["stats"] = stats;
  return v;
}

SnapshotRead ParseSnapshotReply(const redisReply* reply, size_t streams) {
  if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
    throw common::RedisError("redis: snapshot read failed: " + std::string(reply->str, reply->len));
  }
  Array(reply, 2);
  SnapshotRead out;
  const std::string newest = common::ReplyString(reply->element[0]);
  if (!newest.empty()) {
    out.last_event_id = StreamId::Parse(newest);
    if (!out.last_event_id) BadReply();
  }
  // An empty Lua table comes back as an empty array.
  const redisReply* per = Array(reply->element[1], 0);
  if (per->elements != streams) BadReply();
  out.live.resize(streams);
  for (size_t i = 0; i < streams; ++i) {
    const redisReply* e = Array(per->element[i], 7);
    SnapshotLive& live = out.live[i];
    live.running = common::ReplyString(e->element[0]) == "running";
    const redisReply* l = Array(e->element[1], 0);
    for (size_t j = 0; j + 1 < l->elements; j += 2) {
      const std::string k = common::ReplyString(l->element[j]);
      const int64_t v = ToInt(common::ReplyString(l->element[j + 1]));
      if (k == "total") live.listeners = v;
      if (k == "live") live.listeners_live = v;
      if (k == "bridge") live.listeners_bridge = v;
    }
    live.auto_end_zero_since_ms = ToInt(common::ReplyString(e->element[2]));
    if (e->element[3]->type != REDIS_REPLY_INTEGER) BadReply();
    live.queue_length = e->element[3]->integer;
    live.queue_version = ToInt(common::ReplyString(e->element[4]));
    const redisReply* head = Array(e->element[5], 0);
    for (size_t j = 0; j < head->elements; ++j) {
      live.head.push_back(common::ReplyString(head->element[j]));
    }
    const redisReply* now = Array(e->element[6], 0);
    for (size_t j = 0; j + 1 < now->elements; j += 2) {
      const std::string k = common::ReplyString(now->element[j]);
      std::string v = common::ReplyString(now->element[j + 1]);
      if (k == "item") live.now_item = std::move(v);
      if (k == "started_at") live.now_started_at = std::move(v);
      if (k == "position_ms") live.now_position_ms = ToInt(v);
      if (k == "position_at") live.now_position_at_ms = ToInt(v);
    }
  }
  return out;
}

PgRedisSnapshotSource::PgRedisSnapshotSource(std::unique_ptr<common::Pg> pg,
                                             const common::RedisOptions& redis)
    : pg_(std::move(pg)), redis_(redis) {}

std::vector<SnapshotRecord> PgRedisSnapshotSource::Records() {
  std::vector<SnapshotRecord> out;
  pg_->Run([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    pqxx::result r = tx.exec(
        "SELECT id, slug, title, public, auto_end_enabled, auto_end_timeout_s, desired_state "
        "FROM streams WHERE deleted_at IS NULL ORDER BY id");
    out.reserve(r.size());
    for (const auto& row : r) {
      SnapshotRecord s;
      s.id = row[0].as<int64_t>();
      s.slug = row[1].as<std::string>();
      s.title = row[2].as<std::string>();
      s.is_public = row[3].as<bool>();
      s.auto_end_enabled = row[4].as<bool>();
      s.auto_end_timeout_s = row[5].as<int64_t>();
      s.desired_state = row[6].as<std::string>();
      out.push_back(std::move(s));
    }
  });
  return out;
}

SnapshotRead PgRedisSnapshotSource::ReadLive(const std::vector<SnapshotRecord>& records) {
  static common::RedisScript script(kSnapshotScript);
  std::vector<std::string> keys;
  keys.reserve(records.size() * kKeysPerStream + 1);
  for (const SnapshotRecord& r : records) {
    keys.push_back(common::StreamStateKey(r.id));
    keys.push_back(common::StreamListenersKey(r.id));
    keys.push_back(common::AutoEndKey(r.id));
    keys.push_back(common::QueueIdsKey(r.id));
    keys.push_back(common::QueueItemsKey(r.id));
    keys.push_back(common::QueueMetaKey(r.id));
    keys.push_back(common::NowPlayingKey(r.id));
  }
  keys.push_back(common::kEventsKey);
  common::RedisReplyPtr reply = script.Run(redis_, keys, {});
  return ParseSnapshotReply(reply.get(), records.size());
}

SnapshotCache::SnapshotCache(SnapshotSource& source, const common::Clock& clock,
                             std::function<Json::Value()> stats,
                             std::chrono::milliseconds max_age)
    : source_(source), clock_(clock), stats_(std::move(stats)), max_age_(max_age) {}

SnapshotPtr SnapshotCache::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  const common::Clock::MonoTime now = clock_.Now();
  if (cached_ && now - built_at_ <= max_age_) return cached_;
  const std::vector<SnapshotRecord> records = source_.Records();
  const SnapshotRead read = source_.ReadLive(records);
  Json::Value v =
      BuildSnapshotJson(records, read, clock_.WallNow(), stats_ ? stats_() : Json::Value());
  auto snap = std::make_shared<Snapshot>();
  snap->last_event_id = read.last_event_id;
  snap->full = std::make_shared<const std::string>(common::WriteJson(v));
  if (Redact(&v)) snap->redacted = std::make_shared<const std::string>(common::WriteJson(v));
  cached_ = std::move(snap);
  built_at_ = now;
  ++builds_;
  return cached_;
}

uint64_t SnapshotCache::builds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return builds_;
}

}  // namespace sattva::wsd
