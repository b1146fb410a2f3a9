#include "fcgi/admin/streams_views.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/json.h"
#include "fcgi/admin/views.h"
#include "fcgi/permissions.h"
#include "fcgi/templates.h"

namespace sattva::fcgi {
namespace {

using ctemplate::TemplateDictionary;

void SetTime(TemplateDictionary* d, const std::string& prefix, const std::string& iso) {
  d->SetValue(prefix, iso);
  d->SetValue(prefix + "_TEXT", FormatTime(iso));
}

std::string Num(int64_t n) { return std::to_string(n); }

// The now-playing item of a stream: title, artist, duration, the position now.
struct NowView {
  bool playing = false;
  std::string item_id;
  std::string title;
  std::string artist;
  int64_t duration_ms = 0;  // 0 when unknown
  int64_t position_ms = 0;
};

NowView NowOf(const StreamLive& live, int64_t now_ms) {
  NowView n;
  if (live.now_item.empty()) return n;
  Json::Value item;
  std::string err;
  if (!common::ParseJson(live.now_item, &item, &err) || !item.isObject()) return n;
  n.playing = true;
  n.item_id = item["id"].isString() ? item["id"].asString() : "";
  const Json::Value& t = item["track"];
  if (t.isObject()) {
    n.title = t["title"].isString() ? t["title"].asString() : "";
    n.artist = t["artist"].isString() ? t["artist"].asString() : "";
    if (t["duration_ms"].isIntegral()) n.duration_ms = t["duration_ms"].asInt64();
  }
  n.position_ms = PlaybackPositionMs(live, n.duration_ms, item["placeholder"].isBool() && item["placeholder"].asBool(), now_ms);
  return n;
}

void FillNow(TemplateDictionary* d, const NowView& n) {
  if (!n.playing) {
    d->ShowSection("NOTHING_PLAYING");
    return;
  }
  TemplateDictionary* p = d->AddSectionDictionary("PLAYING");
  p->SetValue("TITLE", n.title.empty() ? "Untitled" : n.title);
  if (!n.artist.empty()) p->AddSectionDictionary("ARTIST")->SetValue("TEXT", n.artist);
  p->SetValue("POSITION_MS", Num(n.position_ms));
  p->SetValue("POSITION_TEXT", ClockText(n.position_ms / 1000));
  if (n.duration_ms > 0) {
    TemplateDictionary* dur = p->AddSectionDictionary("DURATION");
    dur->SetValue("MS", Num(n.duration_ms));
    dur->SetValue("TEXT", ClockText((n.duration_ms + 999) / 1000));
    dur->SetValue("POSITION_MS", Num(n.position_ms));
  } else {
    p->ShowSection("NO_DURATION");
  }
}

// The state badge: running / starting / stopped, and the auto-end countdown.
void FillState(TemplateDictionary* d, const Stream& s, const StreamLive& live, int64_t now_ms) {
  d->SetValue("STATE", live.state);
  d->SetValue("DESIRED_STATE", s.desired_state);
  const AutoEndView a = AutoEndOf(s, live, now_ms);
  if (a.armed) {
    TemplateDictionary* e = d->AddSectionDictionary("ENDING");
    e->SetValue("TEXT", ClockText(a.seconds_remaining));
    e->SetValue("SECONDS", Num(a.seconds_remaining));
  }
}

std::string AutoEndText(const Stream& s) {
  if (!s.auto_end_enabled) return "off";
  return "after " + ClockText(s.auto_end_timeout_s) + " without listeners";
}

// A rules message as the form shows it: the field's label instead of its API name.
std::string Friendly(const std::string& error) {
  static const std::pair<const char*, const char*> kLabels[] = {
      {"auto_end_timeout_s", "the auto-end timeout"},
      {"auto_end_enabled", "auto-end"},
      {"placeholder_track_id", "the placeholder track"},
      {"description", "the description"},
      {"public", "public"},
      {"title", "the title"},
      {"slug", "the slug"}};
  for (const auto& [key, label] : kLabels) {
    const std::string k = key;
    if (error.compare(0, k.size(), k) == 0 && (error.size() == k.size() || error[k.size()] == ' ')) {
      return Sentence(label + error.substr(k.size()));
    }
  }
  return Sentence(error);
}

void AddFieldError(TemplateDictionary* d, const std::string& error, const std::string& field) {
  if (!error.empty() && StreamErrorField(error) == field) {
    std::string name = "ERR_" + field;
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    d->AddSectionDictionary(name)->SetValue("TEXT", Friendly(error));
  }
}

}  // namespace

// --- small helpers ---------------------------------------------------------------------------

std::string ClockText(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t h = seconds / 3600, m = (seconds / 60) % 60, s = seconds % 60;
  char buf[48];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(s));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(m),
                  static_cast<long long>(s));
  }
  return buf;
}

