// Accounts through nginx: login, sessions, CSRF, roles, tokens, rate limits, the users API and
// the audit log. Real PostgreSQL, Redis, nginx and sattva-fcgi.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/stack.h"

namespace sattva::testing {
namespace {

class AccountsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o;
    o.wsd = false;
    o.streamer = false;
    // Every test logs in from 127.0.0.1: lift the per-IP limit here (RateLimitTest checks it),
    // and make the per-account one small enough to reach quickly.
    o.extra_config = {"login_ip_limit = 100000", "login_account_failure_limit = 5"};
    stack_ = new Stack(o);
    admin_password_ = stack_->CreateAdmin("root@example.com");
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  ApiClient Admin() {
    ApiClient c(stack_->nginx_port);
    HttpResponse r = c.Login("root@example.com", admin_password_);
    EXPECT_EQ(r.status, 200) << r.body;
    return c;
  }

  std::pair<int64_t, std::string> NewUser(const std::string& email, const std::string& role = "user",
                                          const std::string& name = "") {
    ApiClient admin = Admin();
    return CreateUserViaApi(admin, email, role, name);
  }

  ApiClient As(const std::string& email, const std::string& password) {
    ApiClient c(stack_->nginx_port);
    HttpResponse r = c.Login(email, password);
    EXPECT_EQ(r.status, 200) << r.body;
    return c;
  }

  std::string UserStatus(int64_t id) { return RoleAndStatus(stack_->pg_dsn(), id); }

  static Stack* stack_;
  static std::string admin_password_;
};
Stack* AccountsTest::stack_ = nullptr;
std::string AccountsTest::admin_password_;

TEST_F(AccountsTest, LoginSetsAHardenedCookieAndMeWorks) {
  ApiClient c(stack_->nginx_port);
  HttpResponse r = c.Login("ROOT@example.com ", admin_password_);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string sc = r.Header("set-cookie");
  EXPECT_NE(sc.find("HttpOnly"), std::string::npos) << sc;
  EXPECT_NE(sc.find("SameSite=Strict"), std::string::npos) << sc;
  EXPECT_EQ(sc.find("Secure"), std::string::npos) << "public_url is http here";
  Json::Value v = JsonOf(r);
  EXPECT_EQ(v["user"]["role"].asString(), "admin");
  EXPECT_FALSE(v["user"].isMember("password_hash"));
  EXPECT_EQ(v["csrf_token"].asString().size(), 32u);
  HttpResponse me = c.Get("/api/v1/auth/me");
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(JsonOf(me)["user"]["email"].asString(), "root@example.com");
  ApiClient anon(stack_->nginx_port);
  EXPECT_EQ(anon.Get("/api/v1/auth/me").status, 401);
}

TEST_F(AccountsTest, WrongPasswordAndUnknownEmailLookTheSame) {
  ApiClient c(stack_->nginx_port);
  HttpResponse a = c.Login("root@example.com", "not the password");
  HttpResponse b = c.Login("nobody@example.com", "not the password");
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(b.status, 401);
  EXPECT_EQ(a.body, b.body);
  EXPECT_TRUE(c.cookie.empty());
}

TEST_F(AccountsTest, AdminChangesRoleAndItTakesEffectOnTheNextRequest) {
  auto [id, password] = NewUser("promote-me@example.com");
  ApiClient user = As("promote-me@example.com", password);
  EXPECT_EQ(user.Get("/api/v1/users").status, 403);
  ApiClient admin = Admin();
  Json::Value patch;
  patch["role"] = "moderator";
  HttpResponse r = admin.Patch("/api/v1/users/" + std::to_string(id), patch);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonOf(r)["role"].asString(), "moderator");
  EXPECT_EQ(UserStatus(id), "moderator/active");
  // Same session, next request: moderator rights.
  HttpResponse list = user.Get("/api/v1/users");
  EXPECT_EQ(list.status, 200) << list.body;
  // And the audit log has the change with before and after.
  HttpResponse audit = admin.Get("/api/v1/audit?action=user.role_change&target_type=user&target_id=" +
                                 std::to_string(id));
  ASSERT_EQ(audit.status, 200) << audit.body;
  Json::Value items = JsonOf(audit)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["changes"]["role"]["from"].asString(), "user");
  EXPECT_EQ(items[0]["changes"]["role"]["to"].asString(), "moderator");
  EXPECT_EQ(items[0]["actor"].asString(), "root@example.com");
  EXPECT_EQ(items[0]["ip"].asString(), "127.0.0.1");
}

