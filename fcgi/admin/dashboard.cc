// The dashboard (/admin/): station first, then users.
#include "fcgi/admin_handlers.h"

namespace sattva::fcgi {

void RegisterAdminDashboardRoutes(Router& router) { (void)router; }

}  // namespace sattva::fcgi
