// The streamer end to end: real PostgreSQL, Redis, nginx, fcgi and streamers, tone tracks made
// with ffmpeg, the audio captured through the bridge with the real sattva-bridge-client and
// through the live mount with curl, validated with ffprobe.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <fstream>
#include <iostream>
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
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kRate = 48000;

// A stereo sine of `freq` Hz, exactly `samples` long at 48 kHz, encoded with `codec_args`.
void MakeTone(const std::string& path, int freq, int samples, std::vector<std::string> codec_args) {
  std::vector<std::string> argv = {"/usr/bin/ffmpeg", "-hide_banner", "-loglevel", "error",
                                   "-nostdin", "-y", "-f", "lavfi", "-i",
                                   "sine=frequency=" + std::to_string(freq) +
                                       ":sample_rate=48000:duration=" +
                                       std::to_string(samples / static_cast<double>(kRate)),
                                   "-af", "volume=4", "-ac", "2", "-ar", "48000"};
  argv.insert(argv.end(), codec_args.begin(), codec_args.end());
  argv.push_back(path);
  ASSERT_EQ(RunCommand(argv, path + ".log"), 0) << ReadAll(path + ".log");
}

// Every per-channel sample of an s16le stereo capture (left channel).
std::vector<int16_t> LeftChannel(const std::string& pcm) {
  std::vector<int16_t> out(pcm.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    int16_t v;
    std::memcpy(&v, pcm.data() + i * 4, 2);
    out[i] = v;
  }
  return out;
}

