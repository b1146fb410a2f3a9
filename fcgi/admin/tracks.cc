// The tracks pages: catalog list, upload, add by URL, track page (edit, listen, where queued,
// play count), delete, the audio file through nginx, and the list's exports. The rules
// (validation, probing, auditing, the placeholder lock) live in fcgi/track_rules.h, shared with
// /api/v1/tracks; the HTML in fcgi/admin/tracks_views.h.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "fcgi/admin/export.h"
#include "fcgi/admin/list.h"
#include "fcgi/admin/tracks_views.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/auth.h"
#include "fcgi/multipart.h"
#include "fcgi/track_rules.h"
#include "fcgi/tracks.h"

namespace sattva::fcgi {
namespace {

// nginx's internal location over media_dir (nginx/nginx.conf.template).
constexpr const char* kMediaAccelPrefix = "/__sattva_media/";
// At most this many files in one upload form.
constexpr size_t kMaxUploadFiles = 20;

bool Has(const Query& form, const std::string& key) { return form.find(key) != form.end(); }

// The list page with its data; `forms` carries what was typed and the errors of a refused add.
Response RenderList(RequestContext& ctx, const Principal& p, const ListParams& params,
                    const TrackAddForms& forms) {
  TrackPage result;
  ctx.Read([&](pqxx::transaction_base& tx) {
    result = TrackStore::ListFast(tx, TrackQueryFrom(params));
  });
  std::vector<int64_t> ids;
  ids.reserve(result.items.size());
  for (const Track& t : result.items) ids.push_back(t.id);
  const std::map<int64_t, int64_t> queued = QueuedStreamCounts(ctx.res.redis, ids);
  LayoutInfo layout = PageLayout(ctx, p, "Tracks", "tracks", forms.status == 200);
  layout.scripts.push_back("/static/js/upload.js");
  layout.styles.push_back("/static/css/tracks.css");
  AdminPage page(layout, "tracks/list.tpl");
  FillTracksList(page.body(), p, params, result, queued, forms);
  return page.ToResponse(TemplatesDir(ctx), forms.status);
}

// The default list (page 1, no filters) behind a refused add.
Response RenderListWithError(RequestContext& ctx, const Principal& p, TrackAddForms forms,
                             int status) {
  forms.status = status;
  const ListParams params = ListParams::Parse(TracksListSpec(), Query());
  return RenderList(ctx, p, params, forms);
}

Track LoadTrack(RequestContext& ctx, int64_t id) {
  std::optional<Track> t;
  ctx.Read([&](pqxx::transaction_base& tx) { t = TrackStore::FindLive(tx, id); });
  if (!t) throw HttpError(404, "not_found", "there is no track with ID " + std::to_string(id));
  return *t;
}

// Where the track is queued: stream titles from PostgreSQL for the ids in its Redis hash.
std::vector<QueuedIn> LoadQueued(RequestContext& ctx, int64_t id) {
  const std::map<int64_t, int64_t> counts = QueuedStreams(ctx.res.redis, id);
  std::vector<QueuedIn> out;
  if (counts.empty()) return out;
  std::vector<int64_t> sids;
  for (const auto& [sid, n] : counts) sids.push_back(sid);
  std::map<int64_t, std::string> titles;
  ctx.Read([&](pqxx::transaction_base& tx) { titles = TrackStore::StreamTitles(tx, sids); });
  for (const auto& [sid, n] : counts) {
    QueuedIn q;
    q.stream_id = sid;
    q.items = n;
    auto it = titles.find(sid);
    if (it != titles.end()) q.title = it->second;
    out.push_back(q);
  }
  return out;
}

Response RenderTrackPage(RequestContext& ctx, const Principal& p, const Track& t,
                         const TrackForm& form, int status) {
  TrackPageData data;
  data.track = t;
  data.source_shown = DisplaySource(t.source_kind, t.source, DisplayRoot(ctx.env.config));
  data.form = form;
  ctx.Read([&](pqxx::transaction_base& tx) {
    data.play_count = TrackStore::PlayCount(tx, t.id);
    if (t.created_by) data.added_by = UserStore::FindById(tx, *t.created_by);
  });
  data.queued = LoadQueued(ctx, t.id);
  LayoutInfo layout = PageLayout(ctx, p, t.title, "tracks", status == 200);
  layout.styles.push_back("/static/css/tracks.css");
  AdminPage page(layout, "tracks/show.tpl");
  FillTrackPage(page.body(), p, data);
  return page.ToResponse(TemplatesDir(ctx), status);
}

// An optional text field of a form: absent or "" is none.
std::optional<std::string> OptionalField(const Query& form, const std::string& key) {
  if (!Has(form, key)) return std::nullopt;
  std::string v = FormValue(form, key);
  if (v.empty()) return std::nullopt;
  return v;
}

// --- Handlers -------------------------------------------------------------------------------

Response TracksList(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const ListParams params = ListParams::Parse(TracksListSpec(), ctx.req.query);
  return RenderList(ctx, p, params, TrackAddForms());
}

Response UploadTracks(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  const std::string* ct = ctx.req.Header("content-type");
  if (ct == nullptr || !IsMultipartFormData(*ct)) {
    // Without a multipart body there is no CSRF token to read from it: the form check answers.
    CheckedForm(ctx, p);
    throw HttpError(415, "unsupported_media_type",
                    "an upload must be sent as multipart/form-data (the upload form)");
  }
  std::vector<Track> stored;
  try {
    UploadOptions options;
    options.max_files = kMaxUploadFiles;
    options.text_fields = {"csrf_token"};
    std::unique_ptr<ParsedUpload> upload = ReadUpload(ctx, options);
    const std::optional<std::string> token = upload->Field("csrf_token");
    CheckCsrf(ctx, p, token ? *token : std::string());
    stored = StoreUploads(ctx, p, *upload, std::nullopt, std::nullopt);
  } catch (const HttpError& e) {
    if (e.status() == 403 || e.status() >= 500) throw;
    TrackAddForms forms;
    forms.upload_error = e.what();
    return RenderListWithError(ctx, p, forms, e.status());
  }
  if (stored.size() == 1) {
    SetFlash(ctx, p, MakeFlash("success", "Uploaded \u201c" + stored[0].title + "\u201d."));
    return SeeOther("/admin/tracks/" + std::to_string(stored[0].id));
  }
  std::string titles;
  for (const Track& t : stored) titles += (titles.empty() ? "" : ", ") + t.title;
  SetFlash(ctx, p,
           MakeFlash("success", "Uploaded " + std::to_string(stored.size()) + " tracks: " +
                                    titles + "."));
  return SeeOther("/admin/tracks?sort=id&order=desc");
}

Response AddTrackByUrl(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  const Query form = CheckedForm(ctx, p);
  TrackAddForms forms;
  forms.url = FormValue(form, "url");
  forms.url_title = FormValue(form, "title");
  forms.url_artist = FormValue(form, "artist");
  Track t;
  try {
    t = RegisterTrackUrl(ctx, p, forms.url, OptionalField(form, "title"),
                         OptionalField(form, "artist"));
  } catch (const HttpError& e) {
    if (e.status() == 403 || e.status() >= 500) throw;
    forms.url_error = e.what();
    return RenderListWithError(ctx, p, forms, e.status());
  }
  SetFlash(ctx, p, MakeFlash("success", "Added \u201c" + t.title + "\u201d."));
  return SeeOther("/admin/tracks/" + std::to_string(t.id));
}

Response ShowTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const Track t = LoadTrack(ctx, AdminPathId(ctx));
  TrackForm form;
  form.title = t.title;
  form.artist = t.artist;
  return RenderTrackPage(ctx, p, t, form, 200);
}

Response SaveTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  const int64_t id = AdminPathId(ctx);
  const Query form = CheckedForm(ctx, p);
  std::optional<std::string> title, artist;
  if (Has(form, "title")) title = FormValue(form, "title");
  if (Has(form, "artist")) artist = FormValue(form, "artist");
  bool changed = false;
  Track after;
  try {
    ctx.Tx([&](pqxx::work& tx) { after = UpdateTrackChecked(ctx, tx, id, title, artist, &changed); });
  } catch (const HttpError& e) {
    if (e.status() != 409 && e.status() != 422) throw;
    const Track t = LoadTrack(ctx, id);
    TrackForm f;
    f.title = title ? *title : t.title;
    f.artist = artist ? *artist : t.artist;
    f.error = e.what();
    return RenderTrackPage(ctx, p, t, f, e.status());
  }
  SetFlash(ctx, p,
           changed ? MakeFlash("success", "Saved the changes to \u201c" + after.title + "\u201d.")
                   : MakeFlash("info", "Nothing to save: no field was changed."));
  return SeeOther("/admin/tracks/" + std::to_string(id));
}

