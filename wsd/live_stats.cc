#include "wsd/live_stats.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/json.h"
#include "common/log.h"

namespace sattva::wsd {

SampleQueue::SampleQueue(std::function<void()> wake) : wake_(std::move(wake)) {}

void SampleQueue::Push(LiveSample sample) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    samples_.push_back(std::move(sample));
  }
  if (wake_) wake_();
}

void SampleQueue::Drain(std::vector<LiveSample>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (LiveSample& s : samples_) out->push_back(std::move(s));
  samples_.clear();
}

void LatestStats::Set(Json::Value data) {
  std::lock_guard<std::mutex> lock(mu_);
  data_ = std::move(data);
}

Json::Value LatestStats::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return data_;
}

std::string BuildStreamTick(common::Clock::WallTime now,
                            const std::vector<common::StreamFigures>& streams) {
  const int64_t now_ms = common::UnixMillis(now);
  Json::Value list(Json::arrayValue);
  for (const common::StreamFigures& f : streams) {
    if (!f.running) continue;
    Json::Value s(Json::objectValue);
    s["stream_id"] = common::JsonInt(f.id);
    Json::Value item;
    std::string error;
    const bool parsed = !f.now_item.empty() && common::ParseJson(f.now_item, &item, &error) &&
                        item.isObject();
    const Json::Value& track = parsed ? item["track"] : Json::Value::nullSingleton();
    const bool placeholder =
        parsed && ((item["placeholder"].isBool() && item["placeholder"].asBool()) ||
                   (track.isObject() && track["placeholder"].isBool() &&
                    track["placeholder"].asBool()));
    s["item_id"] = parsed && item["id"].isString() ? item["id"] : Json::Value(Json::nullValue);
    int64_t duration_ms = 0;
    if (track.isObject() && track["duration_ms"].isIntegral()) {
      duration_ms = track["duration_ms"].asInt64();
    }
    if (parsed) {
      s["position_ms"] = common::JsonInt(common::ExtrapolatePositionMs(
          f.position_ms, f.position_at_ms, true, duration_ms, placeholder, now_ms));
    } else {
      s["position_ms"] = Json::Value(Json::nullValue);  // nothing recorded as playing yet
    }
    s["duration_ms"] = duration_ms > 0 ? common::JsonInt(duration_ms) : Json::Value(Json::nullValue);
    s["listeners"]["total"] = common::JsonInt(f.listeners);
    s["listeners"]["live"] = common::JsonInt(f.listeners_live);
    s["listeners"]["bridge"] = common::JsonInt(f.listeners_bridge);
    list.append(std::move(s));
  }
  if (list.empty()) return "";
  Json::Value v(Json::objectValue);
  v["type"] = kStreamTickType;
  v["ts"] = common::IsoUtcMillis(now);
  v["data"]["streams"] = std::move(list);
  return common::WriteJson(v);
}

Json::Value StatsData(const common::StationStats& stats, double events_per_second,
                      int64_t connections) {
  Json::Value v = common::StationStatsJson(stats);
  v["events_per_second"] = std::round(events_per_second * 10.0) / 10.0;
  v["connections"] = common::JsonInt(connections);
  return v;
}

std::string BuildStats(common::Clock::WallTime now, const Json::Value& data) {
  Json::Value v(Json::objectValue);
  v["type"] = kStatsType;
  v["ts"] = common::IsoUtcMillis(now);
  v["data"] = data;
  return common::WriteJson(v);
}

LiveStats::LiveStats(std::unique_ptr<common::Pg> pg, const common::RedisOptions& redis,
                     SampleQueue& samples, LatestStats& latest,
                     std::function<double()> events_read, std::function<int64_t()> connections,
                     const common::Clock& clock, LiveStatsOptions options)
    : pg_(std::move(pg)),
      redis_(redis),
      samples_(samples),
      latest_(latest),
      events_read_(std::move(events_read)),
      connections_(std::move(connections)),
      clock_(clock),
      options_(options),
      last_stats_at_(clock.Now()) {}

LiveStats::~LiveStats() { Stop(); }

void LiveStats::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LiveStats::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LiveStats::Run() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    Step();
    next += options_.tick;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // after a slow read, do not burst to catch up
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_until(lock, next, [this] { return stop_; })) return;
  }
}

void LiveStats::Step() {
  const int64_t tick_ms = std::max<int64_t>(1, options_.tick.count());
  const int64_t every = std::max<int64_t>(1, options_.stats_interval_s * 1000 / tick_ms);
  // Due every |every| ticks; stays due until a read succeeds.
  if (++ticks_ % every == 0) stats_pending_ = true;

  // Which streams exist: PostgreSQL, every tick (one indexed query). When it is away, the last
  // list serves.
  try {
    pg_->Run([this](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      stream_ids_ = common::LiveStreamIds(tx);
    });
    have_ids_ = true;
    if (pg_down_logged_) {
      LOG_INFO << "live stats: postgresql reachable again";
    }
    pg_down_logged_ = false;
  } catch (const std::exception& e) {
    if (!pg_down_logged_) {
      LOG_WARN << "live stats cannot read the streams from postgresql: " << e.what()
               << (have_ids_ ? " (using the last list)" : "");
      pg_down_logged_ = true;
    }
    if (!have_ids_) return;
  }

  std::vector<common::StreamFigures> figures;
  std::vector<common::StreamerFigures> streamers;
  try {
    figures = common::ReadStreamFigures(redis_, stream_ids_);
    if (stats_pending_) streamers = common::ReadStreamers(redis_);
    if (redis_down_logged_) {
      LOG_INFO << "live stats: redis reachable again";
    }
    redis_down_logged_ = false;
  } catch (const common::RedisError& e) {
    if (!redis_down_logged_) {
      LOG_WARN << "live stats cannot read redis: " << e.what() << " (no samples until it is back)";
      redis_down_logged_ = true;
    }
    return;
  }

  const common::Clock::WallTime now = clock_.WallNow();
  std::string tick = BuildStreamTick(now, figures);
  if (!tick.empty()) {
    samples_.Push(LiveSample{kStreamTickType, std::make_shared<const std::string>(std::move(tick))});
  }
  if (!stats_pending_) return;
  stats_pending_ = false;
  const common::Clock::MonoTime mono = clock_.Now();
  const double seconds = std::chrono::duration<double>(mono - last_stats_at_).count();
  const double events = events_read_ ? events_read_() : 0;
  const double rate = seconds >= 0.001 ? std::max(0.0, events - last_events_) / seconds : 0;
  last_events_ = events;
  last_stats_at_ = mono;
  Json::Value data = StatsData(common::AggregateStationStats(figures, std::move(streamers)), rate,
                               connections_ ? connections_() : 0);
  latest_.Set(data);
  samples_.Push(
      LiveSample{kStatsType, std::make_shared<const std::string>(BuildStats(now, data))});
}

}  // namespace sattva::wsd
