// Who may open /ws/stats, what they see, and how fast they are cut off (docs/websocket.md,
// "Access"). Real PostgreSQL, Redis, nginx and daemons (tests/support/stack).
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/http_client.h"
#include "tests/support/stack.h"
#include "tests/support/ws_client.h"

namespace sattva::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kPerSessionCap = 3;

Json::Value Parse(const std::string& s) {
  Json::Value v;
  std::string error;
  EXPECT_TRUE(common::ParseJson(s, &v, &error)) << error << " in: " << s;
  return v;
}

class WsAccessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o;
    o.streamer = false;
    o.extra_config = {"login_ip_limit = 100000",
                      "wsd_max_per_session = " + std::to_string(kPerSessionCap)};
    stack_ = new Stack(o);
    admin_ = new ApiClient(stack_->nginx_port);
    admin_password_ = stack_->CreateAdmin("ws-admin@example.com");
    HttpResponse r = admin_->Login("ws-admin@example.com", admin_password_);
    ASSERT_EQ(r.status, 200) << r.body;
    admin_id_ = JsonOf(r)["user"]["id"].asInt64();
  }
  static void TearDownTestSuite() {
    delete admin_;
    admin_ = nullptr;
    delete stack_;
    stack_ = nullptr;
  }

  int nginx() const { return stack_->nginx_port; }
  int wsd() const { return stack_->wsd_port; }
  std::string Origin() const { return "http://127.0.0.1:" + std::to_string(nginx()); }

  // A new user of |role| (display name |name|), logged in on a client of its own.
  std::unique_ptr<ApiClient> NewUser(const std::string& tag, const std::string& role,
                                     const std::string& name, int64_t* id) {
    const std::string email = "ws-" + tag + "@example.com";
    auto [uid, password] = CreateUserViaApi(*admin_, email, role, name);
    auto c = std::make_unique<ApiClient>(nginx());
    HttpResponse r = c->Login(email, password);
    EXPECT_EQ(r.status, 200) << r.body;
    if (id != nullptr) *id = uid;
    return c;
  }

  // A new API token of the logged-in |owner|: its secret, and *id its id.
  std::string NewToken(ApiClient& owner, int64_t* id) {
    Json::Value b;
    b["name"] = "ws test";
    HttpResponse r = owner.Post("/api/v1/tokens", b);
    EXPECT_EQ(r.status, 201) << r.body;
    Json::Value v = JsonOf(r);
    if (id != nullptr) *id = v["id"].asInt64();
    return v["token"].asString();
  }

  std::string NewTicket(ApiClient& c) {
    HttpResponse r = c.Post("/api/v1/ws-ticket", Json::Value(Json::objectValue));
    EXPECT_EQ(r.status, 200) << r.body;
    Json::Value v = JsonOf(r);
    EXPECT_EQ(v["expires_in"].asInt(), 30);
    return v["ticket"].asString();
  }

  // Connects with |headers|; on success reads the hello into *hello.
  bool Open(WsClient* ws, int port, const std::string& path,
            std::vector<std::pair<std::string, std::string>> headers, Json::Value* hello,
            std::string* error) {
    ws->set_headers(std::move(headers));
    if (!ws->Connect("127.0.0.1", port, path, error)) return false;
    std::string msg;
    if (!ws->ReadText(&msg, 5000)) {
      *error = "no hello";
      return false;
    }
    *hello = Parse(msg);
    return (*hello)["type"].asString() == "hello";
  }

  void OpenWithCookie(WsClient* ws, ApiClient& c, Json::Value* hello) {
    std::string error;
    ASSERT_TRUE(
        Open(ws, nginx(), "/ws/stats", {{"Cookie", c.cookie}, {"Origin", Origin()}}, hello, &error))
        << error;
  }

  // Expects the server to close |ws| with 1008 and |reason| within 5 s of |since|.
  void ExpectClosed(WsClient& ws, steady_clock::time_point since, const std::string& reason) {
    std::string msg;
    const auto deadline = since + std::chrono::seconds(5);
    while (steady_clock::now() < deadline) {
      int left = static_cast<int>(
          std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count());
      if (!ws.ReadText(&msg, std::max(left, 1))) break;
    }
    const auto took = steady_clock::now() - since;
    EXPECT_TRUE(ws.peer_closed()) << "still open after 5 s";
    EXPECT_EQ(ws.close_code(), 1008);
    EXPECT_EQ(ws.close_reason(), reason);
    EXPECT_LT(took, std::chrono::seconds(5));
  }

  static void ExpectRefused(const WsClient& ws, int status, const std::string& code) {
    EXPECT_EQ(ws.http_status(), status);
    EXPECT_FALSE(ws.connected());
    Json::Value v = Parse(ws.refusal_body());
    EXPECT_EQ(v["error"]["code"].asString(), code) << ws.refusal_body();
  }

  static Stack* stack_;
  static ApiClient* admin_;
  static std::string admin_password_;
  static int64_t admin_id_;
};
Stack* WsAccessTest::stack_ = nullptr;
ApiClient* WsAccessTest::admin_ = nullptr;
std::string WsAccessTest::admin_password_;
int64_t WsAccessTest::admin_id_ = 0;

