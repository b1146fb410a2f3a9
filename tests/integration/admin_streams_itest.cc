// The streams pages through nginx, driven like a browser without JavaScript (HTML forms, the
// session cookie, CSRF tokens read from the pages, redirects), against the real stack with a
// real streamer: create and validate, list filters, queue forms with if_version conflicts,
// start/stop/skip reaching the streamer, settings, delete, roles, and the track -> streams
// index kept exact through every queue change and the streamer's pops.
#include <sys/stat.h>

#include <map>
#include <regex>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "common/stream_keys.h"
#include "fcgi/admin/streams_views.h"
#include "tests/support/api_client.h"
#include "tests/support/audio_files.h"
#include "tests/support/form_browser.h"
#include "tests/support/process.h"
#include "tests/support/stack.h"
#include "tests/support/stream_events.h"

namespace sattva::testing {
namespace {

bool Has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

using Browser = FormBrowser;

// The queue version a page was drawn from.
std::string VersionOf(const std::string& html) {
  std::smatch m;
  static const std::regex kVersion("id=\"queue\" class=\"[^\"]*\" data-version=\"([0-9]+)\"");
  return std::regex_search(html, m, kVersion) ? std::string(m[1]) : "";
}

// The queue's item ids, in the page's order.
std::vector<std::string> ItemIdsOf(const std::string& html) {
  std::vector<std::string> out;
  static const std::regex kItem("<li data-item-id=\"([0-9]+)\">");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kItem); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

// The stream ids of a list page, in order.
std::vector<int64_t> StreamIdsOf(const std::string& html) {
  std::vector<int64_t> out;
  static const std::regex kRow("<tr data-stream-id=\"([0-9]+)\">");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kRow); it != std::sregex_iterator();
       ++it) {
    out.push_back(std::stoll((*it)[1]));
  }
  return out;
}

class AdminStreamsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack(StreamerTestOptions());
    password_ = stack_->CreateAdmin("chief@example.com");
    mkdir((stack_->dir() + "/media").c_str(), 0755);
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    for (int i = 1; i <= 30; ++i) {
      tx.exec_params(
          "INSERT INTO tracks (source_kind, source, title, artist, duration_ms) VALUES "
          "('file', $1, $2, 'Catalog Artist', 180000)",
          "/nonexistent/t" + std::to_string(i) + ".mp3", "Catalog " + std::to_string(i));
    }
    first_track_ = tx.exec1("SELECT min(id) FROM tracks")[0].as<int64_t>();
    tx.commit();
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  int port() const { return stack_->nginx_port; }
  int64_t T(int n) const { return first_track_ + n - 1; }

  Browser Admin() {
    Browser b(port());
    EXPECT_EQ(b.Login("chief@example.com", password_).status, 303);
    return b;
  }
  ApiClient Api() {
    ApiClient c(port());
    EXPECT_EQ(c.Login("chief@example.com", password_).status, 200);
    return c;
  }

  // Creates a stream through the form; returns its id.
  int64_t NewStream(Browser& b, const std::string& slug, const std::string& title = "") {
    b.Get("/admin/streams");
    HttpResponse r = b.Post("/admin/streams",
                            {{"title", title.empty() ? "Stream " + slug : title}, {"slug", slug},
                             {"description", ""}});
    EXPECT_EQ(r.status, 303) << r.body;
    const std::string loc = r.Header("location");
    EXPECT_EQ(loc.rfind("/admin/streams/", 0), 0u) << loc;
    return std::stoll(loc.substr(std::string("/admin/streams/").size()));
  }

  static std::string P(int64_t sid) { return "/admin/streams/" + std::to_string(sid); }
  static std::string A(int64_t sid) { return "/api/v1/streams/" + std::to_string(sid); }

  // Loads the stream page; returns the HTML (and the CSRF token is remembered).
  std::string Page(Browser& b, int64_t sid) {
    HttpResponse r = b.Get(P(sid));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  HttpResponse AddForm(Browser& b, int64_t sid, int64_t track, const std::string& version,
                       const std::string& at = "end") {
    return b.Post(P(sid) + "/queue",
                  {{"track_id", std::to_string(track)}, {"at", at}, {"if_version", version}});
  }

  // The queue's track ids in play order, through the API.
  std::vector<int64_t> Tracks(ApiClient& c, int64_t sid) {
    HttpResponse r = c.Get(A(sid) + "/queue");
    EXPECT_EQ(r.status, 200) << r.body;
    const Json::Value q = JsonOf(r);
    EXPECT_TRUE(q.isObject()) << r.body;
    std::vector<int64_t> out;
    for (const auto& it : q["items"]) out.push_back(it["track"]["id"].asInt64());
    return out;
  }
  int64_t Version(ApiClient& c, int64_t sid) {
    return JsonOf(c.Get(A(sid) + "/queue"))["version"].asInt64();
  }

  // The track -> streams index of one track: stream id -> count.
  std::map<std::string, int64_t> Index(int64_t track) {
    auto redis = stack_->RedisClient();
    auto r = redis->Checked({"HGETALL", common::TrackQueuedKey(track)});
    std::map<std::string, int64_t> out;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      out[r->element[i]->str] = std::atoll(r->element[i + 1]->str);
    }
    return out;
  }

  int64_t CountRows(const std::string& sql) {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  static Stack* stack_;
  static std::string password_;
  static int64_t first_track_;
};
Stack* AdminStreamsTest::stack_ = nullptr;
std::string AdminStreamsTest::password_;
int64_t AdminStreamsTest::first_track_ = 0;

