// Play history and sessions end to end: a real streamer plays two tracks (one skipped) and the
// rows carry who queued them; the history and sessions API (paging, filters, errors); the CSV and
// JSON exports through nginx with a session cookie (filters, formula guard, permissions, a large
// export streamed whole); the stream page's sessions and history sections.
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/audio_files.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/stack.h"
#include "tests/support/stream_events.h"

namespace sattva::testing {
namespace {

using std::chrono::milliseconds;


void MakeTone(const std::string& path, int freq, double secs) {
  ASSERT_EQ(WriteTone(path, freq, secs), "");
}

// RFC 4180 records (quoted fields with "" escapes, CRLF line ends). Adds a failure on a line
// that does not end in CRLF.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
      ++i;
    } else if (c == '\n') {
      ADD_FAILURE() << "a bare LF ends a CSV line at byte " << i;
    } else {
      field.push_back(c);
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "the CSV does not end with CRLF";
  return rows;
}

int Count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

class HistoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o;
    o.wsd = false;
    o.extra_config = {"login_ip_limit = 100000", "streamer_reconcile_ms = 250"};
    stack_ = new Stack(o);
    password_ = stack_->CreateAdmin("chief@example.com");
    mkdir((stack_->dir() + "/media").c_str(), 0755);
    ApiClient a(stack_->nginx_port);
    ASSERT_EQ(a.Login("chief@example.com", password_).status, 200);
    admin_id_ = JsonOf(a.Get("/api/v1/auth/me"))["user"]["id"].asInt64();
    std::tie(mod_id_, mod_password_) =
        CreateUserViaApi(a, "mod@example.com", "moderator", "Mod Erator");
    std::tie(user_id_, user_password_) =
        CreateUserViaApi(a, "listener@example.com", "user", "Lis Tener");
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  static ApiClient As(const std::string& email, const std::string& password) {
    ApiClient c(stack_->nginx_port);
    EXPECT_EQ(c.Login(email, password).status, 200);
    return c;
  }
  static ApiClient Admin() { return As("chief@example.com", password_); }
  static std::string Media(const std::string& name) { return stack_->dir() + "/media/" + name; }
  static std::string S(int64_t sid) { return "/api/v1/streams/" + std::to_string(sid); }

