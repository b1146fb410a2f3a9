#include "wsd/stream_id.h"

#include <gtest/gtest.h>

namespace sattva::wsd {
namespace {

TEST(StreamIdTest, ParsesFullAndShortForms) {
  auto a = StreamId::Parse("1767225600000-7");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ms, 1767225600000u);
  EXPECT_EQ(a->seq, 7u);
  auto b = StreamId::Parse("42");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, (StreamId{42, 0}));
  EXPECT_EQ(a->ToString(), "1767225600000-7");
}

TEST(StreamIdTest, RejectsGarbage) {
  for (const char* bad : {"", "-", "1-", "-1", "a-1", "1-b", "1-2-3", " 1-2", "1-2 ", "+1-2",
                          "18446744073709551616-0", "1-18446744073709551616",
                          "123456789012345678901-0", "1\xC2\xA0-2"}) {
    EXPECT_FALSE(StreamId::Parse(bad)) << bad;
  }
  EXPECT_TRUE(StreamId::Parse("18446744073709551615-18446744073709551615"));
}

TEST(StreamIdTest, OrdersByMillisecondsThenSequence) {
  EXPECT_LT((StreamId{1, 9}), (StreamId{2, 0}));
  EXPECT_LT((StreamId{2, 0}), (StreamId{2, 1}));
  EXPECT_GT((StreamId{10, 0}), (StreamId{9, 99}));
  EXPECT_LE((StreamId{3, 3}), (StreamId{3, 3}));
  // Numeric, not lexicographic: "9-0" < "10-0".
  EXPECT_LT(*StreamId::Parse("9-0"), *StreamId::Parse("10-0"));
}

}  // namespace
}  // namespace sattva::wsd
