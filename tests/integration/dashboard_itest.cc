// The dashboard, listener samples and the public status page on the real stack (PostgreSQL,
// Redis, nginx, fcgi and a streamer): the dashboard's counts follow what the test creates, its
// cards and recent activity link to their pages, its charts are well-formed SVG; a live
// listener ends up in listener_samples when the stream stops and when the streamer hands it
// over; retention deletes old rows; / and /api/v1/public/now-playing show running public
// streams with what they play, never a hidden one, nothing private, without login.
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/http_client.h"
#include "tests/support/stack.h"
#include "tests/support/stream_events.h"
#include "tests/unit/common/test_files.h"

namespace sattva::testing {
namespace {

using std::chrono::milliseconds;

class DashboardTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack(StreamerTestOptions());
    password_ = stack_->CreateAdmin("boss@example.com");
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  int port() const { return stack_->nginx_port; }
  ApiClient Admin() {
    ApiClient c(port());
    EXPECT_EQ(c.Login("boss@example.com", password_).status, 200);
    return c;
  }
  static std::string S(int64_t sid) { return "/api/v1/streams/" + std::to_string(sid); }

  int64_t NewStream(ApiClient& c, const std::string& slug, const std::string& title) {
    Json::Value b;
    b["slug"] = slug;
    b["title"] = title;
    b["auto_end_enabled"] = false;
    HttpResponse r = c.Post("/api/v1/streams", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }
  // A WAV of `seconds` in media_dir, registered by path.
  int64_t NewTrack(ApiClient& c, const std::string& name, const std::string& title,
                   double seconds) {
    std::ofstream(stack_->dir() + "/media/" + name, std::ios::binary)
        << testfiles::WavBytes(8000, 1, static_cast<int64_t>(seconds * 8000));
    Json::Value b;
    b["path"] = name;
    b["title"] = title;
    b["artist"] = "The Testers";
    HttpResponse r = c.Post("/api/v1/tracks", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }
  void Queue(ApiClient& c, int64_t sid, int64_t track) {
    Json::Value b;
    b["track_id"] = static_cast<Json::Int64>(track);
    HttpResponse r = c.Post(S(sid) + "/queue", b);
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body;
  }
  void Start(ApiClient& c, int64_t sid) {
    EXPECT_EQ(c.Post(S(sid) + "/start", Json::Value(Json::objectValue)).status, 200);
    WaitStream(c, sid, [](const Json::Value& v) { return v["state"] == "running"; });
  }
  void Stop(ApiClient& c, int64_t sid) {
    EXPECT_EQ(c.Post(S(sid) + "/stop", Json::Value(Json::objectValue)).status, 200);
    WaitStream(c, sid, [](const Json::Value& v) { return v["state"] == "stopped"; });
  }
  static int64_t Sql(const std::string& sql) {
    pqxx::connection pg(stack_->pg_dsn());
    pqxx::work tx(pg);
    pqxx::result r = tx.exec(sql);
    tx.commit();
    return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int64_t>();
  }
  // Polls a SQL count every 20 ms until `pred` holds (a timeout is a failure); returns it.
  static int64_t WaitSql(const std::string& sql, const std::function<bool(int64_t)>& pred,
                         milliseconds timeout = milliseconds(15000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int64_t v = Sql(sql);
    while (!pred(v) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
      v = Sql(sql);
    }
    EXPECT_TRUE(pred(v)) << sql << " -> " << v;
    return v;
  }
  // A live-mount listener through nginx for `seconds`.
  std::unique_ptr<Process> Listen(const std::string& slug, int seconds) {
    auto p = std::make_unique<Process>();
    p->Start({"/usr/bin/curl", "-s", "-o", "/dev/null", "--max-time", std::to_string(seconds),
              "http://127.0.0.1:" + std::to_string(port()) + "/live/" + slug + ".ogg"},
             stack_->dir() + "/curl-" + slug + ".log");
    return p;
  }

  // The dashboard's cards: key -> {value, href}.
  struct Card {
    std::string value, href;
  };
  static std::map<std::string, Card> Cards(const std::string& html) {
    std::map<std::string, Card> out;
    static const std::regex kCard(
        "<li class=\"card stat\" id=\"card-([a-z-]+)\">\\s*(?:<a class=\"stat-link\" "
        "href=\"([^\"]*)\">)?\\s*<span class=\"stat-label\">[^<]*</span>\\s*<span "
        "class=\"stat-value\">([^<]*)</span>");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), kCard);
         it != std::sregex_iterator(); ++it) {
      out[(*it)[1]] = {(*it)[3], (*it)[2]};
    }
    return out;
  }
  static int64_t Int(const std::string& s) { return std::atoll(s.c_str()); }
  HttpResponse Dashboard(ApiClient& c) {
    HttpResponse r = c.Get("/admin/");
    EXPECT_EQ(r.status, 200) << r.body;
    return r;
  }