  static int64_t Track(ApiClient& c, const std::string& path, const std::string& title = "") {
    Json::Value b;
    b["path"] = path;
    if (!title.empty()) b["title"] = title;
    HttpResponse r = c.Post("/api/v1/tracks", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }
  static int64_t NewStream(ApiClient& c, const std::string& slug) {
    Json::Value b;
    b["slug"] = slug;
    b["title"] = "Stream " + slug;
    b["auto_end_enabled"] = false;
    HttpResponse r = c.Post("/api/v1/streams", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }
  // `n` finished/skipped/error/stopped plays (in turn), one an hour back from
  // 2026-03-01T00:00Z, each 90 s long, queued by the admin, of track `track`.
  static void Generate(int64_t sid, int64_t track, int n) {
    pqxx::connection pg(stack_->pg_dsn());
    pqxx::work tx(pg);
    tx.exec_params(
        "INSERT INTO play_history (stream_id, track_id, queue_item_id, started_at, ended_at, "
        "end_reason, error, queued_by) "
        "SELECT $1, $2, 'g' || i, ts, ts + interval '90 seconds', "
        "(ARRAY['finished','skipped','error','stopped'])[i % 4 + 1], "
        "CASE WHEN i % 4 = 2 THEN 'could not decode' END, $4 "
        "FROM generate_series(0, $3 - 1) i, "
        "LATERAL (SELECT timestamptz '2026-03-01T00:00:00Z' - i * interval '1 hour' AS ts) t",
        sid, track, n, admin_id_);
    tx.exec_params(
        "INSERT INTO stream_sessions (stream_id, started_at, ended_at, end_reason, "
        "peak_listeners, tracks_played) "
        "SELECT $1, timestamptz '2026-03-01T00:00:00Z' - i * interval '1 day', "
        "timestamptz '2026-03-01T00:00:00Z' - i * interval '1 day' + interval '2 hours', "
        "'manual', i, 10 FROM generate_series(1, 25) i",
        sid);
    tx.commit();
  }

  // Polls GET .../history every 50 ms until `pred` holds (20 s at most); returns the last page.
  static Json::Value WaitHistory(ApiClient& c, int64_t sid,
                                 const std::function<bool(const Json::Value&)>& pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    Json::Value h = JsonOf(c.Get(S(sid) + "/history"));
    while (!pred(h) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(50));
      h = JsonOf(c.Get(S(sid) + "/history"));
    }
    return h;
  }

  static Stack* stack_;
  static std::string password_, mod_password_, user_password_;
  static int64_t admin_id_, mod_id_, user_id_;
};
Stack* HistoryTest::stack_ = nullptr;
std::string HistoryTest::password_;
std::string HistoryTest::mod_password_;
std::string HistoryTest::user_password_;
int64_t HistoryTest::admin_id_ = 0;
int64_t HistoryTest::mod_id_ = 0;
int64_t HistoryTest::user_id_ = 0;

TEST_F(HistoryTest, PlaysAreRecordedWithWhoQueuedThemAndHowTheyEnded) {
  ApiClient admin = Admin();
  ApiClient user = As("listener@example.com", user_password_);
  MakeTone(Media("long.mp3"), 440, 20.0);
  MakeTone(Media("short.mp3"), 660, 1.0);
  const int64_t t_long = Track(admin, Media("long.mp3"), "Long tone");
  const int64_t t_short = Track(admin, Media("short.mp3"), "Short tone");
  const int64_t sid = NewStream(admin, "played");
  // The listener queues the long one, the admin the short one.
  Json::Value b;
  b["track_ids"].append(static_cast<Json::Int64>(t_long));
  ASSERT_EQ(user.Post(S(sid) + "/queue", b).status, 201);
  b["track_ids"][0] = static_cast<Json::Int64>(t_short);
  ASSERT_EQ(admin.Post(S(sid) + "/queue", b).status, 201);
  ASSERT_EQ(admin.Post(S(sid) + "/start", Json::Value(Json::objectValue)).status, 200);
  WaitStream(admin, sid, [&](const Json::Value& v) {
    return v["now_playing"].isObject() && v["now_playing"]["track"]["id"].asInt64() == t_long;
  });
  // Playing now: the row is open (the streamer writes it off its audio thread, so wait for it).
  Json::Value h = WaitHistory(admin, sid, [](const Json::Value& h) {
    return h["items"].size() == 1;
  });
  ASSERT_EQ(h["items"].size(), 1u) << common::WriteJson(h);
  EXPECT_TRUE(h["items"][0]["end_reason"].isNull());
  EXPECT_TRUE(h["items"][0]["played_ms"].isNull());
  ASSERT_EQ(admin.Post(S(sid) + "/skip", Json::Value(Json::objectValue)).status, 202);
  // The short track plays to its end.
  h = WaitHistory(admin, sid, [](const Json::Value& h) {
    return h["items"].size() == 2 && h["items"][0]["end_reason"].isString();
  });
  ASSERT_EQ(h["items"].size(), 2u) << common::WriteJson(h);
  EXPECT_EQ(h["total"].asInt64(), 2);
  const Json::Value& first = h["items"][1];  // oldest last
  const Json::Value& second = h["items"][0];
  EXPECT_EQ(first["track"]["id"].asInt64(), t_long);
  EXPECT_EQ(first["track"]["title"], "Long tone");
  EXPECT_EQ(first["end_reason"], "skipped");
  EXPECT_EQ(first["queued_by"]["id"].asInt64(), user_id_);
  EXPECT_EQ(first["queued_by"]["name"], "Lis Tener");
  EXPECT_GT(first["played_ms"].asInt64(), 0);
  EXPECT_LT(first["played_ms"].asInt64(), 20000);
  EXPECT_EQ(second["track"]["id"].asInt64(), t_short);
  EXPECT_EQ(second["end_reason"], "finished");
  EXPECT_EQ(second["queued_by"]["id"].asInt64(), admin_id_);
  EXPECT_NEAR(second["played_ms"].asInt64(), 1000, 400);
  EXPECT_TRUE(second["error"].isNull());
  EXPECT_EQ(second["session_id"], first["session_id"]);
  // Filtered by end reason.
  Json::Value sk = JsonOf(admin.Get(S(sid) + "/history?status=skipped"));
  ASSERT_EQ(sk["items"].size(), 1u);
  EXPECT_EQ(sk["items"][0]["track"]["id"].asInt64(), t_long);

  // One open session that counted both; stopping ends it.
  Json::Value s = JsonOf(admin.Get(S(sid) + "/sessions"));
  ASSERT_EQ(s["items"].size(), 1u) << common::WriteJson(s);
  EXPECT_TRUE(s["items"][0]["ended_at"].isNull());
  EXPECT_EQ(s["items"][0]["tracks_played"].asInt64(), 2);
  EXPECT_EQ(s["items"][0]["id"], second["session_id"]);
  ASSERT_EQ(admin.Post(S(sid) + "/stop", Json::Value(Json::objectValue)).status, 200);
  const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline2) {
    s = JsonOf(admin.Get(S(sid) + "/sessions"));
    if (s["items"][0]["ended_at"].isString()) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(s["items"][0]["end_reason"], "manual") << common::WriteJson(s);

  // The stream page shows both plays and the session.
  HttpResponse page = admin.Get("/admin/streams/" + std::to_string(sid));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("id=\"sessions\""), std::string::npos);
  EXPECT_NE(page.body.find("id=\"history\""), std::string::npos);
  EXPECT_EQ(Count(page.body, "data-play-id="), 2);
  EXPECT_EQ(Count(page.body, "data-session-id="), 1);
  EXPECT_NE(page.body.find("data-end-reason=\"skipped\""), std::string::npos);
  EXPECT_NE(page.body.find("Lis Tener"), std::string::npos);
  EXPECT_NE(page.body.find("Long tone"), std::string::npos);
}

