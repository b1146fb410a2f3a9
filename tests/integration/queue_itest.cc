// Streams and queues through nginx: the stories, concurrent edits, durability across a
// Redis kill -9, and bad input that must change nothing.
#include <signal.h>

#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"
#include "common/stream_keys.h"
#include "tests/support/api_client.h"
#include "tests/support/stack.h"
#include "tests/unit/common/test_files.h"

namespace sattva::testing {
namespace {

class QueueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions o;
    o.wsd = false;
    o.streamer = false;
    o.extra_config = {"login_ip_limit = 100000", "queue_max_length = 900"};
    stack_ = new Stack(o);
    password_ = stack_->CreateAdmin("dj@example.com");
    pqxx::connection c(stack_->pg_dsn());
    pqxx::work tx(c);
    for (int i = 1; i <= 1000; ++i) {
      tx.exec_params(
          "INSERT INTO tracks (source_kind, source, title, artist, duration_ms) VALUES "
          "('file', $1, $2, 'Artist', 180000)",
          "/media/t" + std::to_string(i) + ".mp3", "Track " + std::to_string(i));
    }
    first_track_ = tx.exec1("SELECT min(id) FROM tracks")[0].as<int64_t>();
    tx.commit();
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  ApiClient Admin() {
    ApiClient c(stack_->nginx_port);
    EXPECT_EQ(c.Login("dj@example.com", password_).status, 200);
    return c;
  }

  int64_t NewStream(ApiClient& c, const std::string& slug) {
    Json::Value b;
    b["slug"] = slug;
    b["title"] = "Stream " + slug;
    HttpResponse r = c.Post("/api/v1/streams", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }

  static std::string Q(int64_t sid) { return "/api/v1/streams/" + std::to_string(sid) + "/queue"; }

  HttpResponse Add(ApiClient& c, int64_t sid, int64_t track, const Json::Value& at = Json::Value()) {
    Json::Value b;
    b["track_id"] = static_cast<Json::Int64>(track);
    if (!at.isNull()) b["at"] = at;
    return c.Post(Q(sid), b);
  }

  Json::Value Queue(ApiClient& c, int64_t sid) {
    HttpResponse r = c.Get(Q(sid));
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonOf(r);
  }

  std::vector<int64_t> TrackOrder(ApiClient& c, int64_t sid) {
    std::vector<int64_t> out;
    const Json::Value q = Queue(c, sid);
    for (const auto& it : q["items"]) out.push_back(it["track"]["id"].asInt64());
    return out;
  }

  int64_t T(int n) const { return first_track_ + n - 1; }  // the n-th seeded track

  static Stack* stack_;
  static std::string password_;
  static int64_t first_track_;
};
Stack* QueueTest::stack_ = nullptr;
std::string QueueTest::password_;
int64_t QueueTest::first_track_ = 0;

TEST_F(QueueTest, ThreeTracksOnAnEmptyQueueArePositionsOneTwoThree) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "three");
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(Add(c, sid, T(i)).status, 201);
  Json::Value q = Queue(c, sid);
  ASSERT_EQ(q["items"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(q["items"][i]["position"].asInt(), i + 1);
    EXPECT_EQ(q["items"][i]["track"]["id"].asInt64(), T(i + 1));
    EXPECT_EQ(q["items"][i]["track"]["title"].asString(), "Track " + std::to_string(i + 1));
    EXPECT_EQ(q["items"][i]["track"]["duration_ms"].asInt(), 180000);
    EXPECT_FALSE(q["items"][i]["id"].asString().empty());
    EXPECT_FALSE(q["items"][i]["added_at"].asString().empty());
    EXPECT_TRUE(q["items"][i]["added_by"].isObject());
  }
  EXPECT_EQ(q["version"].asInt(), 3);
  EXPECT_TRUE(q["now_playing"].isNull());
}

TEST_F(QueueTest, MovingFourOfFiveToTwo) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "move");
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(Add(c, sid, T(i)).status, 201);
  Json::Value q = Queue(c, sid);
  const std::string fourth = q["items"][3]["id"].asString();
  Json::Value b;
  b["to"] = 2;
  HttpResponse r = c.Post(Q(sid) + "/" + fourth + "/move", b);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(TrackOrder(c, sid), (std::vector<int64_t>{T(1), T(4), T(2), T(3), T(5)}));
  // And to the end, and to the front.
  b["to"] = 5;
  ASSERT_EQ(c.Post(Q(sid) + "/" + fourth + "/move", b).status, 200);
  EXPECT_EQ(TrackOrder(c, sid), (std::vector<int64_t>{T(1), T(2), T(3), T(5), T(4)}));
  b["to"] = 1;
  ASSERT_EQ(c.Post(Q(sid) + "/" + fourth + "/move", b).status, 200);
  EXPECT_EQ(TrackOrder(c, sid), (std::vector<int64_t>{T(4), T(1), T(2), T(3), T(5)}));
}

