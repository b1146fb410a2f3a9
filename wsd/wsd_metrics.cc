#include "wsd/wsd_metrics.h"

namespace sattva::wsd {

WsdMetrics::WsdMetrics(prometheus::Registry& registry)
    : connections(prometheus::BuildGauge()
                      .Name("sattva_websocket_connections")
                      .Help("Open WebSocket connections on /ws/stats")
                      .Register(registry)
                      .Add({})),
      messages_sent(prometheus::BuildCounter()
                        .Name("sattva_ws_messages_sent_total")
                        .Help("WebSocket messages written to clients")
                        .Register(registry)
                        .Add({})),
      dropped_family(prometheus::BuildCounter()
                         .Name("sattva_ws_clients_dropped_total")
                         .Help("WebSocket clients closed by the server, by reason")
                         .Register(registry)),
      dropped_slow(dropped_family.Add({{"reason", "slow"}})),
      dropped_protocol(dropped_family.Add({{"reason", "protocol"}})),
      events_received(prometheus::BuildCounter()
                          .Name("sattva_ws_events_received_total")
                          .Help("Events read from the Redis stream sattva:events")
                          .Register(registry)
                          .Add({})),
      redis_up(prometheus::BuildGauge()
                   .Name("sattva_ws_redis_up")
                   .Help("1 when the event reader can reach Redis, else 0")
                   .Register(registry)
                   .Add({})) {}

}  // namespace sattva::wsd
