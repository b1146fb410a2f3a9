#include "wsd/messages.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/json.h"

namespace sattva::wsd {
namespace {

Json::Value Parse(const std::string& s) {
  Json::Value v;
  std::string error;
  EXPECT_TRUE(common::ParseJson(s, &v, &error)) << error << ": " << s;
  return v;
}

bool Fails(const std::string& text, std::string* error = nullptr) {
  ClientCommand cmd;
  std::string e;
  bool ok = ParseClientCommand(text, &cmd, &e);
  if (error) *error = e;
  if (!ok) {
    EXPECT_FALSE(e.empty()) << "no error message for " << text;
  }
  return !ok;
}

TEST(ParseClientCommandTest, Subscribe) {
  ClientCommand cmd;
  std::string error;
  ASSERT_TRUE(
      ParseClientCommand(R"({"type":"subscribe","types":["stats","queue_update"]})", &cmd, &error))
      << error;
  EXPECT_EQ(cmd.type, ClientCommandType::kSubscribe);
  EXPECT_EQ(cmd.types, (std::vector<std::string>{"stats", "queue_update"}));

  ASSERT_TRUE(ParseClientCommand(R"({"type":"subscribe","types":[]})", &cmd, &error));
  EXPECT_TRUE(cmd.types.empty());
  ASSERT_TRUE(ParseClientCommand(R"({"type":"subscribe","types":["*"]})", &cmd, &error));
  EXPECT_EQ(cmd.types, (std::vector<std::string>{"*"}));
}

TEST(ParseClientCommandTest, PingAndResume) {
  ClientCommand cmd;
  std::string error;
  ASSERT_TRUE(ParseClientCommand(R"({"type":"ping"})", &cmd, &error));
  EXPECT_EQ(cmd.type, ClientCommandType::kPing);
  ASSERT_TRUE(
      ParseClientCommand(R"({"type":"resume","last_event_id":"1767225600000-3"})", &cmd, &error));
  EXPECT_EQ(cmd.type, ClientCommandType::kResume);
  EXPECT_EQ(cmd.last_event_id, (StreamId{1767225600000, 3}));
}

TEST(ParseClientCommandTest, UnknownFieldsAreIgnored) {
  ClientCommand cmd;
  std::string error;
  EXPECT_TRUE(ParseClientCommand(R"({"type":"ping","extra":{"x":[1,2]}})", &cmd, &error));
}

TEST(ParseClientCommandTest, RejectsBadJson) {
  EXPECT_TRUE(Fails(""));
  EXPECT_TRUE(Fails("not json"));
  EXPECT_TRUE(Fails("{\"type\":\"ping\""));
  EXPECT_TRUE(Fails("{\"type\":\"ping\"} trailing"));
  EXPECT_TRUE(Fails("{\"type\":\"ping\",\"type\":\"ping\"}"));  // duplicate key
  EXPECT_TRUE(Fails("// comment\n{\"type\":\"ping\"}"));
  EXPECT_TRUE(Fails(std::string(1000, '[') + std::string(1000, ']')));  // too deep
}

TEST(ParseClientCommandTest, RejectsWrongTypes) {
  std::string error;
  EXPECT_TRUE(Fails("[]"));
  EXPECT_TRUE(Fails("\"ping\""));
  EXPECT_TRUE(Fails("null"));
  EXPECT_TRUE(Fails("{}", &error));
  EXPECT_NE(error.find("type"), std::string::npos);
  EXPECT_TRUE(Fails(R"({"type":1})"));
  EXPECT_TRUE(Fails(R"({"type":["ping"]})"));
  EXPECT_TRUE(Fails(R"({"type":"unsubscribe"})", &error));
  EXPECT_NE(error.find("unknown"), std::string::npos);
  EXPECT_TRUE(Fails(R"({"type":"PING"})"));
  EXPECT_TRUE(Fails(R"({"type":"subscribe"})"));
  EXPECT_TRUE(Fails(R"({"type":"subscribe","types":"stats"})"));
  EXPECT_TRUE(Fails(R"({"type":"subscribe","types":[1]})"));
  EXPECT_TRUE(Fails(R"({"type":"subscribe","types":[null]})"));
  EXPECT_TRUE(Fails(R"({"type":"subscribe","types":[""]})"));
  EXPECT_TRUE(Fails(R"({"type":"subscribe","types":["Stats"]})"));
  EXPECT_TRUE(Fails(R"({"type":"subscribe","types":["a b"]})"));
  EXPECT_TRUE(Fails(R"({"type":"resume"})"));
  EXPECT_TRUE(Fails(R"({"type":"resume","last_event_id":123})"));
  EXPECT_TRUE(Fails(R"({"type":"resume","last_event_id":null})"));
  EXPECT_TRUE(Fails(R"({"type":"resume","last_event_id":"abc"})", &error));
  EXPECT_NE(error.find("last_event_id"), std::string::npos);
}

TEST(ParseClientCommandTest, RejectsHugeMessages) {
  std::string big = R"({"type":"ping","pad":")" + std::string(kMaxClientMessageBytes, 'x') + "\"}";
  std::string error;
  EXPECT_TRUE(Fails(big, &error));
  EXPECT_NE(error.find("larger"), std::string::npos);

