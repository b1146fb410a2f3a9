#include "common/redis.h"

#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "common/config.h"

namespace sattva::common {
namespace {

struct timeval ToTimeval(int ms) {
  struct timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

}  // namespace

RedisOptions RedisOptions::FromConfig(const Config& config) {
  RedisOptions o;
  o.host = config.GetString("redis_host");
  o.port = static_cast<int>(config.GetInt("redis_port"));
  o.password = config.GetString("redis_password");
  o.timeout_ms = static_cast<int>(config.GetInt("redis_timeout_ms"));
  return o;
}

Redis::Redis(RedisOptions options)
    : options_(std::move(options)), read_timeout_ms_(options_.timeout_ms) {}

void Redis::SetReadTimeoutMs(int timeout_ms) {
  read_timeout_ms_ = timeout_ms;
  if (ctx_) redisSetTimeout(ctx_.get(), ToTimeval(read_timeout_ms_));
}

void Redis::Connect() {
  ctx_.reset();
  RedisContextPtr c(
      redisConnectWithTimeout(options_.host.c_str(), options_.port, ToTimeval(options_.timeout_ms)));
  if (!c) throw RedisError("redis: out of memory allocating a context");
  if (c->err) {
    throw RedisError("redis: cannot connect to " + options_.host + ":" +
                     std::to_string(options_.port) + ": " + c->errstr);
  }
  if (redisSetTimeout(c.get(), ToTimeval(read_timeout_ms_)) != REDIS_OK) {
    throw RedisError("redis: cannot set timeout");
  }
  redisEnableKeepAlive(c.get());
  if (!options_.password.empty()) {
    const char* argv[] = {"AUTH", options_.password.c_str()};
    size_t lens[] = {4, options_.password.size()};
    RedisReplyPtr r(static_cast<redisReply*>(redisCommandArgv(c.get(), 2, argv, lens)));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      throw RedisError(std::string("redis: AUTH failed: ") + (r ? r->str : c->errstr));
    }
  }
  ctx_ = std::move(c);
}

RedisReplyPtr Redis::ReadPushed(int timeout_ms) {
  if (!ctx_) throw RedisError("redis: not connected");
  void* reply = nullptr;
  if (redisGetReplyFromReader(ctx_.get(), &reply) != REDIS_OK) {
    const std::string err = ctx_->errstr;
    ctx_.reset();
    throw RedisError("redis: " + err);
  }
  if (reply != nullptr) return RedisReplyPtr(static_cast<redisReply*>(reply));
  pollfd p{ctx_->fd, POLLIN, 0};
  const int n = poll(&p, 1, timeout_ms);
  if (n == 0 || (n < 0 && errno == EINTR)) return nullptr;
  if (n < 0 || redisBufferRead(ctx_.get()) != REDIS_OK ||
      redisGetReplyFromReader(ctx_.get(), &reply) != REDIS_OK) {
    const std::string err = ctx_->err ? ctx_->errstr : "connection lost";
    ctx_.reset();
    throw RedisError("redis: " + err);
  }
  return RedisReplyPtr(static_cast<redisReply*>(reply));
}

RedisReplyPtr Redis::Command(const std::vector<std::string>& args) {
  const bool reused = ctx_ != nullptr;
  RedisReplyPtr r;
  try {
    r = CommandOnce(args);
  } catch (const RedisError&) {
    // A connection that sat idle may have been closed by a Redis restart. The command was not
    // delivered (the server had already hung up), so one retry on a fresh connection is safe.
    if (!reused || !last_error_was_hangup_) throw;
    r = CommandOnce(args);
  }
  // A restarted Redis answers LOADING until it has read its AOF; the command did not run. Wait
  // for it, up to the command timeout, rather than failing the caller.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  while (r->type == REDIS_REPLY_ERROR && std::string(r->str, r->len).rfind("LOADING", 0) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    r = CommandOnce(args);
  }
  return r;
}

RedisReplyPtr Redis::CommandOnce(const std::vector<std::string>& args) {
  last_error_was_hangup_ = false;
  if (!ctx_) Connect();
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  RedisReplyPtr r(static_cast<redisReply*>(
      redisCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!r) {
    std::string err = ctx_->errstr[0] ? ctx_->errstr : "connection lost";
    last_error_was_hangup_ =
        ctx_->err == REDIS_ERR_EOF ||
        (ctx_->err == REDIS_ERR_IO && (errno == ECONNRESET || errno == EPIPE));
    ctx_.reset();
    throw RedisError("redis: " + err);
  }
  return r;
}

RedisReplyPtr Redis::Checked(const std::vector<std::string>& args) {
  RedisReplyPtr r = Command(args);
  if (r->type == REDIS_REPLY_ERROR) {
    throw RedisError("redis: " + (args.empty() ? std::string() : args[0]) + ": " +
                     std::string(r->str, r->len));
  }
  return r;
}

std::string ReplyString(const redisReply* r) {
  if (r == nullptr) return "";
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR) {
    return std::string(r->str, r->len);
  }
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return "";
}

}  // namespace sattva::common
