// Auto-end end to end, with short timeouts through the real sinks: a stream nobody listens to
// ends itself with warnings; a live-mount listener cancels the countdown; a bridge connector
// reporting 0 participants starts it; settings act at once; a streamer restart keeps the
// deadline; a manual stop is recorded as manual.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "common/stream_keys.h"
#include "tests/support/api_client.h"
#include "tests/support/http_client.h"
#include "tests/support/stack.h"
#include "tests/support/stream_events.h"

namespace sattva::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

class AutoEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack(StreamerTestOptions());
    password_ = stack_->CreateAdmin("ops@example.com");
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  ApiClient Admin() {
    ApiClient c(stack_->nginx_port);
    EXPECT_EQ(c.Login("ops@example.com", password_).status, 200);
    return c;
  }
  static std::string S(int64_t sid) { return "/api/v1/streams/" + std::to_string(sid); }
  int64_t Running(ApiClient& c, const std::string& slug, int timeout_s, bool enabled = true) {
    Json::Value b;
    b["slug"] = slug;
    b["title"] = slug;
    b["auto_end_enabled"] = enabled;
    b["auto_end_timeout_s"] = timeout_s;
    HttpResponse r = c.Post("/api/v1/streams", b);
    EXPECT_EQ(r.status, 201) << r.body;
    const int64_t sid = JsonOf(r)["id"].asInt64();
    EXPECT_EQ(c.Post(S(sid) + "/start", Json::Value(Json::objectValue)).status, 200);
    return sid;
  }
  std::vector<std::pair<std::string, Json::Value>> Events(const std::string& type, int64_t sid) {
    return StreamEvents(*stack_, type, sid);
  }
  // The id of the stream_update "stopped" event with reason auto_end, waiting up to 3 s for it
  // (the player writes it right after it records the end in PostgreSQL).
  std::string StoppedByAutoEnd(int64_t sid) {
    for (int i = 0; i < 150; ++i) {
      for (auto& [id, d] : Events("stream_update", sid)) {
        if (d["event"] == "stopped" && d["reason"] == "auto_end") return id;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    return "";
  }
  int64_t DeadlineMs(int64_t sid) {
    auto redis = stack_->RedisClient();
    return std::atoll(common::ReplyString(
                          redis->Checked({"HGET", common::AutoEndKey(sid), "deadline_ms"}).get())
                          .c_str());
  }
  static Stack* stack_;
  static std::string password_;
};
Stack* AutoEndTest::stack_ = nullptr;
std::string AutoEndTest::password_;

TEST_F(AutoEndTest, AStreamNobodyListensToEndsAtItsDeadlineWithAWarning) {
  ApiClient c = Admin();
  const int64_t sid = Running(c, "lonely", 15);
  Json::Value v = WaitStream(c, sid, [](const Json::Value& v) { return v["auto_end"]["armed"] == true; });
  EXPECT_EQ(v["auto_end"]["enabled"], true);
  EXPECT_EQ(v["auto_end"]["timeout_s"], 15);
  EXPECT_LE(v["auto_end"]["seconds_remaining"].asInt(), 15);
  EXPECT_GE(v["auto_end"]["seconds_remaining"].asInt(), 13);
  EXPECT_TRUE(v["auto_end"]["deadline"].isString());
  const int64_t deadline = DeadlineMs(sid);
  ASSERT_GT(deadline, 0);
  v = WaitStream(c, sid, [](const Json::Value& v) { return v["desired_state"] == "stopped"; },
           milliseconds(25000));
  EXPECT_EQ(v["end_reason"], "auto_end");
  EXPECT_EQ(v["auto_end"]["armed"], false);
  // One warning (10 s; 60 and 30 were never ahead of a 15 s countdown), then the stopped
  // event at the deadline.
  auto warnings = Events("auto_end_warning", sid);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].second["seconds_remaining"], 10);
  EXPECT_EQ(warnings[0].second["reason"], "no_listeners");
  const std::string stopped = StoppedByAutoEnd(sid);
  ASSERT_FALSE(stopped.empty());
  EXPECT_NEAR(static_cast<double>(EntryMs(stopped)), static_cast<double>(deadline), 1000.0);
  std::cout << "ended " << EntryMs(stopped) - deadline << " ms after the deadline\n";
  pqxx::connection pg(stack_->pg_dsn());
  pqxx::read_transaction tx(pg);
  pqxx::row s = tx.exec_params1(
      "SELECT end_reason, ended_by IS NULL, ended_at IS NOT NULL FROM stream_sessions "
      "WHERE stream_id = $1 ORDER BY id DESC LIMIT 1",
      sid);
  EXPECT_EQ(s[0].as<std::string>(), "auto_end");
  EXPECT_TRUE(s[1].as<bool>());
  EXPECT_TRUE(s[2].as<bool>());
  const std::string metrics = HttpGet(stack_->streamer_port, "/metrics").body;
  EXPECT_NE(metrics.find("sattva_auto_end_total 1"), std::string::npos);
}

