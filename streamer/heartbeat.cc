#include "streamer/heartbeat.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/json.h"
#include "common/log.h"
#include "common/redis.h"
#include "streamer/metrics.h"

namespace sattva::streamer {
namespace {

constexpr uint64_t kPruneEveryBeats = 10;

std::string ReadProcFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string HeartbeatKey(const std::string& id) { return common::StreamerKey(id); }

bool ParseProcStatCpu(const std::string& proc_stat, CpuTimes* out) {
  std::istringstream lines(proc_stat);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("cpu ", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    // user nice system idle iowait irq softirq steal (guest and guest_nice are in user/nice).
    uint64_t v[8] = {};
    int n = 0;
    while (n < 8 && fields >> v[n]) ++n;
    if (n < 4) return false;
    CpuTimes t;
    for (int i = 0; i < n; ++i) t.total += v[i];
    t.busy = t.total - v[3] - (n > 4 ? v[4] : 0);
    *out = t;
    return true;
  }
  return false;
}

std::optional<double> CpuBusyPercent(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return std::nullopt;
  const double total = static_cast<double>(after.total - before.total);
  const double busy = static_cast<double>(after.busy - before.busy);
  return std::min(100.0, 100.0 * busy / total);
}

std::optional<double> MemoryUsedPercent(const std::string& meminfo) {
  std::istringstream lines(meminfo);
  std::string line;
  int64_t total = -1, available = -1;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name;
    int64_t kb = 0;
    if (!(fields >> name >> kb)) continue;
    if (name == "MemTotal:") total = kb;
    if (name == "MemAvailable:") available = kb;
  }
  if (total <= 0 || available < 0 || available > total) return std::nullopt;
  return 100.0 * static_cast<double>(total - available) / static_cast<double>(total);
}

int64_t StatmRssBytes(const std::string& statm, int64_t page_size) {
  std::istringstream fields(statm);
  int64_t size = 0, resident = 0;
  if (!(fields >> size >> resident)) return 0;
  return resident * page_size;
}

std::string DefaultStreamerId(const std::string& host, int64_t pid) {
  return (host.empty() ? std::string("streamer") : host) + "-" + std::to_string(pid);
}

Json::Value HeartbeatPayload(const HeartbeatInfo& info, common::Clock::WallTime now,
                             const HostFigures& figures) {
  Json::Value v(Json::objectValue);
  v["id"] = info.id;
  v["pid"] = common::JsonInt(info.pid);
  v["host"] = info.host;
  v["started_at"] = common::IsoUtcMillis(info.started_at);
  v["heartbeat_at"] = common::IsoUtcMillis(now);
  v["version"] = info.version;
  auto percent = [](const std::optional<double>& p) {
    return p ? Json::Value(std::round(*p * 10.0) / 10.0) : Json::Value(Json::nullValue);
  };
  v["cpu_percent"] = percent(figures.cpu_percent);
  v["memory_percent"] = percent(figures.memory_percent);
  v["rss_bytes"] = common::JsonInt(figures.rss_bytes);
  const int64_t up_ms = common::UnixMillis(now) - common::UnixMillis(info.started_at);
  v["uptime_seconds"] = common::JsonInt(std::max<int64_t>(0, up_ms / 1000));
  v["streams"] = common::JsonInt(figures.streams);
  return v;
}

HostFigures Heartbeat::MeasureHost() {
  HostFigures f;
  CpuTimes now;
  if (ParseProcStatCpu(ReadProcFile("/proc/stat"), &now)) {
    if (last_cpu_) f.cpu_percent = CpuBusyPercent(*last_cpu_, now);
    last_cpu_ = now;
  }
  f.memory_percent = MemoryUsedPercent(ReadProcFile("/proc/meminfo"));
  f.rss_bytes = StatmRssBytes(ReadProcFile("/proc/self/statm"), sysconf(_SC_PAGESIZE));
  if (stream_count_) f.streams = stream_count_();
  return f;
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
    const std::string payload =
        common::WriteJson(HeartbeatPayload(info_, clock_.WallNow(), MeasureHost()));
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
