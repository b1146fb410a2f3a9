// /api/v1/auth: login, logout, me, and changing one's own password.
#include "common/json.h"
#include "common/password.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "fcgi/login.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
namespace {

Json::Value MeJson(const Principal& p) {
  Json::Value v(Json::objectValue);
  v["user"] = p.user.ToJson();
  Json::Value perms(Json::arrayValue);
  for (const auto& n : PermissionNames(p.user.role)) perms.append(n);
  v["permissions"] = perms;
  v["auth"] = p.via == Principal::Via::kSession ? "session" : "token";
  return v;
}

Response Login(RequestContext& ctx) {
  CheckSameOrigin(ctx);
  Json::Value body = ParseJsonBody(ctx.req);
  const std::string email = JsonString(body, "email", 320);
  const std::string password = JsonString(body, "password", kMaxPasswordLength);
  LoginResult r = PerformLogin(ctx, email, password);
  Json::Value out = MeJson(r.principal);
  out["csrf_token"] = r.session.csrf_token;
  return Response::Json(200, out);
}

Response Logout(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  if (p.via != Principal::Via::kSession) {
    throw HttpError(422, "validation_failed",
                    "logout ends a cookie session; revoke a token with DELETE /api/v1/tokens/{id}");
  }
  CheckCsrf(ctx, p);
  PerformLogout(ctx, p);
  return Response::NoContent();
}

Response Me(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  Json::Value out = MeJson(p);
  if (p.session) out["csrf_token"] = p.session->csrf_token;
  return Response::Json(200, out);
}

// POST /api/v1/auth/password {current_password, new_password}
Response ChangePassword(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  CheckCsrf(ctx, p);
  Json::Value body = ParseJsonBody(ctx.req);
  const std::string current = JsonString(body, "current_password", kMaxPasswordLength);
  const std::string next = JsonString(body, "new_password", kMaxPasswordLength);
  if (!common::VerifyPassword(p.user.password_hash, current)) {
    throw HttpError(403, "forbidden", "the current password is wrong");
  }
  UserChange c;
  c.password = next;
  ctx.Tx([&](pqxx::work& tx) {
    std::optional<User> target = UserStore::LockById(tx, p.user.id);
    if (!target) throw HttpError(404, "not_found", "no such user");
    ApplyUserChange(ctx, tx, p, *target, c);
  });
  return Response::NoContent();
}

}  // namespace

void RegisterAuthApi(Router& router) {
  router.Add("POST", "/api/v1/auth/login", Login);
  router.Add("POST", "/api/v1/auth/logout", Logout);
  router.Add("GET", "/api/v1/auth/me", Me);
  router.Add("POST", "/api/v1/auth/password", ChangePassword);
}

}  // namespace sattva::fcgi
