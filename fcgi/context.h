#pragma once
// What a handler gets: the request, the process-wide environment, and its worker thread's own
// connections.

#include <memory>

#include "common/clock.h"
#include "common/config.h"
#include "common/events.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/redis.h"
#include "fcgi/http.h"

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
};

struct RequestContext {
  Request& req;
  const AppEnv& env;
  ThreadResources& res;
};

}  // namespace sattva::fcgi
