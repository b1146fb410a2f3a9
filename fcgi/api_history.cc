// GET /api/v1/streams/{id}/history and /api/v1/streams/{id}/sessions.
#include <algorithm>

#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "fcgi/history.h"

namespace sattva::fcgi {
namespace {

// since/until as given (ISO-8601), checked and normalised; 422 naming the bad one.
std::string TimeParam(const RequestContext& ctx, const std::string& name) {
  const std::string v = QueryString(ctx.req, name);
  if (v.empty()) return v;
  std::optional<std::string> t = ParseTimestamp(v);
  if (!t) {
    throw HttpError(422, "validation_failed",
                    name + " must be an ISO-8601 date or date-time, e.g. 2026-11-25T20:30:00Z");
  }
  return *t;
}

void RequireStream(RequestContext& ctx, int64_t sid) {
  bool exists = false;
  ctx.Read([&](pqxx::transaction_base& tx) { exists = HistoryStore::StreamExists(tx, sid); });
  if (!exists) throw HttpError(404, "not_found", "no such stream: " + std::to_string(sid));
}

Response ListHistory(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  HistoryQuery q;
  q.stream_id = PathId(ctx, "id");
  q.since = TimeParam(ctx, "since");
  q.until = TimeParam(ctx, "until");
  q.status = QueryString(ctx.req, "status");
  q.page = static_cast<int>(QueryInt(ctx.req, "page", 1, 1, 1000000));
  q.per_page = static_cast<int>(QueryInt(ctx.req, "per_page", 20, 1, 100));
  const auto& reasons = PlayEndReasons();
  if (!q.status.empty() && std::find(reasons.begin(), reasons.end(), q.status) == reasons.end()) {
    throw HttpError(422, "validation_failed",
                    "status must be finished, skipped, error or stopped");
  }
  RequireStream(ctx, q.stream_id);
  int64_t total = 0;
  Json::Value items(Json::arrayValue);
  ctx.Read([&](pqxx::transaction_base& tx) {
    for (const PlayRecord& p : HistoryStore::List(tx, q, &total)) items.append(p.ToJson());
  });
  return Response::Json(200, PageJson(items, total, q.page, q.per_page));
}

Response ListSessions(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  SessionQuery q;
  q.stream_id = PathId(ctx, "id");
  q.since = TimeParam(ctx, "since");
  q.until = TimeParam(ctx, "until");
  q.page = static_cast<int>(QueryInt(ctx.req, "page", 1, 1, 1000000));
  q.per_page = static_cast<int>(QueryInt(ctx.req, "per_page", 20, 1, 100));
  RequireStream(ctx, q.stream_id);
  int64_t total = 0;
  Json::Value items(Json::arrayValue);
  ctx.Read([&](pqxx::transaction_base& tx) {
    for (const SessionRecord& s : HistoryStore::Sessions(tx, q, &total)) {
      items.append(s.ToJson());
    }
  });
  return Response::Json(200, PageJson(items, total, q.page, q.per_page));
}

}  // namespace

void RegisterHistoryApi(Router& router) {
  router.Add("GET", "/api/v1/streams/{id}/history", ListHistory);
  router.Add("GET", "/api/v1/streams/{id}/sessions", ListSessions);
}

}  // namespace sattva::fcgi
