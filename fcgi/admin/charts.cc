#include "fcgi/admin/charts.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace sattva::fcgi {
namespace charts {
namespace {

using ctemplate::TemplateDictionary;

constexpr int kListenerBuckets = static_cast<int>(kDayMs / kListenerBucketMs);
constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kTickEveryMs = 3 * kHourMs;

double PlotWidth() { return kWidth - kLeft - kRight; }
double PlotHeight() { return kHeight - kTop - kBottom; }
double PlotBottom() { return kHeight - kBottom; }

int64_t FloorTo(int64_t ms, int64_t unit) { return ms - ((ms % unit) + unit) % unit; }

std::string Plural(int64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void AddGridAndTicks(ChartView* v, double top, double step, int64_t since_ms, int64_t until_ms) {
  for (int i = 0; i * step <= top + 1e-9; ++i) {
    v->grid.push_back({YAt(i * step, top), Num(i * step)});
  }
  for (int64_t t = FloorTo(since_ms + kTickEveryMs - 1, kTickEveryMs); t <= until_ms;
       t += kTickEveryMs) {
    v->xticks.push_back({XAt(t, since_ms, until_ms), HourMinute(t)});
  }
}

}  // namespace

double NiceTop(double max, double* step) {
  if (!(max > 0)) max = 0;
  double s = 1;
  if (max > 5) {
    const double magnitude = std::pow(10.0, std::floor(std::log10(max / 5)));
    s = magnitude;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
      if (max / (m * magnitude) <= 5 + 1e-9) {
        s = m * magnitude;
        break;
      }
    }
  }
  if (step != nullptr) *step = s;
  return std::max(1.0, std::ceil(max / s - 1e-9) * s);
}

double XAt(int64_t t_ms, int64_t since_ms, int64_t until_ms) {
  if (until_ms <= since_ms) return kLeft;
  const double f = static_cast<double>(t_ms - since_ms) / static_cast<double>(until_ms - since_ms);
  return kLeft + PlotWidth() * std::clamp(f, 0.0, 1.0);
}

double YAt(double value, double top) {
  const double f = top > 0 ? std::clamp(value / top, 0.0, 1.0) : 0.0;
  return kTop + PlotHeight() * (1.0 - f);
}

std::string Num(double v) {
  // One decimal, no trailing ".0", no "-0". Hundreds of these go into every chart, so this is
  // integer arithmetic rather than printf.
  long long tenths = std::llround(v * 10);
  std::string s;
  if (tenths < 0) {
    s += '-';
    tenths = -tenths;
  }
  s += std::to_string(tenths / 10);
  if (tenths % 10 != 0) {
    s += '.';
    s += static_cast<char>('0' + tenths % 10);
  }
  return s;
}

std::string HourMinute(int64_t ms) {
  const time_t secs = static_cast<time_t>(FloorTo(ms, 1000) / 1000);
  struct tm t {};
  gmtime_r(&secs, &t);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", t.tm_hour, t.tm_min);
  return buf;
}

int64_t ListenerChartSince(int64_t now_ms) {
  return FloorTo(now_ms, kListenerBucketMs) - (kListenerBuckets - 1) * kListenerBucketMs;
}

ChartView BuildListenerChart(const std::vector<ListenerBucket>& buckets, int64_t now_ms,
                             const std::string& id, const std::string& title) {
  ChartView v;
  v.id = id;
  v.title = title;
  v.empty = buckets.empty();
  const int64_t since = ListenerChartSince(now_ms);
  const int64_t until = since + kListenerBuckets * kListenerBucketMs;
  // The last bucket has only partly passed: its mean is over the closed minutes in it (at
  // least one, since a stopped stream writes its partial minute at once).
  const int64_t last_start = until - kListenerBucketMs;
  const int64_t last_span =
      std::clamp<int64_t>(FloorTo(now_ms, 60000) - last_start, 60000, kListenerBucketMs);
  std::vector<double> mean(kListenerBuckets, 0.0);
  std::vector<int64_t> peak(kListenerBuckets, 0);
  std::vector<bool> has(kListenerBuckets, false);
  int64_t total_ms = 0;
  for (const ListenerBucket& b : buckets) {
    const int64_t i = (b.start_ms - since) / kListenerBucketMs;
    if (b.start_ms < since || i >= kListenerBuckets) continue;
    const int64_t span = i == kListenerBuckets - 1 ? last_span : kListenerBucketMs;
    mean[i] = static_cast<double>(b.listener_ms) / static_cast<double>(span);
    peak[i] = b.peak;
    has[i] = true;
    total_ms += b.listener_ms;
  }
  const int64_t max_i =
      std::max_element(peak.begin(), peak.end()) - peak.begin();  // the first busiest bucket
  double step = 1;
  const double top = NiceTop(static_cast<double>(peak[max_i]), &step);
  AddGridAndTicks(&v, top, step, since, until);
  std::string mean_points, peak_points;
  for (int i = 0; i < kListenerBuckets; ++i) {
    const double x = XAt(since + i * kListenerBucketMs + kListenerBucketMs / 2, since, until);
    if (i > 0) {
      mean_points += ' ';
      peak_points += ' ';
    }
    mean_points += Num(x) + "," + Num(YAt(mean[i], top));
    peak_points += Num(x) + "," + Num(YAt(static_cast<double>(peak[i]), top));
  }
  v.lines.push_back({"series-peak", "Most at once", peak_points, true});
  v.lines.push_back({"series-mean", "Average", mean_points, false});
  if (v.empty) {
    v.summary = "No listener samples yet: the chart fills in as streams play.";
  } else {
    const double day_mean = static_cast<double>(total_ms) /
                            static_cast<double>(kDayMs - kListenerBucketMs + last_span);
    v.summary = "Last 24 hours: at most " + Plural(peak[max_i], "listener", "listeners") +
                " at once (around " + HourMinute(since + max_i * kListenerBucketMs) +
                " UTC), " + Num(day_mean) + " on average.";
  }
  v.table_head = {"Time (UTC)", "Most at once", "Average"};
  for (int i = 0; i < kListenerBuckets; ++i) {
    if (!has[i]) continue;
    const int64_t start = since + i * kListenerBucketMs;
    v.table_rows.push_back({HourMinute(start) + "\u2013" + HourMinute(start + kListenerBucketMs),
                            std::to_string(peak[i]), Num(mean[i])});
  }
  return v;
}

int64_t PlaysChartSince(int64_t now_ms) { return FloorTo(now_ms, kHourMs) - 23 * kHourMs; }

ChartView BuildPlaysChart(const std::vector<PlaysBucket>& hours, int64_t now_ms,
                          const std::string& id, const std::string& title) {
  ChartView v;
  v.id = id;
  v.title = title;
  const int64_t since = PlaysChartSince(now_ms);
  const int64_t until = since + kDayMs;
  std::vector<int64_t> plays(24, 0);
  int64_t total = 0;
  for (const PlaysBucket& h : hours) {
    const int64_t i = (h.start_ms - since) / kHourMs;
    if (h.start_ms < since || i >= 24) continue;
    plays[i] += h.plays;
    total += h.plays;
  }
  v.empty = total == 0;
  const int64_t max_i = std::max_element(plays.begin(), plays.end()) - plays.begin();
  double step = 1;
  const double top = NiceTop(static_cast<double>(plays[max_i]), &step);
  AddGridAndTicks(&v, top, step, since, until);
  const double slot = PlotWidth() / 24;
  for (int i = 0; i < 24; ++i) {
    if (plays[i] == 0) continue;
    const int64_t start = since + i * kHourMs;
    const double y = YAt(static_cast<double>(plays[i]), top);
    ChartView::Bar b;
    b.x = kLeft + i * slot + slot * 0.15;
    b.w = slot * 0.7;
    b.y = y;
    b.h = PlotBottom() - y;
    b.title = HourMinute(start) + "\u2013" + HourMinute(start + kHourMs) + " UTC: " +
              Plural(plays[i], "track", "tracks");
    v.bars.push_back(b);
  }
  if (v.empty) {
    v.summary = "No tracks played in the last 24 hours.";
  } else {
    const int64_t start = since + max_i * kHourMs;
    v.summary = Plural(total, "track", "tracks") + " played in the last 24 hours; the busiest hour was " +
                HourMinute(start) + "\u2013" + HourMinute(start + kHourMs) + " UTC with " +
                std::to_string(plays[max_i]) + ".";
  }
  v.table_head = {"Hour (UTC)", "Tracks"};
  for (int i = 0; i < 24; ++i) {
    if (plays[i] == 0) continue;
    const int64_t start = since + i * kHourMs;
    v.table_rows.push_back({HourMinute(start) + "\u2013" + HourMinute(start + kHourMs),
                            std::to_string(plays[i])});
  }
  return v;
}

void FillChart(TemplateDictionary* d, const ChartView& v) {
  d->SetValue("ID", v.id);
  d->SetValue("TITLE", v.title);
  d->SetValue("SUMMARY", v.summary);
  d->SetIntValue("WIDTH", kWidth);
  d->SetIntValue("HEIGHT", kHeight);
  d->SetValue("X1", Num(kLeft));
  d->SetValue("X2", Num(kWidth - kRight));
  d->SetValue("AXIS_Y", Num(PlotBottom()));
  for (const ChartView::Grid& g : v.grid) {
    TemplateDictionary* t = d->AddSectionDictionary("GRID");
    t->SetValue("Y", Num(g.y));
    t->SetValue("LABEL_X", Num(kLeft - 6));
    t->SetValue("LABEL_Y", Num(g.y + 4));
    t->SetValue("LABEL", g.label);
  }
  for (const ChartView::Tick& x : v.xticks) {
    TemplateDictionary* t = d->AddSectionDictionary("XTICK");
    t->SetValue("X", Num(x.x));
    t->SetValue("Y", Num(kHeight - 8));
    t->SetValue("LABEL", x.label);
  }
  for (const ChartView::Line& l : v.lines) {
    TemplateDictionary* t = d->AddSectionDictionary("LINE");
    t->SetValue("CLASS", l.css_class);
    t->SetValue("POINTS", l.points);
    if (l.dashed) t->ShowSection("DASHED");
  }
  for (const ChartView::Bar& b : v.bars) {
    TemplateDictionary* t = d->AddSectionDictionary("BAR");
    t->SetValue("X", Num(b.x));
    t->SetValue("Y", Num(b.y));
    t->SetValue("W", Num(b.w));
    t->SetValue("H", Num(b.h));
    t->SetValue("TITLE", b.title);
  }
  if (v.empty) {
    TemplateDictionary* e = d->AddSectionDictionary("EMPTY");
    e->SetValue("X", Num(kLeft + PlotWidth() / 2));
    e->SetValue("Y", Num(kTop + PlotHeight() / 2));
  }
  if (!v.lines.empty()) {
    TemplateDictionary* legend = d->AddSectionDictionary("LEGEND");
    for (const ChartView::Line& l : v.lines) {
      TemplateDictionary* t = legend->AddSectionDictionary("ITEM");
      t->SetValue("CLASS", l.css_class);
      t->SetValue("LABEL", l.label);
    }
  }
  if (!v.table_rows.empty()) {
    TemplateDictionary* table = d->AddSectionDictionary("TABLE");
    for (const std::string& h : v.table_head) {
      table->AddSectionDictionary("HEAD")->SetValue("TEXT", h);
    }
    for (const auto& row : v.table_rows) {
      TemplateDictionary* r = table->AddSectionDictionary("ROW");
      for (size_t i = 0; i < row.size(); ++i) {
        TemplateDictionary* c = r->AddSectionDictionary(i == 0 ? "TH" : "TD");
        c->SetValue("TEXT", row[i]);
      }
    }
  }
}

}  // namespace charts