TEST_F(WsAccessTest, AnonymousIs401BeforeAnyUpgrade) {
  for (int port : {nginx(), wsd()}) {
    WsClient ws;
    std::string error;
    EXPECT_FALSE(ws.Connect("127.0.0.1", port, "/ws/stats", &error));
    ExpectRefused(ws, 401, "unauthenticated");
    // Unknown credentials of every kind are the same 401.
    for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {{"Authorization", "Bearer sat_nope"}},
             {{"Authorization", "Basic dTpw"}},
             {{"Cookie", "sattva_session=nope"}, {"Origin", Origin()}}}) {
      WsClient other;
      other.set_headers(headers);
      EXPECT_FALSE(other.Connect("127.0.0.1", port, "/ws/stats", &error));
      ExpectRefused(other, 401, "unauthenticated");
    }
    WsClient ticket;
    EXPECT_FALSE(ticket.Connect("127.0.0.1", port, "/ws/stats?ticket=nope", &error));
    ExpectRefused(ticket, 401, "unauthenticated");
  }
}

TEST_F(WsAccessTest, CookieNeedsTheSitesOrigin) {
  for (auto headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"Cookie", admin_->cookie}, {"Origin", "http://evil.example"}},
           {{"Cookie", admin_->cookie}, {"Origin", "null"}},
           {{"Cookie", admin_->cookie}}}) {
    WsClient ws;
    ws.set_headers(headers);
    std::string error;
    EXPECT_FALSE(ws.Connect("127.0.0.1", nginx(), "/ws/stats", &error));
    ExpectRefused(ws, 403, "forbidden_origin");
  }
}

TEST_F(WsAccessTest, CookieWithTheRightOriginWorksThroughNginx) {
  WsClient ws;
  Json::Value hello;
  OpenWithCookie(&ws, *admin_, &hello);
  EXPECT_EQ(hello["version"].asInt(), 2);
  EXPECT_EQ(hello["user"]["id"].asInt64(), admin_id_);
  EXPECT_EQ(hello["user"]["role"].asString(), "admin");
  // No display name: the email's local part, never the email.
  EXPECT_EQ(hello["user"]["name"].asString(), "ws-admin");
  EXPECT_FALSE(hello["user"].isMember("email"));
}

TEST_F(WsAccessTest, BearerWorksStraightToWsd) {
  int64_t uid = 0;
  auto c = NewUser("bearer", "user", "Bea", &uid);
  const std::string token = NewToken(*c, nullptr);
  WsClient ws;
  Json::Value hello;
  std::string error;
  ASSERT_TRUE(Open(&ws, wsd(), "/ws/stats", {{"Authorization", "Bearer " + token}}, &hello, &error))
      << error;
  EXPECT_EQ(hello["user"]["id"].asInt64(), uid);
  EXPECT_EQ(hello["user"]["name"].asString(), "Bea");
  EXPECT_EQ(hello["user"]["role"].asString(), "user");
}

TEST_F(WsAccessTest, TicketWorksOnceNotTwice) {
  const std::string ticket = NewTicket(*admin_);
  ASSERT_EQ(ticket.size(), 43u);
  WsClient first;
  Json::Value hello;
  std::string error;
  ASSERT_TRUE(Open(&first, nginx(), "/ws/stats?ticket=" + ticket, {}, &hello, &error)) << error;
  EXPECT_EQ(hello["user"]["id"].asInt64(), admin_id_);
  WsClient second;
  EXPECT_FALSE(second.Connect("127.0.0.1", nginx(), "/ws/stats?ticket=" + ticket, &error));
  ExpectRefused(second, 401, "unauthenticated");
  // The ticket needs a login, and a cookie POST needs its CSRF token like any other.
  ApiClient anonymous(nginx());
  EXPECT_EQ(anonymous.Post("/api/v1/ws-ticket", Json::Value(Json::objectValue)).status, 401);
  ApiClient no_csrf = *admin_;
  no_csrf.csrf_token = "wrong";
  EXPECT_EQ(no_csrf.Post("/api/v1/ws-ticket", Json::Value(Json::objectValue)).status, 403);
}

