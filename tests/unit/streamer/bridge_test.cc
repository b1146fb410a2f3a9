// The stream bridge: the wire protocol (encode, incremental parse, errors) and BridgeSink over
// real unix sockets in a temporary directory, plus the real sattva-bridge-client binary.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "streamer/audio.h"
#include "streamer/bridge.h"
#include "streamer/bridge_protocol.h"
#include "tests/unit/common/test_files.h"

extern char** environ;

namespace sattva::streamer {
namespace {

using Clock = std::chrono::steady_clock;

using testfiles::TempDir;

bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 3000) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

PcmFrame MakeFrame(int k) {
  PcmFrame f;
  for (size_t i = 0; i < f.samples.size(); ++i) {
    f.samples[i] = static_cast<int16_t>((k * 7919 + static_cast<int>(i) * 31) % 65536 - 32768);
  }
  return f;
}

std::string FrameBytes(const PcmFrame& f) {
  return std::string(reinterpret_cast<const char*>(f.samples.data()), kFrameBytes);
}

TrackInfo MakeTrack(int64_t id, const std::string& title, int start_offset) {
  TrackInfo t;
  t.track_id = id;
  t.item_id = "item-" + std::to_string(id);
  t.title = title;
  t.artist = "Artist " + std::to_string(id);
  t.duration_ms = 180000 + id;
  t.start_offset = start_offset;
  return t;
}

// A connector written against the protocol: blocking socket, poll-bounded reads.
class TestConnector {
 public:
  bool Connect(const std::string& path) {
    int err = 0;
    fd_ = ConnectUnixSocket(path, &err);
    return fd_.valid();
  }
  void Close() { fd_.Reset(); }
  void Send(const BridgeMessage& m) { SendRaw(SerializeBridgeMessage(m)); }
  void SendRaw(const std::string& bytes) {
    int err = 0;
    EXPECT_TRUE(SendAll(fd_.get(), bytes, &err)) << std::strerror(err);
  }
  void Hello(int64_t protocol = kBridgeProtocolVersion) {
    BridgeHello h;
    h.protocol = protocol;
    h.client = "bridge_test/1";
    Send(EncodeBridgeHello(h));
  }
  void Participants(int64_t count) {
    BridgeParticipants p;
    p.count = count;
    Send(EncodeBridgeParticipants(p));
  }
  // The next message, or nullopt on EOF / timeout.
  std::optional<BridgeMessage> Read(int timeout_ms = 3000) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    BridgeMessage m;
    for (;;) {
      const BridgeParser::Status s = parser_.Next(&m);
      if (s == BridgeParser::Status::kMessage) return m;
      if (s == BridgeParser::Status::kError) {
        ADD_FAILURE() << "the bridge broke the protocol: " << parser_.error();
        return std::nullopt;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[16384];
      const ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
      if (n <= 0) {
        eof_ = true;
        return std::nullopt;
      }
      parser_.Feed(buf, static_cast<size_t>(n));
    }
  }
  // Reads until a message of `type`, keeping the skipped ones.
  std::optional<BridgeMessage> ReadUntil(BridgeMessageType type,
                                         std::vector<BridgeMessage>* skipped = nullptr,
                                         int timeout_ms = 3000) {
    for (;;) {
      std::optional<BridgeMessage> m = Read(timeout_ms);
      if (!m || m->type == type) return m;
      if (skipped != nullptr) skipped->push_back(*m);
    }
  }
  // True when the bridge closes the connection (after any further messages) within the time.
  bool WaitEof(int timeout_ms = 3000) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!eof_ && Clock::now() < deadline) Read(50);
    return eof_;
  }
  // HELLO, then expects WELCOME.
  BridgeWelcome Handshake() {
    Hello();
    BridgeWelcome w;
    std::optional<BridgeMessage> m = Read();
    EXPECT_TRUE(m.has_value());
    if (!m) return w;
    std::string why;
    EXPECT_TRUE(DecodeBridgeWelcome(*m, &w, &why))
        << BridgeMessageTypeName(m->type) << " " << why << " " << m->payload;
    return w;
  }
  int fd() const { return fd_.get(); }
  bool eof() const { return eof_; }

 private:
  BridgeFd fd_;
  BridgeParser parser_;
  bool eof_ = false;
};

BridgeError ExpectError(TestConnector& c) {
  BridgeError e;
  std::optional<BridgeMessage> m = c.ReadUntil(BridgeMessageType::kError);
  EXPECT_TRUE(m.has_value()) << "no ERROR";
  if (!m) return e;
  std::string why;
  EXPECT_TRUE(DecodeBridgeError(*m, &e, &why)) << why;
  return e;
}

std::string ExpectEnd(TestConnector& c, std::vector<BridgeMessage>* before = nullptr) {
  std::optional<BridgeMessage> m = c.ReadUntil(BridgeMessageType::kEnd, before);
  EXPECT_TRUE(m.has_value()) << "no END";
  if (!m) return "";
  BridgeEnd e;
  std::string why;
  EXPECT_TRUE(DecodeBridgeEnd(*m, &e, &why)) << why;
  return e.reason;
}

// ---- Protocol ----

