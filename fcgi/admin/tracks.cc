// The tracks pages: catalog list, upload, add by URL, track page, audio.
#include "fcgi/admin_handlers.h"

namespace sattva::fcgi {

void RegisterAdminTrackRoutes(Router& router) { (void)router; }

}  // namespace sattva::fcgi
