#pragma once
// What a handler gets: the request, the process-wide environment, and its worker thread's own
// connections.

#include <functional>
#include <memory>
#include <optional>

#include "common/clock.h"
#include "common/config.h"
#include "common/events.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/redis.h"
#include "fcgi/api_tokens.h"
#include "fcgi/http.h"
#include "fcgi/rate_limit.h"
#include "fcgi/sessions.h"
#include "fcgi/users.h"

namespace sattva::fcgi {

// Shared by all worker threads; everything in it is thread-safe or immutable.
struct AppEnv {
  const common::Config& config;
  const common::Clock& clock;
  common::Metrics& metrics;
};

// One per worker thread. Not thread-safe: only its own thread touches it.
struct ThreadResources {
  explicit ThreadResources(const AppEnv& env);
  std::unique_ptr<common::Pg> pg;
  common::Redis redis;
  common::EventWriter events;
  SessionStore sessions;
  RateLimiter limiter;
};

struct Principal {
  enum class Via { kSession, kToken };
  User user;
  Via via = Via::kSession;
  std::optional<Session> session;  // Via::kSession
  std::optional<ApiToken> token;   // Via::kToken
};

struct RequestContext {
  RequestContext(Request& r, const AppEnv& e, ThreadResources& t) : req(r), env(e), res(t) {}
  Request& req;
  const AppEnv& env;
  ThreadResources& res;
  // Filled by CurrentPrincipal (fcgi/auth.h).
  bool auth_resolved = false;
  std::optional<Principal> principal;
  // Extra response headers handlers want on any outcome (Set-Cookie on login).
  std::vector<std::pair<std::string, std::string>> extra_headers;

  // Runs `fn` in one read-write transaction on this thread's connection and commits it.
  // A broken connection becomes common::PgError (503).
  void Tx(const std::function<void(pqxx::work&)>& fn);
  // Runs `fn` without BEGIN/COMMIT (each statement commits by itself): for reads, where the
  // two extra round trips of a transaction buy nothing.
  void Read(const std::function<void(pqxx::transaction_base&)>& fn);
};

}  // namespace sattva::fcgi