  static Stack* stack_;
  static std::string password_;
};
Stack* DashboardTest::stack_ = nullptr;
std::string DashboardTest::password_;

// Every element opened in each <svg> is closed, in order; returns how many SVGs there are.
int WellFormedSvgs(const std::string& html, std::string* error) {
  int n = 0;
  size_t from = 0;
  static const std::regex kTag(R"(<(/?)([a-zA-Z]+)[^>]*?(/?)>)");
  while (true) {
    const size_t a = html.find("<svg", from);
    if (a == std::string::npos) return n;
    const size_t b = html.find("</svg>", a);
    if (b == std::string::npos) {
      *error = "an <svg> is not closed";
      return -1;
    }
    const std::string svg = html.substr(a, b + 6 - a);
    std::vector<std::string> stack;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kTag);
         it != std::sregex_iterator(); ++it) {
      const std::string close = (*it)[1], name = (*it)[2], self = (*it)[3];
      if (!self.empty()) continue;
      if (close.empty()) {
        stack.push_back(name);
      } else if (stack.empty() || stack.back() != name) {
        *error = "</" + name + "> does not close " + (stack.empty() ? "anything" : stack.back());
        return -1;
      } else {
        stack.pop_back();
      }
    }
    if (!stack.empty()) {
      *error = "<" + stack.back() + "> is not closed";
      return -1;
    }
    if (svg.find("role=\"img\"") == std::string::npos || svg.find("<title") == std::string::npos) {
      *error = "an <svg> has no role=img or no <title>";
      return -1;
    }
    ++n;
    from = b;
  }
}

