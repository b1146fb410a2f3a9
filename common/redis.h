#pragma once
// RAII over one hiredis connection. hiredis contexts are not thread-safe: give each thread its
// own Redis. The connection is made lazily and remade after any connection error, so a Redis
// restart heals without a process restart. Not thread-safe.

#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sattva::common {

class Config;

class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RedisReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyFree>;

struct RedisContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextFree>;

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6380;
  std::string password;
  int timeout_ms = 1000;
  static RedisOptions FromConfig(const Config& config);
};

class Redis {
 public:
  explicit Redis(RedisOptions options);
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;

  // Sends one command (binary-safe arguments) and returns its reply, which may be an error
  // reply. Throws RedisError when Redis cannot be reached or the connection breaks; the next
  // call reconnects. When a reused connection turns out to have been closed by the server
  // (a Redis restart), the command is retried once on a new connection: it was never delivered.
  // A LOADING reply (a restarted Redis still reading its AOF) is retried until timeout_ms.
  RedisReplyPtr Command(const std::vector<std::string>& args);
  // Like Command, but an error reply also throws RedisError.
  RedisReplyPtr Checked(const std::vector<std::string>& args);
  // Blocking commands (XREAD BLOCK) may need a longer read timeout than the default.
  void SetReadTimeoutMs(int timeout_ms);
  // For pub/sub after SUBSCRIBE: the next message the server pushes, or null when none comes
  // within `timeout_ms`. Throws RedisError (and disconnects) when the connection breaks.
  RedisReplyPtr ReadPushed(int timeout_ms);
  bool Connected() const { return ctx_ != nullptr; }
  void Disconnect() { ctx_.reset(); }

 private:
  void Connect();
  RedisReplyPtr CommandOnce(const std::vector<std::string>& args);
  RedisOptions options_;
  bool last_error_was_hangup_ = false;
  int read_timeout_ms_;
  RedisContextPtr ctx_;
};

// Reply helpers: the string of a string/status reply, or "" otherwise.
std::string ReplyString(const redisReply* r);

}  // namespace sattva::common