// The longest run of consecutive zero samples in [from, to).
int LongestZeroRun(const std::vector<int16_t>& s, int64_t from, int64_t to) {
  int best = 0, run = 0;
  for (int64_t i = std::max<int64_t>(0, from); i < std::min<int64_t>(to, s.size()); ++i) {
    run = s[i] == 0 ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

// The tone's frequency over [from, to) from its rising zero crossings.
double Frequency(const std::vector<int16_t>& s, int64_t from, int64_t to) {
  int crossings = 0;
  for (int64_t i = std::max<int64_t>(1, from); i < std::min<int64_t>(to, s.size()); ++i) {
    if (s[i - 1] < 0 && s[i] >= 0) ++crossings;
  }
  return crossings * static_cast<double>(kRate) / static_cast<double>(to - from);
}

std::vector<Json::Value> MetaLines(const std::string& path) {
  std::vector<Json::Value> out;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    Json::Value v;
    std::string err;
    if (common::ParseJson(line, &v, &err)) out.push_back(v);
  }
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class StreamerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack(StreamerTestOptions());
    password_ = stack_->CreateAdmin("engineer@example.com");
    mkdir((stack_->dir() + "/media").c_str(), 0755);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  ApiClient Admin() {
    ApiClient c(stack_->nginx_port);
    EXPECT_EQ(c.Login("engineer@example.com", password_).status, 200);
    return c;
  }
  static std::string Media(const std::string& name) { return stack_->dir() + "/media/" + name; }

  int64_t Track(ApiClient& c, const std::string& path) {
    Json::Value b;
    b["path"] = path;
    HttpResponse r = c.Post("/api/v1/tracks", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }
  int64_t NewStream(ApiClient& c, const std::string& slug, int64_t placeholder = 0) {
    Json::Value b;
    b["slug"] = slug;
    b["title"] = "Stream " + slug;
    b["auto_end_enabled"] = false;
    if (placeholder > 0) b["placeholder_track_id"] = static_cast<Json::Int64>(placeholder);
    HttpResponse r = c.Post("/api/v1/streams", b);
    EXPECT_EQ(r.status, 201) << r.body;
    return JsonOf(r)["id"].asInt64();
  }
  static std::string S(int64_t sid) { return "/api/v1/streams/" + std::to_string(sid); }
  void Queue(ApiClient& c, int64_t sid, const std::vector<int64_t>& tracks) {
    Json::Value b;
    for (int64_t t : tracks) b["track_ids"].append(static_cast<Json::Int64>(t));
    HttpResponse r = c.Post(S(sid) + "/queue", b);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  void Start(ApiClient& c, int64_t sid) {
    HttpResponse r = c.Post(S(sid) + "/start", Json::Value(Json::objectValue));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // The bridge client capturing `secs` seconds of a stream.
  std::unique_ptr<Process> Capture(const std::string& slug, const std::string& name, double secs,
                                   std::vector<std::string> extra = {}) {
    auto p = std::make_unique<Process>();
    std::vector<std::string> argv = {Stack::BinDir() + "/sattva-bridge-client",
                                     "--socket", stack_->bridge_dir() + "/" + slug + ".sock",
                                     "--out", stack_->dir() + "/" + name + ".pcm",
                                     "--meta", stack_->dir() + "/" + name + ".jsonl",
                                     "--seconds", std::to_string(secs)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    p->Start(argv, stack_->dir() + "/" + name + ".log");
    return p;
  }
  std::vector<std::pair<std::string, Json::Value>> Events(const std::string& type, int64_t sid) {
    return StreamEvents(*stack_, type, sid);
  }

  static Stack* stack_;
  static std::string password_;
};
Stack* StreamerTest::stack_ = nullptr;
std::string StreamerTest::password_;

TEST_F(StreamerTest, ThreeFormatsJoinSampleExactThroughTheBridge) {
  ApiClient c = Admin();
  MakeTone(Media("a440.mp3"), 440, kRate, {"-c:a", "libmp3lame", "-b:a", "192k"});
  MakeTone(Media("b660.m4a"), 660, kRate, {"-c:a", "aac", "-b:a", "192k"});
  MakeTone(Media("c880.ogg"), 880, kRate, {"-c:a", "libvorbis", "-q:a", "6"});
  const int64_t t1 = Track(c, Media("a440.mp3"));
  const int64_t t2 = Track(c, Media("b660.m4a"));
  const int64_t t3 = Track(c, Media("c880.ogg"));
  const int64_t sid = NewStream(c, "gapless");
  Start(c, sid);
  WaitStream(c, sid, [](const Json::Value& v) { return v["state"] == "running"; });
  // The connector joins while silence plays, then the three tracks are queued at once.
  auto client = Capture("gapless", "gapless", 5.0);
  std::this_thread::sleep_for(milliseconds(800));
  Queue(c, sid, {t1, t2, t3});
  ASSERT_EQ(WEXITSTATUS(client->Wait()), 0) << ReadAll(stack_->dir() + "/gapless.log");

  const std::vector<int16_t> s = LeftChannel(ReadAll(stack_->dir() + "/gapless.pcm"));
  std::vector<int64_t> starts;
  int64_t after = -1;  // where what follows the third track starts
  for (const Json::Value& m : MetaLines(stack_->dir() + "/gapless.jsonl")) {
    if (m["type"] != "track") continue;
    const int64_t id = m["track_id"].asInt64();
    if (id == t1 || id == t2 || id == t3) starts.push_back(m["at_sample"].asInt64());
    else if (starts.size() == 3 && after < 0) after = m["at_sample"].asInt64();
  }
  ASSERT_EQ(starts.size(), 3u) << ReadAll(stack_->dir() + "/gapless.jsonl");
  ASSERT_GT(after, 0) << ReadAll(stack_->dir() + "/gapless.jsonl");
  // Each track lasts exactly its own length: nothing inserted, nothing lost; the total is the sum.
  EXPECT_EQ(starts[1] - starts[0], kRate) << "mp3 -> m4a";
  EXPECT_EQ(starts[2] - starts[1], kRate) << "m4a -> ogg";
  EXPECT_EQ(after - starts[2], kRate) << "ogg -> next";
  EXPECT_EQ(after - starts[0], 3 * kRate);
  ASSERT_GE(static_cast<int64_t>(s.size()), after);
  // No silence anywhere from the first track's first sample to the third's last, joins included.
  EXPECT_LE(LongestZeroRun(s, starts[0], after), 2);
  // And each stretch is its own tone.
  EXPECT_NEAR(Frequency(s, starts[0] + 480, starts[1] - 480), 440, 10);
  EXPECT_NEAR(Frequency(s, starts[1] + 480, starts[2] - 480), 660, 10);
  EXPECT_NEAR(Frequency(s, starts[2] + 480, after - 480), 880, 10);

  // History has a finished row per track.
  pqxx::connection pg(stack_->pg_dsn());
  pqxx::read_transaction tx(pg);
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM play_history WHERE stream_id = $1 AND "
                            "end_reason = 'finished'",
                            sid)[0]
                .as<int>(),
            3);
}

TEST_F(StreamerTest, PlaceholderLoopsAndAQueuedTrackStartsWithin100Ms) {
  ApiClient c = Admin();
  MakeTone(Media("ph220.wav"), 220, kRate / 2, {"-c:a", "pcm_s16le"});
  MakeTone(Media("q990.flac"), 990, kRate, {"-c:a", "flac"});
  const int64_t ph = Track(c, Media("ph220.wav"));
  const int64_t q = Track(c, Media("q990.flac"));
  const int64_t sid = NewStream(c, "placeholder", ph);
  Start(c, sid);
  Json::Value v = WaitStream(c, sid, [](const Json::Value& v) {
    return v["state"] == "running" && v["now_playing"].isObject();
  });
  EXPECT_TRUE(v["now_playing"]["placeholder"].asBool()) << common::WriteJson(v);
  auto client = Capture("placeholder", "placeholder", 3.0);
  std::this_thread::sleep_for(milliseconds(1800));  // several 0.5 s loops
  Queue(c, sid, {q});
  ASSERT_EQ(WEXITSTATUS(client->Wait()), 0);

  // Redis timestamps both the add and the pop: the track started within 100 ms.
  auto updates = Events("queue_update", sid);
  std::string add_id, pop_id;
  for (auto& [id, d] : updates) {
    if (d["op"] == "add") add_id = id;
    if (d["op"] == "pop" && !add_id.empty() && pop_id.empty()) pop_id = id;
  }
  ASSERT_FALSE(add_id.empty());
  ASSERT_FALSE(pop_id.empty());
  EXPECT_LE(EntryMs(pop_id) - EntryMs(add_id), 100);
  std::cout << "queued track started " << EntryMs(pop_id) - EntryMs(add_id)
            << " ms after the add\n";

  // The capture: the placeholder tone, then the queued one with no gap.
  const std::vector<int16_t> s = LeftChannel(ReadAll(stack_->dir() + "/placeholder.pcm"));
  int64_t start = -1;
  for (const Json::Value& m : MetaLines(stack_->dir() + "/placeholder.jsonl")) {
    if (m["type"] == "track" && m["track_id"].asInt64() == q) start = m["at_sample"].asInt64();
  }
  ASSERT_GT(start, kRate);  // more than two loops of the placeholder before it
  EXPECT_NEAR(Frequency(s, 0, start - 480), 220, 10);
  EXPECT_NEAR(Frequency(s, start + 480, std::min<int64_t>(s.size(), start + kRate - 480)), 990, 12);
}

TEST_F(StreamerTest, SkipIsImmediateAndABrokenFileIsSkippedWithAnError) {
  ApiClient c = Admin();
  MakeTone(Media("broken.mp3"), 300, kRate, {"-c:a", "libmp3lame"});
  MakeTone(Media("long.mp3"), 500, kRate * 20, {"-c:a", "libmp3lame"});
  MakeTone(Media("next.mp3"), 700, kRate, {"-c:a", "libmp3lame"});
  const int64_t broken = Track(c, Media("broken.mp3"));
  const int64_t lng = Track(c, Media("long.mp3"));
  const int64_t nxt = Track(c, Media("next.mp3"));
  // The file goes bad on disk after it was registered.
  {
    std::ofstream f(Media("broken.mp3"), std::ios::binary | std::ios::trunc);
    f << std::string(4096, '\x5a');
  }
  const int64_t sid = NewStream(c, "skipper");
  Queue(c, sid, {broken, lng, nxt});
  Start(c, sid);
  Json::Value v = WaitStream(c, sid, [&](const Json::Value& v) {
    return v["now_playing"].isObject() && v["now_playing"]["track"]["id"].asInt64() == lng;
  });
  auto errors = Events("error", sid);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].second["code"], "track_failed");
  EXPECT_EQ(errors[0].second["track_id"].asInt64(), broken);

  std::this_thread::sleep_for(milliseconds(1000));
  const int64_t sent = NowMs();
  HttpResponse r = c.Post(S(sid) + "/skip", Json::Value(Json::objectValue));
  ASSERT_EQ(r.status, 202) << r.body;
  std::string pop_id;
  for (auto& [id, d] : Events("queue_update", sid)) {
    if (d["op"] == "pop" && EntryMs(id) >= sent - 5) pop_id = id;
  }
  for (int i = 0; i < 50 && pop_id.empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    for (auto& [id, d] : Events("queue_update", sid)) {
      if (d["op"] == "pop" && EntryMs(id) >= sent - 5) pop_id = id;
    }
  }
  ASSERT_FALSE(pop_id.empty());
  EXPECT_LE(EntryMs(pop_id) - sent, 100);
  std::cout << "the next track started " << EntryMs(pop_id) - sent << " ms after the skip\n";
  WaitStream(c, sid, [&](const Json::Value& v) {
    return v["now_playing"].isObject() && v["now_playing"]["track"]["id"].asInt64() == nxt;
  });
  // The stream went on: the next track finishes and the stream keeps running.
  WaitStream(c, sid, [&](const Json::Value& v) {
    return v["now_playing"].isObject() && v["now_playing"]["placeholder"].asBool();
  });
  pqxx::connection pg(stack_->pg_dsn());
  pqxx::read_transaction tx(pg);
  pqxx::result h = tx.exec_params(
      "SELECT track_id, end_reason, coalesce(error, '') FROM play_history WHERE stream_id = $1 "
      "ORDER BY id",
      sid);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0][0].as<int64_t>(), broken);
  EXPECT_EQ(h[0][1].as<std::string>(), "error");
  EXPECT_FALSE(h[0][2].as<std::string>().empty());
  EXPECT_EQ(h[1][1].as<std::string>(), "skipped");
  EXPECT_EQ(h[2][1].as<std::string>(), "finished");
}