TEST(BridgeProtocolTest, HeaderLayoutIsTypeFlagsReservedLengthLE) {
  const std::string ping = SerializeBridgeMessage(BridgeMessage{BridgeMessageType::kPing, ""});
  EXPECT_EQ(ping, std::string("\x03\0\0\0\0\0\0\0", 8));
  BridgeParticipants p;
  p.count = 12;
  const std::string bytes = SerializeBridgeMessage(EncodeBridgeParticipants(p));
  ASSERT_EQ(bytes.size(), kBridgeHeaderBytes + std::string("{\"count\":12}").size());
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x02);
  EXPECT_EQ(bytes[1], 0);
  EXPECT_EQ(bytes[2], 0);
  EXPECT_EQ(bytes[3], 0);
  EXPECT_EQ(static_cast<uint8_t>(bytes[4]), 12);  // {"count":12} is 12 bytes
  EXPECT_EQ(bytes.substr(5, 3), std::string("\0\0\0", 3));
  EXPECT_EQ(bytes.substr(8), "{\"count\":12}");

  const std::string audio =
      SerializeBridgeMessage(EncodeBridgeAudio(0x0102030405060708ULL, MakeFrame(1)));
  ASSERT_EQ(audio.size(), kBridgeHeaderBytes + 8 + kFrameBytes);
  EXPECT_EQ(static_cast<uint8_t>(audio[0]), 0x82);
  EXPECT_EQ(static_cast<uint8_t>(audio[4]), (8 + kFrameBytes) & 0xff);
  EXPECT_EQ(static_cast<uint8_t>(audio[5]), (8 + kFrameBytes) >> 8);
  EXPECT_EQ(static_cast<uint8_t>(audio[8]), 0x08);  // seq, little-endian
  EXPECT_EQ(static_cast<uint8_t>(audio[15]), 0x01);
  EXPECT_EQ(audio.substr(16), FrameBytes(MakeFrame(1)));
  // The zero-copy appender writes the same bytes.
  std::string appended;
  AppendBridgeAudio(0x0102030405060708ULL, MakeFrame(1), &appended);
  EXPECT_EQ(appended, audio);
}

TEST(BridgeProtocolTest, EveryMessageRoundTripsFedByteByByte) {
  BridgeHello hello;
  hello.client = "tg-connector/0.3";
  BridgeWelcome welcome;
  welcome.stream_id = 42;
  welcome.slug = "night-owls";
  BridgeTrack track;
  track.track_id = 9;
  track.item_id = "q-77";
  track.title = "Title \"quoted\" ünïcode";
  track.artist = "Somebody";
  track.duration_ms = 215000;
  track.placeholder = true;
  track.frame_seq = 123456789012ULL;
  track.offset = 959;
  BridgeEnd end;
  end.reason = "auto_end";
  BridgeError error;
  error.code = "bad_message";
  error.message = "oops";
  BridgeParticipants participants;
  participants.count = 1000000;
  const PcmFrame frame = MakeFrame(5);

  const std::vector<BridgeMessage> sent = {
      EncodeBridgeHello(hello),
      EncodeBridgeWelcome(welcome),
      EncodeBridgeTrack(track),
      EncodeBridgeAudio(77, frame),
      EncodeBridgeEnd(end),
      EncodeBridgeError(error),
      EncodeBridgeParticipants(participants),
      BridgeMessage{BridgeMessageType::kPing, ""},
      BridgeMessage{BridgeMessageType::kPong, ""},
  };
  std::string wire;
  for (const BridgeMessage& m : sent) wire += SerializeBridgeMessage(m);

  BridgeParser parser;
  std::vector<BridgeMessage> got;
  BridgeMessage m;
  for (char c : wire) {
    parser.Feed(&c, 1);
    for (;;) {
      const BridgeParser::Status s = parser.Next(&m);
      ASSERT_NE(s, BridgeParser::Status::kError) << parser.error();
      if (s == BridgeParser::Status::kNeedMore) break;
      got.push_back(m);
    }
  }
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  ASSERT_EQ(got.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(got[i].type, sent[i].type) << i;
    EXPECT_EQ(got[i].payload, sent[i].payload) << i;
  }

  std::string why;
  BridgeHello h2;
  ASSERT_TRUE(DecodeBridgeHello(got[0], &h2, &why)) << why;
  EXPECT_EQ(h2.protocol, 1);
  EXPECT_EQ(h2.client, "tg-connector/0.3");
  BridgeWelcome w2;
  ASSERT_TRUE(DecodeBridgeWelcome(got[1], &w2, &why)) << why;
  EXPECT_EQ(w2.stream_id, 42);
  EXPECT_EQ(w2.slug, "night-owls");
  EXPECT_EQ(w2.sample_rate, 48000);
  EXPECT_EQ(w2.channels, 2);
  EXPECT_EQ(w2.frame_samples, 960);
  EXPECT_EQ(w2.format, "s16le");
  BridgeTrack t2;
  ASSERT_TRUE(DecodeBridgeTrack(got[2], &t2, &why)) << why;
  EXPECT_EQ(t2.track_id, 9);
  EXPECT_EQ(t2.item_id, "q-77");
  EXPECT_EQ(t2.title, track.title);
  EXPECT_EQ(t2.artist, "Somebody");
  EXPECT_EQ(t2.duration_ms, 215000);
  EXPECT_TRUE(t2.placeholder);
  EXPECT_EQ(t2.frame_seq, 123456789012ULL);
  EXPECT_EQ(t2.offset, 959);
  uint64_t seq = 0;
  std::string_view pcm;
  ASSERT_TRUE(DecodeBridgeAudio(got[3], &seq, &pcm, &why)) << why;
  EXPECT_EQ(seq, 77u);
  EXPECT_EQ(std::string(pcm), FrameBytes(frame));
  BridgeEnd e2;
  ASSERT_TRUE(DecodeBridgeEnd(got[4], &e2, &why)) << why;
  EXPECT_EQ(e2.reason, "auto_end");
  BridgeError er2;
  ASSERT_TRUE(DecodeBridgeError(got[5], &er2, &why)) << why;
  EXPECT_EQ(er2.code, "bad_message");
  EXPECT_EQ(er2.message, "oops");
  BridgeParticipants p2;
  ASSERT_TRUE(DecodeBridgeParticipants(got[6], &p2, &why)) << why;
  EXPECT_EQ(p2.count, 1000000);
  // A decoder refuses another message type.
  EXPECT_FALSE(DecodeBridgeEnd(got[5], &e2, &why));
}