TEST_F(AccountsTest, ModeratorCannotDeleteOrEditAnAdmin) {
  auto [mod_id, mod_pw] = NewUser("mod1@example.com", "moderator");
  auto [admin2, admin2_pw] = NewUser("admin2@example.com", "admin");
  ApiClient mod = As("mod1@example.com", mod_pw);
  HttpResponse del = mod.Delete("/api/v1/users/" + std::to_string(admin2));
  EXPECT_EQ(del.status, 403) << del.body;
  EXPECT_EQ(JsonOf(del)["error"]["code"].asString(), "forbidden");
  Json::Value patch;
  patch["status"] = "blocked";
  EXPECT_EQ(mod.Patch("/api/v1/users/" + std::to_string(admin2), patch).status, 403);
  EXPECT_EQ(UserStatus(admin2), "admin/active");
  // But a moderator may block a plain user, and may not raise its own role.
  auto [uid, upw] = NewUser("plain1@example.com");
  HttpResponse ok = mod.Patch("/api/v1/users/" + std::to_string(uid), patch);
  EXPECT_EQ(ok.status, 200) << ok.body;
  Json::Value raise;
  raise["role"] = "admin";
  EXPECT_EQ(mod.Patch("/api/v1/users/" + std::to_string(mod_id), raise).status, 403);
  EXPECT_EQ(UserStatus(mod_id), "moderator/active");
}

TEST_F(AccountsTest, LastActiveAdminStays) {
  ApiClient admin = Admin();
  HttpResponse me = admin.Get("/api/v1/auth/me");
  const int64_t my_id = JsonOf(me)["user"]["id"].asInt64();
  // Other admins may exist from other tests: block them all first, via SQL, then try.
  pqxx::connection c(stack_->pg_dsn());
  {
    pqxx::work tx(c);
    tx.exec_params("UPDATE users SET status = 'blocked' WHERE role = 'admin' AND id <> $1", my_id);
    tx.commit();
  }
  Json::Value demote;
  demote["role"] = "user";
  HttpResponse r = admin.Patch("/api/v1/users/" + std::to_string(my_id), demote);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(JsonOf(r)["error"]["code"].asString(), "last_admin");
  EXPECT_EQ(UserStatus(my_id), "admin/active");
}

TEST_F(AccountsTest, CsrfIsRequiredForCookieWrites) {
  auto [id, pw] = NewUser("csrf-target@example.com");
  ApiClient admin = Admin();
  const std::string path = "/api/v1/users/" + std::to_string(id);
  const std::string body = "{\"display_name\":\"changed\"}";
  HttpResponse no_token = admin.Send("PATCH", path, body, {}, /*with_csrf=*/false);
  EXPECT_EQ(no_token.status, 403);
  EXPECT_EQ(JsonOf(no_token)["error"]["code"].asString(), "csrf_failed");
  // Change the first character to one it is not (a fixed "x" equals the real token 1 time in 64).
  std::string forged = admin.csrf_token;
  forged[0] = forged[0] == 'A' ? 'B' : 'A';
  HttpResponse wrong = admin.Send("PATCH", path, body, {{"X-CSRF-Token", forged}}, false);
  EXPECT_EQ(wrong.status, 403);
  HttpResponse no_origin = admin.Send("PATCH", path, body, {}, true, /*with_origin=*/false);
  EXPECT_EQ(no_origin.status, 403);
  HttpResponse evil = admin.Send("PATCH", path, body, {{"Origin", "http://evil.example"}}, true, false);
  EXPECT_EQ(evil.status, 403);
  ApiClient fresh = Admin();
  HttpResponse check = fresh.Get(path);
  EXPECT_EQ(JsonOf(check)["display_name"].asString(), "") << "a refused write changed the user";
  // With both it works.
  EXPECT_EQ(admin.Send("PATCH", path, body, {}).status, 200);
}

