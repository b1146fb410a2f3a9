#include "common/redis_script.h"

namespace sattva::common {

RedisReplyPtr RedisScript::Run(Redis& redis, const std::vector<std::string>& keys,
                               const std::vector<std::string>& args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string sha;
    {
      std::lock_guard<std::mutex> lock(mu_);
      sha = sha_;
    }
    if (sha.empty()) {
      sha = ReplyString(redis.Checked({"SCRIPT", "LOAD", text_}).get());
      std::lock_guard<std::mutex> lock(mu_);
      sha_ = sha;
    }
    std::vector<std::string> cmd = {"EVALSHA", sha, std::to_string(keys.size())};
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    RedisReplyPtr r = redis.Command(cmd);
    if (r->type == REDIS_REPLY_ERROR && std::string(r->str, r->len).rfind("NOSCRIPT", 0) == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      sha_.clear();
      continue;
    }
    return r;
  }
  throw RedisError("redis: a script could not be loaded");
}

}  // namespace sattva::common