Response RenderDeletePage(RequestContext& ctx, const Principal& p, const Track& t,
                          const std::string& error, int status) {
  std::vector<std::pair<int64_t, std::string>> placeholder_of;
  ctx.Read([&](pqxx::transaction_base& tx) {
    placeholder_of = TrackStore::PlaceholderStreams(tx, t.id);
  });
  const std::vector<QueuedIn> queued = LoadQueued(ctx, t.id);
  AdminPage page(PageLayout(ctx, p, "Delete " + t.title, "tracks", status == 200),
                 "tracks/delete.tpl");
  FillDeleteTrack(page.body(), t, queued, placeholder_of, error);
  return page.ToResponse(TemplatesDir(ctx), status);
}

Response DeleteTrackPage(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  const Track t = LoadTrack(ctx, AdminPathId(ctx));
  return RenderDeletePage(ctx, p, t, "", 200);
}

Response DeleteTrack(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kTracksManage);
  const int64_t id = AdminPathId(ctx);
  CheckedForm(ctx, p);
  Track deleted;
  try {
    ctx.Tx([&](pqxx::work& tx) { deleted = DeleteTrackChecked(ctx, tx, id); });
  } catch (const HttpError& e) {
    if (e.status() != 409) throw;
    return RenderDeletePage(ctx, p, LoadTrack(ctx, id), e.what(), 409);
  }
  SetFlash(ctx, p, MakeFlash("success", "Deleted \u201c" + deleted.title + "\u201d."));
  return SeeOther("/admin/tracks");
}

