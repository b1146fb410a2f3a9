// /api/v1/tracks: the catalog. Registering by path, by URL or by upload; list, get, edit and
// (soft) delete. Every track is probed before it is stored, and nothing is stored (no row, no
// file) when the probe refuses it.
#include <memory>
#include <vector>

#include "common/json.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "fcgi/multipart.h"
#include "fcgi/track_rules.h"
#include "fcgi/tracks.h"

namespace sattva::fcgi {
namespace {

constexpr size_t kMaxPathBytes = 4096;

// A title or artist from a JSON body: 400 for a wrong type, 422 for an invalid value.
std::optional<std::string> OptionalText(const Json::Value& body, const char* field,
                                        size_t min_chars, size_t max_chars) {
  if (!body.isMember(field)) return std::nullopt;
  std::string v = JsonString(body, field, 4 * max_chars);
  CheckTrackField(v, field, min_chars, max_chars);
  return v;
}

Response Created(const Track& t, const std::string& root) {
  Response r = Response::Json(201, t.ToJson(root));
  r.SetHeader("Location", "/api/v1/tracks/" + std::to_string(t.id));
  return r;
}

Response CreateFromJson(RequestContext& ctx, const Principal& p) {
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"path", "url", "title", "artist"});
  const bool has_path = body.isMember("path");
  if (has_path == body.isMember("url")) {
    throw HttpError(422, "validation_failed", "give exactly one of path or url");
  }
  const std::optional<std::string> title = OptionalText(body, "title", 1, kMaxTitleChars);
  const std::optional<std::string> artist = OptionalText(body, "artist", 0, kMaxArtistChars);
  const Track t = has_path
                      ? RegisterTrackPath(ctx, p, JsonString(body, "path", kMaxPathBytes), title,
                                          artist)
                      : RegisterTrackUrl(ctx, p, JsonString(body, "url", kMaxUrlBytes), title,
                                         artist);
  return Created(t, DisplayRoot(ctx.env.config));
}

Response CreateFromUpload(RequestContext& ctx, const Principal& p) {
  UploadOptions options;
  options.max_files = 1;
  options.text_fields = {"title", "artist"};
  std::unique_ptr<ParsedUpload> upload = ReadUpload(ctx, options);
  if (upload->file_count() == 0) {
    throw HttpError(422, "validation_failed", "the upload has no 'file' part");
  }
  const std::vector<Track> stored =
      StoreUploads(ctx, p, *upload, upload->Field("title"), upload->Field("artist"));
  return Created(stored.front(), DisplayRoot(ctx.env.config));
}

Response CreateTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  CheckCsrf(ctx, p);
  const std::string* ct = ctx.req.Header("content-type");
  if (ct != nullptr && IsMultipartFormData(*ct)) return CreateFromUpload(ctx, p);
  return CreateFromJson(ctx, p);
}

Response ListTracks(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  TrackQuery q;
  q.q = QueryString(ctx.req, "q");
  if (q.q.size() > 200) throw HttpError(422, "validation_failed", "q is longer than 200 bytes");
  if (!common::IsValidUtf8(q.q)) throw HttpError(400, "bad_request", "q is not valid UTF-8");
  q.codec = QueryString(ctx.req, "codec");
  if (q.codec.size() > 64 || !common::IsValidUtf8(q.codec)) {
    throw HttpError(422, "validation_failed", "codec must be a codec name of at most 64 bytes");
  }
  q.source_kind = QueryString(ctx.req, "source");
  if (!q.source_kind.empty() && q.source_kind != "upload" && q.source_kind != "url" &&
      q.source_kind != "file") {
    throw HttpError(422, "validation_failed", "source must be upload, url or file");
  }
  if (std::string s = QueryString(ctx.req, "sort"); !s.empty()) q.sort = s;
  bool sort_ok = false;
  for (const auto& k : TrackStore::SortKeys()) sort_ok = sort_ok || q.sort == k;
  if (!sort_ok) {
    throw HttpError(422, "validation_failed",
                    "sort must be one of id, title, artist, duration_ms, created_at");
  }
  const std::string order = QueryString(ctx.req, "order");
  if (!order.empty() && order != "asc" && order != "desc") {
    throw HttpError(422, "validation_failed", "order must be asc or desc");
  }
  q.descending = order == "desc";
  q.page = static_cast<int>(QueryInt(ctx.req, "page", 1, 1, 1000000));
  q.per_page = static_cast<int>(QueryInt(ctx.req, "per_page", 20, 1, 100));
  TrackPage page;
  ctx.Tx([&](pqxx::work& tx) { page = TrackStore::List(tx, q); });
  const std::string root = DisplayRoot(ctx.env.config);
  Json::Value items(Json::arrayValue);
  for (const auto& t : page.items) items.append(t.ToJson(root));
  return Response::Json(200, PageJson(items, page.total, q.page, q.per_page));
}

Track LoadLive(pqxx::work& tx, int64_t id, TrackLock lock) {
  std::optional<Track> t = TrackStore::FindLive(tx, id, lock);
  if (!t) throw HttpError(404, "not_found", "no such track: " + std::to_string(id));
  return *t;
}

Response GetTrack(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  const int64_t id = PathId(ctx, "id");
  Track t;
  ctx.Tx([&](pqxx::work& tx) { t = LoadLive(tx, id, TrackLock::kNone); });
  return Response::Json(200, t.ToJson(DisplayRoot(ctx.env.config)));
}

Response PatchTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  CheckCsrf(ctx, p);
  const int64_t id = PathId(ctx, "id");
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"title", "artist"});
  const std::optional<std::string> title = OptionalText(body, "title", 1, kMaxTitleChars);
  const std::optional<std::string> artist = OptionalText(body, "artist", 0, kMaxArtistChars);
  Track after;
  ctx.Tx([&](pqxx::work& tx) { after = UpdateTrackChecked(ctx, tx, id, title, artist); });
  return Response::Json(200, after.ToJson(DisplayRoot(ctx.env.config)));
}

Response DeleteTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  CheckCsrf(ctx, p);
  const int64_t id = PathId(ctx, "id");
  ctx.Tx([&](pqxx::work& tx) { DeleteTrackChecked(ctx, tx, id); });
  return Response::NoContent();
}

}  // namespace

void RegisterTracksApi(Router& router) {
  router.Add("GET", "/api/v1/tracks", ListTracks);
  router.Add("POST", "/api/v1/tracks", CreateTrack);
  router.Add("GET", "/api/v1/tracks/{id}", GetTrack);
  router.Add("PATCH", "/api/v1/tracks/{id}", PatchTrack);
  router.Add("DELETE", "/api/v1/tracks/{id}", DeleteTrack);
}

}  // namespace sattva::fcgi
