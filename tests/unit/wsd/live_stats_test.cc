// stats and stream_tick: the station figures' aggregation (common/station_stats.h, shared with
// GET /api/v1/stats) and the two messages wsd builds from them.
#include "wsd/live_stats.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json.h"
#include "common/station_stats.h"

namespace sattva::wsd {
namespace {

Json::Value Parse(const std::string& text) {
  Json::Value v;
  std::string error;
  EXPECT_TRUE(common::ParseJson(text, &v, &error)) << text;
  return v;
}

common::StreamFigures Stream(int64_t id, bool running, int64_t listeners, int64_t queue) {
  common::StreamFigures f;
  f.id = id;
  f.running = running;
  f.listeners = listeners;
  f.listeners_live = listeners;
  f.queue_length = queue;
  return f;
}

common::StreamerFigures Streamer(const std::string& id, const std::string& host,
                                 std::optional<double> cpu, std::optional<double> mem,
                                 int64_t uptime) {
  common::StreamerFigures f;
  f.id = id;
  f.host = host;
  f.cpu_percent = cpu;
  f.memory_percent = mem;
  f.uptime_seconds = uptime;
  return f;
}

TEST(StationStatsTest, AggregatesStreamsAndStreamerHosts) {
  const common::StationStats s = common::AggregateStationStats(
      {Stream(1, true, 3, 2), Stream(2, false, 0, 5), Stream(3, true, 1, 0)},
      {Streamer("a-1", "a", 10.0, 40.0, 100), Streamer("a-2", "a", 10.0, 40.0, 50),
       Streamer("b-1", "b", 30.0, 60.0, 300), Streamer("c-1", "c", std::nullopt, std::nullopt, 7)});
  EXPECT_EQ(s.active_streams, 2);
  EXPECT_EQ(s.total_listeners, 4);
  EXPECT_EQ(s.queue_items, 7);  // a stopped stream's queue counts too
  // Hosts a and b once each; c reports nothing.
  ASSERT_TRUE(s.cpu_percent.has_value());
  EXPECT_DOUBLE_EQ(*s.cpu_percent, 20.0);
  EXPECT_DOUBLE_EQ(*s.memory_percent, 50.0);
  EXPECT_EQ(s.uptime_seconds, 300);
  const Json::Value v = common::StationStatsJson(s);
  EXPECT_EQ(v["active_streams"], 2);
  EXPECT_EQ(v["total_listeners"], 4);
  EXPECT_EQ(v["queue_items"], 7);
  EXPECT_DOUBLE_EQ(v["cpu_percent"].asDouble(), 20.0);
  EXPECT_EQ(v["uptime_seconds"], 300);
  ASSERT_EQ(v["streamers"].size(), 4u);
  EXPECT_EQ(v["streamers"][3]["id"], "c-1");
  EXPECT_TRUE(v["streamers"][3]["cpu_percent"].isNull());
  for (const char* k : {"id", "host", "pid", "cpu_percent", "memory_percent", "rss_bytes",
                        "uptime_seconds", "streams"}) {
    EXPECT_TRUE(v["streamers"][0].isMember(k)) << k;
  }

  const common::StationStats none = common::AggregateStationStats({}, {});
  const Json::Value n = common::StationStatsJson(none);
  EXPECT_TRUE(n["cpu_percent"].isNull());
  EXPECT_TRUE(n["memory_percent"].isNull());
  EXPECT_EQ(n["uptime_seconds"], 0);
  EXPECT_EQ(n["streamers"].size(), 0u);
}

TEST(StationStatsTest, StreamerPayloads) {
  common::StreamerFigures f;
  ASSERT_TRUE(common::ParseStreamerPayload(
      R"({"id":"x-1","host":"x","pid":1,"cpu_percent":null,"memory_percent":12.5,)"
      R"("rss_bytes":100,"uptime_seconds":5,"streams":2})",
      &f));
  EXPECT_FALSE(f.cpu_percent.has_value());
  EXPECT_DOUBLE_EQ(*f.memory_percent, 12.5);
  EXPECT_EQ(f.streams, 2);
  // An older payload without the figures still lists the streamer.
  ASSERT_TRUE(common::ParseStreamerPayload(R"({"id":"old","host":"h","pid":2})", &f));
  EXPECT_EQ(f.id, "old");
  EXPECT_EQ(f.rss_bytes, 0);
  EXPECT_FALSE(common::ParseStreamerPayload("[]", &f));
  EXPECT_FALSE(common::ParseStreamerPayload(R"({"host":"h"})", &f));
}

TEST(StationStatsTest, PositionExtrapolation) {
  // Running: moves on since position_at, stops at the end of an item, loops a placeholder.
  EXPECT_EQ(common::ExtrapolatePositionMs(1000, 5000, true, 0, false, 5400), 1400);
  EXPECT_EQ(common::ExtrapolatePositionMs(1000, 5000, true, 1200, false, 5400), 1200);
  EXPECT_EQ(common::ExtrapolatePositionMs(1000, 5000, true, 1200, true, 5400), 200);
  // Not running, or a clock behind position_at: as written.
  EXPECT_EQ(common::ExtrapolatePositionMs(1000, 5000, false, 0, false, 9000), 1000);
  EXPECT_EQ(common::ExtrapolatePositionMs(1000, 5000, true, 0, false, 4000), 1000);
}

TEST(LiveStatsTest, StreamTickCoversRunningStreamsOnly) {
  common::FakeClock clock;
  const int64_t now_ms = common::UnixMillis(clock.WallNow());
  common::StreamFigures a = Stream(1, true, 2, 0);
  a.listeners_live = 1;
  a.listeners_bridge = 1;
  a.now_item = R"({"id":"41","track":{"id":7,"duration_ms":10000},"added_by":{"id":1}})";
  a.position_ms = 2000;
  a.position_at_ms = now_ms - 300;
  common::StreamFigures b = Stream(2, false, 0, 0);
  b.now_item = a.now_item;
  common::StreamFigures c = Stream(3, true, 0, 0);  // just started: nothing recorded yet
  const Json::Value v = Parse(BuildStreamTick(clock.WallNow(), {a, b, c}));
  EXPECT_EQ(v["type"], "stream_tick");
  EXPECT_EQ(v["ts"], "2026-01-01T00:00:00.000Z");
  EXPECT_FALSE(v.isMember("id"));
  const Json::Value& s = v["data"]["streams"];
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0]["stream_id"], 1);
  EXPECT_EQ(s[0]["item_id"], "41");
  EXPECT_EQ(s[0]["position_ms"], 2300);
  EXPECT_EQ(s[0]["duration_ms"], 10000);
  EXPECT_EQ(s[0]["listeners"]["total"], 2);
  EXPECT_EQ(s[0]["listeners"]["live"], 1);
  EXPECT_EQ(s[0]["listeners"]["bridge"], 1);
  EXPECT_EQ(s[1]["stream_id"], 3);
  EXPECT_TRUE(s[1]["item_id"].isNull());
  EXPECT_TRUE(s[1]["position_ms"].isNull());
  EXPECT_TRUE(s[1]["duration_ms"].isNull());
  // None running: no message at all.
  EXPECT_EQ(BuildStreamTick(clock.WallNow(), {b}), "");
  EXPECT_EQ(BuildStreamTick(clock.WallNow(), {}), "");
}

