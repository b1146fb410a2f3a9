#include "streamer/supervisor.h"

#include <chrono>
#include <set>

#include "common/json.h"
#include "common/log.h"
#include "common/stream_keys.h"
#include "streamer/live_state.h"
#include "streamer/metrics.h"

namespace sattva::streamer {

Supervisor::Supervisor(PlayerDeps deps, PlayerOptions player_options, SupervisorOptions options)
    : deps_(deps),
      player_options_(std::move(player_options)),
      options_(options),
      redis_(deps.redis) {}

Supervisor::~Supervisor() = default;

void Supervisor::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Supervisor::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void Supervisor::Skip(int64_t stream_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = players_.find(stream_id);
  if (it != players_.end()) it->second->Skip();
}

size_t Supervisor::PlayingCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return players_.size();
}

void Supervisor::Reconcile() {
  std::vector<StreamSpec> specs;
  try {
    specs = deps_.catalog.RunningStreams();
    if (pg_warned_) {
      LOG_INFO << "postgres is reachable again";
    }
    pg_warned_ = false;
  } catch (const std::exception& e) {
    // Keep playing what we play; claim nothing new until PostgreSQL answers.
    if (!pg_warned_) {
      LOG_WARN << "cannot read the streams to run: " << e.what();
    }
    pg_warned_ = true;
    return;
  }
  std::map<int64_t, StreamSpec> wanted;
  for (auto& s : specs) wanted.emplace(s.id, std::move(s));

  // Players that ended on their own, or whose stream should no longer run here.
  std::vector<std::unique_ptr<Player>> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = players_.begin(); it != players_.end();) {
      auto w = wanted.find(it->first);
      if (it->second->Finished() || w == wanted.end() || w->second.slug != it->second->slug()) {
        if (!it->second->Finished()) it->second->Stop(StopKind::kStopped);
        done.push_back(std::move(it->second));
        it = players_.erase(it);
      } else {
        it->second->Update(w->second);  // a no-op unless the stream was edited
        ++it;
      }
    }
  }
  done.clear();  // joins them, outside the lock

  // Claim what nobody plays.
  for (auto& [id, spec] : wanted) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (players_.count(id) || static_cast<int64_t>(players_.size()) >= options_.max_streams) {
        continue;
      }
    }
    bool claimed = false;
    try {
      LiveState state(redis_, id, player_options_.owner, player_options_.lease_ttl_ms,
                      player_options_.events_maxlen);
      claimed = state.Acquire();
    } catch (const std::exception& e) {
      LOG_WARN << "cannot claim stream " << spec.slug << ": " << e.what();
      return;
    }
    if (!claimed) continue;
    LOG_INFO << "claimed stream " << spec.slug << " (id " << id << ")";
    deps_.metrics.lease_takeovers.Increment();
    auto player = std::make_unique<Player>(spec, deps_, player_options_);
    player->Start();
    std::lock_guard<std::mutex> lock(mu_);
    players_.emplace(id, std::move(player));
  }
  std::lock_guard<std::mutex> lock(mu_);
  deps_.metrics.active_streams.Set(static_cast<double>(players_.size()));
}

void Supervisor::Run() {
  while (true) {
    Reconcile();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(options_.reconcile_ms),
                 [this] { return stop_ || woken_; });
    woken_ = false;
    if (stop_) break;
  }
  // Shutdown: every stream goes on elsewhere; stop them all at once, then join.
  std::map<int64_t, std::unique_ptr<Player>> players;
  {
    std::lock_guard<std::mutex> lock(mu_);
    players.swap(players_);
  }
  for (auto& [id, p] : players) p->Stop(StopKind::kShutdown);
  players.clear();
  deps_.metrics.active_streams.Set(0);
}

ControlListener::ControlListener(common::RedisOptions redis, Supervisor& supervisor)
    : redis_(std::move(redis)), supervisor_(supervisor) {}

ControlListener::~ControlListener() { Stop(); }

void ControlListener::Start() { thread_ = std::thread([this] { Run(); }); }

void ControlListener::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ControlListener::Run() {
  common::Redis redis(redis_);
  bool subscribed = false;
  bool warned = false;
  while (!stop_) {
    try {
      if (!subscribed) {
        redis.Checked({"SUBSCRIBE", common::kControlChannel});
        subscribed = true;
        if (warned) {
          LOG_INFO << "control channel subscribed again";
        }
        warned = false;
        supervisor_.Wake();  // notices sent while we were away: reconcile now
      }
      common::RedisReplyPtr r = redis.ReadPushed(200);
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3) continue;
      if (common::ReplyString(r->element[0]) != "message") continue;
      Json::Value m;
      std::string err;
      if (!common::ParseJson(common::ReplyString(r->element[2]), &m, &err) || !m.isObject() ||
          !m["stream_id"].isIntegral() || !m["action"].isString()) {
        LOG_WARN << "ignoring a malformed control notice";
        continue;
      }
      if (m["action"].asString() == "skip") {
        supervisor_.Skip(m["stream_id"].asInt64());
      } else {
        supervisor_.Wake();
      }
    } catch (const std::exception& e) {
      if (!warned) {
        LOG_WARN << "control channel: " << e.what() << "; reconnecting";
      }
      warned = true;
      subscribed = false;
      redis.Disconnect();
      for (int i = 0; i < 10 && !stop_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
}

}  // namespace sattva::streamer
