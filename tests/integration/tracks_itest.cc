// The track catalog through nginx: registering by path (inside media_dir only), by URL and by
// multipart upload (nginx writes the body to a file, fcgi streams it), probing, refusals that
// leave nothing behind, listing and search, edits, deletes and permissions. Real PostgreSQL,
// Redis, nginx and sattva-fcgi.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "fcgi/tracks.h"
#include "tests/support/api_client.h"
#include "tests/support/process.h"
#include "tests/support/stack.h"
#include "tests/unit/common/test_files.h"

namespace sattva::testing {
namespace {

constexpr int64_t kUploadLimit = 100000;  // upload_max_bytes of this suite
constexpr int64_t kMaxBody = 65536;       // fcgi_max_body_bytes of this suite
const char* kBoundary = "----SattvaTestBoundary7MA4YWxkTrZu0gW";

// 8 kHz mono 16-bit PCM: 16 kB per second.
std::string Wav(double seconds) {
  return testfiles::WavBytes(8000, 1, static_cast<int64_t>(seconds * 8000));
}

struct Part {
  std::string name;
  std::string data;
  std::string filename;  // "" with has_filename=false: a plain field
  bool has_filename = false;
  std::string content_type;
};

Part FilePart(const std::string& filename, const std::string& data,
              const std::string& type = "application/octet-stream") {
  return Part{"file", data, filename, true, type};
}
Part Field(const std::string& name, const std::string& value) {
  return Part{name, value, "", false, ""};
}

std::string Multipart(const std::vector<Part>& parts, bool close = true) {
  std::string b;
  for (const Part& p : parts) {
    b += std::string("--") + kBoundary + "\r\n";
    b += "Content-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.has_filename) b += "; filename=\"" + p.filename + "\"";
    b += "\r\n";
    if (!p.content_type.empty()) b += "Content-Type: " + p.content_type + "\r\n";
    b += "\r\n" + p.data + "\r\n";
  }
  if (close) b += std::string("--") + kBoundary + "--\r\n";
  return b;
}

class TracksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o;
    o.wsd = false;
    o.streamer = false;
    // fcgi_max_body_bytes is below the upload limit: uploads that work prove the multipart body
    // is streamed from nginx's file, never read into memory as a request body.
    o.extra_config = {
        "login_ip_limit = 100000", "upload_max_bytes = " + std::to_string(kUploadLimit),
        "fcgi_max_body_bytes = " + std::to_string(kMaxBody), "probe_timeout_ms = 5000"};
    stack_ = new Stack(o);
    admin_password_ = stack_->CreateAdmin("root@example.com");
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  static std::string Media() { return stack_->dir() + "/media"; }
  static std::string Uploads() { return Media() + "/uploads"; }

  ApiClient Admin() {
    ApiClient c(stack_->nginx_port);
    HttpResponse r = c.Login("root@example.com", admin_password_);
    EXPECT_EQ(r.status, 200) << r.body;
    return c;
  }

  ApiClient NewUserClient(const std::string& email, const std::string& role) {
    ApiClient admin = Admin();
    auto [id, password] = CreateUserViaApi(admin, email, role);
    ApiClient c(stack_->nginx_port);
    EXPECT_EQ(c.Login(email, password).status, 200);
    return c;
  }

  // POST /api/v1/tracks with a multipart body, as `c`'s browser session would send it.
  HttpResponse Upload(ApiClient& c, const std::string& body, bool with_csrf = true,
                      const std::string& content_type = "") {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Content-Type", content_type.empty()
                             ? std::string("multipart/form-data; boundary=") + kBoundary
                             : content_type},
        {"Cookie", c.cookie},
        {"Origin", c.origin()}};
    if (with_csrf) h.emplace_back("X-CSRF-Token", c.csrf_token);
    return HttpRequest(stack_->nginx_port, "POST", "/api/v1/tracks", body, h, 30000);
  }

  HttpResponse RegisterPath(ApiClient& c, const std::string& path, const std::string& title = "",
                            const std::string& artist = "") {
    Json::Value b;
    b["path"] = path;
    if (!title.empty()) b["title"] = title;
    if (!artist.empty()) b["artist"] = artist;
    return c.Post("/api/v1/tracks", b);
  }

  // A fresh WAV in media_dir, registered by path; returns its id.
  int64_t NewTrack(ApiClient& c, const std::string& name, const std::string& title,
                   const std::string& artist = "") {
    WriteFile(Media() + "/" + name, Wav(0.25));
    HttpResponse r = RegisterPath(c, name, title, artist);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }

  static int64_t Count(const std::string& sql) {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }
  static int64_t TrackRows() { return Count("SELECT count(*) FROM tracks"); }

  // Every entry of media/uploads, temp files included.
  static std::set<std::string> UploadFiles() {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(Uploads(), ec)) {
      out.insert(e.path().filename().string());
    }
    return out;
  }

  static void ExpectError(const HttpResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(JsonOf(r)["error"]["code"].asString(), code) << r.body;
    EXPECT_NE(r.Header("content-type").find("application/json"), std::string::npos) << r.body;
  }

  static Stack* stack_;
  static std::string admin_password_;
};
Stack* TracksTest::stack_ = nullptr;
std::string TracksTest::admin_password_;

