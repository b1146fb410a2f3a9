#include "fcgi/sessions.h"

#include <algorithm>

#include "common/password.h"

namespace sattva::fcgi {
namespace {

std::string SessionKey(const std::string& hash) { return "sattva:session:" + hash; }
std::string UserSetKey(int64_t uid) { return "sattva:user_sessions:" + std::to_string(uid); }

int64_t ToInt(const std::string& s) {
  try {
    return std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

SessionStore::SessionStore(common::Redis& redis, const common::Clock& clock,
                           std::chrono::seconds idle, std::chrono::seconds absolute)
    : redis_(redis), clock_(clock), idle_(idle), absolute_(absolute) {}

Session SessionStore::Create(int64_t user_id, const std::string& ip,
                             const std::string& user_agent) {
  Session s;
  s.raw_id = common::RandomToken(16);  // 128 bits
  s.key_hash = common::Sha256Hex(s.raw_id);
  s.user_id = user_id;
  s.csrf_token = common::RandomToken(24);
  s.created_ms = common::UnixMillis(clock_.WallNow());
  const std::string key = SessionKey(s.key_hash);
  const std::string idle_ms = std::to_string(idle_.count() * 1000);
  // One atomic step: the session hash with its idle TTL, and its entry in the user's set.
  redis_.Checked({"EVAL",
                  "redis.call('HSET', KEYS[1], 'user_id', ARGV[1], 'csrf', ARGV[2], "
                  "'created_ms', ARGV[3], 'seen_ms', ARGV[3], 'ip', ARGV[4], 'ua', ARGV[5]) "
                  "redis.call('PEXPIRE', KEYS[1], ARGV[6]) "
                  "redis.call('SADD', KEYS[2], ARGV[7]) "
                  "redis.call('PEXPIRE', KEYS[2], ARGV[8]) return 1",
                  "2", key, UserSetKey(user_id), std::to_string(user_id), s.csrf_token,
                  std::to_string(s.created_ms), ip, user_agent.substr(0, 300), idle_ms, s.key_hash,
                  std::to_string(absolute_.count() * 1000)});
  return s;
}

std::optional<Session> SessionStore::Lookup(const std::string& raw_id) {
  if (raw_id.empty() || raw_id.size() > 64) return std::nullopt;
  Session s;
  s.key_hash = common::Sha256Hex(raw_id);
  const std::string key = SessionKey(s.key_hash);
  const int64_t now = common::UnixMillis(clock_.WallNow());
  // One round trip: read the session, end it past its absolute lifetime, or renew its idle timer
  // (never past the absolute end). The renewal is a write, and Redis syncs every write to disk
  // (appendfsync always), so it happens only once the timer has run down by more than
  // `renew_every` (a tenth of the idle timeout, at most a minute): a busy operator's page views
  // are reads, and the idle timeout still holds to within that slack.
  const int64_t idle_ms = idle_.count() * 1000;
  const int64_t renew_every_ms = std::min<int64_t>(idle_ms / 10, 60000);
  common::RedisReplyPtr r = redis_.Checked(
      {"EVAL",
       "local created = tonumber(redis.call('HGET', KEYS[1], 'created_ms') or '-1') "
       "if created < 0 then return {} end "
       "local now, idle, abs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]) "
       "if now - created >= abs then redis.call('DEL', KEYS[1]) return {} end "
       "local want = math.max(1, math.min(idle, created + abs - now)) "
       "if redis.call('PTTL', KEYS[1]) < want - tonumber(ARGV[4]) then "
       "  redis.call('HSET', KEYS[1], 'seen_ms', ARGV[1]) "
       "  redis.call('PEXPIRE', KEYS[1], want) "
       "end "
       "return redis.call('HGETALL', KEYS[1])",
       "1", key, std::to_string(now), std::to_string(idle_ms),
       std::to_string(absolute_.count() * 1000), std::to_string(renew_every_ms)});
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return std::nullopt;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    std::string k = common::ReplyString(r->element[i]);
    std::string v = common::ReplyString(r->element[i + 1]);
    if (k == "user_id") s.user_id = ToInt(v);
    else if (k == "csrf") s.csrf_token = v;
    else if (k == "created_ms") s.created_ms = ToInt(v);
    else if (k == "flash") s.flash = v;
  }
  if (s.user_id <= 0 || s.csrf_token.empty()) {
    Delete(s);
    return std::nullopt;
  }
  return s;
}

void SessionStore::Delete(const Session& s) {
  redis_.Checked({"DEL", SessionKey(s.key_hash)});
  if (s.user_id > 0) redis_.Checked({"SREM", UserSetKey(s.user_id), s.key_hash});
}

std::vector<int64_t> SessionStore::LiveUsers(const std::vector<std::string>& key_hashes,
                                             bool renew) {
  std::vector<int64_t> out(key_hashes.size(), 0);
  if (key_hashes.empty()) return out;
  const int64_t idle_ms = idle_.count() * 1000;
  // With |renew|, a live session's idle timer is renewed like Lookup does (only once it has run
  // down by the same slack, never past the absolute end).
  std::vector<std::string> args = {
      "EVAL",
      "local now, abs = tonumber(ARGV[1]), tonumber(ARGV[2]) "
      "local renew, idle, slack = ARGV[3] == '1', tonumber(ARGV[4]), tonumber(ARGV[5]) "
      "local out = {} "
      "for i, k in ipairs(KEYS) do "
      "  local v = redis.call('HMGET', k, 'user_id', 'created_ms') "
      "  local uid, created = tonumber(v[1] or ''), tonumber(v[2] or '') "
      "  if uid and created and now - created < abs then "
      "    out[i] = uid "
      "    if renew then "
      "      local want = math.max(1, math.min(idle, created + abs - now)) "
      "      if redis.call('PTTL', k) < want - slack then "
      "        redis.call('HSET', k, 'seen_ms', ARGV[1]) "
      "        redis.call('PEXPIRE', k, want) "
      "      end "
      "    end "
      "  else out[i] = 0 end "
      "end return out",
      std::to_string(key_hashes.size())};
  for (const std::string& h : key_hashes) args.push_back(SessionKey(h));
  args.push_back(std::to_string(common::UnixMillis(clock_.WallNow())));
  args.push_back(std::to_string(absolute_.count() * 1000));
  args.push_back(renew ? "1" : "0");
  args.push_back(std::to_string(idle_ms));
  args.push_back(std::to_string(std::min<int64_t>(idle_ms / 10, 60000)));
  common::RedisReplyPtr r = redis_.Checked(args);
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements && i < out.size(); ++i) {
      if (r->element[i]->type == REDIS_REPLY_INTEGER) out[i] = r->element[i]->integer;
    }
  }
  return out;
}

int SessionStore::DeleteAllForUser(int64_t user_id, const std::string& keep_hash) {
  common::RedisReplyPtr members = redis_.Checked({"SMEMBERS", UserSetKey(user_id)});
  int n = 0;
  std::vector<std::string> del = {"DEL"};
  std::vector<std::string> srem = {"SREM", UserSetKey(user_id)};
  if (members->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < members->elements; ++i) {
      std::string h = common::ReplyString(members->element[i]);
      if (h == keep_hash) continue;
      del.push_back(SessionKey(h));
      srem.push_back(h);
      ++n;
    }
  }
  if (n > 0) {
    redis_.Checked(del);
    redis_.Checked(srem);
  }
  return n;
}

void SessionStore::SetFlash(const Session& s, const std::string& flash) {
  // HSET only if the session still exists (never resurrect a deleted one without a TTL).
  redis_.Checked({"EVAL",
                  "if redis.call('EXISTS', KEYS[1]) == 1 then "
                  "return redis.call('HSET', KEYS[1], 'flash', ARGV[1]) end return 0",
                  "1", SessionKey(s.key_hash), flash.substr(0, 2000)});
}

std::string SessionStore::TakeFlash(const Session& s) {
  common::RedisReplyPtr r = redis_.Checked(
      {"EVAL",
       "local v = redis.call('HGET', KEYS[1], 'flash') "
       "if v then redis.call('HDEL', KEYS[1], 'flash') return v end return ''",
       "1", SessionKey(s.key_hash)});
  return common::ReplyString(r.get());
}

}  // namespace sattva::fcgi