TEST_F(HistoryTest, ApiPagesFiltersAndRefusesBadInput) {
  ApiClient admin = Admin();
  MakeTone(Media("gen.mp3"), 500, 0.5);
  const int64_t track = Track(admin, Media("gen.mp3"), "Generated");
  const int64_t sid = NewStream(admin, "paged");
  Generate(sid, track, 45);
  const std::string base = S(sid) + "/history";

  Json::Value p1 = JsonOf(admin.Get(base));
  EXPECT_EQ(p1["total"].asInt64(), 45);
  EXPECT_EQ(p1["per_page"].asInt64(), 20);
  ASSERT_EQ(p1["items"].size(), 20u);
  EXPECT_EQ(p1["items"][0]["started_at"], "2026-03-01T00:00:00.000Z");  // newest first
  EXPECT_EQ(p1["items"][0]["played_ms"].asInt64(), 90000);
  EXPECT_EQ(p1["items"][0]["queued_by"]["id"].asInt64(), admin_id_);
  Json::Value p3 = JsonOf(admin.Get(base + "?page=3"));
  ASSERT_EQ(p3["items"].size(), 5u);
  EXPECT_EQ(p3["items"][4]["started_at"], "2026-02-27T04:00:00.000Z");  // 44 hours back
  EXPECT_EQ(JsonOf(admin.Get(base + "?page=4"))["items"].size(), 0u);
  EXPECT_EQ(JsonOf(admin.Get(base + "?per_page=100"))["items"].size(), 45u);

  // since inclusive, until exclusive; dates, date-times and offsets.
  Json::Value r = JsonOf(admin.Get(base + "?since=2026-02-28T20:00:00Z&until=2026-03-01"));
  EXPECT_EQ(r["total"].asInt64(), 4);  // 20:00, 21:00, 22:00, 23:00
  r = JsonOf(admin.Get(base + "?since=2026-02-28T23:00:00%2B01:00"));  // 22:00Z
  EXPECT_EQ(r["total"].asInt64(), 3);
  r = JsonOf(admin.Get(base + "?until=2026-02-27T04:00:00.000Z"));
  EXPECT_EQ(r["total"].asInt64(), 0);
  r = JsonOf(admin.Get(base + "?status=error&per_page=100"));
  EXPECT_EQ(r["total"].asInt64(), 11);
  for (const Json::Value& it : r["items"]) {
    EXPECT_EQ(it["end_reason"], "error");
    EXPECT_EQ(it["error"], "could not decode");
  }
  r = JsonOf(admin.Get(base + "?status=skipped&since=2026-02-28"));
  EXPECT_EQ(r["total"].asInt64(), 6);

  // Sessions: paged, on air in the range.
  Json::Value s = JsonOf(admin.Get(S(sid) + "/sessions?per_page=10&page=3"));
  EXPECT_EQ(s["total"].asInt64(), 25);
  ASSERT_EQ(s["items"].size(), 5u);
  EXPECT_EQ(s["items"][0]["peak_listeners"].asInt64(), 21);
  s = JsonOf(admin.Get(S(sid) + "/sessions?since=2026-02-27T01:00:00Z&until=2026-02-28T00:00:01Z"));
  EXPECT_EQ(s["total"].asInt64(), 2);  // the one of 02-27 (till 02:00) and the one of 02-28

  // Bad input.
  for (const std::string q :
       {"?since=yesterday", "?since=2026-02-30", "?until=2026-01-01T25:00:00Z",
        "?since=2026-01-01T10:00:00%2B99:00", "?status=bogus", "?per_page=101", "?page=0",
        "?page=x", "?since=%27%3B%20DROP%20TABLE%20play_history%3B--"}) {
    HttpResponse bad = admin.Get(base + q);
    EXPECT_EQ(bad.status, 422) << q << " " << bad.body;
    EXPECT_EQ(JsonOf(bad)["error"]["code"], "validation_failed") << q;
  }
  EXPECT_EQ(admin.Get(S(sid) + "/sessions?until=nope").status, 422);
  EXPECT_EQ(admin.Get(S(999999) + "/history").status, 404);
  EXPECT_EQ(admin.Get(S(999999) + "/sessions").status, 404);
  EXPECT_EQ(admin.Get("/api/v1/streams/abc/history").status, 404);
  // Anonymous: 401. Every role may view streams.
  EXPECT_EQ(HttpGet(stack_->nginx_port, base).status, 401);
  EXPECT_EQ(As("listener@example.com", user_password_).Get(base).status, 200);
  // A deleted stream is gone.
  const int64_t gone = NewStream(admin, "gone");
  ASSERT_LT(admin.Delete(S(gone)).status, 300);
  EXPECT_EQ(admin.Get(S(gone) + "/history").status, 404);
  EXPECT_EQ(admin.Get(S(gone) + "/sessions").status, 404);
}