std::string StreamErrorField(const std::string& message) {
  for (const char* f : {"slug", "title", "description", "placeholder_track_id",
                        "auto_end_timeout_s", "auto_end_enabled", "public"}) {
    const std::string k = f;
    if (message.compare(0, k.size(), k) == 0 &&
        (message.size() == k.size() || message[k.size()] == ' ')) {
      return k;
    }
  }
  if (message.find("slug '") != std::string::npos) return "slug";  // taken (409)
  return "";
}

// --- the list --------------------------------------------------------------------------------

const ListSpec& StreamsListSpec() {
  static const ListSpec kSpec = [] {
    ListSpec s;
    s.base_url = "/admin/streams";
    s.columns = {{"id", "ID"},
                 {"title", "Stream"},
                 {"slug", "Slug"},
                 {"", "State"},
                 {"", "Now playing"},
                 {"", "Listeners"},
                 {"", "Queue"},
                 {"", "Auto-end"},
                 {"", "Last end"},
                 {"created_at", "Created", true}};
    s.filters = {{"q", {}, "Any", 200},
                 {"state", {{"running", "Running"}, {"stopped", "Stopped"}}, "Any state", 0}};
    // Sorted by id ascending, 20 a page (10, 20, 50 or 100): the ListSpec defaults.
    s.noun_one = "stream";
    s.noun_many = "streams";
    return s;
  }();
  return kSpec;
}

StreamQuery StreamQueryFrom(const ListParams& params) {
  StreamQuery q;
  q.q = params.Filter("q");
  q.state = params.Filter("state");
  q.sort = params.sort;
  q.descending = params.descending();
  q.page = params.page;
  q.per_page = params.per_page;
  return q;
}