TEST_F(AutoEndTest, ALiveListenerCancelsAndLeavingStartsAFullCountdown) {
  ApiClient c = Admin();
  const int64_t sid = Running(c, "cafe", 10);
  WaitStream(c, sid, [](const Json::Value& v) { return v["auto_end"]["armed"] == true; });
  const int64_t first_deadline = DeadlineMs(sid);
  Process curl;
  curl.Start({"/usr/bin/curl", "-s", "-o", "/dev/null", "--max-time", "3",
              "http://127.0.0.1:" + std::to_string(stack_->nginx_port) + "/live/cafe.ogg"},
             stack_->dir() + "/curl-cafe.log");
  Json::Value v = WaitStream(c, sid, [](const Json::Value& v) {
    return v["listeners"] == 1 && v["auto_end"]["armed"] == false;
  });
  EXPECT_EQ(v["desired_state"], "running");
  auto cancelled = Events("auto_end_cancelled", sid);
  ASSERT_EQ(cancelled.size(), 1u);
  curl.Wait();
  v = WaitStream(c, sid, [](const Json::Value& v) { return v["auto_end"]["armed"] == true; });
  // A full new countdown from when the listener left.
  EXPECT_GE(DeadlineMs(sid) - first_deadline, 2500);
  EXPECT_GE(v["auto_end"]["seconds_remaining"].asInt(), 9);
  EXPECT_EQ(c.Post(S(sid) + "/stop", Json::Value(Json::objectValue)).status, 200);
}

TEST_F(AutoEndTest, ABridgeConnectorReportingZeroStartsTheCountdownAndGetsTheEnd) {
  ApiClient c = Admin();
  const int64_t sid = Running(c, "call", 10);
  WaitStream(c, sid, [](const Json::Value& v) { return v["state"] == "running"; });
  Process client;
  const std::string meta = stack_->dir() + "/call.jsonl";
  client.Start({Stack::BinDir() + "/sattva-bridge-client", "--socket",
                stack_->bridge_dir() + "/call.sock", "--out", stack_->dir() + "/call.pcm",
                "--meta", meta, "--participants", "3", "--participants-at", "2=0", "--seconds",
                "30"},
               stack_->dir() + "/call.log");
  Json::Value v = WaitStream(c, sid, [](const Json::Value& v) { return v["listeners"] == 3; });
  EXPECT_EQ(v["auto_end"]["armed"], false);
  v = WaitStream(c, sid, [](const Json::Value& v) {
    return v["listeners"] == 0 && v["auto_end"]["armed"] == true;
  });
  // The countdown runs out with the connector still connected: it gets END auto_end.
  WaitStream(c, sid, [](const Json::Value& v) { return v["desired_state"] == "stopped"; },
       milliseconds(15000));
  EXPECT_EQ(WEXITSTATUS(client.Wait()), 0) << ReadAll(stack_->dir() + "/call.log");
  const std::string m = ReadAll(meta);
  EXPECT_NE(m.find("\"auto_end\""), std::string::npos) << m;
}

