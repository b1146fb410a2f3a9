#include "streamer/metrics.h"

namespace sattva::streamer {
namespace {

prometheus::Gauge& Gauge(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Counter& Counter(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Family<prometheus::Counter>& Counters(prometheus::Registry& registry,
                                                  const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
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
      active_streams(Gauge(registry, "sattva_active_streams", "Streams this streamer is playing")),
      auto_end(Counter(registry, "sattva_auto_end_total",
                       "Streams this streamer ended because nobody listened")),
      lease_takeovers(Counter(registry, "sattva_streamer_stream_claims_total",
                              "Stream leases this streamer claimed")),
      frames_sent(Counters(registry, "sattva_stream_frames_sent_total",
                           "20 ms frames a stream delivered to its sinks")),
      frames_late(Counters(registry, "sattva_stream_frames_late_total",
                           "Frames delivered after their deadline (pacing deficit)")),
      underruns(Counters(registry, "sattva_stream_underruns_total",
                         "Times a stream fell so far behind that its schedule was reset")),
      decode_errors(Counters(registry, "sattva_stream_decode_errors_total",
                             "Tracks skipped because they could not be read or decoded")),
      track_transitions(Counters(registry, "sattva_stream_track_transitions_total",
                                 "Track changes (queue items and placeholder loops)")),
      listeners(prometheus::BuildGauge()
                    .Name("sattva_stream_listeners")
                    .Help("Listeners of a stream by sink (live mount, bridge)")
                    .Register(registry)) {}

StreamMetrics::StreamMetrics(StreamerMetrics& m, const std::string& slug)
    : frames_sent(m.frames_sent.Add({{"stream", slug}})),
      frames_late(m.frames_late.Add({{"stream", slug}})),
      underruns(m.underruns.Add({{"stream", slug}})),
      decode_errors(m.decode_errors.Add({{"stream", slug}})),
      track_transitions(m.track_transitions.Add({{"stream", slug}})),
      listeners_live(m.listeners.Add({{"stream", slug}, {"sink", "live"}})),
      listeners_bridge(m.listeners.Add({{"stream", slug}, {"sink", "bridge"}})),
      m_(m) {}

StreamMetrics::~StreamMetrics() {
  m_.frames_sent.Remove(&frames_sent);
  m_.frames_late.Remove(&frames_late);
  m_.underruns.Remove(&underruns);
  m_.decode_errors.Remove(&decode_errors);
  m_.track_transitions.Remove(&track_transitions);
  m_.listeners.Remove(&listeners_live);
  m_.listeners.Remove(&listeners_bridge);
}

}  // namespace sattva::streamer
