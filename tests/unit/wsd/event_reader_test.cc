#include "wsd/event_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "tests/unit/wsd/test_events.h"

namespace sattva::wsd {
namespace {

using testing::Entry;

// An in-memory stream. Thread-safe: the test thread edits it while the reader reads.
class FakeEventSource : public EventSource {
 public:
  void Add(StreamEntry e) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(std::move(e));
  }
  void Replace(std::vector<StreamEntry> entries) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_ = std::move(entries);
  }
  void SetDown(bool down) {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = down;
  }
  std::vector<StreamId> read_afters() {
    std::lock_guard<std::mutex> lock(mu_);
    return read_afters_;
  }

  std::optional<StreamId> NewestId() override {
    std::lock_guard<std::mutex> lock(mu_);
    Check();
    if (entries_.empty()) return std::nullopt;
    return StreamId::Parse(entries_.back().id);
  }
  std::optional<StreamId> OldestId() override {
    std::lock_guard<std::mutex> lock(mu_);
    Check();
    if (entries_.empty()) return std::nullopt;
    return StreamId::Parse(entries_.front().id);
  }
  std::vector<StreamEntry> ReadAfter(const StreamId& after, int block_ms, int count) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      Check();
      read_afters_.push_back(after);
      std::vector<StreamEntry> out;
      for (const auto& e : entries_) {
        if (*StreamId::Parse(e.id) > after && static_cast<int>(out.size()) < count) {
          out.push_back(e);
        }
      }
      if (!out.empty()) return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(block_ms));
    return {};
  }
  std::vector<StreamEntry> NewestDownTo(const StreamId& down_to, size_t count) override {
    std::lock_guard<std::mutex> lock(mu_);
    Check();
    std::vector<StreamEntry> out;
    for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < count; ++it) {
      if (*StreamId::Parse(it->id) < down_to) break;
      out.push_back(*it);
    }
    return out;
  }

 private:
  void Check() {
    if (down_) throw common::RedisError("redis: cannot connect to 127.0.0.1:1: refused");
  }
  std::mutex mu_;
  std::vector<StreamEntry> entries_;
  std::vector<StreamId> read_afters_;
  bool down_ = false;
};

// Drains |ring| until |n| items arrived or two seconds passed.
std::vector<RingItem> WaitFor(EventRing& ring, size_t n) {
  std::vector<RingItem> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    ring.Drain(&out);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return out;
}

template <typename F>
bool Eventually(F f) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!f()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

class EventReaderTest : public ::testing::Test {
 protected:
  EventReaderTest() : metrics_(registry_), ring_(64, nullptr) {
    options_.block_ms = 5;
    options_.min_backoff = std::chrono::milliseconds(2);
    options_.max_backoff = std::chrono::milliseconds(10);
  }

  prometheus::Registry registry_;
  WsdMetrics metrics_;
  EventRing ring_;
  RedisHealth health_;
  FakeEventSource source_;
  ReaderOptions options_;
};

TEST_F(EventReaderTest, StartsAtTheNewestEntryAndForwardsOnlyNewOnes) {
  source_.Add(Entry("1-0"));
  source_.Add(Entry("2-0"));
  EventReader reader(source_, ring_, health_, metrics_, options_);
  reader.Start();
  std::vector<RingItem> items = WaitFor(ring_, 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].kind, RingItem::Kind::kHead);
  EXPECT_EQ(*items[0].head, (StreamId{2, 0}));

  source_.Add(Entry("3-0", "queue_update"));
  items = WaitFor(ring_, 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].kind, RingItem::Kind::kEvent);
  EXPECT_EQ(items[0].event->id, (StreamId{3, 0}));
  EXPECT_EQ(items[0].event->type, "queue_update");
  std::string error;
  EXPECT_TRUE(health_.Get(&error));
  EXPECT_EQ(metrics_.redis_up.Value(), 1);
  reader.Stop();
  EXPECT_EQ(metrics_.events_received.Value(), 1);
}

TEST_F(EventReaderTest, SkipsMalformedEntries) {
  EventReader reader(source_, ring_, health_, metrics_, options_);
  reader.Start();
  ASSERT_EQ(WaitFor(ring_, 1).size(), 1u);  // head of the empty stream
  source_.Add(Entry("4-0", ""));            // no type
  source_.Add(Entry("5-0", "stats", "{broken"));
  source_.Add(Entry("6-0"));
  std::vector<RingItem> items = WaitFor(ring_, 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].event->id, (StreamId{6, 0}));
  // It moved past the bad ones instead of rereading them.
  EXPECT_TRUE(Eventually([&] { return source_.read_afters().back() == (StreamId{6, 0}); }));
  reader.Stop();
}

