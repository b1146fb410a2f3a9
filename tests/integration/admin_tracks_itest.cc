// The admin tracks pages through nginx, driven like a browser without JavaScript: the list with
// search, filters, sort and paging; uploads with the plain multipart form (spooled to a file by
// nginx); add by URL; the track page (edit, where queued, play count); delete with its
// confirmation; the audio through nginx (X-Accel-Redirect, Range); the CSV export; refusals of
// every kind, which change nothing; and what the user role may not do. Real PostgreSQL, Redis,
// nginx and sattva-fcgi.
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/stream_keys.h"
#include "tests/support/api_client.h"
#include "tests/support/form_browser.h"
#include "tests/support/process.h"
#include "tests/support/stack.h"
#include "tests/unit/common/test_files.h"

namespace sattva::testing {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
const char* kBoundary = "----SattvaAdminTracksBoundary3xQ9";
constexpr int64_t kUploadLimit = 200000;  // upload_max_bytes of this suite

// 8 kHz mono 16-bit PCM: 16 kB per second.
std::string Wav(double seconds) {
  return testfiles::WavBytes(8000, 1, static_cast<int64_t>(seconds * 8000));
}

struct FilePart {
  std::string filename;
  std::string data;
};

// A multipart body like a browser's form: csrf_token first (when given), then the files.
std::string Multipart(const std::string& csrf, const std::vector<FilePart>& files) {
  std::string b;
  if (!csrf.empty()) {
    b += std::string("--") + kBoundary + "\r\n";
    b += "Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + csrf + "\r\n";
  }
  for (const FilePart& f : files) {
    b += std::string("--") + kBoundary + "\r\n";
    b += "Content-Disposition: form-data; name=\"file\"; filename=\"" + f.filename + "\"\r\n";
    b += "Content-Type: application/octet-stream\r\n\r\n" + f.data + "\r\n";
  }
  b += std::string("--") + kBoundary + "--\r\n";
  return b;
}

// The track ids of a list page, in order.
std::vector<int64_t> RowIds(const std::string& html) {
  std::vector<int64_t> ids;
  static const std::regex kRow("<tr data-track-id=\"([0-9]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kRow);
       it != std::sregex_iterator(); ++it) {
    ids.push_back(std::stoll((*it)[1].str()));
  }
  return ids;
}

// The shared form browser, plus the tracks pages' upload form.
class Browser : public FormBrowser {
 public:
  using FormBrowser::FormBrowser;
  // The upload form, as a browser without JavaScript sends it.
  HttpResponse Upload(const std::vector<FilePart>& files, const std::string& token) {
    return PostBody("/admin/tracks/upload", Multipart(token, files),
                    std::string("multipart/form-data; boundary=") + kBoundary);
  }
  HttpResponse Login(const std::string& email, const std::string& password) {
    return FormBrowser::Login(email, password, "", "/admin/tracks");
  }
};

class AdminTracksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o;
    o.wsd = false;
    o.streamer = false;
    o.extra_config = {"login_ip_limit = 100000",
                      "upload_max_bytes = " + std::to_string(kUploadLimit),
                      "probe_timeout_ms = 5000"};
    stack_ = new Stack(o);
    admin_password_ = stack_->CreateAdmin("chief@example.com");
    std::filesystem::create_directories(Media());
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  static std::string Media() { return stack_->dir() + "/media"; }
  static std::string Uploads() { return Media() + "/uploads"; }
  int port() const { return stack_->nginx_port; }

  Browser Admin() {
    Browser b(port());
    EXPECT_EQ(b.Login("chief@example.com", admin_password_).status, 303);
    return b;
  }

  Browser AsNewUser(const std::string& email, const std::string& role) {
    ApiClient api(port());
    EXPECT_EQ(api.Login("chief@example.com", admin_password_).status, 200);
    auto [id, password] = CreateUserViaApi(api, email, role);
    Browser b(port());
    EXPECT_EQ(b.Login(email, password).status, 303);
    return b;
  }