std::string Header(uint8_t type, uint8_t flags, uint16_t reserved, uint32_t length) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(type);
  h[1] = static_cast<char>(flags);
  h[2] = static_cast<char>(reserved & 0xff);
  h[3] = static_cast<char>(reserved >> 8);
  for (int i = 0; i < 4; ++i) h[4 + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return h;
}

BridgeParser::Status ParseOnce(const std::string& bytes, BridgeParser* parser) {
  parser->Feed(bytes);
  BridgeMessage m;
  return parser->Next(&m);
}

TEST(BridgeProtocolTest, FramingErrorsAreReportedFromTheHeaderAlone) {
  {
    BridgeParser p;  // one byte over 64 KiB: an error before any payload arrives
    EXPECT_EQ(ParseOnce(Header(0x01, 0, 0, 65537), &p), BridgeParser::Status::kError);
    EXPECT_NE(p.error().find("exceeds"), std::string::npos) << p.error();
  }
  {
    BridgeParser p;  // exactly 64 KiB is allowed: it waits for the payload
    EXPECT_EQ(ParseOnce(Header(0x01, 0, 0, 65536), &p), BridgeParser::Status::kNeedMore);
    EXPECT_FALSE(p.failed());
  }
  {
    BridgeParser p;
    EXPECT_EQ(ParseOnce(Header(0x7f, 0, 0, 0), &p), BridgeParser::Status::kError);
    EXPECT_NE(p.error().find("unknown message type"), std::string::npos) << p.error();
  }
  {
    BridgeParser p;
    EXPECT_EQ(ParseOnce(Header(0x03, 1, 0, 0), &p), BridgeParser::Status::kError);
  }
  {
    BridgeParser p;
    EXPECT_EQ(ParseOnce(Header(0x03, 0, 0x0100, 0), &p), BridgeParser::Status::kError);
  }
  {
    BridgeParser p;  // AUDIO must be exactly seq + one frame
    EXPECT_EQ(ParseOnce(Header(0x82, 0, 0, 3840), &p), BridgeParser::Status::kError);
  }
  {
    BridgeParser p;  // PING carries nothing
    EXPECT_EQ(ParseOnce(Header(0x03, 0, 0, 2) + "{}", &p), BridgeParser::Status::kError);
  }
  {
    BridgeParser p;  // errors are sticky
    EXPECT_EQ(ParseOnce(Header(0x7f, 0, 0, 0), &p), BridgeParser::Status::kError);
    EXPECT_EQ(ParseOnce(SerializeBridgeMessage(BridgeMessage{BridgeMessageType::kPing, ""}), &p),
              BridgeParser::Status::kError);
  }
  {
    BridgeParser p;  // a partial header is not an error
    EXPECT_EQ(ParseOnce(Header(0x7f, 0, 0, 0).substr(0, 7), &p), BridgeParser::Status::kNeedMore);
  }
}

TEST(BridgeProtocolTest, DecodersRejectBadPayloads) {
  std::string why;
  BridgeParticipants p;
  auto participants = [&](const std::string& json) {
    return DecodeBridgeParticipants(BridgeMessage{BridgeMessageType::kParticipants, json}, &p,
                                    &why);
  };
  EXPECT_TRUE(participants("{\"count\":0}"));
  EXPECT_TRUE(participants("{\"count\":1000000}"));
  EXPECT_EQ(p.count, 1000000);
  EXPECT_FALSE(participants("{\"count\":1000001}"));
  EXPECT_FALSE(participants("{\"count\":-1}"));
  EXPECT_FALSE(participants("{\"count\":2.5}"));
  EXPECT_FALSE(participants("{\"count\":\"3\"}"));
  EXPECT_FALSE(participants("{}"));
  EXPECT_FALSE(participants("[1]"));
  EXPECT_FALSE(participants("{\"count\":1} x"));

  BridgeHello h;
  auto hello = [&](const std::string& json) {
    return DecodeBridgeHello(BridgeMessage{BridgeMessageType::kHello, json}, &h, &why);
  };
  EXPECT_FALSE(hello("not json"));
  EXPECT_FALSE(hello("{\"client\":\"x\"}"));
  EXPECT_FALSE(hello("{\"protocol\":\"1\"}"));
  EXPECT_FALSE(hello("{\"protocol\":1,\"client\":5}"));
  ASSERT_TRUE(hello("{\"protocol\":2,\"extra\":true}"));  // the caller judges the version
  EXPECT_EQ(h.protocol, 2);
  EXPECT_EQ(h.client, "");

  BridgeTrack t;
  EXPECT_FALSE(DecodeBridgeTrack(
      BridgeMessage{BridgeMessageType::kTrack, "{\"track_id\":1,\"frame_seq\":3,\"offset\":960}"},
      &t, &why));
}

