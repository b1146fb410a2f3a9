// The admin pages' views rendered from the real templates/: escaping, navigation, forms, links.
#include <gtest/gtest.h>

#include "fcgi/admin/audit_views.h"
#include "fcgi/admin/profile_views.h"
#include "fcgi/admin/users_views.h"
#include "fcgi/admin/views.h"
#include "fcgi/templates.h"
#include "tests/unit/fcgi/panel_test_support.h"

namespace sattva::fcgi {
namespace {

using namespace paneltest;

const char kXssScript[] = "<script>alert(1)</script>";
const char kXssAttr[] = "\"><img src=x onerror=alert(1)>";

User MakeUser(int64_t id, Role role, const std::string& email, const std::string& name = "") {
  User u;
  u.id = id;
  u.email = email;
  u.display_name = name;
  u.role = role;
  u.created_at = "2024-05-02T11:22:33.000Z";
  u.updated_at = "2024-05-03T11:22:33.000Z";
  return u;
}

// The <select name="role"> ... </select> part of a page, "" when there is none.
std::string RoleSelect(const std::string& html) {
  size_t b = html.find("<select id=\"u-role\" name=\"role\">");
  if (b == std::string::npos) b = html.find("<select id=\"n-role\" name=\"role\">");
  if (b == std::string::npos) return "";
  return html.substr(b, html.find("</select>", b) - b);
}

// --- Helpers --------------------------------------------------------------------------------

TEST(AdminHelpersTest, SafeAdminNextKeepsOnlyLocalAdminPaths) {
  EXPECT_EQ(SafeAdminNext("/admin/users?q=a%20b&page=2"), "/admin/users?q=a%20b&page=2");
  EXPECT_EQ(SafeAdminNext("/admin"), "/admin");
  EXPECT_EQ(SafeAdminNext("/admin/"), "/admin/");
  EXPECT_EQ(SafeAdminNext("/admin?x=1"), "/admin?x=1");
  EXPECT_EQ(SafeAdminNext("/admin/../x"), "/admin/../x");  // still this origin
  for (const char* bad :
       {"", "//evil.com", "//evil.com/admin", "https://evil.com", "https://evil.com/admin/",
        "http:/admin", "javascript:alert(1)", "JAVASCRIPT:alert(1)", "/admin\\@evil.com",
        "/\\evil.com", "/administrator", "/api/v1/users", "admin/users",
        "/admin/x\r\nSet-Cookie: a=b", "/admin/ x", "/admin/\x7f", "/admin/login?next=/admin/",
        "/admin/logout", "/admin/caf\xc3\xa9"}) {
    EXPECT_EQ(SafeAdminNext(bad), "/admin/") << bad;
  }
  EXPECT_EQ(SafeAdminNext("/admin/" + std::string(3000, 'a')), "/admin/");
}

TEST(AdminHelpersTest, UrlEncodingAndQueryStrings) {
  EXPECT_EQ(UrlEncode("a b&c=d/e?f#g:h"), "a%20b%26c%3Dd%2Fe%3Ff%23g%3Ah");
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(UrlEncode("<\"'>"), "%3C%22%27%3E");
  EXPECT_EQ(BuildQueryString({{"q", "x y"}, {"empty", ""}, {"role", "admin"}}),
            "q=x%20y&role=admin");
  EXPECT_EQ(BuildQueryString({}), "");
}

TEST(AdminHelpersTest, Ids) {
  int64_t id = 0;
  EXPECT_TRUE(ParseId("7", &id));
  EXPECT_EQ(id, 7);
  EXPECT_TRUE(ParseId("123456789012345678", &id));
  for (const char* bad :
       {"", "0", "-1", "+1", "07", "1.5", "1e3", " 1", "abc", "new", "1234567890123456789"}) {
    EXPECT_FALSE(ParseId(bad, &id)) << bad;
  }
  std::optional<int64_t> tg = 5;
  EXPECT_TRUE(ParseTelegramId("  ", &tg));
  EXPECT_FALSE(tg.has_value());
  EXPECT_TRUE(ParseTelegramId(" 42 ", &tg));
  EXPECT_EQ(tg, 42);
  EXPECT_FALSE(ParseTelegramId("-42", &tg));
  EXPECT_FALSE(ParseTelegramId("4 2", &tg));
  EXPECT_FALSE(ParseTelegramId("1; DROP TABLE users", &tg));
}

TEST(AdminHelpersTest, DatesAndTimes) {
  std::string iso;
  ASSERT_TRUE(DateToIso("2024-02-28", 0, &iso));
  EXPECT_EQ(iso, "2024-02-28T00:00:00Z");
  ASSERT_TRUE(DateToIso("2024-02-28", 1, &iso));
  EXPECT_EQ(iso, "2024-02-29T00:00:00Z");
  ASSERT_TRUE(DateToIso("2023-12-31", 1, &iso));
  EXPECT_EQ(iso, "2024-01-01T00:00:00Z");
  for (const char* bad : {"", "2024-02-30", "2024-13-01", "2024-1-01", "24-01-01", "2024/01/01",
                          "2024-01-01T00:00", "yesterday"}) {
    EXPECT_FALSE(DateToIso(bad, 0, &iso)) << bad;
  }
  EXPECT_EQ(FormatTime("2024-05-01T12:34:56.789Z"), "2024-05-01 12:34 UTC");
  EXPECT_EQ(FormatTime(""), "");
  EXPECT_EQ(FormatTime("not a time"), "not a time");
  EXPECT_EQ(Sentence("the password is too short"), "The password is too short.");
  EXPECT_EQ(Sentence("Done."), "Done.");
}

// --- Users list parameters and links ------------------------------------------------------

TEST(AdminUsersListTest, ParseAcceptsGoodAndRejectsBadFilters) {
  Query q = {{"q", "ann"},      {"role", "moderator"}, {"status", "blocked"}, {"sort", "email"},
             {"order", "desc"}, {"page", "3"},         {"per_page", "50"}};
  UsersListParams p = UsersListParams::Parse(q);
  EXPECT_EQ(p.Filter("q"), "ann");
  UserQuery uq = p.ToQuery();
  EXPECT_EQ(uq.role, Role::kModerator);
  EXPECT_EQ(uq.status, UserStatus::kBlocked);
  EXPECT_EQ(uq.sort, "email");
  EXPECT_TRUE(uq.descending);
  EXPECT_EQ(uq.page, 3);
  EXPECT_EQ(uq.per_page, 50);

  UsersListParams d = UsersListParams::Parse({});
  EXPECT_FALSE(d.ToQuery().role.has_value());
  EXPECT_FALSE(d.ToQuery().status.has_value());
  EXPECT_EQ(d.Url(), "/admin/users");

  for (const Query& bad : std::vector<Query>{{{"role", "root"}},
                                             {{"status", "gone"}},
                                             {{"sort", "password_hash"}},
                                             {{"sort", "email; DROP TABLE users"}},
                                             {{"order", "sideways"}},
                                             {{"page", "0"}},
                                             {{"page", "-1"}},
                                             {{"page", "x"}},
                                             {{"per_page", "101"}},
                                             {{"q", std::string(201, 'a')}},
                                             {{"q", "\xff\xfe"}}}) {
    try {
      UsersListParams::Parse(bad);
      ADD_FAILURE() << "accepted " << bad.begin()->first << "=" << bad.begin()->second;
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status(), 422) << bad.begin()->first;
      EXPECT_EQ(e.code(), "validation_failed");
    }
  }
}

TEST(AdminUsersListTest, SortAndPageLinksKeepAndEncodeTheOtherParams) {
  UsersListParams p = UsersListParams::Parse(
      {{"q", "a b&c=d#e"}, {"role", "admin"}, {"per_page", "50"}, {"page", "4"}});
  // A new sort column: ascending, back on page 1, filters kept and encoded.
  EXPECT_EQ(p.SortUrl("email"),
            "/admin/users?q=a%20b%26c%3Dd%23e&role=admin&sort=email&per_page=50");
  // Times start newest first.
  EXPECT_EQ(p.SortUrl("created_at"),
            "/admin/users?q=a%20b%26c%3Dd%23e&role=admin&sort=created_at&order=desc&per_page=50");
  // The current column toggles.
  UsersListParams s = UsersListParams::Parse({{"q", "x"}, {"sort", "email"}});
  EXPECT_EQ(s.SortUrl("email"), "/admin/users?q=x&sort=email&order=desc");
  UsersListParams s2 = UsersListParams::Parse({{"q", "x"}, {"sort", "email"}, {"order", "desc"}});
  EXPECT_EQ(s2.SortUrl("email"), "/admin/users?q=x&sort=email");
  // Pages keep everything, sort included.
  EXPECT_EQ(s2.PageUrl(2), "/admin/users?q=x&sort=email&order=desc&page=2");
  EXPECT_EQ(p.PageUrl(5), "/admin/users?q=a%20b%26c%3Dd%23e&role=admin&per_page=50&page=5");
}

TEST(AdminUsersListTest, RenderedListEscapesDataAndLinks) {
  Principal admin = MakePrincipal(1, Role::kAdmin);
  UsersListParams params = UsersListParams::Parse({{"q", kXssAttr}, {"sort", "email"}});
  UserPage page;
  page.total = 45;
  page.items.push_back(MakeUser(2, Role::kUser, std::string(kXssAttr) + "@x.com", kXssScript));
  page.items.push_back(MakeUser(3, Role::kModerator, "mod@example.com", "Mod"));
  page.items[1].last_login_at = "2024-06-01T08:00:00.000Z";
  AdminPage view(Layout(&admin, "users"), "users_list.tpl");
  FillUsersList(view.body(), admin, params, page);
  const std::string html = view.Render(Dir());

  ExpectNoRawPayload(html);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@x.com"), std::string::npos);
  // The search box keeps what was typed, escaped.
  EXPECT_NE(html.find("value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\""), std::string::npos);
  // Sort links: percent-encoded query, then HTML-escaped (&amp;).
  EXPECT_NE(html.find("href=\"/admin/users?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"
                      "&amp;sort=email&amp;order=desc\""),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("aria-sort=\"ascending\""), std::string::npos);
  EXPECT_EQ(Count(html, "<th scope=\"col\""), 7);
  EXPECT_EQ(Count(html, "<th scope=\"row\">"), 2);
  EXPECT_NE(html.find("Showing 1\u20132 of 45 users"), std::string::npos);
  EXPECT_NE(html.find("Page 1 of 3"), std::string::npos);
  // Next page link keeps the filter and sort.
  EXPECT_NE(html.find("rel=\"next\" href=\"/admin/users?q=%22%3E%3Cimg%20src%3Dx%20onerror%3D"
                      "alert%281%29%3E&amp;sort=email&amp;page=2\""),
            std::string::npos);
  EXPECT_NE(html.find("<a href=\"/admin/users/2\">"), std::string::npos);
  EXPECT_NE(html.find("never"), std::string::npos);
  EXPECT_NE(html.find("2024-06-01 08:00 UTC"), std::string::npos);
  EXPECT_NE(html.find("New user"), std::string::npos);  // admins may create
  // The non-default sort survives a new search as a hidden field.
  EXPECT_NE(html.find("<input type=\"hidden\" name=\"sort\" value=\"email\">"), std::string::npos);
}

TEST(AdminUsersListTest, EmptyResultAndModeratorView) {
  Principal mod = MakePrincipal(5, Role::kModerator);
  UsersListParams params = UsersListParams::Parse({{"role", "admin"}});
  AdminPage view(Layout(&mod, "users"), "users_list.tpl");
  FillUsersList(view.body(), mod, params, UserPage());
  const std::string html = view.Render(Dir());
  EXPECT_NE(html.find("No users match."), std::string::npos);
  EXPECT_EQ(html.find("<table"), std::string::npos);
  EXPECT_EQ(html.find("New user"), std::string::npos);  // moderators may not create
  EXPECT_NE(html.find("<option value=\"admin\" selected>"), std::string::npos);
  // Export links keep the filter, percent-encoded.
  EXPECT_NE(html.find("href=\"/admin/users/export.csv?role=admin\""), std::string::npos) << html;
}

TEST(AdminUsersListTest, ExportLinksEncodeTheSearch) {
  Principal admin = MakePrincipal(1, Role::kAdmin);
  UsersListParams params = UsersListParams::Parse({{"q", "a&b#c"}, {"sort", "email"}});
  EXPECT_EQ(params.ExportUrl("csv"), "/admin/users/export.csv?q=a%26b%23c&sort=email");
  AdminPage view(Layout(&admin, "users"), "users_list.tpl");
  FillUsersList(view.body(), admin, params, UserPage());
  const std::string html = view.Render(Dir());
  EXPECT_NE(html.find("href=\"/admin/users/export.json?q=a%26b%23c&amp;sort=email\""),
            std::string::npos)
      << html;
}

// --- Layout -------------------------------------------------------------------------------

TEST(AdminLayoutTest, NavigationFollowsPermissions) {
  struct Case {
    Role role;
    bool users, audit;
  } cases[] = {
      {Role::kAdmin, true, true}, {Role::kModerator, true, false}, {Role::kUser, false, false}};
  for (const Case& c : cases) {
    Principal p = MakePrincipal(1, c.role, "nav@example.com");
    AdminPage view(Layout(&p, "dashboard"), "error.tpl");
    FillError(view.body(), 404, "x", "/admin/", p);
    const std::string html = view.Render(Dir());
    EXPECT_NE(html.find("<a href=\"/admin/\" aria-current=\"page\">Dashboard</a>"),
              std::string::npos)
        << html;
    EXPECT_EQ(html.find(">Users</a>") != std::string::npos, c.users) << RoleName(c.role);
    EXPECT_EQ(html.find(">Audit log</a>") != std::string::npos, c.audit) << RoleName(c.role);
    EXPECT_NE(html.find("nav@example.com"), std::string::npos);
    // Log out is a POST form with the CSRF token.
    EXPECT_NE(html.find("<form method=\"post\" action=\"/admin/logout\""), std::string::npos);
    EXPECT_NE(html.find("name=\"csrf_token\" value=\"csrf-token-123\""), std::string::npos);
    EXPECT_EQ(html.find("style="), std::string::npos);  // CSP: no inline styles
    EXPECT_EQ(html.find("<script"), std::string::npos);
  }
}

TEST(AdminLayoutTest, FlashMessagesAreEscapedAndSecretsShown) {
  Principal p = MakePrincipal(1, Role::kAdmin, std::string(kXssScript) + "@x.com");
  LayoutInfo l = Layout(&p);
  l.flash = MakeFlash("success", std::string("Saved ") + kXssAttr);
  AdminPage a(l, "error.tpl");
  FillError(a.body(), 404, "x", "/admin/", p);
  std::string html = a.Render(Dir());
  ExpectNoRawPayload(html);
  EXPECT_NE(html.find("class=\"flash flash-success\" role=\"status\""), std::string::npos);
  EXPECT_NE(html.find("Saved &quot;&gt;&lt;img"), std::string::npos);

  l.flash = MakeSecretFlash("Token created.", "sat_abc<def>");
  AdminPage b(l, "error.tpl");
  FillError(b.body(), 404, "x", "/admin/", p);
  html = b.Render(Dir());
  EXPECT_NE(html.find("<code class=\"secret\">sat_abc&lt;def&gt;</code>"), std::string::npos);

  l.flash = "error:Nope";
  AdminPage c(l, "error.tpl");
  FillError(c.body(), 404, "x", "/admin/", p);
  html = c.Render(Dir());
  EXPECT_NE(html.find("class=\"flash flash-error\" role=\"alert\""), std::string::npos);
}

TEST(AdminLayoutTest, MissingTemplateIsATemplateError) {
  Principal p = MakePrincipal(1, Role::kAdmin);
  AdminPage view(Layout(&p), "no_such_page.tpl");
  EXPECT_THROW(view.Render(Dir()), TemplateError);
  AdminPage fine(Layout(&p), "error.tpl");
  EXPECT_THROW(fine.Render("/nonexistent/templates"), TemplateError);
}

// --- Login ----------------------------------------------------------------------------------

TEST(AdminLoginTest, FormKeepsEmailAndNextEscaped) {
  LoginForm f;
  f.email = std::string(kXssAttr) + "@x.com";
  f.next = "/admin/users?q=\"><b>";  // never produced by SafeAdminNext, escaped anyway
  f.error = "Wrong email or password.";
  AdminPage view(Layout(nullptr), "login.tpl");
  FillLogin(view.body(), f);
  const std::string html = view.Render(Dir());
  ExpectNoRawPayload(html);
  EXPECT_NE(html.find("name=\"next\" value=\"/admin/users?q=&quot;&gt;&lt;b&gt;\""),
            std::string::npos);
  EXPECT_NE(html.find("role=\"alert\""), std::string::npos);
  EXPECT_NE(html.find("<label for=\"login-email\">"), std::string::npos);
  EXPECT_EQ(html.find("/admin/logout"), std::string::npos);  // no navigation when signed out
  EXPECT_EQ(html.find("csrf_token"), std::string::npos);
}

// --- User page: role choices ----------------------------------------------------------------

TEST(AdminUserPageTest, AdminSeesEveryRoleForAnotherUser) {
  Principal admin = MakePrincipal(1, Role::kAdmin);
  User target = MakeUser(2, Role::kUser, "u@example.com", kXssScript);
  AdminPage view(Layout(&admin, "users"), "user_edit.tpl");
  FillUserPage(view.body(), admin, target, UserFormFrom(target));
  const std::string html = view.Render(Dir());
  ExpectNoRawPayload(html);
  const std::string roles = RoleSelect(html);
  EXPECT_NE(roles.find("<option value=\"user\" selected>"), std::string::npos) << roles;
  EXPECT_NE(roles.find("value=\"moderator\""), std::string::npos);
  EXPECT_NE(roles.find("value=\"admin\""), std::string::npos);
  EXPECT_NE(html.find("name=\"password\""), std::string::npos);  // admins reset passwords
  EXPECT_NE(html.find("name=\"status\""), std::string::npos);
  EXPECT_NE(html.find("action=\"/admin/users/2\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/admin/users/2/delete\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/admin/audit?target_type=user&amp;target_id=2\""), std::string::npos);
  EXPECT_NE(html.find("name=\"csrf_token\" value=\"csrf-token-123\""), std::string::npos);
}

TEST(AdminUserPageTest, ModeratorGetsNoRoleSelectAndNoPasswordReset) {
  Principal mod = MakePrincipal(5, Role::kModerator);
  User target = MakeUser(2, Role::kUser, "u@example.com");
  AdminPage view(Layout(&mod, "users"), "user_edit.tpl");
  FillUserPage(view.body(), mod, target, UserFormFrom(target));
  const std::string html = view.Render(Dir());
  EXPECT_EQ(RoleSelect(html), "");
  EXPECT_EQ(html.find("name=\"role\""), std::string::npos);
  EXPECT_EQ(html.find("name=\"password\""), std::string::npos);
  EXPECT_NE(html.find("name=\"display_name\""), std::string::npos);  // may edit a plain user
  EXPECT_NE(html.find("/admin/users/2/delete"), std::string::npos);  // and delete one
  EXPECT_EQ(html.find("/admin/audit"), std::string::npos);           // no audit.view
}

TEST(AdminUserPageTest, ModeratorViewingAnAdminIsReadOnly) {
  Principal mod = MakePrincipal(5, Role::kModerator);
  User target = MakeUser(1, Role::kAdmin, "boss@example.com", "Boss");
  AdminPage view(Layout(&mod, "users"), "user_edit.tpl");
  FillUserPage(view.body(), mod, target, UserFormFrom(target));
  const std::string html = view.Render(Dir());
  EXPECT_EQ(html.find("action=\"/admin/users/1\""), std::string::npos);
  EXPECT_EQ(html.find("<select"), std::string::npos);
  EXPECT_EQ(html.find("/delete"), std::string::npos);
  EXPECT_NE(html.find("Moderators can view admins and moderators but not change them."),
            std::string::npos);
}

TEST(AdminUserPageTest, SelfEditOffersNoHigherRoleNoStatusNoReset) {
  Principal admin = MakePrincipal(1, Role::kAdmin);
  User self = admin.user;
  AdminPage view(Layout(&admin, "users"), "user_edit.tpl");
  FillUserPage(view.body(), admin, self, UserFormFrom(self));
  const std::string html = view.Render(Dir());
  EXPECT_NE(RoleSelect(html).find("<option value=\"admin\" selected>"), std::string::npos);
  EXPECT_EQ(html.find("name=\"status\""), std::string::npos);
  EXPECT_EQ(html.find("name=\"password\""), std::string::npos);
  EXPECT_EQ(html.find("/admin/users/1/delete"), std::string::npos);
}

TEST(AdminUserPageTest, ErrorsReRenderTypedValuesEscaped) {
  Principal admin = MakePrincipal(1, Role::kAdmin);
  User target = MakeUser(2, Role::kUser, "u@example.com");
  UserForm f = UserFormFrom(target);
  f.display_name = kXssAttr;
  f.telegram_id = "12x";
  f.role = "moderator";
  f.error = "the Telegram ID must be a positive whole number";
  AdminPage view(Layout(&admin, "users"), "user_edit.tpl");
  FillUserPage(view.body(), admin, target, f);
  const std::string html = view.Render(Dir());
  ExpectNoRawPayload(html);
  EXPECT_NE(html.find("The Telegram ID must be a positive whole number."), std::string::npos);
  EXPECT_NE(html.find("value=\"12x\""), std::string::npos);
  EXPECT_NE(RoleSelect(html).find("<option value=\"moderator\" selected>"), std::string::npos);
}

TEST(AdminUserPageTest, NewUserRolesAreWhatTheActorMayGrant) {
  Principal admin = MakePrincipal(1, Role::kAdmin);
  std::vector<Role> roles = GrantableRoles(admin);
  EXPECT_EQ(roles.size(), 3u);
  Principal mod = MakePrincipal(5, Role::kModerator);
  EXPECT_EQ(GrantableRoles(mod), std::vector<Role>{Role::kUser});

  NewUserForm f;
  f.email = kXssAttr;
  f.display_name = kXssScript;
  f.error = "email is not a valid address";
  AdminPage view(Layout(&admin, "users"), "user_new.tpl");
  FillNewUser(view.body(), admin, f);
  const std::string html = view.Render(Dir());
  ExpectNoRawPayload(html);
  EXPECT_NE(RoleSelect(html).find("<option value=\"user\" selected>"), std::string::npos);
  EXPECT_NE(html.find("Email is not a valid address."), std::string::npos);

  // A moderator's form (were it shown) would offer "user" only.
  AdminPage mview(Layout(&mod, "users"), "user_new.tpl");
  FillNewUser(mview.body(), mod, NewUserForm());
  const std::string mroles = RoleSelect(mview.Render(Dir()));
  EXPECT_NE(mroles.find("value=\"user\""), std::string::npos);
  EXPECT_EQ(mroles.find("value=\"moderator\""), std::string::npos);
  EXPECT_EQ(mroles.find("value=\"admin\""), std::string::npos);
}

TEST(AdminUserPageTest, DeleteConfirmationHasCsrfAndCancel) {
  Principal admin = MakePrincipal(1, Role::kAdmin);
  User target = MakeUser(2, Role::kUser, std::string(kXssScript) + "@x.com");
  AdminPage view(Layout(&admin, "users"), "user_delete.tpl");
  FillDeleteUser(view.body(), target);
  const std::string html = view.Render(Dir());
  ExpectNoRawPayload(html);
  EXPECT_NE(html.find("<form method=\"post\" action=\"/admin/users/2/delete\""), std::string::npos);
  EXPECT_EQ(Count(html, "name=\"csrf_token\" value=\"csrf-token-123\""), 2);  // + log out
  EXPECT_NE(html.find(">Cancel</a>"), std::string::npos);
}

// --- Audit ----------------------------------------------------------------------------------

TEST(AdminAuditTest, ParamsAndRendering) {
  AuditListParams p = AuditListParams::Parse({{"actor", "a@example.com"},
                                              {"action", "user."},
                                              {"since", "2024-05-01"},
                                              {"until", "2024-05-31"},
                                              {"page", "2"}});
  AuditQuery q = p.ToQuery();
  EXPECT_EQ(q.since, "2024-05-01T00:00:00Z");
  EXPECT_EQ(q.until, "2024-06-01T00:00:00Z");  // the whole last day
  EXPECT_EQ(q.action, "user.");
  EXPECT_EQ(p.PageUrl(3),
            "/admin/audit?actor=a%40example.com&action=user.&since=2024-05-01&until=2024-05-31"
            "&page=3");
  EXPECT_THROW(AuditListParams::Parse({{"since", "2024-02-30"}}), HttpError);
  EXPECT_THROW(AuditListParams::Parse({{"until", "soon"}}), HttpError);

  Principal admin = MakePrincipal(1, Role::kAdmin);
  AuditRow r;
  r.id = 1;
  r.created_at = "2024-05-02T10:00:00.000Z";
  r.entry.actor_user_id = 1;
  r.entry.actor_label = std::string(kXssScript);
  r.entry.action = "user.update";
  r.entry.target_type = "user";
  r.entry.target_id = "2";
  r.entry.changes["display_name"]["from"] = "a";
  r.entry.changes["display_name"]["to"] = kXssAttr;
  r.entry.ip = "127.0.0.1";
  r.entry.user_agent = kXssAttr;
  AdminPage view(Layout(&admin, "audit"), "audit.tpl");
  FillAudit(view.body(), admin, p, {r}, 51, "");
  const std::string html = view.Render(Dir());
  ExpectNoRawPayload(html);
  EXPECT_NE(html.find("<pre class=\"json\">{\n  &quot;display_name&quot;"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<a href=\"/admin/users/2\">user #2</a>"), std::string::npos);
  EXPECT_NE(html.find("Page 2 of 2"), std::string::npos);
  EXPECT_NE(html.find("rel=\"prev\" href=\"/admin/audit?actor=a%40example.com&amp;action=user."
                      "&amp;since=2024-05-01&amp;until=2024-05-31\""),
            std::string::npos);
}

// --- Profile and errors -------------------------------------------------------------------

TEST(AdminProfileTest, TokensAndForms) {
  Principal me = MakePrincipal(3, Role::kUser, "me@example.com");
  ApiToken live;
  live.id = 7;
  live.name = kXssScript;
  live.created_at = "2024-05-02T10:00:00.000Z";
  ApiToken revoked;
  revoked.id = 8;
  revoked.name = "old";
  revoked.created_at = "2024-05-02T10:00:00.000Z";
  revoked.revoked_at = "2024-05-03T10:00:00.000Z";
  ProfileForms f = ProfileFormsFrom(me.user);
  f.password_error = "the current password is wrong";
  AdminPage view(Layout(&me, "profile"), "profile.tpl");
  FillProfile(view.body(), me, {live, revoked}, f);
  const std::string html = view.Render(Dir());
  ExpectNoRawPayload(html);
  EXPECT_NE(html.find("action=\"/admin/profile/tokens/7/revoke\""), std::string::npos);
  EXPECT_EQ(html.find("action=\"/admin/profile/tokens/8/revoke\""), std::string::npos);
  EXPECT_NE(html.find("The current password is wrong."), std::string::npos);
  EXPECT_NE(html.find("name=\"current_password\""), std::string::npos);
  EXPECT_NE(html.find("aria-current=\"page\"><span class=\"visually-hidden\">"), std::string::npos);
}

TEST(AdminErrorTest, ErrorPageEscapesTheMessage) {
  Principal p = MakePrincipal(1, Role::kModerator);
  AdminPage view(Layout(&p), "error.tpl");
  FillError(view.body(), 403, std::string("no ") + kXssScript, "/admin/users/1/delete", p);
  const std::string html = view.Render(Dir());
  ExpectNoRawPayload(html);
  EXPECT_NE(html.find("You don&#39;t have access to this"), std::string::npos) << html;
  EXPECT_NE(html.find("href=\"/admin/users\">Back to users</a>"), std::string::npos);
  // A section the viewer may not see is not offered as the way back.
  AdminPage audit(Layout(&p), "error.tpl");
  FillError(audit.body(), 403, "no", "/admin/audit", p);
  EXPECT_NE(audit.Render(Dir()).find("href=\"/admin/\">Back to the dashboard</a>"),
            std::string::npos);
}

}  // namespace
}  // namespace sattva::fcgi