TEST_F(TracksTest, RegisterByPathProbesAndStoresTheRealPath) {
  ApiClient admin = Admin();
  const int64_t me = JsonOf(admin.Get("/api/v1/auth/me"))["user"]["id"].asInt64();
  std::filesystem::create_directories(Media() + "/albums/first");
  const std::string wav = Wav(1.0);
  WriteFile(Media() + "/albums/first/Opening Theme.wav", wav);
  HttpResponse r = RegisterPath(admin, "albums/first/Opening Theme.wav");
  ASSERT_EQ(r.status, 201) << r.body;
  Json::Value t = JsonOf(r);
  const int64_t id = t["id"].asInt64();
  EXPECT_EQ(r.Header("location"), "/api/v1/tracks/" + std::to_string(id));
  EXPECT_EQ(t["source_kind"].asString(), "file");
  EXPECT_EQ(t["source"].asString(), "albums/first/Opening Theme.wav");
  EXPECT_EQ(t["title"].asString(), "Opening Theme") << "no tags: the file name";
  EXPECT_EQ(t["artist"].asString(), "");
  EXPECT_EQ(t["duration_ms"].asInt64(), 1000);
  EXPECT_EQ(t["codec"].asString(), "pcm_s16le");
  EXPECT_EQ(t["sample_rate"].asInt(), 8000);
  EXPECT_EQ(t["channels"].asInt(), 1);
  EXPECT_EQ(t["size_bytes"].asInt64(), static_cast<int64_t>(wav.size()));
  EXPECT_EQ(t["created_by"].asInt64(), me);
  EXPECT_FALSE(t["created_at"].asString().empty());
  // Stored as the resolved absolute path.
  pqxx::connection c(stack_->pg_dsn());
  pqxx::nontransaction tx(c);
  const std::string stored =
      tx.exec_params1("SELECT source FROM tracks WHERE id = $1", id)[0].as<std::string>();
  EXPECT_EQ(stored,
            std::filesystem::canonical(Media()).string() + "/albums/first/Opening Theme.wav");
  // GET gives the same.
  HttpResponse get = admin.Get("/api/v1/tracks/" + std::to_string(id));
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(JsonOf(get), t);
  // The same file again, however it is spelled, is a conflict naming the track.
  for (const std::string& p : {std::string("albums/first/Opening Theme.wav"),
                               std::string("./albums/../albums/first/Opening Theme.wav"),
                               Media() + "/albums/first/Opening Theme.wav"}) {
    HttpResponse dup = RegisterPath(admin, p);
    ExpectError(dup, 409, "conflict");
    EXPECT_NE(JsonOf(dup)["error"]["message"].asString().find(std::to_string(id)),
              std::string::npos);
  }
  // Explicit title and artist win over the fallback; audited.
  WriteFile(Media() + "/second.wav", Wav(0.5));
  HttpResponse named = RegisterPath(admin, "second.wav", "Given Title", "Given Artist");
  ASSERT_EQ(named.status, 201) << named.body;
  EXPECT_EQ(JsonOf(named)["title"].asString(), "Given Title");
  EXPECT_EQ(JsonOf(named)["artist"].asString(), "Given Artist");
  HttpResponse audit = admin.Get("/api/v1/audit?action=track.create&target_id=" +
                                 std::to_string(JsonOf(named)["id"].asInt64()));
  ASSERT_EQ(audit.status, 200);
  Json::Value items = JsonOf(audit)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["changes"]["title"].asString(), "Given Title");
  EXPECT_EQ(items[0]["changes"]["source"].asString(), "second.wav");
  EXPECT_EQ(items[0]["changes"]["source_kind"].asString(), "file");
}

TEST_F(TracksTest, TagsFillTitleAndArtist) {
  const std::string path = Media() + "/tagged.mp3";
  const std::string cmd =
      "/usr/bin/ffmpeg -loglevel error -y -f lavfi -i "
      "'sine=frequency=440:duration=1' -metadata title='Tag Title' "
      "-metadata artist='Tag Artist' -c:a libmp3lame -b:a 64k '" +
      path + "' </dev/null";
  if (access("/usr/bin/ffmpeg", X_OK) != 0 || std::system(cmd.c_str()) != 0) {
    GTEST_SKIP() << "ffmpeg cannot make an mp3 here";
  }
  ApiClient admin = Admin();
  HttpResponse r = RegisterPath(admin, "tagged.mp3");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(JsonOf(r)["title"].asString(), "Tag Title");
  EXPECT_EQ(JsonOf(r)["artist"].asString(), "Tag Artist");
  EXPECT_EQ(JsonOf(r)["codec"].asString(), "mp3");
}

