// /api/v1/streams: the stream records, their actions, and their queues.
#include <map>
#include <random>
#include <set>
#include <regex>

#include "common/clock.h"
#include "common/json.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "fcgi/queue.h"
#include "fcgi/streams.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
namespace {

[[noreturn]] void Invalid(const std::string& m) { throw HttpError(422, "validation_failed", m); }
[[noreturn]] void WrongType(const std::string& m) { throw HttpError(400, "invalid_type", m); }

std::optional<int64_t> OptionalId(const Json::Value& v, const char* field) {
  if (v.isNull()) return std::nullopt;
  if (!v.isIntegral() || !v.isInt64()) WrongType(std::string(field) + " must be an integer or null");
  if (v.asInt64() <= 0) Invalid(std::string(field) + " must be positive");
  return v.asInt64();
}

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

StreamFields ParseStreamFields(const Json::Value& body, bool create) {
  RejectUnknownFields(body, {"slug", "title", "description", "placeholder_track_id", "auto_end_enabled",
                       "auto_end_timeout_s"});
  StreamFields f;
  static const std::regex kSlug("^[a-z0-9][a-z0-9-]{0,62}$");
  if (body.isMember("slug")) {
    f.slug = JsonString(body, "slug", 200);
    if (!std::regex_match(*f.slug, kSlug)) {
      Invalid("slug must be 1 to 63 lower-case letters, digits or '-', starting with a letter or "
              "digit");
    }
  }
  if (body.isMember("title")) {
    f.title = JsonString(body, "title", 2000);
    if (f.title->empty()) Invalid("title must not be empty");
    ValidateDisplayName(*f.title);  // valid UTF-8, <= 200 characters, no control characters
  }
  if (body.isMember("description")) {
    f.description = JsonString(body, "description", 20000);
    if (!common::IsValidUtf8(*f.description)) Invalid("description is not valid UTF-8");
    if (f.description->size() > 5000) Invalid("description is longer than 5000 bytes");
  }
  if (body.isMember("placeholder_track_id")) {
    f.placeholder_track_id = OptionalId(body["placeholder_track_id"], "placeholder_track_id");
  }
  if (body.isMember("auto_end_enabled")) {
    if (!body["auto_end_enabled"].isBool()) WrongType("auto_end_enabled must be true or false");
    f.auto_end_enabled = body["auto_end_enabled"].asBool();
  }
  if (body.isMember("auto_end_timeout_s")) {
    f.auto_end_timeout_s = RequiredInt(body["auto_end_timeout_s"], "auto_end_timeout_s");
    if (*f.auto_end_timeout_s < 10 || *f.auto_end_timeout_s > 86400) {
      Invalid("auto_end_timeout_s must be from 10 to 86400");
    }
  }
  if (create && (!f.slug || !f.title)) Invalid("slug and title are required");
  return f;
}

Json::Value StreamJson(RequestContext& ctx, const Stream& s) {
  Json::Value v = s.ToJson();
  StreamLive live = ReadLive(ctx.res.redis, s);
  v["state"] = live.state;
  v["listeners"] = common::JsonInt(live.listeners);
  // The deadline follows the stream's current timeout, so an edit shows at once.
  Json::Value ae(Json::objectValue);
  ae["enabled"] = s.auto_end_enabled;
  ae["timeout_s"] = common::JsonInt(s.auto_end_timeout_s);
  ae["armed"] = live.auto_end_zero_since_ms > 0;
  ae["deadline"] = Json::Value(Json::nullValue);
  ae["seconds_remaining"] = Json::Value(Json::nullValue);
  if (live.auto_end_zero_since_ms > 0) {
    const int64_t deadline_ms = live.auto_end_zero_since_ms + s.auto_end_timeout_s * 1000;
    const int64_t now_ms = common::UnixMillis(ctx.env.clock.WallNow());
    ae["deadline"] =
        common::IsoUtcMillis(common::Clock::WallTime(std::chrono::milliseconds(deadline_ms)));
    ae["seconds_remaining"] =
        common::JsonInt(deadline_ms <= now_ms ? 0 : (deadline_ms - now_ms + 999) / 1000);
  }
  v["auto_end"] = ae;
  QueueStore q(ctx.res.redis, ctx.env.config.GetInt("events_maxlen"));
  QueueSnapshot snap = q.Snapshot(s.id);
  v["queue_length"] = static_cast<Json::Int64>(snap.items.size());
  v["queue_version"] = common::JsonInt(snap.version);
  v["now_playing"] = snap.now_playing;
  return v;
}

Stream LoadStream(RequestContext& ctx, pqxx::transaction_base& tx, bool lock = false) {
  const int64_t id = PathId(ctx, "id");
  std::optional<Stream> s = StreamStore::Find(tx, id, lock);
  if (!s) throw HttpError(404, "not_found", "no such stream: " + std::to_string(id));
  return *s;
}

void Publish(RequestContext& ctx, int64_t sid, const std::string& action, int64_t actor) {
  Json::Value m(Json::objectValue);
  m["stream_id"] = common::JsonInt(sid);
  m["action"] = action;
  m["actor"] = common::JsonInt(actor);
  m["ts"] = common::IsoUtcMillis(ctx.env.clock.WallNow());
  ctx.res.redis.Checked({"PUBLISH", kControlChannel, common::WriteJson(m)});
}

bool Privileged(const Principal& p) { return p.user.role != Role::kUser; }

// --- streams ----------------------------------------------------------------------------------

Response ListStreams(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  const int page = static_cast<int>(QueryInt(ctx.req, "page", 1, 1, 1000000));
  const int per_page = static_cast<int>(QueryInt(ctx.req, "per_page", 50, 1, 200));
  int64_t total = 0;
  std::vector<Stream> streams;
  ctx.Tx([&](pqxx::work& tx) { streams = StreamStore::List(tx, page, per_page, &total); });
  Json::Value items(Json::arrayValue);
  for (const auto& s : streams) items.append(StreamJson(ctx, s));
  return Response::Json(200, PageJson(items, total, page, per_page));
}

Response CreateStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  CheckCsrf(ctx, p);
  StreamFields f = ParseStreamFields(ParseJsonBody(ctx.req), true);
  Stream s;
  ctx.Tx([&](pqxx::work& tx) {
    s = StreamStore::Create(tx, f);
    AuditEntry e = AuditFor(ctx, "stream.create", "stream", std::to_string(s.id));
    e.changes = s.ToJson();
    AuditLog::Write(tx, e);
  });
  Response r = Response::Json(201, StreamJson(ctx, s));
  r.SetHeader("Location", "/api/v1/streams/" + std::to_string(s.id));
  return r;
}