TEST_F(AdminStreamsTest, CreateFromTheFormAndItsRefusals) {
  Browser b = Admin();
  HttpResponse list = b.Get("/admin/streams");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(Has(list.body, "id=\"new-stream-form\""));
  EXPECT_TRUE(Has(list.body, "/static/css/streams.css"));
  const int64_t sid = NewStream(b, "made-here", "Made here");
  HttpResponse page = b.Get(P(sid));
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Has(page.body, "Stream \u201cMade here\u201d created."));
  EXPECT_TRUE(Has(page.body, "<h1>Made here</h1>"));
  EXPECT_TRUE(Has(page.body, "id=\"start-button\""));

  const int64_t before = CountRows("SELECT count(*) FROM streams");
  struct Bad {
    Fields fields;
    int status;
    const char* message;
    const char* kept;
  };
  const Bad bad[] = {
      {{{"title", ""}, {"slug", "no-title"}}, 422, "The title must not be empty.",
       "value=\"no-title\""},
      {{{"title", "Bad slug"}, {"slug", "Bad Slug!"}}, 422, "The slug must be 1 to 63",
       "value=\"Bad Slug!\""},
      {{{"title", "Taken"}, {"slug", "made-here"}}, 409, "exists", "value=\"Taken\""},
      {{{"title", std::string(250, 'x')}, {"slug", "long-title"}}, 422, "200 characters",
       "value=\"long-title\""},
      {{{"title", "Ctl\x01"}, {"slug", "ctl"}}, 422, "control", "value=\"ctl\""},
  };
  for (const Bad& x : bad) {
    HttpResponse r = b.Post("/admin/streams", x.fields);
    EXPECT_EQ(r.status, x.status) << x.message << r.body;
    EXPECT_TRUE(Has(r.body, x.message)) << x.message;
    EXPECT_TRUE(Has(r.body, x.kept)) << x.kept;
    EXPECT_TRUE(Has(r.body, "id=\"new-stream-form\""));
  }
  // Not a form at all.
  HttpResponse json = HttpRequest(port(), "POST", "/admin/streams", "{\"title\":\"x\"}",
                                  {{"Cookie", b.cookie},
                                   {"Content-Type", "application/json"},
                                   {"Origin", "http://127.0.0.1:" + std::to_string(port())}});
  EXPECT_EQ(json.status, 415);
  EXPECT_EQ(CountRows("SELECT count(*) FROM streams"), before);
}

