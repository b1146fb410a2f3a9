#pragma once
// The streamer's own metric families, built once and their children kept (see common/metrics.h).
// Per-stream children are made when a stream starts here and removed when it leaves, so a
// stream that moved to another streamer does not linger. Thread-safe: prometheus families,
// counters and gauges are.

#include <cstdint>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
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
  prometheus::Counter& auto_end;            // sattva_auto_end_total
  prometheus::Counter& lease_takeovers;     // sattva_streamer_stream_claims_total

  prometheus::Family<prometheus::Counter>& frames_sent;        // {stream}
  prometheus::Family<prometheus::Counter>& frames_late;        // {stream}
  prometheus::Family<prometheus::Counter>& underruns;          // {stream}
  prometheus::Family<prometheus::Counter>& decode_errors;      // {stream}
  prometheus::Family<prometheus::Counter>& track_transitions;  // {stream}
  prometheus::Family<prometheus::Gauge>& listeners;            // {stream, sink}
};

// One stream's children of the families above. Removes them when destroyed.
class StreamMetrics {
 public:
  StreamMetrics(StreamerMetrics& m, const std::string& slug);
  StreamMetrics(const StreamMetrics&) = delete;
  StreamMetrics& operator=(const StreamMetrics&) = delete;
  ~StreamMetrics();

  prometheus::Counter& frames_sent;
  prometheus::Counter& frames_late;
  prometheus::Counter& underruns;
  prometheus::Counter& decode_errors;
  prometheus::Counter& track_transitions;
  prometheus::Gauge& listeners_live;
  prometheus::Gauge& listeners_bridge;

 private:
  StreamerMetrics& m_;
};

}  // namespace sattva::streamer
