// The admin pages through nginx, driven like a browser without JavaScript: HTML forms, the
// session cookie, CSRF tokens from the pages, redirects. Real PostgreSQL, Redis, nginx, fcgi.
#include <regex>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/form_browser.h"
#include "tests/support/stack.h"

namespace sattva::testing {
namespace {

int Count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

using Browser = FormBrowser;

class AdminPagesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o;
    o.wsd = false;
    o.streamer = false;
    o.extra_config = {"login_ip_limit = 100000"};
    stack_ = new Stack(o);
    admin_password_ = stack_->CreateAdmin("boss@example.com");
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  int port() const { return stack_->nginx_port; }

  Browser Admin() {
    Browser b(port());
    EXPECT_EQ(b.Login("boss@example.com", admin_password_).status, 303);
    return b;
  }

  // Creates a user through the JSON API as the admin; returns {id, password}.
  std::pair<int64_t, std::string> NewUser(const std::string& email, const std::string& role,
                                          const std::string& name = "") {
    ApiClient api(port());
    EXPECT_EQ(api.Login("boss@example.com", admin_password_).status, 200);
    return CreateUserViaApi(api, email, role, name);
  }

  std::string RoleAndStatus(int64_t id) { return testing::RoleAndStatus(stack_->pg_dsn(), id); }

  static Stack* stack_;
  static std::string admin_password_;
};
Stack* AdminPagesTest::stack_ = nullptr;
std::string AdminPagesTest::admin_password_;

TEST_F(AdminPagesTest, LoginFormThenPanelWithNavigation) {
  Browser b(port());
  HttpResponse r = b.Get("/admin");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/admin/");
  r = b.Get("/admin/users?role=admin");
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/admin/login?next=/admin/users%3Frole%3Dadmin");

  r = b.Get("/admin/login?next=/admin/users%3Frole%3Dadmin");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<form method=\"post\" action=\"/admin/login\""), std::string::npos);
  EXPECT_NE(r.body.find("name=\"next\" value=\"/admin/users?role=admin\""), std::string::npos);
  EXPECT_NE(r.Header("content-security-policy").find("default-src 'self'"), std::string::npos);

  // A wrong password: 401, the form again with the email kept and no cookie.
  r = b.Post("/admin/login", {{"email", "boss@example.com"}, {"password", "wrong-password"}},
             false);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("Wrong email or password"), std::string::npos);
  EXPECT_NE(r.body.find("value=\"boss@example.com\""), std::string::npos);
  EXPECT_TRUE(b.cookie.empty());

  // The right one: a session cookie and back to where we were going.
  r = b.Post("/admin/login",
             {{"email", "boss@example.com"},
              {"password", admin_password_},
              {"next", "/admin/users?role=admin"}},
             false);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.Header("location"), "/admin/users?role=admin");
  EXPECT_NE(r.Header("set-cookie").find("HttpOnly"), std::string::npos);
  ASSERT_FALSE(b.cookie.empty());

  r = b.Get("/admin/");
  ASSERT_EQ(r.status, 200) << r.body;
  for (const char* item : {">Dashboard</a>", ">Users</a>", ">Audit log</a>", "boss@example.com",
                           "action=\"/admin/logout\"", "Recent activity", "auth.login"}) {
    EXPECT_NE(r.body.find(item), std::string::npos) << item;
  }
  EXPECT_NE(r.body.find("aria-current=\"page\">Dashboard"), std::string::npos);
  // Signed in, the login page sends you on.
  r = b.Get("/admin/login");
  EXPECT_EQ(r.status, 303);
}

TEST_F(AdminPagesTest, NextNeverLeavesTheAdminPanel) {
  for (const char* next :
       {"https://evil.example/", "//evil.example/admin", "javascript:alert(1)", "/api/v1/users"}) {
    Browser b(port());
    HttpResponse r = b.Login("boss@example.com", admin_password_, next);
    ASSERT_EQ(r.status, 303) << next;
    EXPECT_EQ(r.Header("location"), "/admin/") << next;
  }
}

