#pragma once
// Plays one stream: pops its queue, decodes track after track with no gap, loops the
// placeholder while the queue is empty, paces 20 ms frames in real time into the sinks (live
// mount and bridge), keeps now playing, listeners and the lease in Redis, writes history and
// events, and runs auto-end.
//
// Each Player has its own thread and its own Redis connection. The supervisor creates it after
// claiming the stream's lease and talks to it only through the thread-safe methods below.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/redis.h"
#include "streamer/records.h"

namespace sattva::streamer {

class ListenerSampleWriter;
class MountRegistry;
struct StreamerMetrics;

struct PlayerOptions {
  std::string owner;  // this streamer's id, the lease value
  int64_t lease_ttl_ms = 3000;
  int64_t events_maxlen = 10000;
  std::string default_placeholder;  // a path; "" plays silence when a stream has none
  std::string bridge_dir;           // "" disables the bridge
  int open_timeout_ms = 15000;
  int64_t live_max_lag_ms = 5000;
};

// Everything a player uses that outlives it.
struct PlayerDeps {
  common::RedisOptions redis;
  const common::Clock& clock;
  Records& records;
  Catalog& catalog;
  MountRegistry& mounts;
  StreamerMetrics& metrics;
  // Per-minute listener samples (streamer/listener_samples.h); nullptr records none.
  ListenerSampleWriter* listener_samples = nullptr;
};

// Why a player stops.
enum class StopKind {
  kStopped,   // the stream's desired state became stopped (the API recorded the session end)
  kShutdown,  // this streamer exits: the stream is not over; another streamer resumes it
};

class Player {
 public:
  Player(StreamSpec spec, PlayerDeps deps, PlayerOptions options);
  Player(const Player&) = delete;
  Player& operator=(const Player&) = delete;
  // Stops (as kShutdown unless Stop was called) and joins.
  ~Player();

  void Start();
  // Thread-safe: takes effect within one frame.
  void Skip();
  void Update(const StreamSpec& spec);
  void Stop(StopKind kind);
  // True once the thread has finished on its own (lease lost, auto-end, fatal error).
  bool Finished() const { return finished_.load(); }
  int64_t id() const { return id_; }
  const std::string& slug() const { return slug_; }

 private:
  class Engine;
  void Run();

  const int64_t id_;
  const std::string slug_;
  PlayerDeps deps_;
  PlayerOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  StreamSpec spec_;             // guarded by mu_
  bool spec_changed_ = false;   // guarded by mu_
  std::optional<StopKind> stop_;  // guarded by mu_
  std::atomic<int> skips_{0};
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace sattva::streamer
