// The monitoring page's view (fcgi/admin/monitoring_views.h), rendered from the real templates/:
// the system card, the streamer hosts, one card per running stream (now playing, listeners by
// sink, queue head, the auto-end countdown, the sparkline), the empty card template the script
// clones, and the pure helpers.
#include <gtest/gtest.h>

#include "fcgi/admin/monitoring_views.h"
#include "fcgi/admin/views.h"
#include "tests/unit/fcgi/panel_test_support.h"

namespace sattva::fcgi {
namespace {

using namespace paneltest;

const char kXss[] = "<script>alert(1)</script>";
constexpr int64_t kNow = 1764100000000;  // 2025-11-25T19:46:40Z

std::string Render(const MonitoringData& data, Role role = Role::kUser) {
  const Principal p = MakePrincipal(7, role);
  AdminPage page(Layout(&p, "monitoring", "Monitoring"), "monitoring/page.tpl");
  FillMonitoring(page.body(), p, data);
  return page.Render(Dir());
}

// The HTML of the element that starts at the first `marker` (up to the end of its line).
std::string LineOf(const std::string& html, const std::string& marker) {
  const size_t at = html.find(marker);
  if (at == std::string::npos) return "(not found: " + marker + ")";
  return html.substr(at, html.find('\n', at) - at);
}

// The text of the stat card with this key.
std::string StatValue(const std::string& html, const std::string& key) {
  const std::string line = LineOf(html, "id=\"stat-" + key + "\"");
  const size_t v = line.find("class=\"stat-value\">");
  if (v == std::string::npos) return "(no value)";
  const size_t b = v + 19;
  return line.substr(b, line.find('<', b) - b);
}

// The part of the page between the stream cards list and the card template.
std::string Cards(const std::string& html) {
  const size_t b = html.find("id=\"stream-cards\"");
  const size_t e = html.find("<template id=\"stream-card-template\">");
  if (b == std::string::npos || e == std::string::npos) return "";
  return html.substr(b, e - b);
}

std::string Template(const std::string& html) {
  const size_t b = html.find("<template id=\"stream-card-template\">");
  const size_t e = html.find("</template>", b);
  if (b == std::string::npos || e == std::string::npos) return "";
  return html.substr(b, e - b);
}

MonitoredStream Playing(int64_t id, const std::string& title) {
  MonitoredStream m;
  m.stream.id = id;
  m.stream.slug = "s" + std::to_string(id);
  m.stream.title = title;
  m.stream.desired_state = "running";
  m.stream.auto_end_enabled = true;
  m.stream.auto_end_timeout_s = 300;
  m.live.state = "running";
  m.live.listeners = 5;
  m.live.listeners_live = 3;
  m.live.listeners_bridge = 2;
  m.live.now_item =
      R"({"id":"41","track":{"id":9,"title":"Morning Raga","artist":"Ravi","duration_ms":200000}})";
  m.live.now_position_ms = 60000;
  m.live.now_position_at_ms = kNow - 2000;  // two seconds later it is at 62 s
  m.queue.version = 12;
  m.queue.length = 7;
  for (int i = 1; i <= 3; ++i) {
    QueueRow r;
    r.id = std::to_string(100 + i);
    r.title = "Next " + std::to_string(i);
    r.artist = i == 1 ? "Anoushka" : "";
    m.queue.rows.push_back(r);
  }
  return m;
}

TEST(MonitoringView, SystemCardAndStreamers) {
  MonitoringData d;
  d.now_ms = kNow;
  common::StreamerFigures a;
  a.id = "alpha-1";
  a.host = "alpha";
  a.pid = 1234;
  a.cpu_percent = 12.5;
  a.memory_percent = 40;
  a.rss_bytes = 50 * 1024 * 1024;
  a.uptime_seconds = 7260;
  a.streams = 2;
  common::StreamerFigures b;  // an older heartbeat: no figures
  b.id = "beta-2";
  b.host = "beta";
  b.pid = 99;
  b.uptime_seconds = 30;
  d.station.active_streams = 2;
  d.station.total_listeners = 10;
  d.station.queue_items = 42;
  d.station.cpu_percent = 12.5;
  d.station.memory_percent = 40;
  d.station.uptime_seconds = 7260;
  d.station.streamers = {a, b};
  d.streams = {Playing(1, "One"), Playing(2, "Two")};
  const std::string html = Render(d);
  EXPECT_EQ(StatValue(html, "active-streams"), "2");
  EXPECT_EQ(StatValue(html, "total-listeners"), "10");
  EXPECT_EQ(StatValue(html, "queue-items"), "42");
  EXPECT_EQ(StatValue(html, "events-per-second"), "\u2014");  // only while live
  EXPECT_EQ(StatValue(html, "cpu"), "12.5 %");
  EXPECT_EQ(StatValue(html, "memory"), "40 %");
  EXPECT_EQ(StatValue(html, "uptime"), "2 h 1 min");
  const std::string ra = LineOf(html, "<tr data-streamer-id=\"alpha-1\">");
  EXPECT_TRUE(Has(ra, "<th scope=\"row\" class=\"host\">alpha</th>")) << ra;
  EXPECT_TRUE(Has(ra, "<td class=\"pid\">1234</td>")) << ra;
  EXPECT_TRUE(Has(ra, "<td class=\"rss\">50 MiB</td>")) << ra;
  EXPECT_TRUE(Has(ra, "<td class=\"streams\">2</td>")) << ra;
  const std::string rb = LineOf(html, "<tr data-streamer-id=\"beta-2\">");
  EXPECT_TRUE(Has(rb, "<td class=\"cpu\">\u2014</td>")) << rb;
  EXPECT_TRUE(Has(rb, "<td class=\"memory\">\u2014</td>")) << rb;
  EXPECT_TRUE(Has(rb, "<td class=\"rss\">—</td>")) << rb;  // 0: not reported
  EXPECT_TRUE(Has(rb, "<td class=\"uptime\">30 s</td>")) << rb;
  EXPECT_TRUE(Has(html, "id=\"no-streamers\" hidden")) << html;
  EXPECT_TRUE(Has(html, "id=\"no-streams\" hidden")) << html;
  // The navigation marks the page, the connection indicator starts offline (no script yet).
  EXPECT_TRUE(Has(html, "<a href=\"/admin/monitoring\" aria-current=\"page\">Monitoring</a>"));
  EXPECT_TRUE(Has(html, "id=\"connection\" data-state=\"offline\"")) << html;
}

TEST(MonitoringView, ACardPerRunningStream) {
  MonitoringData d;
  d.now_ms = kNow;
  d.streams = {Playing(3, "Evening")};
  const std::string cards = Cards(Render(d));
  ASSERT_EQ(Count(cards, "<li class=\"card stream-card\""), 1) << cards;
  EXPECT_TRUE(Has(cards, "data-stream-id=\"3\" data-slug=\"s3\" data-queue-version=\"12\""));
  EXPECT_TRUE(Has(cards, "<a href=\"/admin/streams/3\">Evening</a>")) << cards;
  EXPECT_TRUE(Has(cards, "badge state-running stream-state")) << cards;
  // Now playing, with the position moved on to the page's time.
  EXPECT_TRUE(Has(cards, "data-item-id=\"41\" data-position-ms=\"62000\"")) << cards;
  EXPECT_TRUE(Has(cards, "data-duration-ms=\"200000\"")) << cards;
  EXPECT_TRUE(Has(cards, "<strong class=\"now-title\">Morning Raga</strong>")) << cards;
  EXPECT_TRUE(Has(cards, "\u2014 Ravi")) << cards;
  EXPECT_TRUE(Has(cards, "<progress class=\"now-progress\" max=\"200000\" value=\"62000\">"))
      << cards;
  EXPECT_TRUE(Has(cards, "<span class=\"now-position\">1:02</span> / <span class=\"now-duration\">3:20</span>"))
      << cards;
  // Listeners by sink and the queue: length and the next three.
  EXPECT_TRUE(Has(cards, "<span class=\"listeners-total\">5</span>")) << cards;
  EXPECT_TRUE(Has(cards, "<span class=\"listeners-live\">3</span>")) << cards;
  EXPECT_TRUE(Has(cards, "<span class=\"listeners-bridge\">2</span>")) << cards;
  EXPECT_TRUE(Has(cards, "<span class=\"queue-length\">7</span>")) << cards;
  EXPECT_EQ(Count(cards, "<li data-item-id=\"10"), 3) << cards;
  EXPECT_TRUE(Has(cards, "<li data-item-id=\"101\"><span class=\"queue-title\">Next 1</span> <span class=\"muted\">— Anoushka</span></li>"))
      << cards;
  // Listeners: no countdown.
  EXPECT_TRUE(Has(cards, "class=\"auto-end \" data-deadline-ms=\"\" hidden")) << cards;
  EXPECT_TRUE(Has(cards, "class=\"sparkline\"")) << cards;
}

TEST(MonitoringView, AStreamNoStreamerPlaysYetIsStarting) {
  MonitoringData d;
  d.now_ms = kNow;
  MonitoredStream m = Playing(6, "Waiting");
  m.live.state = "stopped";  // desired running, but no streamer holds it yet
  m.live.now_item.clear();
  d.streams = {m};
  const std::string cards = Cards(Render(d));
  EXPECT_TRUE(Has(cards, "<span class=\"badge state-starting stream-state\">starting</span>")) << cards;
  EXPECT_TRUE(Has(cards, "<div class=\"now idle\" data-item-id=\"\"")) << cards;
  EXPECT_TRUE(Has(cards, "Nothing is playing")) << cards;
}

TEST(MonitoringView, TheCountdownWhenArmedWithItsHighlight) {
  MonitoringData d;
  d.now_ms = kNow;
  MonitoredStream m = Playing(4, "Lonely");
  m.live.listeners = m.live.listeners_live = m.live.listeners_bridge = 0;
  m.stream.auto_end_timeout_s = 60;
  m.live.auto_end_zero_since_ms = kNow - 35000;  // 25 s to go
  d.streams = {m};
  const std::string cards = Cards(Render(d));
  const std::string line = LineOf(cards, "<p class=\"auto-end");
  EXPECT_TRUE(Has(line, "class=\"auto-end warn-30\"")) << line;
  EXPECT_TRUE(Has(line, "data-deadline-ms=\"" + std::to_string(kNow + 25000) + "\">")) << line;
  EXPECT_FALSE(Has(line, "hidden")) << line;
  EXPECT_TRUE(Has(line, "<span class=\"auto-end-left\">0:25</span>")) << line;
}

TEST(MonitoringView, NothingRunningAndTheEmptyCardTemplate) {
  MonitoringData d;
  d.now_ms = kNow;
  const std::string html = Render(d);
  EXPECT_EQ(StatValue(html, "active-streams"), "0");
  EXPECT_EQ(StatValue(html, "uptime"), "—");  // no streamer
  EXPECT_FALSE(Has(html, "id=\"no-streams\" hidden")) << html;
  EXPECT_FALSE(Has(html, "id=\"no-streamers\" hidden")) << html;
  EXPECT_EQ(Count(Cards(html), "stream-card\""), 0);
  // The template the script clones: one empty card, idle, no countdown.
  const std::string t = Template(html);
  EXPECT_EQ(Count(t, "<li class=\"card stream-card\""), 1) << t;
  EXPECT_TRUE(Has(t, "data-stream-id=\"\"")) << t;
  EXPECT_TRUE(Has(t, "class=\"now idle\"")) << t;
  EXPECT_TRUE(Has(t, "Nothing is playing")) << t;
  EXPECT_TRUE(Has(t, " hidden>Ends in")) << t;
  // The event log is the script's, with its type filter.
  EXPECT_TRUE(Has(html, "<ol class=\"event-log\" id=\"event-log\" reversed></ol>")) << html;
  EXPECT_TRUE(Has(html, "<option value=\"queue_update\">queue_update</option>")) << html;
}

TEST(MonitoringView, TitlesAndTrackTextAreEscaped) {
  MonitoringData d;
  d.now_ms = kNow;
  MonitoredStream m = Playing(5, kXss);
  m.live.now_item = std::string(R"({"id":"1","track":{"title":")") +
                    "<img src=x onerror=alert(1)>" + R"(","duration_ms":1000}})";
  m.queue.rows[0].title = kXss;
  common::StreamerFigures h;
  h.id = "x";
  h.host = "<script>alert(1)</script>";
  d.station.streamers = {h};
  d.streams = {m};
  const std::string html = Render(d);
  ExpectNoRawPayload(html);
  EXPECT_TRUE(Has(html, "&lt;script&gt;alert(1)&lt;/script&gt;")) << html;
}