TEST_F(AdminPagesTest, SearchShowsMatchingUsers) {
  NewUser("findme-alpha@search.example", "user", "Alpha");
  NewUser("findme-beta@search.example", "user", "Beta");
  NewUser("someone-else@search.example", "user", "Gamma");
  Browser b = Admin();
  HttpResponse r = b.Get("/admin/users?q=findme");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Count(r.body, "<th scope=\"row\">"), 2) << r.body;
  EXPECT_NE(r.body.find("findme-alpha@search.example"), std::string::npos);
  EXPECT_NE(r.body.find("findme-beta@search.example"), std::string::npos);
  EXPECT_EQ(r.body.find("someone-else@search.example"), std::string::npos);
  EXPECT_NE(r.body.find("Showing 1\u20132 of 2 users"), std::string::npos);
  // Sorting links keep the search.
  EXPECT_NE(r.body.find("href=\"/admin/users?q=findme&amp;sort=email\""), std::string::npos);
  r = b.Get("/admin/users?q=findme&sort=email&order=desc");
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(r.body.find("findme-beta@"), r.body.find("findme-alpha@"));
  // Search by name, and SQL/LIKE metacharacters are just text.
  r = b.Get("/admin/users?q=GAMMA");
  EXPECT_EQ(Count(r.body, "<th scope=\"row\">"), 1);
  r = b.Get("/admin/users?q=%27%3B%20DROP%20TABLE%20users%3B--");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("No users match."), std::string::npos);
  r = b.Get("/admin/users?q=%25");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("No users match."), std::string::npos);
  // A bad filter is a clear 422 page, inside the layout.
  r = b.Get("/admin/users?role=superuser");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("Unknown role filter"), std::string::npos);
  EXPECT_NE(r.body.find(">Dashboard</a>"), std::string::npos);
}

TEST_F(AdminPagesTest, AdminChangesRoleAndTheModeratorHasItOnTheNextRequest) {
  auto [id, password] = NewUser("promote-me@example.com", "user", "Promote Me");
  Browser user(port());
  ASSERT_EQ(user.Login("promote-me@example.com", password).status, 303);
  EXPECT_EQ(user.Get("/admin/users").status, 403);  // a plain user may not list users

  Browser admin = Admin();
  const std::string page = "/admin/users/" + std::to_string(id);
  HttpResponse r = admin.Get(page);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<option value=\"user\" selected>"), std::string::npos);
  r = admin.Post(page, {{"display_name", "Promote Me"},
                        {"telegram_id", ""},
                        {"status", "active"},
                        {"role", "moderator"},
                        {"password", ""}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(r.Header("location"), page);
  EXPECT_EQ(RoleAndStatus(id), "moderator/active");
  r = admin.Get(page);
  EXPECT_NE(r.body.find("Saved the changes to promote-me@example.com."), std::string::npos);
  EXPECT_NE(r.body.find("<option value=\"moderator\" selected>"), std::string::npos);

  // The same session, next request: moderator rights.
  r = user.Get("/admin/users");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(">Users</a>"), std::string::npos);
  EXPECT_EQ(r.body.find(">Audit log</a>"), std::string::npos);
}