TEST_F(DashboardTest, CountsFollowWhatWasCreatedAndCardsLinkToTheirLists) {
  ApiClient c = Admin();
  const std::map<std::string, Card> before = Cards(Dashboard(c).body);
  ASSERT_EQ(before.count("streams"), 1u) << "no streams card";
  const auto parse_running = [](const std::string& v) { return Int(v.substr(0, v.find(' '))); };
  const auto parse_total = [](const std::string& v) { return Int(v.substr(v.find('/') + 1)); };

  const int64_t played = NewStream(c, "dash-played", "Played");
  const int64_t queued = NewStream(c, "dash-queued", "Queued");
  const int64_t ending = NewStream(c, "dash-ending", "Ending");
  const int64_t short1 = NewTrack(c, "dash-a.wav", "Dash A", 0.4);
  const int64_t short2 = NewTrack(c, "dash-b.wav", "Dash B", 0.4);
  const int64_t long1 = NewTrack(c, "dash-long.wav", "Dash Long", 120);
  for (int i = 0; i < 3; ++i) Queue(c, queued, short1);  // a stopped stream keeps its queue
  // Two plays on a running stream, then it loops its (silent) placeholder with a listener.
  Queue(c, played, short1);
  Queue(c, played, short2);
  Start(c, played);
  WaitSql("SELECT count(*) FROM play_history WHERE stream_id = " + std::to_string(played) +
              " AND ended_at IS NOT NULL",
          [](int64_t n) { return n == 2; });
  auto listener = Listen("dash-played", 30);
  WaitStream(c, played, [](const Json::Value& v) { return v["listeners"] == 1; });
  // One auto-end today: the shortest timeout, nobody listening.
  Json::Value ae;
  ae["auto_end_enabled"] = true;
  ae["auto_end_timeout_s"] = 10;
  ASSERT_EQ(c.Patch(S(ending), ae).status, 200);
  Queue(c, ending, long1);
  EXPECT_EQ(c.Post(S(ending) + "/start", Json::Value(Json::objectValue)).status, 200);
  WaitStream(
      c, ending, [](const Json::Value& v) { return v["end_reason"] == "auto_end"; },
      milliseconds(30000));

  const std::string html = Dashboard(c).body;
  const std::map<std::string, Card> after = Cards(html);
  EXPECT_EQ(parse_total(after.at("streams").value), parse_total(before.at("streams").value) + 3);
  EXPECT_EQ(parse_running(after.at("streams").value),
            parse_running(before.at("streams").value) + 1);
  EXPECT_EQ(Int(after.at("tracks").value), Int(before.at("tracks").value) + 3);
  EXPECT_EQ(Int(after.at("queued").value), Int(before.at("queued").value) + 3);
  EXPECT_EQ(Int(after.at("plays").value), Int(before.at("plays").value) + 2 + 1)
      << "two short tracks, and the long one that played until the auto-end";
  EXPECT_EQ(Int(after.at("auto-ends").value), Int(before.at("auto-ends").value) + 1);
  EXPECT_EQ(Int(after.at("listeners").value), Int(before.at("listeners").value) + 1);
  // Every card links to its list.
  EXPECT_EQ(after.at("streams").href, "/admin/streams?state=running");
  EXPECT_EQ(after.at("listeners").href, "/admin/streams?state=running");
  EXPECT_EQ(after.at("tracks").href, "/admin/tracks");
  EXPECT_EQ(after.at("queued").href, "/admin/streams");
  EXPECT_EQ(after.at("plays").href, "/admin/streams");
  EXPECT_EQ(after.at("auto-ends").href, "/admin/streams?state=stopped");
  EXPECT_EQ(after.at("users").href, "/admin/users");
  EXPECT_EQ(after.at("admins").href, "/admin/users?role=admin");
  EXPECT_EQ(after.at("moderators").href, "/admin/users?role=moderator");
  EXPECT_EQ(after.at("blocked").href, "/admin/users?status=blocked");
  EXPECT_LT(html.find("id=\"card-streams\""), html.find("id=\"card-users\""));
  // Both charts, well-formed, accessible; the plays chart has bars now.
  std::string error;
  EXPECT_EQ(WellFormedSvgs(html, &error), 2) << error;
  EXPECT_NE(html.find("id=\"listener-chart\""), std::string::npos);
  EXPECT_NE(html.find("id=\"plays-chart\""), std::string::npos);
  EXPECT_NE(html.find("<rect class=\"chart-bar\""), std::string::npos);
  EXPECT_NE(html.find("/static/css/charts.css"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  // The card links answer.
  for (const auto& [key, card] : after) {
    EXPECT_NE(c.Get(card.href).status, 404) << key << " " << card.href;
  }
  listener->Stop(SIGTERM, std::chrono::seconds(5));
  Stop(c, played);
}

TEST_F(DashboardTest, RecentActivityLinksToItsTargetsAndPlainUsersSeeOnlyTheStation) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "dash-audited", "Audited");
  const int64_t tid = NewTrack(c, "dash-audited.wav", "Audited", 0.5);
  const auto [uid, upw] = CreateUserViaApi(c, "listener@example.com", "user");
  // Stream and track rows as the panel's changes write them (whatever else wrote rows, these
  // three are the newest).
  Sql("INSERT INTO audit_log (actor_user_id, actor_label, action, target_type, target_id) "
      "SELECT id, email, 'track.update', 'track', '" + std::to_string(tid) +
      "' FROM users WHERE email = 'boss@example.com'");
  Sql("INSERT INTO audit_log (actor_user_id, actor_label, action, target_type, target_id) "
      "SELECT id, email, 'stream.update', 'stream', '" + std::to_string(sid) +
      "' FROM users WHERE email = 'boss@example.com'");
  Sql("INSERT INTO audit_log (actor_user_id, actor_label, action, target_type, target_id) "
      "SELECT id, email, 'user.update', 'user', '" + std::to_string(uid) +
      "' FROM users WHERE email = 'boss@example.com'");
  const std::string html = Dashboard(c).body;
  const size_t recent = html.find("id=\"recent-activity\"");
  ASSERT_NE(recent, std::string::npos);
  const std::string activity = html.substr(recent, html.find("</ul>", recent) - recent);
  for (const std::string& link :
       {"<a href=\"/admin/streams/" + std::to_string(sid) + "\">stream #" + std::to_string(sid),
        "<a href=\"/admin/tracks/" + std::to_string(tid) + "\">track #" + std::to_string(tid),
        "<a href=\"/admin/users/" + std::to_string(uid) + "\">user #" + std::to_string(uid)}) {
    EXPECT_NE(activity.find(link), std::string::npos) << link << "\n" << activity;
  }
  EXPECT_EQ(c.Get("/admin/users/" + std::to_string(uid)).status, 200);

  // A plain user: the station's cards and charts, no users, no activity.
  ApiClient u(port());
  ASSERT_EQ(u.Login("listener@example.com", upw).status, 200);
  const std::string mine = Dashboard(u).body;
  const std::map<std::string, Card> cards = Cards(mine);
  EXPECT_EQ(cards.count("streams"), 1u);
  EXPECT_EQ(cards.count("users"), 0u);
  EXPECT_EQ(mine.find("id=\"recent-activity\""), std::string::npos);
  std::string error;
  EXPECT_EQ(WellFormedSvgs(mine, &error), 2) << error;
  // Signed out: to the login page.
  HttpResponse anon = HttpGet(port(), "/admin/");
  EXPECT_EQ(anon.status, 303);
  EXPECT_EQ(anon.Header("location").rfind("/admin/login", 0), 0u);
}

