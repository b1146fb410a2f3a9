// The snapshot: its JSON from records and live parts, the script reply parser, the cache, the
// plan of the events after it, and its delivery through a session's resume (snapshot first,
// then the stored and held events merged by id, with no duplicate).
#include "wsd/snapshot.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "common/json.h"
#include "wsd/backfill.h"
#include "wsd/client_session.h"
#include "wsd/event_reader.h"
#include "wsd/event_source.h"
#include "wsd/handoff.h"
#include "wsd/messages.h"
#include "tests/unit/wsd/test_events.h"

namespace sattva::wsd {
namespace {

using testing::Entry;
using testing::Ev;
using Result = ClientSession::Result;

Json::Value Parse(const std::string& text) {
  Json::Value v;
  std::string error;
  EXPECT_TRUE(common::ParseJson(text, &v, &error)) << text;
  return v;
}

SnapshotRecord Record(int64_t id, const std::string& slug, bool running = true) {
  SnapshotRecord r;
  r.id = id;
  r.slug = slug;
  r.title = "Title " + slug;
  r.is_public = id % 2 == 1;
  r.auto_end_enabled = true;
  r.auto_end_timeout_s = 60;
  r.desired_state = running ? "running" : "stopped";
  return r;
}

constexpr const char* kItem =
    R"({"id":"41","track":{"id":7,"title":"Song","artist":"Band","duration_ms":200000},)"
    R"("added_by":{"id":3,"name":"Ann"},"added_at":"2026-01-01T00:00:00.000Z"})";

TEST(SnapshotTest, BuildsEveryStreamWithItsLiveParts) {
  common::FakeClock clock;  // 2026-01-01T00:00:00Z
  const int64_t now_ms = common::UnixMillis(clock.WallNow());
  SnapshotRead read;
  read.last_event_id = StreamId{1767225600000, 4};
  SnapshotLive playing;
  playing.running = true;
  playing.listeners = 2;
  playing.listeners_live = 1;
  playing.listeners_bridge = 1;
  playing.queue_length = 5;
  playing.queue_version = 9;
  playing.head = {R"({"position":1,"id":"42","track":{"id":8},"added_by":{"id":3,"name":"Ann"}})",
                  R"({"position":2,"id":"43","track":{"id":9}})"};
  playing.now_item = kItem;
  playing.now_started_at = "2025-12-31T23:59:50.000Z";
  playing.now_position_ms = 9000;
  playing.now_position_at_ms = now_ms - 500;  // the streamer wrote it half a second ago
  SnapshotLive idle;  // stopped, nothing recorded; a countdown left over must not show
  idle.auto_end_zero_since_ms = now_ms - 1000;
  read.live = {playing, idle};

  Json::Value stats(Json::objectValue);
  stats["active_streams"] = 1;
  const Json::Value v = BuildSnapshotJson({Record(1, "one"), Record(2, "two", false)}, read,
                                          clock.WallNow(), stats);
  EXPECT_EQ(v["type"], "snapshot");
  EXPECT_EQ(v["last_event_id"], "1767225600000-4");
  EXPECT_EQ(v["server_time"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(v["stats"]["active_streams"], 1);
  ASSERT_EQ(v["streams"].size(), 2u);

  const Json::Value& a = v["streams"][0];
  EXPECT_EQ(a["id"], 1);
  EXPECT_EQ(a["slug"], "one");
  EXPECT_EQ(a["title"], "Title one");
  EXPECT_EQ(a["public"], true);
  EXPECT_EQ(a["state"], "running");
  EXPECT_EQ(a["listeners"]["total"], 2);
  EXPECT_EQ(a["listeners"]["live"], 1);
  EXPECT_EQ(a["listeners"]["bridge"], 1);
  EXPECT_EQ(a["queue"]["version"], 9);
  EXPECT_EQ(a["queue"]["length"], 5);
  ASSERT_EQ(a["queue"]["head"].size(), 2u);
  EXPECT_EQ(a["queue"]["head"][0]["position"], 1);
  EXPECT_EQ(a["queue"]["head"][0]["id"], "42");
  EXPECT_EQ(a["queue"]["head"][0]["added_by"]["name"], "Ann");
  const Json::Value& np = a["now_playing"];
  EXPECT_EQ(np["item_id"], "41");
  EXPECT_EQ(np["track"]["id"], 7);
  EXPECT_EQ(np["track"]["title"], "Song");
  EXPECT_EQ(np["track"]["artist"], "Band");
  EXPECT_EQ(np["track"]["duration_ms"], 200000);
  EXPECT_EQ(np["track"]["placeholder"], false);
  EXPECT_EQ(np["started_at"], "2025-12-31T23:59:50.000Z");
  EXPECT_EQ(np["position_ms"], 9500);  // extrapolated to server_time
  EXPECT_EQ(np["position_at"], "2026-01-01T00:00:00.000Z");
  // Listeners present: no countdown.
  EXPECT_EQ(a["auto_end"]["enabled"], true);
  EXPECT_EQ(a["auto_end"]["timeout_s"], 60);
  EXPECT_TRUE(a["auto_end"]["deadline"].isNull());
  EXPECT_TRUE(a["auto_end"]["seconds_remaining"].isNull());

  const Json::Value& b = v["streams"][1];
  EXPECT_EQ(b["state"], "stopped");
  EXPECT_EQ(b["public"], false);
  EXPECT_TRUE(b["now_playing"].isNull());
  EXPECT_EQ(b["queue"]["head"].size(), 0u);
  EXPECT_TRUE(b["auto_end"]["deadline"].isNull());
}

TEST(SnapshotTest, AnArmedCountdownAndAPlaceholder) {
  common::FakeClock clock;
  const int64_t now_ms = common::UnixMillis(clock.WallNow());
  SnapshotRead read;  // an empty event stream
  SnapshotLive live;
  live.running = true;
  live.auto_end_zero_since_ms = now_ms - 20500;  // 60 s timeout: 39.5 s left, shown as 40
  live.now_item = R"({"placeholder":true,"track":{"id":0,"title":"Silence","artist":"",)"
                  R"("duration_ms":0,"placeholder":true}})";
  live.now_position_ms = 0;
  live.now_position_at_ms = now_ms - 3000;
  read.live = {live};
  const Json::Value v =
      BuildSnapshotJson({Record(1, "one")}, read, clock.WallNow(), Json::Value());
  EXPECT_TRUE(v["last_event_id"].isNull());
  EXPECT_TRUE(v["stats"].isNull());
  const Json::Value& s = v["streams"][0];
  EXPECT_EQ(s["auto_end"]["seconds_remaining"], 40);
  EXPECT_EQ(s["auto_end"]["deadline"], "2026-01-01T00:00:39.500Z");
  EXPECT_TRUE(s["now_playing"]["item_id"].isNull());
  EXPECT_EQ(s["now_playing"]["track"]["placeholder"], true);
  EXPECT_EQ(s["now_playing"]["track"]["title"], "Silence");
  EXPECT_EQ(s["now_playing"]["position_ms"], 3000);  // no duration: it just moves on
}

// A hand-built hiredis reply tree, freed by the test.
struct FakeReply {
  std::vector<std::unique_ptr<FakeReply>> children;
  std::vector<redisReply*> elements;
  redisReply reply{};
  std::string text;
  static std::unique_ptr<FakeReply> Str(const std::string& s) {
    auto r = std::make_unique<FakeReply>();
    r->text = s;
    r->reply.type = REDIS_REPLY_STRING;
    r->reply.str = r->text.data();
    r->reply.len = r->text.size();
    return r;
  }
  static std::unique_ptr<FakeReply> Int(long long v) {
    auto r = std::make_unique<FakeReply>();
    r->reply.type = REDIS_REPLY_INTEGER;
    r->reply.integer = v;
    return r;
  }
  static std::unique_ptr<FakeReply> Arr(std::vector<std::unique_ptr<FakeReply>> items) {
    auto r = std::make_unique<FakeReply>();
    r->reply.type = REDIS_REPLY_ARRAY;
    for (auto& c : items) {
      r->elements.push_back(&c->reply);
      r->children.push_back(std::move(c));
    }
    r->reply.elements = r->elements.size();
    r->reply.element = r->elements.data();
    return r;
  }
};

template <typename... T>
std::vector<std::unique_ptr<FakeReply>> List(T... items) {
  std::vector<std::unique_ptr<FakeReply>> v;
  (v.push_back(std::move(items)), ...);
  return v;
}

TEST(SnapshotTest, ParsesTheScriptReply) {
  auto stream = FakeReply::Arr(List(
      FakeReply::Str("running"),
      FakeReply::Arr(List(FakeReply::Str("total"), FakeReply::Str("3"), FakeReply::Str("live"),
                          FakeReply::Str("2"), FakeReply::Str("bridge"), FakeReply::Str("1"))),
      FakeReply::Str("1767225500000"), FakeReply::Int(4), FakeReply::Str("12"),
      FakeReply::Arr(List(FakeReply::Str(R"({"position":1,"id":"5"})"))),
      FakeReply::Arr(List(FakeReply::Str("item"), FakeReply::Str(kItem),
                          FakeReply::Str("position_ms"), FakeReply::Str("1500"),
                          FakeReply::Str("position_at"), FakeReply::Str("1767225599000"),
                          FakeReply::Str("started_at"), FakeReply::Str("2026-01-01T00:00:00.000Z")))));
  auto reply =
      FakeReply::Arr(List(FakeReply::Str("1767225600000-2"), FakeReply::Arr(List(std::move(stream)))));
  const SnapshotRead r = ParseSnapshotReply(&reply->reply, 1);
  ASSERT_TRUE(r.last_event_id.has_value());
  EXPECT_EQ(r.last_event_id->ToString(), "1767225600000-2");
  ASSERT_EQ(r.live.size(), 1u);
  const SnapshotLive& l = r.live[0];
  EXPECT_TRUE(l.running);
  EXPECT_EQ(l.listeners, 3);
  EXPECT_EQ(l.listeners_live, 2);
  EXPECT_EQ(l.listeners_bridge, 1);
  EXPECT_EQ(l.auto_end_zero_since_ms, 1767225500000);
  EXPECT_EQ(l.queue_length, 4);
  EXPECT_EQ(l.queue_version, 12);
  ASSERT_EQ(l.head.size(), 1u);
  EXPECT_EQ(l.now_item, kItem);
  EXPECT_EQ(l.now_position_ms, 1500);
  EXPECT_EQ(l.now_position_at_ms, 1767225599000);
  EXPECT_EQ(l.now_started_at, "2026-01-01T00:00:00.000Z");

  // No events yet, and a wrong stream count is refused.
  auto empty = FakeReply::Arr(List(FakeReply::Str(""), FakeReply::Arr({})));
  EXPECT_FALSE(ParseSnapshotReply(&empty->reply, 0).last_event_id.has_value());
  EXPECT_THROW(ParseSnapshotReply(&empty->reply, 1), common::RedisError);
  auto bad_id = FakeReply::Arr(List(FakeReply::Str("nope"), FakeReply::Arr({})));
  EXPECT_THROW(ParseSnapshotReply(&bad_id->reply, 0), common::RedisError);
}

class CountingSource : public SnapshotSource {
 public:
  std::vector<SnapshotRecord> Records() override {
    ++records;
    if (fail) throw common::RedisError("down");
    return {Record(1, "one")};
  }
  SnapshotRead ReadLive(const std::vector<SnapshotRecord>& r) override {
    ++reads;
    SnapshotRead out;
    out.last_event_id = StreamId{static_cast<uint64_t>(100 + reads), 0};
    out.live.resize(r.size());
    // A head item with its adder: the redacted variant drops it.
    out.live[0].head = {R"({"position":1,"id":"9","added_by":{"id":1,"name":"Ann"}})"};
    return out;
  }
  int records = 0;
  int reads = 0;
  bool fail = false;
};

TEST(SnapshotTest, TheCacheServesOneReadForMaxAgeAndBuildsBothVariants) {
  common::FakeClock clock;
  CountingSource source;
  SnapshotCache cache(source, clock, [] { return Json::Value("stats!"); },
                      std::chrono::milliseconds(250));
  SnapshotPtr a = cache.Get();
  clock.Advance(std::chrono::milliseconds(250));
  SnapshotPtr b = cache.Get();
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(source.reads, 1);
  clock.Advance(std::chrono::milliseconds(1));
  SnapshotPtr c = cache.Get();
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(source.reads, 2);
  EXPECT_EQ(cache.builds(), 2u);
  EXPECT_EQ(c->last_event_id->ToString(), "102-0");

  const Json::Value full = Parse(*c->full);
  EXPECT_EQ(full["stats"], "stats!");
  EXPECT_EQ(full["last_event_id"], "102-0");
  EXPECT_EQ(full["streams"][0]["queue"]["head"][0]["added_by"]["name"], "Ann");
  ASSERT_TRUE(c->redacted);
  const Json::Value redacted = Parse(*c->redacted);
  EXPECT_FALSE(redacted["streams"][0]["queue"]["head"][0].isMember("added_by"));
  EXPECT_EQ(redacted["streams"][0]["queue"]["head"][0]["id"], "9");

  // A failure caches nothing and propagates.
  source.fail = true;
  clock.Advance(std::chrono::seconds(1));
  EXPECT_THROW(cache.Get(), common::RedisError);
  EXPECT_EQ(cache.builds(), 2u);
}

TEST(SnapshotTest, PlansTheEventsAfterIt) {
  // After a known id: as a resume.
  Backfill b = PlanSnapshotBackfill(StreamId{5, 0}, StreamId{1, 0},
                                    {Entry("7-0"), Entry("6-0"), Entry("5-0")}, 10);
  EXPECT_FALSE(b.resync);
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0]->id.ToString(), "6-0");
  EXPECT_EQ(b.lower->ToString(), "5-0");
  // The stream was empty at the snapshot: everything now is new, nothing trimmed.
  b = PlanSnapshotBackfill(std::nullopt, StreamId{6, 0}, {Entry("7-0"), Entry("6-0")}, 10);
  EXPECT_FALSE(b.resync);
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.lower->ToString(), "0-0");
  // ... unless more than the limit came since.
  b = PlanSnapshotBackfill(std::nullopt, StreamId{6, 0}, {Entry("8-0"), Entry("7-0"), Entry("6-0")},
                           2);
  EXPECT_TRUE(b.resync);
  EXPECT_EQ(b.events.size(), 2u);
  // Still empty.
  b = PlanSnapshotBackfill(std::nullopt, std::nullopt, {}, 10);
  EXPECT_FALSE(b.resync);
  EXPECT_TRUE(b.events.empty());
}

// sattva:events as a fixed list, for the backfill thread's reads.
class ListEventSource : public EventSource {
 public:
  explicit ListEventSource(std::vector<StreamEntry> entries) : entries_(std::move(entries)) {}
  std::optional<StreamId> NewestId() override {
    if (entries_.empty()) return std::nullopt;
    return StreamId::Parse(entries_.back().id);
  }
  std::optional<StreamId> OldestId() override {
    if (entries_.empty()) return std::nullopt;
    return StreamId::Parse(entries_.front().id);
  }
  std::vector<StreamEntry> ReadAfter(const StreamId&, int, int) override { return {}; }
  std::vector<StreamEntry> NewestDownTo(const StreamId& down_to, size_t count) override {
    std::vector<StreamEntry> out;
    for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < count; ++it) {
      if (*StreamId::Parse(it->id) < down_to) break;
      out.push_back(*it);
    }
    return out;
  }

