// /api/v1/streams: the stream records, their actions, and their queues.
#include "common/clock.h"
#include "common/json.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "fcgi/queue.h"
#include "fcgi/stream_rules.h"
#include "fcgi/streams.h"

namespace sattva::fcgi {
namespace {

// The handlers parse and shape JSON; the rules (permissions, validation, audit, control
// notices, queue scripts) are in fcgi/stream_rules.h, shared with the admin pages.

[[noreturn]] void Invalid(const std::string& m) { throw HttpError(422, "validation_failed", m); }
[[noreturn]] void WrongType(const std::string& m) { throw HttpError(400, "invalid_type", m); }

int64_t RequiredInt(const Json::Value& v, const char* field) {
  if (!v.isIntegral() || !v.isInt64()) WrongType(std::string(field) + " must be an integer");
  return v.asInt64();
}

std::optional<int64_t> IfVersion(const RequestContext& ctx, const Json::Value* body) {
  if (body != nullptr && body->isMember("if_version")) {
    int64_t v = RequiredInt((*body)["if_version"], "if_version");
    if (v < 0) Invalid("if_version must not be negative");
    return v;
  }
  if (ctx.req.QueryParam("if_version") != nullptr) {
    return QueryInt(ctx.req, "if_version", 0, 0, INT64_MAX);
  }
  return std::nullopt;
}

Json::Value NowPlayingJson(const StreamLive& live, int64_t now_ms) {
  if (live.now_item.empty()) return Json::Value(Json::nullValue);
  Json::Value np(Json::objectValue);
  Json::Value item;
  std::string err;
  if (common::ParseJson(live.now_item, &item, &err) && item.isObject()) {
    for (const auto& name : item.getMemberNames()) np[name] = item[name];
  }
  np["started_at"] = live.now_started_at;
  const Json::Value& t = item["track"];
  const int64_t duration_ms =
      t.isObject() && t["duration_ms"].isIntegral() ? t["duration_ms"].asInt64() : 0;
  const bool looping = item["placeholder"].isBool() && item["placeholder"].asBool();
  np["position_ms"] = common::JsonInt(PlaybackPositionMs(live, duration_ms, looping, now_ms));
  return np;
}

Json::Value StreamJson(RequestContext& ctx, const Stream& s, const StreamLive& live) {
  Json::Value v = s.ToJson();
  v["state"] = live.state;
  v["listeners"] = common::JsonInt(live.listeners);
  v["listeners_live"] = common::JsonInt(live.listeners_live);
  v["listeners_bridge"] = common::JsonInt(live.listeners_bridge);
  const AutoEndView a = AutoEndOf(s, live, common::UnixMillis(ctx.env.clock.WallNow()));
  Json::Value ae(Json::objectValue);
  ae["enabled"] = s.auto_end_enabled;
  ae["timeout_s"] = common::JsonInt(s.auto_end_timeout_s);
  ae["armed"] = a.armed;
  ae["deadline"] = Json::Value(Json::nullValue);
  ae["seconds_remaining"] = Json::Value(Json::nullValue);
  if (a.armed) {
    ae["deadline"] =
        common::IsoUtcMillis(common::Clock::WallTime(std::chrono::milliseconds(a.deadline_ms)));
    ae["seconds_remaining"] = common::JsonInt(a.seconds_remaining);
  }
  v["auto_end"] = ae;
  v["queue_length"] = common::JsonInt(live.queue_length);
  v["queue_version"] = common::JsonInt(live.queue_version);
  v["now_playing"] = NowPlayingJson(live, common::UnixMillis(ctx.env.clock.WallNow()));
  return v;
}

Json::Value StreamJson(RequestContext& ctx, const Stream& s) {
  return StreamJson(ctx, s, ReadLive(ctx.res.redis, s));
}

Json::Value ChangeJson(const QueueChange& c) {
  Json::Value v(Json::objectValue);
  v["version"] = common::JsonInt(c.version);
  v["length"] = common::JsonInt(c.length);
  return v;
}

// --- streams ----------------------------------------------------------------------------------

Response ListStreams(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  StreamQuery q;
  q.page = static_cast<int>(QueryInt(ctx.req, "page", 1, 1, 1000000));
  q.per_page = static_cast<int>(QueryInt(ctx.req, "per_page", 50, 1, 200));
  int64_t total = 0;
  std::vector<Stream> streams;
  ctx.Read([&](pqxx::transaction_base& tx) { streams = StreamStore::List(tx, q, &total); });
  const std::vector<StreamLive> live = ReadLiveMany(ctx.res.redis, streams);
  Json::Value items(Json::arrayValue);
  for (size_t i = 0; i < streams.size(); ++i) items.append(StreamJson(ctx, streams[i], live[i]));
  return Response::Json(200, PageJson(items, total, q.page, q.per_page));
}

Response CreateStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  CheckCsrf(ctx, p);
  const Stream s = CreateStreamChecked(ctx, p, StreamFieldsFromJson(ParseJsonBody(ctx.req), true));
  Response r = Response::Json(201, StreamJson(ctx, s));
  r.SetHeader("Location", "/api/v1/streams/" + std::to_string(s.id));
  return r;
}

Response GetStream(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  return Response::Json(200, StreamJson(ctx, LoadStreamOr404(ctx, PathId(ctx, "id"))));
}

Response PatchStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  CheckCsrf(ctx, p);
  const int64_t id = PathId(ctx, "id");
  const StreamFields f = StreamFieldsFromJson(ParseJsonBody(ctx.req), false);
  return Response::Json(200, StreamJson(ctx, UpdateStreamChecked(ctx, p, id, f)));
}

