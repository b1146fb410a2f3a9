#pragma once
// Shared by the admin page handlers (admin_pages.cc, admin_users.cc, admin_audit.cc,
// admin_profile.cc). Not for other code: everything else uses fcgi/admin/routes.h.

#include <string>

#include "fcgi/admin/views.h"
#include "fcgi/context.h"
#include "fcgi/router.h"

namespace sattva::fcgi {

// The configured templates directory.
const std::string& TemplatesDir(const RequestContext& ctx);
// The layout of a signed-in page. With `take_flash` it consumes the pending flash message, so
// only call it once the page is certain to render.
LayoutInfo PageLayout(RequestContext& ctx, const Principal& p, const std::string& title,
                      const std::string& active, bool take_flash = true);
// Stores a flash message for the next page (no-op without a session, e.g. bearer auth).
void SetFlash(RequestContext& ctx, const Principal& p, const std::string& flash);
// A 303 See Other to a local URL.
Response SeeOther(const std::string& location);
// The form of a POST, after its CSRF token (and Origin) passed: 403 otherwise.
Query CheckedForm(RequestContext& ctx, const Principal& p);
// The {id} path parameter of an admin page; 404 when it is not a positive integer.
int64_t AdminPathId(const RequestContext& ctx, const std::string& name = "id");
// Wraps a handler: 4xx errors of a signed-in request render as a page inside the layout.
Handler AdminHandler(Response (*fn)(RequestContext&));

void RegisterAdminDashboardRoutes(Router& router);  // fcgi/admin/dashboard.cc
void RegisterAdminStreamRoutes(Router& router);     // fcgi/admin/streams.cc
void RegisterAdminMonitoringRoutes(Router& router);  // fcgi/admin/monitoring.cc
void RegisterAdminTrackRoutes(Router& router);      // fcgi/admin/tracks.cc
void RegisterAdminExportRoutes(Router& router);     // fcgi/admin/export.cc
void RegisterAdminUserRoutes(Router& router);
void RegisterAdminAuditRoutes(Router& router);
void RegisterAdminProfileRoutes(Router& router);

}  // namespace sattva::fcgi
