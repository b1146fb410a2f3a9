// The station side of the admin panel end to end in a real headless Chromium (Debian's
// /usr/bin/chromium, driven by npm playwright-core from tests/browser/), through nginx, against a
// full stack with the streamer (issue 9's "done when"):
//   - StationWithJavaScript: tests/browser/station_js.mjs, an operator's whole day-one flow;
//   - StationWithoutJavaScript: tests/browser/station_nojs.mjs, the same with forms only;
//   - QueueConflictBetweenTwoSessions: tests/browser/queue_conflict.mjs, two operators on one queue.
// Each script saves a screenshot of every page it visits into
// <build>/screenshots/<test>/NN-name.png; this file checks they are there, then checks the
// result through the API and PostgreSQL, not only what the script says.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/stack.h"

namespace sattva::testing {
namespace {

namespace fs = std::filesystem;

// A stereo sine tone of `seconds`, with title and artist tags (the upload's probe reads them).
void MakeTone(const std::string& path, int freq, int seconds, const std::string& title,
              const std::vector<std::string>& codec_args) {
  std::vector<std::string> argv = {"/usr/bin/ffmpeg", "-hide_banner", "-loglevel", "error",
                                   "-nostdin", "-y", "-f", "lavfi", "-i",
                                   "sine=frequency=" + std::to_string(freq) +
                                       ":sample_rate=48000:duration=" + std::to_string(seconds),
                                   "-ac", "2", "-ar", "48000", "-metadata", "title=" + title,
                                   "-metadata", "artist=Browser Test Tones"};
  argv.insert(argv.end(), codec_args.begin(), codec_args.end());
  argv.push_back(path);
  ASSERT_EQ(RunCommand(argv, path + ".log"), 0) << ReadFile(path + ".log");
}

class BrowserStationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    browser_dir_ = Stack::SourceDir() + "/tests/browser";
    ASSERT_EQ(access((browser_dir_ + "/node_modules/playwright-core").c_str(), F_OK), 0)
        << "run `npm ci` in tests/browser (./sattva test does)";
    ASSERT_EQ(access("/usr/bin/chromium", X_OK), 0)
        << "apt-get install chromium (./sattva test does)";
    ASSERT_EQ(access("/usr/bin/ffmpeg", X_OK), 0) << "apt-get install ffmpeg";
    stack_ = std::make_unique<Stack>();  // with wsd and the streamer: the streams really play
    password_ = stack_->CreateAdmin(kAdmin);
    admin_ = std::make_unique<ApiClient>(stack_->nginx_port);
    ASSERT_EQ(admin_->Login(kAdmin, password_).status, 200);
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    shots_ = fs::weakly_canonical(Stack::BinDir() + "/../screenshots/" + info->name()).string();
    // Only this run's screenshots: the old ones go first.
    std::error_code ec;
    fs::remove_all(shots_, ec);
    fs::create_directories(shots_);
  }

  void TearDown() override {
    admin_.reset();
    stack_.reset();
  }