// ---- BridgeSink ----

class BridgeSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    // A parent that does not exist yet: Start creates it.
    path_ = dir_.path().string() + "/run/bridge/night-owls.sock";
  }

  std::unique_ptr<BridgeSink> StartSink(BridgeOptions options = {}) {
    auto sink = std::make_unique<BridgeSink>(path_, 42, "night-owls", options);
    std::string error;
    EXPECT_TRUE(sink->Start(&error)) << error;
    return sink;
  }

  TempDir dir_;
  std::string path_;
};

TEST_F(BridgeSinkTest, HelloGetsWelcomeThenTrackThenAudioInOrder) {
  auto sink = StartSink();
  struct stat st {};
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  // Frames before anyone connects still count: the track starts in frame 3.
  for (int i = 0; i < 3; ++i) sink->OnFrame(MakeFrame(i));
  sink->OnTrack(MakeTrack(7, "First", 123));
  for (int i = 3; i < 5; ++i) sink->OnFrame(MakeFrame(i));
  EXPECT_EQ(sink->Stats().frames_sent, 0u);
  EXPECT_EQ(sink->Stats().next_seq, 5u);

  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  const BridgeWelcome w = c.Handshake();
  EXPECT_EQ(w.protocol, 1);
  EXPECT_EQ(w.stream_id, 42);
  EXPECT_EQ(w.slug, "night-owls");
  EXPECT_EQ(w.sample_rate, 48000);
  EXPECT_EQ(w.channels, 2);
  EXPECT_EQ(w.frame_samples, 960);
  EXPECT_EQ(w.format, "s16le");

  std::optional<BridgeMessage> m = c.Read();
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->type, BridgeMessageType::kTrack);
  BridgeTrack t;
  std::string why;
  ASSERT_TRUE(DecodeBridgeTrack(*m, &t, &why)) << why;
  EXPECT_EQ(t.track_id, 7);
  EXPECT_EQ(t.item_id, "item-7");
  EXPECT_EQ(t.title, "First");
  EXPECT_EQ(t.artist, "Artist 7");
  EXPECT_EQ(t.duration_ms, 180007);
  EXPECT_FALSE(t.placeholder);
  EXPECT_EQ(t.frame_seq, 3u);
  EXPECT_EQ(t.offset, 123);

  ASSERT_TRUE(WaitFor([&] { return sink->Stats().connected; }));
  for (int i = 5; i < 11; ++i) sink->OnFrame(MakeFrame(i));
  sink->OnTrack(MakeTrack(8, "Second", 0));
  sink->OnFrame(MakeFrame(11));

  for (int i = 5; i < 12; ++i) {
    if (i == 11) {
      m = c.Read();
      ASSERT_TRUE(m.has_value());
      ASSERT_EQ(m->type, BridgeMessageType::kTrack);
      ASSERT_TRUE(DecodeBridgeTrack(*m, &t, &why)) << why;
      EXPECT_EQ(t.track_id, 8);
      EXPECT_EQ(t.frame_seq, 11u);
      EXPECT_EQ(t.offset, 0);
    }
    m = c.Read();
    ASSERT_TRUE(m.has_value()) << "frame " << i;
    ASSERT_EQ(m->type, BridgeMessageType::kAudio);
    uint64_t seq = 0;
    std::string_view pcm;
    ASSERT_TRUE(DecodeBridgeAudio(*m, &seq, &pcm, &why)) << why;
    EXPECT_EQ(seq, static_cast<uint64_t>(i));
    EXPECT_TRUE(pcm == FrameBytes(MakeFrame(i))) << "frame " << i << " PCM differs";
  }
  EXPECT_TRUE(WaitFor([&] { return sink->Stats().frames_sent == 7; }));
  EXPECT_EQ(sink->Stats().frames_dropped, 0u);
  EXPECT_EQ(sink->Stats().connections, 1u);
}

