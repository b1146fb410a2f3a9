#pragma once
// wsd's plain-HTTP side, without lws: GET /metrics, GET /healthz, and JSON 404/405 for the rest.
// Thread-safe.

#include <cstddef>
#include <functional>
#include <string>

namespace sattva::wsd {

inline constexpr const char* kStatsPath = "/ws/stats";
inline constexpr const char* kJsonContentType = "application/json";

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
};

struct HttpSources {
  // The Prometheus text of the daemon's registry.
  std::function<std::string()> metrics_text;
  // True when the reader reaches Redis; otherwise false with *error set.
  std::function<bool(std::string* error)> redis_ok;
  // Connected WebSocket clients.
  std::function<size_t()> clients;
};

// |method| is the HTTP method ("GET", "POST", ...), |path| the path without the query string.
HttpResponse RouteHttp(const std::string& method, const std::string& path,
                       const HttpSources& sources);

HttpResponse JsonError(int status, const std::string& code, const std::string& message);

}  // namespace sattva::wsd
