#include "fcgi/admin/audit_views.h"

#include "fcgi/admin/view_helpers.h"
#include "fcgi/admin/views.h"
#include "fcgi/permissions.h"
#include "fcgi/templates.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
using namespace views;
using ctemplate::TemplateDictionary;
namespace {

const char* kKnownActions[] = {
    "auth.login",   "auth.login_failed",   "auth.logout",          "user.create",
    "user.update",  "user.role_change",    "user.block",           "user.unblock",
    "user.delete",  "user.password_reset", "user.password_change", "token.create",
    "token.revoke",
};

}  // namespace


// --- Audit log ------------------------------------------------------------------------------

AuditListParams AuditListParams::Parse(const Query& query) {
  AuditListParams p;
  p.actor = TextParam(query, "actor", 320);
  p.action = TextParam(query, "action", 100);
  p.target_type = TextParam(query, "target_type", 50);
  p.target_id = TextParam(query, "target_id", 100);
  p.since = First(query, "since");
  p.until = First(query, "until");
  std::string iso;
  if (!p.since.empty() && !DateToIso(p.since, 0, &iso))
    Invalid("since must be a date (YYYY-MM-DD)");
  if (!p.until.empty() && !DateToIso(p.until, 1, &iso))
    Invalid("until must be a date (YYYY-MM-DD)");
  p.page = QueryInt(query, "page", 1, 1, 1000000);
  p.per_page = QueryInt(query, "per_page", 50, 1, 200);
  return p;
}

AuditQuery AuditListParams::ToQuery() const {
  AuditQuery q;
  q.action = action;
  q.target_type = target_type;
  q.target_id = target_id;
  if (!since.empty()) DateToIso(since, 0, &q.since);
  if (!until.empty()) DateToIso(until, 1, &q.until);
  q.page = page;
  q.per_page = per_page;
  return q;
}

std::string AuditListParams::PageUrl(int p) const {
  const std::string qs = BuildQueryString({
      {"actor", actor},
      {"action", action},
      {"target_type", target_type},
      {"target_id", target_id},
      {"since", since},
      {"until", until},
      {"per_page", per_page == 50 ? "" : std::to_string(per_page)},
      {"page", p == 1 ? "" : std::to_string(p)},
  });
  return qs.empty() ? "/admin/audit" : "/admin/audit?" + qs;
}

std::string AuditListParams::ExportUrl(const std::string& format) const {
  const std::string qs = BuildQueryString({{"actor", actor},
                                           {"action", action},
                                           {"target_type", target_type},
                                           {"target_id", target_id},
                                           {"since", since},
                                           {"until", until}});
  return "/admin/audit/export." + format + (qs.empty() ? "" : "?" + qs);
}

void FillAudit(TemplateDictionary* d, const Principal& viewer, const AuditListParams& params,
               const std::vector<AuditRow>& rows, int64_t total, const std::string& notice) {
  d->SetValue("ACTOR", params.actor);
  d->SetValue("ACTION", params.action);
  d->SetValue("TARGET_TYPE", params.target_type);
  d->SetValue("TARGET_ID", params.target_id);
  d->SetValue("SINCE", params.since);
  d->SetValue("UNTIL", params.until);
  d->SetValue("EXPORT_CSV_HREF", params.ExportUrl("csv"));
  d->SetValue("EXPORT_JSON_HREF", params.ExportUrl("json"));
  for (const char* a : kKnownActions) d->AddSectionDictionary("KNOWN_ACTION")->SetValue("NAME", a);
  for (const char* t : {"user", "token", "stream", "track"}) {
    d->AddSectionDictionary("KNOWN_TARGET")->SetValue("NAME", t);
  }
  if (params.per_page != 50) {
    TemplateDictionary* h = d->AddSectionDictionary("HIDDEN");
    h->SetValue("NAME", "per_page");
    h->SetValue("VALUE", std::to_string(params.per_page));
  }
  if (!params.actor.empty() || !params.action.empty() || !params.target_type.empty() ||
      !params.target_id.empty() || !params.since.empty() || !params.until.empty()) {
    d->ShowSection("FILTERED");
  }
  if (!notice.empty()) d->AddSectionDictionary("NOTICE")->SetValue("TEXT", notice);
  d->SetValue("SUMMARY", ListSummary(params.page, params.per_page, total, rows.size(),
                                 total == 1 ? "entry" : "entries"));
  const bool link_users = Can(viewer.user.role, Permission::kUsersView);
  if (rows.empty()) {
    d->ShowSection("EMPTY");
  } else {
    TemplateDictionary* t = d->AddSectionDictionary("TABLE");
    for (const AuditRow& r : rows) {
      TemplateDictionary* row = t->AddSectionDictionary("ROW");
      SetTime(row, "TIME", r.created_at);
      const std::string actor = r.entry.actor_label.empty() ? "system" : r.entry.actor_label;
      if (r.entry.actor_user_id && link_users) {
        TemplateDictionary* a = row->AddSectionDictionary("ACTOR_LINK");
        a->SetValue("HREF", "/admin/users/" + std::to_string(*r.entry.actor_user_id));
        a->SetValue("TEXT", actor);
      } else {
        row->AddSectionDictionary("ACTOR_TEXT")->SetValue("TEXT", actor);
      }
      row->SetValue("ACTION", r.entry.action);
      if (r.entry.target_type.empty()) {
        row->ShowSection("NO_TARGET");
      } else {
        const std::string label =
            r.entry.target_type + (r.entry.target_id.empty() ? "" : " #" + r.entry.target_id);
        int64_t uid = 0;
        if (r.entry.target_type == "user" && link_users && ParseId(r.entry.target_id, &uid)) {
          TemplateDictionary* a = row->AddSectionDictionary("TARGET_LINK");
          a->SetValue("HREF", "/admin/users/" + std::to_string(uid));
          a->SetValue("TEXT", label);
        } else {
          row->AddSectionDictionary("TARGET_TEXT")->SetValue("TEXT", label);
        }
      }
      if (r.entry.changes.isObject() && !r.entry.changes.empty()) {
        row->AddSectionDictionary("CHANGES")->SetValue("JSON", PrettyJson(r.entry.changes));
      } else {
        row->ShowSection("NO_CHANGES");
      }
      row->SetValue("IP", r.entry.ip);
      row->SetValue("USER_AGENT", r.entry.user_agent);
    }
  }
  FillPager(d, params.page, params.per_page, total, params.PageUrl(params.page - 1),
            params.PageUrl(params.page + 1));
}

}  // namespace sattva::fcgi
