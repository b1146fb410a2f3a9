#include "fcgi/admin/dashboard_views.h"

#include "fcgi/admin/views.h"

namespace sattva::fcgi {
namespace {

using ctemplate::TemplateDictionary;

struct Card {
  std::string key;  // the element id is card-<key>
  std::string label;
  std::string value;
  std::string hint;
  std::string href;
};

void AddGroup(TemplateDictionary* d, const std::string& id, const std::string& title,
              const std::vector<Card>& cards) {
  TemplateDictionary* g = d->AddSectionDictionary("GROUP");
  g->SetValue("GID", id);
  g->SetValue("GTITLE", title);
  for (const Card& c : cards) {
    TemplateDictionary* t = g->AddSectionDictionary("CARD");
    t->SetValue("KEY", c.key);
    t->SetValue("LABEL", c.label);
    t->SetValue("VALUE", c.value);
    if (!c.hint.empty()) t->AddSectionDictionary("HINT")->SetValue("TEXT", c.hint);
    if (!c.href.empty()) {
      t->AddSectionDictionary("LINK")->SetValue("HREF", c.href);
    }
  }
}

std::string N(int64_t n) { return std::to_string(n); }

}  // namespace

std::string AuditTargetUrl(const std::string& target_type, const std::string& target_id) {
  int64_t id = 0;
  if (!ParseId(target_id, &id)) return "";
  if (target_type == "stream") return "/admin/streams/" + std::to_string(id);
  if (target_type == "user") return "/admin/users/" + std::to_string(id);
  if (target_type == "track") return "/admin/tracks/" + std::to_string(id);
  return "";
}

void FillDashboard(TemplateDictionary* d, const Principal& viewer, const DashboardData& data) {
  d->SetValue("NAME",
              viewer.user.display_name.empty() ? viewer.user.email : viewer.user.display_name);
  const StationCounts& s = data.station;
  const LiveTotals& l = data.live;
  AddGroup(d, "station", "Station",
           {
               {"streams", "Streams running", N(s.streams_running) + " / " + N(s.streams_total),
                "running / total", "/admin/streams?state=running"},
               {"listeners", "Listeners now", N(l.listeners),
                N(l.listeners_live) + " live, " + N(l.listeners_bridge) + " in the call",
                "/admin/streams?state=running"},
               {"tracks", "Tracks in the catalog", N(s.tracks), "", "/admin/tracks"},
               {"queued", "Queued items", N(l.queue_items), "across all streams",
                "/admin/streams"},
               {"plays", "Tracks played today", N(s.plays_today), "since 00:00 UTC",
                "/admin/streams"},
               {"auto-ends", "Auto-ends today", N(s.auto_ends_today),
                "streams that ended with no listeners", "/admin/streams?state=stopped"},
           });
  if (data.show_users) {
    const Json::Value& c = data.user_counts;
    auto n = [&](const char* k) { return c.isMember(k) ? c[k].asInt64() : 0; };
    AddGroup(d, "people", "Users and roles",
             {
                 {"users", "Users", N(n("total")),
                  N(n("active")) + " active, " + N(n("blocked")) + " blocked", "/admin/users"},
                 {"admins", "Admins", N(n("admin")), "", "/admin/users?role=admin"},
                 {"moderators", "Moderators", N(n("moderator")), "",
                  "/admin/users?role=moderator"},
                 {"blocked", "Blocked", N(n("blocked")), "", "/admin/users?status=blocked"},
             });
  }
  if (data.show_audit) {
    TemplateDictionary* a = d->AddSectionDictionary("RECENT");
    for (const AuditRow& r : data.recent) {
      TemplateDictionary* row = a->AddSectionDictionary("ROW");
      row->SetValue("TIME", r.created_at);
      row->SetValue("TIME_TEXT", FormatTime(r.created_at));
      row->SetValue("ACTOR", r.entry.actor_label.empty() ? "system" : r.entry.actor_label);
      row->SetValue("ACTION", r.entry.action);
      if (r.entry.target_type.empty()) continue;
      const std::string text = r.entry.target_type + " #" + r.entry.target_id;
      const std::string href = AuditTargetUrl(r.entry.target_type, r.entry.target_id);
      if (href.empty()) {
        row->AddSectionDictionary("TARGET_TEXT")->SetValue("TEXT", text);
      } else {
        TemplateDictionary* t = row->AddSectionDictionary("TARGET_LINK");
        t->SetValue("HREF", href);
        t->SetValue("TEXT", text);
      }
    }
    if (data.recent.empty()) a->ShowSection("NONE");
  }
}

}  // namespace sattva::fcgi
