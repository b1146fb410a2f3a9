// The streams pages: list, create, stream page (now playing, player, queue, settings, history),
// start/stop/skip, queue changes, delete. The rules are fcgi/stream_rules.h (shared with the
// REST API); the HTML is fcgi/admin/streams_views.h over templates/streams/.
#include <algorithm>
#include <functional>

#include "common/clock.h"
#include "common/json.h"
#include "fcgi/admin/charts.h"
#include "fcgi/admin/history_section.h"
#include "fcgi/admin/streams_views.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/auth.h"
#include "fcgi/stream_rules.h"

namespace sattva::fcgi {
namespace {

[[noreturn]] void Invalid(const std::string& m) { throw HttpError(422, "validation_failed", m); }

bool Has(const Query& form, const std::string& key) { return form.find(key) != form.end(); }

int64_t NowMs(RequestContext& ctx) { return common::UnixMillis(ctx.env.clock.WallNow()); }

std::string PublicBase(RequestContext& ctx) {
  std::string u = ctx.env.config.GetString("public_url");
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u;
}

// A whole number field of a form in [min, max]; 422 naming it otherwise.
int64_t FormInt(const Query& form, const std::string& key, int64_t min, int64_t max) {
  const std::string v = FormValue(form, key);
  const bool digits = !v.empty() && v.size() <= 18 &&
                      std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  const int64_t n = digits ? std::stoll(v) : -1;
  if (!digits || n < min || n > max) {
    Invalid(key + " must be a whole number from " + std::to_string(min) + " to " +
            std::to_string(max));
  }
  return n;
}

// A checkbox: absent is off, "1" (or "on", which browsers send without a value) is on.
bool FormCheckbox(const Query& form, const std::string& key) {
  if (!Has(form, key)) return false;
  const std::string v = FormValue(form, key);
  if (v == "1" || v == "on" || v == "true") return true;
  if (v == "0" || v == "false" || v.empty()) return false;
  Invalid(key + " must be a checkbox (1 or absent)");
}

// Every queue form carries the version its page was drawn from.
std::optional<int64_t> FormIfVersion(const Query& form) {
  if (FormValue(form, "if_version").empty()) {
    Invalid("if_version is missing: reload the page and try again");
  }
  return FormInt(form, "if_version", 0, INT64_MAX / 2);
}

std::string StreamUrl(int64_t id) { return "/admin/streams/" + std::to_string(id); }

// --- rendering -------------------------------------------------------------------------------

struct PageState {
  std::optional<StreamSettingsForm> form;  // the typed settings after an error
  bool queue_conflict = false;
  std::string queue_error;
};

Response RenderStreamPage(RequestContext& ctx, const Principal& p, int64_t id, int status,
                          const PageState& st = {}) {
  StreamPageData data;
  data.now_ms = NowMs(ctx);
  data.public_url = PublicBase(ctx);
  const std::string* tq = ctx.req.QueryParam("track_q");
  if (tq != nullptr && !tq->empty()) {
    if (!common::IsValidUtf8(*tq) || tq->size() > 200) {
      Invalid("track_q must be at most 200 bytes of text");
    }
    data.track_q = *tq;
    data.searched = true;
  }
  ctx.Read([&](pqxx::transaction_base& tx) {
    std::optional<Stream> s = StreamStore::Find(tx, id);
    if (!s) throw HttpError(404, "not_found", "there is no stream with ID " + std::to_string(id));
    data.stream = *s;
    if (s->placeholder_track_id) data.placeholder = TrackStore::Find(tx, *s->placeholder_track_id);
    if (data.searched) {
      TrackQuery q;
      q.q = data.track_q;
      q.sort = "title";
      q.per_page = 20;
      TrackPage page = TrackStore::List(tx, q);
      data.track_results = std::move(page.items);
      data.track_total = page.total;
    }
  });
  data.live = ReadLive(ctx.res.redis, data.stream);
  const std::string* qa = ctx.req.QueryParam("queue");
  data.queue_all = qa != nullptr && *qa == "all";
  data.queue = QueueOf(ctx).Snapshot(id, data.queue_all ? -1 : kQueueShown, /*as_rows=*/true);
  data.queue_conflict = st.queue_conflict;
  data.queue_error = st.queue_error;

  LayoutInfo layout = PageLayout(ctx, p, data.stream.title, "streams", status == 200);
  layout.styles.push_back("/static/css/streams.css");
  layout.styles.push_back("/static/css/charts.css");
  layout.scripts.push_back("/static/vendor/sortable.min.js");
  layout.scripts.push_back("/static/js/queue.js");
  layout.scripts.push_back("/static/js/stream-live.js");
  AdminPage page(layout, "streams/page.tpl");
  FillStreamPage(page.body(), p, data, st.form ? *st.form : SettingsFormFrom(data.stream));
  FillStreamHistorySections(ctx, page.body(), id, ctx.req.query, "HISTORY");
  FillListenerChart(ctx, page.body(), id, "LISTENER_CHART");
  return page.ToResponse(TemplatesDir(ctx), status);
}

Response RenderList(RequestContext& ctx, const Principal& p, const NewStreamForm& form,
                    int status) {
  const ListParams params = ListParams::Parse(StreamsListSpec(), ctx.req.query);
  std::vector<Stream> streams;
  int64_t total = 0;
  ctx.Read([&](pqxx::transaction_base& tx) {
    streams = StreamStore::List(tx, StreamQueryFrom(params), &total);
  });
  const std::vector<StreamLive> live = ReadLiveMany(ctx.res.redis, streams);
  std::vector<StreamRow> rows;
  rows.reserve(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) rows.push_back({std::move(streams[i]), live[i]});
  LayoutInfo layout = PageLayout(ctx, p, "Streams", "streams", status == 200);
  layout.styles.push_back("/static/css/streams.css");
  AdminPage page(layout, "streams/list.tpl");
  FillStreamsList(page.body(), p, params, rows, total, NowMs(ctx), form);
  return page.ToResponse(TemplatesDir(ctx), status);
}

// After a queue form: back to the page, or the page again with what went wrong.
Response QueueOutcome(RequestContext& ctx, const Principal& p, int64_t sid,
                      const std::function<std::string()>& change) {
  std::string done;
  try {
    done = change();
  } catch (const HttpError& e) {
    if (e.status() == 409 && e.code() == "stale_version") {
      PageState st;
      st.queue_conflict = true;
      return RenderStreamPage(ctx, p, sid, 409, st);
    }
    // A refused change: the page again, with the reason by the queue (an unknown stream
    // cannot render, so that stays a 404 page).
    if (e.status() == 422 || e.status() == 403 || e.status() == 404) {
      PageState st;
      st.queue_error = e.what();
      return RenderStreamPage(ctx, p, sid, e.status(), st);
    }
    throw;
  }
  SetFlash(ctx, p, MakeFlash("success", done));
  return SeeOther(StreamUrl(sid) + "#queue");
}

// --- handlers --------------------------------------------------------------------------------

Response StreamsList(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  return RenderList(ctx, p, NewStreamForm(), 200);
}

Response CreateStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  const Query form = CheckedForm(ctx, p);
  NewStreamForm f;
  f.title = FormValue(form, "title");
  f.slug = FormValue(form, "slug");
  f.description = FormValue(form, "description");
  Stream s;
  try {
    StreamFields fields;
    fields.title = f.title;
    fields.slug = f.slug;
    fields.description = f.description;
    s = CreateStreamChecked(ctx, p, fields);
  } catch (const HttpError& e) {
    if (e.status() != 409 && e.status() != 422) throw;
    f.error = e.what();
    return RenderList(ctx, p, f, e.status());
  }
  SetFlash(ctx, p, MakeFlash("success", "Stream \u201c" + s.title + "\u201d created."));
  return SeeOther(StreamUrl(s.id));
}

Response ShowStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  return RenderStreamPage(ctx, p, AdminPathId(ctx), 200);
}

