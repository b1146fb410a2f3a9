#include "wsd/stream_entry.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "common/json.h"
#include "common/redis.h"
#include "tests/unit/wsd/test_events.h"

namespace sattva::wsd {
namespace {

// Parses raw RESP bytes the way hiredis would hand them to us.
common::RedisReplyPtr Resp(const std::string& bytes) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, bytes.data(), bytes.size());
  void* reply = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader, &reply), REDIS_OK);
  redisReaderFree(reader);
  EXPECT_NE(reply, nullptr) << "incomplete RESP";
  return common::RedisReplyPtr(static_cast<redisReply*>(reply));
}

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string EntryResp(const std::string& id, const std::vector<std::string>& kv) {
  std::string out = "*2\r\n" + Bulk(id) + "*" + std::to_string(kv.size()) + "\r\n";
  for (const auto& s : kv) out += Bulk(s);
  return out;
}

TEST(StreamEntryTest, ParsesRange) {
  auto r = Resp("*2\r\n" + EntryResp("1-0", {"type", "stats", "data", "{}"}) +
                EntryResp("2-5", {"type", "error"}));
  std::vector<StreamEntry> entries;
  std::string error;
  ASSERT_TRUE(ParseRangeReply(r.get(), &entries, &error)) << error;
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, "1-0");
  EXPECT_EQ(entries[0].fields.size(), 2u);
  EXPECT_EQ(entries[0].fields[1].first, "data");
  EXPECT_EQ(entries[1].id, "2-5");
}

TEST(StreamEntryTest, ParsesXread) {
  std::vector<StreamEntry> entries;
  std::string error;
  ASSERT_TRUE(ParseXreadReply(Resp("*-1\r\n").get(), &entries, &error));  // BLOCK timed out
  EXPECT_TRUE(entries.empty());
  auto r = Resp("*1\r\n*2\r\n" + Bulk("sattva:events") + "*1\r\n" +
                EntryResp("7-0", {"type", "stats", "data", "{\"a\":1}"}));
  ASSERT_TRUE(ParseXreadReply(r.get(), &entries, &error)) << error;
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, "7-0");
}

TEST(StreamEntryTest, RejectsOtherShapes) {
  std::vector<StreamEntry> entries;
  std::string error;
  EXPECT_FALSE(ParseRangeReply(Resp(":1\r\n").get(), &entries, &error));
  EXPECT_FALSE(ParseRangeReply(Resp("*1\r\n:1\r\n").get(), &entries, &error));
  EXPECT_FALSE(ParseRangeReply(Resp("*1\r\n" + EntryResp("1-0", {"odd"})).get(), &entries, &error));
  EXPECT_FALSE(ParseXreadReply(Resp("+OK\r\n").get(), &entries, &error));
  EXPECT_FALSE(ParseXreadReply(Resp("*1\r\n*1\r\n" + Bulk("k")).get(), &entries, &error));
  EXPECT_FALSE(error.empty());
}

TEST(StreamEntryTest, ToWireEventSerialisesTheEnvelopeOnce) {
  StreamEntry e = testing::Entry("1767225600000-1", "queue_update", R"({"version":2,"items":[]})");
  e.fields.emplace_back("stream_id", "42");
  WireEventPtr w;
  std::string error;
  ASSERT_TRUE(ToWireEvent(e, &w, &error)) << error;
  EXPECT_EQ(w->id, (StreamId{1767225600000, 1}));
  EXPECT_EQ(w->type, "queue_update");
  Json::Value v;
  ASSERT_TRUE(common::ParseJson(*w->json, &v, &error)) << error;
  EXPECT_EQ(v["id"].asString(), "1767225600000-1");
  EXPECT_EQ(v["type"].asString(), "queue_update");
  EXPECT_EQ(v["stream_id"].asInt64(), 42);
  EXPECT_EQ(v["ts"].asString(), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(v["data"]["version"].asInt(), 2);
}

TEST(StreamEntryTest, ToWireEventRejectsMalformedEntries) {
  WireEventPtr w;
  std::string error;
  EXPECT_FALSE(ToWireEvent(testing::Entry("x-1"), &w, &error));
  EXPECT_FALSE(ToWireEvent(testing::Entry("1-1", ""), &w, &error));
  EXPECT_FALSE(ToWireEvent(testing::Entry("1-1", "stats", "[1]"), &w, &error));
  EXPECT_FALSE(ToWireEvent(testing::Entry("1-1", "stats", "{\"a\":\xff}"), &w, &error));
  StreamEntry bad_stream = testing::Entry("1-1");
  bad_stream.fields.emplace_back("stream_id", "abc");
  EXPECT_FALSE(ToWireEvent(bad_stream, &w, &error));
  EXPECT_FALSE(w);
}

}  // namespace
}  // namespace sattva::wsd
