// The feed's live data end to end: one WebSocket client connected from the start keeps the
// snapshot plus the events after it through a scripted run of stream starts and stops, queue
// adds, removes and moves and live-mount listeners; at the end its reconstructed state equals
// the REST state and a fresh snapshot. Also: stats arrive with their fields, stream_tick for a
// running stream, ?snapshot=0 and the snapshot command, the redacted snapshot of a plain user,
// and GET /api/v1/stats. Real PostgreSQL, Redis, nginx, fcgi, wsd and streamer.
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/audio_files.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/stack.h"
#include "tests/support/stream_events.h"
#include "tests/support/ws_client.h"

namespace sattva::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

Json::Value ParseText(const std::string& text) {
  Json::Value v;
  std::string error;
  EXPECT_TRUE(common::ParseJson(text, &v, &error)) << text;
  return v;
}

// What a client can know of one stream, and what the comparison covers.
struct StreamView {
  std::string state;    // running | stopped
  std::string item_id;  // the now-playing queue item, "" for none or a placeholder
  bool playing = false;  // something (an item or a placeholder) is recorded as playing
  int64_t listeners = 0, live = 0, bridge = 0;
  int64_t version = 0, length = 0;
  std::vector<std::string> head;  // "position:id" of the first three items
  bool operator==(const StreamView& o) const {
    return state == o.state && item_id == o.item_id && playing == o.playing &&
           listeners == o.listeners && live == o.live && bridge == o.bridge &&
           version == o.version && length == o.length && head == o.head;
  }
};
using StationView = std::map<int64_t, StreamView>;

std::string Describe(const StationView& v) {
  std::ostringstream out;
  for (const auto& [id, s] : v) {
    out << "  stream " << id << ": " << s.state << ", item '" << s.item_id << "'"
        << (s.playing ? " (playing)" : " (nothing)") << ", listeners " << s.listeners << "/"
        << s.live << "/" << s.bridge << ", queue v" << s.version << " len " << s.length
        << " head [";
    for (const auto& h : s.head) out << h << " ";
    out << "]\n";
  }
  return out.str();
}

std::vector<std::string> HeadOf(const Json::Value& items) {
  std::vector<std::string> out;
  for (const Json::Value& it : items) {
    if (out.size() == 3) break;
    out.push_back(std::to_string(it["position"].asInt64()) + ":" + it["id"].asString());
  }
  return out;
}

void NowFromSnapshotTrack(const Json::Value& np, StreamView* s) {
  s->playing = np.isObject();
  s->item_id = np.isObject() && np["item_id"].isString() ? np["item_id"].asString() : "";
}

StationView FromSnapshot(const Json::Value& snap) {
  StationView out;
  for (const Json::Value& st : snap["streams"]) {
    StreamView s;
    s.state = st["state"].asString();
    NowFromSnapshotTrack(st["now_playing"], &s);
    s.listeners = st["listeners"]["total"].asInt64();
    s.live = st["listeners"]["live"].asInt64();
    s.bridge = st["listeners"]["bridge"].asInt64();
    s.version = st["queue"]["version"].asInt64();
    s.length = st["queue"]["length"].asInt64();
    s.head = HeadOf(st["queue"]["head"]);
    out[st["id"].asInt64()] = s;
  }
  return out;
}

// Applies one event to the view, the way a monitoring client does.
void Apply(const Json::Value& e, StationView* view) {
  if (!e["stream_id"].isIntegral()) return;
  auto it = view->find(e["stream_id"].asInt64());
  if (it == view->end()) return;
  StreamView& s = it->second;
  const std::string type = e["type"].asString();
  const Json::Value& d = e["data"];
  if (type == "stream_update") {
    const std::string ev = d["event"].asString();
    if (ev == "stopped") {
      s.state = "stopped";
      s.playing = false;
      s.item_id = "";
      s.listeners = s.live = s.bridge = 0;  // the sinks end with the stream
    } else {
      s.state = "running";
      if (d["track"].isObject()) {
        s.playing = true;
        s.item_id = d["track"]["item_id"].isString() ? d["track"]["item_id"].asString() : "";
      }
    }
  } else if (type == "queue_update") {
    s.version = d["version"].asInt64();
    s.length = d["length"].asInt64();
    s.head = HeadOf(d["head"]);
  } else if (type == "listeners_update") {
    s.listeners = d["count"].asInt64();
    s.live = d["sinks"]["live"].asInt64();
    s.bridge = d["sinks"]["bridge"].asInt64();
  }
}

class WsSnapshotTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o = StreamerTestOptions();
    o.wsd = true;
    o.extra_config.push_back("stats_interval_s = 1");
    stack_ = new Stack(o);
    password_ = stack_->CreateAdmin("watcher@example.com");
    mkdir((stack_->dir() + "/media").c_str(), 0755);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  ApiClient Admin() {
    ApiClient c(stack_->nginx_port);
    EXPECT_EQ(c.Login("watcher@example.com", password_).status, 200);
    return c;
  }
  // An API token of the admin: the WebSocket upgrade sends it as a Bearer credential.
  std::string Token(ApiClient& c) {
    Json::Value b;
    b["name"] = "ws-snapshot-itest";
    HttpResponse r = c.Post("/api/v1/tokens", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["token"].asString();
  }
  void Connect(WsClient& ws, const std::string& token, const std::string& query = "") {
    ws.set_headers({{"Authorization", "Bearer " + token}});
    std::string error;
    ASSERT_TRUE(ws.Connect("127.0.0.1", stack_->wsd_port, "/ws/stats" + query, &error))
        << error << " (HTTP " << ws.http_status() << ")";
  }
  static std::string S(int64_t sid) { return "/api/v1/streams/" + std::to_string(sid); }
  int64_t NewStream(ApiClient& c, const std::string& slug) {
    Json::Value b;
    b["slug"] = slug;
    b["title"] = "Stream " + slug;
    b["auto_end_enabled"] = false;
    HttpResponse r = c.Post("/api/v1/streams", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }
  int64_t NewTrack(ApiClient& c, const std::string& name, int freq) {
    const std::string path = stack_->dir() + "/media/" + name + ".mp3";
    // Long enough that nothing ends by itself during the test.
    const std::string err = WriteTone(path, freq, 180.0);
    EXPECT_EQ(err, "");
    Json::Value b;
    b["path"] = path;
    HttpResponse r = c.Post("/api/v1/tracks", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }
  std::vector<std::string> Queue(ApiClient& c, int64_t sid, const std::vector<int64_t>& tracks) {
    Json::Value b;
    for (int64_t t : tracks) b["track_ids"].append(static_cast<Json::Int64>(t));
    HttpResponse r = c.Post(S(sid) + "/queue", b);
    EXPECT_EQ(r.status, 201) << r.body;
    std::vector<std::string> ids;
    const Json::Value body = JsonOf(r);
    for (const Json::Value& id : body["item_ids"]) ids.push_back(id.asString());
    return ids;
  }
  void Action(ApiClient& c, int64_t sid, const std::string& action) {
    HttpResponse r = c.Post(S(sid) + "/" + action, Json::Value(Json::objectValue));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // The REST view of |ids|: GET /api/v1/streams/{id} and its queue.
  StationView Rest(ApiClient& c, const std::vector<int64_t>& ids) {
    StationView out;
    for (int64_t sid : ids) {
      const Json::Value st = JsonOf(c.Get(S(sid)));
      const Json::Value q = JsonOf(c.Get(S(sid) + "/queue"));
      StreamView s;
      s.state = st["state"].asString() == "running" ? "running" : "stopped";
      const Json::Value& np = st["now_playing"];
      s.playing = np.isObject();
      s.item_id = np.isObject() && np["id"].isString() ? np["id"].asString() : "";
      s.listeners = st["listeners"].asInt64();
      s.live = st["listeners_live"].asInt64();
      s.bridge = st["listeners_bridge"].asInt64();
      s.version = st["queue_version"].asInt64();
      s.length = st["queue_length"].asInt64();
      s.head = HeadOf(q["items"]);
      out[sid] = s;
    }
    return out;
  }

  static Stack* stack_;
  static std::string password_;
};
Stack* WsSnapshotTest::stack_ = nullptr;
std::string WsSnapshotTest::password_;

// Reads one client's messages and keeps its view (snapshot + events), its stats and ticks.
struct Watcher {
  WsClient ws;
  bool have_snapshot = false;
  std::string snapshot_last_id;
  StationView view;
  std::string last_event_id;
  std::set<std::string> seen_ids;
  int duplicates = 0, out_of_order = 0, snapshots = 0, errors = 0, resyncs = 0;
  std::vector<Json::Value> stats, ticks;
  std::vector<std::string> order;  // message types, in arrival order
  bool snapshot_first = true;      // events must not come before the first snapshot

  // Reads until |done| holds or |timeout| passes; false on timeout or a closed connection.
  bool PumpUntil(const std::function<bool()>& done, milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!done()) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return false;
      std::string text;
      if (!ws.ReadText(&text, static_cast<int>(left.count()))) return done();
      Handle(ParseText(text));
    }
    return true;
  }
  // Reads whatever arrives within |quiet|.
  void Drain(milliseconds quiet) {
    std::string text;
    while (ws.ReadText(&text, static_cast<int>(quiet.count()))) Handle(ParseText(text));
  }
  void Handle(const Json::Value& m) {
    const std::string type = m["type"].asString();
    order.push_back(type);
    if (type == "snapshot") {
      ++snapshots;
      have_snapshot = true;
      view = FromSnapshot(m);
      snapshot_last_id = m["last_event_id"].isString() ? m["last_event_id"].asString() : "";
      return;
    }
    if (type == "stats") {
      stats.push_back(m);
      return;
    }
    if (type == "stream_tick") {
      ticks.push_back(m);
      return;
    }
    if (type == "error") ++errors;
    if (type == "resync_required") ++resyncs;
    if (!m["id"].isString()) return;
    const std::string id = m["id"].asString();
    if (!seen_ids.insert(id).second) ++duplicates;
    if (!last_event_id.empty() && EntryMs(id) < EntryMs(last_event_id)) ++out_of_order;
    last_event_id = id;
    if (snapshot_first) {
      EXPECT_TRUE(have_snapshot) << "an event before the snapshot: " << id;
    }
    Apply(m, &view);
  }
};

TEST_F(WsSnapshotTest, SnapshotPlusEventsEqualsRestAndAFreshSnapshot) {
  ApiClient c = Admin();
  const std::string token = Token(c);
  const int64_t t1 = NewTrack(c, "t1", 330), t2 = NewTrack(c, "t2", 440),
                t3 = NewTrack(c, "t3", 550), t4 = NewTrack(c, "t4", 660);
  const int64_t a = NewStream(c, "alpha"), b = NewStream(c, "bravo"), d = NewStream(c, "delta");
  const std::vector<int64_t> ids = {a, b, d};
  // Some state before the client connects: it must come from the snapshot.
  Queue(c, a, {t1, t2, t3});
  Action(c, a, "start");

  Watcher w;
  Connect(w.ws, token);
  ASSERT_TRUE(w.PumpUntil([&] { return w.have_snapshot; }, milliseconds(5000)));
  ASSERT_GE(w.order.size(), 2u);
  EXPECT_EQ(w.order[0], "hello");
  EXPECT_EQ(w.order[1], "snapshot");
  ASSERT_EQ(w.view.count(a), 1u);

  // The scripted run.
  Action(c, b, "start");  // an empty queue: silence
  std::vector<std::string> dq = Queue(c, d, {t1, t2, t3, t4});
  ASSERT_EQ(dq.size(), 4u);
  {
    Json::Value mv;
    mv["to"] = 1;
    ASSERT_EQ(c.Post(S(d) + "/queue/" + dq[2] + "/move", mv).status, 200);
  }
  ASSERT_EQ(c.Delete(S(d) + "/queue/" + dq[1]).status, 200);
  Queue(c, b, {t4, t1});  // cuts into the silence
  Action(c, d, "start");
  Queue(c, a, {t4});
  WaitStream(c, b, [](const Json::Value& v) { return v["now_playing"]["id"].isString(); });
  Action(c, b, "stop");
  // A listener that comes and goes on delta, and one that stays on alpha.
  {
    Process brief;
    brief.Start({"/usr/bin/curl", "-s", "-o", "/dev/null", "--max-time", "2",
                 "http://127.0.0.1:" + std::to_string(stack_->nginx_port) + "/live/delta.ogg"},
                stack_->dir() + "/curl-delta.log");
    WaitStream(c, d, [](const Json::Value& v) { return v["listeners"] == 1; });
    brief.Wait();
  }
  Process stays;
  stays.Start({"/usr/bin/curl", "-s", "-o", "/dev/null", "--max-time", "60",
               "http://127.0.0.1:" + std::to_string(stack_->nginx_port) + "/live/alpha.ogg"},
              stack_->dir() + "/curl-alpha.log");
  WaitStream(c, a, [](const Json::Value& v) { return v["listeners"] == 1; });
  WaitStream(c, d, [](const Json::Value& v) { return v["listeners"] == 0; });
  Action(c, b, "start");  // again: it plays what is left of its queue
  Action(c, d, "stop");
  WaitStream(c, d, [](const Json::Value& v) { return v["state"] == "stopped"; });
  WaitStream(c, b, [](const Json::Value& v) {
    return v["state"] == "running" && v["now_playing"]["id"].isString() && v["queue_length"] == 0;
  });

  // The client catches up: its view equals the REST state.
  StationView rest;
  const bool equal = w.PumpUntil(
      [&] {
        w.Drain(milliseconds(50));
        rest = Rest(c, ids);
        return w.view == rest;
      },
      milliseconds(10000));
  EXPECT_TRUE(equal) << "snapshot + events:\n"
                     << Describe(w.view) << "REST:\n"
                     << Describe(rest);
  EXPECT_EQ(w.duplicates, 0);
  EXPECT_EQ(w.out_of_order, 0);
  EXPECT_EQ(w.snapshots, 1);
  EXPECT_EQ(w.errors, 0);
  EXPECT_EQ(w.resyncs, 0);
  // Sanity: the run did what it says, so the comparison covered real state.
  EXPECT_EQ(rest[a].state, "running");
  EXPECT_EQ(rest[a].listeners, 1);
  EXPECT_EQ(rest[a].live, 1);
  EXPECT_EQ(rest[b].state, "running");
  EXPECT_FALSE(rest[b].item_id.empty());
  EXPECT_EQ(rest[b].length, 0);
  // delta: moved dq2 first, removed dq1, then played dq2; dq0 and dq3 are left.
  EXPECT_EQ(rest[d].state, "stopped");
  EXPECT_FALSE(rest[d].playing);
  EXPECT_EQ(rest[d].length, 2);
  EXPECT_EQ(rest[d].head, (std::vector<std::string>{"1:" + dq[0], "2:" + dq[3]}));

  // A fresh snapshot says the same.
  Watcher fresh;
  Connect(fresh.ws, token);
  ASSERT_TRUE(fresh.PumpUntil([&] { return fresh.have_snapshot; }, milliseconds(5000)));
  EXPECT_EQ(fresh.view, rest) << "fresh snapshot:\n"
                              << Describe(fresh.view) << "REST:\n"
                              << Describe(rest);

  // stats arrived (every second here) with every field, and stream_tick for alpha (the ticks
  // from now on: delta has stopped).
  const size_t old_ticks = w.ticks.size();
  ASSERT_TRUE(w.PumpUntil([&] { return !w.stats.empty() && w.ticks.size() > old_ticks + 1; },
                          milliseconds(5000)));
  const Json::Value& st = w.stats.back();
  EXPECT_FALSE(st.isMember("id"));
  for (const char* k : {"active_streams", "total_listeners", "queue_items", "cpu_percent",
                        "memory_percent", "uptime_seconds", "events_per_second", "connections",
                        "streamers"}) {
    EXPECT_TRUE(st["data"].isMember(k)) << k << " in " << common::WriteJson(st);
  }
  ASSERT_TRUE(w.PumpUntil(
      [&] {
        const Json::Value& d = w.stats.back()["data"];
        return d["active_streams"] == 2 && d["total_listeners"] == 1 && d["queue_items"] == 5 &&
               d["connections"].asInt() >= 2 && d["streamers"].size() == 1;
      },
      milliseconds(5000)))
      << common::WriteJson(w.stats.back());
  const Json::Value& streamer = w.stats.back()["data"]["streamers"][0];
  EXPECT_EQ(streamer["streams"], 2);
  EXPECT_GT(streamer["rss_bytes"].asInt64(), 0);
  EXPECT_TRUE(streamer["memory_percent"].isNumeric());
  bool tick_for_alpha = false;
  for (size_t i = old_ticks + 1; i < w.ticks.size(); ++i) {
    const Json::Value& t = w.ticks[i];
    EXPECT_FALSE(t.isMember("id"));
    for (const Json::Value& s : t["data"]["streams"]) {
      EXPECT_NE(s["stream_id"].asInt64(), d) << "a tick for a stopped stream";
      if (s["stream_id"] == a && s["item_id"].isString() && s["position_ms"].isIntegral() &&
          s["listeners"]["total"] == 1) {
        tick_for_alpha = true;
      }
    }
  }
  EXPECT_TRUE(tick_for_alpha);

  // GET /api/v1/stats: the same figures.
  HttpResponse r = c.Get("/api/v1/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json::Value api = JsonOf(r);
  EXPECT_EQ(api["active_streams"], 2);
  EXPECT_EQ(api["total_listeners"], 1);
  EXPECT_EQ(api["queue_items"], 5);
  EXPECT_GE(api["uptime_seconds"].asInt64(), 0);
  ASSERT_EQ(api["streamers"].size(), 1u);
  EXPECT_EQ(api["streamers"][0]["streams"], 2);
  EXPECT_EQ(ApiClient(stack_->nginx_port).Get("/api/v1/stats").status, 401);
}

TEST_F(WsSnapshotTest, SnapshotOnRequestAndNoneWithSnapshotZero) {
  ApiClient c = Admin();
  const std::string token = Token(c);
  Watcher w;
  w.snapshot_first = false;
  // No snapshot at connect: the command is not refused as "already in progress", and exactly
  // one snapshot comes, the answer to it.
  Connect(w.ws, token, "?snapshot=0");
  ASSERT_TRUE(w.PumpUntil([&] { return !w.order.empty(); }, milliseconds(5000)));
  EXPECT_EQ(w.order[0], "hello");
  ASSERT_TRUE(w.ws.SendText(R"({"type":"snapshot"})"));
  ASSERT_TRUE(w.PumpUntil([&] { return w.have_snapshot; }, milliseconds(5000)));
  ASSERT_TRUE(w.ws.SendText(R"({"type":"ping"})"));
  ASSERT_TRUE(w.PumpUntil(
      [&] { return !w.order.empty() && w.order.back() == "pong"; }, milliseconds(5000)));
  EXPECT_EQ(w.snapshots, 1);
  EXPECT_EQ(w.errors, 0);
  // And a second command gets a second snapshot.
  ASSERT_TRUE(w.ws.SendText(R"({"type":"snapshot"})"));
  ASSERT_TRUE(w.PumpUntil([&] { return w.snapshots == 2; }, milliseconds(5000)));
  EXPECT_EQ(w.errors, 0);
}

TEST_F(WsSnapshotTest, APlainUserGetsTheSnapshotWithoutWhoQueuedWhat) {
  ApiClient admin = Admin();
  const int64_t t = NewTrack(admin, "t-redact", 770);
  const int64_t sid = NewStream(admin, "echo");
  Queue(admin, sid, {t, t});
  auto [uid, password] = CreateUserViaApi(admin, "listener@example.com", "user", "Lee");
  ASSERT_GT(uid, 0);
  ApiClient user(stack_->nginx_port);
  ASSERT_EQ(user.Login("listener@example.com", password).status, 200);

  auto head_of = [&](const std::string& token) {
    WsClient ws;
    Connect(ws, token);
    std::string text;
    while (ws.ReadText(&text, 5000)) {
      const Json::Value m = ParseText(text);
      if (m["type"] != "snapshot") continue;
      for (const Json::Value& s : m["streams"]) {
        if (s["id"] == sid) return s["queue"]["head"];
      }
    }
    ADD_FAILURE() << "no snapshot";
    return Json::Value();
  };
  const Json::Value full = head_of(Token(admin));
  ASSERT_EQ(full.size(), 2u);
  EXPECT_TRUE(full[0]["added_by"].isObject()) << common::WriteJson(full);
  const Json::Value redacted = head_of(Token(user));
  ASSERT_EQ(redacted.size(), 2u);
  EXPECT_EQ(redacted[0]["id"], full[0]["id"]);
  EXPECT_FALSE(redacted[0].isMember("added_by")) << common::WriteJson(redacted);
  EXPECT_FALSE(redacted[1].isMember("added_by"));
}

}  // namespace
}  // namespace sattva::testing
