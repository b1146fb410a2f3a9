// The public status page (/) and GET /api/v1/public/now-playing.
#include "fcgi/api.h"

namespace sattva::fcgi {

void RegisterPublicRoutes(Router& router) { (void)router; }

}  // namespace sattva::fcgi