 private:
  std::vector<StreamEntry> entries_;
};

TEST(SnapshotTest, TheBackfillThreadAnswersWithASnapshotAndTheEventsAfterIt) {
  common::FakeClock clock;
  CountingSource snapshots_source;  // its first snapshot is consistent with 101-0
  SnapshotCache cache(snapshots_source, clock, nullptr, std::chrono::milliseconds(250));
  ListEventSource events({Entry("100-0"), Entry("101-0"), Entry("102-0"), Entry("103-0")});
  BackfillExchange exchange(nullptr);
  Backfiller backfiller(events, exchange, 10);
  backfiller.set_snapshots(&cache);
  BackfillRequest request;
  request.session = 4;
  request.generation = 2;
  request.snapshot = true;
  BackfillReply reply = backfiller.Answer(request);
  EXPECT_EQ(reply.session, 4u);
  EXPECT_EQ(reply.generation, 2u);
  ASSERT_TRUE(reply.backfill.snapshot);
  EXPECT_EQ(Parse(*reply.backfill.snapshot)["last_event_id"], "101-0");
  ASSERT_TRUE(reply.backfill.snapshot_redacted);
  EXPECT_FALSE(reply.backfill.resync);
  ASSERT_TRUE(reply.backfill.lower.has_value());
  EXPECT_EQ(reply.backfill.lower->ToString(), "101-0");
  ASSERT_EQ(reply.backfill.events.size(), 2u);
  EXPECT_EQ(reply.backfill.events[0]->id.ToString(), "102-0");
  EXPECT_EQ(reply.backfill.events[1]->id.ToString(), "103-0");

  // No snapshot to be had: a resync, and nothing assumed about what the client has.
  snapshots_source.fail = true;
  clock.Advance(std::chrono::seconds(1));
  reply = backfiller.Answer(request);
  EXPECT_FALSE(reply.backfill.snapshot);
  EXPECT_TRUE(reply.backfill.resync);
  EXPECT_FALSE(reply.backfill.lower.has_value());
  EXPECT_TRUE(reply.backfill.events.empty());
}

