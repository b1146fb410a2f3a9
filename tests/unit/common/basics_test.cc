// JSON helpers, log format, clocks, password hashing, event envelopes, metrics text.
#include <gtest/gtest.h>

#include <chrono>

#include "common/clock.h"
#include "common/events.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/password.h"

namespace sattva::common {
namespace {

TEST(JsonTest, ParsesStrictly) {
  Json::Value v;
  std::string err;
  ASSERT_TRUE(ParseJson("{\"a\":[1,2,{\"b\":null}],\"s\":\"\\u043f\"}", &v, &err)) << err;
  EXPECT_EQ(v["a"].size(), 3u);
  EXPECT_EQ(v["s"].asString(), "\xD0\xBF");
  for (const char* bad : {"", "{", "{\"a\":1,}", "{\"a\":1}{}", "{\"a\":1,\"a\":2}", "// c\n{}",
                          "[NaN]", "{'a':1}"}) {
    EXPECT_FALSE(ParseJson(bad, &v, &err)) << bad;
    EXPECT_FALSE(err.empty());
  }
}

TEST(JsonTest, RejectsDeepNestingAndBadUtf8) {
  Json::Value v;
  std::string err;
  std::string deep(5000, '[');
  EXPECT_FALSE(ParseJson(deep, &v, &err));
  EXPECT_FALSE(ParseJson("\"\xC3\x28\"", &v, &err));
  EXPECT_FALSE(ParseJson("\"\xED\xA0\x80\"", &v, &err));  // UTF-16 surrogate
  EXPECT_FALSE(ParseJson("\"\xC0\xAF\"", &v, &err));      // overlong '/'
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x8E\xB5 music"));
}

TEST(JsonTest, WritesCompactUtf8) {
  Json::Value v;
  v["t"] = "\xD0\xBF\xF0\x9F\x8E\xB5";
  v["n"] = JsonInt(9007199254740993LL);
  EXPECT_EQ(WriteJson(v), "{\"n\":9007199254740993,\"t\":\"\xD0\xBF\xF0\x9F\x8E\xB5\"}");
}

TEST(LogTest, OneLinePerRecord) {
  std::string line = FormatLogLine(LogLevel::kWarn, "fcgi", "a\nb\rc", 1767225600123LL);
  EXPECT_EQ(line, "2026-01-01T00:00:00.123Z WARN  fcgi  a\\nb\\rc");
  LogLevel l;
  EXPECT_TRUE(ParseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", &l));
}

TEST(ClockTest, FakeClockAdvancesBothClocks) {
  FakeClock c;
  auto m0 = c.Now();
  auto w0 = c.WallNow();
  EXPECT_EQ(IsoUtcMillis(w0), "2026-01-01T00:00:00.000Z");
  c.Advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(c.Now() - m0, std::chrono::milliseconds(1500));
  EXPECT_EQ(IsoUtcMillis(c.WallNow()), "2026-01-01T00:00:01.500Z");
}

TEST(PasswordTest, Argon2idRoundTrip) {
  InitCrypto();
  std::string h = HashPassword("correct horse");
  EXPECT_EQ(h.rfind("$argon2id$", 0), 0u) << h;
  EXPECT_NE(h.find("m=19456,t=2"), std::string::npos) << h;
  EXPECT_TRUE(VerifyPassword(h, "correct horse"));
  EXPECT_FALSE(VerifyPassword(h, "correct horsE"));
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_NE(HashPassword("correct horse"), h);  // salted
}

TEST(PasswordTest, TokensAndDigests) {
  InitCrypto();
  std::string a = RandomToken(16), b = RandomToken(16);
  EXPECT_EQ(a.size(), 22u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(EventsTest, EnvelopeFromFields) {
  Event e;
  std::string err;
  ASSERT_TRUE(EventFromFields("1-0",
                              {{"type", "queue_update"},
                               {"stream_id", "7"},
                               {"ts", "2026-01-01T00:00:00.000Z"},
                               {"data", "{\"version\":3}"}},
                              &e, &err))
      << err;
  Json::Value v = EventEnvelope(e);
  EXPECT_EQ(WriteJson(v),
            "{\"data\":{\"version\":3},\"id\":\"1-0\",\"stream_id\":7,\"ts\":\"2026-01-01T00:00:"
            "00.000Z\",\"type\":\"queue_update\"}");
  ASSERT_TRUE(EventFromFields("2-0", {{"type", "stats"}, {"ts", "x"}, {"data", "{}"}}, &e, &err));
  EXPECT_TRUE(EventEnvelope(e)["stream_id"].isNull());
}

TEST(EventsTest, MalformedFieldsAreRejected) {
  Event e;
  std::string err;
  EXPECT_FALSE(EventFromFields("1-0", {{"data", "{}"}}, &e, &err));
  EXPECT_FALSE(EventFromFields("1-0", {{"type", "t"}, {"stream_id", "x7"}}, &e, &err));
  EXPECT_FALSE(EventFromFields("1-0", {{"type", "t"}, {"data", "[1]"}}, &e, &err));
  EXPECT_FALSE(EventFromFields("1-0", {{"type", "t"}, {"data", "{"}}, &e, &err));
}

TEST(MetricsTest, RequestMetricsUseRouteTemplates) {
  Metrics m;
  RequestMetrics rm(m.registry());
  rm.Observe("GET", "/api/v1/streams/{id}", 200, 0.003);
  rm.Observe("GET", "/api/v1/streams/{id}", 200, 0.004);
  rm.Observe("GET", "unmatched", 404, 0.001);
  std::string text = m.Serialize();
  EXPECT_NE(text.find("sattva_http_requests_total{method=\"GET\",route=\"/api/v1/streams/{id}\","
                      "status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sattva_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/"
                      "streams/{id}\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge"), std::string::npos);
  EXPECT_NE(text.find("process_cpu_seconds_total "), std::string::npos);
}

}  // namespace
}  // namespace sattva::common
