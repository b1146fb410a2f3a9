#pragma once
// The live monitoring page's view (/admin/monitoring): data in, HTML dictionary out
// (templates/monitoring/*.tpl), no I/O. fcgi/admin/monitoring.cc reads PostgreSQL and Redis
// and calls FillMonitoring; static/js/monitoring.js then keeps the page live over /ws/stats,
// drawing new cards from the <template> this view renders, so a card has one markup for both.
// The element ids and classes are a contract with the script and the browser tests
// (docs/admin.md, "Monitoring"). Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ctemplate/template.h>

#include "common/station_stats.h"
#include "fcgi/context.h"
#include "fcgi/queue.h"
#include "fcgi/stats.h"
#include "fcgi/streams.h"

namespace sattva::fcgi {

// How many queue items a card lists (the snapshot's and queue_update's `head`).
inline constexpr int64_t kMonitoringQueueHead = 3;
// The sparkline: listeners per minute over the last hour, the current minute last.
inline constexpr int kSparklineMinutes = 60;
inline constexpr int kSparklineWidth = 120;
inline constexpr int kSparklineHeight = 28;

struct MonitoredStream {
  Stream stream;
  StreamLive live;
  QueueSnapshot queue;  // as rows: the first kMonitoringQueueHead items, and the length
  // Listener samples since SparklineSince(now), one bucket per minute (only minutes with one).
  std::vector<ListenerBucket> samples;
};

struct MonitoringData {
  int64_t now_ms = 0;
  // The system card: the same figures (and streamer heartbeats) as wsd's `stats` message.
  common::StationStats station;
  std::vector<MonitoredStream> streams;  // the running ones (desired state), by title
};

// --- pure helpers (unit-tested) ------------------------------------------------------------

// "—" when unset; "12.5 %" otherwise (one decimal at most).
std::string PercentText(std::optional<double> v);
// 3 -> "3 s", 125 -> "2 min", 7260 -> "2 h 1 min", 93600 -> "1 d 2 h"; "—" when unset.
std::string UptimeText(std::optional<int64_t> seconds);
// 1536 -> "1.5 KiB", 734003200 -> "700 MiB"; "—" when unset or not positive (no process has
// an RSS of 0: the heartbeat did not say).
std::string BytesText(std::optional<int64_t> bytes);
// The countdown's highlight at `seconds` remaining: "warn-10" (<= 10), "warn-30" (<= 30),
// "warn-60" (<= 60), "" above.
std::string CountdownClass(int64_t seconds);

// The first minute of the sparkline that ends with the minute holding `now_ms`.
int64_t SparklineSince(int64_t now_ms);
struct Sparkline {
  std::vector<int64_t> values;  // kSparklineMinutes, oldest first: the most listeners at once
  std::string points;           // the polyline's "x,y ..." (numbers only)
  int64_t last_minute_ms = 0;   // the start of the last (current) minute
  int64_t peak = 0;
};
// From the per-minute samples; the current minute (not yet written by the streamer) is at
// least `listeners_now`.
Sparkline BuildSparkline(const std::vector<ListenerBucket>& samples, int64_t listeners_now,
                         int64_t now_ms);
// The polyline of `values` in a kSparklineWidth x kSparklineHeight box, scaled to their
// largest (at least 1). static/js/monitoring.js draws the same.
std::string SparklinePoints(const std::vector<int64_t>& values);

void FillMonitoring(ctemplate::TemplateDictionary* d, const Principal& viewer,
                    const MonitoringData& data);

}  // namespace sattva::fcgi
