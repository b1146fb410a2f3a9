#include "fcgi/stream_rules.h"

#include <random>
#include <regex>
#include <set>

#include "common/clock.h"
#include "common/json.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"

namespace sattva::fcgi {
namespace {

[[noreturn]] void Invalid(const std::string& m) { throw HttpError(422, "validation_failed", m); }
[[noreturn]] void WrongType(const std::string& m) { throw HttpError(400, "invalid_type", m); }

void Require(const Principal& p, Permission perm, const char* what) {
  if (!Can(p.user.role, perm)) throw HttpError(403, "forbidden", std::string("you may not ") + what);
}

int64_t RequiredInt(const Json::Value& v, const char* field) {
  if (!v.isIntegral() || !v.isInt64()) WrongType(std::string(field) + " must be an integer");
  return v.asInt64();
}

std::string Now(RequestContext& ctx) { return common::IsoUtcMillis(ctx.env.clock.WallNow()); }

void Publish(RequestContext& ctx, int64_t sid, const std::string& action, int64_t actor) {
  Json::Value m(Json::objectValue);
  m["stream_id"] = common::JsonInt(sid);
  m["action"] = action;
  m["actor"] = common::JsonInt(actor);
  m["ts"] = Now(ctx);
  ctx.res.redis.Checked({"PUBLISH", kControlChannel, common::WriteJson(m)});
}

Stream FindOr404(pqxx::transaction_base& tx, int64_t id, bool lock) {
  std::optional<Stream> s = StreamStore::Find(tx, id, lock);
  if (!s) throw HttpError(404, "not_found", "no such stream: " + std::to_string(id));
  return *s;
}

void CheckStreamLive(RequestContext& ctx, int64_t id) {
  bool live = false;
  ctx.Read([&](pqxx::transaction_base& tx) { live = StreamStore::IsLive(tx, id); });
  if (!live) throw HttpError(404, "not_found", "no such stream: " + std::to_string(id));
}

void AuditQueue(RequestContext& ctx, const Principal& p, int64_t sid, const std::string& action,
                Json::Value changes) {
  if (p.user.role == Role::kUser) return;  // users' own additions are not audited; staff's are
  // One INSERT is atomic by itself: no BEGIN/COMMIT round trips on the hot path.
  ctx.Read([&](pqxx::transaction_base& tx) {
    AuditEntry e = AuditFor(ctx, "queue." + action, "stream", std::to_string(sid));
    e.changes = std::move(changes);
    AuditLog::Write(tx, e);
  });
}

}  // namespace

// --- validation ------------------------------------------------------------------------------

void ValidateStreamFields(const StreamFields& f, bool create) {
  static const std::regex kSlug("^[a-z0-9][a-z0-9-]{0,62}$");
  if (create && (!f.title || f.title->empty())) Invalid("title must not be empty");
  if (f.title) {
    if (f.title->empty()) Invalid("title must not be empty");
    if (!common::IsValidUtf8(*f.title)) Invalid("title is not valid UTF-8");
    size_t chars = 0;
    for (unsigned char c : *f.title) {
      if ((c & 0xC0) != 0x80) ++chars;
      if (c < 0x20 || c == 0x7F) Invalid("title contains control characters");
    }
    if (chars > 200) Invalid("title is longer than 200 characters");
  }
  if (create && (!f.slug || f.slug->empty())) Invalid("slug must not be empty");
  if (f.slug && (f.slug->size() > 63 || !std::regex_match(*f.slug, kSlug))) {
    Invalid("slug must be 1 to 63 lower-case letters, digits or '-', starting with a letter or "
            "digit");
  }
  if (f.description) {
    if (!common::IsValidUtf8(*f.description)) Invalid("description is not valid UTF-8");
    if (f.description->size() > 5000) Invalid("description is longer than 5000 bytes");
  }
  if (f.placeholder_track_id && *f.placeholder_track_id && **f.placeholder_track_id <= 0) {
    Invalid("placeholder_track_id must be positive");
  }
  if (f.auto_end_timeout_s &&
      (*f.auto_end_timeout_s < kMinAutoEndTimeoutS || *f.auto_end_timeout_s > kMaxAutoEndTimeoutS)) {
    Invalid("auto_end_timeout_s must be from 10 to 86400");
  }
}

StreamFields StreamFieldsFromJson(const Json::Value& body, bool create) {
  RejectUnknownFields(body, {"slug", "title", "description", "placeholder_track_id",
                             "auto_end_enabled", "auto_end_timeout_s", "public"});
  StreamFields f;
  if (body.isMember("slug")) f.slug = JsonString(body, "slug", 200);
  if (body.isMember("title")) f.title = JsonString(body, "title", 2000);
  if (body.isMember("description")) f.description = JsonString(body, "description", 20000);
  if (body.isMember("placeholder_track_id")) {
    const Json::Value& v = body["placeholder_track_id"];
    if (v.isNull()) {
      f.placeholder_track_id = std::optional<int64_t>();
    } else {
      if (!v.isIntegral() || !v.isInt64()) WrongType("placeholder_track_id must be an integer or null");
      f.placeholder_track_id = std::optional<int64_t>(v.asInt64());
    }
  }
  for (const char* k : {"auto_end_enabled", "public"}) {
    if (!body.isMember(k)) continue;
    if (!body[k].isBool()) WrongType(std::string(k) + " must be true or false");
    (std::string(k) == "public" ? f.is_public : f.auto_end_enabled) = body[k].asBool();
  }
  if (body.isMember("auto_end_timeout_s")) {
    f.auto_end_timeout_s = RequiredInt(body["auto_end_timeout_s"], "auto_end_timeout_s");
  }
  if (create && (!f.slug || !f.title)) Invalid("slug and title are required");
  ValidateStreamFields(f, create);
  return f;
}

// --- streams ---------------------------------------------------------------------------------

Stream LoadStreamOr404(RequestContext& ctx, int64_t id) {
  Stream s;
  ctx.Read([&](pqxx::transaction_base& tx) { s = FindOr404(tx, id, false); });
  return s;
}

Stream CreateStreamChecked(RequestContext& ctx, const Principal& p, const StreamFields& f) {
  Require(p, Permission::kStreamsManage, "create streams");
  ValidateStreamFields(f, true);
  Stream s;
  ctx.Tx([&](pqxx::work& tx) {
    s = StreamStore::Create(tx, f);
    AuditEntry e = AuditFor(ctx, "stream.create", "stream", std::to_string(s.id));
    e.changes = s.ToJson();
    AuditLog::Write(tx, e);
  });
  return s;
}

Stream UpdateStreamChecked(RequestContext& ctx, const Principal& p, int64_t id,
                           const StreamFields& f, bool* changed) {
  Require(p, Permission::kStreamsManage, "change streams");
  ValidateStreamFields(f, false);
  Stream after;
  bool any = false;
  ctx.Tx([&](pqxx::work& tx) {
    Stream before = FindOr404(tx, id, true);
    after = StreamStore::Update(tx, before, f);
    AuditEntry e = AuditFor(ctx, "stream.update", "stream", std::to_string(before.id));
    Json::Value b = before.ToJson(), a = after.ToJson();
    for (const char* k : {"slug", "title", "description", "placeholder_track_id",
                          "auto_end_enabled", "auto_end_timeout_s", "public"}) {
      if (b[k] != a[k]) {
        e.changes[k]["from"] = b[k];
        e.changes[k]["to"] = a[k];
      }
    }
    any = !e.changes.empty();
    if (any) AuditLog::Write(tx, e);
  });
  if (changed != nullptr) *changed = any;
  // Auto-end settings act at once: the streamer re-reads the stream on this notice.
  Publish(ctx, after.id, "update", p.user.id);
  return after;
}

Stream DeleteStreamChecked(RequestContext& ctx, const Principal& p, int64_t id) {
  Require(p, Permission::kStreamsManage, "delete streams");
  Stream s;
  ctx.Tx([&](pqxx::work& tx) {
    s = FindOr404(tx, id, true);
    StreamStore::EndOpenSession(tx, s.id, "manual", p.user.id);
    StreamStore::SoftDelete(tx, s.id);
    AuditEntry e = AuditFor(ctx, "stream.delete", "stream", std::to_string(s.id));
    e.changes["slug"] = s.slug;
    e.changes["title"] = s.title;
    AuditLog::Write(tx, e);
  });
  Publish(ctx, s.id, "stop", p.user.id);
  QueueOf(ctx).Purge(s.id);
  return s;
}

Stream StreamActionChecked(RequestContext& ctx, const Principal& p, int64_t id,
                           const std::string& action) {
  if (action != "start" && action != "stop" && action != "skip") {
    throw HttpError(404, "not_found", "no such action: " + action);
  }
  Require(p, Permission::kStreamsManage, (action + " streams").c_str());
  Stream s;
  ctx.Tx([&](pqxx::work& tx) {
    s = FindOr404(tx, id, true);
    if (action == "skip") {
      if (s.desired_state != "running") {
        throw HttpError(409, "not_running", "the stream is not running; start it first");
      }
    } else {
      const std::string want = action == "start" ? "running" : "stopped";
      if (action == "stop") StreamStore::EndOpenSession(tx, s.id, "manual", p.user.id);
      if (s.desired_state != want) StreamStore::SetDesiredState(tx, s.id, want);
    }
    AuditLog::Write(tx, AuditFor(ctx, "stream." + action, "stream", std::to_string(s.id)));
    s = *StreamStore::Find(tx, s.id);  // with the end_reason a stop just recorded
  });
  // A skip is also counted in Redis: the owning streamer compares the counter on every
  // reconcile, so a skip whose notice was lost still happens.
  if (action == "skip") ctx.res.redis.Checked({"INCR", common::StreamSkipsKey(s.id)});
  Publish(ctx, s.id, action, p.user.id);
  return s;
}

// --- queues ----------------------------------------------------------------------------------

QueueStore QueueOf(RequestContext& ctx) {
  return QueueStore(ctx.res.redis, ctx.env.config.GetInt("events_maxlen"));
}

std::string QueueItemIdOr404(const std::string& v) {
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    throw HttpError(404, "not_found", "no such queue item");
  }
  return v;
}