TEST_F(TracksTest, PathsOutsideTheMediaDirAreRefusedAlike) {
  ApiClient admin = Admin();
  std::error_code ec;
  std::filesystem::remove(Media() + "/etc_link", ec);
  std::filesystem::create_directory_symlink("/etc", Media() + "/etc_link");
  std::filesystem::create_symlink("/etc/passwd", Media() + "/passwd.wav", ec);
  const int64_t before = TrackRows();
  std::string message;
  for (const char* p : {"../../etc/passwd", "../../../../../../../../etc/passwd", "/etc/passwd",
                        "/etc/no-such-file.wav", "etc_link/passwd", "etc_link/no-such-file.wav",
                        "etc_link/../etc_link/hostname", "passwd.wav", "..", "/"}) {
    HttpResponse r = RegisterPath(admin, p);
    ExpectError(r, 422, "path_outside_media_dir");
    // Whether the outside file exists is not told.
    if (message.empty()) message = JsonOf(r)["error"]["message"].asString();
    EXPECT_EQ(JsonOf(r)["error"]["message"].asString(), message) << p;
  }
  ExpectError(RegisterPath(admin, "no-such-file.wav"), 422, "file_not_found");
  std::filesystem::create_directories(Media() + "/a-directory");
  ExpectError(RegisterPath(admin, "a-directory"), 422, "validation_failed");
  ExpectError(RegisterPath(admin, std::string("x.wav") + '\0' + "/../../etc/passwd"), 422,
              "validation_failed");
  ExpectError(RegisterPath(admin, ""), 422, "validation_failed");
  EXPECT_EQ(TrackRows(), before) << "a refused path stored a row";
}

TEST_F(TracksTest, RegisterByUrl) {
  const std::string web = stack_->dir() + "/web";
  std::filesystem::create_directories(web);
  WriteFile(web + "/Night Drive.wav", Wav(2.0));
  WriteFile(web + "/notes.txt", "this is plain text, not audio at all\n");
  const int port = FreePort();
  Process server;
  server.Start({"/usr/bin/python3", "-m", "http.server", std::to_string(port), "--bind",
                "127.0.0.1", "--directory", web},
               stack_->log_path("http-server"));
  ASSERT_TRUE(WaitForPort(port, std::chrono::seconds(20))) << Tail(stack_->log_path("http-server"));
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  ApiClient admin = Admin();
  Json::Value b;
  b["url"] = base + "/Night%20Drive.wav";
  HttpResponse r = admin.Post("/api/v1/tracks", b);
  ASSERT_EQ(r.status, 201) << r.body;
  Json::Value t = JsonOf(r);
  EXPECT_EQ(t["source_kind"].asString(), "url");
  EXPECT_EQ(t["source"].asString(), base + "/Night%20Drive.wav");
  EXPECT_EQ(t["title"].asString(), "Night Drive");
  EXPECT_EQ(t["duration_ms"].asInt64(), 2000);
  EXPECT_TRUE(t["size_bytes"].isNull());
  ExpectError(admin.Post("/api/v1/tracks", b), 409, "conflict");

  const int64_t before = TrackRows();
  for (const std::string& bad : std::vector<std::string>{
           "ftp://127.0.0.1/x.wav", "file:///etc/passwd", "gopher://127.0.0.1:70/", "http://",
           "not a url", "http://127.0.0.1/" + std::string(3000, 'a')}) {
    Json::Value u;
    u["url"] = bad;
    ExpectError(admin.Post("/api/v1/tracks", u), 422, "validation_failed");
  }
  for (const std::string& not_audio : {base + "/notes.txt", base + "/missing.wav"}) {
    Json::Value u;
    u["url"] = not_audio;
    HttpResponse n = admin.Post("/api/v1/tracks", u);
    ExpectError(n, 422, "not_audio");
    EXPECT_NE(JsonOf(n)["error"]["message"].asString().find(not_audio), std::string::npos)
        << n.body;
  }
  Json::Value both;
  both["url"] = base + "/x.wav";
  both["path"] = "x.wav";
  ExpectError(admin.Post("/api/v1/tracks", both), 422, "validation_failed");
  ExpectError(admin.Post("/api/v1/tracks", Json::Value(Json::objectValue)), 422,
              "validation_failed");
  EXPECT_EQ(TrackRows(), before);
  server.Stop(SIGTERM, std::chrono::seconds(5));
}

