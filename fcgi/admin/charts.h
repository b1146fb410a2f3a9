#pragma once
// Server-side charts as inline SVG (no JavaScript): listeners over the last 24 hours and tracks
// played per hour, from the per-minute listener samples the streamer writes and the play
// history (fcgi/stats.h). The SVG is drawn by templates/partials/chart.tpl from numbers only, so
// it is autoescaped like every other page. Each chart is a <figure> with a caption, an SVG with
// role="img", a <title> and a <desc>, a one-line text summary and the numbers as a table (in a
// <details>). Pages that show one attach /static/css/charts.css (LayoutInfo.styles); without
// it the SVG still draws (presentation attributes, not inline styles).
//
// Build* are pure (unit-tested); Fill*Chart read the data and fill the template.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ctemplate/template.h>

#include "fcgi/context.h"
#include "fcgi/stats.h"

namespace sattva::fcgi {

// Adds the include dictionary `include_name` with the listeners chart over the last 24 hours:
// all streams when `stream_id` is unset, else that stream. One query.
void FillListenerChart(RequestContext& ctx, ctemplate::TemplateDictionary* d,
                       std::optional<int64_t> stream_id,
                       const std::string& include_name = "LISTENER_CHART");

// Adds the include dictionary `include_name` with the tracks played per hour over the last 24
// hours, all streams. One query.
void FillPlaysChart(RequestContext& ctx, ctemplate::TemplateDictionary* d,
                    const std::string& include_name = "PLAYS_CHART");

namespace charts {

constexpr int kWidth = 720;
constexpr int kHeight = 220;
constexpr double kLeft = 44, kRight = 12, kTop = 14, kBottom = 28;  // plot margins
constexpr int64_t kListenerBucketMs = 10 * 60 * 1000;                // 144 points a day
constexpr int64_t kDayMs = 24 * 3600 * 1000;

// What the template draws: coordinates and text only.
struct ChartView {
  std::string id;  // the <figure>'s id; ids of the title and description derive from it
  std::string title;
  std::string summary;  // one sentence, also the SVG's <desc>
  bool empty = false;   // no data at all: the "no data yet" note is drawn
  struct Grid {
    double y;
    std::string label;
  };
  std::vector<Grid> grid;  // horizontal lines with their value
  struct Tick {
    double x;
    std::string label;
  };
  std::vector<Tick> xticks;
  struct Line {
    std::string css_class;  // "series-mean", "series-peak"
    std::string label;      // the legend's text
    std::string points;     // "x,y x,y ..." (numbers only)
    bool dashed = false;
  };
  std::vector<Line> lines;
  struct Bar {
    double x, y, w, h;
    std::string title;  // the bar's tooltip
  };
  std::vector<Bar> bars;
  std::vector<std::string> table_head;
  std::vector<std::vector<std::string>> table_rows;
};

// The top of the value axis for data up to `max`: the smallest 1, 2 or 5 x 10^k step count
// (at most 5 steps) that reaches it; at least 1. *step gets the step.
double NiceTop(double max, double* step);
// x of the moment `t_ms` in [since_ms, until_ms] across the plot area, and y of `value` in
// [0, top].
double XAt(int64_t t_ms, int64_t since_ms, int64_t until_ms);
double YAt(double value, double top);
// "12.5" style: at most one decimal, no trailing ".0".
std::string Num(double v);
// "14:20" (UTC) of Unix ms.
std::string HourMinute(int64_t ms);

// The listeners chart: buckets of kListenerBucketMs over the day that ends with the bucket
// holding `now_ms`. `buckets` holds only those with samples (others are 0). The last bucket's
// mean is over the part of it that has passed.
ChartView BuildListenerChart(const std::vector<ListenerBucket>& buckets, int64_t now_ms,
                             const std::string& id, const std::string& title);
// The first bucket of that chart (the `since` to query from).
int64_t ListenerChartSince(int64_t now_ms);
// Tracks per hour over the 24 hours ending with the hour holding `now_ms`.
ChartView BuildPlaysChart(const std::vector<PlaysBucket>& hours, int64_t now_ms,
                          const std::string& id, const std::string& title);
int64_t PlaysChartSince(int64_t now_ms);

// Fills a chart.tpl dictionary.
void FillChart(ctemplate::TemplateDictionary* d, const ChartView& v);

}  // namespace charts
}  // namespace sattva::fcgi
