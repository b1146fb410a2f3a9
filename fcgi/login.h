#pragma once
// Logging in and out: shared by POST /api/v1/auth/login and the /admin/login form.

#include <string>

#include "fcgi/context.h"

namespace sattva::fcgi {

struct LoginResult {
  Principal principal;
  Session session;  // raw_id set: goes into the cookie
};

// Applies the rate limits (per IP: login_ip_limit attempts per login_ip_window_s; per account:
// login_account_failure_limit failures per login_account_window_s) and answers 429
// ("rate_limited", with Retry-After) past either; verifies the password (Argon2id; the same work
// for unknown emails); refuses users that are not active; audits auth.login or
// auth.login_failed; and creates a fresh session. Throws HttpError 401
// ("invalid_credentials") on any failure, without saying which part was wrong.
LoginResult PerformLogin(RequestContext& ctx, const std::string& email,
                         const std::string& password);
// Deletes the principal's session and audits auth.logout.
void PerformLogout(RequestContext& ctx, const Principal& p);

}  // namespace sattva::fcgi