TEST_F(AutoEndTest, SettingsActAtOnceAndAManualStopIsManual) {
  ApiClient c = Admin();
  const int64_t sid = Running(c, "tuned", 300);
  WaitStream(c, sid, [](const Json::Value& v) { return v["auto_end"]["armed"] == true; });
  const int64_t zero_since = DeadlineMs(sid) - 300000;
  // A new timeout counts from when the count reached 0.
  Json::Value p;
  p["auto_end_timeout_s"] = 100;
  ASSERT_EQ(c.Patch(S(sid), p).status, 200);
  for (int i = 0; i < 100 && DeadlineMs(sid) != zero_since + 100000; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(DeadlineMs(sid), zero_since + 100000);
  // Out of range is refused and changes nothing.
  p["auto_end_timeout_s"] = 5;
  EXPECT_EQ(c.Patch(S(sid), p).status, 422);
  p["auto_end_timeout_s"] = 86401;
  EXPECT_EQ(c.Patch(S(sid), p).status, 422);
  EXPECT_EQ(JsonOf(c.Get(S(sid)))["auto_end_timeout_s"], 100);
  // Disabling cancels.
  Json::Value off;
  off["auto_end_enabled"] = false;
  ASSERT_EQ(c.Patch(S(sid), off).status, 200);
  WaitStream(c, sid, [](const Json::Value& v) { return v["auto_end"]["armed"] == false; });
  bool disabled_event = false;
  for (int i = 0; i < 100 && !disabled_event; ++i) {
    for (auto& [id, d] : Events("auto_end_cancelled", sid)) disabled_event |= d["reason"] == "disabled";
    if (!disabled_event) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(disabled_event);
  // Enabled again with nobody there: a new countdown; then a manual stop during it.
  Json::Value on;
  on["auto_end_enabled"] = true;
  ASSERT_EQ(c.Patch(S(sid), on).status, 200);
  WaitStream(c, sid, [](const Json::Value& v) { return v["auto_end"]["armed"] == true; });
  HttpResponse r = c.Post(S(sid) + "/stop", Json::Value(Json::objectValue));
  ASSERT_EQ(r.status, 200);
  Json::Value v = WaitStream(c, sid, [](const Json::Value& v) { return v["state"] == "stopped"; });
  EXPECT_EQ(v["end_reason"], "manual");
  pqxx::connection pg(stack_->pg_dsn());
  pqxx::read_transaction tx(pg);
  EXPECT_FALSE(tx.exec_params1("SELECT ended_by FROM stream_sessions WHERE stream_id = $1 "
                               "ORDER BY id DESC LIMIT 1",
                               sid)[0]
                   .is_null());
}

TEST_F(AutoEndTest, WithAutoEndOffAStreamRunsOnAndARestartKeepsTheDeadline) {
  ApiClient c = Admin();
  const int64_t forever = Running(c, "forever", 10, /*enabled=*/false);
  const int64_t sid = Running(c, "restart", 20);
  WaitStream(c, sid, [](const Json::Value& v) { return v["auto_end"]["armed"] == true; });
  const int64_t deadline = DeadlineMs(sid);
  // A clean restart of the streamer in the middle of the countdown.
  stack_->StartDaemon("streamer");
  WaitStream(c, sid, [](const Json::Value& v) { return v["state"] == "running"; });
  EXPECT_EQ(DeadlineMs(sid), deadline);
  Json::Value v = WaitStream(c, sid, [](const Json::Value& v) { return v["desired_state"] == "stopped"; },
                       milliseconds(25000));
  EXPECT_EQ(v["end_reason"], "auto_end");
  const std::string stopped = StoppedByAutoEnd(sid);
  ASSERT_FALSE(stopped.empty()) << ReadAll(stack_->log_path("streamer"));
  EXPECT_NEAR(static_cast<double>(EntryMs(stopped)), static_cast<double>(deadline), 1000.0);
  // The stream with auto-end off outlived a 10 s timeout twice over and still runs.
  v = JsonOf(c.Get(S(forever)));
  EXPECT_EQ(v["desired_state"], "running");
  EXPECT_EQ(v["state"], "running");
  EXPECT_EQ(v["auto_end"]["armed"], false);
  EXPECT_TRUE(Events("auto_end_warning", forever).empty());
}

}  // namespace
}  // namespace sattva::testing
