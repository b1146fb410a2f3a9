#include "fcgi/admin/history_section.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "fcgi/admin/views.h"
#include "fcgi/history.h"
#include "fcgi/templates.h"

namespace sattva::fcgi {
namespace {

using ctemplate::TemplateDictionary;

constexpr int kHistoryPerPage = 20;
constexpr int kSessionsPerPage = 10;
constexpr int64_t kCountCap = 1000;  // past this, a page says "more than"

// The section's own query parameters; everything else on the page's URL is kept as it is.
const std::set<std::string>& OwnKeys() {
  static const std::set<std::string> kKeys = {"history_page", "history_since", "history_until",
                                              "history_status", "sessions_page"};
  return kKeys;
}

std::string First(const Query& q, const std::string& key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

int PageParam(const Query& q, const std::string& key) {
  const std::string v = First(q, key);
  if (v.empty()) return 1;
  const bool digits = v.size() <= 7 && std::all_of(v.begin(), v.end(), [](char c) {
                        return c >= '0' && c <= '9';
                      });
  const int n = digits ? std::stoi(v) : 0;
  if (n < 1 || n > 1000000) {
    throw HttpError(422, "validation_failed",
                    key + " must be a whole number from 1 to 1000000");
  }
  return n;
}

struct State {
  std::string base;  // /admin/streams/{id}
  std::vector<std::pair<std::string, std::string>> others;  // the page's other parameters
  std::string since, until, status;                         // as typed (dates)
  int history_page = 1;
  int sessions_page = 1;

  // The page URL with the section's parameters set to these values ("" or page 1: left out),
  // landing on the section.
  std::string Url(int hist_page, int sess_page, bool with_filters) const {
    std::vector<std::pair<std::string, std::string>> qs = others;
    if (with_filters) {
      qs.emplace_back("history_since", since);
      qs.emplace_back("history_until", until);
      qs.emplace_back("history_status", status);
    }
    qs.emplace_back("history_page", hist_page > 1 ? std::to_string(hist_page) : "");
    qs.emplace_back("sessions_page", sess_page > 1 ? std::to_string(sess_page) : "");
    const std::string q = BuildQueryString(qs);
    return base + (q.empty() ? "" : "?" + q) + "#history-panel";
  }
  std::string ExportUrl(const std::string& format) const {
    const std::string q = BuildQueryString(
        {{"history_since", since}, {"history_until", until}, {"history_status", status}});
    return base + "/history/export." + format + (q.empty() ? "" : "?" + q);
  }
};

// "3:25", "1:02:03".
std::string Duration(int64_t ms) {
  const int64_t s = std::max<int64_t>(ms, 0) / 1000;
  char buf[32];
  if (s >= 3600) {
    snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
             static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
             static_cast<long long>(s % 60));
  }
  return buf;
}

// Badge colours from the panel's shared badge classes.
const char* PlayBadge(const std::string& reason) {
  if (reason == "finished") return "status-active";
  if (reason == "skipped") return "role-moderator";
  if (reason == "error") return "status-blocked";
  return "role-user";
}

const char* PlayLabel(const std::string& reason) {
  if (reason == "finished") return "finished";
  if (reason == "skipped") return "skipped";
  if (reason == "error") return "failed";
  return "stopped";
}

std::string SessionLabel(const std::string& reason) {
  if (reason == "auto_end") return "auto-end";
  if (reason == "manual") return "stopped";
  return reason;  // error, shutdown
}

// The pager section, or nullptr when everything fits on page 1.
TemplateDictionary* FillPager(TemplateDictionary* d, const std::string& section, int page,
                              int per_page, int64_t total, const std::string& prev,
                              const std::string& next) {
  const int64_t pages = std::max<int64_t>(1, (total + per_page - 1) / per_page);
  if (pages == 1 && page == 1) return nullptr;
  TemplateDictionary* p = d->AddSectionDictionary(section);
  p->SetIntValue("PAGE", page);
  p->SetIntValue("PAGES", static_cast<long>(pages));
  if (page > 1) {
    p->AddSectionDictionary("PREV")->SetValue("HREF", prev);
  } else {
    p->ShowSection("NO_PREV");
  }
  if (static_cast<int64_t>(page) * per_page < total) {
    p->AddSectionDictionary("NEXT")->SetValue("HREF", next);
  } else {
    p->ShowSection("NO_NEXT");
  }
  return p;
}

}  // namespace

void FillStreamHistorySections(RequestContext& ctx, TemplateDictionary* d, int64_t stream_id,
                               const Query& query, const std::string& include_name) {
  // Validate everything first: a bad value is a 422 before any query runs.
  HistoryQuery hq = HistoryQueryFromPage(query, stream_id);
  State st;
  st.base = "/admin/streams/" + std::to_string(stream_id);
  for (const auto& [k, v] : query) {
    if (OwnKeys().count(k) == 0) st.others.emplace_back(k, v);
  }
  st.since = First(query, "history_since");
  st.until = First(query, "history_until");
  st.status = hq.status;
  st.history_page = PageParam(query, "history_page");
  st.sessions_page = PageParam(query, "sessions_page");
  hq.page = st.history_page;
  hq.per_page = kHistoryPerPage;
  SessionQuery sq;
  sq.stream_id = stream_id;
  sq.since = hq.since;
  sq.until = hq.until;
  sq.page = st.sessions_page;
  sq.per_page = kSessionsPerPage;

  std::vector<PlayRecord> plays;
  std::vector<SessionRecord> sessions;
  int64_t plays_total = 0;
  int64_t sessions_total = 0;
  // Counting every play of a stream with years of history would cost more than the page: count
  // only a little past this page, and say "more than" beyond that.
  const int64_t cap = std::max<int64_t>(
      kCountCap, static_cast<int64_t>(st.history_page) * kHistoryPerPage);
  const int64_t sessions_cap = std::max<int64_t>(
      kCountCap, static_cast<int64_t>(st.sessions_page) * kSessionsPerPage);
  ctx.Read([&](pqxx::transaction_base& tx) {
    plays = HistoryStore::List(tx, hq, &plays_total, cap);
    sessions = HistoryStore::Sessions(tx, sq, &sessions_total, sessions_cap);
  });

  TemplateDictionary* s = d->AddIncludeDictionary(include_name);
  s->SetFilename("history/section.tpl");
  s->SetValue("FORM_ACTION", st.base);
  s->SetValue("SINCE", st.since);
  s->SetValue("UNTIL", st.until);
  TemplateDictionary* any = s->AddSectionDictionary("STATUS_OPT");
  any->SetValue("VALUE", "");
  any->SetValue("LABEL", "Any");
  if (st.status.empty()) any->ShowSection("SELECTED");
  for (const std::string& r : PlayEndReasons()) {
    TemplateDictionary* o = s->AddSectionDictionary("STATUS_OPT");
    o->SetValue("VALUE", r);
    o->SetValue("LABEL", r == "error" ? "Failed" : std::string(1, static_cast<char>(r[0] - 32)) +
                                                        r.substr(1));
    if (st.status == r) o->ShowSection("SELECTED");
  }
  // The filter form starts the history over at page 1 and keeps the rest of the page's state.
  for (const auto& [k, v] : st.others) {
    TemplateDictionary* h = s->AddSectionDictionary("HIDDEN");
    h->SetValue("NAME", k);
    h->SetValue("VALUE", v);
  }
  if (st.sessions_page > 1) {
    TemplateDictionary* h = s->AddSectionDictionary("HIDDEN");
    h->SetValue("NAME", "sessions_page");
    h->SetValue("VALUE", std::to_string(st.sessions_page));
  }
  if (!st.since.empty() || !st.until.empty() || !st.status.empty()) {
    s->ShowSection("FILTERED");
    s->SetValue("CLEAR_HREF", st.Url(1, 1, false));
  }
  s->SetValue("EXPORT_CSV_HREF", st.ExportUrl("csv"));
  s->SetValue("EXPORT_JSON_HREF", st.ExportUrl("json"));

  const bool more_sessions = sessions_total > sessions_cap;
  if (more_sessions && !sessions.empty()) {
    const int64_t first = static_cast<int64_t>(st.sessions_page - 1) * kSessionsPerPage + 1;
    s->SetValue("SESSIONS_SUMMARY", "Showing " + std::to_string(first) + "\u2013" +
                                        std::to_string(first + sessions.size() - 1) +
                                        " of more than " + std::to_string(sessions_cap) +
                                        " sessions");
  } else {
    s->SetValue("SESSIONS_SUMMARY",
                ListSummary(st.sessions_page, kSessionsPerPage, sessions_total, sessions.size(),
                            sessions_total == 1 ? "session" : "sessions"));
  }
  for (const SessionRecord& r : sessions) {
    TemplateDictionary* row = s->AddSectionDictionary("SESSION");
    row->SetValue("ID", std::to_string(r.id));
    row->SetValue("STARTED", r.started_at);
    row->SetValue("STARTED_TEXT", FormatTime(r.started_at));
    if (r.ended_at.empty()) {
      row->ShowSection("OPEN");
    } else {
      TemplateDictionary* e = row->AddSectionDictionary("ENDED");
      e->SetValue("ISO", r.ended_at);
      e->SetValue("TEXT", FormatTime(r.ended_at));
    }
    if (!r.end_reason.empty()) {
      TemplateDictionary* rs = row->AddSectionDictionary("REASON");
      rs->SetValue("CLASS", r.end_reason == "error" ? "status-blocked" : "role-user");
      rs->SetValue("LABEL", SessionLabel(r.end_reason));
      if (!r.end_detail.empty()) rs->AddSectionDictionary("DETAIL")->SetValue("TEXT", r.end_detail);
    }
    if (r.ended_by_id) row->AddSectionDictionary("ENDED_BY")->SetValue("NAME", r.ended_by_name);
    row->SetValue("PEAK", std::to_string(r.peak_listeners));
    row->SetValue("TRACKS", std::to_string(r.tracks_played));
  }
  if (sessions.empty()) s->ShowSection("NO_SESSIONS");
  TemplateDictionary* sessions_pager =
      FillPager(s, "SESSIONS_PAGER", st.sessions_page, kSessionsPerPage, sessions_total,
                st.Url(st.history_page, st.sessions_page - 1, true),
                st.Url(st.history_page, st.sessions_page + 1, true));
  if (more_sessions && sessions_pager != nullptr) {
    sessions_pager->SetValue("PAGES", "more than " + std::to_string(sessions_cap / kSessionsPerPage));
  }

  const bool more = plays_total > cap;
  if (more && !plays.empty()) {
    const int64_t first = static_cast<int64_t>(st.history_page - 1) * kHistoryPerPage + 1;
    s->SetValue("HISTORY_SUMMARY", "Showing " + std::to_string(first) + "\u2013" +
                                       std::to_string(first + plays.size() - 1) +
                                       " of more than " + std::to_string(cap) + " plays");
  } else {
    s->SetValue("HISTORY_SUMMARY",
                ListSummary(st.history_page, kHistoryPerPage, plays_total, plays.size(),
                            plays_total == 1 ? "play" : "plays"));
  }
  for (const PlayRecord& p : plays) {
    TemplateDictionary* row = s->AddSectionDictionary("PLAY");
    row->SetValue("ID", std::to_string(p.id));
    row->SetValue("REASON_NAME", p.end_reason.empty() ? "playing" : p.end_reason);
    row->SetValue("STARTED", p.started_at);
    row->SetValue("STARTED_TEXT", FormatTime(p.started_at));
    const std::string title =
        !p.title.empty() ? p.title
                         : (p.track_id ? "Track #" + std::to_string(*p.track_id)
                                       : std::string("Deleted track"));
    if (p.track_id) {
      TemplateDictionary* t = row->AddSectionDictionary("TRACK_LINK");
      t->SetValue("HREF", "/admin/tracks/" + std::to_string(*p.track_id));
      t->SetValue("TITLE", title);
    } else {
      row->AddSectionDictionary("TRACK_TEXT")->SetValue("TITLE", title);
    }
    if (!p.artist.empty()) row->AddSectionDictionary("ARTIST")->SetValue("TEXT", p.artist);
    if (p.queued_by_id) {
      row->AddSectionDictionary("QUEUED_BY")->SetValue("NAME", p.queued_by_name);
    } else {
      row->ShowSection("NO_QUEUED_BY");
    }
    row->SetValue("PLAYED", p.played_ms ? Duration(*p.played_ms) : std::string("—"));
    if (p.end_reason.empty()) {
      row->ShowSection("PLAYING");
    } else {
      TemplateDictionary* rs = row->AddSectionDictionary("REASON");
      rs->SetValue("CLASS", PlayBadge(p.end_reason));
      rs->SetValue("LABEL", PlayLabel(p.end_reason));
    }
    if (!p.error.empty()) row->AddSectionDictionary("ERROR")->SetValue("TEXT", p.error);
  }
  if (plays.empty()) s->ShowSection("NO_PLAYS");
  TemplateDictionary* pager =
      FillPager(s, "HISTORY_PAGER", st.history_page, kHistoryPerPage, plays_total,
                st.Url(st.history_page - 1, st.sessions_page, true),
                st.Url(st.history_page + 1, st.sessions_page, true));
  if (more && pager != nullptr) {
    pager->SetValue("PAGES", "more than " + std::to_string(cap / kHistoryPerPage));
  }
}

}  // namespace sattva::fcgi
