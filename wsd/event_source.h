#pragma once
// Where wsd reads sattva:events from. An interface so that the reader and backfill loops are
// unit-tested with a fake; RedisEventSource is the real one. Not thread-safe: each thread owns
// its own source (and so its own Redis connection).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/events.h"
#include "common/redis.h"
#include "wsd/stream_entry.h"
#include "wsd/stream_id.h"

namespace sattva::wsd {

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Every call throws common::RedisError when Redis cannot be reached, answers with an error,
  // or answers with something that is not a stream reply.

  // The id of the newest / oldest entry; nullopt when the stream is empty or missing.
  virtual std::optional<StreamId> NewestId() = 0;
  virtual std::optional<StreamId> OldestId() = 0;
  // XREAD BLOCK |block_ms| COUNT |count| STREAMS key |after|: entries after |after|, oldest
  // first; empty when none arrived in time.
  virtual std::vector<StreamEntry> ReadAfter(const StreamId& after, int block_ms, int count) = 0;
  // XREVRANGE key + |down_to| COUNT |count|: newest first, down to |down_to| inclusive.
  virtual std::vector<StreamEntry> NewestDownTo(const StreamId& down_to, size_t count) = 0;
};

class RedisEventSource : public EventSource {
 public:
  // |max_block_ms| is the longest BLOCK ReadAfter will be asked for; the read timeout is set
  // above it.
  RedisEventSource(const common::RedisOptions& options, int max_block_ms,
                   std::string key = common::kEventsKey);

  std::optional<StreamId> NewestId() override;
  std::optional<StreamId> OldestId() override;
  std::vector<StreamEntry> ReadAfter(const StreamId& after, int block_ms, int count) override;
  std::vector<StreamEntry> NewestDownTo(const StreamId& down_to, size_t count) override;

 private:
  std::vector<StreamEntry> Range(const std::vector<std::string>& args);
  std::optional<StreamId> OneId(const std::vector<std::string>& args);

  common::Redis redis_;
  const std::string key_;
};

}  // namespace sattva::wsd
