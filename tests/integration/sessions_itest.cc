// SessionStore and RateLimiter against a real Redis, with a fake clock for the absolute lifetime.
#include <chrono>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/password.h"
#include "fcgi/rate_limit.h"
#include "fcgi/sessions.h"
#include "tests/support/stack.h"

namespace sattva::testing {
namespace {

using std::chrono::seconds;

class SessionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    common::InitCrypto();
    StackOptions o;
    o.fcgi = o.wsd = o.streamer = o.nginx = false;
    stack_ = new Stack(o);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override {
    redis_ = stack_->RedisClient();
    redis_->Checked({"FLUSHALL"});
  }
  static Stack* stack_;
  std::unique_ptr<common::Redis> redis_;
  common::FakeClock clock_;
};
Stack* SessionsTest::stack_ = nullptr;

TEST_F(SessionsTest, CreateLookupAndStoreOnlyTheHash) {
  fcgi::SessionStore store(*redis_, clock_, seconds(1800), seconds(43200));
  fcgi::Session s = store.Create(42, "127.0.0.1", "test-agent");
  EXPECT_EQ(s.raw_id.size(), 22u);  // 128 bits, base64url
  auto keys = redis_->Checked({"KEYS", "sattva:session:*"});
  ASSERT_EQ(keys->elements, 1u);
  const std::string key(keys->element[0]->str, keys->element[0]->len);
  EXPECT_EQ(key, "sattva:session:" + common::Sha256Hex(s.raw_id));
  EXPECT_EQ(key.find(s.raw_id), std::string::npos);
  auto found = store.Lookup(s.raw_id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, 42);
  EXPECT_EQ(found->csrf_token, s.csrf_token);
  EXPECT_FALSE(store.Lookup("not-a-session"));
  EXPECT_FALSE(store.Lookup(""));
}

TEST_F(SessionsTest, IdleTimeoutIsTheKeyTtlAndUseRenewsIt) {
  fcgi::SessionStore store(*redis_, clock_, seconds(1800), seconds(43200));
  fcgi::Session s = store.Create(7, "", "");
  const std::string key = "sattva:session:" + s.key_hash;
  redis_->Checked({"PEXPIRE", key, "1000"});  // as if it had sat idle for almost 30 minutes
  ASSERT_TRUE(store.Lookup(s.raw_id));
  auto ttl = redis_->Checked({"PTTL", key});
  EXPECT_GT(ttl->integer, 1799000);
  redis_->Checked({"DEL", key});  // the idle TTL ran out
  EXPECT_FALSE(store.Lookup(s.raw_id));
}

TEST_F(SessionsTest, UseRenewsOnlyATimerThatHasRunDown) {
  // A renewal is a Redis write (and an fsync); page views in quick succession must not each
  // write. With a 30-minute idle timeout the timer is renewed once it has run down by a minute.
  fcgi::SessionStore store(*redis_, clock_, seconds(1800), seconds(43200));
  fcgi::Session s = store.Create(7, "", "");
  const std::string key = "sattva:session:" + s.key_hash;
  redis_->Checked({"PEXPIRE", key, "1795000"});  // 5 s since the last renewal
  ASSERT_TRUE(store.Lookup(s.raw_id));
  EXPECT_LE(redis_->Checked({"PTTL", key})->integer, 1795000);  // left alone: no write
  redis_->Checked({"PEXPIRE", key, "1730000"});  // 70 s since the last renewal
  ASSERT_TRUE(store.Lookup(s.raw_id));
  EXPECT_GT(redis_->Checked({"PTTL", key})->integer, 1799000);  // renewed
}

TEST_F(SessionsTest, LiveUsersRenewsOnlyWhenAskedAndOnlyLiveSessions) {
  // wsd's watcher renews the sessions holding an open socket; the ticket check does not.
  fcgi::SessionStore store(*redis_, clock_, seconds(1800), seconds(43200));
  fcgi::Session a = store.Create(7, "", "");
  fcgi::Session b = store.Create(8, "", "");
  const std::string ka = "sattva:session:" + a.key_hash;
  redis_->Checked({"PEXPIRE", ka, "1000"});
  std::vector<int64_t> owners = store.LiveUsers({a.key_hash, "no-such-session"});
  ASSERT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners[0], 7);
  EXPECT_EQ(owners[1], 0);
  EXPECT_LE(redis_->Checked({"PTTL", ka})->integer, 1000);  // looked at, not renewed