TEST_F(BridgeSinkTest, ParticipantsAreListenersUntilDisconnect) {
  auto sink = StartSink();
  std::atomic<int> calls{0};
  std::atomic<int64_t> seen{-1};
  sink->SetListenersChanged([&] {
    seen = sink->Listeners();
    ++calls;
  });
  EXPECT_EQ(sink->Listeners(), 0);

  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Handshake();
  ASSERT_TRUE(WaitFor([&] { return sink->Stats().connected; }));
  EXPECT_EQ(sink->Listeners(), 0);  // no report yet

  c.Participants(5);
  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 5; }));
  EXPECT_TRUE(WaitFor([&] { return calls == 1; }));
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(sink->Stats().participants, 5);

  c.Participants(5);  // no change, no callback
  c.Participants(7);
  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 7; }));
  EXPECT_TRUE(WaitFor([&] { return calls == 2; }));
  EXPECT_EQ(seen, 7);

  c.Close();
  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 0 && !sink->Stats().connected; }));
  EXPECT_TRUE(WaitFor([&] { return calls == 3; }));
  EXPECT_EQ(seen, 0);
}

TEST_F(BridgeSinkTest, NoHelloInTimeGetsErrorAndIsClosed) {
  BridgeOptions o;
  o.hello_timeout_ms = 100;
  auto sink = StartSink(o);
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  const auto t0 = Clock::now();
  const BridgeError e = ExpectError(c);
  EXPECT_EQ(e.code, "hello_timeout");
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(90));
  EXPECT_TRUE(c.WaitEof());
  EXPECT_FALSE(sink->Stats().connected);
  EXPECT_EQ(sink->Stats().connections, 0u);
}

TEST_F(BridgeSinkTest, WrongProtocolIsUnsupported) {
  auto sink = StartSink();
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Hello(2);
  const BridgeError e = ExpectError(c);
  EXPECT_EQ(e.code, "unsupported_protocol");
  EXPECT_NE(e.message.find("2"), std::string::npos) << e.message;
  EXPECT_TRUE(c.WaitEof());
  EXPECT_EQ(sink->Stats().connections, 0u);
}

TEST_F(BridgeSinkTest, MalformedOrUnexpectedMessagesGetErrorAndClose) {
  auto sink = StartSink();
  {
    TestConnector c;  // PARTICIPANTS before HELLO
    ASSERT_TRUE(c.Connect(path_));
    c.Participants(3);
    EXPECT_EQ(ExpectError(c).code, "unexpected_message");
    EXPECT_TRUE(c.WaitEof());
  }
  {
    TestConnector c;  // a HELLO that is not JSON
    ASSERT_TRUE(c.Connect(path_));
    c.Send(BridgeMessage{BridgeMessageType::kHello, "{protocol:1}"});
    EXPECT_EQ(ExpectError(c).code, "bad_message");
    EXPECT_TRUE(c.WaitEof());
  }
  {
    TestConnector c;  // an unknown type after the handshake
    ASSERT_TRUE(c.Connect(path_));
    c.Handshake();
    c.Participants(4);
    ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 4; }));
    c.SendRaw(Header(0x55, 0, 0, 0));
    EXPECT_EQ(ExpectError(c).code, "bad_message");
    EXPECT_TRUE(c.WaitEof());
    EXPECT_TRUE(WaitFor([&] { return sink->Listeners() == 0 && !sink->Stats().connected; }));
  }
  {
    TestConnector c;  // a participant count out of range
    ASSERT_TRUE(c.Connect(path_));
    c.Handshake();
    c.Send(BridgeMessage{BridgeMessageType::kParticipants, "{\"count\":-3}"});
    EXPECT_EQ(ExpectError(c).code, "bad_message");
    EXPECT_TRUE(c.WaitEof());
  }
}

TEST_F(BridgeSinkTest, PingGetsPong) {
  auto sink = StartSink();
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Handshake();
  c.Send(BridgeMessage{BridgeMessageType::kPing, ""});
  std::optional<BridgeMessage> m = c.ReadUntil(BridgeMessageType::kPong);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->payload.empty());
}

TEST_F(BridgeSinkTest, ConnectorThatNeverReadsCostsTheOldestFramesNotThePlayer) {
  auto sink = StartSink();  // max_buffered_ms 1000: 50 frames
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Handshake();
  ASSERT_TRUE(WaitFor([&] { return sink->Stats().connected; }));

  const PcmFrame frame = MakeFrame(1);
  constexpr int kFrames = 5000;  // 100 s of audio at once
  for (int i = 0; i < kFrames; ++i) sink->OnFrame(frame);
  const BridgeStats s = sink->Stats();
  EXPECT_LE(s.buffered_frames, 50u);
  // Everything beyond our queue and the small kernel buffer was dropped.
  EXPECT_GT(s.frames_dropped, static_cast<uint64_t>(kFrames - 200));
  EXPECT_EQ(s.next_seq, static_cast<uint64_t>(kFrames));

  // Reading now: sequence numbers only increase, there is a gap, and the newest frame made it.
  std::vector<uint64_t> seqs;
  while (seqs.empty() || seqs.back() != kFrames - 1) {
    std::optional<BridgeMessage> m = c.Read();
    ASSERT_TRUE(m.has_value()) << "stopped after " << seqs.size() << " frames";
    if (m->type != BridgeMessageType::kAudio) continue;
    uint64_t seq = 0;
    std::string_view pcm;
    std::string why;
    ASSERT_TRUE(DecodeBridgeAudio(*m, &seq, &pcm, &why)) << why;
    if (!seqs.empty()) {
      ASSERT_GT(seq, seqs.back());
    }
    seqs.push_back(seq);
  }
  EXPECT_LT(seqs.size(), 200u);
  EXPECT_EQ(seqs.size() + sink->Stats().frames_dropped, static_cast<uint64_t>(kFrames));
  // The connection is still healthy.
  sink->OnFrame(frame);
  std::optional<BridgeMessage> m = c.ReadUntil(BridgeMessageType::kAudio);
  ASSERT_TRUE(m.has_value());
  uint64_t seq = 0;
  std::string_view pcm;
  std::string why;
  ASSERT_TRUE(DecodeBridgeAudio(*m, &seq, &pcm, &why));
  EXPECT_EQ(seq, static_cast<uint64_t>(kFrames));
}