class NowPlaying {
 public:
  // Puts an item on air the way the streamer does.
  NowPlaying(Stack& stack, int64_t sid) : redis_(stack.RedisClient()) {
    key_ = "sattva:stream:{" + std::to_string(sid) + "}:now";
    redis_->Checked({"HSET", key_, "item",
                     "{\"id\":\"999999\",\"track\":{\"id\":1,\"title\":\"On air\"}}", "started_at",
                     "2026-01-01T00:00:00.000Z", "position_ms", "42000"});
  }
  std::string Dump() {
    auto r = redis_->Checked({"HGETALL", key_});
    std::string s;
    for (size_t i = 0; i < r->elements; ++i) s += std::string(r->element[i]->str) + "|";
    return s;
  }

 private:
  std::unique_ptr<common::Redis> redis_;
  std::string key_;
};

TEST_F(QueueTest, RemovingTheNextItemLeavesTheOnePlayingAlone) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "remove-next");
  NowPlaying np(*stack_, sid);
  const std::string before = np.Dump();
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(Add(c, sid, T(i)).status, 201);
  Json::Value q = Queue(c, sid);
  EXPECT_EQ(q["now_playing"]["title"].asString(), "");  // item fields are merged in
  EXPECT_EQ(q["now_playing"]["track"]["title"].asString(), "On air");
  EXPECT_EQ(q["now_playing"]["position_ms"].asInt(), 42000);
  HttpResponse r = c.Delete(Q(sid) + "/" + q["items"][0]["id"].asString());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(TrackOrder(c, sid), (std::vector<int64_t>{T(2), T(3)}));
  EXPECT_EQ(np.Dump(), before);
  EXPECT_EQ(Queue(c, sid)["now_playing"]["track"]["title"].asString(), "On air");
}

TEST_F(QueueTest, NextGoesFirstWithoutInterrupting) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "play-next");
  NowPlaying np(*stack_, sid);
  const std::string before = np.Dump();
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(Add(c, sid, T(i)).status, 201);
  ASSERT_EQ(Add(c, sid, T(9), "next").status, 201);
  EXPECT_EQ(TrackOrder(c, sid), (std::vector<int64_t>{T(9), T(1), T(2), T(3)}));
  EXPECT_EQ(np.Dump(), before);
  // A position in the middle, and several ids at once keep their order.
  Json::Value b;
  b["track_ids"] = Json::Value(Json::arrayValue);
  b["track_ids"].append(static_cast<Json::Int64>(T(7)));
  b["track_ids"].append(static_cast<Json::Int64>(T(8)));
  b["at"] = 3;
  ASSERT_EQ(c.Post(Q(sid), b).status, 201);
  EXPECT_EQ(TrackOrder(c, sid), (std::vector<int64_t>{T(9), T(1), T(7), T(8), T(2), T(3)}));
}