StreamFields SettingsFromForm(const Query& form, StreamSettingsForm* typed) {
  typed->title = FormValue(form, "title");
  typed->slug = FormValue(form, "slug");
  typed->description = FormValue(form, "description");
  typed->placeholder_track_id = FormValue(form, "placeholder_track_id");
  typed->auto_end_timeout_s = FormValue(form, "auto_end_timeout_s");
  typed->auto_end_enabled = Has(form, "auto_end_enabled");
  typed->is_public = Has(form, "public");
  StreamFields f;
  f.title = typed->title;
  f.slug = typed->slug;
  f.description = typed->description;
  // Trimmed of the spaces a paste brings along; anything but a track id is refused.
  if (typed->placeholder_track_id.empty()) {
    f.placeholder_track_id = std::optional<int64_t>();
  } else {
    int64_t id = 0;
    if (!ParseId(typed->placeholder_track_id, &id)) {
      Invalid("placeholder_track_id must be a track from the catalog (or none)");
    }
    f.placeholder_track_id = std::optional<int64_t>(id);
  }
  f.auto_end_enabled = FormCheckbox(form, "auto_end_enabled");
  f.auto_end_timeout_s = FormInt(form, "auto_end_timeout_s", kMinAutoEndTimeoutS, kMaxAutoEndTimeoutS);
  f.is_public = FormCheckbox(form, "public");
  return f;
}