TEST_F(TracksTest, UploadIsStoredUnderAGeneratedName) {
  ApiClient admin = Admin();
  const std::string wav = Wav(0.5);
  HttpResponse r = Upload(admin, Multipart({Field("title", "Uploaded \xF0\x9F\x8E\xB5"),
                                            FilePart("../../evil name.WAV", wav, "audio/wav"),
                                            Field("artist", "Some One")}));
  ASSERT_EQ(r.status, 201) << r.body;
  Json::Value t = JsonOf(r);
  EXPECT_EQ(t["source_kind"].asString(), "upload");
  const std::string source = t["source"].asString();
  ASSERT_EQ(source.size(), std::string("uploads/").size() + 32 + 4) << source;
  EXPECT_EQ(source.rfind("uploads/", 0), 0u) << source;
  EXPECT_EQ(source.substr(source.size() - 4), ".wav");
  EXPECT_EQ(source.find("evil"), std::string::npos);
  EXPECT_EQ(t["title"].asString(), "Uploaded \xF0\x9F\x8E\xB5");
  EXPECT_EQ(t["artist"].asString(), "Some One");
  EXPECT_EQ(t["size_bytes"].asInt64(), static_cast<int64_t>(wav.size()));
  EXPECT_EQ(t["duration_ms"].asInt64(), 500);
  EXPECT_EQ(ReadFile(Media() + "/" + source), wav) << "the stored file is the uploaded bytes";
  for (const std::string& f : UploadFiles()) {
    EXPECT_NE(f.rfind(".upload-", 0), 0u) << "a temp file was left: " << f;
  }
  // Without a title: the client's file name, minus directories and extension. Unknown
  // extensions are stored as .bin.
  HttpResponse plain = Upload(admin, Multipart({FilePart("C:\\Music\\Caf\xC3\xA9 Song.xyz", wav)}));
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_EQ(JsonOf(plain)["title"].asString(), "Caf\xC3\xA9 Song");
  const std::string plain_source = JsonOf(plain)["source"].asString();
  EXPECT_EQ(plain_source.substr(plain_source.size() - 4), ".bin");
  // Through a bearer token too (no CSRF needed).
  Json::Value tok;
  tok["name"] = "uploader";
  HttpResponse created = admin.Post("/api/v1/tokens", tok);
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResponse bearer =
      HttpRequest(stack_->nginx_port, "POST", "/api/v1/tracks", Multipart({FilePart("b.wav", wav)}),
                  {{"Content-Type", std::string("multipart/form-data; boundary=") + kBoundary},
                   {"Authorization", "Bearer " + JsonOf(created)["token"].asString()}});
  EXPECT_EQ(bearer.status, 201) << bearer.body;
}

