// The streamer heartbeat: key and payload building, failure accounting without Redis, and a
// Run loop that Stop ends at once.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/redis.h"
#include "common/station_stats.h"
#include "streamer/app.h"
#include "streamer/heartbeat.h"
#include "streamer/metrics.h"

namespace sattva::streamer {
namespace {

HeartbeatInfo Info(const common::Clock& clock) {
  HeartbeatInfo info;
  info.id = "host1-42";
  info.pid = 42;
  info.host = "host1";
  info.started_at = clock.WallNow();
  info.version = "1.2.3";
  return info;
}

// A Redis that refuses connections: nothing listens on port 1.
common::RedisOptions Unreachable() {
  common::RedisOptions o;
  o.host = "127.0.0.1";
  o.port = 1;
  o.timeout_ms = 200;
  return o;
}

TEST(HeartbeatTest, KeysAndDefaultIds) {
  EXPECT_EQ(HeartbeatKey("host1-42"), "sattva:streamer:host1-42");
  EXPECT_EQ(DefaultStreamerId("box", 1234), "box-1234");
  EXPECT_EQ(DefaultStreamerId("", 7), "streamer-7");
  EXPECT_STREQ(kStreamersKey, "sattva:streamers");
}

TEST(HeartbeatTest, PayloadHasIdentityAndBothTimes) {
  common::FakeClock clock;
  const HeartbeatInfo info = Info(clock);
  clock.Advance(std::chrono::milliseconds(2500));
  Json::Value v = HeartbeatPayload(info, clock.WallNow());
  EXPECT_EQ(v["id"].asString(), "host1-42");
  EXPECT_EQ(v["pid"].asInt64(), 42);
  EXPECT_EQ(v["host"].asString(), "host1");
  EXPECT_EQ(v["version"].asString(), "1.2.3");
  EXPECT_EQ(v["started_at"].asString(), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(v["heartbeat_at"].asString(), "2026-01-01T00:00:02.500Z");
  // Without measurements the host figures are null and the counts 0; uptime is whole seconds.
  EXPECT_TRUE(v["cpu_percent"].isNull());
  EXPECT_TRUE(v["memory_percent"].isNull());
  EXPECT_EQ(v["rss_bytes"].asInt64(), 0);
  EXPECT_EQ(v["uptime_seconds"].asInt64(), 2);
  EXPECT_EQ(v["streams"].asInt64(), 0);
  EXPECT_EQ(v.size(), 11u);
  // It survives the strict parser other daemons use to read it.
  Json::Value parsed;
  std::string error;
  EXPECT_TRUE(common::ParseJson(common::WriteJson(v), &parsed, &error)) << error;
}

TEST(HeartbeatTest, PayloadCarriesHostFiguresAndReadsBackAsStreamerFigures) {
  common::FakeClock clock;
  const HeartbeatInfo info = Info(clock);
  clock.Advance(std::chrono::seconds(90));
  HostFigures f;
  f.cpu_percent = 12.345;
  f.memory_percent = 50.0;
  f.rss_bytes = 4096;
  f.streams = 3;
  Json::Value v = HeartbeatPayload(info, clock.WallNow(), f);
  EXPECT_DOUBLE_EQ(v["cpu_percent"].asDouble(), 12.3);
  EXPECT_DOUBLE_EQ(v["memory_percent"].asDouble(), 50.0);
  common::StreamerFigures back;
  ASSERT_TRUE(common::ParseStreamerPayload(common::WriteJson(v), &back));
  EXPECT_EQ(back.id, "host1-42");
  EXPECT_EQ(back.host, "host1");
  EXPECT_EQ(back.pid, 42);
  ASSERT_TRUE(back.cpu_percent.has_value());
  EXPECT_DOUBLE_EQ(*back.cpu_percent, 12.3);
  EXPECT_EQ(back.rss_bytes, 4096);
  EXPECT_EQ(back.uptime_seconds, 90);
  EXPECT_EQ(back.streams, 3);
}

TEST(HeartbeatTest, ProcParsers) {
  CpuTimes a, b;
  ASSERT_TRUE(ParseProcStatCpu("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n", &a));
  EXPECT_EQ(a.total, 1000u);
  EXPECT_EQ(a.busy, 200u);
  ASSERT_TRUE(ParseProcStatCpu("cpu  200 0 200 1300 100 0 0 0 0 0\n", &b));
  // 200 busy ticks of 800.
  ASSERT_TRUE(CpuBusyPercent(a, b).has_value());
  EXPECT_DOUBLE_EQ(*CpuBusyPercent(a, b), 25.0);
  EXPECT_FALSE(CpuBusyPercent(a, a).has_value());
  EXPECT_FALSE(CpuBusyPercent(b, a).has_value());
  EXPECT_FALSE(ParseProcStatCpu("intr 1 2 3\n", &a));

  const std::optional<double> m =
      MemoryUsedPercent("MemTotal:       8000 kB\nMemFree:  100 kB\nMemAvailable:   2000 kB\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(*m, 75.0);
  EXPECT_FALSE(MemoryUsedPercent("MemTotal: 8000 kB\n").has_value());

  EXPECT_EQ(StatmRssBytes("2000 300 50 1 0 100 0\n", 4096), 300 * 4096);
  EXPECT_EQ(StatmRssBytes("", 4096), 0);
}

TEST(HeartbeatTest, FailedBeatsAreCountedAndMarkRedisDown) {
  common::FakeClock clock;
  prometheus::Registry registry;
  StreamerMetrics metrics(registry);
  metrics.redis_up.Set(1);
  common::Redis redis(Unreachable());
  Heartbeat heartbeat(Info(clock), std::chrono::milliseconds(5000), std::chrono::milliseconds(1000),
                      clock, redis, metrics);
  EXPECT_EQ(heartbeat.key(), "sattva:streamer:host1-42");
  EXPECT_FALSE(heartbeat.Beat());
  EXPECT_FALSE(heartbeat.Beat());
  EXPECT_EQ(metrics.heartbeat_failures.Value(), 2);
  EXPECT_EQ(metrics.heartbeats.Value(), 0);
  EXPECT_EQ(metrics.redis_up.Value(), 0);
  heartbeat.Unregister();  // best effort: must not throw
}

TEST(HeartbeatTest, StopEndsRunAtOnce) {
  common::FakeClock clock;
  prometheus::Registry registry;
  StreamerMetrics metrics(registry);
  common::Redis redis(Unreachable());
  // Ten seconds between beats: only Stop can end the wait within the 1 s the test allows.
  Heartbeat heartbeat(Info(clock), std::chrono::milliseconds(5000), std::chrono::seconds(10), clock,
                      redis, metrics);
  std::thread runner([&] { heartbeat.Run(); });
  // Wait for the first (immediate) beat, so Run is inside its wait.
  for (int i = 0; i < 500 && metrics.heartbeat_failures.Value() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(metrics.heartbeat_failures.Value(), 1);
  const auto start = std::chrono::steady_clock::now();
  heartbeat.Stop();
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(metrics.heartbeat_failures.Value(), 1);
}

TEST(HeartbeatTest, StopBeforeRunMeansNoBeat) {
  common::FakeClock clock;
  prometheus::Registry registry;
  StreamerMetrics metrics(registry);
  common::Redis redis(Unreachable());
  Heartbeat heartbeat(Info(clock), std::chrono::milliseconds(5000), std::chrono::milliseconds(10),
                      clock, redis, metrics);
  heartbeat.Stop();
  heartbeat.Run();
  EXPECT_EQ(metrics.heartbeat_failures.Value() + metrics.heartbeats.Value(), 0);
}

TEST(StreamerMetricsTest, ExportsTheDocumentedNames) {
  prometheus::Registry registry;
  StreamerMetrics metrics(registry);
  metrics.up.Set(1);
  metrics.heartbeats.Increment();
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, registry.Collect());
  const std::string text = os.str();
  for (const char* line :
       {"sattva_streamer_up 1", "sattva_streamer_heartbeats_total 1",
        "sattva_streamer_heartbeat_failures_total 0", "sattva_streamer_redis_up 0",
        "sattva_active_streams 0", "# TYPE sattva_streamer_heartbeats_total counter",
        "# TYPE sattva_streamer_redis_up gauge"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(StreamerAppTest, ListenAddressBracketsIpv6) {
  EXPECT_EQ(ListenAddress("127.0.0.1", 8082), "127.0.0.1:8082");
  EXPECT_EQ(ListenAddress("0.0.0.0", 0), "0.0.0.0:0");
  EXPECT_EQ(ListenAddress("::1", 8082), "[::1]:8082");
  EXPECT_EQ(ListenAddress("[::1]", 8082), "[::1]:8082");
}

}  // namespace
}  // namespace sattva::streamer
