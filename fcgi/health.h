#pragma once
#include "fcgi/context.h"
#include "fcgi/http.h"

namespace sattva::fcgi {

// GET /api/v1/health: a PostgreSQL and a Redis round trip. 200 when both answer, else 503 with
// the failing part named in "failing" and in its check's "error".
Response HandleHealth(RequestContext& ctx);

}  // namespace sattva::fcgi