QueueChange AddToQueueChecked(RequestContext& ctx, const Principal& p, int64_t sid,
                              const std::vector<int64_t>& track_ids, const std::string& at,
                              std::optional<int64_t> if_version,
                              std::vector<std::string>* item_ids) {
  Require(p, Permission::kQueueAdd, "add to queues");
  if (track_ids.empty() || track_ids.size() > 1000) Invalid("give 1 to 1000 track ids");
  const std::string now = Now(ctx);
  const std::string name = p.user.display_name.empty()
                               ? p.user.email.substr(0, p.user.email.find('@'))
                               : p.user.display_name;
  std::vector<NewQueueItem> items;
  ctx.Read([&](pqxx::transaction_base& tx) {
    // One prepared query checks the stream and reads the tracks; only a miss asks which.
    const std::map<int64_t, QueueTrack> found = StreamStore::QueueTracks(tx, sid, track_ids);
    if (found.size() < std::set<int64_t>(track_ids.begin(), track_ids.end()).size() &&
        !StreamStore::IsLive(tx, sid)) {
      throw HttpError(404, "not_found", "no such stream: " + std::to_string(sid));
    }
    for (int64_t t : track_ids) {
      auto f = found.find(t);
      if (f == found.end()) throw HttpError(404, "not_found", "no such track: " + std::to_string(t));
      NewQueueItem it;
      it.track_id = t;
      it.title = f->second.title;
      it.artist = f->second.artist;
      it.duration_ms = f->second.duration_ms;
      it.added_by = p.user.id;
      it.added_by_name = name;
      it.added_at = now;
      items.push_back(std::move(it));
    }
  });
  const QueueChange change = QueueOf(ctx).Add(
      sid, items, at, if_version, ctx.env.config.GetInt("queue_max_length"), now, item_ids);
  Json::Value changes(Json::objectValue);
  changes["track_ids"] = Json::Value(Json::arrayValue);
  for (int64_t t : track_ids) changes["track_ids"].append(common::JsonInt(t));
  changes["at"] = at;
  AuditQueue(ctx, p, sid, "add", changes);
  return change;
}