TEST_F(BridgeSinkTest, SecondConnectorReplacesTheFirst) {
  auto sink = StartSink();
  TestConnector a;
  ASSERT_TRUE(a.Connect(path_));
  a.Handshake();
  a.Participants(4);
  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 4; }));

  {
    // A connection that never says HELLO (e.g. another streamer probing the socket) does not
    // disturb the connector.
    TestConnector probe;
    ASSERT_TRUE(probe.Connect(path_));
  }
  sink->OnFrame(MakeFrame(0));
  ASSERT_TRUE(a.ReadUntil(BridgeMessageType::kAudio).has_value());
  EXPECT_EQ(sink->Listeners(), 4);

  TestConnector b;
  ASSERT_TRUE(b.Connect(path_));
  const BridgeWelcome w = b.Handshake();
  EXPECT_EQ(w.slug, "night-owls");
  EXPECT_EQ(ExpectEnd(a), "replaced");
  EXPECT_TRUE(a.WaitEof());
  EXPECT_TRUE(WaitFor([&] { return sink->Listeners() == 0; }));
  b.Participants(2);
  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 2; }));
  sink->OnFrame(MakeFrame(1));
  std::optional<BridgeMessage> m = b.ReadUntil(BridgeMessageType::kAudio);
  ASSERT_TRUE(m.has_value());
  uint64_t seq = 0;
  std::string_view pcm;
  std::string why;
  ASSERT_TRUE(DecodeBridgeAudio(*m, &seq, &pcm, &why));
  EXPECT_EQ(seq, 1u);
  EXPECT_EQ(sink->Stats().connections, 2u);
  EXPECT_TRUE(sink->Stats().connected);
}

