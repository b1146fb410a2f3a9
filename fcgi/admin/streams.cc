// The streams pages: list, stream page (now playing, player, queue, settings, history).
#include "fcgi/admin_handlers.h"

namespace sattva::fcgi {

void RegisterAdminStreamRoutes(Router& router) { (void)router; }

}  // namespace sattva::fcgi
