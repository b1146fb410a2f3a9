// The foundation through nginx: health, errors, metrics, the WebSocket hello and event
// delivery, and Redis outages. Real PostgreSQL, Redis, nginx and daemons (tests/support/stack).
#include <signal.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/http_client.h"
#include "tests/support/prom_text.h"
#include "tests/support/stack.h"
#include "tests/support/ws_client.h"

namespace sattva::testing {
namespace {

using std::chrono::milliseconds;

Json::Value ParseBody(const HttpResponse& r) {
  Json::Value v;
  std::string err;
  EXPECT_TRUE(common::ParseJson(r.body, &v, &err)) << err << " in: " << r.body;
  return v;
}

class FoundationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o;
    o.extra_config = {"fcgi_max_body_bytes = 65536"};
    stack_ = new Stack(o);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  int port() const { return stack_->nginx_port; }
  static Stack* stack_;
};
Stack* FoundationTest::stack_ = nullptr;

TEST_F(FoundationTest, HealthIsOkWithBothChecks) {
  HttpResponse r = HttpGet(port(), "/api/v1/health");
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json; charset=utf-8");
  Json::Value v = ParseBody(r);
  EXPECT_EQ(v["status"].asString(), "ok");
  EXPECT_EQ(v["checks"]["postgres"]["status"].asString(), "ok");
  EXPECT_EQ(v["checks"]["redis"]["status"].asString(), "ok");
}

TEST_F(FoundationTest, SecurityHeadersOnApiAndStatic) {
  for (const char* path : {"/api/v1/health", "/", "/api/v1/nope"}) {
    HttpResponse r = HttpGet(port(), path);
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff") << path;
    EXPECT_NE(r.Header("content-security-policy").find("frame-ancestors 'none'"),
              std::string::npos)
        << path;
    EXPECT_EQ(r.Header("server"), "nginx") << path;  // server_tokens off: no version
  }
}

TEST_F(FoundationTest, UnknownRouteIs404Json) {
  HttpResponse r = HttpGet(port(), "/api/v1/no/such/thing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ParseBody(r)["error"]["code"].asString(), "not_found");
}

TEST_F(FoundationTest, WrongMethodIs405WithAllow) {
  HttpResponse r = HttpRequest(port(), "DELETE", "/api/v1/health");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD");
  EXPECT_EQ(ParseBody(r)["error"]["code"].asString(), "method_not_allowed");
}

TEST_F(FoundationTest, OversizedBodyIs413Json) {
  // Over fcgi's limit (64 KiB here) but under nginx's: fcgi answers.
  HttpResponse r = HttpRequest(port(), "POST", "/api/v1/health", std::string(100000, 'x'),
                               {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(ParseBody(r)["error"]["code"].asString(), "payload_too_large");
  // Over nginx's client_max_body_size: nginx answers, still with the JSON envelope.
  HttpResponse big = HttpRequest(port(), "POST", "/api/v1/health", std::string(2 << 20, 'x'),
                                 {{"Content-Type", "application/json"}});
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(ParseBody(big)["error"]["code"].asString(), "payload_too_large");
}

TEST_F(FoundationTest, BrokenPercentEncodingIs400) {
  for (const char* target : {"/api/v1/health?q=%zz", "/api/v1/%zzhealth", "/api/v1/health%"}) {
    HttpResponse r = HttpGet(port(), target);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_EQ(ParseBody(r)["error"]["code"].asString(), "bad_request") << target;
  }
}

TEST_F(FoundationTest, MetricsAreValidPrometheusText) {
  HttpGet(port(), "/api/v1/health");
  for (const char* path : {"/metrics/fcgi", "/metrics/wsd", "/metrics/streamer"}) {
    HttpResponse r = HttpGet(port(), path);
    ASSERT_EQ(r.status, 200) << path << " " << r.body;
    EXPECT_NE(r.Header("content-type").find("text/plain"), std::string::npos) << path;
    std::string err;
    EXPECT_TRUE(ValidatePrometheusText(r.body, &err)) << path << ": " << err;
    EXPECT_NE(r.body.find("process_resident_memory_bytes"), std::string::npos) << path;
  }
  HttpResponse f = HttpGet(port(), "/metrics/fcgi");
  EXPECT_GE(PrometheusValue(f.body, "sattva_http_requests_total{method=\"GET\",route=\"/api/v1/"
                                    "health\",status=\"200\"}"),
            1.0)
      << f.body;
  // Raw paths never become labels.
  EXPECT_EQ(f.body.find("no/such/thing"), std::string::npos);
}

TEST_F(FoundationTest, WebSocketGetsHelloAndEventsFast) {
  // The feed needs a login: an admin's session cookie, with the site's Origin.
  ApiClient api(port());
  const std::string password = stack_->CreateAdmin("ws-foundation@example.com");
  HttpResponse login = api.Login("ws-foundation@example.com", password);
  ASSERT_EQ(login.status, 200) << login.body;
  WsClient ws;
  ws.set_headers({{"Cookie", api.cookie}, {"Origin", api.origin()}});
  std::string err;
  // Without a snapshot: this is about events arriving after the hello (a snapshot read after
  // the first XADD below would rightly include it instead).
  ASSERT_TRUE(ws.Connect("127.0.0.1", port(), "/ws/stats?snapshot=0", &err)) << err;
  std::string msg;
  ASSERT_TRUE(ws.ReadText(&msg, 5000));
  Json::Value hello;
  ASSERT_TRUE(common::ParseJson(msg, &hello, &err)) << msg;
  EXPECT_EQ(hello["type"].asString(), "hello");
  EXPECT_TRUE(hello.isMember("server_time"));
  EXPECT_TRUE(hello.isMember("last_event_id"));

  auto redis = stack_->RedisClient();
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto reply = redis->Checked({"XADD", "sattva:events", "*", "type", "stats", "ts",
                                 "2026-01-01T00:00:00.000Z", "data",
                                 "{\"n\":" + std::to_string(i) + "}"});
    std::string id(reply->str, reply->len);
    // A stats sample has no id: the event is the next message that has one.
    Json::Value ev;
    do {
      ASSERT_TRUE(ws.ReadText(&msg, 2000)) << "event " << i << " never arrived";
      ASSERT_TRUE(common::ParseJson(msg, &ev, &err)) << msg;
    } while (!ev.isMember("id"));
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(ev["id"].asString(), id);
    EXPECT_EQ(ev["type"].asString(), "stats");
    EXPECT_TRUE(ev["stream_id"].isNull());
    EXPECT_EQ(ev["data"]["n"].asInt(), i);
    EXPECT_LT(elapsed, milliseconds(100)) << "event " << i << " took too long";
  }
}

TEST_F(FoundationTest, StreamerHeartbeatKeyHasTtl) {
  auto redis = stack_->RedisClient();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string member;
  while (std::chrono::steady_clock::now() < deadline && member.empty()) {
    auto r = redis->Checked({"SMEMBERS", "sattva:streamers"});
    if (r->elements > 0) member = std::string(r->element[0]->str, r->element[0]->len);
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_FALSE(member.empty());
  auto ttl = redis->Checked({"PTTL", "sattva:streamer:" + member});
  EXPECT_GT(ttl->integer, 0);
}

// Runs last in this suite (gtest keeps declaration order): it restarts Redis.
TEST_F(FoundationTest, RedisOutageIs503ThenHeals) {
  stack_->KillRedis();
  HttpResponse down = HttpGet(port(), "/api/v1/health");
  EXPECT_EQ(down.status, 503) << down.body;
  Json::Value v = ParseBody(down);
  EXPECT_EQ(v["checks"]["redis"]["status"].asString(), "error");
  EXPECT_EQ(v["checks"]["postgres"]["status"].asString(), "ok");
  ASSERT_EQ(v["failing"].size(), 1u);
  EXPECT_EQ(v["failing"][0].asString(), "redis");
  EXPECT_TRUE(stack_->fcgi().Running());
  EXPECT_TRUE(stack_->wsd().Running());
  EXPECT_TRUE(stack_->streamer().Running());

  stack_->StartRedis();
  // Every worker thread heals on its own next request: ask more often than there are threads.
  for (int i = 0; i < 12; ++i) {
    HttpResponse up = HttpGet(port(), "/api/v1/health");
    EXPECT_EQ(up.status, 200) << up.body;
  }
  EXPECT_TRUE(stack_->fcgi().Running());
}

TEST(FcgiShutdownTest, InFlightRequestFinishesAfterSigterm) {
  StackOptions o;
  o.fcgi_threads = 1;
  o.wsd = false;
  o.streamer = false;
  Stack stack(o);
  HttpResponse first = HttpGet(stack.nginx_port, "/api/v1/health");
  ASSERT_EQ(first.status, 200) << first.error << first.body << Tail(stack.log_path("nginx-error"))
                               << Tail(stack.log_path("fcgi"));
  // Freeze the PostgreSQL backend serving fcgi's only thread, so the next health check hangs
  // inside its SELECT 1.
  pqxx::connection c(stack.pg_dsn());
  pqxx::nontransaction tx(c);
  auto rows = tx.exec("SELECT pid FROM pg_stat_activity WHERE application_name = 'sattva-fcgi'");
  ASSERT_EQ(rows.size(), 1u);
  const int backend = rows[0][0].as<int>();
  ASSERT_EQ(kill(backend, SIGSTOP), 0);
  HttpResponse inflight;
  std::thread client([&] { inflight = HttpGet(stack.nginx_port, "/api/v1/health"); });
  std::this_thread::sleep_for(milliseconds(300));
  kill(stack.fcgi().pid(), SIGTERM);
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_TRUE(stack.fcgi().Running()) << "fcgi exited with a request in flight";
  kill(backend, SIGCONT);
  client.join();
  EXPECT_EQ(inflight.status, 200) << inflight.body;
  int st = stack.fcgi().Stop(0, std::chrono::seconds(5));
  ASSERT_NE(st, -1) << "fcgi did not exit after finishing its request";
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  // New requests are refused once it is gone.
  EXPECT_GE(HttpGet(stack.nginx_port, "/api/v1/health").status, 502);
}

}  // namespace
}  // namespace sattva::testing
