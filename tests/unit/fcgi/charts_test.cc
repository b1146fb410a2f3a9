// The charts' pure geometry (fcgi/admin/charts.h) and their SVG from templates/partials/chart.tpl.
#include <gtest/gtest.h>

#include <regex>

#include "fcgi/admin/charts.h"
#include "fcgi/templates.h"
#include "tests/unit/fcgi/panel_test_support.h"

namespace sattva::fcgi::charts {
namespace {

using namespace ::sattva::fcgi::paneltest;

// 2026-01-01T12:34:56Z
constexpr int64_t kNow = 1767270896000;
constexpr int64_t kHour = 3600 * 1000;

std::string Render(const ChartView& v) {
  ctemplate::TemplateDictionary root("t");
  ctemplate::TemplateDictionary* inc = root.AddIncludeDictionary("C");
  inc->SetFilename("partials/chart.tpl");
  FillChart(inc, v);
  // A one-line wrapper template that includes the chart, as a page does.
  return RenderTemplate(Dir(), "partials/chart.tpl", *inc);
}

// Every element opened in the SVG is closed (or self-closed), in order.
bool SvgWellFormed(const std::string& html) {
  const size_t a = html.find("<svg"), b = html.find("</svg>");
  if (a == std::string::npos || b == std::string::npos) return false;
  const std::string svg = html.substr(a, b + 6 - a);
  std::vector<std::string> stack;
  std::regex tag(R"(<(/?)([a-zA-Z]+)[^>]*?(/?)>)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator();
       ++it) {
    const std::string close = (*it)[1], name = (*it)[2], self = (*it)[3];
    if (!self.empty()) continue;
    if (close.empty()) {
      stack.push_back(name);
    } else {
      if (stack.empty() || stack.back() != name) return false;
      stack.pop_back();
    }
  }
  return stack.empty();
}

TEST(ChartGeometryTest, NiceTopPicksRoundSteps) {
  double step = 0;
  EXPECT_EQ(NiceTop(0, &step), 1);
  EXPECT_EQ(step, 1);
  EXPECT_EQ(NiceTop(3, &step), 3);
  EXPECT_EQ(step, 1);
  EXPECT_EQ(NiceTop(5, &step), 5);
  EXPECT_EQ(NiceTop(7, &step), 8);
  EXPECT_EQ(step, 2);
  EXPECT_EQ(NiceTop(12, &step), 15);
  EXPECT_EQ(step, 5);
  EXPECT_EQ(NiceTop(48, &step), 50);
  EXPECT_EQ(step, 10);
  EXPECT_EQ(NiceTop(101, &step), 150);
  EXPECT_EQ(step, 50);
  EXPECT_EQ(NiceTop(-4, &step), 1);
  EXPECT_EQ(NiceTop(0.4, &step), 1);
  for (double m : {1.0, 6.0, 9.5, 33.0, 999.0, 12345.0}) {
    const double top = NiceTop(m, &step);
    EXPECT_GE(top, m);
    EXPECT_LE(top / step, 5.0 + 1e-9) << m;
  }
}

TEST(ChartGeometryTest, AxesMapIntoThePlotArea) {
  EXPECT_DOUBLE_EQ(XAt(0, 0, 100), kLeft);
  EXPECT_DOUBLE_EQ(XAt(100, 0, 100), kWidth - kRight);
  EXPECT_DOUBLE_EQ(XAt(50, 0, 100), kLeft + (kWidth - kLeft - kRight) / 2);
  EXPECT_DOUBLE_EQ(XAt(-5, 0, 100), kLeft);  // clamped
  EXPECT_DOUBLE_EQ(YAt(0, 10), kHeight - kBottom);
  EXPECT_DOUBLE_EQ(YAt(10, 10), kTop);
  EXPECT_DOUBLE_EQ(YAt(20, 10), kTop);  // clamped
  EXPECT_EQ(Num(12.0), "12");
  EXPECT_EQ(Num(12.25), "12.3");  // halves round away from zero
  EXPECT_EQ(Num(12.24), "12.2");
  EXPECT_EQ(Num(-0.01), "0");
  EXPECT_EQ(Num(-3.05), "-3.1");
  EXPECT_EQ(Num(1234567.89), "1234567.9");
  EXPECT_EQ(HourMinute(kNow), "12:34");
}

TEST(ChartGeometryTest, ListenerChartPlacesBucketsAndSummarises) {
  const int64_t since = ListenerChartSince(kNow);
  EXPECT_EQ(since % kListenerBucketMs, 0);
  EXPECT_EQ(kNow - since, 23 * kHour + 50 * 60000 + 4 * 60000 + 56000);  // 143 buckets + 4:56
  // 3 listeners all through the bucket 12:00-12:10, peak 5.
  const int64_t b = since + 24 * 6 * kListenerBucketMs - 4 * kListenerBucketMs;  // 12:00
  EXPECT_EQ(HourMinute(b), "12:00");
  ChartView v = BuildListenerChart({{b, 5, 3 * kListenerBucketMs}}, kNow, "lc", "Listeners");
  EXPECT_FALSE(v.empty);
  ASSERT_EQ(v.lines.size(), 2u);
  EXPECT_EQ(Count(v.lines[0].points, ","), 144);
  EXPECT_EQ(Count(v.lines[1].points, ","), 144);
  // The mean line reaches y(3) at that bucket's centre; the top is 5.
  const std::string at = Num(XAt(b + kListenerBucketMs / 2, since, since + kDayMs)) + "," +
                         Num(YAt(3, 5));
  EXPECT_NE(v.lines[1].points.find(at), std::string::npos) << at;
  ASSERT_FALSE(v.grid.empty());
  EXPECT_EQ(v.grid.back().label, "5");
  EXPECT_EQ(v.grid.front().label, "0");
  EXPECT_NE(v.summary.find("at most 5 listeners"), std::string::npos) << v.summary;
  EXPECT_NE(v.summary.find("12:00 UTC"), std::string::npos) << v.summary;
  ASSERT_EQ(v.table_rows.size(), 1u);
  EXPECT_EQ(v.table_rows[0][0], "12:00\u201312:10");
  EXPECT_EQ(v.table_rows[0][1], "5");
  EXPECT_EQ(v.table_rows[0][2], "3");
  // Ticks every three hours, inside the plot.
  ASSERT_GE(v.xticks.size(), 7u);
  for (const auto& t : v.xticks) {
    EXPECT_GE(t.x, kLeft);
    EXPECT_LE(t.x, kWidth - kRight);
    EXPECT_EQ(t.label.substr(2), ":00");
  }
}

TEST(ChartGeometryTest, TheCurrentBucketsMeanIsOverWhatHasPassed) {
  // 12:30-12:40 holds 12:34:56: four closed minutes. 2 listeners through them.
  const int64_t last = ListenerChartSince(kNow) + 143 * kListenerBucketMs;
  ChartView v = BuildListenerChart({{last, 2, 2 * 4 * 60000}}, kNow, "lc", "L");
  ASSERT_EQ(v.table_rows.size(), 1u);
  EXPECT_EQ(v.table_rows[0][2], "2");
  // Outside the window: ignored.
  ChartView old = BuildListenerChart({{last - kDayMs, 9, 1}}, kNow, "lc", "L");
  EXPECT_TRUE(old.table_rows.empty());
}

TEST(ChartGeometryTest, EmptyChartsSayNoDataYet) {
  ChartView l = BuildListenerChart({}, kNow, "lc", "Listeners");
  EXPECT_TRUE(l.empty);
  EXPECT_NE(l.summary.find("No listener samples yet"), std::string::npos);
  ChartView p = BuildPlaysChart({}, kNow, "pc", "Plays");
  EXPECT_TRUE(p.empty);
  EXPECT_TRUE(p.bars.empty());
  const std::string html = Render(p);
  EXPECT_NE(html.find("No data yet"), std::string::npos);
  EXPECT_EQ(html.find("<details"), std::string::npos) << "no empty table";
  EXPECT_TRUE(SvgWellFormed(html)) << html;
}

TEST(ChartGeometryTest, PlaysChartHasOneBarPerBusyHour) {
  const int64_t since = PlaysChartSince(kNow);
  EXPECT_EQ(HourMinute(since), "13:00");  // yesterday 13:00 .. today 12:59
  ChartView v = BuildPlaysChart({{since, 2}, {since + 23 * kHour, 8}, {since - kHour, 50}}, kNow,
                                "pc", "Plays");
  ASSERT_EQ(v.bars.size(), 2u);
  const double slot = (kWidth - kLeft - kRight) / 24;
  EXPECT_NEAR(v.bars[0].x, kLeft + slot * 0.15, 1e-9);
  EXPECT_NEAR(v.bars[1].x, kLeft + 23 * slot + slot * 0.15, 1e-9);
  // 8 plays reach the top (8 on a 2-step axis); 2 plays a quarter of the height.
  EXPECT_DOUBLE_EQ(v.bars[1].y, kTop);
  EXPECT_NEAR(v.bars[0].h, (kHeight - kTop - kBottom) / 4, 1e-9);
  EXPECT_EQ(v.bars[1].title, "12:00\u201313:00 UTC: 8 tracks");
  EXPECT_NE(v.summary.find("10 tracks played"), std::string::npos) << v.summary;
  EXPECT_NE(v.summary.find("12:00\u201313:00 UTC with 8"), std::string::npos) << v.summary;
}

TEST(ChartRenderTest, SvgIsAccessibleWellFormedAndEscaped) {
  ChartView v = BuildPlaysChart({{PlaysChartSince(kNow), 3}}, kNow, "plays-chart",
                                "<b>Plays</b> & \"more\"");
  const std::string html = Render(v);
  EXPECT_TRUE(SvgWellFormed(html)) << html;
  EXPECT_NE(html.find("role=\"img\""), std::string::npos);
  EXPECT_NE(html.find("aria-labelledby=\"plays-chart-svg-title plays-chart-svg-desc\""),
            std::string::npos);
  EXPECT_NE(html.find("<title id=\"plays-chart-svg-title\">&lt;b&gt;Plays&lt;/b&gt; &amp; "
                      "&quot;more&quot;</title>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(Count(html, "<rect class=\"chart-bar\""), 1);
  EXPECT_NE(html.find("<p class=\"chart-summary\">3 tracks played"), std::string::npos);
  EXPECT_NE(html.find("<details class=\"chart-table\">"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);  // CSP: no inline styles
  EXPECT_EQ(html.find("<script"), std::string::npos);

  ChartView l = BuildListenerChart({{ListenerChartSince(kNow), 1, 60000}}, kNow, "lc", "L");
  const std::string lh = Render(l);
  EXPECT_TRUE(SvgWellFormed(lh)) << lh;
  EXPECT_EQ(Count(lh, "<polyline"), 2);
  EXPECT_NE(lh.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(lh.find("<ul class=\"chart-legend\">"), std::string::npos);
  EXPECT_EQ(lh.find("No data yet"), std::string::npos);
}

}  // namespace
}  // namespace sattva::fcgi::charts
