#include "fcgi/rate_limit.h"

#include <algorithm>

namespace sattva::fcgi {
namespace {

// INCR and, on the first hit of a window, PEXPIRE: one atomic step. Returns {count, pttl}.
constexpr const char* kHitScript =
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
    "local t = redis.call('PTTL', KEYS[1]) "
    "if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end "
    "return {n, t}";

std::string Key(const std::string& k) { return "sattva:rl:" + k; }

}  // namespace

RateDecision RateLimiter::Hit(const std::string& key, int64_t limit, int64_t window_s) {
  common::RedisReplyPtr r = redis_.Checked(
      {"EVAL", kHitScript, "1", Key(key), std::to_string(window_s * 1000)});
  RateDecision d;
  if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
    d.count = r->element[0]->integer;
    int64_t pttl = r->element[1]->integer;
    d.allowed = d.count <= limit;
    d.retry_after_s = std::max<int64_t>(1, (pttl + 999) / 1000);
  }
  return d;
}

RateDecision RateLimiter::Peek(const std::string& key, int64_t limit) {
  common::RedisReplyPtr n = redis_.Checked({"GET", Key(key)});
  RateDecision d;
  if (n->type == REDIS_REPLY_STRING) d.count = std::stoll(common::ReplyString(n.get()));
  d.allowed = d.count < limit;
  if (!d.allowed) {
    common::RedisReplyPtr t = redis_.Checked({"PTTL", Key(key)});
    d.retry_after_s = std::max<int64_t>(1, (t->integer + 999) / 1000);
  }
  return d;
}

void RateLimiter::Reset(const std::string& key) { redis_.Checked({"DEL", Key(key)}); }

}  // namespace sattva::fcgi