  static int64_t Scalar(const std::string& sql) {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }
  static std::string Text(const std::string& sql) {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<std::string>();
  }
  static void Exec(const std::string& sql) {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::nontransaction tx(c);
    tx.exec(sql);
  }
  static int64_t TrackRows() { return Scalar("SELECT count(*) FROM tracks"); }
  static int64_t AuditRows() { return Scalar("SELECT count(*) FROM audit_log"); }
  static std::set<std::string> UploadFiles() {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(Uploads(), ec)) {
      out.insert(e.path().filename().string());
    }
    return out;
  }

  // A WAV file in media_dir registered as a track (by SQL, as the probe would); returns its id.
  static int64_t FileTrack(const std::string& name, const std::string& title,
                           const std::string& artist, const std::string& codec = "pcm_s16le") {
    const std::string path = Media() + "/" + name;
    const std::string bytes = Wav(0.25);
    WriteFile(path, bytes);
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    const int64_t id =
        tx.exec_params1(
              "INSERT INTO tracks (source_kind, source, title, artist, duration_ms, codec, "
              "sample_rate, channels, size_bytes) VALUES ('file', $1, $2, $3, 250, $4, 8000, 1, "
              "$5) RETURNING id",
              std::filesystem::canonical(path).string(), title, artist, codec,
              static_cast<int64_t>(bytes.size()))[0]
            .as<int64_t>();
    tx.commit();
    return id;
  }

  static int64_t UrlTrack(const std::string& url, const std::string& title) {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    const int64_t id = tx.exec_params1(
                             "INSERT INTO tracks (source_kind, source, title, artist, codec, "
                             "sample_rate, channels) VALUES ('url', $1, $2, '', 'mp3', 44100, 2) "
                             "RETURNING id",
                             url, title)[0]
                           .as<int64_t>();
    tx.commit();
    return id;
  }

  static Stack* stack_;
  static std::string admin_password_;
};
Stack* AdminTracksTest::stack_ = nullptr;
std::string AdminTracksTest::admin_password_;

