#include "wsd/frames.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <memory>
#include <string>
#include <vector>

namespace sattva::wsd {
namespace {

// Inflates one permessage-deflate message body (RFC 7692 7.2.2: append 00 00 ff ff).
std::string Inflate(const std::string& body) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -15), Z_OK);
  std::string in = body + std::string("\x00\x00\xff\xff", 4);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_SYNC_FLUSH);
  EXPECT_TRUE(rc == Z_OK || rc == Z_STREAM_END) << rc;
  EXPECT_EQ(z.avail_in, 0u);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

std::vector<unsigned char> Frame(const std::string& payload, bool compressed) {
  std::vector<unsigned char> out;
  AppendTextFrame(&out, payload, compressed);
  return out;
}

TEST(FramesTest, ShortPayloadHasATwoByteHeader) {
  auto f = Frame("hi", false);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], 0x81);  // FIN, text, no RSV
  EXPECT_EQ(f[1], 2);     // unmasked, length 2
  EXPECT_EQ(f[2], 'h');
  EXPECT_EQ(FrameHeaderSize(125), 2u);
}

TEST(FramesTest, LengthEncodingsAtTheirBoundaries) {
  auto f126 = Frame(std::string(126, 'x'), false);
  ASSERT_EQ(f126.size(), 4u + 126);
  EXPECT_EQ(f126[1], 126);
  EXPECT_EQ((f126[2] << 8) | f126[3], 126);

  auto f64k = Frame(std::string(65535, 'x'), false);
  EXPECT_EQ(f64k[1], 126);
  EXPECT_EQ((f64k[2] << 8) | f64k[3], 65535);

  auto big = Frame(std::string(65536, 'x'), false);
  ASSERT_EQ(big.size(), 10u + 65536);
  EXPECT_EQ(big[1], 127);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | big[2 + i];
  EXPECT_EQ(n, 65536u);
  EXPECT_EQ(FrameHeaderSize(65536), 10u);
}

TEST(FramesTest, CompressedFramesSetRsv1) {
  auto f = Frame("abc", true);
  EXPECT_EQ(f[0], 0xC1);
}

TEST(FramesTest, DeflatedMessagesInflateBackIndependently) {
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  const std::string a = R"({"type":"queue_update","data":{"items":[1,2,3,4,5,6,7,8,9,10,11,12]}})";
  const std::string b = std::string(5000, 'q') + "tail";
  std::string za, zb;
  ASSERT_TRUE(DeflateMessage(&z, a, &za));
  ASSERT_TRUE(DeflateMessage(&z, b, &zb));
  deflateEnd(&z);
  // Each inflates on its own: no message depends on an earlier one's window.
  EXPECT_EQ(Inflate(za), a);
  EXPECT_EQ(Inflate(zb), b);
  EXPECT_LT(zb.size(), b.size() / 10);
}

TEST(FramesTest, DeflateCacheCompressesEachMessageOnce) {
  DeflateCache cache(4);
  Message big = std::make_shared<const std::string>(std::string(400, 'a') + "{\"x\":1}");
  const std::string* z1 = cache.Get(big);
  ASSERT_NE(z1, nullptr);
  EXPECT_EQ(Inflate(*z1), *big);
  EXPECT_EQ(cache.Get(big), z1);  // the same entry, not a second compression
  EXPECT_EQ(cache.compressed(), 1u);

  // An equal string that is another message is compressed on its own.
  Message twin = std::make_shared<const std::string>(*big);
  ASSERT_NE(cache.Get(twin), nullptr);
  EXPECT_EQ(cache.compressed(), 2u);
}

TEST(FramesTest, DeflateCacheSendsShortOrIncompressibleMessagesAsTheyAre) {
  DeflateCache cache(2);
  EXPECT_EQ(cache.Get(std::make_shared<const std::string>("{\"type\":\"pong\"}")), nullptr);
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 300; ++i) {
    x = x * 1103515245 + 12345;
    noise.push_back(static_cast<char>(x >> 24));
  }
  EXPECT_EQ(cache.Get(std::make_shared<const std::string>(noise)), nullptr);
  EXPECT_EQ(cache.Get(nullptr), nullptr);
}

TEST(FramesTest, DeflateCacheEvictsTheOldestEntry) {
  DeflateCache cache(2);
  Message a = std::make_shared<const std::string>(std::string(200, 'a'));
  Message b = std::make_shared<const std::string>(std::string(200, 'b'));
  Message c = std::make_shared<const std::string>(std::string(200, 'c'));
  cache.Get(a);
  cache.Get(b);
  cache.Get(c);  // evicts a
  EXPECT_EQ(cache.compressed(), 3u);
  cache.Get(b);
  EXPECT_EQ(cache.compressed(), 3u);
  cache.Get(a);
  EXPECT_EQ(cache.compressed(), 4u);
}

}  // namespace
}  // namespace sattva::wsd
