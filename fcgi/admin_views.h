#pragma once
// The admin pages' views: data in, HTML out (through templates/), no I/O. The handlers in
// admin_pages.cc, admin_users.cc, admin_audit.cc and admin_profile.cc read the database, check
// permissions and call these; the unit tests render them directly.
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
  // nav item: "dashboard", "streams", "tracks", "users", "audit", "profile", ""
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

// --- Dashboard ------------------------------------------------------------------------------

struct DashboardData {
  bool show_users = false;
  Json::Value user_counts{Json::objectValue};  // UserStore::Counts
  int64_t streams = 0;
  int64_t streams_running = 0;
  int64_t tracks = 0;
  bool show_audit = false;
  std::vector<AuditRow> recent;
};
void FillDashboard(ctemplate::TemplateDictionary* d, const Principal& viewer,
                   const DashboardData& data);

// --- Users list -----------------------------------------------------------------------------

struct UsersListParams {
  std::string q;
  std::string role;    // "" = any
  std::string status;  // "" = active and blocked
  std::string sort = "id";
  std::string order = "asc";
  int page = 1;
  int per_page = 20;

  // From the query string. Throws HttpError 422 ("validation_failed") naming the bad parameter.
  static UsersListParams Parse(const Query& query);
  UserQuery ToQuery() const;
  // /admin/users?... with these parameters; defaults are left out.
  std::string Url() const;
  // A column header's link: sort by `column`, toggling the order when it is already the sort
  // column, back on page 1; the other filters kept.
  std::string SortUrl(const std::string& column) const;
  std::string PageUrl(int page) const;
};
void FillUsersList(ctemplate::TemplateDictionary* d, const Principal& viewer,
                   const UsersListParams& params, const UserPage& page);

// --- One user -------------------------------------------------------------------------------

// The edit form's values: as typed (re-rendered after an error) or from the user.
struct UserForm {
  std::string display_name;
  std::string telegram_id;
  std::string role;
  std::string status;
  std::string error;
};
UserForm UserFormFrom(const User& u);
// The user page: facts, and the edit form when the actor may edit (role choices only from
// AssignableRoles; a password field only for users.reset_password on someone else).
void FillUserPage(ctemplate::TemplateDictionary* d, const Principal& actor, const User& target,
                  const UserForm& form);
// Adds one `section` dictionary per role in `roles` (VALUE, LABEL, SELECTED when == current).
void FillRoleOptions(ctemplate::TemplateDictionary* d, const std::string& section,
                     const std::vector<Role>& roles, const std::string& current);

struct NewUserForm {
  std::string email;
  std::string display_name;
  std::string role = "user";
  std::string error;
};
// The roles `actor` may give a new user (at least "user").
std::vector<Role> GrantableRoles(const Principal& actor);
void FillNewUser(ctemplate::TemplateDictionary* d, const Principal& actor, const NewUserForm& f);
void FillDeleteUser(ctemplate::TemplateDictionary* d, const User& target);

// --- Audit log ------------------------------------------------------------------------------

struct AuditListParams {
  std::string actor;  // a user id or an email, as typed
  std::string action;
  std::string target_type;
  std::string target_id;
  std::string since;  // YYYY-MM-DD, inclusive
  std::string until;  // YYYY-MM-DD, inclusive
  int page = 1;
  int per_page = 50;

  // Throws HttpError 422 for a bad page, per_page or date.
  static AuditListParams Parse(const Query& query);
  // The AuditQuery without the actor (which needs the database to resolve an email).
  AuditQuery ToQuery() const;
  std::string PageUrl(int page) const;
};
void FillAudit(ctemplate::TemplateDictionary* d, const Principal& viewer,
               const AuditListParams& params, const std::vector<AuditRow>& rows, int64_t total,
               const std::string& notice);

// --- Profile --------------------------------------------------------------------------------

struct ProfileForms {
  std::string display_name;
  std::string telegram_id;
  std::string profile_error;
  std::string password_error;
  std::string token_name;
  std::string token_error;
};
ProfileForms ProfileFormsFrom(const User& u);
void FillProfile(ctemplate::TemplateDictionary* d, const Principal& me,
                 const std::vector<ApiToken>& tokens, const ProfileForms& forms);

// --- Errors ---------------------------------------------------------------------------------

// A 403/404/422/... page body. `path` picks the "back" link: its section of the panel when
// `viewer` may see that section, else the dashboard.
void FillError(ctemplate::TemplateDictionary* d, int status, const std::string& message,
               const std::string& path, const Principal& viewer);

}  // namespace sattva::fcgi