TEST_F(AdminTracksTest, ListSearchesFiltersSortsAndPages) {
  // A prefix no other test uses, so the counts below are this test's own.
  std::vector<int64_t> ids;
  for (int i = 0; i < 12; ++i) {
    char title[32];
    std::snprintf(title, sizeof title, "Zebu %02d", i);
    ids.push_back(FileTrack("zebu" + std::to_string(i) + ".wav", title,
                            i % 2 == 0 ? "Even Band" : "Odd Band",
                            i % 3 == 0 ? "flac" : "pcm_s16le"));
  }
  const int64_t remote = UrlTrack("https://radio.example.com/zebu-live.mp3", "Zebu Live");
  // Queued in two streams, as the queue scripts keep it.
  auto redis = stack_->RedisClient();
  redis->Checked({"HSET", common::TrackQueuedKey(ids[1]), "7", "2", "9", "1"});

  Browser b = Admin();
  HttpResponse all = b.Get("/admin/tracks?q=zebu&per_page=50");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.body.find("id=\"tracks-table\""), std::string::npos);
  std::vector<int64_t> expected = ids;
  expected.push_back(remote);
  EXPECT_EQ(RowIds(all.body), expected);
  EXPECT_NE(all.body.find("Showing 1\u201313 of 13 tracks"), std::string::npos);
  // Columns: duration, bitrate from size and duration, sample rate, size, queued in.
  EXPECT_NE(all.body.find("0:00"), std::string::npos);
  EXPECT_NE(all.body.find("8 kHz"), std::string::npos);
  EXPECT_NE(all.body.find("129 kbps"), std::string::npos);  // 4044 bytes * 8 / 0.25 s
  EXPECT_NE(all.body.find("data-queued=\"2\">2 streams"), std::string::npos);
  EXPECT_NE(all.body.find("class=\"btn btn-small export-csv\" href=\"/admin/tracks/export.csv?q=zebu\""),
            std::string::npos)
      << all.body;

  // Search matches the artist too, case-insensitively.
  HttpResponse odd = b.Get("/admin/tracks?q=odd%20BAND&per_page=50");
  ASSERT_EQ(odd.status, 200);
  EXPECT_EQ(RowIds(odd.body).size(), 6u);

  // Filters: codec, source, and both with the search.
  HttpResponse flac = b.Get("/admin/tracks?q=zebu&codec=flac");
  ASSERT_EQ(flac.status, 200);
  EXPECT_EQ(RowIds(flac.body), (std::vector<int64_t>{ids[0], ids[3], ids[6], ids[9]}));
  HttpResponse urls = b.Get("/admin/tracks?q=zebu&source=url");
  EXPECT_EQ(RowIds(urls.body), (std::vector<int64_t>{remote}));
  HttpResponse files = b.Get("/admin/tracks?q=zebu&source=file&codec=flac&per_page=10");
  EXPECT_EQ(RowIds(files.body).size(), 4u);
  // The API takes the same filters.
  ApiClient api(port());
  ASSERT_EQ(api.Login("chief@example.com", admin_password_).status, 200);
  HttpResponse apiflac = api.Get("/api/v1/tracks?q=zebu&codec=flac&source=file");
  ASSERT_EQ(apiflac.status, 200);
  EXPECT_EQ(JsonOf(apiflac)["total"].asInt64(), 4);
  EXPECT_EQ(api.Get("/api/v1/tracks?source=ftp").status, 422);

  // Sort by title descending, then paging through 5 per page... per_page is a choice list.
  HttpResponse desc = b.Get("/admin/tracks?q=zebu&sort=title&order=desc&per_page=10");
  ASSERT_EQ(desc.status, 200);
  std::vector<int64_t> page1 = RowIds(desc.body);
  ASSERT_EQ(page1.size(), 10u);
  EXPECT_EQ(page1[0], remote);  // "zebu live" after "zebu 11": letters sort after digits
  EXPECT_EQ(page1[1], ids[11]);
  EXPECT_NE(desc.body.find("aria-sort=\"descending\""), std::string::npos);
  HttpResponse page2 = b.Get("/admin/tracks?q=zebu&sort=title&order=desc&per_page=10&page=2");
  ASSERT_EQ(page2.status, 200);
  EXPECT_EQ(RowIds(page2.body), (std::vector<int64_t>{ids[2], ids[1], ids[0]}));
  EXPECT_NE(page2.body.find("Showing 11\u201313 of 13 tracks"), std::string::npos);
  EXPECT_NE(page2.body.find("rel=\"prev\""), std::string::npos);

  // Bad parameters: 422 with the reason, inside the layout.
  for (const char* bad : {"/admin/tracks?codec=mp4x", "/admin/tracks?source=ftp",
                                 "/admin/tracks?sort=size_bytes", "/admin/tracks?page=0",
                                 "/admin/tracks?per_page=101", "/admin/tracks?q=%FF"}) {
    HttpResponse r = b.Get(bad);
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_NE(r.body.find("error-page"), std::string::npos) << bad;
  }
  // Injection strings are only text.
  HttpResponse inj = b.Get("/admin/tracks?q=%27%3B%20DROP%20TABLE%20tracks%3B--%3Cscript%3E");
  EXPECT_EQ(inj.status, 200);
  EXPECT_EQ(inj.body.find("<script>"), std::string::npos);
  EXPECT_NE(inj.body.find("No tracks to show"), std::string::npos);
}

TEST_F(AdminTracksTest, AnonymousIsSentToLoginAndOnlySignedInSeesTheList) {
  HttpResponse r = HttpGet(port(), "/admin/tracks");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location").rfind("/admin/login?next=", 0), 0u);
}

