#include "wsd/http_routes.h"

#include <json/json.h>

#include "common/json.h"
#include "common/metrics.h"

namespace sattva::wsd {
namespace {

HttpResponse Health(const HttpSources& sources) {
  std::string error;
  bool ok = sources.redis_ok(&error);
  Json::Value v(Json::objectValue);
  v["status"] = ok ? "ok" : "error";
  v["redis"] = ok ? std::string("ok") : "error: " + error;
  v["clients"] = static_cast<Json::UInt64>(sources.clients());
  return HttpResponse{ok ? 200 : 503, kJsonContentType, common::WriteJson(v)};
}

}  // namespace

HttpResponse JsonError(int status, const std::string& code, const std::string& message) {
  Json::Value v(Json::objectValue);
  v["error"]["code"] = code;
  v["error"]["message"] = message;
  return HttpResponse{status, kJsonContentType, common::WriteJson(v)};
}

HttpResponse RouteHttp(const std::string& method, const std::string& path,
                       const HttpSources& sources) {
  const bool get = method == "GET" || method == "HEAD";
  if (path == "/metrics" || path == "/healthz") {
    if (!get) return JsonError(405, "method_not_allowed", path + " supports GET only");
    if (path == "/metrics") {
      return HttpResponse{200, common::Metrics::kContentType, sources.metrics_text()};
    }
    return Health(sources);
  }
  if (path == kStatsPath) {
    return JsonError(404, "not_found",
                     std::string(kStatsPath) + " is a WebSocket endpoint; connect with an upgrade");
  }
  // Echo the path only when it is short, printable UTF-8.
  bool echo = path.size() <= 200 && common::IsValidUtf8(path);
  for (unsigned char c : path) echo = echo && c >= 0x20 && c != 0x7f;
  return JsonError(404, "not_found", echo ? "no such path: " + path : "no such path");
}

}  // namespace sattva::wsd
