// /api/v1/users and /api/v1/tokens.
#include "common/json.h"
#include "common/password.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
namespace {

User LoadUser(pqxx::work& tx, int64_t id, bool lock) {
  std::optional<User> u = lock ? UserStore::LockById(tx, id) : UserStore::FindById(tx, id);
  if (!u) throw HttpError(404, "not_found", "no such user: " + std::to_string(id));
  return *u;
}

Response ListUsers(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kUsersView);
  UserQuery q;
  q.q = QueryString(ctx.req, "q");
  if (q.q.size() > 200) throw HttpError(422, "validation_failed", "q is longer than 200 bytes");
  if (!common::IsValidUtf8(q.q)) throw HttpError(400, "bad_request", "q is not valid UTF-8");
  if (std::string r = QueryString(ctx.req, "role"); !r.empty()) {
    Role role;
    if (!ParseRole(r, &role)) {
      throw HttpError(422, "validation_failed", "role must be admin, moderator or user");
    }
    q.role = role;
  }
  if (std::string s = QueryString(ctx.req, "status"); !s.empty()) {
    UserStatus st;
    if (!ParseUserStatus(s, &st)) {
      throw HttpError(422, "validation_failed", "status must be active, blocked or deleted");
    }
    q.status = st;
  }
  if (std::string s = QueryString(ctx.req, "sort"); !s.empty()) q.sort = s;
  static const char* kSorts[] = {"id",     "email",      "display_name", "role",
                                 "status", "created_at", "last_login_at"};
  bool sort_ok = false;
  for (const char* k : kSorts) sort_ok = sort_ok || q.sort == k;
  if (!sort_ok) {
    throw HttpError(422, "validation_failed",
                    "sort must be one of id, email, display_name, role, status, created_at, "
                    "last_login_at");
  }
  const std::string order = QueryString(ctx.req, "order");
  if (!order.empty() && order != "asc" && order != "desc") {
    throw HttpError(422, "validation_failed", "order must be asc or desc");
  }
  q.descending = order == "desc";
  q.page = static_cast<int>(QueryInt(ctx.req, "page", 1, 1, 1000000));
  q.per_page = static_cast<int>(QueryInt(ctx.req, "per_page", 20, 1, 100));
  UserPage page;
  ctx.Read([&](pqxx::transaction_base& tx) { page = UserStore::List(tx, q); });
  Json::Value items(Json::arrayValue);
  for (const auto& u : page.items) items.append(u.ToJson());
  return Response::Json(200, PageJson(items, page.total, q.page, q.per_page));
}

Response CreateUser(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  CheckCsrf(ctx, p);
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"email", "display_name", "role", "password"});
  const std::string email = JsonString(body, "email", 320);
  const std::string name = body.isMember("display_name") ? JsonString(body, "display_name") : "";
  const std::string role = body.isMember("role") ? JsonString(body, "role", 20) : "user";
  std::string password =
      body.isMember("password") ? JsonString(body, "password", kMaxPasswordLength) : "";
  const bool generated = password.empty();
  if (generated) password = common::RandomToken(12);
  User u;
  ctx.Tx([&](pqxx::work& tx) { u = CreateUserChecked(ctx, tx, p, email, name, role, password); });
  Json::Value out = u.ToJson();
  if (generated) out["password"] = password;  // shown once
  Response r = Response::Json(201, out);
  r.SetHeader("Location", "/api/v1/users/" + std::to_string(u.id));
  return r;
}

Response GetUser(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  const int64_t id = PathId(ctx, "id");
  if (id != p.user.id && !Can(p.user.role, Permission::kUsersView)) {
    throw HttpError(403, "forbidden", "you may only view your own account");
  }
  User u;
  ctx.Tx([&](pqxx::work& tx) { u = LoadUser(tx, id, false); });
  return Response::Json(200, u.ToJson());
}

Response PatchUser(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  CheckCsrf(ctx, p);
  const int64_t id = PathId(ctx, "id");
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"display_name", "telegram_id", "role", "status", "password",
                             "current_password"});
  UserChange c;
  if (body.isMember("display_name")) c.display_name = JsonString(body, "display_name");
  if (body.isMember("telegram_id")) {
    const Json::Value& t = body["telegram_id"];
    if (t.isNull()) {
      c.telegram_id = std::optional<int64_t>();
    } else if (t.isIntegral() && t.isInt64()) {
      c.telegram_id = std::optional<int64_t>(t.asInt64());
    } else {
      throw HttpError(400, "invalid_type", "telegram_id must be an integer or null");
    }
  }
  if (body.isMember("role")) c.role = JsonString(body, "role", 20);
  if (body.isMember("status")) c.status = JsonString(body, "status", 20);
  if (body.isMember("password")) {
    c.password = JsonString(body, "password", kMaxPasswordLength);
    if (id == p.user.id) {
      const std::string current = body.isMember("current_password")
                                      ? JsonString(body, "current_password", kMaxPasswordLength)
                                      : "";
      if (!common::VerifyPassword(p.user.password_hash, current)) {
        throw HttpError(403, "forbidden",
                        "changing your own password needs current_password, and it is wrong");
      }
    }
  }
  if (id != p.user.id && !Can(p.user.role, Permission::kUsersView)) {
    throw HttpError(403, "forbidden", "you may only edit your own account");
  }
  User after;
  ctx.Tx([&](pqxx::work& tx) {
    User before = LoadUser(tx, id, true);
    after = ApplyUserChange(ctx, tx, p, before, c);
  });
  return Response::Json(200, after.ToJson());
}