TEST_F(AdminTracksTest, UploadOneAndTwoFilesWithThePlainForm) {
  Browser b = Admin();
  ASSERT_FALSE(b.csrf.empty());
  const int64_t before = TrackRows();
  const int64_t creates = Scalar("SELECT count(*) FROM audit_log WHERE action = 'track.create'");
  HttpResponse one = b.Upload({{"First Upload.wav", Wav(0.5)}}, b.csrf);
  ASSERT_EQ(one.status, 303) << one.body;
  const std::string loc = one.Header("location");
  ASSERT_EQ(loc.rfind("/admin/tracks/", 0), 0u) << loc;
  EXPECT_EQ(TrackRows(), before + 1);
  HttpResponse page = b.Get(loc);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Uploaded \u201cFirst Upload\u201d."), std::string::npos);
  EXPECT_NE(page.body.find("<audio id=\"track-audio\""), std::string::npos);
  EXPECT_NE(page.body.find(loc + "/audio"), std::string::npos);
  EXPECT_NE(page.body.find("<dt>Added by</dt><dd><a href=\"/admin/users/"), std::string::npos);

  HttpResponse two = b.Upload({{"Second.wav", Wav(0.25)}, {"Third.wav", Wav(0.3)}}, b.csrf);
  ASSERT_EQ(two.status, 303) << two.body;
  EXPECT_EQ(TrackRows(), before + 3);
  HttpResponse list = b.Get(two.Header("location"));
  EXPECT_NE(list.body.find("Uploaded 2 tracks: Second, Third."), std::string::npos);
  EXPECT_EQ(Scalar("SELECT count(*) FROM audit_log WHERE action = 'track.create'"), creates + 3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM tracks WHERE source_kind = 'upload' AND title IN "
                   "('First Upload', 'Second', 'Third') AND created_by IS NOT NULL"),
            3);
}

TEST_F(AdminTracksTest, RefusedUploadsSayWhyAndStoreNothing) {
  Browser b = Admin();
  b.Upload({{"seed.wav", Wav(0.1)}}, b.csrf);  // media/uploads exists from here on
  const int64_t rows = TrackRows();
  const int64_t audits = AuditRows();
  const std::set<std::string> files = UploadFiles();
  b.Get("/admin/tracks");
  struct Case {
    std::string what;
    std::vector<FilePart> files;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"text file", {{"notes.mp3", "just some text, not audio\n"}}, 422, "Not an audio file"},
      {"0-byte file", {{"empty.wav", ""}}, 422, "The file is empty (0 bytes)"},
      {"no file chosen", {{"", ""}}, 422, "Choose a file to upload"},
      {"one good, one bad",
       {{"good.wav", Wav(0.2)}, {"bad.ogg", "OggS but not really"}},
       422,
       "\u201cbad.ogg\u201d: not an audio file"},
      {"too large", {{"big.wav", Wav(kUploadLimit / 16000.0 + 1)}}, 413, "upload limit"},
  };
  for (const Case& c : cases) {
    HttpResponse r = b.Upload(c.files, b.csrf);
    EXPECT_EQ(r.status, c.status) << c.what << "\n" << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.what << "\n" << r.body;
    if (c.status == 422) {
      EXPECT_NE(r.body.find("id=\"upload-errors\""), std::string::npos) << c.what;
    }
    EXPECT_EQ(TrackRows(), rows) << c.what;
    EXPECT_EQ(UploadFiles(), files) << c.what << " left a file";
  }
  EXPECT_NE(b.Upload({{"good.wav", Wav(0.2)}, {"bad.ogg", "x"}}, b.csrf)
                .body.find("Nothing was stored"),
            std::string::npos);
  // A forged or missing CSRF token: 403, nothing stored.
  for (const std::string& token : {std::string("forged-token"), std::string()}) {
    HttpResponse r = b.Upload({{"ok.wav", Wav(0.2)}}, token);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(TrackRows(), rows);
    EXPECT_EQ(UploadFiles(), files);
  }
  EXPECT_EQ(AuditRows(), audits);
}

