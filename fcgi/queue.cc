#include "fcgi/queue.h"

#include <cstdlib>

#include "common/events.h"
#include "common/json.h"
#include "common/redis_script.h"
#include "common/stream_keys.h"
#include "fcgi/http.h"

namespace sattva::fcgi {
namespace {

using common::kQueueLuaPrelude;

// ARGV 5: max length, 6: 'end' | 'next' | position, 7..: item JSON objects without an id.
constexpr const char* kAdd = R"lua(
local err = stale()
if err then return redis.error_reply(err) end
local n = #ARGV - 6
local len = redis.call('LLEN', KEYS[1])
if len + n > tonumber(ARGV[5]) then return redis.error_reply('FULL ' .. len) end
local pos
if ARGV[6] == 'end' then pos = len + 1 elseif ARGV[6] == 'next' then pos = 1
else pos = tonumber(ARGV[6]) end
if pos == nil or pos < 1 or pos > len + 1 then return redis.error_reply('BADPOS ' .. len) end
local pivot = false
if pos <= len then pivot = redis.call('LINDEX', KEYS[1], pos - 1) end
local out = {0, 0}
local added = {}
for i = 1, n do
  local id = tostring(redis.call('INCR', KEYS[5]))
  local item = '{"id":"' .. id .. '",' .. string.sub(ARGV[6 + i], 2)
  redis.call('HSET', KEYS[2], id, item)
  index_track(track_of(ARGV[6 + i]), 1)
  if pivot then redis.call('LINSERT', KEYS[1], 'BEFORE', pivot, id)
  else redis.call('RPUSH', KEYS[1], id) end
  out[i + 2] = id
  if i <= 20 then added[i] = with_position(item, pos + i - 1) end
end
local r = bump_and_emit('add', ',"at":' .. pos .. ',"count":' .. n .. ',"added":[' ..
                        table.concat(added, ',') .. ']')
out[1] = r[1]
out[2] = r[2]
return out
)lua";

// ARGV 5: item id, 6: required adder's user id ('' for anyone).
constexpr const char* kRemove = R"lua(
local err = stale()
if err then return redis.error_reply(err) end
local item = redis.call('HGET', KEYS[2], ARGV[5])
if not item then return redis.error_reply('NOITEM no such item') end
if ARGV[6] ~= '' then
  local ok, obj = pcall(cjson.decode, item)
  if not ok or type(obj.added_by) ~= 'table' or obj.added_by.id ~= tonumber(ARGV[6]) then
    return redis.error_reply('NOTOWNER not the adder')
  end
end
redis.call('LREM', KEYS[1], 1, ARGV[5])
redis.call('HDEL', KEYS[2], ARGV[5])
index_track(track_of(item), -1)
return bump_and_emit('remove', ',"item_id":"' .. ARGV[5] .. '"')
)lua";

// ARGV 5: item id, 6: target position.
constexpr const char* kMove = R"lua(
local err = stale()
if err then return redis.error_reply(err) end
if redis.call('HEXISTS', KEYS[2], ARGV[5]) == 0 then return redis.error_reply('NOITEM no such item') end
local len = redis.call('LLEN', KEYS[1])
local to = tonumber(ARGV[6])
if to == nil or to < 1 or to > len then return redis.error_reply('BADPOS ' .. len) end
local from = redis.call('LPOS', KEYS[1], ARGV[5])
if from == to - 1 then return {cur_version(), len} end
redis.call('LREM', KEYS[1], 1, ARGV[5])
if to - 1 >= len - 1 then
  redis.call('RPUSH', KEYS[1], ARGV[5])
else
  redis.call('LINSERT', KEYS[1], 'BEFORE', redis.call('LINDEX', KEYS[1], to - 1), ARGV[5])
end
return bump_and_emit('move', ',"item_id":"' .. ARGV[5] .. '","to":' .. to)
)lua";

// ARGV 5: seed. Fisher-Yates with a Park-Miller generator: Redis scripts get no usable entropy.
constexpr const char* kShuffle = R"lua(
local err = stale()
if err then return redis.error_reply(err) end
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local n = #ids
if n > 1 then
  local x = tonumber(ARGV[5]) % 2147483647
  if x == 0 then x = 1 end
  for i = n, 2, -1 do
    x = (x * 48271) % 2147483647
    local j = (x % i) + 1
    ids[i], ids[j] = ids[j], ids[i]
  end
  redis.call('DEL', KEYS[1])
  for k = 1, n, 1000 do redis.call('RPUSH', KEYS[1], unpack(ids, k, math.min(k + 999, n))) end