  owners = store.LiveUsers({a.key_hash, b.key_hash}, /*renew=*/true);
  EXPECT_EQ(owners, (std::vector<int64_t>{7, 8}));
  EXPECT_GT(redis_->Checked({"PTTL", ka})->integer, 1799000);  // renewed
  EXPECT_EQ(redis_->Checked({"EXISTS", "sattva:session:no-such-session"})->integer, 0);

  // Past the absolute lifetime nothing is renewed and the session reads as ended.
  clock_.Advance(seconds(43200));
  EXPECT_EQ(store.LiveUsers({a.key_hash}, /*renew=*/true), (std::vector<int64_t>{0}));
}

TEST_F(SessionsTest, AbsoluteLifetimeEndsEvenAnActiveSession) {
  fcgi::SessionStore store(*redis_, clock_, seconds(1800), seconds(43200));
  fcgi::Session s = store.Create(7, "", "");
  for (int i = 0; i < 23; ++i) {  // active every 30 minutes for 11.5 h
    clock_.Advance(seconds(1800));
    ASSERT_TRUE(store.Lookup(s.raw_id)) << "after " << (i + 1) * 30 << " min";
  }
  // The idle TTL never reaches past the absolute end.
  auto ttl = redis_->Checked({"PTTL", "sattva:session:" + s.key_hash});
  EXPECT_LE(ttl->integer, 1800000);
  clock_.Advance(seconds(1800));  // 12 h
  EXPECT_FALSE(store.Lookup(s.raw_id));
  EXPECT_EQ(redis_->Checked({"EXISTS", "sattva:session:" + s.key_hash})->integer, 0);
}

TEST_F(SessionsTest, DeleteAllForUserKeepsOnlyTheOneAskedFor) {
  fcgi::SessionStore store(*redis_, clock_, seconds(1800), seconds(43200));
  fcgi::Session a = store.Create(9, "", "");
  fcgi::Session b = store.Create(9, "", "");
  fcgi::Session c = store.Create(9, "", "");
  fcgi::Session other = store.Create(10, "", "");
  EXPECT_EQ(store.DeleteAllForUser(9, b.key_hash), 2);
  EXPECT_FALSE(store.Lookup(a.raw_id));
  EXPECT_TRUE(store.Lookup(b.raw_id));
  EXPECT_FALSE(store.Lookup(c.raw_id));
  EXPECT_TRUE(store.Lookup(other.raw_id));
  EXPECT_EQ(store.DeleteAllForUser(9), 1);
  EXPECT_FALSE(store.Lookup(b.raw_id));
}

TEST_F(SessionsTest, FlashIsReadOnceAndNeverResurrectsASession) {
  fcgi::SessionStore store(*redis_, clock_, seconds(1800), seconds(43200));
  fcgi::Session s = store.Create(1, "", "");
  store.SetFlash(s, "ok:Saved");
  EXPECT_EQ(store.TakeFlash(s), "ok:Saved");
  EXPECT_EQ(store.TakeFlash(s), "");
  store.Delete(s);
  store.SetFlash(s, "ok:late");
  EXPECT_EQ(redis_->Checked({"EXISTS", "sattva:session:" + s.key_hash})->integer, 0);
}

TEST_F(SessionsTest, RateLimiterCountsWithinAWindow) {
  fcgi::RateLimiter rl(*redis_);
  for (int i = 1; i <= 5; ++i) {
    fcgi::RateDecision d = rl.Hit("t:ip", 5, 30);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.count, i);
  }
  fcgi::RateDecision over = rl.Hit("t:ip", 5, 30);
  EXPECT_FALSE(over.allowed);
  EXPECT_GE(over.retry_after_s, 1);
  EXPECT_LE(over.retry_after_s, 30);
  EXPECT_FALSE(rl.Peek("t:ip", 5).allowed);
  EXPECT_TRUE(rl.Peek("t:other", 5).allowed);
  // The window's expiry is set once, on the first hit: more hits do not extend it.
  auto ttl = redis_->Checked({"PTTL", "sattva:rl:t:ip"});
  EXPECT_LE(ttl->integer, 30000);
  rl.Reset("t:ip");
  EXPECT_TRUE(rl.Hit("t:ip", 5, 30).allowed);
}

}  // namespace
}  // namespace sattva::testing