Response GetStream(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  Stream s;
  ctx.Read([&](pqxx::transaction_base& tx) { s = LoadStream(ctx, tx); });
  return Response::Json(200, StreamJson(ctx, s));
}

Response PatchStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  CheckCsrf(ctx, p);
  StreamFields f = ParseStreamFields(ParseJsonBody(ctx.req), false);
  Stream after;
  ctx.Tx([&](pqxx::work& tx) {
    Stream before = LoadStream(ctx, tx, true);
    after = StreamStore::Update(tx, before, f);
    AuditEntry e = AuditFor(ctx, "stream.update", "stream", std::to_string(before.id));
    Json::Value b = before.ToJson(), a = after.ToJson();
    for (const char* k : {"slug", "title", "description", "placeholder_track_id",
                          "auto_end_enabled", "auto_end_timeout_s"}) {
      if (b[k] != a[k]) {
        e.changes[k]["from"] = b[k];
        e.changes[k]["to"] = a[k];
      }
    }
    if (!e.changes.empty()) AuditLog::Write(tx, e);
  });
  // Auto-end settings act at once: the streamer re-reads the stream on this notice.
  Publish(ctx, after.id, "update", p.user.id);
  return Response::Json(200, StreamJson(ctx, after));
}

Response DeleteStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  CheckCsrf(ctx, p);
  Stream s;
  ctx.Tx([&](pqxx::work& tx) {
    s = LoadStream(ctx, tx, true);
    StreamStore::EndOpenSession(tx, s.id, "manual", p.user.id);
    StreamStore::SoftDelete(tx, s.id);
    AuditEntry e = AuditFor(ctx, "stream.delete", "stream", std::to_string(s.id));
    e.changes["slug"] = s.slug;
    AuditLog::Write(tx, e);
  });
  Publish(ctx, s.id, "stop", p.user.id);
  QueueStore(ctx.res.redis, ctx.env.config.GetInt("events_maxlen")).Purge(s.id);
  return Response::NoContent();
}