// The file itself is sent by nginx (Range, sendfile): this only checks who asks and where the
// file is, and answers with X-Accel-Redirect to the internal location over media_dir.
Response TrackAudio(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  const Track t = LoadTrack(ctx, AdminPathId(ctx));
  if (t.source_kind == "url") {
    throw HttpError(404, "not_found",
                    "this track is played from a URL and has no local file; open " + t.source);
  }
  const std::string root = RealMediaDir(ctx.env.config, false);
  if (!PathIsInside(root, t.source) || t.source == root) {
    throw HttpError(404, "not_found", "the track's file is not in the media directory");
  }
  Response r;
  r.status = 200;
  r.SetHeader("Content-Type", AudioContentType(t.source, t.codec));
  r.SetHeader("Cache-Control", "private, no-cache");
  r.SetHeader("X-Accel-Redirect",
              MediaAccelPath(kMediaAccelPrefix, DisplaySource(t.source_kind, t.source, root)));
  return r;
}

Response TracksExport(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  const std::string& path = ctx.req.path;
  const ExportFormat format =
      ParseExportFormat(path.substr(path.rfind('.') == std::string::npos ? path.size()
                                                                         : path.rfind('.') + 1));
  const ListParams params = ListParams::Parse(TracksListSpec(), ctx.req.query);
  const TrackQuery q = TrackQueryFrom(params);
  const std::string root = DisplayRoot(ctx.env.config);
  using T = ExportColumn::Type;
  std::vector<ExportColumn> columns = {
      {"id", T::kInt},           {"title", T::kString},       {"artist", T::kString},
      {"duration_ms", T::kInt},  {"codec", T::kString},       {"bitrate", T::kInt},
      {"sample_rate", T::kInt},  {"channels", T::kInt},       {"size_bytes", T::kInt},
      {"source_kind", T::kString}, {"source", T::kString},    {"created_by", T::kInt},
      {"created_by_email", T::kString}, {"created_at", T::kString}};
  return ExportResponse(
      ctx, format, "tracks", std::move(columns),
      [q, root](pqxx::transaction_base& tx, const ExportEmit& emit) {
        auto num = [](const auto& v) -> std::optional<std::string> {
          if (!v) return std::nullopt;
          return std::to_string(*v);
        };
        TrackStore::ForEach(tx, q, [&](const Track& t) {
          ExportRow row = {std::to_string(t.id),
                           t.title,
                           t.artist,
                           num(t.duration_ms),
                           t.codec,
                           num(t.bitrate()),
                           num(t.sample_rate),
                           num(t.channels),
                           num(t.size_bytes),
                           t.source_kind,
                           DisplaySource(t.source_kind, t.source, root),
                           num(t.created_by),
                           t.added_by_email.empty() ? std::nullopt
                                                    : std::optional<std::string>(t.added_by_email),
                           t.created_at};
          return emit(row);
        });
      });
}

}  // namespace

void RegisterAdminTrackRoutes(Router& router) {
  router.Add("GET", "/admin/tracks", AdminHandler(TracksList));
  router.Add("GET", "/admin/tracks/export.csv", AdminHandler(TracksExport));
  router.Add("GET", "/admin/tracks/export.json", AdminHandler(TracksExport));
  router.Add("POST", "/admin/tracks/upload", AdminHandler(UploadTracks));
  router.Add("POST", "/admin/tracks/url", AdminHandler(AddTrackByUrl));
  router.Add("GET", "/admin/tracks/{id}", AdminHandler(ShowTrack));
  router.Add("POST", "/admin/tracks/{id}", AdminHandler(SaveTrack));
  router.Add("GET", "/admin/tracks/{id}/audio", AdminHandler(TrackAudio));
  router.Add("GET", "/admin/tracks/{id}/delete", AdminHandler(DeleteTrackPage));
  router.Add("POST", "/admin/tracks/{id}/delete", AdminHandler(DeleteTrack));
}

}  // namespace sattva::fcgi
