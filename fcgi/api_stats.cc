// GET /api/v1/stats: the station's live figures (any logged-in user). The same reading
// (common/station_stats.h) feeds wsd's `stats` message.
#include "common/station_stats.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"

namespace sattva::fcgi {
namespace {

Response GetStats(RequestContext& ctx) {
  RequireLogin(ctx);
  std::vector<int64_t> ids;
  ctx.Read([&](pqxx::transaction_base& tx) { ids = common::LiveStreamIds(tx); });
  const std::vector<common::StreamFigures> streams = common::ReadStreamFigures(ctx.res.redis, ids);
  return Response::Json(200, common::StationStatsJson(common::AggregateStationStats(
                                 streams, common::ReadStreamers(ctx.res.redis))));
}

}  // namespace

void RegisterStatsApi(Router& router) { router.Add("GET", "/api/v1/stats", GetStats); }

}  // namespace sattva::fcgi
