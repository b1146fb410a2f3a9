#pragma once
// The dashboard's view (/admin/): data in, HTML dictionary out, no I/O. The station first
// (streams, listeners, catalog, queues, plays and auto-ends today), then users and roles for
// roles that may see users, then recent activity (audit.view) with links to its targets. The
// charts are separate includes (fcgi/admin/charts.h). Thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include <ctemplate/template.h>
#include <json/json.h>

#include "fcgi/audit.h"
#include "fcgi/context.h"
#include "fcgi/stats.h"

namespace sattva::fcgi {

struct DashboardData {
  StationCounts station;
  LiveTotals live;
  bool show_users = false;
  Json::Value user_counts{Json::objectValue};  // UserStore::Counts
  bool show_audit = false;
  std::vector<AuditRow> recent;
};

// The admin page of an audit row's target ("/admin/streams/7"), or "" when it has none (an
// unknown type, or an id that is not a positive integer).
std::string AuditTargetUrl(const std::string& target_type, const std::string& target_id);

void FillDashboard(ctemplate::TemplateDictionary* d, const Principal& viewer,
                   const DashboardData& data);

}  // namespace sattva::fcgi