TEST_F(DashboardTest, AListenerIsSampledAtStopAndHandOverAndRetentionDeletesOldRows) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "dash-sampled", "Sampled");
  const std::string rows = "SELECT count(*) FROM listener_samples WHERE stream_id = " +
                           std::to_string(sid);
  Start(c, sid);
  auto listener = Listen("dash-sampled", 60);
  WaitStream(c, sid, [](const Json::Value& v) { return v["listeners"] == 1; });
  // Hand-over: the streamer exits (SIGTERM) and comes back; the minute so far is written.
  stack_->StartDaemon("streamer");
  WaitSql(rows + " AND peak_listeners >= 1 AND listener_ms > 0 AND covered_ms > 0",
          [](int64_t n) { return n >= 1; });
  const int64_t before_stop = Sql(
      "SELECT coalesce(sum(covered_ms), 0) FROM listener_samples WHERE stream_id = " +
      std::to_string(sid));
  WaitStream(c, sid, [](const Json::Value& v) { return v["state"] == "running"; });
  listener = Listen("dash-sampled", 60);
  WaitStream(c, sid, [](const Json::Value& v) { return v["listeners"] == 1; });
  // Stop: the new streamer writes its part (added to the minute's row, or a new minute's).
  Stop(c, sid);
  WaitSql("SELECT coalesce(sum(covered_ms), 0) FROM listener_samples WHERE stream_id = " +
              std::to_string(sid),
          [&](int64_t covered) { return covered > before_stop; });
  EXPECT_EQ(Sql(rows + " AND (covered_ms > 60000 OR peak_listeners > 1)"), 0);
  listener->Stop(SIGTERM, std::chrono::seconds(5));

  // The dashboard's chart has the samples now.
  const std::string html = Dashboard(c).body;
  EXPECT_EQ(html.find("No listener samples yet"), std::string::npos);
  EXPECT_NE(html.find("at most "), std::string::npos);

  // Retention: 40 days old goes, 2 days old stays (default 30 days). The hourly lock is
  // released so the restarted streamer deletes at once.
  Sql("INSERT INTO listener_samples (stream_id, minute, peak_listeners, listener_ms, covered_ms) "
      "VALUES (" + std::to_string(sid) + ", date_trunc('minute', now()) - interval '40 days', 3, "
      "60000, 60000), (" + std::to_string(sid) + ", date_trunc('minute', now()) - "
      "interval '2 days', 2, 60000, 60000)");
  stack_->RedisClient()->Checked({"DEL", "sattva:listener_samples:retention"});
  stack_->StartDaemon("streamer");
  WaitSql(rows + " AND minute < now() - interval '30 days'", [](int64_t n) { return n == 0; });
  EXPECT_EQ(Sql(rows + " AND minute < now() - interval '1 day'"), 1);
  const std::string lock = common::ReplyString(
      stack_->RedisClient()->Checked({"PTTL", "sattva:listener_samples:retention"}).get());
  EXPECT_GT(std::atoll(lock.c_str()), 0) << "the next delete waits an hour";
}