TEST_F(AccountsTest, SessionFixationDoesNotWork) {
  ApiClient c(stack_->nginx_port);
  c.cookie = "sattva_session=attacker-chosen-id-AAAAAAAAAAAA";
  EXPECT_EQ(c.Get("/api/v1/auth/me").status, 401);
  ASSERT_EQ(c.Login("root@example.com", admin_password_).status, 200);
  EXPECT_NE(c.cookie, "sattva_session=attacker-chosen-id-AAAAAAAAAAAA");
  ApiClient attacker(stack_->nginx_port);
  attacker.cookie = "sattva_session=attacker-chosen-id-AAAAAAAAAAAA";
  EXPECT_EQ(attacker.Get("/api/v1/auth/me").status, 401);
  // Logging in again issues yet another id.
  const std::string first = c.cookie;
  ASSERT_EQ(c.Login("root@example.com", admin_password_).status, 200);
  EXPECT_NE(c.cookie, first);
}

TEST_F(AccountsTest, CookieReplayedAfterLogoutIsRefused) {
  ApiClient c = Admin();
  const std::string saved = c.cookie;
  HttpResponse out = c.Post("/api/v1/auth/logout", Json::Value(Json::objectValue));
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_NE(out.Header("set-cookie").find("Max-Age=0"), std::string::npos);
  ApiClient replay(stack_->nginx_port);
  replay.cookie = saved;
  EXPECT_EQ(replay.Get("/api/v1/auth/me").status, 401);
}

TEST_F(AccountsTest, BlockedUsersSessionAndTokenStopAtOnce) {
  auto [id, pw] = NewUser("soon-blocked@example.com");
  ApiClient user = As("soon-blocked@example.com", pw);
  Json::Value tb;
  tb["name"] = "bot";
  HttpResponse tok = user.Post("/api/v1/tokens", tb);
  ASSERT_EQ(tok.status, 201) << tok.body;
  ApiClient bot(stack_->nginx_port);
  bot.bearer = JsonOf(tok)["token"].asString();
  ASSERT_EQ(bot.Get("/api/v1/auth/me").status, 200);
  ASSERT_EQ(user.Get("/api/v1/auth/me").status, 200);
  ApiClient admin = Admin();
  Json::Value block;
  block["status"] = "blocked";
  ASSERT_EQ(admin.Patch("/api/v1/users/" + std::to_string(id), block).status, 200);
  EXPECT_EQ(user.Get("/api/v1/auth/me").status, 401);
  EXPECT_EQ(bot.Get("/api/v1/auth/me").status, 401);
  ApiClient again(stack_->nginx_port);
  EXPECT_EQ(again.Login("soon-blocked@example.com", pw).status, 401);
}

TEST_F(AccountsTest, TokensWorkShownOnceAndRevoke) {
  ApiClient admin = Admin();
  Json::Value tb;
  tb["name"] = "connector";
  HttpResponse created = admin.Post("/api/v1/tokens", tb);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret = JsonOf(created)["token"].asString();
  const int64_t tid = JsonOf(created)["id"].asInt64();
  EXPECT_EQ(secret.rfind("sat_", 0), 0u);
  HttpResponse list = admin.Get("/api/v1/tokens");
  EXPECT_EQ(list.body.find(secret), std::string::npos) << "the secret is shown only once";
  pqxx::connection c(stack_->pg_dsn());
  {
    pqxx::nontransaction tx(c);
    EXPECT_EQ(tx.exec_params("SELECT 1 FROM api_tokens WHERE token_hash = $1", secret).size(), 0u);
  }
  ApiClient bot(stack_->nginx_port);
  bot.bearer = secret;
  EXPECT_EQ(bot.Get("/api/v1/users").status, 200);
  HttpResponse me = bot.Get("/api/v1/auth/me");
  EXPECT_EQ(JsonOf(me)["auth"].asString(), "token");
  // A bearer write needs no CSRF token and no Origin (browsers never attach bearer tokens).
  auto [uid, upw] = NewUser("token-target@example.com");
  HttpResponse w = bot.Send("PATCH", "/api/v1/users/" + std::to_string(uid),
                            "{\"display_name\":\"via token\"}", {}, false, false);
  EXPECT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(JsonOf(w)["display_name"].asString(), "via token");
  {
    pqxx::nontransaction tx(c);
    EXPECT_FALSE(tx.exec_params1("SELECT last_used_at FROM api_tokens WHERE id = $1", tid)[0].is_null());
  }
  EXPECT_EQ(admin.Delete("/api/v1/tokens/" + std::to_string(tid)).status, 204);
  EXPECT_EQ(bot.Get("/api/v1/users").status, 401);
  ApiClient junk(stack_->nginx_port);
  junk.bearer = "sat_not-a-real-token";
  EXPECT_EQ(junk.Get("/api/v1/auth/me").status, 401);
}