QueueChange RemoveFromQueueChecked(RequestContext& ctx, const Principal& p, int64_t sid,
                                   const std::string& item_id, std::optional<int64_t> if_version) {
  Require(p, Permission::kQueueAdd, "change queues");
  CheckStreamLive(ctx, sid);
  const bool any = Can(p.user.role, Permission::kQueueManage);
  const QueueChange change =
      QueueOf(ctx).Remove(sid, QueueItemIdOr404(item_id), if_version,
                          any ? std::nullopt : std::optional<int64_t>(p.user.id), Now(ctx));
  Json::Value changes(Json::objectValue);
  changes["item_id"] = item_id;
  AuditQueue(ctx, p, sid, "remove", changes);
  return change;
}

QueueChange MoveInQueueChecked(RequestContext& ctx, const Principal& p, int64_t sid,
                               const std::string& item_id, int64_t to,
                               std::optional<int64_t> if_version) {
  Require(p, Permission::kQueueManage, "reorder queues");
  CheckStreamLive(ctx, sid);
  const QueueChange change =
      QueueOf(ctx).Move(sid, QueueItemIdOr404(item_id), to, if_version, Now(ctx));
  Json::Value changes(Json::objectValue);
  changes["item_id"] = item_id;
  changes["to"] = common::JsonInt(to);
  AuditQueue(ctx, p, sid, "move", changes);
  return change;
}

QueueChange ShuffleQueueChecked(RequestContext& ctx, const Principal& p, int64_t sid,
                                std::optional<int64_t> if_version) {
  Require(p, Permission::kQueueManage, "shuffle queues");
  CheckStreamLive(ctx, sid);
  std::random_device rd;
  const QueueChange change = QueueOf(ctx).Shuffle(sid, if_version, rd(), Now(ctx));
  AuditQueue(ctx, p, sid, "shuffle", Json::Value(Json::objectValue));
  return change;
}

QueueChange ClearQueueChecked(RequestContext& ctx, const Principal& p, int64_t sid,
                              std::optional<int64_t> if_version) {
  Require(p, Permission::kQueueManage, "clear queues");
  CheckStreamLive(ctx, sid);
  const QueueChange change = QueueOf(ctx).Clear(sid, if_version, Now(ctx));
  AuditQueue(ctx, p, sid, "clear", Json::Value(Json::objectValue));
  return change;
}

}  // namespace sattva::fcgi
