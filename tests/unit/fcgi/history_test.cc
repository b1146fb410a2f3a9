// The history layer's pure parts: timestamps the API accepts, the stream page's filters, and the
// JSON shape of plays and sessions.
#include <gtest/gtest.h>

#include "fcgi/history.h"

namespace sattva::fcgi {
namespace {

TEST(HistoryTimestampTest, AcceptsDatesAndDateTimesAsUtcUnlessZoned) {
  EXPECT_EQ(ParseTimestamp("2026-11-25").value_or("?"), "2026-11-25T00:00:00Z");
  EXPECT_EQ(ParseTimestamp("2026-11-25T20:30").value_or("?"), "2026-11-25T20:30Z");
  EXPECT_EQ(ParseTimestamp("2026-11-25T20:30:05.123Z").value_or("?"), "2026-11-25T20:30:05.123Z");
  EXPECT_EQ(ParseTimestamp("2026-11-25 20:30:05+03:00").value_or("?"),
            "2026-11-25 20:30:05+03:00");
  EXPECT_EQ(ParseTimestamp("2024-02-29T00:00:00-0530").value_or("?"), "2024-02-29T00:00:00-0530");
  EXPECT_TRUE(ParseTimestamp("2000-02-29"));
}

TEST(HistoryTimestampTest, RefusesEverythingElse) {
  for (const char* bad :
       {"", "yesterday", "2026-02-30", "2025-02-29", "1900-02-29", "2026-13-01", "2026-00-10",
        "2026-01-00", "2026-1-5", "2026-01-01T24:00", "2026-01-01T10:60", "2026-01-01T10:00:61",
        "2026-01-01T10:00+15:00", "2026-01-01T10:00+01:75", "2026-01-01T10:00:00.1234567Z",
        "2026-01-01'; DROP TABLE play_history;--", "0000-01-01", "2026-01-01T10", "20260101",
        "2026-01-01T10:00:00ZZ", "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa6-01-01"}) {
    EXPECT_FALSE(ParseTimestamp(bad)) << bad;
  }
}

TEST(HistoryPageFiltersTest, DatesBecomeAHalfOpenRangeWithTheToDateIncluded) {
  const HistoryQuery q = HistoryQueryFromPage(
      {{"history_since", "2026-02-28"}, {"history_until", "2026-02-28"},
       {"history_status", "skipped"}, {"history_page", "3"}, {"other", "x"}},
      7);
  EXPECT_EQ(q.stream_id, 7);
  EXPECT_EQ(q.since, "2026-02-28T00:00:00Z");
  EXPECT_EQ(q.until, "2026-03-01T00:00:00Z");
  EXPECT_EQ(q.status, "skipped");
  const HistoryQuery none = HistoryQueryFromPage({}, 7);
  EXPECT_TRUE(none.since.empty() && none.until.empty() && none.status.empty());
}

TEST(HistoryPageFiltersTest, BadValuesAre422) {
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"history_since", "2026-02-30"},
           {"history_until", "tomorrow"},
           {"history_since", "2026-02-28T10:00"},
           {"history_status", "playing"},
           {"history_status", "<script>"}}) {
    try {
      HistoryQueryFromPage({{k, v}}, 1);
      ADD_FAILURE() << k << "=" << v;
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status(), 422) << k << "=" << v;
    }
  }
}

TEST(HistoryJsonTest, PlaysShowTrackQueuerAndNullsWhileOpen) {
  PlayRecord p;
  p.id = 5;
  p.session_id = 2;
  p.track_id = 9;
  p.title = "Song";
  p.artist = "Band";
  p.queued_by_id = 3;
  p.queued_by_name = "Ann";
  p.queue_item_id = "41";
  p.started_at = "2026-01-01T00:00:00.000Z";
  Json::Value v = p.ToJson();
  EXPECT_EQ(v["track"]["id"].asInt64(), 9);
  EXPECT_EQ(v["track"]["title"], "Song");
  EXPECT_EQ(v["queued_by"]["id"].asInt64(), 3);
  EXPECT_EQ(v["queued_by"]["name"], "Ann");
  EXPECT_TRUE(v["ended_at"].isNull());
  EXPECT_TRUE(v["played_ms"].isNull());
  EXPECT_TRUE(v["end_reason"].isNull());
  EXPECT_TRUE(v["error"].isNull());
  p.ended_at = "2026-01-01T00:03:00.000Z";
  p.played_ms = 180000;
  p.end_reason = "error";
  p.error = "bad file";
  p.track_id.reset();
  p.title.clear();
  p.queued_by_id.reset();
  v = p.ToJson();
  EXPECT_TRUE(v["track"].isNull());
  EXPECT_TRUE(v["queued_by"].isNull());
  EXPECT_EQ(v["played_ms"].asInt64(), 180000);
  EXPECT_EQ(v["end_reason"], "error");
  EXPECT_EQ(v["error"], "bad file");
}

TEST(HistoryJsonTest, SessionsShowWhoEndedThem) {
  SessionRecord s;
  s.id = 1;
  s.started_at = "2026-01-01T00:00:00.000Z";
  s.peak_listeners = 12;
  s.tracks_played = 30;
  Json::Value v = s.ToJson();
  EXPECT_TRUE(v["ended_at"].isNull());
  EXPECT_TRUE(v["ended_by"].isNull());
  EXPECT_EQ(v["peak_listeners"].asInt64(), 12);
  s.ended_at = "2026-01-01T02:00:00.000Z";
  s.end_reason = "manual";
  s.ended_by_id = 4;
  s.ended_by_name = "Op";
  v = s.ToJson();
  EXPECT_EQ(v["end_reason"], "manual");
  EXPECT_EQ(v["ended_by"]["id"].asInt64(), 4);
  EXPECT_EQ(v["ended_by"]["name"], "Op");
}

}  // namespace
}  // namespace sattva::fcgi