TEST_F(HistoryTest, HistoryExportsHonourTheFiltersAndStreamLargeResults) {
  ApiClient admin = Admin();
  MakeTone(Media("exp.mp3"), 520, 0.5);
  const int64_t track = Track(admin, Media("exp.mp3"), "=HYPERLINK(\"http://evil\",\"x,y\")");
  const int64_t sid = NewStream(admin, "exported");
  Generate(sid, track, 45);
  const std::string base = "/admin/streams/" + std::to_string(sid) + "/history/export";

  HttpResponse csv = admin.Get(base + ".csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("content-type").rfind("text/csv", 0), 0u);
  EXPECT_NE(csv.Header("content-disposition")
                .find("attachment; filename=\"stream-" + std::to_string(sid) + "-history-"),
            std::string::npos)
      << csv.Header("content-disposition");
  EXPECT_NE(csv.Header("cache-control").find("no-store"), std::string::npos);
  auto rows = ParseCsv(csv.body);
  ASSERT_EQ(rows.size(), 46u);
  const std::vector<std::string> header = {"id", "started_at", "ended_at", "played_ms",
                                           "end_reason", "error", "track_id", "title", "artist",
                                           "queued_by_id", "queued_by", "session_id",
                                           "queue_item_id"};
  EXPECT_EQ(rows[0], header);
  EXPECT_EQ(rows[1][1], "2026-03-01T00:00:00.000Z");
  EXPECT_EQ(rows[1][3], "90000");
  EXPECT_EQ(rows[1][6], std::to_string(track));
  // The formula-looking title is guarded and its comma and quotes survive.
  EXPECT_EQ(rows[1][7], "'=HYPERLINK(\"http://evil\",\"x,y\")");
  EXPECT_EQ(rows[1][9], std::to_string(admin_id_));

  // Filters as on the page: dates (until inclusive) and the end reason.
  rows = ParseCsv(admin.Get(base + ".csv?history_since=2026-02-28&history_until=2026-02-28&"
                            "history_status=skipped")
                      .body);
  ASSERT_EQ(rows.size(), 7u);  // header + 6 skipped plays on 02-28
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][4], "skipped");
    EXPECT_EQ(rows[i][1].substr(0, 10), "2026-02-28");
  }

  // JSON: the same rows, typed.
  HttpResponse js = admin.Get(base + ".json?history_status=error");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("content-type").rfind("application/json", 0), 0u);
  Json::Value arr;
  std::string err;
  ASSERT_TRUE(common::ParseJson(js.body, &arr, &err)) << err;
  ASSERT_TRUE(arr.isArray());
  ASSERT_EQ(arr.size(), 11u);
  Json::Value api = JsonOf(admin.Get(S(sid) + "/history?status=error&per_page=100"));
  for (Json::ArrayIndex i = 0; i < arr.size(); ++i) {
    EXPECT_EQ(arr[i]["id"].asInt64(), api["items"][i]["id"].asInt64());
    EXPECT_TRUE(arr[i]["id"].isIntegral());
    EXPECT_TRUE(arr[i]["played_ms"].isIntegral());
    EXPECT_EQ(arr[i]["error"], "could not decode");
    EXPECT_EQ(arr[i]["title"], "=HYPERLINK(\"http://evil\",\"x,y\")");  // JSON is not guarded
    EXPECT_TRUE(arr[i]["session_id"].isNull());
    EXPECT_EQ(arr[i]["queued_by_id"].asInt64(), admin_id_);
  }
  ASSERT_TRUE(common::ParseJson(admin.Get(base + ".json?history_status=finished&"
                                          "history_since=2030-01-01")
                                    .body,
                                &arr, &err))
      << err;
  EXPECT_EQ(arr.size(), 0u);

  // Bad filters and unknown streams are pages, not downloads.
  EXPECT_EQ(admin.Get(base + ".csv?history_since=2026-13-01").status, 422);
  EXPECT_EQ(admin.Get(base + ".csv?history_status=bogus").status, 422);
  EXPECT_EQ(admin.Get("/admin/streams/999999/history/export.csv").status, 404);
  EXPECT_EQ(admin.Get(base + ".xml").status, 404);
  HttpResponse anon = HttpGet(stack_->nginx_port, base + ".csv");
  EXPECT_EQ(anon.status, 303);
  EXPECT_NE(anon.Header("location").find("/admin/login"), std::string::npos);

  // 20,000 rows stream completely.
  const int64_t big = NewStream(admin, "bigexport");
  Generate(big, track, 20000);
  HttpResponse large = admin.Get("/admin/streams/" + std::to_string(big) + "/history/export.csv");
  ASSERT_EQ(large.status, 200);
  EXPECT_EQ(Count(large.body, "\r\n"), 20001);
  EXPECT_NE(large.body.find(",g19999\r\n"), std::string::npos);  // the oldest, last
  HttpResponse large_json =
      admin.Get("/admin/streams/" + std::to_string(big) + "/history/export.json");
  ASSERT_TRUE(common::ParseJson(large_json.body, &arr, &err)) << err;
  EXPECT_EQ(arr.size(), 20000u);
  EXPECT_EQ(arr[19999]["queue_item_id"], "g19999");

  // The stream page does not count all 20,000 plays: it says "more than", and pages on.
  const std::string big_page = "/admin/streams/" + std::to_string(big);
  HttpResponse bp = admin.Get(big_page);
  ASSERT_EQ(bp.status, 200);
  EXPECT_NE(bp.body.find("Showing 1\u201320 of more than 1000 plays"), std::string::npos);
  EXPECT_NE(bp.body.find("history_page=2#history-panel"), std::string::npos);
  bp = admin.Get(big_page + "?history_page=600");
  ASSERT_EQ(bp.status, 200);
  EXPECT_EQ(Count(bp.body, "data-play-id="), 20);
  EXPECT_NE(bp.body.find("Showing 11981\u201312000 of more than 12000 plays"), std::string::npos);
  EXPECT_NE(bp.body.find("history_page=601#history-panel"), std::string::npos);
  bp = admin.Get(big_page + "?history_page=1000");
  EXPECT_EQ(Count(bp.body, "data-play-id="), 20);
  EXPECT_NE(bp.body.find("Showing 19981\u201320000 of 20000 plays"), std::string::npos);
  EXPECT_EQ(bp.body.find("history_page=1001"), std::string::npos);
}