TEST_F(AccountsTest, AccountFailureLimitGives429) {
  NewUser("brute@example.com");
  ApiClient c(stack_->nginx_port);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.Login("brute@example.com", "guess" + std::to_string(i)).status, 401);
  HttpResponse r = c.Login("brute@example.com", "guess-again");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_GE(std::stoi(r.Header("retry-after").empty() ? "0" : r.Header("retry-after")), 1);
  EXPECT_EQ(JsonOf(r)["error"]["code"].asString(), "rate_limited");
}

TEST_F(AccountsTest, SearchFiltersSortsAndPages) {
  for (int i = 0; i < 5; ++i) NewUser("search-" + std::to_string(i) + "@corp.example", "user", "Searchable " + std::to_string(i));
  ApiClient admin = Admin();
  HttpResponse r = admin.Get("/api/v1/users?q=corp.example&sort=email&order=desc&per_page=2&page=2");
  ASSERT_EQ(r.status, 200) << r.body;
  Json::Value v = JsonOf(r);
  EXPECT_EQ(v["total"].asInt(), 5);
  ASSERT_EQ(v["items"].size(), 2u);
  EXPECT_EQ(v["items"][0]["email"].asString(), "search-2@corp.example");
  EXPECT_EQ(v["items"][1]["email"].asString(), "search-1@corp.example");
  HttpResponse by_name = admin.Get("/api/v1/users?q=SEARCHABLE%203");
  EXPECT_EQ(JsonOf(by_name)["total"].asInt(), 1);
  HttpResponse mods = admin.Get("/api/v1/users?role=admin");
  for (const auto& u : JsonOf(mods)["items"]) EXPECT_EQ(u["role"].asString(), "admin");
}

TEST_F(AccountsTest, InjectionStringsInSearchAreHarmless) {
  ApiClient admin = Admin();
  for (const char* q : {"'%20OR%201%3D1%20--", "%25", "_", "%5C", "x'%3B%20DROP%20TABLE%20users%3B%20--",
                        "%F0%9F%8E%B5", "%D8%A7%D9%84%D8%B9%D8%B1%D8%A8%D9%8A%D8%A9"}) {
    HttpResponse r = admin.Get(std::string("/api/v1/users?q=") + q);
    ASSERT_EQ(r.status, 200) << q << " " << r.body;
    EXPECT_EQ(JsonOf(r)["total"].asInt(), 0) << q;
  }
  EXPECT_EQ(admin.Get("/api/v1/users?sort=email;DROP").status, 422);
  EXPECT_EQ(admin.Get("/api/v1/users?order=sideways").status, 422);
  EXPECT_EQ(admin.Get("/api/v1/users?role=root").status, 422);
  EXPECT_EQ(admin.Get("/api/v1/users?per_page=1000").status, 422);
  EXPECT_EQ(admin.Get("/api/v1/users?q=%FF").status, 400);
  EXPECT_EQ(JsonOf(admin.Get("/api/v1/users?q=root@")).get("total", 0).asInt(), 1);
}