TEST_F(BridgeSinkTest, StaleSocketIsReplacedLiveOneMakesStartFail) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  {
    // A socket file nobody accepts on, as a crashed streamer leaves it.
    BridgeFd s(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  struct stat st {};
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  int err = 0;
  EXPECT_FALSE(ConnectUnixSocket(path_, &err).valid());
  EXPECT_EQ(err, ECONNREFUSED);

  auto sink = StartSink();
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Handshake();
  ASSERT_TRUE(WaitFor([&] { return sink->Stats().connected; }));

  BridgeSink second(path_, 43, "night-owls");
  std::string error;
  EXPECT_FALSE(second.Start(&error));
  EXPECT_NE(error.find("another process"), std::string::npos) << error;
  second.Stop();
  // The first bridge and its connector are untouched, socket file included.
  EXPECT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(sink->Stats().connected);
  sink->OnFrame(MakeFrame(3));
  EXPECT_TRUE(c.ReadUntil(BridgeMessageType::kAudio).has_value());

  // A path that is not a socket is never removed.
  const std::string file = dir_.path().string() + "/plain-file";
  std::ofstream(file) << "x";
  BridgeSink third(file, 44, "plain");
  EXPECT_FALSE(third.Start(&error));
  EXPECT_NE(error.find("not a socket"), std::string::npos) << error;
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST_F(BridgeSinkTest, StopSaysShutdownAndRemovesTheSocketFile) {
  auto sink = StartSink();
  ASSERT_TRUE(std::filesystem::exists(path_));
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Handshake();
  ASSERT_TRUE(WaitFor([&] { return sink->Stats().connected; }));
  sink->Stop();
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_EQ(ExpectEnd(c), "shutdown");
  EXPECT_TRUE(c.WaitEof());
  EXPECT_FALSE(sink->Stats().connected);
  sink->Stop();  // idempotent
}

TEST_F(BridgeSinkTest, OnEndSendsEndAfterTheQueuedAudioAndCloses) {
  auto sink = StartSink();
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Handshake();
  c.Participants(3);
  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 3; }));
  sink->OnFrame(MakeFrame(0));
  sink->OnFrame(MakeFrame(1));
  sink->OnEnd("manual");
  sink->OnFrame(MakeFrame(2));  // after the end: not sent
  std::vector<BridgeMessage> before;
  EXPECT_EQ(ExpectEnd(c, &before), "manual");
  std::vector<uint64_t> seqs;
  for (const BridgeMessage& m : before) {
    uint64_t seq = 0;
    std::string_view pcm;
    std::string why;
    if (DecodeBridgeAudio(m, &seq, &pcm, &why)) seqs.push_back(seq);
  }
  EXPECT_EQ(seqs, (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(c.WaitEof());
  EXPECT_TRUE(WaitFor([&] { return sink->Listeners() == 0 && !sink->Stats().connected; }));
  EXPECT_EQ(sink->Stats().frames_sent, 2u);

  // A connector that comes after the end learns it at once.
  TestConnector late;
  ASSERT_TRUE(late.Connect(path_));
  late.Handshake();
  EXPECT_EQ(ExpectEnd(late), "manual");
  EXPECT_TRUE(late.WaitEof());
}

TEST_F(BridgeSinkTest, StopRightAfterOnEndStillDeliversTheAudioAndTheEnd) {
  auto sink = StartSink();
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Handshake();
  ASSERT_TRUE(WaitFor([&] { return sink->Stats().connected; }));
  for (int i = 0; i < 5; ++i) sink->OnFrame(MakeFrame(i));
  sink->OnEnd("auto_end");
  sink->Stop();  // what the player does when a stream ends
  std::vector<BridgeMessage> before;
  EXPECT_EQ(ExpectEnd(c, &before), "auto_end");
  int audio = 0;
  for (const BridgeMessage& m : before) audio += m.type == BridgeMessageType::kAudio;
  EXPECT_EQ(audio, 5);
  EXPECT_TRUE(c.WaitEof());
}

TEST_F(BridgeSinkTest, StopDoesNotWaitLongForAConnectorThatNeverReads) {
  BridgeOptions o;
  o.close_flush_timeout_ms = 200;
  auto sink = StartSink(o);
  TestConnector c;
  ASSERT_TRUE(c.Connect(path_));
  c.Handshake();
  ASSERT_TRUE(WaitFor([&] { return sink->Stats().connected; }));
  for (int i = 0; i < 200; ++i) sink->OnFrame(MakeFrame(i));
  sink->OnEnd("manual");
  const auto t0 = Clock::now();
  sink->Stop();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_TRUE(c.WaitEof());  // what fitted in the socket, then the close
}

// ---- The real sattva-bridge-client ----

std::string BinDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::vector<Json::Value> ReadJsonLines(const std::string& path) {
  std::vector<Json::Value> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    Json::Value v;
    std::string error;
    EXPECT_TRUE(common::ParseJson(line, &v, &error)) << error << ": " << line;
    out.push_back(v);
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// Waits up to timeout_ms for the child; kills it after that. Returns the wait status or -1.
int WaitChild(pid_t pid, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (Clock::now() < deadline) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

TEST_F(BridgeSinkTest, RealClientRecordsAudioTracksAndReportsParticipants) {
  const std::string client = BinDir() + "/sattva-bridge-client";
  if (::access(client.c_str(), X_OK) != 0) {
    GTEST_SKIP() << client << " is not built";
  }
  auto sink = StartSink();
  // Before the client joins: frames 0..6, a track starting 50 samples into frame 2.
  for (int i = 0; i < 2; ++i) sink->OnFrame(MakeFrame(i));
  sink->OnTrack(MakeTrack(1, "Before", 50));
  for (int i = 2; i < 7; ++i) sink->OnFrame(MakeFrame(i));

  const std::string out = dir_.path().string() + "/out.pcm";
  const std::string meta = dir_.path().string() + "/meta.jsonl";
  std::vector<std::string> args = {
      client, "--socket",          path_,   "--out",    out,      "--meta", meta, "--participants",
      "3",    "--participants-at", "0.1=5", "--client", "itest/1"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, client.c_str(), nullptr, nullptr, argv.data(), environ), 0);

  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 3 || sink->Listeners() == 5; }, 5000))
      << "the client did not report its participants";
  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 5; }, 3000));
  EXPECT_TRUE(sink->Stats().connected);

  std::string expected;
  sink->OnFrame(MakeFrame(7));
  expected += FrameBytes(MakeFrame(7));
  sink->OnTrack(MakeTrack(2, "Joined", 100));  // starts 100 samples into frame 8
  for (int i = 8; i < 20; ++i) {
    sink->OnFrame(MakeFrame(i));
    expected += FrameBytes(MakeFrame(i));
  }
  sink->OnEnd("auto_end");  // queued behind the frames: the client gets all of them first

  const int status = WaitChild(pid, 5000);
  ASSERT_NE(status, -1) << "the client did not exit after END";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  EXPECT_TRUE(ReadFile(out) == expected) << "the recorded PCM differs";
  const std::vector<Json::Value> lines = ReadJsonLines(meta);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["type"].asString(), "welcome");
  EXPECT_EQ(lines[0]["at_sample"].asInt64(), 0);
  EXPECT_EQ(lines[0]["slug"].asString(), "night-owls");
  EXPECT_EQ(lines[1]["type"].asString(), "track");
  EXPECT_EQ(lines[1]["title"].asString(), "Before");
  EXPECT_EQ(lines[1]["frame_seq"].asUInt64(), 2u);
  // It began 5 frames before the file's first frame (7), 50 samples in.
  EXPECT_EQ(lines[1]["at_sample"].asInt64(), -5 * 960 + 50);
  EXPECT_EQ(lines[2]["type"].asString(), "track");
  EXPECT_EQ(lines[2]["title"].asString(), "Joined");
  EXPECT_EQ(lines[2]["at_sample"].asInt64(), 960 + 100);
  EXPECT_EQ(lines[3]["type"].asString(), "end");
  EXPECT_EQ(lines[3]["reason"].asString(), "auto_end");
  EXPECT_EQ(lines[3]["at_sample"].asInt64(), 13 * 960);
}

