#include "fcgi/openapi.h"

#include <cstddef>

namespace sattva::fcgi {

// Defined in the generated openapi_yaml.cc.
extern const unsigned char kOpenApiYamlBytes[];
extern const std::size_t kOpenApiYamlSize;

std::string_view OpenApiYaml() {
  return std::string_view(reinterpret_cast<const char*>(kOpenApiYamlBytes), kOpenApiYamlSize);
}

Response HandleOpenApi(RequestContext& /*ctx*/) {
  Response r;
  r.status = 200;
  r.SetHeader("Content-Type", "application/yaml; charset=utf-8");
  r.SetHeader("Cache-Control", "public, max-age=300");
  r.body = std::string(OpenApiYaml());
  return r;
}

}  // namespace sattva::fcgi
