// The live monitoring page end to end in a real headless Chromium (Debian's /usr/bin/chromium,
// driven by npm playwright-core from tests/browser/), through nginx, against a full stack with
// wsd and the streamer (issue 10's "done when"): tests/browser/monitoring.mjs opens
// /admin/monitoring as an operator and checks that a started stream's card appears within 1 s,
// that a live listener moves the counter within 1 s, that the auto-end countdown shows and is
// cancelled, and that after a kill -9 of sattva-wsd the page shows "reconnecting" and then
// catches up with a queue change made during the outage, without a reload or a duplicate
// (FLOW=main); and that a page that missed more than wsd keeps for a resuming client gets
// resync_required, asks for a snapshot and redraws from it (FLOW=resync).
//
// The outage is a handshake through files in a control directory: the script writes kill-wsd,
// this test kills wsd with SIGKILL and answers wsd-killed; the script makes its queue change and
// writes start-wsd, this test restarts wsd and answers wsd-started.
//
// Screenshots of each state: into $SATTVA_SCREENSHOT_DIR/<test name> when that variable is set.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/stack.h"

namespace sattva::testing {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

class BrowserMonitoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    browser_dir_ = Stack::SourceDir() + "/tests/browser";
    ASSERT_EQ(access((browser_dir_ + "/node_modules/playwright-core").c_str(), F_OK), 0)
        << "run `npm ci` in tests/browser (./sattva test does)";
    ASSERT_EQ(access("/usr/bin/chromium", X_OK), 0)
        << "apt-get install chromium (./sattva test does)";
    ASSERT_EQ(access("/usr/bin/ffmpeg", X_OK), 0) << "apt-get install ffmpeg";
    // The daemons read SATTVA_* variables as configuration and refuse unknown ones: take this
    // one out of the environment before they start.
    if (const char* dir = std::getenv("SATTVA_SCREENSHOT_DIR"); dir != nullptr) {
      shots_root_ = dir;
      unsetenv("SATTVA_SCREENSHOT_DIR");
    }
    if (!shots_root_.empty()) {
      const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
      shots_ = fs::weakly_canonical(shots_root_ + "/" + info->name()).string();
      std::error_code ec;
      fs::remove_all(shots_, ec);  // only this run's screenshots
      fs::create_directories(shots_);
    }
  }

  // The stack with wsd and the streamer, with the streamer's short lease and reconcile period so
  // a start takes a fraction of a second (the card has 1 s to appear), and an admin.
  void StartStack(const std::vector<std::string>& extra_config = {}) {
    StackOptions o = StreamerTestOptions();
    o.wsd = true;
    o.extra_config.insert(o.extra_config.end(), extra_config.begin(), extra_config.end());
    stack_ = std::make_unique<Stack>(o);
    password_ = stack_->CreateAdmin(kAdmin);
    admin_ = std::make_unique<ApiClient>(stack_->nginx_port);
    ASSERT_EQ(admin_->Login(kAdmin, password_).status, 200);
  }

  void TearDown() override {
    admin_.reset();
    stack_.reset();
  }

  // A minute-long tone in the media dir, registered as a track; returns its id.
  int64_t MakeTrack() {
    const std::string file = stack_->dir() + "/media/monitoring.ogg";
    const std::string log = file + ".log";
    const int rc = RunCommand({"/usr/bin/ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                               "-y", "-f", "lavfi", "-i",
                               "sine=frequency=523:sample_rate=48000:duration=60", "-ac", "2",
                               "-ar", "48000", "-c:a", "libvorbis", "-q:a", "0", file},
                              log);
    EXPECT_EQ(rc, 0) << ReadFile(log);
    Json::Value b;
    b["path"] = "monitoring.ogg";
    b["title"] = "Monitoring tone";
    b["artist"] = "Browser Test Tones";
    HttpResponse r = admin_->Post("/api/v1/tracks", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }

  // Runs tests/browser/monitoring.mjs with FLOW=<flow>, answering its outage requests (kill-wsd,
  // start-wsd) until it exits; returns its output. Fails the test when it does not exit 0 or
  // never went through the outage.
  std::string RunFlow(const std::string& flow, int64_t track) {
    const std::string control = stack_->dir() + "/control-" + flow;
    fs::create_directories(control);
    const std::string log = stack_->log_path("monitoring-" + flow);
    std::vector<std::string> env = {
        "BASE_URL=http://127.0.0.1:" + std::to_string(stack_->nginx_port),
        std::string("ADMIN_EMAIL=") + kAdmin, "ADMIN_PASSWORD=" + password_,
        "TRACK_ID=" + std::to_string(track), "CONTROL_DIR=" + control, "FLOW=" + flow};
    if (!shots_.empty()) env.push_back("SCREENSHOT_DIR=" + shots_);
    Process script;
    script.Start({"/usr/bin/node", browser_dir_ + "/monitoring.mjs"}, log, "", env);
    // The script's own waits have deadlines; this one is the backstop.
    const auto deadline = SteadyClock::now() + std::chrono::minutes(4);
    bool killed = false, restarted = false;
    while (script.Running() && SteadyClock::now() < deadline) {
      if (!killed && fs::exists(control + "/kill-wsd")) {
        stack_->wsd().Kill9();
        killed = true;
        WriteFile(control + "/wsd-killed", "");
      }
      if (killed && !restarted && fs::exists(control + "/start-wsd")) {
        stack_->StartDaemon("wsd");
        restarted = true;
        WriteFile(control + "/wsd-started", "");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (script.Running()) script.Stop(SIGTERM, std::chrono::seconds(5));
    const int status = script.Wait();
    const std::string out = ReadFile(log);
    std::cout << out;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << out << Tail(stack_->log_path("wsd")) << Tail(stack_->log_path("fcgi"))
        << Tail(stack_->log_path("streamer"));
    EXPECT_TRUE(killed && restarted) << "the script never went through the outage";
    return out;
  }

  // The stream id the script reported as card_stream_id=N; 0 when none.
  static std::string CardStreamId(const std::string& out) {
    std::smatch m;
    return std::regex_search(out, m, std::regex(R"(card_stream_id=(\d+))")) ? m[1].str() : "";
  }

  // The screenshots: at least `min_count` NN-name.png files and no failure screenshot.
  void ExpectScreenshots(size_t min_count) {
    if (shots_.empty()) return;
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(shots_)) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(std::regex_match(name, std::regex(R"(\d\d-[a-z0-9-]+\.png)"))) << name;
      EXPECT_EQ(name.find("failure"), std::string::npos) << "failure screenshot " << name;
      ++n;
    }
    EXPECT_GE(n, min_count) << "screenshots in " << shots_;
  }

  static constexpr const char* kAdmin = "monitoring-operator@example.com";

  std::string browser_dir_;
  static inline std::string shots_root_;  // $SATTVA_SCREENSHOT_DIR, read once
  std::string shots_;
  std::string password_;
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<ApiClient> admin_;
};