TEST(MonitoringView, Helpers) {
  EXPECT_EQ(PercentText(std::nullopt), "\u2014");
  EXPECT_EQ(PercentText(7.25), "7.3 %");
  EXPECT_EQ(PercentText(100), "100 %");
  EXPECT_EQ(UptimeText(std::nullopt), "\u2014");
  EXPECT_EQ(UptimeText(3), "3 s");
  EXPECT_EQ(UptimeText(125), "2 min");
  EXPECT_EQ(UptimeText(7200), "2 h");
  EXPECT_EQ(UptimeText(93600), "1 d 2 h");
  EXPECT_EQ(BytesText(std::nullopt), "\u2014");
  EXPECT_EQ(BytesText(0), "\u2014");
  EXPECT_EQ(BytesText(512), "512 B");
  EXPECT_EQ(BytesText(1536), "1.5 KiB");
  EXPECT_EQ(BytesText(int64_t{3} * 1024 * 1024 * 1024), "3 GiB");
  EXPECT_EQ(CountdownClass(300), "");
  EXPECT_EQ(CountdownClass(61), "");
  EXPECT_EQ(CountdownClass(60), "warn-60");
  EXPECT_EQ(CountdownClass(31), "warn-60");
  EXPECT_EQ(CountdownClass(30), "warn-30");
  EXPECT_EQ(CountdownClass(11), "warn-30");
  EXPECT_EQ(CountdownClass(10), "warn-10");
  EXPECT_EQ(CountdownClass(0), "warn-10");
}