end
return bump_and_emit('shuffle', '')
)lua";

// Counts the items per track first, so the index gets one HINCRBY per track.
constexpr const char* kClear = R"lua(
local err = stale()
if err then return redis.error_reply(err) end
local counts = {}
for _, item in ipairs(redis.call('HVALS', KEYS[2])) do
  local t = track_of(item)
  if t then counts[t] = (counts[t] or 0) + 1 end
end
for t, n in pairs(counts) do index_track(t, -n) end
redis.call('DEL', KEYS[1], KEYS[2])
return bump_and_emit('clear', '')
)lua";

// A deleted stream: its fields leave the track index, then every key goes. KEYS: 1 ids,
// 2 items, 3 meta, 4 now playing. ARGV: 1 stream id.
constexpr const char* kPurge = R"lua(
local seen = {}
for _, item in ipairs(redis.call('HVALS', KEYS[2])) do
  local t = track_of(item)
  if t and not seen[t] then
    seen[t] = true
    redis.call('HDEL', 'sattva:track:{' .. t .. '}:queued', ARGV[1])
  end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return 1
)lua";

// KEYS: 1 ids, 2 items, 3 meta, 4 now playing. ARGV: 1 how many items (-1: all), 2 "rows" to
// get each item as decoded fields instead of its JSON text. One consistent read: {version,
// items, now playing, queue length}. As rows, an item is {id, title, artist, duration_ms,
// added_by id, added_by name} (numbers as decimal text, "" when absent): Redis decodes the JSON
// in C (cjson), far cheaper than parsing it again in every page render.
constexpr const char* kSnapshot = R"lua(
local ver = tonumber(redis.call('HGET', KEYS[3], 'version') or '0')
local max = tonumber(ARGV[1])
local rows = ARGV[2] == 'rows'
local ids = redis.call('LRANGE', KEYS[1], 0, max < 0 and -1 or max - 1)
local function text(v)
  if type(v) == 'string' then return v end
  if type(v) == 'number' then return string.format('%d', v) end
  return ''