TEST_F(TracksTest, RefusedUploadsLeaveNothingBehind) {
  ApiClient admin = Admin();
  Upload(admin, Multipart({FilePart("seed.wav", Wav(0.1))}));  // makes media/uploads exist
  const std::set<std::string> files = UploadFiles();
  const int64_t rows = TrackRows();
  const std::string wav = Wav(0.25);
  std::string broken = wav.substr(0, 44);  // a header and no samples
  const std::string garbage = "RIFF" + std::string(4, '\0') + "WAVEjunkjunkjunkjunk";
  std::string half = wav;
  half.replace(20, 2, "\xFF\xFF");  // an impossible format tag

  struct Case {
    std::string what;
    std::string body;
    int status;
    std::string code;
    std::string content_type = "";
  };
  const std::vector<Case> cases = {
      {"text renamed .mp3", Multipart({FilePart("notes.mp3", "just some text\n")}), 422,
       "not_audio"},
      {"empty file", Multipart({FilePart("empty.wav", "")}), 422, "not_audio"},
      {"header only", Multipart({FilePart("broken.wav", broken)}), 422, "not_audio"},
      {"garbage", Multipart({FilePart("garbage.wav", garbage)}), 422, "not_audio"},
      {"bad format", Multipart({FilePart("half.wav", half)}), 422, "not_audio"},
      {"no file part", Multipart({Field("title", "x")}), 422, "validation_failed"},
      {"no parts", Multipart({}), 422, "validation_failed"},
      {"two files", Multipart({FilePart("a.wav", wav), FilePart("b.wav", wav)}), 422,
       "validation_failed"},
      {"unknown part", Multipart({FilePart("a.wav", wav), Field("path", "/etc/passwd")}), 422,
       "validation_failed"},
      {"empty title", Multipart({FilePart("a.wav", wav), Field("title", "")}), 422,
       "validation_failed"},
      {"control chars", Multipart({FilePart("a.wav", wav), Field("artist", "a\x1b[31mb")}), 422,
       "validation_failed"},
      {"bad utf-8 title", Multipart({FilePart("a.wav", wav), Field("title", "\xC3\x28")}), 422,
       "validation_failed"},
      {"no closing boundary", Multipart({FilePart("a.wav", wav)}, false), 400, "bad_request"},
      {"truncated", Multipart({FilePart("a.wav", wav)}).substr(0, 3000), 400, "bad_request"},
      {"not multipart at all", "garbage garbage", 400, "bad_request"},
      {"no boundary", Multipart({FilePart("a.wav", wav)}), 400, "bad_request",
       "multipart/form-data"},
      {"other boundary", Multipart({FilePart("a.wav", wav)}), 400, "bad_request",
       "multipart/form-data; boundary=something-else"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Upload(admin, c.body, true, c.content_type);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    EXPECT_EQ(JsonOf(r)["error"]["code"].asString(), c.code) << c.what << ": " << r.body;
    EXPECT_EQ(UploadFiles(), files) << c.what << " left a file";
  }
  HttpResponse text = Upload(admin, Multipart({FilePart("notes.mp3", "just some text\n")}));
  const std::string msg = JsonOf(text)["error"]["message"].asString();
  EXPECT_NE(msg.find("notes.mp3"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(stack_->dir()), std::string::npos) << "the server path leaked: " << msg;
  EXPECT_EQ(TrackRows(), rows) << "a refused upload stored a row";
}

TEST_F(TracksTest, TooLargeUploadsAre413) {
  ApiClient admin = Admin();
  Upload(admin, Multipart({FilePart("seed.wav", Wav(0.1))}));
  const std::set<std::string> files = UploadFiles();
  const int64_t rows = TrackRows();
  // Over upload_max_bytes (100000) but under nginx's limit: fcgi refuses it while streaming.
  const std::string big = Wav(7.0);  // 112 kB
  ASSERT_GT(big.size(), static_cast<size_t>(kUploadLimit));
  HttpResponse r = Upload(admin, Multipart({FilePart("big.wav", big)}));
  ExpectError(r, 413, "payload_too_large");
  EXPECT_NE(JsonOf(r)["error"]["message"].asString().find(std::to_string(kUploadLimit)),
            std::string::npos);
  // Just under the limit works, though it is over fcgi_max_body_bytes.
  const std::string fits = Wav(6.0);
  ASSERT_GT(fits.size(), static_cast<size_t>(kMaxBody));
  HttpResponse ok = Upload(admin, Multipart({FilePart("fits.wav", fits)}));
  EXPECT_EQ(ok.status, 201) << ok.body;
  // Over nginx's own client_max_body_size (2m in the test stack): nginx answers, in JSON.
  HttpResponse huge =
      Upload(admin, Multipart({FilePart("huge.wav", std::string(3 * 1024 * 1024, 'x'))}));
  ExpectError(huge, 413, "payload_too_large");
  // A JSON body over fcgi_max_body_bytes sent to the upload location arrives as a file and is
  // refused by fcgi.
  Json::Value b;
  b["path"] = std::string(kMaxBody + 10, 'a');
  ExpectError(admin.Post("/api/v1/tracks", b), 413, "payload_too_large");
  std::set<std::string> after = UploadFiles();
  after.erase(JsonOf(ok)["source"].asString().substr(8));
  EXPECT_EQ(after, files);
  EXPECT_EQ(TrackRows(), rows + 1);
}

TEST_F(TracksTest, PermissionsAndCsrf) {
  ApiClient user = NewUserClient("listener@example.com", "user");
  ApiClient mod = NewUserClient("mod@example.com", "moderator");
  ApiClient admin = Admin();
  const int64_t id = NewTrack(admin, "perm.wav", "Perm");
  const int64_t rows = TrackRows();
  // Users see the catalog but cannot change it.
  EXPECT_EQ(user.Get("/api/v1/tracks").status, 200);
  EXPECT_EQ(user.Get("/api/v1/tracks/" + std::to_string(id)).status, 200);
  WriteFile(Media() + "/user.wav", Wav(0.25));
  ExpectError(RegisterPath(user, "user.wav"), 403, "forbidden");
  ExpectError(Upload(user, Multipart({FilePart("u.wav", Wav(0.25))})), 403, "forbidden");
  Json::Value patch;
  patch["title"] = "Hijacked";
  ExpectError(user.Patch("/api/v1/tracks/" + std::to_string(id), patch), 403, "forbidden");
  ExpectError(user.Delete("/api/v1/tracks/" + std::to_string(id)), 403, "forbidden");
  // Anonymous: 401.
  ApiClient anon(stack_->nginx_port);
  ExpectError(anon.Get("/api/v1/tracks"), 401, "unauthenticated");
  ExpectError(anon.Post("/api/v1/tracks", Json::Value(Json::objectValue)), 401, "unauthenticated");
  // Cookie writes need the CSRF token, uploads included.
  ExpectError(Upload(admin, Multipart({FilePart("c.wav", Wav(0.25))}), false), 403, "csrf_failed");
  ExpectError(admin.Send("POST", "/api/v1/tracks", "{\"path\":\"user.wav\"}", {}, false), 403,
              "csrf_failed");
  EXPECT_EQ(TrackRows(), rows);
  // Moderators manage tracks.
  HttpResponse m = RegisterPath(mod, "user.wav");
  EXPECT_EQ(m.status, 201) << m.body;
  EXPECT_EQ(JsonOf(admin.Get("/api/v1/tracks/" + std::to_string(id)))["title"].asString(), "Perm");
}

TEST_F(TracksTest, ListSearchSortAndPage) {
  ApiClient admin = Admin();
  const std::string tag = "Zq";  // keeps this test's tracks apart from the others'
  NewTrack(admin, "l1.wav", tag + " Alpha Xylophone", "The Wombats");
  NewTrack(admin, "l2.wav", tag + " beta XYLOPHONE", "Other");
  NewTrack(admin, "l3.wav", tag + " Gamma 100% Pure", "x_y");
  NewTrack(admin, "l4.wav", tag + " Delta", "Wombat Fans");
  NewTrack(admin, "l5.wav", tag + " \xC3\x89lan", "Caf\xC3\xA9");
  auto titles = [](const HttpResponse& r) {
    std::vector<std::string> out;
    const Json::Value v = JsonOf(r);
    for (const auto& t : v["items"]) out.push_back(t["title"].asString());
    return out;
  };
  HttpResponse all = admin.Get("/api/v1/tracks?q=zq&sort=title&per_page=100");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(JsonOf(all)["total"].asInt64(), 5);
  EXPECT_EQ(titles(all), (std::vector<std::string>{
                             tag + " Alpha Xylophone", tag + " beta XYLOPHONE", tag + " Delta",
                             tag + " Gamma 100% Pure", tag + " \xC3\x89lan"}));
  // Case-insensitive substring over title or artist.
  HttpResponse xylo = admin.Get("/api/v1/tracks?q=xYlOpHoNe");
  EXPECT_EQ(JsonOf(xylo)["total"].asInt64(), 2);
  HttpResponse wombat = admin.Get("/api/v1/tracks?q=WOMBAT");
  EXPECT_EQ(JsonOf(wombat)["total"].asInt64(), 2);
  // LIKE wildcards are literal.
  EXPECT_EQ(JsonOf(admin.Get("/api/v1/tracks?q=100%25"))["total"].asInt64(), 1);
  EXPECT_EQ(JsonOf(admin.Get("/api/v1/tracks?q=%25"))["total"].asInt64(), 1);
  EXPECT_EQ(JsonOf(admin.Get("/api/v1/tracks?q=x_y"))["total"].asInt64(), 1);
  EXPECT_EQ(JsonOf(admin.Get("/api/v1/tracks?q=x%5Cy"))["total"].asInt64(), 0);
  EXPECT_EQ(JsonOf(admin.Get("/api/v1/tracks?q=_"))["total"].asInt64(), 1);
  // Injection attempts are just strings.
  HttpResponse inj = admin.Get("/api/v1/tracks?q=%27%3B%20DROP%20TABLE%20tracks%3B%20--");
  EXPECT_EQ(inj.status, 200);
  EXPECT_EQ(JsonOf(inj)["total"].asInt64(), 0);
  EXPECT_GT(TrackRows(), 0);
  // Paging and descending order.
  HttpResponse p2 = admin.Get("/api/v1/tracks?q=zq&sort=title&order=desc&per_page=2&page=2");
  ASSERT_EQ(p2.status, 200);
  EXPECT_EQ(JsonOf(p2)["total"].asInt64(), 5);
  EXPECT_EQ(JsonOf(p2)["page"].asInt64(), 2);
  EXPECT_EQ(JsonOf(p2)["per_page"].asInt64(), 2);
  EXPECT_EQ(titles(p2), (std::vector<std::string>{tag + " Delta", tag + " beta XYLOPHONE"}));
  HttpResponse past = admin.Get("/api/v1/tracks?q=zq&page=9");
  EXPECT_EQ(JsonOf(past)["items"].size(), 0u);
  EXPECT_EQ(JsonOf(past)["total"].asInt64(), 5);
  HttpResponse by_id = admin.Get("/api/v1/tracks?q=zq&sort=id&order=desc");
  auto items = JsonOf(by_id)["items"];
  ASSERT_EQ(items.size(), 5u);
  EXPECT_GT(items[0]["id"].asInt64(), items[4]["id"].asInt64());
  for (const char* s : {"duration_ms", "artist", "created_at"}) {
    EXPECT_EQ(admin.Get(std::string("/api/v1/tracks?sort=") + s).status, 200) << s;
  }
  // Bad parameters.
  for (const char* bad : {"?sort=source", "?sort=title%3B%20DROP", "?order=up", "?page=0",
                          "?per_page=101", "?per_page=x"}) {
    ExpectError(admin.Get(std::string("/api/v1/tracks") + bad), 422, "validation_failed");
  }
  ExpectError(admin.Get("/api/v1/tracks?q=%FF"), 400, "bad_request");
  for (const char* bad : {"/api/v1/tracks/0", "/api/v1/tracks/-1", "/api/v1/tracks/abc",
                          "/api/v1/tracks/999999999"}) {
    ExpectError(admin.Get(bad), 404, "not_found");
  }
}

TEST_F(TracksTest, PatchTitleAndArtist) {
  ApiClient admin = Admin();
  const int64_t id = NewTrack(admin, "patch.wav", "Before", "Old Artist");
  const std::string path = "/api/v1/tracks/" + std::to_string(id);
  const std::string odd =
      "\xE2\x80\x8F\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85 \xF0\x9F\x8E\xB6 e\xCC\x81 \xE2\x80\x8D "
      "\xEF\xBB\xBF <script>alert(1)</script> '; DROP TABLE tracks; --";
  Json::Value p;
  p["title"] = odd;
  HttpResponse r = admin.Patch(path, p);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonOf(r)["title"].asString(), odd);
  EXPECT_EQ(JsonOf(r)["artist"].asString(), "Old Artist");
  EXPECT_EQ(JsonOf(admin.Get(path))["title"].asString(), odd) << "round trip";
  Json::Value a;
  a["artist"] = "";
  EXPECT_EQ(JsonOf(admin.Patch(path, a))["artist"].asString(), "");
  HttpResponse audit =
      admin.Get("/api/v1/audit?action=track.update&target_id=" + std::to_string(id));
  Json::Value items = JsonOf(audit)["items"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1]["changes"]["title"]["from"].asString(), "Before");
  EXPECT_EQ(items[1]["changes"]["title"]["to"].asString(), odd);
  EXPECT_EQ(items[0]["changes"]["artist"]["from"].asString(), "Old Artist");
  EXPECT_FALSE(items[0]["changes"].isMember("title"));
  // Nothing to change: 200, no audit row.
  EXPECT_EQ(admin.Patch(path, Json::Value(Json::objectValue)).status, 200);
  EXPECT_EQ(JsonOf(admin.Get("/api/v1/audit?action=track.update&target_id=" +
                             std::to_string(id)))["items"]
                .size(),
            2u);

  std::string long_title;
  for (int i = 0; i < 501; ++i) long_title += "\xC3\xA9";
  struct Bad {
    std::string body;
    int status;
    std::string code;
  };
  for (const Bad& b : std::vector<Bad>{
           {"{\"title\":5}", 400, "invalid_type"},
           {"{\"title\":null}", 400, "invalid_type"},
           {"{\"artist\":[\"x\"]}", 400, "invalid_type"},
           {"[]", 400, "invalid_type"},
           {"{\"title\":", 400, "invalid_json"},
           {"{\"title\":\"a\",\"title\":\"b\"}", 400, "invalid_json"},
           {"{\"title\":\"\"}", 422, "validation_failed"},
           {"{\"title\":\"   \"}", 422, "validation_failed"},
           {"{\"title\":\"a\\u0000b\"}", 422, "validation_failed"},
           {"{\"title\":\"a\\nb\"}", 422, "validation_failed"},
           {"{\"title\":\"a\\u0085b\"}", 422, "validation_failed"},
           {"{\"title\":\"" + long_title + "\"}", 422, "validation_failed"},
           {"{\"source\":\"/etc/passwd\"}", 422, "validation_failed"},
           {"{\"duration_ms\":1}", 422, "validation_failed"},
       }) {
    HttpResponse bad = admin.Send("PATCH", path, b.body, {});
    EXPECT_EQ(bad.status, b.status) << b.body << " -> " << bad.body;
    EXPECT_EQ(JsonOf(bad)["error"]["code"].asString(), b.code) << b.body << " -> " << bad.body;
  }
  std::string long_ok;
  for (int i = 0; i < 500; ++i) long_ok += "\xC3\xA9";
  Json::Value ok;
  ok["title"] = long_ok;
  EXPECT_EQ(admin.Patch(path, ok).status, 200);
  EXPECT_EQ(JsonOf(admin.Get(path))["title"].asString(), long_ok);
  ExpectError(HttpRequest(stack_->nginx_port, "PATCH", path, "title=x",
                          {{"Content-Type", "text/plain"},
                           {"Cookie", admin.cookie},
                           {"Origin", admin.origin()},
                           {"X-CSRF-Token", admin.csrf_token}}),
              415, "unsupported_media_type");
  ExpectError(admin.Patch("/api/v1/tracks/999999999", p), 404, "not_found");
}

