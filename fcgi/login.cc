#include "fcgi/login.h"

#include <mutex>

#include "common/email.h"
#include "common/log.h"
#include "common/password.h"
#include "fcgi/auth.h"

namespace sattva::fcgi {
namespace {

// Verifying against this when the email is unknown keeps the response time the same.
const std::string& DummyHash() {
  static std::once_flag once;
  static std::string hash;
  std::call_once(once, [] { hash = common::HashPassword(common::RandomToken(16)); });
  return hash;
}

[[noreturn]] void TooMany(int64_t retry_after_s, const std::string& what) {
  HttpError e(429, "rate_limited",
              "too many " + what + "; try again in " + std::to_string(retry_after_s) + " s");
  e.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  throw e;
}

}  // namespace

LoginResult PerformLogin(RequestContext& ctx, const std::string& raw_email,
                         const std::string& password) {
  const common::Config& cfg = ctx.env.config;
  const std::string email = common::NormalizeEmail(raw_email);
  RateDecision ip = ctx.res.limiter.Hit("login:ip:" + ctx.req.remote_addr,
                                        cfg.GetInt("login_ip_limit"), cfg.GetInt("login_ip_window_s"));
  if (!ip.allowed) TooMany(ip.retry_after_s, "login attempts from this address");
  const std::string account_key = "login:acct:" + common::Sha256Hex(email);
  RateDecision acct = ctx.res.limiter.Peek(account_key, cfg.GetInt("login_account_failure_limit"));
  if (!acct.allowed) TooMany(acct.retry_after_s, "failed logins for this account");

  std::optional<User> user;
  ctx.Tx([&](pqxx::work& tx) { user = UserStore::FindByEmail(tx, email); });
  const bool password_ok = common::VerifyPassword(
      user && user->has_password ? user->password_hash : DummyHash(), password);
  if (!user || !password_ok || user->status != UserStatus::kActive) {
    ctx.res.limiter.Hit(account_key, cfg.GetInt("login_account_failure_limit"),
                        cfg.GetInt("login_account_window_s"));
    AuditEntry e = AuditFor(ctx, "auth.login_failed", user ? "user" : "",
                            user ? std::to_string(user->id) : "");
    e.actor_label = email.substr(0, 254);
    e.changes["email"] = email.substr(0, 254);
    e.changes["reason"] = !user          ? "unknown_email"
                          : !password_ok ? "wrong_password"
                                         : std::string("user_") + UserStatusName(user->status);
    ctx.Tx([&](pqxx::work& tx) { AuditLog::Write(tx, e); });
    throw HttpError(401, "invalid_credentials", "wrong email or password");
  }
  ctx.res.limiter.Reset(account_key);
  LoginResult out;
  out.session = ctx.res.sessions.Create(user->id, ctx.req.remote_addr,
                                        ctx.req.Header("user-agent") ? *ctx.req.Header("user-agent")
                                                                     : "");
  out.principal = Principal{*user, Principal::Via::kSession, out.session, std::nullopt};
  ctx.auth_resolved = true;
  ctx.principal = out.principal;
  ctx.Tx([&](pqxx::work& tx) {
    UserStore::TouchLastLogin(tx, user->id);
    AuditLog::Write(tx, AuditFor(ctx, "auth.login", "user", std::to_string(user->id)));
  });
  ctx.extra_headers.emplace_back("Set-Cookie", SessionCookie(ctx, out.session.raw_id));
  return out;
}

void PerformLogout(RequestContext& ctx, const Principal& p) {
  if (p.session) ctx.res.sessions.Delete(*p.session);
  ctx.Tx([&](pqxx::work& tx) {
    AuditLog::Write(tx, AuditFor(ctx, "auth.logout", "user", std::to_string(p.user.id)));
  });
  ctx.extra_headers.emplace_back("Set-Cookie", ExpiredSessionCookie(ctx));
}

}  // namespace sattva::fcgi
