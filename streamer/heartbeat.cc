#include "streamer/heartbeat.h"

#include <vector>

#include "common/json.h"
#include "common/log.h"
#include "common/redis.h"
#include "streamer/metrics.h"

namespace sattva::streamer {
namespace {

constexpr uint64_t kPruneEveryBeats = 10;

}  // namespace

std::string HeartbeatKey(const std::string& id) { return "sattva:streamer:" + id; }

std::string DefaultStreamerId(const std::string& host, int64_t pid) {
  return (host.empty() ? std::string("streamer") : host) + "-" + std::to_string(pid);
}

Json::Value HeartbeatPayload(const HeartbeatInfo& info, common::Clock::WallTime now) {
  Json::Value v(Json::objectValue);
  v["id"] = info.id;
  v["pid"] = common::JsonInt(info.pid);
  v["host"] = info.host;
  v["started_at"] = common::IsoUtcMillis(info.started_at);
  v["heartbeat_at"] = common::IsoUtcMillis(now);
  v["version"] = info.version;
  return v;
}

Heartbeat::Heartbeat(HeartbeatInfo info, std::chrono::milliseconds ttl,
                     std::chrono::milliseconds interval, const common::Clock& clock,
                     common::Redis& redis, StreamerMetrics& metrics)
    : info_(std::move(info)),
      key_(HeartbeatKey(info_.id)),
      ttl_(ttl),
      interval_(interval),
      clock_(clock),
      redis_(redis),
      metrics_(metrics) {}

bool Heartbeat::Beat() {
  try {
    const std::string payload = common::WriteJson(HeartbeatPayload(info_, clock_.WallNow()));
    redis_.Checked({"SET", key_, payload, "PX", std::to_string(ttl_.count())});
    redis_.Checked({"SADD", kStreamersKey, info_.id});
    if (++beats_ % kPruneEveryBeats == 0) {
      // A member whose key has expired is a streamer that died without unregistering. A live
      // streamer SETs its key before it SADDs, so it is never pruned here.
      common::RedisReplyPtr members = redis_.Checked({"SMEMBERS", kStreamersKey});
      for (size_t i = 0; i < members->elements; ++i) {
        const std::string id = common::ReplyString(members->element[i]);
        if (id == info_.id) continue;
        if (redis_.Checked({"EXISTS", HeartbeatKey(id)})->integer == 0) {
          redis_.Checked({"SREM", kStreamersKey, id});
          LOG_INFO << "removed streamer " << id << " from " << kStreamersKey
                   << ": its heartbeat expired";
        }
      }
    }
  } catch (const common::RedisError& e) {
    metrics_.heartbeat_failures.Increment();
    metrics_.redis_up.Set(0);
    if (redis_state_ != RedisState::kDown) {
      LOG_WARN << "redis is unavailable; heartbeats will resume when it is back: " << e.what();
      redis_state_ = RedisState::kDown;
    }
    return false;
  }
  metrics_.heartbeats.Increment();
  metrics_.redis_up.Set(1);
  if (redis_state_ == RedisState::kDown) {
    LOG_INFO << "redis is back; heartbeat " << key_ << " renewed";
  } else if (redis_state_ == RedisState::kUnknown) {
    LOG_INFO << "heartbeat " << key_ << " written (ttl " << ttl_.count() << " ms, every "
             << interval_.count() << " ms)";
  }
  redis_state_ = RedisState::kUp;
  return true;
}

void Heartbeat::Run() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    Beat();
    next += interval_;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // after a slow beat, do not burst to catch up
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_until(lock, next, [this] { return stop_; })) return;
  }
}

void Heartbeat::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void Heartbeat::Unregister() {
  try {
    redis_.Checked({"SREM", kStreamersKey, info_.id});
    redis_.Checked({"DEL", key_});
    LOG_INFO << "heartbeat " << key_ << " removed";
  } catch (const common::RedisError& e) {
    LOG_WARN << "could not remove heartbeat " << key_ << " (it expires by itself): " << e.what();
  }
}

}  // namespace sattva::streamer
