#include "streamer/app.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>
#include <thread>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/redis.h"
#include "streamer/heartbeat.h"
#include "streamer/http_server.h"
#include "streamer/listener_samples.h"
#include "streamer/live_mount.h"
#include "streamer/metrics.h"
#include "streamer/player.h"
#include "streamer/records.h"
#include "streamer/supervisor.h"

namespace sattva::streamer {
namespace {

constexpr const char* kProgram = "sattva-streamer";
constexpr std::chrono::milliseconds kHeartbeatInterval{1000};

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// Runs `fn` on its own thread; joins however RunMain leaves.
class Worker {
 public:
  explicit Worker(std::function<void()> fn) : thread_(std::move(fn)) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace

std::string ListenAddress(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int RunMain(int argc, char** argv) {
  // Block the signals we handle before any thread starts: every thread inherits the mask, so
  // SIGTERM/SIGINT reach only the sigwait below, and a write to a closed socket returns EPIPE
  // instead of killing the process.
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);

  // Config and logging.
  common::Config config;
  int exit_code = 0;
  if (!common::LoadConfigFromArgs(argc, argv, kProgram, &config, &exit_code)) return exit_code;
  common::LogLevel level = common::LogLevel::kInfo;
  common::ParseLogLevel(config.GetString("log_level"), &level);
  common::SetLogLevel(level);
  common::SetLogComponent("streamer");

  try {
    const common::Clock& clock = common::RealClock::Instance();
    HeartbeatInfo info;
    info.pid = getpid();
    info.host = Hostname();
    info.id = config.GetString("streamer_id");
    if (info.id.empty()) info.id = DefaultStreamerId(info.host, info.pid);
    info.started_at = clock.WallNow();
    info.version = SATTVA_VERSION;
    LOG_INFO << "starting streamer " << info.id << " version " << info.version;

    // Metrics: our registry plus process metrics, served by the HTTP server below.
    auto registry = std::make_shared<prometheus::Registry>();
    auto process = std::make_shared<common::ProcessCollector>();
    StreamerMetrics metrics(*registry);
    metrics.up.Set(1);

    // Redis: the first heartbeat connects and registers us (or logs that Redis is down).
    const common::RedisOptions redis_options = common::RedisOptions::FromConfig(config);
    common::Redis redis(redis_options);
    const std::chrono::milliseconds ttl(config.GetInt("streamer_heartbeat_ttl_ms"));
    const auto interval = std::min(kHeartbeatInterval, ttl / 2);
    Heartbeat heartbeat(info, ttl, interval, clock, redis, metrics);
    heartbeat.Beat();

    // PostgreSQL: one connection for records (a writer thread) and one for lookups.
    Records records(common::Pg::FromConfig(config, kProgram));
    Catalog catalog(common::Pg::FromConfig(config, kProgram));
    // Per-minute listener samples: their own writer thread and connection.
    ListenerSampleWriterOptions sample_options;
    sample_options.retention_days = config.GetInt("listener_samples_retention_days");
    ListenerSampleWriter listener_samples(common::Pg::FromConfig(config, kProgram),
                                          redis_options, clock, sample_options);

    // HTTP: live mounts, /metrics, /healthz.
    MountRegistry mounts;
    HttpServerOptions http_options;
    http_options.max_listeners = config.GetInt("live_max_listeners");
    http_options.burst_ms = config.GetInt("live_burst_ms");
    const std::string host = config.GetString("streamer_host");
    HttpServer http(host, static_cast<int>(config.GetInt("streamer_port")), mounts, http_options);
    http.SetMetricsHandler([registry, process] {
      std::vector<prometheus::MetricFamily> families = registry->Collect();
      std::vector<prometheus::MetricFamily> more = process->Collect();
      families.insert(families.end(), more.begin(), more.end());
      return prometheus::TextSerializer().Serialize(families);
    });
    std::string error;
    if (!http.Start(&error)) {
      LOG_ERROR << "cannot listen on " << ListenAddress(host, config.GetInt("streamer_port"))
                << ": " << error;
      heartbeat.Unregister();
      return 1;
    }
    LOG_INFO << "listening on " << ListenAddress(host, http.port());

    // The engine.
    PlayerOptions player_options;
    player_options.owner = info.id;
    player_options.lease_ttl_ms = config.GetInt("streamer_lease_ttl_ms");
    player_options.events_maxlen = config.GetInt("events_maxlen");
    player_options.default_placeholder = config.GetString("default_placeholder");
    player_options.bridge_dir = config.GetString("bridge_dir");
    player_options.open_timeout_ms = static_cast<int>(config.GetInt("probe_timeout_ms"));
    player_options.live_max_lag_ms = config.GetInt("live_max_lag_ms");
    SupervisorOptions supervisor_options;
    supervisor_options.reconcile_ms = config.GetInt("streamer_reconcile_ms");
    supervisor_options.max_streams = config.GetInt("streamer_max_streams");
    PlayerDeps deps{redis_options, clock, records, catalog, mounts, metrics, &listener_samples};
    Supervisor supervisor(deps, player_options, supervisor_options);
    ControlListener control(redis_options, supervisor);
    control.Start();

    heartbeat.SetStreamCounter(
        [&supervisor] { return static_cast<int64_t>(supervisor.PlayingCount()); });
    Worker heartbeat_thread([&heartbeat] { heartbeat.Run(); });
    Worker supervisor_thread([&supervisor] { supervisor.Run(); });

    // Run until SIGTERM or SIGINT.
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    LOG_INFO << "received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << "; shutting down";

    // Shut down in order: hand the streams on (their leases are released, their positions
    // kept), stop listening for notices, stop serving, stop beating.
    supervisor.RequestStop();
    supervisor_thread.Join();
    control.Stop();
    http.Stop();
    heartbeat.Stop();
    heartbeat_thread.Join();
    heartbeat.Unregister();
    metrics.up.Set(0);
    LOG_INFO << "stopped";
    return 0;
  } catch (const std::exception& e) {
    LOG_ERROR << "fatal: " << e.what();
    return 1;
  }
}

}  // namespace sattva::streamer