TEST_F(AdminStreamsTest, ListSearchFilterSortAndPaging) {
  Browser b = Admin();
  std::vector<int64_t> ids;
  for (int i = 1; i <= 12; ++i) {
    char slug[32];
    std::snprintf(slug, sizeof slug, "pg-%02d", i);
    ids.push_back(NewStream(b, slug, std::string("Paged ") + slug));
  }
  {  // Two of them are meant to run (no streamer action needed to see desired_state).
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    tx.exec_params("UPDATE streams SET desired_state = 'running', auto_end_enabled = false "
                   "WHERE id = ANY($1::bigint[])",
                   "{" + std::to_string(ids[2]) + "," + std::to_string(ids[5]) + "}");
    tx.commit();
  }
  HttpResponse r = b.Get("/admin/streams?q=pg-&per_page=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(StreamIdsOf(r.body), std::vector<int64_t>(ids.begin(), ids.begin() + 10));
  EXPECT_TRUE(Has(r.body, "Showing 1\u201310 of 12 streams"));
  EXPECT_TRUE(Has(r.body, "rel=\"next\""));
  r = b.Get("/admin/streams?q=pg-&per_page=10&page=2");
  EXPECT_EQ(StreamIdsOf(r.body), std::vector<int64_t>(ids.begin() + 10, ids.end()));
  r = b.Get("/admin/streams?q=PG-1&sort=slug&order=desc");
  EXPECT_EQ(StreamIdsOf(r.body), (std::vector<int64_t>{ids[11], ids[10], ids[9]}));
  r = b.Get("/admin/streams?q=pg-&state=running");
  EXPECT_EQ(StreamIdsOf(r.body), (std::vector<int64_t>{ids[2], ids[5]}));
  EXPECT_TRUE(Has(r.body, "badge state-"));
  r = b.Get("/admin/streams?q=pg-&state=stopped&per_page=20");
  EXPECT_EQ(StreamIdsOf(r.body).size(), 10u);
  r = b.Get("/admin/streams?q=%25_nothing");
  EXPECT_TRUE(Has(r.body, "No streams match."));
  for (const char* bad : {"/admin/streams?state=paused", "/admin/streams?sort=listeners",
                          "/admin/streams?per_page=1000", "/admin/streams?page=-1"}) {
    EXPECT_EQ(b.Get(bad).status, 422) << bad;
  }
  {  // Back to stopped so the streamer does not keep them.
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    tx.exec("UPDATE streams SET desired_state = 'stopped' WHERE slug LIKE 'pg-%'");
    tx.commit();
  }
}

TEST_F(AdminStreamsTest, QueueFormsAndTheTrackIndex) {
  Browser b = Admin();
  ApiClient api = Api();
  const int64_t sid = NewStream(b, "queue-forms");
  std::string html = Page(b, sid);
  EXPECT_EQ(VersionOf(html), "0");
  EXPECT_TRUE(Has(html, "id=\"queue-empty\""));
  // Search the catalog, then add from the results.
  HttpResponse s = b.Get(P(sid) + "?track_q=Catalog%201");
  ASSERT_EQ(s.status, 200);
  EXPECT_TRUE(Has(s.body, "name=\"track_id\" value=\"" + std::to_string(T(1)) + "\""));
  EXPECT_TRUE(Has(s.body, "class=\"btn btn-small add-track\""));
  ASSERT_EQ(AddForm(b, sid, T(1), "0").status, 303);
  ASSERT_EQ(AddForm(b, sid, T(2), "1").status, 303);
  ASSERT_EQ(AddForm(b, sid, T(1), "2").status, 303);
  HttpResponse next = AddForm(b, sid, T(3), "3", "next");
  ASSERT_EQ(next.status, 303);
  EXPECT_EQ(next.Header("location"), P(sid) + "#queue");
  EXPECT_EQ(Tracks(api, sid), (std::vector<int64_t>{T(3), T(1), T(2), T(1)}));
  const std::string key = std::to_string(sid);
  EXPECT_EQ(Index(T(1)), (std::map<std::string, int64_t>{{key, 2}}));
  EXPECT_EQ(Index(T(2)), (std::map<std::string, int64_t>{{key, 1}}));

  html = Page(b, sid);
  EXPECT_TRUE(Has(html, "Added; it plays next."));
  std::vector<std::string> items = ItemIdsOf(html);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(VersionOf(html), "4");
  // Move the last to position 2, then "play next" the third.
  ASSERT_EQ(b.Post(P(sid) + "/queue/" + items[3] + "/move", {{"to", "2"}, {"if_version", "4"}})
                .status,
            303);
  EXPECT_EQ(Tracks(api, sid), (std::vector<int64_t>{T(3), T(1), T(1), T(2)}));
  ASSERT_EQ(b.Post(P(sid) + "/queue/" + items[2] + "/next", {{"if_version", "5"}}).status, 303);
  EXPECT_EQ(Tracks(api, sid), (std::vector<int64_t>{T(2), T(3), T(1), T(1)}));
  EXPECT_EQ(Index(T(1)), (std::map<std::string, int64_t>{{key, 2}}));  // moves change nothing
  // A position outside the queue: 422 on the page, nothing moved.
  HttpResponse far =
      b.Post(P(sid) + "/queue/" + items[0] + "/move", {{"to", "9"}, {"if_version", "6"}});
  EXPECT_EQ(far.status, 422);
  EXPECT_TRUE(Has(far.body, "id=\"queue-error\""));
  EXPECT_TRUE(Has(far.body, "Position out of range"));
  EXPECT_EQ(b.Post(P(sid) + "/queue/" + items[0] + "/move", {{"to", "two"}, {"if_version", "6"}})
                .status,
            422);
  EXPECT_EQ(b.Post(P(sid) + "/queue/" + items[0] + "/move", {{"to", "1"}}).status, 422);
  // Remove one T(1).
  ASSERT_EQ(b.Post(P(sid) + "/queue/" + items[1] + "/remove", {{"if_version", "6"}}).status, 303);
  EXPECT_EQ(Index(T(1)), (std::map<std::string, int64_t>{{key, 1}}));
  EXPECT_EQ(b.Post(P(sid) + "/queue/99999999/remove", {{"if_version", "7"}}).status, 404);
  // A second stream holding T(1): the index counts both.
  const int64_t other = NewStream(b, "queue-forms-2");
  ASSERT_EQ(AddForm(b, other, T(1), "0").status, 303);
  EXPECT_EQ(Index(T(1)), (std::map<std::string, int64_t>{{key, 1}, {std::to_string(other), 1}}));
  // Clear with confirmation.
  HttpResponse confirm = b.Get(P(sid) + "/queue/clear");
  ASSERT_EQ(confirm.status, 200);
  EXPECT_TRUE(Has(confirm.body, "All 3 queued items"));
  EXPECT_TRUE(Has(confirm.body, "name=\"if_version\" value=\"7\""));
  ASSERT_EQ(b.Post(P(sid) + "/queue/clear", {{"if_version", "7"}}).status, 303);
  EXPECT_TRUE(Tracks(api, sid).empty());
  EXPECT_EQ(Index(T(1)), (std::map<std::string, int64_t>{{std::to_string(other), 1}}));
  EXPECT_TRUE(Index(T(2)).empty());
  EXPECT_TRUE(Index(T(3)).empty());
  // Unknown tracks and malformed ids change nothing.
  EXPECT_EQ(AddForm(b, sid, 99999999, "8").status, 404);
  EXPECT_EQ(b.Post(P(sid) + "/queue", {{"track_id", "x"}, {"if_version", "8"}}).status, 422);
  EXPECT_EQ(b.Post(P(sid) + "/queue", {{"track_id", std::to_string(T(4))}, {"at", "middle"},
                                       {"if_version", "8"}})
                .status,
            422);
  EXPECT_EQ(Version(api, sid), 8);
}

TEST_F(AdminStreamsTest, ALongQueueShowsItsFirstFiftyAndAllOnRequest) {
  Browser b = Admin();
  ApiClient api = Api();
  const int64_t sid = NewStream(b, "long-queue");
  Json::Value body;
  // Tracks 16-30: the other tests' index checks use 1-15.
  for (int i = 0; i < 150; ++i) body["track_ids"].append(static_cast<Json::Int64>(T(16 + i % 15)));
  ASSERT_EQ(api.Post(A(sid) + "/queue", body).status, 201);
  std::string html = Page(b, sid);
  EXPECT_EQ(ItemIdsOf(html).size(), static_cast<size_t>(fcgi::kQueueShown));
  EXPECT_TRUE(Has(html, "Showing the first 50 of 150 items."));
  EXPECT_TRUE(Has(html, "id=\"queue-count\">(150)"));
  HttpResponse all = b.Get(P(sid) + "?queue=all");
  ASSERT_EQ(all.status, 200);
  const std::vector<std::string> items = ItemIdsOf(all.body);
  ASSERT_EQ(items.size(), 150u);
  ASSERT_EQ(b.Post(P(sid) + "/queue/" + items[149] + "/move", {{"to", "1"}, {"if_version", "1"}})
                .status,
            303);
  EXPECT_EQ(ItemIdsOf(b.Get(P(sid)).body).front(), items[149]);
  EXPECT_EQ(Index(T(30)), (std::map<std::string, int64_t>{{std::to_string(sid), 10}}));
}

TEST_F(AdminStreamsTest, AStaleVersionIs409WithTheCurrentQueueAndChangesNothing) {
  Browser b = Admin();
  ApiClient api = Api();
  const int64_t sid = NewStream(b, "stale");
  ASSERT_EQ(AddForm(b, sid, T(5), "0").status, 303);
  ASSERT_EQ(AddForm(b, sid, T(6), "1").status, 303);
  std::string html = Page(b, sid);
  const std::vector<std::string> items = ItemIdsOf(html);
  ASSERT_EQ(items.size(), 2u);
  // Someone else adds meanwhile (the API, version 2 -> 3).
  Json::Value add;
  add["track_id"] = static_cast<Json::Int64>(T(7));
  ASSERT_EQ(api.Post(A(sid) + "/queue", add).status, 201);
  for (const auto& [path, fields] : std::vector<std::pair<std::string, Fields>>{
           {"/queue/" + items[1] + "/move", {{"to", "1"}, {"if_version", "2"}}},
           {"/queue/" + items[1] + "/next", {{"if_version", "2"}}},
           {"/queue/" + items[0] + "/remove", {{"if_version", "2"}}},
           {"/queue", {{"track_id", std::to_string(T(8))}, {"if_version", "2"}}},
           {"/queue/clear", {{"if_version", "2"}}}}) {
    HttpResponse r = b.Post(P(sid) + path, fields);
    EXPECT_EQ(r.status, 409) << path;
    EXPECT_TRUE(Has(r.body, "id=\"queue-conflict\"")) << path;
    EXPECT_TRUE(Has(r.body, "The queue changed; here it is now.")) << path;
    EXPECT_EQ(VersionOf(r.body), "3") << path;
    EXPECT_EQ(ItemIdsOf(r.body).size(), 3u) << path;
  }
  EXPECT_EQ(Tracks(api, sid), (std::vector<int64_t>{T(5), T(6), T(7)}));
  EXPECT_EQ(Version(api, sid), 3);
}

TEST_F(AdminStreamsTest, TwoSessionsEditingOneQueueLoseNothing) {
  Browser one = Admin();
  Browser two = Admin();
  ApiClient api = Api();
  const int64_t sid = NewStream(one, "two-sessions");
  const std::string v1 = VersionOf(Page(one, sid));
  const std::string v2 = VersionOf(Page(two, sid));
  ASSERT_EQ(v1, v2);
  ASSERT_EQ(AddForm(one, sid, T(9), v1).status, 303);
  HttpResponse late = AddForm(two, sid, T(10), v2);
  ASSERT_EQ(late.status, 409);
  EXPECT_TRUE(Has(late.body, "The queue changed; here it is now."));
  // The second session retries from what it sees now.
  ASSERT_EQ(AddForm(two, sid, T(10), VersionOf(late.body)).status, 303);
  EXPECT_EQ(Tracks(api, sid), (std::vector<int64_t>{T(9), T(10)}));
  // Sending the same (now stale) form again applies nothing twice.
  EXPECT_EQ(AddForm(two, sid, T(10), VersionOf(late.body)).status, 409);
  EXPECT_EQ(Tracks(api, sid), (std::vector<int64_t>{T(9), T(10)}));
  EXPECT_EQ(Index(T(10)), (std::map<std::string, int64_t>{{std::to_string(sid), 1}}));
}

TEST_F(AdminStreamsTest, SettingsSaveValidateAndThePublicFlag) {
  Browser b = Admin();
  ApiClient api = Api();
  const int64_t sid = NewStream(b, "settings");
  std::string html = Page(b, sid);
  EXPECT_TRUE(Has(html, "id=\"settings-form\""));
  EXPECT_TRUE(Has(html, "name=\"public\" value=\"1\" checked"));
  EXPECT_TRUE(JsonOf(api.Get(A(sid)))["public"].asBool());
  HttpResponse ok = b.Post(P(sid), {{"title", "Settled \xF0\x9F\x8E\xA7"},
                                    {"slug", "settled"},
                                    {"description", "Calm"},
                                    {"placeholder_track_id", std::to_string(T(11))},
                                    {"auto_end_timeout_s", "600"}});
  ASSERT_EQ(ok.status, 303) << ok.body;
  Json::Value s = JsonOf(api.Get(A(sid)));
  EXPECT_EQ(s["title"].asString(), "Settled \xF0\x9F\x8E\xA7");
  EXPECT_EQ(s["slug"].asString(), "settled");
  EXPECT_EQ(s["placeholder_track_id"].asInt64(), T(11));
  EXPECT_EQ(s["auto_end_timeout_s"].asInt(), 600);
  EXPECT_FALSE(s["auto_end_enabled"].asBool());
  EXPECT_FALSE(s["public"].asBool());
  html = Page(b, sid);
  EXPECT_TRUE(Has(html, "Settings saved."));
  EXPECT_TRUE(Has(html, "<option value=\"" + std::to_string(T(11)) + "\" selected>Catalog 11"));
  EXPECT_TRUE(Has(html, "/live/settled.ogg"));
  EXPECT_GE(CountRows("SELECT count(*) FROM audit_log WHERE action = 'stream.update' AND "
                      "target_id = '" + std::to_string(sid) + "'"),
            1);

  struct Bad {
    Fields fields;
    int status;
    const char* message;
  };
  const Fields base = {{"title", "T"}, {"slug", "settled"}, {"auto_end_timeout_s", "300"}};
  auto with = [&](const std::string& k, const std::string& v) {
    Fields f;
    for (const auto& kv : base) {
      if (kv.first != k) f.push_back(kv);
    }
    f.emplace_back(k, v);
    return f;
  };
  const Bad bad[] = {
      {with("auto_end_timeout_s", "5"), 422, "from 10 to 86400"},
      {with("auto_end_timeout_s", "86401"), 422, "from 10 to 86400"},
      {with("auto_end_timeout_s", "ten"), 422, "from 10 to 86400"},
      {with("title", ""), 422, "must not be empty"},
      {with("slug", "Not OK"), 422, "The slug must be"},
      {with("placeholder_track_id", "99999999"), 422, "is not a live track"},
      {with("placeholder_track_id", "abc"), 422, "track from the catalog"},
      {with("auto_end_enabled", "maybe"), 422, "checkbox"},
      {with("slug", "made-here-too"), 0, ""},
  };
  NewStream(b, "made-here-too");
  for (const Bad& x : bad) {
    if (x.status == 0) {  // a slug another stream has
      HttpResponse r = b.Post(P(sid), x.fields);
      EXPECT_EQ(r.status, 409);
      EXPECT_TRUE(Has(r.body, "value=\"made-here-too\""));
      continue;
    }
    HttpResponse r = b.Post(P(sid), x.fields);
    EXPECT_EQ(r.status, x.status) << x.message;
    EXPECT_TRUE(Has(r.body, x.message)) << x.message << r.body.substr(0, 200);
    EXPECT_TRUE(Has(r.body, "id=\"settings-error\"")) << x.message;
    // What was typed is kept.
    for (const auto& [k, v] : x.fields) {
      if (k == "title" || k == "slug" || k == "auto_end_timeout_s") {
        EXPECT_TRUE(Has(r.body, "value=\"" + v + "\"")) << k << "=" << v;
      }
    }
  }
  s = JsonOf(api.Get(A(sid)));
  EXPECT_EQ(s["slug"].asString(), "settled");
  EXPECT_EQ(s["auto_end_timeout_s"].asInt(), 600);
  // public through the API: a boolean, shown back.
  Json::Value patch;
  patch["public"] = true;
  HttpResponse p = api.Patch(A(sid), patch);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(JsonOf(p)["public"].asBool());
  EXPECT_EQ(api.Send("PATCH", A(sid), "{\"public\":\"yes\"}", {}).status, 400);
  Json::Value create;
  create["slug"] = "hidden-one";
  create["title"] = "Hidden";
  create["public"] = false;
  HttpResponse c = api.Post("/api/v1/streams", create);
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_FALSE(JsonOf(c)["public"].asBool());
  EXPECT_TRUE(Has(b.Get("/admin/streams?q=hidden-one").body, ">hidden<"));
}

TEST_F(AdminStreamsTest, DeleteWithConfirmationPurgesTheQueueAndItsIndex) {
  Browser b = Admin();
  ApiClient api = Api();
  const int64_t sid = NewStream(b, "to-delete");
  ASSERT_EQ(AddForm(b, sid, T(12), "0").status, 303);
  EXPECT_EQ(Index(T(12)).size(), 1u);
  HttpResponse confirm = b.Get(P(sid) + "/delete");
  ASSERT_EQ(confirm.status, 200);
  EXPECT_TRUE(Has(confirm.body, "Delete this stream?"));
  EXPECT_TRUE(Has(confirm.body, "1 items"));
  HttpResponse r = b.Post(P(sid) + "/delete", {});
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/admin/streams");
  EXPECT_TRUE(Has(b.Get("/admin/streams").body, "Stream \u201cStream to-delete\u201d deleted."));
  EXPECT_EQ(b.Get(P(sid)).status, 404);
  EXPECT_EQ(api.Get(A(sid)).status, 404);
  EXPECT_TRUE(Index(T(12)).empty());
  EXPECT_EQ(CountRows("SELECT count(*) FROM audit_log WHERE action = 'stream.delete' AND "
                      "target_id = '" + std::to_string(sid) + "'"),
            1);
}

TEST_F(AdminStreamsTest, RolesUsersAddButControlNothingModeratorsManage) {
  Browser admin = Admin();
  ApiClient api = Api();
  const int64_t sid = NewStream(admin, "roles");
  ASSERT_EQ(AddForm(admin, sid, T(13), "0").status, 303);
  auto [uid, upw] = CreateUserViaApi(api, "plain@example.com", "user");
  auto [mid, mpw] = CreateUserViaApi(api, "mod@example.com", "moderator");
  Browser user(port());
  ASSERT_EQ(user.Login("plain@example.com", upw).status, 303);
  std::string html = Page(user, sid);
  for (const char* absent : {"start-button", "stop-button", "skip-button", "settings-form",
                             "/queue/clear", "/delete", "name=\"to\""}) {
    EXPECT_FALSE(Has(html, absent)) << absent;
  }
  EXPECT_FALSE(Has(user.Get("/admin/streams").body, "new-stream-form"));
  const std::string admins_item = ItemIdsOf(html).at(0);
  const std::string v = VersionOf(html);
  const int64_t streams_before = CountRows("SELECT count(*) FROM streams");
  for (const auto& [path, fields] : std::vector<std::pair<std::string, Fields>>{
           {"/start", {}},
           {"/stop", {}},
           {"/skip", {}},
           {"/delete", {}},
           {"", {{"title", "Mine now"}, {"slug", "roles"}, {"auto_end_timeout_s", "300"}}},
           {"/queue/" + admins_item + "/move", {{"to", "1"}, {"if_version", v}}},
           {"/queue/" + admins_item + "/next", {{"if_version", v}}},
           {"/queue/" + admins_item + "/remove", {{"if_version", v}}},
           {"/queue/clear", {{"if_version", v}}}}) {
    EXPECT_EQ(user.Post(P(sid) + path, fields).status, 403) << path;
  }
  EXPECT_EQ(user.Post("/admin/streams", {{"title", "x"}, {"slug", "user-made"}}).status, 403);
  EXPECT_EQ(user.Get(P(sid) + "/delete").status, 403);
  EXPECT_EQ(user.Get(P(sid) + "/queue/clear").status, 403);
  EXPECT_EQ(CountRows("SELECT count(*) FROM streams"), streams_before);
  Json::Value s = JsonOf(api.Get(A(sid)));
  EXPECT_EQ(s["title"].asString(), "Stream roles");
  EXPECT_EQ(s["desired_state"].asString(), "stopped");
  EXPECT_EQ(Tracks(api, sid), (std::vector<int64_t>{T(13)}));
  // A user adds, and removes their own item.
  ASSERT_EQ(AddForm(user, sid, T(14), v).status, 303);
  html = Page(user, sid);
  const std::string mine = ItemIdsOf(html).at(1);
  EXPECT_TRUE(Has(html, "action=\"" + P(sid) + "/queue/" + mine + "/remove\""));
  ASSERT_EQ(user.Post(P(sid) + "/queue/" + mine + "/remove", {{"if_version", VersionOf(html)}})
                .status,
            303);
  EXPECT_EQ(Tracks(api, sid), (std::vector<int64_t>{T(13)}));
  // A moderator manages: settings and the queue.
  Browser mod(port());
  ASSERT_EQ(mod.Login("mod@example.com", mpw).status, 303);
  html = Page(mod, sid);
  EXPECT_TRUE(Has(html, "id=\"settings-form\""));
  EXPECT_TRUE(Has(html, "id=\"start-button\""));
  ASSERT_EQ(mod.Post(P(sid), {{"title", "Moderated"}, {"slug", "roles"},
                              {"auto_end_enabled", "1"}, {"auto_end_timeout_s", "120"},
                              {"public", "1"}})
                .status,
            303);
  ASSERT_EQ(mod.Post(P(sid) + "/queue/clear", {{"if_version", VersionOf(html)}}).status, 303);
  EXPECT_TRUE(Tracks(api, sid).empty());
  EXPECT_EQ(JsonOf(api.Get(A(sid)))["title"].asString(), "Moderated");
}

TEST_F(AdminStreamsTest, ForgedCsrfUnknownIdsAndEscaping) {
  Browser b = Admin();
  ApiClient api = Api();
  const int64_t sid = NewStream(b, "csrf");
  const std::string v = VersionOf(Page(b, sid));
  // A forged or missing token: 403, nothing changes.
  // (Every answer's page carries the real token again, so forge it before each post.)
  const std::string real = b.csrf;
  auto forged = [&](const std::string& path, Fields f) {
    b.csrf = "forged-token";
    return b.Post(path, std::move(f)).status;
  };
  EXPECT_EQ(forged(P(sid) + "/queue", {{"track_id", std::to_string(T(15))}, {"if_version", v}}),
            403);
  EXPECT_EQ(forged(P(sid) + "/start", {}), 403);
  EXPECT_EQ(forged(P(sid), {{"title", "Forged"}, {"slug", "csrf"}, {"auto_end_timeout_s", "300"}}),
            403);
  EXPECT_EQ(b.Post(P(sid) + "/delete", {}, false).status, 403);
  b.csrf = real;
  EXPECT_EQ(JsonOf(api.Get(A(sid)))["title"].asString(), "Stream csrf");
  EXPECT_TRUE(Tracks(api, sid).empty());
  EXPECT_EQ(JsonOf(api.Get(A(sid)))["desired_state"].asString(), "stopped");
  // Unknown and malformed ids: 404 pages in the layout.
  for (const char* path : {"/admin/streams/99999999", "/admin/streams/abc", "/admin/streams/0",
                           "/admin/streams/99999999/delete", "/admin/streams/99999999/queue/clear"}) {
    HttpResponse r = b.Get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_TRUE(Has(r.body, "Back to streams")) << path;
  }
  EXPECT_EQ(b.Post("/admin/streams/99999999/start", {}).status, 404);
  EXPECT_EQ(AddForm(b, 99999999, T(1), "0").status, 404);
  // Injection strings and odd unicode are stored as typed and shown escaped.
  const std::string evil = "<script>alert(1)</script>' OR 1=1; -- \xE2\x80\xAE\xF0\x9F\x8E\xB5";
  const int64_t x = NewStream(b, "evil", evil);
  Json::Value s = JsonOf(api.Get(A(x)));
  EXPECT_EQ(s["title"].asString(), evil);
  for (const std::string& page : {b.Get(P(x)).body, b.Get("/admin/streams?q=evil").body,
                                  b.Get("/admin/streams?q=%3Cscript%3E").body}) {
    EXPECT_FALSE(Has(page, "<script>alert(1)")) << page.substr(0, 300);
    EXPECT_TRUE(Has(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  }
  EXPECT_EQ(StreamIdsOf(b.Get("/admin/streams?q=%27+OR+1%3D1").body), (std::vector<int64_t>{x}));
}

// Real audio: start, skip and stop from the page's buttons reach the streamer, and the
// streamer's pops keep the track index exact.
void MakeTone(const std::string& path, int freq, double secs) {
  ASSERT_EQ(WriteTone(path, freq, secs), "");
}

TEST_F(AdminStreamsTest, StartSkipStopFromThePageReachTheStreamer) {
  Browser b = Admin();
  ApiClient api = Api();
  const std::string media = stack_->dir() + "/media/";
  MakeTone(media + "one.mp3", 440, 30);
  MakeTone(media + "two.mp3", 660, 30);
  std::vector<int64_t> tracks;
  for (const char* f : {"one.mp3", "two.mp3"}) {
    Json::Value t;
    t["path"] = media + f;
    HttpResponse r = api.Post("/api/v1/tracks", t);
    ASSERT_EQ(r.status, 201) << r.body;
    tracks.push_back(JsonOf(r)["id"].asInt64());
  }
  const int64_t sid = NewStream(b, "on-air");
  ASSERT_EQ(b.Post(P(sid), {{"title", "On air"}, {"slug", "on-air"}, {"auto_end_timeout_s", "300"},
                            {"public", "1"}})
                .status,
            303);  // auto-end off: nobody listens in this test
  ASSERT_EQ(AddForm(b, sid, tracks[0], "0").status, 303);
  ASSERT_EQ(AddForm(b, sid, tracks[1], "1").status, 303);
  Page(b, sid);
  HttpResponse skip_stopped = b.Post(P(sid) + "/skip", {});
  EXPECT_EQ(skip_stopped.status, 409);
  HttpResponse start = b.Post(P(sid) + "/start", {});
  ASSERT_EQ(start.status, 303) << start.body;
  Json::Value v = WaitStream(api, sid, [&](const Json::Value& s) {
    return s["state"] == "running" && s["now_playing"].isObject() &&
           s["now_playing"]["track"]["id"].asInt64() == tracks[0];
  });
  // The popped item left the index; the queued one is still there.
  EXPECT_TRUE(Index(tracks[0]).empty());
  EXPECT_EQ(Index(tracks[1]).size(), 1u);
  std::string html = Page(b, sid);
  EXPECT_TRUE(Has(html, "Started \u201cOn air\u201d."));
  EXPECT_TRUE(Has(html, "<strong id=\"now-title\">one</strong>"));
  EXPECT_TRUE(Has(html, "id=\"now-progress\" data-state=\"running\" max=\""));
  EXPECT_TRUE(Has(html, "id=\"skip-button\""));
  ASSERT_EQ(b.Post(P(sid) + "/skip", {}).status, 303);
  WaitStream(api, sid, [&](const Json::Value& s) {
    return s["now_playing"].isObject() && s["now_playing"]["track"]["id"].asInt64() == tracks[1];
  });
  EXPECT_TRUE(Index(tracks[1]).empty());
  Page(b, sid);
  ASSERT_EQ(b.Post(P(sid) + "/stop", {}).status, 303);
  v = WaitStream(api, sid, [](const Json::Value& s) { return s["state"] == "stopped"; });
  EXPECT_EQ(v["desired_state"].asString(), "stopped");
  EXPECT_EQ(v["end_reason"].asString(), "manual");
  html = b.Get("/admin/streams?q=on-air").body;
  EXPECT_TRUE(Has(html, "manual<br><time"));
  EXPECT_EQ(CountRows("SELECT count(*) FROM audit_log WHERE target_id = '" + std::to_string(sid) +
                      "' AND action IN ('stream.start', 'stream.skip', 'stream.stop')"),
            3);
}

}  // namespace
}  // namespace sattva::testing
