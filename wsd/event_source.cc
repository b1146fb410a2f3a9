#include "wsd/event_source.h"

namespace sattva::wsd {

RedisEventSource::RedisEventSource(const common::RedisOptions& options, int max_block_ms,
                                   std::string key)
    : redis_(options), key_(std::move(key)) {
  redis_.SetReadTimeoutMs(max_block_ms + options.timeout_ms);
}

std::vector<StreamEntry> RedisEventSource::Range(const std::vector<std::string>& args) {
  common::RedisReplyPtr r = redis_.Checked(args);
  std::vector<StreamEntry> entries;
  std::string error;
  if (!ParseRangeReply(r.get(), &entries, &error)) {
    throw common::RedisError("redis: " + args[0] + ": " + error);
  }
  return entries;
}

std::optional<StreamId> RedisEventSource::OneId(const std::vector<std::string>& args) {
  std::vector<StreamEntry> entries = Range(args);
  if (entries.empty()) return std::nullopt;
  std::optional<StreamId> id = StreamId::Parse(entries.front().id);
  if (!id) throw common::RedisError("redis: " + args[0] + ": bad entry id " + entries.front().id);
  return id;
}

std::optional<StreamId> RedisEventSource::NewestId() {
  return OneId({"XREVRANGE", key_, "+", "-", "COUNT", "1"});
}

std::optional<StreamId> RedisEventSource::OldestId() {
  return OneId({"XRANGE", key_, "-", "+", "COUNT", "1"});
}

std::vector<StreamEntry> RedisEventSource::ReadAfter(const StreamId& after, int block_ms,
                                                     int count) {
  common::RedisReplyPtr r =
      redis_.Checked({"XREAD", "COUNT", std::to_string(count), "BLOCK", std::to_string(block_ms),
                      "STREAMS", key_, after.ToString()});
  std::vector<StreamEntry> entries;
  std::string error;
  if (!ParseXreadReply(r.get(), &entries, &error)) {
    throw common::RedisError("redis: XREAD: " + error);
  }
  return entries;
}

std::vector<StreamEntry> RedisEventSource::NewestDownTo(const StreamId& down_to, size_t count) {
  return Range({"XREVRANGE", key_, "+", down_to.ToString(), "COUNT", std::to_string(count)});
}

}  // namespace sattva::wsd