end
local out = {}
for k = 1, #ids, 1000 do
  local chunk = redis.call('HMGET', KEYS[2], unpack(ids, k, math.min(k + 999, #ids)))
  for i = 1, #chunk do
    if chunk[i] then
      if rows then
        local ok, it = pcall(cjson.decode, chunk[i])
        if ok and type(it) == 'table' then
          local t = type(it.track) == 'table' and it.track or {}
          local by = type(it.added_by) == 'table' and it.added_by or {}
          out[#out + 1] = {text(it.id), text(t.title), text(t.artist), text(t.duration_ms),
                           text(by.id), text(by.name)}
        end
      else
        out[#out + 1] = '{"position":' .. (#out + 1) .. ',' .. string.sub(chunk[i], 2)
      end
    end
  end
end
return {ver, out, redis.call('HGETALL', KEYS[4]), redis.call('LLEN', KEYS[1])}
)lua";

std::string VersionArg(std::optional<int64_t> v) { return v ? std::to_string(*v) : ""; }

[[noreturn]] void ThrowScriptError(std::string msg) {
  // Redis prefixes "ERR " to an error without a code of its own.
  if (msg.rfind("ERR ", 0) == 0) msg = msg.substr(4);
  if (msg.rfind("STALE", 0) == 0) {
    throw HttpError(409, "stale_version",
                    "the queue changed (now version " + msg.substr(6) + "); reload and retry");
  }
  if (msg.rfind("FULL", 0) == 0) {
    throw HttpError(422, "queue_full", "the queue is full (" + msg.substr(5) + " items)");
  }
  if (msg.rfind("BADPOS", 0) == 0) {
    throw HttpError(422, "validation_failed",
                    "position out of range: the queue has " + msg.substr(7) + " items");
  }
  if (msg.rfind("NOITEM", 0) == 0) throw HttpError(404, "not_found", "no such queue item");
  if (msg.rfind("NOTOWNER", 0) == 0) {
    throw HttpError(403, "forbidden", "you may only remove items you added");
  }
  throw common::RedisError("redis: queue script failed: " + msg);
}

QueueChange ChangeOf(const common::RedisReplyPtr& r) {
  if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
      r->element[0]->type == REDIS_REPLY_INTEGER && r->element[1]->type == REDIS_REPLY_INTEGER) {
    return {r->element[0]->integer, r->element[1]->integer};
  }
  throw common::RedisError("redis: unexpected queue script reply");
}

}  // namespace


QueueStore::QueueStore(common::Redis& redis, int64_t event_maxlen)
    : redis_(redis), event_maxlen_(event_maxlen) {}

common::RedisReplyPtr QueueStore::Run(const std::string& which, int64_t sid,
                                      const std::vector<std::string>& args) {
  static common::RedisScript add(std::string(kQueueLuaPrelude) + kAdd);
  static common::RedisScript remove(std::string(kQueueLuaPrelude) + kRemove);
  static common::RedisScript move(std::string(kQueueLuaPrelude) + kMove);
  static common::RedisScript shuffle(std::string(kQueueLuaPrelude) + kShuffle);
  static common::RedisScript clear(std::string(kQueueLuaPrelude) + kClear);
  static common::RedisScript snapshot(kSnapshot);
  common::RedisScript& script = which == "add"       ? add
                                : which == "remove"  ? remove
                                : which == "move"    ? move
                                : which == "shuffle" ? shuffle
                                : which == "clear"   ? clear
                                                     : snapshot;
  const bool is_snapshot = &script == &snapshot;
  std::vector<std::string> keys =
      is_snapshot ? std::vector<std::string>{QueueIdsKey(sid), QueueItemsKey(sid),
                                             QueueMetaKey(sid), NowPlayingKey(sid)}
                  : std::vector<std::string>{QueueIdsKey(sid), QueueItemsKey(sid),
                                             QueueMetaKey(sid), common::kEventsKey,
                                             common::kQueueSeqKey};
  std::vector<std::string> argv;
  if (!is_snapshot) argv.push_back(std::to_string(sid));
  argv.insert(argv.end(), args.begin(), args.end());
  common::RedisReplyPtr r = script.Run(redis_, keys, argv);
  if (r->type == REDIS_REPLY_ERROR) ThrowScriptError(std::string(r->str, r->len));
  return r;
}

QueueSnapshot QueueStore::Snapshot(int64_t sid, int64_t max_items, bool as_rows) {
  common::RedisReplyPtr r = Run("snapshot", sid,
                                {std::to_string(max_items < 0 ? -1 : max_items),
                                 as_rows ? "rows" : "text"});
  QueueSnapshot s;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
    throw common::RedisError("redis: unexpected queue snapshot");
  }
  s.version = r->element[0]->integer;
  s.length = r->element[3]->integer;
  const redisReply* items = r->element[1];
  if (as_rows) {
    s.rows.reserve(items->elements);
    for (size_t i = 0; i < items->elements; ++i) {
      const redisReply* f = items->element[i];
      if (f->type != REDIS_REPLY_ARRAY || f->elements != 6) continue;
      QueueRow row;
      row.id = common::ReplyString(f->element[0]);
      row.title = common::ReplyString(f->element[1]);
      row.artist = common::ReplyString(f->element[2]);
      const std::string duration = common::ReplyString(f->element[3]);
      if (!duration.empty()) row.duration_ms = std::atoll(duration.c_str());
      const std::string by = common::ReplyString(f->element[4]);
      if (!by.empty()) row.added_by = std::atoll(by.c_str());
      row.added_by_name = common::ReplyString(f->element[5]);
      s.rows.push_back(std::move(row));
    }
  } else {
    s.items.reserve(items->elements);
    for (size_t i = 0; i < items->elements; ++i) {
      s.items.push_back(common::ReplyString(items->element[i]));
    }
  }
  const redisReply* now = r->element[2];
  if (now->elements >= 2) {
    Json::Value np(Json::objectValue);
    for (size_t i = 0; i + 1 < now->elements; i += 2) {
      const std::string k = common::ReplyString(now->element[i]);
      const std::string v = common::ReplyString(now->element[i + 1]);
      if (k == "item") {
        Json::Value item;
        std::string err;
        if (common::ParseJson(v, &item, &err) && item.isObject()) {
          for (const auto& name : item.getMemberNames()) np[name] = item[name];
        }
      } else if (k == "position_ms") {
        np["position_ms"] = static_cast<Json::Int64>(std::atoll(v.c_str()));
      } else if (k == "started_at") {
        np["started_at"] = v;
      }
    }
    s.now_playing = np;
  }
  return s;
}