void FillStreamsList(TemplateDictionary* d, const Principal& viewer, const ListParams& params,
                     const std::vector<StreamRow>& rows, int64_t total, int64_t now_ms,
                     const NewStreamForm& form) {
  params.FillForm(d);
  const bool manage = Can(viewer.user.role, Permission::kStreamsManage);
  if (manage) {
    TemplateDictionary* f = d->AddSectionDictionary("NEW_STREAM");
    f->SetValue("TITLE", form.title);
    f->SetValue("SLUG", form.slug);
    f->SetValue("DESCRIPTION", form.description);
    if (!form.error.empty()) {
      f->AddSectionDictionary("ERROR")->SetValue("TEXT", Friendly(form.error));
      f->ShowSection("OPEN");
      AddFieldError(f, form.error, "title");
      AddFieldError(f, form.error, "slug");
      AddFieldError(f, form.error, "description");
    }
  }
  params.FillFooter(d, total, rows.size());
  if (rows.empty()) {
    d->AddSectionDictionary("EMPTY")->SetValue(
        "TEXT", params.Filtered() || total > 0 ? "No streams to show."
                : manage ? "No streams yet: create the first with New stream."
                         : "No streams yet.");
    return;
  }
  TemplateDictionary* t = d->AddSectionDictionary("TABLE");
  params.FillColumns(t, "COLUMNS");
  for (const StreamRow& r : rows) {
    const Stream& s = r.stream;
    TemplateDictionary* row = t->AddSectionDictionary("ROW");
    row->SetValue("ID", Num(s.id));
    row->SetValue("TITLE", s.title);
    row->SetValue("SLUG", s.slug);
    if (!s.is_public) row->ShowSection("HIDDEN_STREAM");
    FillState(row, s, r.live, now_ms);
    FillNow(row, NowOf(r.live, now_ms));
    row->SetValue("LISTENERS", Num(r.live.listeners));
    row->SetValue("LISTENERS_LIVE", Num(r.live.listeners_live));
    row->SetValue("LISTENERS_BRIDGE", Num(r.live.listeners_bridge));
    row->SetValue("QUEUE_LENGTH", Num(r.live.queue_length));
    row->SetValue("AUTO_END", AutoEndText(s));
    if (s.last_end_reason.empty()) {
      row->ShowSection("NEVER_ENDED");
    } else {
      TemplateDictionary* e = row->AddSectionDictionary("LAST_END");
      e->SetValue("REASON", s.last_end_reason);
      SetTime(e, "AT", s.last_ended_at);
    }
    SetTime(row, "CREATED_AT", s.created_at);
    if (manage) row->ShowSection("CAN_DELETE");
  }
}

// --- the stream page -------------------------------------------------------------------------

StreamSettingsForm SettingsFormFrom(const Stream& s) {
  StreamSettingsForm f;
  f.title = s.title;
  f.slug = s.slug;
  f.description = s.description;
  f.placeholder_track_id = s.placeholder_track_id ? Num(*s.placeholder_track_id) : "";
  f.auto_end_enabled = s.auto_end_enabled;
  f.auto_end_timeout_s = Num(s.auto_end_timeout_s);
  f.is_public = s.is_public;
  return f;
}

