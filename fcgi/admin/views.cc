#include "fcgi/admin/views.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "common/json.h"
#include "fcgi/admin/view_helpers.h"
#include "fcgi/permissions.h"
#include "fcgi/templates.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
using namespace views;
namespace {

using ctemplate::TemplateDictionary;

const char kHome[] = "/admin/";

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
        {"monitoring", "/admin/monitoring", "Monitoring", Can(role, Permission::kStreamsView)},
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