Response DeleteStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  CheckCsrf(ctx, p);
  DeleteStreamChecked(ctx, p, PathId(ctx, "id"));
  return Response::NoContent();
}

Response StreamAction(RequestContext& ctx, const std::string& action) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  CheckCsrf(ctx, p);
  const Stream s = StreamActionChecked(ctx, p, PathId(ctx, "id"), action);
  return Response::Json(action == "skip" ? 202 : 200, StreamJson(ctx, s));
}

// --- queue ------------------------------------------------------------------------------------

Response GetQueue(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  const int64_t sid = PathId(ctx, "id");
  bool live = false;
  ctx.Read([&](pqxx::transaction_base& tx) { live = StreamStore::IsLive(tx, sid); });
  if (!live) throw HttpError(404, "not_found", "no such stream: " + std::to_string(sid));
  Response r;
  r.SetHeader("Content-Type", "application/json; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.body = QueueOf(ctx).Snapshot(sid).ToJsonText(sid);
  return r;
}

Response AddToQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueAdd);
  CheckCsrf(ctx, p);
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"track_id", "track_ids", "at", "if_version"});
  std::vector<int64_t> track_ids;
  if (body.isMember("track_id") == body.isMember("track_ids")) {
    Invalid("give exactly one of track_id or track_ids");
  }
  if (body.isMember("track_id")) {
    track_ids.push_back(RequiredInt(body["track_id"], "track_id"));
  } else {
    const Json::Value& arr = body["track_ids"];
    if (!arr.isArray()) WrongType("track_ids must be an array of integers");
    if (arr.empty() || arr.size() > 1000) Invalid("track_ids must hold 1 to 1000 ids");
    for (const auto& t : arr) track_ids.push_back(RequiredInt(t, "track_ids[]"));
  }
  std::string at = "end";
  if (body.isMember("at")) {
    const Json::Value& a = body["at"];
    if (a.isString() && (a.asString() == "end" || a.asString() == "next")) {
      at = a.asString();
    } else if (a.isIntegral() && a.isInt64()) {
      if (a.asInt64() < 1) Invalid("at must be \"end\", \"next\" or a position from 1");
      at = std::to_string(a.asInt64());
    } else if (a.isString()) {
      Invalid("at must be \"end\", \"next\" or a position from 1");
    } else {
      WrongType("at must be \"end\", \"next\" or an integer position");
    }
  }
  const std::optional<int64_t> if_version = IfVersion(ctx, &body);
  std::vector<std::string> ids;
  const QueueChange change =
      AddToQueueChecked(ctx, p, PathId(ctx, "id"), track_ids, at, if_version, &ids);
  Json::Value out = ChangeJson(change);
  out["item_ids"] = Json::Value(Json::arrayValue);
  for (const auto& id : ids) out["item_ids"].append(id);
  return Response::Json(201, out);
}

Response RemoveFromQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueAdd);
  CheckCsrf(ctx, p);
  const QueueChange change = RemoveFromQueueChecked(
      ctx, p, PathId(ctx, "id"), ctx.req.params.at("item_id"), IfVersion(ctx, nullptr));
  return Response::Json(200, ChangeJson(change));
}

Response MoveInQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueManage);
  CheckCsrf(ctx, p);
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"to", "if_version"});
  if (!body.isMember("to")) Invalid("to is required");
  const int64_t to = RequiredInt(body["to"], "to");
  const QueueChange change = MoveInQueueChecked(ctx, p, PathId(ctx, "id"),
                                                ctx.req.params.at("item_id"), to,
                                                IfVersion(ctx, &body));
  return Response::Json(200, ChangeJson(change));
}

Response ShuffleQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueManage);
  CheckCsrf(ctx, p);
  Json::Value body(Json::objectValue);
  if (!ctx.req.body.empty()) body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"if_version"});
  return Response::Json(
      200, ChangeJson(ShuffleQueueChecked(ctx, p, PathId(ctx, "id"), IfVersion(ctx, &body))));
}

Response ClearQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueManage);
  CheckCsrf(ctx, p);
  return Response::Json(
      200, ChangeJson(ClearQueueChecked(ctx, p, PathId(ctx, "id"), IfVersion(ctx, nullptr))));
}

}  // namespace

void RegisterStreamsApi(Router& router) {
  router.Add("GET", "/api/v1/streams", ListStreams);
  router.Add("POST", "/api/v1/streams", CreateStream);
  router.Add("GET", "/api/v1/streams/{id}", GetStream);
  router.Add("PATCH", "/api/v1/streams/{id}", PatchStream);
  router.Add("DELETE", "/api/v1/streams/{id}", DeleteStream);
  router.Add("POST", "/api/v1/streams/{id}/start",
             [](RequestContext& c) { return StreamAction(c, "start"); });
  router.Add("POST", "/api/v1/streams/{id}/stop",
             [](RequestContext& c) { return StreamAction(c, "stop"); });
  router.Add("POST", "/api/v1/streams/{id}/skip",
             [](RequestContext& c) { return StreamAction(c, "skip"); });
  router.Add("GET", "/api/v1/streams/{id}/queue", GetQueue);
  router.Add("POST", "/api/v1/streams/{id}/queue", AddToQueue);
  router.Add("DELETE", "/api/v1/streams/{id}/queue", ClearQueue);
  router.Add("POST", "/api/v1/streams/{id}/queue/shuffle", ShuffleQueue);
  router.Add("DELETE", "/api/v1/streams/{id}/queue/{item_id}", RemoveFromQueue);
  router.Add("POST", "/api/v1/streams/{id}/queue/{item_id}/move", MoveInQueue);
}

}  // namespace sattva::fcgi