namespace {

std::string IdOf(const std::string& include_name) {
  std::string id;
  for (char c : include_name) {
    id += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return id;
}

ctemplate::TemplateDictionary* ChartInclude(ctemplate::TemplateDictionary* d,
                                            const std::string& include_name) {
  ctemplate::TemplateDictionary* inc = d->AddIncludeDictionary(include_name);
  inc->SetFilename("partials/chart.tpl");
  return inc;
}

}  // namespace

void FillListenerChart(RequestContext& ctx, ctemplate::TemplateDictionary* d,
                       std::optional<int64_t> stream_id, const std::string& include_name) {
  const int64_t now = common::UnixMillis(ctx.env.clock.WallNow());
  std::vector<ListenerBucket> buckets;
  ctx.Read([&](pqxx::transaction_base& tx) {
    buckets = StatsStore::ListenerSeries(tx, stream_id, charts::ListenerChartSince(now),
                                         charts::kListenerBucketMs);
  });
  const charts::ChartView v = charts::BuildListenerChart(
      buckets, now, IdOf(include_name),
      stream_id ? "Listeners, last 24 hours" : "Listeners on all streams, last 24 hours");
  charts::FillChart(ChartInclude(d, include_name), v);
}

void FillPlaysChart(RequestContext& ctx, ctemplate::TemplateDictionary* d,
                    const std::string& include_name) {
  const int64_t now = common::UnixMillis(ctx.env.clock.WallNow());
  std::vector<PlaysBucket> hours;
  ctx.Read([&](pqxx::transaction_base& tx) {
    hours = StatsStore::PlaysPerHour(tx, charts::PlaysChartSince(now));
  });
  const charts::ChartView v =
      charts::BuildPlaysChart(hours, now, IdOf(include_name), "Tracks played per hour, last 24 hours");
  charts::FillChart(ChartInclude(d, include_name), v);
}

}  // namespace sattva::fcgi
