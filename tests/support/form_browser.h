#pragma once
// A browser without JavaScript for the admin-page integration tests: it keeps the session
// cookie, reads the CSRF token from every page it loads, and posts forms the way a browser
// does (same-site Origin, the cookie, the token). Not thread-safe.

#include <string>
#include <utility>
#include <vector>

#include "tests/support/http_client.h"

namespace sattva::testing {

using Fields = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded, every byte but RFC 3986 unreserved ones percent-encoded.
std::string FormEncode(const Fields& fields);

class FormBrowser {
 public:
  explicit FormBrowser(int port) : port_(port) {}

  HttpResponse Get(const std::string& target, const Fields& extra_headers = {});
  // A form post with the session cookie and, by default, the CSRF token last seen on a page and
  // a same-site Origin header.
  HttpResponse Post(const std::string& target, Fields fields, bool with_csrf = true,
                    bool with_origin = true);
  // A post of a ready-made body (a multipart upload), with the cookie and Origin.
  HttpResponse PostBody(const std::string& target, const std::string& body,
                        const std::string& content_type, int timeout_ms = 30000);
  // Signs in through the form; on success loads `landing` (for its CSRF token).
  HttpResponse Login(const std::string& email, const std::string& password,
                     const std::string& next = "", const std::string& landing = "/admin/");

  std::string Origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::string cookie;  // "sattva_session=..."
  std::string csrf;

 private:
  Fields CookieHeader() const;
  void Remember(const HttpResponse& r);
  int port_;
};

}  // namespace sattva::testing