  // Registers `file` (made in media_dir) as a track through the API; returns its id.
  int64_t RegisterMediaTrack(const std::string& file, const std::string& title) {
    Json::Value b;
    b["path"] = file;
    b["title"] = title;
    b["artist"] = "Browser Test Tones";
    HttpResponse r = admin_->Post("/api/v1/tracks", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }

  // Runs a node script with `env` (BASE_URL and SCREENSHOT_DIR added); returns its exit code and
  // leaves its output in *log_text.
  int RunScript(const std::string& script, std::vector<std::string> env, std::string* log_text) {
    const std::string log = stack_->dir() + "/log/" + script + ".log";
    std::vector<std::string> argv = {"/usr/bin/env",
                                     "BASE_URL=http://127.0.0.1:" +
                                         std::to_string(stack_->nginx_port),
                                     "SCREENSHOT_DIR=" + shots_};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back("node");
    argv.push_back(browser_dir_ + "/" + script);
    int rc = RunCommand(argv, log);
    *log_text = ReadFile(log);
    return rc;
  }

  // The screenshots the script saved: at least `min_count` NN-name.png files, none tiny, and no
  // failure screenshot.
  void ExpectScreenshots(size_t min_count) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(shots_)) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(std::regex_match(name, std::regex(R"(\d\d-[a-z0-9-]+\.png)"))) << name;
      EXPECT_GT(fs::file_size(e.path()), 5000u) << name << " is suspiciously small";
      EXPECT_EQ(name.find("failure"), std::string::npos) << "failure screenshot " << name;
      names.push_back(name);
    }
    EXPECT_GE(names.size(), min_count) << "screenshots in " << shots_;
  }

  static int64_t StreamIdFrom(const std::string& log) {
    std::smatch m;
    if (!std::regex_search(log, m, std::regex(R"(stream_id=(\d+))"))) return 0;
    return std::stoll(m[1]);
  }

  // end_reason of the plays of a stream, oldest first, with the track titles.
  std::vector<std::string> Plays(int64_t stream_id) {
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work w(c);
    std::vector<std::string> out;
    for (const auto& row : w.exec_params(
             "SELECT coalesce(t.title, ''), coalesce(h.end_reason, 'open') FROM play_history h "
             "LEFT JOIN tracks t ON t.id = h.track_id WHERE h.stream_id = $1 ORDER BY h.id",
             stream_id)) {
      out.push_back(row[0].as<std::string>() + "/" + row[1].as<std::string>());
    }
    return out;
  }

  // The whole day-one flow (JS or not): audio made here, the script does the rest, and the
  // result is checked through the API and PostgreSQL.
  void RunStationFlow(const std::string& script, const std::string& slug) {
    const std::string dir = stack_->dir() + "/upload-src";
    fs::create_directories(dir);
    // Long enough that no track ends by itself during the flow: skip and stop end them.
    MakeTone(dir + "/first.ogg", 440, 60, kTitle1, {"-c:a", "libvorbis", "-q:a", "2"});
    MakeTone(dir + "/second.mp3", 660, 60, kTitle2, {"-c:a", "libmp3lame", "-b:a", "64k"});
    MakeTone(stack_->dir() + "/media/third.ogg", 880, 60, kThird,
             {"-c:a", "libvorbis", "-q:a", "2"});
    ASSERT_GT(RegisterMediaTrack("third.ogg", kThird), 0);
    std::string log;
    int rc = RunScript(script,
                       {std::string("ADMIN_EMAIL=") + kAdmin, "ADMIN_PASSWORD=" + password_,
                        "AUDIO_1=" + dir + "/first.ogg", "AUDIO_2=" + dir + "/second.mp3",
                        std::string("TITLE_1=") + kTitle1, std::string("TITLE_2=") + kTitle2,
                        std::string("THIRD_TITLE=") + kThird, "STREAM_SLUG=" + slug},
                       &log);
    EXPECT_EQ(rc, 0) << log << Tail(stack_->log_path("fcgi")) << Tail(stack_->log_path("streamer"));
    std::cout << log;
    ExpectScreenshots(15);
    const int64_t sid = StreamIdFrom(log);
    ASSERT_GT(sid, 0) << "the script did not report the stream id";

    // Through the API: stopped, the new timeout, and the first track still queued.
    HttpResponse r = admin_->Get("/api/v1/streams/" + std::to_string(sid));
    ASSERT_EQ(r.status, 200) << r.body;
    Json::Value s = JsonOf(r);
    EXPECT_EQ(s["slug"].asString(), slug);
    EXPECT_EQ(s["desired_state"].asString(), "stopped");
    EXPECT_EQ(s["end_reason"].asString(), "manual");
    EXPECT_NE(s["auto_end_timeout_s"].asInt(), 300) << "the timeout change did not stick";
    r = admin_->Get("/api/v1/streams/" + std::to_string(sid) + "/queue");
    Json::Value q = JsonOf(r);
    ASSERT_EQ(q["items"].size(), 1u) << r.body;
    EXPECT_EQ(q["items"][0]["track"]["title"].asString(), kTitle1);
    // Both uploads are tracks now, probed as audio.
    r = admin_->Get("/api/v1/tracks?q=Browser%20tone");
    const Json::Value tracks = JsonOf(r);
    for (const char* t : {kTitle1, kTitle2}) {
      bool found = false;
      for (const auto& item : tracks["items"]) {
        if (item["title"].asString() == t) {
          found = true;
          EXPECT_EQ(item["source_kind"].asString(), "upload");
          EXPECT_GT(item["duration_ms"].asInt64(), 59000);
        }
      }
      EXPECT_TRUE(found) << t << " not in " << r.body;
    }
    // PostgreSQL: the third was skipped, the second stopped; nothing else played from the queue.
    std::vector<std::string> plays = Plays(sid);
    std::vector<std::string> queued;
    for (const auto& p : plays) {
      if (p.rfind("Browser", 0) == 0) queued.push_back(p);
    }
    EXPECT_EQ(queued, (std::vector<std::string>{std::string(kThird) + "/skipped",
                                                std::string(kTitle2) + "/stopped"}))
        << ::testing::PrintToString(plays);
  }

  static constexpr const char* kAdmin = "station-operator@example.com";
  static constexpr const char* kTitle1 = "Browser tone one";
  static constexpr const char* kTitle2 = "Browser tone two";
  static constexpr const char* kThird = "Browser tone three";

  std::string browser_dir_;
  std::string shots_;
  std::string password_;
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<ApiClient> admin_;
};