TEST_F(HistoryTest, UsersAndAuditExportsFollowTheListsAndPermissions) {
  ApiClient admin = Admin();
  CreateUserViaApi(admin, "formula@example.com", "user", "=cmd|' /C calc'!A0");
  CreateUserViaApi(admin, "plus@example.com", "moderator", "+Plus, \"Quoted\" Мария");

  HttpResponse csv = admin.Get("/admin/users/export.csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_NE(csv.Header("content-disposition").find("filename=\"users-"), std::string::npos);
  EXPECT_EQ(csv.body.find("argon2"), std::string::npos);
  auto rows = ParseCsv(csv.body);
  ASSERT_GE(rows.size(), 6u);
  EXPECT_EQ(rows[0][0], "id");
  EXPECT_EQ(rows[0].size(), 9u);
  std::set<std::string> names;
  for (const auto& r : rows) names.insert(r[2]);
  EXPECT_TRUE(names.count("'=cmd|' /C calc'!A0")) << csv.body;
  EXPECT_TRUE(names.count("'+Plus, \"Quoted\" Мария")) << csv.body;
  // The list's filters and sort.
  rows = ParseCsv(admin.Get("/admin/users/export.csv?role=moderator&sort=email&order=desc").body);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][1], "plus@example.com");
  EXPECT_EQ(rows[2][1], "mod@example.com");
  rows = ParseCsv(admin.Get("/admin/users/export.csv?q=formula").body);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][1], "formula@example.com");
  EXPECT_EQ(admin.Get("/admin/users/export.csv?role=king").status, 422);
  Json::Value arr;
  std::string err;
  ASSERT_TRUE(
      common::ParseJson(admin.Get("/admin/users/export.json?status=active&q=example").body, &arr,
                        &err))
      << err;
  ASSERT_GE(arr.size(), 5u);
  for (const Json::Value& u : arr) {
    EXPECT_TRUE(u["id"].isIntegral());
    EXPECT_EQ(u["status"], "active");
    EXPECT_FALSE(u.isMember("password_hash"));
  }
  // The list page links the exports with its filters.
  HttpResponse list = admin.Get("/admin/users?role=moderator&q=o");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("class=\"btn btn-quiet export-csv\" href=\"/admin/users/export.csv?"
                           "q=o&amp;role=moderator"),
            std::string::npos)
      << list.body;

  // Audit: admin only, with the page's filters.
  HttpResponse audit = admin.Get("/admin/audit/export.csv?action=user.");
  ASSERT_EQ(audit.status, 200);
  rows = ParseCsv(audit.body);
  ASSERT_GE(rows.size(), 5u);  // user.create for four users at least
  EXPECT_EQ(rows[0][4], "action");
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i][4].rfind("user.", 0), 0u);
  ASSERT_TRUE(common::ParseJson(
      admin.Get("/admin/audit/export.json?actor=chief%40example.com&action=user.create").body,
      &arr, &err))
      << err;
  ASSERT_GE(arr.size(), 4u);
  for (const Json::Value& a : arr) {
    EXPECT_EQ(a["actor_user_id"].asInt64(), admin_id_);
    Json::Value changes;
    EXPECT_TRUE(common::ParseJson(a["changes"].asString(), &changes, &err));
  }
  ASSERT_TRUE(
      common::ParseJson(admin.Get("/admin/audit/export.json?actor=nobody%40example.com").body,
                        &arr, &err));
  EXPECT_EQ(arr.size(), 0u);
  EXPECT_EQ(admin.Get("/admin/audit/export.csv?since=soon").status, 422);
  // The page's export links carry its filters, percent-encoded (a search with & or # stays one
  // value).
  HttpResponse apage = admin.Get("/admin/audit?action=user.&actor=a%26b%23c");
  EXPECT_NE(apage.body.find("href=\"/admin/audit/export.json?actor=a%26b%23c&amp;action=user.\""),
            std::string::npos)
      << apage.body;

  ApiClient mod = As("mod@example.com", mod_password_);
  EXPECT_EQ(mod.Get("/admin/audit/export.csv").status, 403);
  EXPECT_EQ(mod.Get("/admin/audit/export.json").status, 403);
  EXPECT_EQ(mod.Get("/admin/users/export.csv").status, 200);
  ApiClient user = As("listener@example.com", user_password_);
  EXPECT_EQ(user.Get("/admin/users/export.csv").status, 403);
  EXPECT_EQ(user.Get("/admin/audit/export.json").status, 403);
}

