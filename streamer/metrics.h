#pragma once
// The streamer's own metric families, built once and their children kept (see common/metrics.h).
// Thread-safe: prometheus counters and gauges are.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace sattva::streamer {

struct StreamerMetrics {
  // |registry| must outlive this object.
  explicit StreamerMetrics(prometheus::Registry& registry);
  StreamerMetrics(const StreamerMetrics&) = delete;
  StreamerMetrics& operator=(const StreamerMetrics&) = delete;

  prometheus::Gauge& up;                    // sattva_streamer_up: 1 while running
  prometheus::Counter& heartbeats;          // sattva_streamer_heartbeats_total
  prometheus::Counter& heartbeat_failures;  // sattva_streamer_heartbeat_failures_total
  prometheus::Gauge& redis_up;              // sattva_streamer_redis_up: 0 or 1
  prometheus::Gauge& active_streams;        // sattva_active_streams
};

}  // namespace sattva::streamer