TEST_F(AdminTracksTest, AddByUrlProbesAndRefusesWhatIsNotHttp) {
  Browser b = Admin();
  const int64_t rows = TrackRows();
  struct Case {
    std::string url;
    std::string title;
    int status;
    std::string message;
  };
  const std::string base = "http://127.0.0.1:" + std::to_string(port());
  const std::vector<Case> cases = {
      {"ftp://example.com/song.mp3", "", 422, "Url must start with http:// or https://"},
      {"", "", 422, "Url must not be empty"},
      {"javascript:alert(1)", "", 422, "http:// or https://"},
      {"https://example.com/a b.mp3", "", 422, "printable ASCII"},
      {base + "/static/favicon.svg", "", 422, "Not an audio file"},
      {"https://example.com/x.mp3", std::string(501, 'a'), 422, "at most 500 characters"},
  };
  for (const Case& c : cases) {
    HttpResponse r = b.Post("/admin/tracks/url", {{"url", c.url}, {"title", c.title}});
    EXPECT_EQ(r.status, c.status) << c.url << "\n" << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.url << "\n" << r.body;
    EXPECT_NE(r.body.find("id=\"url-error\""), std::string::npos) << c.url;
    EXPECT_EQ(TrackRows(), rows) << c.url;
  }
  // What was typed is kept.
  HttpResponse kept = b.Post("/admin/tracks/url", {{"url", "ftp://kept.example/x.mp3"},
                                                   {"title", "Kept Title"},
                                                   {"artist", "Kept Artist"}});
  EXPECT_NE(kept.body.find("value=\"ftp://kept.example/x.mp3\""), std::string::npos);
  EXPECT_NE(kept.body.find("value=\"Kept Title\""), std::string::npos);
  EXPECT_NE(kept.body.find("value=\"Kept Artist\""), std::string::npos);
  // Forged CSRF.
  HttpResponse forged = b.Post("/admin/tracks/url", {{"url", "https://example.com/y.mp3"},
                                                     {"csrf_token", "nope"}},
                               false);
  EXPECT_EQ(forged.status, 403);

  // A real http URL: a file served by a small local web server.
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no python3 for a local web server";
  const std::string web = stack_->dir() + "/web";
  std::filesystem::create_directories(web);
  WriteFile(web + "/remote song.wav", Wav(0.5));
  const int web_port = FreePort();
  Process server;
  server.Start({"/usr/bin/python3", "-m", "http.server", std::to_string(web_port), "--bind",
                "127.0.0.1", "--directory", web},
               stack_->log_path("web"));
  ASSERT_TRUE(WaitForPort(web_port, std::chrono::seconds(10)));
  const std::string url = "http://127.0.0.1:" + std::to_string(web_port) + "/remote%20song.wav";
  HttpResponse ok = b.Post("/admin/tracks/url", {{"url", url}, {"artist", "Web Artist"}});
  ASSERT_EQ(ok.status, 303) << ok.body;
  HttpResponse page = b.Get(ok.Header("location"));
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Added \u201cremote song\u201d."), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("id=\"track-remote\""), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"track-audio\""), std::string::npos);
  EXPECT_EQ(TrackRows(), rows + 1);
  // The same URL again: 409.
  HttpResponse dup = b.Post("/admin/tracks/url", {{"url", url}});
  EXPECT_EQ(dup.status, 409);
  EXPECT_NE(dup.body.find("already registered"), std::string::npos);
  server.Stop(SIGTERM, std::chrono::seconds(5));
}

