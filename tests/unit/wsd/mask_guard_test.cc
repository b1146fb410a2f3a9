#include "wsd/mask_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sattva::wsd {
namespace {

std::vector<unsigned char> ClientFrame(size_t payload, bool masked, unsigned char opcode = 0x1) {
  std::vector<unsigned char> f = {static_cast<unsigned char>(0x80 | opcode)};
  const unsigned char m = masked ? 0x80 : 0;
  if (payload < 126) {
    f.push_back(static_cast<unsigned char>(m | payload));
  } else if (payload <= 0xffff) {
    f.push_back(m | 126);
    f.push_back(static_cast<unsigned char>(payload >> 8));
    f.push_back(static_cast<unsigned char>(payload));
  } else {
    f.push_back(m | 127);
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<unsigned char>(uint64_t{payload} >> (8 * i)));
  }
  if (masked) f.insert(f.end(), {1, 2, 3, 4});
  f.insert(f.end(), payload, 'x');
  return f;
}

TEST(MaskGuardTest, MaskedFramesOfEveryLengthPass) {
  MaskGuard g;
  for (size_t n : {0u, 5u, 125u, 126u, 300u, 65535u, 65536u, 70000u}) {
    auto f = ClientFrame(n, true);
    ASSERT_TRUE(g.Feed(f.data(), f.size())) << n;
  }
  auto ping = ClientFrame(0, true, 0x9);
  EXPECT_TRUE(g.Feed(ping.data(), ping.size()));
  EXPECT_FALSE(g.violated());
}

TEST(MaskGuardTest, AnUnmaskedFrameIsCaught) {
  MaskGuard g;
  auto ok = ClientFrame(10, true);
  auto bad = ClientFrame(10, false);
  EXPECT_TRUE(g.Feed(ok.data(), ok.size()));
  EXPECT_FALSE(g.Feed(bad.data(), bad.size()));
  EXPECT_TRUE(g.violated());
  EXPECT_FALSE(g.Feed(ok.data(), ok.size()));  // stays caught
}

TEST(MaskGuardTest, UnmaskedControlFramesAreCaughtToo) {
  MaskGuard g;
  auto close = ClientFrame(2, false, 0x8);
  EXPECT_FALSE(g.Feed(close.data(), close.size()));
}

TEST(MaskGuardTest, FramesSplitAtEveryByteAreFollowed) {
  // Masked frames of several sizes, then an unmasked one, fed one byte at a time: the guard
  // must keep the boundaries (a payload byte with the high bit clear is not a header).
  std::vector<unsigned char> stream;
  for (size_t n : {3u, 200u, 70000u}) {
    auto f = ClientFrame(n, true);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  const size_t good = stream.size();
  auto bad = ClientFrame(1, false);
  stream.insert(stream.end(), bad.begin(), bad.end());
  MaskGuard g;
  size_t i = 0;
  for (; i < stream.size(); ++i) {
    if (!g.Feed(&stream[i], 1)) break;
  }
  EXPECT_EQ(i, good + 1);  // caught at the unmasked frame's second byte
}

TEST(MaskGuardTest, RegistryChecksOnlyWatchedSockets) {
  auto bad = ClientFrame(1, false);
  EXPECT_TRUE(mask_guards::Check(1000, bad.data(), bad.size()));  // not watched
  mask_guards::Watch(1000);
  auto ok = ClientFrame(4, true);
  EXPECT_TRUE(mask_guards::Check(1000, ok.data(), ok.size()));
  EXPECT_FALSE(mask_guards::Check(1000, bad.data(), bad.size()));
  mask_guards::Unwatch(1000);
  EXPECT_TRUE(mask_guards::Check(1000, bad.data(), bad.size()));
  EXPECT_TRUE(mask_guards::Check(-1, bad.data(), bad.size()));
}

}  // namespace
}  // namespace sattva::wsd
