#include "fcgi/app.h"

#include <signal.h>

#include <chrono>
#include <cstring>
#include <iostream>

#include <unistd.h>

extern "C" {
#include <libavutil/log.h>
}

#include "common/log.h"
#include "common/password.h"
#include "fcgi/admin/routes.h"
#include "fcgi/api.h"
#include "fcgi/health.h"
#include "fcgi/openapi.h"
#include "fcgi/server.h"

namespace sattva::fcgi {
namespace {

Response HandleMetrics(RequestContext& ctx) {
  Response r;
  r.SetHeader("Content-Type", common::Metrics::kContentType);
  r.SetHeader("Cache-Control", "no-store");
  r.body = ctx.env.metrics.Serialize();
  return r;
}

}  // namespace

void RegisterRoutes(Router& router) {
  router.Add("GET", "/api/v1/health", HandleHealth);
  router.Add("GET", "/api/v1/openapi.yaml", HandleOpenApi);
  router.Add("GET", "/metrics", HandleMetrics);
  RegisterAuthApi(router);
  RegisterUsersApi(router);
  RegisterTokensApi(router);
  RegisterAuditApi(router);
  RegisterTracksApi(router);
  RegisterStreamsApi(router);
  RegisterHistoryApi(router);
  RegisterStatsApi(router);
  RegisterPublicRoutes(router);
  RegisterWsApi(router);
  RegisterAdminRoutes(router);
}

int RunMain(int argc, char** argv) {
  // 1. Configuration. A bad config is a clear message and exit 1.
  common::Config config = common::Config::FromOverrides({});
  int code = 0;
  if (!common::LoadConfigFromArgs(argc, argv, "sattva-fcgi", &config, &code)) return code;
  common::LogLevel level;
  common::ParseLogLevel(config.GetString("log_level"), &level);
  common::SetLogLevel(level);
  common::SetLogComponent("fcgi");

  // 2. Signals: blocked in every thread (workers inherit the mask); main waits for them.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // FFmpeg (the track probe) reports through our error messages; its own log lines only repeat
  // them.
  av_log_set_level(AV_LOG_FATAL);

  // 3. Real dependencies.
  try {
    common::InitCrypto();
  } catch (const std::exception& e) {
    LOG_ERROR << e.what();
    return 1;
  }
  // The admin pages need their templates: a wrong templates_dir is a startup error, not a 500
  // on the first page view.
  const std::string templates = config.GetString("templates_dir") + "/layout.tpl";
  if (access(templates.c_str(), R_OK) != 0) {
    LOG_ERROR << "templates_dir: cannot read " << templates << " (set templates_dir to the "
              << "repository's templates/ directory)";
    return 1;
  }
  common::Metrics metrics;
  AppEnv env{config, common::RealClock::Instance(), metrics};
  Router router;
  RegisterRoutes(router);
  Server server(router, env);
  const std::string address = config.GetString("fcgi_socket");
  try {
    server.Listen(address);
  } catch (const std::exception& e) {
    LOG_ERROR << e.what();
    return 1;
  }
  const int threads = static_cast<int>(config.GetInt("fcgi_threads"));
  server.Start(threads);
  LOG_INFO << "listening on " << address << " with " << threads << " threads";

  // 4. Run until told to stop.
  for (;;) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      LOG_INFO << "SIGHUP ignored (restart to reload the config)";
      continue;
    }
    LOG_INFO << "received " << strsignal(sig) << "; finishing " << server.in_flight()
             << " in-flight request(s)";
    break;
  }
  const auto grace = std::chrono::milliseconds(config.GetInt("shutdown_grace_ms"));
  if (!server.Shutdown(grace)) {
    LOG_WARN << "requests still running after " << grace.count() << " ms; exiting anyway";
    std::cerr.flush();
    _exit(0);
  }
  LOG_INFO << "stopped";
  return 0;
}

}  // namespace sattva::fcgi