// A hand-written server that skips sequence numbers, as a bridge does for a slow connector.
TEST_F(BridgeSinkTest, RealClientNotesGapsAndPlacesTracksAcrossThem) {
  const std::string client = BinDir() + "/sattva-bridge-client";
  if (::access(client.c_str(), X_OK) != 0) {
    GTEST_SKIP() << client << " is not built";
  }
  const std::string path = dir_.path().string() + "/gap.sock";
  BridgeFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);

  const std::string out = dir_.path().string() + "/gap.pcm";
  const std::string meta = dir_.path().string() + "/gap.jsonl";
  std::vector<std::string> args = {client, "--socket", path, "--out",          out, "--meta",
                                   meta,   "--frames", "3",  "--participants", "0"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, client.c_str(), nullptr, nullptr, argv.data(), environ), 0);

  pollfd p{listener.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "the client did not connect";
  BridgeFd conn(::accept(listener.get(), nullptr, nullptr));
  ASSERT_TRUE(conn.valid());
  BridgeParser parser;
  auto read_one = [&](BridgeMessage* m) {
    char buf[4096];
    for (;;) {
      if (parser.Next(m) == BridgeParser::Status::kMessage) return true;
      pollfd q{conn.get(), POLLIN, 0};
      if (::poll(&q, 1, 3000) != 1) return false;
      const ssize_t n = ::recv(conn.get(), buf, sizeof(buf), 0);
      if (n <= 0) return false;
      parser.Feed(buf, static_cast<size_t>(n));
    }
  };
  BridgeMessage m;
  ASSERT_TRUE(read_one(&m));
  BridgeHello hello;
  std::string why;
  ASSERT_TRUE(DecodeBridgeHello(m, &hello, &why)) << why;
  EXPECT_EQ(hello.client, "sattva-bridge-client/1");

  std::string wire;
  BridgeWelcome welcome;
  welcome.stream_id = 5;
  welcome.slug = "gap";
  wire += SerializeBridgeMessage(EncodeBridgeWelcome(welcome));
  wire += SerializeBridgeMessage(EncodeBridgeAudio(10, MakeFrame(10)));
  BridgeTrack track;
  track.track_id = 3;
  track.title = "In the gap";
  track.frame_seq = 12;
  track.offset = 5;
  wire += SerializeBridgeMessage(EncodeBridgeTrack(track));
  wire += SerializeBridgeMessage(EncodeBridgeAudio(13, MakeFrame(13)));  // 11 and 12 dropped
  wire += SerializeBridgeMessage(EncodeBridgeAudio(14, MakeFrame(14)));
  int err = 0;
  ASSERT_TRUE(SendAll(conn.get(), wire, &err)) << std::strerror(err);

  ASSERT_TRUE(read_one(&m));
  BridgeParticipants participants;
  ASSERT_TRUE(DecodeBridgeParticipants(m, &participants, &why)) << why;
  EXPECT_EQ(participants.count, 0);

  const int status = WaitChild(pid, 5000);
  ASSERT_NE(status, -1) << "the client did not stop after --frames 3";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(ReadFile(out) ==
              FrameBytes(MakeFrame(10)) + FrameBytes(MakeFrame(13)) + FrameBytes(MakeFrame(14)));
  const std::vector<Json::Value> lines = ReadJsonLines(meta);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["type"].asString(), "welcome");
  EXPECT_EQ(lines[1]["type"].asString(), "gap");
  EXPECT_EQ(lines[1]["from_seq"].asUInt64(), 11u);
  EXPECT_EQ(lines[1]["to_seq"].asUInt64(), 12u);
  EXPECT_EQ(lines[1]["frames"].asUInt64(), 2u);
  EXPECT_EQ(lines[1]["at_sample"].asInt64(), 960);
  EXPECT_EQ(lines[2]["type"].asString(), "track");
  EXPECT_EQ(lines[2]["title"].asString(), "In the gap");
  // Its frame was dropped: it is placed where the file resumes, plus its offset.
  EXPECT_EQ(lines[2]["at_sample"].asInt64(), 960 + 5);
}

TEST_F(BridgeSinkTest, RealClientExitsCleanlyOnSigterm) {
  const std::string client = BinDir() + "/sattva-bridge-client";
  if (::access(client.c_str(), X_OK) != 0) {
    GTEST_SKIP() << client << " is not built";
  }
  auto sink = StartSink();
  std::vector<std::string> args = {client, "--socket", path_, "--out", dir_.path().string() + "/o.pcm"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, client.c_str(), nullptr, nullptr, argv.data(), environ), 0);
  ASSERT_TRUE(WaitFor([&] { return sink->Listeners() == 1; }, 5000));  // the default count
  ::kill(pid, SIGTERM);
  const int status = WaitChild(pid, 5000);
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(WaitFor([&] { return sink->Listeners() == 0; }));
}

}  // namespace
}  // namespace sattva::streamer