Response SaveStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const int64_t id = AdminPathId(ctx);
  const Query form = CheckedForm(ctx, p);
  if (!Can(p.user.role, Permission::kStreamsManage)) {
    throw HttpError(403, "forbidden", "you may not change streams");
  }
  StreamSettingsForm typed;
  bool changed = false;
  try {
    const StreamFields f = SettingsFromForm(form, &typed);
    UpdateStreamChecked(ctx, p, id, f, &changed);
  } catch (const HttpError& e) {
    if (e.status() != 409 && e.status() != 422) throw;
    typed.error = e.what();
    PageState st;
    st.form = typed;
    return RenderStreamPage(ctx, p, id, e.status(), st);
  }
  SetFlash(ctx, p, changed ? MakeFlash("success", "Settings saved.")
                           : MakeFlash("info", "Nothing to save: no setting was changed."));
  return SeeOther(StreamUrl(id));
}

Response Action(RequestContext& ctx, const std::string& action) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const int64_t id = AdminPathId(ctx);
  CheckedForm(ctx, p);
  const Stream s = StreamActionChecked(ctx, p, id, action);
  const std::string text = action == "start"  ? "Started \u201c" + s.title + "\u201d."
                           : action == "stop" ? "Stopped \u201c" + s.title + "\u201d."
                                              : "Skipped to the next track.";
  SetFlash(ctx, p, MakeFlash("success", text));
  return SeeOther(StreamUrl(id));
}

Response Start(RequestContext& ctx) { return Action(ctx, "start"); }
Response Stop(RequestContext& ctx) { return Action(ctx, "stop"); }
Response Skip(RequestContext& ctx) { return Action(ctx, "skip"); }

Response DeletePage(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsManage);
  const Stream s = LoadStreamOr404(ctx, AdminPathId(ctx));
  const int64_t length = QueueOf(ctx).Length(s.id);
  LayoutInfo layout = PageLayout(ctx, p, "Delete " + s.title, "streams");
  AdminPage page(layout, "streams/delete.tpl");
  FillDeleteStream(page.body(), s, length);
  return page.ToResponse(TemplatesDir(ctx));
}

Response DeleteStream(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const int64_t id = AdminPathId(ctx);
  CheckedForm(ctx, p);
  const Stream s = DeleteStreamChecked(ctx, p, id);
  SetFlash(ctx, p, MakeFlash("success", "Stream \u201c" + s.title + "\u201d deleted."));
  return SeeOther("/admin/streams");
}