TEST_F(AdminTracksTest, TrackPageEditsTitleAndArtistAndKeepsWhatWasTyped) {
  const int64_t id = FileTrack("edit-me.wav", "Before Title", "Before Artist");
  const std::string url = "/admin/tracks/" + std::to_string(id);
  Exec("INSERT INTO streams (slug, title) VALUES ('edit-stream', 'Edit Stream')");
  const int64_t sid = Scalar("SELECT id FROM streams WHERE slug = 'edit-stream'");
  Exec("INSERT INTO play_history (stream_id, track_id) VALUES (" + std::to_string(sid) + ", " +
       std::to_string(id) + "), (" + std::to_string(sid) + ", " + std::to_string(id) + ")");
  auto redis = stack_->RedisClient();
  redis->Checked({"HSET", common::TrackQueuedKey(id), std::to_string(sid), "3"});

  Browser b = Admin();
  HttpResponse page = b.Get(url);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("id=\"track-form\""), std::string::npos);
  EXPECT_NE(page.body.find("data-count=\"2\">2 times"), std::string::npos);
  EXPECT_NE(page.body.find("<a href=\"/admin/streams/" + std::to_string(sid) +
                           "\">Edit Stream</a>: 3 items"),
            std::string::npos)
      << page.body;

  const int64_t audits = AuditRows();
  struct Case {
    std::string title;
    std::string artist;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "Typed Artist", "Title must not be empty"},
           {"   ", "Typed Artist", "Title must not be empty"},
           {std::string(501, 'x'), "Typed Artist", "at most 500 characters"},
           {"Bell\x07", "Typed Artist", "control characters"},
           {"Fine", std::string(501, 'y'), "at most 500 characters"}}) {
    HttpResponse r = b.Post(url, {{"title", c.title}, {"artist", c.artist}});
    EXPECT_EQ(r.status, 422) << c.message;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("id=\"track-form-error\""), std::string::npos);
    EXPECT_NE(r.body.find("value=\"" + c.artist + "\""), std::string::npos) << c.message;
  }
  EXPECT_EQ(Text("SELECT title FROM tracks WHERE id = " + std::to_string(id)), "Before Title");
  EXPECT_EQ(AuditRows(), audits);

  HttpResponse forged = b.Post(url, {{"title", "Forged"}, {"csrf_token", "bad"}}, false);
  EXPECT_EQ(forged.status, 403);
  EXPECT_EQ(b.Post("/admin/tracks/999999", {{"title", "X"}}).status, 404);
  EXPECT_EQ(b.Get("/admin/tracks/999999").status, 404);
  EXPECT_EQ(b.Get("/admin/tracks/abc").status, 404);

  HttpResponse saved = b.Post(url, {{"title", "After \xF0\x9F\x8E\xB5 <b>"}, {"artist", "After"}});
  ASSERT_EQ(saved.status, 303) << saved.body;
  EXPECT_EQ(Text("SELECT title FROM tracks WHERE id = " + std::to_string(id)),
            "After \xF0\x9F\x8E\xB5 <b>");
  EXPECT_EQ(AuditRows(), audits + 1);
  EXPECT_EQ(Text("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1"), "track.update");
  HttpResponse after = b.Get(url);
  EXPECT_NE(after.body.find("After \xF0\x9F\x8E\xB5 &lt;b&gt;"), std::string::npos);
  EXPECT_NE(after.body.find("Saved the changes"), std::string::npos);
  // Nothing changed: an info flash, no audit row.
  HttpResponse same =
      b.Post(url, {{"title", "After \xF0\x9F\x8E\xB5 <b>"}, {"artist", "After"}});
  EXPECT_EQ(same.status, 303);
  EXPECT_EQ(AuditRows(), audits + 1);
}

TEST_F(AdminTracksTest, AudioIsServedByNginxWithRanges) {
  const std::string bytes = Wav(1.0);
  WriteFile(Media() + "/audio test.wav", bytes);
  Browser b = Admin();
  const int64_t id = [&] {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    const int64_t v = tx.exec_params1(
                            "INSERT INTO tracks (source_kind, source, title, codec, sample_rate, "
                            "channels, size_bytes, duration_ms) VALUES ('file', $1, 'Audio', "
                            "'pcm_s16le', 8000, 1, $2, 1000) RETURNING id",
                            std::filesystem::canonical(Media() + "/audio test.wav").string(),
                            static_cast<int64_t>(bytes.size()))[0]
                          .as<int64_t>();
    tx.commit();
    return v;
  }();
  const std::string url = "/admin/tracks/" + std::to_string(id) + "/audio";
  HttpResponse whole = b.Get(url);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.body, bytes);
  EXPECT_EQ(whole.Header("content-type"), "audio/wav");
  EXPECT_EQ(whole.Header("x-accel-redirect"), "");  // nginx consumed it
  HttpResponse part = b.Get(url, {{"Range", "bytes=100-199"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, bytes.substr(100, 100));
  EXPECT_EQ(part.Header("content-range"), "bytes 100-199/" + std::to_string(bytes.size()));

  // Anonymous: to the login page; unknown: 404; a URL track: 404 saying why.
  HttpResponse anon = HttpGet(port(), url);
  EXPECT_EQ(anon.status, 303);
  EXPECT_NE(anon.body, bytes);
  EXPECT_EQ(b.Get("/admin/tracks/987654/audio").status, 404);
  const int64_t remote = UrlTrack("https://example.com/remote-audio.mp3", "Remote");
  HttpResponse r = b.Get("/admin/tracks/" + std::to_string(remote) + "/audio");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("no local file"), std::string::npos);
  // The internal location is not reachable from outside.
  EXPECT_EQ(HttpGet(port(), "/__sattva_media/audio%20test.wav").status, 404);
}

