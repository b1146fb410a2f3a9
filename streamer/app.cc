#include "streamer/app.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <thread>

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/redis.h"
#include "streamer/heartbeat.h"
#include "streamer/metrics.h"

namespace sattva::streamer {
namespace {

constexpr const char* kProgram = "sattva-streamer";
constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
constexpr int kPgRetrySeconds = 5;

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// One round trip to PostgreSQL. The streamer does not need it yet, so an outage is a warning,
// logged on the first failure only (`first`); the retries fail quietly.
bool CheckPg(common::Pg& pg, bool first) {
  try {
    pg.Run([](pqxx::connection& c) {
      pqxx::nontransaction n(c);
      n.exec("SELECT 1");
    });
    return true;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (first) {
      LOG_WARN << "postgres is unavailable; retrying every " << kPgRetrySeconds << " s: " << msg;
    } else {
      LOG_DEBUG << "postgres is still unavailable: " << msg;
    }
    return false;
  }
}

// Runs |heartbeat| on its own thread; stopping and joining happen however RunMain leaves.
class HeartbeatThread {
 public:
  explicit HeartbeatThread(Heartbeat& heartbeat)
      : heartbeat_(heartbeat), thread_([this] { heartbeat_.Run(); }) {}
  HeartbeatThread(const HeartbeatThread&) = delete;
  HeartbeatThread& operator=(const HeartbeatThread&) = delete;
  ~HeartbeatThread() { Join(); }
  void Join() {
    heartbeat_.Stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  Heartbeat& heartbeat_;
  std::thread thread_;
};

}  // namespace

std::string ListenAddress(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int RunMain(int argc, char** argv) {
  // Block the signals we handle before any thread starts: every thread inherits the mask, so
  // SIGTERM/SIGINT reach only the sigtimedwait below, and a write to a closed socket returns
  // EPIPE instead of killing the process.
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

    // Metrics: our registry plus process metrics. Both outlive the exposer (declared first).
    auto registry = std::make_shared<prometheus::Registry>();
    auto process = std::make_shared<common::ProcessCollector>();
    StreamerMetrics metrics(*registry);
    metrics.up.Set(1);

    // Redis: the first heartbeat connects and registers us (or logs that Redis is down).
    common::RedisOptions redis_options = common::RedisOptions::FromConfig(config);
    common::Redis redis(redis_options);
    const std::chrono::milliseconds ttl(config.GetInt("streamer_heartbeat_ttl_ms"));
    // A beat at least twice per TTL, so one late beat never lets the key expire.
    const auto interval = std::min(kHeartbeatInterval, ttl / 2);
    Heartbeat heartbeat(info, ttl, interval, clock, redis, metrics);
    heartbeat.Beat();

    // PostgreSQL: one round trip now; retried below until it answers.
    auto pg = common::Pg::FromConfig(config, kProgram);
    bool pg_ok = CheckPg(*pg, true);
    if (pg_ok) {
      LOG_INFO << "postgres is reachable";
    }

    // /metrics.
    const std::string host = config.GetString("streamer_host");
    const std::string address =
        ListenAddress(host, static_cast<int>(config.GetInt("streamer_port")));
    std::unique_ptr<prometheus::Exposer> exposer;
    try {
      exposer = std::make_unique<prometheus::Exposer>(address);
    } catch (const std::exception& e) {
      LOG_ERROR << "cannot listen on " << address << ": " << e.what();
      heartbeat.Unregister();
      return 1;
    }
    exposer->RegisterCollectable(registry);
    exposer->RegisterCollectable(process);
    const std::vector<int> ports = exposer->GetListeningPorts();
    if (ports.empty()) {
      LOG_ERROR << "cannot listen on " << address << ": no listening port";
      heartbeat.Unregister();
      return 1;
    }
    LOG_INFO << "listening on " << ListenAddress(host, ports.front());

    // Run until SIGTERM or SIGINT.
    HeartbeatThread heartbeat_thread(heartbeat);
    while (true) {
      struct timespec timeout = {kPgRetrySeconds, 0};
      const int sig = sigtimedwait(&stop_signals, nullptr, &timeout);
      if (sig == SIGTERM || sig == SIGINT) {
        LOG_INFO << "received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << "; shutting down";
        break;
      }
      if (sig < 0 && errno != EAGAIN && errno != EINTR) {
        LOG_ERROR << "sigtimedwait failed: " << std::strerror(errno);
        break;
      }
      if (!pg_ok && (pg_ok = CheckPg(*pg, false))) {
        LOG_INFO << "postgres is reachable again";
      }
    }

    // Shut down in reverse: stop beating, unregister, stop serving. (civetweb's stop can take
    // up to ~2 s; the heartbeat is already gone by then.)
    heartbeat_thread.Join();
    heartbeat.Unregister();
    metrics.up.Set(0);
    exposer.reset();
    LOG_INFO << "stopped";
    return 0;
  } catch (const std::exception& e) {
    LOG_ERROR << "fatal: " << e.what();
    return 1;
  }
}

}  // namespace sattva::streamer