TEST_F(TracksTest, DeleteRefusesPlaceholdersAndSoftDeletes) {
  ApiClient admin = Admin();
  const int64_t placeholder = NewTrack(admin, "placeholder.wav", "Placeholder");
  {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    tx.exec_params("INSERT INTO streams (slug, title, placeholder_track_id) VALUES ($1, $2, $3)",
                   "lobby", "Lobby", placeholder);
    tx.commit();
  }
  HttpResponse refused = admin.Delete("/api/v1/tracks/" + std::to_string(placeholder));
  ExpectError(refused, 409, "track_in_use");
  EXPECT_NE(JsonOf(refused)["error"]["message"].asString().find("lobby"), std::string::npos);
  EXPECT_EQ(admin.Get("/api/v1/tracks/" + std::to_string(placeholder)).status, 200);

  // An uploaded track: deleted from the catalog, kept on disk, its source free again.
  HttpResponse up = Upload(admin, Multipart({FilePart("gone.wav", Wav(0.25))}));
  ASSERT_EQ(up.status, 201) << up.body;
  const int64_t id = JsonOf(up)["id"].asInt64();
  const std::string file = Media() + "/" + JsonOf(up)["source"].asString();
  const std::string path = "/api/v1/tracks/" + std::to_string(id);
  HttpResponse del = admin.Delete(path);
  EXPECT_EQ(del.status, 204) << del.body;
  ExpectError(admin.Get(path), 404, "not_found");
  ExpectError(admin.Delete(path), 404, "not_found");
  Json::Value patch;
  patch["title"] = "x";
  ExpectError(admin.Patch(path, patch), 404, "not_found");
  EXPECT_EQ(Count("SELECT count(*) FROM tracks WHERE id = " + std::to_string(id) +
                  " AND deleted_at IS NOT NULL"),
            1)
      << "the row stays, marked deleted";
  struct stat st;
  EXPECT_EQ(stat(file.c_str(), &st), 0) << "the uploaded file is kept";
  const Json::Value listed = JsonOf(admin.Get("/api/v1/tracks?per_page=100"));
  ASSERT_GT(listed["items"].size(), 0u);
  for (const auto& t : listed["items"]) {
    EXPECT_NE(t["id"].asInt64(), id);
  }
  HttpResponse audit =
      admin.Get("/api/v1/audit?action=track.delete&target_id=" + std::to_string(id));
  ASSERT_EQ(JsonOf(audit)["items"].size(), 1u);
  EXPECT_EQ(JsonOf(audit)["items"][0]["changes"]["title"].asString(), "gone");
  // A deleted file track's path may be registered again, as a new track.
  const int64_t file_track = NewTrack(admin, "again.wav", "Again");
  EXPECT_EQ(admin.Delete("/api/v1/tracks/" + std::to_string(file_track)).status, 204);
  HttpResponse again = RegisterPath(admin, "again.wav");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_NE(JsonOf(again)["id"].asInt64(), file_track);

  // Once the stream is deleted (or given another placeholder), the track may go.
  {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    tx.exec("UPDATE streams SET deleted_at = now() WHERE slug = 'lobby'");
    tx.commit();
  }
  EXPECT_EQ(admin.Delete("/api/v1/tracks/" + std::to_string(placeholder)).status, 204);
}

