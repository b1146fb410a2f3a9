#include "wsd/app.h"

#include <signal.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <thread>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/redis.h"
#include "wsd/event_reader.h"
#include "wsd/event_source.h"
#include "wsd/handoff.h"
#include "wsd/wsd_metrics.h"

namespace sattva::wsd {
namespace {

constexpr size_t kRingCapacity = 4096;
constexpr std::chrono::milliseconds kShutdownDrain{1500};

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
  Backfiller backfiller(backfill_source, backfills, options.client_queue);
  reader.Start();
  backfiller.Start();
  bool clean = true;
  {
    SignalWatcher signals([&server] { server.RequestStop(); });

    // 6. Serve until a signal.
    clean = server.Run(kShutdownDrain);
  }

  // 7. Stop the Redis threads before the context goes away (they wake it).
  reader.Stop();
  backfiller.Stop();
  wake_target = nullptr;
  LOG_INFO << "stopped";
  return clean ? 0 : 1;
}

}  // namespace sattva::wsd
