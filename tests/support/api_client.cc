#include "tests/support/api_client.h"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "common/json.h"

namespace sattva::testing {

Json::Value JsonOf(const HttpResponse& r) {
  Json::Value v;
  std::string err;
  if (!common::ParseJson(r.body, &v, &err)) return Json::Value();
  return v;
}

std::pair<int64_t, std::string> CreateUserViaApi(ApiClient& admin, const std::string& email,
                                                 const std::string& role,
                                                 const std::string& display_name) {
  Json::Value b;
  b["email"] = email;
  b["role"] = role;
  b["display_name"] = display_name;
  HttpResponse r = admin.Post("/api/v1/users", b);
  EXPECT_EQ(r.status, 201) << r.body;
  Json::Value v = JsonOf(r);
  return {v["id"].asInt64(), v["password"].asString()};
}

std::string RoleAndStatus(const std::string& pg_dsn, int64_t id) {
  pqxx::connection c(pg_dsn);
  pqxx::nontransaction tx(c);
  return tx.exec_params1("SELECT role || '/' || status FROM users WHERE id = $1", id)[0]
      .as<std::string>();
}

HttpResponse ApiClient::Send(const std::string& method, const std::string& target,
                             const std::string& body,
                             std::vector<std::pair<std::string, std::string>> headers,
                             bool with_csrf, bool with_origin) {
  if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
  if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
  const bool write = method != "GET" && method != "HEAD";
  if (write && with_csrf && !csrf_token.empty()) headers.emplace_back("X-CSRF-Token", csrf_token);
  if (write && with_origin) headers.emplace_back("Origin", origin());
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return HttpRequest(port_, method, target, body, headers);
}

HttpResponse ApiClient::Login(const std::string& email, const std::string& password) {
  Json::Value b;
  b["email"] = email;
  b["password"] = password;
  HttpResponse r = Send("POST", "/api/v1/auth/login", common::WriteJson(b), {}, false);
  if (r.status == 200) {
    std::string sc = r.Header("set-cookie");
    cookie = sc.substr(0, sc.find(';'));
    csrf_token = JsonOf(r)["csrf_token"].asString();
  }
  return r;
}

HttpResponse ApiClient::Get(const std::string& target) { return Send("GET", target, "", {}); }
HttpResponse ApiClient::Post(const std::string& target, const Json::Value& body) {
  return Send("POST", target, common::WriteJson(body), {});
}
HttpResponse ApiClient::Patch(const std::string& target, const Json::Value& body) {
  return Send("PATCH", target, common::WriteJson(body), {});
}
HttpResponse ApiClient::Delete(const std::string& target) { return Send("DELETE", target, "", {}); }

}  // namespace sattva::testing
