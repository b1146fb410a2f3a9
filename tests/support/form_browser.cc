#include "tests/support/form_browser.h"

#include <cctype>
#include <regex>

namespace sattva::testing {

std::string FormEncode(const Fields& fields) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    for (const std::string* s : {&k, &v}) {
      for (unsigned char c : *s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
          out += static_cast<char>(c);
        } else {
          out += '%';
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
      }
      if (s == &k) out += '=';
    }
  }
  return out;
}

HttpResponse FormBrowser::Get(const std::string& target, const Fields& extra_headers) {
  Fields headers = CookieHeader();
  for (const auto& h : extra_headers) headers.push_back(h);
  HttpResponse r = HttpRequest(port_, "GET", target, "", headers);
  Remember(r);
  return r;
}

HttpResponse FormBrowser::Post(const std::string& target, Fields fields, bool with_csrf,
                               bool with_origin) {
  if (with_csrf) fields.emplace_back("csrf_token", csrf);
  Fields headers = CookieHeader();
  headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  if (with_origin) headers.emplace_back("Origin", Origin());
  HttpResponse r = HttpRequest(port_, "POST", target, FormEncode(fields), headers);
  Remember(r);
  return r;
}

HttpResponse FormBrowser::PostBody(const std::string& target, const std::string& body,
                                   const std::string& content_type, int timeout_ms) {
  Fields headers = CookieHeader();
  headers.emplace_back("Content-Type", content_type);
  headers.emplace_back("Origin", Origin());
  HttpResponse r = HttpRequest(port_, "POST", target, body, headers, timeout_ms);
  Remember(r);
  return r;
}

HttpResponse FormBrowser::Login(const std::string& email, const std::string& password,
                                const std::string& next, const std::string& landing) {
  Fields fields = {{"email", email}, {"password", password}};
  if (!next.empty()) fields.emplace_back("next", next);
  HttpResponse r = Post("/admin/login", fields, false);
  if (r.status == 303) Get(landing);
  return r;
}

Fields FormBrowser::CookieHeader() const {
  if (cookie.empty()) return {};
  return {{"Cookie", cookie}};
}

void FormBrowser::Remember(const HttpResponse& r) {
  const std::string sc = r.Header("set-cookie");
  if (!sc.empty()) {
    const std::string v = sc.substr(0, sc.find(';'));
    cookie = v == "sattva_session=" ? "" : v;
  }
  std::smatch m;
  static const std::regex kCsrf("name=\"csrf_token\" value=\"([^\"]+)\"");
  if (std::regex_search(r.body, m, kCsrf)) csrf = m[1];
}

}  // namespace sattva::testing