TEST(SnapshotTest, TheSnapshotCommandParses) {
  ClientCommand cmd;
  std::string error;
  ASSERT_TRUE(ParseClientCommand(R"({"type":"snapshot"})", &cmd, &error)) << error;
  EXPECT_EQ(cmd.type, ClientCommandType::kSnapshot);
}

std::vector<std::string> Drain(ClientSession& s) {
  std::vector<std::string> out;
  while (Message m = s.PopOutbound()) {
    const Json::Value v = Parse(*m);
    out.push_back(v.isMember("id") ? v["id"].asString() : v["type"].asString());
  }
  return out;
}

TEST(SnapshotTest, ASessionGetsTheSnapshotThenEveryLaterEventOnce) {
  ClientSession s(16);
  s.SendControl(std::string(R"({"type":"hello"})"));
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  // Live events while the snapshot is read: 4 is reflected in it, 5 and 6 are not.
  EXPECT_EQ(s.OnLiveEvent(Ev(4)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(5)), Result::kNothing);
  EXPECT_EQ(s.OnLiveEvent(Ev(6)), Result::kNothing);
  Backfill b;
  b.lower = StreamId{4, 0};
  b.events = {Ev(5)};  // read after the snapshot; 6 came live only
  b.snapshot = std::make_shared<const std::string>(R"({"type":"snapshot","v":"full"})");
  b.snapshot_redacted = std::make_shared<const std::string>(R"({"type":"snapshot","v":"red"})");
  EXPECT_EQ(s.OnBackfill(gen, b), Result::kQueued);
  EXPECT_EQ(s.OnLiveEvent(Ev(6)), Result::kNothing);  // a duplicate now
  EXPECT_EQ(s.OnLiveEvent(Ev(7)), Result::kQueued);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"hello", "snapshot", "5-0", "6-0", "7-0"}));

  // A redacted principal gets the redacted variant.
  ClientSession r(16);
  r.set_redacted(true);
  ASSERT_TRUE(r.BeginResume(&gen));
  EXPECT_EQ(r.OnBackfill(gen, b), Result::kQueued);
  Message m = r.PopOutbound();
  ASSERT_TRUE(m);
  EXPECT_EQ(Parse(*m)["v"], "red");
}