Response QueueAdd(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const int64_t sid = AdminPathId(ctx);
  const Query form = CheckedForm(ctx, p);
  return QueueOutcome(ctx, p, sid, [&] {
    int64_t track = 0;
    if (!ParseId(FormValue(form, "track_id"), &track)) {
      Invalid("track_id must be a track from the catalog");
    }
    std::string at = FormValue(form, "at");
    if (at.empty()) at = "end";
    if (at != "end" && at != "next") Invalid("at must be end or next");
    AddToQueueChecked(ctx, p, sid, {track}, at, FormIfVersion(form));
    return std::string(at == "next" ? "Added; it plays next." : "Added to the queue.");
  });
}

Response QueueRemove(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const int64_t sid = AdminPathId(ctx);
  const Query form = CheckedForm(ctx, p);
  return QueueOutcome(ctx, p, sid, [&] {
    RemoveFromQueueChecked(ctx, p, sid, ctx.req.params.at("item_id"), FormIfVersion(form));
    return std::string("Removed from the queue.");
  });
}

Response QueueMove(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const int64_t sid = AdminPathId(ctx);
  const Query form = CheckedForm(ctx, p);
  return QueueOutcome(ctx, p, sid, [&] {
    if (!Can(p.user.role, Permission::kQueueManage)) {
      throw HttpError(403, "forbidden", "you may not reorder queues");
    }
    const int64_t to = FormInt(form, "to", 1, 1000000);
    MoveInQueueChecked(ctx, p, sid, ctx.req.params.at("item_id"), to, FormIfVersion(form));
    return "Moved to position " + std::to_string(to) + ".";
  });
}

Response QueueNext(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const int64_t sid = AdminPathId(ctx);
  const Query form = CheckedForm(ctx, p);
  return QueueOutcome(ctx, p, sid, [&] {
    MoveInQueueChecked(ctx, p, sid, ctx.req.params.at("item_id"), 1, FormIfVersion(form));
    return std::string("It plays next.");
  });
}

Response ClearPage(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kQueueManage);
  const Stream s = LoadStreamOr404(ctx, AdminPathId(ctx));
  const QueueSnapshot q = QueueOf(ctx).Snapshot(s.id, 0);
  LayoutInfo layout = PageLayout(ctx, p, "Clear the queue of " + s.title, "streams");
  AdminPage page(layout, "streams/clear.tpl");
  FillClearQueue(page.body(), s, q.length, q.version);
  return page.ToResponse(TemplatesDir(ctx));
}

Response QueueClear(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kStreamsView);
  const int64_t sid = AdminPathId(ctx);
  const Query form = CheckedForm(ctx, p);
  return QueueOutcome(ctx, p, sid, [&] {
    ClearQueueChecked(ctx, p, sid, FormIfVersion(form));
    return std::string("The queue is empty now.");
  });
}

}  // namespace

void RegisterAdminStreamRoutes(Router& router) {
  router.Add("GET", "/admin/streams", AdminHandler(StreamsList));
  router.Add("POST", "/admin/streams", AdminHandler(CreateStream));
  router.Add("GET", "/admin/streams/{id}", AdminHandler(ShowStream));
  router.Add("POST", "/admin/streams/{id}", AdminHandler(SaveStream));
  router.Add("POST", "/admin/streams/{id}/start", AdminHandler(Start));
  router.Add("POST", "/admin/streams/{id}/stop", AdminHandler(Stop));
  router.Add("POST", "/admin/streams/{id}/skip", AdminHandler(Skip));
  router.Add("GET", "/admin/streams/{id}/delete", AdminHandler(DeletePage));
  router.Add("POST", "/admin/streams/{id}/delete", AdminHandler(DeleteStream));
  router.Add("POST", "/admin/streams/{id}/queue", AdminHandler(QueueAdd));
  router.Add("GET", "/admin/streams/{id}/queue/clear", AdminHandler(ClearPage));
  router.Add("POST", "/admin/streams/{id}/queue/clear", AdminHandler(QueueClear));
  router.Add("POST", "/admin/streams/{id}/queue/{item_id}/remove", AdminHandler(QueueRemove));
  router.Add("POST", "/admin/streams/{id}/queue/{item_id}/move", AdminHandler(QueueMove));
  router.Add("POST", "/admin/streams/{id}/queue/{item_id}/next", AdminHandler(QueueNext));
}

}  // namespace sattva::fcgi