TEST_F(HistoryTest, StreamPageSectionsPageAndKeepTheOtherParameters) {
  ApiClient admin = Admin();
  MakeTone(Media("sec.mp3"), 540, 0.5);
  const int64_t track = Track(admin, Media("sec.mp3"), "Section <b>tone</b>");
  const int64_t sid = NewStream(admin, "sections");
  Generate(sid, track, 45);
  const std::string page = "/admin/streams/" + std::to_string(sid);

  HttpResponse r = admin.Get(page + "?history_page=3&sessions_page=2&extra=keep");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Count(r.body, "data-play-id="), 5);
  EXPECT_EQ(Count(r.body, "data-session-id="), 10);
  EXPECT_EQ(r.body.find("<b>tone</b>"), std::string::npos);
  EXPECT_NE(r.body.find("Section &lt;b&gt;tone&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(r.body.find("Showing 41\u201345 of 45 plays"), std::string::npos);
  // The previous page of history keeps the other parameters and the sessions page.
  EXPECT_NE(r.body.find("href=\"" + page + "?extra=keep&amp;history_page=2&amp;sessions_page=2"
                                           "#history-panel\""),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("id=\"history-export-csv\" href=\"" + page +
                        "/history/export.csv\""),
            std::string::npos);

  r = admin.Get(page + "?history_status=skipped&history_since=2026-02-28");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Count(r.body, "data-play-id="), 6);
  EXPECT_EQ(Count(r.body, "data-end-reason=\"skipped\""), 6);
  EXPECT_NE(r.body.find("href=\"" + page + "/history/export.csv?history_since=2026-02-28&amp;"
                                           "history_status=skipped\""),
            std::string::npos);
  EXPECT_NE(r.body.find("<option value=\"skipped\" selected>"), std::string::npos);

  EXPECT_EQ(admin.Get(page + "?history_since=notadate").status, 422);
  EXPECT_EQ(admin.Get(page + "?history_status=%3Cscript%3E").status, 422);
  EXPECT_EQ(admin.Get(page + "?history_page=0").status, 422);
}

}  // namespace
}  // namespace sattva::testing
