#include "wsd/redact.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "wsd/client_session.h"
#include "wsd/stream_entry.h"

namespace sattva::wsd {
namespace {

Json::Value Parse(const std::string& s) {
  Json::Value v;
  std::string error;
  EXPECT_TRUE(common::ParseJson(s, &v, &error)) << error << " in " << s;
  return v;
}

TEST(RedactTest, RemovesTheKeysAtAnyDepth) {
  Json::Value v = Parse(R"({"type":"queue_update","actor":{"id":1},"data":{"version":3,"items":[)"
                        R"({"item_id":"a","added_by":{"id":7,"name":"Ann"},"track":{"title":"T"}},)"
                        R"({"item_id":"b","queued_by":7,"deep":[[{"email":"x@y.z","keep":1}]]}],)"
                        R"("head":[{"item_id":"a","added_by":{"id":7,"name":"Ann"}}]}})");
  EXPECT_TRUE(Redact(&v));
  EXPECT_EQ(common::WriteJson(v),
            R"({"data":{"head":[{"item_id":"a"}],"items":[{"item_id":"a","track":{"title":"T"}},)"
            R"({"deep":[[{"keep":1}]],"item_id":"b"}],"version":3},"type":"queue_update"})");
}

TEST(RedactTest, NothingToRemoveLeavesItAlone) {
  Json::Value v = Parse(R"({"type":"stream_update","data":{"state":"running","by":"x"}})");
  const std::string before = common::WriteJson(v);
  EXPECT_FALSE(Redact(&v));
  EXPECT_EQ(common::WriteJson(v), before);
  Json::Value scalar("added_by");  // only keys count, never values
  EXPECT_FALSE(Redact(&scalar));
}

TEST(RedactTest, KeysAreExact) {
  EXPECT_TRUE(IsRedactedKey("added_by"));
  EXPECT_TRUE(IsRedactedKey("queued_by"));
  EXPECT_TRUE(IsRedactedKey("actor"));
  EXPECT_TRUE(IsRedactedKey("email"));
  EXPECT_FALSE(IsRedactedKey("added_at"));
  EXPECT_FALSE(IsRedactedKey("Email"));
  EXPECT_FALSE(IsRedactedKey("emails"));
}

StreamEntry Entry(const std::string& id, const std::string& data) {
  return StreamEntry{id,
                     {{"type", "queue_update"},
                      {"stream_id", "3"},
                      {"ts", "2026-01-01T00:00:00.000Z"},
                      {"data", data}}};
}

TEST(RedactTest, WireEventCarriesTheRedactedFormOnlyWhenItDiffers) {
  WireEventPtr w;
  std::string error;
  ASSERT_TRUE(ToWireEvent(
      Entry("5-0", R"({"version":1,"items":[{"item_id":"a","added_by":{"id":7,"name":"Ann"}}]})"),
      &w, &error))
      << error;
  ASSERT_TRUE(w->json);
  ASSERT_TRUE(w->redacted);
  EXPECT_NE(w->json->find("added_by"), std::string::npos);
  EXPECT_EQ(w->redacted->find("added_by"), std::string::npos);
  Json::Value r = Parse(*w->redacted);
  EXPECT_EQ(r["id"].asString(), "5-0");
  EXPECT_EQ(r["data"]["items"][0]["item_id"].asString(), "a");

  ASSERT_TRUE(ToWireEvent(Entry("6-0", R"({"version":2,"length":0})"), &w, &error)) << error;
  EXPECT_FALSE(w->redacted);  // nothing removed: every client shares |json|
}

TEST(RedactTest, ClientSessionQueuesTheVariantItsFlagChooses) {
  WireEventPtr w;
  std::string error;
  ASSERT_TRUE(
      ToWireEvent(Entry("7-0", R"({"items":[{"added_by":{"id":7,"name":"Ann"}}]})"), &w, &error))
      << error;
  WireEventPtr plain;
  ASSERT_TRUE(ToWireEvent(Entry("8-0", R"({"length":0})"), &plain, &error)) << error;

  ClientSession viewer(16);  // may view users
  ClientSession user(16);
  user.set_redacted(true);
  ASSERT_EQ(viewer.OnLiveEvent(w), ClientSession::Result::kQueued);
  ASSERT_EQ(user.OnLiveEvent(w), ClientSession::Result::kQueued);
  ASSERT_EQ(user.OnLiveEvent(plain), ClientSession::Result::kQueued);
  EXPECT_EQ(viewer.PopOutbound(), w->json);    // shared, not copied
  EXPECT_EQ(user.PopOutbound(), w->redacted);  // shared, not copied
  EXPECT_EQ(user.PopOutbound(), plain->json);  // nothing to remove: the one envelope

  // A resume delivers the same way.
  ClientSession resumed(16);
  resumed.set_redacted(true);
  uint64_t generation = 0;
  ASSERT_TRUE(resumed.BeginResume(&generation));
  Backfill b;
  b.events = {w};
  b.lower = StreamId{6, 0};
  resumed.OnBackfill(generation, b);
  EXPECT_EQ(resumed.PopOutbound(), w->redacted);
}

}  // namespace
}  // namespace sattva::wsd