void FillStreamPage(TemplateDictionary* d, const Principal& viewer, const StreamPageData& data,
                    const StreamSettingsForm& form) {
  const Stream& s = data.stream;
  const Role role = viewer.user.role;
  const bool manage = Can(role, Permission::kStreamsManage);
  const bool queue_manage = Can(role, Permission::kQueueManage);
  const bool queue_add = Can(role, Permission::kQueueAdd);
  const std::string base = "/admin/streams/" + Num(s.id);
  d->SetValue("ID", Num(s.id));
  d->SetValue("BASE", base);
  d->SetValue("TITLE", s.title);
  d->SetValue("SLUG", s.slug);
  if (!s.description.empty()) d->AddSectionDictionary("DESCRIPTION")->SetValue("TEXT", s.description);
  if (!s.is_public) d->ShowSection("HIDDEN_STREAM");
  FillState(d, s, data.live, data.now_ms);

  // Now playing and controls.
  // The card keeps one shape whatever plays, so stream-live.js can update it in place.
  const NowView now = NowOf(data.live, data.now_ms);
  d->SetValue("NOW_ITEM_ID", now.item_id);
  if (now.playing) {
    d->SetValue("NOW_TITLE", now.title.empty() ? "Untitled" : now.title);
    d->SetValue("NOW_ARTIST", now.artist.empty() ? "" : "\u2014 " + now.artist);
  } else {
    d->ShowSection("NOTHING_PLAYING");
    d->SetValue("NOW_TITLE", "Nothing is playing");
  }
  d->SetValue("NOW_POSITION", ClockText(now.position_ms / 1000));
  d->SetValue("NOW_DURATION", now.duration_ms > 0 ? ClockText((now.duration_ms + 999) / 1000)
                                                  : std::string("--:--"));
  if (!now.playing || now.duration_ms > 0) {  // unknown length (a live URL): indeterminate
    TemplateDictionary* k = d->AddSectionDictionary("NOW_KNOWN");
    k->SetValue("MAX", now.playing ? Num(now.duration_ms) : "1");
    k->SetValue("VALUE", now.playing ? Num(now.position_ms) : "0");
  }
  d->SetValue("LISTENERS", Num(data.live.listeners));
  d->SetValue("LISTENERS_LIVE", Num(data.live.listeners_live));
  d->SetValue("LISTENERS_BRIDGE", Num(data.live.listeners_bridge));
  d->SetValue("AUTO_END", AutoEndText(s));
  if (manage) {
    TemplateDictionary* c = d->AddSectionDictionary("CONTROLS");
    if (s.desired_state == "running") {
      c->ShowSection("RUNNING");
    } else {
      c->ShowSection("STOPPED");
    }
  }

  // Player and mounts.
  for (const auto& [ext, type] : {std::pair<const char*, const char*>{"ogg", "audio/ogg"},
                                  {"mp3", "audio/mpeg"}}) {
    TemplateDictionary* m = d->AddSectionDictionary("MOUNT");
    m->SetValue("PATH", "/live/" + s.slug + "." + ext);
    m->SetValue("URL", data.public_url + "/live/" + s.slug + "." + ext);
    m->SetValue("TYPE", type);
    m->SetValue("EXT", ext);
  }

  // The queue.
  d->SetValue("QUEUE_VERSION", Num(data.queue.version));
  const int64_t n = std::max<int64_t>(data.queue.length,
                                      static_cast<int64_t>(data.queue.rows.size()));
  d->SetValue("QUEUE_LENGTH", Num(n));
  if (static_cast<int64_t>(data.queue.rows.size()) < n) {
    TemplateDictionary* more = d->AddSectionDictionary("QUEUE_MORE");
    more->SetValue("SHOWN", Num(static_cast<int64_t>(data.queue.rows.size())));
    more->SetValue("TOTAL", Num(n));
  } else if (data.queue_all && n > kQueueShown) {
    d->ShowSection("QUEUE_FIRST_ONLY");
  }
  if (data.queue_conflict) d->ShowSection("QUEUE_CONFLICT");
  if (!data.queue_error.empty()) {
    d->AddSectionDictionary("QUEUE_ERROR")->SetValue("TEXT", Sentence(data.queue_error));
  }
  if (queue_manage) d->ShowSection("QUEUE_MANAGE");
  if (n == 0) {
    d->ShowSection("QUEUE_EMPTY");
  } else if (queue_manage) {
    d->AddSectionDictionary("CAN_CLEAR")->SetValue("VERSION", Num(data.queue.version));
  }
  int64_t pos = 0;
  for (const QueueRow& item : data.queue.rows) {
    ++pos;
    TemplateDictionary* li = d->AddSectionDictionary("ITEM");
    li->SetValue("ITEM_ID", item.id);
    li->SetValue("POSITION", Num(pos));
    li->SetValue("MAX", Num(n));
    li->SetValue("TITLE", item.title.empty() ? "Untitled" : item.title);
    if (!item.artist.empty()) li->AddSectionDictionary("ARTIST")->SetValue("TEXT", item.artist);
    if (item.duration_ms) {
      li->AddSectionDictionary("DURATION")->SetValue("TEXT", ClockText((*item.duration_ms + 999) / 1000));
    }
    li->SetValue("ADDED_BY", item.added_by_name);
    const bool own = item.added_by && *item.added_by == viewer.user.id;
    if (queue_manage) {
      li->ShowSection("MANAGE");
    } else if (queue_add && own) {
      li->ShowSection("REMOVE_ONLY");
    }
  }

  // Add from the catalog.
  if (queue_add) {
    TemplateDictionary* a = d->AddSectionDictionary("ADD");
    a->SetValue("TRACK_Q", data.track_q);
    if (data.searched) {
      if (data.track_results.empty()) {
        a->ShowSection("NO_RESULTS");
      } else {
        a->SetValue("RESULT_SUMMARY",
                    data.track_total > static_cast<int64_t>(data.track_results.size())
                        ? "The first " + Num(static_cast<int64_t>(data.track_results.size())) +
                              " of " + Num(data.track_total) + " matches"
                        : Num(data.track_total) + (data.track_total == 1 ? " match" : " matches"));
      }
      for (const Track& t : data.track_results) {
        TemplateDictionary* r = a->AddSectionDictionary("RESULT");
        r->SetValue("TRACK_ID", Num(t.id));
        r->SetValue("TITLE", t.title);
        r->SetValue("ARTIST", t.artist);
        if (t.duration_ms) r->AddSectionDictionary("DURATION")->SetValue("TEXT", ClockText(*t.duration_ms / 1000));
      }
    }
  }

  // Settings.
  if (manage) {
    TemplateDictionary* f = d->AddSectionDictionary("SETTINGS");
    if (!form.error.empty()) {
      f->AddSectionDictionary("ERROR")->SetValue("TEXT", Friendly(form.error));
      for (const char* k : {"title", "slug", "description", "placeholder_track_id",
                            "auto_end_timeout_s"}) {
        AddFieldError(f, form.error, k);
      }
    }
    f->SetValue("TITLE", form.title);
    f->SetValue("SLUG", form.slug);
    f->SetValue("DESCRIPTION", form.description);
    f->SetValue("AUTO_END_TIMEOUT_S", form.auto_end_timeout_s);
    if (form.auto_end_enabled) f->ShowSection("AUTO_END_CHECKED");
    if (form.is_public) f->ShowSection("PUBLIC_CHECKED");
    // The placeholder picker: none, the current one, and the catalog search's results.
    auto option = [&](const std::string& value, const std::string& label) {
      TemplateDictionary* o = f->AddSectionDictionary("PLACEHOLDER_OPT");
      o->SetValue("VALUE", value);
      o->SetValue("LABEL", label);
      if (value == form.placeholder_track_id) o->ShowSection("SELECTED");
    };
    option("", "None (the default placeholder)");
    std::vector<std::string> shown;
    if (data.placeholder) {
      const Track& t = *data.placeholder;
      option(Num(t.id), t.title + (t.artist.empty() ? "" : " — " + t.artist) +
                            (t.deleted_at.empty() ? "" : " (deleted)"));
      shown.push_back(Num(t.id));
    }
    for (const Track& t : data.track_results) {
      if (std::find(shown.begin(), shown.end(), Num(t.id)) != shown.end()) continue;
      option(Num(t.id), t.title + (t.artist.empty() ? "" : " — " + t.artist));
      shown.push_back(Num(t.id));
    }
    // A typed id that is none of the above (re-rendered after an error) stays selected.
    if (!form.placeholder_track_id.empty() &&
        std::find(shown.begin(), shown.end(), form.placeholder_track_id) == shown.end()) {
      option(form.placeholder_track_id, "Track " + form.placeholder_track_id);
    }
    d->ShowSection("DANGER");
  }
}

void FillDeleteStream(TemplateDictionary* d, const Stream& s, int64_t queue_length) {
  d->SetValue("ID", Num(s.id));
  d->SetValue("TITLE", s.title);
  d->SetValue("SLUG", s.slug);
  d->SetValue("STATE", s.desired_state);
  d->SetValue("QUEUE_LENGTH", Num(queue_length));
  if (s.desired_state == "running") d->ShowSection("RUNNING");
}

void FillClearQueue(TemplateDictionary* d, const Stream& s, int64_t queue_length,
                    int64_t version) {
  d->SetValue("ID", Num(s.id));
  d->SetValue("TITLE", s.title);
  d->SetValue("QUEUE_LENGTH", Num(queue_length));
  d->SetValue("VERSION", Num(version));
}

}  // namespace sattva::fcgi