TEST_F(AdminPagesTest, ModeratorCannotDeleteAnAdmin) {
  auto [admin_id, admin_pw] = NewUser("second-admin@example.com", "admin");
  auto [mod_id, mod_pw] = NewUser("a-moderator@example.com", "moderator");
  Browser mod(port());
  ASSERT_EQ(mod.Login("a-moderator@example.com", mod_pw).status, 303);
  const std::string page = "/admin/users/" + std::to_string(admin_id);
  HttpResponse r = mod.Get(page);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Moderators can view admins"), std::string::npos);
  EXPECT_EQ(r.body.find("/delete"), std::string::npos);
  EXPECT_EQ(mod.Get(page + "/delete").status, 403);

  r = mod.Post(page + "/delete", {});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("Moderators may only delete users whose role is user."), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(">Dashboard</a>"), std::string::npos);  // the 403 page has the layout
  r = mod.Post(page, {{"display_name", "pwned"}, {"status", "blocked"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(RoleAndStatus(admin_id), "admin/active");
}

TEST_F(AdminPagesTest, AdminDeletesAUserWithConfirmation) {
  auto [id, pw] = NewUser("delete-me@example.com", "user");
  Browser admin = Admin();
  const std::string page = "/admin/users/" + std::to_string(id);
  HttpResponse r = admin.Get(page + "/delete");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Delete this user?"), std::string::npos);
  EXPECT_EQ(RoleAndStatus(id), "user/active");  // the GET changed nothing
  r = admin.Post(page + "/delete", {});
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/admin/users");
  EXPECT_EQ(RoleAndStatus(id), "user/deleted");
  r = admin.Get("/admin/users");
  EXPECT_NE(r.body.find("User delete-me@example.com deleted."), std::string::npos);
}

TEST_F(AdminPagesTest, MissingOrWrongCsrfIs403AndNothingChanges) {
  auto [id, pw] = NewUser("csrf-target@example.com", "user", "Before");
  Browser admin = Admin();
  const std::string page = "/admin/users/" + std::to_string(id);
  Fields change = {{"display_name", "After"}, {"status", "blocked"}};
  EXPECT_EQ(admin.Post(page, change, /*with_csrf=*/false).status, 403);
  Fields wrong = change;
  wrong.emplace_back("csrf_token", "not-the-token");
  EXPECT_EQ(admin.Post(page, wrong, false).status, 403);
  EXPECT_EQ(admin.Post(page, change, true, /*with_origin=*/false).status, 403);
  EXPECT_EQ(admin.Post(page + "/delete", {}, false).status, 403);
  EXPECT_EQ(admin.Post("/admin/logout", {}, false).status, 403);
  EXPECT_EQ(RoleAndStatus(id), "user/active");
  EXPECT_EQ(admin.Get("/admin/").status, 200);  // still signed in
  // With the token it works.
  EXPECT_EQ(admin.Post(page, change).status, 303);
  EXPECT_EQ(RoleAndStatus(id), "user/blocked");
}

TEST_F(AdminPagesTest, XssInNamesAndSearchRendersEscaped) {
  const std::string script = "<script>alert(1)</script>";
  const std::string attr = "\"><img src=x onerror=alert(1)>";
  auto [id, pw] = NewUser("xss-name@example.com", "user", script + attr);
  Browser admin = Admin();
  for (const std::string& target :
       {std::string("/admin/users?q=xss-name"), "/admin/users/" + std::to_string(id),
        "/admin/users/" + std::to_string(id) + "/delete",
        std::string("/admin/users?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
        std::string("/admin/users?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"),
        std::string("/admin/audit?action=user.create")}) {
    HttpResponse r = admin.Get(target);
    ASSERT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body.find("<script>"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("<img src=x"), std::string::npos) << target;
  }
  HttpResponse r = admin.Get("/admin/users?q=xss-name");
  EXPECT_NE(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x"),
            std::string::npos);
  // A name typed into the form comes back escaped too (422: the Telegram ID is bad).
  r = admin.Post("/admin/users/" + std::to_string(id),
                 {{"display_name", attr}, {"telegram_id", "12x"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\""),
            std::string::npos);
  EXPECT_EQ(r.body.find("<img src=x"), std::string::npos);
}

TEST_F(AdminPagesTest, NotFoundPagesHaveTheLayout) {
  Browser admin = Admin();
  for (const char* path : {"/admin/users/abc", "/admin/users/999999", "/admin/users/0",
                           "/admin/users/999999/delete"}) {
    HttpResponse r = admin.Get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find(">Dashboard</a>"), std::string::npos) << path;
    EXPECT_NE(r.body.find("Not found"), std::string::npos) << path;
  }
  Browser anon(port());
  EXPECT_EQ(anon.Get("/admin/users/999999").status, 303);  // sign in first
}

TEST_F(AdminPagesTest, CreateUserWithGeneratedPasswordShownOnce) {
  Browser admin = Admin();
  HttpResponse r = admin.Get("/admin/users/new");
  ASSERT_EQ(r.status, 200);
  r = admin.Post(
      "/admin/users",
      {{"email", "not-an-email"}, {"display_name", "X"}, {"role", "user"}, {"password", ""}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("value=\"not-an-email\""), std::string::npos);
  r = admin.Post("/admin/users", {{"email", "Fresh@Example.com"},
                                  {"display_name", "Fresh"},
                                  {"role", "moderator"},
                                  {"password", ""}});
  ASSERT_EQ(r.status, 303) << r.body;
  const std::string where = r.Header("location");
  r = admin.Get(where);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.body, m, std::regex("<code class=\"secret\">([^<]+)</code>")))
      << r.body;
  const std::string password = m[1];
  EXPECT_EQ(admin.Get(where).body.find("class=\"secret\""), std::string::npos);  // once
  Browser fresh(port());
  EXPECT_EQ(fresh.Login("fresh@example.com", password).status, 303);
  // Duplicate email: 409 with the form.
  r = admin.Post("/admin/users", {{"email", "fresh@example.com"}, {"role", "user"}});
  EXPECT_EQ(r.status, 409);
}

TEST_F(AdminPagesTest, ProfileTokensAndPassword) {
  auto [id, pw] = NewUser("profile-owner@example.com", "user");
  Browser me(port());
  ASSERT_EQ(me.Login("profile-owner@example.com", pw).status, 303);
  HttpResponse r = me.Get("/admin/profile");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("You have no API tokens."), std::string::npos);

  r = me.Post("/admin/profile/tokens", {{"name", "connector"}});
  ASSERT_EQ(r.status, 303);
  r = me.Get("/admin/profile");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.body, m, std::regex("<code class=\"secret\">(sat_[^<]+)</code>")));
  const std::string token = m[1];
  HttpResponse api =
      HttpRequest(port(), "GET", "/api/v1/auth/me", "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(api.status, 200) << api.body;
  ASSERT_TRUE(std::regex_search(r.body, m, std::regex("/admin/profile/tokens/(\\d+)/revoke")));
  r = me.Post("/admin/profile/tokens/" + std::string(m[1]) + "/revoke", {});
  EXPECT_EQ(r.status, 303);
  api = HttpRequest(port(), "GET", "/api/v1/auth/me", "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(api.status, 401);

  // Password: the current one must be right and the new ones must match.
  r = me.Post("/admin/profile/password", {{"current_password", "wrong-one-123"},
                                          {"new_password", "brand-new-password"},
                                          {"confirm_password", "brand-new-password"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("The current password is wrong."), std::string::npos);
  r = me.Post("/admin/profile/password", {{"current_password", pw},
                                          {"new_password", "brand-new-password"},
                                          {"confirm_password", "brand-new-passwort"}});
  EXPECT_EQ(r.status, 422);
  r = me.Post("/admin/profile/password", {{"current_password", pw},
                                          {"new_password", "brand-new-password"},
                                          {"confirm_password", "brand-new-password"}});
  EXPECT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(me.Get("/admin/profile").status, 200);  // this session lives on
  Browser again(port());
  EXPECT_EQ(again.Login("profile-owner@example.com", "brand-new-password").status, 303);

  // Someone else's token id is not found.
  EXPECT_EQ(me.Post("/admin/profile/tokens/999999/revoke", {}).status, 404);
}

TEST_F(AdminPagesTest, LogoutEndsTheSession) {
  Browser b = Admin();
  const std::string old_cookie = b.cookie;
  HttpResponse r = b.Post("/admin/logout", {});
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/admin/login?logged_out=1");
  EXPECT_NE(r.Header("set-cookie").find("Max-Age=0"), std::string::npos);
  b.cookie = old_cookie;  // replay
  EXPECT_EQ(b.Get("/admin/").status, 303);
  r = b.Get("/admin/login?logged_out=1");
  EXPECT_NE(r.body.find("You have been signed out."), std::string::npos);
}

TEST_F(AdminPagesTest, AuditPageFiltersByActorAndAction) {
  Browser admin = Admin();
  HttpResponse r = admin.Get("/admin/audit?actor=boss%40example.com&action=auth.login");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<code>auth.login</code>"), std::string::npos);
  EXPECT_EQ(r.body.find("<code>user.create</code>"), std::string::npos);
  r = admin.Get("/admin/audit?actor=nobody%40example.com");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("No user has the email nobody@example.com"), std::string::npos);
  r = admin.Get("/admin/audit?since=2020-02-30");
  EXPECT_EQ(r.status, 422);
  // Moderators may not read the audit log.
  auto [mid, mpw] = NewUser("audit-mod@example.com", "moderator");
  Browser mod(port());
  ASSERT_EQ(mod.Login("audit-mod@example.com", mpw).status, 303);
  EXPECT_EQ(mod.Get("/admin/audit").status, 403);
}

}  // namespace
}  // namespace sattva::testing
