#pragma once
// The audit log page's view (fcgi/admin/audit.cc): data in, HTML out. Pure; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include <ctemplate/template.h>

#include "fcgi/admin/list.h"
#include "fcgi/context.h"
#include "fcgi/audit.h"

namespace sattva::fcgi {

// --- Audit log ------------------------------------------------------------------------------

struct AuditListParams {
  std::string actor;  // a user id or an email, as typed
  std::string action;
  std::string target_type;
  std::string target_id;
  std::string since;  // YYYY-MM-DD, inclusive
  std::string until;  // YYYY-MM-DD, inclusive
  int page = 1;
  int per_page = 50;

  // Throws HttpError 422 for a bad page, per_page or date.
  static AuditListParams Parse(const Query& query);
  // The AuditQuery without the actor (which needs the database to resolve an email).
  AuditQuery ToQuery() const;
  std::string PageUrl(int page) const;
  // /admin/audit/export.csv|json with these filters (no paging).
  std::string ExportUrl(const std::string& format) const;
};
void FillAudit(ctemplate::TemplateDictionary* d, const Principal& viewer,
               const AuditListParams& params, const std::vector<AuditRow>& rows, int64_t total,
               const std::string& notice);

}  // namespace sattva::fcgi