TEST_F(WsAccessTest, PlainUserGetsEventsWithoutAddedBy) {
  auto plain = NewUser("plain", "user", "Pat", nullptr);
  // An admin with a display name adds a track to a queue through the API: the queue script
  // writes the queue_update with added_by {id, name}.
  int64_t dj_id = 0;
  auto dj = NewUser("dj", "admin", "Ada", &dj_id);
  int64_t track_id = 0;
  {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    track_id = tx.exec1(
                     "INSERT INTO tracks (source_kind, source, title, artist, duration_ms) "
                     "VALUES ('file', '/media/ws.mp3', 'T', 'A', 180000) RETURNING id")[0]
                   .as<int64_t>();
    tx.commit();
  }
  Json::Value sb;
  sb["slug"] = "ws-redact";
  sb["title"] = "Redact";
  HttpResponse created = dj->Post("/api/v1/streams", sb);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string queue = "/api/v1/streams/" + JsonOf(created)["id"].asString() + "/queue";

  WsClient admin_ws, user_ws;
  Json::Value hello;
  std::string error;
  ASSERT_TRUE(Open(&admin_ws, nginx(), "/ws/stats?snapshot=0",
                   {{"Cookie", admin_->cookie}, {"Origin", Origin()}}, &hello, &error))
      << error;
  ASSERT_TRUE(Open(&user_ws, nginx(), "/ws/stats?snapshot=0&ticket=" + NewTicket(*plain), {},
                   &hello, &error))
      << error;
  EXPECT_EQ(hello["user"]["role"].asString(), "user");

  Json::Value qb;
  qb["track_id"] = static_cast<Json::Int64>(track_id);
  HttpResponse added = dj->Post(queue, qb);
  ASSERT_EQ(added.status / 100, 2) << added.body;

  auto next_of_type = [&](WsClient& ws, const std::string& type) {
    std::string msg;
    const auto deadline = steady_clock::now() + std::chrono::seconds(5);
    while (steady_clock::now() < deadline && ws.ReadText(&msg, 5000)) {
      Json::Value v = Parse(msg);
      if (v["type"].asString() == type) return v;
    }
    ADD_FAILURE() << "no " << type << " came";
    return Json::Value();
  };
  Json::Value seen_by_admin = next_of_type(admin_ws, "queue_update");
  Json::Value seen_by_user = next_of_type(user_ws, "queue_update");
  const std::string event_id = seen_by_admin["id"].asString();
  EXPECT_EQ(seen_by_user["id"].asString(), event_id);
  EXPECT_EQ(seen_by_admin["data"]["items"][0]["added_by"]["id"].asInt64(), dj_id);
  EXPECT_EQ(seen_by_admin["data"]["items"][0]["added_by"]["name"].asString(), "Ada");
  EXPECT_FALSE(seen_by_admin["data"]["items"][0]["added_by"].isMember("email"));
  ASSERT_TRUE(seen_by_user["data"]["items"].isArray());
  EXPECT_FALSE(seen_by_user["data"]["items"][0].isMember("added_by"));
  EXPECT_EQ(seen_by_user["data"]["items"][0]["track"]["title"].asString(), "T");
  for (const Json::Value& event : {seen_by_admin, seen_by_user}) {
    EXPECT_EQ(Json::FastWriter().write(event).find("@example.com"), std::string::npos)
        << "an email in " << event;
  }
  EXPECT_EQ(Json::FastWriter().write(seen_by_user).find("added_by"), std::string::npos);

  // A resume delivers the same redacted form.
  WsClient resumed;
  ASSERT_TRUE(Open(&resumed, nginx(), "/ws/stats?last_event_id=0-0&ticket=" + NewTicket(*plain), {},
                   &hello, &error))
      << error;
  Json::Value replayed;
  do {
    replayed = next_of_type(resumed, "queue_update");
  } while (!replayed.isNull() && replayed["id"].asString() != event_id);
  EXPECT_FALSE(replayed["data"]["items"][0].isMember("added_by"));

  // So does the snapshot of a fresh connection: the queue head without who added it. A snapshot
  // may be shared by connections made within a moment of each other (it is then older than the
  // event, which follows it), so connect until one is at least as new as the event.
  auto snapshot_with_event = [&](bool as_user) {
    const auto deadline = steady_clock::now() + std::chrono::seconds(5);
    while (steady_clock::now() < deadline) {
      WsClient ws;
      std::string err;
      Json::Value h;
      bool ok = as_user ? Open(&ws, nginx(), "/ws/stats?ticket=" + NewTicket(*plain), {}, &h, &err)
                        : Open(&ws, nginx(), "/ws/stats",
                               {{"Cookie", admin_->cookie}, {"Origin", Origin()}}, &h, &err);
      if (!ok) {
        ADD_FAILURE() << err;
        break;
      }
      Json::Value snap = next_of_type(ws, "snapshot");
      if (!snap["last_event_id"].isString()) continue;
      const std::string id = snap["last_event_id"].asString();
      auto key = [](const std::string& x) {
        size_t dash = x.find('-');
        return std::make_pair(std::stoull(x.substr(0, dash)), std::stoull(x.substr(dash + 1)));
      };
      if (key(id) >= key(event_id)) return snap;
    }
    ADD_FAILURE() << "no snapshot as new as " << event_id;
    return Json::Value();
  };
  Json::Value user_snapshot = snapshot_with_event(true);
  Json::Value admin_snapshot = snapshot_with_event(false);
  EXPECT_NE(Json::FastWriter().write(admin_snapshot).find("\"added_by\""), std::string::npos)
      << admin_snapshot;
  EXPECT_EQ(Json::FastWriter().write(user_snapshot).find("added_by"), std::string::npos)
      << user_snapshot;
}