TEST_F(BrowserStationTest, StationWithJavaScript) {
  RunStationFlow("station_js.mjs", "browser-js");
}

TEST_F(BrowserStationTest, StationWithoutJavaScript) {
  RunStationFlow("station_nojs.mjs", "browser-nojs");
}

TEST_F(BrowserStationTest, QueueConflictBetweenTwoSessions) {
  // Two operators: the admin and a moderator (who manages queues too).
  auto [mod_id, mod_password] = CreateUserViaApi(*admin_, "second-operator@example.com", "moderator");
  ASSERT_GT(mod_id, 0);
  for (const char* f : {"one.ogg", "two.ogg", "three.ogg", "added.ogg"}) {
    MakeTone(stack_->dir() + "/media/" + f, 300 + 100 * static_cast<int>(f[0] % 7), 30,
             std::string("Conflict ") + f, {"-c:a", "libvorbis", "-q:a", "0"});
  }
  std::vector<int64_t> ids;
  for (const char* f : {"one.ogg", "two.ogg", "three.ogg", "added.ogg"}) {
    ids.push_back(RegisterMediaTrack(f, std::string("Conflict ") + f));
  }
  Json::Value sb;
  sb["slug"] = "conflict";
  sb["title"] = "Two operators";
  HttpResponse r = admin_->Post("/api/v1/streams", sb);
  ASSERT_EQ(r.status, 201) << r.body;
  const int64_t sid = JsonOf(r)["id"].asInt64();
  Json::Value add;
  for (int i = 0; i < 3; ++i) add["track_ids"].append(Json::Int64(ids[i]));
  r = admin_->Post("/api/v1/streams/" + std::to_string(sid) + "/queue", add);
  ASSERT_EQ(r.status, 201) << r.body;

  std::string log;
  int rc = RunScript("queue_conflict.mjs",
                     {std::string("OP1_EMAIL=") + kAdmin, "OP1_PASSWORD=" + password_,
                      "OP2_EMAIL=second-operator@example.com", "OP2_PASSWORD=" + mod_password,
                      "STREAM_ID=" + std::to_string(sid), "ADD_TITLE=Conflict added.ogg"},
                     &log);
  EXPECT_EQ(rc, 0) << log << Tail(stack_->log_path("fcgi"));
  std::cout << log;
  ExpectScreenshots(8);

  // Every item once: the three the queue started with and the one A added; B's move applied.
  r = admin_->Get("/api/v1/streams/" + std::to_string(sid) + "/queue");
  Json::Value q = JsonOf(r);
  ASSERT_EQ(q["items"].size(), 4u) << r.body;
  std::vector<int64_t> tracks;
  for (const auto& item : q["items"]) tracks.push_back(item["track"]["id"].asInt64());
  EXPECT_EQ(tracks, (std::vector<int64_t>{ids[2], ids[0], ids[1], ids[3]})) << r.body;
  // Exactly the changes that were applied were audited: A's add and B's move.
  pqxx::connection c(stack_->pg_dsn());
  pqxx::work w(c);
  EXPECT_EQ(w.exec1("SELECT count(*) FROM audit_log WHERE action = 'queue.move'")[0].as<int>(), 1);
}

}  // namespace
}  // namespace sattva::testing
