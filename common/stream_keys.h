#pragma once
// The Redis keys of a stream's live state, shared by fcgi (which edits queues and reads state)
// and the streamer (which plays them). The {sid} hash tag keeps one stream's keys in one
// Redis Cluster slot.
//
//   sattva:queue:{sid}:ids        LIST of queue item ids, in play order
//   sattva:queue:{sid}:items      HASH item id -> item JSON (a snapshot of the track and adder)
//   sattva:queue:{sid}:meta       HASH version
//   sattva:stream:{sid}:now       HASH item (JSON), started_at, position_ms, position_at
//   sattva:stream:{sid}:state     STRING running | stopped (what a streamer reports)
//   sattva:stream:{sid}:listeners HASH total, live, bridge
//   sattva:stream:{sid}:lease     STRING the owning streamer's id, with a TTL
//   sattva:stream:{sid}:skips     counter bumped by every skip request
//   sattva:stream:{sid}:auto_end  HASH deadline_ms, zero_since_ms (the auto-end countdown)
//   sattva:queue:seq              the counter item ids come from (unique across streams)
//   sattva:track:{tid}:queued     HASH stream id -> how many of that stream's queue items hold
//                                 the track (kept by the queue scripts and the streamer's pop;
//                                 a field is removed at 0, so HLEN is "queued in N streams").
//                                 Add, remove, clear, pop and purge keep it; move and shuffle
//                                 change nothing. The scripts name these keys themselves (the
//                                 track ids are inside the items), so they assume one Redis,
//                                 not a cluster: a clustered deployment must move the index.

#include <cstdint>
#include <string>

namespace sattva::common {

inline std::string StreamTag(int64_t sid) { return "{" + std::to_string(sid) + "}"; }
inline std::string QueueIdsKey(int64_t sid) { return "sattva:queue:" + StreamTag(sid) + ":ids"; }
inline std::string QueueItemsKey(int64_t sid) {
  return "sattva:queue:" + StreamTag(sid) + ":items";
}
inline std::string QueueMetaKey(int64_t sid) { return "sattva:queue:" + StreamTag(sid) + ":meta"; }
inline std::string NowPlayingKey(int64_t sid) { return "sattva:stream:" + StreamTag(sid) + ":now"; }
inline std::string StreamStateKey(int64_t sid) {
  return "sattva:stream:" + StreamTag(sid) + ":state";
}
inline std::string StreamListenersKey(int64_t sid) {
  return "sattva:stream:" + StreamTag(sid) + ":listeners";
}
inline std::string StreamLeaseKey(int64_t sid) {
  return "sattva:stream:" + StreamTag(sid) + ":lease";
}
inline std::string StreamSkipsKey(int64_t sid) {
  return "sattva:stream:" + StreamTag(sid) + ":skips";
}
inline std::string AutoEndKey(int64_t sid) {
  return "sattva:stream:" + StreamTag(sid) + ":auto_end";
}
inline std::string TrackQueuedKey(int64_t track_id) {
  return "sattva:track:{" + std::to_string(track_id) + "}:queued";
}
inline constexpr const char* kQueueSeqKey = "sattva:queue:seq";
// How many items from the front of a queue queue_update events and wsd's snapshot carry as
// "head" (the Lua prelude below says 0, 2 for LRANGE: keep the two in step).
inline constexpr int kQueueHeadItems = 3;
// Start, stop, skip and stream edits are PUBLISHed here as {stream_id, action, actor, ts}.
inline constexpr const char* kControlChannel = "sattva:control";

// Shared by every script that changes a queue. KEYS: 1 ids, 2 items, 3 meta, 4 sattva:events,
// 5 the item id counter. ARGV: 1 stream id, 2 ts, 3 event maxlen, 4 expected version ('' for
// any), then the script's own arguments. bump_and_emit bumps the version and writes the one
// queue_update event of the change: op, version, length, head (the first kQueueHeadItems items
// with their position, always), and items (all of them) while length <= 20.
inline constexpr const char* kQueueLuaPrelude = R"lua(
local function cur_version() return tonumber(redis.call('HGET', KEYS[3], 'version') or '0') end
local function stale()
  if ARGV[4] ~= '' and tonumber(ARGV[4]) ~= cur_version() then
    return 'STALE ' .. cur_version()
  end
  return nil
end
-- The track -> streams index (TrackQueuedKey): `delta` items of this stream now hold the
-- track of `item` (JSON) more (or fewer); the field goes at 0.
local function track_of(item)
  local ok, obj = pcall(cjson.decode, item)
  if ok and type(obj) == 'table' and type(obj.track) == 'table' and
     type(obj.track.id) == 'number' then
    return string.format('%d', obj.track.id)
  end
  return nil
end
local function index_track(tid, delta)
  if not tid then return end
  local key = 'sattva:track:{' .. tid .. '}:queued'
  if redis.call('HINCRBY', key, ARGV[1], delta) <= 0 then redis.call('HDEL', key, ARGV[1]) end
end
local function with_position(json, pos)
  return '{"position":' .. pos .. ',' .. string.sub(json, 2)
end
local function bump_and_emit(op, extra)
  local ver = redis.call('HINCRBY', KEYS[3], 'version', 1)
  local len = redis.call('LLEN', KEYS[1])
  local data = '{"op":"' .. op .. '","version":' .. ver .. ',"length":' .. len .. extra
  local head = {}
  if len > 0 then
    local hids = redis.call('LRANGE', KEYS[1], 0, 2)
    local hitems = redis.call('HMGET', KEYS[2], unpack(hids))
    for i = 1, #hids do
      if hitems[i] then head[#head + 1] = with_position(hitems[i], i) end
    end
  end
  data = data .. ',"head":[' .. table.concat(head, ',') .. ']'
  if len <= 20 then
    local parts = {}
    if len > 0 then
      local ids = redis.call('LRANGE', KEYS[1], 0, -1)
      local items = redis.call('HMGET', KEYS[2], unpack(ids))
      for i = 1, #ids do
        if items[i] then parts[#parts + 1] = with_position(items[i], i) end
      end
    end
    data = data .. ',"items":[' .. table.concat(parts, ',') .. ']}'
  else
    data = data .. ',"truncated":true}'
  end
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'type', 'queue_update',
             'stream_id', ARGV[1], 'ts', ARGV[2], 'data', data)
  return {ver, len}
end
)lua";

}  // namespace sattva::common