TEST_F(WsAccessTest, LogoutClosesTheSocketWithin5s) {
  auto c = NewUser("logout", "user", "Lou", nullptr);
  WsClient cookie_ws, ticket_ws;
  Json::Value hello;
  OpenWithCookie(&cookie_ws, *c, &hello);
  std::string error;
  // A ticket is tied to the session that asked for it.
  ASSERT_TRUE(Open(&ticket_ws, nginx(), "/ws/stats?ticket=" + NewTicket(*c), {}, &hello, &error))
      << error;
  const auto since = steady_clock::now();
  HttpResponse r = c->Post("/api/v1/auth/logout", Json::Value(Json::objectValue));
  ASSERT_EQ(r.status, 204) << r.body;
  ExpectClosed(cookie_ws, since, "session ended");
  ExpectClosed(ticket_ws, since, "session ended");
}

TEST_F(WsAccessTest, RevokedTokenClosesWithin5s) {
  auto c = NewUser("revoke", "user", "Rev", nullptr);
  int64_t token_id = 0;
  const std::string token = NewToken(*c, &token_id);
  WsClient ws;
  Json::Value hello;
  std::string error;
  ASSERT_TRUE(Open(&ws, wsd(), "/ws/stats", {{"Authorization", "Bearer " + token}}, &hello, &error))
      << error;
  const auto since = steady_clock::now();
  HttpResponse r = c->Delete("/api/v1/tokens/" + std::to_string(token_id));
  ASSERT_EQ(r.status / 100, 2) << r.body;
  ExpectClosed(ws, since, "token revoked");
  WsClient again;
  again.set_headers({{"Authorization", "Bearer " + token}});
  EXPECT_FALSE(again.Connect("127.0.0.1", wsd(), "/ws/stats", &error));
  ExpectRefused(again, 401, "unauthenticated");
}

TEST_F(WsAccessTest, BlockedUserClosesWithin5s) {
  int64_t uid = 0;
  auto c = NewUser("blocked", "user", "Blo", &uid);
  const std::string token = NewToken(*c, nullptr);
  WsClient cookie_ws, token_ws;
  Json::Value hello;
  OpenWithCookie(&cookie_ws, *c, &hello);
  std::string error;
  ASSERT_TRUE(
      Open(&token_ws, wsd(), "/ws/stats", {{"Authorization", "Bearer " + token}}, &hello, &error))
      << error;
  const auto since = steady_clock::now();
  Json::Value b;
  b["status"] = "blocked";
  HttpResponse r = admin_->Patch("/api/v1/users/" + std::to_string(uid), b);
  ASSERT_EQ(r.status, 200) << r.body;
  // Blocking also ends the user's sessions; either way the socket goes.
  std::string msg;
  ExpectClosed(token_ws, since, "user not active");
  const auto deadline = since + std::chrono::seconds(5);
  while (steady_clock::now() < deadline && cookie_ws.ReadText(&msg, 1000)) {
  }
  EXPECT_TRUE(cookie_ws.peer_closed());
  EXPECT_EQ(cookie_ws.close_code(), 1008);
  EXPECT_TRUE(cookie_ws.close_reason() == "user not active" ||
              cookie_ws.close_reason() == "session ended")
      << cookie_ws.close_reason();
}