Response StreamAction(RequestContext& ctx, const std::string& action) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  CheckCsrf(ctx, p);
  Stream s;
  ctx.Tx([&](pqxx::work& tx) {
    s = LoadStream(ctx, tx, true);
    if (action == "skip") {
      if (s.desired_state != "running") {
        throw HttpError(409, "not_running", "the stream is not running; start it first");
      }
    } else {
      const std::string want = action == "start" ? "running" : "stopped";
      if (action == "stop") StreamStore::EndOpenSession(tx, s.id, "manual", p.user.id);
      if (s.desired_state != want) StreamStore::SetDesiredState(tx, s.id, want);
      s.desired_state = want;
    }
    AuditLog::Write(tx, AuditFor(ctx, "stream." + action, "stream", std::to_string(s.id)));
    s = *StreamStore::Find(tx, s.id);  // with the end_reason a stop just recorded
  });
  // A skip is also counted in Redis: the owning streamer compares the counter on every
  // reconcile, so a skip whose notice was lost still happens.
  if (action == "skip") ctx.res.redis.Checked({"INCR", common::StreamSkipsKey(s.id)});
  Publish(ctx, s.id, action, p.user.id);
  return Response::Json(action == "skip" ? 202 : 200, StreamJson(ctx, s));
}

// --- queue ------------------------------------------------------------------------------------

QueueStore Queue(RequestContext& ctx) {
  return QueueStore(ctx.res.redis, ctx.env.config.GetInt("events_maxlen"));
}

int64_t StreamIdChecked(RequestContext& ctx) {
  const int64_t id = PathId(ctx, "id");
  bool live = false;
  ctx.Read([&](pqxx::transaction_base& tx) { live = StreamStore::IsLive(tx, id); });
  if (!live) throw HttpError(404, "not_found", "no such stream: " + std::to_string(id));
  return id;
}

std::string ItemId(RequestContext& ctx) {
  const std::string& v = ctx.req.params.at("item_id");
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    throw HttpError(404, "not_found", "no such queue item");
  }
  return v;
}

void AuditQueue(RequestContext& ctx, const Principal& p, int64_t sid, const std::string& action,
                Json::Value changes) {
  if (!Privileged(p)) return;  // users' own additions are not audited; staff changes are
  // One INSERT is atomic by itself: no BEGIN/COMMIT round trips on the hot path.
  ctx.Read([&](pqxx::transaction_base& tx) {
    AuditEntry e = AuditFor(ctx, "queue." + action, "stream", std::to_string(sid));
    e.changes = std::move(changes);
    AuditLog::Write(tx, e);
  });
}

Json::Value ChangeJson(const QueueChange& c) {
  Json::Value v(Json::objectValue);
  v["version"] = common::JsonInt(c.version);
  v["length"] = common::JsonInt(c.length);
  return v;
}

