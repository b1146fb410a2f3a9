#pragma once
// A small blocking HTTP/1.1 client for integration tests (one request per connection).

#include <map>
#include <string>
#include <vector>

namespace sattva::testing {

struct HttpResponse {
  int status = 0;                              // 0: no response (connection failed)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;
  std::string Header(const std::string& lower_name) const;
};

// Sends `raw_target` exactly as given (no encoding), so tests can send malformed URIs.
HttpResponse HttpRequest(int port, const std::string& method, const std::string& raw_target,
                         const std::string& body = "",
                         const std::vector<std::pair<std::string, std::string>>& headers = {},
                         int timeout_ms = 10000);
inline HttpResponse HttpGet(int port, const std::string& target) {
  return HttpRequest(port, "GET", target);
}

}  // namespace sattva::testing
