#pragma once
// wsd's Prometheus metrics, built once in the daemon's registry. Thread-safe (prometheus-cpp
// counters and gauges are).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace sattva::wsd {

struct WsdMetrics {
  // |registry| must outlive this.
  explicit WsdMetrics(prometheus::Registry& registry);
  WsdMetrics(const WsdMetrics&) = delete;
  WsdMetrics& operator=(const WsdMetrics&) = delete;

  prometheus::Gauge& connections;      // sattva_websocket_connections
  prometheus::Counter& messages_sent;  // sattva_ws_messages_sent_total
  prometheus::Family<prometheus::Counter>& dropped_family;
  prometheus::Counter& dropped_slow;      // sattva_ws_clients_dropped_total{reason="slow"}
  prometheus::Counter& dropped_protocol;  // sattva_ws_clients_dropped_total{reason="protocol"}
  prometheus::Counter& events_received;   // sattva_ws_events_received_total
  prometheus::Gauge& redis_up;            // sattva_ws_redis_up
};

}  // namespace sattva::wsd