Response GetQueue(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  const int64_t sid = StreamIdChecked(ctx);
  Response r;
  r.SetHeader("Content-Type", "application/json; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.body = Queue(ctx).Snapshot(sid).ToJsonText(sid);
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
  std::vector<NewQueueItem> items;
  int64_t sid = 0;
  const std::string now = common::IsoUtcMillis(ctx.env.clock.WallNow());
  const std::string name =
      p.user.display_name.empty() ? p.user.email.substr(0, p.user.email.find('@'))
                                  : p.user.display_name;
  ctx.Read([&](pqxx::transaction_base& tx) {
    sid = PathId(ctx, "id");
    // One prepared query checks the stream and reads the tracks; only a miss asks which.
    std::string arr = "{";
    for (size_t i = 0; i < track_ids.size(); ++i) {
      arr += (i ? "," : "") + std::to_string(track_ids[i]);
    }
    arr += "}";
    tx.conn().prepare(
        "queue_add_tracks",
        "SELECT id, title, artist, duration_ms FROM tracks WHERE id = ANY($1::bigint[]) AND "
        "deleted_at IS NULL AND EXISTS (SELECT 1 FROM streams WHERE id = $2 AND deleted_at IS "
        "NULL)");
    std::map<int64_t, NewQueueItem> found;
    for (const auto& row : tx.exec_prepared("queue_add_tracks", arr, sid)) {
      NewQueueItem it;
      it.track_id = row["id"].as<int64_t>();
      it.title = row["title"].as<std::string>();
      it.artist = row["artist"].as<std::string>();
      if (!row["duration_ms"].is_null()) it.duration_ms = row["duration_ms"].as<int64_t>();
      it.added_by = p.user.id;
      it.added_by_name = name;
      it.added_at = now;
      found[it.track_id] = it;
    }
    if (found.size() < std::set<int64_t>(track_ids.begin(), track_ids.end()).size() &&
        !StreamStore::IsLive(tx, sid)) {
      throw HttpError(404, "not_found", "no such stream: " + std::to_string(sid));
    }
    for (int64_t t : track_ids) {
      auto f = found.find(t);
      if (f == found.end()) throw HttpError(404, "not_found", "no such track: " + std::to_string(t));
      items.push_back(f->second);
    }
  });
  std::vector<std::string> ids;
  const QueueChange change = Queue(ctx).Add(sid, items, at, if_version,
                                            ctx.env.config.GetInt("queue_max_length"), now, &ids);
  Json::Value out = ChangeJson(change);
  out["item_ids"] = Json::Value(Json::arrayValue);
  for (const auto& id : ids) out["item_ids"].append(id);
  Json::Value changes(Json::objectValue);
  changes["track_ids"] = Json::Value(Json::arrayValue);
  for (int64_t t : track_ids) changes["track_ids"].append(common::JsonInt(t));
  changes["at"] = at;
  AuditQueue(ctx, p, sid, "add", changes);
  return Response::Json(201, out);
}

Response RemoveFromQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueAdd);
  CheckCsrf(ctx, p);
  const int64_t sid = StreamIdChecked(ctx);
  const std::string item = ItemId(ctx);
  const bool any = Can(p.user.role, Permission::kQueueManage);
  const QueueChange change = Queue(ctx).Remove(sid, item, IfVersion(ctx, nullptr),
                                            any ? std::nullopt : std::optional<int64_t>(p.user.id),
                                            common::IsoUtcMillis(ctx.env.clock.WallNow()));
  Json::Value changes(Json::objectValue);
  changes["item_id"] = item;
  AuditQueue(ctx, p, sid, "remove", changes);
  return Response::Json(200, ChangeJson(change));
}

Response MoveInQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueManage);
  CheckCsrf(ctx, p);
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"to", "if_version"});
  if (!body.isMember("to")) Invalid("to is required");
  const int64_t to = RequiredInt(body["to"], "to");
  const int64_t sid = StreamIdChecked(ctx);
  const std::string item = ItemId(ctx);
  const QueueChange change = Queue(ctx).Move(sid, item, to, IfVersion(ctx, &body),
                                          common::IsoUtcMillis(ctx.env.clock.WallNow()));
  Json::Value changes(Json::objectValue);
  changes["item_id"] = item;
  changes["to"] = common::JsonInt(to);
  AuditQueue(ctx, p, sid, "move", changes);
  return Response::Json(200, ChangeJson(change));
}

Response ShuffleQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueManage);
  CheckCsrf(ctx, p);
  Json::Value body(Json::objectValue);
  if (!ctx.req.body.empty()) body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"if_version"});
  const int64_t sid = StreamIdChecked(ctx);
  std::random_device rd;
  const QueueChange change = Queue(ctx).Shuffle(sid, IfVersion(ctx, &body), rd(),
                                             common::IsoUtcMillis(ctx.env.clock.WallNow()));
  AuditQueue(ctx, p, sid, "shuffle", Json::Value(Json::objectValue));
  return Response::Json(200, ChangeJson(change));
}

Response ClearQueue(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueManage);
  CheckCsrf(ctx, p);
  const int64_t sid = StreamIdChecked(ctx);
  const QueueChange change = Queue(ctx).Clear(sid, IfVersion(ctx, nullptr),
                                           common::IsoUtcMillis(ctx.env.clock.WallNow()));
  AuditQueue(ctx, p, sid, "clear", Json::Value(Json::objectValue));
  return Response::Json(200, ChangeJson(change));
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
