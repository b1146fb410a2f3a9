#pragma once
// The stream page's "Sessions" and "Play history" sections (fcgi/admin/streams.cc calls this;
// fcgi/admin/history_section.cc implements it over fcgi/history.h).
//
// Reads the page's own query parameters: history_page, history_since, history_until (dates,
// YYYY-MM-DD), history_status (finished|skipped|error|stopped), sessions_page. Throws
// HttpError 422 for a bad one. Adds the include dictionary `include_name` (templates
// history/section.tpl) to `d`, with links that keep the page's other parameters and an export
// link (/admin/streams/{id}/history/export.csv|json with the same filters).

#include <cstdint>
#include <string>

#include <ctemplate/template.h>

#include "fcgi/admin/list.h"
#include "fcgi/context.h"

namespace sattva::fcgi {

void FillStreamHistorySections(RequestContext& ctx, ctemplate::TemplateDictionary* d,
                               int64_t stream_id, const Query& query,
                               const std::string& include_name = "HISTORY");

}  // namespace sattva::fcgi