TEST_F(AdminTracksTest, DeleteStatesWhatHappensToQueueItemsAndRefusesAPlaceholder) {
  const int64_t id = FileTrack("delete-me.wav", "Delete Me", "");
  const std::string url = "/admin/tracks/" + std::to_string(id);
  Exec("INSERT INTO streams (slug, title) VALUES ('del-stream', 'Del Stream')");
  const int64_t sid = Scalar("SELECT id FROM streams WHERE slug = 'del-stream'");
  auto redis = stack_->RedisClient();
  redis->Checked({"HSET", common::TrackQueuedKey(id), std::to_string(sid), "2"});
  Browser b = Admin();
  HttpResponse confirm = b.Get(url + "/delete");
  ASSERT_EQ(confirm.status, 200);
  EXPECT_NE(confirm.body.find("<strong>2 queue items</strong> in 1 stream hold this track. They "
                              "stay in their queues and are skipped when their turn comes."),
            std::string::npos)
      << confirm.body;

  // The placeholder of a live stream: 409, nothing deleted.
  Exec("UPDATE streams SET placeholder_track_id = " + std::to_string(id) + " WHERE id = " +
       std::to_string(sid));
  HttpResponse refused = b.Post(url + "/delete", {});
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("placeholder of stream(s) del-stream"), std::string::npos);
  EXPECT_EQ(Scalar("SELECT count(*) FROM tracks WHERE deleted_at IS NULL AND id = " +
                   std::to_string(id)),
            1);
  Exec("UPDATE streams SET placeholder_track_id = NULL WHERE id = " + std::to_string(sid));

  EXPECT_EQ(b.Post(url + "/delete", {{"csrf_token", "forged"}}, false).status, 403);
  HttpResponse done = b.Post(url + "/delete", {});
  ASSERT_EQ(done.status, 303);
  EXPECT_EQ(done.Header("location"), "/admin/tracks");
  EXPECT_EQ(Scalar("SELECT count(*) FROM tracks WHERE deleted_at IS NOT NULL AND id = " +
                   std::to_string(id)),
            1);
  EXPECT_EQ(Text("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1"), "track.delete");
  EXPECT_EQ(b.Get(url).status, 404);
  EXPECT_EQ(b.Post(url + "/delete", {}).status, 404);
}

TEST_F(AdminTracksTest, UserRoleSeesNoControlsAndIsRefused) {
  const int64_t id = FileTrack("user-view.wav", "User View", "");
  const std::string url = "/admin/tracks/" + std::to_string(id);
  Browser u = AsNewUser("listener@example.com", "user");
  HttpResponse list = u.Get("/admin/tracks");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("id=\"tracks-table\""), std::string::npos);
  EXPECT_EQ(list.body.find("id=\"upload-form\""), std::string::npos);
  EXPECT_EQ(list.body.find("id=\"url-form\""), std::string::npos);
  HttpResponse page = u.Get(url);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"track-audio\""), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"track-form\""), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"delete-link\""), std::string::npos);
  EXPECT_EQ(u.Get(url + "/audio").status, 200);

  const int64_t rows = TrackRows();
  EXPECT_EQ(u.Upload({{"sneaky.wav", Wav(0.2)}}, u.csrf).status, 403);
  EXPECT_EQ(u.Post("/admin/tracks/url", {{"url", "https://example.com/s.mp3"}}).status, 403);
  EXPECT_EQ(u.Post(url, {{"title", "Hacked"}}).status, 403);
  EXPECT_EQ(u.Get(url + "/delete").status, 403);
  EXPECT_EQ(u.Post(url + "/delete", {}).status, 403);
  EXPECT_EQ(TrackRows(), rows);
  EXPECT_EQ(Text("SELECT title FROM tracks WHERE id = " + std::to_string(id)), "User View");
}

