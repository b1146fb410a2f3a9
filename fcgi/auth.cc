#include "fcgi/auth.h"

#include <sodium.h>

#include "common/log.h"
#include "common/password.h"

namespace sattva::fcgi {
namespace {

bool IsAdminPath(const std::string& path) {
  return path == "/admin" || path.rfind("/admin/", 0) == 0;
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// scheme://host[:port] of a URL, lower-cased; "" when it is not one.
std::string OriginOf(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  auto path = url.find('/', scheme_end + 3);
  std::string o = url.substr(0, path);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}


const std::string* Bearer(const Request& req) {
  const std::string* h = req.Header("authorization");
  if (h == nullptr) return nullptr;
  return h;
}

}  // namespace

std::string PublicOrigin(const common::Config& config) {
  return OriginOf(config.GetString("public_url"));
}

[[noreturn]] void Redirect(const std::string& location) {
  HttpError e(303, "see_other", "see " + location);
  e.headers.emplace_back("Location", location);
  throw e;
}

std::optional<std::string> CookieValue(const Request& req, const std::string& name) {
  const std::string* h = req.Header("cookie");
  if (h == nullptr) return std::nullopt;
  size_t pos = 0;
  while (pos < h->size()) {
    size_t end = h->find(';', pos);
    if (end == std::string::npos) end = h->size();
    std::string part = h->substr(pos, end - pos);
    size_t b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    size_t eq = part.find('=');
    if (eq != std::string::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    pos = end + 1;
  }
  return std::nullopt;
}

const Principal* CurrentPrincipal(RequestContext& ctx) {
  if (ctx.auth_resolved) return ctx.principal ? &*ctx.principal : nullptr;
  ctx.auth_resolved = true;
  if (const std::string* auth = Bearer(ctx.req)) {
    if (auth->rfind("Bearer ", 0) != 0) {
      throw HttpError(401, "unauthenticated", "Authorization must be 'Bearer <token>'");
    }
    const std::string token = auth->substr(7);
    std::optional<Principal> p;
    ctx.Read([&](pqxx::transaction_base& tx) {
      if (token.rfind("sat_", 0) != 0 || token.size() > 100) return;
      bool stale = false;
      auto found = UserStore::FindByToken(tx, common::Sha256Hex(token), &stale);
      if (!found || found->first.status != UserStatus::kActive) return;
      if (stale) TokenStore::TouchLastUsed(tx, found->second.id);
      p = Principal{found->first, Principal::Via::kToken, std::nullopt, found->second};
    });
    if (!p) throw HttpError(401, "unauthenticated", "the API token is invalid or revoked");
    ctx.principal = std::move(p);
    return &*ctx.principal;
  }
  std::optional<std::string> cookie = CookieValue(ctx.req, kSessionCookie);
  if (!cookie) return nullptr;
  std::optional<Session> s = ctx.res.sessions.Lookup(*cookie);
  if (!s) return nullptr;
  std::optional<User> u;
  ctx.Read([&](pqxx::transaction_base& tx) { u = UserStore::FindById(tx, s->user_id); });
  if (!u || u->status != UserStatus::kActive) {
    ctx.res.sessions.Delete(*s);
    return nullptr;
  }
  ctx.principal = Principal{*u, Principal::Via::kSession, *s, std::nullopt};
  return &*ctx.principal;
}

const Principal& RequireLogin(RequestContext& ctx) {
  const Principal* p = CurrentPrincipal(ctx);
  if (p != nullptr) return *p;
  if (IsAdminPath(ctx.req.path)) {
    std::string next = ctx.req.path;
    if (!ctx.req.query_string.empty() && ctx.req.method == "GET") {
      next += "?" + ctx.req.query_string;
    }
    Redirect("/admin/login?next=" + PercentEncode(next, "/"));
  }
  HttpError e(401, "unauthenticated", "log in or send an API token");
  e.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sattva\"");
  throw e;
}

const Principal& RequirePermission(RequestContext& ctx, Permission perm) {
  const Principal& p = RequireLogin(ctx);
  if (!Can(p.user.role, perm)) {
    throw HttpError(403, "forbidden",
                    std::string("your role (") + RoleName(p.user.role) + ") may not " +
                        PermissionName(perm));
  }
  return p;
}

void CheckSameOrigin(RequestContext& ctx) {
  const std::string* origin = ctx.req.Header("origin");
  const std::string* referer = ctx.req.Header("referer");
  std::string got;
  if (origin != nullptr && *origin != "null") {
    got = OriginOf(*origin);
  } else if (referer != nullptr) {
    got = OriginOf(*referer);
  } else if (origin != nullptr) {
    got = "null";  // an opaque origin (sandboxed frame, file://) is never ours
  } else {
    return;
  }
  const std::string mine = PublicOrigin(ctx.env.config);
  std::string host_origin;
  if (const std::string* host = ctx.req.Header("host")) {
    const bool https = mine.rfind("https://", 0) == 0;
    host_origin = OriginOf((https ? "https://" : "http://") + *host);
  }
  if (got.empty() || (got != mine && got != host_origin)) {
    throw HttpError(403, "csrf_failed", "cross-origin request refused");
  }
}

void CheckCsrf(RequestContext& ctx, const Principal& p, const std::string& form_token) {
  if (p.via != Principal::Via::kSession) return;
  const std::string& m = ctx.req.method;
  if (m == "GET" || m == "HEAD" || m == "OPTIONS") return;
  // A browser always sends Origin (or at least Referer) on a cookie-carrying POST; require one.
  if (ctx.req.Header("origin") == nullptr && ctx.req.Header("referer") == nullptr) {
    throw HttpError(403, "csrf_failed", "missing Origin header");
  }
  CheckSameOrigin(ctx);
  const std::string* header = ctx.req.Header("x-csrf-token");
  const std::string& given = header != nullptr ? *header : form_token;
  if (!ConstantTimeEquals(given, p.session->csrf_token)) {
    throw HttpError(403, "csrf_failed", "missing or wrong CSRF token");
  }
}

std::string SessionCookie(const RequestContext& ctx, const std::string& raw_id) {
  const bool secure = PublicOrigin(ctx.env.config).rfind("https://", 0) == 0;
  return std::string(kSessionCookie) + "=" + raw_id + "; Path=/; HttpOnly; SameSite=Strict" +
         (secure ? "; Secure" : "");
}

std::string ExpiredSessionCookie(const RequestContext& ctx) {
  const bool secure = PublicOrigin(ctx.env.config).rfind("https://", 0) == 0;
  return std::string(kSessionCookie) +
         "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT" +
         (secure ? "; Secure" : "");
}

AuditEntry AuditFor(RequestContext& ctx, const std::string& action, const std::string& target_type,
                    const std::string& target_id) {
  AuditEntry e;
  const Principal* p = ctx.auth_resolved && ctx.principal ? &*ctx.principal : nullptr;
  if (p != nullptr) {
    e.actor_user_id = p->user.id;
    e.actor_label = p->user.email;
    if (p->via == Principal::Via::kToken) e.actor_label += " (token " + p->token->name + ")";
  }
  e.action = action;
  e.target_type = target_type;
  e.target_id = target_id;
  e.ip = ctx.req.remote_addr;
  if (const std::string* ua = ctx.req.Header("user-agent")) e.user_agent = *ua;
  return e;
}

}  // namespace sattva::fcgi
