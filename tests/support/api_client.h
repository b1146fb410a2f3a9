#pragma once
// A JSON API client for integration tests that behaves like a browser session: it keeps the
// session cookie, sends the CSRF token and a same-site Origin on writes.

#include <string>
#include <vector>

#include <json/json.h>

#include "tests/support/http_client.h"

namespace sattva::testing {

class ApiClient {
 public:
  explicit ApiClient(int port) : port_(port) {}
  // POST /api/v1/auth/login; keeps the cookie and CSRF token on success.
  HttpResponse Login(const std::string& email, const std::string& password);
  HttpResponse Get(const std::string& target);
  HttpResponse Post(const std::string& target, const Json::Value& body);
  HttpResponse Patch(const std::string& target, const Json::Value& body);
  HttpResponse Delete(const std::string& target);
  // Any request, with the session's cookie/CSRF/Origin unless overridden by `headers`.
  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body,
                    std::vector<std::pair<std::string, std::string>> headers,
                    bool with_csrf = true, bool with_origin = true);

  std::string cookie;      // "sattva_session=..." or ""
  std::string csrf_token;
  std::string bearer;      // when set, sent as Authorization: Bearer
  int port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
};

// Parses a JSON body (an empty Json::Value when it is not JSON).
Json::Value JsonOf(const HttpResponse& r);
// Creates a user through POST /api/v1/users as `admin` (logged in); returns {id, the generated
// password}. Adds a test failure when the API refuses.
std::pair<int64_t, std::string> CreateUserViaApi(ApiClient& admin, const std::string& email,
                                                 const std::string& role,
                                                 const std::string& display_name = "");
// "role/status" of a user, read straight from PostgreSQL.
std::string RoleAndStatus(const std::string& pg_dsn, int64_t id);

}  // namespace sattva::testing