TEST_F(AdminTracksTest, ExportCsvHonoursTheFilters) {
  FileTrack("export-a.wav", "Yak Export A", "Exporter", "flac");
  FileTrack("export-b.wav", "Yak Export B", "Exporter", "pcm_s16le");
  FileTrack("export-c.wav", "=Yak Export C", "Exporter", "flac");
  Browser b = Admin();
  HttpResponse r = b.Get("/admin/tracks/export.csv?q=yak&codec=flac&sort=id&order=desc");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type").rfind("text/csv", 0), 0u);
  EXPECT_NE(r.Header("content-disposition").find("attachment"), std::string::npos);
  const std::string header =
      "id,title,artist,duration_ms,codec,bitrate,sample_rate,channels,size_bytes,source_kind,"
      "source,created_by,created_by_email,created_at\r\n";
  ASSERT_EQ(r.body.rfind(header, 0), 0u) << r.body;
  EXPECT_NE(r.body.find(",Yak Export A,Exporter,250,flac,"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(",'=Yak Export C,"), std::string::npos) << r.body;  // no formula
  EXPECT_EQ(r.body.find("Yak Export B"), std::string::npos);
  EXPECT_LT(r.body.find("Yak Export C"), r.body.find("Yak Export A"));  // newest first
  // The same filters as JSON.
  HttpResponse j = b.Get("/admin/tracks/export.json?q=yak&codec=flac");
  ASSERT_EQ(j.status, 200);
  Json::Value v = JsonOf(j);
  ASSERT_TRUE(v.isArray());
  EXPECT_EQ(v.size(), 2u);
  // A bad filter is a 422 page, not a broken download; anonymous goes to login.
  EXPECT_EQ(b.Get("/admin/tracks/export.csv?codec=nope").status, 422);
  EXPECT_EQ(HttpGet(port(), "/admin/tracks/export.csv").status, 303);
}

// Runs last in the suite: it makes the catalog large.
TEST_F(AdminTracksTest, LargeCatalogTotalsAreEstimatedOrCapped) {
  Exec("INSERT INTO tracks (source_kind, source, title, artist, codec) SELECT 'url', "
       "'https://bulk.example.com/' || g || '.mp3', 'Bulk ' || g, 'Bulk Band', 'mp3' "
       "FROM generate_series(1, 10050) g");
  Exec("ANALYZE tracks");
  Browser b = Admin();
  HttpResponse all = b.Get("/admin/tracks");
  ASSERT_EQ(all.status, 200);
  EXPECT_NE(all.body.find("Showing 1\u201320 of about 10,"), std::string::npos)
      << all.body.substr(all.body.find("tracks-summary"), 200);
  HttpResponse bulk = b.Get("/admin/tracks?q=bulk&per_page=100&page=3");
  ASSERT_EQ(bulk.status, 200);
  EXPECT_EQ(RowIds(bulk.body).size(), 100u);
  EXPECT_NE(bulk.body.find("Showing 201\u2013300 of more than 1,000 tracks"), std::string::npos);
  EXPECT_NE(bulk.body.find("rel=\"next\""), std::string::npos);
  // Deep pages still know there is a next one.
  HttpResponse deep = b.Get("/admin/tracks?q=bulk&per_page=100&page=50");
  EXPECT_NE(deep.body.find("Showing 4,901\u20135,000 of more than 5,000 tracks"),
            std::string::npos);
  EXPECT_NE(deep.body.find("rel=\"next\""), std::string::npos);
  // A filter that matches few is counted exactly.
  HttpResponse few = b.Get("/admin/tracks?q=bulk%2010049");
  EXPECT_NE(few.body.find("Showing 1\u20131 of 1 track"), std::string::npos);
}

}  // namespace
}  // namespace sattva::testing
