#pragma once
// Server-side charts as inline SVG (no JavaScript): listeners over the last 24 hours and tracks
// played per hour, from the per-minute listener samples the streamer writes
// (fcgi/stats.h). The SVG is drawn by templates/partials/chart.tpl from numbers only, so it is
// autoescaped like every other page.

#include <cstdint>
#include <optional>
#include <string>

#include <ctemplate/template.h>

#include "fcgi/context.h"

namespace sattva::fcgi {

// Adds the include dictionary `include_name` with the listeners chart over the last 24 hours:
// all streams when `stream_id` is unset, else that stream.
void FillListenerChart(RequestContext& ctx, ctemplate::TemplateDictionary* d,
                       std::optional<int64_t> stream_id,
                       const std::string& include_name = "LISTENER_CHART");

}  // namespace sattva::fcgi
