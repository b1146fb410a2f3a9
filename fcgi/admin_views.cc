#include "fcgi/admin_views.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "common/json.h"
#include "fcgi/permissions.h"
#include "fcgi/templates.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
namespace {

using ctemplate::TemplateDictionary;

const char kHome[] = "/admin/";

std::string First(const Query& q, const std::string& key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

[[noreturn]] void Invalid(const std::string& message) {
  throw HttpError(422, "validation_failed", message);
}

// A small positive integer query parameter; absent or empty gives `def`.
int QueryInt(const Query& q, const std::string& key, int def, int min, int max) {
  const std::string v = First(q, key);
  if (v.empty()) return def;
  bool ok =
      v.size() <= 9 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  int n = ok ? std::stoi(v) : 0;
  if (!ok || n < min || n > max) {
    Invalid(key + " must be a whole number from " + std::to_string(min) + " to " +
            std::to_string(max));
  }
  return n;
}

std::string TextParam(const Query& q, const std::string& key, size_t max_bytes) {
  std::string v = First(q, key);
  if (!common::IsValidUtf8(v)) Invalid(key + " is not valid UTF-8");
  if (v.size() > max_bytes) {
    Invalid(key + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  return v;
}

std::string Capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string PrettyJson(const Json::Value& v) {
  Json::StreamWriterBuilder b;
  b["indentation"] = "  ";
  b["emitUTF8"] = true;
  return Json::writeString(b, v);
}

void SetTime(TemplateDictionary* d, const std::string& prefix, const std::string& iso) {
  d->SetValue(prefix, iso);
  d->SetValue(prefix + "_TEXT", FormatTime(iso));
}

// A time, or "never" when empty: sections <PREFIX> (ISO, TEXT) or <PREFIX>_NEVER.
void SetOptionalTime(TemplateDictionary* d, const std::string& prefix, const std::string& iso) {
  if (iso.empty()) {
    d->ShowSection(prefix + "_NEVER");
    return;
  }
  TemplateDictionary* t = d->AddSectionDictionary(prefix);
  t->SetValue("ISO", iso);
  t->SetValue("TEXT", FormatTime(iso));
}

void AddOption(TemplateDictionary* d, const std::string& section, const std::string& value,
               const std::string& label, const std::string& current) {
  TemplateDictionary* o = d->AddSectionDictionary(section);
  o->SetValue("VALUE", value);
  o->SetValue("LABEL", label);
  if (value == current) o->ShowSection("SELECTED");
}

void AddError(TemplateDictionary* d, const std::string& section, const std::string& message) {
  if (message.empty()) return;
  d->AddSectionDictionary(section)->SetValue("TEXT", Sentence(message));
}

std::string TelegramText(const std::optional<int64_t>& id) {
  return id ? std::to_string(*id) : std::string();
}

void FillPager(TemplateDictionary* d, int page, int per_page, int64_t total,
               const std::string& prev_url, const std::string& next_url) {
  const int64_t pages = std::max<int64_t>(1, (total + per_page - 1) / per_page);
  if (pages == 1 && page == 1) return;  // nothing to page through
  TemplateDictionary* p = d->AddSectionDictionary("PAGER");
  p->SetIntValue("PAGE", page);
  p->SetIntValue("PAGES", static_cast<long>(pages));
  if (page > 1) {
    p->AddSectionDictionary("PREV")->SetValue("HREF", prev_url);
  } else {
    p->ShowSection("NO_PREV");
  }
  if (static_cast<int64_t>(page) * per_page < total) {
    p->AddSectionDictionary("NEXT")->SetValue("HREF", next_url);
  } else {
    p->ShowSection("NO_NEXT");
  }
}

// "Showing 21–40 of 57 users", or why nothing is shown.
std::string Summary(int page, int per_page, int64_t total, size_t shown, const std::string& noun) {
  if (total == 0) return "No " + noun + " match.";
  if (shown == 0) {
    return "Nothing on page " + std::to_string(page) + "; there are " + std::to_string(total) +
           " " + noun + " in all.";
  }
  const int64_t first = static_cast<int64_t>(page - 1) * per_page + 1;
  const int64_t last = first + static_cast<int64_t>(shown) - 1;
  return "Showing " + std::to_string(first) + "\u2013" + std::to_string(last) + " of " +
         std::to_string(total) + " " + noun;
}

const struct {
  const char* key;
  const char* label;
} kUserColumns[] = {
    {"id", "ID"},
    {"email", "Email"},
    {"display_name", "Name"},
    {"role", "Role"},
    {"status", "Status"},
    {"created_at", "Created"},
    {"last_login_at", "Last login"},
};

bool IsUserSortKey(const std::string& s) {
  for (const auto& c : kUserColumns) {
    if (s == c.key) return true;
  }
  return false;
}

const char* kKnownActions[] = {
    "auth.login",   "auth.login_failed",   "auth.logout",          "user.create",
    "user.update",  "user.role_change",    "user.block",           "user.unblock",
    "user.delete",  "user.password_reset", "user.password_change", "token.create",
    "token.revoke",
};

}  // namespace

// --- Small helpers ------------------------------------------------------------------------

std::string SafeAdminNext(const std::string& next) {
  if (next.empty() || next.size() > 2000) return kHome;
  for (unsigned char c : next) {
    if (c < 0x21 || c > 0x7e || c == '\\') return kHome;
  }
  if (next.compare(0, 6, "/admin") != 0) return kHome;
  if (next.size() > 6 && next[6] != '/' && next[6] != '?') return kHome;
  // Pages that make no sense to land on after logging in.
  if (next.compare(0, 12, "/admin/login") == 0 || next.compare(0, 13, "/admin/logout") == 0) {
    return kHome;
  }
  return next;
}

std::string MakeFlash(const std::string& kind, const std::string& text) {
  return kind + ":" + text;
}

std::string MakeSecretFlash(const std::string& text, const std::string& secret) {
  return "secret:" + text + "\n" + secret;
}

std::string FormatTime(const std::string& iso) {
  // YYYY-MM-DDTHH:MM...Z
  if (iso.size() < 17 || iso[4] != '-' || iso[7] != '-' || iso[10] != 'T' || iso[13] != ':' ||
      iso.back() != 'Z') {
    return iso;
  }
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

bool ParseId(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *out = std::stoll(s);
  return true;
}

bool ParseTelegramId(const std::string& text, std::optional<int64_t>* out) {
  const size_t b = text.find_first_not_of(" \t");
  if (b == std::string::npos) {
    *out = std::nullopt;
    return true;
  }
  const std::string t = text.substr(b, text.find_last_not_of(" \t") - b + 1);
  int64_t id = 0;
  if (!ParseId(t, &id)) return false;
  *out = id;
  return true;
}

std::string Sentence(const std::string& message) {
  std::string s = Capitalized(message);
  if (!s.empty() && s.back() != '.' && s.back() != '!' && s.back() != '?') s += '.';
  return s;
}

bool DateToIso(const std::string& date, int add_days, std::string* out) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (date[i] < '0' || date[i] > '9') return false;
  }
  struct tm t {};
  t.tm_year = std::stoi(date.substr(0, 4)) - 1900;
  t.tm_mon = std::stoi(date.substr(5, 2)) - 1;
  t.tm_mday = std::stoi(date.substr(8, 2));
  const struct tm want = t;
  time_t secs = timegm(&t);
  // timegm normalises "2024-02-30" to March 1st: a changed field means no such day.
  if (t.tm_year != want.tm_year || t.tm_mon != want.tm_mon || t.tm_mday != want.tm_mday ||
      t.tm_year < 0) {
    return false;
  }
  secs += static_cast<time_t>(add_days) * 86400;
  struct tm r {};
  gmtime_r(&secs, &r);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT00:00:00Z", &r);
  *out = buf;
  return true;
}

// --- Layout -------------------------------------------------------------------------------

AdminPage::AdminPage(const LayoutInfo& layout, const std::string& body_template)
    : root_(std::make_unique<TemplateDictionary>("layout")) {
  root_->SetValue("TITLE", layout.title);
  if (const Principal* v = layout.viewer) {
    TemplateDictionary* nav = root_->AddSectionDictionary("NAV");
    struct Item {
      const char* key;
      const char* href;
      const char* label;
      bool shown;
    };
    const Role role = v->user.role;
    const Item items[] = {
        {"dashboard", "/admin/", "Dashboard", true},
        {"streams", "/admin/streams", "Streams", Can(role, Permission::kStreamsView)},
        {"tracks", "/admin/tracks", "Tracks", Can(role, Permission::kStreamsView)},
        {"users", "/admin/users", "Users", Can(role, Permission::kUsersView)},
        {"audit", "/admin/audit", "Audit log", Can(role, Permission::kAuditView)},
    };
    for (const Item& i : items) {
      if (!i.shown) continue;
      TemplateDictionary* n = nav->AddSectionDictionary("NAV_ITEM");
      n->SetValue("HREF", i.href);
      n->SetValue("LABEL", i.label);
      if (layout.active == i.key) n->ShowSection("CURRENT");
    }
    if (layout.active == "profile") nav->ShowSection("PROFILE_CURRENT");
    nav->SetValue("USER_EMAIL", v->user.email);
    nav->SetValue("USER_ROLE", RoleName(role));
    root_->SetTemplateGlobalValue("CSRF_TOKEN", v->session ? v->session->csrf_token : "");
  } else {
    root_->ShowSection("ANON");
  }
  if (!layout.flash.empty()) {
    std::string kind = "info";
    std::string text = layout.flash;
    const size_t colon = text.find(':');
    if (colon != std::string::npos) {
      const std::string k = text.substr(0, colon);
      if (k == "success" || k == "info" || k == "error" || k == "secret") {
        kind = k;
        text = text.substr(colon + 1);
      }
    }
    TemplateDictionary* f = root_->AddSectionDictionary("FLASH");
    if (kind == "secret") {
      const size_t nl = text.find('\n');
      f->AddSectionDictionary("SECRET")->SetValue(
          "VALUE", nl == std::string::npos ? std::string() : text.substr(nl + 1));
      text = text.substr(0, nl);
    }
    f->SetValue("KIND", kind);
    f->SetValue("ROLE", kind == "error" ? "alert" : "status");
    f->SetValue("TEXT", text);
  }
  for (const std::string& src : layout.scripts) {
    root_->AddSectionDictionary("SCRIPT")->SetValue("SRC", src);
  }
  for (const std::string& href : layout.styles) {
    root_->AddSectionDictionary("STYLE")->SetValue("HREF", href);
  }
  body_ = root_->AddIncludeDictionary("BODY");
  body_->SetFilename(body_template);
}

std::string AdminPage::Render(const std::string& templates_dir) const {
  return RenderTemplate(templates_dir, "layout.tpl", *root_);
}

Response AdminPage::ToResponse(const std::string& templates_dir, int status) const {
  Response r;
  r.status = status;
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.body = Render(templates_dir);
  return r;
}

// --- Login ----------------------------------------------------------------------------------

void FillLogin(TemplateDictionary* d, const LoginForm& form) {
  d->SetValue("EMAIL", form.email);
  d->SetValue("NEXT", form.next);
  AddError(d, "ERROR", form.error);
  if (!form.notice.empty()) d->AddSectionDictionary("NOTICE")->SetValue("TEXT", form.notice);
  d->ShowSection(form.email.empty() ? "FOCUS_EMAIL" : "FOCUS_PASSWORD");
}

// --- Dashboard ------------------------------------------------------------------------------

void FillDashboard(TemplateDictionary* d, const Principal& viewer, const DashboardData& data) {
  d->SetValue("NAME",
              viewer.user.display_name.empty() ? viewer.user.email : viewer.user.display_name);
  auto card = [&](const std::string& label, int64_t value, const std::string& href,
                  const std::string& hint) {
    TemplateDictionary* c = d->AddSectionDictionary("CARD");
    c->SetValue("LABEL", label);
    c->SetValue("VALUE", std::to_string(value));
    if (!hint.empty()) c->AddSectionDictionary("HINT")->SetValue("TEXT", hint);
    if (!href.empty()) {
      c->AddSectionDictionary("LINK")->SetValue("HREF", href);
    } else {
      c->ShowSection("NO_LINK");
    }
  };
  card("Streams", data.streams, "", std::to_string(data.streams_running) + " running");
  card("Tracks", data.tracks, "", "");
  if (data.show_users) {
    const Json::Value& c = data.user_counts;
    auto n = [&](const char* k) { return c.isMember(k) ? c[k].asInt64() : 0; };
    card("Users", n("total"), "/admin/users",
         std::to_string(n("active")) + " active, " + std::to_string(n("blocked")) + " blocked");
    card("Admins", n("admin"), "/admin/users?role=admin", "");
    card("Moderators", n("moderator"), "/admin/users?role=moderator", "");
    card("Blocked", n("blocked"), "/admin/users?status=blocked", "");
  }
  if (data.show_audit) {
    TemplateDictionary* a = d->AddSectionDictionary("RECENT");
    for (const AuditRow& r : data.recent) {
      TemplateDictionary* row = a->AddSectionDictionary("ROW");
      SetTime(row, "TIME", r.created_at);
      row->SetValue("ACTOR", r.entry.actor_label.empty() ? "system" : r.entry.actor_label);
      row->SetValue("ACTION", r.entry.action);
      row->SetValue("TARGET", r.entry.target_type.empty()
                                  ? std::string()
                                  : r.entry.target_type + " #" + r.entry.target_id);
    }
    if (data.recent.empty()) a->ShowSection("NONE");
  }
}

// --- Users list -----------------------------------------------------------------------------

UsersListParams UsersListParams::Parse(const Query& query) {
  UsersListParams p;
  p.q = TextParam(query, "q", 200);
  p.role = First(query, "role");
  Role role;
  if (!p.role.empty() && !ParseRole(p.role, &role)) {
    Invalid("unknown role filter; choose admin, moderator or user");
  }
  p.status = First(query, "status");
  UserStatus status;
  if (!p.status.empty() && !ParseUserStatus(p.status, &status)) {
    Invalid("unknown status filter; choose active, blocked or deleted");
  }
  if (std::string s = First(query, "sort"); !s.empty()) p.sort = s;
  if (!IsUserSortKey(p.sort)) {
    Invalid("users cannot be sorted by that; choose a column heading");
  }
  if (std::string o = First(query, "order"); !o.empty()) p.order = o;
  if (p.order != "asc" && p.order != "desc") Invalid("order must be asc or desc");
  p.page = QueryInt(query, "page", 1, 1, 1000000);
  p.per_page = QueryInt(query, "per_page", 20, 1, 100);
  return p;
}

UserQuery UsersListParams::ToQuery() const {
  UserQuery q;
  q.q = this->q;
  Role r;
  if (ParseRole(role, &r)) q.role = r;
  UserStatus s;
  if (ParseUserStatus(status, &s)) q.status = s;
  q.sort = sort;
  q.descending = order == "desc";
  q.page = page;
  q.per_page = per_page;
  return q;
}

std::string UsersListParams::Url() const {
  const std::string qs = BuildQueryString({
      {"q", q},
      {"role", role},
      {"status", status},
      {"sort", sort == "id" ? "" : sort},
      {"order", order == "asc" ? "" : order},
      {"per_page", per_page == 20 ? "" : std::to_string(per_page)},
      {"page", page == 1 ? "" : std::to_string(page)},
  });
  return qs.empty() ? "/admin/users" : "/admin/users?" + qs;
}

std::string UsersListParams::SortUrl(const std::string& column) const {
  UsersListParams p = *this;
  if (p.sort == column) {
    p.order = order == "asc" ? "desc" : "asc";
  } else {
    p.sort = column;
    // Times read best newest first.
    p.order = column == "created_at" || column == "last_login_at" ? "desc" : "asc";
  }
  p.page = 1;
  return p.Url();
}

std::string UsersListParams::PageUrl(int page) const {
  UsersListParams p = *this;
  p.page = page;
  return p.Url();
}

void FillUsersList(TemplateDictionary* d, const Principal& viewer, const UsersListParams& params,
                   const UserPage& page) {
  d->SetValue("Q", params.q);
  AddOption(d, "ROLE_OPT", "", "Any role", params.role);
  for (Role r : {Role::kAdmin, Role::kModerator, Role::kUser}) {
    AddOption(d, "ROLE_OPT", RoleName(r), Capitalized(RoleName(r)), params.role);
  }
  AddOption(d, "STATUS_OPT", "", "Active and blocked", params.status);
  for (const char* s : {"active", "blocked", "deleted"}) {
    AddOption(d, "STATUS_OPT", s, Capitalized(s), params.status);
  }
  for (int n : {10, 20, 50, 100}) {
    AddOption(d, "PER_PAGE_OPT", std::to_string(n), std::to_string(n),
              std::to_string(params.per_page));
  }
  if (params.sort != "id") {
    TemplateDictionary* h = d->AddSectionDictionary("HIDDEN");
    h->SetValue("NAME", "sort");
    h->SetValue("VALUE", params.sort);
  }
  if (params.order != "asc") {
    TemplateDictionary* h = d->AddSectionDictionary("HIDDEN");
    h->SetValue("NAME", "order");
    h->SetValue("VALUE", params.order);
  }
  if (!params.q.empty() || !params.role.empty() || !params.status.empty()) {
    d->ShowSection("FILTERED");
  }
  if (Can(viewer.user.role, Permission::kUsersCreate)) d->ShowSection("CAN_CREATE");

  d->SetValue("SUMMARY", Summary(params.page, params.per_page, page.total, page.items.size(),
                                 page.total == 1 ? "user" : "users"));
  if (page.items.empty()) {
    d->ShowSection("EMPTY");
  } else {
    TemplateDictionary* t = d->AddSectionDictionary("TABLE");
    for (const auto& c : kUserColumns) {
      TemplateDictionary* col = t->AddSectionDictionary("COL");
      col->SetValue("LABEL", c.label);
      col->SetValue("HREF", params.SortUrl(c.key));
      if (params.sort == c.key) {
        const bool desc = params.order == "desc";
        TemplateDictionary* s = col->AddSectionDictionary("SORTED");
        s->SetValue("ARIA_SORT", desc ? "descending" : "ascending");
        s->SetValue("ARROW", desc ? "\u25BC" : "\u25B2");
        s->SetValue("NEXT_ORDER", desc ? "ascending" : "descending");
      } else {
        col->ShowSection("UNSORTED");
      }
    }
    for (const User& u : page.items) {
      TemplateDictionary* row = t->AddSectionDictionary("ROW");
      row->SetValue("ID", std::to_string(u.id));
      row->SetValue("EMAIL", u.email);
      row->SetValue("DISPLAY_NAME", u.display_name);
      row->SetValue("ROLE", RoleName(u.role));
      row->SetValue("STATUS", UserStatusName(u.status));
      SetTime(row, "CREATED_AT", u.created_at);
      SetOptionalTime(row, "LAST_LOGIN", u.last_login_at);
    }
  }
  FillPager(d, params.page, params.per_page, page.total, params.PageUrl(params.page - 1),
            params.PageUrl(params.page + 1));
}

// --- One user -------------------------------------------------------------------------------

UserForm UserFormFrom(const User& u) {
  UserForm f;
  f.display_name = u.display_name;
  f.telegram_id = TelegramText(u.telegram_id);
  f.role = RoleName(u.role);
  f.status = UserStatusName(u.status);
  return f;
}

void FillRoleOptions(TemplateDictionary* d, const std::string& section,
                     const std::vector<Role>& roles, const std::string& current) {
  for (Role r : roles) AddOption(d, section, RoleName(r), Capitalized(RoleName(r)), current);
}

void FillUserPage(TemplateDictionary* d, const Principal& actor, const User& target,
                  const UserForm& form) {
  const bool self = actor.user.id == target.id;
  d->SetValue("ID", std::to_string(target.id));
  d->SetValue("EMAIL", target.email);
  d->SetValue("HEADING", target.display_name.empty() ? target.email : target.display_name);
  if (!target.display_name.empty()) d->ShowSection("SUBTITLE_EMAIL");
  d->SetValue("ROLE", RoleName(target.role));
  d->SetValue("STATUS", UserStatusName(target.status));
  d->SetValue("TELEGRAM_ID_TEXT",
              target.telegram_id ? std::to_string(*target.telegram_id) : std::string("—"));
  d->SetValue("PASSWORD_TEXT", target.has_password ? "Set" : "Not set (cannot log in with one)");
  SetTime(d, "CREATED_AT", target.created_at);
  SetTime(d, "UPDATED_AT", target.updated_at);
  SetOptionalTime(d, "LAST_LOGIN", target.last_login_at);
  if (self) d->ShowSection("SELF");

  if (CanEditUser(actor, target)) {
    TemplateDictionary* e = d->AddSectionDictionary("EDIT");
    AddError(e, "ERROR", form.error);
    e->SetValue("DISPLAY_NAME", form.display_name);
    e->SetValue("TELEGRAM_ID", form.telegram_id);
    if (!self) {
      TemplateDictionary* s = e->AddSectionDictionary("STATUS_SELECT");
      AddOption(s, "OPT", "active", "Active", form.status);
      AddOption(s, "OPT", "blocked", "Blocked (cannot log in; sessions end)", form.status);
      if (target.status == UserStatus::kDeleted) {
        AddOption(s, "OPT", "deleted", "Deleted", form.status);
      }
    }
    const std::vector<Role> roles = AssignableRoles(actor, target);
    if (!roles.empty()) {
      FillRoleOptions(e->AddSectionDictionary("ROLE_SELECT"), "OPT", roles, form.role);
    }
    if (!self && Can(actor.user.role, Permission::kUsersResetPassword)) {
      e->AddSectionDictionary("PASSWORD")
          ->SetIntValue("MIN", static_cast<long>(kMinPasswordLength));
    }
  } else {
    d->AddSectionDictionary("READ_ONLY")
        ->SetValue("TEXT", actor.user.role == Role::kModerator
                               ? "Moderators can view admins and moderators but not change them."
                               : "You can view this user but not change them.");
  }
  if (target.status != UserStatus::kDeleted && CanDeleteUser(actor, target)) {
    d->ShowSection("DELETE");
  }
  if (Can(actor.user.role, Permission::kAuditView)) {
    d->AddSectionDictionary("AUDIT_LINK")
        ->SetValue("HREF",
                   "/admin/audit?" + BuildQueryString({{"target_type", "user"},
                                                       {"target_id", std::to_string(target.id)}}));
  }
}

std::vector<Role> GrantableRoles(const Principal& actor) {
  User fresh;  // a user that does not exist yet
  fresh.id = 0;
  fresh.role = Role::kUser;
  std::vector<Role> roles = AssignableRoles(actor, fresh);
  if (roles.empty()) roles.push_back(Role::kUser);
  return roles;
}

void FillNewUser(TemplateDictionary* d, const Principal& actor, const NewUserForm& f) {
  AddError(d, "ERROR", f.error);
  d->SetValue("EMAIL", f.email);
  d->SetValue("DISPLAY_NAME", f.display_name);
  FillRoleOptions(d, "ROLE_OPT", GrantableRoles(actor), f.role);
  d->SetIntValue("MIN", static_cast<long>(kMinPasswordLength));
}

void FillDeleteUser(TemplateDictionary* d, const User& target) {
  d->SetValue("ID", std::to_string(target.id));
  d->SetValue("EMAIL", target.email);
  d->SetValue("DISPLAY_NAME", target.display_name.empty() ? "—" : target.display_name);
  d->SetValue("ROLE", RoleName(target.role));
  d->SetValue("STATUS", UserStatusName(target.status));
}

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

void FillAudit(TemplateDictionary* d, const Principal& viewer, const AuditListParams& params,
               const std::vector<AuditRow>& rows, int64_t total, const std::string& notice) {
  d->SetValue("ACTOR", params.actor);
  d->SetValue("ACTION", params.action);
  d->SetValue("TARGET_TYPE", params.target_type);
  d->SetValue("TARGET_ID", params.target_id);
  d->SetValue("SINCE", params.since);
  d->SetValue("UNTIL", params.until);
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
  d->SetValue("SUMMARY", Summary(params.page, params.per_page, total, rows.size(),
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

// --- Profile --------------------------------------------------------------------------------

ProfileForms ProfileFormsFrom(const User& u) {
  ProfileForms f;
  f.display_name = u.display_name;
  f.telegram_id = TelegramText(u.telegram_id);
  return f;
}

void FillProfile(TemplateDictionary* d, const Principal& me, const std::vector<ApiToken>& tokens,
                 const ProfileForms& forms) {
  d->SetValue("EMAIL", me.user.email);
  d->SetValue("ROLE", RoleName(me.user.role));
  SetTime(d, "CREATED_AT", me.user.created_at);
  SetOptionalTime(d, "LAST_LOGIN", me.user.last_login_at);
  d->SetValue("DISPLAY_NAME", forms.display_name);
  d->SetValue("TELEGRAM_ID", forms.telegram_id);
  AddError(d, "PROFILE_ERROR", forms.profile_error);
  AddError(d, "PASSWORD_ERROR", forms.password_error);
  d->SetIntValue("MIN", static_cast<long>(kMinPasswordLength));
  if (me.user.has_password) {
    d->ShowSection("HAS_PASSWORD");
  } else {
    d->ShowSection("NO_PASSWORD");
  }
  for (const PermissionInfo& i : PermissionTable()) {
    if (Can(me.user.role, i.permission)) {
      d->AddSectionDictionary("PERMISSION")->SetValue("TEXT", i.description);
    }
  }
  d->SetValue("TOKEN_NAME", forms.token_name);
  AddError(d, "TOKEN_ERROR", forms.token_error);
  if (tokens.empty()) {
    d->ShowSection("NO_TOKENS");
  } else {
    TemplateDictionary* t = d->AddSectionDictionary("TOKENS");
    for (const ApiToken& k : tokens) {
      TemplateDictionary* row = t->AddSectionDictionary("TOKEN");
      row->SetValue("ID", std::to_string(k.id));
      row->SetValue("NAME", k.name);
      SetTime(row, "CREATED_AT", k.created_at);
      SetOptionalTime(row, "LAST_USED", k.last_used_at);
      if (k.revoked_at.empty()) {
        row->ShowSection("LIVE");
      } else {
        row->AddSectionDictionary("REVOKED")->SetValue("TEXT", FormatTime(k.revoked_at));
      }
    }
  }
}

// --- Errors ---------------------------------------------------------------------------------

void FillError(TemplateDictionary* d, int status, const std::string& message,
               const std::string& path, const Principal& viewer) {
  std::string heading;
  switch (status) {
    case 403:
      heading = "You don't have access to this";
      break;
    case 404:
      heading = "Not found";
      break;
    case 409:
      heading = "That change was refused";
      break;
    case 422:
      heading = "That request could not be understood";
      break;
    default:
      heading = StatusText(status);
  }
  d->SetIntValue("STATUS", status);
  d->SetValue("HEADING", heading);
  d->SetValue("MESSAGE", Sentence(message));
  std::string href = "/admin/";
  std::string label = "Back to the dashboard";
  const Role role = viewer.user.role;
  if (path.rfind("/admin/streams", 0) == 0 && Can(role, Permission::kStreamsView)) {
    href = "/admin/streams";
    label = "Back to streams";
  } else if (path.rfind("/admin/tracks", 0) == 0 && Can(role, Permission::kStreamsView)) {
    href = "/admin/tracks";
    label = "Back to tracks";
  } else if (path.rfind("/admin/users", 0) == 0 && Can(role, Permission::kUsersView)) {
    href = "/admin/users";
    label = "Back to users";
  } else if (path.rfind("/admin/audit", 0) == 0 && Can(role, Permission::kAuditView)) {
    href = "/admin/audit";
    label = "Back to the audit log";
  } else if (path.rfind("/admin/profile", 0) == 0) {
    href = "/admin/profile";
    label = "Back to your profile";
  }
  d->SetValue("BACK_HREF", href);
  d->SetValue("BACK_LABEL", label);
}

}  // namespace sattva::fcgi
