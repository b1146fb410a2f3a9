#include "wsd/app.h"

#include <signal.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <thread>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/redis.h"
#include "wsd/access.h"
#include "wsd/access_watch.h"
#include "wsd/event_reader.h"
#include "wsd/event_source.h"
#include "wsd/handoff.h"
#include "wsd/live_stats.h"
#include "wsd/snapshot.h"
#include "wsd/wsd_metrics.h"

namespace sattva::wsd {
namespace {

constexpr size_t kRingCapacity = 4096;
// A snapshot serves every client that connects within this long of it, so that thousands of
// connects at once cost a few reads; the events after its id cover the difference.
constexpr std::chrono::milliseconds kSnapshotMaxAge{250};
constexpr std::chrono::milliseconds kShutdownDrain{1500};
// How often the watcher re-checks the credentials in use; also how long the service thread
// trusts a credential it checked.
constexpr std::chrono::milliseconds kAccessRecheck{2000};

// Waits for SIGTERM/SIGINT on its own thread (they are blocked everywhere else) and calls
// |on_signal| once.
class SignalWatcher {
 public:
  template <typename F>
  explicit SignalWatcher(F on_signal)
      : thread_([this, on_signal] {
          sigset_t set;
          sigemptyset(&set);
          sigaddset(&set, SIGTERM);
          sigaddset(&set, SIGINT);
          const timespec poll = {0, 200 * 1000 * 1000};
          while (!done_.load()) {
            int sig = sigtimedwait(&set, nullptr, &poll);
            if (sig == SIGTERM || sig == SIGINT) {
              LOG_INFO << "received " << strsignal(sig) << "; shutting down";
              on_signal();
              return;
            }
          }
        }) {}
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

void BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

ServerOptions ServerOptionsFromConfig(const common::Config& config) {
  ServerOptions o;
  o.host = config.GetString("wsd_host");
  o.port = static_cast<int>(config.GetInt("wsd_port"));
  o.max_clients = static_cast<size_t>(config.GetInt("wsd_max_clients"));
  o.client_queue = static_cast<size_t>(config.GetInt("wsd_client_queue"));
  o.ping_interval_s = static_cast<int>(config.GetInt("wsd_ping_interval_s"));
  return o;
}

CapLimits CapLimitsFromConfig(const common::Config& config) {
  CapLimits c;
  c.per_session = static_cast<size_t>(config.GetInt("wsd_max_per_session"));
  c.per_address = static_cast<size_t>(config.GetInt("wsd_max_per_address"));
  c.per_token = static_cast<size_t>(config.GetInt("wsd_max_per_token"));
  return c;
}

int RunMain(int argc, char** argv) {
  // 1. Configuration and logging.
  common::Config config;
  int exit_code = 0;
  if (!common::LoadConfigFromArgs(argc, argv, "sattva-wsd", &config, &exit_code)) {
    return exit_code;
  }
  common::LogLevel level = common::LogLevel::kInfo;
  common::ParseLogLevel(config.GetString("log_level"), &level);
  common::SetLogLevel(level);
  common::SetLogComponent("wsd");

  // 2. Signals: blocked before any thread starts, so every thread inherits the mask and only
  //    the watcher receives SIGTERM/SIGINT. SIGPIPE stays blocked: writes fail with EPIPE.
  BlockSignals();

  // 3. The pieces. The hand-off queues wake the service thread through the server.
  const ServerOptions options = ServerOptionsFromConfig(config);
  const common::RedisOptions redis_options = common::RedisOptions::FromConfig(config);
  common::Metrics metrics;
  WsdMetrics wsd_metrics(metrics.registry());
  RedisHealth health;
  std::atomic<Server*> wake_target{nullptr};
  auto wake = [&wake_target] {
    if (Server* s = wake_target.load()) s->Wake();
  };
  EventRing ring(kRingCapacity, wake);
  BackfillExchange backfills(wake);
  Server server(options, ring, backfills, health, metrics, wsd_metrics,
                common::RealClock::Instance());
  // Live data: stats and stream_tick samples (wsd/live_stats.h) reach the service thread
  // through this queue; the latest stats also go into every snapshot.
  SampleQueue samples(wake);
  LatestStats latest_stats;
  server.set_samples(&samples);

  // Access control (wsd/access.h): the service thread checks upgrades on its own Redis and
  // PostgreSQL connections; the watcher re-checks what is in use on its own.
  const std::chrono::seconds session_idle(config.GetInt("session_idle_timeout_s"));
  const std::chrono::seconds session_absolute(config.GetInt("session_absolute_timeout_s"));
  common::Redis access_redis(redis_options);
  std::unique_ptr<common::Pg> access_pg = common::Pg::FromConfig(config, "sattva-wsd");
  AuthenticatorOptions auth_options;
  auth_options.public_origin = OriginOfUrl(config.GetString("public_url"));
  auth_options.cache_ttl = kAccessRecheck;
  auth_options.session_idle = session_idle;
  auth_options.session_absolute = session_absolute;
  Authenticator authenticator(access_redis, *access_pg, common::RealClock::Instance(),
                              auth_options);
  CredentialRegistry registry;
  RevocationQueue revocations(wake);
  server.SetAccess(
      ServerAccess{&authenticator, &registry, &revocations, CapLimitsFromConfig(config)});
  common::Redis watch_redis(redis_options);
  std::unique_ptr<common::Pg> watch_pg = common::Pg::FromConfig(config, "sattva-wsd-watch");
  WatcherOptions watcher_options;
  watcher_options.period = kAccessRecheck;
  watcher_options.session_idle = session_idle;
  watcher_options.session_absolute = session_absolute;
  AccessWatcher watcher(registry, revocations, watch_redis, *watch_pg,
                        common::RealClock::Instance(), watcher_options);

  // 4. Listen; a port in use or a bad address ends here.
  try {
    server.Listen();
  } catch (const std::exception& e) {
    LOG_ERROR << e.what();
    return 1;
  }
  wake_target = &server;
  LOG_INFO << "listening on " << options.host << ":" << server.port() << " (WebSocket "
           << kStatsPath << ", HTTP /metrics /healthz)";

  // 5. The Redis threads and the signal watcher.
  ReaderOptions reader_options;
  RedisEventSource reader_source(redis_options, reader_options.block_ms);
  RedisEventSource backfill_source(redis_options, 0);
  EventReader reader(reader_source, ring, health, wsd_metrics, reader_options);
  // Snapshots (wsd/snapshot.h) are read on the backfill thread, with its own PostgreSQL
  // connection (made there, on first use) and Redis connection.
  PgRedisSnapshotSource snapshot_source(common::Pg::FromConfig(config, "sattva-wsd-snapshot"),
                                        redis_options);
  SnapshotCache snapshots(snapshot_source, common::RealClock::Instance(),
                          [&latest_stats] { return latest_stats.Get(); }, kSnapshotMaxAge);
  Backfiller backfiller(backfill_source, backfills, options.client_queue);
  backfiller.set_snapshots(&snapshots);
  LiveStatsOptions live_options;
  live_options.stats_interval_s = static_cast<int>(config.GetInt("stats_interval_s"));
  LiveStats live_stats(
      common::Pg::FromConfig(config, "sattva-wsd-stats"), redis_options, samples, latest_stats,
      [&wsd_metrics] { return wsd_metrics.events_received.Value(); },
      [&wsd_metrics] { return static_cast<int64_t>(wsd_metrics.connections.Value()); },
      common::RealClock::Instance(), live_options);
  reader.Start();
  backfiller.Start();
  live_stats.Start();
  watcher.Start();
  bool clean = true;
  {
    SignalWatcher signals([&server] { server.RequestStop(); });

    // 6. Serve until a signal.
    clean = server.Run(kShutdownDrain);
  }

  // 7. Stop the Redis threads before the context goes away (they wake it).
  reader.Stop();
  backfiller.Stop();
  live_stats.Stop();
  watcher.Stop();
  wake_target = nullptr;
  LOG_INFO << "stopped";
  return clean ? 0 : 1;
}

}  // namespace sattva::wsd