TEST_F(BrowserMonitoringTest, CardsListenersCountdownAndAWsdOutage) {
  StartStack();
  const int64_t track = MakeTrack();
  ASSERT_GT(track, 0);
  const std::string out = RunFlow("main", track);
  // What the script reported, checked against the server: the card's stream ran and was
  // stopped at the end; its queue holds the item added during the outage.
  const std::string sid = CardStreamId(out);
  ASSERT_FALSE(sid.empty()) << out;
  HttpResponse r = admin_->Get("/api/v1/streams/" + sid);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonOf(r)["desired_state"].asString(), "stopped");
  r = admin_->Get("/api/v1/streams/" + sid + "/queue");
  EXPECT_EQ(JsonOf(r)["items"].size(), 2u) << r.body;
  ExpectScreenshots(10);

  // Every signed-in role has the page (streams.view) and the nav item; anonymous goes to sign in.
  auto [uid, upw] = CreateUserViaApi(*admin_, "listener@example.com", "user");
  ASSERT_GT(uid, 0);
  ApiClient user(stack_->nginx_port);
  ASSERT_EQ(user.Login("listener@example.com", upw).status, 200);
  r = user.Get("/admin/monitoring");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<ul class=\"stream-cards\" id=\"stream-cards\">"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<a href=\"/admin/monitoring\" aria-current=\"page\">Monitoring</a>"),
            std::string::npos);
  ApiClient anonymous(stack_->nginx_port);
  r = anonymous.Get("/admin/monitoring");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/admin/login?next=/admin/monitoring");
}

// More changes during the outage than wsd keeps for a client that resumes (wsd_client_queue):
// the resume answers resync_required, the page asks for a snapshot and redraws from it.
TEST_F(BrowserMonitoringTest, AResumeTooFarBehindReloadsTheSnapshot) {
  StartStack({"wsd_client_queue = 8"});
  const int64_t track = MakeTrack();
  ASSERT_GT(track, 0);
  const std::string out = RunFlow("resync", track);
  const std::string sid = CardStreamId(out);
  ASSERT_FALSE(sid.empty()) << out;
  HttpResponse r = admin_->Get("/api/v1/streams/" + sid + "/queue");
  EXPECT_EQ(JsonOf(r)["items"].size(), 12u) << r.body;
  ExpectScreenshots(3);
}

}  // namespace
}  // namespace sattva::testing
