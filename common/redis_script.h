#pragma once
// A Lua script run by EVALSHA. The SHA is loaded once per process (SCRIPT LOAD is idempotent,
// so threads may race) and loaded again after NOSCRIPT (Redis restarted or flushed its cache).
// Thread-safe; runs on the caller's Redis (which is not).

#include <mutex>
#include <string>
#include <vector>

#include "common/redis.h"

namespace sattva::common {

class RedisScript {
 public:
  explicit RedisScript(std::string text) : text_(std::move(text)) {}
  RedisScript(const RedisScript&) = delete;
  RedisScript& operator=(const RedisScript&) = delete;

  // Returns the reply, which may be an error reply from the script. Throws RedisError when Redis
  // cannot be reached or the script cannot be loaded.
  RedisReplyPtr Run(Redis& redis, const std::vector<std::string>& keys,
                    const std::vector<std::string>& args);

 private:
  const std::string text_;
  std::mutex mu_;
  std::string sha_;
};

}  // namespace sattva::common