TEST_F(QueueTest, EightConcurrentClientsAddOneHundredEach) {
  ApiClient admin = Admin();
  const int64_t sid = NewStream(admin, "concurrent");
  std::vector<std::vector<std::string>> ids(8);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int k = 0; k < 8; ++k) {
    threads.emplace_back([&, k] {
      ApiClient c(stack_->nginx_port);
      if (c.Login("dj@example.com", password_).status != 200) {
        ++failures;
        return;
      }
      for (int i = 0; i < 100; ++i) {
        HttpResponse r = Add(c, sid, T(k * 100 + i + 1));
        if (r.status != 201) {
          ++failures;
          continue;
        }
        ids[k].push_back(JsonOf(r)["item_ids"][0].asString());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  Json::Value q = Queue(admin, sid);
  ASSERT_EQ(q["items"].size(), 800u);
  EXPECT_EQ(q["version"].asInt(), 800);
  std::set<std::string> seen;
  std::map<std::string, size_t> position;
  for (const auto& it : q["items"]) {
    EXPECT_TRUE(seen.insert(it["id"].asString()).second) << "duplicate " << it["id"];
    position[it["id"].asString()] = it["position"].asUInt();
  }
  for (int k = 0; k < 8; ++k) {
    ASSERT_EQ(ids[k].size(), 100u);
    for (size_t i = 1; i < ids[k].size(); ++i) {
      EXPECT_LT(position[ids[k][i - 1]], position[ids[k][i]]) << "client " << k << " item " << i;
    }
  }
}

TEST_F(QueueTest, QueueSurvivesRedisKill9) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "durable");
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(Add(c, sid, T(i)).status, 201);
  Json::Value before = Queue(c, sid);
  stack_->KillRedis();
  stack_->StartRedis();
  Json::Value after = Queue(c, sid);
  EXPECT_EQ(common::WriteJson(after["items"]), common::WriteJson(before["items"]));
  EXPECT_EQ(after["version"], before["version"]);
  // And it keeps working: the scripts are reloaded after the restart.
  EXPECT_EQ(Add(c, sid, T(6)).status, 201);
}

TEST_F(QueueTest, BadInputGetsItsAnswerAndChangesNothing) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "bad-input");
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(Add(c, sid, T(i)).status, 201);
  Json::Value q = Queue(c, sid);
  const int version = q["version"].asInt();
  const std::string item = q["items"][1]["id"].asString();
  const std::string json = "application/json";
  struct Case {
    std::string method, target, body;
    int status;
  };
  const std::string base = Q(sid);
  const std::vector<Case> cases = {
      {"POST", Q(999999), "{\"track_id\":" + std::to_string(T(1)) + "}", 404},
      {"POST", base, "{\"track_id\":99999999}", 404},
      {"DELETE", base + "/99999999", "", 404},
      {"DELETE", base + "/not-an-id", "", 404},
      {"POST", base + "/99999999/move", "{\"to\":1}", 404},
      {"POST", base + "/" + item + "/move", "{\"to\":0}", 422},
      {"POST", base + "/" + item + "/move", "{\"to\":4}", 422},
      {"POST", base + "/" + item + "/move", "{\"to\":\"2\"}", 400},
      {"POST", base, "{\"track_id\":\"" + std::to_string(T(1)) + "\"}", 400},
      {"POST", base, "{\"track_id\":" + std::to_string(T(1)) + ",\"at\":{}}", 400},
      {"POST", base, "{\"track_id\":" + std::to_string(T(1)) + ",\"at\":5}", 422},
      {"POST", base, "{\"track_id\":" + std::to_string(T(1)) + ",\"at\":\"later\"}", 422},
      {"POST", base, "{\"track_ids\":\"1,2\"}", 400},
      {"POST", base, "{\"track_ids\":[]}", 422},
      {"POST", base, "{}", 422},
      {"POST", base, "{\"track_id\":1,", 400},
      {"POST", base, "[1]", 400},
      {"POST", base, "{\"track_id\":" + std::to_string(T(1)) + ",\"if_version\":0}", 409},
      {"DELETE", base + "/" + item + "?if_version=0", "", 409},
      {"GET", "/api/v1/streams/1%2F..%2F..%2Fetc%2Fpasswd/queue", "", 404},
      {"GET", "/api/v1/streams/..%2F1/queue", "", 404},
  };
  for (const Case& k : cases) {
    HttpResponse r = c.Send(k.method, k.target, k.body, {});
    EXPECT_EQ(r.status, k.status) << k.method << " " << k.target << " " << k.body << " -> " << r.body;
    EXPECT_TRUE(JsonOf(r)["error"].isMember("code")) << k.target << " " << r.body;
    EXPECT_EQ(Queue(c, sid)["version"].asInt(), version) << k.method << " " << k.target;
  }
  // 50 MB: nginx refuses it before anyone reads it.
  HttpResponse big = c.Send("POST", base, std::string(50 << 20, ' '), {});
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(JsonOf(big)["error"]["code"].asString(), "payload_too_large");
  EXPECT_EQ(Queue(c, sid)["version"].asInt(), version);
  EXPECT_EQ(TrackOrder(c, sid), (std::vector<int64_t>{T(1), T(2), T(3)}));
}

