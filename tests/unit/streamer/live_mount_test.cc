// The live mount without sockets: Broadcast's ring, cursors, bursts, runs and ends; LiveSink's
// lazy encoders (with a fake encoder), failure handling and stats; MountRegistry.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "streamer/audio.h"
#include "streamer/encoder.h"
#include "streamer/live_mount.h"

namespace sattva::streamer {
namespace {

using ReadResult = Broadcast::ReadResult;

std::string Chunk(int i) { return "chunk-" + std::to_string(i) + ";"; }

// Reads everything available for `cursor` and consumes it.
ReadResult Drain(Broadcast& b, Broadcast::Cursor* cursor, std::string* out) {
  for (;;) {
    std::vector<Broadcast::Slice> slices;
    const ReadResult r = b.Read(cursor, 4, 1 << 20, &slices);
    size_t bytes = 0;
    for (const auto& s : slices) {
      out->append(s.begin(), s.size());
      bytes += s.size();
    }
    Broadcast::Advance(slices, bytes, cursor);
    if (r != ReadResult::kData || slices.empty()) return r;
  }
}

TEST(BroadcastTest, ListenerReadsHeaderThenChunksInOrder) {
  Broadcast b;
  b.Start("HDR");
  Broadcast::Cursor c = b.Join(0);
  EXPECT_EQ(b.listeners(), 1);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(b.Publish(Chunk(i)));
  std::string got;
  EXPECT_EQ(Drain(b, &c, &got), ReadResult::kData);
  std::string want = "HDR";
  for (int i = 0; i < 10; ++i) want += Chunk(i);
  EXPECT_EQ(got, want);
  // Nothing new: no slices, still kData.
  std::vector<Broadcast::Slice> slices;
  EXPECT_EQ(b.Read(&c, 8, 1 << 20, &slices), ReadResult::kData);
  EXPECT_TRUE(slices.empty());
  EXPECT_FALSE(b.Publish(""));  // empty chunks are refused
  b.Leave(false);
  EXPECT_EQ(b.listeners(), 0);
}

TEST(BroadcastTest, PartialAdvanceResumesMidChunk) {
  Broadcast b;
  b.Start("HEADER");
  Broadcast::Cursor c = b.Join(0);
  b.Publish("abcdef");
  b.Publish("ghij");
  std::vector<Broadcast::Slice> slices;
  ASSERT_EQ(b.Read(&c, 8, 1 << 20, &slices), ReadResult::kData);
  ASSERT_EQ(slices.size(), 3u);
  Broadcast::Advance(slices, 4, &c);  // "HEAD"
  slices.clear();
  b.Read(&c, 8, 1 << 20, &slices);
  ASSERT_FALSE(slices.empty());
  EXPECT_EQ(std::string(slices[0].begin(), slices[0].size()), "ER");
  Broadcast::Advance(slices, 2 + 3, &c);  // "ER" + "abc"
  std::string rest;
  Drain(b, &c, &rest);
  EXPECT_EQ(rest, "defghij");
}

TEST(BroadcastTest, SlicesShareTheChunkInsteadOfCopying) {
  Broadcast b;
  b.Start("");
  Broadcast::Cursor c1 = b.Join(0);
  Broadcast::Cursor c2 = b.Join(0);
  b.Publish(std::string(1000, 'x'));
  std::vector<Broadcast::Slice> s1, s2;
  b.Read(&c1, 8, 1 << 20, &s1);
  b.Read(&c2, 8, 1 << 20, &s2);
  ASSERT_EQ(s1.size(), 1u);  // MP3-like: no header slice
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(s1[0].data.get(), s2[0].data.get());
}

TEST(BroadcastTest, NewListenerStartsAboutBurstMsBack) {
  Broadcast b;
  b.Start("H");
  for (int i = 0; i < 50; ++i) b.Publish(Chunk(i), 20);
  Broadcast::Cursor c = b.Join(500);
  std::string got;
  Drain(b, &c, &got);
  std::string want = "H";
  for (int i = 25; i < 50; ++i) want += Chunk(i);  // 25 chunks × 20 ms = 500 ms
  EXPECT_EQ(got, want);

  // A burst not on a chunk boundary rounds up to whole chunks (90 ms: 5 chunks of 20 ms); a zero
  // burst starts at the next chunk.
  Broadcast::Cursor c2 = b.Join(90);
  got.clear();
  Drain(b, &c2, &got);
  want = "H";
  for (int i = 45; i < 50; ++i) want += Chunk(i);
  EXPECT_EQ(got, want);
  Broadcast::Cursor c3 = b.Join(0);
  got.clear();
  Drain(b, &c3, &got);
  EXPECT_EQ(got, "H");
}

TEST(BroadcastTest, RingIsBoundedAndALaggingCursorIsTooSlow) {
  BroadcastOptions o;
  o.max_lag_ms = 200;  // 10 chunks of 20 ms
  Broadcast b(o);
  b.Start("H");
  Broadcast::Cursor slow = b.Join(0);
  Broadcast::Cursor fast = b.Join(0);
  std::string fast_got;
  for (int i = 0; i < 10; ++i) b.Publish(Chunk(i), 20);
  EXPECT_EQ(b.ring_chunks(), 10u);
  EXPECT_FALSE(b.TooSlow(slow));
  Drain(b, &fast, &fast_got);
  b.Publish(Chunk(10), 20);
  EXPECT_EQ(b.ring_chunks(), 10u);
  EXPECT_TRUE(b.TooSlow(slow));
  EXPECT_FALSE(b.TooSlow(fast));
  std::vector<Broadcast::Slice> slices;
  EXPECT_EQ(b.Read(&slow, 8, 1 << 20, &slices), ReadResult::kTooSlow);
  EXPECT_EQ(Drain(b, &fast, &fast_got), ReadResult::kData);
  EXPECT_NE(fast_got.find(Chunk(10)), std::string::npos);

  // The byte cap holds too, but the newest chunk always stays.
  BroadcastOptions small;
  small.max_bytes = 100;
  Broadcast tiny(small);
  tiny.Start("");
  tiny.Publish(std::string(60, 'a'));
  tiny.Publish(std::string(60, 'b'));
  EXPECT_EQ(tiny.ring_chunks(), 1u);
  tiny.Publish(std::string(500, 'c'));
  EXPECT_EQ(tiny.ring_chunks(), 1u);
  EXPECT_EQ(tiny.ring_bytes(), 500u);
}

TEST(BroadcastTest, WaitingListenerStartsWithTheNextRun) {
  Broadcast b;
  Broadcast::Cursor c = b.Join(500);
  EXPECT_FALSE(b.Publish("ignored"));  // no run yet
  std::string got;
  EXPECT_EQ(Drain(b, &c, &got), ReadResult::kData);
  EXPECT_EQ(got, "");
  b.Start("HDR");
  b.Publish("one");
  EXPECT_EQ(Drain(b, &c, &got), ReadResult::kData);
  EXPECT_EQ(got, "HDRone");
}

TEST(BroadcastTest, InterruptDrainsThenEndsAndEndsWaitingListeners) {
  Broadcast b;
  b.Start("H");
  Broadcast::Cursor running = b.Join(0);
  b.Publish("a");
  b.Interrupt();
  std::string got;
  EXPECT_EQ(Drain(b, &running, &got), ReadResult::kEnd);
  EXPECT_EQ(got, "Ha");

  // Interrupt with no run open (the encoder cannot start) ends waiting listeners too.
  Broadcast::Cursor waiting = b.Join(0);
  got.clear();
  EXPECT_EQ(Drain(b, &waiting, &got), ReadResult::kData);
  b.Interrupt();
  EXPECT_EQ(Drain(b, &waiting, &got), ReadResult::kEnd);
  EXPECT_EQ(got, "");

  // A later run serves new listeners.
  b.Start("H2");
  b.Publish("b");
  Broadcast::Cursor fresh = b.Join(1000);
  got.clear();
  EXPECT_EQ(Drain(b, &fresh, &got), ReadResult::kData);
  EXPECT_EQ(got, "H2b");
}

TEST(BroadcastTest, NewRunEndsListenersOfTheOldOne) {
  Broadcast b;
  b.Start("H1");
  Broadcast::Cursor old_run = b.Join(0);
  b.Publish("x");
  b.Start("H2");
  std::string got;
  EXPECT_EQ(Drain(b, &old_run, &got), ReadResult::kEnd);
}

TEST(BroadcastTest, EndDrainsThenEndsAndIsFinal) {
  Broadcast b;
  b.Start("H");
  Broadcast::Cursor c = b.Join(0);
  b.Publish("1");
  b.Publish("2");
  b.End();
  EXPECT_TRUE(b.ended());
  EXPECT_FALSE(b.running());
  EXPECT_FALSE(b.Publish("3"));
  b.Start("again");  // ignored
  EXPECT_FALSE(b.running());
  std::string got;
  EXPECT_EQ(Drain(b, &c, &got), ReadResult::kEnd);
  EXPECT_EQ(got, "H12");
  Broadcast::Cursor late = b.Join(500);
  got.clear();
  // A join after the end ends at once.
  EXPECT_EQ(Drain(b, &late, &got), ReadResult::kEnd);
  EXPECT_EQ(got, "");
}

TEST(BroadcastTest, StopIfIdleOnlyWithoutListeners) {
  Broadcast b;
  b.Start("H");
  b.Publish("a");
  b.Join(0);
  EXPECT_FALSE(b.StopIfIdle());
  EXPECT_TRUE(b.running());
  b.Leave(false);
  EXPECT_TRUE(b.StopIfIdle());
  EXPECT_FALSE(b.running());
  EXPECT_EQ(b.ring_chunks(), 0u);
  // The next listener waits for a fresh run rather than replaying the stopped one.
  Broadcast::Cursor c = b.Join(1000);
  std::string got;
  EXPECT_EQ(Drain(b, &c, &got), ReadResult::kData);
  EXPECT_EQ(got, "");
}

class CountingObserver : public Broadcast::Observer {
 public:
  void OnBroadcastUpdate(Broadcast*) override { ++calls; }
  std::atomic<int> calls{0};
};

TEST(BroadcastTest, ObserversHearStartsChunksAndEnds) {
  Broadcast b;
  CountingObserver o;
  b.AddObserver(&o);
  b.Start("H");
  b.Publish("a");
  b.Publish("b");
  EXPECT_EQ(o.calls.load(), 3);
  b.RemoveObserver(&o);
  b.Publish("c");
  b.End();
  EXPECT_EQ(o.calls.load(), 3);
}

TEST(BroadcastTest, CountsBytesAndSlowDrops) {
  Broadcast b;
  b.Join(0);
  b.Join(0);
  b.AddBytesSent(100);
  b.AddBytesSent(23);
  b.Leave(true);
  b.Leave(false);
  EXPECT_EQ(b.bytes_sent(), 123u);
  EXPECT_EQ(b.dropped_slow(), 1u);
  EXPECT_EQ(b.listeners(), 0);
}

TEST(LiveMountSlugTest, Slugs) {
  EXPECT_TRUE(IsValidMountSlug("a"));
  EXPECT_TRUE(IsValidMountSlug("night-drive-2"));
  EXPECT_TRUE(IsValidMountSlug("0"));
  EXPECT_TRUE(IsValidMountSlug(std::string(63, 'a')));
  EXPECT_FALSE(IsValidMountSlug(std::string(64, 'a')));
  EXPECT_FALSE(IsValidMountSlug(""));
  EXPECT_FALSE(IsValidMountSlug("-a"));
  EXPECT_FALSE(IsValidMountSlug("Radio"));
  EXPECT_FALSE(IsValidMountSlug("a_b"));
  EXPECT_FALSE(IsValidMountSlug("a.ogg"));
  EXPECT_FALSE(IsValidMountSlug("a/b"));
}

// ---------------------------------------------------------------------------------------------
// LiveSink with a fake encoder.

struct FakeEncoderLog {
  std::atomic<int> created{0};
  std::atomic<int> destroyed{0};
  std::atomic<int> frames{0};
  int frames_per_chunk = 1;
  int fail_encode_at = 0;  // the n-th Encode of an encoder fails (0: never)
  bool fail_create = false;
};

class FakeEncoder : public LiveEncoder {
 public:
  FakeEncoder(LiveFormat format, FakeEncoderLog* log)
      : format_(format), log_(log), header_(format == LiveFormat::kOggOpus ? "OGGHDR" : "") {
    ++log_->created;
  }
  ~FakeEncoder() override { ++log_->destroyed; }
  bool Encode(const PcmFrame& frame, std::vector<std::string>* chunks,
              std::string* error) override {
    ++n_;
    ++log_->frames;
    if (n_ == log_->fail_encode_at) {
      *error = "boom";
      return false;
    }
    if (n_ % log_->frames_per_chunk == 0) {
      chunks->push_back("[" + std::to_string(n_) + ":" + std::to_string(frame.samples[0]) + "]");
    }
    return true;
  }
  void Finish(std::vector<std::string>* chunks) override { chunks->push_back("[tail]"); }
  const std::string& header() const override { return header_; }
  LiveFormat format() const override { return format_; }

