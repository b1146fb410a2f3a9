#include "streamer/metrics.h"

namespace sattva::streamer {
namespace {

prometheus::Gauge& Gauge(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Counter& Counter(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

StreamerMetrics::StreamerMetrics(prometheus::Registry& registry)
    : up(Gauge(registry, "sattva_streamer_up", "1 while this streamer is running")),
      heartbeats(
          Counter(registry, "sattva_streamer_heartbeats_total", "Heartbeats written to Redis")),
      heartbeat_failures(Counter(registry, "sattva_streamer_heartbeat_failures_total",
                                 "Heartbeats that could not be written to Redis")),
      redis_up(Gauge(registry, "sattva_streamer_redis_up",
                     "1 when the last Redis heartbeat succeeded, else 0")),
      active_streams(Gauge(registry, "sattva_active_streams", "Streams this streamer is playing")) {
}

}  // namespace sattva::streamer