TEST_F(QueueTest, FullQueueIs422) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "full");
  Json::Value b;
  b["track_ids"] = Json::Value(Json::arrayValue);
  for (int i = 1; i <= 900; ++i) b["track_ids"].append(static_cast<Json::Int64>(T(i)));
  ASSERT_EQ(c.Post(Q(sid), b).status, 201);
  const int version = Queue(c, sid)["version"].asInt();
  HttpResponse r = Add(c, sid, T(1));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(JsonOf(r)["error"]["code"].asString(), "queue_full");
  EXPECT_EQ(Queue(c, sid)["version"].asInt(), version);
}

TEST_F(QueueTest, UsersAddAndRemoveOnlyTheirOwn) {
  ApiClient admin = Admin();
  const int64_t sid = NewStream(admin, "users");
  ASSERT_EQ(Add(admin, sid, T(1)).status, 201);
  auto [uid, upw] = CreateUserViaApi(admin, "listener@example.com", "user");
  ApiClient user(stack_->nginx_port);
  ASSERT_EQ(user.Login("listener@example.com", upw).status, 200);
  HttpResponse mine = Add(user, sid, T(2));
  ASSERT_EQ(mine.status, 201) << mine.body;
  Json::Value q = Queue(user, sid);
  const std::string admins_item = q["items"][0]["id"].asString();
  const std::string my_item = q["items"][1]["id"].asString();
  EXPECT_EQ(user.Delete(Q(sid) + "/" + admins_item).status, 403);
  Json::Value to;
  to["to"] = 1;
  EXPECT_EQ(user.Post(Q(sid) + "/" + my_item + "/move", to).status, 403);
  EXPECT_EQ(user.Post(Q(sid) + "/shuffle", Json::Value(Json::objectValue)).status, 403);
  EXPECT_EQ(user.Delete(Q(sid)).status, 403);
  EXPECT_EQ(user.Post("/api/v1/streams/" + std::to_string(sid) + "/start",
                      Json::Value(Json::objectValue))
                .status,
            403);
  EXPECT_EQ(user.Delete(Q(sid) + "/" + my_item).status, 200);
  EXPECT_EQ(TrackOrder(admin, sid), (std::vector<int64_t>{T(1)}));
}

TEST_F(QueueTest, ShuffleAndClearAndEvents) {
  ApiClient c = Admin();
  const int64_t sid = NewStream(c, "shuffle");
  auto redis = stack_->RedisClient();
  auto last = redis->Checked({"XREVRANGE", "sattva:events", "+", "-", "COUNT", "1"});
  const std::string from = last->elements ? last->element[0]->element[0]->str : "0";
  Json::Value b;
  b["track_ids"] = Json::Value(Json::arrayValue);
  for (int i = 1; i <= 50; ++i) b["track_ids"].append(static_cast<Json::Int64>(T(i)));
  ASSERT_EQ(c.Post(Q(sid), b).status, 201);
  std::vector<int64_t> before = TrackOrder(c, sid);
  HttpResponse s = c.Post(Q(sid) + "/shuffle", Json::Value(Json::objectValue));
  ASSERT_EQ(s.status, 200) << s.body;
  std::vector<int64_t> after = TrackOrder(c, sid);
  EXPECT_NE(after, before);
  std::vector<int64_t> sorted = after;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, before);
  ASSERT_EQ(c.Delete(Q(sid)).status, 200);
  EXPECT_EQ(Queue(c, sid)["items"].size(), 0u);
  // One queue_update per change, carrying the version.
  auto events = redis->Checked({"XRANGE", "sattva:events", "(" + from, "+"});
  std::vector<int> versions;
  for (size_t i = 0; i < events->elements; ++i) {
    const redisReply* fields = events->element[i]->element[1];
    std::string type, sid_field, data;
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      std::string k = fields->element[f]->str;
      if (k == "type") type = fields->element[f + 1]->str;
      if (k == "stream_id") sid_field = fields->element[f + 1]->str;
      if (k == "data") data = fields->element[f + 1]->str;
    }
    if (type != "queue_update" || sid_field != std::to_string(sid)) continue;
    Json::Value d;
    std::string err;
    ASSERT_TRUE(common::ParseJson(data, &d, &err)) << data;
    versions.push_back(d["version"].asInt());
  }
  EXPECT_EQ(versions, (std::vector<int>{1, 2, 3}));
}

