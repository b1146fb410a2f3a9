#pragma once
// The API's OpenAPI 3 document. docs/openapi.yaml is built into the binary at build time (see
// fcgi/CMakeLists.txt), so what is served always matches the routes it was built with.

#include <string_view>

#include "fcgi/context.h"
#include "fcgi/http.h"

namespace sattva::fcgi {

// docs/openapi.yaml as it was at build time.
std::string_view OpenApiYaml();

// GET /api/v1/openapi.yaml: the document. Public; application/yaml, cacheable for 5 minutes.
Response HandleOpenApi(RequestContext& ctx);

}  // namespace sattva::fcgi
