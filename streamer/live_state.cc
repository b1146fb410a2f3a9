#include "streamer/live_state.h"

#include <cstdlib>

#include "common/events.h"
#include "common/redis_script.h"
#include "common/stream_keys.h"

namespace sattva::streamer {
namespace {

// KEYS: 1 lease, 2 state, 3 listeners. ARGV: 1 owner, 2 ttl ms. A lease that lapsed while
// Redis stalled and that nobody else claimed is taken back, so a slow fsync does not cut the
// listeners off; one another streamer holds is not.
constexpr const char* kRenew = R"lua(
local cur = redis.call('GET', KEYS[1])
if cur == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SET', KEYS[2], 'running', 'PX', ARGV[2])
  return 1
end
if cur ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 1
)lua";

// KEYS: 1 lease, 2 state, 3 listeners. ARGV: 1 owner.
constexpr const char* kRelease = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
)lua";

// The queue prelude's KEYS 1..5 plus 6 now playing. ARGV: 1 stream id, 2 ts, 3 event maxlen,
// 4 '' (no version check), 5 wall ms. The item leaves the track index (common/stream_keys.h):
// it is playing now, no longer queued.
constexpr const char* kPop = R"lua(
local id = redis.call('LPOP', KEYS[1])
if not id then return false end
local item = redis.call('HGET', KEYS[2], id)
redis.call('HDEL', KEYS[2], id)
if item then index_track(track_of(item), -1) end
redis.call('DEL', KEYS[6])
if item then
  redis.call('HSET', KEYS[6], 'item', item, 'started_at', ARGV[2], 'position_ms', '0',
             'position_at', ARGV[5])
end
bump_and_emit('pop', ',"item_id":"' .. id .. '"')
return {id, item or ''}
)lua";

// KEYS: 1 ids, 2 items.
constexpr const char* kHead = R"lua(
local id = redis.call('LINDEX', KEYS[1], 0)
if not id then return false end
return {id, redis.call('HGET', KEYS[2], id) or ''}
)lua";

common::RedisScript& RenewScript() {
  static common::RedisScript s(kRenew);
  return s;
}
common::RedisScript& ReleaseScript() {
  static common::RedisScript s(kRelease);
  return s;
}
common::RedisScript& PopScript() {
  static common::RedisScript s(std::string(common::kQueueLuaPrelude) + kPop);
  return s;
}
common::RedisScript& HeadScript() {
  static common::RedisScript s(kHead);
  return s;
}

void ThrowIfError(const common::RedisReplyPtr& r) {
  if (r->type == REDIS_REPLY_ERROR) {
    throw common::RedisError("redis: script failed: " + std::string(r->str, r->len));
  }
}

std::optional<PoppedItem> ItemOf(const common::RedisReplyPtr& r) {
  ThrowIfError(r);
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) return std::nullopt;
  PoppedItem p;
  p.id = common::ReplyString(r->element[0]);
  p.json = common::ReplyString(r->element[1]);
  return p;
}

}  // namespace

LiveState::LiveState(common::Redis& redis, int64_t stream_id, std::string owner,
                     int64_t lease_ttl_ms, int64_t events_maxlen)
    : redis_(redis),
      sid_(stream_id),
      owner_(std::move(owner)),
      ttl_ms_(lease_ttl_ms),
      events_maxlen_(events_maxlen) {}

bool LiveState::Acquire() {
  common::RedisReplyPtr r = redis_.Checked(
      {"SET", common::StreamLeaseKey(sid_), owner_, "NX", "PX", std::to_string(ttl_ms_)});
  if (r->type == REDIS_REPLY_STATUS) return true;
  // Ours already (a reconcile racing a renewal): still ours.
  return common::ReplyString(redis_.Checked({"GET", common::StreamLeaseKey(sid_)}).get()) ==
         owner_;
}

bool LiveState::Renew() {
  common::RedisReplyPtr r = RenewScript().Run(
      redis_,
      {common::StreamLeaseKey(sid_), common::StreamStateKey(sid_),
       common::StreamListenersKey(sid_)},
      {owner_, std::to_string(ttl_ms_)});
  ThrowIfError(r);
  return r->type == REDIS_REPLY_INTEGER && r->integer == 1;
}

void LiveState::Release() {
  ThrowIfError(ReleaseScript().Run(redis_,
                                   {common::StreamLeaseKey(sid_), common::StreamStateKey(sid_),
                                    common::StreamListenersKey(sid_)},
                                   {owner_}));
}

std::optional<PoppedItem> LiveState::Pop(const std::string& ts, int64_t wall_ms) {
  return ItemOf(PopScript().Run(
      redis_,
      {common::QueueIdsKey(sid_), common::QueueItemsKey(sid_), common::QueueMetaKey(sid_),
       common::kEventsKey, common::kQueueSeqKey, common::NowPlayingKey(sid_)},
      {std::to_string(sid_), ts, std::to_string(events_maxlen_), "", std::to_string(wall_ms)}));
}

std::string LiveState::HeadId() {
  return common::ReplyString(redis_.Checked({"LINDEX", common::QueueIdsKey(sid_), "0"}).get());
}

std::optional<PoppedItem> LiveState::Head() {
  return ItemOf(
      HeadScript().Run(redis_, {common::QueueIdsKey(sid_), common::QueueItemsKey(sid_)}, {}));
}

void LiveState::SetNowPlaying(const std::string& item_json, const std::string& started_at,
                              int64_t wall_ms) {
  const std::string key = common::NowPlayingKey(sid_);
  redis_.Checked({"DEL", key});
  redis_.Checked({"HSET", key, "item", item_json, "started_at", started_at, "position_ms", "0",
                  "position_at", std::to_string(wall_ms)});
}

void LiveState::SetPosition(int64_t position_ms, int64_t wall_ms) {
  redis_.Checked({"HSET", common::NowPlayingKey(sid_), "position_ms", std::to_string(position_ms),
                  "position_at", std::to_string(wall_ms)});
}

void LiveState::ClearNowPlaying() { redis_.Checked({"DEL", common::NowPlayingKey(sid_)}); }

NowPlaying LiveState::ReadNowPlaying() {
  NowPlaying n;
  common::RedisReplyPtr r = redis_.Checked({"HGETALL", common::NowPlayingKey(sid_)});
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
    const std::string k = common::ReplyString(r->element[i]);
    const std::string v = common::ReplyString(r->element[i + 1]);
    if (k == "item") n.item_json = v;
    if (k == "position_ms") n.position_ms = std::atoll(v.c_str());
    if (k == "started_at") n.started_at = v;
  }
  return n;
}

void LiveState::SetState(const std::string& state) {
  redis_.Checked({"SET", common::StreamStateKey(sid_), state, "PX", std::to_string(ttl_ms_)});
}

void LiveState::SetListeners(int64_t total, int64_t live, int64_t bridge) {
  const std::string key = common::StreamListenersKey(sid_);
  redis_.Checked({"HSET", key, "total", std::to_string(total), "live", std::to_string(live),
                  "bridge", std::to_string(bridge)});
  redis_.Checked({"PEXPIRE", key, std::to_string(ttl_ms_)});
}

int64_t LiveState::Skips() {
  return std::atoll(
      common::ReplyString(redis_.Checked({"GET", common::StreamSkipsKey(sid_)}).get()).c_str());
}

}  // namespace sattva::streamer
