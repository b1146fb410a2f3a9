// The public status page (/) and GET /api/v1/public/now-playing: no login. Each is one prepared
// query and one Redis round trip, and may be cached for two seconds. Only public streams that a
// streamer reports running appear; hidden ones are never read at all.
#include "common/clock.h"
#include "fcgi/api.h"
#include "fcgi/public_views.h"
#include "fcgi/stats.h"
#include "fcgi/templates.h"

namespace sattva::fcgi {
namespace {

constexpr const char* kCacheControl = "public, max-age=2";

std::vector<PublicStream> ReadPublic(RequestContext& ctx, std::string* generated_at) {
  std::vector<Stream> streams;
  ctx.Read([&](pqxx::transaction_base& tx) { streams = StatsStore::PublicRunning(tx); });
  const std::vector<StreamLive> live = ReadLiveMany(ctx.res.redis, streams);
  const common::Clock::WallTime now = ctx.env.clock.WallNow();
  *generated_at = common::IsoUtcMillis(now);
  return BuildPublicStreams(streams, live, common::UnixMillis(now));
}

Response StatusPage(RequestContext& ctx) {
  std::string generated_at;
  const std::vector<PublicStream> streams = ReadPublic(ctx, &generated_at);
  ctemplate::TemplateDictionary dict("public_status");
  FillPublicStatus(&dict, streams, generated_at);
  Response r;
  r.status = 200;
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  r.SetHeader("Cache-Control", kCacheControl);
  r.body = RenderTemplate(ctx.env.config.GetString("templates_dir"), "public/status.tpl", dict);
  return r;
}

Response NowPlaying(RequestContext& ctx) {
  std::string generated_at;
  const std::vector<PublicStream> streams = ReadPublic(ctx, &generated_at);
  Response r = Response::Json(200, PublicNowPlayingJson(streams, generated_at));
  r.SetHeader("Cache-Control", kCacheControl);
  return r;
}

}  // namespace

void RegisterPublicRoutes(Router& router) {
  router.Add("GET", "/", StatusPage);
  router.Add("GET", "/api/v1/public/now-playing", NowPlaying);
}

}  // namespace sattva::fcgi