TEST_F(StreamerTest, LiveMountServesOggOpusAndMp3AndCountsListeners) {
  ApiClient c = Admin();
  MakeTone(Media("live.flac"), 440, kRate * 2, {"-c:a", "flac"});
  const int64_t ph = Track(c, Media("live.flac"));
  const int64_t sid = NewStream(c, "radio", ph);
  Start(c, sid);
  WaitStream(c, sid, [](const Json::Value& v) { return v["state"] == "running"; });
  const std::string base = "http://127.0.0.1:" + std::to_string(stack_->nginx_port) + "/live/radio";
  for (const std::string ext : {".ogg", ".mp3"}) {
    const std::string out = stack_->dir() + "/live" + ext;
    Process curl;
    curl.Start({"/usr/bin/curl", "-s", "-o", out, "--max-time", "3", base + ext},
               stack_->dir() + "/curl.log");
    Json::Value v = WaitStream(c, sid, [](const Json::Value& v) { return v["listeners"] == 1; });
    EXPECT_EQ(v["listeners"].asInt(), 1);
    curl.Wait();
    WaitStream(c, sid, [](const Json::Value& v) { return v["listeners"] == 0; });
    const std::string probe = stack_->dir() + "/probe" + ext + ".txt";
    ASSERT_EQ(RunCommand({"/usr/bin/ffprobe", "-v", "error", "-show_entries",
                          "stream=codec_name,sample_rate,channels", "-of", "compact=p=0:nk=1",
                          out},
                         probe),
              0)
        << ReadAll(probe);
    const std::string p = ReadAll(probe);
    EXPECT_NE(p.find(ext == ".ogg" ? "opus|48000|2" : "mp3|48000|2"), std::string::npos) << p;
    // ffmpeg decodes all of it without an error.
    const std::string dec = stack_->dir() + "/decode" + ext + ".txt";
    EXPECT_EQ(RunCommand({"/usr/bin/ffmpeg", "-v", "error", "-nostdin", "-i", out, "-f", "null",
                          "-"},
                         dec),
              0);
    EXPECT_EQ(ReadAll(dec), "") << ext;
    struct stat st;
    ASSERT_EQ(stat(out.c_str(), &st), 0);
    EXPECT_GT(st.st_size, 20000) << ext << ": about 3 s of audio";
  }
  // listeners_update events were written for the join and the leave.
  EXPECT_GE(Events("listeners_update", sid).size(), 2u);
  // An unknown mount is a JSON 404.
  HttpResponse r = HttpGet(stack_->nginx_port, "/live/no-such-stream.ogg");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(JsonOf(r)["error"]["code"].asString(), "not_found");
}

