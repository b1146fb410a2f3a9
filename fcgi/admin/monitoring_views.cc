#include "fcgi/admin/monitoring_views.h"

#include <algorithm>
#include <cmath>

#include "common/json.h"
#include "fcgi/admin/charts.h"
#include "fcgi/admin/streams_views.h"
#include "fcgi/admin/views.h"

namespace sattva::fcgi {
namespace {

using ctemplate::TemplateDictionary;

constexpr int64_t kMinuteMs = 60 * 1000;
const char kNone[] = "\u2014";

std::string N(int64_t n) { return std::to_string(n); }

int64_t FloorMinute(int64_t ms) { return ms - ((ms % kMinuteMs) + kMinuteMs) % kMinuteMs; }

// The now-playing item of a running stream, from the item JSON the streamer wrote.
struct NowItem {
  bool playing = false;
  std::string item_id;
  std::string title;
  std::string artist;
  int64_t duration_ms = 0;  // 0 when unknown
  bool looping = false;     // the placeholder starts over at its end
  int64_t position_ms = 0;  // where it is at the page's time
};

NowItem NowItemOf(const StreamLive& live, int64_t now_ms) {
  NowItem n;
  if (live.now_item.empty()) return n;
  Json::Value item;
  std::string err;
  if (!common::ParseJson(live.now_item, &item, &err) || !item.isObject()) return n;
  n.playing = true;
  if (item["id"].isString()) n.item_id = item["id"].asString();
  if (item["id"].isIntegral()) n.item_id = N(item["id"].asInt64());
  const Json::Value& t = item["track"];
  if (t.isObject()) {
    if (t["title"].isString()) n.title = t["title"].asString();
    if (t["artist"].isString()) n.artist = t["artist"].asString();
    if (t["duration_ms"].isIntegral()) n.duration_ms = t["duration_ms"].asInt64();
  }
  n.looping = (item["placeholder"].isBool() && item["placeholder"].asBool()) ||
              (t.isObject() && t["placeholder"].isBool() && t["placeholder"].asBool());
  n.position_ms = PlaybackPositionMs(live, n.duration_ms, n.looping, now_ms);
  return n;
}

void AddStat(TemplateDictionary* d, const std::string& key, const std::string& label,
             const std::string& value, const std::string& hint) {
  TemplateDictionary* s = d->AddSectionDictionary("STAT");
  s->SetValue("KEY", key);
  s->SetValue("LABEL", label);
  s->SetValue("VALUE", value);
  s->SetValue("HINT", hint);
}

// One card's dictionary (templates/monitoring/card.tpl). `s` is null for the empty card the
// script clones for streams that start later.
void FillCard(TemplateDictionary* c, const MonitoredStream* s, int64_t now_ms) {
  if (s == nullptr) {
    c->SetValue("STATE", "running");
    c->SetValue("NOW_TITLE", "Nothing is playing");
    c->SetValue("NOW_POSITION", "0:00");
    c->SetValue("NOW_DURATION", "--:--");
    c->SetValue("MAX", "1");
    c->SetValue("VALUE", "0");
    c->SetValue("IDLE", "idle");
    for (const char* k : {"LISTENERS", "LISTENERS_LIVE", "LISTENERS_BRIDGE", "QUEUE_LENGTH"}) {
      c->SetValue(k, "0");
    }
    c->ShowSection("AUTO_END_HIDDEN");
    const Sparkline sp = BuildSparkline({}, 0, now_ms);
    c->SetValue("SPARK_POINTS", sp.points);
    c->SetValue("SPARK_VALUES", "");
    c->SetValue("SPARK_MINUTE", "0");
    c->SetValue("SPARK_LABEL", "Listeners, last hour");
    c->SetIntValue("SPARK_W", kSparklineWidth);
    c->SetIntValue("SPARK_H", kSparklineHeight);
    return;
  }
  const Stream& st = s->stream;
  const StreamLive& live = s->live;
  c->SetValue("ID", N(st.id));
  c->SetValue("SLUG", st.slug);
  c->SetValue("TITLE", st.title);
  // Desired running: "starting" until a streamer has it (it plays on no host yet).
  c->SetValue("STATE", live.state == "running" ? "running" : "starting");
  const NowItem now = NowItemOf(live, now_ms);
  c->SetValue("ITEM_ID", now.item_id);
  c->SetValue("NOW_TITLE", now.playing ? (now.title.empty() ? "Untitled" : now.title)
                                       : "Nothing is playing");
  c->SetValue("NOW_ARTIST", now.artist.empty() ? "" : "\u2014 " + now.artist);
  if (!now.playing) c->SetValue("IDLE", "idle");
  if (now.looping) c->ShowSection("LOOPING");
  c->SetValue("POSITION_MS", N(now.position_ms));
  c->SetValue("DURATION_MS", N(now.duration_ms));
  c->SetValue("POSITION_AT_MS", N(now_ms));
  c->SetValue("NOW_POSITION", ClockText(now.position_ms / 1000));
  c->SetValue("NOW_DURATION", now.duration_ms > 0 ? ClockText((now.duration_ms + 999) / 1000)
                                                  : "--:--");
  c->SetValue("MAX", now.duration_ms > 0 ? N(now.duration_ms) : "1");
  c->SetValue("VALUE", now.duration_ms > 0 ? N(std::min(now.position_ms, now.duration_ms)) : "0");
  c->SetValue("LISTENERS", N(live.listeners));
  c->SetValue("LISTENERS_LIVE", N(live.listeners_live));
  c->SetValue("LISTENERS_BRIDGE", N(live.listeners_bridge));
  c->SetValue("QUEUE_LENGTH", N(s->queue.length));
  c->SetValue("QUEUE_VERSION", N(s->queue.version));
  int64_t shown = 0;
  for (const QueueRow& r : s->queue.rows) {
    if (shown++ == kMonitoringQueueHead) break;
    TemplateDictionary* h = c->AddSectionDictionary("HEAD");
    h->SetValue("ITEM_ID", r.id);
    h->SetValue("TITLE", r.title.empty() ? "Untitled" : r.title);
    if (!r.artist.empty()) h->AddSectionDictionary("ARTIST")->SetValue("TEXT", r.artist);
  }
  const AutoEndView a = AutoEndOf(st, live, now_ms);
  if (a.armed) {
    c->SetValue("DEADLINE_MS", N(a.deadline_ms));
    c->SetValue("AUTO_END_TEXT", ClockText(a.seconds_remaining));
    c->SetValue("AUTO_END_CLASS", CountdownClass(a.seconds_remaining));
  } else {
    c->ShowSection("AUTO_END_HIDDEN");
    c->SetValue("AUTO_END_TEXT", "0:00");
  }
  const Sparkline sp = BuildSparkline(s->samples, live.listeners, now_ms);
  std::string values;
  for (int64_t v : sp.values) {
    if (!values.empty()) values += ',';
    values += N(v);
  }
  c->SetValue("SPARK_POINTS", sp.points);
  c->SetValue("SPARK_VALUES", values);
  c->SetValue("SPARK_MINUTE", N(sp.last_minute_ms));
  c->SetValue("SPARK_LABEL", "Listeners, last hour: at most " + N(sp.peak) + " at once");
  c->SetIntValue("SPARK_W", kSparklineWidth);
  c->SetIntValue("SPARK_H", kSparklineHeight);
}

}  // namespace

// --- pure helpers ----------------------------------------------------------------------------

std::string PercentText(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return kNone;
  return charts::Num(*v) + " %";
}

std::string UptimeText(std::optional<int64_t> seconds) {
  if (!seconds || *seconds < 0) return kNone;
  const int64_t s = *seconds;
  if (s < 60) return N(s) + " s";
  if (s < 3600) return N(s / 60) + " min";
  if (s < 86400) {
    const int64_t m = (s / 60) % 60;
    return N(s / 3600) + " h" + (m > 0 ? " " + N(m) + " min" : "");
  }
  const int64_t h = (s / 3600) % 24;
  return N(s / 86400) + " d" + (h > 0 ? " " + N(h) + " h" : "");
}

std::string BytesText(std::optional<int64_t> bytes) {
  if (!bytes || *bytes <= 0) return kNone;
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(*bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return (u == 0 ? N(*bytes) : charts::Num(v)) + " " + kUnits[u];
}

std::string CountdownClass(int64_t seconds) {
  if (seconds <= 10) return "warn-10";
  if (seconds <= 30) return "warn-30";
  if (seconds <= 60) return "warn-60";
  return "";
}

int64_t SparklineSince(int64_t now_ms) {
  return FloorMinute(now_ms) - (kSparklineMinutes - 1) * kMinuteMs;
}

std::string SparklinePoints(const std::vector<int64_t>& values) {
  int64_t top = 1;
  for (int64_t v : values) top = std::max(top, v);
  const double w = kSparklineWidth, h = kSparklineHeight;
  const double step = values.size() > 1 ? (w - 2) / static_cast<double>(values.size() - 1) : 0;
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ' ';
    const double x = 1 + step * static_cast<double>(i);
    const double y = h - 2 - (h - 4) * static_cast<double>(std::max<int64_t>(values[i], 0)) /
                                 static_cast<double>(top);
    out += charts::Num(x) + "," + charts::Num(y);
  }
  return out;
}

Sparkline BuildSparkline(const std::vector<ListenerBucket>& samples, int64_t listeners_now,
                         int64_t now_ms) {
  Sparkline s;
  const int64_t since = SparklineSince(now_ms);
  s.values.assign(kSparklineMinutes, 0);
  for (const ListenerBucket& b : samples) {
    if (b.start_ms < since) continue;
    const int64_t i = (b.start_ms - since) / kMinuteMs;
    if (i >= kSparklineMinutes) continue;
    s.values[i] = std::max(s.values[i], b.peak);
  }
  s.values.back() = std::max(s.values.back(), listeners_now);
  s.last_minute_ms = since + (kSparklineMinutes - 1) * kMinuteMs;
  s.peak = *std::max_element(s.values.begin(), s.values.end());
  s.points = SparklinePoints(s.values);
  return s;
}

void FillMonitoring(TemplateDictionary* d, const Principal& viewer, const MonitoringData& data) {
  (void)viewer;  // every signed-in role sees the same page (streams.view)
  d->SetValue("NOW_MS", N(data.now_ms));
  const common::StationStats& st = data.station;
  AddStat(d, "active-streams", "Active streams", N(st.active_streams), "running now");
  AddStat(d, "total-listeners", "Listeners", N(st.total_listeners), "on every running stream");
  AddStat(d, "queue-items", "Queued items", N(st.queue_items), "across all streams");
  AddStat(d, "events-per-second", "Events per second", kNone, "while the page is live");
  AddStat(d, "cpu", "CPU", PercentText(st.cpu_percent), "streamer hosts, busy");
  AddStat(d, "memory", "Memory", PercentText(st.memory_percent), "streamer hosts, used");
  AddStat(d, "uptime", "Uptime",
          st.streamers.empty() ? std::string(kNone) : UptimeText(st.uptime_seconds),
          "the oldest streamer");
  for (const common::StreamerFigures& h : st.streamers) {
    TemplateDictionary* r = d->AddSectionDictionary("STREAMER");
    r->SetValue("ID", h.id);
    r->SetValue("HOST", h.host.empty() ? h.id : h.host);
    r->SetValue("PID", h.pid > 0 ? N(h.pid) : kNone);
    r->SetValue("CPU", PercentText(h.cpu_percent));
    r->SetValue("MEMORY", PercentText(h.memory_percent));
    r->SetValue("RSS", BytesText(h.rss_bytes));
    r->SetValue("UPTIME", UptimeText(h.uptime_seconds));
    r->SetValue("STREAMS", N(h.streams));
  }
  if (!st.streamers.empty()) d->ShowSection("NO_STREAMERS_HIDDEN");
  if (!data.streams.empty()) d->ShowSection("NO_STREAMS_HIDDEN");
  for (const MonitoredStream& s : data.streams) {
    TemplateDictionary* c = d->AddIncludeDictionary("CARD");
    c->SetFilename("monitoring/card.tpl");
    FillCard(c, &s, data.now_ms);
  }
  TemplateDictionary* t = d->AddIncludeDictionary("CARD_TEMPLATE");
  t->SetFilename("monitoring/card.tpl");
  FillCard(t, nullptr, data.now_ms);
  static const char* kTypes[] = {"stream_update", "queue_update", "listeners_update",
                                 "auto_end_warning", "auto_end_cancelled", "error"};
  for (const char* type : kTypes) d->AddSectionDictionary("EVENT_TYPE")->SetValue("TYPE", type);
}

}  // namespace sattva::fcgi
