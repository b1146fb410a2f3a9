// The admin panel's shared plumbing, sign-in and sign-out. The dashboard is fcgi/admin/dashboard.cc.
#include "fcgi/admin/routes.h"

#include <optional>

#include "common/log.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/auth.h"
#include "fcgi/login.h"
#include "fcgi/templates.h"

namespace sattva::fcgi {
namespace {

std::optional<Response> LayoutErrorPage(RequestContext& ctx, const HttpError& e) {
  try {
    LayoutInfo layout;
    layout.title = std::to_string(e.status()) + " " + StatusText(e.status());
    layout.viewer = &*ctx.principal;
    AdminPage page(layout, "error.tpl");
    FillError(page.body(), e.status(), e.what(), ctx.req.path, *ctx.principal);
    Response r = page.ToResponse(TemplatesDir(ctx), e.status());
    for (const auto& h : e.headers) r.SetHeader(h.first, h.second);
    return r;
  } catch (const std::exception& x) {
    LOG_ERROR << ctx.req.method << " " << ctx.req.path
              << ": cannot render the error page: " << x.what();
    return std::nullopt;
  }
}

Response RenderLogin(RequestContext& ctx, const LoginForm& form, int status) {
  LayoutInfo layout;
  layout.title = "Sign in";
  AdminPage page(layout, "login.tpl");
  FillLogin(page.body(), form);
  return page.ToResponse(TemplatesDir(ctx), status);
}

// --- Handlers -------------------------------------------------------------------------------

Response LoginPage(RequestContext& ctx) {
  const std::string* next = ctx.req.QueryParam("next");
  if (CurrentPrincipal(ctx) != nullptr) {
    return SeeOther(next != nullptr ? SafeAdminNext(*next) : "/admin/");
  }
  LoginForm form;
  if (next != nullptr) form.next = SafeAdminNext(*next);
  if (ctx.req.QueryParam("logged_out") != nullptr) {
    form.notice = "You have been signed out.";
  } else if (next != nullptr) {
    form.notice = "Please sign in to continue.";
  }
  return RenderLogin(ctx, form, 200);
}

Response LoginSubmit(RequestContext& ctx) {
  CheckSameOrigin(ctx);
  const Query form = ParseForm(ctx.req);
  LoginForm f;
  f.email = FormValue(form, "email");
  f.next = SafeAdminNext(FormValue(form, "next"));
  // The session this browser had before, if any, ends when the new one starts.
  std::optional<Session> old;
  if (auto cookie = CookieValue(ctx.req, kSessionCookie)) old = ctx.res.sessions.Lookup(*cookie);
  try {
    PerformLogin(ctx, f.email, FormValue(form, "password"));  // sets the cookie
  } catch (const HttpError& e) {
    if (e.status() == 401) {
      f.error = "Wrong email or password, or the account is not active.";
    } else if (e.status() == 429) {
      std::string retry;
      for (const auto& h : e.headers) {
        if (h.first == "Retry-After") retry = h.second;
      }
      f.error = "Too many sign-in attempts. Try again in " +
                (retry.empty() ? "a while" : retry + " seconds") + ".";
    } else if (e.status() == 400 || e.status() == 422) {
      f.error = e.what();
    } else {
      throw;
    }
    Response r = RenderLogin(ctx, f, e.status());
    for (const auto& h : e.headers) r.SetHeader(h.first, h.second);
    return r;
  }
  if (old) ctx.res.sessions.Delete(*old);
  return SeeOther(f.next);
}

Response Logout(RequestContext& ctx) {
  const Principal* p = CurrentPrincipal(ctx);
  if (p == nullptr) {
    // Already signed out (or the session expired): just clear the cookie.
    ctx.extra_headers.emplace_back("Set-Cookie", ExpiredSessionCookie(ctx));
    return SeeOther("/admin/login?logged_out=1");
  }
  CheckedForm(ctx, *p);
  PerformLogout(ctx, *p);  // clears the cookie
  return SeeOther("/admin/login?logged_out=1");
}

}  // namespace

// --- Shared helpers -------------------------------------------------------------------------

const std::string& TemplatesDir(const RequestContext& ctx) {
  return ctx.env.config.GetString("templates_dir");
}

LayoutInfo PageLayout(RequestContext& ctx, const Principal& p, const std::string& title,
                      const std::string& active, bool take_flash) {
  LayoutInfo l;
  l.title = title;
  l.active = active;
  l.viewer = &p;
  if (take_flash && p.session) l.flash = ctx.res.sessions.TakeFlash(*p.session);
  return l;
}

void SetFlash(RequestContext& ctx, const Principal& p, const std::string& flash) {
  if (p.session) ctx.res.sessions.SetFlash(*p.session, flash);
}

Response SeeOther(const std::string& location) {
  Response r;
  r.status = 303;
  r.SetHeader("Location", location);
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  r.body = "<!doctype html>\n<p><a href=\"" + HtmlEscape(location) + "\">Continue</a></p>\n";
  return r;
}

Query CheckedForm(RequestContext& ctx, const Principal& p) {
  Query form = ParseForm(ctx.req);
  CheckCsrf(ctx, p, FormValue(form, "csrf_token"));
  return form;
}

int64_t AdminPathId(const RequestContext& ctx, const std::string& name) {
  auto it = ctx.req.params.find(name);
  int64_t id = 0;
  if (it == ctx.req.params.end() || !ParseId(it->second, &id)) {
    throw HttpError(404, "not_found", "there is no such page");
  }
  return id;
}

Handler AdminHandler(Response (*fn)(RequestContext&)) {
  return [fn](RequestContext& ctx) -> Response {
    try {
      return fn(ctx);
    } catch (const HttpError& e) {
      if (e.status() < 400 || e.status() >= 500 || !ctx.auth_resolved || !ctx.principal) throw;
      std::optional<Response> page = LayoutErrorPage(ctx, e);
      if (!page) throw;
      return std::move(*page);
    }
  };
}

void RegisterAdminRoutes(Router& router) {
  router.Add("GET", "/admin/login", AdminHandler(LoginPage));
  router.Add("POST", "/admin/login", AdminHandler(LoginSubmit));
  router.Add("POST", "/admin/logout", AdminHandler(Logout));
  RegisterAdminDashboardRoutes(router);
  RegisterAdminStreamRoutes(router);
  RegisterAdminMonitoringRoutes(router);
  RegisterAdminTrackRoutes(router);
  RegisterAdminExportRoutes(router);
  RegisterAdminUserRoutes(router);
  RegisterAdminAuditRoutes(router);
  RegisterAdminProfileRoutes(router);
}

}  // namespace sattva::fcgi