TEST_F(StreamerTest, AKilledStreamerIsReplacedWithin5sAndResumesWithin1s) {
  ApiClient c = Admin();
  MakeTone(Media("long20.mp3"), 330, kRate * 30, {"-c:a", "libmp3lame"});
  const int64_t t = Track(c, Media("long20.mp3"));
  int b_port = 0;
  std::unique_ptr<Process> b = stack_->StartExtraStreamer("streamer-b", &b_port);
  const int64_t sid = NewStream(c, "failover");
  Queue(c, sid, {t});
  Start(c, sid);
  WaitStream(c, sid, [](const Json::Value& v) {
    return v["now_playing"].isObject() && v["now_playing"]["position_ms"].asInt64() >= 3000;
  });
  auto redis = stack_->RedisClient();
  const std::string owner =
      common::ReplyString(redis->Checked({"GET", common::StreamLeaseKey(sid)}).get());
  ASSERT_TRUE(owner == "streamer-a" || owner == "streamer-b") << owner;
  // Where the track is at the moment of the kill, from the last saved position.
  auto now = redis->Checked({"HMGET", common::NowPlayingKey(sid), "position_ms", "position_at"});
  Process& victim = owner == "streamer-a" ? stack_->streamer() : *b;
  const int64_t killed_at = NowMs();
  victim.Kill9();
  const int64_t pos_at_kill = std::atoll(now->element[0]->str) +
                              (killed_at - std::atoll(now->element[1]->str));
  // Another streamer claims it within 5 s.
  std::string next_owner;
  int64_t claimed_at = 0;
  while (NowMs() - killed_at < 8000) {
    next_owner = common::ReplyString(redis->Checked({"GET", common::StreamLeaseKey(sid)}).get());
    if (!next_owner.empty() && next_owner != owner) {
      claimed_at = NowMs();
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_FALSE(next_owner.empty());
  EXPECT_NE(next_owner, owner);
  EXPECT_LE(claimed_at - killed_at, 5000);
  // It resumed the same track near where it was: the started event says where.
  std::string resumed_id;
  for (auto& [id, d] : Events("stream_update", sid)) {
    if (d["event"] == "started" && d["resumed"].asBool()) resumed_id = id;
  }
  for (int i = 0; i < 100 && resumed_id.empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    for (auto& [id, d] : Events("stream_update", sid)) {
      if (d["event"] == "started" && d["resumed"].asBool()) resumed_id = id;
    }
  }
  ASSERT_FALSE(resumed_id.empty());
  std::this_thread::sleep_for(milliseconds(1200));
  now = redis->Checked({"HMGET", common::NowPlayingKey(sid), "position_ms", "position_at", "item"});
  ASSERT_EQ(now->element[2]->type, REDIS_REPLY_STRING);
  Json::Value item;
  std::string err;
  ASSERT_TRUE(common::ParseJson(now->element[2]->str, &item, &err));
  EXPECT_EQ(item["track"]["id"].asInt64(), t);
  // Position at the resume = the position now minus the time played since the resume.
  const int64_t pos_resumed = std::atoll(now->element[0]->str) -
                              (std::atoll(now->element[1]->str) - EntryMs(resumed_id));
  EXPECT_NEAR(static_cast<double>(pos_resumed), static_cast<double>(pos_at_kill), 1000.0)
      << "killed at " << pos_at_kill << " ms, resumed at " << pos_resumed << " ms";
  // Bring the killed one back for the tests after this one.
  if (owner == "streamer-a") stack_->StartDaemon("streamer");
}

}  // namespace
}  // namespace sattva::testing
