#pragma once
// Decides which streams this streamer plays. Every reconcile period (and at once when woken by
// a control notice) it reads the streams whose desired state is running, claims the lease of
// each one nobody holds, starts a Player for it, hands edits to running players, and stops the
// players whose stream should no longer run. A lost notice does no harm: the next reconcile
// catches up. Streams whose streamer died are claimed here once their lease lapses.
//
// Run() blocks on the calling thread; Wake, Skip and RequestStop are thread-safe.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "common/redis.h"
#include "streamer/player.h"
#include "streamer/records.h"

namespace sattva::streamer {

struct SupervisorOptions {
  int64_t reconcile_ms = 1000;
  int64_t max_streams = 200;
};

class Supervisor {
 public:
  // Every reference must outlive the supervisor.
  Supervisor(PlayerDeps deps, PlayerOptions player_options, SupervisorOptions options);
  ~Supervisor();

  // Reconciles until RequestStop; then stops every player as a shutdown (the streams go on
  // elsewhere) and returns.
  void Run();
  void Wake();
  void Skip(int64_t stream_id);
  void RequestStop();
  size_t PlayingCount();

 private:
  void Reconcile();

  PlayerDeps deps_;
  PlayerOptions player_options_;
  SupervisorOptions options_;
  common::Redis redis_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  std::map<int64_t, std::unique_ptr<Player>> players_;  // guarded by mu_ (Skip reads it)
  bool pg_warned_ = false;
};

// Listens on sattva:control (Redis pub/sub) and passes notices to the supervisor: skip goes
// straight to the stream's player, everything else wakes a reconcile. Reconnects on its own.
// Start/Stop are called from one thread.
class ControlListener {
 public:
  ControlListener(common::RedisOptions redis, Supervisor& supervisor);
  ~ControlListener();
  void Start();
  void Stop();

 private:
  void Run();
  common::RedisOptions redis_;
  Supervisor& supervisor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sattva::streamer
