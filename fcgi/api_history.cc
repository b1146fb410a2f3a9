// GET /api/v1/streams/{id}/history and /api/v1/streams/{id}/sessions.
#include "fcgi/api.h"

namespace sattva::fcgi {

void RegisterHistoryApi(Router& router) { (void)router; }

}  // namespace sattva::fcgi