std::string QueueSnapshot::ToJsonText(int64_t stream_id) const {
  std::string out = "{\"stream_id\":" + std::to_string(stream_id) +
                    ",\"version\":" + std::to_string(version) +
                    ",\"now_playing\":" + common::WriteJson(now_playing) + ",\"items\":[";
  size_t total = out.size() + 3;
  for (const auto& it : items) total += it.size() + 1;
  out.reserve(total);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  out += "]}\n";
  return out;
}

int64_t QueueStore::Length(int64_t sid) {
  return redis_.Checked({"LLEN", QueueIdsKey(sid)})->integer;
}

QueueChange QueueStore::Add(int64_t sid, const std::vector<NewQueueItem>& items,
                            const std::string& at, std::optional<int64_t> if_version,
                            int64_t max_length, const std::string& ts,
                            std::vector<std::string>* ids) {
  std::vector<std::string> args = {ts, std::to_string(event_maxlen_), VersionArg(if_version),
                                   std::to_string(max_length), at};
  for (const auto& it : items) {
    Json::Value v(Json::objectValue);
    v["track"]["id"] = common::JsonInt(it.track_id);
    v["track"]["title"] = it.title;
    v["track"]["artist"] = it.artist;
    v["track"]["duration_ms"] =
        it.duration_ms ? common::JsonInt(*it.duration_ms) : Json::Value(Json::nullValue);
    v["added_by"]["id"] = common::JsonInt(it.added_by);
    v["added_by"]["name"] = it.added_by_name;
    v["added_at"] = it.added_at;
    args.push_back(common::WriteJson(v));
  }
  common::RedisReplyPtr r = Run("add", sid, args);
  QueueChange c = ChangeOf(r);
  if (ids != nullptr) {
    for (size_t i = 2; i < r->elements; ++i) ids->push_back(common::ReplyString(r->element[i]));
  }
  return c;
}

QueueChange QueueStore::Remove(int64_t sid, const std::string& item_id,
                           std::optional<int64_t> if_version,
                           std::optional<int64_t> only_added_by, const std::string& ts) {
  return ChangeOf(Run("remove", sid,
                       {ts, std::to_string(event_maxlen_), VersionArg(if_version), item_id,
                        only_added_by ? std::to_string(*only_added_by) : ""}));
}

QueueChange QueueStore::Move(int64_t sid, const std::string& item_id, int64_t to,
                         std::optional<int64_t> if_version, const std::string& ts) {
  return ChangeOf(Run("move", sid,
                       {ts, std::to_string(event_maxlen_), VersionArg(if_version), item_id,
                        std::to_string(to)}));
}

QueueChange QueueStore::Shuffle(int64_t sid, std::optional<int64_t> if_version, uint32_t seed,
                            const std::string& ts) {
  return ChangeOf(Run("shuffle", sid,
                       {ts, std::to_string(event_maxlen_), VersionArg(if_version),
                        std::to_string(seed)}));
}

QueueChange QueueStore::Clear(int64_t sid, std::optional<int64_t> if_version, const std::string& ts) {
  return ChangeOf(
      Run("clear", sid, {ts, std::to_string(event_maxlen_), VersionArg(if_version)}));
}

void QueueStore::Purge(int64_t sid) {
  static common::RedisScript purge(std::string(kQueueLuaPrelude) + kPurge);
  common::RedisReplyPtr r = purge.Run(
      redis_, {QueueIdsKey(sid), QueueItemsKey(sid), QueueMetaKey(sid), NowPlayingKey(sid)},
      {std::to_string(sid)});
  if (r->type == REDIS_REPLY_ERROR) {
    throw common::RedisError("redis: queue purge failed: " + std::string(r->str, r->len));
  }
}

}  // namespace sattva::fcgi