TEST_F(TracksTest, StoreLookupsForTheQueueSkipDeletedTracks) {
  ApiClient admin = Admin();
  const int64_t live = NewTrack(admin, "store-live.wav", "Live One");
  const int64_t gone = NewTrack(admin, "store-gone.wav", "Gone One");
  ASSERT_EQ(admin.Delete("/api/v1/tracks/" + std::to_string(gone)).status, 204);
  pqxx::connection c(stack_->pg_dsn());
  pqxx::work tx(c);
  std::map<int64_t, fcgi::Track> found =
      fcgi::TrackStore::FindLiveMany(tx, {live, gone, live, 999999999});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.at(live).title, "Live One");
  EXPECT_EQ(found.at(live).duration_ms.value_or(-1), 250);
  EXPECT_TRUE(fcgi::TrackStore::FindLiveMany(tx, {}).empty());
  EXPECT_TRUE(fcgi::TrackStore::FindLive(tx, live, fcgi::TrackLock::kShare).has_value());
  EXPECT_FALSE(fcgi::TrackStore::FindLive(tx, gone).has_value());
  ASSERT_TRUE(fcgi::TrackStore::Find(tx, gone).has_value());
  EXPECT_FALSE(fcgi::TrackStore::Find(tx, gone)->deleted_at.empty());
}

}  // namespace
}  // namespace sattva::testing