TEST_F(WsAccessTest, RoleChangeClosesWithPermissionsChanged) {
  int64_t uid = 0;
  auto c = NewUser("promoted", "user", "Pro", &uid);
  WsClient ws;
  Json::Value hello;
  OpenWithCookie(&ws, *c, &hello);
  EXPECT_EQ(hello["user"]["role"].asString(), "user");
  const auto since = steady_clock::now();
  Json::Value b;
  b["role"] = "moderator";
  HttpResponse r = admin_->Patch("/api/v1/users/" + std::to_string(uid), b);
  ASSERT_EQ(r.status, 200) << r.body;
  ExpectClosed(ws, since, "permissions changed");
  // Reconnecting works, with the new role.
  WsClient again;
  OpenWithCookie(&again, *c, &hello);
  EXPECT_EQ(hello["user"]["role"].asString(), "moderator");
}

TEST_F(WsAccessTest, PerSessionCapIs429) {
  auto c = NewUser("capped", "user", "Cap", nullptr);
  std::vector<std::unique_ptr<WsClient>> open;
  for (int i = 0; i < kPerSessionCap; ++i) {
    open.push_back(std::make_unique<WsClient>());
    Json::Value hello;
    OpenWithCookie(open.back().get(), *c, &hello);
  }
  WsClient over;
  over.set_headers({{"Cookie", c->cookie}, {"Origin", Origin()}});
  std::string error;
  EXPECT_FALSE(over.Connect("127.0.0.1", nginx(), "/ws/stats", &error));
  ExpectRefused(over, 429, "too_many_connections");
  // Tickets of that session count against it too.
  WsClient by_ticket;
  EXPECT_FALSE(
      by_ticket.Connect("127.0.0.1", nginx(), "/ws/stats?ticket=" + NewTicket(*c), &error));
  ExpectRefused(by_ticket, 429, "too_many_connections");
  // Closing one frees a slot (wsd counts the close once it has seen it).
  open.back()->Close();
  open.pop_back();
  const auto deadline = steady_clock::now() + std::chrono::seconds(5);
  bool reopened = false;
  while (!reopened && steady_clock::now() < deadline) {
    WsClient again;
    Json::Value hello;
    reopened = Open(&again, nginx(), "/ws/stats", {{"Cookie", c->cookie}, {"Origin", Origin()}},
                    &hello, &error);
  }
  EXPECT_TRUE(reopened) << error;
}

// Runs last (gtest keeps declaration order): it restarts Redis.
TEST_F(WsAccessTest, RedisOutageIs503AndOpenSocketsStay) {
  WsClient open_ws;
  Json::Value hello;
  OpenWithCookie(&open_ws, *admin_, &hello);
  stack_->KillRedis();
  // A ticket can only be checked in Redis.
  WsClient refused;
  std::string error;
  EXPECT_FALSE(refused.Connect("127.0.0.1", wsd(), "/ws/stats?ticket=whatever", &error));
  ExpectRefused(refused, 503, "unavailable");
  // The watcher cannot re-check sessions now; it closes nothing it does not know to be over.
  std::string msg;
  const auto until = steady_clock::now() + std::chrono::seconds(3);
  while (steady_clock::now() < until && open_ws.ReadText(&msg, 3000)) {
  }
  EXPECT_FALSE(open_ws.peer_closed()) << open_ws.close_reason();

  stack_->StartRedis();
  // wsd refuses at once for a moment after a failure, then asks again: an unknown ticket is a
  // 401 again once Redis answers.
  const auto deadline = steady_clock::now() + std::chrono::seconds(20);
  int status = 0;
  while (steady_clock::now() < deadline && status != 401) {
    WsClient probe;
    probe.Connect("127.0.0.1", wsd(), "/ws/stats?ticket=whatever", &error);
    status = probe.http_status();
  }
  EXPECT_EQ(status, 401);
  WsClient after;
  Json::Value h2;
  ASSERT_TRUE(Open(&after, nginx(), "/ws/stats?ticket=" + NewTicket(*admin_), {}, &h2, &error))
      << error;
  EXPECT_FALSE(open_ws.peer_closed());
}

}  // namespace
}  // namespace sattva::testing