TEST_F(AccountsTest, BadInputChangesNothing) {
  auto [id, pw] = NewUser("victim@example.com", "user", "Victim");
  ApiClient admin = Admin();
  const std::string path = "/api/v1/users/" + std::to_string(id);
  struct Case {
    std::string body;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"{", 400},
           {"[1,2]", 400},
           {"{\"display_name\":5}", 400},
           {"{\"role\":\"superuser\"}", 422},
           {"{\"status\":[\"blocked\"]}", 400},
           {"{\"telegram_id\":\"12\"}", 400},
           {"{\"telegram_id\":-4}", 422},
           {"{\"nope\":1}", 422},
           {"{\"display_name\":\"a\",\"display_name\":\"b\"}", 400},
           {"{\"display_name\":\"\xff\"}", 400},
           {"{\"display_name\":\"line\\nbreak\"}", 422},
           {"{\"password\":\"short\"}", 422},
       }) {
    HttpResponse r = admin.Send("PATCH", path, c.body, {});
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_TRUE(JsonOf(r)["error"].isMember("code")) << c.body;
  }
  EXPECT_EQ(admin.Send("PATCH", path, "{}", {{"Content-Type", "text/plain"}}).status, 415);
  EXPECT_EQ(admin.Patch("/api/v1/users/999999", Json::Value(Json::objectValue)).status, 404);
  EXPECT_EQ(admin.Get("/api/v1/users/abc").status, 404);
  EXPECT_EQ(admin.Get("/api/v1/users/0").status, 404);
  EXPECT_EQ(admin.Get("/api/v1/users/-1").status, 404);
  HttpResponse after = admin.Get(path);
  EXPECT_EQ(JsonOf(after)["display_name"].asString(), "Victim");
  EXPECT_EQ(UserStatus(id), "user/active");
}

TEST_F(AccountsTest, OddUnicodeRoundTrips) {
  const std::string name = "\xF0\x9F\x8E\xB5 \xD7\xA2\xD7\x91\xD7\xA8\xD7\x99\xD7\xAA <script>alert(1)</script>";
  auto [id, pw] = NewUser("unicode@example.com", "user", name);
  ApiClient admin = Admin();
  HttpResponse r = admin.Get("/api/v1/users/" + std::to_string(id));
  EXPECT_EQ(JsonOf(r)["display_name"].asString(), name);
  EXPECT_EQ(r.Header("content-type"), "application/json; charset=utf-8");
}

TEST_F(AccountsTest, AuditIsAdminOnlyAndNeverHoldsSecrets) {
  auto [mid, mpw] = NewUser("mod-audit@example.com", "moderator");
  ApiClient mod = As("mod-audit@example.com", mpw);
  EXPECT_EQ(mod.Get("/api/v1/audit").status, 403);
  ApiClient admin = Admin();
  HttpResponse all = admin.Get("/api/v1/audit?per_page=200");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body.find("$argon2id$"), std::string::npos);
  EXPECT_EQ(all.body.find(mpw), std::string::npos);
  HttpResponse logins = admin.Get("/api/v1/audit?action=auth.&actor=mod-audit@example.com");
  ASSERT_EQ(logins.status, 200);
  EXPECT_GE(JsonOf(logins)["total"].asInt(), 1);
  HttpResponse failed = admin.Get("/api/v1/audit?action=auth.login_failed");
  EXPECT_GE(JsonOf(failed)["total"].asInt(), 1);
  EXPECT_EQ(admin.Get("/api/v1/audit?since=yesterday").status, 422);
  HttpResponse window = admin.Get("/api/v1/audit?since=2000-01-01&until=2000-01-02");
  EXPECT_EQ(JsonOf(window)["total"].asInt(), 0);
}

TEST(RateLimitTest, FivePerThirtySecondsPerIp) {
  StackOptions o;
  o.wsd = false;
  o.streamer = false;
  Stack stack(o);
  ApiClient c(stack.nginx_port);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.Login("x" + std::to_string(i) + "@example.com", "wrong-password").status, 401);
  }
  HttpResponse r = c.Login("other@example.com", "wrong-password");
  EXPECT_EQ(r.status, 429) << r.body;
  const int retry = std::atoi(r.Header("retry-after").c_str());
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 30);
}

}  // namespace
}  // namespace sattva::testing