TEST(SnapshotTest, ASnapshotOlderThanWhatTheClientSawIsFollowedByEveryLaterEvent) {
  ClientSession s(16);
  for (int i = 1; i <= 6; ++i) EXPECT_EQ(s.OnLiveEvent(Ev(i)), Result::kQueued);
  Drain(s);
  // {"type":"snapshot"}: the (cached) snapshot is consistent with 4, older than 6.
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  EXPECT_EQ(s.OnLiveEvent(Ev(7)), Result::kNothing);
  Backfill b;
  b.lower = StreamId{4, 0};
  b.events = {Ev(5), Ev(6)};
  b.snapshot = std::make_shared<const std::string>(R"({"type":"snapshot"})");
  EXPECT_EQ(s.OnBackfill(gen, b), Result::kQueued);
  EXPECT_EQ(s.OnLiveEvent(Ev(7)), Result::kNothing);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"snapshot", "5-0", "6-0", "7-0"}));
  EXPECT_EQ(s.OnLiveEvent(Ev(3)), Result::kNothing);  // older than the cursor: never again
  EXPECT_EQ(s.OnLiveEvent(Ev(8)), Result::kQueued);
}

TEST(SnapshotTest, SamplesReplaceTheUnsentOneAndFollowTheSubscription) {
  ClientSession s(4);
  auto msg = [](const std::string& text) { return std::make_shared<const std::string>(text); };
  EXPECT_EQ(s.SendSample(Sample::kStats, "stats", msg(R"({"type":"stats","n":1})")),
            Result::kQueued);
  EXPECT_EQ(s.SendSample(Sample::kStreamTick, "stream_tick", msg(R"({"type":"stream_tick","n":1})")),
            Result::kQueued);
  EXPECT_EQ(s.OnLiveEvent(Ev(1)), Result::kQueued);
  // A slow client: the next samples replace the queued ones in place, nothing piles up.
  for (int i = 2; i <= 50; ++i) {
    EXPECT_EQ(s.SendSample(Sample::kStats, "stats",
                           msg(R"({"type":"stats","n":)" + std::to_string(i) + "}")),
              Result::kNothing);
  }
  EXPECT_EQ(s.queued(), 3u);
  EXPECT_FALSE(s.close_request().has_value());
  Message first = s.PopOutbound();
  EXPECT_EQ(Parse(*first)["n"], 50);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"stream_tick", "1-0"}));
  // Once sent, the next one queues again.
  EXPECT_EQ(s.SendSample(Sample::kStats, "stats", msg(R"({"type":"stats"})")), Result::kQueued);
  EXPECT_EQ(Drain(s), (std::vector<std::string>{"stats"}));

  // Filtered by the subscription like events, and held back during a resume.
  s.SetSubscription({"queue_update"});
  EXPECT_EQ(s.SendSample(Sample::kStats, "stats", msg(R"({"type":"stats"})")), Result::kNothing);
  s.SetSubscription({"stream_tick"});
  EXPECT_EQ(s.SendSample(Sample::kStreamTick, "stream_tick", msg(R"({"type":"stream_tick"})")),
            Result::kQueued);
  uint64_t gen = 0;
  ASSERT_TRUE(s.BeginResume(&gen));
  EXPECT_EQ(s.SendSample(Sample::kStreamTick, "stream_tick", msg(R"({"type":"stream_tick"})")),
            Result::kNothing);
}

}  // namespace
}  // namespace sattva::wsd