// The track -> streams index (common::TrackQueuedKey) counts each stream's items per track
// through add, remove, move, shuffle, clear and a stream's deletion.
TEST_F(QueueTest, TrackIndexCountsItemsPerStream) {
  ApiClient c = Admin();
  auto redis = stack_->RedisClient();
  const int64_t a = NewStream(c, "index-a");
  const int64_t b = NewStream(c, "index-b");
  const std::string ka = std::to_string(a), kb = std::to_string(b);
  // Other tests' streams hold these tracks too: look at these two streams' fields only.
  auto index = [&](int64_t track) {
    auto r = redis->Checked({"HGETALL", common::TrackQueuedKey(track)});
    std::map<std::string, int64_t> out;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      const std::string sid = r->element[i]->str;
      if (sid == ka || sid == kb) out[sid] = std::atoll(r->element[i + 1]->str);
    }
    return out;
  };
  Json::Value body;
  for (int64_t t : {T(1), T(2), T(1), T(1)}) body["track_ids"].append(static_cast<Json::Int64>(t));
  ASSERT_EQ(c.Post(Q(a), body).status, 201);
  ASSERT_EQ(Add(c, b, T(1)).status, 201);
  EXPECT_EQ(index(T(1)), (std::map<std::string, int64_t>{{ka, 3}, {kb, 1}}));
  EXPECT_EQ(index(T(2)), (std::map<std::string, int64_t>{{ka, 1}}));
  const Json::Value q = Queue(c, a);
  Json::Value to;
  to["to"] = 1;
  ASSERT_EQ(c.Post(Q(a) + "/" + q["items"][3]["id"].asString() + "/move", to).status, 200);
  ASSERT_EQ(c.Post(Q(a) + "/shuffle", Json::Value(Json::objectValue)).status, 200);
  EXPECT_EQ(index(T(1)), (std::map<std::string, int64_t>{{ka, 3}, {kb, 1}}));
  ASSERT_EQ(c.Delete(Q(a) + "/" + q["items"][1]["id"].asString()).status, 200);  // the T(2)
  EXPECT_TRUE(index(T(2)).empty());
  ASSERT_EQ(c.Delete(Q(a) + "/" + q["items"][0]["id"].asString()).status, 200);  // a T(1)
  EXPECT_EQ(index(T(1)), (std::map<std::string, int64_t>{{ka, 2}, {kb, 1}}));
  ASSERT_EQ(c.Delete(Q(a)).status, 200);
  EXPECT_EQ(index(T(1)), (std::map<std::string, int64_t>{{kb, 1}}));
  ASSERT_EQ(Add(c, b, T(1)).status, 201);
  ASSERT_EQ(c.Delete("/api/v1/streams/" + kb).status, 204);
  EXPECT_TRUE(index(T(1)).empty());
}