TEST_F(DashboardTest, PublicStatusListsRunningPublicStreamsOnlyWithoutLogin) {
  ApiClient c = Admin();
  const int64_t pub = NewStream(c, "dash-public", "Public Radio");
  const int64_t hidden = NewStream(c, "dash-hidden", "Hidden Radio");
  const int64_t stopped = NewStream(c, "dash-stopped", "Stopped Radio");
  Sql("UPDATE streams SET public = false WHERE id = " + std::to_string(hidden));
  const int64_t track = NewTrack(c, "dash-public.wav", "Public Song", 120);
  Queue(c, pub, track);
  Queue(c, hidden, track);
  Start(c, pub);
  Start(c, hidden);
  WaitStream(c, pub, [](const Json::Value& v) { return !v["now_playing"].isNull(); });
  auto listener = Listen("dash-public", 30);
  WaitStream(c, pub, [](const Json::Value& v) { return v["listeners"] == 1; });
  (void)stopped;

  // No cookie at all.
  HttpResponse j = HttpGet(port(), "/api/v1/public/now-playing");
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(j.Header("content-type"), "application/json; charset=utf-8");
  EXPECT_NE(j.Header("cache-control").find("max-age="), std::string::npos);
  Json::Value v;
  std::string err;
  ASSERT_TRUE(common::ParseJson(j.body, &v, &err)) << err;
  const Json::Value* mine = nullptr;
  for (const Json::Value& s : v["streams"]) {
    if (s["slug"] == "dash-public") mine = &s;
  }
  ASSERT_NE(mine, nullptr) << j.body;
  EXPECT_EQ((*mine)["title"], "Public Radio");
  EXPECT_EQ((*mine)["listeners"], 1);
  EXPECT_EQ((*mine)["now_playing"]["title"], "Public Song");
  EXPECT_EQ((*mine)["now_playing"]["artist"], "The Testers");
  EXPECT_GE((*mine)["now_playing"]["position_ms"].asInt64(), 0);
  EXPECT_EQ((*mine)["mounts"]["mp3"], "/live/dash-public.mp3");
  for (const char* bad : {"dash-hidden", "Hidden Radio", "dash-stopped", "added_by", "email",
                          "boss@example.com", "\"id\"", "queue", "user"}) {
    EXPECT_EQ(j.body.find(bad), std::string::npos) << bad << " in " << j.body;
  }

  HttpResponse page = HttpGet(port(), "/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.Header("cache-control").find("max-age="), std::string::npos);
  EXPECT_NE(page.Header("content-security-policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(page.body.find("data-slug=\"dash-public\""), std::string::npos);
  EXPECT_NE(page.body.find("Public Song"), std::string::npos);
  EXPECT_NE(page.body.find("<source src=\"/live/dash-public.ogg\" type=\"audio/ogg\">"),
            std::string::npos);
  EXPECT_NE(page.body.find("<source src=\"/live/dash-public.mp3\" type=\"audio/mpeg\">"),
            std::string::npos);
  EXPECT_NE(page.body.find("<progress"), std::string::npos);
  EXPECT_NE(page.body.find("href=\"/admin/\""), std::string::npos);
  EXPECT_NE(page.body.find("/static/style.css"), std::string::npos);
  for (const char* bad : {"dash-hidden", "Hidden Radio", "dash-stopped", "boss@example.com",
                          "style=", "<script"}) {
    EXPECT_EQ(page.body.find(bad), std::string::npos) << bad;
  }
  EXPECT_EQ(HttpGet(port(), "/static/style.css").status, 200);
  // Read-only: other methods are refused.
  EXPECT_EQ(HttpRequest(port(), "POST", "/", "x").status, 405);

  // Hidden again after being public: it goes at once.
  Sql("UPDATE streams SET public = false WHERE id = " + std::to_string(pub));
  EXPECT_EQ(HttpGet(port(), "/api/v1/public/now-playing").body.find("dash-public"),
            std::string::npos);
  EXPECT_EQ(HttpGet(port(), "/").body.find("dash-public"), std::string::npos);
  Sql("UPDATE streams SET public = true WHERE id = " + std::to_string(pub));
  listener->Stop(SIGTERM, std::chrono::seconds(5));
  Stop(c, pub);
  Stop(c, hidden);
  EXPECT_EQ(HttpGet(port(), "/api/v1/public/now-playing").body.find("dash-public"),
            std::string::npos)
      << "a stopped stream is not live";
}

}  // namespace
}  // namespace sattva::testing
