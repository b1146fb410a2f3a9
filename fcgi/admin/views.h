#pragma once
// What every admin page shares: the layout (AdminPage, navigation, flash messages), sign-in,
// error pages and small text helpers. Data in, HTML out (through templates/), no I/O. Each
// resource has its own views next to its handlers (fcgi/admin/<resource>_views.h); the handlers
// read the database, check permissions and call them; the unit tests render them directly.
//
// Every template is autoescaped (see fcgi/templates.h): the Fill* functions set plain text and
// the templates escape it. URLs built here are percent-encoded; the templates HTML-escape them.
// All functions are thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ctemplate/template.h>
#include <json/json.h>

#include "fcgi/api_tokens.h"
#include "fcgi/audit.h"
#include "fcgi/context.h"
#include "fcgi/http.h"
#include "fcgi/users.h"

namespace sattva::fcgi {

using Query = std::multimap<std::string, std::string>;

// --- Small helpers ------------------------------------------------------------------------

// Where to go after logging in: `next` when it is a local path under /admin ("/admin",
// "/admin/...", "/admin?...") made only of printable ASCII without backslashes; "/admin/"
// otherwise (absolute and scheme-relative URLs, "javascript:", other local paths, CR/LF).
std::string SafeAdminNext(const std::string& next);

// Flash messages as SessionStore keeps them: "kind:text" with kind success|info|error, or
// "secret:text\nvalue" for a value shown exactly once (a generated password, a new API token).
std::string MakeFlash(const std::string& kind, const std::string& text);
std::string MakeSecretFlash(const std::string& text, const std::string& secret);

// "2024-05-01T12:34:56.789Z" -> "2024-05-01 12:34 UTC"; anything else is returned unchanged.
std::string FormatTime(const std::string& iso);

// A strictly positive decimal id ("7"); false for anything else (signs, spaces, overflow).
bool ParseId(const std::string& s, int64_t* out);

// A Telegram user id as typed: "" (after trimming spaces) is none; otherwise a positive decimal
// number. False for anything else.
bool ParseTelegramId(const std::string& text, std::optional<int64_t>* out);

// "the password is too short" -> "The password is too short." (messages from the rules layer).
std::string Sentence(const std::string& message);

// A "YYYY-MM-DD" date (a real one) as ISO-8601 UTC midnight, `add_days` later
// ("2024-02-28", 1 -> "2024-02-29T00:00:00Z"). False when it is not a date.
bool DateToIso(const std::string& date, int add_days, std::string* out);

// --- Layout -------------------------------------------------------------------------------

struct LayoutInfo {
  std::string title;
  // nav item: "dashboard", "streams", "tracks", "monitoring", "users", "audit", "profile", ""
  std::string active;
  const Principal* viewer = nullptr;  // nullptr: anonymous (no navigation)
  std::string flash;                  // "kind:text" (see MakeFlash), "" for none
  // Extra files for this page, as site paths: "/static/js/queue.js", "/static/css/x.css".
  // Scripts load with `defer` after the vendored libraries they may use; every page works
  // without them (progressive enhancement), and CSP allows only same-origin files.
  std::vector<std::string> scripts;
  std::vector<std::string> styles;
};

// One page: templates/layout.tpl around one body template. The viewer's CSRF token is a
// template-global value (CSRF_TOKEN), so every form in the body can carry it.
class AdminPage {
 public:
  AdminPage(const LayoutInfo& layout, const std::string& body_template);
  AdminPage(const AdminPage&) = delete;
  AdminPage& operator=(const AdminPage&) = delete;

  ctemplate::TemplateDictionary* body() { return body_; }
  // Throws TemplateError when a template is missing or broken.
  std::string Render(const std::string& templates_dir) const;
  // text/html, Cache-Control: no-store.
  Response ToResponse(const std::string& templates_dir, int status = 200) const;

 private:
  std::unique_ptr<ctemplate::TemplateDictionary> root_;
  ctemplate::TemplateDictionary* body_;
};

// --- Login ----------------------------------------------------------------------------------

struct LoginForm {
  std::string email;
  std::string next;    // already sanitized with SafeAdminNext ("" for none)
  std::string error;   // shown as an alert
  std::string notice;  // shown as a status message ("You have been signed out.")
};
void FillLogin(ctemplate::TemplateDictionary* d, const LoginForm& form);

// The dashboard's views are fcgi/admin/dashboard_views.h; users, audit and profile views are
// fcgi/admin/users_views.h, audit_views.h and profile_views.h.

// --- Errors ---------------------------------------------------------------------------------

// A 403/404/422/... page body. `path` picks the "back" link: its section of the panel when
// `viewer` may see that section, else the dashboard.
void FillError(ctemplate::TemplateDictionary* d, int status, const std::string& message,
               const std::string& path, const Principal& viewer);

}  // namespace sattva::fcgi
