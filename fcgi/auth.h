#pragma once
// Who is asking, and may they. Used by both the REST API and the admin pages.
//
// A request is authenticated by the session cookie (sattva_session) or by
// "Authorization: Bearer <token>". The user row is read from PostgreSQL on every request, so a
// role change, a block or a delete takes effect on that user's very next request. A session or
// token whose user is not active is refused (and the session deleted).
//
// Cookie-authenticated POST/PATCH/PUT/DELETE must carry the session's CSRF token (header
// X-CSRF-Token, or a form field csrf_token) and an Origin (or, failing that, Referer) that is the
// site's own: public_url's origin or http(s)://<Host>. Otherwise 403 and nothing changes. Bearer
// requests need no CSRF token: browsers never attach them by themselves.

#include <optional>
#include <string>

#include "fcgi/api_tokens.h"
#include "fcgi/audit.h"
#include "fcgi/context.h"
#include "fcgi/permissions.h"
#include "fcgi/sessions.h"
#include "fcgi/users.h"

namespace sattva::fcgi {

// The authenticated user of a request, or nullptr for an anonymous one. Resolved once per
// request and cached in ctx. Throws HttpError 401 for a malformed or unknown bearer token.
const Principal* CurrentPrincipal(RequestContext& ctx);
// The principal, or: 401 (code "unauthenticated") under /api; a 303 redirect to
// /admin/login?next=<path> under /admin.
const Principal& RequireLogin(RequestContext& ctx);
// RequireLogin, then 403 (code "forbidden") unless the role has `p`.
const Principal& RequirePermission(RequestContext& ctx, Permission p);
// For mutating requests authenticated by cookie: the CSRF token and Origin checks above.
// `form_token` is the csrf_token form field, if the request is a form. No-op for bearer auth.
void CheckCsrf(RequestContext& ctx, const Principal& p, const std::string& form_token = "");
// The Origin/Referer check alone (login forms, which have no session yet). Absent both headers
// the request passes (non-browser clients send neither).
void CheckSameOrigin(RequestContext& ctx);

// Cookie helpers. The session cookie is HttpOnly, SameSite=Strict, Path=/, and Secure when
// public_url is https.
std::string SessionCookie(const RequestContext& ctx, const std::string& raw_id);
std::string ExpiredSessionCookie(const RequestContext& ctx);
std::optional<std::string> CookieValue(const Request& req, const std::string& name);

// An audit entry pre-filled with the actor (if any), IP and user agent of this request.
AuditEntry AuditFor(RequestContext& ctx, const std::string& action, const std::string& target_type,
                    const std::string& target_id);

// The site origin from public_url ("http://127.0.0.1:8080").
std::string PublicOrigin(const common::Config& config);

// Throws HttpError 303 with a Location header (used by the admin pages).
[[noreturn]] void Redirect(const std::string& location);

}  // namespace sattva::fcgi
