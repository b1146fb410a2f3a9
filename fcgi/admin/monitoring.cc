// The live monitoring page (/admin/monitoring, every signed-in role: streams.view). The page is
// complete as rendered (the same cards the socket keeps live): one PostgreSQL read (the running
// streams, the station's stream ids and each running stream's listener samples of the last
// hour), then Redis: one round trip for the station's figures, two for the streamer heartbeats
// (common/station_stats.h, as wsd's `stats`), one for the running streams' live views and one
// per running stream for its queue head. static/js/monitoring.js then
// connects to /ws/stats and applies the snapshot, the events, `stats` and `stream_tick`.
#include "common/clock.h"
#include "common/station_stats.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/admin/monitoring_views.h"
#include "fcgi/auth.h"
#include "fcgi/permissions.h"
#include "fcgi/stream_rules.h"

namespace sattva::fcgi {
namespace {

constexpr int kMaxCards = 200;  // running streams shown; a station this big pages elsewhere

Response Monitoring(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  MonitoringData data;
  data.now_ms = common::UnixMillis(ctx.env.clock.WallNow());
  std::vector<Stream> running;
  std::vector<int64_t> stream_ids;
  std::vector<std::vector<ListenerBucket>> samples;
  ctx.Read([&](pqxx::transaction_base& tx) {
    StreamQuery q;
    q.state = "running";
    q.sort = "title";
    q.per_page = kMaxCards;
    int64_t total = 0;
    running = StreamStore::List(tx, q, &total);
    stream_ids = common::LiveStreamIds(tx);
    samples.clear();
    for (const Stream& s : running) {
      samples.push_back(StatsStore::ListenerSeries(tx, s.id, SparklineSince(data.now_ms), 60000));
    }
  });
  // The system card from the same readers as wsd's `stats` message, so the two agree.
  data.station = common::AggregateStationStats(
      common::ReadStreamFigures(ctx.res.redis, stream_ids), common::ReadStreamers(ctx.res.redis));
  const std::vector<StreamLive> live = ReadLiveMany(ctx.res.redis, running);
  QueueStore queues = QueueOf(ctx);
  for (size_t i = 0; i < running.size(); ++i) {
    MonitoredStream m;
    m.queue = queues.Snapshot(running[i].id, kMonitoringQueueHead, /*as_rows=*/true);
    m.stream = std::move(running[i]);
    m.live = live[i];
    m.samples = std::move(samples[i]);
    data.streams.push_back(std::move(m));
  }
  LayoutInfo layout = PageLayout(ctx, p, "Monitoring", "monitoring");
  layout.styles = {"/static/css/streams.css", "/static/css/monitoring.css"};
  layout.scripts = {"/static/js/monitoring.js"};
  AdminPage page(layout, "monitoring/page.tpl");
  FillMonitoring(page.body(), p, data);
  return page.ToResponse(TemplatesDir(ctx));
}

}  // namespace

void RegisterAdminMonitoringRoutes(Router& router) {
  router.Add("GET", "/admin/monitoring", AdminHandler(Monitoring));
}

}  // namespace sattva::fcgi