TEST_F(QueueTest, StreamCrudAndActions) {
  ApiClient c = Admin();
  Json::Value b;
  b["slug"] = "lofi";
  b["title"] = "Lo-fi \xF0\x9F\x8E\xA7";
  b["placeholder_track_id"] = static_cast<Json::Int64>(T(1));
  b["auto_end_timeout_s"] = 600;
  HttpResponse r = c.Post("/api/v1/streams", b);
  ASSERT_EQ(r.status, 201) << r.body;
  Json::Value s = JsonOf(r);
  const std::string path = "/api/v1/streams/" + s["id"].asString();
  EXPECT_EQ(s["desired_state"].asString(), "stopped");
  EXPECT_EQ(s["state"].asString(), "stopped");
  EXPECT_EQ(s["auto_end_timeout_s"].asInt(), 600);
  EXPECT_EQ(s["queue_length"].asInt(), 0);
  EXPECT_EQ(s["listeners"].asInt(), 0);
  EXPECT_EQ(c.Post("/api/v1/streams", b).status, 409);  // slug taken
  for (const char* bad : {"{\"slug\":\"Bad Slug\",\"title\":\"x\"}",
                          "{\"slug\":\"ok\",\"title\":\"x\",\"auto_end_timeout_s\":5}",
                          "{\"slug\":\"ok\",\"title\":\"x\",\"placeholder_track_id\":99999999}",
                          "{\"slug\":\"ok\"}"}) {
    EXPECT_EQ(c.Send("POST", "/api/v1/streams", bad, {}).status, 422) << bad;
  }
  EXPECT_EQ(c.Send("POST", "/api/v1/streams", "{\"slug\":\"ok\",\"title\":\"x\",\"auto_end_enabled\":\"no\"}", {}).status, 400);
  EXPECT_EQ(c.Post(path + "/skip", Json::Value(Json::objectValue)).status, 409);  // not running
  HttpResponse started = c.Post(path + "/start", Json::Value(Json::objectValue));
  ASSERT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(JsonOf(started)["desired_state"].asString(), "running");
  EXPECT_EQ(JsonOf(started)["state"].asString(), "starting");
  EXPECT_EQ(c.Post(path + "/skip", Json::Value(Json::objectValue)).status, 202);
  // A manual stop closes the open session with the actor.
  pqxx::connection pg(stack_->pg_dsn());
  {
    pqxx::work tx(pg);
    tx.exec_params("INSERT INTO stream_sessions (stream_id, started_at) VALUES ($1, now())",
                   s["id"].asInt64());
    tx.commit();
  }
  HttpResponse stopped = c.Post(path + "/stop", Json::Value(Json::objectValue));
  ASSERT_EQ(stopped.status, 200);
  EXPECT_EQ(JsonOf(stopped)["desired_state"].asString(), "stopped");
  EXPECT_EQ(JsonOf(stopped)["end_reason"].asString(), "manual");
  {
    pqxx::nontransaction tx(pg);
    auto row = tx.exec_params1(
        "SELECT end_reason, ended_by IS NOT NULL FROM stream_sessions WHERE stream_id = $1",
        s["id"].asInt64());
    EXPECT_EQ(row[0].as<std::string>(), "manual");
    EXPECT_TRUE(row[1].as<bool>());
  }
  Json::Value patch;
  patch["auto_end_enabled"] = false;
  HttpResponse p = c.Patch(path, patch);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_FALSE(JsonOf(p)["auto_end_enabled"].asBool());
  EXPECT_EQ(c.Delete(path).status, 204);
  EXPECT_EQ(c.Get(path).status, 404);
  // A deleted stream's slug is free again.
  EXPECT_EQ(c.Post("/api/v1/streams", b).status, 201);
}

}  // namespace
}  // namespace sattva::testing

namespace sattva::testing {
namespace {

// `./sattva up` runs `sattva-ctl demo` on every start: it must work on the migrated schema and
// change nothing the second time.
TEST(CtlDemoTest, ImportsOnceAndCreatesTheDemoStreamOnce) {
  StackOptions o;
  o.fcgi = o.wsd = o.streamer = o.nginx = false;
  Stack stack(o);
  const std::string media = stack.dir() + "/media";
  WriteFile(media + "/a.wav", testfiles::WavBytes(8000, 1, 8000));
  WriteFile(media + "/b.wav", testfiles::WavBytes(8000, 2, 4000));
  WriteFile(media + "/notes.txt", "not audio");
  std::string out;
  ASSERT_EQ(stack.Ctl({"demo", "--media-dir", media}, &out), 0) << out;
  ASSERT_EQ(stack.Ctl({"demo", "--media-dir", media}, &out), 0) << out;
  pqxx::connection c(stack.pg_dsn());
  pqxx::nontransaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM tracks")[0].as<int>(), 2);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM streams WHERE slug = 'demo'")[0].as<int>(), 1);
  EXPECT_FALSE(tx.exec1("SELECT placeholder_track_id FROM streams WHERE slug = 'demo'")[0].is_null());
  EXPECT_EQ(tx.exec1("SELECT duration_ms FROM tracks ORDER BY source LIMIT 1")[0].as<int>(), 1000);
}

}  // namespace
}  // namespace sattva::testing