TEST(MonitoringView, SparklineFromMinuteSamples) {
  const int64_t since = SparklineSince(kNow);
  EXPECT_EQ(since % 60000, 0);
  EXPECT_EQ(kNow - since, 59 * 60000 + kNow % 60000);
  std::vector<ListenerBucket> samples = {
      {since - 60000, 99, 0},        // before the window: ignored
      {since, 2, 0},                 // the first minute
      {since + 30 * 60000, 8, 0},    // the busiest
      {since + 59 * 60000, 1, 0}};   // the current minute, partly written
  Sparkline s = BuildSparkline(samples, 3, kNow);
  ASSERT_EQ(s.values.size(), 60u);
  EXPECT_EQ(s.values[0], 2);
  EXPECT_EQ(s.values[30], 8);
  EXPECT_EQ(s.values[59], 3);  // the listeners now outnumber the partial sample
  EXPECT_EQ(s.values[1], 0);
  EXPECT_EQ(s.peak, 8);
  EXPECT_EQ(s.last_minute_ms, since + 59 * 60000);
  // 60 points from x=1 to x=119; the peak touches the top (y=2), zero sits at the bottom (26).
  EXPECT_EQ(Count(s.points, ","), 60);
  EXPECT_EQ(s.points.substr(0, s.points.find(' ')), "1,20");  // 2 of 8: y = 26 - 24 * 2 / 8
  EXPECT_TRUE(Has(s.points, "61,2")) << s.points;              // x of minute 30 = 1 + 30 * 2
  EXPECT_EQ(s.points.substr(s.points.rfind(' ') + 1), "119,17");
  // Nothing at all: a flat line at the bottom, scaled to at least 1.
  Sparkline flat = BuildSparkline({}, 0, kNow);
  EXPECT_EQ(flat.peak, 0);
  EXPECT_EQ(flat.points.substr(0, flat.points.find(' ')), "1,26");
}

}  // namespace
}  // namespace sattva::fcgi