TEST(LiveStatsTest, StatsMessage) {
  common::FakeClock clock;
  const common::StationStats st = common::AggregateStationStats(
      {Stream(1, true, 3, 2)}, {Streamer("a-1", "a", 12.34, 56.78, 9)});
  const Json::Value data = StatsData(st, 2.46, 17);
  const Json::Value v = Parse(BuildStats(clock.WallNow(), data));
  EXPECT_EQ(v["type"], "stats");
  EXPECT_EQ(v["ts"], "2026-01-01T00:00:00.000Z");
  EXPECT_FALSE(v.isMember("id"));
  const Json::Value& d = v["data"];
  for (const char* k : {"active_streams", "total_listeners", "queue_items", "cpu_percent",
                        "memory_percent", "uptime_seconds", "events_per_second", "connections",
                        "streamers"}) {
    EXPECT_TRUE(d.isMember(k)) << k;
  }
  EXPECT_EQ(d["active_streams"], 1);
  EXPECT_DOUBLE_EQ(d["cpu_percent"].asDouble(), 12.3);
  EXPECT_DOUBLE_EQ(d["memory_percent"].asDouble(), 56.8);
  EXPECT_DOUBLE_EQ(d["events_per_second"].asDouble(), 2.5);
  EXPECT_EQ(d["connections"], 17);
}

TEST(LiveStatsTest, QueueAndLatestHoldWhatWasGiven) {
  int wakes = 0;
  SampleQueue q([&wakes] { ++wakes; });
  q.Push(LiveSample{kStatsType, std::make_shared<const std::string>("a")});
  q.Push(LiveSample{kStreamTickType, std::make_shared<const std::string>("b")});
  EXPECT_EQ(wakes, 2);
  std::vector<LiveSample> out;
  q.Drain(&out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, "stats");
  EXPECT_EQ(*out[1].json, "b");
  out.clear();
  q.Drain(&out);
  EXPECT_TRUE(out.empty());

  LatestStats latest;
  EXPECT_TRUE(latest.Get().isNull());
  Json::Value v(Json::objectValue);
  v["x"] = 1;
  latest.Set(v);
  EXPECT_EQ(latest.Get()["x"], 1);
}

}  // namespace
}  // namespace sattva::wsd