  std::string many = R"({"type":"subscribe","types":[)";
  for (size_t i = 0; i <= kMaxSubscribeTypes; ++i)
    many += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  many += "]}";
  EXPECT_TRUE(Fails(many));
  EXPECT_TRUE(Fails(R"({"type":"subscribe","types":[")" +
                    std::string(kMaxEventTypeLength + 1, 'a') + "\"]}"));
}

TEST(ParseClientCommandTest, OddUnicode) {
  std::string error;
  // Invalid UTF-8 bytes, an overlong encoding, and a lone surrogate escape.
  EXPECT_TRUE(Fails("{\"type\":\"ping\xff\"}", &error));
  EXPECT_NE(error.find("UTF-8"), std::string::npos);
  EXPECT_TRUE(Fails("{\"type\":\"\xC0\xAF\"}"));
  EXPECT_TRUE(Fails("{\"type\":\"\xED\xA0\x80\"}"));  // UTF-16 surrogate encoded in UTF-8
  EXPECT_TRUE(Fails(R"({"type":"ping\ud800"})"));
  // Valid but unexpected unicode: a type that looks like ping, and an emoji type name.
  EXPECT_TRUE(Fails("{\"type\":\"p\xC4\xB1ng\"}"));  // dotless i
  EXPECT_TRUE(Fails("{\"type\":\"subscribe\",\"types\":[\"\xF0\x9F\x8E\xB5\"]}"));
  // Unicode elsewhere is fine.
  ClientCommand cmd;
  EXPECT_TRUE(ParseClientCommand("{\"type\":\"ping\",\"note\":\"\xE2\x9C\x93 \xF0\x9F\x8E\xB5\"}",
                                 &cmd, &error))
      << error;
  // A NUL inside a string does not cut the type short.
  EXPECT_TRUE(Fails(std::string("{\"type\":\"ping\\u0000x\"}")));
}

TEST(BuildMessagesTest, HelloWithAndWithoutLastId) {
  common::FakeClock clock;
  Json::Value v = Parse(BuildHello(clock.WallNow(), StreamId{1767225600000, 2}));
  EXPECT_EQ(v["type"].asString(), "hello");
  EXPECT_EQ(v["server_time"].asString(), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(v["last_event_id"].asString(), "1767225600000-2");
  EXPECT_EQ(v["version"].asInt(), 2);
  EXPECT_FALSE(v.isMember("user"));

  clock.Advance(std::chrono::milliseconds(1234));
  Json::Value n = Parse(BuildHello(clock.WallNow(), std::nullopt));
  EXPECT_TRUE(n.isMember("last_event_id"));
  EXPECT_TRUE(n["last_event_id"].isNull());
  EXPECT_EQ(n["server_time"].asString(), "2026-01-01T00:00:01.234Z");
}

TEST(BuildMessagesTest, HelloNamesTheUser) {
  common::FakeClock clock;
  HelloUser user{42, "Ann", "moderator"};
  Json::Value v = Parse(BuildHello(clock.WallNow(), std::nullopt, &user));
  EXPECT_EQ(v["user"]["id"].asInt64(), 42);
  EXPECT_EQ(v["user"]["name"].asString(), "Ann");
  EXPECT_EQ(v["user"]["role"].asString(), "moderator");
  EXPECT_EQ(v["user"].size(), 3u);  // never an email
}

TEST(BuildMessagesTest, PongErrorResync) {
  common::FakeClock clock;
  Json::Value pong = Parse(BuildPong(clock.WallNow()));
  EXPECT_EQ(pong["type"].asString(), "pong");
  EXPECT_EQ(pong["server_time"].asString(), "2026-01-01T00:00:00.000Z");

  Json::Value err = Parse(BuildError("bad_message", "quote \" and \xE2\x9C\x93"));
  EXPECT_EQ(err["type"].asString(), "error");
  EXPECT_EQ(err["data"]["code"].asString(), "bad_message");
  EXPECT_EQ(err["data"]["message"].asString(), "quote \" and \xE2\x9C\x93");

  Json::Value resync = Parse(BuildResyncRequired());
  EXPECT_EQ(resync["type"].asString(), "resync_required");
  EXPECT_EQ(resync.size(), 1u);
}

}  // namespace
}  // namespace sattva::wsd