TEST_F(EventReaderTest, RecoversFromRedisFailureWithoutGapsOrDuplicates) {
  source_.Add(Entry("1-0"));
  EventReader reader(source_, ring_, health_, metrics_, options_);
  reader.Start();
  ASSERT_EQ(WaitFor(ring_, 1).size(), 1u);
  source_.Add(Entry("2-0"));
  ASSERT_EQ(WaitFor(ring_, 1).size(), 1u);

  source_.SetDown(true);
  std::string error;
  ASSERT_TRUE(Eventually([&] { return !health_.Get(&error); }));
  EXPECT_NE(error.find("cannot connect"), std::string::npos);
  EXPECT_EQ(metrics_.redis_up.Value(), 0);

  source_.Add(Entry("3-0"));  // written while the reader could not read
  source_.SetDown(false);
  source_.Add(Entry("4-0"));
  std::vector<RingItem> items = WaitFor(ring_, 2);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].event->id, (StreamId{3, 0}));
  EXPECT_EQ(items[1].event->id, (StreamId{4, 0}));
  EXPECT_TRUE(health_.Get(&error));
  EXPECT_EQ(metrics_.redis_up.Value(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(WaitFor(ring_, 0).empty());
  reader.Stop();
  EXPECT_EQ(metrics_.events_received.Value(), 3);
}

TEST_F(EventReaderTest, StartsEvenWhenRedisIsDownAtFirst) {
  source_.SetDown(true);
  source_.Add(Entry("9-0"));
  EventReader reader(source_, ring_, health_, metrics_, options_);
  reader.Start();
  std::string error;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(health_.Get(&error));
  source_.SetDown(false);
  std::vector<RingItem> items = WaitFor(ring_, 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].kind, RingItem::Kind::kHead);
  EXPECT_EQ(*items[0].head, (StreamId{9, 0}));
  reader.Stop();
}

TEST_F(EventReaderTest, ReplacedStreamIsReportedAsReset) {
  source_.Add(Entry("100-0"));
  EventReader reader(source_, ring_, health_, metrics_, options_);
  reader.Start();
  ASSERT_EQ(WaitFor(ring_, 1).size(), 1u);
  source_.SetDown(true);
  std::string error;
  ASSERT_TRUE(Eventually([&] { return !health_.Get(&error); }));
  source_.Replace({Entry("5-0")});  // Redis came back empty-handed and got a new event
  source_.SetDown(false);
  std::vector<RingItem> items = WaitFor(ring_, 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].kind, RingItem::Kind::kReset);
  EXPECT_EQ(*items[0].head, (StreamId{5, 0}));
  source_.Add(Entry("6-0"));
  items = WaitFor(ring_, 1);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].event->id, (StreamId{6, 0}));
  reader.Stop();
}

TEST_F(EventReaderTest, StopIsPromptAndIdempotent) {
  EventReader reader(source_, ring_, health_, metrics_, options_);
  reader.Start();
  auto t0 = std::chrono::steady_clock::now();
  reader.Stop();
  reader.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(BackfillerTest, AnswersFromTheSource) {
  FakeEventSource source;
  for (int i = 1; i <= 5; ++i) source.Add(Entry(std::to_string(i) + "-0"));
  BackfillExchange exchange(nullptr);
  Backfiller backfiller(source, exchange, 10);
  BackfillReply reply = backfiller.Answer(BackfillRequest{3, 9, StreamId{2, 0}});
  EXPECT_EQ(reply.session, 3u);
  EXPECT_EQ(reply.generation, 9u);
  ASSERT_EQ(reply.backfill.events.size(), 3u);
  EXPECT_EQ(reply.backfill.events[0]->id, (StreamId{3, 0}));
  EXPECT_FALSE(reply.backfill.resync);

  source.SetDown(true);
  reply = backfiller.Answer(BackfillRequest{3, 10, StreamId{2, 0}});
  EXPECT_TRUE(reply.backfill.resync);
  EXPECT_TRUE(reply.backfill.events.empty());
}

TEST(BackfillerTest, ThreadServesRequestsUntilStopped) {
  FakeEventSource source;
  source.Add(Entry("1-0"));
  source.Add(Entry("2-0"));
  std::atomic<int> wakes{0};
  BackfillExchange exchange([&] { ++wakes; });
  Backfiller backfiller(source, exchange, 10);
  backfiller.Start();
  exchange.Request(BackfillRequest{1, 1, StreamId{1, 0}});
  ASSERT_TRUE(Eventually([&] { return wakes.load() == 1; }));
  std::vector<BackfillReply> replies;
  exchange.DrainReplies(&replies);
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_EQ(replies[0].backfill.events.size(), 1u);
  EXPECT_EQ(replies[0].backfill.events[0]->id, (StreamId{2, 0}));
  backfiller.Stop();
}

}  // namespace
}  // namespace sattva::wsd