Response DeleteUser(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  CheckCsrf(ctx, p);
  const int64_t id = PathId(ctx, "id");
  if (!Can(p.user.role, Permission::kUsersDelete)) {
    throw HttpError(403, "forbidden", "your role may not delete users");
  }
  ctx.Tx([&](pqxx::work& tx) {
    User target = LoadUser(tx, id, true);
    DeleteUserChecked(ctx, tx, p, target);
  });
  return Response::NoContent();
}

// --- tokens ---------------------------------------------------------------------------------

Response ListTokens(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  const int64_t uid = QueryInt(ctx.req, "user_id", p.user.id, 1, INT64_MAX);
  if (uid != p.user.id && !Can(p.user.role, Permission::kTokensManageAny)) {
    throw HttpError(403, "forbidden", "you may only list your own tokens");
  }
  Json::Value items(Json::arrayValue);
  ctx.Tx([&](pqxx::work& tx) {
    for (const auto& t : TokenStore::ListForUser(tx, uid)) items.append(t.ToJson());
  });
  Json::Value out(Json::objectValue);
  out["items"] = items;
  return Response::Json(200, out);
}

Response CreateToken(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  CheckCsrf(ctx, p);
  Json::Value body = ParseJsonBody(ctx.req);
  RejectUnknownFields(body, {"name", "user_id"});
  const std::string name = JsonString(body, "name", 400);
  if (name.empty() || !common::IsValidUtf8(name) || name.size() > 100) {
    throw HttpError(422, "validation_failed", "name must be 1 to 100 characters of UTF-8");
  }
  int64_t uid = p.user.id;
  if (body.isMember("user_id")) {
    if (!body["user_id"].isIntegral() || !body["user_id"].isInt64()) {
      throw HttpError(400, "invalid_type", "user_id must be an integer");
    }
    uid = body["user_id"].asInt64();
  }
  if (uid != p.user.id && !Can(p.user.role, Permission::kTokensManageAny)) {
    throw HttpError(403, "forbidden", "you may only create tokens for yourself");
  }
  std::string secret;
  ApiToken t;
  ctx.Tx([&](pqxx::work& tx) {
    User owner = LoadUser(tx, uid, false);
    if (owner.status != UserStatus::kActive) {
      throw HttpError(422, "validation_failed", "the user is not active");
    }
    t = TokenStore::Create(tx, uid, name, &secret);
    AuditEntry e = AuditFor(ctx, "token.create", "token", std::to_string(t.id));
    e.changes["name"] = name;
    e.changes["user_id"] = common::JsonInt(uid);
    AuditLog::Write(tx, e);
  });
  Json::Value out = t.ToJson();
  out["token"] = secret;  // shown once; only its hash is stored
  Response r = Response::Json(201, out);
  r.SetHeader("Location", "/api/v1/tokens/" + std::to_string(t.id));
  return r;
}

Response RevokeToken(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  CheckCsrf(ctx, p);
  const int64_t id = PathId(ctx, "id");
  ctx.Tx([&](pqxx::work& tx) {
    std::optional<ApiToken> t = TokenStore::Find(tx, id);
    // Someone else's token is "not found" unless you may manage any: ids leak nothing.
    if (!t || (t->user_id != p.user.id && !Can(p.user.role, Permission::kTokensManageAny))) {
      throw HttpError(404, "not_found", "no such token: " + std::to_string(id));
    }
    if (TokenStore::Revoke(tx, id)) {
      AuditEntry e = AuditFor(ctx, "token.revoke", "token", std::to_string(id));
      e.changes["name"] = t->name;
      e.changes["user_id"] = common::JsonInt(t->user_id);
      AuditLog::Write(tx, e);
    }
  });
  return Response::NoContent();
}

}  // namespace

void RegisterUsersApi(Router& router) {
  router.Add("GET", "/api/v1/users", ListUsers);
  router.Add("POST", "/api/v1/users", CreateUser);
  router.Add("GET", "/api/v1/users/{id}", GetUser);
  router.Add("PATCH", "/api/v1/users/{id}", PatchUser);
  router.Add("DELETE", "/api/v1/users/{id}", DeleteUser);
}

void RegisterTokensApi(Router& router) {
  router.Add("GET", "/api/v1/tokens", ListTokens);
  router.Add("POST", "/api/v1/tokens", CreateToken);
  router.Add("DELETE", "/api/v1/tokens/{id}", RevokeToken);
}

}  // namespace sattva::fcgi