 private:
  const LiveFormat format_;
  FakeEncoderLog* log_;
  const std::string header_;
  int n_ = 0;
};

LiveSinkOptions FakeOptions(FakeEncoderLog* log) {
  LiveSinkOptions o;
  o.idle_stop_ms = 100;  // 5 frames
  o.retry_ms = 60;       // 3 frames
  o.encoder_factory = [log](LiveFormat format, std::string* error) -> std::unique_ptr<LiveEncoder> {
    if (log->fail_create) {
      *error = "no encoder";
      return nullptr;
    }
    return std::make_unique<FakeEncoder>(format, log);
  };
  return o;
}

PcmFrame Frame(int16_t first) {
  PcmFrame f;
  f.samples[0] = first;
  return f;
}

TEST(LiveSinkTest, EncodesAFormatOnlyWhileItHasListeners) {
  FakeEncoderLog log;
  LiveSink sink("radio", FakeOptions(&log));
  EXPECT_EQ(sink.slug(), "radio");
  for (int i = 0; i < 100; ++i) sink.OnFrame(Frame(1));
  EXPECT_EQ(log.created.load(), 0);
  EXPECT_EQ(log.frames.load(), 0);
  EXPECT_FALSE(sink.encoding(LiveFormat::kOggOpus));

  Broadcast::Cursor c = sink.Join(LiveFormat::kOggOpus, 0);
  EXPECT_EQ(sink.Listeners(), 1);
  EXPECT_EQ(sink.Listeners(LiveFormat::kOggOpus), 1);
  EXPECT_EQ(sink.Listeners(LiveFormat::kMp3), 0);
  sink.OnFrame(Frame(7));
  sink.OnFrame(Frame(8));
  EXPECT_EQ(log.created.load(), 1);  // Ogg only: MP3 has nobody
  EXPECT_TRUE(sink.encoding(LiveFormat::kOggOpus));
  EXPECT_FALSE(sink.encoding(LiveFormat::kMp3));
  std::string got;
  Drain(sink.broadcast(LiveFormat::kOggOpus), &c, &got);
  EXPECT_EQ(got, "OGGHDR[1:7][2:8]");

  // The listener leaves: the encoder keeps running for idle_stop_ms (5 frames), then stops.
  sink.Leave(LiveFormat::kOggOpus, false);
  for (int i = 0; i < 4; ++i) sink.OnFrame(Frame(0));
  EXPECT_TRUE(sink.encoding(LiveFormat::kOggOpus));
  // Back within the idle time: the same encoder goes on.
  sink.Join(LiveFormat::kOggOpus, 0);
  sink.OnFrame(Frame(0));
  EXPECT_EQ(log.created.load(), 1);
  sink.Leave(LiveFormat::kOggOpus, false);
  for (int i = 0; i < 4; ++i) sink.OnFrame(Frame(0));
  EXPECT_TRUE(sink.encoding(LiveFormat::kOggOpus));
  for (int i = 0; i < 3; ++i) sink.OnFrame(Frame(0));
  EXPECT_FALSE(sink.encoding(LiveFormat::kOggOpus));
  EXPECT_EQ(log.destroyed.load(), 1);
  const int frames = log.frames.load();
  for (int i = 0; i < 50; ++i) sink.OnFrame(Frame(0));
  EXPECT_EQ(log.frames.load(), frames);

  // A listener coming back after the idle stop gets a fresh run: a new encoder, a new header,
  // and the audio from the run's start (it joined before the run began).
  Broadcast::Cursor again = sink.Join(LiveFormat::kOggOpus, 0);
  sink.OnFrame(Frame(3));
  EXPECT_EQ(log.created.load(), 2);
  got.clear();
  Drain(sink.broadcast(LiveFormat::kOggOpus), &again, &got);
  EXPECT_EQ(got, "OGGHDR[1:3]");
}

TEST(LiveSinkTest, ChunkDurationsComeFromTheFramesEncoded) {
  FakeEncoderLog log;
  log.frames_per_chunk = 5;  // a chunk per 100 ms
  LiveSink sink("radio", FakeOptions(&log));
  sink.Join(LiveFormat::kMp3, 0);
  for (int i = 0; i < 50; ++i) sink.OnFrame(Frame(static_cast<int16_t>(i)));
  // 300 ms of burst is 3 chunks of 100 ms.
  Broadcast::Cursor c = sink.Join(LiveFormat::kMp3, 300);
  std::string got;
  Drain(sink.broadcast(LiveFormat::kMp3), &c, &got);
  EXPECT_EQ(got, "[40:39][45:44][50:49]");
}

TEST(LiveSinkTest, EncodeFailureEndsThatFormatsListenersAndIsRetried) {
  FakeEncoderLog log;
  log.fail_encode_at = 3;
  LiveSink sink("radio", FakeOptions(&log));
  Broadcast::Cursor ogg = sink.Join(LiveFormat::kOggOpus, 0);
  Broadcast::Cursor mp3 = sink.Join(LiveFormat::kMp3, 0);
  for (int i = 1; i <= 3; ++i) sink.OnFrame(Frame(static_cast<int16_t>(i)));
  LiveSinkStats s = sink.Stats();
  EXPECT_EQ(s.encode_errors, 2u);  // both fakes fail at their third frame
  EXPECT_FALSE(sink.encoding(LiveFormat::kOggOpus));
  std::string got;
  EXPECT_EQ(Drain(sink.broadcast(LiveFormat::kOggOpus), &ogg, &got), ReadResult::kEnd);
  EXPECT_EQ(got, "OGGHDR[1:1][2:2]");
  got.clear();
  EXPECT_EQ(Drain(sink.broadcast(LiveFormat::kMp3), &mp3, &got), ReadResult::kEnd);
  EXPECT_EQ(got, "[1:1][2:2]");

  // New listeners wait; the encoder is tried again after retry_ms (3 frames).
  sink.Leave(LiveFormat::kMp3, false);
  Broadcast::Cursor next = sink.Join(LiveFormat::kOggOpus, 0);
  sink.OnFrame(Frame(0));
  sink.OnFrame(Frame(0));
  EXPECT_EQ(log.created.load(), 2);
  sink.OnFrame(Frame(9));
  EXPECT_EQ(log.created.load(), 3);
  got.clear();
  EXPECT_EQ(Drain(sink.broadcast(LiveFormat::kOggOpus), &next, &got), ReadResult::kData);
  EXPECT_EQ(got, "OGGHDR[1:9]");
}

TEST(LiveSinkTest, EncoderThatCannotStartEndsWaitingListeners) {
  FakeEncoderLog log;
  log.fail_create = true;
  LiveSink sink("radio", FakeOptions(&log));
  Broadcast::Cursor c = sink.Join(LiveFormat::kMp3, 0);
  sink.OnFrame(Frame(0));
  EXPECT_EQ(sink.Stats().encode_errors, 1u);
  std::string got;
  EXPECT_EQ(Drain(sink.broadcast(LiveFormat::kMp3), &c, &got), ReadResult::kEnd);
  EXPECT_EQ(got, "");
  for (int i = 0; i < 2; ++i) sink.OnFrame(Frame(0));
  EXPECT_EQ(sink.Stats().encode_errors, 1u);  // not retried before retry_ms
  sink.OnFrame(Frame(0));
  EXPECT_EQ(sink.Stats().encode_errors, 2u);
}

TEST(LiveSinkTest, OnEndPublishesTheTailAndEndsBothFormats) {
  FakeEncoderLog log;
  LiveSink sink("radio", FakeOptions(&log));
  Broadcast::Cursor c = sink.Join(LiveFormat::kOggOpus, 0);
  sink.OnFrame(Frame(5));
  sink.OnEnd("manual");
  EXPECT_TRUE(sink.ended());
  std::string got;
  EXPECT_EQ(Drain(sink.broadcast(LiveFormat::kOggOpus), &c, &got), ReadResult::kEnd);
  EXPECT_EQ(got, "OGGHDR[1:5][tail]");
  EXPECT_TRUE(sink.broadcast(LiveFormat::kMp3).ended());
  EXPECT_EQ(log.destroyed.load(), 1);
  sink.OnFrame(Frame(1));  // after the end: nothing
  EXPECT_EQ(log.created.load(), 1);
  sink.OnEnd("manual");  // twice is harmless
}

TEST(LiveSinkTest, StatsAndListenersChangedCallback) {
  FakeEncoderLog log;
  LiveSink sink("radio", FakeOptions(&log));
  int calls = 0;
  sink.SetListenersChanged([&calls] { ++calls; });
  sink.Join(LiveFormat::kOggOpus, 0);
  sink.Join(LiveFormat::kMp3, 0);
  sink.Join(LiveFormat::kMp3, 0);
  sink.broadcast(LiveFormat::kMp3).AddBytesSent(10);
  sink.broadcast(LiveFormat::kOggOpus).AddBytesSent(5);
  LiveSinkStats s = sink.Stats();
  EXPECT_EQ(s.listeners_ogg, 1);
  EXPECT_EQ(s.listeners_mp3, 2);
  EXPECT_EQ(s.bytes_sent, 15u);
  EXPECT_EQ(sink.Listeners(), 3);
  sink.Leave(LiveFormat::kMp3, true);
  s = sink.Stats();
  EXPECT_EQ(s.listeners_mp3, 1);
  EXPECT_EQ(s.dropped_slow, 1u);
  EXPECT_EQ(calls, 4);
}

TEST(LiveMountRegistryTest, AddFindRemove) {
  MountRegistry mounts;
  auto a = std::make_shared<LiveSink>("a");
  EXPECT_FALSE(mounts.Add("Bad Slug", a));
  EXPECT_FALSE(mounts.Add("a", nullptr));
  EXPECT_TRUE(mounts.Add("a", a));
  EXPECT_EQ(mounts.Find("a"), a);
  EXPECT_EQ(mounts.Find("b"), nullptr);
  EXPECT_EQ(mounts.size(), 1u);

  // Replacing closes the old mount.
  auto a2 = std::make_shared<LiveSink>("a");
  EXPECT_TRUE(mounts.Add("a", a2));
  EXPECT_TRUE(a->ended());
  EXPECT_TRUE(a->broadcast(LiveFormat::kOggOpus).ended());
  EXPECT_FALSE(a2->ended());

  // A stale owner cannot remove its successor.
  EXPECT_EQ(mounts.Remove("a", a.get()), nullptr);
  EXPECT_EQ(mounts.Find("a"), a2);
  EXPECT_EQ(mounts.Remove("a", a2.get()), a2);
  EXPECT_TRUE(a2->ended());
  EXPECT_EQ(mounts.Find("a"), nullptr);
  EXPECT_EQ(mounts.Remove("a"), nullptr);

  mounts.Add("x", std::make_shared<LiveSink>("x"));
  mounts.Add("y", std::make_shared<LiveSink>("y"));
  EXPECT_EQ(mounts.Slugs(), (std::vector<std::string>{"x", "y"}));
}

}  // namespace
}  // namespace sattva::streamer
